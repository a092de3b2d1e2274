//! Static validation of an `Office365Integration`: every rule that needs no live data, all
//! problems collected. Pure: no I/O, deterministic order.
//!
//! Whether the users exist in Office 365 or CRM, whether they have mailboxes, and whether
//! the mapped CRM fields exist are only known live; the planner checks them.

use std::collections::HashMap;

use super::contact_fields::{CRM_LOOKUP_CONTACT_FIELDS, OFFICE365_CONTACT_FIELDS};
use super::{
    CalendarWindowSpec, ContactFieldMap, ContactsSyncSpec, InvitedUser, Office365Integration,
    Office365IntegrationSpec,
};
use crate::graph::MAX_CALENDAR_RANGE_DAYS;
use crate::spec::Finding;
use crate::spec::catalog::is_crm_api_name;
use crate::spec::names::{close_matches, is_domain_name, is_guid, is_kubernetes_name};
use crate::spec::path::FieldPath;
use crate::spec::validate::{EmailList, FirstSeen, check_change_percent, validate_metadata};

/// Validates a whole resource: its metadata and its spec.
pub fn validate_office365_resource(resource: &Office365Integration) -> Vec<Finding> {
    let mut findings = validate_metadata(
        resource.metadata.name.as_deref().unwrap_or_default(),
        resource.metadata.namespace.as_deref(),
    );
    findings.extend(validate_office365_spec(&resource.spec));
    findings
}

/// Validates a spec; paths in the findings start at `spec`.
pub fn validate_office365_spec(spec: &Office365IntegrationSpec) -> Vec<Finding> {
    let root = FieldPath::root().key("spec");
    let mut findings = Vec::new();
    check_connection(spec, &root, &mut findings);
    check_tenant(&spec.tenant, &root.key("tenant"), &mut findings);
    check_invited_users(&spec.users, &root.key("users"), &mut findings);
    let calendar = root.key("calendarSync");
    check_sync_users(
        &spec.calendar_sync.users,
        &calendar.key("users"),
        "calendarSync.users",
        &mut findings,
    );
    check_exclude_tags(
        &spec.calendar_sync.exclude_tags,
        &calendar.key("excludeTags"),
        &mut findings,
    );
    check_window(
        &spec.calendar_sync.window,
        &calendar.key("window"),
        &mut findings,
    );
    let contacts = root.key("contactsSync");
    check_sync_users(
        &spec.contacts_sync.users,
        &contacts.key("users"),
        "contactsSync.users",
        &mut findings,
    );
    check_exclude_tags(
        &spec.contacts_sync.exclude_tags,
        &contacts.key("excludeTags"),
        &mut findings,
    );
    check_field_map(
        &spec.contacts_sync,
        &contacts.key("fieldMap"),
        &mut findings,
    );
    check_change_percent(spec.policy.max_change_percent, &root, &mut findings);
    findings
}

fn check_connection(spec: &Office365IntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let connection = root.key("connection");
    let graph = &spec.connection.graph_secret_ref;
    let refs = [
        ("secretRef", spec.connection.secret_ref.as_ref()),
        ("graphSecretRef", Some(graph)),
    ];
    for (key, secret) in refs {
        let Some(secret) = secret else { continue };
        if !is_kubernetes_name(&secret.name) {
            out.push(
                Finding::error(
                    connection.key(key).key("name"),
                    format!("invalid secret name {:?}", secret.name),
                )
                .hint("secret names are Kubernetes object names: lower-case letters, digits, '-' and '.'"),
            );
        }
    }
    if spec
        .connection
        .secret_ref
        .as_ref()
        .is_some_and(|zoho| zoho.name == graph.name)
    {
        out.push(
            Finding::error(
                connection.key("graphSecretRef").key("name"),
                format!("secretRef and graphSecretRef both name the secret {:?}", graph.name),
            )
            .hint("the Zoho grant and the Microsoft Entra application each need their own secret: both hold a client_id and a client_secret")
            .related(connection.key("secretRef").key("name"), "secretRef"),
        );
    }
}

fn check_tenant(tenant: &str, path: &FieldPath, out: &mut Vec<Finding>) {
    const HINT: &str = "give the Microsoft Entra tenant ID (a GUID such as 7f3c2a10-ace0-4c6e-9d1b-000000000001) or one of its verified domains, such as acme.onmicrosoft.com";
    if tenant.trim().is_empty() {
        out.push(Finding::error(path.clone(), "tenant is empty").hint(HINT));
    } else if !is_guid(tenant) && !is_domain_name(tenant) {
        let hint = match tenant.rsplit_once('@') {
            Some((_, domain)) if is_domain_name(domain) => {
                format!("a tenant is not a user: write its domain, tenant: {domain}")
            }
            _ => HINT.to_owned(),
        };
        out.push(
            Finding::error(
                path.clone(),
                format!("invalid tenant {tenant:?}: neither a GUID nor a domain name"),
            )
            .hint(hint),
        );
    }
}

fn check_invited_users(users: &[InvitedUser], path: &FieldPath, out: &mut Vec<Finding>) {
    let mut emails = EmailList {
        list: "users",
        invalid_hint: EMAIL_HINT,
        duplicate_hint: "each Office 365 user is brought into CRM once; merge the two entries",
        seen: FirstSeen::default(),
    };
    for (index, user) in users.iter().enumerate() {
        let entry = path.index(index);
        emails.check(&user.email, &entry.key("email"), out);
        if user.profile.trim().is_empty() {
            out.push(
                Finding::error(entry.key("profile"), "profile name is empty")
                    .hint("name the CRM profile the user gets, e.g. Standard"),
            );
        }
        if user.role.trim().is_empty() {
            out.push(
                Finding::error(entry.key("role"), "role name is empty")
                    .hint("name the CRM role the user gets, e.g. Sales Rep"),
            );
        }
    }
}

fn check_sync_users(users: &[String], path: &FieldPath, list: &str, out: &mut Vec<Finding>) {
    let mut emails = EmailList {
        list,
        invalid_hint: EMAIL_HINT,
        duplicate_hint: "list each user once",
        seen: FirstSeen::default(),
    };
    for (index, email) in users.iter().enumerate() {
        emails.check(email, &path.index(index), out);
    }
}

/// What to write instead of an invalid email of a synced user.
const EMAIL_HINT: &str = "write the user's email address, the one they sign in to Office 365 and Zoho with, e.g. pat@acme.com";

fn check_exclude_tags(tags: &[String], path: &FieldPath, out: &mut Vec<Finding>) {
    let mut seen = FirstSeen::default();
    for (index, tag) in tags.iter().enumerate() {
        let item = path.index(index);
        if tag.trim().is_empty() {
            out.push(
                Finding::error(item, "tag name is empty").hint(
                    "name a CRM tag, e.g. Imported; write excludeTags: [] to exclude nothing",
                ),
            );
        } else if let Some(first) = seen.check(tag, &item) {
            out.push(
                Finding::error(item, format!("tag {tag:?} is listed twice in excludeTags"))
                    .hint("list each tag once; tags are compared ignoring case")
                    .related(first, "first entry"),
            );
        }
    }
}

/// Graph refuses a calendar range over [`MAX_CALENDAR_RANGE_DAYS`], and an empty one holds
/// nothing to sync.
fn check_window(window: &CalendarWindowSpec, path: &FieldPath, out: &mut Vec<Finding>) {
    let total = u64::from(window.past_days) + u64::from(window.future_days);
    if total > u64::from(MAX_CALENDAR_RANGE_DAYS) {
        out.push(
            Finding::error(
                path.key("futureDays"),
                format!(
                    "the calendar window spans {total} days (pastDays {} + futureDays {}); Microsoft Graph serves at most {MAX_CALENDAR_RANGE_DAYS}",
                    window.past_days, window.future_days
                ),
            )
            .hint(format!(
                "shorten it so pastDays + futureDays is at most {MAX_CALENDAR_RANGE_DAYS}, e.g. pastDays: {}, futureDays: {}",
                window.past_days.min(MAX_CALENDAR_RANGE_DAYS),
                MAX_CALENDAR_RANGE_DAYS - window.past_days.min(MAX_CALENDAR_RANGE_DAYS)
            )),
        );
    } else if total == 0 {
        out.push(
            Finding::error(path.clone(), "the calendar window is empty: no event would sync")
                .hint("give pastDays or futureDays a number of days, or leave window out for 365 and 1460")
                .at_key(),
        );
    }
}

fn check_field_map(sync: &ContactsSyncSpec, path: &FieldPath, out: &mut Vec<Finding>) {
    let Some(map) = &sync.field_map else { return };
    if map.is_empty() {
        out.push(
            Finding::error(
                path.clone(),
                "contactsSync.fieldMap is empty: no field would sync",
            )
            .hint("leave fieldMap out to use the built-in map (docs/spec.md lists it)")
            .at_key(),
        );
        return;
    }
    let mut writers = Writers::default();
    for (index, mapping) in map.iter().enumerate() {
        let entry = path.index(index);
        let checked = check_field_entry(mapping, &entry, out);
        if checked.crm_name_plausible && mapping.direction.writes_crm() {
            writers.crm_field(mapping, index, path, out);
        }
        if checked.office365_field_known && mapping.direction.writes_office365() {
            writers.office365_field(mapping, index, path, out);
        }
    }
}

/// What the checks of one field map entry found usable, for the checks across entries.
struct CheckedEntry {
    office365_field_known: bool,
    crm_name_plausible: bool,
}

/// One field map entry on its own: a known Office 365 field, a plausible CRM API name, and
/// no lookup written from Office 365.
fn check_field_entry(
    mapping: &ContactFieldMap,
    entry: &FieldPath,
    out: &mut Vec<Finding>,
) -> CheckedEntry {
    let known = OFFICE365_CONTACT_FIELDS.contains(&mapping.office365_field.as_str());
    if !known {
        out.push(
            Finding::error(
                entry.key("office365Field"),
                format!(
                    "unknown Office 365 contact field {:?}",
                    mapping.office365_field
                ),
            )
            .hint(office365_field_hint(&mapping.office365_field)),
        );
    }
    let plausible = is_crm_api_name(&mapping.crm_field);
    if !plausible {
        out.push(
            Finding::error(entry.key("crmField"), format!("invalid CRM field name {:?}", mapping.crm_field))
                .hint("use the Contacts field's API name (letters, digits and underscores, starting with a letter), e.g. First_Name"),
        );
    }
    let direction = mapping.direction;
    if plausible
        && direction.writes_crm()
        && CRM_LOOKUP_CONTACT_FIELDS.contains(&mapping.crm_field.as_str())
    {
        out.push(
            Finding::error(
                entry.key("crmField"),
                format!(
                    "CRM field {:?} is a lookup and cannot be written from Office 365 (direction: {})",
                    mapping.crm_field,
                    direction.as_str()
                ),
            )
            .hint("a lookup holds a record reference, which a text from Office 365 cannot name; use direction: toOffice365"),
        );
    }
    CheckedEntry {
        office365_field_known: known,
        crm_name_plausible: plausible,
    }
}

/// The first field map entry writing each field, so a second one is refused with it.
#[derive(Default)]
struct Writers<'a> {
    /// By lower-case CRM API name (CRM compares them ignoring case).
    crm: HashMap<String, usize>,
    office365: HashMap<&'a str, usize>,
}

impl<'a> Writers<'a> {
    fn crm_field(
        &mut self,
        mapping: &ContactFieldMap,
        index: usize,
        path: &FieldPath,
        out: &mut Vec<Finding>,
    ) {
        let key = mapping.crm_field.to_ascii_lowercase();
        match self.crm.get(&key) {
            Some(&first) => out.push(
                Finding::error(
                    path.index(index).key("crmField"),
                    format!("CRM field {:?} is written by two entries of contactsSync.fieldMap", mapping.crm_field),
                )
                .hint("a CRM field can take its value from one Office 365 field only; remove one entry or make it direction: toOffice365")
                .related(path.index(first).key("crmField"), "first entry"),
            ),
            None => {
                self.crm.insert(key, index);
            }
        }
    }

    fn office365_field(
        &mut self,
        mapping: &'a ContactFieldMap,
        index: usize,
        path: &FieldPath,
        out: &mut Vec<Finding>,
    ) {
        match self.office365.get(mapping.office365_field.as_str()) {
            Some(&first) => out.push(
                Finding::error(
                    path.index(index).key("office365Field"),
                    format!(
                        "Office 365 field {:?} is written by two entries of contactsSync.fieldMap",
                        mapping.office365_field
                    ),
                )
                .hint("an Office 365 field can take its value from one CRM field only; remove one entry or make it direction: toCrm")
                .related(path.index(first).key("office365Field"), "first entry"),
            ),
            None => {
                self.office365.insert(&mapping.office365_field, index);
            }
        }
    }
}

fn office365_field_hint(wrong: &str) -> String {
    let matches = close_matches(wrong, OFFICE365_CONTACT_FIELDS, 5);
    match matches.as_slice() {
        [] => "name a Microsoft Graph contact property, e.g. givenName, emailAddresses[0].address or businessAddress.city; docs/spec.md lists every supported one".to_owned(),
        [only] => format!("did you mean {only:?}?"),
        several => format!(
            "close matches: {}",
            several.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
