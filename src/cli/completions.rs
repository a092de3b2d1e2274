//! `projectlink completions SHELL`: the shell completion script, generated from the same
//! clap definitions that parse the command line, so it never lags behind a new verb or flag.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

/// Print the completion script for a shell.
///
/// Install it where the shell looks, for example
/// `projectlink completions bash > ~/.local/share/bash-completion/completions/projectlink`,
/// `projectlink completions zsh > "${fpath[1]}/_projectlink"` or
/// `projectlink completions fish > ~/.config/fish/completions/projectlink.fish`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the script to `out`; always exit code 0.
pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "projectlink", &mut script);
    out.write_all(&script)?;
    Ok(super::exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        let mut out = Vec::new();
        run(&CompletionsArgs { shell }, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_program() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let text = script(shell);
            assert!(text.contains("projectlink"), "{shell}: {text}");
            assert!(text.contains("validate"), "{shell} lacks the verbs");
        }
    }
}
