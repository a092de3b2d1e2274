//! "Import users from CRM": CRM users into the portal (with a role) and listed projects, and
//! CRM Contacts as client users of the client company their Account maps to. Whatever cannot
//! be imported is a diagnostic with the reason; the rest still proceeds.

use std::collections::BTreeMap;

use serde_json::json;

use super::Ctx;
use crate::live::Address;
use crate::plan::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use crate::plan::model::{Action, Change, Operation};

pub(super) fn plan_imports(ctx: &mut Ctx<'_>) {
    plan_portal_users(ctx);
    plan_client_users(ctx);
}

fn project_ids(ctx: &mut Ctx<'_>, who: &str, names: &[String]) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    for name in names {
        match ctx.index.project_named(name) {
            Some(p) => ids.push((p.id.clone(), p.name.clone())),
            None => ctx.diag(
                PlanDiagnostic::warning(
                    Code::ProjectNotFound,
                    format!("imports: {who} is not added to project \"{name}\", which does not exist in the portal"),
                )
                .at(Address::projects("project", name.clone())),
            ),
        }
    }
    ids
}

fn plan_portal_users(ctx: &mut Ctx<'_>) {
    let portal_users = ctx.observed.portal_users.clone().unwrap_or_default();
    let mut per_project: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut adds: BTreeMap<String, Address> = BTreeMap::new();
    for (email, role, projects) in ctx.desired.imports.portal_users.clone() {
        let address = Address::projects(
            "portal-user",
            format!("{}/{email}", ctx.desired.portal_name),
        );
        if !ctx.observed.users.iter().any(|u| u.email == email) {
            ctx.diag(
                PlanDiagnostic::warning(
                    Code::UserNotFound,
                    format!("imports.portalUsers names {email}, who is not a CRM user"),
                )
                .hint("check the address, or invite the user to CRM first")
                .at(address),
            );
            continue;
        }
        if ctx.config_portal_adds.contains(&email) {
            adds.insert(email.clone(), address.clone());
        } else if !portal_users.iter().any(|u| u.email == email) {
            adds.insert(email.clone(), address.clone());
            ctx.push(Change {
                address,
                action: Action::Create,
                reason: "imported CRM user is not in the portal".into(),
                before: None,
                after: Some(json!({"email": email, "role": role})),
                destructive: false,
                depends_on: vec![],
                operation: Operation::AddPortalUser {
                    portal_id: ctx.data.portal_id.clone(),
                    email: email.clone(),
                    role: role.clone(),
                },
            });
        }
        for (id, _) in project_ids(ctx, &email, &projects) {
            let members = ctx.data.project_users.get(&id);
            if members.is_some_and(|m| m.contains(&email)) {
                continue;
            }
            per_project
                .entry((id, role.clone()))
                .or_default()
                .push(email.clone());
        }
    }
    for ((project_id, role), emails) in per_project {
        let name = ctx
            .index
            .project(&project_id)
            .map_or("", |p| p.name.as_str());
        ctx.push(Change {
            address: Address::projects("project-users", format!("{name}/{role}")),
            action: Action::Create,
            reason: format!("imported users join project \"{name}\""),
            before: None,
            after: Some(json!({"emails": emails, "role": role})),
            destructive: false,
            depends_on: emails.iter().filter_map(|e| adds.get(e).cloned()).collect(),
            operation: Operation::AddProjectUsers {
                portal_id: ctx.data.portal_id.clone(),
                project_id,
                emails,
                role,
            },
        });
    }
}

fn plan_client_users(ctx: &mut Ctx<'_>) {
    for (email, projects) in ctx.desired.imports.client_users.clone() {
        let address = Address::projects("client-user", email.clone());
        let Some(contact) = ctx.index.contact_with_email(&email) else {
            ctx.diag(
                PlanDiagnostic::warning(
                    Code::ContactNotFound,
                    format!(
                        "imports.clientUsers names {email}, which is not the email of a CRM Contact"
                    ),
                )
                .at(address),
            );
            continue;
        };
        let client = contact
            .account_id
            .as_ref()
            .and_then(|a| ctx.client_of_account.get(a).cloned());
        let Some(client_id) = client else {
            let why = if contact.account_id.is_none() {
                "the Contact has no Account"
            } else {
                "the Contact's Account is not mapped to a client company"
            };
            ctx.diag(
                PlanDiagnostic::warning(
                    Code::AccountNotFound,
                    format!("imports.clientUsers: {email} is not imported: {why}"),
                )
                .hint("map the Account to a client company with clients.overrides")
                .at(address),
            );
            continue;
        };
        let Some(company) = ctx.index.client(&client_id) else {
            continue;
        };
        let existing = company.users.iter().flatten().find(|u| u.email == email);
        let wanted: Vec<(String, String)> = project_ids(ctx, &email, &projects);
        let missing: Vec<String> = wanted
            .iter()
            .filter(|(id, _)| existing.is_none_or(|u| !u.project_ids.contains(id)))
            .map(|(id, _)| id.clone())
            .collect();
        if existing.is_some() && missing.is_empty() {
            continue;
        }
        let mut depends_on = Vec::new();
        if let Some(mapping) = contact
            .account_id
            .as_ref()
            .and_then(|a| ctx.mapping_change_of_account.get(a))
        {
            depends_on.push(mapping.clone());
        }
        ctx.push(Change {
            address,
            action: if existing.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            reason: format!("imported Contact as a client user of \"{}\"", company.name),
            before: existing.map(|u| json!({"project_ids": u.project_ids})),
            after: Some(json!({"client": company.name, "project_ids": missing})),
            destructive: false,
            depends_on,
            operation: Operation::AddClientUser {
                portal_id: ctx.data.portal_id.clone(),
                client_id: client_id.clone(),
                email: email.clone(),
                name: String::new(),
                existing_user_id: existing.map(|u| u.id.clone()),
                project_ids: missing,
            },
        });
    }
}
