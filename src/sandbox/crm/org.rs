//! `GET /org`: the organization the sandbox serves, with every member org.json requires.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Value, json};

use super::context::caller;
use super::db::{iso, now_ms};
use super::respond;
use crate::sandbox::error::CrmError;
use crate::sandbox::limits::Edition;
use crate::sandbox::server::AppState;

/// What the seed says about the org.
pub struct OrgFacts<'a> {
    pub id: &'a str,
    pub company_name: &'a str,
    pub domain_name: Option<&'a str>,
    pub time_zone: &'a str,
    pub currency: &'a str,
    pub country: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub primary_email: &'a str,
    pub primary_zuid: &'a str,
    pub licenses: u64,
}

fn currency_symbol(iso_code: &str) -> &'static str {
    match iso_code {
        "USD" | "CAD" | "AUD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "INR" => "₹",
        "JPY" => "¥",
        _ => "¤",
    }
}

/// The stored org document.
pub fn document(facts: &OrgFacts<'_>) -> Value {
    let zgid = format!("6{}", &facts.id[facts.id.len() - 10..]);
    super::respond::merged([
        json!({
            "country": facts.country.unwrap_or("United States"),
            "photo_id": null,
            "city": null,
            "description": null,
            "mc_status": false,
            "gapps_enabled": false,
            "translation_enabled": false,
            "street": null,
            "domain_name": facts.domain_name.map(str::to_string).unwrap_or_else(|| format!("org{zgid}")),
            "alias": null,
            "currency": facts.currency,
            "id": facts.id,
            "state": null,
            "fax": null,
            "zip": null,
            "employee_count": "0",
            "website": "",
        }),
        json!({
            "currency_symbol": currency_symbol(facts.currency),
            "mobile": null,
            "currency_locale": "en_US",
            "primary_zuid": facts.primary_zuid,
            "zia_portal_id": null,
            "time_zone": facts.time_zone,
            "zgid": zgid,
            "country_code": "US",
            "deletable_org_account": false,
            "license_details": {
                "paid_expiry": iso(now_ms() + 365 * 24 * 3600 * 1000),
                "users_license_purchased": facts.licenses,
                "trial_type": null,
                "trial_expiry": null,
                "paid": true,
                "paid_type": "enterprise",
                "trial_action": ""
            },
            "hierarchy_preferences": { "type": "Role_Hierarchy", "strictly_reporting": false },
            "phone": facts.phone.unwrap_or(""),
            "company_name": facts.company_name,
            "privacy_settings": false,
            "primary_email": facts.primary_email,
            "iso_code": facts.currency,
            "hipaa_compliance_enabled": false,
            "lite_users_enabled": false,
            "max_per_page": 200,
            "ezgid": format!("ez{zgid}"),
            "call_icon": "",
            "oauth_presence": true,
            "zia_zgid": 0,
            "checkin_preferences": { "restricted_event_types": null },
            "type": "Production",
            "created_time": iso(now_ms()),
        }),
    ])
}

/// The org document, if the database has been seeded.
pub fn load(conn: &Connection) -> rusqlite::Result<Option<Value>> {
    let data: Option<String> = conn
        .query_row("SELECT data FROM crm_org LIMIT 1", [], |r| r.get(0))
        .optional()?;
    Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
}

fn edition_name(edition: Edition) -> &'static str {
    match edition {
        Edition::Free => "free",
        Edition::Standard => "standard",
        Edition::Professional => "professional",
        Edition::Enterprise => "enterprise",
        Edition::Ultimate => "ultimate",
    }
}

/// `GET /org`.
pub async fn get_org(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.org.READ")?;
    let org = state.store.with(|c| load(c))?;
    let Some(mut org) = org else {
        return Ok(respond::no_content());
    };
    let edition = state.config.edition;
    org["license_details"]["paid_type"] = json!(edition_name(edition));
    org["license_details"]["paid"] = json!(edition != Edition::Free);
    Ok(respond::json(StatusCode::OK, json!({ "org": [org] })))
}
