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
    let data = ctx.data;
    let mut field_deps: BTreeMap<&str, Address> = BTreeMap::new();
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

    let client_name: BTreeMap<&str, &str> = data
        .clients
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    let account_by_id: BTreeMap<&str, &AccountFacts> =
        data.accounts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut account_writes: BTreeMap<String, Option<String>> = BTreeMap::new();
    for a in data.accounts.iter() {
        let Some(client) = &a.client_id else { continue };
        if data.mode == DataMode::Rebinding {
            // Mapped ids name the old portal's clients: cleared, and mapped afresh below.
            account_writes.insert(a.id.clone(), None);
        } else {
            ctx.account_of_client.insert(client.clone(), a.id.clone());
            ctx.client_of_account.insert(a.id.clone(), client.clone());
        }
    }
    let mut by_name: BTreeMap<&str, Vec<&AccountFacts>> = BTreeMap::new();
    for a in &data.accounts {
        by_name.entry(a.name.as_str()).or_default().push(a);
    }
    let named =
        |name: &str| -> Vec<&AccountFacts> { by_name.get(name).cloned().unwrap_or_default() };
    let mut entries: BTreeMap<String, ClientMappingEntry> = BTreeMap::new();
    let mut writes: Vec<Address> = Vec::new();

    // Overrides always apply.
    for o in &ctx.desired.clients.overrides {
        let client = &o.client;
        let Some(c) = data.clients.iter().find(|c| &c.name == client) else {
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
        let account = match &o.account {
            RecordRef::Id(id) => account_by_id.get(id.as_str()).copied().ok_or_else(|| {
                (
                    format!("no Account has the id {id}"),
                    "give the record id of an existing Account (the digits in its CRM URL)",
                )
            }),
            RecordRef::Name(name) => match named(name).as_slice() {
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
        };
        match account {
            Ok(a) => {
                if ctx.client_of_account.get(&a.id) != Some(&c.id) {
                    if let Some(old) = ctx.account_of_client.remove(&c.id) {
                        account_writes.insert(old.clone(), None);
                        ctx.client_of_account.remove(&old);
                    }
                    if let Some(other) = ctx.client_of_account.insert(a.id.clone(), c.id.clone()) {
                        ctx.account_of_client.remove(&other);
                    }
                    ctx.account_of_client.insert(c.id.clone(), a.id.clone());
                    account_writes.insert(a.id.clone(), Some(c.id.clone()));
                }
                entries.insert(
                    c.id.clone(),
                    entry(&c.name, &c.id, mapped(&a.name, &a.id, "override")),
                );
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
                entries.insert(
                    c.id.clone(),
                    entry(&c.name, &c.id, unmapped(format!("override: {reason}"))),
                );
            }
        }
    }

    let pending = marker.client_mapping == ClientMappingState::Pending;
    let run_auto = pending && ctx.desired.clients.auto;
    for c in &data.clients {
        if entries.contains_key(&c.id) {
            continue;
        }
        if let Some(account) = ctx.account_of_client.get(&c.id) {
            let name = account_by_id
                .get(account.as_str())
                .map_or("", |a| a.name.as_str());
            entries.insert(
                c.id.clone(),
                entry(&c.name, &c.id, mapped(name, account, "existing")),
            );
            continue;
        }
        let matches = named(&c.name);
        let reason = match matches.as_slice() {
            [] => format!("no Account is named \"{}\"", c.name),
            [_, _, ..] => ambiguous(&c.name, &matches),
            [a] => match ctx.client_of_account.get(&a.id) {
                Some(other) => format!(
                    "Account \"{}\" is already mapped to client \"{}\"",
                    a.name,
                    client_name.get(other.as_str()).copied().unwrap_or(other)
                ),
                None if run_auto => {
                    ctx.client_of_account.insert(a.id.clone(), c.id.clone());
                    ctx.account_of_client.insert(c.id.clone(), a.id.clone());
                    account_writes.insert(a.id.clone(), Some(c.id.clone()));
                    entries.insert(
                        c.id.clone(),
                        entry(&c.name, &c.id, mapped(&a.name, &a.id, "auto")),
                    );
                    continue;
                }
                None if ctx.desired.clients.auto => {
                    "the one-time automatic mapping has already run; add an override".into()
                }
                None => {
                    "automatic mapping is skipped (accountMapping: Skip); add an override".into()
                }
            },
        };
        entries.insert(c.id.clone(), entry(&c.name, &c.id, unmapped(reason)));
    }

    for (account_id, client) in &account_writes {
        let account_name = account_by_id
            .get(account_id.as_str())
            .map_or("", |a| a.name.as_str());
        let address = Address::crm("client-mapping", format!("Accounts/{account_id}"));
        let before = account_by_id
            .get(account_id.as_str())
            .and_then(|a| a.client_id.clone());
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
                    client_name.get(c.as_str()).copied().unwrap_or(c)
                ),
                None if data.mode == DataMode::Rebinding => format!(
                    "the bound portal changes: Account \"{account_name}\" no longer maps to a client of the old portal"
                ),
                None => format!("Account \"{account_name}\" no longer maps to a client (an override moved it)"),
            },
            before: Some(json!({ACCOUNT_CLIENT_FIELD: before})),
            after: Some(json!({ACCOUNT_CLIENT_FIELD: client})),
            destructive: false,
            depends_on: field_deps.get("Accounts").cloned().into_iter().collect(),
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

    let user_entries = super::mapping_users::plan_user_mapping(
        ctx,
        run_auto,
        field_deps.get("Contacts").cloned(),
        &mut writes,
    );

    let after = if pending {
        let state = if ctx.desired.clients.auto {
            ClientMappingState::Done
        } else {
            ClientMappingState::Skipped
        };
        let mut next = marker;
        next.client_mapping = state;
        let mut depends_on = writes;
        depends_on.extend(field_deps.values().cloned());
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
