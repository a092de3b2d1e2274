//! Link records kept current: projects of mapped clients get an `Account` link, every link
//! record carries the project's details, and `ToCrm` field maps keep linked CRM records equal
//! to their project's fields (incompatible values are reported, never written).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Ctx, LinkPlan};
use crate::domain::Record;
use crate::live::Address;
use crate::live::ProjectCustomFieldFacts;
use crate::live::data::LinkRecordFacts;
use crate::live::data::{ProjectFacts, value_text};
use crate::plan::desired::{FieldMapping, MapDirection};
use crate::plan::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use crate::plan::field_values::{ConvertError, custom_definition, project_value, to_crm};
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
        let existing = ctx.index.link_of_project(&p.id);
        let plan = ctx.links.get(&p.id).cloned();
        if existing.is_none() && plan.is_none() {
            continue;
        }
        let plan = plan.unwrap_or_default();
        let mut fields = detail_fields(&portal_id, p);
        let (before, mut after) = details_changed(existing, &fields);
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
        let (action, reason) = link_action(existing, &plan);
        let mut depends_on = ctx.link_deps.clone();
        if let Some(client) = &plan.client_to_add {
            depends_on.push(push_project_client(ctx, &portal_id, p, client));
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

/// The detail fields whose text differs from the link record's: their current values (when
/// there is a record) and the values to write.
fn details_changed(
    existing: Option<&LinkRecordFacts>,
    fields: &Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut before = Map::new();
    let mut after = Map::new();
    for (k, v) in fields {
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
    (before, after)
}

/// Update an existing link record, adopt a project found by name, or create the record.
fn link_action(existing: Option<&LinkRecordFacts>, plan: &LinkPlan) -> (Action, String) {
    match (existing, plan.adopted) {
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
    }
}

/// Adds the client company to the project before its link record names the Account;
/// returns the address of that change.
fn push_project_client(
    ctx: &mut Ctx<'_>,
    portal_id: &str,
    p: &ProjectFacts,
    client: &str,
) -> Address {
    let address = Address::projects("project-client", format!("{}/{}", p.id, client));
    ctx.push(Change {
        address: address.clone(),
        action: Action::Create,
        reason: format!("add the client company to project \"{}\"", p.name),
        before: None,
        after: Some(json!({"client_id": client})),
        destructive: false,
        depends_on: vec![],
        operation: Operation::AddProjectClient {
            portal_id: portal_id.to_string(),
            project_id: p.id.clone(),
            client_id: client.to_string(),
        },
    });
    address
}

/// A project field as the value written into a CRM field of `crm_type`, or why it cannot be.
/// `definition` is the portal's definition of the field when it is a custom one.
pub fn to_crm_value(
    p: &ProjectFacts,
    project_field: &str,
    definition: Option<&ProjectCustomFieldFacts>,
    crm_type: &str,
) -> Result<Value, ConvertError> {
    let (kind, text) = project_value(p, project_field, definition)?;
    to_crm(text.as_deref(), kind, crm_type)
}

/// `ToCrm` maps: linked CRM records keep the project's field values. A record linked to
/// several projects cannot equal all of them: it is reported and left as it is.
pub(super) fn plan_to_crm(ctx: &mut Ctx<'_>) {
    let (desired, data) = (ctx.desired, ctx.data);
    for module in &desired.modules {
        let maps: Vec<&FieldMapping> = module
            .field_map
            .iter()
            .filter(|m| m.direction == MapDirection::ToCrm)
            .collect();
        if maps.is_empty() {
            continue;
        }
        let Some(records) = data.records.get(&module.module) else {
            continue;
        };
        let mut by_record: BTreeMap<String, Vec<&ProjectFacts>> = BTreeMap::new();
        for p in &data.projects {
            let linked = ctx
                .index
                .links_of_project(&p.id)
                .iter()
                .find_map(|l| l.lookups.get(&module.lookup_field))
                .or_else(|| {
                    ctx.links
                        .get(&p.id)
                        .and_then(|l| l.lookups.get(&module.lookup_field))
                });
            if let Some(record_id) = linked {
                by_record.entry(record_id.clone()).or_default().push(p);
            }
        }
        for (record_id, projects) in by_record {
            let Some(record) = records.get(&record_id) else {
                continue;
            };
            if let [p] = projects.as_slice() {
                plan_record_fields(ctx, &module.module, &maps, &record_id, record, p);
                continue;
            }
            let names: Vec<String> = projects.iter().map(|p| format!("\"{}\"", p.name)).collect();
            ctx.diag(
                PlanDiagnostic::warning(
                    Code::ValueNotWritable,
                    format!(
                        "{} record {record_id} is linked to {} projects ({}); its fields mapped ToCrm cannot equal all of them and are not written",
                        module.module,
                        projects.len(),
                        names.join(", ")
                    ),
                )
                .hint("map ToCrm from a module whose records link one project each (Deals), or link the record to one project")
                .in_spec(maps[0].spec_path.clone())
                .at(Address::crm("record", format!("{}/{record_id}", module.module))),
            );
        }
    }
}

/// The write that makes one CRM record's mapped fields equal to its project's values.
fn plan_record_fields(
    ctx: &mut Ctx<'_>,
    module: &str,
    maps: &[&FieldMapping],
    record_id: &str,
    record: &Record,
    p: &ProjectFacts,
) {
    let observed = ctx.observed;
    let crm_fields = observed.module_fields.get(module);
    let mut fields = Map::new();
    let mut before = Map::new();
    for m in maps {
        let Some(field) = crm_fields.and_then(|fs| fs.iter().find(|f| f.api_name == m.crm_field))
        else {
            continue;
        };
        let definition = custom_definition(&m.project_field, &observed.project_custom_fields);
        match to_crm_value(p, &m.project_field, definition, &field.data_type) {
            Ok(v) => {
                if value_text(record.get(&m.crm_field)) != value_text(Some(&v)) {
                    let old = record.get(&m.crm_field).cloned().unwrap_or(Value::Null);
                    before.insert(m.crm_field.clone(), old);
                    fields.insert(m.crm_field.clone(), v);
                }
            }
            Err(why) => ctx.diag(
                PlanDiagnostic::warning(
                    Code::ValueNotWritable,
                    format!(
                        "{} of project \"{}\" is not written into {module}.{} of record {record_id}: {why}",
                        m.project_field, p.name, m.crm_field
                    ),
                )
                .hint(format!(
                    "change the value in Projects, or map {} onto a CRM field that can hold it",
                    m.project_field
                ))
                .in_spec(m.spec_path.clone())
                .at(Address::crm("field-map", format!("{module}.{}", m.crm_field))),
            ),
        }
    }
    if fields.is_empty() {
        return;
    }
    ctx.push(Change {
        address: Address::crm("record", format!("{module}/{record_id}")),
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
            module: module.to_string(),
            record_id: record_id.to_string(),
            fields,
        },
    });
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
            to_crm_value(&p, "status", None, "text"),
            Ok(json!("active"))
        );
        assert_eq!(
            to_crm_value(&p, "percent_complete", None, "text"),
            Ok(json!("40"))
        );
        assert_eq!(
            to_crm_value(&p, "percent_complete", None, "integer"),
            Ok(json!(40))
        );
        assert_eq!(
            to_crm_value(&p, "start_date", None, "date"),
            Ok(json!("2026-01-15"))
        );
        assert!(to_crm_value(&p, "status", None, "date").is_err());
        assert!(to_crm_value(&p, "start_date", None, "integer").is_err());
        assert!(to_crm_value(&p, "UDF_CHAR1", None, "text").is_err());
    }

    #[test]
    fn custom_fields_and_the_description_are_written_to_crm() {
        let mut p = project();
        p.description = Some("Showroom fit-out\nphase 2".into());
        p.custom_fields
            .insert("cf_budget_code".into(), "BOW-2026-01".into());
        p.custom_fields.insert("UDF_LONG1".into(), "12.5".into());
        let budget = ProjectCustomFieldFacts {
            column_name: "UDF_CHAR1".into(),
            label: "Budget Code".into(),
            field_type: "text".into(),
            api_name: Some("cf_budget_code".into()),
        };
        let hours = ProjectCustomFieldFacts {
            column_name: "UDF_LONG1".into(),
            label: "Hours".into(),
            field_type: "decimal".into(),
            api_name: None,
        };
        assert_eq!(
            to_crm_value(&p, "UDF_CHAR1", Some(&budget), "text"),
            Ok(json!("BOW-2026-01"))
        );
        assert_eq!(
            to_crm_value(&p, "description", None, "textarea"),
            Ok(json!("Showroom fit-out\nphase 2"))
        );
        assert_eq!(
            to_crm_value(&p, "UDF_LONG1", Some(&hours), "decimal"),
            Ok(json!(12.5))
        );
        let refused = to_crm_value(&p, "UDF_LONG1", Some(&hours), "integer").unwrap_err();
        assert!(
            refused.to_string().contains("not a whole number"),
            "{refused}"
        );
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
