//! Problems found in specs, reported the way compilers report them: severity, a one-line
//! summary, `file:line:column`, the source line with a caret, and a hint that says what to do.

use std::fmt;
use std::fmt::Write as _;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be used.
    Error,
    /// The spec works but probably not as meant.
    Warning,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// How many characters of the source line a snippet shows at most: enough for any real
/// spec line, and a 10 MB line is never echoed.
const EXCERPT_CHARS: usize = 120;
/// Of those, how many before the column when the line must be cut.
const EXCERPT_BEFORE: usize = 40;
/// Longest summary, hint or path shown (text from the file can end up in them).
const MESSAGE_CHARS: usize = 400;

/// One problem, with where it is and what to do about it. Serializes (for JSON output)
/// without the snippet fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in, as named on the command line.
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column in characters, when known.
    pub column: Option<u32>,
    /// One line saying what is wrong.
    #[serde(serialize_with = "serialize_clipped")]
    pub summary: String,
    /// What to do about it.
    #[serde(serialize_with = "serialize_clipped_option")]
    pub hint: Option<String>,
    /// The field the problem is about, e.g. `spec.relatedLists.modules[1].module`.
    #[serde(serialize_with = "serialize_clipped_option")]
    pub path: Option<String>,
    /// The part of the source line the snippet shows: the whole line, or at most
    /// [`EXCERPT_CHARS`] characters around the column.
    #[serde(skip)]
    pub source_line: Option<String>,
    /// How many characters of the line were cut before [`Self::source_line`].
    #[serde(skip)]
    pub excerpt_start: u32,
    /// Whether the line goes on after [`Self::source_line`].
    #[serde(skip)]
    pub excerpt_cut_end: bool,
    /// How many characters the caret underlines.
    #[serde(skip)]
    pub width: u32,
}

impl Diagnostic {
    /// A diagnostic of this severity with no location yet.
    pub fn new(severity: Severity, summary: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            file: None,
            line: None,
            column: None,
            summary: summary.into(),
            hint: None,
            path: None,
            source_line: None,
            excerpt_start: 0,
            excerpt_cut_end: false,
            width: 1,
        }
    }

    /// An error with no location yet.
    pub fn error(summary: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, summary)
    }

    /// A warning with no location yet.
    pub fn warning(summary: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, summary)
    }

    /// Adds the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the field path.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.path = (!path.is_empty()).then_some(path);
        self
    }

    /// Names the file without a position (e.g. the file cannot be read).
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Places the diagnostic at `line:column` of `file`, whose text is `source` (used for
    /// the snippet line).
    pub fn at(mut self, file: &str, source: &str, line: u32, column: u32, width: u32) -> Self {
        self.file = Some(file.to_owned());
        self.line = Some(line);
        self.column = Some(column);
        self.width = width.max(1);
        self.source_line = None;
        if let Some(text) = source.lines().nth(line.saturating_sub(1) as usize) {
            let (start, excerpt, cut_end) = excerpt(text, column);
            self.excerpt_start = u32::try_from(start).unwrap_or(u32::MAX);
            self.excerpt_cut_end = cut_end;
            self.source_line = Some(excerpt);
        }
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column` (or as much of it as is known).
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
            (Some(line), None) => format!("{file}:{line}"),
            _ => file.to_owned(),
        })
    }

    /// Renders the diagnostic, with ANSI colours when `color` is set. Ends with a newline.
    pub fn render(&self, color: bool) -> String {
        let paint = Painter { color };
        let gutter_width = self.line.map_or(1, |line| line.to_string().len());
        let pad = " ".repeat(gutter_width);
        let severity_style = match self.severity {
            Severity::Error => RED_BOLD,
            Severity::Warning => YELLOW_BOLD,
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}{}",
            paint.style(severity_style, self.severity.label()),
            paint.style(BOLD, &format!(": {}", sanitize(&self.summary)))
        );
        if let Some(location) = self.location() {
            let _ = writeln!(out, "{pad}{} {}", paint.style(BLUE_BOLD, "-->"), location);
        }
        if let (Some(line), Some(column), Some(source)) =
            (self.line, self.column, self.source_line.as_deref())
        {
            let bar = paint.style(BLUE_BOLD, "|");
            let column = column.saturating_sub(self.excerpt_start);
            let (mut shown, mut caret_offset, caret_width) = snippet(source, column, self.width);
            if self.excerpt_start > 0 {
                shown.insert(0, '…');
                caret_offset += 1;
            }
            if self.excerpt_cut_end {
                shown.push('…');
            }
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {shown}",
                paint.style(BLUE_BOLD, &line.to_string())
            );
            let carets = "^".repeat(caret_width);
            let _ = writeln!(
                out,
                "{pad} {bar} {}{}",
                " ".repeat(caret_offset),
                paint.style(severity_style, &carets)
            );
        }
        let equals = paint.style(BLUE_BOLD, "=");
        if let Some(path) = &self.path {
            let _ = writeln!(
                out,
                "{pad} {equals} {}: {}",
                paint.style(BOLD, "field"),
                sanitize(path)
            );
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(
                out,
                "{pad} {equals} {}: {}",
                paint.style(BOLD, "hint"),
                sanitize(hint)
            );
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

/// The part of `line` a snippet shows for a problem at `column`: where it starts (in
/// characters), its text, and whether the line goes on after it.
fn excerpt(line: &str, column: u32) -> (usize, String, bool) {
    let mut chars = line.char_indices();
    if chars.nth(EXCERPT_CHARS).is_none() {
        return (0, line.to_owned(), false);
    }
    let before = (column.saturating_sub(1) as usize).saturating_sub(EXCERPT_BEFORE);
    let mut excerpt = line.chars().skip(before);
    let text: String = excerpt.by_ref().take(EXCERPT_CHARS).collect();
    let cut_end = excerpt.next().is_some();
    (before, text, cut_end)
}

/// Cuts user-derived text to [`MESSAGE_CHARS`] characters, marking the cut.
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MESSAGE_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..end])),
    }
}

fn serialize_clipped<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&clip(text))
}

fn serialize_clipped_option<S: serde::Serializer>(
    text: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => serializer.serialize_some(&*clip(text)),
        None => serializer.serialize_none(),
    }
}

/// The source line as shown (tabs expanded, control characters escaped), the caret's
/// offset in shown characters, and the caret's width.
fn snippet(source: &str, column: u32, width: u32) -> (String, usize, usize) {
    let before = column.saturating_sub(1) as usize;
    let mut shown = String::new();
    let mut caret_offset = 0;
    let mut caret_width = 0;
    for (index, ch) in source.chars().enumerate() {
        let piece = show_char(ch);
        let piece_len = piece.chars().count();
        if index < before {
            caret_offset += piece_len;
        } else if index < before + width as usize {
            caret_width += piece_len;
        }
        shown.push_str(&piece);
    }
    (shown, caret_offset, caret_width.max(1))
}

fn show_char(ch: char) -> String {
    match ch {
        '\t' => "    ".to_owned(),
        c if c.is_control() => c.escape_debug().to_string(),
        c => c.to_string(),
    }
}

/// Escapes control characters so user text cannot drive the terminal, and cuts what is too
/// long to read.
fn sanitize(text: &str) -> String {
    clip(text).chars().map(show_char).collect()
}

const RED_BOLD: &str = "\x1b[1;31m";
const YELLOW_BOLD: &str = "\x1b[1;33m";
const BLUE_BOLD: &str = "\x1b[1;34m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

struct Painter {
    color: bool,
}

impl Painter {
    fn style(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// A list of diagnostics; an error when at least one of them is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Diagnostics::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Every diagnostic, in report order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// How many warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// Renders every diagnostic, separated by blank lines.
    pub fn render(&self, color: bool) -> String {
        self.0
            .iter()
            .map(|d| d.render(color))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One line counting the problems and the files they are in: `2 errors in 1 file`.
    pub fn summary_line(&self) -> String {
        let mut counts = Vec::new();
        for (count, word) in [
            (self.error_count(), "error"),
            (self.warning_count(), "warning"),
        ] {
            if count > 0 {
                counts.push(plural(count, word));
            }
        }
        if counts.is_empty() {
            return "no problems".to_owned();
        }
        let mut files: Vec<&str> = self.0.iter().filter_map(|d| d.file.as_deref()).collect();
        files.sort_unstable();
        files.dedup();
        let counts = counts.join(", ");
        if files.is_empty() {
            counts
        } else {
            format!("{counts} in {}", plural(files.len(), "file"))
        }
    }
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(list: Vec<Diagnostic>) -> Self {
        Diagnostics(list)
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "spec:\n  relatedLists:\n    modules:\n      - module: Deals\n";

    #[test]
    fn render_shows_location_snippet_caret_field_and_hint() {
        let diagnostic = Diagnostic::error("duplicate module \"Deals\" in relatedLists.modules")
            .at("examples/bad.yaml", SOURCE, 4, 17, 5)
            .with_path("spec.relatedLists.modules[1].module")
            .with_hint("each module may appear once; merge the two entries");
        assert_eq!(
            diagnostic.render(false),
            "error: duplicate module \"Deals\" in relatedLists.modules\n \
             --> examples/bad.yaml:4:17\n  \
             |\n\
             4 |       - module: Deals\n  \
             |                 ^^^^^\n  \
             = field: spec.relatedLists.modules[1].module\n  \
             = hint: each module may appear once; merge the two entries\n"
        );
    }

    #[test]
    fn render_with_color_wraps_parts_in_ansi_codes() {
        let rendered = Diagnostic::warning("w")
            .at("f.yaml", SOURCE, 1, 1, 4)
            .render(true);
        assert!(
            rendered.starts_with("\x1b[1;33mwarning\x1b[0m"),
            "{rendered:?}"
        );
        assert!(rendered.contains("\x1b[1;33m^^^^\x1b[0m"), "{rendered:?}");
    }

    #[test]
    fn render_without_position_names_only_the_file() {
        let rendered = Diagnostic::error("cannot read file: not found")
            .in_file("missing.yaml")
            .render(false);
        assert_eq!(
            rendered,
            "error: cannot read file: not found\n --> missing.yaml\n"
        );
    }

    #[test]
    fn snippet_expands_tabs_and_escapes_control_characters() {
        let diagnostic = Diagnostic::error("bad").at("f.yaml", "\tkey: \u{1b}[31mx", 1, 7, 1);
        let rendered = diagnostic.render(false);
        assert!(!rendered.contains('\u{1b}'), "{rendered:?}");
        assert!(rendered.contains("    key: \\u{1b}[31mx"), "{rendered:?}");
        // The tab counts as four shown characters before the caret.
        assert!(rendered.contains("|          ^^^^^^\n"), "{rendered:?}");
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let line = format!("name: {}x{}", "a".repeat(10_000), "b".repeat(10_000));
        let diagnostic = Diagnostic::error("bad").at("f.yaml", &line, 1, 10_007, 1);
        let rendered = diagnostic.render(false);
        assert!(rendered.len() < 600, "{} bytes", rendered.len());
        let lines: Vec<&str> = rendered.lines().collect();
        let shown = lines[3].strip_prefix("1 | ").expect(lines[3]);
        assert_eq!(shown.chars().count(), EXCERPT_CHARS + 2, "{shown}");
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        // The caret still points at the `x`.
        let caret = lines[4].find('^').unwrap() - "  | ".len();
        assert_eq!(shown.chars().nth(caret), Some('x'), "{rendered}");
        assert_eq!(diagnostic.location().as_deref(), Some("f.yaml:1:10007"));
    }

    #[test]
    fn long_messages_are_cut() {
        let key = "k".repeat(5_000);
        let diagnostic = Diagnostic::error(format!("unknown field {key:?}")).with_hint(key.clone());
        assert!(diagnostic.render(false).len() < 1_000);
        let json = serde_json::to_string(&diagnostic).unwrap();
        assert!(json.len() < 1_000, "{json}");
    }

    #[test]
    fn diagnostics_serialize_without_the_snippet() {
        let diagnostic = Diagnostic::error("bad")
            .at("f.yaml", SOURCE, 4, 17, 5)
            .with_path("spec.x");
        assert_eq!(
            serde_json::to_value(Diagnostics(vec![diagnostic])).unwrap(),
            serde_json::json!([{
                "severity": "error", "file": "f.yaml", "line": 4, "column": 17,
                "summary": "bad", "hint": null, "path": "spec.x"
            }])
        );
    }

    #[test]
    fn summary_line_counts_errors_warnings_and_files() {
        let mut all = Diagnostics::new();
        assert_eq!(all.summary_line(), "no problems");
        all.push(Diagnostic::error("a").in_file("x.yaml"));
        assert_eq!(all.summary_line(), "1 error in 1 file");
        all.push(Diagnostic::error("b").in_file("x.yaml"));
        all.push(Diagnostic::warning("c").in_file("y.yaml"));
        assert_eq!(all.summary_line(), "2 errors, 1 warning in 2 files");
        assert!(all.has_errors());
        assert_eq!(
            Diagnostics::from(vec![Diagnostic::error("z")]).summary_line(),
            "1 error"
        );
    }
}
