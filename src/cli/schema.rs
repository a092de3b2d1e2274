//! `projectlink schema`: prints the JSON Schema of spec documents, for editors (reference it
//! from a spec file with `# yaml-language-server: $schema=<path>`).

use std::io::Write;

use crate::spec::Kind;

/// Print the JSON Schema of a kind's documents (ProjectsIntegration unless --kind says
/// otherwise).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SchemaArgs {
    /// The kind whose documents the schema describes.
    #[arg(long, value_enum, default_value_t = KindArg::Projects)]
    pub kind: KindArg,
}

/// A kind, as `--kind` spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// ProjectsIntegration.
    #[default]
    #[value(alias = "ProjectsIntegration")]
    Projects,
    /// Office365Integration.
    #[value(alias = "Office365Integration")]
    Office365,
}

impl From<KindArg> for Kind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Projects => Kind::ProjectsIntegration,
            KindArg::Office365 => Kind::Office365Integration,
        }
    }
}

/// Writes the schema to `out`; always exit code 0.
pub fn run(
    args: &SchemaArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
    _color: bool,
) -> anyhow::Result<u8> {
    out.write_all(crate::spec::json_schema_text_of(args.kind.into()).as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(kind: KindArg) -> serde_json::Value {
        let mut out = Vec::new();
        let code = run(&SchemaArgs { kind }, &mut out, &mut Vec::new(), false).unwrap();
        assert_eq!(code, 0);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn prints_the_schema_as_json() {
        assert_eq!(
            printed(SchemaArgs::default().kind),
            crate::spec::json_schema()
        );
        assert_eq!(
            printed(KindArg::Office365),
            crate::spec::json_schema_of(Kind::Office365Integration)
        );
    }

    #[test]
    fn kind_is_spelt_short_or_as_the_kind() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Probe {
            #[command(flatten)]
            args: SchemaArgs,
        }
        let kind = |args: &[&str]| Probe::try_parse_from(args).map(|p| p.args.kind).ok();
        assert_eq!(kind(&["p"]), Some(KindArg::Projects));
        assert_eq!(
            kind(&["p", "--kind", "office365"]),
            Some(KindArg::Office365)
        );
        assert_eq!(
            kind(&["p", "--kind", "Office365Integration"]),
            Some(KindArg::Office365)
        );
        assert_eq!(kind(&["p", "--kind", "calendar"]), None);
    }
}
