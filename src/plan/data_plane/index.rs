//! Lookups the data-plane steps make per project, Deal or Contact, built once per plan so
//! planning stays n log n at 100k objects instead of scanning a listing for each item.
//! Where several entries share a key the first in observation order wins, as a scan would.

use std::collections::{HashMap, HashSet};

use crate::live::CrmUserFacts;
use crate::live::data::{ClientFacts, ContactFacts, DataFacts, LinkRecordFacts, ProjectFacts};

/// Borrowed indexes over one [`DataFacts`] and the org's CRM users.
#[derive(Debug, Default)]
pub(crate) struct DataIndex<'a> {
    links_of_project: HashMap<&'a str, Vec<&'a LinkRecordFacts>>,
    project_by_id: HashMap<&'a str, &'a ProjectFacts>,
    project_by_name: HashMap<&'a str, &'a ProjectFacts>,
    /// Keyed by the ASCII-lowercased name: Zoho compares project names that way.
    project_by_folded_name: HashMap<String, &'a ProjectFacts>,
    contact_by_email: HashMap<&'a str, &'a ContactFacts>,
    client_by_id: HashMap<&'a str, &'a ClientFacts>,
    client_by_name: HashMap<&'a str, &'a ClientFacts>,
    crm_user_by_id: HashMap<&'a str, &'a CrmUserFacts>,
    /// Folded names of the projects this plan creates so far.
    created_names: HashSet<String>,
}

impl<'a> DataIndex<'a> {
    pub fn new(data: &'a DataFacts, crm_users: &'a [CrmUserFacts]) -> Self {
        let mut index = DataIndex::default();
        for u in crm_users {
            index.crm_user_by_id.entry(&u.id).or_insert(u);
        }
        for l in &data.link_records {
            if let Some(project) = &l.project_id {
                index.links_of_project.entry(project).or_default().push(l);
            }
        }
        for p in &data.projects {
            index.project_by_id.entry(&p.id).or_insert(p);
            index.project_by_name.entry(&p.name).or_insert(p);
            index
                .project_by_folded_name
                .entry(p.name.to_ascii_lowercase())
                .or_insert(p);
        }
        for c in &data.contacts {
            index.contact_by_email.entry(&c.email).or_insert(c);
        }
        for c in &data.clients {
            index.client_by_id.entry(&c.id).or_insert(c);
            index.client_by_name.entry(&c.name).or_insert(c);
        }
        index
    }

    /// The project's link record (the first, if there are several).
    pub fn link_of_project(&self, project_id: &str) -> Option<&'a LinkRecordFacts> {
        self.links_of_project(project_id).first().copied()
    }

    /// Every link record that names the project, in observation order.
    pub fn links_of_project(&self, project_id: &str) -> &[&'a LinkRecordFacts] {
        self.links_of_project
            .get(project_id)
            .map_or(&[], Vec::as_slice)
    }

    pub fn project(&self, id: &str) -> Option<&'a ProjectFacts> {
        self.project_by_id.get(id).copied()
    }

    /// The project with exactly this name.
    pub fn project_named(&self, name: &str) -> Option<&'a ProjectFacts> {
        self.project_by_name.get(name).copied()
    }

    /// The project whose name equals `name` ignoring ASCII case.
    pub fn project_named_folded(&self, name: &str) -> Option<&'a ProjectFacts> {
        self.project_by_folded_name
            .get(&name.to_ascii_lowercase())
            .copied()
    }

    pub fn contact_with_email(&self, email: &str) -> Option<&'a ContactFacts> {
        self.contact_by_email.get(email).copied()
    }

    pub fn client(&self, id: &str) -> Option<&'a ClientFacts> {
        self.client_by_id.get(id).copied()
    }

    pub fn client_named(&self, name: &str) -> Option<&'a ClientFacts> {
        self.client_by_name.get(name).copied()
    }

    pub fn crm_user(&self, id: &str) -> Option<&'a CrmUserFacts> {
        self.crm_user_by_id.get(id).copied()
    }

    /// Whether this plan already creates a project of this name (ignoring ASCII case).
    pub fn creates_project_named(&self, name: &str) -> bool {
        self.created_names.contains(&name.to_ascii_lowercase())
    }

    /// Notes a project creation this plan makes.
    pub fn note_created_project(&mut self, name: &str) {
        self.created_names.insert(name.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: &str, project: &str) -> LinkRecordFacts {
        LinkRecordFacts {
            id: id.into(),
            project_id: Some(project.into()),
            ..Default::default()
        }
    }

    fn project(id: &str, name: &str) -> ProjectFacts {
        ProjectFacts {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_first_entry_of_a_key_wins_as_a_scan_would_find_it() {
        let data = DataFacts {
            projects: vec![project("1", "Fit-out"), project("2", "FIT-OUT")],
            link_records: vec![link("a", "1"), link("b", "2"), link("c", "1")],
            ..Default::default()
        };
        let index = DataIndex::new(&data, &[]);
        assert_eq!(index.link_of_project("1").map(|l| l.id.as_str()), Some("a"));
        let ids: Vec<&str> = index
            .links_of_project("1")
            .iter()
            .map(|l| l.id.as_str())
            .collect();
        assert_eq!(ids, ["a", "c"]);
        assert!(index.links_of_project("9").is_empty());
        assert_eq!(
            index.project_named("FIT-OUT").map(|p| p.id.as_str()),
            Some("2")
        );
        assert_eq!(
            index.project_named_folded("fit-OUT").map(|p| p.id.as_str()),
            Some("1")
        );
        assert!(index.project("3").is_none());
    }

    #[test]
    fn names_created_in_the_plan_are_remembered_ignoring_case() {
        let data = DataFacts::default();
        let mut index = DataIndex::new(&data, &[]);
        assert!(!index.creates_project_named("Showroom"));
        index.note_created_project("Showroom");
        assert!(index.creates_project_named("SHOWROOM"));
    }
}
