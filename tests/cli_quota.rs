//! End-to-end: an apply that spends the org's last CRM API credits stops calling CRM at the
//! first refusal, names the spent allowance (not "invalid request", not a retry count) and
//! exits 1; the sandbox refuses exactly as Zoho documents it (429 `TOO_MANY_REQUESTS`).

mod cli_support;

use cli_support::{Harness, example};
use projectlink::sandbox::seed::DEMO_SEED_YAML;

/// CRM requests the sandbox received (token requests aside).
fn crm_requests(h: &Harness) -> u64 {
    h.sandbox()
        .counters
        .snapshot()
        .iter()
        .filter(|(k, _)| k.contains(" /crm/"))
        .map(|(_, v)| v)
        .sum()
}

#[test]
fn spent_credits_stop_the_apply_at_once_and_are_named() {
    // What observing the demo org costs, measured on a sandbox without a limit.
    let free = Harness::demo();
    let plan = free.run(&["plan", "-f", &example("acme.yaml")]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let observe = free.sandbox().limits.credits_used();
    assert!(observe > 0);

    // Enough for the observation and three writes, not for the whole apply.
    let allowance = observe + 3;
    let h = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.credits_per_day = Some(allowance)
    });
    // One request at a time, so that the count of requests below is exact.
    let run = h.run(&[
        "--concurrency",
        "1",
        "apply",
        "-f",
        &example("acme.yaml"),
        "--auto-approve",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let all = run.all();
    assert!(
        all.contains("Stopped calling Zoho CRM")
            && all.contains("API credits for the org's rolling 24 hours are used up")
            && all.contains("TOO_MANY_REQUESTS"),
        "{all}"
    );
    assert!(!all.contains("invalid request"), "{all}");
    assert!(!all.contains("gave up after"), "retried: {all}");
    assert!(all.contains("Apply incomplete"), "{all}");
    // Every accepted CRM call costs at least a credit, so at most one refused call reached
    // the server: nothing was retried, and later changes failed without calling.
    assert!(
        crm_requests(&h) <= allowance + 1,
        "{} CRM requests for {allowance} credits: refusals were retried",
        crm_requests(&h)
    );
    // Later changes fail with the same reason, each saying it was not sent.
    assert!(
        all.contains("not sent: nothing more goes to Zoho CRM"),
        "{all}"
    );
}
