//! End-to-end: a saved plan runs only as it was written. An edited file is refused with what
//! was edited; a file re-sealed after an edit is refused because the planner would not make
//! that change; neither writes anything. A change made in the org after the plan is caught by
//! the apply's own observation, incremental from the cache the plan wrote, as it would be by
//! a full one.

mod cli_support;

use cli_support::{Harness, example};
use projectlink::plan::Operation;
use projectlink::plan::render::json::PlanDocument;
use projectlink::zoho::projects::{ProjectFilter, ProjectUpdate};

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

/// The saved plan's observation kind, from its JSON.
fn observation_kind(path: &str) -> String {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["plan"]["observation"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_change_made_after_an_incremental_plan_makes_its_saved_plan_stale() {
    let h = Harness::demo();
    let spec = example("acme.yaml");
    // No overlap: these runs are seconds apart, and the change listing itself is tested.
    let overlap = ["--observation-overlap", "0s"];
    let applied = h.run(&[&["apply", "-f", &spec, "--auto-approve"][..], &overlap].concat());
    assert_eq!(applied.code, 0, "{}", applied.all());
    let saved = |name: &str| {
        let path = h.path(name).to_str().unwrap().to_string();
        let run = h.run(&[&["plan", "-f", &spec, "-o", &path][..], &overlap].concat());
        assert_eq!(run.code, 0, "{}", run.all());
        assert_eq!(observation_kind(&path), "incremental");
        path
    };
    let apply = |path: &str| h.run(&[&["apply", path, "--auto-approve"][..], &overlap].concat());

    // Unchanged since, the plan is current: the apply's own incremental observation agrees.
    let current = saved("current.json");
    let run = apply(&current);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stderr.contains("stale"), "{}", run.all());

    // Someone updates a project in Zoho Projects after the plan was made.
    let stale = saved("stale.json");
    let zoho = h.demo_admin();
    h.runtime.block_on(async {
        let portals = zoho.projects.portals().await.unwrap();
        let portal = portals.iter().find(|p| p.name == "Acme Delivery").unwrap();
        let projects = zoho
            .projects
            .projects(&portal.id, ProjectFilter::ActiveAndArchived)
            .await
            .unwrap();
        let redesign = projects
            .iter()
            .find(|p| p.name == "Website Redesign")
            .unwrap();
        let update = ProjectUpdate {
            percent_complete: Some(77),
            ..ProjectUpdate::default()
        };
        zoho.projects
            .update_project(&portal.id, &redesign.id, &update)
            .await
            .unwrap();
    });
    let writes = h.writes();
    let refused = h.run(&[&["apply", &stale, "--auto-approve", "-v"][..], &overlap].concat());
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains("stale") && refused.stderr.contains("data-plane"),
        "{}",
        refused.stderr
    );
    assert_eq!(h.writes(), writes, "a stale plan wrote something");
    // It read the projects by their changes (the listing newest-modified first), not whole.
    assert!(
        refused.stderr.contains("sort_column=last_modified_time"),
        "the apply observed incrementally:\n{}",
        refused.stderr
    );
}
