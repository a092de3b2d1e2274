//! `projectlink man`: the manual pages, generated from the clap definitions (roff), one for
//! the program and one per verb, dated with the build date so a rebuild of the same commit
//! writes the same pages.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;

/// Print the manual page (roff), or write every page to a folder.
///
/// `projectlink man | man -l -` reads it; packagers write all pages with
/// `projectlink man --out-dir share/man/man1`.
#[derive(Debug, Clone, clap::Args)]
pub struct ManArgs {
    /// Write projectlink.1 and a page per verb (projectlink-plan.1, ...) into this folder,
    /// created if missing, instead of printing projectlink.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints the main page, or writes all pages and lists them on `err`.
pub fn run(args: &ManArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let command = super::Cli::command().disable_help_subcommand(true);
    match &args.out_dir {
        None => page(command)
            .render(out)
            .context("cannot write the manual page")?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for path in write_all(command, dir)? {
                writeln!(err, "wrote {}", path.display())?;
            }
        }
    }
    Ok(super::exit::OK)
}

fn page(command: clap::Command) -> Man {
    Man::new(command)
        .date(super::version::BUILD_DATE)
        .manual("projectlink manual")
}

/// Writes the page of `command` and of each of its verbs (recursively: `sandbox serve` gets
/// projectlink-sandbox-serve.1), returning the paths sorted.
fn write_all(mut command: clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    // Building names each subcommand after its parents ("projectlink-sandbox-serve").
    command.build();
    let mut written = Vec::new();
    let mut pending = vec![command];
    while let Some(command) = pending.pop() {
        pending.extend(
            command
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .cloned(),
        );
        let man = page(command);
        let path = man
            .generate_to(dir)
            .with_context(|| format!("cannot write {}", dir.join(man.get_filename()).display()))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}
