//! Loading spec files end to end: the examples load clean and match the committed JSON
//! Schema, bad inputs give diagnostics naming file:line:column (with snapshots of the
//! rendered text), and the generated artefacts (`crds/`, `schema/`) stay in sync.

use std::path::{Path, PathBuf};

use projectlink::spec::{self, Diagnostics, FieldPath, Kind, Severity};

const FIXTURES: &str = "tests/fixtures/spec";
const EXAMPLES: [&str; 3] = [
    "examples/acme.yaml",
    "examples/minimal.yaml",
    "examples/deactivate.yaml",
];
const OFFICE365_EXAMPLE: &str = "examples/office365.yaml";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

/// Loads files that must fail and returns their diagnostics.
fn problems(files: &[PathBuf]) -> Diagnostics {
    match spec::load_files(files) {
        Ok(loaded) => panic!("expected problems, loaded {} resources", loaded.len()),
        Err(diagnostics) => diagnostics,
    }
}

/// `(file:line:column, summary)` of each diagnostic.
fn located(diagnostics: &Diagnostics) -> Vec<(String, String)> {
    diagnostics
        .iter()
        .map(|d| (d.location().unwrap_or_default(), d.summary.clone()))
        .collect()
}

fn rendered(diagnostics: &Diagnostics) -> String {
    format!(
        "{}\n{}\n",
        diagnostics.render(false),
        diagnostics.summary_line()
    )
}

/// Checks the located summaries and snapshots the rendered diagnostics of one fixture.
fn check_fixture(name: &str, expected: &[(&str, &str)]) {
    let diagnostics = problems(&[fixture(name)]);
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(at, summary)| {
            let location = match at {
                &"" => format!("{FIXTURES}/{name}"),
                at => format!("{FIXTURES}/{name}:{at}"),
            };
            (location, summary.to_string())
        })
        .collect();
    assert_eq!(located(&diagnostics), expected);
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Error));
    insta::assert_snapshot!(name.trim_end_matches(".yaml"), rendered(&diagnostics));
}

#[test]
fn examples_load_without_diagnostics() {
    // Loaded one by one: acme.yaml and deactivate.yaml are two states of the same
    // integration, so they share its name (together they would be a duplicate).
    let mut integrations = Vec::new();
    for example in EXAMPLES {
        let report = spec::load_files_report(&[PathBuf::from(example)]);
        assert!(report.diagnostics.is_empty(), "{}", report.diagnostics);
        integrations.extend(report.integrations);
    }
    let names: Vec<(&str, &str)> = integrations
        .iter()
        .map(|l| (l.source.name.as_str(), l.name()))
        .collect();
    assert_eq!(
        names,
        [
            ("examples/acme.yaml", "acme"),
            ("examples/minimal.yaml", "minimal"),
            ("examples/deactivate.yaml", "acme"),
        ]
    );
    let acme = &integrations[0].resource.spec;
    let modules: Vec<(&str, &str)> = acme
        .enabled_modules()
        .into_iter()
        .map(|(module, entry)| (entry.module.as_str(), module.lookup_field))
        .collect();
    assert_eq!(
        modules,
        [
            ("Deals", "Deal"),
            ("Accounts", "Account"),
            ("Contacts", "Contact")
        ]
    );
    assert_eq!(acme.portal.name, "Acme Delivery");
    assert_eq!(
        acme.imports.portal_users[0].role.as_deref(),
        Some("Manager")
    );
    assert_eq!(
        acme.deal_conversion.as_ref().map(|d| d.stage.as_str()),
        Some("Closed Won")
    );
    assert!(!integrations[2].resource.spec.is_active());
}

#[test]
fn examples_point_editors_at_the_committed_schema() {
    let examples = EXAMPLES
        .iter()
        .map(|e| (*e, Kind::ProjectsIntegration))
        .chain([(OFFICE365_EXAMPLE, Kind::Office365Integration)]);
    for (example, kind) in examples {
        let text = std::fs::read_to_string(example).unwrap();
        assert_eq!(
            text.lines().next(),
            Some(
                format!(
                    "# yaml-language-server: $schema=../{}",
                    spec::schema::schema_file(kind)
                )
                .as_str()
            ),
            "{example}"
        );
    }
}

#[test]
fn the_office365_example_loads_for_the_sandbox_tenant() {
    let report = spec::load_files_report(&[PathBuf::from(OFFICE365_EXAMPLE)]);
    assert!(report.diagnostics.is_empty(), "{}", report.diagnostics);
    assert!(report.integrations.is_empty());
    let [loaded] = report.office365.as_slice() else {
        panic!(
            "expected one Office365Integration, got {}",
            report.office365.len()
        );
    };
    assert_eq!(loaded.name(), "acme-o365");
    let spec = &loaded.resource.spec;
    assert_eq!(spec.connection.graph_secret_ref.name, "acme-graph");
    // The tenant and users of the embedded sandbox's demo seed: CRM users with mailboxes
    // sync, and an Office 365 user without a CRM account is invited.
    let seed = std::fs::read_to_string("examples/sandbox/acme-seed.yaml").unwrap();
    assert!(
        seed.contains(&format!("- id: {}", spec.tenant)),
        "{}",
        spec.tenant
    );
    for email in spec
        .calendar_sync
        .users
        .iter()
        .chain(&spec.contacts_sync.users)
        .chain(spec.users.iter().map(|u| &u.email))
    {
        assert!(
            seed.contains(&format!("user_principal_name: {email}")),
            "{email} has no mailbox in the sandbox tenant"
        );
    }
    assert_eq!(spec.contacts_sync.field_map, None);
    assert_eq!(
        spec.contacts_sync.effective_field_map(),
        spec::default_contact_field_map()
    );
}

#[test]
fn examples_match_the_json_schema_and_bad_fields_do_not() {
    let schema = spec::json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    for example in EXAMPLES {
        let text = std::fs::read_to_string(example).unwrap();
        let document: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:?}");
    }
    for bad in [
        "unknown_field.yaml",
        "unsupported_module.yaml",
        "wrong_type.yaml",
    ] {
        let text = std::fs::read_to_string(fixture(bad)).unwrap();
        let document: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert!(
            !validator.is_valid(&document),
            "{bad} should not match the schema"
        );
    }
}

#[test]
fn the_documented_contact_field_map_is_the_built_in_one() {
    let docs = std::fs::read_to_string("docs/spec.md").unwrap();
    let rows = docs
        .lines()
        .filter(|line| line.starts_with("| `") && line.matches('|').count() == 4)
        .filter(|line| {
            let direction = line.split('|').nth(3).unwrap_or_default();
            ["`both`", "`toOffice365`", "`toCrm`"]
                .iter()
                .any(|d| direction.trim().starts_with(d))
        })
        .count();
    let map = spec::default_contact_field_map();
    assert_eq!(rows, map.len(), "docs/spec.md lists another number of rows");
    for entry in map {
        let row = format!(
            "| `{}` | `{}` | `{}`",
            entry.crm_field,
            entry.office365_field,
            entry.direction.as_str()
        );
        assert!(docs.contains(&row), "docs/spec.md lacks {row}");
    }
}

#[test]
fn the_office365_example_matches_its_json_schema_and_bad_fields_do_not() {
    let schema = spec::json_schema_of(Kind::Office365Integration);
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let text = std::fs::read_to_string(OFFICE365_EXAMPLE).unwrap();
    let document: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{OFFICE365_EXAMPLE}: {errors:?}");
    for bad in ["office365_inline_secret.yaml", "office365_invalid.yaml"] {
        let text = std::fs::read_to_string(fixture(bad)).unwrap();
        let document: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert!(
            !validator.is_valid(&document),
            "{bad} should not match the schema"
        );
    }
    // Each kind's schema accepts only its own kind.
    let projects = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    let projects: serde_json::Value = serde_saphyr::from_str(&projects).unwrap();
    assert!(!validator.is_valid(&projects));
}

/// The `--kind` value that selects `kind` on the command line.
fn kind_flag(kind: Kind) -> &'static str {
    match kind {
        Kind::ProjectsIntegration => "projects",
        Kind::Office365Integration => "office365",
    }
}

#[test]
fn crds_match_generated() {
    for kind in Kind::ALL {
        let file = spec::schema::crd_file(kind);
        let committed = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            committed == spec::crd_yaml_of(kind),
            "{file} is out of date: run `projectlink crd --kind {} > {file}`",
            kind_flag(kind)
        );
    }
    assert_eq!(
        spec::schema::crd_file(Kind::ProjectsIntegration),
        spec::schema::CRD_FILE
    );
}

#[test]
fn schema_matches_generated() {
    for kind in Kind::ALL {
        let file = spec::schema::schema_file(kind);
        let committed = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            committed == spec::json_schema_text_of(kind),
            "{file} is out of date: run `projectlink schema --kind {} > {file}`",
            kind_flag(kind)
        );
    }
    assert_eq!(
        spec::schema::schema_file(Kind::ProjectsIntegration),
        spec::schema::SCHEMA_FILE
    );
}

#[test]
fn malformed_yaml() {
    check_fixture(
        "malformed.yaml",
        &[("10:9", "invalid YAML: illegal placement of ':' indicator")],
    );
}

#[test]
fn unknown_field() {
    check_fixture(
        "unknown_field.yaml",
        &[("8:3", "unknown field \"relatedList\" in spec")],
    );
}

#[test]
fn wrong_type() {
    check_fixture(
        "wrong_type.yaml",
        &[(
            "10:23",
            "wrong type in spec.policy.maxChangePercent: expected a whole number, found the text \"thirty\"",
        )],
    );
}

#[test]
fn missing_fields() {
    check_fixture(
        "missing_fields.yaml",
        &[
            (
                "10:9",
                "missing field \"module\" in spec.relatedLists.modules[0]",
            ),
            (
                "20:14",
                "missing value in spec.clients.overrides: expected a list",
            ),
            ("26:1", "missing field \"portal\" in spec"),
        ],
    );
}

#[test]
fn unsupported_module() {
    check_fixture(
        "unsupported_module.yaml",
        &[
            (
                "11:17",
                "module \"Leads\" cannot show the Zoho Projects related list",
            ),
            (
                "12:17",
                "module \"sales_orders\" cannot show the Zoho Projects related list",
            ),
        ],
    );
}

#[test]
fn duplicates() {
    check_fixture(
        "duplicates.yaml",
        &[
            (
                "11:18",
                "client \"Bowman Furniture\" is overridden twice in clients.overrides",
            ),
            (
                "17:56",
                "two project fields are mapped onto CRM field \"Project_Status__c\" in module Deals",
            ),
            (
                "19:17",
                "duplicate module \"Deals\" in relatedLists.modules",
            ),
            (
                "24:18",
                "duplicate profile \"Standard\" in permissions.profiles",
            ),
            (
                "28:17",
                "duplicate user \"intern@acme.com\" in permissions.users",
            ),
        ],
    );
}

#[test]
fn invalid_email() {
    check_fixture(
        "invalid_email.yaml",
        &[
            ("10:17", "invalid email \"intern.acme.com\""),
            ("13:16", "invalid email \"pat@acme\""),
            ("16:16", "invalid email \"jane@@bowman.example\""),
        ],
    );
}

#[test]
fn unsupported_kind() {
    check_fixture(
        "unsupported_kind.yaml",
        &[
            ("1:13", "unsupported apiVersion \"projectlink.dev/v1\""),
            ("9:7", "unsupported kind \"ProjectIntegration\""),
            ("16:7", "unsupported kind \"Office356Integration\""),
        ],
    );
}

#[test]
fn deactivated_conflicts() {
    check_fixture(
        "deactivated_conflicts.yaml",
        &[
            ("10:5", "clients.overrides with state: Deactivated"),
            ("12:3", "imports with state: Deactivated"),
            ("15:3", "dealConversion with state: Deactivated"),
        ],
    );
}

#[test]
fn multi_document() {
    // The type error of the first document does not hide the second one's problems.
    check_fixture(
        "multi_document.yaml",
        &[
            (
                "12:17",
                "wrong type in spec.permissions.profiles[0].access: expected true or false, found the text \"maybe\"",
            ),
            ("17:9", "invalid resource name \"Bad_Name\""),
            ("20:11", "portal name is empty"),
            ("22:23", "maxChangePercent 0 is outside 1..=100"),
        ],
    );
    let report = spec::load_files_report(&[fixture("multi_document.yaml")]);
    let loaded: Vec<(&str, bool)> = report
        .integrations
        .iter()
        .map(|l| (l.name(), l.has_errors()))
        .collect();
    assert_eq!(loaded, [("Bad_Name", true), ("fine", false)]);
    assert_eq!(report.integrations[1].document_index, 2);
}

#[test]
fn duplicate_names() {
    check_fixture(
        "duplicate_names.yaml",
        &[("8:18", "duplicate resource ProjectsIntegration/acme")],
    );
}

#[test]
fn office365_rules() {
    check_fixture(
        "office365_invalid.yaml",
        &[
            (
                "8:28",
                "secretRef and graphSecretRef both name the secret \"shared\"",
            ),
            (
                "9:11",
                "invalid tenant \"acme\": neither a GUID nor a domain name",
            ),
            ("11:15", "invalid email \"nora.acme.com\""),
            ("12:38", "profile name is empty"),
            ("13:15", "duplicate user \"Sam@acme.com\" in users"),
            ("13:51", "role name is empty"),
            (
                "15:27",
                "duplicate user \"PAT@acme.com\" in calendarSync.users",
            ),
            ("16:29", "tag name is empty"),
            ("18:13", "invalid email \"pat@acme\""),
            ("19:29", "tag \"imported\" is listed twice in excludeTags"),
            ("22:25", "unknown Office 365 contact field \"givenname\""),
            ("23:19", "invalid CRM field name \"Last Name\""),
            (
                "27:19",
                "CRM field \"EMAIL\" is written by two entries of contactsSync.fieldMap",
            ),
            (
                "31:25",
                "Office 365 field \"surname\" is written by two entries of contactsSync.fieldMap",
            ),
            (
                "33:19",
                "CRM field \"Account_Name\" is a lookup and cannot be written from Office 365 (direction: both)",
            ),
        ],
    );
}

#[test]
fn office365_window_beyond_graphs_range() {
    check_fixture(
        "office365_window.yaml",
        &[(
            "11:19",
            "the calendar window spans 1860 days (pastDays 400 + futureDays 1460); Microsoft Graph serves at most 1825",
        )],
    );
}

#[test]
fn office365_empty_map() {
    check_fixture(
        "office365_empty_map.yaml",
        &[
            ("8:11", "tenant is empty"),
            (
                "10:5",
                "contactsSync.fieldMap is empty: no field would sync",
            ),
        ],
    );
}

#[test]
fn office365_inline_secret() {
    check_fixture(
        "office365_inline_secret.yaml",
        &[("8:5", "unknown field \"clientSecret\" in spec.connection")],
    );
    let diagnostics = problems(&[fixture("office365_inline_secret.yaml")]);
    let rendered = rendered(&diagnostics);
    assert!(!rendered.contains("canary"), "{rendered}");
    assert!(rendered.contains("connection.graphSecretRef"), "{rendered}");
}

#[test]
fn both_kinds_load_from_one_file() {
    let report = spec::load_files_report(&[fixture("mixed_kinds.yaml")]);
    assert!(report.diagnostics.is_empty(), "{}", report.diagnostics);
    let projects: Vec<&str> = report.integrations.iter().map(|l| l.name()).collect();
    assert_eq!(projects, ["acme"]);
    let office365: Vec<(&str, usize, &str)> = report
        .office365
        .iter()
        .map(|l| (l.name(), l.document_index, l.resource.spec.tenant.as_str()))
        .collect();
    assert_eq!(
        office365,
        [
            ("acme", 1, "acme.onmicrosoft.com"),
            ("acme-eu", 2, "acme-eu.onmicrosoft.com")
        ]
    );
    let listed: Vec<(Kind, &str, usize)> = report
        .resources()
        .iter()
        .map(|r| (r.kind, r.name, r.document_index))
        .collect();
    assert_eq!(
        listed,
        [
            (Kind::ProjectsIntegration, "acme", 0),
            (Kind::Office365Integration, "acme", 1),
            (Kind::Office365Integration, "acme-eu", 2),
        ]
    );
    // Positions point into the file for either kind.
    let eu = &report.office365[1];
    let at = eu.position(&FieldPath::parse("spec.connection.dataCenter").unwrap());
    assert_eq!((at.line, at.column), (24, 17));
    // load_files keeps returning the ProjectsIntegration resources.
    let loaded = spec::load_files(&[fixture("mixed_kinds.yaml")]).unwrap();
    assert_eq!(loaded.len(), 1);
}

#[test]
fn duplicate_office365_names() {
    // The same name twice in one kind is an error; once per kind is not.
    check_fixture(
        "duplicate_office365_names.yaml",
        &[("19:9", "duplicate resource Office365Integration/acme")],
    );
    let report = spec::load_files_report(&[fixture("duplicate_office365_names.yaml")]);
    let errors: Vec<bool> = report.office365.iter().map(|l| l.has_errors()).collect();
    assert_eq!(errors, [false, true]);
    assert!(!report.integrations[0].has_errors());
}

#[test]
fn empty_file() {
    check_fixture("empty.yaml", &[("1:1", "no documents in file")]);
}

#[test]
fn missing_file_is_reported_with_its_path() {
    let diagnostics = problems(&[fixture("does-not-exist.yaml")]);
    let only = diagnostics.iter().next().unwrap();
    assert_eq!(
        only.file.as_deref(),
        Some("tests/fixtures/spec/does-not-exist.yaml")
    );
    assert!(
        only.summary.starts_with("cannot read file: "),
        "{}",
        only.summary
    );
    assert!(only.hint.is_some());
}

#[test]
fn every_file_is_reported_together() {
    let files = [
        fixture("unknown_field.yaml"),
        PathBuf::from("examples/acme.yaml"),
        fixture("does-not-exist.yaml"),
        fixture("duplicates.yaml"),
    ];
    let diagnostics = problems(&files);
    // duplicates.yaml also names its resource "acme", like examples/acme.yaml.
    assert_eq!(diagnostics.summary_line(), "8 errors in 3 files");
    assert_eq!(
        diagnostics.iter().last().map(|d| d.summary.as_str()),
        Some("duplicate resource ProjectsIntegration/acme")
    );
    let files_in_order: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d.file.as_deref())
        .collect();
    assert_eq!(files_in_order[0], "tests/fixtures/spec/unknown_field.yaml");
    assert_eq!(files_in_order[1], "tests/fixtures/spec/does-not-exist.yaml");
    assert!(
        files_in_order[2..]
            .iter()
            .all(|f| *f == "tests/fixtures/spec/duplicates.yaml")
    );
}

#[test]
fn loaded_integrations_point_later_diagnostics_into_their_file() {
    let loaded = spec::load_files(&[PathBuf::from("examples/acme.yaml")]).unwrap();
    let acme = &loaded[0];
    let path = FieldPath::parse("spec.relatedLists.modules[0].fieldMap[2].crmField").unwrap();
    let diagnostic = acme.diagnostic(
        Severity::Error,
        &path,
        "CRM field \"Project_Status__c\" does not exist in Deals",
        Some("create the field in CRM or fix the name".to_owned()),
    );
    assert_eq!(
        diagnostic.location().as_deref(),
        Some("examples/acme.yaml:30:46")
    );
    assert_eq!(diagnostic.width, "Project_Status__c".len() as u32);
    // A defaulted field is reported where its closest written ancestor is.
    let defaulted =
        acme.position(&FieldPath::parse("spec.relatedLists.modules[1].fieldMap").unwrap());
    assert_eq!((defaulted.line, defaulted.column), (31, 9));
}

#[test]
fn a_directory_stands_for_its_yaml_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("examples/minimal.yaml", dir.path().join("b.yml")).unwrap();
    std::fs::copy(fixture("invalid_email.yaml"), dir.path().join("a.yaml")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a spec").unwrap();
    let report = spec::load_files_report(&[dir.path().to_path_buf()]);
    let files: Vec<String> = report
        .diagnostics
        .iter()
        .filter_map(|d| d.file.clone())
        .chain(report.integrations.iter().map(|l| l.source.name.clone()))
        .collect();
    let a = dir.path().join("a.yaml").display().to_string();
    let b = dir.path().join("b.yml").display().to_string();
    assert_eq!(files, [a.clone(), a.clone(), a.clone(), a, b]);

    let empty = tempfile::tempdir().unwrap();
    let diagnostics = problems(&[empty.path().to_path_buf()]);
    assert_eq!(
        diagnostics.iter().next().map(|d| d.summary.as_str()),
        Some("no .yaml or .yml files in directory")
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "apiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\nmetadata: {name: a}\nspec: {portal: {name: Désirée Ünïcode, bogus: 1}}\n";
    let diagnostics = spec::load_str("u.yaml", text).unwrap_err();
    assert_eq!(
        located(&diagnostics),
        [(
            "u.yaml:4:40".to_owned(),
            "unknown field \"bogus\" in spec.portal".to_owned()
        )]
    );
    let rendered = diagnostics.render(false);
    assert!(
        rendered.contains("4 | spec: {portal: {name: Désirée Ünïcode, bogus: 1}}\n  |                                        ^^^^^\n"),
        "{rendered}"
    );
}

#[test]
fn load_str_names_the_source_as_given() {
    let text = "apiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\nmetadata: {name: a}\nspec: {portal: {name: ''}}\n";
    let diagnostics = spec::load_str("inline.yaml", text).unwrap_err();
    assert_eq!(
        located(&diagnostics),
        [(
            "inline.yaml:4:23".to_owned(),
            "portal name is empty".to_owned()
        )]
    );
}
