//! The CRM side: each endpoint projectlink reads, called once and checked against the
//! client's shape; from those same answers, the acting user's admin rights and the org's
//! edition, user licenses and the API credits left.

use serde_json::Value;

use super::report::Check;
use super::shape::{self, Contract, Kind, Paging, Verdict, decode_as};
use crate::zoho::crm::{
    ADMIN_PROFILE, CRM_PREFIX, CrmClient, CrmUser, Field, Module, Org, Profile, RelatedList, Role,
    Variable,
};
use crate::zoho::transport::ApiRequest;

/// One CRM read: the request and the shape its answer must have.
struct Probe {
    path: String,
    query: Vec<(&'static str, String)>,
    contract: Contract,
}

const ORG: Contract = Contract {
    key: Some("org"),
    single: false,
    fields: &[
        ("id", Kind::Id),
        ("company_name", Kind::Text),
        ("license_details", Kind::Object),
    ],
    paging: Paging::None,
    decode: decode_as::<Org>,
};

const USERS: Contract = Contract {
    key: Some("users"),
    single: false,
    fields: &[
        ("id", Kind::Id),
        ("email", Kind::Text),
        ("status", Kind::Text),
        ("profile.id", Kind::Id),
        ("profile.name", Kind::Text),
    ],
    paging: Paging::CrmInfo,
    decode: decode_as::<CrmUser>,
};

fn listing(
    key: &'static str,
    fields: &'static [(&'static str, Kind)],
    decode: fn(Value) -> Result<(), serde_json::Error>,
) -> Contract {
    Contract {
        key: Some(key),
        single: false,
        fields,
        paging: Paging::None,
        decode,
    }
}

const NAMED: &[(&str, Kind)] = &[("id", Kind::Id), ("name", Kind::Text)];
const API_NAMED: &[(&str, Kind)] = &[("id", Kind::Id), ("api_name", Kind::Text)];

/// The reads of a ProjectsIntegration (`module`: a module its related lists use).
fn projects_probes(module: &str) -> Vec<Probe> {
    let module_query = || vec![("module", module.to_string())];
    vec![
        probe(
            "/settings/profiles",
            vec![],
            listing("profiles", NAMED, decode_as::<Profile>),
        ),
        probe(
            "/settings/roles",
            vec![],
            listing("roles", NAMED, decode_as::<Role>),
        ),
        probe(
            "/settings/modules",
            vec![],
            listing(
                "modules",
                &[
                    ("id", Kind::Id),
                    ("api_name", Kind::Text),
                    ("module_name", Kind::Text),
                ],
                decode_as::<Module>,
            ),
        ),
        probe(
            "/settings/fields",
            module_query(),
            listing(
                "fields",
                &[
                    ("id", Kind::Id),
                    ("api_name", Kind::Text),
                    ("data_type", Kind::Text),
                ],
                decode_as::<Field>,
            ),
        ),
        probe(
            "/settings/related_lists",
            module_query(),
            listing("related_lists", API_NAMED, decode_as::<RelatedList>),
        ),
        variables_probe(),
    ]
}

fn variables_probe() -> Probe {
    probe(
        "/settings/variables",
        vec![],
        listing("variables", API_NAMED, decode_as::<Variable>),
    )
}

fn probe(path: &str, query: Vec<(&'static str, String)>, contract: Contract) -> Probe {
    Probe {
        path: format!("{CRM_PREFIX}{path}"),
        query,
        contract,
    }
}

/// What the CRM probes found that other checks build on.
#[derive(Default)]
pub struct CrmFacts {
    pub user: Option<CrmUser>,
    pub org: Option<Org>,
}

/// Calls one probe and reports its shape; hands back the body when the shape matched.
async fn run(crm: &CrmClient, probe: Probe, checks: &mut Vec<Check>) -> Option<Value> {
    let mut request = ApiRequest::get(probe.path.clone());
    for (name, value) in &probe.query {
        request = request.query(name, value.clone());
    }
    let label = crm.transport().describe(&request).to_string();
    match crm.transport().send(request).await {
        Err(e) => {
            checks.push(Check::fail(
                "crm",
                format!("{label}: {e}"),
                "this read is part of every plan; the error says what Zoho refused",
            ));
            None
        }
        Ok(answer) => match shape::check(answer.body.as_ref(), &probe.contract) {
            Verdict::Matches { items } => {
                checks.push(Check::ok(
                    "shape",
                    format!("{label}: {items} item(s) as expected"),
                ));
                Some(answer.body.unwrap_or(Value::Null))
            }
            Verdict::Differs(problems) => {
                checks.push(Check::fail(
                    "shape",
                    format!("{label}: {}", problems.join("; ")),
                    "the answer differs from what projectlink reads, so plan would misread the org; report it with this output",
                ));
                None
            }
        },
    }
}

fn first<T: serde::de::DeserializeOwned>(body: Option<Value>, key: &str) -> Option<T> {
    let item = body?.get_mut(key)?.get_mut(0)?.take();
    serde_json::from_value(item).ok()
}

/// Probes the CRM reads of a spec kind: the org and acting user first (their answers feed
/// the admin and edition checks), then the rest.
pub async fn probe_all(
    crm: &CrmClient,
    related_module: Option<&str>,
    checks: &mut Vec<Check>,
) -> CrmFacts {
    let org = run(crm, probe("/org", vec![], ORG), checks).await;
    let users = probe("/users", vec![("type", "CurrentUser".to_string())], USERS);
    let user = run(crm, users, checks).await;
    let rest = match related_module {
        Some(module) => projects_probes(module),
        None => vec![variables_probe()],
    };
    for p in rest {
        run(crm, p, checks).await;
    }
    CrmFacts {
        user: first(user, "users"),
        org: first(org, "org"),
    }
}

/// Whether the acting user is a CRM administrator.
pub fn admin_check(facts: &CrmFacts, why: &str) -> Check {
    let Some(user) = &facts.user else {
        return Check::fail(
            "crm",
            "the acting user could not be read (GET /crm/v8/users?type=CurrentUser failed above)",
            "fix the failure above first",
        );
    };
    let profile = user.profile_name();
    if user.is_administrator() {
        Check::ok(
            "crm",
            format!(
                "acting user {} has the {profile} profile (admin rights)",
                user.email
            ),
        )
    } else {
        Check::fail(
            "crm",
            format!(
                "acting user {} has the {profile} profile, not {ADMIN_PROFILE}: {why} will be refused",
                user.email
            ),
            format!(
                "use a grant (refresh token) of a user with the {ADMIN_PROFILE} profile, or give this user that profile"
            ),
        )
    }
}

/// The daily credit allowance for an edition and number of user licenses (Zoho's API limits
/// page: 50,000 plus a per-license amount, capped per edition; Free is 5,000 flat).
pub fn daily_credits(edition: &str, licenses: u64) -> Option<u64> {
    let (per_user, cap) = match edition.to_ascii_lowercase().as_str() {
        "free" => return Some(5_000),
        "standard" | "starter" => (250, Some(100_000)),
        "professional" => (500, Some(3_000_000)),
        "enterprise" | "zohoone" | "zoho one" => (1_000, Some(5_000_000)),
        "ultimate" | "crmplus" | "crm plus" => (2_000, None),
        _ => return None,
    };
    let total = 50_000 + per_user * licenses;
    Some(cap.map_or(total, |c| total.min(c)))
}

/// Below this many credits left, a warning: a large first apply could run out.
const LOW_CREDITS: u64 = 1_000;

/// The edition and the credits left, from the org answer (`license_details.paid_type` and
/// `users_license_purchased`) and the `X-API-CREDITS-REMAINING` header of the CRM answers
/// just read. Zoho has no endpoint that reports the credits left; it sends that header once
/// more than half of the day's credits are spent (docs/zoho-api.md), as the sandbox does.
pub fn edition_check(facts: &CrmFacts, remaining: Option<u64>) -> Check {
    let Some(org) = &facts.org else {
        return Check::fail(
            "crm",
            "the org could not be read (GET /crm/v8/org failed above)",
            "fix the failure above first",
        );
    };
    let license = org.license_details.clone().unwrap_or_default();
    let edition = license
        .paid_type
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let licenses = license.users_license_purchased.unwrap_or(0);
    let allowance = daily_credits(&edition, licenses)
        .map(|c| format!("{c} API credits per 24 h"))
        .unwrap_or_else(|| "credit allowance unknown for this edition".into());
    let left = match remaining {
        Some(n) => format!("{n} left"),
        None => "more than half left (Zoho reports the count only once half is spent)".into(),
    };
    let detail = format!(
        "{}: edition {edition}, {licenses} user license(s), {allowance}, {left}",
        org.company_name
    );
    match remaining {
        Some(n) if n < LOW_CREDITS => Check::warn(
            "crm",
            detail,
            "a plan's apply may run out of credits; wait for the rolling 24-hour window or buy add-on credits",
        ),
        _ if edition.eq_ignore_ascii_case("free") => Check::warn(
            "crm",
            detail,
            "the Free edition has 5,000 credits a day and no custom modules; projectlink needs a paid edition",
        ),
        _ => Check::ok("crm", detail),
    }
}

#[cfg(test)]
mod tests {
    use super::daily_credits;

    #[test]
    fn credits_follow_the_editions_formula_and_caps() {
        assert_eq!(daily_credits("free", 40), Some(5_000));
        assert_eq!(daily_credits("Standard", 10), Some(52_500));
        assert_eq!(daily_credits("standard", 1_000), Some(100_000));
        assert_eq!(daily_credits("enterprise", 100), Some(150_000));
        assert_eq!(daily_credits("ultimate", 10_000), Some(20_050_000));
        assert_eq!(daily_credits("bespoke", 1), None);
    }
}
