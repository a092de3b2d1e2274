//! The Zoho Projects side: the spec's portal and the user's role in it, and for every read
//! capability of `capabilities::ROUTES`, which API answers it (V3, or legacy after V3 said
//! `URL_RULE_NOT_CONFIGURED`), each called once with a GET and checked against the shape
//! the client reads on that API. Write capabilities are never called; the table says which
//! API they use.

use serde_json::Value;

use super::report::Check;
use super::shape::{self, Contract, Kind, Paging, Verdict, decode_as};
use crate::zoho::ZohoError;
use crate::zoho::projects::capabilities::{Capability, route};
use crate::zoho::projects::{Portal, ProjectsClient, v3_wire, wire};
use crate::zoho::transport::ApiRequest;

/// One API's form of a read: the request and its answer's shape.
struct Form {
    request: ApiRequest,
    contract: Contract,
}

fn contract(
    key: Option<&'static str>,
    fields: &'static [(&'static str, Kind)],
    paging: Paging,
    decode: fn(Value) -> Result<(), serde_json::Error>,
) -> Contract {
    Contract {
        key,
        single: false,
        fields,
        paging,
        decode,
    }
}

const ID_NAME: &[(&str, Kind)] = &[("id", Kind::Id), ("name", Kind::Text)];
const USER: &[(&str, Kind)] = &[("id", Kind::Id), ("email", Kind::Text)];

fn v3_page(path: String, per_page: usize) -> ApiRequest {
    ApiRequest::get(path)
        .query(v3_wire::PARAM_PAGE, "1")
        .query(v3_wire::PARAM_PER_PAGE, per_page.to_string())
}

fn legacy_range(path: String) -> ApiRequest {
    ApiRequest::get(path)
        .query(wire::PARAM_INDEX, "1")
        .query(wire::PARAM_RANGE, wire::MAX_RANGE.to_string())
}

/// The V3 and legacy forms of the portal list.
fn portals() -> (Form, Form) {
    (
        Form {
            request: ApiRequest::get(v3_wire::PORTALS),
            contract: contract(
                None,
                ID_NAME,
                Paging::None,
                decode_as::<v3_wire::PortalWire>,
            ),
        },
        Form {
            request: ApiRequest::get(wire::PORTALS),
            contract: contract(
                Some(wire::KEY_PORTALS),
                ID_NAME,
                Paging::None,
                decode_as::<wire::PortalWire>,
            ),
        },
    )
}

/// The V3 and legacy forms of a read capability in portal `pid` (`project`: a project id
/// for the per-project reads); `None` when the capability needs a project and there is none.
fn forms(capability: Capability, pid: &str, project: Option<&str>) -> Option<(Option<Form>, Form)> {
    match capability {
        Capability::Portal | Capability::ListProjects | Capability::ProjectCustomFields => {
            portal_forms(capability, pid)
        }
        _ => people_forms(capability, pid, project),
    }
}

fn v3(request: ApiRequest, contract: Contract) -> Option<Form> {
    Some(Form { request, contract })
}

fn legacy(request: ApiRequest, contract: Contract) -> Form {
    Form { request, contract }
}

/// The portal, its projects and their custom fields.
fn portal_forms(capability: Capability, pid: &str) -> Option<(Option<Form>, Form)> {
    use Capability as C;
    Some(match capability {
        C::Portal => (
            v3(
                ApiRequest::get(v3_wire::portal(pid)),
                Contract {
                    key: Some(v3_wire::KEY_PORTAL_DETAILS),
                    single: true,
                    fields: ID_NAME,
                    paging: Paging::None,
                    decode: decode_as::<v3_wire::PortalWire>,
                },
            ),
            legacy(
                ApiRequest::get(wire::portal(pid)),
                contract(
                    Some(wire::KEY_PORTALS),
                    ID_NAME,
                    Paging::None,
                    decode_as::<wire::PortalWire>,
                ),
            ),
        ),
        C::ListProjects => (
            v3(
                v3_page(v3_wire::projects(pid), v3_wire::MAX_PER_PAGE),
                contract(
                    None,
                    ID_NAME,
                    Paging::None,
                    decode_as::<v3_wire::ProjectWire>,
                ),
            ),
            legacy(
                legacy_range(wire::projects(pid)),
                contract(
                    Some(wire::KEY_PROJECTS),
                    ID_NAME,
                    Paging::None,
                    decode_as::<wire::ProjectWire>,
                ),
            ),
        ),
        C::ProjectCustomFields => (
            v3(
                ApiRequest::get(v3_wire::fields(pid))
                    .query(v3_wire::PARAM_MODULE, v3_wire::MODULE_PROJECTS),
                contract(
                    Some(v3_wire::KEY_FIELDS),
                    &[
                        ("api_name", Kind::Text),
                        ("display_name", Kind::Text),
                        ("field_type", Kind::Text),
                    ],
                    Paging::None,
                    decode_as::<v3_wire::FieldWire>,
                ),
            ),
            legacy(
                ApiRequest::get(wire::project_custom_fields(pid)),
                contract(
                    Some(wire::KEY_PROJECT_CUSTOM_FIELDS),
                    &[("label_name", Kind::Text), ("column_name", Kind::Text)],
                    Paging::None,
                    decode_as::<wire::CustomFieldWire>,
                ),
            ),
        ),
        _ => return None,
    })
}

/// Portal users, clients, and the users and clients of one project.
fn people_forms(
    capability: Capability,
    pid: &str,
    project: Option<&str>,
) -> Option<(Option<Form>, Form)> {
    match capability {
        Capability::PortalUsers | Capability::Clients => portal_people_forms(capability, pid),
        Capability::ProjectUsers | Capability::ProjectClients => {
            project_people_forms(capability, pid, project?)
        }
        _ => None,
    }
}

/// The portal's users and client companies.
fn portal_people_forms(capability: Capability, pid: &str) -> Option<(Option<Form>, Form)> {
    use Capability as C;
    Some(match capability {
        C::PortalUsers => (
            v3(
                v3_page(v3_wire::users(pid), v3_wire::MAX_USERS_PER_PAGE)
                    .query(v3_wire::PARAM_USER_TYPE, v3_wire::USER_TYPE_PORTAL),
                contract(
                    Some(v3_wire::KEY_USERS),
                    USER,
                    Paging::V3PageInfo,
                    decode_as::<v3_wire::UserWire>,
                ),
            ),
            legacy(
                legacy_range(wire::portal_users(pid)),
                contract(
                    Some(wire::KEY_USERS),
                    USER,
                    Paging::None,
                    decode_as::<wire::UserWire>,
                ),
            ),
        ),
        C::Clients => (
            v3(
                v3_page(v3_wire::clients(pid), v3_wire::MAX_PER_PAGE),
                contract(
                    Some(v3_wire::KEY_CLIENTS),
                    ID_NAME,
                    Paging::V3PageInfo,
                    decode_as::<v3_wire::ClientWire>,
                ),
            ),
            legacy(
                ApiRequest::get(wire::clients(pid)),
                contract(
                    Some(wire::KEY_CLIENTS),
                    ID_NAME,
                    Paging::None,
                    decode_as::<wire::ClientWire>,
                ),
            ),
        ),
        _ => return None,
    })
}

/// The users and client companies of one project (V3 has no project-clients read).
fn project_people_forms(
    capability: Capability,
    pid: &str,
    project: &str,
) -> Option<(Option<Form>, Form)> {
    use Capability as C;
    Some(match capability {
        C::ProjectUsers => (
            v3(
                ApiRequest::get(v3_wire::project_users(pid, project)),
                contract(
                    Some(v3_wire::KEY_USERS),
                    USER,
                    Paging::V3PageInfo,
                    decode_as::<v3_wire::UserWire>,
                ),
            ),
            legacy(
                ApiRequest::get(wire::project_users(pid, project)),
                contract(
                    Some(wire::KEY_USERS),
                    USER,
                    Paging::None,
                    decode_as::<wire::UserWire>,
                ),
            ),
        ),
        C::ProjectClients => (
            None,
            legacy(
                ApiRequest::get(wire::project_clients(pid, project)),
                contract(
                    Some(wire::KEY_CLIENTS),
                    &[("id", Kind::Id)],
                    Paging::None,
                    decode_as::<wire::ProjectClientWire>,
                ),
            ),
        ),
        _ => return None,
    })
}

/// The read capabilities probed, in table order.
const READS: &[Capability] = &[
    Capability::Portal,
    Capability::ListProjects,
    Capability::ProjectCustomFields,
    Capability::PortalUsers,
    Capability::Clients,
    Capability::ProjectUsers,
    Capability::ProjectClients,
];

/// Which API answered a read, and its body.
enum Answered {
    V3(Option<Value>),
    /// V3 has no rule for it in this portal (or no V3 form is known), legacy answered.
    Legacy {
        v3_refused: bool,
        body: Option<Value>,
    },
}

/// Sends `form`; a V3 `URL_RULE_NOT_CONFIGURED` is `Ok(None)`.
async fn send(projects: &ProjectsClient, form: &Form) -> Result<Option<Option<Value>>, ZohoError> {
    match projects.transport().send(form.request.clone()).await {
        Ok(answer) => Ok(Some(answer.body)),
        Err(e) if e.code() == Some(v3_wire::URL_RULE_NOT_CONFIGURED) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Calls the V3 form, or the legacy one when V3 has no rule; reports what answered and
/// whether its shape matched. Returns the body that matched.
async fn probe(
    projects: &ProjectsClient,
    name: &str,
    v3: Option<Form>,
    legacy: Form,
    checks: &mut Vec<Check>,
) -> Option<Value> {
    let describe = |f: &Form| projects.transport().describe(&f.request).to_string();
    let mut answered = None;
    if let Some(form) = &v3 {
        match send(projects, form).await {
            Ok(Some(body)) => answered = Some((Answered::V3(body), form)),
            Ok(None) => {}
            Err(e) => {
                checks.push(fail_call(name, &describe(form), &e));
                return None;
            }
        }
    }
    let (answered, form) = match answered {
        Some(found) => found,
        None => match send(projects, &legacy).await {
            Ok(Some(body)) => (
                Answered::Legacy {
                    v3_refused: v3.is_some(),
                    body,
                },
                &legacy,
            ),
            Ok(None) => unreachable!("only V3 answers URL_RULE_NOT_CONFIGURED"),
            Err(e) => {
                checks.push(fail_call(name, &describe(&legacy), &e));
                return None;
            }
        },
    };
    let call = describe(form);
    let body = match &answered {
        Answered::V3(body) | Answered::Legacy { body, .. } => body.clone(),
    };
    if let Verdict::Differs(problems) = shape::check(body.as_ref(), &form.contract) {
        checks.push(Check::fail(
            "shape",
            format!("{name}: {call}: {}", problems.join("; ")),
            "the answer differs from what projectlink reads, so plan would misread the portal; report it with this output",
        ));
        return None;
    }
    checks.push(match answered {
        Answered::V3(_) => Check::ok("projects", format!("{name}: V3 answers ({call}, shape as expected)")),
        Answered::Legacy { v3_refused: false, .. } => Check::ok(
            "projects",
            format!("{name}: legacy answers ({call}, shape as expected; no V3 form is known)"),
        ),
        Answered::Legacy { v3_refused: true, .. } => Check::warn(
            "projects",
            format!("{name}: only legacy answers ({call}, shape as expected); V3 said URL_RULE_NOT_CONFIGURED"),
            "projectlink falls back to the legacy API, which Zoho retires at the end of 2026; ask Zoho to enable the V3 API for this portal",
        ),
    });
    Some(body.unwrap_or(Value::Null))
}

fn fail_call(name: &str, call: &str, e: &ZohoError) -> Check {
    Check::fail(
        "projects",
        format!("{name}: {call}: {e}"),
        "plan reads this for every run; the error says what Zoho refused",
    )
}

/// Probes the portal list, finds the spec's portal and the user's role, then every read
/// capability once.
pub async fn probe_all(
    projects: &ProjectsClient,
    portal_name: &str,
    imports_portal_users: bool,
    checks: &mut Vec<Check>,
) {
    let (v3, legacy) = portals();
    let Some(body) = probe(projects, "Portals", Some(v3), legacy, checks).await else {
        return;
    };
    let list = body.get(wire::KEY_PORTALS).cloned().unwrap_or(body);
    let portals: Vec<Portal> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| to_portal(p.clone()))
        .collect();
    let Some(portal) = portals
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(portal_name))
    else {
        let names: Vec<&str> = portals.iter().map(|p| p.name.as_str()).collect();
        checks.push(Check::fail(
            "projects",
            format!("no portal named \"{portal_name}\" is open to this user (portals: {})", names.join(", ")),
            "set portal.name to one of these, or use the portal owner's grant (connection.portalSecretRef)",
        ));
        return;
    };
    checks.push(role_check(portal, imports_portal_users));
    let mut project: Option<String> = None;
    for &capability in READS {
        let name = format!("{capability:?}");
        let Some((v3, legacy)) = forms(capability, &portal.id, project.as_deref()) else {
            checks.push(Check::ok(
                "projects",
                format!(
                    "{name}: not probed, the portal has no project to read it for ({})",
                    route(capability).legacy
                ),
            ));
            continue;
        };
        let body = probe(projects, &name, v3, legacy, checks).await;
        if capability == Capability::ListProjects {
            project = body.as_ref().and_then(first_project_id);
        }
    }
}

/// A portal list item read by whichever API's wire type fits.
fn to_portal(item: Value) -> Option<Portal> {
    if item.get("portal_name").is_some() || item.get("role").is_some_and(Value::is_object) {
        serde_json::from_value::<v3_wire::PortalWire>(item)
            .ok()
            .map(Portal::from)
    } else {
        serde_json::from_value::<wire::PortalWire>(item)
            .ok()
            .map(Portal::from)
    }
}

fn first_project_id(body: &Value) -> Option<String> {
    let list = body.get(wire::KEY_PROJECTS).unwrap_or(body);
    let first = list.as_array()?.first()?;
    let id = first.get("id_string").or_else(|| first.get("id"))?;
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Zoho Projects' default roles: an administrator may do everything projectlink does; a
/// manager may create projects, clients and client users and add project users, but not add
/// users to the portal or change their role.
fn role_check(portal: &Portal, imports_portal_users: bool) -> Check {
    let name = &portal.name;
    let is = |r: &str, w: &str| r.eq_ignore_ascii_case(w);
    let hint = "use the grant of a portal administrator (connection.portalSecretRef names the portal owner's)";
    match portal.role.as_deref() {
        Some(role) if is(role, "admin") || is(role, "administrator") => Check::ok(
            "projects",
            format!("portal \"{name}\": the user's role is {role}"),
        ),
        Some(role) if is(role, "manager") && imports_portal_users => Check::fail(
            "projects",
            format!(
                "portal \"{name}\": the user's role is {role}: imports.portalUsers needs an administrator to add users to the portal"
            ),
            hint,
        ),
        Some(role) if is(role, "manager") => Check::warn(
            "projects",
            format!(
                "portal \"{name}\": the user's role is {role}: projects, clients and project users work, but adding the users that profile permissions give access to the portal needs an administrator"
            ),
            hint,
        ),
        Some(role) => Check::fail(
            "projects",
            format!(
                "portal \"{name}\": the user's role is {role}, not admin or manager: creating projects and adding users will be refused"
            ),
            hint,
        ),
        None => Check::warn(
            "projects",
            format!("portal \"{name}\": the answer does not say the user's role"),
            "check in Zoho Projects that this user is a portal administrator",
        ),
    }
}
