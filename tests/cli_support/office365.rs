//! API clients of the demo org and tenant for the Office 365 CLI tests, to change CRM or
//! Office 365 between runs and to look at what a run did.

use projectlink::graph::{GraphClient, GraphCredentials, GraphEndpoints, ItemKind};
use projectlink::office365::state::{ItemLink, LINK_PROPERTY};
use projectlink::zoho::ClientOptions;

use super::Harness;

const TENANT: &str = "7f3c2a10-ace0-4c6e-9d1b-000000000001";
const FOLDER: &str = "Zoho CRM Contacts";

/// Requests that could change CRM or Office 365: Harness::writes less Microsoft's token
/// requests (`/{tenant}/oauth2/v2.0/token`).
pub fn writes(harness: &Harness) -> u64 {
    harness
        .sandbox()
        .counters
        .snapshot()
        .iter()
        .filter(|(k, _)| !k.starts_with("GET ") && !k.contains("token"))
        .map(|(_, v)| v)
        .sum()
}

/// API clients on the harness's sandbox, made once per test: the sandbox, like Zoho, limits
/// how many tokens a grant may take.
pub struct Clients {
    pub crm: projectlink::zoho::ZohoClients,
    pub graph: GraphClient,
}

impl Clients {
    pub fn new(harness: &Harness) -> Clients {
        let base = reqwest::Url::parse(&harness.url).unwrap();
        let creds = GraphCredentials::new(
            TENANT,
            "5b7e9c1d-0000-4a2b-8c3d-000000000001",
            "demo-graph-secret",
        );
        let graph = GraphClient::connect(
            &GraphEndpoints::sandbox(&base),
            &creds,
            &ClientOptions::default(),
        )
        .unwrap();
        Clients {
            crm: harness.demo_admin(),
            graph,
        }
    }

    /// `user`'s mailbox and synced contacts folder: (mailbox id, folder id).
    fn contacts_folder(&self, harness: &Harness, user: &str) -> (String, String) {
        harness.runtime.block_on(async {
            let mailbox = self
                .graph
                .users()
                .await
                .unwrap()
                .into_iter()
                .find(|u| u.user_principal_name.eq_ignore_ascii_case(user))
                .unwrap()
                .id;
            let folder = self
                .graph
                .folders(&mailbox, ItemKind::Contact)
                .await
                .unwrap()
                .into_iter()
                .find(|f| f.name == FOLDER)
                .unwrap();
            (mailbox, folder.id)
        })
    }

    /// The linked contacts of `user`'s synced folder: (item id, CRM record id).
    pub fn synced_contacts(
        &self,
        harness: &Harness,
        user: &str,
    ) -> (String, Vec<(String, String)>) {
        let (mailbox, folder) = self.contacts_folder(harness, user);
        let items = harness
            .runtime
            .block_on(
                self.graph
                    .items(&mailbox, ItemKind::Contact, &folder, &[LINK_PROPERTY]),
            )
            .unwrap();
        let linked = items
            .into_iter()
            .filter_map(|item| {
                let link = ItemLink::parse(item.extended.get(LINK_PROPERTY)?)?;
                Some((item.id, link.crm_id))
            })
            .collect();
        (mailbox, linked)
    }

    /// Deletes `count` of `user`'s synced contacts in Outlook; the CRM ids of their twins.
    pub fn delete_in_outlook(&self, harness: &Harness, user: &str, count: usize) -> Vec<String> {
        let (mailbox, linked) = self.synced_contacts(harness, user);
        assert!(linked.len() >= count, "{user} has {} synced", linked.len());
        harness.runtime.block_on(async {
            for (item, _) in &linked[..count] {
                self.graph
                    .delete_item(&mailbox, ItemKind::Contact, item)
                    .await
                    .unwrap();
            }
        });
        linked[..count].iter().map(|(_, crm)| crm.clone()).collect()
    }

    /// Which of the CRM Contacts records `ids` still exist.
    pub fn existing_contacts(&self, harness: &Harness, ids: &[String]) -> Vec<String> {
        let found = harness
            .runtime
            .block_on(self.crm.crm.records_by_ids("Contacts", ids, &["Last_Name"]))
            .unwrap();
        found
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect()
    }

    /// Sets `patch` on the Outlook item `item` of `user`'s contacts, as its owner would.
    pub fn edit_in_outlook(
        &self,
        harness: &Harness,
        user: &str,
        item: &str,
        patch: serde_json::Value,
    ) {
        let (mailbox, _) = self.synced_contacts(harness, user);
        harness
            .runtime
            .block_on(self.graph.update_item(
                &mailbox,
                ItemKind::Contact,
                item,
                patch.as_object().unwrap(),
                &Default::default(),
            ))
            .unwrap();
    }

    /// Sets `fields` on the CRM Contacts record `id`, as a CRM user would.
    pub fn edit_in_crm(&self, harness: &Harness, id: &str, fields: serde_json::Value) {
        let mut record = fields.as_object().unwrap().clone();
        record.insert("id".into(), id.into());
        let written = harness
            .runtime
            .block_on(self.crm.crm.update_records("Contacts", &[record]))
            .unwrap();
        assert!(written.iter().all(Result::is_ok), "{written:?}");
    }

    /// Adds contacts to `user`'s synced folder in Outlook, as its owner would.
    pub fn create_in_outlook(&self, harness: &Harness, user: &str, bodies: &[serde_json::Value]) {
        let (mailbox, folder) = self.contacts_folder(harness, user);
        for body in bodies {
            harness
                .runtime
                .block_on(self.graph.create_item(
                    &mailbox,
                    ItemKind::Contact,
                    &folder,
                    body.as_object().unwrap(),
                    &Default::default(),
                ))
                .unwrap();
        }
    }

    /// The `Last_Name` of every CRM Contacts record, one per record.
    pub fn crm_contact_names(&self, harness: &Harness) -> Vec<String> {
        let records = harness
            .runtime
            .block_on(
                self.crm
                    .crm
                    .records_modified_since("Contacts", &["Last_Name"], None),
            )
            .unwrap();
        records
            .iter()
            .filter_map(|r| r["Last_Name"].as_str().map(str::to_string))
            .collect()
    }
}
