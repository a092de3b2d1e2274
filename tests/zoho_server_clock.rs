//! The clients measure how far this machine's clock runs ahead of Zoho's from the answers'
//! `Date` headers, which incremental observation sets its watermarks back by.

mod zoho_support;

use projectlink::zoho::CrmApi;
use serde_json::json;
use zoho_support::*;

fn org_reply(date: &str) -> Reply {
    Reply::ok(json!({"org": [{"id": "4150868000000225000", "company_name": "Acme"}]}))
        .header("date", date)
}

#[tokio::test]
async fn a_zoho_clock_ten_minutes_behind_is_measured_from_the_date_header() {
    let behind = chrono::Utc::now() - chrono::Duration::minutes(10);
    let date = behind.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let fake = FakeZoho::api(move |_, _| {
        let date = date.clone();
        async move { org_reply(&date) }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    assert_eq!(clients.crm.clock_ahead(), None, "nothing answered yet");
    clients.crm.org().await.expect("org");
    let ahead = clients
        .crm
        .clock_ahead()
        .expect("measured")
        .num_milliseconds();
    // Whole seconds in the header and the time the answer took: up to about 2 s high.
    assert!(
        (600_000..603_000).contains(&ahead),
        "measured {ahead} ms ahead"
    );
}

#[tokio::test]
async fn a_zoho_clock_in_step_measures_about_zero() {
    let fake = FakeZoho::api(|_, _| async {
        let now = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        org_reply(&now)
    })
    .await;
    let clients = connect(&fake, &fast_options());
    clients.crm.org().await.expect("org");
    let ahead = clients
        .crm
        .clock_ahead()
        .expect("measured")
        .num_milliseconds();
    assert!((0..2_000).contains(&ahead), "measured {ahead} ms ahead");
}
