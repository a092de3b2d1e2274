//! Tolerant decoding helpers: Zoho sends ids as strings in one API and numbers in another,
//! and `null` where a list or text is expected. The typed metadata structs use these so a
//! surprising but harmless value never fails a whole listing. Timestamps are read in UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, number or bool as text; `null` as the empty string.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// A string, number or bool as text; `null` (or an empty string) as `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// The value, or its default when `null`.
pub fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A boolean that Zoho may send as `true`, `"true"`, `1` or `null`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    })
}

/// A Zoho timestamp (`2026-01-05T10:00:00+05:30`, RFC 3339) in UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A timestamp; `null` or text that is not one as `None`.
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => parse_time(&s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Probe {
        #[serde(deserialize_with = "string")]
        id: String,
        #[serde(deserialize_with = "opt_string")]
        name: Option<String>,
        #[serde(deserialize_with = "or_default")]
        list: Vec<u32>,
        #[serde(deserialize_with = "opt_bool")]
        flag: Option<bool>,
    }

    #[test]
    fn tolerates_numbers_nulls_and_text_booleans() {
        let p: Probe =
            serde_json::from_value(json!({"id": 170876000001234u64, "name": null, "list": null, "flag": "true", "other": 1}))
                .unwrap();
        assert_eq!(p.id, "170876000001234");
        assert_eq!(p.name, None);
        assert!(p.list.is_empty());
        assert_eq!(p.flag, Some(true));
        let p: Probe = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p.id, "");
    }

    #[test]
    fn timestamps_keep_their_instant_whatever_the_offset() {
        let t = parse_time("2026-01-05T15:30:00+05:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-05T10:00:00+00:00");
        assert!(parse_time("2026-01-05 10:00").is_none());
    }
}
