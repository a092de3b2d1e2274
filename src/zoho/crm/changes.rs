//! What a two-way sync reads from CRM: the records changed since a time (If-Modified-Since),
//! records by id, and the deletions since a time, each paged to the end; and the listing
//! restarted by `Modified_Time` that reads any module past Zoho's 100,000-record reach.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde_json::Value;

use super::types::{DeletedRecord, Record};
use super::{CrmClient, MAX_PER_PAGE};
use crate::zoho::error::ZohoError;
use crate::zoho::lenient;
use crate::zoho::transport::ApiRequest;

/// Records a `page_token` listing reaches before Zoho answers PAGINATION_LIMIT_EXCEEDED.
pub const LISTING_REACH: usize = 100_000;
/// Ids one `GET /{module}?ids=` may name. Zoho's legacy API documents 100; the v8 pages do
/// not give the number (unconfirmed), and the sandbox enforces 100.
pub const IDS_PER_READ: usize = 100;

/// `If-Modified-Since` as Zoho documents it (`2019-07-25T15:26:49+05:30`, whole seconds). The
/// instant is rounded down, so nothing modified at or after `since` is missed.
pub fn if_modified_since(since: DateTime<Utc>) -> String {
    since.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

impl CrmClient {
    /// Every record of `module` modified at or after `since` (all records when `None`), with
    /// `fields` (plus `Modified_Time`), oldest change first. A module with more changes than
    /// one listing reaches (100,000) is read in several listings, each starting at the last
    /// `Modified_Time` the previous one returned; a record seen twice is kept once.
    pub async fn records_modified_since(
        &self,
        module: &str,
        fields: &[&str],
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Value>, ZohoError> {
        if fields.is_empty() {
            return Err(ZohoError::InvalidInput(format!(
                "listing changed {module} records needs at least one field name"
            )));
        }
        let mut wanted: Vec<&str> = fields.to_vec();
        if !wanted.iter().any(|f| is_modified_time(f)) {
            wanted.push("Modified_Time");
        }
        let records = self
            .listing_by_modified_time(module, &wanted, since)
            .await?;
        Ok(records.into_iter().map(Value::Object).collect())
    }

    /// The listing behind [`Self::records_modified_since`] and the full listing of
    /// [`Self::records`]: sorted by `Modified_Time`, restarted with `If-Modified-Since` at the
    /// second the previous listing ended in whenever Zoho's paging reach (100,000 records)
    /// cuts it short. `wanted` must name `Modified_Time`. Costs one call per 200 records plus,
    /// per restart, the records of that boundary second read again (one call more while a
    /// second holds at most 200 records); see docs/large-modules.md.
    pub(super) async fn listing_by_modified_time(
        &self,
        module: &str,
        wanted: &[&str],
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Record>, ZohoError> {
        let path = Self::module_path(module, "")?;
        let mut records: Vec<Record> = Vec::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        let mut since = since;
        loop {
            let mut base = ApiRequest::get(path.clone())
                .query("fields", wanted.join(","))
                .query("sort_by", "Modified_Time")
                .query("sort_order", "asc");
            if let Some(t) = since {
                base = base.header("If-Modified-Since", if_modified_since(t));
            }
            let listing = self.follow_listing(base, Some(LISTING_REACH)).await?;
            let last_change = listing
                .records
                .last()
                .and_then(|r| r.get("Modified_Time"))
                .and_then(Value::as_str)
                .and_then(lenient::parse_time);
            for record in listing.records {
                let id = record
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                match position.get(&id) {
                    Some(&at) => records[at] = record,
                    None => {
                        position.insert(id, records.len());
                        records.push(record);
                    }
                }
            }
            if !listing.cut_short {
                return Ok(records);
            }
            match last_change {
                // Whole seconds: the next listing starts in the second the last one ended in.
                Some(next) if since.is_none_or(|s| next.timestamp() > s.timestamp()) => {
                    since = Some(next);
                }
                _ => {
                    return Err(ZohoError::InvalidInput(format!(
                        "more than {LISTING_REACH} {module} records changed within one second; \
                         they cannot be listed past Zoho's paging reach"
                    )));
                }
            }
        }
    }

    /// The records of `module` with these ids (`GET /{module}?ids=`, 100 ids per call), in
    /// the order asked for; ids with no record are left out. `fields` may be empty for whole
    /// records.
    pub async fn records_by_ids(
        &self,
        module: &str,
        ids: &[String],
        fields: &[&str],
    ) -> Result<Vec<Value>, ZohoError> {
        let path = Self::module_path(module, "")?;
        let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
        for id in ids {
            if id.is_empty() || id.contains(',') || id.chars().any(char::is_whitespace) {
                return Err(ZohoError::InvalidInput(format!(
                    "{id:?} is not a valid {module} record id"
                )));
            }
            if !unique.contains(&id.as_str()) {
                unique.push(id);
            }
        }
        let reads = unique.chunks(IDS_PER_READ).map(|chunk| {
            let mut request = ApiRequest::get(path.clone())
                .query("ids", chunk.join(","))
                .query("per_page", MAX_PER_PAGE.to_string());
            if !fields.is_empty() {
                request = request.query("fields", fields.join(","));
            }
            self.list::<Record>(request, "data")
        });
        let mut found: HashMap<String, Record> = HashMap::new();
        for read in join_all(reads).await {
            for record in read? {
                if let Some(id) = record.get("id").and_then(Value::as_str) {
                    found.insert(id.to_string(), record);
                }
            }
        }
        Ok(unique
            .iter()
            .filter_map(|id| found.remove(*id).map(Value::Object))
            .collect())
    }

    /// Records of `module` deleted at or after `since` (every deletion Zoho still lists when
    /// `None`): `GET /{module}/deleted`, paged to the end, newest first.
    pub async fn deleted_records(
        &self,
        module: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<DeletedRecord>, ZohoError> {
        let mut request = ApiRequest::get(Self::module_path(module, "/deleted")?);
        if let Some(t) = since {
            request = request.header("If-Modified-Since", if_modified_since(t));
        }
        self.all_pages(request, "data").await
    }
}

/// Whether a field name is `Modified_Time` (Zoho's API names are case-insensitive).
pub(super) fn is_modified_time(field: &str) -> bool {
    field.eq_ignore_ascii_case("Modified_Time")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_modified_since_is_zohos_format_rounded_down_to_the_second() {
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:07.900+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(if_modified_since(t), "2026-01-05T08:00:07+00:00");
    }
}
