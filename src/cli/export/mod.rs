//! `projectlink export`: writes a live integration as a spec that `plan` then shows as no
//! changes — to bootstrap a repository from an org configured by hand, or to review drift.
//! One module per kind; the flags, the header comment and the YAML rendering are shared.

mod office365;
mod projects;
mod projects_live;

use std::io::Write;

use anyhow::{anyhow, bail};
use clap::Args;
use serde::Serialize;

use super::GlobalArgs;
use super::schema::KindArg;
use crate::spec::{DataCenter, Kind};

/// What to export and how to reach it. The command's help text is on
/// [`crate::cli::Command::Export`].
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The kind of integration to export.
    #[arg(long, value_enum, default_value_t = KindArg::Projects)]
    pub kind: KindArg,
    /// Name of the credentials entry (connection.secretRef) to read the org with.
    #[arg(long, value_name = "NAME", default_value = "zoho-oauth")]
    pub secret_ref: String,
    /// Credentials entry of the portal owner's grant, when the portal is another user's
    /// (projects only).
    #[arg(long, value_name = "NAME")]
    pub portal_secret_ref: Option<String>,
    /// Zoho data centre of the org.
    #[arg(long, value_name = "DC", default_value = "us")]
    pub data_center: String,
    /// Microsoft Entra tenant (ID or verified domain) of the Office 365 integration.
    /// Required with Zoho; a sandbox defaults to its demo tenant.
    #[arg(long, value_name = "TENANT", help_heading = OFFICE365_HEADING)]
    pub tenant: Option<String>,
    /// Credentials entry of the Microsoft Entra application (connection.graphSecretRef)
    /// [default: office365-graph].
    #[arg(long, value_name = "NAME", help_heading = OFFICE365_HEADING)]
    pub graph_secret_ref: Option<String>,
    /// metadata.name of the exported Office365Integration; by default the name its sync
    /// state was saved for.
    #[arg(long, value_name = "NAME", help_heading = OFFICE365_HEADING)]
    pub name: Option<String>,
}

/// Where `--help` lists the flags only `--kind office365` takes.
const OFFICE365_HEADING: &str = "Options of --kind office365";

/// `--graph-secret-ref` when not given.
pub const DEFAULT_GRAPH_SECRET_REF: &str = "office365-graph";

pub async fn run(
    global: &GlobalArgs,
    args: &ExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    check_flags_fit_kind(args)?;
    match args.kind {
        KindArg::Projects => projects::run(global, args, out, err).await,
        KindArg::Office365 => office365::run(global, args, out, err).await,
    }
}

/// Flags of the other kind are refused rather than ignored: silently dropping
/// `--portal-secret-ref` would export a spec that does not say what was asked.
fn check_flags_fit_kind(args: &ExportArgs) -> anyhow::Result<()> {
    let (given, kind): (Vec<&str>, &str) = match args.kind {
        KindArg::Projects => (
            [
                ("--tenant", args.tenant.is_some()),
                ("--graph-secret-ref", args.graph_secret_ref.is_some()),
                ("--name", args.name.is_some()),
            ]
            .into_iter()
            .filter(|(_, given)| *given)
            .map(|(flag, _)| flag)
            .collect(),
            "office365",
        ),
        KindArg::Office365 => (
            args.portal_secret_ref
                .iter()
                .map(|_| "--portal-secret-ref")
                .collect(),
            "projects",
        ),
    };
    if !given.is_empty() {
        bail!(
            "{} {} only to --kind {kind}; this export is --kind {}",
            given.join(", "),
            if given.len() == 1 { "applies" } else { "apply" },
            match args.kind {
                KindArg::Projects => "projects",
                KindArg::Office365 => "office365",
            }
        );
    }
    Ok(())
}

/// `--data-center` as the spec spells it.
fn data_center(text: &str) -> anyhow::Result<DataCenter> {
    serde_json::from_value(serde_json::json!(text)).map_err(|_| {
        anyhow!("--data-center {text:?} is not a Zoho data centre (us eu in au jp cn ca sa uk)")
    })
}

/// The first comment lines of every export: where it came from and how to get editor
/// support for the kind.
fn preamble(kind: Kind, source: &str) -> Vec<String> {
    let (flag, file) = match kind {
        Kind::ProjectsIntegration => ("", "projectsintegration.json"),
        Kind::Office365Integration => (" --kind office365", "office365integration.json"),
    };
    vec![
        format!("Exported from {source} by `projectlink export{flag}`."),
        format!("Editor support: `projectlink schema{flag} > {file}`, then add the line"),
        format!("`# yaml-language-server: $schema={file}` at the top of this file."),
    ]
}

/// Writes `lines` as `#` comments (a line break inside one would leave the comment).
fn write_header(out: &mut dyn Write, lines: &[String]) -> anyhow::Result<()> {
    for line in lines {
        for part in line.lines() {
            writeln!(out, "# {part}")?;
        }
    }
    Ok(())
}

/// A whole document (`apiVersion`, `kind`, `metadata`, `spec`) as YAML.
fn document_yaml(
    kind: Kind,
    metadata: &serde_json::Value,
    spec: &impl Serialize,
) -> anyhow::Result<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Document<'a, S> {
        api_version: &'static str,
        kind: &'static str,
        metadata: &'a serde_json::Value,
        spec: &'a S,
    }
    let document = Document {
        api_version: crate::spec::API_VERSION,
        kind: kind.name(),
        metadata,
        spec,
    };
    serde_saphyr::to_string(&document).map_err(|e| anyhow!("cannot render the spec as YAML: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        export: ExportArgs,
    }

    fn parse(args: &[&str]) -> ExportArgs {
        Cli::try_parse_from(std::iter::once("export").chain(args.iter().copied()))
            .unwrap()
            .export
    }

    #[test]
    fn the_default_kind_is_projects_and_takes_only_its_flags() {
        let args = parse(&["--portal-secret-ref", "pm"]);
        assert_eq!(args.kind, KindArg::Projects);
        check_flags_fit_kind(&args).unwrap();
        let error = check_flags_fit_kind(&parse(&["--tenant", "t.com", "--name", "x"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "--tenant, --name apply only to --kind office365; this export is --kind projects"
        );
    }

    #[test]
    fn office365_refuses_the_portal_grant() {
        let args = parse(&["--kind", "office365", "--tenant", "acme.onmicrosoft.com"]);
        check_flags_fit_kind(&args).unwrap();
        let error = check_flags_fit_kind(&parse(&[
            "--kind",
            "office365",
            "--portal-secret-ref",
            "pm",
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("--portal-secret-ref applies only to --kind projects"),
            "{error}"
        );
    }

    #[test]
    fn data_centres_are_checked() {
        assert_eq!(data_center("eu").unwrap(), DataCenter::Eu);
        let error = data_center("mars").unwrap_err().to_string();
        assert!(error.contains("not a Zoho data centre"), "{error}");
    }

    #[test]
    fn header_lines_stay_comments() {
        let mut out = Vec::new();
        write_header(&mut out, &["one".into(), "two\nthree".into()]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "# one\n# two\n# three\n");
    }
}
