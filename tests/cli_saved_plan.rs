//! End-to-end: a saved plan runs only as it was written. An edited file is refused with what
//! was edited; a file re-sealed after an edit is refused because the planner would not make
//! that change; neither writes anything.

mod cli_support;

use cli_support::{Harness, example};
use projectlink::plan::Operation;
use projectlink::plan::render::json::PlanDocument;

/// A saved first-apply plan of the acme example and its JSON.
fn saved_plan(h: &Harness) -> (String, serde_json::Value) {
    let path = h.path("plan.json");
    let path = path.to_str().unwrap().to_string();
    let run = h.run(&["plan", "-f", &example("acme.yaml"), "-o", &path]);
    assert_eq!(run.code, 0, "{}", run.all());
    let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, value)
}

/// The index of the first change that creates a field, and its address as shown.
fn field_creation(value: &serde_json::Value) -> (usize, String) {
    let changes = value["plan"]["changes"].as_array().unwrap();
    let index = changes
        .iter()
        .position(|c| c["operation"]["op"] == "create_field")
        .expect("a first apply creates fields");
    let document: PlanDocument = serde_json::from_value(value.clone()).unwrap();
    (index, document.plan.changes[index].address.to_string())
}

#[test]
fn an_edited_operation_is_refused_naming_the_change_and_nothing_is_written() {
    let h = Harness::demo();
    let (path, mut value) = saved_plan(&h);
    let (index, address) = field_creation(&value);
    value["plan"]["changes"][index]["operation"]["field"]["api_name"] = "Edited__c".into();
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let writes = h.writes();
    let refused = h.run(&["apply", &path, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains(&format!(
            "the plan was edited after it was saved: change {} (create {address})",
            index + 1
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(h.writes(), writes, "an edited plan wrote something");
}

#[test]
fn a_resealed_edit_is_refused_because_the_planner_would_not_make_it() {
    let h = Harness::demo();
    let (path, value) = saved_plan(&h);
    let (index, address) = field_creation(&value);
    let mut document: PlanDocument = serde_json::from_value(value).unwrap();
    match &mut document.plan.changes[index].operation {
        Operation::CreateField { field, .. } => field.api_name = "Forged__c".into(),
        other => panic!("expected a field creation, got {other:?}"),
    }
    let options = document.options.into();
    let forged = PlanDocument::new(
        &document.target,
        &document.desired,
        &document.connection,
        &options,
        &document.plan,
    );
    std::fs::write(&path, forged.to_json()).unwrap();
    let writes = h.writes();
    let refused = h.run(&["apply", &path, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains(&format!(
            "does not match what its spec plans against the live state: change {} (create {address}) differs",
            index + 1
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(h.writes(), writes, "a forged plan wrote something");
}

#[test]
fn an_unedited_saved_plan_still_applies() {
    let h = Harness::demo();
    let (path, _) = saved_plan(&h);
    let applied = h.run(&["apply", &path, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied.stdout.contains("Apply complete"),
        "{}",
        applied.stdout
    );
}
