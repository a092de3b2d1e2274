//! Matching real responses to Zoho's response schemas: which schema a status maps to, and
//! the rules for what the OAS files leave undeclared.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::oas::Oas;
use super::support::Answer;

pub fn load_oas() -> Oas {
    let dir = std::env::var_os("PROJECTLINK_OAS_DIR").unwrap_or_else(|| {
        panic!(
            "PROJECTLINK_OAS_DIR is not set: point it at Zoho's CRM OpenAPI v8.0 folder \
             (e.g. PROJECTLINK_OAS_DIR=../shared/zoho-crm-oas/v8.0) to run the contract tests"
        )
    });
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "PROJECTLINK_OAS_DIR={} is not a folder",
        dir.display()
    );
    Oas::load(&dir)
}

/// Statuses Zoho's status-code page documents for every endpoint, which most files do not
/// declare per operation: their bodies are checked against common.json's error schemas.
const GENERIC_ERROR_STATUSES: &[u16] = &[401, 403, 404, 405, 413, 429, 500, 504];

/// Collects every mismatch, so one run reports them all.
pub struct Checker {
    pub oas: Oas,
    failures: Vec<String>,
    checked: usize,
    exceptions: Vec<String>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker {
            oas: load_oas(),
            failures: Vec::new(),
            checked: 0,
            exceptions: Vec::new(),
        }
    }

    fn fail(&mut self, what: &str, message: String) {
        self.failures.push(format!("{what}: {message}"));
    }

    fn validate_at(&mut self, what: &str, file: &str, pointer: &str, body: &Value) {
        if let Err(errors) = self.oas.validate(file, pointer, body) {
            let mut shown = body.to_string();
            if shown.len() > 800 {
                let cut = (0..=800)
                    .rev()
                    .find(|i| shown.is_char_boundary(*i))
                    .unwrap_or(0);
                shown.truncate(cut);
                shown.push('…');
            }
            self.fail(
                what,
                format!("{file}#{pointer}: {}\n    body: {shown}", errors.join("; ")),
            );
        }
    }

    /// The body against common.json's error envelope (each item of a wrapped error).
    fn validate_common_error(&mut self, what: &str, status: u16, body: &Value) {
        let schema = if status == 403 {
            "/components/schemas/PermissionError"
        } else {
            "/components/schemas/API_Exception"
        };
        match wrapped_items(body) {
            Some(items) => {
                for item in items {
                    self.validate_at(what, "common.json", schema, &item);
                }
            }
            None => self.validate_at(what, "common.json", schema, body),
        }
    }

    /// Checks one answer of `method template` (an operation of `file`).
    ///
    /// * A declared status is validated against its schema.
    /// * 204 and 304 must come with an empty body.
    /// * record.json declares every outcome of an operation under 200 (a `oneOf` of the
    ///   success and `API_Exception` shapes), so its 201 and 400 answers are validated
    ///   against the 200 schema.
    /// * A 207 (mixed batch) is declared nowhere: each item, wrapped alone, must validate
    ///   against the operation's success or error schema.
    /// * The generic error statuses (401, 403, 404, 405, 429, 500...) are validated against
    ///   common.json's `API_Exception` (`PermissionError` for 403) unless the operation
    ///   declares them.
    /// * `exception` names a documented deviation: the body is validated against
    ///   common.json's `API_Exception` and the reason is listed in the test output.
    pub fn check(
        &mut self,
        file: &str,
        template: &str,
        method: &str,
        answer: &Answer,
        exception: Option<&str>,
    ) {
        let status = answer.status.as_u16();
        let what = format!("{method} {template} → {status}");
        self.checked += 1;
        if !self.oas.has_operation(file, template, method) {
            self.fail(&what, format!("{file} has no such operation"));
            return;
        }
        if let Some(reason) = exception {
            self.exceptions.push(format!("{what}: {reason}"));
            self.validate_common_error(&what, status, &answer.body);
            return;
        }
        if matches!(status, 204 | 304) {
            if !answer.body.is_null() {
                self.fail(&what, format!("expected no body, got {}", answer.body));
            }
            return;
        }
        if let Some(pointer) = self.oas.response_schema(file, template, method, status) {
            self.validate_at(&what, file, &pointer, &answer.body);
            return;
        }
        if status == 207 {
            self.check_mixed(&what, file, template, method, &answer.body);
            return;
        }
        if file == "record.json" && matches!(status, 201 | 400) {
            match self.oas.response_schema(file, template, method, 200) {
                Some(pointer) => self.validate_at(&what, file, &pointer, &answer.body),
                None => self.fail(&what, "no 200 schema in record.json".into()),
            }
            return;
        }
        if GENERIC_ERROR_STATUSES.contains(&status) {
            self.validate_common_error(&what, status, &answer.body);
            return;
        }
        self.fail(
            &what,
            format!(
                "status not declared (declared: {:?}); body {}",
                self.oas.statuses(file, template, method),
                answer.body
            ),
        );
    }

    fn check_mixed(&mut self, what: &str, file: &str, template: &str, method: &str, body: &Value) {
        let Some((key, items)) = body
            .as_object()
            .and_then(|o| o.iter().next())
            .and_then(|(k, v)| v.as_array().map(|a| (k.clone(), a.clone())))
        else {
            self.fail(what, format!("a 207 body must wrap an array: {body}"));
            return;
        };
        let pointers: Vec<String> = self
            .oas
            .statuses(file, template, method)
            .into_iter()
            .filter(|s| (200..500).contains(s) && *s != 204)
            .filter_map(|s| self.oas.response_schema(file, template, method, s))
            .collect();
        for (i, item) in items.into_iter().enumerate() {
            let single = json!({ key.clone(): [item] });
            let fits = pointers
                .iter()
                .any(|p| self.oas.validate(file, p, &single).is_ok());
            if !fits {
                self.fail(what, format!("item {i} fits no declared schema: {single}"));
            }
        }
    }

    pub fn finish(self) {
        println!(
            "checked {} responses; {} documented exceptions:",
            self.checked,
            self.exceptions.len()
        );
        for e in &self.exceptions {
            println!("  - {e}");
        }
        println!("$refs to schemas missing from the folder (accepted as open schemas):");
        for r in &self.oas.dangling {
            println!("  - {r}");
        }
        assert!(
            self.failures.is_empty(),
            "{} contract failures:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn wrapped_items(body: &Value) -> Option<Vec<Value>> {
    let map = body.as_object()?;
    if map.len() != 1 || map.contains_key("code") {
        return None;
    }
    map.values().next()?.as_array().cloned()
}

pub fn first_id(answer: &Answer, key: &str) -> String {
    answer.body[key][0]["details"]["id"]
        .as_str()
        .or_else(|| answer.body[key][0]["id"].as_str())
        .unwrap_or_else(|| panic!("no id in {}", answer.body))
        .to_string()
}
