//! First activation on a generated org, through the real binary over HTTP: the one-time
//! client mapping maps every client company and client user with exactly one matching
//! Account or Contact, and the plan and the apply report name every other one with its
//! reason. The expected counts are computed here from the seed, independently of the
//! planner. Overrides by record id settle what names cannot, and an override the org cannot
//! honour fails the plan at its position in the spec.

mod cli_support;

use std::collections::BTreeMap;
use std::time::Duration;

use cli_support::{Harness, Run};
use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::sandbox::projects::seed::ClientUserSeed;
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::sandbox::seed::Seed;
use serde_json::{Value, json};

const SPEC: &str = r#"apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {name: mapping}
spec:
  connection: {dataCenter: us, secretRef: {name: zoho-oauth}, portalSecretRef: {name: pm-admin-oauth}}
  portal: {name: Generated Delivery}
  clients:
    accountMapping: Auto
OVERRIDES
  relatedLists:
    modules:
      - module: Accounts
"#;

/// A generated org with a few hundred client users, plus client users the generator does not
/// make: some whose email two Contacts share, some whose email no Contact has.
fn seed() -> Seed {
    let mut seed = generate::generate(&GenerateOptions {
        users: 12,
        accounts: 700,
        contacts: 900,
        deals: Some(10),
        projects: 10,
        clients: Some(320),
        seed: 15,
        ..GenerateOptions::default()
    });
    let portal = &mut seed.portals[0];
    let emails: Vec<String> = portal
        .clients
        .iter()
        .flat_map(|c| c.users.iter().map(|u| u.email.clone()))
        .collect();
    let contacts = seed.records.get_mut("Contacts").unwrap();
    for (i, email) in emails.iter().step_by(40).enumerate() {
        contacts.push(
            json!({"_key": format!("dup{i}"), "Last_Name": "Twin", "Email": email.to_uppercase()})
                .as_object()
                .unwrap()
                .clone(),
        );
    }
    for (i, client) in portal.clients.iter_mut().step_by(30).enumerate() {
        client.users.push(ClientUserSeed {
            email: format!("guest{i}@nowhere.example"),
            name: None,
            projects: vec![],
        });
    }
    seed
}

/// What the mapping should conclude, computed from the seed: per client name and client user
/// email, `None` when it maps, else words its reason must contain.
struct Expected {
    clients: BTreeMap<String, Option<&'static str>>,
    users: BTreeMap<String, Option<&'static str>>,
}

fn expected(seed: &Seed) -> Expected {
    let mut accounts: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &seed.records["Accounts"] {
        *accounts
            .entry(a["Account_Name"].as_str().unwrap())
            .or_default() += 1;
    }
    let mut contacts: BTreeMap<String, usize> = BTreeMap::new();
    for c in &seed.records["Contacts"] {
        if let Some(email) = c.get("Email").and_then(Value::as_str) {
            *contacts.entry(email.to_lowercase()).or_default() += 1;
        }
    }
    let verdict = |n: usize, none: &'static str, several: &'static str| match n {
        0 => Some(none),
        1 => None,
        _ => Some(several),
    };
    let portal = &seed.portals[0];
    Expected {
        clients: portal
            .clients
            .iter()
            .map(|c| {
                let n = accounts.get(c.name.as_str()).copied().unwrap_or(0);
                let v = verdict(n, "no Account is named", "Accounts are named");
                (c.name.clone(), v)
            })
            .collect(),
        users: portal
            .clients
            .iter()
            .flat_map(|c| &c.users)
            .map(|u| {
                let email = u.email.to_lowercase();
                let n = contacts.get(&email).copied().unwrap_or(0);
                (
                    email,
                    verdict(n, "no Contact has the email", "Contacts have the email"),
                )
            })
            .collect(),
    }
}

fn harness(seed: &Seed) -> Harness {
    Harness::with_config(&seed.to_yaml().unwrap(), |config| {
        // One read per client company: not what this test is about.
        config.projects_throttle = Some(ProjectsThrottle::per(100_000, Duration::from_secs(1)));
    })
}

fn run(h: &Harness, overrides: &str, args: &[&str]) -> Run {
    let spec = h.write("mapping.yaml", &SPEC.replace("OVERRIDES", overrides));
    let creds = h.write(
        "credentials.yaml",
        &format!(
            "zoho-oauth:\n  client_id: {}\n  client_secret: {}\n  refresh_token: {}\npm-admin-oauth:\n  refresh_token: {}\n",
            generate::CLIENT_ID,
            generate::CLIENT_SECRET,
            generate::ADMIN_REFRESH_TOKEN,
            generate::OWNER_REFRESH_TOKEN
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut all = vec![
        "--credentials",
        creds.to_str().unwrap(),
        "--projects-rate-limit",
        "100000/1",
    ];
    all.extend(args);
    all.extend(["-f", spec.to_str().unwrap()]);
    h.run(&all)
}

fn count(expected: &BTreeMap<String, Option<&str>>) -> (usize, usize) {
    let mapped = expected.values().filter(|v| v.is_none()).count();
    (mapped, expected.len() - mapped)
}

/// Each entry of a JSON report list: name → `None` when mapped, else the reason.
fn statuses(list: &Value, name: &str) -> BTreeMap<String, Option<String>> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let reason = (e["status"] == "unmapped").then(|| e["reason"].as_str().unwrap().into());
            (e[name].as_str().unwrap().to_string(), reason)
        })
        .collect()
}

fn assert_matches(
    what: &str,
    got: &BTreeMap<String, Option<String>>,
    want: &BTreeMap<String, Option<&str>>,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "every {what} is in the report"
    );
    for (name, reason) in got {
        match (reason, want[name]) {
            (None, None) => {}
            (Some(reason), Some(words)) if reason.contains(words) => {}
            (got, want) => panic!("{what} {name}: reported {got:?}, expected {want:?}"),
        }
    }
}

/// Mapping ids the sandbox holds after the apply: (Accounts with a client id, Contacts
/// with a client user id).
fn mapped_in_crm(h: &Harness) -> (usize, usize) {
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let count = |module: &str, field: &str| -> usize {
        db.query_row(
            &format!(
                "SELECT COUNT(*) FROM crm_records WHERE module = '{module}'
                 AND COALESCE(json_extract(data, '$.{field}'), '') != ''"
            ),
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize
    };
    (
        count("Accounts", "Projects_Client_Id"),
        count("Contacts", "Projects_Client_User_Id"),
    )
}

#[test]
fn first_activation_maps_every_unambiguous_client_and_names_every_other() {
    let seed = seed();
    let want = expected(&seed);
    let (clients_mapped, clients_unmapped) = count(&want.clients);
    let (users_mapped, users_unmapped) = count(&want.users);
    // The generated org has every kind of case this test is about.
    assert!(want.users.len() >= 200, "{} client users", want.users.len());
    for (list, words) in [
        (&want.clients, "no Account is named"),
        (&want.clients, "Accounts are named"),
        (&want.users, "no Contact has the email"),
        (&want.users, "Contacts have the email"),
    ] {
        assert!(list.values().any(|v| *v == Some(words)), "{words}");
    }
    let h = harness(&seed);

    let plan = run(&h, "", &["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let document: Value = serde_json::from_str(&plan.stdout).unwrap();
    let report = &document["plan"]["client_mapping"];
    assert_eq!(report["automatic_mapping"], "done");
    assert_matches(
        "client",
        &statuses(&report["clients"], "client"),
        &want.clients,
    );
    assert_matches(
        "client user",
        &statuses(&report["client_users"], "email"),
        &want.users,
    );

    let apply = run(&h, "", &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let after = &apply.stdout[apply.stdout.find("Apply complete").expect("applied")..];
    let summary = format!(
        "Client mapping (automatic mapping: done): {clients_mapped} mapped, {clients_unmapped} unmapped; client users: {users_mapped} mapped, {users_unmapped} unmapped"
    );
    assert!(after.contains(&summary), "{summary}\n{after}");
    for (name, reason) in &want.clients {
        if let Some(words) = reason {
            let line = format!("client \"{name}\": unmapped: ");
            let shown = after.lines().find(|l| l.trim_start().starts_with(&line));
            assert!(shown.is_some_and(|l| l.contains(words)), "{line}\n{after}");
        }
    }
    for (email, reason) in &want.users {
        if let Some(words) = reason {
            let shown = after
                .lines()
                .find(|l| l.contains(&format!("client user {email} of ")));
            assert!(shown.is_some_and(|l| l.contains(words)), "{email}\n{after}");
        }
    }
    assert_eq!(mapped_in_crm(&h), (clients_mapped, users_mapped));

    // The one-time mapping ran: nothing is left to do.
    let again = run(&h, "", &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
}

/// The first client of the seed whose name two Accounts share, with their ids.
fn ambiguous_client(h: &Harness, want: &Expected) -> (String, Vec<String>) {
    let name = want
        .clients
        .iter()
        .find(|(_, v)| **v == Some("Accounts are named"))
        .map(|(n, _)| n.clone())
        .unwrap();
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db
        .prepare(
            "SELECT CAST(id AS TEXT) FROM crm_records WHERE module = 'Accounts'
             AND json_extract(data, '$.Account_Name') = ?1 ORDER BY id",
        )
        .unwrap();
    let ids = stmt
        .query_map([&name], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (name, ids)
}

#[test]
fn overrides_by_id_settle_shared_names_and_unknown_ones_fail_at_their_position() {
    let seed = seed();
    let want = expected(&seed);
    let h = harness(&seed);
    let (name, ids) = ambiguous_client(&h, &want);
    assert!(ids.len() >= 2, "{name}: {ids:?}");
    let user = want
        .users
        .iter()
        .find(|(_, v)| **v == Some("no Contact has the email"))
        .map(|(e, _)| e.clone())
        .unwrap();

    // By a shared name, and by ids that do not exist: errors naming the spec position.
    let bad = format!(
        "    overrides:\n      - {{client: \"{name}\", account: \"{name}\"}}\n      - {{client: \"{}\", accountId: \"999\"}}\n    userOverrides:\n      - {{clientUser: {user}, contactId: \"998\"}}\n",
        want.clients.keys().find(|n| **n != name).unwrap()
    );
    let plan = run(&h, &bad, &["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    let shared = format!(
        "client \"{name}\": override: {} Accounts are named \"{name}\" (ids {})",
        ids.len(),
        ids.join(", ")
    );
    assert!(plan.stdout.contains(&shared), "{shared}\n{}", plan.all());
    for (message, at) in [
        (shared.as_str(), "/mapping.yaml:10:"),
        ("override: no Account has the id 999", "/mapping.yaml:11:"),
        ("override: no Contact has the id 998", "/mapping.yaml:13:"),
    ] {
        let position = plan
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("Diagnostics:"))
            .skip_while(|l| !l.contains(message))
            .nth(1)
            .unwrap_or_default();
        assert!(
            position.contains("in the spec at ") && position.contains(at),
            "{message} at {at}:\n{}",
            plan.stdout
        );
    }
    assert_eq!(mapped_in_crm(&h), (0, 0), "a plan writes nothing");

    // By id: the Account the admin chose, and a Contact for a client user without one.
    let contact = unmatched_contact(&h, &want);
    let good = format!(
        "    overrides:\n      - {{client: \"{name}\", accountId: \"{}\"}}\n    userOverrides:\n      - {{clientUser: {user}, contactId: \"{}\"}}\n",
        ids[1], contact
    );
    let plan = run(&h, &good, &["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let document: Value = serde_json::from_str(&plan.stdout).unwrap();
    let entry = document["plan"]["client_mapping"]["client_users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == user.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        (&entry["status"], &entry["via"], &entry["record_id"]),
        (&json!("mapped"), &json!("override"), &json!(contact)),
    );
    let apply = run(&h, &good, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let after = &apply.stdout[apply.stdout.find("Apply complete").expect("applied")..];
    assert!(
        after.contains(&format!(
            "client \"{name}\": mapped to \"{name}\" (override)"
        )),
        "{after}"
    );
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mapped: Vec<String> = db
        .prepare(
            "SELECT CAST(id AS TEXT) FROM crm_records WHERE module = 'Accounts'
             AND json_extract(data, '$.Account_Name') = ?1
             AND COALESCE(json_extract(data, '$.Projects_Client_Id'), '') != ''",
        )
        .unwrap()
        .query_map([&name], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(mapped, [ids[1].clone()]);
    let client_user_id: String = db
        .query_row(
            "SELECT COALESCE(json_extract(data, '$.Projects_Client_User_Id'), '')
             FROM crm_records WHERE module = 'Contacts' AND id = ?1",
            [&contact],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!client_user_id.is_empty(), "Contact {contact} is mapped");
}

/// The id of a Contact whose email no client user has (free for an override).
fn unmatched_contact(h: &Harness, want: &Expected) -> String {
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db
        .prepare(
            "SELECT CAST(id AS TEXT), LOWER(json_extract(data, '$.Email')) FROM crm_records
             WHERE module = 'Contacts' AND json_extract(data, '$.Email') IS NOT NULL ORDER BY id",
        )
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.into_iter()
        .find(|(_, email)| !want.users.contains_key(email))
        .map(|(id, _)| id)
        .unwrap()
}
