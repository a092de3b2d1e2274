//! Reading spec files from disk or standard input: a directory stands for the YAML files in
//! it, no more than [`Limits::file_bytes`] is ever read (a larger file is refused at the
//! line and column where it passes the limit), the text must be UTF-8, and a leading byte
//! order mark is dropped.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::limits::{Breach, Limits};
use super::load::SourceFile;

/// A directory stands for the `.yaml` and `.yml` files directly in it, in name order (as
/// `kubectl apply -f DIR` reads them); any other path stands for itself.
pub(crate) fn expand_directory(path: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
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

/// Reads one file (`-`: standard input), at most `limits.file_bytes` of it.
pub(crate) fn read_source(path: &Path, limits: &Limits) -> Result<SourceFile, Box<Diagnostic>> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let limit = u64::try_from(limits.file_bytes).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    let read = if stdin {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
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
    if bytes.len() > limits.file_bytes {
        bytes.truncate(limits.file_bytes);
        return Err(Box::new(too_large(&name, &bytes, limits.file_bytes)));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let bytes = error.into_bytes();
        let before = String::from_utf8_lossy(&bytes[..valid]);
        let (line, column) = line_column(&before);
        Box::new(
            Diagnostic::error(format!("file is not valid UTF-8 (byte {valid} is not)"))
                .at(&name, &before, line, column, 1)
                .with_hint("save the file as UTF-8"),
        )
    })?;
    Ok(SourceFile {
        name,
        text: without_bom(text),
    })
}

/// Refuses a text already in memory that is over the size limit, as [`read_source`] does a
/// file.
pub(crate) fn check_size(name: &str, text: &str, limits: &Limits) -> Result<(), Box<Diagnostic>> {
    if text.len() <= limits.file_bytes {
        return Ok(());
    }
    Err(Box::new(too_large(
        name,
        &text.as_bytes()[..limits.file_bytes],
        limits.file_bytes,
    )))
}

/// The diagnostic for a file over the limit, placed where the limit falls; `head` is the
/// file's first `limit` bytes.
fn too_large(name: &str, head: &[u8], limit: usize) -> Diagnostic {
    let head = String::from_utf8_lossy(head);
    let (line, column) = line_column(&head);
    Diagnostic::error(Breach::FileBytes(limit).to_string())
        .at(name, &head, line, column, 1)
        .with_hint(Breach::FileBytes(limit).hint())
}

/// The 1-based line and column just past the end of `text`.
fn line_column(text: &str) -> (u32, u32) {
    let line = text.matches('\n').count() + 1;
    let line_start = text.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// The text without a leading byte order mark, which YAML allows and editors on Windows
/// write.
pub(crate) fn without_bom(mut text: String) -> String {
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_over_the_limit_is_refused_where_the_limit_falls() {
        let limits = Limits {
            file_bytes: 10,
            ..super::super::limits::LIMITS
        };
        assert!(check_size("f.yaml", "a: 1\nb: 2\n", &limits).is_ok());
        let diagnostic = check_size("f.yaml", "a: 1\nb: 22\n", &limits).unwrap_err();
        assert_eq!(diagnostic.location().as_deref(), Some("f.yaml:2:6"));
        assert_eq!(
            diagnostic.summary,
            "file is larger than the limit of 10 bytes"
        );
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped() {
        assert_eq!(without_bom("\u{FEFF}a: 1".to_owned()), "a: 1");
        assert_eq!(without_bom("a: \u{FEFF}".to_owned()), "a: \u{FEFF}");
    }
}
