//! How problems met while reading a document become diagnostics: a wrong `apiVersion` or
//! `kind` (checked on the position tree before the typed read), and serde-saphyr's type
//! errors, reworded in YAML terms with a hint and the field path they are about. An unknown
//! field that looks like a credential gets a hint saying where credentials go instead.

use serde_saphyr::Error as YamlError;

use super::diagnostic::Diagnostic;
use super::document::{API_VERSION, Kind};
use super::names::suggest;
use super::path::FieldPath;
use super::positions::{DocumentPositions, Node, NodeKind, Position};
use super::scan::{Problem, ScanError};

/// Checks `apiVersion` and `kind` before the typed read, so an unsupported kind is reported
/// as such (and at the `kind` line) rather than as a list of unknown fields. Returns the
/// document's kind when both are right, every problem otherwise.
pub(crate) fn check_header(root: &Node) -> Result<Kind, Vec<(Diagnostic, Position)>> {
    let kinds = || Kind::names().collect::<Vec<_>>().join(" or kind: ");
    if !matches!(root.kind, NodeKind::Mapping(_)) {
        return Err(vec![(
            Diagnostic::error(
                "a document must be a mapping with apiVersion, kind, metadata and spec",
            )
            .with_hint(format!(
                "start the document with apiVersion: {API_VERSION} and kind: {}",
                kinds()
            )),
            root.position,
        )]);
    }
    let mut problems = Vec::new();
    let mut found = None;
    match root.entry("kind") {
        None => problems.push((
            Diagnostic::error("missing field \"kind\"").with_hint(format!("add kind: {}", kinds())),
            root.position,
        )),
        Some((_, value)) => match value.scalar() {
            Some(kind) if Kind::from_name(kind).is_some() => found = Kind::from_name(kind),
            Some(kind) => {
                let supported = Kind::names().collect::<Vec<_>>().join(" and ");
                let mut hint = format!("the supported kinds are {supported}");
                if let Some(guess) = suggest(kind, Kind::names()) {
                    hint = format!("did you mean {guess:?}? {hint}");
                }
                problems.push((
                    Diagnostic::error(format!("unsupported kind {kind:?}"))
                        .with_path("kind")
                        .with_hint(hint),
                    value.position,
                ));
            }
            None => problems.push((
                Diagnostic::error("kind must be a string")
                    .with_path("kind")
                    .with_hint(format!("write kind: {}", kinds())),
                value.position,
            )),
        },
    }
    match root.entry("apiVersion") {
        None => problems.push((
            Diagnostic::error("missing field \"apiVersion\"")
                .with_hint(format!("add apiVersion: {API_VERSION}")),
            root.position,
        )),
        Some((_, value)) if value.scalar() == Some(API_VERSION) => {}
        Some((_, value)) => problems.push((
            Diagnostic::error(match value.scalar() {
                Some(version) => format!("unsupported apiVersion {version:?}"),
                None => "apiVersion must be a string".to_owned(),
            })
            .with_path("apiVersion")
            .with_hint(format!("write apiVersion: {API_VERSION}")),
            value.position,
        )),
    }
    match found {
        Some(kind) if problems.is_empty() => Ok(kind),
        _ => Err(problems),
    }
}

/// Turns the problem that stopped the first read of a file into a diagnostic.
pub(crate) fn scan_error(error: &ScanError) -> (Diagnostic, Position) {
    let diagnostic = match &error.problem {
        Problem::Syntax {
            message,
            open_bracket,
        } => Diagnostic::error(format!("invalid YAML: {message}")).with_hint(match open_bracket {
            Some((bracket, open)) => format!(
                "the `{bracket}` opened at line {}, column {} is not closed before this point",
                open.line, open.column
            ),
            None if message.contains("tab") => {
                "indent with spaces: YAML does not allow tabs in indentation".to_owned()
            }
            None => "check the indentation, quotes and brackets up to this point".to_owned(),
        }),
        Problem::Limit(breach) => Diagnostic::error(breach.to_string()).with_hint(breach.hint()),
        Problem::UnknownTag(tag) => {
            Diagnostic::error(format!("unsupported tag {:?}", clip(tag, 40))).with_hint(
                "specs use the YAML 1.2 core schema: remove the tag, or use !!str, !!int, !!float, !!bool or !!null",
            )
        }
        Problem::MisplacedTag(tag) => Diagnostic::error(format!("tag {tag} does not fit this node"))
            .with_hint("remove the tag"),
        Problem::DuplicateKey { key, first } => Diagnostic::error(format!(
            "duplicate key {:?}",
            clip(key, 40)
        ))
        .with_hint(format!(
            "first written at line {}, column {}; each key may appear once in a mapping, so remove or merge one of them",
            first.line, first.column
        )),
    };
    (diagnostic, error.position)
}

fn clip(text: &str, chars: usize) -> String {
    let mut clipped: String = text.chars().take(chars).collect();
    if text.chars().nth(chars).is_some() {
        clipped.push('…');
    }
    clipped
}

/// Turns a serde-saphyr error into a diagnostic with a plain-language summary and a hint.
/// `credentials_hint` says where credentials go, for an unknown field that looks like one.
pub(crate) fn type_error(
    error: &YamlError,
    positions: &DocumentPositions,
    credentials_hint: &str,
) -> (Diagnostic, Position) {
    let error = error.without_snippet();
    let (path, position) = locate(error, positions);
    let (summary, hint) = explain(error, &path, positions, credentials_hint);
    let mut diagnostic = Diagnostic::error(summary).with_path(path.to_string());
    diagnostic.hint = hint;
    (diagnostic, position)
}

/// The spec path an error is about, and where in the file to point at.
fn locate(error: &YamlError, positions: &DocumentPositions) -> (FieldPath, Position) {
    let location = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (clamp(l.line()), clamp(l.column())));
    let missing_field = matches!(error, YamlError::SerdeMissingField { .. });
    let path = location
        .and_then(|(line, column)| positions.path_at(line, column, missing_field))
        .unwrap_or_default();
    let position = match location {
        // Point at the mapping lacking the field: its key, or the document's start.
        Some(_) if missing_field => positions.key(&path).unwrap_or(positions.root.position),
        None => positions.root.position,
        Some((line, column)) => [positions.key(&path), positions.value(&path)]
            .into_iter()
            .flatten()
            .find(|p| p.line == line && p.column == column)
            .unwrap_or(Position {
                line,
                column,
                width: 1,
            }),
    };
    (path, position)
}

/// `" in <path>"`, or nothing at the document's root.
fn within(p: &FieldPath) -> String {
    if p.is_root() {
        String::new()
    } else {
        format!(" in {p}")
    }
}

/// The summary and hint for an error at `path`.
fn explain(
    error: &YamlError,
    path: &FieldPath,
    positions: &DocumentPositions,
    credentials_hint: &str,
) -> (String, Option<String>) {
    match error {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => unknown_field(field, expected, path, credentials_hint),
        YamlError::SerdeMissingField { field, .. } => (
            format!("missing field {field:?}{}", within(path)),
            Some(if path.is_root() {
                format!("add `{field}:` at the top level of the document")
            } else {
                format!("add `{field}:` under {path}")
            }),
        ),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let mut hint = format!("expected one of: {}", expected.join(", "));
            if let Some(guess) = suggest(variant, expected.iter().copied()) {
                hint = format!("did you mean {guess:?}? {hint}");
            }
            (
                format!("unknown value {variant:?}{}", within(path)),
                Some(hint),
            )
        }
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | YamlError::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => {
            let expected = describe_expected(expected);
            (
                format!(
                    "wrong type{}: expected {expected}, found {unexpected}",
                    within(path)
                ),
                type_hint(&expected),
            )
        }
        YamlError::InvalidScalar { ty, .. } | YamlError::Unexpected { expected: ty, .. } => {
            missing_or_wrong(ty, path, positions)
        }
        YamlError::NullIntoString { .. } => (
            format!("missing value{}", within(path)),
            Some("write a value, or \"\" for an empty text".to_owned()),
        ),
        YamlError::DuplicateMappingKey { key, .. } => (
            match key {
                Some(key) => format!("duplicate key {key:?}"),
                None => "duplicate key".to_owned(),
            },
            Some("each key may appear once in a mapping; remove or merge one of them".to_owned()),
        ),
        other => {
            use serde_saphyr::MessageFormatter as _;
            let message = serde_saphyr::DefaultMessageFormatter.format_message(other);
            (message.into_owned(), None)
        }
    }
}

fn unknown_field(
    field: &str,
    expected: &[&str],
    path: &FieldPath,
    credentials_hint: &str,
) -> (String, Option<String>) {
    let mut hint = format!("expected one of: {}", expected.join(", "));
    if looks_like_credential(field) {
        hint = format!("credentials never appear in a spec: {credentials_hint}");
    }
    if let Some(guess) = suggest(field, expected.iter().copied()) {
        hint = format!("did you mean {guess:?}? {hint}");
    }
    (
        format!("unknown field {field:?}{}", within(&path.parent())),
        Some(hint),
    )
}

/// A scalar of the wrong type, or an empty value where a list or mapping belongs.
fn missing_or_wrong(
    ty: &str,
    path: &FieldPath,
    positions: &DocumentPositions,
) -> (String, Option<String>) {
    let expected = describe_expected(ty);
    let empty = positions.node(path).is_some_and(Node::is_null);
    match (empty, expected.as_str()) {
        (true, "a list") => (
            format!("missing value{}: expected a list", within(path)),
            Some("write [] for an empty list, or leave the key out".to_owned()),
        ),
        (true, "a mapping") => (
            format!("missing value{}: expected a mapping", within(path)),
            Some("write {} for an empty mapping, or leave the key out".to_owned()),
        ),
        _ => (
            format!("wrong type{}: expected {expected}", within(path)),
            type_hint(&expected),
        ),
    }
}

/// Whether the error is about a field that looks like a credential, whose value must then
/// not be shown in the diagnostic's snippet (it may be a real secret, and diagnostics end
/// up in CI logs).
pub(crate) fn is_credential_field(error: &YamlError) -> bool {
    matches!(error.without_snippet(), YamlError::SerdeUnknownField { field, .. } if looks_like_credential(field))
}

/// Replaces what follows the key on the diagnostic's source line, so a credential written
/// into a spec is not repeated in the output.
pub(crate) fn redact_value(diagnostic: &mut Diagnostic) {
    let (Some(line), Some(column)) = (diagnostic.source_line.as_mut(), diagnostic.column) else {
        return;
    };
    let keep = column
        .saturating_sub(1)
        .saturating_sub(diagnostic.excerpt_start) as usize
        + diagnostic.width as usize;
    diagnostic.excerpt_cut_end = false;
    let mut redacted: String = line.chars().take(keep).collect();
    redacted.push_str(": (value hidden)");
    *line = redacted;
}

/// Whether a field name says it holds a credential (`clientSecret`, `client_id`,
/// `refreshToken`, `password`, ...). References to secrets (`...Ref`) do not.
fn looks_like_credential(field: &str) -> bool {
    let name: String = field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    !name.ends_with("ref")
        && [
            "secret",
            "password",
            "passwd",
            "token",
            "apikey",
            "clientid",
            "credential",
            "privatekey",
        ]
        .iter()
        .any(|word| name.contains(word))
}

fn clamp(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Serde and serde-saphyr name Rust types and parser events in what they expected; say it
/// in YAML terms.
fn describe_expected(expected: &str) -> String {
    let text = match expected {
        "boolean" | "bool" | "a boolean" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "floating point" | "f32" | "f64" => "a number",
        "sequence start" | "a sequence" => "a list",
        "mapping start" | "a map" | "empty mapping start" => "a mapping",
        "string scalar" | "a string" | "scalar" => "a text value",
        other if other.starts_with("struct ") => "a mapping",
        other if other.starts_with("enum ") => "one of the allowed values",
        other => other,
    };
    text.to_owned()
}

fn type_hint(expected: &str) -> Option<String> {
    let hint = match expected {
        "true or false" => "write true or false",
        "a whole number, 0 or more" | "a whole number" | "a number" => "write a number, e.g. 30",
        "a list" => "write a list: one `- item` per line, or [item, item]",
        "a mapping" => "write `key: value` lines indented under this key, or {key: value}",
        "a text value" => "write a single value; quote it if it contains : [ ] { } or #",
        _ => return None,
    };
    Some(hint.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_like_field_names_are_recognised() {
        for field in [
            "clientSecret",
            "client_secret",
            "clientId",
            "refreshToken",
            "password",
            "apiKey",
            "graphSecret",
            "credentials",
        ] {
            assert!(looks_like_credential(field), "{field}");
        }
        for field in ["secretRef", "graphSecretRef", "tenant", "portal", "users"] {
            assert!(!looks_like_credential(field), "{field}");
        }
    }
}
