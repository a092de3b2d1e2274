//! The CRM client against a scripted server answering as Zoho CRM v8 documents: paging to the
//! end (page numbers, then `page_token`), 204 as empty, batch sizes, per-item results in input
//! order, search's 2,000 cap, and the request shapes of metadata writes.

mod zoho_support;

use std::sync::Arc;
use std::time::Duration;

use projectlink::zoho::crm::{
    FieldAccess, NewField, NewModule, NewUser, NewVariable, Record, RecordQuery, UpsertAction,
    UserType, VariableUpdate, criteria,
};
use projectlink::zoho::{ItemError, ZohoError};
use serde_json::{Value, json};
use zoho_support::*;

fn record(i: usize) -> Record {
    json!({"id": format!("r{i}"), "Last_Name": format!("L{i}")})
        .as_object()
        .unwrap()
        .clone()
}

fn records_page(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(|i| Value::Object(record(i))).collect()
}

#[tokio::test]
async fn records_page_by_number_to_2000_then_by_page_token() {
    const TOTAL: usize = 2450;
    let fake = FakeZoho::api(|request, _| async move {
        let per_page: usize = request.q("per_page").unwrap().parse().unwrap();
        assert_eq!(per_page, 200);
        let start = match (request.q("page"), request.q("page_token")) {
            (Some(page), None) => {
                let page: usize = page.parse().unwrap();
                if page * per_page > 2000 {
                    return Reply::crm_error(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", "use page_token");
                }
                (page - 1) * per_page
            }
            (None, Some(token)) => token.strip_prefix("pt-").unwrap().parse().unwrap(),
            other => panic!("unexpected paging parameters {other:?}"),
        };
        let end = (start + per_page).min(TOTAL);
        Reply::ok(json!({
            "data": records_page(start..end),
            "info": {"per_page": per_page, "count": end - start, "more_records": end < TOTAL,
                     "next_page_token": if end < TOTAL { json!(format!("pt-{end}")) } else { Value::Null }}
        }))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let fields = vec!["Last_Name".to_string(), "Email".to_string()];
    let query = RecordQuery {
        sort_by: Some("id".into()),
        ..RecordQuery::default()
    };
    let all = clients
        .crm
        .records("Contacts", &fields, &query)
        .await
        .unwrap();
    assert_eq!(all.len(), TOTAL);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, r)| r["id"] == json!(format!("r{i}")))
    );

    let requests = fake.api_requests();
    let paging: Vec<String> = requests
        .iter()
        .map(|r| match r.q("page") {
            Some(page) => format!("page={page}"),
            None => format!("page_token={}", r.q("page_token").unwrap()),
        })
        .collect();
    let mut expected: Vec<String> = (1..=10).map(|p| format!("page={p}")).collect();
    expected.extend(
        [
            "page_token=pt-2000",
            "page_token=pt-2200",
            "page_token=pt-2400",
        ]
        .map(String::from),
    );
    assert_eq!(paging, expected);
    assert!(requests.iter().all(|r| r.path == "/crm/v8/Contacts"
        && r.q("fields") == Some("Last_Name,Email")
        && r.q("sort_by") == Some("id")));
}

#[tokio::test]
async fn no_content_means_an_empty_list() {
    let fake = FakeZoho::api(|_, _| async { Reply::empty(204) }).await;
    let clients = connect(&fake, &fast_options());
    let fields = vec!["Deal_Name".to_string()];
    assert!(
        clients
            .crm
            .records("Deals", &fields, &RecordQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        clients
            .crm
            .users(UserType::ActiveUsers)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(clients.crm.record("Deals", "123").await.unwrap().is_none());
    let found = clients
        .crm
        .search_records("Deals", &criteria::equals("Deal_Name", "x"), &[])
        .await
        .unwrap();
    assert!(found.records.is_empty() && !found.truncated);
    assert_eq!(fake.api_requests().len(), 4);
}

#[tokio::test]
async fn listing_records_without_fields_is_refused_before_any_call() {
    let fake = FakeZoho::api(|_, _| async { Reply::empty(204) }).await;
    let clients = connect(&fake, &fast_options());
    let err = clients
        .crm
        .records("Deals", &[], &RecordQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ZohoError::InvalidInput(_)));
    let err = clients.crm.fields("../users").await.unwrap_err();
    assert!(
        err.to_string().contains("not a valid path segment"),
        "{err}"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn users_are_read_through_every_page() {
    let fake = FakeZoho::api(|request, _| async move {
        let page: usize = request.q("page").unwrap().parse().unwrap();
        let start = (page - 1) * 200;
        let end = (start + 200).min(450);
        let users: Vec<Value> = (start..end)
            .map(|i| json!({"id": format!("u{i}"), "email": format!("u{i}@acme.com"), "status": "active",
                            "profile": {"id": "p1", "name": "Standard"}, "confirm": true}))
            .collect();
        Reply::ok(json!({"users": users, "info": {"per_page": 200, "page": page, "more_records": end < 450}}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let users = clients
        .crm
        .users(UserType::ActiveConfirmedUsers)
        .await
        .unwrap();
    assert_eq!(users.len(), 450);
    assert_eq!(users[449].email, "u449@acme.com");
    let requests = fake.api_requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.q("type") == Some("ActiveConfirmedUsers"))
    );
}

/// Answers a record write item by item: records whose `Last_Name` starts with `bad` are
/// refused; later batches answer sooner so completion order differs from input order.
async fn write_answer(request: Recorded) -> Reply {
    let body = request.json();
    let data = body["data"].as_array().unwrap();
    let mut failed = false;
    let items: Vec<Value> = data
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = r["Last_Name"].as_str().unwrap();
            if name.starts_with("bad") {
                failed = true;
                error_item("INVALID_DATA", "Last_Name", i)
            } else {
                success_item(&format!("id-{name}"))
            }
        })
        .collect();
    let first: usize = data[0]["Last_Name"]
        .as_str()
        .unwrap()
        .trim_start_matches("bad")
        .trim_start_matches('L')
        .parse()
        .unwrap_or(0);
    let delay = Duration::from_millis(if first < 100 { 60 } else { 0 });
    Reply::json(if failed { 207 } else { 201 }, json!({ "data": items })).after(delay)
}

fn named(i: usize) -> Record {
    let name = if i % 37 == 5 {
        format!("bad{i}")
    } else {
        format!("L{i}")
    };
    json!({"Last_Name": name}).as_object().unwrap().clone()
}

#[tokio::test]
async fn inserts_go_in_batches_of_100_and_results_map_back_in_input_order() {
    let fake = FakeZoho::api(|request, _| write_answer(request)).await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..250).map(named).collect();
    let results = clients
        .crm
        .insert_records("Contacts", &records)
        .await
        .unwrap();

    let mut sizes: Vec<usize> = fake
        .api_requests()
        .iter()
        .map(|r| r.json()["data"].as_array().unwrap().len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![50, 100, 100]);
    assert_eq!(results.len(), 250);
    for (i, result) in results.iter().enumerate() {
        if i % 37 == 5 {
            let err = result.as_ref().unwrap_err();
            assert_eq!(err.code(), Some("INVALID_DATA"));
            assert!(err.to_string().contains("(field Last_Name)"));
        } else {
            assert_eq!(result.as_ref().unwrap().id, format!("id-L{i}"));
        }
    }
    assert_eq!(clients.stats.snapshot().crm_credits, 25);
}

#[tokio::test]
async fn a_batch_that_fails_as_a_whole_fails_only_its_own_items() {
    let fake = FakeZoho::api(|request, _| async move {
        let data = request.json()["data"].as_array().unwrap().clone();
        if data[0]["Last_Name"] == "L100" {
            return Reply::crm_error(500, "INTERNAL_ERROR", "Internal server error occurred.");
        }
        let items: Vec<Value> = data
            .iter()
            .map(|r| success_item(r["Last_Name"].as_str().unwrap()))
            .collect();
        Reply::json(201, json!({ "data": items }))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..250)
        .map(|i| {
            json!({"Last_Name": format!("L{i}")})
                .as_object()
                .unwrap()
                .clone()
        })
        .collect();
    let results = clients
        .crm
        .insert_records("Contacts", &records)
        .await
        .unwrap();
    for (i, result) in results.iter().enumerate() {
        if (100..200).contains(&i) {
            let err = result.as_ref().unwrap_err();
            assert!(matches!(err, ItemError::Request(_)));
            assert!(err.is_retryable());
        } else {
            assert_eq!(result.as_ref().unwrap().id, format!("L{i}"));
        }
    }
}

#[tokio::test]
async fn a_400_with_per_item_errors_is_read_item_by_item() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::json(400, json!({"data": [error_item("MANDATORY_NOT_FOUND", "Last_Name", 0), error_item("INVALID_DATA", "Email", 1)]}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..2).map(record).collect();
    let results = clients
        .crm
        .update_records("Contacts", &records)
        .await
        .unwrap();
    assert_eq!(
        results[0].as_ref().unwrap_err().code(),
        Some("MANDATORY_NOT_FOUND")
    );
    assert_eq!(
        results[1].as_ref().unwrap_err().code(),
        Some("INVALID_DATA")
    );
    assert_eq!(fake.api_requests()[0].method, "PUT");
}

#[tokio::test]
async fn updates_need_ids() {
    let fake = FakeZoho::api(|_, _| async { Reply::empty(500) }).await;
    let clients = connect(&fake, &fast_options());
    let mut records: Vec<Record> = (0..3).map(record).collect();
    records[2].remove("id");
    let err = clients
        .crm
        .update_records("Contacts", &records)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("record 2"), "{err}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn upserts_send_the_duplicate_check_fields_and_report_the_action() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::ok(json!({"data": [
            {"code": "SUCCESS", "duplicate_field": null, "action": "insert", "details": {"id": "1"}, "message": "record added", "status": "success"},
            {"code": "SUCCESS", "duplicate_field": "Project_Id", "action": "update", "details": {"id": "2"}, "message": "record updated", "status": "success"}
        ]}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..2)
        .map(|i| {
            json!({"Project_Id": i.to_string()})
                .as_object()
                .unwrap()
                .clone()
        })
        .collect();
    let results = clients
        .crm
        .upsert_records("Linked_Projects", &records, &["Project_Id".to_string()])
        .await
        .unwrap();
    let first = results[0].as_ref().unwrap();
    assert_eq!(
        (first.id.as_str(), first.action),
        ("1", Some(UpsertAction::Insert))
    );
    let second = results[1].as_ref().unwrap();
    assert_eq!(second.action, Some(UpsertAction::Update));
    assert_eq!(second.duplicate_field.as_deref(), Some("Project_Id"));
    let request = &fake.api_requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/crm/v8/Linked_Projects/upsert")
    );
    assert_eq!(
        request.json()["duplicate_check_fields"],
        json!(["Project_Id"])
    );
}

#[tokio::test]
async fn deletes_go_100_ids_per_call() {
    let fake = FakeZoho::api(|request, _| async move {
        let ids: Vec<&str> = request.q("ids").unwrap().split(',').collect();
        let items: Vec<Value> = ids.iter().map(|id| success_item(id)).collect();
        Reply::ok(json!({ "data": items }))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let ids: Vec<String> = (0..150).map(|i| format!("{}", 9000 + i)).collect();
    let results = clients.crm.delete_records("Deals", &ids).await.unwrap();
    let deleted: Vec<String> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(deleted, ids);
    let mut counts: Vec<usize> = fake
        .api_requests()
        .iter()
        .map(|r| r.q("ids").unwrap().split(',').count())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, vec![50, 100]);
    assert!(fake.api_requests().iter().all(|r| r.method == "DELETE"));
}

#[tokio::test]
async fn fields_are_created_25_per_call_with_results_in_input_order() {
    let fake = FakeZoho::api(|request, _| async move {
        assert_eq!(request.q("module"), Some("Linked_Projects"));
        let fields = request.json()["fields"].as_array().unwrap().clone();
        let items: Vec<Value> = fields
            .iter()
            .map(|f| {
                let label = f["field_label"].as_str().unwrap();
                if label == "Taken" {
                    json!({"code": "DUPLICATE_DATA", "details": {"api_name": "field_label"}, "message": "duplicate data", "status": "error"})
                } else {
                    json!({"code": "SUCCESS", "details": {"id": format!("f-{label}")}, "message": "field created", "status": "success"})
                }
            })
            .collect();
        Reply::json(201, json!({ "fields": items }))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let mut fields: Vec<NewField> = (0..26)
        .map(|i| NewField {
            field_label: format!("F{i}"),
            data_type: "text".into(),
            length: Some(255),
            profiles: vec![FieldAccess {
                profile_id: "p1".into(),
                permission_type: "read_write".into(),
            }],
            ..NewField::default()
        })
        .collect();
    fields[25].field_label = "Taken".into();
    fields[3].lookup_module = Some("Deals".into());
    fields[3].data_type = "lookup".into();
    let results = clients
        .crm
        .create_fields("Linked_Projects", &fields)
        .await
        .unwrap();
    assert_eq!(results.len(), 26);
    assert_eq!(results[0].as_ref().unwrap(), "f-F0");
    assert_eq!(results[24].as_ref().unwrap(), "f-F24");
    assert_eq!(
        results[25].as_ref().unwrap_err().code(),
        Some("DUPLICATE_DATA")
    );

    let mut bodies: Vec<Value> = fake.api_requests().iter().map(|r| r.json()).collect();
    bodies.sort_by_key(|b| b["fields"].as_array().unwrap().len());
    assert_eq!(bodies[0]["fields"].as_array().unwrap().len(), 1);
    assert_eq!(bodies[1]["fields"].as_array().unwrap().len(), 25);
    let lookup = &bodies[1]["fields"][3];
    assert_eq!(lookup["lookup"]["module"]["api_name"], "Deals");
    assert_eq!(
        lookup["profiles"][0],
        json!({"id": "p1", "permission_type": "read_write"})
    );
}

#[tokio::test]
async fn search_reports_when_zohos_2000_cap_cuts_it_short() {
    let fake = FakeZoho::api(|request, _| async move {
        let page: usize = request.q("page").unwrap().parse().unwrap();
        if page > 10 {
            return Reply::crm_error(400, "LIMIT_REACHED", "search results exceed 2000");
        }
        Reply::ok(json!({"data": records_page((page - 1) * 200..page * 200),
                         "info": {"per_page": 200, "page": page, "more_records": true}}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let criteria = criteria::and(&[
        criteria::equals("Account_Name", "Bowman, Inc."),
        criteria::condition("Amount", "greater_than", "10"),
    ]);
    let found = clients
        .crm
        .search_records("Deals", &criteria, &["Deal_Name".into()])
        .await
        .unwrap();
    assert_eq!(found.records.len(), 2000);
    assert!(found.truncated);
    let requests = fake.api_requests();
    assert_eq!(requests.len(), 10);
    assert_eq!(requests[0].path, "/crm/v8/Deals/search");
    assert_eq!(
        requests[0].q("criteria"),
        Some("((Account_Name:equals:Bowman\\, Inc.) and (Amount:greater_than:10))")
    );
    assert_eq!(requests[0].q("fields"), Some("Deal_Name"));
}

#[tokio::test]
async fn counts_read_numbers_or_text() {
    let fake = FakeZoho::api(|request, _| async move {
        match request.q("criteria") {
            Some(_) => Reply::ok(json!({"count": "17"})),
            None => Reply::ok(json!({"count": 42})),
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    assert_eq!(clients.crm.count("Contacts", None).await.unwrap(), 42);
    assert_eq!(
        clients
            .crm
            .count("Contacts", Some("(Email:equals:a@b.c)"))
            .await
            .unwrap(),
        17
    );
    assert_eq!(
        fake.api_requests()[0].path,
        "/crm/v8/Contacts/actions/count"
    );
}

#[tokio::test]
async fn profile_permissions_are_updated_with_the_documented_body() {
    let fake = FakeZoho::api(|request, _| async move {
        if request.method == "GET" {
            return Reply::ok(json!({"profiles": [{"id": "p1", "name": "Standard", "permissions_details": [
                {"id": "perm1", "name": "Crm_Implied_View_Linked_Projects", "display_label": "View", "module": "Linked_Projects", "enabled": false}
            ]}]}));
        }
        Reply::ok(json!({"profiles": [{"code": "SUCCESS", "details": {"id": "p1"}, "message": "profile updated successfully", "status": "success"}]}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let profile = clients.crm.profile("p1").await.unwrap();
    assert_eq!(
        profile.permissions_details[0].module.as_deref(),
        Some("Linked_Projects")
    );
    clients
        .crm
        .update_profile_permissions("p1", &[("perm1".into(), true), ("perm2".into(), false)])
        .await
        .unwrap();
    let put = &fake.api_requests()[1];
    assert_eq!(
        (put.method.as_str(), put.path.as_str()),
        ("PUT", "/crm/v8/settings/profiles/p1")
    );
    assert_eq!(
        put.json(),
        json!({"profiles": [{"permissions_details": [{"id": "perm1", "enabled": true}, {"id": "perm2", "enabled": false}]}]})
    );
}

#[tokio::test]
async fn users_are_added_one_per_request_and_refusals_are_errors() {
    let fake = FakeZoho::api(|request, _| async move {
        let user = request.json()["users"][0].clone();
        if user["email"] == "taken@acme.com" {
            return Reply::json(400, json!({"users": [{"code": "DUPLICATE_DATA", "details": {"api_name": "email"}, "message": "duplicate data", "status": "error"}]}));
        }
        Reply::json(201, json!({"users": [{"code": "SUCCESS", "details": {"id": "u-new"}, "message": "User added", "status": "success"}]}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let user = NewUser {
        first_name: Some("Pat".into()),
        last_name: "Doe".into(),
        email: "pat@acme.com".into(),
        role_id: "r1".into(),
        profile_id: "p1".into(),
    };
    assert_eq!(clients.crm.add_user(&user).await.unwrap(), "u-new");
    let sent = fake.api_requests()[0].json();
    assert_eq!(sent["users"].as_array().unwrap().len(), 1);
    assert_eq!(sent["users"][0]["role"], json!({"id": "r1"}));
    assert_eq!(sent["users"][0]["profile"], json!({"id": "p1"}));

    let taken = NewUser {
        email: "taken@acme.com".into(),
        ..user
    };
    let err = clients.crm.add_user(&taken).await.unwrap_err();
    assert_eq!(
        (err.status(), err.code()),
        (Some(400), Some("DUPLICATE_DATA"))
    );
}

#[tokio::test]
async fn a_missing_module_is_none_and_modules_are_created_with_profiles() {
    let fake = FakeZoho::api(|request, _| async move {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/crm/v8/settings/modules/Linked_Projects") => {
                Reply::crm_error(400, "INVALID_MODULE", "the module name given seems to be invalid")
            }
            ("POST", "/crm/v8/settings/modules") => Reply::json(201, json!({"modules": [
                {"code": "SUCCESS", "details": {"id": "m1"}, "message": "module created", "status": "success"}]})),
            _ => Reply::empty(404),
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    assert!(
        clients
            .crm
            .module("Linked_Projects")
            .await
            .unwrap()
            .is_none()
    );
    let module = NewModule {
        singular_label: "Zoho Project".into(),
        plural_label: "Zoho Projects".into(),
        api_name: Some("Linked_Projects".into()),
        description: Some("managed-by: projectlink/acme".into()),
        profile_ids: vec!["p1".into(), "p2".into()],
        display_field: None,
    };
    assert_eq!(clients.crm.create_module(&module).await.unwrap(), "m1");
    let body = fake.api_requests()[1].json();
    assert_eq!(
        body["modules"][0]["profiles"],
        json!([{"id": "p1"}, {"id": "p2"}])
    );
    assert_eq!(body["modules"][0]["api_name"], "Linked_Projects");
    let no_profiles = NewModule {
        profile_ids: vec![],
        ..module
    };
    assert!(matches!(
        clients.crm.create_module(&no_profiles).await,
        Err(ZohoError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn variables_round_trip() {
    let fake = FakeZoho::api(|request, _| async move {
        match request.method.as_str() {
            "GET" => Reply::ok(json!({"variables": [{"id": "v1", "api_name": "projectlink_integration", "name": "projectlink integration",
                                                   "type": "textarea", "value": "{\"portal\":\"7\"}"}]})),
            _ => Reply::ok(json!({"variables": [{"code": "SUCCESS", "details": {"id": "v1"}, "message": "ok", "status": "success"}]})),
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let variables = clients.crm.variables().await.unwrap();
    assert_eq!(
        variables[0].value_text().as_deref(),
        Some("{\"portal\":\"7\"}")
    );
    let created = clients
        .crm
        .create_variable(&NewVariable {
            name: "projectlink integration".into(),
            api_name: "projectlink_integration".into(),
            variable_type: "textarea".into(),
            value: json!("{}"),
            description: None,
            group_id: None,
        })
        .await
        .unwrap();
    assert_eq!(created, "v1");
    clients
        .crm
        .update_variable(
            "v1",
            &VariableUpdate {
                value: Some(json!("{\"portal\":\"8\"}")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    clients.crm.delete_variable("v1").await.unwrap();
    let requests = fake.api_requests();
    assert_eq!(
        requests[2].json()["variables"][0],
        json!({"id": "v1", "value": "{\"portal\":\"8\"}"})
    );
    assert_eq!(
        (requests[3].method.as_str(), requests[3].path.as_str()),
        ("DELETE", "/crm/v8/settings/variables/v1")
    );
}

#[tokio::test]
async fn the_trait_is_usable_as_a_generic_bound() {
    async fn org_name(api: &impl projectlink::zoho::CrmApi) -> String {
        api.org().await.unwrap().company_name
    }
    let fake = FakeZoho::api(|_, _| async {
        Reply::ok(json!({"org": [{"id": "1", "company_name": "Acme"}]}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let crm = Arc::new(clients.crm.clone());
    let handle = tokio::spawn(async move { org_name(crm.as_ref()).await });
    assert_eq!(handle.await.unwrap(), "Acme");
}

#[tokio::test]
async fn a_whole_request_refusal_reaches_every_item_with_zohos_code() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::crm_error(
            400,
            "INVALID_MODULE",
            "the module name given seems to be invalid",
        )
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..3).map(record).collect();
    let results = clients.crm.insert_records("Nope", &records).await.unwrap();
    for result in &results {
        let err = result.as_ref().unwrap_err();
        assert!(matches!(err, ItemError::Request(_)));
        assert_eq!(err.code(), Some("INVALID_MODULE"));
        assert!(!err.is_retryable());
    }
    let err = clients.crm.delete_variable("v1").await.unwrap_err();
    assert_eq!(err.code(), Some("INVALID_MODULE"));
}

/// A fake `GET /Events` sorted by Modified_Time ascending that honours If-Modified-Since and
/// refuses page tokens past `reach` records, as Zoho does past 100,000.
fn changes_server(total: usize, per_second: usize, reach: usize) -> impl Fn(Recorded) -> Reply {
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00+00:00").unwrap();
    move |request: Recorded| {
        assert_eq!(request.q("sort_by"), Some("Modified_Time"));
        assert_eq!(request.q("sort_order"), Some("asc"));
        let time = |i: usize| base + chrono::Duration::seconds((i / per_second) as i64);
        let since = request
            .headers
            .get("if-modified-since")
            .map(|v| chrono::DateTime::parse_from_rfc3339(v.to_str().unwrap()).unwrap());
        let matching: Vec<usize> = (0..total)
            .filter(|i| since.is_none_or(|s| time(*i) >= s))
            .collect();
        let per_page = 200;
        let start = match (request.q("page"), request.q("page_token")) {
            (Some(page), None) => (page.parse::<usize>().unwrap() - 1) * per_page,
            (None, Some(token)) => {
                let start: usize = token.strip_prefix("pt-").unwrap().parse().unwrap();
                if start >= reach {
                    return Reply::crm_error(400, "PAGINATION_LIMIT_EXCEEDED", "too deep");
                }
                start
            }
            other => panic!("unexpected paging {other:?}"),
        };
        let end = (start + per_page).min(matching.len());
        if start >= end {
            return Reply::empty(if since.is_some() { 304 } else { 204 });
        }
        let data: Vec<Value> = matching[start..end]
            .iter()
            .map(|i| {
                json!({"id": format!("e{i:05}"), "Event_Title": format!("E{i}"),
                       "Modified_Time": time(*i).to_rfc3339()})
            })
            .collect();
        let more = end < matching.len();
        Reply::ok(
            json!({"data": data, "info": {"per_page": per_page, "count": end - start,
            "more_records": more, "next_page_token": if more { json!(format!("pt-{end}")) } else { Value::Null }}}),
        )
    }
}

#[tokio::test]
async fn changed_records_continue_past_the_paging_reach_from_the_last_change() {
    let answer = Arc::new(changes_server(2_600, 10, 2_200));
    let fake = FakeZoho::api(move |request, _| {
        let answer = answer.clone();
        async move { answer(request) }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records = clients
        .crm
        .records_modified_since("Events", &["Event_Title"], None)
        .await
        .unwrap();
    assert_eq!(records.len(), 2_600, "every record once");
    assert!(
        records
            .iter()
            .enumerate()
            .all(|(i, r)| r["id"] == json!(format!("e{i:05}")))
    );
    let requests = fake.api_requests();
    assert!(
        requests
            .iter()
            .all(|r| r.q("fields") == Some("Event_Title,Modified_Time"))
    );
    let restarted: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.headers.get("if-modified-since"))
        .map(|v| v.to_str().unwrap())
        .collect();
    // The first listing reached record 2,199 (second 219) before Zoho refused to go deeper.
    assert_eq!(restarted[0], "2026-01-05T10:03:39+00:00");
    assert!(restarted.iter().all(|h| *h == restarted[0]));

    let since = chrono::DateTime::parse_from_rfc3339("2026-01-05T10:04:00+00:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let recent = clients
        .crm
        .records_modified_since("Events", &["Event_Title", "Modified_Time"], Some(since))
        .await
        .unwrap();
    assert_eq!(recent.len(), 200, "seconds 240 to 259");
    let none = clients
        .crm
        .records_modified_since(
            "Events",
            &["Event_Title"],
            Some(since + chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn changes_that_share_one_second_beyond_the_reach_are_an_error_not_a_loop() {
    let answer = Arc::new(changes_server(2_600, 10_000, 2_200));
    let fake = FakeZoho::api(move |request, _| {
        let answer = answer.clone();
        async move { answer(request) }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let err = clients
        .crm
        .records_modified_since("Events", &["Event_Title"], None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("within one second"), "{err}");
}

#[tokio::test]
async fn a_full_listing_restarts_past_the_reach_and_carries_the_fields_asked_for() {
    let answer = Arc::new(changes_server(2_600, 10, 2_200));
    let fake = FakeZoho::api(move |request, _| {
        let answer = answer.clone();
        async move { answer(request) }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let fields = vec!["Event_Title".to_string()];
    let records = clients
        .crm
        .records("Events", &fields, &RecordQuery::default())
        .await
        .unwrap();
    assert_eq!(records.len(), 2_600, "every record once");
    assert!(
        records
            .iter()
            .enumerate()
            .all(|(i, r)| r["id"] == json!(format!("e{i:05}")) && !r.contains_key("Modified_Time"))
    );
    let requests = fake.api_requests();
    assert!(
        requests
            .iter()
            .all(|r| r.q("fields") == Some("Event_Title,Modified_Time"))
    );
    assert!(
        requests
            .iter()
            .any(|r| r.headers.contains_key("if-modified-since"))
    );
}

#[tokio::test]
async fn a_listing_in_a_chosen_order_past_the_reach_is_an_error_that_says_so() {
    let fake = FakeZoho::api(|request: Recorded, _| async move {
        let start: usize = match (request.q("page"), request.q("page_token")) {
            (Some(page), None) => (page.parse::<usize>().unwrap() - 1) * 200,
            (None, Some(token)) => token.strip_prefix("pt-").unwrap().parse().unwrap(),
            other => panic!("unexpected paging {other:?}"),
        };
        if start >= 2_200 {
            return Reply::crm_error(400, "PAGINATION_LIMIT_EXCEEDED", "too deep");
        }
        Reply::ok(json!({"data": records_page(start..start + 200),
            "info": {"more_records": true, "next_page_token": format!("pt-{}", start + 200)}}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let query = RecordQuery {
        sort_by: Some("id".into()),
        sort_order: Some("asc".into()),
        cvid: None,
    };
    let err = clients
        .crm
        .records("Contacts", &["Last_Name".to_string()], &query)
        .await
        .unwrap_err();
    assert!(matches!(err, ZohoError::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("Contacts has more records than one listing reaches"),
        "{err}"
    );
}

#[tokio::test]
async fn deleted_records_are_paged_with_if_modified_since() {
    let fake = FakeZoho::api(|request, _| async move {
        assert_eq!(request.path, "/crm/v8/Contacts/deleted");
        assert_eq!(
            request.headers.get("if-modified-since").unwrap(),
            "2026-01-05T10:00:00+00:00"
        );
        let page: usize = request.q("page").unwrap().parse().unwrap();
        let data: Vec<Value> = (0..if page == 1 { 200 } else { 3 })
            .map(|i| {
                json!({"id": format!("{page}-{i}"), "display_name": "Jane", "type": "recycle",
                       "deleted_by": {"name": "Pat", "id": "1"},
                       "deleted_time": "2026-01-05T11:00:00+01:00"})
            })
            .collect();
        Reply::ok(json!({"data": data,
            "info": {"per_page": 200, "count": data.len(), "page": page, "more_records": page == 1}}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let since = chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00.250Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let deleted = clients
        .crm
        .deleted_records("Contacts", Some(since))
        .await
        .unwrap();
    assert_eq!(deleted.len(), 203);
    assert_eq!(
        deleted[0].deleted_time.unwrap(),
        since - chrono::Duration::milliseconds(250)
    );
    assert_eq!(deleted[202].display_name.as_deref(), Some("Jane"));
}
