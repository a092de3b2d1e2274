//! The safety stage shared by every kind: deletions refused unless the spec (`policy.prune`)
//! or the command line (`--prune`) allows them, plans touching more than
//! `policy.maxChangePercent` of what a kind manages refused unless forced, and the refusal
//! as plans show it and apply reports it, with its exit code.

use serde::{Deserialize, Serialize};

/// Exit code of a plan refused as unsafe (DESIGN.md §4), whatever its kind.
pub const EXIT_REFUSED: u8 = 3;

/// Deletions named in a prune refusal; the rest are counted.
const NAMED_DELETIONS: usize = 3;

/// Why a plan may not be applied as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: String,
    pub hint: String,
}

impl Refusal {
    /// The refusal in a text plan: `label` (`Refused:`, painted as the caller paints) and the
    /// reason, then the hint.
    pub fn text(&self, label: &str) -> String {
        format!("{label} {}\n  hint: {}\n", self.reason, self.hint)
    }

    /// The refusal in a markdown plan, as a caution block; `escape` makes text safe there.
    pub fn markdown(&self, escape: impl Fn(&str) -> String) -> String {
        format!(
            "> [!CAUTION]\n> **Refused:** {}  \n> {}\n\n",
            escape(&self.reason),
            escape(&self.hint)
        )
    }

    /// What apply says when it runs nothing because of this refusal.
    pub fn nothing_applied(&self) -> String {
        format!("Nothing applied: the plan is refused ({}).", self.reason)
    }
}

/// What the safety stage needs to know of one planned operation.
pub trait Operation {
    /// It deletes data from a system of record: allowed only with the prune opt-in.
    fn deletes(&self) -> bool;
    /// It counts toward `policy.maxChangePercent`.
    fn guarded(&self) -> bool;
    /// One short line naming it, for a refusal.
    fn describe(&self) -> String;
}

/// What the spec and the command line allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// `policy.prune` or `--prune`: deletions may run.
    pub prune: bool,
    /// `policy.maxChangePercent`.
    pub max_change_percent: u32,
    /// `--force` (operator: the allow-destructive annotation): nothing is refused.
    pub force: bool,
}

/// How a kind words what its change guard counts.
#[derive(Debug, Clone, Copy)]
pub struct GuardWords {
    /// What the counted operations do: `updates or deletes`.
    pub verb: &'static str,
    /// What `managed` counts: `managed objects`.
    pub noun: &'static str,
}

/// The change guard: refuses when `touched` of `managed` objects is more than
/// `max_change_percent`. Nothing is managed yet (a first apply) means nothing to protect.
pub fn change_guard(
    touched: usize,
    managed: usize,
    max_change_percent: u32,
    words: GuardWords,
) -> Option<Refusal> {
    if managed == 0 || touched * 100 <= max_change_percent as usize * managed {
        return None;
    }
    Some(Refusal {
        reason: format!(
            "the plan {} {touched} of {managed} {} ({}%), more than policy.maxChangePercent ({}%)",
            words.verb,
            words.noun,
            touched * 100 / managed,
            max_change_percent
        ),
        hint: "review the plan; if the change is intended, apply with --force or raise policy.maxChangePercent".into(),
    })
}

/// The prune gate: refuses deletions the policy does not allow, naming the first few.
/// `what` says what is deleted (`CRM record(s)`).
pub fn prune_gate<'a, O: Operation + 'a>(
    operations: impl IntoIterator<Item = &'a O>,
    policy: &Policy,
    what: &str,
) -> Option<Refusal> {
    if policy.prune || policy.force {
        return None;
    }
    let deletions: Vec<&O> = operations.into_iter().filter(|o| o.deletes()).collect();
    if deletions.is_empty() {
        return None;
    }
    let mut named: Vec<String> = deletions
        .iter()
        .take(NAMED_DELETIONS)
        .map(|o| o.describe())
        .collect();
    if deletions.len() > NAMED_DELETIONS {
        named.push(format!("{} more", deletions.len() - NAMED_DELETIONS));
    }
    Some(Refusal {
        reason: format!(
            "the plan deletes {} {what} ({}) and policy.prune is off",
            deletions.len(),
            named.join(", ")
        ),
        hint: "review the deletions; if they are intended, set policy.prune: true in the spec or apply with --prune".into(),
    })
}

/// The whole safety stage for a kind whose rules are only these two: the prune gate, then
/// the change guard over the operations it marks as guarded.
pub fn review<'a, O: Operation + 'a>(
    operations: impl IntoIterator<Item = &'a O> + Clone,
    managed: usize,
    policy: &Policy,
    deleted: &str,
    words: GuardWords,
) -> Option<Refusal> {
    if policy.force {
        return None;
    }
    if let Some(refusal) = prune_gate(operations.clone(), policy, deleted) {
        return Some(refusal);
    }
    let touched = operations.into_iter().filter(|o| o.guarded()).count();
    change_guard(touched, managed, policy.max_change_percent, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Op {
        deletes: bool,
        guarded: bool,
        name: &'static str,
    }

    impl Operation for Op {
        fn deletes(&self) -> bool {
            self.deletes
        }
        fn guarded(&self) -> bool {
            self.guarded
        }
        fn describe(&self) -> String {
            self.name.to_string()
        }
    }

    const WORDS: GuardWords = GuardWords {
        verb: "deletes",
        noun: "synced items",
    };

    fn policy(prune: bool, max: u32, force: bool) -> Policy {
        Policy {
            prune,
            max_change_percent: max,
            force,
        }
    }

    fn delete(name: &'static str) -> Op {
        Op {
            deletes: true,
            guarded: true,
            name,
        }
    }

    #[test]
    fn deletions_are_refused_without_prune_and_named() {
        let ops = [delete("a"), delete("b"), delete("c"), delete("d")];
        let refusal = review(&ops, 100, &policy(false, 30, false), "records", WORDS).unwrap();
        assert_eq!(
            refusal.reason,
            "the plan deletes 4 records (a, b, c, 1 more) and policy.prune is off"
        );
        assert!(review(&ops, 100, &policy(true, 30, false), "records", WORDS).is_none());
        assert!(review(&ops, 100, &policy(false, 30, true), "records", WORDS).is_none());
    }

    #[test]
    fn the_guard_refuses_past_the_percentage_only() {
        let ops = [delete("a"), delete("b"), delete("c")];
        assert!(review(&ops, 10, &policy(true, 30, false), "records", WORDS).is_none());
        let refusal = review(&ops, 9, &policy(true, 30, false), "records", WORDS).unwrap();
        assert_eq!(
            refusal.reason,
            "the plan deletes 3 of 9 synced items (33%), more than policy.maxChangePercent (30%)"
        );
        assert!(review(&ops, 0, &policy(true, 30, false), "records", WORDS).is_none());
        assert!(review(&ops, 9, &policy(true, 30, true), "records", WORDS).is_none());
    }

    #[test]
    fn refusals_render_in_text_and_markdown() {
        let refusal = Refusal {
            reason: "r".into(),
            hint: "h".into(),
        };
        assert_eq!(refusal.text("Refused:"), "Refused: r\n  hint: h\n");
        assert_eq!(
            refusal.markdown(|s| s.to_uppercase()),
            "> [!CAUTION]\n> **Refused:** R  \n> H\n\n"
        );
        assert_eq!(
            refusal.nothing_applied(),
            "Nothing applied: the plan is refused (r)."
        );
    }
}
