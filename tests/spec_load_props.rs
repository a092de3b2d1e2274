//! Property tests of the spec loader: random YAML-ish text and mutations of a real spec
//! never make it panic, every error it reports has a file:line:column, and each load stays
//! fast. A fixed seed and a bounded number of cases keep CI repeatable.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use projectlink::spec;

/// The slowest a single load of these small inputs may be (debug build, busy CI machine).
const MAX_LOAD: Duration = Duration::from_secs(2);

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x59A3_1F00_0014),
        failure_persistence: None,
        ..Config::default()
    }
}

const EXAMPLE: &str = include_str!("../examples/acme.yaml");

/// Pieces YAML is made of, including the ones that make parsers work hard.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(": ".to_owned()),
        Just("\n".to_owned()),
        Just("\n  ".to_owned()),
        Just("- ".to_owned()),
        Just("---\n".to_owned()),
        Just("...\n".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: *a".to_owned()),
        Just("!!binary ".to_owned()),
        Just("!!str ".to_owned()),
        Just("!x ".to_owned()),
        Just("? ".to_owned()),
        Just("|\n".to_owned()),
        Just(">-\n".to_owned()),
        Just("\t".to_owned()),
        Just("\u{FEFF}".to_owned()),
        Just("# c\n".to_owned()),
        Just("%YAML 1.2\n".to_owned()),
        (1usize..200).prop_map(|n| "[".repeat(n)),
        (1usize..200).prop_map(|n| "{a: ".repeat(n)),
        Just("]".to_owned()),
        Just("}".to_owned()),
        Just(", ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        "[a-zA-Z_]{1,12}",
        "-?[0-9]{1,25}(\\.[0-9]{0,4})?",
        "(yes|no|on|off|true|False|~|null|0x1F|0o17|\\.inf)",
        "\\PC{0,16}",
    ]
}

/// Text built from random tokens.
fn random_yaml() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..80).prop_map(|tokens| tokens.concat())
}

/// The example spec with a few random edits: tokens inserted, spans deleted or repeated.
fn mutated_example() -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0usize..40, token(), 0u8..3);
    prop::collection::vec(edit, 1..6).prop_map(|edits| {
        let mut text = EXAMPLE.to_owned();
        for (at, len, token, how) in edits {
            let start = floor_char_boundary(&text, at.index(text.len() + 1));
            let end = floor_char_boundary(&text, (start + len).min(text.len()));
            match how {
                0 => text.insert_str(start, &token),
                1 => text.replace_range(start..end, ""),
                _ => {
                    let span = text[start..end].to_owned();
                    text.insert_str(end, &span);
                }
            }
        }
        text
    })
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Loads `text`; checks every error has a position and the load was fast.
fn check(text: &str) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let report = spec::load_str_report("prop.yaml", text);
    let took = started.elapsed();
    prop_assert!(took < MAX_LOAD, "load took {took:?}");
    for diagnostic in report.diagnostics.iter().filter(|d| d.is_error()) {
        prop_assert!(
            diagnostic.line.is_some() && diagnostic.column.is_some(),
            "no position: {diagnostic}"
        );
        prop_assert!(diagnostic.render(false).len() < 2_000, "{diagnostic}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_yaml_loads_or_fails_with_a_position(text in random_yaml()) {
        check(&text)?;
    }

    #[test]
    fn mutated_specs_load_or_fail_with_a_position(text in mutated_example()) {
        check(&text)?;
    }
}
