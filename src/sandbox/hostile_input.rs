//! Shared by the sandbox's property tests: one proptest configuration (a fixed seed, so CI
//! runs the same cases every time, and a bounded case count, so the parsers' tests stay
//! fast) and the hostile text they throw at every parser of the twin.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// The seed every sandbox property test starts from.
pub const SEED: u64 = 0x5A4D_B0C5;

/// `cases` cases from [`SEED`], without writing regression files into the source tree.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs `f` on a thread with a small stack, so a parser that recursed once per input
/// character would overflow here rather than pass by luck on a large main-thread stack.
pub fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn a parser thread")
        .join()
        .expect("the parser panicked")
}

/// Text a careless or hostile client sends: nesting thousands deep, numbers past every
/// integer type, control characters, unicode, long runs and random printable noise.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..6_000, "[()]").prop_map(|(n, c)| c.repeat(n)),
        (0usize..3_000).prop_map(|n| format!("{}(A:equals:1){}", "(".repeat(n), ")".repeat(n))),
        "[0-9]{18,40}",
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?",
        "\\PC{0,64}",
        "[\\x00-\\x1f\\x7f'\"\\\\%(),:=<>]{0,64}",
        (1usize..40_000).prop_map(|n| "x".repeat(n)),
        proptest::collection::vec(any::<u8>(), 0..256)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}
