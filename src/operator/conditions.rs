//! Status conditions the way Kubernetes tooling reads them: one entry per type, with a
//! `lastTransitionTime` that only moves when the condition's status changes, so
//! `kubectl wait` and dashboards see real transitions rather than every re-check.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::zoho::redact::redact_urls_in;

pub use crate::spec::status::{CONDITION_DRIFTED, CONDITION_READY, CONDITION_SYNCED};

/// A resource with the status conditions the operator last wrote on it.
pub(crate) trait Conditioned: kube::ResourceExt {
    /// The conditions of the status the operator last wrote.
    fn status_conditions(&self) -> &[Condition];
    /// The generation the last written status describes.
    fn observed_generation(&self) -> Option<i64>;
}

/// The condition of this type on the last written status, if it is `True`.
pub(crate) fn condition_is_true(resource: &impl Conditioned, type_: &str) -> bool {
    resource
        .status_conditions()
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True")
}

/// Condition type: another integration already binds the same CRM org.
pub const CONDITION_CONFLICT: &str = "Conflict";

/// Longest condition message kept (the API server accepts 32 KiB; status stays readable).
const MAX_MESSAGE: usize = 2048;

/// The status of one condition, before timestamps are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionState {
    pub type_: &'static str,
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    pub reason: String,
    pub message: String,
}

impl ConditionState {
    pub fn new(
        type_: &'static str,
        status: bool,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConditionState {
            type_,
            status: if status { "True" } else { "False" },
            reason: reason.into(),
            message: message.into(),
        }
    }

    pub fn unknown(
        type_: &'static str,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConditionState {
            type_,
            status: "Unknown",
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// Builds the condition list from `states`, keeping the previous `lastTransitionTime` of
/// each type whose status did not change.
pub fn merge(
    previous: &[Condition],
    states: &[ConditionState],
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    states
        .iter()
        .map(|state| {
            let last_transition_time = previous
                .iter()
                .find(|c| c.type_ == state.type_ && c.status == state.status)
                .map(|c| c.last_transition_time.clone())
                .unwrap_or_else(|| now.clone());
            Condition {
                type_: state.type_.to_string(),
                status: state.status.to_string(),
                reason: state.reason.clone(),
                // Status is read by anyone who may read the resource: no URL in it shows
                // its credentials or query.
                message: truncate(&redact_urls_in(&state.message), MAX_MESSAGE),
                observed_generation: generation,
                last_transition_time,
            }
        })
        .collect()
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;

    fn time(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).unwrap())
    }

    #[test]
    fn transition_time_moves_only_when_the_status_changes() {
        let first = merge(
            &[],
            &[
                ConditionState::new(CONDITION_READY, true, "Reconciled", "ok"),
                ConditionState::new(CONDITION_DRIFTED, false, "InSync", "ok"),
            ],
            Some(1),
            &time(100),
        );
        let second = merge(
            &first,
            &[
                ConditionState::new(CONDITION_READY, true, "Reconciled", "still ok"),
                ConditionState::new(CONDITION_DRIFTED, true, "ObserveOnly", "2 changes"),
            ],
            Some(2),
            &time(200),
        );
        assert_eq!(second[0].last_transition_time, time(100));
        assert_eq!(second[0].message, "still ok");
        assert_eq!(second[0].observed_generation, Some(2));
        assert_eq!(second[1].last_transition_time, time(200));
        assert_eq!(second[1].status, "True");
    }

    #[test]
    fn messages_never_show_url_credentials_or_queries() {
        let conditions = merge(
            &[],
            &[ConditionState::new(
                CONDITION_READY,
                false,
                "Unreachable",
                "cannot reach https://user:pa55@zoho.example/?token=t0k",
            )],
            Some(1),
            &time(100),
        );
        assert_eq!(
            conditions[0].message,
            "cannot reach https://***@zoho.example/?***"
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let text = "é".repeat(2000);
        let cut = truncate(&text, MAX_MESSAGE);
        assert!(cut.len() <= MAX_MESSAGE);
        assert!(cut.ends_with("..."));
        assert_eq!(truncate("short", 10), "short");
    }
}
