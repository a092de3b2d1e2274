//! End-to-end: hostile and careless spec files, made by the test itself (alias bombs, deep
//! nesting, huge values, a 10 MB line, too many documents, a file over the size limit,
//! wrong tags, coerced scalars, duplicate keys, tabs), each refused by `plan --target` with
//! exit 1, a file:line:column, a message of bounded length, and no request to the server;
//! and a `--target` URL with credentials and a query never echoed as given.

mod cli_support;

use cli_support::{Harness, read_example, run_binary};

/// Longest stderr a refusal may print: a few diagnostics, never the offending input.
const MAX_MESSAGE_BYTES: usize = 4096;

/// The example spec with `from` (which must occur) replaced by `to`.
fn edited(from: &str, to: &str) -> String {
    let base = read_example("acme.yaml");
    assert!(base.contains(from), "{from:?} not in acme.yaml");
    base.replacen(from, to, 1)
}

/// "Billion laughs": ten levels of nine aliases each, about 600 bytes that expand to 10^9
/// scalars.
fn alias_bomb() -> String {
    let mut text = String::from(
        "apiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\nmetadata:\n  name: acme\n  labels:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let refs = vec![format!("*l{}", level - 1); 9].join(", ");
        text.push_str(&format!("    l{level}: &l{level} [{refs}]\n"));
    }
    text
}

/// The hostile corpus: file name, text, and what the message must say.
fn corpus() -> Vec<(&'static str, String, &'static str)> {
    let huge = "a".repeat(200_000);
    vec![
        ("alias_bomb.yaml", alias_bomb(), "limit of 100000"),
        (
            "deep_flow.yaml",
            format!("a: {}{}\n", "[".repeat(5_000), "]".repeat(5_000)),
            "limit of 64 levels",
        ),
        (
            "deep_block.yaml",
            (0..200)
                .map(|depth| format!("{}k{depth}:\n", "  ".repeat(depth)))
                .collect(),
            "limit of 64 levels",
        ),
        (
            "huge_scalar.yaml",
            edited("name: acme\n", &format!("name: \"{huge}\"\n")),
            "limit of 64 KiB",
        ),
        (
            "line_10mb.yaml",
            edited(
                "name: acme\n",
                &format!("name: {}\n", "x".repeat(10_000_000)),
            ),
            "limit of 64 KiB",
        ),
        (
            "line_10mb_of_items.yaml",
            edited(
                "    team: delivery\n",
                &format!("    team: delivery\n    x: [{}1]\n", "1,".repeat(5_000_000)),
            ),
            "limit of 100000",
        ),
        (
            "too_many_documents.yaml",
            "---\na: 1\n".repeat(1_500),
            "limit of 1000",
        ),
        (
            "over_size_limit.yaml",
            format!("{}# {}\n", read_example("acme.yaml"), "x".repeat(17 << 20)),
            "larger than the limit of 16 MiB",
        ),
        (
            "binary_tag.yaml",
            edited("name: acme\n", "name: !!binary YWNtZQ==\n"),
            "unsupported tag \"!!binary\"",
        ),
        (
            "custom_tag.yaml",
            edited("state: Active", "state: !custom Active"),
            "unsupported tag \"!custom\"",
        ),
        (
            "quoted_bool.yaml",
            edited("prune: false", "prune: \"yes\""),
            "expected true or false",
        ),
        (
            "yaml11_bool.yaml",
            edited("observeOnly: false", "observeOnly: on"),
            "expected true or false",
        ),
        (
            "quoted_number.yaml",
            edited("maxChangePercent: 30", "maxChangePercent: \"30\""),
            "expected a whole number",
        ),
        (
            "number_as_name.yaml",
            edited("name: acme\n", "name: 123\n"),
            "expected a text value",
        ),
        (
            "duplicate_keys.yaml",
            edited(
                "  state: Active\n",
                "  state: Active\n  state: Deactivated\n",
            ),
            "first written at line",
        ),
        (
            "tabs.yaml",
            edited("  name: acme\n", "\tname: acme\n"),
            "tabs",
        ),
        (
            "bom_and_tabs.yaml",
            format!(
                "\u{FEFF}{}",
                edited("  state: Active\n", "\tstate: Active\n")
            ),
            "tabs",
        ),
    ]
}

#[test]
fn hostile_specs_exit_1_with_a_position_a_short_message_and_no_api_call() {
    let h = Harness::demo();
    for (name, text, says) in corpus() {
        let path = h.write(name, &text);
        let path = path.to_str().unwrap();
        let run = h.run(&["plan", "-f", path]);
        let head: String = run.stderr.chars().take(2_000).collect();
        assert_eq!(run.code, 1, "{name}: {head}");
        assert!(
            run.stderr.len() <= MAX_MESSAGE_BYTES,
            "{name}: {} bytes of stderr: {head}",
            run.stderr.len()
        );
        let position = format!("{path}:");
        let located = run.stderr.lines().any(|line| {
            line.split_once(position.as_str()).is_some_and(|(_, rest)| {
                let mut parts = rest.split(':');
                let number = |p: Option<&str>| p.is_some_and(|p| p.parse::<u32>().is_ok());
                number(parts.next()) && number(parts.next())
            })
        });
        assert!(located, "{name}: no file:line:column in\n{head}");
        assert!(run.stderr.contains(says), "{name}: no {says:?} in\n{head}");
        assert_eq!(h.sandbox().counters.total(), 0, "{name} reached the server");
    }
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let h = Harness::demo();
    let path = h.write(
        "bom.yaml",
        &format!("\u{FEFF}{}", read_example("acme.yaml")),
    );
    let run = h.run(&["validate", "-f", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_target_url_never_shows_its_credentials_or_query() {
    let h = Harness::demo();
    let saved = h.path("plan.json");
    let saved = saved.to_str().unwrap();
    let state = h.path("state");
    let state = state.to_str().unwrap();
    let with_query = format!("{}/?token=t0ken-value", h.url);
    let with_userinfo =
        h.url.replacen("://", "://admin:pa55word-value@", 1) + "/?token=t0ken-value";
    let unparsable = "http://admin:pa55word-value@[bad/?token=t0ken-value".to_owned();
    for target in [with_query, with_userinfo, unparsable] {
        let example = cli_support::example("minimal.yaml");
        let args = [
            "--target",
            &target,
            "--state-dir",
            state,
            "-vv",
            "plan",
            "-f",
            &example,
            "--out",
            saved,
        ];
        let run = run_binary(&args, &[]);
        let saved_text = std::fs::read_to_string(saved).unwrap_or_default();
        for secret in ["pa55word-value", "t0ken-value"] {
            assert!(
                !run.all().contains(secret) && !saved_text.contains(secret),
                "{target}: {secret} shown in\n{}\n{saved_text}",
                run.all()
            );
        }
        assert!(run.all().contains("***"), "{target}: {}", run.all());
    }
}
