//! The Zoho CRM v8 client: typed calls for every endpoint the reconciler and the Office 365
//! sync use, with reads paged to the end and writes split into Zoho's batch sizes and run
//! concurrently within the transport's concurrency limit.

mod api_impl;
pub mod changes;
pub mod criteria;
pub mod inputs;
mod metadata;
mod records;
mod schema;
pub mod types;

use std::sync::Arc;

use futures::future::join_all;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, ItemError, ZohoError};
use super::response::{self, ItemOutcome};
use super::stats::ApiStatsSnapshot;
pub(crate) use super::transport::segment;
use super::transport::{ApiRequest, ApiResponse, Transport};
use super::transport::{MAX_PAGES, endless_listing};

pub use inputs::*;
pub use types::*;

/// Path prefix of every CRM call.
pub const CRM_PREFIX: &str = "/crm/v8";
/// Largest `per_page` Zoho accepts.
pub const MAX_PER_PAGE: u32 = 200;
/// `page × per_page` may not exceed this; beyond it, listings continue with `page_token`.
pub const PAGE_NUMBER_REACH: u32 = 2000;
/// Records per insert/update/upsert/delete call.
pub const RECORD_BATCH: usize = 100;
/// Custom fields per create call.
pub const FIELD_BATCH: usize = 25;

/// Client for one CRM org. Cheap to clone; clones share the transport (and so the token,
/// the concurrency limit and the counters).
#[derive(Debug, Clone)]
pub struct CrmClient {
    transport: Arc<Transport>,
}

/// What `info` says about the rest of a listing.
#[derive(Debug, Default)]
struct PageInfo {
    more_records: bool,
    next_page_token: Option<String>,
}

impl PageInfo {
    fn of(body: Option<&Value>) -> PageInfo {
        let info = body.and_then(|b| b.get("info"));
        PageInfo {
            more_records: info
                .and_then(|i| i.get("more_records"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            next_page_token: info
                .and_then(|i| i.get("next_page_token"))
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        }
    }
}

impl CrmClient {
    pub fn new(transport: Arc<Transport>) -> CrmClient {
        CrmClient { transport }
    }

    /// The transport every call goes through, for read-only probes that need the raw
    /// answer (`projectlink doctor` checks response shapes against the client's types).
    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    /// Counters of every client sharing this client's statistics.
    pub fn stats(&self) -> ApiStatsSnapshot {
        self.transport.stats().snapshot()
    }

    /// The quota refusal (spent daily credits) that stopped this org's calls, if one did.
    pub fn quota_exhausted(&self) -> Option<super::quota::QuotaExceeded> {
        self.transport.quota_exhausted()
    }

    fn path(tail: &str) -> String {
        format!("{CRM_PREFIX}{tail}")
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ZohoError> {
        self.transport.send(request).await
    }

    /// One GET whose answer is `{"<key>":[...]}` (or 204 for none).
    async fn list<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
        key: &str,
    ) -> Result<Vec<T>, ZohoError> {
        let answer = self.send(request).await?;
        take_list(answer.body, key, &answer.request)
    }

    /// Every page of a `page`/`per_page` listing, following `info.more_records`.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
        key: &str,
    ) -> Result<Vec<T>, ZohoError> {
        let mut all = Vec::new();
        for page in 1u32.. {
            let paged = request
                .clone()
                .query("page", page.to_string())
                .query("per_page", MAX_PER_PAGE.to_string());
            let answer = self.send(paged).await?;
            let info = PageInfo::of(answer.body.as_ref());
            let items: Vec<T> = take_list(answer.body, key, &answer.request)?;
            let done = items.is_empty() || !info.more_records;
            all.extend(items);
            self.transport.page_read(&request, page, all.len(), done);
            if done {
                break;
            }
            if page >= MAX_PAGES {
                return Err(endless_listing(&answer.request));
            }
        }
        Ok(all)
    }

    /// A write of exactly one item whose refusal is an error of the whole call.
    async fn write_one(&self, request: ApiRequest, key: &str) -> Result<Value, ZohoError> {
        let answer = self.transport.send_batch(request, key).await?;
        let mut items = response::item_results(answer.body.as_ref(), key, 1, &answer.request)?;
        match items.pop() {
            Some(Ok(item)) => Ok(item),
            Some(Err(ItemError::Rejected {
                code,
                message,
                details,
            })) => Err(ApiError {
                status: answer.status,
                code,
                message,
                details,
                request: answer.request,
                retry_after: None,
            }
            .into()),
            Some(Err(ItemError::Request(e))) => Err(ZohoError::decode(
                &answer.request,
                format!("unexpected request failure: {e}"),
            )),
            None => Err(ZohoError::decode(&answer.request, "empty answer")),
        }
    }

    /// A single-item create; returns the new object's `details.id`.
    async fn create_one(&self, request: ApiRequest, key: &str) -> Result<String, ZohoError> {
        let description = self.transport.describe(&request);
        let item = self.write_one(request, key).await?;
        response::item_id(&item)
            .ok_or_else(|| ZohoError::decode(&description, "created, but the answer has no id"))
    }

    /// Sends batches concurrently (the transport's semaphore bounds them) and returns one
    /// outcome per input item, in input order; a batch that fails as a whole fails each of
    /// its items with the same shared error.
    async fn write_batches(
        &self,
        batches: Vec<(usize, ApiRequest)>,
        key: &str,
    ) -> Vec<ItemOutcome> {
        let sends = batches.into_iter().map(|(len, request)| async move {
            let outcome = match self.transport.send_batch(request, key).await {
                Ok(answer) => {
                    response::item_results(answer.body.as_ref(), key, len, &answer.request)
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(items) => items,
                Err(e) => {
                    let shared = Arc::new(e);
                    (0..len)
                        .map(|_| Err(ItemError::Request(shared.clone())))
                        .collect()
                }
            }
        });
        join_all(sends).await.into_iter().flatten().collect()
    }
}

/// `body[key]` decoded as a list; no body (204) is an empty list.
fn take_list<T: DeserializeOwned>(
    body: Option<Value>,
    key: &str,
    request: &super::error::RequestDescription,
) -> Result<Vec<T>, ZohoError> {
    let Some(mut body) = body else {
        return Ok(Vec::new());
    };
    match body.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| response::decode(item, request, key))
            .collect(),
        Some(Value::Null) | None => Err(ZohoError::decode(
            request,
            format!("no {key:?} list in the answer"),
        )),
        Some(_) => Err(ZohoError::decode(request, format!("{key:?} is not a list"))),
    }
}
