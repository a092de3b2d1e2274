//! A generator of large portals for benchmarks: many projects, client companies with client
//! users, portal users from a given list, templates and custom fields, all drawn from the
//! caller's random generator so the same seed value always gives the same portal.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::model::{FieldType, Role};
use super::seed::{
    ClientSeed, ClientUserSeed, CustomFieldSeed, PortalSeed, PortalUserSeed, ProjectClientSeed,
    ProjectSeed, SeedProjectStatus, TemplateSeed,
};
use super::wire::portal_slug;

/// What to generate.
#[derive(Debug, Clone, Default)]
pub struct GeneratePortalOpts {
    pub name: String,
    pub owner_email: String,
    /// Portal users besides the owner: (email, name).
    pub user_emails: Vec<(String, String)>,
    pub projects: usize,
    pub clients: usize,
    /// Names for the client companies, used in order (e.g. CRM Account names, so that some
    /// match); clients beyond the list get generated names.
    pub client_names: Vec<String>,
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kira", "Liam",
    "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
];
const LAST_NAMES: &[&str] = &[
    "Adams", "Bowman", "Chen", "Diaz", "Evans", "Fischer", "Gupta", "Hall", "Ito", "Jones", "Khan",
    "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Weber",
];
const PROJECT_WORDS: &[&str] = &[
    "Website Redesign",
    "CRM Rollout",
    "Warehouse Fit-out",
    "Data Migration",
    "Brand Refresh",
    "Mobile App",
    "Office Move",
    "Security Audit",
    "ERP Upgrade",
    "Training Programme",
];
const REGIONS: &[&str] = &["North", "South", "East", "West", "Central"];
const TEMPLATES: &[&str] = &[
    "Standard Delivery",
    "Fixed Price Implementation",
    "Support Retainer",
];

/// Builds a portal per `opts`; the same `opts` and generator state give the same portal.
pub fn generate(opts: &GeneratePortalOpts, rng: &mut impl Rng) -> PortalSeed {
    let owner = opts.owner_email.clone();
    let users = portal_users(opts, rng);
    let mut active: Vec<String> = vec![owner.clone()];
    active.extend(users.iter().filter(|u| u.active).map(|u| u.email.clone()));

    let custom_fields = vec![
        field("Budget Code", "UDF_CHAR1", FieldType::Text),
        field("Region", "UDF_CHAR2", FieldType::Text),
        field("Contract Value", "UDF_LONG1", FieldType::Number),
        field("Go-live Date", "UDF_DATE1", FieldType::Date),
    ];

    let templates: Vec<TemplateSeed> = TEMPLATES
        .iter()
        .map(|name| TemplateSeed {
            name: name.to_string(),
            description: Some(format!("{name} template")),
            owner: None,
            users: pick_some(&active[1..], 0, 2, rng),
            custom_fields: BTreeMap::from([(
                "UDF_CHAR2".to_string(),
                REGIONS.choose(rng).copied().unwrap_or("North").to_string(),
            )]),
        })
        .collect();

    let mut clients = client_companies(opts, rng);
    let projects = projects(opts, &active, &clients, rng);

    // Each client user gets access to up to two of its company's projects.
    let mut projects_of_client: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &projects {
        for c in &p.clients {
            projects_of_client
                .entry(c.name.as_str())
                .or_default()
                .push(p.name.as_str());
        }
    }
    for client in &mut clients {
        let available = projects_of_client
            .get(client.name.as_str())
            .cloned()
            .unwrap_or_default();
        for user in &mut client.users {
            let take = rng.random_range(0..=available.len().min(2));
            user.projects = available
                .choose_multiple(rng, take)
                .map(|s| s.to_string())
                .collect();
            user.projects.sort();
        }
    }

    PortalSeed {
        name: opts.name.clone(),
        owner,
        owner_name: None,
        plan: "Enterprise".into(),
        users,
        custom_fields,
        templates,
        clients,
        projects,
    }
}

fn field(label: &str, column: &str, field_type: FieldType) -> CustomFieldSeed {
    CustomFieldSeed {
        label_name: label.into(),
        column_name: column.into(),
        field_type,
        is_mandatory: false,
    }
}

/// Portal users from the given list (the owner and repeats left out): mostly employees, some
/// managers and contractors, a few inactive.
fn portal_users(opts: &GeneratePortalOpts, rng: &mut impl Rng) -> Vec<PortalUserSeed> {
    let mut seen = BTreeSet::from([opts.owner_email.to_ascii_lowercase()]);
    let mut users = Vec::new();
    for (email, name) in &opts.user_emails {
        if !seen.insert(email.to_ascii_lowercase()) {
            continue;
        }
        let roll: f64 = rng.random();
        let role = if roll < 0.1 {
            Role::Manager
        } else if roll < 0.9 {
            Role::Employee
        } else {
            Role::Contractor
        };
        users.push(PortalUserSeed {
            email: email.clone(),
            name: Some(name.clone()),
            role,
            active: !rng.random_bool(0.05),
        });
    }
    users
}

/// Client companies with unique names, each with 0 to 2 client users.
fn client_companies(opts: &GeneratePortalOpts, rng: &mut impl Rng) -> Vec<ClientSeed> {
    let mut taken = BTreeSet::new();
    let mut clients = Vec::with_capacity(opts.clients);
    for i in 0..opts.clients {
        let base = opts
            .client_names
            .get(i)
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("Client Company {}", i + 1));
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.to_ascii_lowercase()) {
            name = format!("{base} ({n})");
            n += 1;
        }
        let domain = match portal_slug(&name) {
            s if s.is_empty() => format!("client{i}"),
            s => s,
        };
        let users = (0..rng.random_range(0..=2))
            .map(|j| {
                let first = FIRST_NAMES.choose(rng).copied().unwrap_or("Ada");
                let last = LAST_NAMES.choose(rng).copied().unwrap_or("Adams");
                ClientUserSeed {
                    email: format!(
                        "{}.{}.{i}.{j}@{domain}.example",
                        first.to_ascii_lowercase(),
                        last.to_ascii_lowercase()
                    ),
                    name: Some(format!("{first} {last}")),
                    projects: Vec::new(),
                }
            })
            .collect();
        clients.push(ClientSeed {
            name,
            website: Some(format!("https://{domain}.example")),
            phone: Some(format!("+1 555 {:04}", i % 10_000)),
            users,
        });
    }
    clients
}

fn projects(
    opts: &GeneratePortalOpts,
    active: &[String],
    clients: &[ClientSeed],
    rng: &mut impl Rng,
) -> Vec<ProjectSeed> {
    let epoch = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    (0..opts.projects)
        .map(|i| {
            let word = PROJECT_WORDS.choose(rng).copied().unwrap_or("Project");
            let start = epoch + Days::new(rng.random_range(0..540));
            let end = start + Days::new(rng.random_range(30..=180));
            let mut project_clients = Vec::new();
            if !clients.is_empty() && rng.random_bool(0.7) {
                let primary = &clients[rng.random_range(0..clients.len())];
                project_clients.push(ProjectClientSeed {
                    name: primary.name.clone(),
                    primary: true,
                });
                if clients.len() > 1 && rng.random_bool(0.15) {
                    let other = &clients[rng.random_range(0..clients.len())];
                    if other.name != primary.name {
                        project_clients.push(ProjectClientSeed {
                            name: other.name.clone(),
                            primary: false,
                        });
                    }
                }
            }
            let template = rng.random_bool(0.2).then(|| {
                TEMPLATES
                    .choose(rng)
                    .copied()
                    .unwrap_or(TEMPLATES[0])
                    .to_string()
            });
            ProjectSeed {
                name: format!("{word} {:05}", i + 1),
                status: if rng.random_bool(0.15) {
                    SeedProjectStatus::Archived
                } else {
                    SeedProjectStatus::Active
                },
                owner: active.choose(rng).cloned(),
                description: Some(format!("{word} for a client")),
                start_date: Some(start),
                end_date: Some(end),
                percent_complete: rng.random_range(0..=100),
                template,
                users: pick_some(active, 1, 5, rng),
                clients: project_clients,
                custom_fields: BTreeMap::from([
                    ("UDF_CHAR1".to_string(), format!("BC-{:05}", i + 1)),
                    (
                        "UDF_LONG1".to_string(),
                        (rng.random_range(1..=500u32) * 1000).to_string(),
                    ),
                ]),
            }
        })
        .collect()
}

/// Between `min` and `max` distinct items of `pool`, sorted.
fn pick_some(pool: &[String], min: usize, max: usize, rng: &mut impl Rng) -> Vec<String> {
    let upper = max.min(pool.len());
    let count = rng.random_range(min.min(upper)..=upper);
    let mut picked: Vec<String> = pool.choose_multiple(rng, count).cloned().collect();
    picked.sort();
    picked
}
