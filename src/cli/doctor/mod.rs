//! `projectlink doctor`: will projectlink work against this org, with these credentials?
//! A read-only probe of the org each spec names, connected exactly as `plan` connects: every
//! grant refreshed once at its data centre's accounts server, its scopes against what each
//! configured feature needs, the acting user's admin rights, the edition and credits left,
//! the Projects portal and role, and every endpoint projectlink reads called once and checked
//! against the shape its client expects. Only GETs reach CRM, Projects and Graph; the one
//! POST is the OAuth token request (which token caching keeps as plan would).

mod crm;
mod grants;
mod graph;
mod projects;
pub mod report;
mod shape;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{self, Connected};
use super::workflow::{client_options, load_specs};
use crate::live::ProjectsGrant;
use crate::spec::{Connection, LoadedIntegration, LoadedOffice365};
use grants::Grant;
use report::{Check, Report, Section};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Spec files (YAML); a directory stands for its .yaml and .yml files, `-` for stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Output format: a checklist for people, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
}

/// Runs every check of every spec resource; exit 0 all good, 1 something will fail, 2
/// warnings only.
pub async fn run(
    global: &GlobalArgs,
    args: &DoctorArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let specs = load_specs(&args.files, err, global.stderr_color())?;
    let mut report = Report::default();
    for integration in &specs.integrations {
        report
            .sections
            .push(projects_integration(global, integration).await);
    }
    for loaded in &specs.office365 {
        report
            .sections
            .push(office365_integration(global, loaded).await);
    }
    match args.format {
        DoctorFormat::Text => write!(out, "{}", report.text())?,
        DoctorFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report.json())?)?,
    }
    Ok(report.exit_code())
}

/// Connects as `plan` does; a failure becomes the section's only check.
async fn connect(
    global: &GlobalArgs,
    connection: &Connection,
    section: &mut Section,
) -> Option<Connected> {
    match target::connect(global, connection, client_options(global)).await {
        Ok(connected) => {
            section.target = connected.description.clone();
            Some(connected)
        }
        Err(e) => {
            let causes: Vec<String> = e.chain().map(ToString::to_string).collect();
            section.checks.push(Check::fail(
                "connect",
                causes.join(": "),
                "configure the credentials the spec's connection names (see projectlink --help)",
            ));
            None
        }
    }
}

fn section(kind: &'static str, name: &str) -> Section {
    Section {
        kind,
        name: name.to_string(),
        target: String::new(),
        checks: Vec::new(),
    }
}

async fn projects_integration(global: &GlobalArgs, integration: &LoadedIntegration) -> Section {
    let spec = &integration.resource.spec;
    let mut section = section("ProjectsIntegration", integration.name());
    let Some(connected) = connect(global, &spec.connection, &mut section).await else {
        return section;
    };
    let checks = &mut section.checks;
    let crm = &connected.clients.crm;
    let prj = &connected.clients.projects;
    let crm_tokens = crm.transport().tokens();
    let prj_tokens = prj.transport().tokens();
    let shared = Arc::ptr_eq(crm_tokens, prj_tokens);
    if connected.grant == ProjectsGrant::PortalOwnerMissing {
        checks.push(Check::fail(
            "token",
            "connection.portalSecretRef names the portal owner's grant, but no credentials for it were found",
            "add the portal owner's client id, secret and refresh token under that name in the credentials file",
        ));
    }
    let crm_features: Vec<grants::Feature> = if shared {
        [grants::PROJECTS_CRM, grants::PROJECTS_PORTAL].concat()
    } else {
        grants::PROJECTS_CRM.to_vec()
    };
    let crm_grant = Grant {
        label: if shared { "grant" } else { "CRM grant" },
        tokens: crm_tokens,
        features: &crm_features,
    };
    let crm_ok = probe_grant(&crm_grant, checks).await;
    let prj_ok = if shared {
        crm_ok
    } else {
        let portal_grant = Grant {
            label: "portal owner's grant",
            tokens: prj_tokens,
            features: grants::PROJECTS_PORTAL,
        };
        probe_grant(&portal_grant, checks).await
    };
    if crm_ok {
        let module = spec
            .related_lists
            .modules
            .first()
            .map(|m| m.module.as_str())
            .unwrap_or("Deals");
        let facts = crm::probe_all(crm, Some(module), checks).await;
        checks.push(crm::admin_check(
            &facts,
            "creating the link module, its fields and profile permissions",
        ));
        let remaining = connected.clients.stats.crm_credits_remaining();
        checks.push(crm::edition_check(&facts, remaining));
    }
    if prj_ok {
        let imports = !spec.imports.portal_users.is_empty();
        projects::probe_all(prj, &spec.portal.name, imports, checks).await;
    }
    section
}

/// Refreshes a grant and checks its scopes; whether calls can be made with it.
async fn probe_grant(grant: &Grant<'_>, checks: &mut Vec<Check>) -> bool {
    match grants::refresh(grant, checks).await {
        Some(refreshed) => {
            grants::scopes(grant, &refreshed, checks);
            true
        }
        None => false,
    }
}

async fn office365_integration(global: &GlobalArgs, loaded: &LoadedOffice365) -> Section {
    let spec = &loaded.resource.spec;
    let mut section = section("Office365Integration", loaded.name());
    let connection = Connection {
        data_center: spec.connection.data_center,
        secret_ref: spec.connection.secret_ref.clone(),
        portal_secret_ref: None,
    };
    let Some(connected) = connect(global, &connection, &mut section).await else {
        return section;
    };
    let checks = &mut section.checks;
    let crm = &connected.clients.crm;
    let grant = Grant {
        label: "CRM grant",
        tokens: crm.transport().tokens(),
        features: grants::OFFICE365_CRM,
    };
    if probe_grant(&grant, checks).await {
        let facts = crm::probe_all(crm, None, checks).await;
        checks.push(crm::admin_check(&facts, "inviting users"));
        let remaining = connected.clients.stats.crm_credits_remaining();
        checks.push(crm::edition_check(&facts, remaining));
    }
    graph::probe_all(global, &connected, spec, checks).await;
    section
}
