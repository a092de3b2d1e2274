//! End-to-end: `projectlink completions` and `projectlink man` run as the shipped binary and
//! produce what shells and `man` read, covering every verb; `--version` names its build.

mod cli_support;

use cli_support::run_binary;

/// Every verb `projectlink --help` lists, so the checks below follow new verbs on their own.
fn verbs() -> Vec<String> {
    let help = run_binary(&["--help"], &[]);
    assert_eq!(help.code, 0, "{}", help.all());
    let commands = help
        .stdout
        .split("Commands:")
        .nth(1)
        .expect("help lists commands");
    let verbs: Vec<String> = commands
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A verb starts its line after two spaces; deeper lines continue a wrapped description.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|v| *v != "help")
        .map(str::to_string)
        .collect();
    for expected in ["validate", "plan", "apply", "completions", "man"] {
        assert!(
            verbs.iter().any(|v| v == expected),
            "{expected} in {verbs:?}"
        );
    }
    verbs
}

#[test]
fn bash_completion_completes_every_verb_and_a_verbs_flags() {
    let run = run_binary(&["completions", "bash"], &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("complete -F _projectlink"),
        "{}",
        run.stdout
    );
    let top_level = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("opts=\"-v -h -V"))
        .expect("the top-level word list");
    for verb in verbs() {
        assert!(
            top_level
                .split_whitespace()
                .any(|w| w.trim_matches('"') == verb),
            "{verb} is not offered after projectlink: {top_level}"
        );
        assert!(
            run.stdout.contains(&format!("projectlink,{verb})")),
            "bash completion does not complete {verb}'s arguments"
        );
    }
    // A verb's own flags, and an enum's values.
    assert!(run.stdout.contains("--detailed-exitcode"));
    assert!(
        run.stdout.contains("text markdown json"),
        "plan --format values"
    );
}

#[test]
fn every_shell_is_supported_and_an_unknown_one_is_a_clear_error() {
    for (shell, marker) in [
        ("zsh", "#compdef projectlink"),
        ("fish", "complete -c projectlink"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[projectlink]"),
    ] {
        let run = run_binary(&["completions", shell], &[]);
        assert_eq!(run.code, 0, "{shell}: {}", run.all());
        assert!(run.stdout.contains(marker), "{shell}: no {marker}");
    }
    let run = run_binary(&["completions", "tcsh"], &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("invalid value 'tcsh'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("bash"),
        "lists the shells: {}",
        run.stderr
    );
}

/// The roff requests clap_mangen writes; anything else would be a rendering bug.
const REQUESTS: [&str; 11] = [
    ".TH", ".SH", ".TP", ".IP", ".PP", ".RS", ".RE", ".br", ".ie", ".el", ".SS",
];

fn assert_roff(page: &str, name: &str) {
    let first = page
        .lines()
        .find(|l| l.starts_with(".TH"))
        .unwrap_or_else(|| panic!("{name}: no .TH title line"));
    assert!(first.starts_with(&format!(".TH {name} 1 ")), "{first}");
    for line in page.lines().filter(|l| l.starts_with('.')) {
        let request = line.split_whitespace().next().unwrap_or_default();
        assert!(
            REQUESTS.contains(&request),
            "{name}: unknown request {line:?}"
        );
    }
    assert!(page.contains(".SH NAME\n"), "{name}: no NAME section");
    assert!(
        page.contains(".SH SYNOPSIS\n"),
        "{name}: no SYNOPSIS section"
    );
    assert_eq!(
        page.matches(".RS").count(),
        page.matches(".RE").count(),
        "{name}"
    );
}

#[test]
fn the_man_page_is_roff_listing_every_verb_and_the_build() {
    let run = run_binary(&["man"], &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_roff(&run.stdout, "projectlink");
    for verb in verbs() {
        assert!(
            run.stdout.contains(&format!("projectlink\\-{verb}(1)")),
            "the SUBCOMMANDS section lacks {verb}"
        );
    }
    let version = run_binary(&["-V"], &[]);
    let version = version.stdout.trim().trim_start_matches("projectlink ");
    assert!(
        run.stdout.contains(version),
        "the page names the build {version}"
    );
}

#[test]
fn man_out_dir_writes_a_page_per_verb() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = run_binary(&["man", "--out-dir", out.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.is_empty(), "pages go to files: {}", run.stdout);
    let mut names = vec!["projectlink".to_string()];
    names.extend(verbs().iter().map(|v| format!("projectlink-{v}")));
    names.push("projectlink-sandbox-serve".into());
    for name in &names {
        let path = out.join(format!("{name}.1"));
        let page =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_roff(&page, name);
        assert!(run.stderr.contains(&format!("{name}.1")), "{}", run.stderr);
    }
    let plan = std::fs::read_to_string(out.join("projectlink-plan.1")).unwrap();
    assert!(
        plan.contains("detailed\\-exitcode"),
        "plan's flags on its page"
    );
}

#[test]
fn man_out_dir_that_cannot_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("man1");
    let run = run_binary(&["man", "--out-dir", target.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("cannot create"), "{}", run.stderr);
    assert!(run.stderr.contains("a-file/man1"), "{}", run.stderr);
}

#[test]
fn version_names_the_commit_and_build_date() {
    let short = run_binary(&["-V"], &[]);
    assert_eq!(short.code, 0);
    let line = short.stdout.trim();
    assert!(
        line.starts_with(concat!("projectlink ", env!("CARGO_PKG_VERSION"), " (")),
        "{line}"
    );
    let long = run_binary(&["--version"], &[]);
    assert_eq!(long.code, 0);
    let fields: Vec<&str> = long.stdout.lines().collect();
    assert_eq!(
        fields[0],
        concat!("projectlink ", env!("CARGO_PKG_VERSION"))
    );
    let commit = fields[1].strip_prefix("commit: ").expect("commit line");
    let date = fields[2].strip_prefix("build date: ").expect("date line");
    assert!(fields[3].starts_with("target: "), "{}", fields[3]);
    // The tests run in a git checkout: the commit is a real abbreviated hash.
    assert!(
        commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{commit}"
    );
    assert!(line.contains(&format!("({commit} {date})")), "{line}");
}
