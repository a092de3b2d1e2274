//! Digests that seal a saved plan of any kind: `apply PLANFILE` refuses a file edited after
//! `plan -o` wrote it, and names what was edited (a change by its name, or a part of the
//! document).
//!
//! A digest catches edits and corruption, not a forger who recomputes it; `apply` therefore
//! also re-plans from the spec the file carries and refuses changes the planner would not
//! make (see `cli/apply.rs` and `cli/office365_saved.rs`), so what it executes is always what
//! the planner produced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The seal written into a saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// SHA-256 over every part's digest below, in order: the whole document but this seal.
    pub digest: String,
    /// One digest per part of the document (target, desired, connection, options, plan).
    pub parts: BTreeMap<String, String>,
    /// One digest per change, in the plan's order.
    pub changes: Vec<String>,
}

/// What a seal check found edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tampered {
    #[error("the plan has no seal (a `digest`); it was not written by `projectlink plan -o`")]
    Unsealed,
    #[error("the plan was edited after it was saved: {0}")]
    Edited(String),
}

/// A digest of any serializable value, as lowercase hex.
pub fn digest_of<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).expect("plan documents serialize");
    hex(&Sha256::digest(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals a document given its parts (name → value) and its changes.
pub fn seal<C: Serialize>(parts: &[(&str, serde_json::Value)], changes: &[C]) -> Seal {
    let parts: BTreeMap<String, String> = parts
        .iter()
        .map(|(name, value)| (name.to_string(), digest_of(value)))
        .collect();
    let changes: Vec<String> = changes.iter().map(digest_of).collect();
    let mut whole = Sha256::new();
    for (name, digest) in &parts {
        whole.update(name.as_bytes());
        whole.update(b"=");
        whole.update(digest.as_bytes());
        whole.update(b"\n");
    }
    for digest in &changes {
        whole.update(digest.as_bytes());
        whole.update(b"\n");
    }
    Seal {
        digest: hex(&whole.finalize()),
        parts,
        changes,
    }
}

/// Compares the seal the file carries with one computed from its content, naming every
/// part and change (by `name`, e.g. `create crm/module/Linked_Projects`) that differs.
pub fn check<C>(
    stored: &Seal,
    fresh: &Seal,
    changes: &[C],
    name: impl Fn(&C) -> String,
) -> Result<(), Tampered> {
    if stored == fresh {
        return Ok(());
    }
    let mut edited: Vec<String> = Vec::new();
    for (name, digest) in &fresh.parts {
        if stored.parts.get(name) != Some(digest) {
            edited.push(format!("its {name}"));
        }
    }
    for (index, change) in changes.iter().enumerate() {
        if stored.changes.get(index) != Some(&fresh.changes[index]) {
            edited.push(format!("change {} ({})", index + 1, name(change)));
        }
    }
    if stored.changes.len() != fresh.changes.len() {
        edited.push(format!(
            "the number of changes ({} saved, {} now)",
            stored.changes.len(),
            fresh.changes.len()
        ));
    }
    if edited.is_empty() {
        // Every part matches its own digest, so the seal's summary digest was edited.
        edited.push("its digest".into());
    }
    Err(Tampered::Edited(edited.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(target: &str) -> Vec<(&'static str, serde_json::Value)> {
        vec![("target", json!(target)), ("desired", json!({"a": 1}))]
    }

    #[test]
    fn an_unchanged_document_passes_and_an_edited_part_is_named() {
        let sealed = seal::<()>(&parts("sandbox:x"), &[]);
        assert_eq!(
            check::<()>(&sealed, &seal::<()>(&parts("sandbox:x"), &[]), &[], |_| {
                String::new()
            }),
            Ok(())
        );
        let err = check::<()>(&sealed, &seal::<()>(&parts("zoho:us"), &[]), &[], |_| {
            String::new()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the plan was edited after it was saved: its target"
        );
    }

    #[test]
    fn an_edited_summary_digest_is_named() {
        let mut sealed = seal::<()>(&parts("sandbox:x"), &[]);
        sealed.digest = "0".repeat(64);
        let err = check::<()>(&sealed, &seal::<()>(&parts("sandbox:x"), &[]), &[], |_| {
            String::new()
        })
        .unwrap_err();
        assert!(err.to_string().ends_with("its digest"), "{err}");
    }

    #[test]
    fn an_edited_change_is_named_by_the_kind() {
        let changes = [json!("a"), json!("b")];
        let sealed = seal(&parts("sandbox:x"), &changes);
        let edited = [json!("a"), json!("c")];
        let err = check(&sealed, &seal(&parts("sandbox:x"), &edited), &edited, |c| {
            format!("update {c}")
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the plan was edited after it was saved: change 2 (update \"c\")"
        );
    }

    #[test]
    fn digests_are_sha256_hex() {
        let d = digest_of(&json!({"x": 1}));
        assert_eq!(d.len(), 64);
        assert!(d.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
