//! Loading spec files: multi-document YAML into typed resources, every problem from every
//! file reported with `file:line:column`, and the positions kept so later stages (the
//! planner's diagnostics, error messages) can point into the files too.
//!
//! Each file is read twice: once with the YAML event parser into a position tree (which
//! also finds where each document starts and ends), then document by document with
//! serde-saphyr into the typed resource. Deserializing documents one at a time means a
//! type error in one document does not hide the problems of the next.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_saphyr::Error as YamlError;

use super::diagnostic::{Diagnostic, Diagnostics, Severity};
use super::document::{IntegrationDocument, KIND_PROJECTS_INTEGRATION};
use super::path::FieldPath;
use super::positions::{self, DocumentPositions, Position, ScannedDocument};
use super::read_errors::{check_header, type_error};
use super::types::ProjectsIntegration;
use super::validate::{Finding, validate_resource};

/// A spec file's name (as given by the user) and text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given on the command line (or `<stdin>`), used in messages.
    pub name: String,
    /// The text, without a leading byte order mark.
    pub text: String,
}

/// One resource loaded from a file, with what is needed to point back into the file.
#[derive(Clone, Debug)]
pub struct LoadedIntegration {
    /// The typed resource (metadata from the file, no status).
    pub resource: ProjectsIntegration,
    /// The file it came from.
    pub source: Arc<SourceFile>,
    /// Zero-based index of the document within the file (empty documents not counted).
    pub document_index: usize,
    /// Where each node of the document is.
    pub positions: DocumentPositions,
    /// How many error diagnostics loading reported for this document.
    pub(crate) error_count: usize,
}

impl LoadedIntegration {
    /// Whether loading reported an error for this document (it is then not fit to plan).
    pub fn has_errors(&self) -> bool {
        self.error_count > 0
    }

    /// The resource name (`metadata.name`).
    pub fn name(&self) -> &str {
        self.resource.metadata.name.as_deref().unwrap_or_default()
    }

    /// Where the node at `path` is; for a field left out (defaulted), where its closest
    /// written ancestor is.
    pub fn position(&self, path: &FieldPath) -> Position {
        self.positions.nearest(path)
    }

    /// A diagnostic about the node at `path` of this document, placed in its file.
    pub fn diagnostic(
        &self,
        severity: Severity,
        path: &FieldPath,
        summary: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let position = self.position(path);
        let mut diagnostic = Diagnostic::new(severity, summary)
            .at(
                &self.source.name,
                &self.source.text,
                position.line,
                position.column,
                position.width,
            )
            .with_path(path.to_string());
        diagnostic.hint = hint;
        diagnostic
    }
}

/// Everything loading found: the resources that could be read, and all diagnostics.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Resources that deserialized (they may still have validation errors).
    pub integrations: Vec<LoadedIntegration>,
    /// Every problem, file by file in the order given, by position within a file.
    pub diagnostics: Diagnostics,
}

impl LoadReport {
    fn into_result(self) -> Result<Vec<LoadedIntegration>, Diagnostics> {
        if self.diagnostics.has_errors() {
            Err(self.diagnostics)
        } else {
            Ok(self.integrations)
        }
    }
}

/// Loads and validates every document of every file; `Err` holds all diagnostics when any
/// of them is an error. The path `-` reads standard input; a directory stands for the
/// `.yaml`/`.yml` files in it.
pub fn load_files(paths: &[PathBuf]) -> Result<Vec<LoadedIntegration>, Diagnostics> {
    load_files_report(paths).into_result()
}

/// Loads and validates one text, named `name` in messages.
pub fn load_str(name: &str, text: &str) -> Result<Vec<LoadedIntegration>, Diagnostics> {
    load_str_report(name, text).into_result()
}

/// Like [`load_files`], but returns what could be loaded together with all diagnostics
/// (including warnings when there are no errors).
pub fn load_files_report(paths: &[PathBuf]) -> LoadReport {
    let mut report = LoadReport::default();
    for path in paths {
        let files = match expand_directory(path) {
            Ok(files) => files,
            Err(diagnostic) => {
                report.diagnostics.push(*diagnostic);
                continue;
            }
        };
        for file in files {
            match read_source(&file) {
                Ok(source) => load_source(Arc::new(source), &mut report),
                Err(diagnostic) => report.diagnostics.push(*diagnostic),
            }
        }
    }
    check_unique_names(&mut report);
    report
}

/// A directory stands for the `.yaml` and `.yml` files directly in it, in name order (as
/// `kubectl apply -f DIR` reads them); any other path stands for itself.
fn expand_directory(path: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|error| {
        Box::new(
            Diagnostic::error(format!("cannot read directory: {error}"))
                .in_file(path.display().to_string())
                .with_hint("check the directory's permissions"),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| {
            file.is_file()
                && file
                    .extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Box::new(
            Diagnostic::error("no .yaml or .yml files in directory")
                .in_file(path.display().to_string())
                .with_hint("name spec files FILE.yaml, or give the files themselves"),
        ));
    }
    Ok(files)
}

/// Like [`load_str`], but returns what could be loaded together with all diagnostics.
pub fn load_str_report(name: &str, text: &str) -> LoadReport {
    let mut report = LoadReport::default();
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    load_source(
        Arc::new(SourceFile {
            name: name.to_owned(),
            text: text.to_owned(),
        }),
        &mut report,
    );
    check_unique_names(&mut report);
    report
}

fn read_source(path: &Path) -> Result<SourceFile, Box<Diagnostic>> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if stdin {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    if let Err(error) = read {
        let hint = match error.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; spec files are YAML files such as examples/acme.yaml"
            }
            std::io::ErrorKind::PermissionDenied => "check the file's permissions",
            _ => "check that the path names a readable file",
        };
        return Err(Box::new(
            Diagnostic::error(format!("cannot read file: {error}"))
                .in_file(name)
                .with_hint(hint),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        Box::new(
            Diagnostic::error(format!(
                "file is not valid UTF-8 (byte {} is not)",
                error.utf8_error().valid_up_to()
            ))
            .in_file(name.clone())
            .with_hint("save the file as UTF-8"),
        )
    })?;
    let text = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    Ok(SourceFile { name, text })
}

fn load_source(source: Arc<SourceFile>, report: &mut LoadReport) {
    let stream = positions::scan(&source.text);
    let mut document_index = 0;
    for document in &stream.documents {
        if document.positions.root.is_null() {
            continue;
        }
        let (loaded, mut diagnostics) = load_document(&source, document, document_index);
        diagnostics.sort_by_key(|d| (d.line, d.column));
        report.diagnostics.extend(diagnostics);
        report.integrations.extend(loaded);
        document_index += 1;
    }
    if let Some(error) = &stream.syntax_error {
        report.diagnostics.push(
            Diagnostic::error(format!("invalid YAML: {}", error.message))
                .at(
                    &source.name,
                    &source.text,
                    error.position.line,
                    error.position.column,
                    error.position.width,
                )
                .with_hint(match error.open_bracket {
                    Some((bracket, open)) => format!(
                        "the `{bracket}` opened at line {}, column {} is not closed before this point",
                        open.line, open.column
                    ),
                    None => "check the indentation, quotes and brackets up to this point".to_owned(),
                }),
        );
    } else if document_index == 0 {
        report.diagnostics.push(
            Diagnostic::error("no documents in file")
                .in_file(source.name.clone())
                .with_hint(
                    "a spec file holds one or more ProjectsIntegration documents, separated by ---",
                ),
        );
    }
}

fn load_document(
    source: &Arc<SourceFile>,
    document: &ScannedDocument,
    document_index: usize,
) -> (Option<LoadedIntegration>, Vec<Diagnostic>) {
    let positions = &document.positions;
    let place = |diagnostic: Diagnostic, position: Position| {
        diagnostic.at(
            &source.name,
            &source.text,
            position.line,
            position.column,
            position.width,
        )
    };
    let header = check_header(&positions.root);
    if !header.is_empty() {
        let diagnostics = header
            .into_iter()
            .map(|(diagnostic, position)| place(diagnostic, position))
            .collect();
        return (None, diagnostics);
    }

    let text = document_text(&source.text, document);
    let options = serde_saphyr::options! { with_snippet: false };
    let parsed: Result<IntegrationDocument, YamlError> =
        serde_saphyr::from_str_with_options(&text, options);
    let resource = match parsed {
        Ok(parsed) => parsed.into_resource(),
        Err(error) => {
            let (diagnostic, position) = type_error(&error, positions);
            return (None, vec![place(diagnostic, position)]);
        }
    };
    let mut loaded = LoadedIntegration {
        resource,
        source: Arc::clone(source),
        document_index,
        positions: positions.clone(),
        error_count: 0,
    };
    let diagnostics: Vec<Diagnostic> = validate_resource(&loaded.resource)
        .into_iter()
        .map(|finding| finding_diagnostic(&loaded, finding))
        .collect();
    loaded.error_count = diagnostics.iter().filter(|d| d.is_error()).count();
    (Some(loaded), diagnostics)
}

/// The document's own text, preceded by blank space standing in for the text before it,
/// so that serde-saphyr's line and column numbers are the file's.
fn document_text(text: &str, document: &ScannedDocument) -> String {
    let before = &text[..document.start_byte];
    let lines_before = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let columns_before = before[line_start..].chars().count();
    let mut padded = String::with_capacity(lines_before + columns_before + document.end_byte);
    padded.extend(std::iter::repeat_n('\n', lines_before));
    padded.extend(std::iter::repeat_n(' ', columns_before));
    padded.push_str(&text[document.start_byte..document.end_byte]);
    padded
}

fn finding_diagnostic(loaded: &LoadedIntegration, finding: Finding) -> Diagnostic {
    let Finding {
        severity,
        path,
        at_key,
        summary,
        hint,
        related,
    } = finding;
    let position = match at_key {
        true => loaded.positions.key(&path),
        false => None,
    }
    .unwrap_or_else(|| loaded.position(&path));
    let related = related.and_then(|(path, label)| {
        let position = loaded
            .positions
            .value(&path)
            .or_else(|| loaded.positions.key(&path))?;
        Some(format!("{label} at line {}", position.line))
    });
    let hint = match (hint, related) {
        (Some(hint), Some(related)) => Some(format!("{hint} ({related})")),
        (None, Some(related)) => Some(related),
        (hint, None) => hint,
    };
    let mut diagnostic = Diagnostic::new(severity, summary)
        .at(
            &loaded.source.name,
            &loaded.source.text,
            position.line,
            position.column,
            position.width,
        )
        .with_path(path.to_string());
    diagnostic.hint = hint;
    diagnostic
}

/// Two documents with the same namespace and name would fight over the same integration.
fn check_unique_names(report: &mut LoadReport) {
    let mut first: HashMap<(String, String), &LoadedIntegration> = HashMap::new();
    let mut duplicates = Vec::new();
    for (index, loaded) in report.integrations.iter().enumerate() {
        let key = (
            loaded
                .resource
                .metadata
                .namespace
                .clone()
                .unwrap_or_default(),
            loaded.name().to_owned(),
        );
        match first.get(&key) {
            Some(earlier) => {
                let at = earlier.position(&FieldPath::root().key("metadata").key("name"));
                duplicates.push((
                    index,
                    loaded.diagnostic(
                        Severity::Error,
                        &FieldPath::root().key("metadata").key("name"),
                        format!(
                            "duplicate resource {KIND_PROJECTS_INTEGRATION}/{}",
                            loaded.name()
                        ),
                        Some(format!(
                            "each integration needs its own name (first defined at {}:{}:{})",
                            earlier.source.name, at.line, at.column
                        )),
                    ),
                ));
            }
            None => {
                first.insert(key, loaded);
            }
        }
    }
    for (index, diagnostic) in duplicates {
        report.integrations[index].error_count += 1;
        report.diagnostics.push(diagnostic);
    }
}
