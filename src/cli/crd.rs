//! `projectlink crd`: prints the CustomResourceDefinitions as YAML (`crds/` is this output).

use std::io::Write;

/// Print the CustomResourceDefinition of ProjectsIntegration as YAML.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CrdArgs {}

/// Writes the CRD to `out`; always exit code 0.
pub fn run(
    _args: &CrdArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
    _color: bool,
) -> anyhow::Result<u8> {
    out.write_all(crate::spec::crd_yaml().as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_crd_yaml() {
        let mut out = Vec::new();
        let code = run(&CrdArgs {}, &mut out, &mut Vec::new(), false).unwrap();
        assert_eq!(code, 0);
        assert_eq!(String::from_utf8(out).unwrap(), crate::spec::crd_yaml());
    }
}
