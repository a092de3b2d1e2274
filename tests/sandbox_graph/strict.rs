//! Graph's rules and URL forms the sandbox holds to: a calendar range of at most 1,825 days,
//! the `delta()` and `microsoft.graph.delta()` spellings of delta functions, `calendarView`
//! with paging, and the default calendar and contacts folder under `/users/{id}/…`.

use super::*;

const RANGE: &str = "startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z";

#[tokio::test]
async fn a_calendar_range_over_1825_days_is_refused_as_graph_refuses_it() {
    let env = Env::start().await;
    // Exactly 1,825 days is served; a day more is not, delta or not.
    let fits = "startDateTime=2025-01-01T00:00:00Z&endDateTime=2029-12-31T00:00:00Z";
    let over = "startDateTime=2025-01-01T00:00:00Z&endDateTime=2030-01-01T00:00:00Z";
    for path in [
        "/users/ada@acme.com/calendarView",
        "/users/ada@acme.com/calendarView/delta()",
        "/users/ada@acme.com/calendar/calendarView/delta",
    ] {
        let ok = env.get(&format!("{path}?{fits}")).await;
        assert_eq!(ok.status, StatusCode::OK, "{path}: {}", ok.body);
        let refused = env.get(&format!("{path}?{over}")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(refused.body["error"]["code"], "ErrorInvalidRequest");
        assert_eq!(
            refused.body["error"]["message"],
            "Your request can't be completed. The range between the start and end dates is \
             greater than the allowed range. Maximum number of days: 1825"
        );
    }
    // Without a range, Graph says which parameters it needs.
    let missing = env.get("/users/ada@acme.com/calendarView").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["error"]["code"], "ErrorInvalidParameter");
}

#[tokio::test]
async fn every_spelling_of_delta_serves_the_same_round() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let folder = env.contact_folder("ada@acme.com").await;
    let mut events = Vec::new();
    let mut contacts = Vec::new();
    for spelling in ["delta", "delta()", "microsoft.graph.delta()"] {
        let (items, link, _) = env
            .delta_round(
                &format!("/users/ada@acme.com/calendars/{cal}/calendarView/{spelling}?{RANGE}"),
                Some(100),
            )
            .await;
        assert!(
            link.contains(&format!("calendarView/{spelling}?")),
            "{link}"
        );
        events.push(ids(&items));
        let (items, _, _) = env
            .delta_round(
                &format!("/users/ada@acme.com/contactFolders/{folder}/contacts/{spelling}"),
                Some(100),
            )
            .await;
        contacts.push(ids(&items));
    }
    assert_eq!(events[0].len(), 25);
    assert!(events.iter().all(|e| *e == events[0]));
    assert_eq!(contacts[0].len(), 3);
    assert!(contacts.iter().all(|c| *c == contacts[0]));
}

#[tokio::test]
async fn calendar_view_lists_the_range_in_start_order_page_by_page() {
    let env = Env::start().await;
    let mut url =
        format!("/users/ada@acme.com/calendar/calendarView?{RANGE}&$top=10&$select=subject");
    let mut subjects = Vec::new();
    let mut pages = 0;
    loop {
        let a = env.get(&url).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        pages += 1;
        for event in a.body["value"].as_array().unwrap() {
            assert!(
                event.get("start").is_none(),
                "$select keeps only subject and id"
            );
            subjects.push(event["subject"].as_str().unwrap().to_string());
        }
        assert!(a.body.get("@odata.deltaLink").is_none());
        match a.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (1..=25).map(|d| format!("Meeting {d}")).collect();
    assert_eq!(
        subjects, expected,
        "the two far-away events are outside the range"
    );

    // Prefer: odata.maxpagesize pages too, and says it did.
    let a = env
        .call(
            reqwest::Method::GET,
            &format!("/users/ada@acme.com/calendarView?{RANGE}"),
            &env.token,
            None,
            &[("Prefer", "odata.maxpagesize=7")],
        )
        .await;
    assert_eq!(a.body["value"].as_array().unwrap().len(), 7);
    assert_eq!(a.headers["preference-applied"], "odata.maxpagesize=7");
}

#[tokio::test]
async fn the_default_calendar_and_contacts_folder_answer_without_their_ids() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let calendar = env.get("/users/ada@acme.com/calendar").await;
    assert_eq!(calendar.status, StatusCode::OK, "{}", calendar.body);
    assert_eq!(calendar.body["id"], json!(cal));

    let created = env
        .post(
            "/users/ada@acme.com/calendar/events",
            json!({"subject": "Default", "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                   "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let listed = env
        .get(&format!("/users/ada@acme.com/calendars/{cal}/events/{id}"))
        .await;
    assert_eq!(listed.body["subject"], "Default");

    let contact = env
        .post(
            "/users/pat@acme.com/contacts",
            json!({"givenName": "Dora", "surname": "Default"}),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.body);
    let all = env.get("/users/pat@acme.com/contacts").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.body["value"][0]["surname"], "Default");
    let (round, _, _) = env
        .delta_round("/users/pat@acme.com/contacts/delta()", None)
        .await;
    assert_eq!(
        ids(&round),
        ids(&all.body["value"].as_array().unwrap().clone())
    );
}

#[tokio::test]
async fn an_all_day_event_runs_from_midnight_to_a_later_midnight() {
    let env = Env::start().await;
    let at = |t: &str| json!({"dateTime": t, "timeZone": "UTC"});
    let base = "/users/ada@acme.com/calendar/events";
    for (start, end, message) in [
        (
            "2026-04-01T09:00:00",
            "2026-04-02T00:00:00",
            "An event marked as All day must start and end at midnight.",
        ),
        (
            "2026-04-01T00:00:00",
            "2026-04-01T00:00:00",
            "The duration of an event marked as All day must be at least 24 hours.",
        ),
    ] {
        let refused = env
            .post(
                base,
                json!({"subject": "Off", "isAllDay": true, "start": at(start), "end": at(end)}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{start}");
        assert_eq!(refused.body["error"]["message"], message);
    }
    let made = env
        .post(
            base,
            json!({"subject": "Off", "isAllDay": true,
                   "start": at("2026-04-01T00:00:00"), "end": at("2026-04-03T00:00:00")}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    // A PATCH is checked against the event it makes: a timed end on an all-day event fails.
    let id = made.body["id"].as_str().unwrap();
    let patched = env
        .patch(
            &format!("{base}/{id}"),
            json!({"end": at("2026-04-03T10:00:00")}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::BAD_REQUEST, "{}", patched.body);
    let cleared = env
        .patch(
            &format!("{base}/{id}"),
            json!({"isAllDay": false, "end": at("2026-04-03T10:00:00")}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
}

#[tokio::test]
async fn events_answer_in_utc_unless_a_zone_is_preferred_and_unknown_zones_are_refused() {
    let env = Env::start().await;
    let base = "/users/ada@acme.com/calendar/events";
    let pacific = |t: &str| json!({"dateTime": t, "timeZone": "Pacific Standard Time"});
    let made = env
        .post(
            base,
            json!({"subject": "Stand-up", "start": pacific("2026-07-01T09:00:00"),
                   "end": pacific("2026-07-01T09:30:00")}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    // Graph answers in UTC, whatever zone the event was written in.
    assert_eq!(
        made.body["start"],
        json!({"dateTime": "2026-07-01T16:00:00.0000000", "timeZone": "UTC"})
    );
    let id = made.body["id"].as_str().unwrap();
    let read = env.get(&format!("{base}/{id}")).await;
    assert_eq!(read.body["end"]["dateTime"], "2026-07-01T16:30:00.0000000");
    // With `Prefer: outlook.timezone`, in that zone, named as the client spelt it.
    let tokyo = env
        .call(
            reqwest::Method::GET,
            &format!("{base}/{id}"),
            &env.token,
            None,
            &[("Prefer", "outlook.timezone=\"Tokyo Standard Time\"")],
        )
        .await;
    assert_eq!(
        tokyo.body["start"],
        json!({"dateTime": "2026-07-02T01:00:00.0000000", "timeZone": "Tokyo Standard Time"})
    );
    // The calendar range is about instants: 16:00 UTC is inside a range ending at 16:15 UTC.
    let view = env
        .get("/users/ada@acme.com/calendarView?startDateTime=2026-07-01T15:45:00Z&endDateTime=2026-07-01T16:15:00Z")
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert!(
        view.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == id),
        "{}",
        view.body
    );
    // A zone Exchange does not know is refused with Graph's error.
    let refused = env
        .post(
            base,
            json!({"subject": "x", "start": {"dateTime": "2026-07-01T09:00:00", "timeZone": "Mars/Olympus"},
                   "end": {"dateTime": "2026-07-01T10:00:00", "timeZone": "Mars/Olympus"}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(
        refused.body["error"]["code"],
        "TimeZoneNotSupportedException"
    );
}

#[tokio::test]
async fn folder_listings_page_by_prefer_maxpagesize_unless_top_says_otherwise() {
    let env = Env::start().await;
    let base = "/users/ada@acme.com/calendar/events";
    for n in 0..3 {
        let at = |h: u32| json!({"dateTime": format!("2026-08-0{}T{h:02}:00:00", n + 1), "timeZone": "UTC"});
        let made = env
            .post(
                base,
                json!({"subject": format!("e{n}"), "start": at(9), "end": at(10)}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let prefer = [("Prefer", "odata.maxpagesize=2")];
    let paged = env
        .call(reqwest::Method::GET, base, &env.token, None, &prefer)
        .await;
    assert_eq!(
        paged.body["value"].as_array().unwrap().len(),
        2,
        "{}",
        paged.body
    );
    assert!(paged.body["@odata.nextLink"].is_string(), "{}", paged.body);
    let topped = env
        .call(
            reqwest::Method::GET,
            &format!("{base}?$top=1"),
            &env.token,
            None,
            &prefer,
        )
        .await;
    assert_eq!(
        topped.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        topped.body
    );
}
