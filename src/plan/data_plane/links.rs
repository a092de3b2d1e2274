//! Link records kept current: projects of mapped clients get an `Account` link, every link
//! record carries the project's details, and `ToCrm` field maps keep linked CRM records equal
//! to their project's fields (incompatible values are reported, never written).

use serde_json::{Map, Value, json};

use super::Ctx;
use crate::live::Address;
use crate::live::data::{ProjectFacts, value_text};
use crate::plan::desired::MapDirection;
use crate::plan::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use crate::plan::field_map::{ValueFamily, crm_family};
use crate::plan::model::{Action, Change, Operation};

/// Projects whose client company maps to an Account are linked to that Account.
pub(super) fn associate_client_projects(ctx: &mut Ctx<'_>) {
    if !ctx.has_lookup("Account") {
        return;
    }
    for p in &ctx.data.projects {
        let Some(clients) = &p.clients else { continue };
        let Some(account) = clients
            .iter()
            .find_map(|c| ctx.account_of_client.get(&c.id))
        else {
            continue;
        };
        ctx.links
            .entry(p.id.clone())
            .or_default()
            .lookups
            .entry("Account".into())
            .or_insert_with(|| account.clone());
    }
}

/// The detail fields a link record of `project` carries.
pub fn detail_fields(portal_id: &str, p: &ProjectFacts) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("Name".into(), json!(p.name));
    m.insert("Portal_Id".into(), json!(portal_id));
    m.insert("Project_Status".into(), json!(p.status));
    m.insert("Project_Owner".into(), json!(p.owner));
    m.insert("Start_Date".into(), json!(p.start_date));
    m.insert("End_Date".into(), json!(p.end_date));
    m.insert(
        "Percent_Complete".into(),
        json!(p.percent_complete.unwrap_or(0)),
    );
    m.insert("Project_Url".into(), json!(p.url));
    m
}

/// Plans one link record per project that should have one, with current details.
pub(super) fn plan_link_records(ctx: &mut Ctx<'_>) {
    let portal_id = ctx.data.portal_id.clone();
    for p in &ctx.data.projects {
        let existing = ctx
            .data
            .link_records
            .iter()
            .find(|l| l.project_id.as_deref() == Some(p.id.as_str()));
        let plan = ctx.links.get(&p.id).cloned();
        if existing.is_none() && plan.is_none() {
            continue;
        }
        let plan = plan.unwrap_or_default();
        let mut fields = detail_fields(&portal_id, p);
        let mut before = Map::new();
        let mut after = Map::new();
        for (k, v) in &fields {
            let current = existing.map(|l| {
                if k == "Name" {
                    l.name.clone()
                } else {
                    l.details.get(k).cloned().unwrap_or_default()
                }
            });
            if current.as_deref() != Some(value_text(Some(v)).as_str()) {
                if let Some(c) = current {
                    before.insert(k.clone(), json!(c));
                }
                after.insert(k.clone(), v.clone());
            }
        }
        for (field, id) in &plan.lookups {
            if existing.and_then(|l| l.lookups.get(field)) != Some(id) {
                fields.insert(field.clone(), json!({"id": id}));
                after.insert(field.clone(), json!(id));
            }
        }
        if after.is_empty() {
            continue;
        }
        let address = Address::crm("link-record", format!("{}/{}", ctx.link_module(), p.id));
        let (action, reason) = match (existing, plan.adopted) {
            (Some(_), _) => (
                Action::Update,
                "keep the project's details and links current".to_string(),
            ),
            (None, true) => (
                Action::Adopt,
                plan.reason
                    .clone()
                    .unwrap_or_else(|| "adopt the existing project".into()),
            ),
            (None, false) => (
                Action::Create,
                plan.reason
                    .clone()
                    .unwrap_or_else(|| "project of a client mapped to an Account".into()),
            ),
        };
        let mut depends_on = ctx.link_deps.clone();
        if let Some(client) = &plan.client_to_add {
            let client_address =
                Address::projects("project-client", format!("{}/{}", p.id, client));
            ctx.push(Change {
                address: client_address.clone(),
                action: Action::Create,
                reason: format!("add the client company to project \"{}\"", p.name),
                before: None,
                after: Some(json!({"client_id": client})),
                destructive: false,
                depends_on: vec![],
                operation: Operation::AddProjectClient {
                    portal_id: portal_id.clone(),
                    project_id: p.id.clone(),
                    client_id: client.clone(),
                },
            });
            depends_on.push(client_address);
        }
        ctx.push(Change {
            address,
            action,
            reason,
            before: (!before.is_empty()).then_some(Value::Object(before)),
            after: Some(Value::Object(after)),
            destructive: false,
            depends_on,
            operation: Operation::UpsertLinkRecord {
                link_module: ctx.link_module().to_string(),
                record_id: existing.map(|l| l.id.clone()).or(plan.record_id.clone()),
                project_id: p.id.clone(),
                fields,
            },
        });
    }
}

/// A project field as the value written into a CRM field of `family`, or why it cannot be.
pub fn to_crm_value(
    p: &ProjectFacts,
    project_field: &str,
    family: ValueFamily,
) -> Result<Value, String> {
    let text = |v: Option<&String>| v.cloned().map_or(Value::Null, Value::String);
    let (value, source) = match project_field {
        "name" => (json!(p.name), ValueFamily::Text),
        "status" => (json!(p.status), ValueFamily::Text),
        "owner" => (json!(p.owner), ValueFamily::Text),
        "start_date" => (text(p.start_date.as_ref()), ValueFamily::Date),
        "end_date" => (text(p.end_date.as_ref()), ValueFamily::Date),
        "percent_complete" => (json!(p.percent_complete.unwrap_or(0)), ValueFamily::Number),
        other => return Err(format!("project field {other} is not kept in CRM")),
    };
    match (source, family) {
        (_, ValueFamily::Text) => Ok(match value {
            Value::Number(n) => json!(n.to_string()),
            v => v,
        }),
        (s, f) if s == f => Ok(value),
        (s, f) => Err(format!(
            "a {s:?} value cannot be written into a {f:?} field"
        )),
    }
}

/// `ToCrm` maps: linked CRM records keep the project's field values.
pub(super) fn plan_to_crm(ctx: &mut Ctx<'_>) {
    for module in &ctx.desired.modules {
        let maps: Vec<_> = module
            .field_map
            .iter()
            .filter(|m| m.direction == MapDirection::ToCrm)
            .collect();
        if maps.is_empty() {
            continue;
        }
        let Some(records) = ctx.data.records.get(&module.module) else {
            continue;
        };
        let crm_fields = ctx.observed.module_fields.get(&module.module);
        for p in &ctx.data.projects {
            let linked = ctx
                .data
                .link_records
                .iter()
                .filter(|l| l.project_id.as_deref() == Some(p.id.as_str()))
                .find_map(|l| l.lookups.get(&module.lookup_field))
                .or_else(|| {
                    ctx.links
                        .get(&p.id)
                        .and_then(|l| l.lookups.get(&module.lookup_field))
                });
            let Some(record_id) = linked.cloned() else {
                continue;
            };
            let Some(record) = records.get(&record_id) else {
                continue;
            };
            let mut fields = Map::new();
            let mut before = Map::new();
            for m in &maps {
                let Some(field) =
                    crm_fields.and_then(|fs| fs.iter().find(|f| f.api_name == m.crm_field))
                else {
                    continue;
                };
                match to_crm_value(p, &m.project_field, crm_family(&field.data_type)) {
                    Ok(v) => {
                        if value_text(record.get(&m.crm_field)) != value_text(Some(&v)) {
                            before.insert(m.crm_field.clone(), record.get(&m.crm_field).cloned().unwrap_or(Value::Null));
                            fields.insert(m.crm_field.clone(), v);
                        }
                    }
                    Err(why) => ctx.diag(
                        PlanDiagnostic::warning(
                            Code::ValueNotWritable,
                            format!("{} of project \"{}\" is not written into {}.{} of record {record_id}: {why}", m.project_field, p.name, module.module, m.crm_field),
                        )
                        .at(Address::crm("field-map", format!("{}.{}", module.module, m.crm_field))),
                    ),
                }
            }
            if fields.is_empty() {
                continue;
            }
            ctx.push(Change {
                address: Address::crm("record", format!("{}/{record_id}", module.module)),
                action: Action::Update,
                reason: format!(
                    "keep the fields mapped ToCrm equal to project \"{}\"",
                    p.name
                ),
                before: Some(Value::Object(before)),
                after: Some(Value::Object(fields.clone())),
                destructive: false,
                depends_on: vec![],
                operation: Operation::WriteRecordFields {
                    module: module.module.clone(),
                    record_id,
                    fields,
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> ProjectFacts {
        ProjectFacts {
            id: "1".into(),
            name: "Website Redesign".into(),
            status: "active".into(),
            start_date: Some("2026-01-15".into()),
            percent_complete: Some(40),
            ..Default::default()
        }
    }

    #[test]
    fn values_convert_into_compatible_crm_fields_only() {
        let p = project();
        assert_eq!(
            to_crm_value(&p, "status", ValueFamily::Text),
            Ok(json!("active"))
        );
        assert_eq!(
            to_crm_value(&p, "percent_complete", ValueFamily::Text),
            Ok(json!("40"))
        );
        assert_eq!(
            to_crm_value(&p, "percent_complete", ValueFamily::Number),
            Ok(json!(40))
        );
        assert_eq!(
            to_crm_value(&p, "start_date", ValueFamily::Date),
            Ok(json!("2026-01-15"))
        );
        assert!(to_crm_value(&p, "status", ValueFamily::Date).is_err());
        assert!(to_crm_value(&p, "start_date", ValueFamily::Number).is_err());
        assert!(to_crm_value(&p, "UDF_CHAR1", ValueFamily::Text).is_err());
    }

    #[test]
    fn link_records_carry_the_project_details() {
        let fields = detail_fields("101", &project());
        assert_eq!(fields["Name"], json!("Website Redesign"));
        assert_eq!(fields["Portal_Id"], json!("101"));
        assert_eq!(fields["Percent_Complete"], json!(40));
        assert_eq!(fields["End_Date"], json!(null));
    }
}
