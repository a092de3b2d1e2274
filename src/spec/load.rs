//! Loading spec files: multi-document YAML into typed resources, every problem from every
//! file reported with `file:line:column`, and the positions kept so later stages (the
//! planner's diagnostics, error messages) can point into the files too.
//!
//! Each file is read twice: once with the YAML event parser into a position tree (which
//! also finds where each document starts and ends), then document by document with
//! serde-saphyr into the typed resource of the document's kind. Deserializing documents one
//! at a time means a type error in one document does not hide the problems of the next.
//! Every kind goes through the same code, generic over [`SpecKind`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_saphyr::Error as YamlError;

use super::diagnostic::{Diagnostic, Diagnostics, Severity};
use super::document::{Kind, SpecKind};
use super::limits::{LIMITS, Limits};
use super::office365::Office365Integration;
use super::path::FieldPath;
use super::positions::{DocumentPositions, Position};
use super::read::{check_size, expand_directory, read_source, without_bom};
use super::read_errors::{check_header, is_credential_field, redact_value, scan_error, type_error};
use super::scan::{self, Problem, ScanError, ScannedDocument};
use super::types::ProjectsIntegration;
use super::typing;
use super::validate::Finding;

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
pub struct Loaded<R> {
    /// The typed resource (metadata from the file, no status).
    pub resource: R,
    /// The file it came from.
    pub source: Arc<SourceFile>,
    /// Zero-based index of the document within the file (empty documents not counted).
    pub document_index: usize,
    /// Where each node of the document is.
    pub positions: DocumentPositions,
    /// How many error diagnostics loading reported for this document.
    pub(crate) error_count: usize,
    /// Position of the document among all documents loaded together, across kinds.
    pub(crate) sequence: usize,
}

/// A loaded `ProjectsIntegration`.
pub type LoadedIntegration = Loaded<ProjectsIntegration>;
/// A loaded `Office365Integration`.
pub type LoadedOffice365 = Loaded<Office365Integration>;

impl<R: kube::Resource> Loaded<R> {
    /// Whether loading reported an error for this document (it is then not fit to plan).
    pub fn has_errors(&self) -> bool {
        self.error_count > 0
    }

    /// The resource name (`metadata.name`).
    pub fn name(&self) -> &str {
        self.resource.meta().name.as_deref().unwrap_or_default()
    }

    /// The resource namespace (`metadata.namespace`), empty when not given.
    pub fn namespace(&self) -> &str {
        self.resource
            .meta()
            .namespace
            .as_deref()
            .unwrap_or_default()
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
    /// `ProjectsIntegration` resources that deserialized (they may still have validation
    /// errors).
    pub integrations: Vec<LoadedIntegration>,
    /// `Office365Integration` resources that deserialized (they may still have validation
    /// errors).
    pub office365: Vec<LoadedOffice365>,
    /// Every problem, file by file in the order given, by position within a file.
    pub diagnostics: Diagnostics,
    /// Documents read so far, numbering [`Loaded::sequence`].
    documents: usize,
}

/// What every loaded resource says about itself, whatever its kind: for listings such as
/// `projectlink validate`'s.
#[derive(Clone, Copy, Debug)]
pub struct LoadedSummary<'a> {
    /// The resource's kind.
    pub kind: Kind,
    /// `metadata.name`.
    pub name: &'a str,
    /// The file it came from.
    pub source: &'a SourceFile,
    /// Zero-based index of the document within the file.
    pub document_index: usize,
    /// Whether loading reported an error for it.
    pub has_errors: bool,
}

impl LoadReport {
    /// Every loaded resource of every kind, in the order the documents were read.
    pub fn resources(&self) -> Vec<LoadedSummary<'_>> {
        fn summaries<'a, R: SpecKind>(
            loaded: &'a [Loaded<R>],
        ) -> impl Iterator<Item = (usize, LoadedSummary<'a>)> {
            loaded.iter().map(|l| {
                let summary = LoadedSummary {
                    kind: R::KIND,
                    name: l.name(),
                    source: &l.source,
                    document_index: l.document_index,
                    has_errors: l.has_errors(),
                };
                (l.sequence, summary)
            })
        }
        let mut all: Vec<(usize, LoadedSummary<'_>)> = summaries(&self.integrations)
            .chain(summaries(&self.office365))
            .collect();
        all.sort_by_key(|(sequence, _)| *sequence);
        all.into_iter().map(|(_, summary)| summary).collect()
    }

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
/// `.yaml`/`.yml` files in it. Returns the `ProjectsIntegration` resources; the resources of
/// every kind are in [`load_files_report`]'s report.
pub fn load_files(paths: &[PathBuf]) -> Result<Vec<LoadedIntegration>, Diagnostics> {
    load_files_report(paths).into_result()
}

/// Loads and validates one text, named `name` in messages. Returns the
/// `ProjectsIntegration` resources, like [`load_files`].
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
            match read_source(&file, &LIMITS) {
                Ok(source) => load_source(Arc::new(source), &LIMITS, &mut report),
                Err(diagnostic) => report.diagnostics.push(*diagnostic),
            }
        }
    }
    check_unique_names(&mut report);
    report
}

/// Like [`load_str`], but returns what could be loaded together with all diagnostics.
pub fn load_str_report(name: &str, text: &str) -> LoadReport {
    let mut report = LoadReport::default();
    match check_size(name, text, &LIMITS) {
        Ok(()) => load_source(
            Arc::new(SourceFile {
                name: name.to_owned(),
                text: without_bom(text.to_owned()),
            }),
            &LIMITS,
            &mut report,
        ),
        Err(diagnostic) => report.diagnostics.push(*diagnostic),
    }
    check_unique_names(&mut report);
    report
}

fn load_source(source: Arc<SourceFile>, limits: &Limits, report: &mut LoadReport) {
    let stream = scan::scan(&source.text, *limits);
    // A file over a limit is refused as a whole, with that one error: its documents are
    // not worth reading further, and their problems would only bury it.
    let over_limit = matches!(
        stream.error,
        Some(ScanError {
            problem: Problem::Limit(_),
            ..
        })
    );
    let documents = if over_limit {
        &[][..]
    } else {
        &stream.documents
    };
    let mut document_index = 0;
    for document in documents {
        if document.positions.root.is_null() {
            continue;
        }
        load_document(&source, document, document_index, report);
        document_index += 1;
    }
    if let Some(error) = &stream.error {
        let (diagnostic, position) = scan_error(error);
        report
            .diagnostics
            .push(place(&source, diagnostic, position));
    } else if document_index == 0 {
        report.diagnostics.push(
            Diagnostic::error("no documents in file")
                .at(&source.name, &source.text, 1, 1, 1)
                .with_hint(
                    "a spec file holds one or more ProjectsIntegration or Office365Integration documents, separated by ---",
                ),
        );
    }
}

/// Reads one document into the report: its resource, when it could be read, and its
/// diagnostics, in file order.
fn load_document(
    source: &Arc<SourceFile>,
    document: &ScannedDocument,
    document_index: usize,
    report: &mut LoadReport,
) {
    let sequence = report.documents;
    report.documents += 1;
    let mut diagnostics = match check_header(&document.positions.root) {
        Err(problems) => problems
            .into_iter()
            .map(|(diagnostic, position)| place(source, diagnostic, position))
            .collect(),
        Ok(Kind::ProjectsIntegration) => {
            let (loaded, diagnostics) = load_typed(source, document, document_index, sequence);
            report.integrations.extend(loaded);
            diagnostics
        }
        Ok(Kind::Office365Integration) => {
            let (loaded, diagnostics) = load_typed(source, document, document_index, sequence);
            report.office365.extend(loaded);
            diagnostics
        }
    };
    diagnostics.sort_by_key(|d| (d.line, d.column));
    report.diagnostics.extend(diagnostics);
}

fn place(source: &SourceFile, diagnostic: Diagnostic, position: Position) -> Diagnostic {
    diagnostic.at(
        &source.name,
        &source.text,
        position.line,
        position.column,
        position.width,
    )
}

/// Reads a document of kind `R` (its header already checked) and validates it.
fn load_typed<R: SpecKind>(
    source: &Arc<SourceFile>,
    document: &ScannedDocument,
    document_index: usize,
    sequence: usize,
) -> (Option<Loaded<R>>, Vec<Diagnostic>) {
    let positions = &document.positions;
    let mistyped = typing::check(&positions.root, R::KIND);
    if !mistyped.is_empty() {
        let diagnostics = mistyped
            .into_iter()
            .map(|(diagnostic, position)| place(source, diagnostic, position))
            .collect();
        return (None, diagnostics);
    }
    let text = document_text(&source.text, document);
    let options = serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
        reject_unsupported_tags: true,
        budget: serde_saphyr::budget! {
            max_depth: LIMITS.depth,
            max_nodes: LIMITS.nodes,
            max_total_scalar_bytes: LIMITS.text_bytes,
        },
    };
    let parsed: Result<R::Document, YamlError> =
        serde_saphyr::from_str_with_options(&text, options);
    let resource: R = match parsed {
        Ok(parsed) => parsed.into(),
        Err(error) => {
            let (diagnostic, position) = type_error(&error, positions, R::CREDENTIALS_HINT);
            let mut diagnostic = place(source, diagnostic, position);
            if is_credential_field(&error) {
                redact_value(&mut diagnostic);
            }
            return (None, vec![diagnostic]);
        }
    };
    let mut loaded = Loaded {
        resource,
        source: Arc::clone(source),
        document_index,
        positions: positions.clone(),
        error_count: 0,
        sequence,
    };
    let diagnostics: Vec<Diagnostic> = loaded
        .resource
        .validate()
        .into_iter()
        .map(|finding| finding_diagnostic(&loaded, finding))
        .collect();
    loaded.error_count = diagnostics.iter().filter(|d| d.is_error()).count();
    (Some(loaded), diagnostics)
}

/// The document's own text, preceded by blank space standing in for the text before it,
/// so that serde-saphyr's line and column numbers are the file's. The first document needs
/// no padding and is not copied (a file may be up to the size limit).
fn document_text<'a>(text: &'a str, document: &ScannedDocument) -> Cow<'a, str> {
    let own = &text[document.start_byte..document.end_byte];
    if document.start_byte == 0 {
        return Cow::Borrowed(own);
    }
    let before = &text[..document.start_byte];
    let lines_before = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let columns_before = before[line_start..].chars().count();
    let mut padded = String::with_capacity(lines_before + columns_before + own.len());
    padded.extend(std::iter::repeat_n('\n', lines_before));
    padded.extend(std::iter::repeat_n(' ', columns_before));
    padded.push_str(own);
    Cow::Owned(padded)
}

fn finding_diagnostic<R: kube::Resource>(loaded: &Loaded<R>, finding: Finding) -> Diagnostic {
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

/// Two documents of one kind with the same namespace and name would fight over the same
/// integration. (Kubernetes keeps the kinds apart, so an `Office365Integration` may share
/// its name with a `ProjectsIntegration`.)
fn check_unique_names(report: &mut LoadReport) {
    let mut diagnostics = duplicate_names(&mut report.integrations);
    diagnostics.extend(duplicate_names(&mut report.office365));
    report.diagnostics.extend(diagnostics);
}

fn duplicate_names<R: SpecKind>(loaded: &mut [Loaded<R>]) -> Vec<Diagnostic> {
    let name_path = FieldPath::root().key("metadata").key("name");
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for (index, resource) in loaded.iter().enumerate() {
        match first.get(&(resource.namespace(), resource.name())) {
            Some(&earlier) => {
                let earlier = &loaded[earlier];
                let at = earlier.position(&name_path);
                let diagnostic = resource.diagnostic(
                    Severity::Error,
                    &name_path,
                    format!("duplicate resource {}/{}", R::KIND.name(), resource.name()),
                    Some(format!(
                        "each integration needs its own name (first defined at {}:{}:{})",
                        earlier.source.name, at.line, at.column
                    )),
                );
                duplicates.push((index, diagnostic));
            }
            None => {
                first.insert((resource.namespace(), resource.name()), index);
            }
        }
    }
    duplicates
        .into_iter()
        .map(|(index, diagnostic)| {
            loaded[index].error_count += 1;
            diagnostic
        })
        .collect()
}
