//! Client users ↔ Contacts: manual overrides (by the Contact's email or record id, always
//! applied) and the one-time automatic match by email, with the reason each client user the
//! plan leaves unmapped stays so.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::mapping::{mapped, unmapped};
use super::{ClientUserMappingEntry, Ctx};
use crate::live::Address;
use crate::live::data::{CONTACT_CLIENT_USER_FIELD, ClientFacts, ContactFacts, DataMode};
use crate::plan::desired::RecordRef;
use crate::plan::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use crate::plan::model::{Action, Change, Operation};

/// One client user of the portal with its company's name.
struct User<'a> {
    client: &'a str,
    id: &'a str,
    email: &'a str,
}

/// The Contact mapping as it stands and as this plan leaves it.
struct Mapping<'a> {
    by_id: BTreeMap<&'a str, &'a ContactFacts>,
    by_email: BTreeMap<&'a str, Vec<&'a ContactFacts>>,
    /// Contact id → client user id, after the writes planned so far.
    user_of_contact: BTreeMap<String, String>,
    contact_of_user: BTreeMap<String, String>,
    /// Contact id → the client user id it gets (`None` clears it).
    writes: BTreeMap<String, Option<String>>,
}

impl<'a> Mapping<'a> {
    fn new(contacts: &'a [ContactFacts], rebinding: bool) -> Self {
        let mut m = Mapping {
            by_id: contacts.iter().map(|k| (k.id.as_str(), k)).collect(),
            by_email: BTreeMap::new(),
            user_of_contact: BTreeMap::new(),
            contact_of_user: BTreeMap::new(),
            writes: BTreeMap::new(),
        };
        for k in contacts {
            m.by_email.entry(k.email.as_str()).or_default().push(k);
            match &k.client_user_id {
                // Ids of the old portal's client users: cleared, and mapped afresh.
                Some(_) if rebinding => {
                    m.writes.insert(k.id.clone(), None);
                }
                Some(user) => {
                    m.user_of_contact.insert(k.id.clone(), user.clone());
                    m.contact_of_user.insert(user.clone(), k.id.clone());
                }
                None => {}
            }
        }
        m
    }

    /// Maps `contact` to `user`, clearing whatever either was mapped to before.
    fn assign(&mut self, contact: &str, user: &str) {
        if let Some(old) = self.contact_of_user.remove(user) {
            self.user_of_contact.remove(&old);
            self.writes.insert(old, None);
        }
        if let Some(other) = self.user_of_contact.remove(contact) {
            self.contact_of_user.remove(&other);
        }
        self.user_of_contact.insert(contact.into(), user.into());
        self.contact_of_user.insert(user.into(), contact.into());
        self.writes.insert(contact.into(), Some(user.into()));
    }

    fn contact(&self, id: &str) -> Option<&'a ContactFacts> {
        self.by_id.get(id).copied()
    }

    /// The one Contact an override names, or why there is none.
    fn resolve(&self, by: &RecordRef) -> Result<&'a ContactFacts, (String, String)> {
        match by {
            RecordRef::Id(id) => self.contact(id).ok_or_else(|| {
                (
                    format!("no Contact has the id {id}"),
                    "give the record id of an existing Contact (the digits in its CRM URL)".into(),
                )
            }),
            RecordRef::Name(email) => match self.by_email.get(email.as_str()).map(Vec::as_slice) {
                Some([k]) => Ok(k),
                None | Some([]) => Err((
                    format!("no Contact has the email {email}"),
                    "name the Contact by an email it has, or by contactId".into(),
                )),
                Some(many) => Err((
                    format!(
                        "{} Contacts have the email {email} (ids {})",
                        many.len(),
                        ids(many)
                    ),
                    "name the Contact by contactId: one of the ids listed".into(),
                )),
            },
        }
    }
}

fn ids(contacts: &[&ContactFacts]) -> String {
    contacts
        .iter()
        .map(|k| k.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plans the Contact writes of the client user mapping; returns the report's entries.
/// `run_auto`: the one-time automatic mapping runs in this plan.
pub(super) fn plan_user_mapping(
    ctx: &mut Ctx<'_>,
    run_auto: bool,
    field_dep: Option<Address>,
    writes: &mut Vec<Address>,
) -> Vec<ClientUserMappingEntry> {
    let data = ctx.data;
    let mut mapping = Mapping::new(&data.contacts, data.mode == DataMode::Rebinding);
    let users = client_users(&data.clients);
    let mut entries: BTreeMap<&str, ClientUserMappingEntry> = BTreeMap::new();
    let mut overridden: BTreeSet<&str> = BTreeSet::new();

    for o in &ctx.desired.clients.user_overrides {
        let Some(user) = users.iter().find(|u| u.email == o.email) else {
            ctx.diag(
                PlanDiagnostic::error(
                    Code::ClientUserNotFound,
                    format!(
                        "clients.userOverrides names client user {}, who is not a client user of the portal",
                        o.email
                    ),
                )
                .hint("use the client user's email as Zoho Projects shows it")
                .in_spec(format!("{}.clientUser", o.spec_path)),
            );
            continue;
        };
        overridden.insert(user.id);
        let status = match mapping.resolve(&o.contact) {
            Ok(k) => {
                if mapping.contact_of_user.get(user.id) != Some(&k.id) {
                    mapping.assign(&k.id, user.id);
                }
                mapped(&k.email, &k.id, "override")
            }
            Err((reason, hint)) => {
                let key = match o.contact {
                    RecordRef::Id(_) => "contactId",
                    RecordRef::Name(_) => "contact",
                };
                ctx.diag(
                    PlanDiagnostic::error(
                        Code::ContactNotFound,
                        format!("client user {}: override: {reason}", o.email),
                    )
                    .hint(hint)
                    .at(Address::projects("client-user", o.email.clone()))
                    .in_spec(format!("{}.{key}", o.spec_path)),
                );
                unmapped(format!("override: {reason}"))
            }
        };
        entries.insert(user.id, entry(user, status));
    }

    if run_auto {
        for user in users.iter().filter(|u| !overridden.contains(u.id)) {
            let status = auto_status(&mut mapping, user);
            entries.insert(user.id, entry(user, status));
        }
    }

    let user_by_id: BTreeMap<&str, &User<'_>> = users.iter().map(|u| (u.id, u)).collect();
    for (contact_id, user) in std::mem::take(&mut mapping.writes) {
        let change = contact_write(
            ctx,
            &mapping,
            &contact_id,
            user,
            &user_by_id,
            field_dep.clone(),
        );
        writes.push(change.address.clone());
        ctx.push(change);
    }
    let mut entries: Vec<ClientUserMappingEntry> = entries.into_values().collect();
    entries.sort_by(|a, b| (&a.client, &a.email).cmp(&(&b.client, &b.email)));
    entries
}

/// Every client user the observation read, with its company's name.
fn client_users(clients: &[ClientFacts]) -> Vec<User<'_>> {
    clients
        .iter()
        .flat_map(|c| {
            c.users.iter().flatten().map(|u| User {
                client: c.name.as_str(),
                id: u.id.as_str(),
                email: u.email.as_str(),
            })
        })
        .collect()
}

/// The automatic match by email of one client user, planning its write when there is one.
fn auto_status(mapping: &mut Mapping<'_>, user: &User<'_>) -> super::MappingStatus {
    if let Some(k) = mapping
        .contact_of_user
        .get(user.id)
        .and_then(|id| mapping.contact(id))
    {
        return mapped(&k.email, &k.id, "existing");
    }
    let matches: Vec<&ContactFacts> = mapping
        .by_email
        .get(user.email)
        .cloned()
        .unwrap_or_default();
    match matches.as_slice() {
        [] => unmapped(format!("no Contact has the email {}", user.email)),
        [k] => match mapping.user_of_contact.get(&k.id) {
            Some(_) => unmapped(format!(
                "Contact {} ({}) is already mapped to another client user",
                k.email, k.id
            )),
            None => {
                let (email, id) = (k.email.clone(), k.id.clone());
                mapping.assign(&id, user.id);
                mapped(&email, &id, "auto")
            }
        },
        many => unmapped(format!(
            "{} Contacts have the email {} (ids {})",
            many.len(),
            user.email,
            ids(many)
        )),
    }
}

/// The change writing (or clearing) one Contact's client user id.
fn contact_write(
    ctx: &Ctx<'_>,
    mapping: &Mapping<'_>,
    contact_id: &str,
    user: Option<String>,
    users: &BTreeMap<&str, &User<'_>>,
    field_dep: Option<Address>,
) -> Change {
    let contact = mapping.contact(contact_id);
    let email = contact.map_or("", |k| k.email.as_str());
    let before = contact.and_then(|k| k.client_user_id.clone());
    let reason = match &user {
        Some(id) => {
            let u = users.get(id.as_str());
            format!(
                "map Contact {email} to client user {} of \"{}\"",
                u.map_or(id.as_str(), |u| u.email),
                u.map_or("", |u| u.client)
            )
        }
        None if ctx.data.mode == DataMode::Rebinding => format!(
            "the bound portal changes: Contact {email} no longer maps to a client user of the old portal"
        ),
        None => format!("Contact {email} no longer maps to a client user (an override moved it)"),
    };
    let mut fields = Map::new();
    fields.insert(
        CONTACT_CLIENT_USER_FIELD.into(),
        user.clone().map_or(Value::Null, Value::String),
    );
    Change {
        address: Address::crm("client-mapping", format!("Contacts/{contact_id}")),
        action: Action::Update,
        reason,
        before: Some(json!({CONTACT_CLIENT_USER_FIELD: before})),
        after: Some(json!({CONTACT_CLIENT_USER_FIELD: user})),
        destructive: false,
        depends_on: field_dep.into_iter().collect(),
        operation: Operation::WriteRecordFields {
            module: "Contacts".into(),
            record_id: contact_id.into(),
            fields,
        },
    }
}

fn entry(user: &User<'_>, status: super::MappingStatus) -> ClientUserMappingEntry {
    ClientUserMappingEntry {
        client: user.client.into(),
        email: user.email.into(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use crate::live::Observed;
    use crate::live::data::{AccountFacts, ClientFacts, ClientUserFacts, ContactFacts, DataFacts};
    use crate::plan::data_plane::{MappingReport, MappingStatus, plan_data};
    use crate::plan::diagnostics::PlanDiagnostic;
    use crate::plan::model::{Change, Operation};
    use crate::plan::{Desired, Severity};

    fn desired(clients: &str) -> Desired {
        let spec: crate::spec::ProjectsIntegrationSpec = serde_saphyr::from_str(&format!(
            "portal: {{name: Acme Delivery}}\nrelatedLists: {{modules: [{{module: Accounts}}]}}\nclients:\n{clients}"
        ))
        .unwrap();
        Desired::from_spec("acme", &spec)
    }

    fn account(id: &str, name: &str) -> AccountFacts {
        AccountFacts {
            id: id.into(),
            name: name.into(),
            client_id: None,
        }
    }

    fn contact(id: &str, email: &str, user: Option<&str>) -> ContactFacts {
        ContactFacts {
            id: id.into(),
            email: email.into(),
            account_id: None,
            client_user_id: user.map(str::to_string),
        }
    }

    fn client(id: &str, name: &str, users: &[(&str, &str)]) -> ClientFacts {
        ClientFacts {
            id: id.into(),
            name: name.into(),
            users: Some(
                users
                    .iter()
                    .map(|(id, email)| ClientUserFacts {
                        id: id.to_string(),
                        email: email.to_string(),
                        project_ids: vec![],
                    })
                    .collect(),
            ),
        }
    }

    /// A first activation: no mapping field yet, two Accounts share "Twin Co", two Contacts
    /// share an email.
    fn data() -> DataFacts {
        DataFacts {
            portal_id: "p1".into(),
            accounts: vec![
                account("10", "Solo Ltd"),
                account("11", "Twin Co"),
                account("12", "Twin Co"),
            ],
            contacts: vec![
                contact("20", "ann@solo.example", None),
                contact("21", "bob@twin.example", None),
                contact("22", "bob@twin.example", None),
                contact("23", "spare@solo.example", None),
            ],
            clients: vec![
                client("c1", "Solo Ltd", &[("u1", "ann@solo.example")]),
                client("c2", "Twin Co", &[("u2", "bob@twin.example")]),
                client("c3", "Nobody Inc", &[("u3", "cat@nobody.example")]),
            ],
            ..Default::default()
        }
    }

    fn plan(
        desired: &Desired,
        data: DataFacts,
    ) -> (MappingReport, Vec<Change>, Vec<PlanDiagnostic>) {
        let observed = Observed {
            data: Some(data),
            ..Default::default()
        };
        let (mut changes, mut diagnostics) = (Vec::new(), Vec::new());
        let report = plan_data(desired, &observed, &mut changes, &mut diagnostics).unwrap();
        (report, changes, diagnostics)
    }

    fn status(report: &MappingReport, email: &str) -> MappingStatus {
        report
            .client_users
            .iter()
            .find(|u| u.email == email)
            .unwrap()
            .status
            .clone()
    }

    /// (module, record id, value written) of every mapping write.
    fn writes(changes: &[Change]) -> Vec<(String, String, serde_json::Value)> {
        changes
            .iter()
            .filter_map(|c| match &c.operation {
                Operation::WriteRecordFields {
                    module,
                    record_id,
                    fields,
                } => Some((
                    module.clone(),
                    record_id.clone(),
                    fields.values().next().cloned().unwrap(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn first_activation_maps_unambiguous_users_and_says_why_not_the_others() {
        let (report, changes, diagnostics) = plan(&desired("  accountMapping: Auto\n"), data());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(report.automatic_mapping, "done");
        assert!(matches!(
            status(&report, "ann@solo.example"),
            MappingStatus::Mapped { record_id, via, .. } if record_id == "20" && via == "auto"
        ));
        assert_eq!(
            status(&report, "bob@twin.example"),
            MappingStatus::Unmapped {
                reason: "2 Contacts have the email bob@twin.example (ids 21, 22)".into()
            }
        );
        assert_eq!(
            status(&report, "cat@nobody.example"),
            MappingStatus::Unmapped {
                reason: "no Contact has the email cat@nobody.example".into()
            }
        );
        let twin = report
            .clients
            .iter()
            .find(|c| c.client == "Twin Co")
            .unwrap();
        assert_eq!(
            twin.status,
            MappingStatus::Unmapped {
                reason: "2 Accounts are named \"Twin Co\" (ids 11, 12)".into()
            }
        );
        assert_eq!(
            writes(&changes),
            [
                ("Accounts".into(), "10".into(), "c1".into()),
                ("Contacts".into(), "20".into(), "u1".into()),
            ]
        );
    }

    #[test]
    fn overrides_by_id_choose_among_shared_names_and_move_mappings() {
        let mut data = data();
        // u1 is mapped already, to a Contact the override takes it away from.
        data.contacts[0].client_user_id = Some("u1".into());
        let desired = desired(
            "  overrides:\n    - {client: Twin Co, accountId: '12'}\n  userOverrides:\n    - {clientUser: BOB@twin.example, contactId: '22'}\n    - {clientUser: ann@solo.example, contact: spare@solo.example}\n",
        );
        let (report, changes, diagnostics) = plan(&desired, data);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let twin = report
            .clients
            .iter()
            .find(|c| c.client == "Twin Co")
            .unwrap();
        assert!(matches!(&twin.status,
            MappingStatus::Mapped { record_id, via, .. } if record_id == "12" && via == "override"));
        assert_eq!(
            writes(&changes),
            [
                ("Accounts".into(), "10".into(), "c1".into()),
                ("Accounts".into(), "12".into(), "c2".into()),
                ("Contacts".into(), "20".into(), serde_json::Value::Null),
                ("Contacts".into(), "22".into(), "u2".into()),
                ("Contacts".into(), "23".into(), "u1".into()),
            ]
        );
    }

    #[test]
    fn overrides_the_org_cannot_honour_are_errors_at_their_spec_entry() {
        let desired = desired(
            "  overrides:\n    - {client: Twin Co, account: Twin Co}\n    - {client: Solo Ltd, accountId: '99'}\n    - {client: Gone GmbH, account: Solo Ltd}\n  userOverrides:\n    - {clientUser: bob@twin.example, contact: bob@twin.example}\n    - {clientUser: dan@gone.example, contactId: '20'}\n",
        );
        let (report, _, diagnostics) = plan(&desired, data());
        let found: Vec<(Severity, &str, &str)> = diagnostics
            .iter()
            .map(|d| {
                (
                    d.severity,
                    d.message.as_str(),
                    d.spec_at.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    Severity::Error,
                    "client \"Twin Co\": override: 2 Accounts are named \"Twin Co\" (ids 11, 12)",
                    "spec.clients.overrides[0].account"
                ),
                (
                    Severity::Error,
                    "client \"Solo Ltd\": override: no Account has the id 99",
                    "spec.clients.overrides[1].accountId"
                ),
                (
                    Severity::Error,
                    "clients.overrides names client \"Gone GmbH\", which is not a client company of the portal",
                    "spec.clients.overrides[2].client"
                ),
                (
                    Severity::Error,
                    "client user bob@twin.example: override: 2 Contacts have the email bob@twin.example (ids 21, 22)",
                    "spec.clients.userOverrides[0].contact"
                ),
                (
                    Severity::Error,
                    "clients.userOverrides names client user dan@gone.example, who is not a client user of the portal",
                    "spec.clients.userOverrides[1].clientUser"
                ),
            ]
        );
        assert_eq!(
            status(&report, "bob@twin.example"),
            MappingStatus::Unmapped {
                reason: "override: 2 Contacts have the email bob@twin.example (ids 21, 22)".into()
            }
        );
    }
}
