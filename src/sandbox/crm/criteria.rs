//! Zoho's search criteria: `((Field:op:value) and (Field:op:value))`, parsed, checked
//! against a module's fields and evaluated against records.
//!
//! Matching follows Zoho's documented behaviour: `equals` on a text field matches values that
//! contain the given text (case-insensitively); on other types it is exact.

use serde_json::{Map, Value, json};

use super::values::Schema;
use crate::sandbox::error::CrmError;

/// Conditions one criteria expression may hold.
pub const MAX_CONDITIONS: usize = 10;
/// Longest criteria accepted, in characters. Zoho documents none beyond its 10 conditions
/// of at most 100 `in` values; this bounds the parser's work whatever a URL carries.
pub const MAX_CRITERIA_LEN: usize = 16_384;
/// Deepest parenthesis nesting accepted: ten conditions need far fewer levels, and the
/// parser recurses once per level, so a bound here is what keeps a hostile criteria of
/// thousands of `(` from overflowing the stack.
pub const MAX_DEPTH: usize = 16;

/// Why a criteria expression does not parse; the reason Zoho's `INVALID_QUERY` answer gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CriteriaError {
    #[error("criteria longer than {MAX_CRITERIA_LEN} characters")]
    TooLong,
    #[error("unexpected text at position {0}")]
    Unexpected(usize),
    #[error("expected '(' at position {0}")]
    ExpectedOpen(usize),
    #[error("parentheses nested deeper than {MAX_DEPTH} levels at position {0}")]
    TooDeep(usize),
    #[error("expected ')' at position {0}")]
    ExpectedClose(usize),
    /// A condition lacking its second colon names what is missing: operator or value.
    #[error("missing {0} in condition")]
    Missing(&'static str),
    #[error("empty field or operator")]
    EmptyFieldOrOperator,
}

/// A parsed criteria expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Criteria {
    Condition {
        field: String,
        op: String,
        value: String,
    },
    And(Vec<Criteria>),
    Or(Vec<Criteria>),
}

impl Criteria {
    pub fn conditions(&self) -> usize {
        match self {
            Criteria::Condition { .. } => 1,
            Criteria::And(v) | Criteria::Or(v) => v.iter().map(Criteria::conditions).sum(),
        }
    }
}

/// Parses `((A:equals:x)and(B:starts_with:y))`. Values may escape `(`, `)`, `,` and `\`
/// with a backslash.
pub fn parse_criteria(input: &str) -> Result<Criteria, CriteriaError> {
    let chars: Vec<char> = input.trim().chars().collect();
    if chars.len() > MAX_CRITERIA_LEN {
        return Err(CriteriaError::TooLong);
    }
    let mut pos = 0;
    let expr = parse_expr(&chars, &mut pos, 0)?;
    skip_ws(&chars, &mut pos);
    if pos != chars.len() {
        return Err(CriteriaError::Unexpected(pos));
    }
    Ok(expr)
}

fn skip_ws(chars: &[char], pos: &mut usize) {
    while *pos < chars.len() && chars[*pos].is_whitespace() {
        *pos += 1;
    }
}

/// expr := term (("and" | "or") term)* — `and` binds tighter than `or`.
fn parse_expr(chars: &[char], pos: &mut usize, depth: usize) -> Result<Criteria, CriteriaError> {
    let mut ors = Vec::new();
    let mut ands = vec![parse_term(chars, pos, depth)?];
    loop {
        skip_ws(chars, pos);
        let rest: String = chars[*pos..]
            .iter()
            .take(3)
            .collect::<String>()
            .to_lowercase();
        if rest.starts_with("and") {
            *pos += 3;
            ands.push(parse_term(chars, pos, depth)?);
        } else if rest.starts_with("or") {
            *pos += 2;
            ors.push(collapse(std::mem::take(&mut ands), Criteria::And));
            ands.push(parse_term(chars, pos, depth)?);
        } else {
            break;
        }
    }
    ors.push(collapse(ands, Criteria::And));
    Ok(collapse(ors, Criteria::Or))
}

fn collapse(mut items: Vec<Criteria>, wrap: fn(Vec<Criteria>) -> Criteria) -> Criteria {
    if items.len() == 1 {
        items.remove(0)
    } else {
        wrap(items)
    }
}

/// term := "(" (expr | condition) ")"
fn parse_term(chars: &[char], pos: &mut usize, depth: usize) -> Result<Criteria, CriteriaError> {
    skip_ws(chars, pos);
    if chars.get(*pos) != Some(&'(') {
        return Err(CriteriaError::ExpectedOpen(*pos));
    }
    if depth >= MAX_DEPTH {
        return Err(CriteriaError::TooDeep(*pos));
    }
    *pos += 1;
    skip_ws(chars, pos);
    let inner = if chars.get(*pos) == Some(&'(') {
        parse_expr(chars, pos, depth + 1)?
    } else {
        parse_condition(chars, pos)?
    };
    skip_ws(chars, pos);
    if chars.get(*pos) != Some(&')') {
        return Err(CriteriaError::ExpectedClose(*pos));
    }
    *pos += 1;
    Ok(inner)
}

fn parse_condition(chars: &[char], pos: &mut usize) -> Result<Criteria, CriteriaError> {
    let mut read_until_colon = |what: &'static str| -> Result<String, CriteriaError> {
        let start = *pos;
        while *pos < chars.len() && chars[*pos] != ':' && chars[*pos] != ')' {
            *pos += 1;
        }
        if chars.get(*pos) != Some(&':') {
            return Err(CriteriaError::Missing(what));
        }
        let s: String = chars[start..*pos].iter().collect();
        *pos += 1;
        Ok(s.trim().to_string())
    };
    let field = read_until_colon("operator")?;
    let op = read_until_colon("value")?;
    let mut value = String::new();
    while *pos < chars.len() && chars[*pos] != ')' {
        if chars[*pos] == '\\' && *pos + 1 < chars.len() {
            *pos += 1;
            // Keep escaped commas distinguishable from list separators.
            if chars[*pos] == ',' {
                value.push('\u{0}');
            } else {
                value.push(chars[*pos]);
            }
        } else {
            value.push(chars[*pos]);
        }
        *pos += 1;
    }
    if field.is_empty() || op.is_empty() {
        return Err(CriteriaError::EmptyFieldOrOperator);
    }
    Ok(Criteria::Condition {
        field,
        op: op.to_lowercase(),
        value,
    })
}

/// Checks fields and operators against the module before evaluating.
pub fn validate(schema: &Schema, criteria: &Criteria) -> Result<(), CrmError> {
    match criteria {
        Criteria::And(v) | Criteria::Or(v) => v.iter().try_for_each(|c| validate(schema, c)),
        Criteria::Condition { field, op, .. } => {
            if field == "id" {
                return match op.as_str() {
                    "equals" | "not_equal" | "in" => Ok(()),
                    _ => Err(operator_error(field, op)),
                };
            }
            let f = schema
                .field(field.split('.').next().unwrap_or(field))
                .ok_or_else(|| CrmError::invalid_query(field, "invalid field"))?;
            if allowed_operators(&f.data_type).contains(&op.as_str()) {
                Ok(())
            } else {
                Err(operator_error(field, op))
            }
        }
    }
}

fn operator_error(field: &str, op: &str) -> CrmError {
    let mut e = CrmError::invalid_query(field, "invalid operator found");
    e.details = json!({ "operator": op, "reason": "invalid operator found", "api_name": field });
    e
}

fn allowed_operators(data_type: &str) -> &'static [&'static str] {
    match data_type {
        "text" | "textarea" | "email" | "phone" | "website" | "picklist" => {
            &["equals", "not_equal", "starts_with", "in"]
        }
        "integer" | "bigint" | "double" | "decimal" | "currency" | "percent" | "date"
        | "datetime" => &[
            "equals",
            "not_equal",
            "greater_than",
            "greater_equal",
            "less_than",
            "less_equal",
            "between",
            "in",
        ],
        "boolean" => &["equals", "not_equal"],
        "lookup" | "ownerlookup" => &["equals", "not_equal", "in"],
        "multiselectpicklist" => &["equals", "not_equal", "in"],
        _ => &["equals", "not_equal"],
    }
}

/// Evaluates criteria against a rendered record (lookups as `{"id","name"}`).
pub fn matches(schema: &Schema, record: &Map<String, Value>, criteria: &Criteria) -> bool {
    match criteria {
        Criteria::And(v) => v.iter().all(|c| matches(schema, record, c)),
        Criteria::Or(v) => v.iter().any(|c| matches(schema, record, c)),
        Criteria::Condition { field, op, value } => {
            let (name, sub) = match field.split_once('.') {
                Some((n, s)) => (n, Some(s)),
                None => (field.as_str(), None),
            };
            let (data_type, actual) = if name == "id" {
                ("id", record.get("id").cloned().unwrap_or(Value::Null))
            } else {
                let Some(f) = schema.field(name) else {
                    return false;
                };
                (
                    f.data_type.as_str(),
                    record.get(&f.api_name).cloned().unwrap_or(Value::Null),
                )
            };
            let values: Vec<String> = value
                .split(',')
                .map(|v| v.replace('\u{0}', ",").trim().to_string())
                .collect();
            compare(data_type, &actual, op, &values, sub)
        }
    }
}

fn compare(
    data_type: &str,
    actual: &Value,
    op: &str,
    values: &[String],
    sub: Option<&str>,
) -> bool {
    let first = values.first().map(String::as_str).unwrap_or("");
    let candidates: Vec<String> = match actual {
        Value::Null => vec![],
        Value::Object(o) => match sub {
            Some(key) => o.get(key).map(scalar).into_iter().collect(),
            None => ["id", "name"]
                .iter()
                .filter_map(|k| o.get(*k).map(scalar))
                .collect(),
        },
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    };
    let text_like = matches!(data_type, "text" | "textarea");
    // Ids are 19 digits: only number fields compare as numbers.
    let numeric = matches!(
        data_type,
        "integer" | "bigint" | "double" | "decimal" | "currency" | "percent"
    );
    let ordering = |c: &str, v: &str| -> Option<std::cmp::Ordering> {
        match (numeric, c.parse::<f64>(), v.parse::<f64>()) {
            (true, Ok(a), Ok(b)) => a.partial_cmp(&b),
            _ => Some(c.cmp(v)),
        }
    };
    let eq = |c: &str, v: &str| -> bool {
        if text_like {
            c.to_lowercase().contains(&v.to_lowercase())
        } else if numeric {
            ordering(c, v).is_some_and(|o| o.is_eq())
        } else {
            c.eq_ignore_ascii_case(v)
        }
    };
    match op {
        "equals" => candidates.iter().any(|c| eq(c, first)),
        "not_equal" => !candidates.iter().any(|c| eq(c, first)),
        "starts_with" => candidates
            .iter()
            .any(|c| c.to_lowercase().starts_with(&first.to_lowercase())),
        "in" => candidates.iter().any(|c| values.iter().any(|v| eq(c, v))),
        "greater_than" => candidates
            .iter()
            .any(|c| ordering(c, first).is_some_and(|o| o.is_gt())),
        "greater_equal" => candidates
            .iter()
            .any(|c| ordering(c, first).is_some_and(|o| o.is_ge())),
        "less_than" => candidates
            .iter()
            .any(|c| ordering(c, first).is_some_and(|o| o.is_lt())),
        "less_equal" => candidates
            .iter()
            .any(|c| ordering(c, first).is_some_and(|o| o.is_le())),
        "between" => {
            let last = values.get(1).map(String::as_str).unwrap_or(first);
            candidates.iter().any(|c| {
                ordering(c, first).is_some_and(|o| o.is_ge())
                    && ordering(c, last).is_some_and(|o| o.is_le())
            })
        }
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, op: &str, value: &str) -> Criteria {
        Criteria::Condition {
            field: field.into(),
            op: op.into(),
            value: value.into(),
        }
    }

    #[test]
    fn parses_single_and_nested_criteria() {
        assert_eq!(
            parse_criteria("(Email:equals:jane@bowman.example)").unwrap(),
            cond("Email", "equals", "jane@bowman.example")
        );
        assert_eq!(
            parse_criteria("((Last_Name:starts_with:Bow)and(First_Name:equals:Jane))").unwrap(),
            Criteria::And(vec![
                cond("Last_Name", "starts_with", "Bow"),
                cond("First_Name", "equals", "Jane")
            ])
        );
        assert_eq!(
            parse_criteria("((A:equals:1)or(B:equals:2)and(C:equals:3))").unwrap(),
            Criteria::Or(vec![
                cond("A", "equals", "1"),
                Criteria::And(vec![cond("B", "equals", "2"), cond("C", "equals", "3")])
            ])
        );
    }

    #[test]
    fn escaped_parentheses_and_commas_stay_in_values() {
        let c = parse_criteria(r"(Account_Name:equals:Acme \(UK\)\, Ltd)").unwrap();
        assert_eq!(c, cond("Account_Name", "equals", "Acme (UK)\u{0} Ltd"));
    }

    #[test]
    fn malformed_criteria_are_rejected() {
        for bad in [
            "",
            "Email:equals:x",
            "(Email:equals:x",
            "(Email)",
            "(A:equals:1)xor(B:equals:2)",
        ] {
            assert!(parse_criteria(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_equals_contains_and_numbers_compare_numerically() {
        assert!(compare(
            "text",
            &json!("Northwind Traders"),
            "equals",
            &["northwind".into()],
            None
        ));
        assert!(!compare(
            "email",
            &json!("a@b.c"),
            "equals",
            &["a@b".into()],
            None
        ));
        assert!(compare(
            "currency",
            &json!(1500.0),
            "greater_than",
            &["999".into()],
            None
        ));
        assert!(compare(
            "lookup",
            &json!({"id": "1", "name": "Bowman"}),
            "equals",
            &["1".into()],
            None
        ));
        assert!(!compare(
            "lookup",
            &json!({"id": "4876876000000002001", "name": "A"}),
            "equals",
            &["4876876000000002002".into()],
            None
        ));
        assert!(compare(
            "date",
            &json!("2026-03-01"),
            "between",
            &["2026-01-01".into(), "2026-12-31".into()],
            None
        ));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::sandbox::hostile_input;

    fn depth(c: &Criteria) -> usize {
        match c {
            Criteria::Condition { .. } => 0,
            Criteria::And(v) | Criteria::Or(v) => 1 + v.iter().map(depth).max().unwrap_or(0),
        }
    }

    /// A well-formed criteria of at most `MAX_CONDITIONS` conditions, with its count.
    fn valid() -> impl Strategy<Value = (String, usize)> {
        let leaf = ("[A-Z][a-z_]{0,8}", "[a-zA-Z0-9 @.]{1,12}")
            .prop_map(|(f, v)| (format!("({f}:equals:{v})"), 1));
        leaf.prop_recursive(3, 10, 3, |inner| {
            (proptest::collection::vec(inner, 2..4), any::<bool>()).prop_map(|(items, and)| {
                let joint = if and { "and" } else { "or" };
                let text = items.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>();
                (
                    format!("({})", text.join(joint)),
                    items.iter().map(|(_, n)| n).sum(),
                )
            })
        })
    }

    proptest! {
        #![proptest_config(hostile_input::config(256))]

        #[test]
        fn hostile_text_is_refused_or_parsed_within_bounds(input in hostile_input::text()) {
            let result = hostile_input::on_small_stack(move || parse_criteria(&input));
            if let Ok(c) = result {
                prop_assert!(depth(&c) <= MAX_DEPTH);
            }
        }

        #[test]
        fn nesting_past_the_limit_is_refused_naming_it(extra in 1usize..5_000) {
            let n = MAX_DEPTH + extra;
            let text = format!("{}(A:equals:1){}", "(".repeat(n), ")".repeat(n));
            let e = hostile_input::on_small_stack(move || parse_criteria(&text))
                .unwrap_err()
                .to_string();
            prop_assert!(e.contains("nested deeper") || e.contains("longer than"), "{}", e);
        }

        #[test]
        fn well_formed_criteria_parse_with_every_condition((text, n) in valid()) {
            prop_assert_eq!(parse_criteria(&text).unwrap().conditions(), n);
        }
    }

    #[test]
    fn the_deepest_accepted_nesting_still_parses() {
        let n = MAX_DEPTH - 1;
        let text = format!("{}(A:equals:1){}", "(".repeat(n), ")".repeat(n));
        assert_eq!(parse_criteria(&text).unwrap(), cond_a());
        let long = format!("(A:equals:{})", "x".repeat(MAX_CRITERIA_LEN));
        assert_eq!(parse_criteria(&long), Err(CriteriaError::TooLong));
    }

    fn cond_a() -> Criteria {
        Criteria::Condition {
            field: "A".into(),
            op: "equals".into(),
            value: "1".into(),
        }
    }
}
