//! Contract conformance: real sandbox responses (success and error) for every CRM endpoint the
//! sandbox serves, validated against Zoho's own OpenAPI v8 files.
//!
//! The folder is read from `PROJECTLINK_OAS_DIR` (e.g. `../shared/zoho-crm-oas/v8.0`); the
//! test fails when it is not set. How the files are prepared (`$ref` mapping, `nullable`,
//! documented exceptions) is in `contract_oas/oas.rs`; how a response is matched to a schema
//! is in `contract_oas/checker.rs`.

#[path = "sandbox_crm/support.rs"]
mod support;

#[path = "contract_oas/checker.rs"]
mod checker;
#[path = "contract_oas/oas.rs"]
mod oas;

#[path = "contract_oas/people.rs"]
mod people;

#[path = "contract_oas/settings.rs"]
mod settings;

#[path = "contract_oas/records.rs"]
mod records;

#[path = "contract_oas/layouts.rs"]
mod layouts;

use serde_json::json;

/// The machinery itself: bodies that break the schema are caught, so a pass means something.
#[test]
fn the_validator_rejects_bodies_that_break_the_schema() {
    let oas = checker::load_oas();
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
