//! Renderers of a plan: human text (coloured diffs on a terminal), markdown for pull-request
//! comments, and versioned JSON for machines and for `apply plan.json`.

pub mod json;
pub mod mapping;
pub mod markdown;
pub mod text;

use serde_json::Value;

/// Flattens a before/after value into `key: value` lines, the unit the diffs work on.
pub fn value_lines(value: Option<&Value>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(v) = value {
        flatten("", v, &mut lines);
    }
    lines
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => out.push(format!("{prefix}: {s}")),
        Value::Null => out.push(format!("{prefix}: null")),
        other => out.push(format!("{prefix}: {other}")),
    }
}

/// A line-by-line diff of before and after, as (sign, line) pairs; unchanged lines keep a
/// blank sign so the reader sees the whole object.
pub fn diff_lines(before: Option<&Value>, after: Option<&Value>) -> Vec<(char, String)> {
    let old = value_lines(before).join("\n");
    let new = value_lines(after).join("\n");
    let diff = similar::TextDiff::from_lines(&old, &new);
    diff.iter_all_changes()
        .map(|change| {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            (sign, change.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_values_flatten_to_dotted_keys() {
        let v = json!({"a": {"b": true}, "c": "x"});
        assert_eq!(value_lines(Some(&v)), vec!["a.b: true", "c: x"]);
    }

    #[test]
    fn diff_marks_changed_lines_only() {
        let before = json!({"view": true, "edit": false});
        let after = json!({"view": true, "edit": true});
        let d = diff_lines(Some(&before), Some(&after));
        assert!(d.contains(&(' ', "view: true".into())));
        assert!(d.contains(&('-', "edit: false".into())));
        assert!(d.contains(&('+', "edit: true".into())));
    }
}
