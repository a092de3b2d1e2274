//! The steps `plan`, `apply` and `export` share: loading specs (all problems reported
//! before any network call), connecting to the target, observing and planning.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use super::GlobalArgs;
use super::observation;
use super::target::{self, Connected};
use crate::live::Observed;
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::{Desired, Plan};
use crate::spec::{Connection, LoadedIntegration, LoadedOffice365};
use crate::zoho::token_store::FileTokenStore;
use crate::zoho::{ClientOptions, FaultScript};

/// Spec files failed to load or validate; the diagnostics were already printed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSpecs(pub String);

/// Every resource the spec files hold, by kind.
pub struct LoadedSpecs {
    pub integrations: Vec<LoadedIntegration>,
    pub office365: Vec<LoadedOffice365>,
}

impl LoadedSpecs {
    pub fn len(&self) -> usize {
        self.integrations.len() + self.office365.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Loads and validates spec files, printing every diagnostic to `err`.
pub fn load_specs(
    files: &[PathBuf],
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<LoadedSpecs> {
    let report = crate::spec::load_files_report(files);
    if !report.diagnostics.is_empty() {
        let _ = write!(err, "{}", report.diagnostics.render(color));
    }
    if report.diagnostics.has_errors() {
        return Err(InvalidSpecs(report.diagnostics.summary_line()).into());
    }
    Ok(LoadedSpecs {
        integrations: report.integrations,
        office365: report.office365,
    })
}

/// Options of the clients, from the global arguments.
pub fn client_options(global: &GlobalArgs) -> ClientOptions {
    ClientOptions {
        concurrency: global.concurrency as usize,
        fault_script: fault_script_from_env(),
        token_store: Some(Arc::new(FileTokenStore::new(
            global.state_dir.join("tokens.json"),
        ))),
        projects_rate_limit: global.projects_pace(),
        wait_notice: Some(Arc::new(super::progress::say)),
        progress: Some(Arc::new(super::progress::listing_page)),
        ..ClientOptions::default()
    }
}

/// `PROJECTLINK_FAIL_AFTER_CALLS=N` makes every API call after the N-th fail before it is
/// sent, as if the network dropped: the way tests interrupt a run at a chosen point.
fn fault_script_from_env() -> Option<FaultScript> {
    let limit: u64 = std::env::var("PROJECTLINK_FAIL_AFTER_CALLS")
        .ok()?
        .parse()
        .ok()?;
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    Some(Arc::new(move |request| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n > limit {
            Err(crate::zoho::ZohoError::Injected {
                request: request.clone(),
                reason: format!("interrupted after {limit} calls (PROJECTLINK_FAIL_AFTER_CALLS)"),
            })
        } else {
            Ok(())
        }
    }))
}

/// The owner name recorded in markers for a loaded spec.
pub fn owner_of(integration: &LoadedIntegration) -> String {
    integration.name().to_string()
}

/// Everything one integration's planning produced.
pub struct Planned {
    pub connected: Connected,
    pub desired: Desired,
    pub connection: Connection,
    pub observed: Observed,
    pub plan: Plan,
}

/// Turns the spec field paths plan diagnostics point at into `file:line:column`.
fn locate(plan: &mut Plan, integration: &LoadedIntegration) {
    for diagnostic in &mut plan.diagnostics {
        let Some(path) = diagnostic
            .spec_at
            .as_deref()
            .and_then(crate::spec::FieldPath::parse)
        else {
            continue;
        };
        let at = integration.position(&path);
        diagnostic.spec_at = Some(format!(
            "{}:{}:{}",
            integration.source.name, at.line, at.column
        ));
    }
}

/// Connects, observes and plans one integration, printing the target line to `notice`.
pub async fn plan_integration(
    global: &GlobalArgs,
    integration: &LoadedIntegration,
    options: &PlanOptions,
    notice: &mut dyn Write,
) -> anyhow::Result<Planned> {
    let spec = &integration.resource.spec;
    let desired = Desired::from_spec(&owner_of(integration), spec);
    let connected = target::connect(global, &spec.connection, client_options(global)).await?;
    let _ = writeln!(notice, "{}", connected.description);
    let observation = observation::observe(global, &desired, &connected).await?;
    let observed = observation.observed;
    let mut plan = plan(&desired, &observed, options);
    plan.observation = Some(observation.kind);
    locate(&mut plan, integration);
    let observing = observation.spent;
    plan.projects_cost = Some(crate::plan::cost::projects_cost(
        &plan.changes,
        observing.projects_calls,
        std::time::Duration::from_millis(observing.projects_paced_ms),
        global.projects_pace(),
    ));
    // The apply observes again before it writes, from the cache this observation wrote.
    plan.summary.estimated_api_calls += observation.apply_reads.calls();
    plan.summary.estimated_credits += observation.apply_reads.credits();
    // An apply that writes takes the org's lease around its writes.
    if !plan.changes.is_empty() {
        plan.summary.estimated_api_calls += crate::apply::lease::UNCONTENDED_CALLS;
        plan.summary.estimated_credits += crate::apply::lease::UNCONTENDED_CALLS;
    }
    Ok(Planned {
        connected,
        desired,
        connection: spec.connection.clone(),
        observed,
        plan,
    })
}
