//! Snapshot and property tests of the plan renderers: text, markdown and JSON.

use super::*;
use crate::plan::render::{json::PlanDocument, markdown, text};

fn first_apply() -> Plan {
    plan(&desired(), &fresh(), &PlanOptions::default())
}

fn drift_with_problems() -> Plan {
    let d = desired();
    let mut o = simulate(&fresh(), &first_apply());
    bound(&mut o, "202", "Acme Labs", "acme", IntegrationState::Active);
    let mut edited = d.clone();
    edited.profiles[1].related_list = Some(perms(true, true, true, false));
    edited.modules[1].field_map.push(FieldMapping {
        project_field: "end_date".into(),
        crm_field: "Closing_Dte".into(),
        direction: MapDirection::ToProject,
        spec_path: String::new(),
    });
    plan(&edited, &o, &PlanOptions::default())
}

#[test]
fn text_of_a_first_apply() {
    insta::assert_snapshot!(text::render(&first_apply(), false));
}

#[test]
fn text_of_drift_with_a_refusal_and_diagnostics() {
    insta::assert_snapshot!(text::render(&drift_with_problems(), false));
}

#[test]
fn text_of_no_changes() {
    let after = simulate(&fresh(), &first_apply());
    insta::assert_snapshot!(text::render(
        &plan(&desired(), &after, &PlanOptions::default()),
        false
    ));
}

#[test]
fn colour_only_when_asked() {
    assert!(!text::render(&first_apply(), false).contains('\x1b'));
    assert!(text::render(&first_apply(), true).contains("\x1b[32m"));
}

#[test]
fn markdown_of_drift_with_a_refusal_and_diagnostics() {
    insta::assert_snapshot!(markdown::render(
        &drift_with_problems(),
        "sandbox at http://127.0.0.1:8787"
    ));
}

#[test]
fn markdown_stays_under_the_comment_limit_and_says_what_it_cut() {
    let mut big = first_apply();
    let template = big.changes[0].clone();
    for i in 0..5000 {
        let mut c = template.clone();
        c.address = Address::projects("portal-user", format!("Acme Delivery/user{i:05}@acme.com"));
        c.reason = "x".repeat(40);
        big.changes.push(c);
    }
    let md = markdown::render(&big, "test");
    assert!(md.len() <= markdown::MAX_CHARS, "{} chars", md.len());
    assert!(md.contains("more change(s) not shown"));
    assert!(md.trim_end().ends_with("</details>"));
    assert_eq!(
        md.matches("```").count() % 2,
        0,
        "code fences stay balanced"
    );
}

#[test]
fn json_document_round_trips_and_carries_its_version() {
    let connection = crate::spec::Connection::default();
    let options = crate::plan::planner::PlanOptions::default();
    let doc = PlanDocument::new(
        "sandbox:embedded",
        &desired(),
        &connection,
        &options,
        &first_apply(),
    );
    let text = doc.to_json();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["format_version"], 2);
    assert_eq!(PlanDocument::from_json(&text).unwrap(), doc);
    let future = text.replacen("\"format_version\": 2", "\"format_version\": 99", 1);
    let refused = PlanDocument::from_json(&future).unwrap_err().to_string();
    assert!(refused.contains("99"), "{refused}");
}

#[test]
fn an_edited_operation_makes_the_saved_plan_refuse_to_load() {
    let options = crate::plan::planner::PlanOptions::default();
    let connection = crate::spec::Connection::default();
    let plan = first_apply();
    let doc = PlanDocument::new("sandbox:embedded", &desired(), &connection, &options, &plan);
    let mut value: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    // Change what the second change's operation does, leaving what it displays alone.
    let op = value["plan"]["changes"][1]["operation"]
        .as_object_mut()
        .unwrap();
    let (key, _) = op
        .iter()
        .find(|(k, _)| k.as_str() != "op")
        .expect("an operand");
    let key = key.clone();
    op.insert(key, serde_json::json!("edited"));
    let edited = serde_json::to_string_pretty(&value).unwrap();
    let refused = PlanDocument::from_json(&edited).unwrap_err().to_string();
    let second = &plan.changes[1];
    assert_eq!(
        refused,
        format!(
            "the plan was edited after it was saved: change 2 ({} {})",
            second.action.label(),
            second.address
        )
    );
    // An edited option is named too.
    let mut value: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    value["options"]["prune"] = serde_json::json!(true);
    let refused = PlanDocument::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(refused.ends_with("its options"), "{refused}");
    // A file without a seal was not written by `plan -o`.
    let mut value: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    value.as_object_mut().unwrap().remove("seal");
    let refused = PlanDocument::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("no seal"), "{refused}");
}

#[test]
fn json_of_a_first_apply() {
    insta::assert_snapshot!(serde_json::to_string_pretty(&first_apply()).unwrap());
}
