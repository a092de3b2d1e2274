//! The OData query options the sandbox understands (`$select`, `$top`, `$skip`,
//! `$skiptoken`, `$deltatoken`, `$filter`, `$expand` of extended properties) and a small
//! `$filter` evaluator: comparisons (`eq ne gt ge lt le`) on property paths joined by `and`,
//! and `any` lambdas over `singleValueExtendedProperties` and `emailAddresses`. Anything else
//! is Graph's 400 `BadRequest`, never a server error.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDateTime};
use serde_json::Value;

use super::error::GraphError;
use crate::sandbox::request_limits::excerpt;

/// Longest value of one query option: far above any real filter, select list or token,
/// and a bound on the work one request can ask of the parser.
pub const MAX_OPTION_LEN: usize = 8_192;
/// Comparisons a `$filter` may hold, lambda conditions included (OData's default node
/// count limit, which Graph reports when a filter passes it).
pub const MAX_FILTER_NODES: usize = 100;

/// Parsed query string.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub select: Option<Vec<String>>,
    pub top: Option<usize>,
    pub skip: usize,
    pub skiptoken: Option<String>,
    pub deltatoken: Option<String>,
    pub filter: Option<Filter>,
    /// Extended property ids to expand; `Some(empty)` expands them all.
    pub expand: Option<Vec<String>>,
    /// Non-`$` parameters (e.g. `startDateTime`).
    pub params: Vec<(String, String)>,
    /// The raw pairs, for building next links.
    pub raw: Vec<(String, String)>,
}

impl Options {
    pub fn parse(pairs: Vec<(String, String)>) -> Result<Options, GraphError> {
        let mut o = Options {
            raw: pairs.clone(),
            ..Options::default()
        };
        for (key, value) in pairs {
            if value.chars().count() > MAX_OPTION_LEN {
                return Err(GraphError::parse_uri(format!(
                    "The query specified in the URI is not valid. The value of '{}' is \
                     longer than {MAX_OPTION_LEN} characters.",
                    excerpt(&key)
                )));
            }
            let lower = key.to_ascii_lowercase();
            let name = lower.strip_prefix('$').unwrap_or(&lower);
            if !lower.starts_with('$')
                && !matches!(name, "select" | "top" | "skip" | "filter" | "expand")
            {
                o.params.push((key, value));
                continue;
            }
            match name {
                "select" => {
                    o.select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "top" => o.top = Some(parse_count(&key, &value)?),
                "skip" => o.skip = parse_count(&key, &value)?,
                "skiptoken" => o.skiptoken = Some(value),
                "deltatoken" => o.deltatoken = Some(value),
                "filter" => o.filter = Some(Filter::parse(&value)?),
                "expand" => o.expand = Some(parse_expand(&value)?),
                "count" | "orderby" | "search" | "format" => {
                    return Err(GraphError::parse_uri(format!(
                        "The query option '{key}' is not supported by this sandbox."
                    )));
                }
                _ => {
                    return Err(GraphError::parse_uri(format!(
                        "The query parameter '{}' is not supported.",
                        excerpt(&key)
                    )));
                }
            }
        }
        Ok(o)
    }

    /// A non-`$` parameter, case-insensitively.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The query string for a next page: every option but paging, plus `extra`.
    pub fn next_query(&self, extra: (&str, String)) -> String {
        let mut s = url_encode_pairs(
            self.raw
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.to_ascii_lowercase().as_str(),
                        "$skip" | "$skiptoken" | "skip"
                    )
                })
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if !s.is_empty() {
            s.push('&');
        }
        s.push_str(&url_encode_pairs([(extra.0, extra.1.as_str())].into_iter()));
        s
    }
}

fn parse_count(key: &str, value: &str) -> Result<usize, GraphError> {
    value.trim().parse::<usize>().map_err(|_| {
        GraphError::parse_uri(format!(
            "Invalid value '{}' for query option '{key}': a non-negative integer is expected.",
            excerpt(value)
        ))
    })
}

/// Percent-encodes query pairs.
pub fn url_encode_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'$' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `singleValueExtendedProperties` or `singleValueExtendedProperties($filter=id eq '…' or …)`.
fn parse_expand(value: &str) -> Result<Vec<String>, GraphError> {
    let bad = || {
        GraphError::parse_uri(format!(
            "Parsing OData Select and Expand failed: '{}' is not supported; only \
             singleValueExtendedProperties($filter=id eq '...') can be expanded.",
            excerpt(value)
        ))
    };
    let v = value.trim();
    let prefix = "singlevalueextendedproperties";
    if !v.to_ascii_lowercase().starts_with(prefix) {
        return Err(bad());
    }
    let rest = v[prefix.len()..].trim();
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(bad)?
        .trim();
    let filter = inner
        .strip_prefix("$filter=")
        .or_else(|| inner.strip_prefix("$FILTER="))
        .ok_or_else(bad)?;
    let mut ids = Vec::new();
    for part in split_keyword(filter, "or") {
        let mut p = Parser::new(part.trim());
        let path = p.word();
        let op = p.word();
        let lit = p.literal().map_err(|_| bad())?;
        match (
            path.eq_ignore_ascii_case("id"),
            op.eq_ignore_ascii_case("eq"),
            lit,
        ) {
            (true, true, Literal::Str(id)) if p.at_end() => ids.push(id),
            _ => return Err(bad()),
        }
    }
    Ok(ids)
}

/// Splits on a keyword surrounded by spaces, outside quotes and parentheses.
fn split_keyword<'a>(s: &'a str, keyword: &str) -> Vec<&'a str> {
    let needle = format!(" {keyword} ");
    let lower = s.to_ascii_lowercase();
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && lower.as_bytes()[i..].starts_with(needle.as_bytes()) => {
                parts.push(&s[start..i]);
                i += needle.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&s[start..]);
    parts
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Bare(String),
}

/// One comparison: a property path (segments), an operator and a literal.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub path: Vec<String>,
    pub op: Op,
    pub value: Literal,
}

#[derive(Debug, Clone)]
pub enum Clause {
    Compare(Comparison),
    /// `collection/any(x: x/a eq … and x/b eq …)`.
    Any {
        collection: String,
        conditions: Vec<Comparison>,
    },
}

/// A conjunction of clauses.
#[derive(Debug, Clone)]
pub struct Filter {
    pub clauses: Vec<Clause>,
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser { s, pos: 0 }
    }
    fn skip_ws(&mut self) {
        while self.s[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.s.len()
    }
    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        let rest = &self.s[start..];
        let len = rest.find([' ', '(', ')']).unwrap_or(rest.len());
        self.pos += len;
        &self.s[start..start + len]
    }
    fn literal(&mut self) -> Result<Literal, ()> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if let Some(body) = rest.strip_prefix('\'') {
            let mut out = String::new();
            let mut chars = body.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().map(|(_, n)| *n) == Some('\'') {
                        out.push('\'');
                        chars.next();
                        continue;
                    }
                    self.pos += 1 + i + 1;
                    return Ok(Literal::Str(out));
                }
                out.push(c);
            }
            Err(())
        } else {
            let w = self.word();
            if w.is_empty() {
                Err(())
            } else {
                Ok(Literal::Bare(w.to_string()))
            }
        }
    }
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, GraphError> {
        let invalid =
            || GraphError::parse_uri(format!("Invalid filter clause: '{}'", excerpt(text)));
        let mut clauses = Vec::new();
        let mut nodes = 0;
        for part in split_keyword(text.trim(), "and") {
            nodes += 1;
            if nodes > MAX_FILTER_NODES {
                return Err(too_many_nodes());
            }
            let part = part.trim();
            let lower = part.to_ascii_lowercase();
            if let Some(open) = lower.find("/any(") {
                let collection = part[..open].to_string();
                let inner = part[open + 5..]
                    .trim_end()
                    .strip_suffix(')')
                    .ok_or_else(invalid)?;
                let (var, body) = inner.split_once(':').ok_or_else(invalid)?;
                let prefix = format!("{}/", var.trim());
                let mut conditions = Vec::new();
                for cond in split_keyword(body.trim(), "and") {
                    nodes += 1;
                    if nodes > MAX_FILTER_NODES {
                        return Err(too_many_nodes());
                    }
                    let c = comparison(cond.trim()).ok_or_else(invalid)?;
                    let first = c.path.first().cloned().unwrap_or_default();
                    let Some(prop) = format!("{first}/")
                        .strip_prefix(&prefix)
                        .map(|p| p.trim_end_matches('/').to_string())
                    else {
                        return Err(invalid());
                    };
                    if prop.is_empty() || c.path.len() != 1 {
                        return Err(invalid());
                    }
                    conditions.push(Comparison {
                        path: vec![prop],
                        ..c
                    });
                }
                clauses.push(Clause::Any {
                    collection,
                    conditions,
                });
            } else {
                let c = comparison(part).ok_or_else(invalid)?;
                clauses.push(Clause::Compare(Comparison {
                    path: c.path[0].split('/').map(str::to_string).collect(),
                    ..c
                }));
            }
        }
        Ok(Filter { clauses })
    }

    /// Evaluates against an item's full JSON (extended properties included).
    pub fn matches(&self, item: &Value) -> bool {
        self.clauses.iter().all(|clause| match clause {
            Clause::Compare(c) => compare(lookup(item, &c.path), c),
            Clause::Any {
                collection,
                conditions,
            } => lookup(item, std::slice::from_ref(collection))
                .and_then(Value::as_array)
                .is_some_and(|elems| {
                    elems
                        .iter()
                        .any(|e| conditions.iter().all(|c| compare(lookup(e, &c.path), c)))
                }),
        })
    }
}

fn too_many_nodes() -> GraphError {
    GraphError::parse_uri(format!(
        "The query specified in the URI is not valid. The node count limit of \
         '{MAX_FILTER_NODES}' has been exceeded."
    ))
}

/// `path op literal`, the path kept whole (split by the caller).
fn comparison(text: &str) -> Option<Comparison> {
    let mut p = Parser::new(text);
    let path = p.word().to_string();
    let op = Op::parse(p.word())?;
    let value = p.literal().ok()?;
    if path.is_empty() || !p.at_end() {
        return None;
    }
    Some(Comparison {
        path: vec![path],
        op,
        value,
    })
}

/// Property lookup by path, property names case-insensitive as OData's are in Graph.
fn lookup<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut cur = v;
    for seg in path {
        let obj = cur.as_object()?;
        cur = obj.get(seg.as_str()).or_else(|| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                .map(|(_, v)| v)
        })?;
    }
    Some(cur)
}

fn compare(actual: Option<&Value>, c: &Comparison) -> bool {
    let lit = match &c.value {
        Literal::Str(s) | Literal::Bare(s) => s.as_str(),
    };
    let Some(actual) = actual else {
        return lit.eq_ignore_ascii_case("null") && c.op == Op::Eq;
    };
    let ord = match actual {
        Value::String(s) => match (parse_time(s), parse_time(lit)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => s.to_lowercase().cmp(&lit.to_lowercase()),
        },
        Value::Number(n) => match (n.as_f64(), lit.parse::<f64>().ok()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Less),
            _ => return false,
        },
        Value::Bool(b) => match lit.parse::<bool>() {
            Ok(l) => b.cmp(&l),
            Err(_) => return false,
        },
        Value::Null => {
            return lit.eq_ignore_ascii_case("null") && c.op == Op::Eq;
        }
        _ => return false,
    };
    c.op.holds(ord)
}

/// A timestamp in any of Graph's spellings, as a naive UTC time.
/// The value of one preference in the `Prefer` header(s) (which may repeat, and may list
/// several preferences separated by commas), unquoted.
pub fn preference(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|pref| {
            let (key, value) = pref.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().trim_matches('"').to_string())
        })
}

pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    if s.len() < 19 || s.as_bytes().get(10).is_none_or(|b| *b != b'T') {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extended_property_lambdas_match_id_and_value() {
        let f = Filter::parse(
            "singleValueExtendedProperties/Any(ep: ep/id eq 'String {x} Name crm' and ep/value eq '42')",
        )
        .unwrap();
        let item = json!({"singleValueExtendedProperties": [
            {"id": "String {X} Name crm", "value": "42"}]});
        assert!(f.matches(&item));
        let other = json!({"singleValueExtendedProperties": [
            {"id": "String {X} Name crm", "value": "43"}]});
        assert!(!f.matches(&other));
    }

    #[test]
    fn datetime_comparisons_ignore_spelling() {
        let f = Filter::parse("lastModifiedDateTime ge 2026-01-01T00:00:00Z and start/dateTime lt '2026-02-01T00:00:00'").unwrap();
        let item = json!({"lastModifiedDateTime": "2026-01-05T10:00:00Z",
                          "start": {"dateTime": "2026-01-20T09:00:00.0000000"}});
        assert!(f.matches(&item));
        let late = json!({"lastModifiedDateTime": "2026-01-05T10:00:00Z",
                          "start": {"dateTime": "2026-03-20T09:00:00.0000000"}});
        assert!(!f.matches(&late));
    }

    #[test]
    fn malformed_filters_are_bad_requests() {
        for bad in [
            "subject",
            "subject like 'x'",
            "a/any(x x/id eq 'y')",
            "subject eq 'open",
        ] {
            let e = Filter::parse(bad).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn non_ascii_values_are_compared_not_split() {
        let f =
            Filter::parse("subject eq 'Café – réunion' and companyName eq 'Zürich AG'").unwrap();
        assert!(f.matches(&json!({"subject": "café – RÉUNION", "companyName": "Zürich AG"})));
        assert!(Filter::parse("subject eq 'été' and").is_err());
    }

    #[test]
    fn expand_takes_ids_joined_by_or() {
        let ids =
            parse_expand("singleValueExtendedProperties($filter=id eq 'a' or id eq 'b')").unwrap();
        assert_eq!(ids, vec!["a".to_string(), "b".to_string()]);
        assert!(parse_expand("attachments").is_err());
    }
}

#[cfg(test)]
#[path = "query_properties.rs"]
mod properties;
