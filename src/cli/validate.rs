//! `projectlink validate -f FILE...`: checks spec files without any network call and reports
//! every problem of every file at once.

use std::io::Write;
use std::path::PathBuf;

use crate::spec;

/// Check spec files offline: YAML syntax, types, unknown fields and the static rules.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// Spec files (YAML, one or more documents each); a directory stands for its .yaml and
    /// .yml files, `-` for standard input.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
}

/// Prints one `✓ FILE: KIND/NAME is valid` line per valid document (of any kind, in the
/// order read) on `out`, the diagnostics and a summary line on `err`. Returns the exit code:
/// 0 when every document is valid, 1 otherwise.
pub fn run(
    args: &ValidateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> anyhow::Result<u8> {
    let report = spec::load_files_report(&args.files);
    for loaded in report.resources().iter().filter(|l| !l.has_errors) {
        let check = if color { "\x1b[1;32m✓\x1b[0m" } else { "✓" };
        writeln!(
            out,
            "{check} {}: {}/{} is valid",
            loaded.source.name,
            loaded.kind.name(),
            loaded.name
        )?;
    }
    if !report.diagnostics.is_empty() {
        write!(err, "{}", report.diagnostics.render(color))?;
        writeln!(err)?;
        writeln!(err, "{}", report.diagnostics.summary_line())?;
    }
    Ok(if report.diagnostics.has_errors() {
        1
    } else {
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(files: &[PathBuf]) -> (u8, String, String) {
        let args = ValidateArgs {
            files: files.to_vec(),
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err, false).unwrap();
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn valid_files_print_a_check_per_document_and_exit_0() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("two.yaml");
        let doc = |name: &str| {
            format!(
                "apiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\nmetadata: {{name: {name}}}\nspec:\n  portal: {{name: P}}\n"
            )
        };
        std::fs::write(&file, format!("{}---\n{}", doc("one"), doc("two"))).unwrap();
        let (code, out, err) = run_on(std::slice::from_ref(&file));
        assert_eq!(code, 0, "{err}");
        let name = file.display();
        assert_eq!(
            out,
            format!(
                "✓ {name}: ProjectsIntegration/one is valid\n✓ {name}: ProjectsIntegration/two is valid\n"
            )
        );
        assert_eq!(err, "");
    }

    #[test]
    fn files_of_both_kinds_are_listed_with_their_kinds_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mixed = dir.path().join("mixed.yaml");
        let broken = dir.path().join("broken.yaml");
        std::fs::write(
            &mixed,
            "apiVersion: projectlink.dev/v1alpha1\nkind: Office365Integration\nmetadata: {name: acme}\nspec:\n  connection: {graphSecretRef: {name: acme-graph}}\n  tenant: acme.onmicrosoft.com\n---\napiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\nmetadata: {name: acme}\nspec:\n  portal: {name: P}\n",
        )
        .unwrap();
        std::fs::write(
            &broken,
            "apiVersion: projectlink.dev/v1alpha1\nkind: Office365Integration\nmetadata: {name: other}\nspec:\n  connection: {graphSecretRef: {name: g}, clientSecret: hunter2}\n  tenant: acme.onmicrosoft.com\n",
        )
        .unwrap();
        let (code, out, err) = run_on(&[mixed, broken]);
        assert_eq!(code, 1);
        let out = out.replace(&dir.path().display().to_string(), "DIR");
        let err = err.replace(&dir.path().display().to_string(), "DIR");
        assert!(!err.contains("hunter2"), "a credential is echoed: {err}");
        insta::assert_snapshot!(format!("stdout:\n{out}\nstderr:\n{err}"));
    }

    #[test]
    fn problems_go_to_err_with_a_summary_and_exit_1() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.yaml");
        let (code, out, err) = run_on(std::slice::from_ref(&missing));
        assert_eq!(code, 1);
        assert_eq!(out, "");
        assert!(err.starts_with("error: cannot read file: "), "{err}");
        assert!(err.contains(&format!("--> {}", missing.display())), "{err}");
        assert!(err.ends_with("\n1 error in 1 file\n"), "{err}");
    }
}
