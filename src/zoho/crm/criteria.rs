//! Builders for the `criteria` parameter of CRM search and count:
//! `((Field:operator:value) and (Field:operator:value))`, with `(`, `)` and `,` in values
//! escaped by a backslash, as Zoho requires (a trailing backslash is escaped too).

/// Escapes a value for use inside a criterion.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        if matches!(c, '(' | ')' | ',') {
            out.push('\\');
        }
        out.push(c);
    }
    if value.ends_with('\\') {
        out.push('\\');
    }
    out
}

/// `(field:operator:value)` with the value escaped.
pub fn condition(field: &str, operator: &str, value: &str) -> String {
    format!("({field}:{operator}:{})", escape(value))
}

/// `(field:equals:value)`. Zoho's `equals` on text fields matches like "contains" in some
/// editions; callers comparing exact values should re-check the results.
pub fn equals(field: &str, value: &str) -> String {
    condition(field, "equals", value)
}

/// `(field:in:a,b,c)` (Zoho allows up to 100 values).
pub fn any_of(field: &str, values: &[String]) -> String {
    let joined: Vec<String> = values.iter().map(|v| escape(v)).collect();
    format!("({field}:in:{})", joined.join(","))
}

/// Joins criteria with `and`, nesting pairs so any number of them stays valid.
pub fn and(parts: &[String]) -> String {
    join(parts, "and")
}

/// Joins criteria with `or`, nesting pairs so any number of them stays valid.
pub fn or(parts: &[String]) -> String {
    join(parts, "or")
}

fn join(parts: &[String], operator: &str) -> String {
    let mut iter = parts.iter();
    let Some(first) = iter.next() else {
        return String::new();
    };
    iter.fold(first.clone(), |acc, next| {
        format!("({acc} {operator} {next})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_zohos_special_characters() {
        assert_eq!(
            equals("Last_Name", "Burns, B (Jr)"),
            "(Last_Name:equals:Burns\\, B \\(Jr\\))"
        );
        assert_eq!(escape("ends\\"), "ends\\\\");
        assert_eq!(
            any_of("Project_Id", &["1".into(), "2".into()]),
            "(Project_Id:in:1,2)"
        );
    }

    #[test]
    fn joins_in_pairs() {
        let parts = vec![equals("A", "1"), equals("B", "2"), equals("C", "3")];
        assert_eq!(
            and(&parts),
            "(((A:equals:1) and (B:equals:2)) and (C:equals:3))"
        );
        assert_eq!(or(&parts[..1]), "(A:equals:1)");
        assert_eq!(and(&[]), "");
    }
}
