//! [`GraphClient`]: the calls behind [`GraphApi`], each a request (or a chain of pages) through
//! the shared transport, plus Outlook's limit of four concurrent requests per mailbox.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use reqwest::{Method, Url};
use serde_json::{Map, Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::MISSING_MAILBOX_CODES;
use super::links::{request_for, request_for_relative, segment};
use super::{
    DeltaFrom, DeltaOutcome, GraphApi, GraphCredentials, GraphEndpoints, GraphError, GraphFolder,
    GraphItem, GraphUser, ItemKind, wire,
};
use crate::zoho::auth::{AccessToken, TokenSource};
use crate::zoho::transport::{
    ApiRequest, ApiResponse, MAX_PAGES, Transport, TransportParts, endless_listing,
};
use crate::zoho::{ApiStats, ApiStatsSnapshot, ClientOptions, System};

/// Outlook serves at most four requests at once per app and mailbox; more are answered 429.
pub const MAILBOX_CONCURRENCY: usize = 4;
/// Users per page (Graph's largest).
pub const USERS_PAGE: u32 = 999;
/// Events or contacts per page of a folder listing (Graph's largest).
pub const ITEMS_PAGE: u32 = 1000;
/// Times an item create is sent when its answers are lost: each loss is followed by a look
/// for the item before the next send.
const CREATE_ATTEMPTS: u32 = 3;

/// Client for one tenant's Graph. Cheap to clone; clones share the token, the concurrency
/// limits and the counters.
#[derive(Debug, Clone)]
pub struct GraphClient {
    transport: Arc<Transport>,
    /// Graph's versioned root; every link followed must lie below it.
    root: Url,
    mailboxes: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl GraphClient {
    /// Builds the client; no request is sent until the first call.
    pub fn connect(
        endpoints: &GraphEndpoints,
        credentials: &GraphCredentials,
        options: &ClientOptions,
    ) -> Result<GraphClient, GraphError> {
        let http = options.http_client()?;
        let stats = Arc::new(ApiStats::default());
        let tokens = TokenSource::client_credentials(
            http.clone(),
            &endpoints.login,
            credentials.clone(),
            options.retry.clone(),
            stats.clone(),
        )?
        .with_notice(options.wait_notice.clone());
        let transport = Transport::new(TransportParts {
            system: System::Graph,
            http,
            base: endpoints.graph.clone(),
            follow_api_domain: false,
            tokens: Arc::new(tokens),
            limiter: Arc::new(Semaphore::new(options.concurrency.max(1))),
            retry: options.retry.clone(),
            stats,
            fault: options.fault_script.clone(),
            pacer: None,
            notice: options.wait_notice.clone(),
            progress: options.progress.clone(),
        });
        Ok(GraphClient {
            transport: Arc::new(transport),
            root: endpoints.graph.clone(),
            mailboxes: Arc::default(),
        })
    }

    /// The transport every call goes through (its token source tells a read-only probe the
    /// app's permissions).
    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    /// An app token from the identity platform (the cached one while it lasts); a read-only
    /// probe reads the app's permissions from it.
    pub async fn token(&self) -> Result<AccessToken, GraphError> {
        Ok(self.transport.tokens().token().await?)
    }

    /// Counters of this client's calls (Graph calls, 429s, retries, token requests).
    pub fn stats(&self) -> ApiStatsSnapshot {
        self.transport.stats().snapshot()
    }

    /// `GET /users/...?...`, as errors name a request.
    pub(super) fn describe(&self, request: &ApiRequest) -> crate::zoho::RequestDescription {
        self.transport.describe(request)
    }

    /// Waits for one of the mailbox's request slots.
    async fn mailbox_slot(&self, user: &str) -> Result<OwnedSemaphorePermit, GraphError> {
        let gate = {
            let mut map = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(user.to_lowercase())
                .or_insert_with(|| Arc::new(Semaphore::new(MAILBOX_CONCURRENCY)))
                .clone()
        };
        gate.acquire_owned()
            .await
            .map_err(|_| GraphError::InvalidInput("the client was shut down".into()))
    }

    /// Sends one call, within the mailbox's slots when it concerns a mailbox.
    pub(super) async fn send(
        &self,
        request: ApiRequest,
        mailbox: Option<&str>,
    ) -> Result<ApiResponse, GraphError> {
        let _slot = match mailbox {
            Some(user) => Some(self.mailbox_slot(user).await?),
            None => None,
        };
        Ok(self.transport.send(request).await?)
    }

    /// The request a link from an answer to `answered` stands for, carrying `previous`'s
    /// headers (Graph wants `Prefer` repeated on every page).
    pub(super) fn follow(
        &self,
        link: &str,
        previous: &ApiRequest,
        answered: &crate::zoho::RequestDescription,
    ) -> Result<ApiRequest, GraphError> {
        let mut next = request_for(&self.root, link).map_err(|why| {
            GraphError::malformed(answered, format!("refusing to follow a link that {why}"))
        })?;
        next.headers = previous.headers.clone();
        Ok(next)
    }

    /// A caller-supplied link (a stored delta link) as a request.
    pub(super) fn request_from_link(&self, link: &str) -> Result<ApiRequest, GraphError> {
        let request = if link.starts_with('/') {
            request_for_relative(link)
        } else {
            request_for(&self.root, link)
        };
        request.map_err(|why| {
            GraphError::InvalidInput(format!(
                "refusing to follow a Microsoft Graph link that {why}"
            ))
        })
    }

    /// Every entry of every page of a listing, following `@odata.nextLink`.
    async fn all_pages(
        &self,
        first: ApiRequest,
        mailbox: Option<&str>,
    ) -> Result<Vec<Value>, GraphError> {
        let mut request = first.clone();
        let mut all = Vec::new();
        for pages in 1..=MAX_PAGES {
            let answer = self.send(request.clone(), mailbox).await?;
            let mut page = wire::object(answer.body, &answer.request)?;
            all.extend(wire::take_values(&mut page, &answer.request)?);
            let next = wire::link(&page, "@odata.nextLink");
            self.transport
                .page_read(&first, pages, all.len(), next.is_none());
            match next {
                Some(next) => request = self.follow(next, &request, &answer.request)?,
                None => return Ok(all),
            }
        }
        Err(endless_listing(&self.describe(&request)).into())
    }

    pub(super) fn user_path(user: &str) -> Result<String, GraphError> {
        Ok(format!("/users/{}", segment(user, "user")?))
    }

    fn folders_path(user: &str, kind: ItemKind) -> Result<String, GraphError> {
        Ok(format!("{}/{}", Self::user_path(user)?, kind.folders()))
    }

    pub(super) fn folder_path(
        user: &str,
        kind: ItemKind,
        folder_id: &str,
    ) -> Result<String, GraphError> {
        Ok(format!(
            "{}/{}",
            Self::folders_path(user, kind)?,
            segment(folder_id, "folder id")?
        ))
    }

    /// `/users/{u}/events/{id}` or `/users/{u}/contacts/{id}`.
    fn item_path(user: &str, kind: ItemKind, item_id: &str) -> Result<String, GraphError> {
        Ok(format!(
            "{}/{}/{}",
            Self::user_path(user)?,
            kind.items(),
            segment(item_id, "item id")?
        ))
    }

    pub async fn users(&self) -> Result<Vec<GraphUser>, GraphError> {
        let request = ApiRequest::get("/users")
            .query("$top", USERS_PAGE.to_string())
            .query(
                "$select",
                "id,userPrincipalName,mail,displayName,accountEnabled",
            );
        let description = self.describe(&request);
        let values = self.all_pages(request, None).await?;
        values.iter().map(|v| wire::user(v, &description)).collect()
    }

    pub async fn folders(
        &self,
        user: &str,
        kind: ItemKind,
    ) -> Result<Vec<GraphFolder>, GraphError> {
        let request = ApiRequest::get(Self::folders_path(user, kind)?);
        let description = self.describe(&request);
        let values = self.all_pages(request, Some(user)).await?;
        values
            .iter()
            .map(|v| wire::folder(kind, v, &description))
            .collect()
    }

    pub async fn create_folder(
        &self,
        user: &str,
        kind: ItemKind,
        name: &str,
    ) -> Result<GraphFolder, GraphError> {
        let request = ApiRequest::new(Method::POST, Self::folders_path(user, kind)?)
            .json(json!({ kind.folder_name_property(): name }))
            .at_most_once();
        let mut sent = 0;
        loop {
            sent += 1;
            let failure = match self.send(request.clone(), Some(user)).await {
                Ok(answer) => {
                    let body = answer.body.unwrap_or(Value::Null);
                    return wire::folder(kind, &body, &answer.request);
                }
                Err(e) if e.outcome_unknown() => e,
                Err(e) => return Err(e),
            };
            // As for items: a folder of that name is this create, carried out unanswered.
            let folders = self.folders(user, kind).await?;
            if let Some(folder) = folders.into_iter().find(|f| f.name == name) {
                return Ok(folder);
            }
            if sent >= CREATE_ATTEMPTS {
                return Err(failure);
            }
        }
    }

    pub async fn delete_folder(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
    ) -> Result<(), GraphError> {
        let request = ApiRequest::new(Method::DELETE, Self::folder_path(user, kind, folder_id)?);
        gone_is_fine(self.send(request, Some(user)).await)
    }

    pub async fn items(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        extended_ids: &[&str],
    ) -> Result<Vec<GraphItem>, GraphError> {
        let path = format!(
            "{}/{}",
            Self::folder_path(user, kind, folder_id)?,
            kind.items()
        );
        let mut request = ApiRequest::get(path).query("$top", ITEMS_PAGE.to_string());
        if kind == ItemKind::Event {
            // Outlook returns bodies as HTML unless asked; the sync compares and writes text.
            request = request.header("Prefer", "outlook.body-content-type=\"text\"");
        }
        if !extended_ids.is_empty() {
            request = request.query("$expand", wire::expand_extended(extended_ids));
        }
        let description = self.describe(&request);
        let values = self.all_pages(request, Some(user)).await?;
        values
            .into_iter()
            .map(|v| wire::item(v, extended_ids, &description))
            .collect()
    }

    pub async fn create_item(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        body: &Map<String, Value>,
        extended: &BTreeMap<String, String>,
    ) -> Result<GraphItem, GraphError> {
        let path = format!(
            "{}/{}",
            Self::folder_path(user, kind, folder_id)?,
            kind.items()
        );
        let request = ApiRequest::new(Method::POST, path)
            .json(wire::item_body(body, extended)?)
            .at_most_once();
        let mut sent = 0;
        loop {
            sent += 1;
            let failure = match self.write_item(request.clone(), user, extended).await {
                Err(e) if e.outcome_unknown() && !extended.is_empty() => e,
                done => return done,
            };
            // The create may have been carried out with its answer lost: an item carrying the
            // same link is that create, and sending it again would make a second one.
            if let Some(item) = self
                .find_linked_item(user, kind, folder_id, extended)
                .await?
            {
                return Ok(item);
            }
            if sent >= CREATE_ATTEMPTS {
                return Err(failure);
            }
        }
    }

    /// The item of a folder whose extended properties hold every value of `extended`.
    async fn find_linked_item(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        extended: &BTreeMap<String, String>,
    ) -> Result<Option<GraphItem>, GraphError> {
        let ids: Vec<&str> = extended.keys().map(String::as_str).collect();
        let items = self.items(user, kind, folder_id, &ids).await?;
        Ok(items.into_iter().find(|item| {
            extended.iter().all(|(id, value)| {
                item.extended
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case(id) && v == value)
            })
        }))
    }

    pub async fn update_item(
        &self,
        user: &str,
        kind: ItemKind,
        item_id: &str,
        patch: &Map<String, Value>,
        extended: &BTreeMap<String, String>,
    ) -> Result<GraphItem, GraphError> {
        let request = ApiRequest::new(Method::PATCH, Self::item_path(user, kind, item_id)?)
            .json(wire::item_body(patch, extended)?);
        self.write_item(request, user, extended).await
    }

    /// Sends a create or PATCH and reads the item it answers with; Graph does not echo
    /// extended properties, so the ones written are added back.
    async fn write_item(
        &self,
        request: ApiRequest,
        user: &str,
        extended: &BTreeMap<String, String>,
    ) -> Result<GraphItem, GraphError> {
        let answer = self.send(request, Some(user)).await?;
        let body = answer.body.unwrap_or(Value::Null);
        let ids: Vec<&str> = extended.keys().map(String::as_str).collect();
        let mut item = wire::item(body, &ids, &answer.request)?;
        for (id, value) in extended {
            item.extended.insert(id.clone(), value.clone());
        }
        Ok(item)
    }

    pub async fn delete_item(
        &self,
        user: &str,
        kind: ItemKind,
        item_id: &str,
    ) -> Result<(), GraphError> {
        let request = ApiRequest::new(Method::DELETE, Self::item_path(user, kind, item_id)?);
        gone_is_fine(self.send(request, Some(user)).await)
    }
}

/// A delete answered 404 for the item or folder itself already happened; a 404 for the
/// mailbox (unknown user, no mailbox: [`MISSING_MAILBOX_CODES`]) is still an error.
fn gone_is_fine(result: Result<ApiResponse, GraphError>) -> Result<(), GraphError> {
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.status() == Some(404)
                && !e.code().is_some_and(|c| MISSING_MAILBOX_CODES.contains(&c)) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

impl GraphApi for GraphClient {
    fn users(&self) -> impl Future<Output = Result<Vec<GraphUser>, GraphError>> + Send {
        GraphClient::users(self)
    }

    fn folders(
        &self,
        user: &str,
        kind: ItemKind,
    ) -> impl Future<Output = Result<Vec<GraphFolder>, GraphError>> + Send {
        GraphClient::folders(self, user, kind)
    }

    fn create_folder(
        &self,
        user: &str,
        kind: ItemKind,
        name: &str,
    ) -> impl Future<Output = Result<GraphFolder, GraphError>> + Send {
        GraphClient::create_folder(self, user, kind, name)
    }

    fn delete_folder(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        GraphClient::delete_folder(self, user, kind, folder_id)
    }

    fn items(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        extended_ids: &[&str],
    ) -> impl Future<Output = Result<Vec<GraphItem>, GraphError>> + Send {
        GraphClient::items(self, user, kind, folder_id, extended_ids)
    }

    fn create_item(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        body: &Map<String, Value>,
        extended: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<GraphItem, GraphError>> + Send {
        GraphClient::create_item(self, user, kind, folder_id, body, extended)
    }

    fn update_item(
        &self,
        user: &str,
        kind: ItemKind,
        item_id: &str,
        patch: &Map<String, Value>,
        extended: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<GraphItem, GraphError>> + Send {
        GraphClient::update_item(self, user, kind, item_id, patch, extended)
    }

    fn delete_item(
        &self,
        user: &str,
        kind: ItemKind,
        item_id: &str,
    ) -> impl Future<Output = Result<(), GraphError>> + Send {
        GraphClient::delete_item(self, user, kind, item_id)
    }

    fn delta(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        from: &DeltaFrom,
        page_size: u32,
    ) -> impl Future<Output = Result<DeltaOutcome, GraphError>> + Send {
        GraphClient::delta(self, user, kind, folder_id, from, page_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoho::{ApiError, RequestDescription, ZohoError};

    fn api(status: u16, code: &str) -> Result<ApiResponse, GraphError> {
        let request = RequestDescription {
            system: System::Graph,
            method: "DELETE".into(),
            target: "/users/pat@acme.com/events/x".into(),
        };
        Err(ZohoError::from(ApiError::new(status, code, "m", request)).into())
    }

    #[test]
    fn deleting_what_is_gone_succeeds_but_a_missing_mailbox_does_not() {
        assert!(gone_is_fine(api(404, "ErrorItemNotFound")).is_ok());
        assert!(gone_is_fine(api(404, "ErrorInvalidUser")).is_err());
        assert!(gone_is_fine(api(404, "MailboxNotEnabledForRESTAPI")).is_err());
        assert!(gone_is_fine(api(403, "ErrorAccessDenied")).is_err());
    }

    #[test]
    fn paths_encode_users_and_ids() {
        assert_eq!(
            GraphClient::item_path("jo#EXT#@acme.com", ItemKind::Event, "AAMk=").unwrap(),
            "/users/jo%23EXT%23@acme.com/events/AAMk%3D"
        );
        assert_eq!(
            GraphClient::folder_path("pat@acme.com", ItemKind::Contact, "f/1").unwrap(),
            "/users/pat@acme.com/contactFolders/f%2F1"
        );
        assert!(GraphClient::user_path("").is_err());
    }
}
