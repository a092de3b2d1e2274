//! Request parameters as the legacy API takes them: query string and form-encoded body,
//! `index`/`range` paging, `MM-dd-yyyy` dates, booleans and numeric ids, each rejected with
//! the API's own 400 when malformed.

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use chrono::NaiveDate;

use super::error::{ApiError, ApiResult};
use super::wire::{DEFAULT_RANGE, MAX_RANGE, param};

/// Wire format of dates in parameters and responses.
const DATE_FORMAT: &str = "%m-%d-%Y";

/// The parameters of one request: the query string followed by the form body, so a body
/// value wins over a query value of the same name.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Reads the query string and, when present, the form-encoded body.
    pub fn from_request(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> ApiResult<Self> {
        let mut pairs = query.map(decode_form).unwrap_or_default();
        if !body.is_empty() {
            let content_type = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/x-www-form-urlencoded");
            let mime = content_type.split(';').next().unwrap_or("").trim();
            if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Err(ApiError::invalid(format!(
                    "Unsupported content type {mime:?}: send parameters form-encoded \
                     (application/x-www-form-urlencoded)"
                )));
            }
            pairs.extend(decode_form(&String::from_utf8_lossy(body)));
        }
        Ok(Params { pairs })
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Params {
            pairs: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The last value given for `name`, trimmed; `Some("")` when sent empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    /// The value of a parameter that must be present and non-empty.
    pub fn required(&self, name: &str) -> ApiResult<&str> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::missing(name)),
        }
    }

    /// The value of an optional parameter, `None` when absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// `index` (1-based) and `range` (1..=200) for a list.
    pub fn page(&self) -> ApiResult<Page> {
        let index = match self.non_empty(param::INDEX) {
            None => 1,
            Some(v) => v.parse::<u32>().ok().filter(|i| *i >= 1).ok_or_else(|| {
                ApiError::invalid(format!("Invalid value for index: {v:?} (a number from 1)"))
            })?,
        };
        let range = match self.non_empty(param::RANGE) {
            None => DEFAULT_RANGE,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|r| (1..=MAX_RANGE).contains(r))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "Invalid value for range: {v:?} (a number from 1 to {MAX_RANGE})"
                    ))
                })?,
        };
        Ok(Page { index, range })
    }

    /// An optional `MM-dd-yyyy` date parameter.
    pub fn date(&self, name: &str) -> ApiResult<Option<NaiveDate>> {
        self.non_empty(name)
            .map(|v| parse_date(name, v))
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub index: u32,
    pub range: u32,
}

impl Page {
    /// Rows to skip (SQL `OFFSET`).
    pub fn offset(&self) -> i64 {
        i64::from(self.index) - 1
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.range)
    }
}

/// Parses a `MM-dd-yyyy` date, naming the parameter when it is not one.
pub fn parse_date(name: &str, value: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(value, DATE_FORMAT).map_err(|_| {
        ApiError::invalid(format!(
            "Invalid value for {name}: {value:?} (expected MM-dd-yyyy)"
        ))
    })
}

/// A date in the API's `MM-dd-yyyy` format.
pub fn format_date(date: NaiveDate) -> String {
    date.format(DATE_FORMAT).to_string()
}

/// `true` or `false` (case-insensitive).
pub fn parse_bool(name: &str, value: &str) -> ApiResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid(format!(
            "Invalid value for {name}: {value:?} (expected true or false)"
        ))),
    }
}

/// A numeric id given as a parameter.
pub fn parse_id(name: &str, value: &str) -> ApiResult<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(format!("Invalid value for {name}: {value:?} (an id)")))
}

/// A comma-separated list, trimmed, empty items dropped.
pub fn split_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether `email` looks like an address: one `@`, something on both sides, a dot in the
/// domain and no whitespace.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
}

/// Decodes `application/x-www-form-urlencoded` text leniently, as browsers and Zoho do:
/// `+` is a space, a malformed `%` escape stays literal, invalid UTF-8 is replaced.
fn decode_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_handles_plus_escapes_and_malformed_escapes() {
        let pairs = decode_form("name=Website+Redesign&x=%41%2Cb&bad=100%&e=&flag");
        assert_eq!(
            pairs,
            vec![
                ("name".to_string(), "Website Redesign".to_string()),
                ("x".to_string(), "A,b".to_string()),
                ("bad".to_string(), "100%".to_string()),
                ("e".to_string(), String::new()),
                ("flag".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn body_values_win_over_query_values() {
        let headers = HeaderMap::new();
        let p = Params::from_request(Some("name=a&index=2"), &headers, b"name=b").unwrap();
        assert_eq!(p.get("name"), Some("b"));
        assert_eq!(p.get("index"), Some("2"));
    }

    #[test]
    fn a_json_body_is_rejected_with_the_input_error() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        let err = Params::from_request(None, &headers, b"{}").unwrap_err();
        assert_eq!(err.code, 6831);
    }

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(
            Params::default().page().unwrap(),
            Page {
                index: 1,
                range: 100
            }
        );
        let p = Params::from_pairs(&[("index", "3"), ("range", "200")]);
        assert_eq!(
            p.page().unwrap(),
            Page {
                index: 3,
                range: 200
            }
        );
        for (k, v) in [
            ("range", "201"),
            ("range", "0"),
            ("index", "0"),
            ("index", "x"),
        ] {
            let err = Params::from_pairs(&[(k, v)]).page().unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (400, 6831), "{k}={v}");
        }
    }

    #[test]
    fn dates_are_month_day_year() {
        let d = parse_date("start_date", "01-15-2026").unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2026, 1, 15).unwrap());
        assert_eq!(format_date(d), "01-15-2026");
        assert!(parse_date("start_date", "2026-01-15").is_err());
        assert!(parse_date("start_date", "13-01-2026").is_err());
    }

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("pat@acme.com"));
        for bad in [
            "pat",
            "@acme.com",
            "pat@acme",
            "pat@@acme.com",
            "p at@acme.com",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::sandbox::hostile_input;

    proptest! {
        #![proptest_config(hostile_input::config(256))]

        #[test]
        fn hostile_paging_dates_and_ids_are_the_input_error(
            index in hostile_input::text(),
            range in hostile_input::text(),
            date in hostile_input::text(),
        ) {
            let p = Params::from_pairs(&[("index", &index), ("range", &range)]);
            match p.page() {
                Ok(page) => {
                    prop_assert!(page.index >= 1 && (1..=MAX_RANGE).contains(&page.range));
                    prop_assert!(page.offset() >= 0);
                }
                Err(e) => prop_assert_eq!((e.status.as_u16(), e.code), (400, 6831)),
            }
            if let Err(e) = parse_date("start_date", &date) {
                prop_assert_eq!(e.code, 6831);
            }
            if let Ok(id) = parse_id("owner", &date) {
                prop_assert!(id > 0);
            }
            let body = Params::from_request(Some(&index), &HeaderMap::new(), date.as_bytes());
            prop_assert!(body.is_ok());
        }
    }
}
