use chrono::{TimeZone, Utc};

use super::*;
use crate::office365::state::{FolderKey, FolderState, InitialSync};
use crate::spec::{Office365Integration, load_str_report};
use crate::zoho::crm::NamedRef;

fn graph_user(upn: &str, mail: Option<&str>, enabled: Option<bool>) -> GraphUser {
    GraphUser {
        id: format!("id-{upn}"),
        user_principal_name: upn.into(),
        mail: mail.map(str::to_string),
        display_name: Some(format!("Name of {upn}")),
        account_enabled: enabled,
    }
}

fn crm_user(email: &str, status: &str) -> CrmUser {
    CrmUser {
        id: format!("u-{email}"),
        email: email.into(),
        status: status.into(),
        ..CrmUser::default()
    }
}

fn role(id: &str, name: &str, reports_to: Option<&str>) -> Role {
    Role {
        id: id.into(),
        name: name.into(),
        reporting_to: reports_to.map(|r| NamedRef {
            id: r.into(),
            name: String::new(),
        }),
        ..Role::default()
    }
}

fn state(owner: &str, folders: &[(SyncKind, &str, &str)]) -> SyncState {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut state = SyncState::new(owner);
    for (kind, user, mapping) in folders {
        state.set_folder(
            &FolderKey {
                kind: *kind,
                user: user.to_string(),
            },
            FolderState {
                folder_id: format!("f-{user}"),
                delta_link: None,
                synced_through: at,
                settled_at: at,
                initial: InitialSync { at, last_key: None },
                mapping: mapping.to_string(),
                window: None,
            },
        );
    }
    state
}

fn fingerprint(kind: SyncKind) -> String {
    let spec: Office365IntegrationSpec =
        serde_saphyr::from_str("connection: {graphSecretRef: {name: g}}\ntenant: t.com\n").unwrap();
    Desired365::from_spec("x", &spec)
        .unwrap()
        .setting(kind)
        .mapping
        .fingerprint()
}

fn request(name: Option<&str>) -> Request {
    Request {
        name: name.map(str::to_string),
        connection: Office365Connection {
            data_center: DataCenter::Eu,
            secret_ref: Some(SecretRef {
                name: "zoho-oauth".into(),
            }),
            graph_secret_ref: SecretRef {
                name: "acme-graph".into(),
            },
        },
        tenant: "acme.onmicrosoft.com".into(),
        tenant_origin: "given with --tenant",
    }
}

fn live(state: Option<SyncState>) -> Live {
    Live {
        state,
        crm_users: vec![
            crm_user("admin@acme.com", "active"),
            crm_user("Pat@Acme.com", "active"),
            crm_user("lee@acme.com", "disabled"),
        ],
        profiles: vec!["Administrator".into(), "Standard".into(), "Sales".into()],
        roles: vec![
            role("1", "CEO", None),
            role("2", "Manager", Some("1")),
            role("3", "Sales Rep", Some("2")),
        ],
        office365_users: vec![
            graph_user("admin@acme.com", Some("admin@acme.com"), Some(true)),
            graph_user("pat@acme.com", None, None),
            graph_user("nora@acme.com", Some("Nora@Acme.com"), None),
            graph_user("gone@acme.com", None, Some(false)),
            graph_user("ann@acme.onmicrosoft.com", Some("ann@acme.com"), Some(true)),
        ],
    }
}

fn parsed(text: &str) -> Office365Integration {
    let report = load_str_report("exported", text);
    assert!(
        !report.diagnostics.has_errors(),
        "{}\n{text}",
        report.diagnostics.render(false)
    );
    serde_saphyr::from_str(text).unwrap()
}

#[test]
fn candidates_are_enabled_tenant_users_not_in_crm_sorted_by_address() {
    let live = live(None);
    let found = candidates(&live.office365_users, &live.crm_users);
    let emails: Vec<&str> = found.iter().map(|c| c.email.as_str()).collect();
    // Pat is in CRM (case differs); gone@ is disabled; ann's mail is her address.
    assert_eq!(emails, ["ann@acme.com", "nora@acme.com"]);
}

#[test]
fn a_user_whose_principal_name_is_a_crm_user_is_not_a_candidate() {
    let users = [graph_user("pat@acme.com", Some("patricia@acme.com"), None)];
    assert!(candidates(&users, &[crm_user("pat@acme.com", "active")]).is_empty());
    let odd = [graph_user("not an address", None, None)];
    assert!(candidates(&odd, &[]).is_empty());
}

#[test]
fn placeholders_are_the_least_privileged_names() {
    let live = live(None);
    assert_eq!(
        placeholders(&live.profiles, &live.roles),
        ("Standard".to_string(), "Sales Rep".to_string())
    );
    assert_eq!(
        placeholders(&["Administrator".into(), "Support".into()], &[]),
        ("Support".to_string(), "ROLE".to_string())
    );
    assert_eq!(
        placeholders(&[], &[role("1", "CEO", None)]),
        ("PROFILE".to_string(), "CEO".to_string())
    );
}

#[test]
fn the_export_plans_what_the_state_recorded_and_validates() {
    let contacts = fingerprint(SyncKind::Contacts);
    let calendar = fingerprint(SyncKind::Calendar);
    let state = state(
        "acme-o365",
        &[
            (SyncKind::Calendar, "pat@acme.com", &calendar),
            (SyncKind::Calendar, "admin@acme.com", &calendar),
            (SyncKind::Contacts, "admin@acme.com", &contacts),
        ],
    );
    let text = export_text(&request(None), &live(Some(state))).unwrap();
    let resource = parsed(&text);
    assert_eq!(resource.metadata.name.as_deref(), Some("acme-o365"));
    let spec = &resource.spec;
    assert_eq!(spec.tenant, "acme.onmicrosoft.com");
    assert_eq!(spec.connection, request(None).connection);
    assert!(spec.users.is_empty());
    assert_eq!(spec.calendar_sync.users, ["admin@acme.com", "pat@acme.com"]);
    assert_eq!(spec.contacts_sync.users, ["admin@acme.com"]);
    assert_eq!(spec.calendar_sync.exclude_tags, ["Imported"]);
    assert_eq!(
        spec.contacts_sync.field_map,
        Some(default_contact_field_map())
    );
    assert!(text.contains("it matches every synced folder."), "{text}");
    assert!(
        text.contains("  #  - {email: nora@acme.com, profile: Standard, role: Sales Rep}   # Name of nora@acme.com: Office 365 user, not in CRM\n"),
        "{text}"
    );
    assert!(!text.contains("email: pat@acme.com"), "{text}");
    assert!(!text.contains("Note:"), "{text}");
}

#[test]
fn uncommenting_the_candidates_gives_a_valid_spec_with_them() {
    let mut live = live(None);
    live.office365_users
        .push(graph_user("o'brien{x}@acme.com", None, None));
    let text = export_text(&request(None), &live).unwrap();
    let edited = text
        .replacen("\n  users: []\n", "\n  users:\n", 1)
        .replace("  #  - ", "     - ");
    let resource = parsed(&edited);
    let emails: Vec<&str> = resource
        .spec
        .users
        .iter()
        .map(|u| u.email.as_str())
        .collect();
    assert_eq!(
        emails,
        ["ann@acme.com", "nora@acme.com", "o'brien{x}@acme.com"]
    );
}

#[test]
fn without_a_state_nothing_syncs_and_the_name_comes_from_the_flag() {
    let text = export_text(&request(None), &live(None)).unwrap();
    assert_eq!(parsed(&text).metadata.name.as_deref(), Some(DEFAULT_NAME));
    assert!(
        text.contains("absent: nothing has been synced yet"),
        "{text}"
    );
    assert!(text.contains("no contacts folder is synced yet"), "{text}");
    let text = export_text(&request(Some("sales-o365")), &live(None)).unwrap();
    let resource = parsed(&text);
    assert_eq!(resource.metadata.name.as_deref(), Some("sales-o365"));
    assert!(resource.spec.calendar_sync.users.is_empty());
}

#[test]
fn a_name_other_than_the_states_owner_is_refused() {
    let state = state("acme-o365", &[]);
    let error = export_text(&request(Some("other")), &live(Some(state.clone())))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("belongs to the integration \"acme-o365\""),
        "{error}"
    );
    assert!(export_text(&request(Some("acme-o365")), &live(Some(state))).is_ok());
}

#[test]
fn an_operator_owned_state_exports_with_its_namespace() {
    let state = state("sales/acme-o365", &[]);
    let text = export_text(&request(None), &live(Some(state))).unwrap();
    let resource = parsed(&text);
    assert_eq!(resource.metadata.name.as_deref(), Some("acme-o365"));
    assert_eq!(resource.metadata.namespace.as_deref(), Some("sales"));
}

#[test]
fn a_state_synced_with_another_map_and_users_gone_from_crm_are_called_out() {
    let state = state(
        "acme-o365",
        &[
            (SyncKind::Contacts, "admin@acme.com", "0123456789abcdef"),
            (
                SyncKind::Calendar,
                "lee@acme.com",
                &fingerprint(SyncKind::Calendar),
            ),
            (
                SyncKind::Calendar,
                "zed@acme.com",
                &fingerprint(SyncKind::Calendar),
            ),
        ],
    );
    let text = export_text(&request(None), &live(Some(state))).unwrap();
    parsed(&text);
    assert!(
        text.contains("it does NOT match contacts/admin@acme.com"),
        "{text}"
    );
    assert!(
        text.contains("Note: lee@acme.com was synced but is not an active CRM user now"),
        "{text}"
    );
    assert!(
        text.contains("Note: zed@acme.com was synced but is not a CRM user now"),
        "{text}"
    );
}

#[test]
fn flags_that_make_an_invalid_spec_are_reported_with_the_validation() {
    let mut bad = request(Some("Not A Name"));
    bad.tenant = "not a tenant".into();
    let error = export_text(&bad, &live(None)).unwrap_err().to_string();
    assert!(error.contains("would not be valid"), "{error}");
    assert!(error.contains("tenant"), "{error}");
    assert!(error.contains("metadata.name"), "{error}");
}

#[test]
fn no_candidates_says_so() {
    let mut live = live(None);
    live.office365_users.truncate(2);
    let text = export_text(&request(None), &live).unwrap();
    assert!(
        text.contains(
            "  users: []\n  # Every enabled Office 365 user of the tenant is a CRM user already.\n"
        ),
        "{text}"
    );
}
