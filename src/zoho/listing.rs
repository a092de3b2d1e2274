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

/// Off a terminal, a listing says how far it got every this many pages, and how it ended
/// when it had at least this many.
pub const PAGES_PER_LINE: u32 = 5;

/// The plain line (for a log, not a terminal) a page calls for, if any: one every
/// [`PAGES_PER_LINE`] pages, and one at the end of a listing that long; short listings say
/// nothing.
pub fn plain_line(page: &PageRead) -> Option<String> {
    let what = format!("{} {}", page.system, page.listing);
    let (pages, items) = (page.pages, page.items);
    if page.done {
        return (pages >= PAGES_PER_LINE)
            .then(|| format!("read {what}: {items} records in {pages} pages"));
    }
    pages
        .is_multiple_of(PAGES_PER_LINE)
        .then(|| format!("reading {what}: {pages} pages, {items} records so far"))
}

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

    fn page(pages: u32, items: usize, done: bool) -> PageRead {
        PageRead {
            system: System::Crm,
            listing: "Accounts".into(),
            pages,
            items,
            done,
        }
    }

    #[test]
    fn a_listing_speaks_every_fifth_page_and_at_the_end_of_a_long_one() {
        let lines: Vec<String> = (1..=12)
            .filter_map(|n| plain_line(&page(n, n as usize * 200, n == 12)))
            .collect();
        assert_eq!(
            lines,
            [
                "reading Zoho CRM Accounts: 5 pages, 1000 records so far",
                "reading Zoho CRM Accounts: 10 pages, 2000 records so far",
                "read Zoho CRM Accounts: 2400 records in 12 pages",
            ]
        );
        assert_eq!(plain_line(&page(1, 3, true)), None);
        assert_eq!(plain_line(&page(4, 800, true)), None);
    }

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
