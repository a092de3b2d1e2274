//! Generates large seed orgs for benchmarks: thousands of users, accounts, contacts, deals,
//! client companies and projects (and, for sync benchmarks, each user's meetings and contacts
//! and their Microsoft 365 mailboxes), deterministically from a seed number, with the same
//! kinds of awkward cases as the demo org (duplicate account names, clients without an
//! account, inactive and unconfirmed users).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::graph::seed as graph_seed;
use super::owned_records;
use super::projects::seed::PortalSeed;
use super::seed::{
    FieldSeed, OAuthClientSeed, OrgSeed, ProfileSeed, RefreshTokenSeed, RoleSeed, Seed, UserSeed,
    UserStatus,
};

/// How big an org to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    pub users: usize,
    pub accounts: usize,
    pub contacts: usize,
    /// Deals; half the number of accounts when absent.
    pub deals: Option<usize>,
    pub projects: usize,
    /// Client companies in the portal; a tenth of the accounts (at least one) when absent.
    pub clients: Option<usize>,
    /// The same number always yields the same org.
    pub seed: u64,
    /// Microsoft 365 mailboxes (the first ones are the org's CRM users); none when 0.
    pub mailboxes: usize,
    pub events_per_mailbox: usize,
    pub contacts_per_mailbox: usize,
    /// CRM Events (meetings) owned by each CRM user.
    pub events_per_user: usize,
    /// CRM Contacts owned by each CRM user (beyond `contacts`).
    pub contacts_per_user: usize,
    /// Share (0 to 100) of those Events and Contacts tagged `Imported`.
    pub tagged_imported_percent: u8,
    /// The day events are spread around (a year before to six months after); today when
    /// absent.
    pub today: Option<chrono::NaiveDate>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            users: 100,
            accounts: 200,
            contacts: 500,
            deals: None,
            projects: 100,
            clients: None,
            seed: 1,
            mailboxes: 0,
            events_per_mailbox: 0,
            contacts_per_mailbox: 0,
            events_per_user: 0,
            contacts_per_user: 0,
            tagged_imported_percent: 0,
            today: None,
        }
    }
}

/// The client id and admin refresh token of generated orgs (sandbox-only credentials).
pub const CLIENT_ID: &str = "1000.GENERATEDCLIENT";
pub const CLIENT_SECRET: &str = "generated-secret";
pub const ADMIN_REFRESH_TOKEN: &str = "1000.generated-admin.refresh";
pub const OWNER_REFRESH_TOKEN: &str = "1000.generated-owner.refresh";
pub const ADMIN_EMAIL: &str = "admin@generated.example";
pub const OWNER_EMAIL: &str = "owner@generated.example";

/// SplitMix64: tiny, fast and stable across platforms and crate versions.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(super) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub(super) const FIRST: &[&str] = &[
    "Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gia", "Hal", "Ivy", "Jon", "Kai", "Lena", "Max",
    "Nia", "Oli", "Pia", "Quin", "Ravi", "Sara", "Tom", "Uma", "Vic", "Wes", "Xena", "Yuri", "Zoe",
];
pub(super) const LAST: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jones",
    "Khan", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Smith", "Tanaka",
    "Usman", "Varga", "Wang", "Xu", "Young", "Zhang",
];
pub(super) const COMPANY_A: &[&str] = &[
    "Acme", "Blue", "Cedar", "Delta", "Echo", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Nova", "Orbit", "Pioneer", "Quartz", "River", "Summit", "Terra",
];
pub(super) const COMPANY_B: &[&str] = &[
    "Furniture",
    "Logistics",
    "Foods",
    "Systems",
    "Textiles",
    "Motors",
    "Labs",
    "Media",
    "Energy",
    "Health",
    "Outfitters",
    "Robotics",
];
const COMPANY_C: &[&str] = &["Inc.", "Ltd", "GmbH", "LLC", "Group", "Co."];
const STAGES: &[&str] = &[
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
];

pub(super) fn record(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// When generated contact `i` was created and last modified, as a real org's history has
/// it: created two or three a second from 120 days before `today`, then edited up to 90
/// days later, so an order by `Modified_Time` is not the order of ids and some seconds hold
/// several changes. Drawn from `i` alone, so the rest of the org does not depend on it.
fn contact_history(today: chrono::NaiveDate, i: usize) -> (String, String) {
    let start = (today - chrono::Days::new(120))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let i = i as i64;
    let created = start + chrono::Duration::seconds(i * 2 / 5);
    let modified = created + chrono::Duration::seconds((i * 7919) % (90 * 86_400));
    let zoho_time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S+00:00");
    (
        zoho_time(created).to_string(),
        zoho_time(modified).to_string(),
    )
}

/// Generates an org of the requested size.
pub fn generate(opts: &GenerateOptions) -> Seed {
    let mut rng = Rng(opts.seed);
    let users = opts.users.max(2);
    // The random draws run in a fixed order (users, accounts, contacts, deals, portals), so
    // one seed number always gives the same org.
    let user_seeds = generate_users(&mut rng, users);
    let active_users: Vec<String> = user_seeds
        .iter()
        .filter(|u| u.status == UserStatus::Active && u.confirmed)
        .map(|u| u.email.clone())
        .collect();

    let mut records: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
    let (accounts, account_names) = generate_accounts(&mut rng, opts, &active_users);
    records.insert("Accounts".into(), accounts);
    let (contacts, contact_emails) = generate_contacts(&mut rng, opts);
    records.insert("Contacts".into(), contacts);
    records.insert("Deals".into(), generate_deals(&mut rng, opts));
    owned_records::add(&mut records, opts, &user_seeds);

    let portals = generate_portals(
        &mut rng,
        opts,
        &account_names,
        &contact_emails,
        &active_users,
    );
    let tenants = generate_tenants(opts, &user_seeds);

    Seed {
        tenants,
        org: OrgSeed {
            company_name: format!("Generated Org {}", opts.seed),
            domain_name: Some(format!("generated{}", opts.seed)),
            primary_email: Some(ADMIN_EMAIL.into()),
            licenses: Some(users as u64),
            ..OrgSeed::default()
        },
        oauth_clients: vec![oauth_client()],
        roles: roles(),
        profiles: ["Administrator", "Standard", "Sales"]
            .iter()
            .map(|name| ProfileSeed {
                name: name.to_string(),
                description: None,
                permissions: BTreeMap::new(),
            })
            .collect(),
        users: user_seeds,
        modules: vec![],
        fields: BTreeMap::from([("Deals".to_string(), vec![project_status_field()])]),
        records,
        variables: vec![],
        portals,
        // Generated orgs get the throttle Zoho enforces; a run that wants more sets it.
        projects_throttle: None,
    }
}

/// Users: the admin, the portal owner, then everyone else.
fn generate_users(rng: &mut Rng, users: usize) -> Vec<UserSeed> {
    let mut user_seeds = vec![
        UserSeed {
            email: ADMIN_EMAIL.into(),
            first_name: Some("Ada".into()),
            last_name: "Admin".into(),
            profile: "Administrator".into(),
            role: "CEO".into(),
            status: UserStatus::Active,
            confirmed: true,
            reporting_to: None,
        },
        UserSeed {
            email: OWNER_EMAIL.into(),
            first_name: Some("Olive".into()),
            last_name: "Owner".into(),
            profile: "Administrator".into(),
            role: "Delivery Lead".into(),
            status: UserStatus::Active,
            confirmed: true,
            reporting_to: Some(ADMIN_EMAIL.into()),
        },
    ];
    for i in 2..users {
        let profile = match rng.below(100) {
            0..=4 => "Administrator",
            5..=64 => "Standard",
            _ => "Sales",
        };
        let role = rng.pick(&["Manager", "Sales Rep", "Delivery Lead"]);
        user_seeds.push(UserSeed {
            email: format!("user{i}@generated.example"),
            first_name: Some(rng.pick(FIRST).into()),
            last_name: rng.pick(LAST).into(),
            profile: profile.into(),
            role: role.into(),
            status: if rng.chance(2) {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            },
            confirmed: !rng.chance(3),
            reporting_to: Some(ADMIN_EMAIL.into()),
        });
    }
    user_seeds
}

/// Accounts, with their names: about 1% reuse an earlier name, as real orgs do.
fn generate_accounts(
    rng: &mut Rng,
    opts: &GenerateOptions,
    active_users: &[String],
) -> (Vec<Map<String, Value>>, Vec<String>) {
    let mut account_names: Vec<String> = Vec::with_capacity(opts.accounts);
    let accounts: Vec<Map<String, Value>> = (0..opts.accounts)
        .map(|i| {
            let name = if i > 10 && rng.chance(1) {
                account_names[rng.below(account_names.len())].clone()
            } else {
                format!(
                    "{} {} {} {i}",
                    rng.pick(COMPANY_A),
                    rng.pick(COMPANY_B),
                    rng.pick(COMPANY_C)
                )
            };
            account_names.push(name.clone());
            record(vec![
                ("_key", json!(format!("a{i}"))),
                ("Account_Name", json!(name)),
                (
                    "Account_Type",
                    json!(rng.pick(&["Customer", "Prospect", "Partner"])),
                ),
                (
                    "Industry",
                    json!(rng.pick(&["Manufacturing", "Retail", "Technology", "Services"])),
                ),
                (
                    "Owner",
                    json!({ "_user": active_users[rng.below(active_users.len())] }),
                ),
            ])
        })
        .collect();
    (accounts, account_names)
}

/// Contacts, most of them at an account, with their emails.
fn generate_contacts(
    rng: &mut Rng,
    opts: &GenerateOptions,
) -> (Vec<Map<String, Value>>, Vec<String>) {
    let mut contact_emails = Vec::with_capacity(opts.contacts);
    let today = opts
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let contacts: Vec<Map<String, Value>> = (0..opts.contacts)
        .map(|i| {
            let (created, modified) = contact_history(today, i);
            let email = format!("contact{i}@customers.example");
            contact_emails.push(email.clone());
            let account = if opts.accounts > 0 && rng.chance(85) {
                json!({ "_ref": format!("a{}", rng.below(opts.accounts)) })
            } else {
                Value::Null
            };
            record(vec![
                ("_key", json!(format!("c{i}"))),
                ("First_Name", json!(rng.pick(FIRST))),
                ("Last_Name", json!(rng.pick(LAST))),
                ("Email", json!(email)),
                ("Account_Name", account),
                ("Created_Time", json!(created)),
                ("Modified_Time", json!(modified)),
            ])
        })
        .collect();
    (contacts, contact_emails)
}

/// Deals (half as many as accounts unless asked), each at an account.
fn generate_deals(rng: &mut Rng, opts: &GenerateOptions) -> Vec<Map<String, Value>> {
    (0..opts.deals.unwrap_or(opts.accounts / 2))
        .map(|i| {
            let account = if opts.accounts > 0 {
                json!({ "_ref": format!("a{}", rng.below(opts.accounts)) })
            } else {
                Value::Null
            };
            record(vec![
                ("Deal_Name", json!(format!("Deal {i}"))),
                ("Stage", json!(rng.pick(STAGES))),
                ("Amount", json!((rng.below(200) + 1) * 500)),
                (
                    "Closing_Date",
                    json!(format!(
                        "2026-{:02}-{:02}",
                        rng.below(12) + 1,
                        rng.below(28) + 1
                    )),
                ),
                ("Account_Name", account),
            ])
        })
        .collect()
}

/// A Graph tenant whose mailboxes are the users', when mailboxes are asked for.
fn generate_tenants(
    opts: &GenerateOptions,
    user_seeds: &[UserSeed],
) -> Vec<graph_seed::TenantSeed> {
    if opts.mailboxes == 0 {
        return Vec::new();
    }
    let emails: Vec<String> = user_seeds.iter().map(|u| u.email.clone()).collect();
    vec![graph_seed::generate(
        &graph_seed::GenerateTenantOptions {
            mailboxes: opts.mailboxes,
            events_per_mailbox: opts.events_per_mailbox,
            contacts_per_mailbox: opts.contacts_per_mailbox,
            seed: opts.seed,
        },
        &emails,
    )]
}

/// The OAuth client with the admin's and the portal owner's refresh tokens.
fn oauth_client() -> OAuthClientSeed {
    let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    OAuthClientSeed {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        refresh_tokens: vec![
            RefreshTokenSeed {
                token: ADMIN_REFRESH_TOKEN.into(),
                user: ADMIN_EMAIL.into(),
                scopes: scopes(&[
                    "ZohoCRM.settings.ALL",
                    "ZohoCRM.modules.ALL",
                    "ZohoCRM.users.ALL",
                    "ZohoCRM.org.READ",
                    "ZohoProjects.portals.READ",
                    "ZohoProjects.projects.ALL",
                    "ZohoProjects.users.ALL",
                    "ZohoProjects.clients.ALL",
                ]),
            },
            RefreshTokenSeed {
                token: OWNER_REFRESH_TOKEN.into(),
                user: OWNER_EMAIL.into(),
                scopes: scopes(&[
                    "ZohoProjects.portals.READ",
                    "ZohoProjects.projects.ALL",
                    "ZohoProjects.users.ALL",
                    "ZohoProjects.clients.ALL",
                ]),
            },
        ],
    }
}

/// The role hierarchy generated users fill.
fn roles() -> Vec<RoleSeed> {
    let role = |name: &str, reports_to: Option<&str>| RoleSeed {
        name: name.into(),
        reports_to: reports_to.map(Into::into),
        description: None,
    };
    vec![
        role("CEO", None),
        role("Manager", Some("CEO")),
        role("Sales Rep", Some("Manager")),
        role("Delivery Lead", Some("Manager")),
    ]
}

/// The Deals field the generated integration maps a project's status into.
fn project_status_field() -> FieldSeed {
    FieldSeed {
        api_name: "Project_Status__c".into(),
        field_label: "Project Status".into(),
        data_type: "text".into(),
        length: None,
        lookup: None,
        related_list_label: None,
        pick_list_values: vec![],
        unique: false,
        mandatory: false,
        tooltip: None,
        description: None,
    }
}

/// One portal owned by the generated owner, built from the seed format's public shape.
fn generate_portals(
    rng: &mut Rng,
    opts: &GenerateOptions,
    account_names: &[String],
    contact_emails: &[String],
    active_users: &[String],
) -> Vec<PortalSeed> {
    // Portal users: a slice of the active CRM users (never the owner, who is implicit).
    let members: Vec<&String> = active_users
        .iter()
        .filter(|e| e.as_str() != OWNER_EMAIL)
        .take((opts.projects / 5 + 10).min(active_users.len()))
        .collect();
    let users: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, email)| {
            json!({ "email": email, "role": if i % 4 == 0 { "Manager" } else { "Employee" } })
        })
        .collect();
    let clients = generate_clients(rng, opts, account_names, contact_emails);
    let projects = generate_projects(rng, opts, &members, &clients);
    let portal = json!([{
        "name": "Generated Delivery",
        "owner": OWNER_EMAIL,
        "plan": "Enterprise",
        "users": users,
        "custom_fields": [{ "label_name": "Budget Code", "column_name": "UDF_CHAR1", "field_type": "text" }],
        "templates": [{ "name": "Standard Delivery" }],
        "clients": clients,
        "projects": projects,
    }]);
    serde_json::from_value(portal).expect("generated portals follow the seed format")
}

/// Client companies: most match an account name, some match none; each has at most one
/// client user, who belongs to no other client.
fn generate_clients(
    rng: &mut Rng,
    opts: &GenerateOptions,
    account_names: &[String],
    contact_emails: &[String],
) -> Vec<Value> {
    let client_count = opts
        .clients
        .unwrap_or((opts.accounts / 10).max(1))
        .min(account_names.len().max(1) * 2);
    let mut seen = std::collections::HashSet::new();
    let mut clients = Vec::new();
    for i in 0..client_count {
        let name = if !account_names.is_empty() && rng.chance(80) {
            account_names[rng.below(account_names.len())].clone()
        } else {
            format!("Unmatched Client {i}")
        };
        if !seen.insert(name.clone()) {
            continue;
        }
        let users: Vec<Value> = if contact_emails.is_empty() {
            vec![]
        } else {
            vec![json!({ "email": contact_emails[rng.below(contact_emails.len())] })]
        };
        clients.push(json!({ "name": name, "users": users }));
    }
    let mut used_client_users = std::collections::HashSet::new();
    for client in &mut clients {
        // A client user belongs to one client company.
        if let Some(email) = client["users"][0]["email"].as_str().map(str::to_string)
            && !used_client_users.insert(email)
        {
            client["users"] = json!([]);
        }
    }
    clients
}

/// Projects owned by portal members, some of them at a client.
fn generate_projects(
    rng: &mut Rng,
    opts: &GenerateOptions,
    members: &[&String],
    clients: &[Value],
) -> Vec<Value> {
    (0..opts.projects)
        .map(|i| {
            let owner = if members.is_empty() {
                OWNER_EMAIL.to_string()
            } else {
                members[rng.below(members.len())].to_string()
            };
            let mut project_users = vec![owner.clone()];
            if !members.is_empty() {
                let extra = members[rng.below(members.len())].to_string();
                if extra != owner && extra != OWNER_EMAIL {
                    project_users.push(extra);
                }
            }
            project_users.retain(|u| u != OWNER_EMAIL);
            let mut project = json!({
                "name": format!("Project {i:05}"),
                "status": if rng.chance(10) { "archived" } else { "active" },
                "owner": owner,
                "start_date": format!("2026-{:02}-{:02}", rng.below(12) + 1, rng.below(28) + 1),
                "percent_complete": rng.below(101),
                "users": project_users,
            });
            if !clients.is_empty() && rng.chance(60) {
                let client = &clients[rng.below(clients.len())];
                project["clients"] = json!([{ "name": client["name"], "primary": true }]);
            }
            project
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> GenerateOptions {
        GenerateOptions {
            users: 30,
            accounts: 60,
            contacts: 120,
            deals: Some(20),
            projects: 25,
            clients: Some(12),
            seed: 7,
            ..GenerateOptions::default()
        }
    }

    #[test]
    fn the_same_seed_number_gives_the_same_org() {
        assert_eq!(generate(&small()), generate(&small()));
        let other = GenerateOptions { seed: 8, ..small() };
        assert_ne!(generate(&small()), generate(&other));
    }

    #[test]
    fn sizes_follow_the_options() {
        let seed = generate(&small());
        assert_eq!(seed.users.len(), 30);
        assert_eq!(seed.records["Accounts"].len(), 60);
        assert_eq!(seed.records["Contacts"].len(), 120);
        assert_eq!(seed.records["Deals"].len(), 20);
        assert_eq!(seed.portals.len(), 1);
    }

    #[test]
    fn generated_orgs_load_into_a_sandbox_database() {
        let store = crate::sandbox::store::Store::open(None).unwrap();
        crate::sandbox::seed::load_if_empty(&store, &generate(&small())).unwrap();
        let contacts: i64 = store.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM crm_records WHERE module = 'Contacts'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        });
        assert_eq!(contacts, 120);
    }

    #[test]
    fn contacts_carry_a_past_history_not_in_id_order() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let history: Vec<(String, String)> =
            (0..2_000).map(|i| contact_history(today, i)).collect();
        assert_eq!(
            history[0].0, "2026-02-01T00:00:00+00:00",
            "created from 120 days before today"
        );
        assert!(
            history
                .iter()
                .all(|(c, m)| c <= m && m.as_str() < "2026-06-01")
        );
        let mut seconds: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, modified) in &history {
            *seconds.entry(modified).or_default() += 1;
        }
        assert!(
            seconds.values().all(|&n| n <= 3),
            "a few changes a second at most"
        );
        let mut by_change: Vec<usize> = (0..history.len()).collect();
        by_change.sort_by_key(|&i| &history[i].1);
        assert_ne!(by_change, (0..history.len()).collect::<Vec<_>>());
    }

    #[test]
    fn generated_orgs_survive_the_yaml_round_trip() {
        let seed = generate(&small());
        let back = Seed::parse(&seed.to_yaml().unwrap(), "generated").unwrap();
        assert_eq!(back, seed);
    }
}
