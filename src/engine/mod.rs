//! The kind-independent stages every kind's plan passes through, so each kind (the Projects
//! integration in `plan/` and `apply/`, Office 365 in `office365/`) gets the same gates.
//! `safety.rs` is the safety stage: the prune opt-in for deletions, the `maxChangePercent`
//! guard, the refusal and its exit code. `saved.rs` and `seal.rs` are the saved plan: the
//! fingerprints that make a stale plan refuse to run, and the seal that makes an edited one
//! refuse to load. `journal.rs` is the apply journal, flushed after every operation so a
//! killed apply can be resumed. `diagnostic.rs` is the one diagnostic type (code, severity,
//! spec position) and its text and markdown renderings; `address.rs` the stable addresses
//! diagnostics and changes point at.

pub mod address;
pub mod diagnostic;
pub mod journal;
pub mod kind;
pub mod safety;
pub mod saved;
pub mod seal;
