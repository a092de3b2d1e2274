//! The Projects kind's apply journal, in the engine's format (`engine::journal`): a line per
//! change as soon as the call that made it has answered, flushed to disk, and a closing line.
//! A killed apply leaves what it did on disk; the next apply says so and, because it plans
//! from what Zoho then holds, repeats none of it.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::executor::ProgressSink;
use super::report::{ChangeOutcome, OutcomeStatus};
use crate::engine::journal::{self, Journal, JournalError, Line};
use crate::spec::KIND_PROJECTS_INTEGRATION;

/// The kind's name in journal file names.
pub const KIND: &str = "projects";

/// What an apply that did not run to its end left in its journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub path: PathBuf,
    /// Changes it made (or found already made) before it stopped.
    pub done: usize,
}

impl Stopped {
    /// Says what the stopped apply did and why this one does not repeat it.
    pub fn notice(&self, integration: &str) -> String {
        format!(
            "The last apply of \"{integration}\" stopped before its end, after {} change(s) (journal: {}). \
             This apply was planned from what Zoho holds now, so none of them is made again.",
            self.done,
            self.path.display()
        )
    }
}

/// Where the journal of `integration` is kept under `state_dir`.
pub fn path(state_dir: &Path, integration: &str) -> PathBuf {
    journal::path(state_dir, KIND, integration)
}

/// The apply of `integration` that was stopped before its end, if its journal says so.
pub fn stopped(state_dir: &Path, integration: &str) -> Result<Option<Stopped>, JournalError> {
    let path = path(state_dir, integration);
    Ok(journal::stopped(&path)?.map(|record| Stopped {
        done: record.done_count(),
        path,
    }))
}

/// Starts the journal of an apply of `integration` against `target`, replacing the last.
pub fn start(
    state_dir: &Path,
    integration: &str,
    target: &str,
    resumed: usize,
) -> Result<Journal, JournalError> {
    let started = Line::started(KIND_PROJECTS_INTEGRATION, integration, target, resumed);
    Journal::start(&path(state_dir, integration), started)
}

/// A progress sink that journals every finished change before passing it on.
pub struct Journaled<'a> {
    pub journal: &'a Journal,
    pub inner: &'a dyn ProgressSink,
}

impl ProgressSink for Journaled<'_> {
    fn begin(&self, total: usize) {
        self.inner.begin(total);
    }

    fn finished(&self, outcome: &ChangeOutcome) {
        let what = outcome.address.to_string();
        match &outcome.status {
            OutcomeStatus::Applied => self.journal.done(&what, json!({"action": outcome.action})),
            OutcomeStatus::AlreadyDone { detail } => self.journal.done(
                &what,
                json!({"action": outcome.action, "alreadyDone": detail}),
            ),
            OutcomeStatus::Failed { error } => self.journal.failed(&what, error),
            OutcomeStatus::Skipped { reason } => {
                self.journal.failed(&what, &format!("skipped: {reason}"))
            }
        }
        self.inner.finished(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::NoProgress;
    use crate::live::Address;
    use crate::plan::Action;

    fn outcome(name: &str, status: OutcomeStatus) -> ChangeOutcome {
        ChangeOutcome {
            address: Address::crm("variable", name),
            action: Action::Create,
            status,
        }
    }

    #[test]
    fn every_change_is_on_disk_when_reported_and_a_journal_without_its_end_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let journal = start(dir.path(), "acme", "sandbox", 0).unwrap();
        let sink = Journaled {
            journal: &journal,
            inner: &NoProgress,
        };
        sink.finished(&outcome("a", OutcomeStatus::Applied));
        sink.finished(&outcome(
            "b",
            OutcomeStatus::Failed {
                error: "refused".into(),
            },
        ));
        let stopped = stopped(dir.path(), "acme")
            .unwrap()
            .expect("no closing line");
        assert_eq!(stopped.done, 1);
        assert!(stopped.notice("acme").contains("after 1 change(s)"));
        journal.finish(false);
        assert_eq!(super::stopped(dir.path(), "acme").unwrap(), None);
    }
}
