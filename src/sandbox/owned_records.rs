//! Each generated CRM user's own meetings (Events) and Contacts, for Office 365 sync
//! benchmarks: events spread from a year ago to six months ahead in business hours (some all
//! day), varied titles and venues; contacts with names, unique emails, phones and mailing
//! addresses; both created and modified over the past year; a chosen share tagged
//! `Imported`, the tag a sync may be told to skip.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};

use super::generate::{COMPANY_A, COMPANY_B, FIRST, GenerateOptions, LAST, Rng, record};
use super::seed::UserSeed;

/// The tag generated records carry when imported (`--tagged-imported-percent`).
pub const IMPORTED_TAG: &str = "Imported";

const TITLES: &[&str] = &[
    "Call with {company}",
    "Demo for {company}",
    "Quarterly business review",
    "Project kickoff: {company}",
    "Lunch with {person}",
    "Contract negotiation",
    "Onboarding session",
    "Pipeline review",
    "Site visit at {company}",
    "Follow-up with {person}",
    "Renewal discussion",
    "Product roadmap briefing",
];
const VENUES: &[&str] = &[
    "Zoom",
    "Microsoft Teams",
    "Phone",
    "Head office, Room 2",
    "Head office, Room 5",
    "{company} HQ",
    "Café Central",
];
const JOB_TITLES: &[&str] = &[
    "Buyer",
    "Head of Procurement",
    "CFO",
    "Operations Manager",
    "IT Director",
    "Office Manager",
    "CEO",
    "Project Lead",
];
const STREETS: &[&str] = &[
    "Main", "Oak", "Harbor", "Mill", "Station", "King", "Market", "Park",
];
const STREET_KINDS: &[&str] = &["Street", "Avenue", "Road", "Lane"];
/// City, state, country and postcode prefix.
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("Austin", "TX", "United States", "787"),
    ("Seattle", "WA", "United States", "981"),
    ("Boston", "MA", "United States", "021"),
    ("Chicago", "IL", "United States", "606"),
    ("London", "England", "United Kingdom", "EC1A "),
    ("Manchester", "England", "United Kingdom", "M1 "),
    ("Berlin", "Berlin", "Germany", "101"),
    ("Munich", "Bavaria", "Germany", "803"),
    ("Toronto", "ON", "Canada", "M5V "),
    ("Sydney", "NSW", "Australia", "20"),
];

/// Days before and after `today` that events span.
const PAST_DAYS: i64 = 365;
const FUTURE_DAYS: i64 = 183;

fn zoho_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Letters of a name usable in an email address (`Müller` → `muller`).
fn email_part(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'ü' | 'Ü' => Some('u'),
            'ö' | 'Ö' => Some('o'),
            'ä' | 'Ä' => Some('a'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// `Created_Time` and `Modified_Time` somewhere in the year before `today`, as an org's
/// history has them (and so a listing sorted by Modified_Time has few ties).
fn history(rng: &mut Rng, today: NaiveDate) -> (Value, Value) {
    let midnight = today.and_hms_opt(0, 0, 0).unwrap_or_default();
    let year = 365 * 24 * 3600;
    let created = midnight - Duration::seconds(1 + rng.below(year) as i64);
    let age = (midnight - created).num_seconds() as usize;
    let modified = if rng.chance(50) {
        created
    } else {
        created + Duration::seconds(rng.below(age) as i64)
    };
    (json!(zoho_time(created)), json!(zoho_time(modified)))
}

fn tags(rng: &mut Rng, percent: u8) -> Value {
    if percent > 0 && rng.chance(u64::from(percent)) {
        json!([IMPORTED_TAG])
    } else {
        Value::Null
    }
}

fn event(rng: &mut Rng, owner: &str, today: NaiveDate, percent: u8) -> Map<String, Value> {
    let day = today + Duration::days(rng.below((PAST_DAYS + FUTURE_DAYS) as usize) as i64)
        - Duration::days(PAST_DAYS);
    let all_day = rng.chance(5);
    let (start, end) = if all_day {
        let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        (start, day.and_hms_opt(23, 59, 0).unwrap_or_default())
    } else {
        let start = day
            .and_hms_opt(8 + rng.below(10) as u32, 30 * rng.below(2) as u32, 0)
            .unwrap_or_default();
        (
            start,
            start + Duration::minutes(30 * (1 + rng.below(4) as i64)),
        )
    };
    let company = format!("{} {}", rng.pick(COMPANY_A), rng.pick(COMPANY_B));
    let person = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let fill = |template: &str| {
        template
            .replace("{company}", &company)
            .replace("{person}", &person)
    };
    let title = fill(rng.pick(TITLES));
    let venue = if rng.chance(85) {
        json!(fill(rng.pick(VENUES)))
    } else {
        Value::Null
    };
    let description = if rng.chance(40) {
        json!(format!(
            "Agenda: {}.",
            rng.pick(&["status", "pricing", "next steps", "open issues", "timeline"])
        ))
    } else {
        Value::Null
    };
    let (created, modified) = history(rng, today);
    record(vec![
        ("Event_Title", json!(title)),
        ("Start_DateTime", json!(zoho_time(start))),
        ("End_DateTime", json!(zoho_time(end))),
        ("All_day", json!(all_day)),
        ("Venue", venue),
        ("Description", description),
        ("Owner", json!({ "_user": owner })),
        ("Tag", tags(rng, percent)),
        ("Created_Time", created),
        ("Modified_Time", modified),
    ])
}

fn contact(
    rng: &mut Rng,
    owner: &str,
    (user_index, i): (usize, usize),
    accounts: usize,
    today: NaiveDate,
    percent: u8,
) -> Map<String, Value> {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let domain = email_part(rng.pick(COMPANY_A));
    let (city, state, country, postcode) = PLACES[rng.below(PLACES.len())];
    let account = if accounts > 0 && rng.chance(50) {
        json!({ "_ref": format!("a{}", rng.below(accounts)) })
    } else {
        Value::Null
    };
    let (created, modified) = history(rng, today);
    let mobile = if rng.chance(50) {
        json!(format!(
            "+1 555 {:03} {:04}",
            rng.below(1000),
            rng.below(10_000)
        ))
    } else {
        Value::Null
    };
    record(vec![
        ("First_Name", json!(first)),
        ("Last_Name", json!(last)),
        (
            "Email",
            json!(format!(
                "{}.{}.{user_index}.{i}@{domain}.example",
                email_part(first),
                email_part(last)
            )),
        ),
        (
            "Phone",
            json!(format!(
                "+1 555 {:03} {:04}",
                rng.below(1000),
                rng.below(10_000)
            )),
        ),
        ("Mobile", mobile),
        ("Title", json!(rng.pick(JOB_TITLES))),
        (
            "Mailing_Street",
            json!(format!(
                "{} {} {}",
                1 + rng.below(400),
                rng.pick(STREETS),
                rng.pick(STREET_KINDS)
            )),
        ),
        ("Mailing_City", json!(city)),
        ("Mailing_State", json!(state)),
        (
            "Mailing_Zip",
            json!(format!("{postcode}{:02}", rng.below(100))),
        ),
        ("Mailing_Country", json!(country)),
        ("Account_Name", account),
        ("Owner", json!({ "_user": owner })),
        ("Tag", tags(rng, percent)),
        ("Created_Time", created),
        ("Modified_Time", modified),
    ])
}

/// Adds every user's Events and Contacts to `records` (nothing when both counts are 0).
pub(super) fn add(
    records: &mut BTreeMap<String, Vec<Map<String, Value>>>,
    opts: &GenerateOptions,
    users: &[UserSeed],
) {
    if opts.events_per_user == 0 && opts.contacts_per_user == 0 {
        return;
    }
    // A stream of its own, so the rest of the org is the same with or without these.
    let mut rng = Rng(opts.seed ^ 0x0FF1_CE36_5000_0000);
    let today = opts
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let percent = opts.tagged_imported_percent.min(100);
    let events = records.entry("Events".into()).or_default();
    events.reserve(users.len() * opts.events_per_user);
    for user in users {
        for _ in 0..opts.events_per_user {
            events.push(event(&mut rng, &user.email, today, percent));
        }
    }
    let contacts = records.entry("Contacts".into()).or_default();
    contacts.reserve(users.len() * opts.contacts_per_user);
    for (u, user) in users.iter().enumerate() {
        for i in 0..opts.contacts_per_user {
            let contact = contact(&mut rng, &user.email, (u, i), opts.accounts, today, percent);
            contacts.push(contact);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::generate::generate;
    use super::*;

    #[test]
    fn events_fall_between_a_year_ago_and_six_months_ahead() {
        let mut rng = Rng(3);
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        for _ in 0..2_000 {
            let e = event(&mut rng, "a@b.example", today, 0);
            let start = NaiveDateTime::parse_from_str(
                e["Start_DateTime"].as_str().unwrap(),
                "%Y-%m-%dT%H:%M:%S+00:00",
            )
            .unwrap();
            let end = NaiveDateTime::parse_from_str(
                e["End_DateTime"].as_str().unwrap(),
                "%Y-%m-%dT%H:%M:%S+00:00",
            )
            .unwrap();
            assert!(start.date() >= today - Duration::days(PAST_DAYS));
            assert!(start.date() < today + Duration::days(FUTURE_DAYS));
            assert!(end > start);
            assert!(e.get("Tag").is_none());
            let created = e["Created_Time"].as_str().unwrap();
            let modified = e["Modified_Time"].as_str().unwrap();
            assert!(created <= modified && modified < "2026-06-01T00:00:00+00:00");
            assert!(created >= "2025-06-01T00:00:00+00:00");
        }
    }

    fn with_activity() -> GenerateOptions {
        GenerateOptions {
            users: 10,
            events_per_user: 20,
            contacts_per_user: 15,
            tagged_imported_percent: 30,
            today: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
            mailboxes: 4,
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
    fn each_user_owns_events_and_contacts_and_a_share_is_imported() {
        let seed = generate(&with_activity());
        let events = &seed.records["Events"];
        assert_eq!(events.len(), 10 * 20);
        assert_eq!(seed.records["Contacts"].len(), 120 + 10 * 15);
        for user in &seed.users {
            let owned = events
                .iter()
                .filter(|e| e["Owner"]["_user"] == user.email.as_str())
                .count();
            assert_eq!(owned, 20, "{}", user.email);
        }
        let owned_contacts: Vec<_> = seed.records["Contacts"]
            .iter()
            .filter(|c| c.contains_key("Owner"))
            .collect();
        assert_eq!(owned_contacts.len(), 150);
        let emails: std::collections::HashSet<_> =
            owned_contacts.iter().map(|c| c["Email"].clone()).collect();
        assert_eq!(emails.len(), 150, "emails are unique");
        assert!(owned_contacts.iter().all(|c| c.contains_key("Mailing_City")
            && c.contains_key("Phone")
            && c.contains_key("First_Name")));
        let tagged = events
            .iter()
            .chain(owned_contacts.iter().copied())
            .filter(|r| r.get("Tag") == Some(&json!(["Imported"])))
            .count();
        assert!((35..=175).contains(&tagged), "about 30% of 350: {tagged}");
        let none = generate(&GenerateOptions {
            tagged_imported_percent: 0,
            ..with_activity()
        });
        assert!(
            none.records["Events"]
                .iter()
                .all(|e| !e.contains_key("Tag"))
        );
        // The rest of the org does not depend on the per-user records.
        let plain = generate(&GenerateOptions {
            events_per_user: 0,
            contacts_per_user: 0,
            ..with_activity()
        });
        assert!(plain.records["Accounts"] == seed.records["Accounts"]);
        assert!(plain.records["Deals"] == seed.records["Deals"]);
        assert!(plain.portals == seed.portals);
    }

    #[test]
    fn mailboxes_belong_to_the_first_crm_users() {
        let seed = generate(&with_activity());
        let mailboxes = &seed.tenants[0].users;
        assert_eq!(mailboxes.len(), 4);
        for (mailbox, user) in mailboxes.iter().zip(&seed.users) {
            assert_eq!(mailbox.user_principal_name, user.email);
        }
    }

    #[test]
    fn generated_events_and_tags_load_into_a_sandbox_database() {
        let store = crate::sandbox::store::Store::open(None).unwrap();
        crate::sandbox::seed::load_if_empty(&store, &generate(&with_activity())).unwrap();
        let (events, tagged): (i64, i64) = store.with(|c| {
            c.query_row(
                "SELECT COUNT(*), SUM(json_extract(data, '$.Tag[0].name') = 'Imported')
                 FROM crm_records WHERE module = 'Events'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        });
        assert_eq!(events, 200);
        assert!(tagged > 0);
        let (oldest, newest): (String, String) = store.with(|c| {
            c.query_row(
                "SELECT MIN(json_extract(data, '$.Created_Time')),
                        MAX(json_extract(data, '$.Modified_Time'))
                 FROM crm_records WHERE module = 'Events'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        });
        assert!(oldest.as_str() >= "2025-03-01T00:00:00+00:00", "{oldest}");
        assert!(newest.as_str() < "2026-03-01T00:00:00+00:00", "{newest}");
    }

    #[test]
    fn emails_are_plain_ascii() {
        assert_eq!(email_part("Müller"), "muller");
        assert_eq!(email_part("O'Neil"), "oneil");
    }
}
