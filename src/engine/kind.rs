//! The contract a kind implements to run on the shared engine, and the stages every
//! front-end (CLI `plan`/`apply`, the operator) runs on any kind through it: the view of a
//! plan and of an apply's report that the shared stages read, the apply gate and the exit
//! codes. A front-end decides what to do with a plan from [`KindPlan`] alone, so a third
//! kind plugs in by implementing [`Kind`], not by copying a pipeline.

use std::future::Future;
use std::path::{Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::journal::{self, Journal, JournalError, Line, Record};
use super::safety::{EXIT_REFUSED, Refusal};

/// Exit codes of `plan` and `apply`, whatever the kind (DESIGN.md §4).
pub mod exit {
    /// Success, or no changes.
    pub const OK: u8 = 0;
    /// An error: bad input, an unreachable or misbehaving server, a failed change.
    pub const ERROR: u8 = 1;
    /// Changes are present (with `--detailed-exitcode`).
    pub const CHANGES: u8 = 2;
    /// The plan was refused as unsafe.
    pub const REFUSED: u8 = super::EXIT_REFUSED;
}

/// What the shared stages read of a kind's plan.
pub trait KindPlan {
    /// How many operations the plan holds.
    fn change_count(&self) -> usize;
    /// One line per operation (or per group of operations), for people.
    fn change_lines(&self) -> Vec<String>;
    /// Problems the plan found, in the engine's one diagnostic type.
    fn diagnostics(&self) -> &[Diagnostic];
    /// Every error diagnostic, one line each with its hint: any of them blocks the apply.
    fn error_lines(&self) -> Vec<String> {
        let errors = self.diagnostics().iter().filter(|d| d.is_error());
        errors.map(Diagnostic::line).collect()
    }
    /// `policy.observeOnly`: the plan is shown and never applied.
    fn observe_only(&self) -> bool;
    /// Why the safety stage refused the plan.
    fn refusal(&self) -> Option<&Refusal>;

    fn has_errors(&self) -> bool {
        self.diagnostics().iter().any(Diagnostic::is_error)
    }
}

/// The [`KindPlan`] accessors of a plan type with `diagnostics`, `observe_only` and
/// `refusal` fields, as every kind's plan has them.
macro_rules! plan_gate_fields {
    () => {
        fn diagnostics(&self) -> &[$crate::engine::diagnostic::Diagnostic] {
            &self.diagnostics
        }

        fn observe_only(&self) -> bool {
            self.observe_only
        }

        fn refusal(&self) -> Option<&$crate::engine::safety::Refusal> {
            self.refusal.as_ref()
        }
    };
}
pub(crate) use plan_gate_fields;

/// What the shared stages read of an apply's report.
pub trait KindReport {
    /// Operations that wrote.
    fn written(&self) -> usize;
    /// What was done, one line per operation or group, for Events and reports.
    fn done_lines(&self) -> Vec<String>;
    /// What failed, each with its error.
    fn failed_lines(&self) -> Vec<String>;
    /// Operations not run because one they depend on failed.
    fn skipped(&self) -> usize;
    /// Every planned operation succeeded.
    fn is_complete(&self) -> bool {
        self.failed_lines().is_empty() && self.skipped() == 0
    }
}

/// One kind: what it manages, how it reads it, plans it and writes it. Observing never
/// writes; applying one operation twice does no harm (each create finds what an earlier
/// attempt made).
pub trait Kind {
    /// The kind's name, as in `kind:`.
    const KIND: &'static str;
    /// The kind's name in journal file names.
    const JOURNAL: &'static str;
    /// The desired state, from a validated spec.
    type Desired: Send + Sync;
    /// The connected clients of the systems the kind reads and writes.
    type Clients: Send + Sync;
    /// What observing found.
    type Observed: Send + Sync;
    /// Operations with their reasons, diagnostics and the safety stage's verdict.
    type Plan: KindPlan + Send + Sync;
    /// What an apply did, operation by operation.
    type Report: KindReport + Send;
    /// Why observing failed.
    type ObserveError: std::error::Error + Send + Sync + 'static;

    /// Reads the live state the plan needs; nothing is written.
    fn observe(
        desired: &Self::Desired,
        clients: &Self::Clients,
    ) -> impl Future<Output = Result<Self::Observed, Self::ObserveError>> + Send;

    /// Plans the operations that make the live state match the desired state, and passes
    /// them through the safety stage with `options`. Pure: no I/O.
    fn plan(desired: &Self::Desired, observed: &Self::Observed, options: &Options) -> Self::Plan;

    /// Changes `plan` so that it does not repeat what the stopped apply recorded in its
    /// journal (`stopped`) and the observation cannot show; the number of operations
    /// changed. Kinds whose observation shows everything an apply did change nothing.
    fn resume(_plan: &mut Self::Plan, _observed: &Self::Observed, _stopped: &Record) -> usize {
        0
    }

    /// Runs the plan's operations, keeping going past independent failures; `journal` hears
    /// of each operation as it finishes.
    fn apply(
        plan: &Self::Plan,
        observed: &Self::Observed,
        clients: &Self::Clients,
        hooks: &Hooks<'_>,
    ) -> impl Future<Output = Self::Report> + Send;
}

/// What the command line (or the operator's annotations) allow beyond the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--prune`: deletions may run even when `policy.prune` is off.
    pub prune: bool,
    /// `--force` (operator: the allow-destructive annotation): nothing is refused.
    pub force: bool,
}

/// Told of each finished operation: how many are done, of the total, and the one just done
/// (may be empty).
pub type Progress<'a> = dyn Fn(usize, usize, &str) + Send + Sync + 'a;

/// Where an apply reports as it goes.
#[derive(Default, Clone, Copy)]
pub struct Hooks<'a> {
    pub progress: Option<&'a Progress<'a>>,
    /// The journal each finished operation is written to.
    pub journal: Option<&'a super::journal::Journal>,
}

/// A journal started for an apply, and what it resumed.
pub struct Started {
    pub journal: Journal,
    /// The apply before this one stopped before its end.
    pub resumed: Option<Resumed>,
}

/// What a stopped apply left, as this one resumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// Its journal.
    pub path: PathBuf,
    /// Operations it finished, which this apply does not repeat.
    pub done: usize,
    /// Operations of this plan the kind changed so as not to repeat them.
    pub changed: usize,
}

/// Starts the journal of an apply of `plan` (`<dir>/journal/<kind>-<name>.jsonl`). When the
/// last apply of the resource stopped before its end, the kind first resumes it
/// ([`Kind::resume`]).
pub fn start_journal<K: Kind>(
    dir: &Path,
    (name, target): (&str, &str),
    plan: &mut K::Plan,
    observed: &K::Observed,
) -> Result<Started, JournalError> {
    let path = journal::path(dir, K::JOURNAL, name);
    let resumed = journal::stopped(&path)?.map(|stopped| Resumed {
        done: stopped.done_count(),
        changed: K::resume(plan, observed, &stopped),
        path: path.clone(),
    });
    let done = resumed.as_ref().map_or(0, |r| r.done);
    let journal = Journal::start(&path, Line::started(K::KIND, name, target, done))?;
    Ok(Started { journal, resumed })
}

/// What happens to a plan before any write, the same for every kind and front-end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Error diagnostics: nothing may be applied.
    Errors,
    /// `policy.observeOnly`: shown, never applied.
    ObserveOnly,
    /// Refused by the safety stage.
    Refused(Refusal),
    /// Nothing to change.
    InSync,
    /// The plan may be applied.
    Apply,
}

impl Gate {
    /// The gate of `plan`, in order of precedence: errors, observe-only, a refusal, nothing
    /// to do.
    pub fn of(plan: &impl KindPlan) -> Gate {
        if plan.has_errors() {
            Gate::Errors
        } else if plan.observe_only() {
            Gate::ObserveOnly
        } else if let Some(refusal) = plan.refusal() {
            Gate::Refused(refusal.clone())
        } else if plan.change_count() == 0 {
            Gate::InSync
        } else {
            Gate::Apply
        }
    }

    /// What `apply` says and returns when the gate stops it: the line, whether it goes to
    /// standard error, and the exit code. `None` when there is nothing to say.
    pub fn stop(&self) -> Option<(String, bool, u8)> {
        match self {
            Gate::Errors => Some((
                "Nothing applied: fix the errors above first.".into(),
                true,
                exit::ERROR,
            )),
            Gate::ObserveOnly => Some((
                "Nothing applied: policy.observeOnly is set.".into(),
                false,
                exit::OK,
            )),
            Gate::Refused(refusal) => Some((refusal.nothing_applied(), true, exit::REFUSED)),
            Gate::InSync | Gate::Apply => None,
        }
    }
}

/// The exit code of `plan`: 1 with errors, 3 when refused, 2 for changes with
/// `--detailed-exitcode`, else 0. Codes of several plans combine with [`combine`].
pub fn plan_exit_code(plan: &impl KindPlan, detailed: bool) -> u8 {
    if plan.has_errors() {
        exit::ERROR
    } else if plan.refusal().is_some() {
        exit::REFUSED
    } else if detailed && plan.change_count() > 0 {
        exit::CHANGES
    } else {
        exit::OK
    }
}

/// The exit code of an apply that ran: 0 when every operation succeeded, else 1.
pub fn apply_exit_code(report: &impl KindReport) -> u8 {
    if report.is_complete() {
        exit::OK
    } else {
        exit::ERROR
    }
}

/// Combines the exit codes of several resources: an error outweighs a refusal, which
/// outweighs pending changes.
pub fn combine(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        exit::ERROR => 3,
        exit::REFUSED => 2,
        exit::CHANGES => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diagnostic::DiagnosticCode;

    #[derive(Default)]
    struct Fake {
        changes: usize,
        errors: Vec<Diagnostic>,
        observe_only: bool,
        refusal: Option<Refusal>,
    }

    impl KindPlan for Fake {
        fn change_count(&self) -> usize {
            self.changes
        }
        fn change_lines(&self) -> Vec<String> {
            vec!["change".into(); self.changes]
        }
        fn diagnostics(&self) -> &[Diagnostic] {
            &self.errors
        }
        fn observe_only(&self) -> bool {
            self.observe_only
        }
        fn refusal(&self) -> Option<&Refusal> {
            self.refusal.as_ref()
        }
    }

    fn refusal() -> Refusal {
        Refusal {
            reason: "2 deletion(s) need prune".into(),
            hint: "set policy.prune".into(),
        }
    }

    #[test]
    fn errors_outrank_observe_only_which_outranks_a_refusal() {
        let all = Fake {
            changes: 3,
            errors: vec![Diagnostic::error(DiagnosticCode::FieldNotFound, "bad")],
            observe_only: true,
            refusal: Some(refusal()),
        };
        assert_eq!(Gate::of(&all), Gate::Errors);
        let watched = Fake {
            errors: Vec::new(),
            ..all
        };
        assert_eq!(Gate::of(&watched), Gate::ObserveOnly);
        let refused = Fake {
            observe_only: false,
            ..watched
        };
        assert_eq!(Gate::of(&refused), Gate::Refused(refusal()));
        assert_eq!(Gate::of(&Fake::default()), Gate::InSync);
        let ready = Fake {
            changes: 1,
            ..Fake::default()
        };
        assert_eq!(Gate::of(&ready), Gate::Apply);
    }

    #[test]
    fn a_refused_gate_says_why_on_standard_error_with_the_refused_code() {
        let (line, to_err, code) = Gate::Refused(refusal()).stop().unwrap();
        assert!(line.contains("2 deletion(s) need prune"), "{line}");
        assert!(to_err);
        assert_eq!(code, exit::REFUSED);
        assert_eq!(Gate::InSync.stop(), None);
    }

    #[test]
    fn plan_exit_codes_follow_the_gate() {
        let changed = Fake {
            changes: 2,
            ..Fake::default()
        };
        assert_eq!(plan_exit_code(&changed, false), exit::OK);
        assert_eq!(plan_exit_code(&changed, true), exit::CHANGES);
        let refused = Fake {
            refusal: Some(refusal()),
            ..changed
        };
        assert_eq!(plan_exit_code(&refused, true), exit::REFUSED);
        assert_eq!(combine(exit::CHANGES, exit::REFUSED), exit::REFUSED);
        assert_eq!(combine(exit::ERROR, exit::REFUSED), exit::ERROR);
    }
}
