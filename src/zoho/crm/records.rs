//! Records: listings paged to the end (page numbers up to Zoho's 2,000-record reach, then
//! `page_token`, restarted past its 100,000-record reach), search with its 2,000-result cap
//! made visible, counts, and batched writes with per-item results in input order.

use reqwest::Method;
use serde_json::{Value, json};

use super::changes::{LISTING_REACH, is_modified_time};
use super::inputs::{RecordQuery, SearchResult, UpsertAction, WriteOutcome, WriteResult};
use super::types::Record;
use super::{CrmClient, MAX_PER_PAGE, PAGE_NUMBER_REACH, PageInfo, RECORD_BATCH, segment};
use crate::zoho::error::{ItemError, ZohoError};
use crate::zoho::lenient;
use crate::zoho::response::{self, ItemOutcome};
use crate::zoho::transport::{ApiRequest, MAX_PAGES, endless_listing};

impl CrmClient {
    pub(super) fn module_path(module: &str, tail: &str) -> Result<String, ZohoError> {
        Ok(Self::path(&format!(
            "/{}{tail}",
            segment(module, "module API name")?
        )))
    }

    /// `GET /{module}` through every record. Zoho requires the field list.
    ///
    /// With the default query the listing is sorted by `Modified_Time` and restarted past
    /// Zoho's 100,000-record paging reach (see [`Self::listing_by_modified_time`]), so a module
    /// of any size is read whole; the records come oldest change first and carry exactly
    /// `fields`. A listing in another order or of a custom view cannot be restarted: past the
    /// reach it is an error that says so.
    pub async fn records(
        &self,
        module: &str,
        fields: &[String],
        query: &RecordQuery,
    ) -> Result<Vec<Record>, ZohoError> {
        if fields.is_empty() {
            return Err(ZohoError::InvalidInput(format!(
                "listing {module} records needs at least one field name"
            )));
        }
        if *query == RecordQuery::default() {
            let mut wanted: Vec<&str> = fields.iter().map(String::as_str).collect();
            let asked = wanted.iter().any(|f| is_modified_time(f));
            if !asked {
                wanted.push("Modified_Time");
            }
            let mut records = self.listing_by_modified_time(module, &wanted, None).await?;
            if !asked {
                for record in &mut records {
                    record.remove("Modified_Time");
                }
            }
            return Ok(records);
        }
        let mut base =
            ApiRequest::get(Self::module_path(module, "")?).query("fields", fields.join(","));
        for (name, value) in [
            ("sort_by", &query.sort_by),
            ("sort_order", &query.sort_order),
            ("cvid", &query.cvid),
        ] {
            if let Some(value) = value {
                base = base.query(name, value.clone());
            }
        }
        let listing = self.follow_listing(base, Some(LISTING_REACH)).await?;
        if listing.cut_short {
            return Err(ZohoError::InvalidInput(format!(
                "{module} has more records than one listing reaches ({LISTING_REACH}); a \
                 listing in a chosen order or of a custom view cannot continue past them"
            )));
        }
        Ok(listing.records)
    }

    /// Follows a `GET /{module}` listing to its end: page numbers while they reach (2,000
    /// records), then `page_token`. With `reach`, stops early and says so once that many
    /// records came back or Zoho will page no further (its token reach is 100,000 records),
    /// so the caller can continue with a narrower listing.
    pub(super) async fn follow_listing(
        &self,
        base: ApiRequest,
        reach: Option<usize>,
    ) -> Result<Listing, ZohoError> {
        let mut all = Vec::new();
        let mut page: u32 = 1;
        let mut token: Option<String> = None;
        let mut pages: u32 = 0;
        let cut_short = |records| {
            Ok(Listing {
                records,
                cut_short: true,
            })
        };
        loop {
            let request = match &token {
                Some(t) => base.clone().query("page_token", t.clone()),
                None => base.clone().query("page", page.to_string()),
            }
            .query("per_page", MAX_PER_PAGE.to_string());
            let answer = match self.send(request).await {
                Ok(answer) => answer,
                Err(e) if reach.is_some() && e.code() == Some("PAGINATION_LIMIT_EXCEEDED") => {
                    return cut_short(all);
                }
                Err(e) => return Err(e),
            };
            let info = PageInfo::of(answer.body.as_ref());
            let records: Vec<Record> = super::take_list(answer.body, "data", &answer.request)?;
            let empty = records.is_empty();
            all.extend(records);
            let reached = reach.is_some_and(|r| all.len() >= r);
            let ends = empty || !info.more_records || reached;
            self.transport.page_read(&base, pages + 1, all.len(), ends);
            if empty || !info.more_records {
                return Ok(Listing {
                    records: all,
                    cut_short: false,
                });
            }
            if reach.is_some_and(|r| all.len() >= r) {
                return cut_short(all);
            }
            pages += 1;
            if pages >= MAX_PAGES {
                return Err(endless_listing(&answer.request));
            }
            if token.is_none() && (page + 1) * MAX_PER_PAGE <= PAGE_NUMBER_REACH {
                page += 1;
                continue;
            }
            match info.next_page_token {
                Some(next) => token = Some(next),
                None if reach.is_some() => return cut_short(all),
                None => {
                    return Err(ZohoError::decode(
                        &answer.request,
                        "more records remain but Zoho sent no next_page_token",
                    ));
                }
            }
        }
    }

    /// `GET /{module}/{id}`; `None` when there is no such record.
    pub async fn record(&self, module: &str, record_id: &str) -> Result<Option<Record>, ZohoError> {
        let path = Self::module_path(module, &format!("/{}", segment(record_id, "record id")?))?;
        match self.list::<Record>(ApiRequest::get(path), "data").await {
            Ok(records) => Ok(records.into_iter().next()),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /{module}`, 100 records per call.
    pub async fn insert_records(
        &self,
        module: &str,
        records: &[Record],
    ) -> Result<Vec<WriteResult>, ZohoError> {
        let path = Self::module_path(module, "")?;
        self.write_records(Method::POST, path, records, None).await
    }

    /// `PUT /{module}`, 100 records per call; every record must carry its `id`.
    pub async fn update_records(
        &self,
        module: &str,
        records: &[Record],
    ) -> Result<Vec<WriteResult>, ZohoError> {
        if let Some(position) = records.iter().position(|r| {
            r.get("id")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        }) {
            return Err(ZohoError::InvalidInput(format!(
                "record {position} of the {module} update has no id"
            )));
        }
        let path = Self::module_path(module, "")?;
        self.write_records(Method::PUT, path, records, None).await
    }

    /// `POST /{module}/upsert`, 100 records per call, matching existing records on
    /// `duplicate_check_fields` (Zoho's defaults when empty).
    pub async fn upsert_records(
        &self,
        module: &str,
        records: &[Record],
        duplicate_check_fields: &[String],
    ) -> Result<Vec<WriteResult>, ZohoError> {
        let path = Self::module_path(module, "/upsert")?;
        let check = (!duplicate_check_fields.is_empty()).then_some(duplicate_check_fields);
        self.write_records(Method::POST, path, records, check).await
    }

    async fn write_records(
        &self,
        method: Method,
        path: String,
        records: &[Record],
        duplicate_check_fields: Option<&[String]>,
    ) -> Result<Vec<WriteResult>, ZohoError> {
        let batches = records
            .chunks(RECORD_BATCH)
            .map(|chunk| {
                let mut body = json!({ "data": chunk });
                if let Some(fields) = duplicate_check_fields {
                    body["duplicate_check_fields"] = json!(fields);
                }
                let request = ApiRequest::new(method.clone(), path.clone())
                    .json(body)
                    .writes(chunk.len());
                (chunk.len(), request)
            })
            .collect();
        let outcomes = self.write_batches(batches, "data").await;
        Ok(outcomes.into_iter().map(write_outcome).collect())
    }

    /// `DELETE /{module}?ids=`, 100 ids per call; one result per id, in input order.
    pub async fn delete_records(
        &self,
        module: &str,
        ids: &[String],
    ) -> Result<Vec<Result<String, ItemError>>, ZohoError> {
        let path = Self::module_path(module, "")?;
        for id in ids {
            segment(id, "record id")?;
        }
        let batches = ids
            .chunks(RECORD_BATCH)
            .map(|chunk| {
                let request =
                    ApiRequest::new(Method::DELETE, path.clone()).query("ids", chunk.join(","));
                (chunk.len(), request)
            })
            .collect();
        let outcomes = self.write_batches(batches, "data").await;
        Ok(outcomes
            .into_iter()
            .zip(ids)
            .map(|(outcome, id)| {
                outcome.map(|item| response::item_id(&item).unwrap_or_else(|| id.clone()))
            })
            .collect())
    }

    /// `GET /{module}/search?criteria=` through every page. Zoho stops at 2,000 results;
    /// `truncated` says when more matched. `fields` may be empty for Zoho's default set.
    pub async fn search_records(
        &self,
        module: &str,
        criteria: &str,
        fields: &[String],
    ) -> Result<SearchResult, ZohoError> {
        if criteria.trim().is_empty() {
            return Err(ZohoError::InvalidInput(format!(
                "searching {module} needs criteria"
            )));
        }
        let mut base =
            ApiRequest::get(Self::module_path(module, "/search")?).query("criteria", criteria);
        if !fields.is_empty() {
            base = base.query("fields", fields.join(","));
        }
        let mut result = SearchResult::default();
        for page in 1u32.. {
            let request = base
                .clone()
                .query("page", page.to_string())
                .query("per_page", MAX_PER_PAGE.to_string());
            let answer = match self.send(request).await {
                Ok(answer) => answer,
                Err(e) if e.code() == Some("LIMIT_REACHED") => {
                    result.truncated = true;
                    break;
                }
                Err(e) => return Err(e),
            };
            let info = PageInfo::of(answer.body.as_ref());
            let records: Vec<Record> = super::take_list(answer.body, "data", &answer.request)?;
            let empty = records.is_empty();
            result.records.extend(records);
            if empty || !info.more_records {
                break;
            }
            if page * MAX_PER_PAGE >= PAGE_NUMBER_REACH {
                result.truncated = true;
                break;
            }
        }
        Ok(result)
    }

    /// `GET /{module}/actions/count[?criteria=]`.
    pub async fn count(&self, module: &str, criteria: Option<&str>) -> Result<u64, ZohoError> {
        let mut request = ApiRequest::get(Self::module_path(module, "/actions/count")?);
        if let Some(criteria) = criteria {
            request = request.query("criteria", criteria);
        }
        let answer = self.send(request).await?;
        let Some(body) = answer.body else {
            return Ok(0);
        };
        match body.get("count") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| ZohoError::decode(&answer.request, "no numeric \"count\" in the answer"))
    }
}

/// What [`CrmClient::follow_listing`] read.
pub(super) struct Listing {
    pub records: Vec<Record>,
    /// More records matched than the listing could reach.
    pub cut_short: bool,
}

fn write_outcome(outcome: ItemOutcome) -> WriteResult {
    let item = outcome?;
    let id = response::item_id(&item).ok_or_else(|| ItemError::Rejected {
        code: "NO_ID".into(),
        message: "Zoho reported success without an id".into(),
        details: item.clone(),
    })?;
    let action = match item.get("action").and_then(Value::as_str) {
        Some("insert") => Some(UpsertAction::Insert),
        Some("update") => Some(UpsertAction::Update),
        _ => None,
    };
    let time = |key: &str| {
        item.get("details")
            .and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .and_then(lenient::parse_time)
    };
    Ok(WriteOutcome {
        id,
        action,
        duplicate_field: item
            .get("duplicate_field")
            .and_then(Value::as_str)
            .map(str::to_string),
        modified_time: time("Modified_Time"),
        created_time: time("Created_Time"),
    })
}
