//! Progress of paged listings: every client's paging loop reports each page it read, so a
//! run reading a large org can say what it is reading (system and module), how many pages
//! and how many records so far. What is shown, and how, is the front end's business.

use std::sync::Arc;

use super::error::System;

/// One page of a listing has been read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRead {
    pub system: System,
    /// What is listed, from the path: `Accounts`, `users`, `projects`, `clients users`.
    pub listing: String,
    /// Pages read so far, this one included.
    pub pages: u32,
    /// Records read so far.
    pub items: usize,
    /// This was the last page.
    pub done: bool,
}

/// Receives every page read.
pub type ListingProgress = Arc<dyn Fn(&PageRead) + Send + Sync>;

/// What a listing's path lists, for people: the path's words without the API's prefix
/// (`crm`, `api`, `restapi`, versions) and without ids, emails or tokens.
pub fn label(path: &str) -> String {
    let words: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .filter(|s| !matches!(*s, "crm" | "api" | "restapi" | "portal"))
        .filter(|s| !is_version(s))
        .filter(|s| !s.chars().any(|c| c.is_ascii_digit() || "@%.=".contains(c)))
        .collect();
    if words.is_empty() {
        path.trim_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        words.join(" ")
    }
}

/// `v8`, `v3`, `v1.0`.
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_what_is_listed_without_ids() {
        let cases = [
            ("/crm/v8/Accounts", "Accounts"),
            ("/crm/v8/Accounts/search", "Accounts search"),
            ("/crm/v8/users", "users"),
            ("/api/v3/portal/7000001/projects", "projects"),
            (
                "/api/v3/portal/7000001/projects/9001/users",
                "projects users",
            ),
            ("/restapi/portal/7000001/clients/", "clients"),
            ("/restapi/portals/", "portals"),
            (
                "/users/ann@acme.com/calendars/AAMkAGI2/events",
                "users calendars events",
            ),
            ("/v1.0/users", "users"),
        ];
        for (path, shown) in cases {
            assert_eq!(label(path), shown, "{path}");
        }
    }
}
