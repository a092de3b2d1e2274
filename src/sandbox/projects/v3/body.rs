//! Reading values out of a V3 JSON body. Each key has one JSON type, and a value of another
//! type is a `JSON_PARSE_ERROR` naming the key, as Zoho answers an array where an object is
//! required; a value of the right type that the API cannot take is left to the handler.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::error::{V3Error, V3Result};
use super::wire::DATE_FORMAT;

/// A JSON object: the body or an object inside it.
pub type Object = Map<String, Value>;

fn wrong_type(key: &str, expected: &str) -> V3Error {
    V3Error::json(Some(key), format!("{key} must be {expected}"))
}

/// A string value; absent or `null` is `None`.
pub fn text<'a>(obj: &'a Object, key: &str) -> V3Result<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(wrong_type(key, "a string")),
    }
}

/// A string value that must be present and not blank, trimmed.
pub fn required_text<'a>(obj: &'a Object, key: &str) -> V3Result<&'a str> {
    match text(obj, key)?.map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(V3Error::missing(key)),
    }
}

/// An object value; absent or `null` is `None`.
pub fn object<'a>(obj: &'a Object, key: &str) -> V3Result<Option<&'a Object>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(wrong_type(key, "an object")),
    }
}

/// An array value; absent or `null` is `None`.
pub fn array<'a>(obj: &'a Object, key: &str) -> V3Result<Option<&'a Vec<Value>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(wrong_type(key, "an array")),
    }
}

/// An id: a string, or a JSON integer (a long one is read exactly); absent or `null` is
/// `None`.
pub fn id(obj: &Object, key: &str) -> V3Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(_) => Err(wrong_type(key, "an id (a string)")),
    }
}

/// The id inside a reference object such as `"owner": {"zpuid": "..."}`; absent or `null`
/// is `None`, an object without the id key is a missing value.
pub fn reference(obj: &Object, key: &str, id_key: &str) -> V3Result<Option<String>> {
    match object(obj, key)? {
        None => Ok(None),
        Some(inner) => id(inner, id_key)?
            .filter(|v| !v.is_empty())
            .map(Some)
            .ok_or_else(|| V3Error::missing(id_key)),
    }
}

/// A `YYYY-MM-DD` date: `None` when absent, `Some(None)` when `null` or `""` (clears).
pub fn date(obj: &Object, key: &str) -> V3Result<Option<Option<NaiveDate>>> {
    if !obj.contains_key(key) {
        return Ok(None);
    }
    match text(obj, key)?.map(str::trim) {
        None | Some("") => Ok(Some(None)),
        Some(v) => parse_date(key, v).map(|d| Some(Some(d))),
    }
}

/// Parses a `YYYY-MM-DD` date, naming the key when it is not one.
pub fn parse_date(key: &str, value: &str) -> V3Result<NaiveDate> {
    NaiveDate::parse_from_str(value, DATE_FORMAT).map_err(|_| {
        V3Error::invalid(
            key,
            format!("Invalid value for {key}: {value:?} (expected YYYY-MM-DD)"),
        )
    })
}

/// A value taken as text: a string, number or boolean; `null` is `""`.
pub fn scalar_text(value: &Value, key: &str) -> V3Result<String> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(wrong_type(key, "a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Object {
        match v {
            Value::Object(o) => o,
            _ => Object::new(),
        }
    }

    #[test]
    fn values_of_the_wrong_type_are_json_errors() {
        let o = obj(json!({"name": 5, "owner": "x", "users": {}, "id": 1.5}));
        assert_eq!(
            text(&o, "name").unwrap_err().title_name(),
            "JSON_PARSE_ERROR"
        );
        assert_eq!(
            object(&o, "owner").unwrap_err().title_name(),
            "JSON_PARSE_ERROR"
        );
        assert_eq!(
            array(&o, "users").unwrap_err().title_name(),
            "JSON_PARSE_ERROR"
        );
        assert_eq!(id(&o, "id").unwrap_err().title_name(), "JSON_PARSE_ERROR");
    }

    #[test]
    fn ids_read_long_integers_exactly() {
        let o = obj(json!({"a": 1708760000000001234u64, "b": " 17 "}));
        assert_eq!(id(&o, "a").unwrap().as_deref(), Some("1708760000000001234"));
        assert_eq!(id(&o, "b").unwrap().as_deref(), Some("17"));
    }

    #[test]
    fn dates_clear_with_null_or_empty() {
        let o = obj(json!({"a": null, "b": "", "c": "2026-01-15", "d": "01-15-2026"}));
        assert_eq!(date(&o, "x").unwrap(), None);
        assert_eq!(date(&o, "a").unwrap(), Some(None));
        assert_eq!(date(&o, "b").unwrap(), Some(None));
        assert_eq!(
            date(&o, "c").unwrap(),
            Some(NaiveDate::from_ymd_opt(2026, 1, 15))
        );
        assert_eq!(
            date(&o, "d").unwrap_err().title_name(),
            "INVALID_PARAMETER_VALUE"
        );
    }

    #[test]
    fn a_reference_needs_its_id() {
        let o = obj(json!({"owner": {}, "other": {"zpuid": "12"}}));
        assert_eq!(
            reference(&o, "owner", "zpuid").unwrap_err().title_name(),
            "LESS_THAN_MIN_OCCURANCE"
        );
        assert_eq!(
            reference(&o, "other", "zpuid").unwrap().as_deref(),
            Some("12")
        );
    }
}
