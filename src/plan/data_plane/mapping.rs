//! Client Account Mapping: the mapping fields on Accounts and Contacts, manual overrides
//! (by Account name or record id, always applied), the one-time automatic match by exact
//! name, its record in the marker, and the per-client report with the reason a client stays
//! unmapped. Client users ↔ Contacts are in `mapping_users.rs`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{ClientMappingEntry, Ctx, MappingReport, MappingStatus};
use crate::live::data::{
    ACCOUNT_CLIENT_FIELD, AccountFacts, CONTACT_CLIENT_USER_FIELD, DataFacts, DataMode,
};
use crate::live::{Address, ClientMappingState, MARKER_VARIABLE, Marker, ownership_marker};
use crate::plan::desired::RecordRef;
use crate::plan::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use crate::plan::model::{Action, Change, FieldSpec, Operation};

fn mapping_field(api_name: &str, label: &str) -> FieldSpec {
    FieldSpec {
        api_name: api_name.into(),
        label: label.into(),
        data_type: "text".into(),
        lookup_module: None,
        unique: true,
        length: Some(255),
    }
}

/// Plans the mapping fields and writes; returns the report.
pub(super) fn plan_mapping(
    ctx: &mut Ctx<'_>,
    variable_id: Option<String>,
    marker: Marker,
) -> MappingReport {
    let field_deps = mapping_fields(ctx);
    let data = ctx.data;
    let mut accounts = Accounts::new(data);
    for a in &data.accounts {
        let Some(client) = &a.client_id else { continue };
        if data.mode == DataMode::Rebinding {
            // Mapped ids name the old portal's clients: cleared, and mapped afresh below.
            accounts.writes.insert(a.id.clone(), None);
        } else {
            ctx.account_of_client.insert(client.clone(), a.id.clone());
            ctx.client_of_account.insert(a.id.clone(), client.clone());
        }
    }
    let mut entries: BTreeMap<String, ClientMappingEntry> = BTreeMap::new();
    apply_overrides(ctx, &mut accounts, &mut entries);
    let pending = marker.client_mapping == ClientMappingState::Pending;
    let run_auto = pending && ctx.desired.clients.auto;
    auto_map(ctx, &mut accounts, &mut entries, run_auto);
    let mut writes = account_changes(ctx, &accounts, field_deps.get("Accounts").cloned());
    let user_entries = super::mapping_users::plan_user_mapping(
        ctx,
        run_auto,
        field_deps.get("Contacts").cloned(),
        &mut writes,
    );
    let after = if pending {
        writes.extend(field_deps.values().cloned());
        record_mapping_ran(ctx, variable_id, marker, writes)
    } else {
        marker.client_mapping
    };
    let mut clients: Vec<ClientMappingEntry> = entries.into_values().collect();
    clients.sort_by(|a, b| (&a.client, &a.client_id).cmp(&(&b.client, &b.client_id)));
    MappingReport {
        automatic_mapping: match after {
            ClientMappingState::Pending => "pending",
            ClientMappingState::Done => "done",
            ClientMappingState::Skipped => "skipped",
        }
        .into(),
        clients,
        client_users: user_entries,
    }
}

/// Creates the mapping fields the org lacks; returns their changes' addresses by module.
fn mapping_fields(ctx: &mut Ctx<'_>) -> BTreeMap<&'static str, Address> {
    let data = ctx.data;
    let mut field_deps = BTreeMap::new();
    for (module, exists, api, label) in [
        (
            "Accounts",
            data.account_field,
            ACCOUNT_CLIENT_FIELD,
            "Projects Client Id",
        ),
        (
            "Contacts",
            data.contact_field,
            CONTACT_CLIENT_USER_FIELD,
            "Projects Client User Id",
        ),
    ] {
        if exists {
            continue;
        }
        let address = Address::crm("field", format!("{module}.{api}"));
        ctx.push(Change {
            address: address.clone(),
            action: Action::Create,
            reason: "client mapping field (which Projects client this record is)".into(),
            before: None,
            after: Some(json!({"api_name": api, "data_type": "text", "unique": true})),
            destructive: false,
            depends_on: vec![],
            operation: Operation::CreateField {
                module: module.into(),
                field: mapping_field(api, label),
                tooltip: ownership_marker(&ctx.desired.owner),
            },
        });
        field_deps.insert(module, address);
    }
    field_deps
}

/// The observed Accounts, indexed, and the Account writes planned so far.
struct Accounts<'a> {
    by_id: BTreeMap<&'a str, &'a AccountFacts>,
    by_name: BTreeMap<&'a str, Vec<&'a AccountFacts>>,
    client_name: BTreeMap<&'a str, &'a str>,
    /// Account id → the client id it gets (`None` clears it).
    writes: BTreeMap<String, Option<String>>,
}

impl<'a> Accounts<'a> {
    fn new(data: &'a DataFacts) -> Self {
        let mut by_name: BTreeMap<&str, Vec<&AccountFacts>> = BTreeMap::new();
        for a in &data.accounts {
            by_name.entry(a.name.as_str()).or_default().push(a);
        }
        Accounts {
            by_id: data.accounts.iter().map(|a| (a.id.as_str(), a)).collect(),
            by_name,
            client_name: data
                .clients
                .iter()
                .map(|c| (c.id.as_str(), c.name.as_str()))
                .collect(),
            writes: BTreeMap::new(),
        }
    }

    fn named(&self, name: &str) -> &[&'a AccountFacts] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    fn client_name<'s>(&'s self, id: &'s str) -> &'s str {
        self.client_name.get(id).copied().unwrap_or(id)
    }

    /// The one Account an override names, or why there is none (with a hint).
    fn resolve(&self, by: &RecordRef) -> Result<&'a AccountFacts, (String, &'static str)> {
        match by {
            RecordRef::Id(id) => self.by_id.get(id.as_str()).copied().ok_or_else(|| {
                (
                    format!("no Account has the id {id}"),
                    "give the record id of an existing Account (the digits in its CRM URL)",
                )
            }),
            RecordRef::Name(name) => match self.named(name) {
                [a] => Ok(*a),
                [] => Err((
                    format!("no Account is named \"{name}\""),
                    "overrides name an Account by its exact Account_Name, or by accountId",
                )),
                many => Err((
                    ambiguous(name, many),
                    "name the Account by accountId: one of the ids listed",
                )),
            },
        }
    }
}

/// Overrides always apply; one the org cannot honour is an error at its spec entry.
fn apply_overrides(
    ctx: &mut Ctx<'_>,
    accounts: &mut Accounts<'_>,
    entries: &mut BTreeMap<String, ClientMappingEntry>,
) {
    for o in &ctx.desired.clients.overrides {
        let client = &o.client;
        let Some(c) = ctx.index.client_named(client) else {
            ctx.diag(
                PlanDiagnostic::error(
                    Code::ClientNotFound,
                    format!("clients.overrides names client \"{client}\", which is not a client company of the portal"),
                )
                .hint("use the client company's exact name as Zoho Projects shows it")
                .at(Address::projects("client", client.clone()))
                .in_spec(format!("{}.client", o.spec_path)),
            );
            continue;
        };
        let status = match accounts.resolve(&o.account) {
            Ok(a) => {
                if ctx.client_of_account.get(&a.id) != Some(&c.id) {
                    if let Some(old) = ctx.account_of_client.remove(&c.id) {
                        accounts.writes.insert(old.clone(), None);
                        ctx.client_of_account.remove(&old);
                    }
                    if let Some(other) = ctx.client_of_account.insert(a.id.clone(), c.id.clone()) {
                        ctx.account_of_client.remove(&other);
                    }
                    ctx.account_of_client.insert(c.id.clone(), a.id.clone());
                    accounts.writes.insert(a.id.clone(), Some(c.id.clone()));
                }
                mapped(&a.name, &a.id, "override")
            }
            Err((reason, hint)) => {
                let key = match o.account {
                    RecordRef::Id(_) => "accountId",
                    RecordRef::Name(_) => "account",
                };
                ctx.diag(
                    PlanDiagnostic::error(
                        Code::AccountNotFound,
                        format!("client \"{client}\": override: {reason}"),
                    )
                    .hint(hint)
                    .at(Address::projects("client", client.clone()))
                    .in_spec(format!("{}.{key}", o.spec_path)),
                );
                unmapped(format!("override: {reason}"))
            }
        };
        entries.insert(c.id.clone(), entry(&c.name, &c.id, status));
    }
}

/// Every client without an override: its existing mapping, the automatic match by exact
/// name when `run_auto`, or why it stays unmapped.
fn auto_map(
    ctx: &mut Ctx<'_>,
    accounts: &mut Accounts<'_>,
    entries: &mut BTreeMap<String, ClientMappingEntry>,
    run_auto: bool,
) {
    for c in &ctx.data.clients {
        if entries.contains_key(&c.id) {
            continue;
        }
        if let Some(account) = ctx.account_of_client.get(&c.id) {
            let name = accounts
                .by_id
                .get(account.as_str())
                .map_or("", |a| a.name.as_str());
            entries.insert(
                c.id.clone(),
                entry(&c.name, &c.id, mapped(name, account, "existing")),
            );
            continue;
        }
        let matches = accounts.named(&c.name).to_vec();
        let status = match matches.as_slice() {
            [] => unmapped(format!("no Account is named \"{}\"", c.name)),
            [a] => match ctx.client_of_account.get(&a.id) {
                Some(other) => unmapped(format!(
                    "Account \"{}\" is already mapped to client \"{}\"",
                    a.name,
                    accounts.client_name(other)
                )),
                None if run_auto => {
                    ctx.client_of_account.insert(a.id.clone(), c.id.clone());
                    ctx.account_of_client.insert(c.id.clone(), a.id.clone());
                    accounts.writes.insert(a.id.clone(), Some(c.id.clone()));
                    mapped(&a.name, &a.id, "auto")
                }
                None if ctx.desired.clients.auto => unmapped(
                    "the one-time automatic mapping has already run; add an override".into(),
                ),
                None => unmapped(
                    "automatic mapping is skipped (accountMapping: Skip); add an override".into(),
                ),
            },
            many => unmapped(ambiguous(&c.name, many)),
        };
        entries.insert(c.id.clone(), entry(&c.name, &c.id, status));
    }
}

/// The changes writing the planned Account mappings; returns their addresses.
fn account_changes(
    ctx: &mut Ctx<'_>,
    accounts: &Accounts<'_>,
    field_dep: Option<Address>,
) -> Vec<Address> {
    let mut writes = Vec::new();
    for (account_id, client) in &accounts.writes {
        let account = accounts.by_id.get(account_id.as_str());
        let account_name = account.map_or("", |a| a.name.as_str());
        let address = Address::crm("client-mapping", format!("Accounts/{account_id}"));
        let before = account.and_then(|a| a.client_id.clone());
        let mut fields = Map::new();
        fields.insert(
            ACCOUNT_CLIENT_FIELD.into(),
            client.clone().map_or(Value::Null, Value::String),
        );
        ctx.push(Change {
            address: address.clone(),
            action: Action::Update,
            reason: match client {
                Some(c) => format!(
                    "map Account \"{account_name}\" to client \"{}\"",
                    accounts.client_name(c)
                ),
                None if ctx.data.mode == DataMode::Rebinding => format!(
                    "the bound portal changes: Account \"{account_name}\" no longer maps to a client of the old portal"
                ),
                None => format!("Account \"{account_name}\" no longer maps to a client (an override moved it)"),
            },
            before: Some(json!({ACCOUNT_CLIENT_FIELD: before})),
            after: Some(json!({ACCOUNT_CLIENT_FIELD: client})),
            destructive: false,
            depends_on: field_dep.clone().into_iter().collect(),
            operation: Operation::WriteRecordFields {
                module: "Accounts".into(),
                record_id: account_id.clone(),
                fields,
            },
        });
        ctx.mapping_change_of_account
            .insert(account_id.clone(), address.clone());
        writes.push(address);
    }
    writes
}

/// Records in the marker that the one-time mapping ran (or was skipped), once every mapping
/// write of this plan (`depends_on`) is done; returns the state it records.
fn record_mapping_ran(
    ctx: &mut Ctx<'_>,
    variable_id: Option<String>,
    marker: Marker,
    depends_on: Vec<Address>,
) -> ClientMappingState {
    let state = if ctx.desired.clients.auto {
        ClientMappingState::Done
    } else {
        ClientMappingState::Skipped
    };
    let mut next = marker;
    next.client_mapping = state;
    ctx.push(Change {
        address: Address::crm("client-mapping", MARKER_VARIABLE),
        action: Action::Update,
        reason: if state == ClientMappingState::Done {
            "record that the one-time automatic client mapping ran (it never runs again in this activation)".into()
        } else {
            "record that the automatic client mapping was skipped (it cannot run again in this activation)".into()
        },
        before: Some(json!({"client_mapping": ClientMappingState::Pending})),
        after: Some(json!({"client_mapping": state})),
        destructive: false,
        depends_on,
        operation: Operation::RecordClientMapping { variable_id, marker: next },
    });
    state
}

/// Clears every client mapping on Accounts and Contacts.
pub(super) fn clear_all(data: &DataFacts, reason: &str) -> Vec<Change> {
    let accounts = data.accounts.iter().filter_map(|a| {
        Some((
            "Accounts",
            ACCOUNT_CLIENT_FIELD,
            &a.id,
            a.client_id.as_ref()?,
        ))
    });
    let contacts = data.contacts.iter().filter_map(|c| {
        Some((
            "Contacts",
            CONTACT_CLIENT_USER_FIELD,
            &c.id,
            c.client_user_id.as_ref()?,
        ))
    });
    accounts
        .chain(contacts)
        .map(|(module, field, id, value)| {
            let mut fields = Map::new();
            fields.insert(field.into(), Value::Null);
            Change {
                address: Address::crm("client-mapping", format!("{module}/{id}")),
                action: Action::Delete,
                reason: reason.into(),
                before: Some(json!({field: value})),
                after: Some(json!({field: null})),
                destructive: false,
                depends_on: vec![],
                operation: Operation::WriteRecordFields {
                    module: module.into(),
                    record_id: id.clone(),
                    fields,
                },
            }
        })
        .collect()
}

/// Why a name matches no single Account, with the candidates' ids for an override.
fn ambiguous(name: &str, accounts: &[&AccountFacts]) -> String {
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    format!(
        "{} Accounts are named \"{name}\" (ids {})",
        accounts.len(),
        ids.join(", ")
    )
}

fn entry(client: &str, id: &str, status: MappingStatus) -> ClientMappingEntry {
    ClientMappingEntry {
        client: client.into(),
        client_id: id.into(),
        status,
    }
}

pub(super) fn mapped(record: &str, id: &str, via: &str) -> MappingStatus {
    MappingStatus::Mapped {
        record: record.into(),
        record_id: id.into(),
        via: via.into(),
    }
}

pub(super) fn unmapped(reason: String) -> MappingStatus {
    MappingStatus::Unmapped { reason }
}
