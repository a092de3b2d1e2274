//! Calendars, events, contact folders, contacts and extended properties.

use super::*;

#[tokio::test]
async fn calendars_are_listed_created_and_deleted() {
    let env = Env::start().await;
    let list = env.get("/users/pat@acme.com/calendars").await;
    let cals = list.body["value"].as_array().unwrap();
    assert_eq!(cals.len(), 1);
    assert_eq!(cals[0]["name"], "Calendar");
    assert_eq!(cals[0]["isDefaultCalendar"], true);

    let created = env
        .post("/users/pat@acme.com/calendars", json!({"name": "Projects"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["isDefaultCalendar"], false);
    let again = env
        .post("/users/pat@acme.com/calendars", json!({"name": "projects"}))
        .await;
    assert_graph_error(&again, StatusCode::CONFLICT, "ErrorFolderExists");
    let nameless = env.post("/users/pat@acme.com/calendars", json!({})).await;
    assert_graph_error(&nameless, StatusCode::BAD_REQUEST, "ErrorInvalidRequest");
    let unknown_prop = env
        .post(
            "/users/pat@acme.com/calendars",
            json!({"name": "Y", "colour": "red"}),
        )
        .await;
    assert_graph_error(&unknown_prop, StatusCode::BAD_REQUEST, "BadRequest");

    let gone = env
        .delete(&format!("/users/pat@acme.com/calendars/{id}"))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = env
        .delete(&format!("/users/pat@acme.com/calendars/{id}"))
        .await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "ErrorItemNotFound");
    let default = env.default_calendar("pat@acme.com").await;
    let keep = env
        .delete(&format!("/users/pat@acme.com/calendars/{default}"))
        .await;
    assert_graph_error(&keep, StatusCode::BAD_REQUEST, "ErrorInvalidRequest");

    let no_user = env.get("/users/ghost@acme.com/calendars").await;
    assert_graph_error(&no_user, StatusCode::NOT_FOUND, "ErrorInvalidUser");
    let no_mailbox = env.get("/users/room@acme.com/calendars").await;
    assert_graph_error(
        &no_mailbox,
        StatusCode::NOT_FOUND,
        "MailboxNotEnabledForRESTAPI",
    );
    let foreign = env.get("/users/eve@other.example/calendars").await;
    assert_graph_error(&foreign, StatusCode::NOT_FOUND, "ErrorInvalidUser");
}

#[tokio::test]
async fn events_are_created_read_updated_and_deleted_with_graph_shapes() {
    let env = Env::start().await;
    let cal = env.default_calendar("pat@acme.com").await;
    let base = format!("/users/pat@acme.com/calendars/{cal}/events");
    let created = env
        .post(
            &base,
            json!({
                "subject": "Kickoff",
                "body": {"contentType": "html", "content": "<p>Agenda</p>"},
                "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"},
                "location": {"displayName": "Room 1"},
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let e = &created.body;
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(e["subject"], "Kickoff");
    assert_eq!(e["start"]["dateTime"], "2026-04-01T09:00:00.0000000");
    assert_eq!(e["start"]["timeZone"], "UTC");
    assert_eq!(e["isAllDay"], false);
    assert!(e["createdDateTime"].as_str().unwrap().ends_with('Z'));
    assert!(e["@odata.etag"].as_str().unwrap().starts_with("W/\""));
    let key = e["changeKey"].as_str().unwrap().to_string();

    let via_user = env.get(&format!("/users/pat@acme.com/events/{id}")).await;
    assert_eq!(via_user.body["location"]["displayName"], "Room 1");
    let via_cal = env.get(&format!("{base}/{id}?$select=subject")).await;
    assert_eq!(via_cal.body["subject"], "Kickoff");
    assert!(via_cal.body.get("location").is_none());

    let patched = env
        .patch(
            &format!("/users/pat@acme.com/events/{id}"),
            json!({"subject": "Kickoff v2"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["subject"], "Kickoff v2");
    assert_eq!(patched.body["location"]["displayName"], "Room 1");
    assert_ne!(patched.body["changeKey"], key.as_str());

    let bad = [
        json!({"subject": "x"}),
        json!({"subject": "x", "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
               "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}, "colour": 1}),
        json!({"subject": 5, "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
               "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
        json!({"start": {"dateTime": "yesterday", "timeZone": "UTC"},
               "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
    ];
    for body in bad {
        let a = env.post(&base, body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body["error"]["code"].is_string());
    }
    let reversed = env
        .patch(
            &format!("/users/pat@acme.com/events/{id}"),
            json!({"end": {"dateTime": "2026-03-01T10:00:00", "timeZone": "UTC"}}),
        )
        .await;
    assert_graph_error(&reversed, StatusCode::BAD_REQUEST, "ErrorInvalidRequest");
    let not_json = env
        .http
        .post(env.url(&base))
        .bearer_auth(&env.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let deleted = env.delete(&format!("{base}/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let after = env.get(&format!("/users/pat@acme.com/events/{id}")).await;
    assert_graph_error(&after, StatusCode::NOT_FOUND, "ErrorItemNotFound");
}

#[tokio::test]
async fn event_listings_page_filter_and_select() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let base = format!("/users/ada@acme.com/calendars/{cal}/events");
    let first = env.get(&format!("{base}?$top=20&$select=subject")).await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 20);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    let second = env.get(next).await;
    assert_eq!(second.body["value"].as_array().unwrap().len(), 7);
    assert!(second.body.get("@odata.nextLink").is_none());

    let march_late = env
        .get(&format!(
            "{base}?$filter=start/dateTime ge '2026-03-20T00:00:00' and start/dateTime lt '2026-04-01T00:00:00'&$top=100"
        ))
        .await;
    assert_eq!(march_late.status, StatusCode::OK, "{}", march_late.body);
    assert_eq!(march_late.body["value"].as_array().unwrap().len(), 6);
    let recent = env
        .get(&format!(
            "{base}?$filter=lastModifiedDateTime ge 2000-01-01T00:00:00Z&$top=100"
        ))
        .await;
    assert_eq!(recent.body["value"].as_array().unwrap().len(), 27);
    let default_events = env.get("/users/ada@acme.com/events?$top=1").await;
    assert_eq!(default_events.body["value"].as_array().unwrap().len(), 1);

    for bad in [
        "$filter=subject like 'x'",
        "$orderby=subject",
        "$top=many",
        "$expand=attachments",
    ] {
        let a = env.get(&format!("{base}?{bad}")).await;
        assert_graph_error(&a, StatusCode::BAD_REQUEST, "BadRequest");
    }
    let unknown = env.get("/users/ada@acme.com/mailFolders").await;
    assert_graph_error(&unknown, StatusCode::BAD_REQUEST, "BadRequest");
}

#[tokio::test]
async fn contact_folders_and_contacts_support_crud() {
    let env = Env::start().await;
    let folder = env
        .post(
            "/users/pat@acme.com/contactFolders",
            json!({"displayName": "Clients"}),
        )
        .await;
    assert_eq!(folder.status, StatusCode::CREATED, "{}", folder.body);
    let fid = folder.body["id"].as_str().unwrap().to_string();
    assert!(folder.body["parentFolderId"].is_string());
    let dup = env
        .post(
            "/users/pat@acme.com/contactFolders",
            json!({"displayName": "Clients"}),
        )
        .await;
    assert_graph_error(&dup, StatusCode::CONFLICT, "ErrorFolderExists");

    let base = format!("/users/pat@acme.com/contactFolders/{fid}/contacts");
    let created = env
        .post(
            &base,
            json!({
                "givenName": "Jane", "surname": "Bowman",
                "emailAddresses": [{"address": "jane@bowman.example", "name": "Jane Bowman"}],
                "businessPhones": ["+1 555 0100"], "companyName": "Bowman", "jobTitle": "Buyer",
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let cid = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["displayName"], "Jane Bowman");
    assert_eq!(created.body["parentFolderId"], fid.as_str());
    assert_eq!(created.body["mobilePhone"], Value::Null);

    let listed = env.get(&base).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    let by_email = env
        .get(&format!(
            "{base}?$filter=emailAddresses/any(a:a/address eq 'JANE@bowman.example')"
        ))
        .await;
    assert_eq!(
        by_email.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        by_email.body
    );

    let patched = env
        .patch(
            &format!("/users/pat@acme.com/contacts/{cid}"),
            json!({"mobilePhone": "+1 555 0199"}),
        )
        .await;
    assert_eq!(patched.body["mobilePhone"], "+1 555 0199");
    assert_eq!(patched.body["givenName"], "Jane");
    let wrong = env
        .patch(
            &format!("/users/pat@acme.com/contacts/{cid}"),
            json!({"nick": "JB"}),
        )
        .await;
    assert_graph_error(&wrong, StatusCode::BAD_REQUEST, "BadRequest");

    let got = env.get(&format!("{base}/{cid}")).await;
    assert_eq!(got.body["mobilePhone"], "+1 555 0199");
    assert_eq!(
        env.delete(&format!("{base}/{cid}")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = env
        .get(&format!("/users/pat@acme.com/contacts/{cid}"))
        .await;
    assert_graph_error(&gone, StatusCode::NOT_FOUND, "ErrorItemNotFound");

    assert_eq!(
        env.delete(&format!("/users/pat@acme.com/contactFolders/{fid}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let no_folder = env.get(&base).await;
    assert_graph_error(&no_folder, StatusCode::NOT_FOUND, "ErrorItemNotFound");
}

#[tokio::test]
async fn extended_properties_are_written_expanded_and_filtered() {
    let env = Env::start().await;
    let cal = env.default_calendar("pat@acme.com").await;
    let base = format!("/users/pat@acme.com/calendars/{cal}/events");
    let mut made = Vec::new();
    for n in ["100", "200"] {
        let a = env
            .post(
                &base,
                json!({"subject": format!("Linked {n}"),
                       "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                       "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"},
                       "singleValueExtendedProperties": [{"id": CRM_ID, "value": n}]}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert!(a.body.get("singleValueExtendedProperties").is_none());
        made.push(a.body["id"].as_str().unwrap().to_string());
    }
    let plain = env.get(&format!("{base}/{}", made[0])).await;
    assert!(plain.body.get("singleValueExtendedProperties").is_none());
    let expand = format!("$expand=singleValueExtendedProperties($filter=id eq '{CRM_ID}')");
    let expanded = env.get(&format!("{base}/{}?{expand}", made[0])).await;
    assert_eq!(
        expanded.body["singleValueExtendedProperties"],
        json!([{"id": CRM_ID, "value": "100"}])
    );

    let filter = |v: &str| {
        format!(
            "$filter=singleValueExtendedProperties/Any(ep: ep/id eq '{CRM_ID}' and ep/value eq '{v}')"
        )
    };
    let found = env.get(&format!("{base}?{}&{expand}", filter("200"))).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let value = found.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["id"], made[1].as_str());
    assert_eq!(value[0]["singleValueExtendedProperties"][0]["value"], "200");

    env.patch(
        &format!("{base}/{}", made[1]),
        json!({"singleValueExtendedProperties": [{"id": CRM_ID, "value": "300"}]}),
    )
    .await;
    assert!(
        env.get(&format!("{base}?{}", filter("200"))).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        env.get(&format!("{base}?{}", filter("300"))).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad_id = env
        .post(
            &base,
            json!({"start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                   "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"},
                   "singleValueExtendedProperties": [{"id": "Nonsense", "value": "1"}]}),
        )
        .await;
    assert_graph_error(&bad_id, StatusCode::BAD_REQUEST, "BadRequest");

    let folder = env
        .post(
            "/users/pat@acme.com/contactFolders",
            json!({"displayName": "CRM"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cbase = format!("/users/pat@acme.com/contactFolders/{folder}/contacts");
    env.post(
        &cbase,
        json!({"givenName": "A", "singleValueExtendedProperties": [{"id": CRM_ID, "value": "c1"}]}),
    )
    .await;
    env.post(&cbase, json!({"givenName": "B"})).await;
    let c = env.get(&format!("{cbase}?{}&{expand}", filter("c1"))).await;
    let value = c.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["givenName"], "A");
    assert_eq!(value[0]["singleValueExtendedProperties"][0]["id"], CRM_ID);
}

#[tokio::test]
async fn hostile_query_values_are_answered_not_crashed_on() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let base = format!("/users/ada@acme.com/calendars/{cal}/events");
    let huge = env.get(&format!("{base}?$skip=18446744073709551615")).await;
    assert_eq!(huge.status, StatusCode::OK);
    assert!(huge.body["value"].as_array().unwrap().is_empty());
    let accents = env
        .get(&format!(
            "{base}?$filter=subject eq 'réunion – été' and subject ne 'x'"
        ))
        .await;
    assert_eq!(accents.status, StatusCode::OK, "{}", accents.body);
    let users = env.get("/users?$skiptoken=18446744073709551615").await;
    assert_eq!(users.status, StatusCode::OK);
    // A forged delta token from the far future or past is a resync, not a crash.
    use base64::Engine;
    for t in [i64::MIN, i64::MAX] {
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"f":"{cal}","a":0,"t":{t}}}"#));
        let a = env
            .get(&format!(
                "/users/ada@acme.com/calendars/{cal}/calendarView/delta?$deltatoken={forged}"
            ))
            .await;
        assert_graph_error(&a, StatusCode::GONE, "SyncStateNotFound");
    }
}
