//! End-to-end: one apply at a time per org. Concurrent applies on one sandbox org either
//! wait for the lease or exit 1 naming its holder, and together leave exactly what one apply
//! leaves; a holder killed with -9 loses the lease once it expires.

mod cli_support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cli_support::{Harness, command, example};
use projectlink::sandbox::seed::DEMO_SEED_YAML;

/// The lease document while one is held.
fn lease_value(h: &Harness) -> Option<String> {
    let db = rusqlite::Connection::open_with_flags(
        h.dir.path().join("sandbox.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row(
        "SELECT value FROM crm_variables WHERE api_name = 'projectlink_apply_lease'",
        [],
        |r| r.get::<_, String>(0),
    )
    .ok()
}

/// Waits until some run holds the lease and returns its document.
fn wait_for_lease(h: &Harness) -> String {
    let start = Instant::now();
    loop {
        if let Some(v) = lease_value(h) {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no apply took the lease"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn spawn(h: &Harness, extra: &[&str], env: &[(&str, &str)]) -> Child {
    let acme = example("acme.yaml");
    let mut apply = vec!["apply", "-f", &acme, "--auto-approve"];
    apply.extend(extra);
    let args = h.args(&apply);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command(&args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// What a single apply of the demo spec leaves behind.
fn single_apply_state() -> Vec<String> {
    let h = Harness::demo();
    let run = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    h.data_state()
}

/// Latency stretches an apply over a few seconds, long enough to overlap others with it.
fn slow_org() -> Harness {
    Harness::with_config(DEMO_SEED_YAML, |config| {
        config.latency = Duration::from_millis(40)
    })
}

#[test]
fn concurrent_applies_take_turns_and_leave_what_one_apply_leaves() {
    let h = slow_org();
    // Paced at one Projects call per API per 2 s, the first apply holds the lease for
    // several seconds while the others observe at full speed.
    let first = spawn(
        &h,
        &["--lock-timeout", "120s", "--projects-rate-limit", "1/2"],
        &[],
    );
    let held = wait_for_lease(&h);
    assert!(held.contains(&format!(":{}:", first.id())), "{held}");

    // Without a wait, a second apply exits 1 at once and names the holder and expiry.
    let refused = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("another apply holds this org's apply lease")
            && refused.stderr.contains(&format!(":{}:", first.id()))
            && refused.stderr.contains("expires "),
        "{}",
        refused.all()
    );
    assert!(
        !refused.stdout.contains("Apply complete"),
        "{}",
        refused.all()
    );

    // With a wait, it says whom it waits for and runs once the first is done.
    let second = spawn(&h, &["--lock-timeout", "120s"], &[]);
    let (code, text) = finish(first);
    assert_eq!(code, 0, "{text}");
    let (code, text) = finish(second);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Waiting for the org's apply lease, held by")
            && text.contains("planned again"),
        "{text}"
    );
    assert!(lease_value(&h).is_none(), "the lease was not released");

    let plan = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert_eq!(h.data_state(), single_apply_state());
}

/// Starts an apply that takes the lease as `host` with a 3 s lifetime, kills it with -9
/// once it holds the lease, and returns its pid.
fn kill_a_holder(h: &Harness, host: &str) -> u32 {
    let mut holder = spawn(
        h,
        &[],
        &[
            ("PROJECTLINK_LOCK_TTL", "3"),
            ("PROJECTLINK_LEASE_HOST", host),
        ],
    );
    let held = wait_for_lease(h);
    let pid = holder.id();
    holder.kill().unwrap(); // SIGKILL: no chance to release anything
    let _ = holder.wait();
    assert!(held.contains(&format!("{host}:{pid}:")), "{held}");
    assert!(lease_value(h).is_some(), "a killed holder cannot release");
    pid
}

#[test]
fn a_holder_on_another_machine_killed_with_sigkill_loses_the_lease_when_it_expires() {
    let h = slow_org();
    let pid = kill_a_holder(&h, "build-agent-7");

    // Its process cannot be checked from here: until expiry, the lease is its.
    let refused = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains(&format!("build-agent-7:{pid}:")),
        "{}",
        refused.all()
    );

    let after = h.run(&[
        "apply",
        "-f",
        &example("acme.yaml"),
        "--auto-approve",
        "--lock-timeout",
        "30s",
    ]);
    assert_eq!(after.code, 0, "{}", after.all());
    assert!(
        after.stderr.contains(&format!(
            "Took over the org's apply lease from build-agent-7:{pid}:"
        )) && after.stderr.contains("which expired at"),
        "{}",
        after.all()
    );
    assert!(lease_value(&h).is_none(), "the lease was not released");
    let plan = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
}

#[test]
fn a_holder_on_this_machine_killed_with_sigkill_loses_the_lease_at_once() {
    let h = slow_org();
    let pid = kill_a_holder(&h, "this-machine");
    let after = h.run_env(
        &["apply", "-f", &example("acme.yaml"), "--auto-approve"],
        &[("PROJECTLINK_LEASE_HOST", "this-machine")],
    );
    assert_eq!(after.code, 0, "{}", after.all());
    assert!(
        after.stderr.contains(&format!(
            "Took over the org's apply lease from this-machine:{pid}:"
        )) && after.stderr.contains("no longer runs"),
        "{}",
        after.all()
    );
    let plan = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
}

#[test]
fn plan_never_takes_the_lease() {
    let h = slow_org();
    let holder = spawn(
        &h,
        &["--lock-timeout", "60s", "--projects-rate-limit", "1/2"],
        &[],
    );
    wait_for_lease(&h);
    // A plan reads alongside a running apply.
    let plan = h.run(&["plan", "-f", &example("acme.yaml")]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(!plan.all().contains("lease"), "{}", plan.all());
    assert!(
        lease_value(&h).is_some(),
        "the apply finished before the plan"
    );
    let (code, text) = finish(holder);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn lock_false_applies_without_the_lease_and_says_so() {
    let h = Harness::demo();
    let unlocked = h.run(&[
        "apply",
        "-f",
        &example("acme.yaml"),
        "--auto-approve",
        "--lock=false",
    ]);
    assert_eq!(unlocked.code, 0, "{}", unlocked.all());
    assert!(
        unlocked.stderr.contains("--lock=false"),
        "{}",
        unlocked.all()
    );
    // Taking and releasing a lease creates and deletes its variable; nothing was deleted.
    let counts = h.sandbox().counters.snapshot();
    assert_eq!(
        counts.get("DELETE /crm/v8/settings/variables/{id}"),
        None,
        "{counts:?}"
    );
}

#[test]
fn the_office365_apply_takes_the_same_lease() {
    let h = slow_org();
    let holder = spawn(
        &h,
        &["--lock-timeout", "60s", "--projects-rate-limit", "1/2"],
        &[],
    );
    let held = wait_for_lease(&h);
    let office = example("office365.yaml");
    let refused = h.run(&["apply", "-f", &office, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("another apply holds this org's apply lease")
            && refused.stderr.contains(&format!(":{}:", holder.id())),
        "{held}\n{}",
        refused.all()
    );
    let waited = h.run(&[
        "apply",
        "-f",
        &office,
        "--auto-approve",
        "--lock-timeout",
        "60s",
    ]);
    assert_eq!(waited.code, 0, "{}", waited.all());
    assert!(
        waited.stderr.contains("Waiting for the org's apply lease"),
        "{}",
        waited.all()
    );
    let (code, text) = finish(holder);
    assert_eq!(code, 0, "{text}");
    let plan = h.run(&["plan", "-f", &office, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(lease_value(&h).is_none(), "the lease was not released");
}
