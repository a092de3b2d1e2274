//! `projectlink crd`: prints the CustomResourceDefinitions as YAML (`crds/` is this output,
//! one file per kind).

use std::io::Write;

use super::schema::KindArg;

/// Print the CustomResourceDefinitions of projectlink's kinds as YAML.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CrdArgs {
    /// Print only this kind's CRD (default: every kind's, as one multi-document stream).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
}

/// Writes the CRDs to `out`; always exit code 0.
pub fn run(
    args: &CrdArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
    _color: bool,
) -> anyhow::Result<u8> {
    let yaml = match args.kind {
        Some(kind) => crate::spec::crd_yaml_of(kind.into()),
        None => crate::spec::crds_yaml(),
    };
    out.write_all(yaml.as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Kind;

    fn printed(kind: Option<KindArg>) -> String {
        let mut out = Vec::new();
        let code = run(&CrdArgs { kind }, &mut out, &mut Vec::new(), false).unwrap();
        assert_eq!(code, 0);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn prints_every_crd_by_default() {
        assert_eq!(printed(None), crate::spec::crds_yaml());
    }

    #[test]
    fn prints_one_kind_on_request() {
        assert_eq!(
            printed(Some(KindArg::Projects)),
            crate::spec::crd_yaml_of(Kind::ProjectsIntegration)
        );
        assert_eq!(
            printed(Some(KindArg::Office365)),
            crate::spec::crd_yaml_of(Kind::Office365Integration)
        );
    }
}
