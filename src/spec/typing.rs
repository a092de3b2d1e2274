//! Holds every scalar of a document to the type the kind's JSON Schema (the one its CRD
//! carries) gives the field, as `kubectl` and the API server would: `"yes"` and `"30"` are
//! text and do not fill a boolean or number field, and `123` or `true` unquoted do not fill
//! a text field. The typed read alone would convert them silently, so this runs first, on
//! the position tree, and reports each mismatch where it is written.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::document::Kind;
use super::path::FieldPath;
use super::positions::{Node, NodeKind, Position};
use super::scalars::ScalarType;
use super::schema::json_schema_of;

/// Longest part of a value repeated in a message.
const SHOWN_VALUE_CHARS: usize = 40;

/// Every scalar of the document whose type its field's schema does not allow.
pub(crate) fn check(root: &Node, kind: Kind) -> Vec<(Diagnostic, Position)> {
    let schema = schema(kind);
    let mut problems = Vec::new();
    Walk {
        root: schema,
        problems: &mut problems,
    }
    .node(root, schema, &FieldPath::root());
    problems
}

fn schema(kind: Kind) -> &'static Value {
    static PROJECTS: OnceLock<Value> = OnceLock::new();
    static OFFICE365: OnceLock<Value> = OnceLock::new();
    let cell = match kind {
        Kind::ProjectsIntegration => &PROJECTS,
        Kind::Office365Integration => &OFFICE365,
    };
    cell.get_or_init(|| json_schema_of(kind))
}

struct Walk<'a> {
    root: &'a Value,
    problems: &'a mut Vec<(Diagnostic, Position)>,
}

impl<'a> Walk<'a> {
    fn node(&mut self, node: &Node, schema: &'a Value, path: &FieldPath) {
        match &node.kind {
            NodeKind::Scalar { .. } => self.scalar(node, schema, path),
            NodeKind::Mapping(entries) => {
                for (key, value) in entries {
                    let Some(name) = key.scalar() else { continue };
                    if name == "<<" {
                        // A merge key brings its mapping's entries into this one: they are
                        // held to this mapping's schema.
                        self.merged(value, schema, path);
                        continue;
                    }
                    if let Some(child) = self.child(schema, |s| property(s, name)) {
                        self.node(value, child, &path.key(name));
                    }
                }
            }
            NodeKind::Sequence(items) => {
                if let Some(child) = self.child(schema, |s| s.get("items")) {
                    for (index, item) in items.iter().enumerate() {
                        self.node(item, child, &path.index(index));
                    }
                }
            }
        }
    }

    fn merged(&mut self, value: &Node, schema: &'a Value, path: &FieldPath) {
        match &value.kind {
            NodeKind::Mapping(_) => self.node(value, schema, path),
            NodeKind::Sequence(items) => {
                for item in items {
                    if matches!(item.kind, NodeKind::Mapping(_)) {
                        self.node(item, schema, path);
                    }
                }
            }
            NodeKind::Scalar { .. } => {}
        }
    }

    fn scalar(&mut self, node: &Node, schema: &Value, path: &FieldPath) {
        let NodeKind::Scalar { text, plain, ty } = &node.kind else {
            return;
        };
        let (at, ty) = (node.position, *ty);
        // A missing value is the typed read's to report, with its own wording.
        if ty == ScalarType::Null {
            return;
        }
        let Some(allowed) = self.types(schema) else {
            return;
        };
        let fits = allowed.contains(ty.json_type())
            || (ty == ScalarType::Int && allowed.contains("number"));
        // Fields of other shapes (a mapping given a scalar) are the typed read's to report.
        let scalar_expected = ["string", "boolean", "integer", "number"]
            .iter()
            .any(|t| allowed.contains(*t));
        if fits || !scalar_expected {
            return;
        }
        let expected = ["boolean", "integer", "number", "string"]
            .into_iter()
            .find(|t| allowed.contains(*t))
            .map_or("a value of another type", describe_json_type);
        let shown = shown(text);
        let (found, hint) = match ty {
            ScalarType::Str => {
                let write = match expected {
                    "true or false" => {
                        "write true or false (in YAML 1.2, yes, no, on and off are text)"
                    }
                    _ => "write a number, e.g. 30",
                };
                let quotes = if *plain { "" } else { ", without quotes" };
                (format!("the text \"{shown}\""), format!("{write}{quotes}"))
            }
            ScalarType::Bool => (
                format!("the boolean {shown}"),
                format!("quote it to make it text: \"{shown}\""),
            ),
            _ => (
                format!("the number {shown}"),
                format!("quote it to make it text: \"{shown}\""),
            ),
        };
        let within = if path.is_root() {
            String::new()
        } else {
            format!(" in {path}")
        };
        let diagnostic = Diagnostic::error(format!(
            "wrong type{within}: expected {expected}, found {found}"
        ))
        .with_path(path.to_string())
        .with_hint(hint);
        self.problems.push((diagnostic, at));
    }

    /// The schema of a child, found through `$ref`, `allOf`, `anyOf` and `oneOf`.
    fn child(
        &self,
        schema: &'a Value,
        pick: impl Fn(&'a Value) -> Option<&'a Value> + Copy,
    ) -> Option<&'a Value> {
        let schema = self.deref(schema)?;
        if let Some(found) = pick(schema) {
            return Some(found);
        }
        ["allOf", "anyOf", "oneOf"]
            .iter()
            .filter_map(|key| schema.get(*key)?.as_array())
            .flatten()
            .find_map(|branch| self.child(branch, pick))
    }

    /// The JSON types a schema allows, `None` when it does not say.
    fn types(&self, schema: &'a Value) -> Option<BTreeSet<&'a str>> {
        let schema = self.deref(schema)?;
        let mut allowed = BTreeSet::new();
        let mut constrained = false;
        match schema.get("type") {
            Some(Value::String(name)) => {
                constrained = true;
                allowed.insert(name.as_str());
            }
            Some(Value::Array(names)) => {
                constrained = true;
                allowed.extend(names.iter().filter_map(Value::as_str));
            }
            _ => {}
        }
        for key in ["anyOf", "oneOf"] {
            for branch in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                // One branch that says nothing lets anything through.
                allowed.extend(self.types(branch)?);
                constrained = true;
            }
        }
        for branch in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(types) = self.types(branch) {
                allowed.extend(types);
                constrained = true;
            }
        }
        constrained.then_some(allowed)
    }

    /// Follows a local `$ref` (`#/definitions/Name`).
    fn deref(&self, schema: &'a Value) -> Option<&'a Value> {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Some(schema);
        };
        let mut target = self.root;
        for part in reference.strip_prefix("#/")?.split('/') {
            target = target.get(part)?;
        }
        Some(target)
    }
}

fn property<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(found) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(found);
    }
    schema.get("additionalProperties").filter(|a| a.is_object())
}

fn describe_json_type(name: &str) -> &'static str {
    match name {
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        _ => "a text value",
    }
}

fn shown(text: &str) -> String {
    let mut shown: String = text.chars().take(SHOWN_VALUE_CHARS).collect();
    if text.chars().nth(SHOWN_VALUE_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::limits::LIMITS;
    use crate::spec::scan::scan;

    fn problems(text: &str) -> Vec<String> {
        let stream = scan(text, LIMITS);
        assert_eq!(stream.error, None);
        check(
            &stream.documents[0].positions.root,
            Kind::ProjectsIntegration,
        )
        .into_iter()
        .map(|(d, at)| format!("{}:{} {}", at.line, at.column, d.summary))
        .collect()
    }

    const HEAD: &str = "apiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\n";

    #[test]
    fn quoted_values_do_not_fill_boolean_or_number_fields() {
        let text = format!(
            "{HEAD}metadata: {{name: acme}}\nspec:\n  policy: {{prune: \"yes\", maxChangePercent: \"30\", observeOnly: on}}\n"
        );
        assert_eq!(
            problems(&text),
            [
                "5:19 wrong type in spec.policy.prune: expected true or false, found the text \"yes\"",
                "5:44 wrong type in spec.policy.maxChangePercent: expected a whole number, found the text \"30\"",
                "5:63 wrong type in spec.policy.observeOnly: expected true or false, found the text \"on\"",
            ]
        );
    }

    #[test]
    fn unquoted_numbers_and_booleans_do_not_fill_text_fields() {
        let text = format!(
            "{HEAD}metadata: {{name: 123, labels: {{team: true}}}}\nspec:\n  portal: {{name: \"123\"}}\n  policy: {{prune: False, maxChangePercent: 30}}\n"
        );
        assert_eq!(
            problems(&text),
            [
                "3:18 wrong type in metadata.name: expected a text value, found the number 123",
                "3:38 wrong type in metadata.labels.team: expected a text value, found the boolean true",
            ]
        );
    }

    #[test]
    fn merged_entries_are_held_to_the_mapping_they_join() {
        let text = format!(
            "{HEAD}metadata: {{name: acme}}\nx: &p {{prune: \"yes\"}}\nspec:\n  policy: {{<<: *p}}\n"
        );
        assert_eq!(
            problems(&text),
            [
                "4:15 wrong type in spec.policy.prune: expected true or false, found the text \"yes\""
            ]
        );
    }

    #[test]
    fn core_tags_decide_the_type() {
        let text = format!(
            "{HEAD}metadata: {{name: !!str 123}}\nspec:\n  policy: {{maxChangePercent: !!str 30}}\n"
        );
        assert_eq!(
            problems(&text),
            [
                "5:36 wrong type in spec.policy.maxChangePercent: expected a whole number, found the text \"30\""
            ]
        );
    }
}
