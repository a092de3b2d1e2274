//! `projectlink export --kind office365`: an `Office365Integration` read back from the live
//! systems — who syncs what, from the sync state saved in CRM, and the tenant's Office 365
//! users who are not CRM users yet, as commented candidates for `users`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use serde_saphyr::{FlowMap, FlowSeq};

use super::{DEFAULT_GRAPH_SECRET_REF, ExportArgs};
use crate::cli::GlobalArgs;
use crate::cli::target;
use crate::cli::workflow::client_options;
use crate::graph::{GraphApi, GraphUser};
use crate::office365::Desired365;
use crate::office365::state::{STATE_VARIABLE, SyncKind, SyncState};
use crate::spec::{
    CalendarSyncSpec, ContactFieldMap, ContactsSyncSpec, DataCenter, InvitedUser, Kind,
    Office365Connection, Office365IntegrationSpec, SecretRef, SyncPolicy,
    default_contact_field_map, names::is_valid_email, office365::default_exclude_tags,
};
use crate::zoho::CrmApi;
use crate::zoho::crm::{CrmUser, Role, UserType};

/// `metadata.name` when neither a saved state nor `--name` gives one.
const DEFAULT_NAME: &str = "office365";

pub(super) async fn run(
    global: &GlobalArgs,
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let data_center = super::data_center(&args.data_center)?;
    let graph_secret = args
        .graph_secret_ref
        .clone()
        .unwrap_or_else(|| DEFAULT_GRAPH_SECRET_REF.to_string());
    if graph_secret == args.secret_ref {
        bail!(
            "--graph-secret-ref and --secret-ref both name {graph_secret:?}: the Zoho grant and the Microsoft Entra application need their own credentials entries"
        );
    }
    let connection = crate::spec::Connection {
        data_center,
        secret_ref: Some(SecretRef {
            name: args.secret_ref.clone(),
        }),
        portal_secret_ref: None,
    };
    let options = client_options(global);
    let connected = target::connect(global, &connection, options.clone()).await?;
    let (tenant, tenant_origin) = match (&args.tenant, &connected.sandbox_url) {
        (Some(tenant), _) => (tenant.trim().to_string(), "given with --tenant"),
        (None, Some(_)) => (
            target::demo_tenant_id()?,
            "the sandbox's demo tenant, no --tenant given",
        ),
        (None, None) => bail!(
            "--tenant is required to export an Office 365 integration from Zoho: give the Microsoft Entra tenant's ID or one of its verified domains, e.g. --tenant acme.onmicrosoft.com"
        ),
    };
    let graph = target::connect_graph(global, &connected, &graph_secret, &tenant, &options)?;
    writeln!(err, "{}", connected.description)?;
    let live = read_live(&connected.clients.crm, &graph).await?;
    let request = Request {
        name: args.name.clone(),
        connection: Office365Connection {
            data_center,
            secret_ref: connection.secret_ref,
            graph_secret_ref: SecretRef { name: graph_secret },
        },
        tenant,
        tenant_origin,
    };
    let text = export_text(&request, &live)?;
    write!(out, "{text}")?;
    Ok(crate::cli::exit::OK)
}

/// What the export reads, all of it before anything is written.
struct Live {
    /// The sync state, when the org has one.
    state: Option<SyncState>,
    crm_users: Vec<CrmUser>,
    profiles: Vec<String>,
    roles: Vec<Role>,
    office365_users: Vec<GraphUser>,
}

async fn read_live<C: CrmApi, G: GraphApi>(crm: &C, graph: &G) -> anyhow::Result<Live> {
    let (variables, crm_users, profiles, roles, office365_users) = futures::try_join!(
        async {
            crm.variables()
                .await
                .context("cannot read CRM org variables")
        },
        async {
            crm.users(UserType::AllUsers)
                .await
                .context("cannot read CRM users")
        },
        async { crm.profiles().await.context("cannot read CRM profiles") },
        async { crm.roles().await.context("cannot read CRM roles") },
        async {
            graph
                .users()
                .await
                .context("cannot read the Office 365 users of the tenant")
        },
    )?;
    let state = variables
        .iter()
        .find(|v| v.api_name == STATE_VARIABLE)
        .and_then(|v| v.value_text())
        .map(|text| {
            SyncState::parse(&text).map_err(|e| {
                anyhow!("the {STATE_VARIABLE} variable is unreadable: {e}; run `projectlink apply` with the Office365Integration that owns it to rewrite it")
            })
        })
        .transpose()?;
    Ok(Live {
        state,
        crm_users,
        profiles: profiles.into_iter().map(|p| p.name).collect(),
        roles,
        office365_users,
    })
}

/// What the command line asked for.
struct Request {
    name: Option<String>,
    connection: Office365Connection,
    tenant: String,
    /// Where the tenant came from, for the header.
    tenant_origin: &'static str,
}

/// An Office 365 user who could be invited into CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    email: String,
    display_name: Option<String>,
}

/// The whole exported text: header, document and candidates, checked by the same validation
/// `projectlink validate` runs.
fn export_text(request: &Request, live: &Live) -> anyhow::Result<String> {
    let (namespace, name) = resource_name(request.name.as_deref(), live.state.as_ref())?;
    let owner = match &namespace {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.clone(),
    };
    let synced = |kind: SyncKind| -> Vec<String> {
        let users: BTreeSet<String> = live
            .state
            .iter()
            .flat_map(SyncState::folders)
            .filter(|(key, _)| key.kind == kind)
            .map(|(key, _)| key.user)
            .collect();
        users.into_iter().collect()
    };
    let spec = Office365IntegrationSpec {
        connection: request.connection.clone(),
        tenant: request.tenant.clone(),
        users: Vec::new(),
        calendar_sync: CalendarSyncSpec {
            users: synced(SyncKind::Calendar),
            exclude_tags: default_exclude_tags(),
            window: Default::default(),
        },
        contacts_sync: ContactsSyncSpec {
            users: synced(SyncKind::Contacts),
            exclude_tags: default_exclude_tags(),
            field_map: Some(default_contact_field_map()),
        },
        policy: SyncPolicy::default(),
        deletion_policy: Default::default(),
    };
    let mut metadata = serde_json::json!({"name": name});
    if let Some(namespace) = &namespace {
        metadata["namespace"] = serde_json::json!(namespace);
    }
    let yaml = super::document_yaml(Kind::Office365Integration, &metadata, &SpecView::of(&spec))?;
    let candidates = candidates(&live.office365_users, &live.crm_users);
    let block = candidates_block(&candidates, &live.profiles, &live.roles)?;
    let yaml = insert_after_line(&yaml, "  users: []", &block)?;
    let mut header = super::preamble(
        Kind::Office365Integration,
        "the live Office 365 integration",
    );
    header.extend(read_from_lines(request, live, &owner));
    header.extend(unrecoverable_lines(&owner, &spec, live)?);
    let mut out = Vec::new();
    super::write_header(&mut out, &header)?;
    let text = String::from_utf8(out).expect("the header is text") + &yaml;
    let report = crate::spec::load_str_report("the exported spec", &text);
    if report.diagnostics.has_errors() {
        bail!(
            "the exported spec would not be valid; check the flags:\n{}",
            report.diagnostics.render(false)
        );
    }
    Ok(text)
}

/// `(namespace, name)`: the name the state was saved for (`namespace/name` under the
/// operator), which `--name` may only repeat — a spec of another name would not own the sync.
fn resource_name(
    wanted: Option<&str>,
    state: Option<&SyncState>,
) -> anyhow::Result<(Option<String>, String)> {
    let Some(state) = state else {
        return Ok((None, wanted.unwrap_or(DEFAULT_NAME).to_string()));
    };
    let (namespace, name) = match state.owner.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace.to_string()), name.to_string()),
        None => (None, state.owner.clone()),
    };
    if let Some(wanted) = wanted
        && wanted != name
        && wanted != state.owner
    {
        bail!(
            "the Office 365 sync of this CRM org belongs to the integration \"{}\": an export named \"{wanted}\" would not own it (one Office365Integration per CRM org); leave --name out",
            state.owner
        );
    }
    Ok((namespace, name))
}

/// The tenant's enabled users whose address is not a CRM user's, by address. The address is
/// the one the sync and invites match on: `mail`, else the user principal name.
fn candidates(office365_users: &[GraphUser], crm_users: &[CrmUser]) -> Vec<Candidate> {
    let in_crm: BTreeSet<String> = crm_users
        .iter()
        .map(|u| u.email.trim().to_ascii_lowercase())
        .collect();
    let mut found: BTreeMap<String, Candidate> = BTreeMap::new();
    for user in office365_users {
        if user.account_enabled == Some(false) {
            continue;
        }
        let upn = user.user_principal_name.trim().to_ascii_lowercase();
        let email = user
            .mail
            .as_deref()
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| upn.clone());
        if in_crm.contains(&email) || in_crm.contains(&upn) || !is_valid_email(&email) {
            continue;
        }
        found.entry(email.clone()).or_insert(Candidate {
            email,
            display_name: user.display_name.clone(),
        });
    }
    found.into_values().collect()
}

/// The comment block under `users: []`: one ready-to-uncomment line per candidate.
fn candidates_block(
    candidates: &[Candidate],
    profiles: &[String],
    roles: &[Role],
) -> anyhow::Result<Vec<String>> {
    if candidates.is_empty() {
        return Ok(vec![
            "  # Every enabled Office 365 user of the tenant is a CRM user already.".into(),
        ]);
    }
    let (profile, role) = placeholders(profiles, roles);
    let mut role_names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    role_names.sort_unstable();
    let mut profile_names: Vec<&str> = profiles.iter().map(String::as_str).collect();
    profile_names.sort_unstable();
    let mut lines = vec![
        "  # Office 365 users of the tenant who are not CRM users yet. To bring some into CRM,"
            .to_string(),
        "  # replace `users: []` with `users:` and their lines below, uncommented. The profile"
            .to_string(),
        "  # and role shown are placeholders: choose each user's own.".to_string(),
    ];
    if !profile_names.is_empty() {
        lines.push(format!(
            "  # CRM profiles: {}.",
            one_line(&profile_names.join(", "))
        ));
    }
    if !role_names.is_empty() {
        lines.push(format!(
            "  # CRM roles: {}.",
            one_line(&role_names.join(", "))
        ));
    }
    for candidate in candidates {
        let entry = InvitedUser {
            email: candidate.email.clone(),
            profile: profile.clone(),
            role: role.clone(),
        };
        let flow = serde_saphyr::to_string(&FlowMap(&entry))
            .map_err(|e| anyhow!("cannot render {} as YAML: {e}", candidate.email))?;
        let who = match candidate.display_name.as_deref().map(one_line) {
            Some(name) if !name.is_empty() => format!("{name}: "),
            _ => String::new(),
        };
        lines.push(format!(
            "  #  - {}   # {who}Office 365 user, not in CRM",
            flow.trim_end()
        ));
    }
    Ok(lines)
}

/// Placeholder profile and role for candidates: the least privileged the names suggest —
/// the built-in Standard profile (else the first that is not Administrator), and a role
/// no other role reports to (the bottom of the hierarchy).
fn placeholders(profiles: &[String], roles: &[Role]) -> (String, String) {
    let mut sorted: Vec<&String> = profiles.iter().collect();
    sorted.sort();
    let profile = sorted
        .iter()
        .find(|p| p.eq_ignore_ascii_case("Standard"))
        .or_else(|| {
            sorted
                .iter()
                .find(|p| !p.eq_ignore_ascii_case("Administrator"))
        })
        .or(sorted.first())
        .map(|p| p.to_string())
        .unwrap_or_else(|| "PROFILE".into());
    let managers: BTreeSet<&str> = roles
        .iter()
        .filter_map(|r| r.reporting_to.as_ref())
        .map(|m| m.id.as_str())
        .collect();
    let mut leaves: Vec<&str> = roles
        .iter()
        .filter(|r| !managers.contains(r.id.as_str()))
        .map(|r| r.name.as_str())
        .collect();
    leaves.sort_unstable();
    let role = leaves
        .first()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "ROLE".into());
    (profile, role)
}

/// `text` on one line, for a comment.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `yaml` with `block` inserted after the line `line`.
fn insert_after_line(yaml: &str, line: &str, block: &[String]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(yaml.len() + block.iter().map(String::len).sum::<usize>());
    let mut inserted = false;
    for current in yaml.lines() {
        out.push_str(current);
        out.push('\n');
        if !inserted && current == line {
            for extra in block {
                out.push_str(extra);
                out.push('\n');
            }
            inserted = true;
        }
    }
    if !inserted {
        bail!("cannot place the candidate users: the rendered spec has no line {line:?}");
    }
    Ok(out)
}

/// The header's account of what was read where.
fn read_from_lines(request: &Request, live: &Live, owner: &str) -> Vec<String> {
    let state = match &live.state {
        Some(_) => format!("saved for \"{owner}\""),
        None => "absent: nothing has been synced yet".into(),
    };
    vec![
        "Read from the live systems:".into(),
        "  calendarSync.users, contactsSync.users: the users with a synced folder of that kind"
            .into(),
        format!("    in the sync state (CRM org variable {STATE_VARIABLE}, {state});"),
        "  the commented candidates under `users`: the enabled Office 365 users of the tenant"
            .into(),
        "    (Microsoft Graph) whose address is not a CRM user's.".into(),
        "  connection and tenant: the command's flags".into(),
        format!(
            "    (tenant {}: {}).",
            one_line(&request.tenant),
            request.tenant_origin
        ),
    ]
}

/// The header's account of what the live systems cannot tell, with the field map's
/// fingerprint compared against the state's, and synced users plan will report on.
fn unrecoverable_lines(
    owner: &str,
    spec: &Office365IntegrationSpec,
    live: &Live,
) -> anyhow::Result<Vec<String>> {
    let desired =
        Desired365::from_spec(owner, spec).map_err(|e| anyhow!("the built-in map: {e}"))?;
    let mut mismatched: BTreeSet<String> = BTreeSet::new();
    let mut contacts_folders = 0;
    for (key, folder) in live.state.iter().flat_map(SyncState::folders) {
        if key.kind == SyncKind::Contacts {
            contacts_folders += 1;
        }
        if folder.mapping != desired.setting(key.kind).mapping.fingerprint() {
            mismatched.insert(key.to_string());
        }
    }
    let map_verdict = if contacts_folders == 0 && mismatched.is_empty() {
        "no contacts folder is synced yet.".to_string()
    } else if mismatched.is_empty() {
        "it matches every synced folder.".to_string()
    } else {
        format!(
            "it does NOT match {}: write the map they were synced with, or plan compares them in full.",
            mismatched.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    let mut lines = vec![
        "Not recoverable from the live systems, check them by hand:".into(),
        "  contactsSync.fieldMap: the sync state keeps only a fingerprint of the map each folder"
            .into(),
        format!("    was synced with. The built-in map is written out in full; {map_verdict}"),
        "  excludeTags: not recorded anywhere; the default [Imported] is written out.".into(),
        "  users: invites are not recorded, and invites already accepted are ordinary CRM users;"
            .into(),
        "    the list starts empty.".into(),
        "  policy.observeOnly: not recorded; false is written out.".into(),
    ];
    let synced: BTreeSet<&String> = spec
        .calendar_sync
        .users
        .iter()
        .chain(&spec.contacts_sync.users)
        .collect();
    for user in synced {
        let active = live
            .crm_users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(user))
            .map(|u| u.status.eq_ignore_ascii_case("active"));
        match active {
            Some(true) => {}
            Some(false) => lines.push(format!(
                "Note: {user} was synced but is not an active CRM user now; plan says its sync waits."
            )),
            None => lines.push(format!(
                "Note: {user} was synced but is not a CRM user now; plan reports it as an error."
            )),
        }
    }
    Ok(lines)
}

/// The spec as written out: short mappings in flow style (`{name: …}`), as people write them,
/// and lists of users one per line, so edits show as one-line diffs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecView<'a> {
    connection: ConnectionView<'a>,
    tenant: &'a str,
    users: &'a [InvitedUser],
    calendar_sync: SyncView<'a>,
    contacts_sync: ContactsView<'a>,
    policy: &'a SyncPolicy,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionView<'a> {
    data_center: DataCenter,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_ref: Option<FlowMap<&'a SecretRef>>,
    graph_secret_ref: FlowMap<&'a SecretRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncView<'a> {
    users: &'a [String],
    exclude_tags: FlowSeq<&'a [String]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContactsView<'a> {
    users: &'a [String],
    exclude_tags: FlowSeq<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_map: Option<Vec<FlowMap<&'a ContactFieldMap>>>,
}

impl<'a> SpecView<'a> {
    fn of(spec: &'a Office365IntegrationSpec) -> Self {
        SpecView {
            connection: ConnectionView {
                data_center: spec.connection.data_center,
                secret_ref: spec.connection.secret_ref.as_ref().map(FlowMap),
                graph_secret_ref: FlowMap(&spec.connection.graph_secret_ref),
            },
            tenant: &spec.tenant,
            users: &spec.users,
            calendar_sync: SyncView {
                users: &spec.calendar_sync.users,
                exclude_tags: FlowSeq(&spec.calendar_sync.exclude_tags),
            },
            contacts_sync: ContactsView {
                users: &spec.contacts_sync.users,
                exclude_tags: FlowSeq(&spec.contacts_sync.exclude_tags),
                field_map: spec
                    .contacts_sync
                    .field_map
                    .as_ref()
                    .map(|map| map.iter().map(FlowMap).collect()),
            },
            policy: &spec.policy,
        }
    }
}

#[cfg(test)]
#[path = "office365_tests.rs"]
mod tests;
