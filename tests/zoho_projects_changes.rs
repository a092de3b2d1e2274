//! The Projects change listing over HTTP against the sandbox: the legacy listing sorted by
//! modified time, read only as far as the changes go, and what does (an update, archiving)
//! and does not (a client association) count as a change of a project.

mod cli_support;

use std::time::Duration;

use cli_support::Harness;
use projectlink::sandbox::generate::{self, GenerateOptions, generate};
use projectlink::zoho::projects::{ProjectFilter, ProjectStatus, ProjectUpdate};
use projectlink::zoho::transport::ApiRequest;
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

const LISTING: &str = "GET /restapi/portal/{portal_id}/projects/";

fn generated(projects: usize) -> (Harness, ZohoClients) {
    let options = GenerateOptions {
        users: 3,
        accounts: 10,
        contacts: 10,
        projects,
        seed: 11,
        ..GenerateOptions::default()
    };
    let h = Harness::with_seed_text(&serde_json::to_string(&generate(&options)).unwrap());
    let creds = ZohoCredentials {
        crm: Credentials::new(
            generate::CLIENT_ID,
            generate::CLIENT_SECRET,
            generate::OWNER_REFRESH_TOKEN,
        ),
        portal: None,
    };
    let url = reqwest::Url::parse(&h.url).unwrap();
    let clients =
        ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default()).unwrap();
    (h, clients)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[test]
fn only_projects_changed_since_are_listed_and_the_listing_stops_there() {
    let (h, zoho) = generated(450);
    let api = &zoho.projects;
    h.runtime.block_on(async {
        let portal = api.portals().await.unwrap().remove(0);
        let all = api
            .projects(&portal.id, ProjectFilter::ActiveAndArchived)
            .await
            .unwrap();
        assert!(all.len() > 400, "{} projects", all.len());

        // Nothing since now: one page read, nothing listed.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let since = now_ms();
        let pages = h.sandbox().counters.get(LISTING);
        let none = api.projects_changed_since(&portal.id, since).await.unwrap();
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(h.sandbox().counters.get(LISTING) - pages, 1);

        // An update and an archiving count; a client association does not.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let update = ProjectUpdate {
            percent_complete: Some(33),
            ..Default::default()
        };
        api.update_project(&portal.id, &all[7].id, &update)
            .await
            .unwrap();
        let archive = ProjectUpdate {
            status: Some(ProjectStatus::Archived),
            ..Default::default()
        };
        api.update_project(&portal.id, &all[300].id, &archive)
            .await
            .unwrap();
        let client = api.clients(&portal.id).await.unwrap().remove(0);
        let unrelated = all
            .iter()
            .rev()
            .find(|p| p.id != all[300].id && p.id != all[7].id)
            .unwrap();
        let associated = api
            .add_project_client(&portal.id, &unrelated.id, &client.id, false)
            .await;
        assert!(associated.is_ok(), "{associated:?}");

        let pages = h.sandbox().counters.get(LISTING);
        let changed = api.projects_changed_since(&portal.id, since).await.unwrap();
        let mut ids: Vec<&str> = changed.iter().map(|p| p.id.as_str()).collect();
        ids.sort();
        let mut expected = vec![all[7].id.as_str(), all[300].id.as_str()];
        expected.sort();
        assert_eq!(ids, expected);
        assert_eq!(changed[0].id, all[300].id, "newest modified first");
        assert_eq!(changed[0].status, ProjectStatus::Archived);
        assert_eq!(
            h.sandbox().counters.get(LISTING) - pages,
            1,
            "one page of {} projects",
            all.len()
        );
    });
}

#[test]
fn a_listing_from_before_every_change_pages_through_all_projects() {
    let (h, zoho) = generated(450);
    let api = &zoho.projects;
    h.runtime.block_on(async {
        let portal = api.portals().await.unwrap().remove(0);
        let all = api
            .projects(&portal.id, ProjectFilter::ActiveAndArchived)
            .await
            .unwrap();
        let pages = h.sandbox().counters.get(LISTING);
        let changed = api.projects_changed_since(&portal.id, 0).await.unwrap();
        assert_eq!(changed.len(), all.len());
        assert_eq!(
            h.sandbox().counters.get(LISTING) - pages,
            3,
            "450 at 200 a page"
        );
        let times: Vec<i64> = changed
            .iter()
            .map(|p| p.last_modified_time_long.unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    });
}

#[test]
fn an_unknown_listing_order_is_refused_with_the_values_it_takes() {
    let (h, zoho) = generated(3);
    let api = &zoho.projects;
    h.runtime.block_on(async {
        let portal = api.portals().await.unwrap().remove(0);
        let path = format!("/restapi/portal/{}/projects/", portal.id);
        for (name, value, expected) in [
            ("sort_order", "sideways", "ascending or descending"),
            ("sort_column", "name", "created_time or last_modified_time"),
        ] {
            let request = ApiRequest::get(path.clone())
                .query("sort_column", "last_modified_time")
                .query(name, value);
            let error = api.transport().send(request).await.unwrap_err();
            let text = error.to_string();
            assert!(text.contains(expected), "{text}");
            assert!(text.contains(value), "{text}");
        }
    });
}
