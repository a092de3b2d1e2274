//! Asking before an apply writes, for every kind.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;

/// Asks on the terminal; refuses to guess when there is no terminal to ask on.
pub(super) fn confirmed(out: &mut dyn Write) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to apply without confirmation: standard input is not a terminal (pass --auto-approve)"
        );
    }
    write!(
        out,
        "\nDo you want to apply these changes? Only 'yes' is accepted: "
    )?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
