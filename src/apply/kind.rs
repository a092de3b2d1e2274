//! The Projects integration as a kind of the shared engine: its observation (`live`), its
//! planner (`plan`) and this executor behind the [`Kind`] contract, and its plan and apply
//! report as the shared stages read them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::journal::Journaled;
use super::{ApplyOptions, ApplyReport, ChangeOutcome, OutcomeStatus, ProgressSink, execute};
use crate::engine::kind::{Hooks, Kind, KindPlan, KindReport, Options, Progress, plan_gate_fields};
use crate::live::cached::{CacheUse, observe_cached};
use crate::live::observe::ObserveError;
use crate::live::{Observed, ProjectsGrant};
use crate::plan::{Desired, Plan};
use crate::spec::KIND_PROJECTS_INTEGRATION;
use crate::zoho::ZohoClients;

/// The `ProjectsIntegration` kind.
pub struct ProjectsKind;

/// What the Projects kind reads and writes through, and how.
pub struct ProjectsClients {
    pub zoho: Arc<ZohoClients>,
    /// Whether the portal owner has granted access to the portal.
    pub grant: ProjectsGrant,
    /// The observation cache; the default observes in full.
    pub cache: CacheUse,
    /// Changes in flight at once.
    pub concurrency: usize,
}

impl Kind for ProjectsKind {
    const KIND: &'static str = KIND_PROJECTS_INTEGRATION;
    const JOURNAL: &'static str = super::journal::KIND;
    type Desired = Desired;
    type Clients = ProjectsClients;
    type Observed = Observed;
    type Plan = Plan;
    type Report = ApplyReport;
    type ObserveError = ObserveError;

    async fn observe(
        desired: &Desired,
        clients: &ProjectsClients,
    ) -> Result<Observed, ObserveError> {
        let zoho = &clients.zoho;
        let grant = clients.grant.clone();
        let cached =
            observe_cached(desired, &zoho.crm, &zoho.projects, grant, &clients.cache).await?;
        for warning in &cached.warnings {
            tracing::warn!(integration = %desired.owner, "{warning}");
        }
        tracing::info!(integration = %desired.owner, "{}", cached.kind.describe());
        Ok(cached.observed)
    }

    fn plan(desired: &Desired, observed: &Observed, options: &Options) -> Plan {
        crate::plan::planner::plan(desired, observed, options)
    }

    async fn apply(
        plan: &Plan,
        _observed: &Observed,
        clients: &ProjectsClients,
        hooks: &Hooks<'_>,
    ) -> ApplyReport {
        ProjectsKind::execute(plan, &clients.zoho, clients.concurrency, hooks).await
    }
}

impl ProjectsKind {
    /// Runs `plan` with `concurrency` changes in flight, reporting to `hooks`. What the
    /// plan writes carries everything it needs: no observation is read.
    pub async fn execute(
        plan: &Plan,
        zoho: &ZohoClients,
        concurrency: usize,
        hooks: &Hooks<'_>,
    ) -> ApplyReport {
        let counted = Counted {
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            progress: hooks.progress,
        };
        let journaled;
        let sink: &dyn ProgressSink = match hooks.journal {
            Some(journal) => {
                journaled = Journaled {
                    journal,
                    inner: &counted,
                };
                &journaled
            }
            None => &counted,
        };
        let options = ApplyOptions { concurrency };
        execute(plan, &zoho.crm, &zoho.projects, &options, sink).await
    }
}

/// Progress as operations done of the total.
struct Counted<'a> {
    done: AtomicUsize,
    total: AtomicUsize,
    progress: Option<&'a Progress<'a>>,
}

impl ProgressSink for Counted<'_> {
    fn begin(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }

    fn finished(&self, outcome: &ChangeOutcome) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(progress) = self.progress {
            let total = self.total.load(Ordering::Relaxed);
            progress(done, total, &outcome.address.to_string());
        }
    }
}

impl KindPlan for Plan {
    fn change_count(&self) -> usize {
        self.changes.len()
    }

    fn change_lines(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| format!("{} {}", c.action.label(), c.address))
            .collect()
    }

    plan_gate_fields!();
}

impl KindReport for ApplyReport {
    fn written(&self) -> usize {
        self.applied()
    }

    fn done_lines(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.succeeded())
            .map(|o| format!("{} {}", o.action.label(), o.address))
            .collect()
    }

    fn failed_lines(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter_map(|o| match &o.status {
                OutcomeStatus::Failed { error } => {
                    Some(format!("{} {}: {error}", o.action.label(), o.address))
                }
                _ => None,
            })
            .collect()
    }

    fn skipped(&self) -> usize {
        ApplyReport::skipped(self)
    }

    fn is_complete(&self) -> bool {
        ApplyReport::is_complete(self)
    }
}
