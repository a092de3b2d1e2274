//! Delta rounds: a folder's changes since a delta link (or every item, for a first round),
//! read page by page to the round's `@odata.deltaLink`, with tombstones for deleted items and
//! an expired sync state reported as [`DeltaOutcome::Expired`] rather than as an error.

use std::collections::HashMap;

use super::client::GraphClient;
use super::{
    DEFAULT_FUTURE_DAYS, DEFAULT_PAST_DAYS, DeltaFrom, DeltaOutcome, DeltaRound, EventWindow,
    GraphError, GraphItem, ItemKind, wire,
};
use crate::zoho::transport::ApiRequest;

/// Most pages one round follows. Far above any listing's cap because the caller chooses the
/// page size: a first round over 50,000 contacts at 10 per page is 5,000 pages.
pub const MAX_DELTA_PAGES: u32 = 200_000;

/// Codes with which Graph says it no longer knows a sync state. Outlook answers 410
/// `SyncStateNotFound`; directory resources answer 400 with `syncStateNotFound`, and some
/// services use `resyncRequired` or `SyncStateInvalid` for a token they cannot read.
const EXPIRED_CODES: &[&str] = &[
    "SyncStateNotFound",
    "SyncStateInvalid",
    "resyncRequired",
    "ErrorInvalidSyncStateData",
];

/// Whether an error means "start over without a token".
pub(crate) fn is_expired(error: &GraphError) -> bool {
    match error.status() {
        Some(410) => true,
        Some(400) => error
            .code()
            .is_some_and(|c| EXPIRED_CODES.iter().any(|e| e.eq_ignore_ascii_case(c))),
        _ => false,
    }
}

/// A round's entries, each id kept once in its latest state (an item may change and then
/// be deleted while a round is being read).
#[derive(Default)]
struct Collected {
    order: Vec<String>,
    latest: HashMap<String, Option<GraphItem>>,
}

impl Collected {
    fn record(&mut self, id: String, item: Option<GraphItem>) {
        if self.latest.insert(id.clone(), item).is_none() {
            self.order.push(id);
        }
    }

    fn finish(mut self, delta_link: String) -> DeltaRound {
        let mut changed = Vec::new();
        let mut removed = Vec::new();
        for id in self.order {
            match self.latest.remove(&id).flatten() {
                Some(item) => changed.push(item),
                None => removed.push(id),
            }
        }
        DeltaRound {
            changed,
            removed,
            delta_link,
        }
    }
}

impl GraphClient {
    /// The first request of a round.
    fn delta_start(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        from: &DeltaFrom,
    ) -> Result<ApiRequest, GraphError> {
        match from {
            DeltaFrom::Link(link) => self.request_from_link(link),
            DeltaFrom::Start | DeltaFrom::Window(_) => {
                let folder = Self::folder_path(user, kind, folder_id)?;
                Ok(match kind {
                    ItemKind::Event => {
                        let window = match from {
                            DeltaFrom::Window(window) => *window,
                            _ => EventWindow::around(
                                chrono::Utc::now(),
                                DEFAULT_PAST_DAYS,
                                DEFAULT_FUTURE_DAYS,
                            ),
                        };
                        let (start, end) = window.query_bounds();
                        ApiRequest::get(format!("{folder}/calendarView/delta"))
                            .query("startDateTime", start)
                            .query("endDateTime", end)
                    }
                    ItemKind::Contact => ApiRequest::get(format!("{folder}/contacts/delta")),
                })
            }
        }
    }

    pub async fn delta(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        from: &DeltaFrom,
        page_size: u32,
    ) -> Result<DeltaOutcome, GraphError> {
        let mut request = self
            .delta_start(user, kind, folder_id, from)?
            .header("Prefer", format!("odata.maxpagesize={}", page_size.max(1)));
        let mut collected = Collected::default();
        for _ in 0..MAX_DELTA_PAGES {
            let answer = match self.send(request.clone(), Some(user)).await {
                Ok(answer) => answer,
                Err(e) if is_expired(&e) => return Ok(DeltaOutcome::Expired),
                Err(e) => return Err(e),
            };
            let mut page = wire::object(answer.body, &answer.request)?;
            for entry in wire::take_values(&mut page, &answer.request)? {
                match wire::removed_id(&entry, &answer.request)? {
                    Some(id) => collected.record(id, None),
                    None => {
                        let item = wire::item(entry, &[], &answer.request)?;
                        collected.record(item.id.clone(), Some(item));
                    }
                }
            }
            if let Some(next) = wire::link(&page, "@odata.nextLink") {
                request = self.follow(next, &request, &answer.request)?;
                continue;
            }
            let Some(delta_link) = wire::link(&page, "@odata.deltaLink") else {
                return Err(GraphError::malformed(
                    &answer.request,
                    "a delta page with neither @odata.nextLink nor @odata.deltaLink",
                ));
            };
            // Checked now, so a link that could never be followed fails this round rather
            // than the next one.
            let next_round = self.follow(delta_link, &request, &answer.request)?;
            return Ok(DeltaOutcome::Round(
                collected.finish(super::links::relative_link(&next_round)),
            ));
        }
        Err(GraphError::malformed(
            &self.describe(&request),
            format!("the delta round did not end after {MAX_DELTA_PAGES} pages"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoho::{ApiError, RequestDescription, System, ZohoError};

    fn error(status: u16, code: &str) -> GraphError {
        let request = RequestDescription {
            system: System::Graph,
            method: "GET".into(),
            target: "/users/u/contactFolders/f/contacts/delta".into(),
        };
        ZohoError::from(ApiError::new(status, code, "m", request)).into()
    }

    #[test]
    fn gone_and_unknown_sync_states_mean_start_over() {
        assert!(is_expired(&error(410, "SyncStateNotFound")));
        assert!(is_expired(&error(410, "resyncRequired")));
        assert!(is_expired(&error(400, "syncStateNotFound")));
        assert!(!is_expired(&error(400, "BadRequest")));
        assert!(!is_expired(&error(404, "ErrorItemNotFound")));
        assert!(!is_expired(&error(429, "ApplicationThrottled")));
    }

    fn item(id: &str) -> GraphItem {
        GraphItem {
            id: id.into(),
            last_modified: None,
            properties: Default::default(),
            extended: Default::default(),
        }
    }

    #[test]
    fn the_latest_entry_for_an_id_wins() {
        let mut c = Collected::default();
        c.record("a".into(), Some(item("a")));
        c.record("b".into(), Some(item("b")));
        c.record("a".into(), None);
        c.record("c".into(), None);
        c.record("c".into(), Some(item("c")));
        let round = c.finish("link".into());
        let changed: Vec<&str> = round.changed.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(changed, ["b", "c"]);
        assert_eq!(round.removed, ["a"]);
        assert_eq!(round.delta_link, "link");
    }
}
