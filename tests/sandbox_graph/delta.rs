//! Delta rounds: paging, changes with tombstones, windows and stale tokens.

use super::*;

#[tokio::test]
async fn calendar_view_delta_pages_the_first_round_then_reports_only_changes() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let (items, delta, pages) = env.delta_round(&first, Some(10)).await;
    assert_eq!(
        items.len(),
        25,
        "the two events outside the window are left out"
    );
    assert_eq!(pages, 3);
    assert!(items.iter().all(|i| i.get("@removed").is_none()));
    assert!(
        items
            .iter()
            .all(|i| i["subject"].as_str().unwrap().starts_with("Meeting"))
    );

    // Nothing changed: an empty round.
    let (none, delta, _) = env.delta_round(&delta, None).await;
    assert!(none.is_empty(), "{none:?}");
    // The default calendar's own delta path serves the same calendar.
    let (same, _, _) = env
        .delta_round(
            "/users/ada@acme.com/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z",
            Some(100),
        )
        .await;
    assert_eq!(ids(&same), ids(&items));

    let base = format!("/users/ada@acme.com/calendars/{cal}/events");
    let created = env
        .post(&base, json!({"subject": "New", "start": {"dateTime": "2026-05-01T09:00:00", "timeZone": "UTC"},
                            "end": {"dateTime": "2026-05-01T10:00:00", "timeZone": "UTC"}}))
        .await;
    let new_id = created.body["id"].as_str().unwrap().to_string();
    let updated_id = items[3]["id"].as_str().unwrap().to_string();
    let deleted_id = items[7]["id"].as_str().unwrap().to_string();
    env.patch(&format!("{base}/{updated_id}"), json!({"subject": "Moved"}))
        .await;
    env.delete(&format!("{base}/{deleted_id}")).await;
    // An event created and kept outside the window is not reported.
    env.post(
        &base,
        json!({"subject": "Later", "start": {"dateTime": "2031-05-01T09:00:00", "timeZone": "UTC"},
                           "end": {"dateTime": "2031-05-01T10:00:00", "timeZone": "UTC"}}),
    )
    .await;

    let (changes, _, _) = env.delta_round(&delta, Some(2)).await;
    let live: Vec<&Value> = changes
        .iter()
        .filter(|c| c.get("@removed").is_none())
        .collect();
    let removed: Vec<&Value> = changes
        .iter()
        .filter(|c| c.get("@removed").is_some())
        .collect();
    let mut expected_live = vec![new_id.clone(), updated_id.clone()];
    expected_live.sort();
    let live_ids: Vec<Value> = live.iter().map(|v| (*v).clone()).collect();
    assert_eq!(ids(&live_ids), expected_live);
    assert!(live.iter().any(|e| e["subject"] == "Moved"));
    // The deleted event and the one outside the window come as tombstones.
    assert!(
        removed
            .iter()
            .any(|r| r["id"] == deleted_id.as_str() && r["@removed"]["reason"] == "deleted")
    );
    assert_eq!(removed.len(), 2, "{changes:?}");
}

#[tokio::test]
async fn calendar_view_delta_requires_a_window_and_rejects_stale_tokens() {
    let env = Env::start_with(SandboxConfig {
        graph: GraphConfig {
            delta_token_ttl: Duration::ZERO,
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cal = env.default_calendar("ada@acme.com").await;
    let no_window = env
        .get(&format!(
            "/users/ada@acme.com/calendars/{cal}/calendarView/delta"
        ))
        .await;
    assert_graph_error(&no_window, StatusCode::BAD_REQUEST, "ErrorInvalidParameter");
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let a = env
        .call(
            reqwest::Method::GET,
            &first,
            &env.token,
            None,
            &[("Prefer", "odata.maxpagesize=100")],
        )
        .await;
    let delta = a.body["@odata.deltaLink"].as_str().unwrap();
    let stale = env.get(delta).await;
    assert_graph_error(&stale, StatusCode::GONE, "SyncStateNotFound");
    let garbage = env
        .get(&format!(
            "/users/ada@acme.com/calendars/{cal}/calendarView/delta?$deltatoken=garbage"
        ))
        .await;
    assert_graph_error(&garbage, StatusCode::GONE, "SyncStateNotFound");
}

#[tokio::test]
async fn a_delta_token_from_another_folder_means_a_full_resync() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let other = env
        .post("/users/ada@acme.com/calendars", json!({"name": "Side"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let (_, delta, _) = env.delta_round(&first, Some(100)).await;
    let token = delta.split("$deltatoken=").nth(1).unwrap();
    let wrong = env
        .get(&format!(
            "/users/ada@acme.com/calendars/{other}/calendarView/delta?$deltatoken={token}"
        ))
        .await;
    assert_graph_error(&wrong, StatusCode::GONE, "SyncStateNotFound");
}

#[tokio::test]
async fn contacts_delta_reports_creates_updates_and_tombstones() {
    let env = Env::start().await;
    let folder = env.contact_folder("ada@acme.com").await;
    let first = format!("/users/ada@acme.com/contactFolders/{folder}/contacts/delta");
    let (items, delta, pages) = env.delta_round(&first, Some(2)).await;
    assert_eq!(items.len(), 3);
    assert_eq!(pages, 2);
    let base = format!("/users/ada@acme.com/contactFolders/{folder}/contacts");
    let jane = items.iter().find(|c| c["givenName"] == "Jane").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hank = items.iter().find(|c| c["givenName"] == "Hank").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.patch(&format!("{base}/{jane}"), json!({"jobTitle": "Head Buyer"}))
        .await;
    env.delete(&format!("{base}/{hank}")).await;
    let (changes, _, _) = env.delta_round(&delta, None).await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == jane.as_str() && c["jobTitle"] == "Head Buyer")
    );
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == hank.as_str() && c["@removed"]["reason"] == "deleted")
    );
}

#[tokio::test]
async fn changes_made_during_a_round_are_served_once_in_the_next_round() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let prefer = [("Prefer", "odata.maxpagesize=10")];
    let page1 = env
        .call(reqwest::Method::GET, &first, &env.token, None, &prefer)
        .await;
    let seen: Vec<Value> = page1.body["value"].as_array().unwrap().clone();
    let early = seen[0]["id"].as_str().unwrap().to_string();
    // Touch one event already served and, via the listing, one not served yet.
    let base = format!("/users/ada@acme.com/calendars/{cal}/events");
    env.patch(&format!("{base}/{early}"), json!({"subject": "Early edit"}))
        .await;
    let all = env.get(&format!("{base}?$top=100")).await;
    let late = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .find(|id| !seen.iter().any(|s| s["id"] == id.as_str()) && *id != early)
        .unwrap();
    env.patch(&format!("{base}/{late}"), json!({"subject": "Late edit"}))
        .await;

    let mut items = seen.clone();
    let mut url = page1.body["@odata.nextLink"].as_str().unwrap().to_string();
    let delta = loop {
        let a = env
            .call(reqwest::Method::GET, &url, &env.token, None, &prefer)
            .await;
        items.extend(a.body["value"].as_array().unwrap().iter().cloned());
        match a.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break a.body["@odata.deltaLink"].as_str().unwrap().to_string(),
        }
    };
    // An event changed mid-round and not yet served moves to the next round; none is lost.
    assert_eq!(items.len(), 24, "{:?}", ids(&items));
    assert!(!items.iter().any(|i| i["id"] == late.as_str()));
    let (changes, _, _) = env.delta_round(&delta, None).await;
    let mut expected = vec![early.clone(), late.clone()];
    expected.sort();
    assert_eq!(ids(&changes), expected);
    assert!(changes.iter().any(|c| c["subject"] == "Late edit"));
}
