//! Projects made from CRM: link records with an empty `Project_Id` (requests from the related
//! list) and Deals at the conversion stage. A project is identified by its deterministic name,
//! so a run interrupted after the create call adopts the project instead of creating another.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{Ctx, ProjectRequest, ToCrmWrite};
use crate::domain::Record;
use crate::live::creation_tag::without_creation_tag;
use crate::live::data::{ProjectFacts, creation_tag_text, lookup_id, value_text};
use crate::live::{Address, PermissionKind};
use crate::live::{CrmUserFacts, data::LinkRecordFacts};
use crate::plan::desired::{FieldMapping, MapDirection};
use crate::plan::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use crate::plan::field_values::{builtin, custom_definition, custom_kind, to_project};
use crate::plan::model::{Action, Change, Operation};

/// Where a project is asked for.
struct Source<'r> {
    /// CRM module and record the project is for.
    module: String,
    record_id: String,
    record: Option<&'r Record>,
    /// The request's link record, if it is a request.
    request_record_id: Option<String>,
    name: String,
    address: Address,
    reason: String,
}

pub(super) fn plan_deals(ctx: &mut Ctx<'_>) {
    let Some(conversion) = ctx.desired.deal_conversion.clone() else {
        return;
    };
    if !ctx.has_lookup("Deal") {
        ctx.diag(
            PlanDiagnostic::warning(
                Code::RequestInvalid,
                "dealConversion needs Deals in relatedLists.modules: the Deal link is how a converted deal is recognized",
            )
            .at(Address::crm("deal-conversion", conversion.stage.clone())),
        );
        return;
    }
    let Some(deals) = ctx.data.records.get("Deals") else {
        return;
    };
    let converted: BTreeSet<&str> = ctx
        .data
        .link_records
        .iter()
        .filter_map(|l| l.lookups.get("Deal").map(String::as_str))
        .collect();
    let mut pending: Vec<(&String, &Record)> = deals
        .iter()
        .filter(|(id, r)| {
            value_text(r.get("Stage")) == conversion.stage && !converted.contains(id.as_str())
        })
        .collect();
    pending.sort_by_key(|(id, r)| (value_text(r.get("Deal_Name")), (*id).clone()));
    for (id, record) in pending {
        let name = mapped_name(ctx, "Deals", record)
            .unwrap_or_else(|| value_text(record.get("Deal_Name")));
        let source = Source {
            module: "Deals".into(),
            record_id: id.clone(),
            record: Some(record),
            request_record_id: None,
            address: Address::projects("deal-project", format!("Deals/{id}")),
            reason: format!(
                "Deal \"{}\" reached stage \"{}\"",
                value_text(record.get("Deal_Name")),
                conversion.stage
            ),
            name,
        };
        plan_project(ctx, source);
    }
}

pub(super) fn plan_requests(ctx: &mut Ctx<'_>) {
    let requests: Vec<_> = ctx
        .data
        .link_records
        .iter()
        .filter(|l| l.project_id.is_none())
        .collect();
    for request in requests {
        let address = Address::projects(
            "requested-project",
            format!("{}/{}", ctx.link_module(), request.id),
        );
        let parent = ctx.desired.modules.iter().find_map(|m| {
            request
                .lookups
                .get(&m.lookup_field)
                .map(|id| (m.module.clone(), id.clone()))
        });
        let Some((module, record_id)) = parent else {
            ctx.diag(
                PlanDiagnostic::warning(
                    Code::RequestInvalid,
                    format!("link record \"{}\" ({}) has no Project_Id and no linked record: it is not a project request", request.name, request.id),
                )
                .at(address),
            );
            continue;
        };
        if !request_is_valid(ctx, request, &address) {
            continue;
        }
        let record = ctx
            .data
            .records
            .get(&module)
            .and_then(|r| r.get(&record_id));
        let source = Source {
            reason: format!("requested from the related list of {module} record {record_id}"),
            module,
            record_id,
            record,
            request_record_id: Some(request.id.clone()),
            name: request.name.clone(),
            address,
        };
        plan_project(ctx, source);
    }
}

/// Whether a request may make a project: its creator may create link records and it has a
/// name. Otherwise says why it is refused.
fn request_is_valid(ctx: &mut Ctx<'_>, request: &LinkRecordFacts, address: &Address) -> bool {
    let creator = request
        .created_by
        .as_ref()
        .and_then(|id| ctx.index.crm_user(id));
    if !may_create_links(ctx, creator) {
        let who = creator.map_or_else(
            || "an unknown user".to_string(),
            |u| format!("{} (profile {})", u.email, u.profile),
        );
        ctx.diag(
            PlanDiagnostic::warning(
                Code::RequestRefused,
                format!("project request \"{}\" was made by {who}, whose profile lacks the Create permission on the related list; it is refused, no project is created", request.name),
            )
            .hint("grant the profile relatedList.create, or delete the request record")
            .at(address.clone()),
        );
        return false;
    }
    if request.name.trim().is_empty() {
        ctx.diag(
            PlanDiagnostic::warning(
                Code::RequestInvalid,
                format!("project request {} has no Name", request.id),
            )
            .hint("the request's Name is the new project's name")
            .at(address.clone()),
        );
        return false;
    }
    true
}

/// Whether the user's profile has the Create permission on the related list as this plan
/// leaves it: declared profiles are set before projects are created; others keep what they
/// have.
fn may_create_links(ctx: &Ctx<'_>, creator: Option<&CrmUserFacts>) -> bool {
    creator.is_some_and(|u| {
        match ctx
            .desired
            .profiles
            .iter()
            .find(|p| p.name == u.profile)
            .and_then(|p| p.related_list.as_ref())
        {
            Some(perms) => perms.get(&PermissionKind::Create).copied().unwrap_or(false),
            None => ctx
                .observed
                .profiles
                .iter()
                .find(|p| p.name == u.profile)
                .is_some_and(|p| p.link_permission(PermissionKind::Create)),
        }
    })
}

/// The `name` a `ToProject` map gives the project, if any.
fn mapped_name(ctx: &Ctx<'_>, module: &str, record: &Record) -> Option<String> {
    ctx.desired
        .modules
        .iter()
        .filter(|m| m.module == module)
        .flat_map(|m| &m.field_map)
        .find(|m| m.direction == MapDirection::ToProject && m.project_field == "name")
        .map(|m| value_text(record.get(&m.crm_field)))
        .filter(|n| !n.trim().is_empty())
}

fn plan_project(ctx: &mut Ctx<'_>, source: Source<'_>) {
    if ctx.index.creates_project_named(&source.name) {
        ctx.diag(
            PlanDiagnostic::warning(
                Code::ProjectNameTaken,
                format!("another project named \"{}\" is created by this plan ({}); project names are unique in a portal", source.name, source.reason),
            )
            .at(source.address),
        );
        return;
    }
    let mut lookups = Map::new();
    let lookup_field = ctx
        .desired
        .modules
        .iter()
        .find(|m| m.module == source.module)
        .map(|m| m.lookup_field.clone());
    if let Some(field) = &lookup_field {
        lookups.insert(field.clone(), json!({"id": source.record_id}));
    }
    let account = ctx.account_of_record(&source.module, &source.record_id);
    if let Some(account) = &account
        && ctx.has_lookup("Account")
    {
        lookups.insert("Account".into(), json!({"id": account}));
    }
    let client = account
        .as_ref()
        .and_then(|a| ctx.client_of_account.get(a))
        .cloned();

    if let Some(existing) = ctx.index.project_named_folded(&source.name) {
        adopt_project(
            ctx,
            &source,
            existing,
            lookup_field.as_ref(),
            &lookups,
            client.as_ref(),
        );
        return;
    }

    let Some(template_id) = template_id(ctx, &source) else {
        return;
    };
    let mut request = ProjectRequest {
        name: source.name.clone(),
        description: Some(creation_tag_text(&ctx.desired.owner, ctx.generation)),
        template_id,
        request_record_id: source.request_record_id.clone(),
        link_fields: lookups,
        client_id: client,
        ..Default::default()
    };
    fill_request(ctx, &source, &mut request);
    let mut depends_on = ctx.link_deps.clone();
    if let Some(account) = &account
        && let Some(mapping) = ctx.mapping_change_of_account.get(account)
    {
        depends_on.push(mapping.clone());
    }
    ctx.index.note_created_project(&request.name);
    ctx.push(Change {
        address: source.address,
        action: Action::Create,
        reason: source.reason,
        before: None,
        after: Some(creation_after(&request)),
        destructive: false,
        depends_on,
        operation: Operation::CreateLinkedProject {
            portal_id: ctx.data.portal_id.clone(),
            link_module: ctx.link_module().to_string(),
            request,
        },
    });
}

/// A project of the name exists: adopted when this activation created it for this record
/// (an interrupted run), reported and left alone otherwise.
fn adopt_project(
    ctx: &mut Ctx<'_>,
    source: &Source<'_>,
    existing: &ProjectFacts,
    lookup_field: Option<&String>,
    lookups: &Map<String, Value>,
    client: Option<&String>,
) {
    let link = ctx.index.link_of_project(&existing.id);
    let conflicting = link.is_some_and(|l| {
        lookup_field
            .and_then(|f| l.lookups.get(f))
            .is_some_and(|id| id != &source.record_id)
            || source.request_record_id.is_some()
    });
    // Only a project this activation created is adopted: associations of an earlier
    // activation are not restored, and a hand-made project is never taken over.
    let ours = existing.created_by.as_ref() == Some(&(ctx.desired.owner.clone(), ctx.generation));
    if conflicting || !ours {
        ctx.diag(
            PlanDiagnostic::warning(
                Code::ProjectNameTaken,
                format!("a project named \"{}\" already exists and was not created for this record in this activation; not created ({})", source.name, source.reason),
            )
            .hint("project names are unique in a portal: rename the request or the Deal, or link the existing project by hand")
            .at(source.address.clone()),
        );
        return;
    }
    // Found by name and not linked elsewhere: a project an interrupted run created.
    let plan = ctx.links.entry(existing.id.clone()).or_default();
    plan.adopted = true;
    plan.reason = Some(format!(
        "adopt existing project \"{}\": {}",
        source.name, source.reason
    ));
    if plan.record_id.is_none() {
        plan.record_id = source.request_record_id.clone();
    }
    for (field, value) in lookups {
        if let Some(id) = lookup_id(Some(value)) {
            plan.lookups.insert(field.clone(), id);
        }
    }
    if let (Some(client), Some(clients)) = (client, &existing.clients)
        && !clients.iter().any(|c| &c.id == client)
    {
        plan.client_to_add = Some(client.clone());
    }
}

/// The id of the template `dealConversion.template` names (`Some(None)` when it names
/// none); `None` when the portal has no such template, which is reported.
fn template_id(ctx: &mut Ctx<'_>, source: &Source<'_>) -> Option<Option<String>> {
    Some(
        match ctx
            .desired
            .deal_conversion
            .as_ref()
            .and_then(|d| d.template.clone())
        {
            None => None,
            Some(name) => match ctx.data.templates.iter().find(|(_, n)| n == &name) {
                Some((id, _)) => Some(id.clone()),
                None => {
                    ctx.diag(
                    PlanDiagnostic::warning(
                        Code::TemplateNotFound,
                        format!("project template \"{name}\" does not exist in the portal; \"{}\" is not created", source.name),
                    )
                    .hint("create the template in Zoho Projects, or remove dealConversion.template")
                    .at(source.address.clone()),
                );
                    return None;
                }
            },
        },
    )
}

/// What the module's field maps put into the request: values from the record for
/// `ToProject` maps, write-backs for `ToCrm` maps.
fn fill_request(ctx: &mut Ctx<'_>, source: &Source<'_>, request: &mut ProjectRequest) {
    let maps: Vec<_> = ctx
        .desired
        .modules
        .iter()
        .filter(|m| m.module == source.module)
        .flat_map(|m| &m.field_map)
        .collect();
    for m in maps {
        match m.direction {
            MapDirection::ToProject => {
                if let Some(record) = source.record {
                    fill_from_crm(ctx, request, m, record, &source.name);
                }
            }
            MapDirection::ToCrm => {
                let crm_type = ctx
                    .observed
                    .module_fields
                    .get(&source.module)
                    .and_then(|fs| fs.iter().find(|f| f.api_name == m.crm_field))
                    .map(|f| f.data_type.clone());
                let definition =
                    custom_definition(&m.project_field, &ctx.observed.project_custom_fields);
                if let Some(crm_type) = crm_type {
                    request.to_crm.push(ToCrmWrite {
                        module: source.module.clone(),
                        record_id: source.record_id.clone(),
                        crm_field: m.crm_field.clone(),
                        crm_type,
                        project_field: m.project_field.clone(),
                        project_field_type: definition.map(|d| d.field_type.clone()),
                        project_api_name: definition.and_then(|d| d.api_name.clone()),
                        spec_path: m.spec_path.clone(),
                    });
                }
            }
        }
    }
}

/// What a creation shows in the plan: the project, every field its maps fill (the
/// description without the creation tag), and the CRM fields written back once it exists.
fn creation_after(request: &ProjectRequest) -> Value {
    let mut after = Map::new();
    after.insert("name".into(), json!(request.name));
    after.insert("template_id".into(), json!(request.template_id));
    after.insert("client_id".into(), json!(request.client_id));
    let description = request.description.as_deref().map(without_creation_tag);
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        after.insert("description".into(), json!(d));
    }
    for (key, value) in [
        ("start_date", &request.start_date),
        ("end_date", &request.end_date),
    ] {
        if let Some(v) = value {
            after.insert(key.into(), json!(v));
        }
    }
    for (column, value) in &request.custom_fields {
        after.insert(column.clone(), json!(value));
    }
    if !request.to_crm.is_empty() {
        let writes: Vec<String> = request
            .to_crm
            .iter()
            .map(|w| format!("{}.{} from {}", w.module, w.crm_field, w.project_field))
            .collect();
        after.insert("then_written_to_crm".into(), json!(writes));
    }
    Value::Object(after)
}

/// Fills the new project's field from a `ToProject` map, converted to the field's kind; a
/// value that does not fit, or a field that is not set when a project is created, is reported
/// and the project is created without it.
fn fill_from_crm(
    ctx: &mut Ctx<'_>,
    request: &mut ProjectRequest,
    m: &FieldMapping,
    record: &Record,
    project_name: &str,
) {
    let definition = custom_definition(&m.project_field, &ctx.observed.project_custom_fields);
    let builtin = builtin(&m.project_field);
    let kind = match (builtin, definition) {
        (Some(b), _) => b.kind,
        (None, Some(d)) => custom_kind(&d.field_type),
        // An unknown field is already an error of the field-map check.
        (None, None) => return,
    };
    let refuse = |ctx: &mut Ctx<'_>, why: String, hint: String| {
        ctx.diag(
            PlanDiagnostic::warning(
                Code::ValueNotWritable,
                format!(
                    "{} of project \"{project_name}\" is not filled from {}: {why}",
                    m.project_field, m.crm_field
                ),
            )
            .hint(hint)
            .in_spec(m.spec_path.clone())
            .at(Address::crm("field-map", m.crm_field.clone())),
        );
    };
    if builtin.is_some_and(|b| b.on_create.is_none()) {
        let why = format!(
            "projectlink does not set {} when it creates a project",
            m.project_field
        );
        let hint = "remove the entry, or map the field ToCrm to keep CRM equal to the project";
        return refuse(ctx, why, hint.into());
    }
    let value = match to_project(record.get(&m.crm_field), kind) {
        Ok(Some(value)) => value,
        Ok(None) => return,
        Err(why) => {
            let hint = format!(
                "change the CRM value, or map {} onto a Projects field that can hold it",
                m.crm_field
            );
            return refuse(ctx, why.to_string(), hint);
        }
    };
    match builtin.and_then(|b| b.on_create) {
        Some(set) => set(request, value),
        None => {
            request.custom_fields.insert(m.project_field.clone(), value);
        }
    }
}
