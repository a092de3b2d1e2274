//! `projectlink export` of a `ProjectsIntegration`: reads the org's marker, link module,
//! profiles and portal, and writes the spec they report (built in `projects_live`) with a
//! header saying what the org does not report.

use std::io::Write;

use anyhow::{Context, anyhow};

use super::ExportArgs;
use super::projects_live::spec_from_live;
use crate::cli::GlobalArgs;
use crate::cli::target;
use crate::cli::workflow::client_options;
use crate::live::observe::observe;
use crate::live::{IntegrationState, MARKER_VARIABLE, Marker, owner_in};
use crate::plan::Desired;
use crate::spec::{
    Connection, IntegrationState as SpecState, Kind, PortalSpec, ProjectsIntegrationSpec,
    RelatedListsSpec, SecretRef,
};
use crate::zoho::{CrmClient, ProjectsApi};

pub(super) async fn run(
    global: &GlobalArgs,
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let connection = connection_of(args)?;
    let connected = target::connect(global, &connection, client_options(global)).await?;
    writeln!(err, "{}", connected.description)?;
    let crm = &connected.clients.crm;
    let marker = read_marker(crm).await?;
    let modules = crm.modules().await.context("cannot read CRM modules")?;
    let link_module = modules
        .iter()
        .find(|m| {
            m.description.as_deref().and_then(owner_in).as_deref() == Some(marker.owner.as_str())
        })
        .map(|m| m.api_name.clone());
    let portal_name = bound_portal_name(&marker, &connected.clients.projects).await?;
    let probe = probe_spec(&marker, &connection, portal_name, link_module.as_deref());
    let probe = Desired::from_spec(&marker.owner, &probe);
    let observed = observe(
        &probe,
        crm,
        &connected.clients.projects,
        connected.grant.clone(),
    )
    .await
    .context("cannot read the live integration")?;
    let exported = spec_from_live(&marker, link_module.as_deref(), connection, &observed);
    let metadata = serde_json::json!({"name": marker.owner});
    let yaml = super::document_yaml(Kind::ProjectsIntegration, &metadata, &exported.spec)?;
    let mut header = super::preamble(Kind::ProjectsIntegration, "the live integration");
    for note in &exported.notes {
        header.extend(wrap(&note.text, 90));
        if note.plans_changes {
            writeln!(err, "warning: {}", note.text)?;
        }
    }
    super::write_header(out, &header)?;
    write!(out, "{yaml}")?;
    Ok(crate::cli::exit::OK)
}

/// The connection the exported spec declares: the flags' data center and Secrets.
fn connection_of(args: &ExportArgs) -> anyhow::Result<Connection> {
    Ok(Connection {
        data_center: super::data_center(&args.data_center)?,
        secret_ref: Some(SecretRef {
            name: args.secret_ref.clone(),
        }),
        portal_secret_ref: args
            .portal_secret_ref
            .clone()
            .map(|name| SecretRef { name }),
    })
}

/// The org's integration marker, or why there is none to export.
async fn read_marker(crm: &CrmClient) -> anyhow::Result<Marker> {
    let variables = crm
        .variables()
        .await
        .context("cannot read CRM org variables")?;
    let marker_text = variables
        .iter()
        .find(|v| v.api_name == MARKER_VARIABLE)
        .and_then(|v| v.value_text())
        .ok_or_else(|| {
            anyhow!("this CRM org has no projectlink integration yet (no {MARKER_VARIABLE} variable); start from examples/minimal.yaml and apply it")
        })?;
    Marker::parse(&marker_text)
        .map_err(|e| anyhow!("the {MARKER_VARIABLE} variable is unreadable: {e}"))
}

/// What observation reads follows the spec it is given: a spec naming the bound portal and
/// the link module, and nothing else, reads what export needs.
fn probe_spec(
    marker: &Marker,
    connection: &Connection,
    portal_name: String,
    link_module: Option<&str>,
) -> ProjectsIntegrationSpec {
    ProjectsIntegrationSpec {
        state: match marker.state {
            IntegrationState::Active => SpecState::Active,
            IntegrationState::Deactivated => SpecState::Deactivated,
        },
        connection: connection.clone(),
        portal: PortalSpec { name: portal_name },
        clients: Default::default(),
        related_lists: RelatedListsSpec {
            link_module: link_module
                .unwrap_or(crate::spec::DEFAULT_LINK_MODULE)
                .to_string(),
            modules: Vec::new(),
        },
        permissions: Default::default(),
        imports: Default::default(),
        deal_conversion: None,
        policy: Default::default(),
        deletion_policy: Default::default(),
    }
}

/// The name Zoho Projects reports now for the portal the marker binds (by id), or the
/// marker's copy when the portal is not visible: observation finds the portal by name.
async fn bound_portal_name(marker: &Marker, projects: &impl ProjectsApi) -> anyhow::Result<String> {
    let portals = projects
        .portals()
        .await
        .context("cannot read Zoho Projects portals")?;
    Ok(portals
        .into_iter()
        .find(|p| p.id == marker.portal_id)
        .map_or_else(|| marker.portal_name.clone(), |p| p.name))
}

/// `text` in lines of at most `width` characters (a longer word stays whole), so the header
/// comments read in an editor.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn notes_wrap_at_word_boundaries() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("a verylongword b", 4), ["a", "verylongword", "b"]);
        assert_eq!(wrap("", 10), [""]);
    }
}
