//! Contract conformance: real sandbox responses (success and error) for every CRM endpoint the
//! sandbox serves, validated against Zoho's own OpenAPI v8 files.
//!
//! The folder is read from `PROJECTLINK_OAS_DIR` (e.g. `../shared/zoho-crm-oas/v8.0`); the
//! test fails when it is not set. How the files are prepared (`$ref` mapping, `nullable`,
//! documented exceptions) is in `contract_oas/oas.rs`; how a response is matched to a schema
//! is in [`Checker::check`].

#[path = "sandbox_crm/support.rs"]
mod support;

#[path = "contract_oas/oas.rs"]
mod oas;

use std::path::PathBuf;
use std::time::Duration;

use oas::Oas;
use projectlink::sandbox::SandboxConfig;
use projectlink::sandbox::limits::{FaultConfig, FaultKind};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Answer, Env, demo_with_grants};

fn load_oas() -> Oas {
    let dir = std::env::var_os("PROJECTLINK_OAS_DIR").unwrap_or_else(|| {
        panic!(
            "PROJECTLINK_OAS_DIR is not set: point it at Zoho's CRM OpenAPI v8.0 folder \
             (e.g. PROJECTLINK_OAS_DIR=../shared/zoho-crm-oas/v8.0) to run the contract tests"
        )
    });
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "PROJECTLINK_OAS_DIR={} is not a folder",
        dir.display()
    );
    Oas::load(&dir)
}

/// Statuses Zoho's status-code page documents for every endpoint, which most files do not
/// declare per operation: their bodies are checked against common.json's error schemas.
const GENERIC_ERROR_STATUSES: &[u16] = &[401, 403, 404, 405, 413, 429, 500, 504];

/// Collects every mismatch, so one run reports them all.
struct Checker {
    oas: Oas,
    failures: Vec<String>,
    checked: usize,
    exceptions: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            oas: load_oas(),
            failures: Vec::new(),
            checked: 0,
            exceptions: Vec::new(),
        }
    }

    fn fail(&mut self, what: &str, message: String) {
        self.failures.push(format!("{what}: {message}"));
    }

    fn validate_at(&mut self, what: &str, file: &str, pointer: &str, body: &Value) {
        if let Err(errors) = self.oas.validate(file, pointer, body) {
            let mut shown = body.to_string();
            if shown.len() > 800 {
                let cut = (0..=800)
                    .rev()
                    .find(|i| shown.is_char_boundary(*i))
                    .unwrap_or(0);
                shown.truncate(cut);
                shown.push('…');
            }
            self.fail(
                what,
                format!("{file}#{pointer}: {}\n    body: {shown}", errors.join("; ")),
            );
        }
    }

    /// The body against common.json's error envelope (each item of a wrapped error).
    fn validate_common_error(&mut self, what: &str, status: u16, body: &Value) {
        let schema = if status == 403 {
            "/components/schemas/PermissionError"
        } else {
            "/components/schemas/API_Exception"
        };
        match wrapped_items(body) {
            Some(items) => {
                for item in items {
                    self.validate_at(what, "common.json", schema, &item);
                }
            }
            None => self.validate_at(what, "common.json", schema, body),
        }
    }

    /// Checks one answer of `method template` (an operation of `file`).
    ///
    /// * A declared status is validated against its schema.
    /// * 204 and 304 must come with an empty body.
    /// * record.json declares every outcome of an operation under 200 (a `oneOf` of the
    ///   success and `API_Exception` shapes), so its 201 and 400 answers are validated
    ///   against the 200 schema.
    /// * A 207 (mixed batch) is declared nowhere: each item, wrapped alone, must validate
    ///   against the operation's success or error schema.
    /// * The generic error statuses (401, 403, 404, 405, 429, 500...) are validated against
    ///   common.json's `API_Exception` (`PermissionError` for 403) unless the operation
    ///   declares them.
    /// * `exception` names a documented deviation: the body is validated against
    ///   common.json's `API_Exception` and the reason is listed in the test output.
    fn check(
        &mut self,
        file: &str,
        template: &str,
        method: &str,
        answer: &Answer,
        exception: Option<&str>,
    ) {
        let status = answer.status.as_u16();
        let what = format!("{method} {template} → {status}");
        self.checked += 1;
        if !self.oas.has_operation(file, template, method) {
            self.fail(&what, format!("{file} has no such operation"));
            return;
        }
        if let Some(reason) = exception {
            self.exceptions.push(format!("{what}: {reason}"));
            self.validate_common_error(&what, status, &answer.body);
            return;
        }
        if matches!(status, 204 | 304) {
            if !answer.body.is_null() {
                self.fail(&what, format!("expected no body, got {}", answer.body));
            }
            return;
        }
        if let Some(pointer) = self.oas.response_schema(file, template, method, status) {
            self.validate_at(&what, file, &pointer, &answer.body);
            return;
        }
        if status == 207 {
            self.check_mixed(&what, file, template, method, &answer.body);
            return;
        }
        if file == "record.json" && matches!(status, 201 | 400) {
            match self.oas.response_schema(file, template, method, 200) {
                Some(pointer) => self.validate_at(&what, file, &pointer, &answer.body),
                None => self.fail(&what, "no 200 schema in record.json".into()),
            }
            return;
        }
        if GENERIC_ERROR_STATUSES.contains(&status) {
            self.validate_common_error(&what, status, &answer.body);
            return;
        }
        self.fail(
            &what,
            format!(
                "status not declared (declared: {:?}); body {}",
                self.oas.statuses(file, template, method),
                answer.body
            ),
        );
    }

    fn check_mixed(&mut self, what: &str, file: &str, template: &str, method: &str, body: &Value) {
        let Some((key, items)) = body
            .as_object()
            .and_then(|o| o.iter().next())
            .and_then(|(k, v)| v.as_array().map(|a| (k.clone(), a.clone())))
        else {
            self.fail(what, format!("a 207 body must wrap an array: {body}"));
            return;
        };
        let pointers: Vec<String> = self
            .oas
            .statuses(file, template, method)
            .into_iter()
            .filter(|s| (200..500).contains(s) && *s != 204)
            .filter_map(|s| self.oas.response_schema(file, template, method, s))
            .collect();
        for (i, item) in items.into_iter().enumerate() {
            let single = json!({ key.clone(): [item] });
            let fits = pointers
                .iter()
                .any(|p| self.oas.validate(file, p, &single).is_ok());
            if !fits {
                self.fail(what, format!("item {i} fits no declared schema: {single}"));
            }
        }
    }

    fn finish(self) {
        println!(
            "checked {} responses; {} documented exceptions:",
            self.checked,
            self.exceptions.len()
        );
        for e in &self.exceptions {
            println!("  - {e}");
        }
        println!("$refs to schemas missing from the folder (accepted as open schemas):");
        for r in &self.oas.dangling {
            println!("  - {r}");
        }
        assert!(
            self.failures.is_empty(),
            "{} contract failures:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn wrapped_items(body: &Value) -> Option<Vec<Value>> {
    let map = body.as_object()?;
    if map.len() != 1 || map.contains_key("code") {
        return None;
    }
    map.values().next()?.as_array().cloned()
}

fn first_id(answer: &Answer, key: &str) -> String {
    answer.body[key][0]["details"]["id"]
        .as_str()
        .or_else(|| answer.body[key][0]["id"].as_str())
        .unwrap_or_else(|| panic!("no id in {}", answer.body))
        .to_string()
}

/// The machinery itself: bodies that break the schema are caught, so a pass means something.
#[test]
fn the_validator_rejects_bodies_that_break_the_schema() {
    let oas = load_oas();
    let users = oas
        .response_schema("users.json", "/crm/v8/users", "get", 200)
        .unwrap();
    assert!(
        oas.validate("users.json", &users, &json!({"info": {}}))
            .is_err()
    );
    assert!(
        oas.validate(
            "users.json",
            &users,
            &json!({"users": [{"confirm": "yes"}], "info": {"per_page": 1, "count": 1, "page": 1, "more_records": false}})
        )
        .is_err()
    );
    let fields = oas
        .response_schema("fields.json", "/crm/v8/settings/fields", "post", 201)
        .unwrap();
    assert!(
        oas.validate(
            "fields.json",
            &fields,
            &json!({"fields": [{"code": "SUCCESS"}]})
        )
        .is_err()
    );
    let records = oas
        .response_schema("record.json", "/crm/v8/{module_api_name}", "get", 200)
        .unwrap();
    assert!(
        oas.validate(
            "record.json",
            &records,
            &json!({"data": [{"id": 5}], "code": "NO_SUCH_CODE", "status": "error"})
        )
        .is_err()
    );
}

#[tokio::test]
async fn org_users_roles_and_profiles_match_the_oas() {
    let mut c = Checker::new();
    let seed = demo_with_grants(&[("1000.narrow", "admin@acme.com", &["ZohoCRM.users.READ"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let narrow = env.token("1000.narrow").await;

    c.check(
        "org.json",
        "/crm/v8/org",
        "GET",
        &env.get("/crm/v8/org", &[]).await,
        None,
    );
    let forged = env
        .call_as("1000.forged", Method::GET, "/crm/v8/org", &[], None)
        .await;
    c.check("org.json", "/crm/v8/org", "GET", &forged, None);

    let users = env.get("/crm/v8/users", &[]).await;
    c.check("users.json", "/crm/v8/users", "GET", &users, None);
    for query in [
        [("type", "Everyone")],
        [("type", "DeletedUsers")],
        [("per_page", "500")],
    ] {
        let answer = env.get("/crm/v8/users", &query).await;
        c.check("users.json", "/crm/v8/users", "GET", &answer, None);
    }
    let not_modified = support::send(
        env.http
            .get(env.url("/crm/v8/users"))
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", "2099-01-01T00:00:00+00:00"),
    )
    .await;
    c.check("users.json", "/crm/v8/users", "GET", &not_modified, None);
    let pat = env.user_id("pat@acme.com").await;
    let one = env.get(&format!("/crm/v8/users/{pat}"), &[]).await;
    c.check("users.json", "/crm/v8/users/{user}", "GET", &one, None);
    let none = env.get("/crm/v8/users/4876876999999999999", &[]).await;
    c.check("users.json", "/crm/v8/users/{user}", "GET", &none, None);
    let count = env.get("/crm/v8/users/actions/count", &[]).await;
    c.check(
        "users.json",
        "/crm/v8/users/actions/count",
        "GET",
        &count,
        None,
    );
    let scope = env
        .call_as(&narrow, Method::GET, "/crm/v8/settings/roles", &[], None)
        .await;
    c.check("roles.json", "/crm/v8/settings/roles", "GET", &scope, None);

    let roles = env.get("/crm/v8/settings/roles", &[]).await;
    c.check("roles.json", "/crm/v8/settings/roles", "GET", &roles, None);
    let role_id = roles.body["roles"][1]["id"].as_str().unwrap().to_string();
    let role = env
        .get(&format!("/crm/v8/settings/roles/{role_id}"), &[])
        .await;
    c.check(
        "roles.json",
        "/crm/v8/settings/roles/{role_id}",
        "GET",
        &role,
        None,
    );
    let no_role = env
        .get("/crm/v8/settings/roles/4876876999999999999", &[])
        .await;
    c.check(
        "roles.json",
        "/crm/v8/settings/roles/{role_id}",
        "GET",
        &no_role,
        None,
    );

    let profiles = env.get("/crm/v8/settings/profiles", &[]).await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles",
        "GET",
        &profiles,
        None,
    );
    let list = profiles.body["profiles"].as_array().unwrap().clone();
    let standard = list.iter().find(|p| p["name"] == "Standard").unwrap();
    let standard_id = standard["id"].as_str().unwrap().to_string();
    let admin = list.iter().find(|p| p["name"] == "Administrator").unwrap();
    let one = env
        .get(&format!("/crm/v8/settings/profiles/{standard_id}"), &[])
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "GET",
        &one,
        None,
    );
    let gone = env
        .get("/crm/v8/settings/profiles/4876876999999999999", &[])
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "GET",
        &gone,
        None,
    );
    let perm = one.body["profiles"][0]["permissions_details"][3]["id"].clone();
    let updated = env
        .put(
            &format!("/crm/v8/settings/profiles/{standard_id}"),
            json!({"profiles": [{"permissions_details": [{"id": perm, "enabled": false}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &updated,
        None,
    );
    let bad = env
        .put(
            &format!("/crm/v8/settings/profiles/{standard_id}"),
            json!({"profiles": [{"permissions_details": [{"id": "42", "enabled": true}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &bad,
        None,
    );
    let locked = env
        .put(
            &format!(
                "/crm/v8/settings/profiles/{}",
                admin["id"].as_str().unwrap()
            ),
            json!({"profiles": [{"permissions_details": [
                {"id": admin["permissions_details"][0]["id"], "enabled": false}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &locked,
        Some("NOT_ALLOWED for the Administrator profile is not among profiles.json's error codes"),
    );

    // Users: add one, refuse two, update.
    let role = roles.body["roles"][0]["id"].clone();
    let new_user = |email: &str| {
        json!({"first_name": "New", "last_name": "Hire", "email": email,
               "role": {"id": role}, "profile": {"id": standard_id}})
    };
    let added = env
        .post(
            "/crm/v8/users",
            json!({"users": [new_user("hire@acme.com")]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "POST", &added, None);
    let two = env
        .post(
            "/crm/v8/users",
            json!({"users": [new_user("a@acme.com"), new_user("b@acme.com")]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "POST", &two, None);
    let dup = env
        .post(
            "/crm/v8/users",
            json!({"users": [new_user("pat@acme.com")]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "POST", &dup, None);
    let malformed = env.raw(Method::POST, "/crm/v8/users", &[], "{oops").await;
    c.check("users.json", "/crm/v8/users", "POST", &malformed, None);
    let put = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": pat, "last_name": "Doe-Smith"}]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "PUT", &put, None);
    let put_bad = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": "1", "last_name": "X"}]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "PUT", &put_bad, None);
    let put_one = env
        .put(
            &format!("/crm/v8/users/{pat}"),
            json!({"users": [{"first_name": "Patricia"}]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users/{user}", "PUT", &put_one, None);

    c.finish();
}

#[tokio::test]
async fn modules_fields_related_lists_and_variables_match_the_oas() {
    let mut c = Checker::new();
    let env = Env::start().await;

    let modules = env.get("/crm/v8/settings/modules", &[]).await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "GET",
        &modules,
        None,
    );
    let deals = env.get("/crm/v8/settings/modules/Deals", &[]).await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules/{api_name}",
        "GET",
        &deals,
        None,
    );
    let nope = env.get("/crm/v8/settings/modules/Nope", &[]).await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules/{api_name}",
        "GET",
        &nope,
        None,
    );
    let created = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "Zoho Project", "plural_label": "Zoho Projects",
                                "api_name": "Linked_Projects"}]}),
        )
        .await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "POST",
        &created,
        None,
    );
    let missing = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"plural_label": "Things"}]}),
        )
        .await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "POST",
        &missing,
        None,
    );
    let dup = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "A", "plural_label": "B", "api_name": "Linked_Projects"}]}),
        )
        .await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "POST",
        &dup,
        Some("DUPLICATE_DATA (api name taken) is not among modules.json's error codes"),
    );

    let fields = env
        .get("/crm/v8/settings/fields", &[("module", "Deals")])
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "GET",
        &fields,
        None,
    );
    for query in [vec![], vec![("module", "Nope")]] {
        let answer = env.get("/crm/v8/settings/fields", &query).await;
        c.check(
            "fields.json",
            "/crm/v8/settings/fields",
            "GET",
            &answer,
            None,
        );
    }
    let created = env
        .post(
            "/crm/v8/settings/fields?module=Linked_Projects",
            json!({"fields": [
                {"field_label": "Project Id", "data_type": "text", "unique": {}},
                {"field_label": "Account", "data_type": "lookup",
                 "lookup": {"module": {"api_name": "Accounts"}, "display_label": "Zoho Projects"}},
                {"field_label": "Status", "data_type": "picklist", "pick_list_values": ["active", "archived"]}
            ]}),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "POST",
        &created,
        None,
    );
    let field_id = first_id(&created, "fields");
    let one = env
        .get(
            &format!("/crm/v8/settings/fields/{field_id}"),
            &[("module", "Linked_Projects")],
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "GET",
        &one,
        None,
    );
    let many: Vec<Value> = (0..26)
        .map(|i| json!({"field_label": format!("F{i}"), "data_type": "text"}))
        .collect();
    let too_many = env
        .post(
            "/crm/v8/settings/fields?module=Deals",
            json!({"fields": many}),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "POST",
        &too_many,
        None,
    );
    let mixed = env
        .post(
            "/crm/v8/settings/fields?module=Deals",
            json!({"fields": [{"field_label": "Region", "data_type": "text"},
                              {"field_label": "Oops", "data_type": "hologram"},
                              {"data_type": "text"}]}),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "POST",
        &mixed,
        None,
    );
    let patched = env
        .call(
            Method::PATCH,
            "/crm/v8/settings/fields",
            &[("module", "Linked_Projects")],
            Some(json!({"fields": [{"id": field_id, "field_label": "Zoho Project Id"}]})),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "PATCH",
        &patched,
        None,
    );
    let patched_one = env
        .call(
            Method::PATCH,
            &format!("/crm/v8/settings/fields/{field_id}"),
            &[("module", "Linked_Projects")],
            Some(json!({"fields": [{"tooltip": {"name": "Static Text", "value": "Set by projectlink"}}]})),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "PATCH",
        &patched_one,
        None,
    );
    let region = first_id(&mixed, "fields");
    let deleted = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/fields/{region}"),
            &[("module", "Deals")],
            None,
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "DELETE",
        &deleted,
        None,
    );
    let system = fields.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["api_name"] == "Deal_Name")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/fields/{system}"),
            &[("module", "Deals")],
            None,
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "DELETE",
        &refused,
        None,
    );

    let lists = env
        .get("/crm/v8/settings/related_lists", &[("module", "Accounts")])
        .await;
    c.check(
        "related_lists.json",
        "/crm/v8/settings/related_lists",
        "GET",
        &lists,
        None,
    );
    let list_id = lists.body["related_lists"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = env
        .get(
            &format!("/crm/v8/settings/related_lists/{list_id}"),
            &[("module", "Accounts")],
        )
        .await;
    c.check(
        "related_lists.json",
        "/crm/v8/settings/related_lists/{id}",
        "GET",
        &one,
        None,
    );
    for query in [vec![], vec![("module", "Nope")]] {
        let answer = env.get("/crm/v8/settings/related_lists", &query).await;
        c.check(
            "related_lists.json",
            "/crm/v8/settings/related_lists",
            "GET",
            &answer,
            None,
        );
    }

    let vars = env.get("/crm/v8/settings/variables", &[]).await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "GET",
        &vars,
        None,
    );
    let created = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"name": "Integration", "api_name": "projectlink_integration",
                                  "type": "textarea", "value": "{}"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "POST",
        &created,
        None,
    );
    let var_id = first_id(&created, "variables");
    let bad = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"api_name": "nameless", "type": "text"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "POST",
        &bad,
        None,
    );
    let one = env
        .get(&format!("/crm/v8/settings/variables/{var_id}"), &[])
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{id}",
        "GET",
        &one,
        None,
    );
    let by_name = env
        .get("/crm/v8/settings/variables/projectlink_integration", &[])
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{api_name}",
        "GET",
        &by_name,
        None,
    );
    let put = env
        .put(
            "/crm/v8/settings/variables",
            json!({"variables": [{"id": var_id, "value": "{\"generation\":1}"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "PUT",
        &put,
        None,
    );
    let put_one = env
        .put(
            &format!("/crm/v8/settings/variables/{var_id}"),
            json!({"variables": [{"value": "{\"generation\":2}"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{id}",
        "PUT",
        &put_one,
        None,
    );
    let deleted = env
        .call(
            Method::DELETE,
            "/crm/v8/settings/variables",
            &[("ids", var_id.as_str())],
            None,
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "DELETE",
        &deleted,
        None,
    );
    let again = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/variables/{var_id}"),
            &[],
            None,
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{id}",
        "DELETE",
        &again,
        None,
    );
    let gone = env
        .get("/crm/v8/settings/variables/projectlink_integration", &[])
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{api_name}",
        "GET",
        &gone,
        None,
    );

    c.finish();
}

#[tokio::test]
async fn records_search_and_count_match_the_oas() {
    let mut c = Checker::new();
    let seed = demo_with_grants(&[("1000.sam", "sam@acme.com", &["ZohoCRM.modules.ALL"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let r = "record.json";
    let list = "/crm/v8/{module_api_name}";
    let item = "/crm/v8/{module_api_name}/{id}";

    let deals = env
        .get(
            "/crm/v8/Deals",
            &[
                ("fields", "Deal_Name,Stage,Account_Name,Owner,Amount"),
                ("per_page", "2"),
            ],
        )
        .await;
    c.check(r, list, "GET", &deals, None);
    for query in [
        vec![],
        vec![("fields", "Event_Title")],
        vec![("fields", "Deal_Name"), ("per_page", "300")],
    ] {
        let path = if query.first().is_some_and(|(_, v)| *v == "Event_Title") {
            "/crm/v8/Events"
        } else {
            "/crm/v8/Deals"
        };
        c.check(r, list, "GET", &env.get(path, &query).await, None);
    }
    let unknown = env.get("/crm/v8/Spaceships", &[("fields", "Name")]).await;
    c.check(r, list, "GET", &unknown, None);
    let deep = env
        .get("/crm/v8/Deals", &[("fields", "Deal_Name"), ("page", "11")])
        .await;
    c.check(
        r,
        list,
        "GET",
        &deep,
        Some("DISCRETE_PAGINATION_LIMIT_EXCEEDED is not among record.json's error codes"),
    );
    let not_modified = support::send(
        env.http
            .get(env.url("/crm/v8/Deals"))
            .query(&[("fields", "Deal_Name")])
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", "2099-01-01T00:00:00+00:00"),
    )
    .await;
    c.check(r, list, "GET", &not_modified, None);

    let bowman = env
        .record_id("Accounts", "Account_Name", "Bowman Furniture Inc.")
        .await;
    let created = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [{"Deal_Name": "Contract deal", "Stage": "Qualification",
                             "Account_Name": {"id": bowman}, "Amount": 1000.5}]}),
        )
        .await;
    c.check(r, list, "POST", &created, None);
    let deal = first_id(&created, "data");
    let mixed = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [{"Deal_Name": "Fine", "Stage": "Qualification"}, {"Deal_Name": "No stage"},
                            {"Deal_Name": 7, "Stage": "Qualification"}]}),
        )
        .await;
    c.check(r, list, "POST", &mixed, None);
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"Deal_Name": format!("D{i}")}))
        .collect();
    let limit = env.post("/crm/v8/Deals", json!({"data": too_many})).await;
    c.check(r, list, "POST", &limit, None);
    let malformed = env
        .raw(Method::POST, "/crm/v8/Deals", &[], "{\"data\":")
        .await;
    c.check(r, list, "POST", &malformed, None);
    let updated = env
        .put(
            "/crm/v8/Deals",
            json!({"data": [{"id": deal, "Amount": 2000}]}),
        )
        .await;
    c.check(r, list, "PUT", &updated, None);
    let update_one = env
        .put(
            &format!("/crm/v8/Deals/{deal}"),
            json!({"data": [{"Stage": "Closed Won"}]}),
        )
        .await;
    c.check(r, item, "PUT", &update_one, None);
    let update_missing = env
        .put(
            "/crm/v8/Deals/4876876999999999999",
            json!({"data": [{"Stage": "Closed Won"}]}),
        )
        .await;
    c.check(r, item, "PUT", &update_missing, None);
    let one = env.get(&format!("/crm/v8/Deals/{deal}"), &[]).await;
    c.check(r, item, "GET", &one, None);
    let absent = env.get("/crm/v8/Deals/4876876999999999999", &[]).await;
    c.check(r, item, "GET", &absent, None);
    let upsert = env
        .post(
            "/crm/v8/Contacts/upsert",
            json!({"data": [{"Last_Name": "Bowman", "Email": "jane@bowman.example", "Title": "COO"},
                            {"Last_Name": "Fresh", "Email": "fresh@new.example"}]}),
        )
        .await;
    c.check(r, "/crm/v8/{module_api_name}/upsert", "POST", &upsert, None);
    let sam = env.token("1000.sam").await;
    let denied = env
        .call_as(
            &sam,
            Method::DELETE,
            &format!("/crm/v8/Deals/{deal}"),
            &[],
            None,
        )
        .await;
    c.check(r, item, "DELETE", &denied, None);
    let deleted = env
        .call(Method::DELETE, &format!("/crm/v8/Deals/{deal}"), &[], None)
        .await;
    c.check(r, item, "DELETE", &deleted, None);
    let fresh = first_id(&upsert, "data");
    let delete_many = env
        .call(
            Method::DELETE,
            "/crm/v8/Contacts",
            &[("ids", format!("{fresh},4876876999999999999").as_str())],
            None,
        )
        .await;
    c.check(r, list, "DELETE", &delete_many, None);
    let no_ids = env
        .call(Method::DELETE, "/crm/v8/Contacts", &[], None)
        .await;
    c.check(r, list, "DELETE", &no_ids, None);

    let s = "module_search.json";
    let search = "/crm/v8/{module}/search";
    for query in [
        vec![("email", "jane@bowman.example")],
        vec![(
            "criteria",
            "((Last_Name:equals:Bowman)and(First_Name:starts_with:J))",
        )],
        vec![("word", "bowman")],
        vec![("email", "nobody@nowhere.example")],
        vec![],
        vec![("criteria", "(Email:between:a)")],
        vec![("criteria", "(Email:equals:a")],
    ] {
        let answer = env.get("/crm/v8/Contacts/search", &query).await;
        c.check(s, search, "GET", &answer, None);
    }
    let bad_module = env.get("/crm/v8/Nope/search", &[("word", "xy")]).await;
    c.check(s, search, "GET", &bad_module, None);
    let beyond = env
        .get(
            "/crm/v8/Contacts/search",
            &[("word", "bowman"), ("page", "11")],
        )
        .await;
    c.check(
        s,
        search,
        "GET",
        &beyond,
        Some("LIMIT_REACHED (past the 2,000-result cap) is not among module_search.json's errors"),
    );
    let count = env.get("/crm/v8/Contacts/actions/count", &[]).await;
    c.check(
        r,
        "/crm/v8/{module_api_name}/actions/count",
        "GET",
        &count,
        None,
    );
    let count_some = env
        .get(
            "/crm/v8/Deals/actions/count",
            &[("criteria", "(Stage:equals:Closed Won)")],
        )
        .await;
    c.check(
        r,
        "/crm/v8/{module_api_name}/actions/count",
        "GET",
        &count_some,
        None,
    );

    c.finish();
}

#[tokio::test]
async fn limit_and_fault_errors_match_the_oas() {
    let mut c = Checker::new();
    let limited = Env::start_with(SandboxConfig {
        credits_per_day: Some(1),
        ..SandboxConfig::default()
    })
    .await;
    limited.get("/crm/v8/org", &[]).await;
    let too_many = limited
        .get("/crm/v8/Deals", &[("fields", "Deal_Name")])
        .await;
    assert_eq!(too_many.status.as_u16(), 429);
    c.check(
        "record.json",
        "/crm/v8/{module_api_name}",
        "GET",
        &too_many,
        None,
    );

    let faulty = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::ServerError],
        },
        fault_hold: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    let users = faulty.get("/crm/v8/users", &[]).await;
    assert_eq!(users.status.as_u16(), 500);
    c.check("users.json", "/crm/v8/users", "GET", &users, None);
    let records = faulty
        .get("/crm/v8/Deals", &[("fields", "Deal_Name")])
        .await;
    c.check(
        "record.json",
        "/crm/v8/{module_api_name}",
        "GET",
        &records,
        None,
    );

    let env = Env::start().await;
    let no_route = env.get("/crm/v8/settings/nowhere", &[]).await;
    assert_eq!(no_route.status.as_u16(), 404);
    c.check("org.json", "/crm/v8/org", "GET", &no_route, None);
    let wrong_method = env.call(Method::PATCH, "/crm/v8/org", &[], None).await;
    c.check("org.json", "/crm/v8/org", "GET", &wrong_method, None);
    c.finish();
}
