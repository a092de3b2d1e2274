//! Zoho Projects V3 objects turned into the domain types the rest of projectlink uses, so
//! the planner sees the same `Project` or `ProjectsUser` whichever API answered.

use serde_json::Value;

use super::types::*;
use super::v3_wire as wire;
use crate::zoho::lenient;

fn count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn status_of(project_type: Option<&str>) -> ProjectStatus {
    match project_type.map(str::to_ascii_lowercase).as_deref() {
        Some(wire::TYPE_ACTIVE) | None => ProjectStatus::Active,
        Some(wire::TYPE_ARCHIVED) => ProjectStatus::Archived,
        Some(wire::TYPE_TEMPLATE) => ProjectStatus::Template,
        Some(_) => ProjectStatus::Other(project_type.unwrap_or_default().to_string()),
    }
}

/// The legacy role word for a V3 role name: `admin` for "Administrator", else the name.
fn legacy_role(name: Option<String>) -> Option<String> {
    name.map(|n| {
        if n.eq_ignore_ascii_case(wire::ADMIN_ROLE) {
            "admin".to_string()
        } else {
            n
        }
    })
}

impl From<wire::PortalWire> for Portal {
    fn from(w: wire::PortalWire) -> Portal {
        let plan = w
            .plan_details
            .as_ref()
            .and_then(|p| p.get("projects_service_plan"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Portal {
            id: w.id,
            name: w.name.or(w.portal_name).unwrap_or_default(),
            role: legacy_role(w.role.and_then(|r| r.name)),
            plan,
            default: w.is_default.unwrap_or(false),
            is_crm_partner: w.is_crm_partner.unwrap_or(false),
            active_projects: count(w.project_count.as_ref().and_then(|c| c.get("active"))),
            available_users: count(w.available_users.as_ref()),
            profile_id: w.portal_profile.and_then(|p| p.id),
        }
    }
}

impl From<wire::ProjectWire> for Project {
    fn from(w: wire::ProjectWire) -> Project {
        let owner = w.owner.unwrap_or_default();
        let custom_fields = w
            .rest
            .iter()
            .filter(|(k, _)| k.starts_with(wire::CUSTOM_FIELD_PREFIX))
            .map(|(k, v)| CustomFieldValue {
                column_name: k.clone(),
                label_name: String::new(),
                value: match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                },
            })
            .collect();
        let web_url = w
            .link
            .as_ref()
            .and_then(|l| l.get("web_url"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Project {
            id: w.id,
            name: w.name,
            status: status_of(w.project_type.as_deref()),
            owner_id: owner.zuid,
            owner_name: owner.full_name.or(owner.name),
            owner_email: owner.email,
            description: w.description,
            start_date: parse_date(w.start_date.as_deref()),
            end_date: parse_date(w.end_date.as_deref()),
            created_date: w
                .created_time
                .as_deref()
                .and_then(lenient::parse_time)
                .map(|t| t.date_naive()),
            percent_complete: w
                .percent_complete
                .as_ref()
                .and_then(|p| match p {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
                .map(|p| p.clamp(0.0, 100.0).round() as u8),
            template_id: w.copied_from,
            last_modified_time_long: w
                .modified_time
                .as_deref()
                .and_then(lenient::parse_time)
                .map(|t| t.timestamp_millis()),
            custom_fields,
            self_url: None,
            web_url,
        }
    }
}

impl From<wire::FieldWire> for ProjectCustomField {
    fn from(w: wire::FieldWire) -> ProjectCustomField {
        ProjectCustomField {
            column_name: w.column_name.unwrap_or_else(|| w.api_name.clone()),
            label_name: w.display_name,
            api_name: Some(w.api_name),
            field_type: w.field_type,
            is_mandatory: w.is_mandatory.unwrap_or(false),
        }
    }
}

impl From<wire::UserWire> for ProjectsUser {
    fn from(w: wire::UserWire) -> ProjectsUser {
        let role_name = w.role.and_then(|r| r.name);
        ProjectsUser {
            id: w.zuid.clone().unwrap_or_else(|| w.id.clone()),
            zpuid: w.zpuid.or(Some(w.id)),
            name: w.full_name.or(w.name).unwrap_or_default(),
            email: w.email,
            active: w.status.is_none_or(|s| s.eq_ignore_ascii_case("active")),
            role: legacy_role(role_name.clone()),
            portal_role_name: role_name,
            portal_profile_name: w.portal_profile.and_then(|p| p.name),
        }
    }
}

impl From<wire::UserWire> for ClientUser {
    fn from(w: wire::UserWire) -> ClientUser {
        ClientUser {
            id: w.zuid.clone().unwrap_or_else(|| w.id.clone()),
            zpuid: w.zpuid.or(Some(w.id)),
            name: w.full_name.or(w.name).unwrap_or_default(),
            email: w.email,
            client_id: w.client_company.and_then(|c| c.id),
            project_ids: w.projects.into_iter().filter_map(|p| p.id).collect(),
        }
    }
}

impl From<wire::ClientWire> for Client {
    fn from(w: wire::ClientWire) -> Client {
        Client {
            id: w.id,
            name: w.name,
            website: w.website.filter(|s| !s.is_empty()),
            phone: w.phone.filter(|s| !s.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use serde_json::json;

    #[test]
    fn a_v3_project_reads_into_the_domain_project() {
        let w: wire::ProjectWire = serde_json::from_value(json!({
            "id": "1708760000000001234", "name": "Website Redesign", "project_type": "archived",
            "status": {"id": "1", "name": "Active", "is_closed_type": false},
            "owner": {"zpuid": "1708760000000054003", "zuid": "7730421", "full_name": "Pat Doe", "email": "pat@acme.com"},
            "start_date": "2026-01-15", "end_date": "2026-03-31", "percent_complete": 40,
            "modified_time": "2026-01-10T08:00:00.000Z", "copied_from": "1708760000000000999",
            "cf_budget_code": "X-1", "link": {"web_url": "https://p/web"}
        }))
        .unwrap();
        let p = Project::from(w);
        assert_eq!(p.id, "1708760000000001234");
        assert_eq!(p.status, ProjectStatus::Archived);
        assert_eq!(p.owner_id.as_deref(), Some("7730421"));
        assert_eq!(p.end_date, NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(p.percent_complete, Some(40));
        assert_eq!(p.template_id.as_deref(), Some("1708760000000000999"));
        assert_eq!(p.custom_fields[0].column_name, "cf_budget_code");
        assert_eq!(p.web_url.as_deref(), Some("https://p/web"));
        assert!(p.last_modified_time_long.is_some());
    }

    #[test]
    fn the_administrator_role_is_the_legacy_admin() {
        let w: wire::UserWire = serde_json::from_value(json!({
            "id": "1708760000000054003", "zuid": "7730421", "email": "pat@acme.com",
            "full_name": "Pat Doe", "status": "active",
            "role": {"id": "5", "name": "Administrator"},
            "portal_profile": {"id": "6", "name": "Portal Owner"}
        }))
        .unwrap();
        let u = ProjectsUser::from(w);
        assert_eq!(u.role.as_deref(), Some("admin"));
        assert_eq!(u.portal_role_name.as_deref(), Some("Administrator"));
        assert_eq!(u.zpuid.as_deref(), Some("1708760000000054003"));
        assert_eq!(u.id, "7730421");
    }
}
