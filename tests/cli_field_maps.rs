//! End-to-end tests of field maps, the real binary against the sandbox over HTTP: every kind
//! of Projects field (text, multi-line, number, decimal, currency, date, boolean, the
//! description) is filled from CRM when a project is created (`ToProject`) and kept in CRM
//! (`ToCrm`), and a value that does not fit its target is named in the plan, never dropped.

mod cli_support;

use std::collections::BTreeMap;

use cli_support::{Harness, read_example};
use projectlink::sandbox::seed::DEMO_SEED_YAML;
use projectlink::zoho::projects::{Project, ProjectFilter, ProjectUpdate};
use serde_json::{Value, json};

/// Projects custom fields of every type the portal offers.
const PROJECT_FIELDS: &str =
    "      - {label_name: Budget Code, column_name: UDF_CHAR1, field_type: text}
      - {label_name: Tier, column_name: UDF_CHAR2, field_type: text}
      - {label_name: Scope, column_name: UDF_TEXT1, field_type: multiline}
      - {label_name: Hours, column_name: UDF_LONG1, field_type: number}
      - {label_name: Rate, column_name: UDF_DOUBLE1, field_type: decimal}
      - {label_name: Fee, column_name: UDF_CURRENCY1, field_type: currency}
      - {label_name: Go-live, column_name: UDF_DATE1, field_type: date}
      - {label_name: Billable, column_name: UDF_BOOLEAN1, field_type: boolean}
";

/// CRM fields on Deals (and one on Accounts): the sources of `ToProject` and the targets of `ToCrm`.
const CRM_FIELDS: &str = "    - {api_name: Hours_Estimate__c, field_label: Hours Estimate, data_type: integer}
    - {api_name: Rate__c, field_label: Rate, data_type: decimal}
    - {api_name: Go_Live__c, field_label: Go-live, data_type: date}
    - {api_name: Billable__c, field_label: Billable, data_type: boolean}
    - {api_name: Tier__c, field_label: Tier, data_type: picklist, pick_list_values: [Gold, Silver]}
    - {api_name: Scope__c, field_label: Scope, data_type: textarea}
    - {api_name: Budget_Code__c, field_label: Budget Code, data_type: text, length: 50}
    - {api_name: Project_Notes__c, field_label: Project Notes, data_type: textarea}
    - {api_name: Hours_Logged__c, field_label: Hours Logged, data_type: integer}
    - {api_name: Rate_Actual__c, field_label: Rate Actual, data_type: decimal}
    - {api_name: Fee_Actual__c, field_label: Fee Actual, data_type: currency}
    - {api_name: Go_Live_Actual__c, field_label: Go-live Actual, data_type: date}
    - {api_name: Billable_Actual__c, field_label: Billable Actual, data_type: boolean}
    - {api_name: Tier_Actual__c, field_label: Tier Actual, data_type: picklist, pick_list_values: [Gold, Silver]}
    - {api_name: Scope_Actual__c, field_label: Scope Actual, data_type: textarea}
    - {api_name: Project_Link__c, field_label: Project Link, data_type: website}
  Accounts:
    - {api_name: Budget_Code__c, field_label: Budget Code, data_type: text, length: 50}
";

/// The Deals field maps of the test spec, both directions (entries of
/// `spec.relatedLists.modules[0].fieldMap`).
const DEAL_MAPS: &str =
    "          - {projectField: name, crmField: Deal_Name, direction: ToProject}
          - {projectField: end_date, crmField: Closing_Date, direction: ToProject}
          - {projectField: status, crmField: Project_Status__c, direction: ToCrm}
          - {projectField: description, crmField: Description, direction: ToProject}
          - {projectField: UDF_CHAR2, crmField: Tier__c, direction: ToProject}
          - {projectField: UDF_TEXT1, crmField: Scope__c, direction: ToProject}
          - {projectField: UDF_LONG1, crmField: Hours_Estimate__c, direction: ToProject}
          - {projectField: UDF_DOUBLE1, crmField: Rate__c, direction: ToProject}
          - {projectField: UDF_CURRENCY1, crmField: Amount, direction: ToProject}
          - {projectField: UDF_DATE1, crmField: Go_Live__c, direction: ToProject}
          - {projectField: UDF_BOOLEAN1, crmField: Billable__c, direction: ToProject}
          - {projectField: UDF_CHAR1, crmField: Budget_Code__c, direction: ToCrm}
          - {projectField: description, crmField: Project_Notes__c, direction: ToCrm}
          - {projectField: UDF_CHAR2, crmField: Tier_Actual__c, direction: ToCrm}
          - {projectField: UDF_TEXT1, crmField: Scope_Actual__c, direction: ToCrm}
          - {projectField: UDF_LONG1, crmField: Hours_Logged__c, direction: ToCrm}
          - {projectField: UDF_DOUBLE1, crmField: Rate_Actual__c, direction: ToCrm}
          - {projectField: UDF_CURRENCY1, crmField: Fee_Actual__c, direction: ToCrm}
          - {projectField: UDF_DATE1, crmField: Go_Live_Actual__c, direction: ToCrm}
          - {projectField: UDF_BOOLEAN1, crmField: Billable_Actual__c, direction: ToCrm}
          - {projectField: web_url, crmField: Project_Link__c, direction: ToCrm}
      - module: Accounts
";

/// The demo org with the fields above and a won Deal carrying a value of each kind.
fn seed() -> String {
    let seed = DEMO_SEED_YAML
        .replace(
            "      - {label_name: Budget Code, column_name: UDF_CHAR1, field_type: text}\n",
            PROJECT_FIELDS,
        )
        .replace(
            "       tooltip: Kept equal to the linked project's status}\n",
            &format!("       tooltip: Kept equal to the linked project's status}}\n{CRM_FIELDS}"),
        )
        .replace(
            "    - {Deal_Name: Initech Intranet, Stage: Closed Won, ",
            "    - {Deal_Name: Initech Intranet, Stage: Closed Won, Hours_Estimate__c: 120,
       Rate__c: 95.5, Go_Live__c: 2026-04-01, Billable__c: true, Tier__c: Gold,
       Scope__c: \"Intranet pages\\nand search\", Description: \"Intranet for Initech\\nphase 1\", ",
        );
    assert!(seed.contains("Hours_Logged__c") && seed.contains("Rate__c: 95.5"));
    seed
}

/// examples/acme.yaml with the field maps above.
fn spec(h: &Harness, maps: &str) -> String {
    let text = read_example("acme.yaml").replace(
        "          - {projectField: name, crmField: Deal_Name, direction: ToProject}
          - {projectField: end_date, crmField: Closing_Date, direction: ToProject}
          - {projectField: status, crmField: Project_Status__c, direction: ToCrm}
      - module: Accounts
",
        maps,
    );
    assert!(text.contains("UDF_"), "the example's field map changed");
    h.write("acme.yaml", &text).to_str().unwrap().to_string()
}

/// `file:line:column` of the field-map entry (its `{`) on the line holding `text`.
fn position(spec: &str, text: &str) -> String {
    let source = std::fs::read_to_string(spec).unwrap();
    let (index, line) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(text))
        .unwrap();
    format!("{spec}:{}:{}", index + 1, line.find('{').unwrap() + 1)
}

fn assert_ok(run: &cli_support::Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// A project of the demo portal read back through the Projects API, and the portal's id.
fn project(h: &Harness, name: &str) -> (String, Project) {
    let admin = h.demo_admin();
    h.runtime.block_on(async {
        let portals = admin.projects.portals().await.unwrap();
        let portal = portals.iter().find(|p| p.name == "Acme Delivery").unwrap();
        let projects = admin
            .projects
            .projects(&portal.id, ProjectFilter::ActiveAndArchived)
            .await
            .unwrap();
        let p = projects.into_iter().find(|p| p.name == name).unwrap();
        (portal.id.clone(), p)
    })
}

/// A project's custom values by the name the API gives them (`cf_hours`, or `UDF_LONG1`
/// through the legacy API).
fn custom(p: &Project) -> BTreeMap<String, String> {
    p.custom_fields
        .iter()
        .filter_map(|c| Some((c.column_name.clone(), c.value.clone()?)))
        .collect()
}

/// The fields of a CRM record as the sandbox stores them (typed JSON).
fn record(h: &Harness, module: &str, match_field: &str, value: &str) -> Value {
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let data: String = db
        .query_row(
            &format!(
                "SELECT data FROM crm_records
                 WHERE module = ?1 AND json_extract(data, '$.{match_field}') = ?2"
            ),
            [module, value],
            |r| r.get(0),
        )
        .unwrap();
    serde_json::from_str(&data).unwrap()
}

/// The won Deal's `ToCrm` fields once its project exists, each typed as its CRM field.
fn assert_deal_holds_the_created_values(h: &Harness) {
    let deal = record(h, "Deals", "Deal_Name", "Initech Intranet");
    assert_eq!(deal["Hours_Logged__c"], json!(120));
    assert_eq!(deal["Rate_Actual__c"], json!(95.5));
    assert_eq!(deal["Fee_Actual__c"].as_f64(), Some(15000.0));
    assert_eq!(deal["Go_Live_Actual__c"], json!("2026-04-01"));
    assert_eq!(deal["Billable_Actual__c"], json!(true));
    assert_eq!(deal["Tier_Actual__c"], json!("Gold"));
    assert_eq!(deal["Scope_Actual__c"], json!("Intranet pages\nand search"));
    // The description without projectlink's creation tag.
    assert_eq!(
        deal["Project_Notes__c"],
        json!("Intranet for Initech\nphase 1")
    );
    // The project's page in Zoho Projects, as the Projects API gives it.
    let (_, created) = project(h, "Initech Intranet");
    assert!(created.web_url.is_some());
    assert_eq!(deal["Project_Link__c"], json!(created.web_url));
}

#[test]
fn a_won_deal_fills_every_kind_of_project_field_and_crm_reads_them_back() {
    let h = Harness::with_seed_text(&seed());
    let spec = spec(&h, DEAL_MAPS);
    let plan = h.run(&["plan", "-f", &spec]);
    assert_ok(&plan);
    assert!(!plan.stdout.contains("not written"), "{}", plan.stdout);
    // The plan shows what the creation fills in and what it writes back.
    let json = h.run(&["plan", "-f", &spec, "--format", "json"]);
    assert_ok(&json);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let creation = doc["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["after"]["name"] == "Initech Intranet")
        .unwrap_or_else(|| panic!("no creation: {doc:#}"));
    let after = &creation["after"];
    assert_eq!(after["UDF_LONG1"], json!("120"), "{after:#}");
    assert_eq!(after["UDF_BOOLEAN1"], json!("true"));
    assert_eq!(after["description"], json!("Intranet for Initech\nphase 1"));
    let writes = after["then_written_to_crm"].to_string();
    assert!(
        writes.contains("Deals.Hours_Logged__c from UDF_LONG1")
            && writes.contains("Deals.Project_Notes__c from description"),
        "{writes}"
    );
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));

    // ToProject: the created project holds each Deal value, in its field's type.
    let (_, initech) = project(&h, "Initech Intranet");
    let values = custom(&initech);
    for (key, want) in [
        ("cf_hours", "120"),
        ("cf_rate", "95.5"),
        ("cf_fee", "15000"),
        ("cf_go_live", "2026-04-01"),
        ("cf_billable", "true"),
        ("cf_tier", "Gold"),
        ("cf_scope", "Intranet pages\nand search"),
    ] {
        assert_eq!(
            values.get(key).map(String::as_str),
            Some(want),
            "{key}: {values:?}"
        );
    }
    let description = initech.description.clone().unwrap_or_default();
    assert!(
        description.starts_with("Intranet for Initech\nphase 1"),
        "{description:?}"
    );

    // ToCrm at creation: the Deal holds the new project's values, typed as its fields are.
    assert_deal_holds_the_created_values(&h);

    // Every value settled: the next plan has nothing to do.
    assert_ok(&h.run(&["plan", "-f", &spec, "--detailed-exitcode"]));
}

#[test]
fn a_legacy_only_portal_gets_and_gives_the_same_values() {
    let h = Harness::with_config(&seed(), |c| c.deviations.projects_legacy_only = true);
    let spec = spec(&h, DEAL_MAPS);
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));
    // Through the legacy API values are keyed by column and dates are MM-dd-yyyy.
    let (_, initech) = project(&h, "Initech Intranet");
    let values = custom(&initech);
    for (key, want) in [
        ("UDF_LONG1", "120"),
        ("UDF_DOUBLE1", "95.5"),
        ("UDF_DATE1", "04-01-2026"),
        ("UDF_BOOLEAN1", "true"),
        ("UDF_TEXT1", "Intranet pages\nand search"),
    ] {
        assert_eq!(
            values.get(key).map(String::as_str),
            Some(want),
            "{key}: {values:?}"
        );
    }
    assert_deal_holds_the_created_values(&h);
    assert_ok(&h.run(&["plan", "-f", &spec, "--detailed-exitcode"]));
}

#[test]
fn changes_in_projects_reach_the_crm_record_for_every_field_type() {
    let h = Harness::with_seed_text(&seed());
    let spec = spec(&h, DEAL_MAPS);
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));

    let (portal_id, initech) = project(&h, "Initech Intranet");
    let update = ProjectUpdate {
        description: Some("Intranet for Initech\nphase 2, with search".into()),
        custom_fields: [
            ("UDF_CHAR1", "INI-7"),
            ("UDF_CHAR2", "Silver"),
            ("UDF_TEXT1", "Pages only"),
            ("UDF_LONG1", "135"),
            ("UDF_DOUBLE1", "101.25"),
            ("UDF_CURRENCY1", "16250.50"),
            ("UDF_DATE1", "2026-05-15"),
            ("UDF_BOOLEAN1", "false"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        ..Default::default()
    };
    let admin = h.demo_admin();
    h.runtime.block_on(async {
        admin
            .projects
            .update_project(&portal_id, &initech.id, &update)
            .await
            .unwrap();
    });

    let plan = h.run(&["plan", "-f", &spec, "--format", "json"]);
    assert_ok(&plan);
    let doc: Value = serde_json::from_str(&plan.stdout).unwrap();
    let deal_change = doc["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"]["kind"] == "record")
        .unwrap_or_else(|| panic!("no record change: {doc:#}"));
    let after = &deal_change["after"];
    for field in [
        "Budget_Code__c",
        "Project_Notes__c",
        "Tier_Actual__c",
        "Scope_Actual__c",
        "Hours_Logged__c",
        "Rate_Actual__c",
        "Fee_Actual__c",
        "Go_Live_Actual__c",
        "Billable_Actual__c",
    ] {
        assert!(after.get(field).is_some(), "{field} not planned: {after:#}");
    }

    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));
    let deal = record(&h, "Deals", "Deal_Name", "Initech Intranet");
    assert_eq!(deal["Budget_Code__c"], json!("INI-7"));
    assert_eq!(
        deal["Project_Notes__c"],
        json!("Intranet for Initech\nphase 2, with search")
    );
    assert_eq!(deal["Tier_Actual__c"], json!("Silver"));
    assert_eq!(deal["Scope_Actual__c"], json!("Pages only"));
    assert_eq!(deal["Hours_Logged__c"], json!(135));
    assert_eq!(deal["Rate_Actual__c"], json!(101.25));
    assert_eq!(deal["Fee_Actual__c"], json!(16250.5));
    assert_eq!(deal["Go_Live_Actual__c"], json!("2026-05-15"));
    assert_eq!(deal["Billable_Actual__c"], json!(false));
    assert_ok(&h.run(&["plan", "-f", &spec, "--detailed-exitcode"]));

    // A value cleared in Projects is cleared in CRM.
    let clear = ProjectUpdate {
        custom_fields: [("UDF_CHAR1".to_string(), String::new())].into(),
        ..Default::default()
    };
    h.runtime.block_on(async {
        admin
            .projects
            .update_project(&portal_id, &initech.id, &clear)
            .await
            .unwrap();
    });
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));
    let deal = record(&h, "Deals", "Deal_Name", "Initech Intranet");
    assert_eq!(
        deal.get("Budget_Code__c").cloned().unwrap_or(Value::Null),
        Value::Null
    );
}

#[test]
fn values_that_do_not_fit_are_named_in_the_plan_with_their_spec_entry() {
    let h = Harness::with_seed_text(&seed());
    // A decimal into a whole-number field, in each direction: the families match (numbers),
    // the values do not. And a field projectlink does not set when it creates a project.
    let maps = "          - {projectField: name, crmField: Deal_Name, direction: ToProject}
          - {projectField: UDF_LONG1, crmField: Rate__c, direction: ToProject}
          - {projectField: UDF_DOUBLE1, crmField: Hours_Estimate__c, direction: ToProject}
          - {projectField: UDF_DOUBLE1, crmField: Hours_Logged__c, direction: ToCrm}
          - {projectField: percent_complete, crmField: Probability, direction: ToProject}
      - module: Accounts
";
    let spec = spec(&h, maps);
    let plan = h.run(&["plan", "-f", &spec]);
    assert_ok(&plan);
    let out = plan.all();
    assert!(
        out.contains("UDF_LONG1 of project \"Initech Intranet\" is not filled from Rate__c: 95.5 is not a whole number"),
        "{out}"
    );
    assert!(
        out.contains(&position(&spec, "crmField: Rate__c,")),
        "{out}"
    );
    // A field that is not set at creation is named too, rather than ignored.
    assert!(
        out.contains("percent_complete of project \"Initech Intranet\" is not filled from Probability: projectlink does not set percent_complete when it creates a project"),
        "{out}"
    );
    assert!(
        out.contains(&position(&spec, "crmField: Probability,")),
        "{out}"
    );

    // Applied: the project is created without the value that does not fit, the one that
    // fits is there, and the later decimal is refused for the integer field, named.
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));
    let (portal_id, initech) = project(&h, "Initech Intranet");
    let values = custom(&initech);
    assert_eq!(values.get("cf_hours"), None, "{values:?}");
    assert_eq!(values.get("cf_rate").map(String::as_str), Some("120"));
    let admin = h.demo_admin();
    let update = ProjectUpdate {
        custom_fields: [("UDF_DOUBLE1".to_string(), "12.5".to_string())].into(),
        ..Default::default()
    };
    h.runtime.block_on(async {
        admin
            .projects
            .update_project(&portal_id, &initech.id, &update)
            .await
            .unwrap();
    });
    let plan = h.run(&["plan", "-f", &spec]);
    assert_ok(&plan);
    let out = plan.all();
    assert!(
        out.contains(
            "UDF_DOUBLE1 of project \"Initech Intranet\" is not written into Deals.Hours_Logged__c"
        ),
        "{out}"
    );
    assert!(out.contains("\"12.5\" is not a whole number"), "{out}");
    assert!(
        out.contains(&position(&spec, "crmField: Hours_Logged__c,")),
        "{out}"
    );
    let deal = record(&h, "Deals", "Deal_Name", "Initech Intranet");
    assert_eq!(deal["Hours_Logged__c"], json!(120));
}

#[test]
fn a_record_linked_to_several_projects_is_named_and_left_alone() {
    let h = Harness::with_seed_text(&seed());
    // Bowman's Account is linked to "Website Redesign" (its client's project), and after the
    // first apply also to the project of its won Deal.
    let maps = "          - {projectField: name, crmField: Deal_Name, direction: ToProject}
      - module: Accounts
        fieldMap:
          - {projectField: UDF_CHAR1, crmField: Budget_Code__c, direction: ToCrm}
";
    let spec = spec(&h, maps);
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));
    let plan = h.run(&["plan", "-f", &spec]);
    assert_ok(&plan);
    let out = plan.all();
    assert!(
        out.contains("is linked to 2 projects (\"Bowman Showroom Fit-out\", \"Website Redesign\")"),
        "{out}"
    );
    assert!(
        out.contains(&position(&spec, "crmField: Budget_Code__c,")),
        "{out}"
    );
    // Written while one project was linked (the first apply); now neither project's value
    // wins: the other project's empty value does not clear it.
    assert_ok(&h.run(&["apply", "-f", &spec, "--auto-approve"]));
    let account = record(&h, "Accounts", "Account_Name", "Bowman Furniture Inc.");
    assert_eq!(
        account["Budget_Code__c"],
        json!("BOW-2026-01"),
        "{account:#}"
    );
}
