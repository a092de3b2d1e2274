//! Seed parsing, loading and generation.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

const EXAMPLE: &str = r#"
- name: Acme Delivery
  owner: owner@acme.com
  plan: Enterprise
  users:
    - {email: pat@acme.com, name: Pat Doe, role: Manager}
    - {email: sam@acme.com, name: Sam Roe, role: Employee, active: false}
  custom_fields:
    - {label_name: Budget Code, column_name: UDF_CHAR1, field_type: text}
    - {label_name: Seats, column_name: UDF_LONG1, field_type: number}
  templates:
    - {name: Standard Delivery, users: [pat@acme.com], custom_fields: {UDF_LONG1: 5}}
  clients:
    - name: Bowman Furniture
      users: [{email: jane@bowman.example, name: Jane Bowman, projects: [Website Redesign]}]
  projects:
    - name: Website Redesign
      status: active
      owner: pat@acme.com
      start_date: 2026-01-15
      end_date: 2026-03-31
      percent_complete: 40
      users: [pat@acme.com]
      clients: [{name: Bowman Furniture, primary: true}]
      custom_fields: {UDF_CHAR1: X-1}
"#;

fn parse(yaml: &str) -> Result<Vec<PortalSeed>, serde_saphyr::Error> {
    serde_saphyr::from_str(yaml)
}

fn memory_db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    db::migrate(&conn).unwrap();
    conn
}

#[test]
fn the_documented_example_parses_with_typed_values() {
    let portals = parse(EXAMPLE).unwrap();
    let p = &portals[0];
    assert_eq!(p.users[0].role, Role::Manager);
    assert!(!p.users[1].active);
    assert_eq!(p.templates[0].custom_fields["UDF_LONG1"], "5");
    let project = &p.projects[0];
    assert_eq!(project.start_date, NaiveDate::from_ymd_opt(2026, 1, 15));
    assert!(project.clients[0].primary);
}

#[test]
fn unknown_fields_and_bad_enums_are_rejected() {
    let err = parse("- {name: A, owner: o@a.com, colour: red}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
    let err = parse("- {name: A, owner: o@a.com, users: [{email: x@a.com, role: Boss}]}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("Boss"), "{err}");
    let err = parse("- {name: A, owner: o@a.com, projects: [{name: P, status: template}]}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("template"), "{err}");
}

#[test]
fn loading_the_example_creates_everything() {
    let conn = memory_db();
    load(&conn, &parse(EXAMPLE).unwrap()).unwrap();
    let (portal, member) = db::visible_portals(&conn, "pat@acme.com")
        .unwrap()
        .remove(0);
    assert_eq!(portal.slug, "acmedelivery");
    assert_eq!(member.role, Role::Manager);
    assert!(
        db::visible_portals(&conn, "sam@acme.com")
            .unwrap()
            .is_empty()
    );
    let id = db::project_named(&conn, portal.id, "website redesign", false, None)
        .unwrap()
        .unwrap();
    let project = db::project(&conn, portal.id, id).unwrap().unwrap();
    assert_eq!(project.percent_complete, 40);
    assert!(project.template_id.is_none());
    let clients = db::project_clients(&conn, id).unwrap();
    assert_eq!(
        (clients[0].name.as_str(), clients[0].primary),
        ("Bowman Furniture", true)
    );
    let user = db::client_user_by_email(&conn, portal.id, "jane@bowman.example")
        .unwrap()
        .unwrap();
    assert_eq!(
        db::client_user_projects(&conn, user.zpuid).unwrap(),
        vec![id]
    );
    // pat owns the project and is its only user.
    let users = db::project_users(&conn, id).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0].0.email.as_str(), users[0].1),
        ("pat@acme.com", Role::Manager)
    );
}

#[test]
fn a_project_from_a_template_gets_its_users_and_values() {
    let conn = memory_db();
    let mut seeds = parse(EXAMPLE).unwrap();
    seeds[0].projects.push(ProjectSeed {
        name: "From Template".into(),
        status: SeedProjectStatus::Archived,
        owner: None,
        description: None,
        start_date: None,
        end_date: None,
        percent_complete: 0,
        template: Some("standard delivery".into()),
        users: vec![],
        clients: vec![],
        custom_fields: BTreeMap::new(),
    });
    load(&conn, &seeds).unwrap();
    let portal = db::visible_portals(&conn, "owner@acme.com")
        .unwrap()
        .remove(0)
        .0;
    let id = db::project_named(&conn, portal.id, "From Template", false, None)
        .unwrap()
        .unwrap();
    assert_eq!(db::custom_values(&conn, id).unwrap()["UDF_LONG1"], "5");
    let emails: Vec<String> = db::project_users(&conn, id)
        .unwrap()
        .into_iter()
        .map(|(m, _)| m.email)
        .collect();
    assert_eq!(emails, vec!["owner@acme.com", "pat@acme.com"]);
}

#[test]
fn invalid_seeds_fail_with_a_located_message_and_leave_nothing_behind() {
    let cases = [
        (
            "- {name: A, owner: o@a.com, projects: [{name: P, owner: nobody@a.com}]}",
            "project \"P\": owner nobody@a.com is not an active user",
        ),
        (
            "- {name: A, owner: o@a.com, clients: [{name: C}], projects: [{name: P, clients: [{name: C, primary: true}, {name: D}]}]}",
            "no client named \"D\"",
        ),
        (
            "- {name: A, owner: o@a.com, clients: [{name: C}, {name: D}], projects: [{name: P, clients: [{name: C, primary: true}, {name: D, primary: true}]}]}",
            "more than one primary client",
        ),
        (
            "- {name: A, owner: o@a.com, projects: [{name: P}, {name: p}]}",
            "project \"p\": listed twice",
        ),
        (
            "- {name: A, owner: o@a.com, projects: [{name: P, custom_fields: {UDF_X: 1}}]}",
            "unknown custom field UDF_X",
        ),
        ("- {name: A, owner: not-an-email}", "owner \"not-an-email\""),
        (
            "- {name: A, owner: o@a.com}\n- {name: a, owner: o@a.com}",
            "portals[1] (a): another portal already has the URL name",
        ),
    ];
    for (yaml, expected) in cases {
        let conn = memory_db();
        let err = load(&conn, &parse(yaml).unwrap()).unwrap_err().to_string();
        assert!(err.contains(expected), "{yaml}\n=> {err}");
        let portals: i64 = conn
            .query_row("SELECT COUNT(*) FROM prj_portals", [], |r| r.get(0))
            .unwrap();
        assert_eq!(portals, 0, "a failed load must leave no portal behind");
    }
}

fn opts() -> GeneratePortalOpts {
    GeneratePortalOpts {
        name: "Big Portal".into(),
        owner_email: "owner@big.example".into(),
        user_emails: (0..30)
            .map(|i| (format!("user{i}@big.example"), format!("User {i}")))
            .chain([("owner@big.example".to_string(), "Owner".to_string())])
            .collect(),
        projects: 300,
        clients: 120,
        client_names: vec!["Bowman Furniture".into(), "bowman furniture".into()],
    }
}

#[test]
fn generation_is_deterministic_and_loads() {
    let a = generate(&opts(), &mut StdRng::seed_from_u64(7));
    let b = generate(&opts(), &mut StdRng::seed_from_u64(7));
    assert_eq!(a, b);
    assert_eq!(a.projects.len(), 300);
    assert_eq!(a.clients.len(), 120);
    assert_eq!(a.users.len(), 30, "the owner is not repeated as a user");
    assert_eq!(a.clients[0].name, "Bowman Furniture");
    assert_eq!(a.clients[1].name, "bowman furniture (2)");
    assert!(a.clients.iter().all(|c| c.users.len() <= 2));
    let conn = memory_db();
    load(&conn, &[a]).unwrap();
}

#[test]
fn generated_seeds_round_trip_through_yaml() {
    let mut small = opts();
    small.projects = 5;
    small.clients = 3;
    let seed = generate(&small, &mut StdRng::seed_from_u64(1));
    let yaml = serde_saphyr::to_string(&vec![seed.clone()]).unwrap();
    assert_eq!(parse(&yaml).unwrap(), vec![seed]);
}
