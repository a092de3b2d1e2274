//! End-to-end tests of the data plane: the real binary against the sandbox over HTTP —
//! client mapping and its report, link records kept current, projects from related-list
//! requests and won deals, imports, and deactivation.

mod cli_support;

use cli_support::{Harness, example, read_example};
use projectlink::sandbox::seed::DEMO_SEED_YAML;
use projectlink::zoho::crm::Record;
use projectlink::zoho::projects::{ProjectFilter, ProjectUpdate};
use serde_json::json;

fn assert_ok(run: &cli_support::Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

fn has(state: &[String], row: &str) -> bool {
    state.iter().any(|r| r == row)
}

/// One text value of a CRM record stored by the sandbox.
fn record_value(h: &Harness, module: &str, match_field: &str, value: &str, field: &str) -> String {
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row(
        &format!(
            "SELECT COALESCE(CAST(json_extract(data, '$.{field}') AS TEXT), '') FROM crm_records
             WHERE module = ?1 AND json_extract(data, '$.{match_field}') = ?2"
        ),
        [module, value],
        |r| r.get(0),
    )
    .unwrap()
}

fn plan_json(h: &Harness, spec: &str) -> serde_json::Value {
    let run = h.run(&["plan", "-f", spec, "--format", "json"]);
    assert_ok(&run);
    serde_json::from_str(&run.stdout).unwrap()
}

/// A seed where one more client company exactly matches an Account already mapped by override.
fn seed_with_taken_account() -> String {
    DEMO_SEED_YAML.replace(
        "      - name: Northwind Traders\n",
        "      - name: Northwind Traders\n      - name: Bowman Furniture Inc.\n",
    )
}

#[test]
fn the_mapping_report_gives_every_reason_in_every_format() {
    let h = Harness::with_seed_text(&seed_with_taken_account());
    let text = h.run(&["plan", "-f", &example("acme.yaml")]);
    assert_ok(&text);
    let markdown = h.run(&["plan", "-f", &example("acme.yaml"), "--format", "markdown"]);
    assert_ok(&markdown);
    let json = h.run(&["plan", "-f", &example("acme.yaml"), "--format", "json"]);
    assert_ok(&json);
    for reason in [
        "no Account is named \"Globex Partners\"",
        "2 Accounts are named \"Northwind Traders\"",
        "Account \"Bowman Furniture Inc.\" is already mapped to client \"Bowman Furniture\"",
        "no Contact has the email hank@globex.example",
    ] {
        assert!(
            text.stdout.contains(reason),
            "text: {reason}\n{}",
            text.stdout
        );
        assert!(
            markdown.stdout.contains(reason),
            "markdown: {reason}\n{}",
            markdown.stdout
        );
        let escaped = serde_json::to_string(reason).unwrap();
        assert!(
            json.stdout.contains(escaped.trim_matches('"')),
            "json: {reason}\n{}",
            json.stdout
        );
    }
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let clients = doc["plan"]["client_mapping"]["clients"].as_array().unwrap();
    let bowman = clients
        .iter()
        .find(|c| c["client"] == "Bowman Furniture")
        .unwrap();
    assert_eq!(bowman["status"], "mapped");
    assert_eq!(bowman["via"], "override");
    assert_eq!(doc["plan"]["client_mapping"]["automatic_mapping"], "done");
}

#[test]
fn the_first_apply_maps_converts_won_deals_and_keeps_details_current() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let state = h.data_state();
    for row in [
        "account-mapping Bowman Furniture Inc. Bowman Furniture",
        "link Website Redesign deal=0 account=1",
        "link Bowman Showroom Fit-out deal=1 account=1",
        "link Initech Intranet deal=1 account=1",
        // Bowman's won deal: its Account's client becomes the primary client.
        "project-client Bowman Showroom Fit-out Bowman Furniture primary=1",
        // jane is a Contact of the mapped Account: imported as client user into the project.
        "client-user-project jane@bowman.example Website Redesign",
    ] {
        assert!(has(&state, row), "{row} missing: {state:#?}");
    }
    // Deals not at the stage, and unmapped clients' projects, are left alone.
    assert!(!state.iter().any(|r| r.contains("Bowman Web Shop")));
    assert!(!state.iter().any(|r| r.starts_with("link Globex")));
    // The link record carries the project's details; ToCrm keeps the Deal's field equal.
    assert_eq!(
        record_value(
            &h,
            "Linked_Projects",
            "Name",
            "Website Redesign",
            "Percent_Complete"
        )
        .parse::<f64>()
        .unwrap(),
        40.0
    );
    assert_eq!(
        record_value(
            &h,
            "Linked_Projects",
            "Name",
            "Website Redesign",
            "Project_Status"
        ),
        "active"
    );
    assert_eq!(
        record_value(
            &h,
            "Deals",
            "Deal_Name",
            "Initech Intranet",
            "Project_Status__c"
        ),
        "active"
    );
    // The one-time mapping is recorded; contacts got their client user id.
    assert_ne!(
        record_value(
            &h,
            "Contacts",
            "Email",
            "jane@bowman.example",
            "Projects_Client_User_Id"
        ),
        ""
    );

    // A project changes in Projects: the next plan updates the link record and the Deal.
    let admin = h.demo_clients("1000.acme-admin.refresh", None);
    h.runtime.block_on(async {
        let portal = admin.projects.portals().await.unwrap();
        let portal = portal.iter().find(|p| p.name == "Acme Delivery").unwrap();
        let projects = admin
            .projects
            .projects(&portal.id, ProjectFilter::ActiveAndArchived)
            .await
            .unwrap();
        let showroom = projects
            .iter()
            .find(|p| p.name == "Bowman Showroom Fit-out")
            .unwrap();
        let update = ProjectUpdate {
            percent_complete: Some(75),
            status: Some(projectlink::zoho::projects::ProjectStatus::Archived),
            ..Default::default()
        };
        admin
            .projects
            .update_project(&portal.id, &showroom.id, &update)
            .await
            .unwrap();
    });
    let doc = plan_json(&h, &example("acme.yaml"));
    let mut kinds: Vec<String> = doc["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["address"]["kind"], c["action"]))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["\"link-record\" \"Update\"", "\"record\" \"Update\""],
        "{doc:#}"
    );
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    assert_eq!(
        record_value(
            &h,
            "Linked_Projects",
            "Name",
            "Bowman Showroom Fit-out",
            "Percent_Complete"
        )
        .parse::<f64>()
        .unwrap(),
        75.0
    );
    assert_eq!(
        record_value(
            &h,
            "Deals",
            "Deal_Name",
            "Bowman Showroom Fit-out",
            "Project_Status__c"
        ),
        "archived"
    );
    let after = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    assert_ok(&after);
}

#[test]
fn skip_records_that_mapping_was_skipped_and_applies_only_overrides() {
    let h = Harness::demo();
    let skip = read_example("acme.yaml").replace("accountMapping: Auto", "accountMapping: Skip");
    let path = h.write("skip.yaml", &skip);
    let path = path.to_str().unwrap();
    assert_ok(&h.run(&["apply", "-f", path, "--auto-approve"]));
    let state = h.data_state();
    assert!(has(
        &state,
        "account-mapping Bowman Furniture Inc. Bowman Furniture"
    ));
    // Client users are only mapped by the automatic mapping.
    assert_eq!(
        record_value(
            &h,
            "Contacts",
            "Email",
            "jane@bowman.example",
            "Projects_Client_User_Id"
        ),
        ""
    );
    // Switching to Auto later does not run it: it was skipped for this activation.
    let doc = plan_json(&h, &example("acme.yaml"));
    assert_eq!(
        doc["plan"]["client_mapping"]["automatic_mapping"],
        "skipped"
    );
    assert!(
        doc["plan"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["address"]["kind"] != "client-mapping"),
        "{doc:#}"
    );
}

#[test]
fn requests_become_projects_once_and_are_refused_without_create_permission() {
    let seed = DEMO_SEED_YAML.replace(
        "      # The portal owner's grant",
        "      - token: 1000.acme-pat.refresh\n        user: pat@acme.com\n        scopes: [ZohoCRM.modules.ALL, ZohoCRM.settings.READ]\n      # The portal owner's grant",
    );
    let h = Harness::with_seed_text(&seed);
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let admin = h.demo_clients("1000.acme-admin.refresh", None);
    let pat = h.demo_clients("1000.acme-pat.refresh", None);
    h.runtime.block_on(async {
        let bowman = admin
            .crm
            .search_records(
                "Accounts",
                "(Account_Name:equals:Bowman Furniture Inc.)",
                &["Account_Name".into()],
            )
            .await
            .unwrap();
        let bowman_id = bowman.records[0]["id"].as_str().unwrap().to_string();
        let request = |name: &str| -> Record {
            let mut r = Record::new();
            r.insert("Name".into(), json!(name));
            r.insert("Account".into(), json!({"id": bowman_id}));
            r
        };
        let made = admin
            .crm
            .insert_records("Linked_Projects", &[request("Bowman Warehouse")])
            .await
            .unwrap();
        assert!(made[0].is_ok(), "{made:?}");
        let made = pat
            .crm
            .insert_records("Linked_Projects", &[request("Pat's Side Project")])
            .await
            .unwrap();
        assert!(made[0].is_ok(), "{made:?}");
    });
    // Standard users may no longer create from the related list.
    let strict = read_example("acme.yaml").replace(
        "relatedList: {view: true, create: true, edit: false, delete: false}",
        "relatedList: {view: true, create: false, edit: false, delete: false}",
    );
    let path = h.write("strict.yaml", &strict);
    let path = path.to_str().unwrap();
    let applied = h.run(&["apply", "-f", path, "--auto-approve"]);
    assert_ok(&applied);
    assert!(
        applied.stdout.contains("RequestRefused"),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("Pat's Side Project"),
        "{}",
        applied.stdout
    );
    let state = h.data_state();
    assert!(has(&state, "project Bowman Warehouse"), "{state:#?}");
    assert!(
        has(&state, "link Bowman Warehouse deal=0 account=1"),
        "{state:#?}"
    );
    // The mapped Account's client company is added to the new project.
    assert!(has(
        &state,
        "project-client Bowman Warehouse Bowman Furniture primary=1"
    ));
    assert!(!state.iter().any(|r| r.contains("Pat's Side Project")));
    assert_ne!(
        record_value(
            &h,
            "Linked_Projects",
            "Name",
            "Bowman Warehouse",
            "Project_Id"
        ),
        ""
    );
    // Nothing left to do; the refusal is still reported.
    let plan = h.run(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_ok(&plan);
    assert!(plan.stdout.contains("RequestRefused"));
    let again = h.run(&["apply", "-f", path, "--auto-approve"]);
    assert_ok(&again);
    assert_eq!(h.data_state(), state);
}

#[test]
fn imports_proceed_past_what_cannot_be_imported() {
    let h = Harness::demo();
    let spec = read_example("acme.yaml")
        .replace(
            "      - {email: pat@acme.com, role: Manager, projects: [Website Redesign]}\n",
            "      - {email: pat@acme.com, role: Manager, projects: [Website Redesign]}\n      - {email: quinn@acme.com, role: Manager, projects: [Website Redesign, No Such Project]}\n      - {email: ghost@acme.com}\n",
        )
        .replace(
            "      - {email: jane@bowman.example, projects: [Website Redesign]}\n",
            "      - {email: jane@bowman.example, projects: [Website Redesign]}\n      - {email: nancy@northwind.example}\n      - {email: alice@nomad.example}\n      - {email: nobody@nowhere.example}\n",
        );
    let path = h.write("imports.yaml", &spec);
    let path = path.to_str().unwrap();
    let applied = h.run(&["apply", "-f", path, "--auto-approve"]);
    assert_ok(&applied);
    for reason in [
        "ghost@acme.com, who is not a CRM user",
        "not added to project \"No Such Project\"",
        "nancy@northwind.example is not imported: the Contact's Account is not mapped",
        "alice@nomad.example is not imported: the Contact has no Account",
        "nobody@nowhere.example, which is not the email of a CRM Contact",
    ] {
        assert!(
            applied.stdout.contains(reason),
            "{reason}\n{}",
            applied.stdout
        );
    }
    let state = h.data_state();
    assert!(has(
        &state,
        "client-user-project jane@bowman.example Website Redesign"
    ));
    assert!(has(&state, "portal-user quinn@acme.com"));
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let quinn_role: String = db
        .query_row(
            "SELECT role FROM prj_portal_users WHERE email = 'quinn@acme.com'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(quinn_role, "Manager");
    let in_project: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM prj_project_users pu JOIN prj_projects p ON p.id = pu.project_id
             JOIN prj_portal_users u ON u.zpuid = pu.zpuid
             WHERE p.name = 'Website Redesign' AND u.email = 'quinn@acme.com'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_project, 1);
    assert_ok(&h.run(&["plan", "-f", path, "--detailed-exitcode"]));
}

#[test]
fn deactivation_drops_associations_and_reactivation_does_not_restore_them() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let before = h.data_state();
    assert_ok(&h.run(&["apply", "-f", &example("deactivate.yaml"), "--auto-approve"]));
    let off = h.data_state();
    assert!(!off.iter().any(|r| r.starts_with("link ")), "{off:#?}");
    assert!(
        !off.iter().any(|r| r.starts_with("account-mapping ")),
        "{off:#?}"
    );
    // Projects, clients and users stay in Projects.
    for kept in before.iter().filter(|r| {
        r.starts_with("project ") || r.starts_with("client") || r.starts_with("portal-user")
    }) {
        assert!(has(&off, kept), "{kept} was removed");
    }
    assert_ok(&h.run(&[
        "plan",
        "-f",
        &example("deactivate.yaml"),
        "--detailed-exitcode",
    ]));
    // Re-activation: a new generation; the converted deals' projects are not re-linked to
    // their Deals (projects of a mapped client are linked to its Account by the new mapping).
    let on = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_ok(&on);
    assert!(on.stdout.contains("ProjectNameTaken"), "{}", on.stdout);
    let again = h.data_state();
    assert!(
        !again
            .iter()
            .any(|r| r.starts_with("link ") && r.contains("deal=1")),
        "{again:#?}"
    );
    assert!(
        !again.iter().any(|r| r.starts_with("link Initech")),
        "{again:#?}"
    );
    assert_eq!(
        again.iter().filter(|r| r.starts_with("project ")).count(),
        before.iter().filter(|r| r.starts_with("project ")).count()
    );
    assert_ok(&h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]));
}
