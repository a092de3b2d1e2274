//! `projectlink export` of a `ProjectsIntegration`: the CRM org's marker, the link module's
//! lookup fields and the profiles' related-list permissions, read back as a spec.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{Context, anyhow};

use super::ExportArgs;
use crate::cli::GlobalArgs;
use crate::cli::target;
use crate::cli::workflow::client_options;
use crate::live::observe::observe;
use crate::live::{IntegrationState, MARKER_VARIABLE, Marker, Observed, PermissionKind, owner_in};
use crate::plan::Desired;
use crate::spec::{
    Connection, IntegrationState as SpecState, Kind, PermissionsSpec, PortalSpec,
    ProfilePermissions, ProjectsIntegrationSpec, RelatedListPermissions, RelatedListsSpec,
    RelatedModule, SecretRef, supported_module,
};

pub(super) async fn run(
    global: &GlobalArgs,
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let data_center = super::data_center(&args.data_center)?;
    let connection = Connection {
        data_center,
        secret_ref: Some(SecretRef {
            name: args.secret_ref.clone(),
        }),
        portal_secret_ref: args
            .portal_secret_ref
            .clone()
            .map(|name| SecretRef { name }),
    };
    let connected = target::connect(global, &connection, client_options(global)).await?;
    writeln!(err, "{}", connected.description)?;
    let crm = &connected.clients.crm;
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
    let marker = Marker::parse(&marker_text)
        .map_err(|e| anyhow!("the {MARKER_VARIABLE} variable is unreadable: {e}"))?;
    let modules = crm.modules().await.context("cannot read CRM modules")?;
    let link_module = modules
        .iter()
        .find(|m| {
            m.description.as_deref().and_then(owner_in).as_deref() == Some(marker.owner.as_str())
        })
        .map(|m| m.api_name.clone())
        .unwrap_or_else(|| crate::spec::DEFAULT_LINK_MODULE.to_string());
    let probe = Desired {
        owner: marker.owner.clone(),
        active: marker.state == IntegrationState::Active,
        portal_name: marker.portal_name.clone(),
        uses_portal_owner_grant: args.portal_secret_ref.is_some(),
        link_module: link_module.clone(),
        modules: Vec::new(),
        profiles: Vec::new(),
        user_access: Default::default(),
        default_role: crate::spec::DEFAULT_ROLE.into(),
        prune: false,
        max_change_percent: crate::spec::DEFAULT_MAX_CHANGE_PERCENT,
        observe_only: false,
        clients: Default::default(),
        deal_conversion: None,
        imports: Default::default(),
    };
    let observed = observe(
        &probe,
        crm,
        &connected.clients.projects,
        connected.grant.clone(),
    )
    .await
    .context("cannot read the live integration")?;
    let spec = spec_from_live(&marker, &link_module, connection, &observed);
    let metadata = serde_json::json!({"name": marker.owner});
    let yaml = super::document_yaml(Kind::ProjectsIntegration, &metadata, &spec)?;
    let mut header = super::preamble(Kind::ProjectsIntegration, "the live integration");
    header.extend([
        "Not recoverable from the live systems, add them by hand if you use them: relatedLists.modules[].fieldMap,".to_string(),
        "permissions.users overrides, clients, imports, dealConversion, policy.".to_string(),
    ]);
    super::write_header(out, &header)?;
    write!(out, "{yaml}")?;
    Ok(crate::cli::exit::OK)
}

/// The spec that plans no changes against `observed`.
fn spec_from_live(
    marker: &Marker,
    link_module: &str,
    connection: Connection,
    observed: &Observed,
) -> ProjectsIntegrationSpec {
    let mut modules: Vec<RelatedModule> = observed
        .link_module
        .iter()
        .flat_map(|m| &m.fields)
        .filter(|f| f.data_type == "lookup" && f.owner.as_deref() == Some(marker.owner.as_str()))
        .filter_map(|f| f.lookup_module.as_deref())
        .filter(|m| supported_module(m).is_some())
        .map(|m| RelatedModule {
            module: m.to_string(),
            field_map: Vec::new(),
        })
        .collect();
    modules.sort_by(|a, b| a.module.cmp(&b.module));
    let in_portal: BTreeSet<&str> = observed
        .portal_users
        .iter()
        .flatten()
        .map(|u| u.email.as_str())
        .collect();
    let mut profiles = Vec::new();
    for profile in &observed.profiles {
        let eligible: Vec<&str> = observed
            .users
            .iter()
            .filter(|u| u.profile == profile.name && u.active && u.confirmed)
            .map(|u| u.email.as_str())
            .collect();
        // `access: true` only when every eligible user is already in the portal, so the
        // exported spec never plans to push anyone.
        let access = !eligible.is_empty() && eligible.iter().all(|e| in_portal.contains(e));
        let related_list = RelatedListPermissions {
            view: profile.link_permission(PermissionKind::View),
            create: profile.link_permission(PermissionKind::Create),
            edit: profile.link_permission(PermissionKind::Edit),
            delete: profile.link_permission(PermissionKind::Delete),
        };
        if access || related_list != RelatedListPermissions::default() {
            profiles.push(ProfilePermissions {
                profile: profile.name.clone(),
                access,
                related_list,
            });
        }
    }
    ProjectsIntegrationSpec {
        state: match marker.state {
            IntegrationState::Active => SpecState::Active,
            IntegrationState::Deactivated => SpecState::Deactivated,
        },
        connection,
        portal: PortalSpec {
            name: marker.portal_name.clone(),
        },
        clients: Default::default(),
        related_lists: RelatedListsSpec {
            link_module: link_module.to_string(),
            modules,
        },
        permissions: PermissionsSpec {
            profiles,
            ..Default::default()
        },
        imports: Default::default(),
        deal_conversion: None,
        policy: Default::default(),
        deletion_policy: Default::default(),
    }
}
