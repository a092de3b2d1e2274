//! The twin cannot be crashed from outside: random and adversarial requests (nesting
//! thousands deep, numbers past every integer type, random bytes, unicode, long strings,
//! wrong content types, oversized bodies) thrown over real HTTP at every parser of a running
//! sandbox — CRM, Projects (legacy and V3), Graph and both token endpoints. Every answer must
//! be below 500, an error must be the error envelope of the service the path belongs to,
//! and the sandbox must still serve a health request after each case.
//!
//! Property tests run from a fixed seed with a bounded number of cases, so CI sees the same
//! requests every time and the whole file runs in seconds.

#[path = "sandbox_hostile/support.rs"]
mod support;

use base64::Engine;
use proptest::prelude::*;
use reqwest::Method;
use serde_json::json;

use support::{Body, Probe, Service, Twin, config, hostile_text};

/// Query parameters of CRM listings and searches, each given a hostile value.
const CRM_PARAMS: [&str; 10] = [
    "page",
    "per_page",
    "fields",
    "ids",
    "sort_by",
    "sort_order",
    "page_token",
    "criteria",
    "email",
    "word",
];

fn crm_probe() -> impl Strategy<Value = Probe> {
    let listing = (
        prop::sample::select(vec![
            "/crm/v8/Contacts",
            "/crm/v8/Contacts/search",
            "/crm/v8/Contacts/actions/count",
            "/crm/v8/Contacts/deleted",
            "/crm/v8/users",
            "/crm/v8/settings/fields",
        ]),
        prop::collection::vec(
            (prop::sample::select(CRM_PARAMS.to_vec()), hostile_text()),
            1..4,
        ),
    )
        .prop_map(|(path, params)| Probe::get(Service::Crm, path).with_query(params));
    let coql = hostile_text().prop_map(|q| {
        Probe::post(
            Service::Crm,
            "/crm/v8/coql",
            Body::json(json!({ "select_query": q })),
        )
    });
    let coql_where = hostile_text().prop_map(|w| {
        let q = format!("select Last_Name from Contacts where {w}");
        Probe::post(
            Service::Crm,
            "/crm/v8/coql",
            Body::json(json!({ "select_query": q })),
        )
    });
    let write = (
        prop::sample::select(vec![
            "/crm/v8/Contacts",
            "/crm/v8/Contacts/upsert",
            "/crm/v8/users",
            "/crm/v8/settings/variables",
            "/crm/v8/Contacts/actions/add_tags",
        ]),
        hostile_body(),
    )
        .prop_map(|(path, body)| Probe::post(Service::Crm, path, body));
    let records = (
        prop::sample::select(vec![
            "/crm/v8/Contacts",
            "/crm/v8/Deals",
            "/crm/v8/Accounts",
        ]),
        prop::collection::vec(record(), 1..4),
    )
        .prop_map(|(path, items)| {
            Probe::post(Service::Crm, path, Body::json(json!({ "data": items })))
        });
    let module =
        hostile_text().prop_map(|m| Probe::get(Service::Crm, "").with_segment("/crm/v8/", &m));
    let criteria = hostile_text().prop_map(|c| {
        Probe::get(Service::Crm, "/crm/v8/Contacts/search").with_query(vec![("criteria", c)])
    });
    let by_id = (
        prop::sample::select(vec![
            ("/crm/v8/users/", ""),
            ("/crm/v8/Contacts/", ""),
            ("/crm/v8/settings/fields/", "?module=Contacts"),
            ("/crm/v8/settings/variables/", ""),
            ("/crm/v8/settings/profiles/", ""),
            ("/crm/v8/settings/layouts/", "?module=Contacts"),
        ]),
        hostile_text(),
    )
        .prop_map(|((prefix, suffix), id)| {
            Probe::get(Service::Crm, "")
                .with_segment(prefix, &id)
                .then(suffix)
        });
    let update = (hostile_text(), hostile_body()).prop_map(|(id, body)| {
        Probe::get(Service::Crm, "")
            .with_segment("/crm/v8/Contacts/", &id)
            .with_method(Method::PUT)
            .with_body(body)
    });
    prop_oneof![
        listing, criteria, coql, coql_where, write, records, module, by_id, update
    ]
}

fn projects_probe() -> impl Strategy<Value = Probe> {
    let legacy = (
        prop::sample::select(vec!["index", "range", "status", "owner", "start_date"]),
        hostile_text(),
    )
        .prop_map(|(k, v)| {
            Probe::get(
                Service::ProjectsLegacy,
                "/restapi/portal/{portal}/projects/",
            )
            .with_query(vec![(k, v)])
        });
    let legacy_write = hostile_body().prop_map(|body| {
        Probe::post(
            Service::ProjectsLegacy,
            "/restapi/portal/{portal}/projects/",
            body,
        )
    });
    let v3 = (
        prop::sample::select(vec!["page", "per_page", "status"]),
        hostile_text(),
    )
        .prop_map(|(k, v)| {
            Probe::get(Service::ProjectsV3, "/api/v3/portal/{portal}/projects")
                .with_query(vec![(k, v)])
        });
    let v3_write = hostile_body().prop_map(|body| {
        Probe::post(
            Service::ProjectsV3,
            "/api/v3/portal/{portal}/projects",
            body,
        )
    });
    let portal = hostile_text()
        .prop_map(|p| Probe::get(Service::ProjectsV3, "").with_segment("/api/v3/portal/", &p));
    let v3_other = (
        prop::sample::select(vec![
            "/api/v3/portal/{portal}/clients",
            "/api/v3/portal/{portal}/users",
        ]),
        hostile_body(),
    )
        .prop_map(|(path, body)| Probe::post(Service::ProjectsV3, path, body));
    let v3_user = (hostile_text(), hostile_body()).prop_map(|(id, body)| {
        Probe::get(Service::ProjectsV3, "")
            .with_segment("/api/v3/portal/{portal}/users/", &id)
            .with_method(Method::PATCH)
            .with_body(body)
    });
    prop_oneof![
        legacy,
        legacy_write,
        v3,
        v3_write,
        portal,
        v3_other,
        v3_user
    ]
}

fn graph_probe() -> impl Strategy<Value = Probe> {
    let listing = (
        prop::sample::select(vec![
            "/graph/v1.0/users",
            "/graph/v1.0/users/admin@acme.com/events",
            "/graph/v1.0/users/admin@acme.com/contactFolders",
            "/graph/v1.0/users/admin@acme.com/calendarView/delta",
        ]),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "$filter",
                    "$select",
                    "$top",
                    "$skip",
                    "$expand",
                    "$skiptoken",
                    "$deltatoken",
                    "startDateTime",
                ]),
                hostile_text(),
            ),
            1..3,
        ),
    )
        .prop_map(|(path, params)| Probe::get(Service::Graph, path).with_query(params));
    let write = hostile_body().prop_map(|body| {
        Probe::post(
            Service::Graph,
            "/graph/v1.0/users/admin@acme.com/events",
            body,
        )
    });
    let user = hostile_text()
        .prop_map(|u| Probe::get(Service::Graph, "").with_segment("/graph/v1.0/users/", &u));
    let patch = (hostile_text(), hostile_body()).prop_map(|(id, body)| {
        Probe::get(Service::Graph, "")
            .with_segment("/graph/v1.0/users/admin@acme.com/events/", &id)
            .with_method(Method::PATCH)
            .with_body(body)
    });
    prop_oneof![listing, write, user, patch, crafted_delta_token()]
}

/// A delta or skip token of the right shape, for the right calendar, holding extreme
/// sequence numbers and times, windows and option lists.
fn crafted_delta_token() -> impl Strategy<Value = Probe> {
    let now = chrono::Utc::now().timestamp_millis();
    (
        prop::array::uniform3(any::<i64>()),
        prop_oneof![any::<i64>(), (0i64..60_000).prop_map(move |d| now - d)],
        (hostile_text(), hostile_text()),
        any::<bool>(),
    )
        .prop_map(|([a, u, c], t, (s, e), skip)| {
            let state = json!({
                "f": Twin::shared().calendar, "a": a, "u": u, "c": c, "i": skip, "t": t,
                "s": s, "e": e, "x": [e], "l": [s],
            });
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(state.to_string());
            let option = if skip { "$skiptoken" } else { "$deltatoken" };
            Probe::get(
                Service::Graph,
                "/graph/v1.0/users/admin@acme.com/calendarView/delta",
            )
            .with_query(vec![(option, token)])
        })
}

fn token_probe() -> impl Strategy<Value = Probe> {
    prop_oneof![
        hostile_body()
            .prop_map(|b| Probe::post(Service::Accounts, "/oauth/v2/token", b).anonymous()),
        hostile_body().prop_map(|b| {
            Probe::post(Service::GraphLogin, "/login/{tenant}/oauth2/v2.0/token", b).anonymous()
        }),
    ]
}

/// Any JSON value: hostile strings, numbers past every integer type, nested containers.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[1-9][0-9]{19,39}".prop_map(|n| serde_json::from_str(&n).unwrap()),
        hostile_text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{1,6}|id|name", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One record of a write: real field names of every type, each given any JSON value.
fn record() -> impl Strategy<Value = serde_json::Value> {
    let fields = vec![
        "Last_Name",
        "First_Name",
        "Email",
        "Phone",
        "Date_of_Birth",
        "Owner",
        "Account_Name",
        "Tag",
        "Created_Time",
        "Modified_Time",
        "id",
        "Amount",
        "Closing_Date",
        "Stage",
        "Deal_Name",
        "Probability",
        "Email_Opt_Out",
        "Mailing_Zip",
        "Description",
    ];
    prop::collection::btree_map(prop::sample::select(fields), json_value(), 1..6).prop_map(|m| {
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    })
}

/// A body: hostile JSON (deep arrays, huge numbers, long strings), random bytes, or text
/// under a content type the endpoint does not take.
fn hostile_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (0usize..3_000).prop_map(|n| Body::raw(
            "application/json",
            format!("{}{}", "[".repeat(n), "]".repeat(n))
        )),
        hostile_text().prop_map(|t| Body::json(json!({ "data": [{ "Last_Name": t, "name": t }] }))),
        "[0-9]{30,400}"
            .prop_map(|n| Body::raw("application/json", format!("{{\"data\":[{{\"id\":{n}}}]}}"))),
        hostile_text().prop_map(|t| Body::raw("application/json", t)),
        (
            prop::sample::select(vec![
                "text/xml",
                "multipart/form-data",
                "application/octet-stream",
                ";;;",
                "x-unknown/type"
            ]),
            hostile_text(),
        )
            .prop_map(|(ct, t)| Body::raw(ct, t)),
        hostile_text().prop_map(|t| Body::raw("application/x-www-form-urlencoded", t)),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn crm_parsers_answer_zoho_errors_and_keep_serving(probe in crm_probe()) {
        Twin::shared().check(probe)?;
    }

    #[test]
    fn projects_parsers_answer_their_api_errors_and_keep_serving(probe in projects_probe()) {
        Twin::shared().check(probe)?;
    }

    #[test]
    fn graph_parsers_answer_graph_errors_and_keep_serving(probe in graph_probe()) {
        Twin::shared().check(probe)?;
    }

    #[test]
    fn token_endpoints_answer_oauth_errors_and_keep_serving(probe in token_probe()) {
        Twin::shared().check(probe)?;
    }
}

#[test]
fn thousands_of_nested_parentheses_are_an_invalid_query() {
    let n = 5_000;
    let criteria = format!("{}(Last_Name:equals:x){}", "(".repeat(n), ")".repeat(n));
    let probe = Probe::get(Service::Crm, "/crm/v8/Contacts/search")
        .with_query(vec![("criteria", criteria)]);
    let answer = Twin::shared().check(probe).unwrap();
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["code"], "INVALID_QUERY");
}

#[test]
fn a_coql_query_past_its_documented_limits_is_limit_exceeded() {
    let chain = vec!["Email = 'x'"; 26].join(" and ");
    let q = format!("select Last_Name from Contacts where {chain}");
    let probe = Probe::post(
        Service::Crm,
        "/crm/v8/coql",
        Body::json(json!({ "select_query": q })),
    );
    let answer = Twin::shared().check(probe).unwrap();
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["code"], "LIMIT_EXCEEDED");
    assert_eq!(answer.body["details"]["allowed_limit"], 25);
    let nested = format!(
        "select Last_Name from Contacts where {}Email = 'x'{}",
        "(".repeat(3_000),
        ")".repeat(3_000)
    );
    let probe = Probe::post(
        Service::Crm,
        "/crm/v8/coql",
        Body::json(json!({ "select_query": nested })),
    );
    assert_eq!(
        Twin::shared().check(probe).unwrap().body["code"],
        "SYNTAX_ERROR"
    );
}

#[test]
fn a_page_past_int32_is_invalid_data() {
    for path in [
        "/crm/v8/Contacts",
        "/crm/v8/Contacts/search",
        "/crm/v8/users",
    ] {
        let probe = Probe::get(Service::Crm, path).with_query(vec![
            ("page", "9223372036854775808".to_string()),
            ("fields", "Last_Name".to_string()),
            ("word", "bowman".to_string()),
        ]);
        let answer = Twin::shared().check(probe).unwrap();
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.body["code"], "INVALID_DATA", "{path}");
        assert_eq!(answer.body["details"]["param_name"], "page", "{path}");
    }
}

#[test]
fn bodies_over_a_limit_are_refused_in_the_services_format() {
    let twin = Twin::shared();
    let big = "x".repeat(4 * 1024 * 1024 + 1);
    let graph = Probe::post(
        Service::Graph,
        "/graph/v1.0/users/admin@acme.com/events",
        Body::raw("application/json", big.clone()),
    );
    let answer = twin.check(graph).unwrap();
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], "RequestEntityTooLarge");
    let token = Probe::post(
        Service::Accounts,
        "/oauth/v2/token",
        Body::raw("application/x-www-form-urlencoded", big),
    )
    .anonymous();
    assert_eq!(twin.check(token).unwrap().body["error"], "invalid_request");
}

#[test]
fn a_chunked_body_over_the_limit_and_an_undecodable_path_get_envelopes() {
    let twin = Twin::shared();
    let chunked = twin.raw_chunked("/graph/v1.0/users/admin@acme.com/events", 5 * 1024 * 1024);
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    assert!(chunked.contains("\"RequestEntityTooLarge\""), "{chunked}");
    let probe = Probe::get(Service::Crm, "/crm/v8/%FF%FE/%C0");
    let answer = twin.check(probe).unwrap();
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["code"], "INVALID_DATA");
    let probe = Probe::get(Service::Graph, "/graph/v1.0/users/%FF");
    assert_eq!(
        twin.check(probe).unwrap().body["error"]["code"],
        "BadRequest"
    );
}

#[test]
fn a_method_the_path_does_not_take_is_still_an_envelope() {
    let probe = Probe::get(Service::Graph, "/graph/v1.0/users").with_method(Method::PUT);
    let answer = Twin::shared().check(probe).unwrap();
    assert_eq!(answer.status, 405, "{}", answer.body);
}
