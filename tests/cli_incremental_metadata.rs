//! CRM metadata between full observations, end to end: the real binary against the sandbox
//! over HTTP. A no-change incremental plan reads no module's fields and no profile's
//! permissions (their `modified_time` in the module and profile lists says nothing changed);
//! a field added to a mapped module, a link-module field deleted and added again, and a
//! profile permission switched between runs, all through the CRM API as an administrator
//! would, are each in the next incremental plan.

mod cli_support;

use std::collections::BTreeMap;

use cli_support::{Harness, Run, example, read_example};
use projectlink::zoho::ZohoClients;
use projectlink::zoho::crm::NewField;
use serde_json::Value;

type Calls = BTreeMap<String, u64>;

const FIELDS: &str = "GET /crm/v8/settings/fields";
const PROFILE: &str = "GET /crm/v8/settings/profiles/{id}";

/// The acme example with one more Deals field map, to a field the org does not have yet.
fn spec_mapping_delivery_notes(h: &Harness) -> String {
    let status = "{projectField: status, crmField: Project_Status__c, direction: ToCrm}";
    let text = read_example("acme.yaml");
    assert!(text.contains(status), "acme.yaml maps Project_Status__c");
    let extended = text.replace(
        status,
        &format!(
            "{status}\n          - {{projectField: description, crmField: Delivery_Notes, direction: ToProject}}"
        ),
    );
    h.write("acme-notes.yaml", &extended)
        .to_string_lossy()
        .into_owned()
}

/// CRM calls made by `run`, by endpoint.
fn crm_calls_of(h: &Harness, run: impl FnOnce() -> Run) -> (Run, Calls) {
    let crm_calls = || -> Calls {
        let mut calls = h.sandbox().counters.snapshot();
        calls.retain(|k, _| k.contains(" /crm/"));
        calls
    };
    let before = crm_calls();
    let out = run();
    let mut calls = crm_calls();
    for (k, v) in calls.iter_mut() {
        *v -= before.get(k).copied().unwrap_or(0);
    }
    calls.retain(|_, v| *v > 0);
    (out, calls)
}

/// A JSON plan of `spec` without an overlap: the org was changed moments ago, and a
/// 5-minute overlap would read every module and profile changed in it again (as it should),
/// hiding whether the `modified_time` signal alone is enough. Plans with errors exit 1 and
/// still print the plan.
fn plan(h: &Harness, spec: &str) -> (Value, Calls) {
    let args = [
        "--observation-overlap",
        "0s",
        "plan",
        "-f",
        spec,
        "--format",
        "json",
    ];
    let (run, calls) = crm_calls_of(h, || h.run(&args));
    assert!(
        matches!(run.code, 0..=2),
        "exit {}\n{}",
        run.code,
        run.all()
    );
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: not a JSON plan:\n{}", run.all()));
    assert_eq!(doc["plan"]["observation"]["kind"], "incremental", "{doc:#}");
    (doc, calls)
}

/// Zoho's times are whole seconds: metadata changed in the second a watermark falls in is
/// read once more, and the watermark is set back by the clock lead the Date headers show
/// (up to a second high, more under load). Waiting past both is what a steady state has done
/// long since.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(3_000));
}

/// The metadata changes of a plan (fields and profile permissions) as `kind key action`.
fn metadata_changes(doc: &Value) -> Vec<String> {
    cli_support::change_lines(doc)
        .into_iter()
        .filter(|line| line.starts_with("field ") || line.starts_with("profile-permissions "))
        .collect()
}

/// Whether the plan says the mapped field `Deals.Delivery_Notes` does not exist.
fn misses_delivery_notes(doc: &Value) -> bool {
    doc["plan"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| {
            d.to_string()
                .contains("Deals.Delivery_Notes does not exist")
        })
}

fn apply_acme(h: &Harness) {
    let applied = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
}

fn text_field(label: &str, api_name: &str) -> NewField {
    NewField {
        field_label: label.into(),
        data_type: "text".into(),
        api_name: Some(api_name.into()),
        length: Some(255),
        ..NewField::default()
    }
}

fn create_field(h: &Harness, crm: &ZohoClients, module: &str, field: NewField) {
    let created = h
        .runtime
        .block_on(crm.crm.create_fields(module, &[field]))
        .unwrap();
    assert!(created[0].is_ok(), "{created:?}");
}

fn delete_field(h: &Harness, crm: &ZohoClients, module: &str, api_name: &str) {
    let fields = h.runtime.block_on(crm.crm.fields(module)).unwrap();
    let field = fields.iter().find(|f| f.api_name == api_name).unwrap();
    h.runtime
        .block_on(crm.crm.delete_field(module, &field.id))
        .unwrap();
}

/// Switches `profile`'s `Crm_Implied_<verb>_…` permission on `module`.
fn set_permission(
    h: &Harness,
    crm: &ZohoClients,
    profile: &str,
    module: &str,
    verb: &str,
    on: bool,
) {
    let profiles = h.runtime.block_on(crm.crm.profiles()).unwrap();
    let id = &profiles.iter().find(|p| p.name == profile).unwrap().id;
    let whole = h.runtime.block_on(crm.crm.profile(id)).unwrap();
    let prefix = format!("Crm_Implied_{verb}_");
    let permission = whole
        .permissions_details
        .iter()
        .find(|p| p.module.as_deref() == Some(module) && p.name.starts_with(&prefix))
        .unwrap();
    h.runtime
        .block_on(
            crm.crm
                .update_profile_permissions(id, &[(permission.id.clone(), on)]),
        )
        .unwrap();
}

#[test]
fn a_no_change_incremental_plan_reads_no_fields_and_no_profile() {
    let h = Harness::demo();
    apply_acme(&h);
    let spec = example("acme.yaml");
    settle();
    // The apply created the link module, its fields and permissions after its observation:
    // this plan reads them again.
    let (first, first_calls) = plan(&h, &spec);
    assert_eq!(metadata_changes(&first), Vec::<String>::new());
    assert!(first_calls.contains_key(FIELDS), "{first_calls:#?}");
    assert!(first_calls.contains_key(PROFILE), "{first_calls:#?}");
    settle();
    let (quiet, calls) = plan(&h, &spec);
    assert_eq!(quiet["plan"]["changes"], serde_json::json!([]), "{quiet:#}");
    assert!(!calls.contains_key(FIELDS), "{calls:#?}");
    assert!(!calls.contains_key(PROFILE), "{calls:#?}");
    for list in [
        "GET /crm/v8/settings/modules",
        "GET /crm/v8/settings/profiles",
    ] {
        assert_eq!(calls.get(list), Some(&1), "{list}: {calls:#?}");
    }
}

#[test]
fn fields_and_permissions_changed_between_runs_are_in_the_next_incremental_plan() {
    let h = Harness::demo();
    apply_acme(&h);
    let spec = spec_mapping_delivery_notes(&h);
    settle();
    let (before, _) = plan(&h, &spec);
    assert!(misses_delivery_notes(&before), "{before:#}");
    assert_eq!(metadata_changes(&before), Vec::<String>::new());
    settle();
    let (settled, calls) = plan(&h, &spec);
    assert!(misses_delivery_notes(&settled));
    assert!(!calls.contains_key(FIELDS), "{calls:#?}");

    let crm = h.demo_admin();
    create_field(
        &h,
        &crm,
        "Deals",
        text_field("Delivery Notes", "Delivery_Notes"),
    );
    delete_field(&h, &crm, "Linked_Projects", "Project_Owner");
    set_permission(&h, &crm, "Standard", "Linked_Projects", "Create", false);
    let (changed, calls) = plan(&h, &spec);
    assert!(!misses_delivery_notes(&changed), "{changed:#}");
    assert_eq!(
        metadata_changes(&changed),
        [
            "field Linked_Projects.Project_Owner Create",
            "profile-permissions Standard/Linked_Projects Update",
        ]
    );
    // Only what changed is read: Deals' and the link module's fields, one profile.
    assert_eq!(calls.get(FIELDS), Some(&2), "{calls:#?}");
    assert_eq!(calls.get(PROFILE), Some(&1), "{calls:#?}");

    // An administrator adds the field back by hand: projectlink adopts it, not creates it.
    create_field(
        &h,
        &crm,
        "Linked_Projects",
        text_field("Project Owner", "Project_Owner"),
    );
    let (added, _) = plan(&h, &spec);
    assert_eq!(
        metadata_changes(&added),
        [
            "field Linked_Projects.Project_Owner Adopt",
            "profile-permissions Standard/Linked_Projects Update",
        ]
    );
    let full = h.run(&["plan", "-f", &spec, "--format", "json", "--full-resync"]);
    let full: Value = serde_json::from_str(&full.stdout).expect("a JSON plan");
    assert_eq!(full["plan"]["observation"]["kind"], "full");
    assert_eq!(metadata_changes(&full), metadata_changes(&added));
}
