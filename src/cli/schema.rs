//! `projectlink schema`: prints the JSON Schema of spec documents, for editors (reference it
//! from a spec file with `# yaml-language-server: $schema=<path>`).

use std::io::Write;

/// Print the JSON Schema of ProjectsIntegration documents.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SchemaArgs {}

/// Writes the schema to `out`; always exit code 0.
pub fn run(
    _args: &SchemaArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
    _color: bool,
) -> anyhow::Result<u8> {
    out.write_all(crate::spec::json_schema_text().as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_schema_as_json() {
        let mut out = Vec::new();
        let code = run(&SchemaArgs {}, &mut out, &mut Vec::new(), false).unwrap();
        assert_eq!(code, 0);
        let printed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(printed, crate::spec::json_schema());
    }
}
