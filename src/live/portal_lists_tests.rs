//! Unit tests of the listing signals: when a first page and a count let the cache stand.

use super::*;
use crate::live::data::ProjectClientFacts;

fn user(id: &str, email: &str, role: &str) -> ProjectsUser {
    ProjectsUser {
        id: id.into(),
        zpuid: Some(id.into()),
        name: email.into(),
        email: email.into(),
        active: true,
        role: Some(role.into()),
        portal_role_name: None,
        portal_profile_name: None,
    }
}

fn user_id(u: &PortalUserFacts) -> &str {
    &u.id
}

fn same_user(u: &ProjectsUser, cached: &BTreeMap<&str, &PortalUserFacts>) -> bool {
    cached.get(u.id.as_str()) == Some(&&portal_user_facts(u))
}

fn head(items: Vec<ProjectsUser>, count: Option<u64>) -> ListingHead<ProjectsUser> {
    ListingHead {
        items,
        more: true,
        count,
    }
}

#[test]
fn the_cache_stands_only_with_the_same_count_and_an_unchanged_first_page() {
    let cached: Vec<PortalUserFacts> = [
        user("1", "a@x.com", "Manager"),
        user("2", "b@x.com", "Employee"),
        user("3", "c@x.com", "Employee"),
    ]
    .iter()
    .map(portal_user_facts)
    .collect();
    let prior = Prior {
        items: &cached,
        count: 3,
    };
    let page = || vec![user("1", "a@x.com", "Manager")];
    assert!(unchanged(
        &head(page(), Some(3)),
        &prior,
        user_id,
        same_user
    ));
    // One more user somewhere in the listing.
    assert!(!unchanged(
        &head(page(), Some(4)),
        &prior,
        user_id,
        same_user
    ));
    // Zoho gave no count: nothing to compare, so the listing is read whole.
    assert!(!unchanged(&head(page(), None), &prior, user_id, same_user));
    // A role changed on the first page, or a user there the cache does not know.
    let promoted = vec![user("1", "a@x.com", "Employee")];
    assert!(!unchanged(
        &head(promoted, Some(3)),
        &prior,
        user_id,
        same_user
    ));
    let stranger = vec![user("9", "z@x.com", "Manager")];
    assert!(!unchanged(
        &head(stranger, Some(3)),
        &prior,
        user_id,
        same_user
    ));
}

#[test]
fn a_count_is_kept_per_portal() {
    let kept = ListingCount {
        portal_id: "7".into(),
        count: 40,
    };
    assert_eq!(kept_count(Some(&kept), "7"), Some(40));
    assert_eq!(kept_count(Some(&kept), "8"), None, "another portal's");
    assert_eq!(kept_count(None, "7"), None);
    assert_eq!(to_keep("7", Some(40)), Some(kept));
    assert_eq!(to_keep("7", None), None);
}

#[test]
fn a_project_naming_an_unlisted_client_company_calls_for_the_whole_list() {
    let clients = vec![ClientName {
        id: "c1".into(),
        name: "Bowman".into(),
    }];
    let project = |clients: Option<&[&str]>| ProjectFacts {
        id: "p".into(),
        clients: clients.map(|ids| {
            ids.iter()
                .map(|id| ProjectClientFacts {
                    id: id.to_string(),
                    primary: false,
                })
                .collect()
        }),
        ..ProjectFacts::default()
    };
    assert!(!names_unlisted_client(&clients, &[project(None)]));
    assert!(!names_unlisted_client(&clients, &[project(Some(&["c1"]))]));
    assert!(names_unlisted_client(
        &clients,
        &[project(Some(&["c1"])), project(Some(&["c2"]))]
    ));
}
