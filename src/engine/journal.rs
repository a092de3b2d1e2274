//! The apply journal every kind can write: one JSON line per operation, written and flushed
//! to disk (fsync) as soon as the operation is done, so an apply killed at any point leaves
//! the record of what it did. A journal without its closing line is an apply that was
//! stopped; the next run reads it to resume without repeating what it finished.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why the journal cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the apply journal {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the apply journal {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "camelCase")]
pub enum Line {
    /// The first line: whose apply this is.
    #[serde(rename_all = "camelCase")]
    Started {
        kind: String,
        name: String,
        target: String,
        at: DateTime<Utc>,
        /// Operations of a stopped apply this one does not repeat.
        resumed: usize,
    },
    /// An operation that succeeded, with what the kind needs to resume after it.
    Done {
        at: DateTime<Utc>,
        what: String,
        #[serde(default, skip_serializing_if = "Value::is_null")]
        detail: Value,
    },
    Failed {
        at: DateTime<Utc>,
        what: String,
        error: String,
    },
    /// The last line of an apply that ran to its end.
    Finished { at: DateTime<Utc>, complete: bool },
}

/// A journal as read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub lines: Vec<Line>,
}

impl Record {
    /// Whether the apply ran to its end (otherwise it was stopped, e.g. killed).
    pub fn finished(&self) -> bool {
        matches!(self.lines.last(), Some(Line::Finished { .. }))
    }

    /// The details of the operations that succeeded.
    pub fn done(&self) -> impl Iterator<Item = &Value> {
        self.lines.iter().filter_map(|line| match line {
            Line::Done { detail, .. } => Some(detail),
            _ => None,
        })
    }

    /// How many operations succeeded.
    pub fn done_count(&self) -> usize {
        self.done().count()
    }
}

/// Where the journal of the resource `name` of `kind` is kept.
pub fn path(state_dir: &Path, kind: &str, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir
        .join("journal")
        .join(format!("{kind}-{safe}.jsonl"))
}

/// Reads a journal; `None` when there is none. A last line cut short by a kill is left out.
pub fn read(path: &Path) -> Result<Option<Record>, JournalError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(JournalError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let lines = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    Ok(Some(Record { lines }))
}

/// The record of an apply that did not run to its end, if the journal at `path` is one.
pub fn stopped(path: &Path) -> Result<Option<Record>, JournalError> {
    Ok(read(path)?.filter(|record| !record.finished()))
}

impl Line {
    /// The first line of an apply of the resource `name` of `kind` against `target`, which
    /// does not repeat the `resumed` operations of a stopped one.
    pub fn started(kind: &str, name: &str, target: &str, resumed: usize) -> Line {
        Line::Started {
            kind: kind.into(),
            name: name.into(),
            target: target.into(),
            at: Utc::now(),
            resumed,
        }
    }
}

/// A journal being written.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Starts a journal at `path` (replacing an earlier one) with its first line.
    pub fn start(path: &Path, started: Line) -> Result<Journal, JournalError> {
        let error = |source| JournalError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(error)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(error)?;
        let journal = Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        };
        journal.write(&started)?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a line and waits until it is on disk.
    pub fn write(&self, line: &Line) -> Result<(), JournalError> {
        let mut text = serde_json::to_string(line).expect("journal lines serialize");
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// Records a succeeded operation; a journal that cannot be written is reported in the
    /// log and the apply goes on (its writes are safe to repeat, only less cheaply).
    pub fn done(&self, what: &str, detail: Value) {
        self.write_or_warn(&Line::Done {
            at: Utc::now(),
            what: what.to_string(),
            detail,
        });
    }

    pub fn failed(&self, what: &str, error: &str) {
        self.write_or_warn(&Line::Failed {
            at: Utc::now(),
            what: what.to_string(),
            error: error.to_string(),
        });
    }

    /// The closing line: the apply ran to its end.
    pub fn finish(&self, complete: bool) {
        self.write_or_warn(&Line::Finished {
            at: Utc::now(),
            complete,
        });
    }

    fn write_or_warn(&self, line: &Line) {
        if let Err(e) = self.write(line) {
            tracing::warn!("{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn started() -> Line {
        Line::Started {
            kind: "office365".into(),
            name: "acme".into(),
            target: "sandbox:x".into(),
            at: Utc::now(),
            resumed: 0,
        }
    }

    #[test]
    fn a_journal_reads_back_line_by_line_and_knows_whether_it_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), "office365", "team/acme");
        assert!(path.ends_with("journal/office365-team_acme.jsonl"));
        assert_eq!(read(&path).unwrap(), None);
        let journal = Journal::start(&path, started()).unwrap();
        journal.done("invite nora@acme.com", Value::Null);
        journal.done("create record", json!({"record": "1"}));
        journal.failed("update record", "boom");
        let stopped = read(&path).unwrap().unwrap();
        assert!(!stopped.finished());
        assert_eq!(stopped.done_count(), 2);
        assert_eq!(stopped.done().nth(1), Some(&json!({"record": "1"})));
        journal.finish(false);
        assert!(read(&path).unwrap().unwrap().finished());
    }

    #[test]
    fn a_line_cut_short_by_a_kill_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), "office365", "acme");
        let journal = Journal::start(&path, started()).unwrap();
        journal.done("a", Value::Null);
        drop(journal);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"entry\":\"done\",\"at\":\"2026-");
        std::fs::write(&path, text).unwrap();
        let record = read(&path).unwrap().unwrap();
        assert_eq!(record.lines.len(), 2);
        assert!(!record.finished());
    }
}
