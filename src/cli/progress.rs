//! What a run shows on standard error while it works: the listings observation reads, the
//! changes an apply has made, and the waits it makes. On a terminal, one status line redrawn
//! in place and cleared before any other line is printed; otherwise plain lines, each
//! written whole as it happens and at a steady rhythm (every fifth page of a listing, every
//! tenth of an apply), so a CI log or `kubectl logs` shows a run's progress while it runs
//! and a killed run keeps what it said. With JSON logs they are log events instead, so
//! standard error stays one JSON object per line.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock};

use crate::zoho::listing::{PageRead, plain_line};

/// An apply of fewer changes than this shows only its report.
const QUIET_APPLY: usize = 10;

/// Whether the status line is drawn; held while writing so lines from several threads
/// never mix.
static DRAWN: Mutex<bool> = Mutex::new(false);

/// How lines are shown, set once when logging is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A status line on a terminal, plain lines otherwise.
    Auto,
    /// Plain lines even on a terminal: log lines are interleaved, and a line redrawn in
    /// place would tear them.
    Plain,
    /// Log events (target `projectlink::progress`): logs are JSON lines, and standard error
    /// must stay one JSON object per line.
    Events,
}

static MODE: OnceLock<Mode> = OnceLock::new();

/// Chooses how progress and waits are shown; the first call wins.
pub fn set_mode(mode: Mode) {
    let _ = MODE.set(mode);
}

fn json() -> bool {
    MODE.get() == Some(&Mode::Events)
}

fn stderr_is_terminal() -> bool {
    MODE.get().is_none_or(|m| *m == Mode::Auto) && std::io::stderr().is_terminal()
}

/// What to do on standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    /// Redraw the status line (terminal only).
    Draw(String),
    /// Clear the status line (terminal only).
    Clear,
    /// Print a line of its own.
    Line(String),
}

fn show(shown: Shown) {
    if json() {
        if let Shown::Line(line) = shown {
            tracing::info!(target: "projectlink::progress", "{line}");
        }
        return;
    }
    let mut drawn = DRAWN.lock().unwrap_or_else(|e| e.into_inner());
    let mut err = std::io::stderr().lock();
    let text = match shown {
        Shown::Draw(text) => {
            *drawn = true;
            format!("\r\x1b[2K{text}")
        }
        Shown::Clear if *drawn => {
            *drawn = false;
            "\r\x1b[2K".to_string()
        }
        Shown::Clear => return,
        Shown::Line(line) if *drawn => {
            *drawn = false;
            format!("\r\x1b[2K{line}\n")
        }
        Shown::Line(line) => format!("{line}\n"),
    };
    // One write per line: standard error is unbuffered, so the line is out before the call
    // returns and never interleaves with another thread's.
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Prints one line on standard error, clearing the status line first.
pub fn say(line: &str) {
    show(Shown::Line(line.to_string()));
}

/// Reports every listing page read while observing.
pub fn listing_page(page: &PageRead) {
    if let Some(shown) = listing_shown(page, stderr_is_terminal()) {
        show(shown);
    }
}

fn listing_shown(page: &PageRead, terminal: bool) -> Option<Shown> {
    if !terminal {
        return plain_line(page).map(Shown::Line);
    }
    Some(if page.done {
        Shown::Clear
    } else {
        Shown::Draw(format!(
            "Reading {} {}: page {}, {} so far",
            page.system, page.listing, page.pages, page.items
        ))
    })
}

/// What an apply shows after `done` of `total` changes, on a terminal or not.
fn apply_shown(
    label: &str,
    detail: &str,
    done: usize,
    total: usize,
    terminal: bool,
) -> Option<Shown> {
    if total == 0 {
        return None;
    }
    if terminal {
        let step = (total / 100).max(1);
        return (done.is_multiple_of(step) || done == total)
            .then(|| Shown::Draw(format!("{label} [{done}/{total}]{detail}")));
    }
    let step = total.div_ceil(10);
    (total >= QUIET_APPLY && done.is_multiple_of(step) && done < total).then(|| {
        Shown::Line(format!(
            "{}: {done} of {total} done",
            label.to_ascii_lowercase()
        ))
    })
}

/// Progress of a running apply: a line redrawn in place on a terminal, a plain line every
/// tenth of the work otherwise.
pub struct TerminalProgress {
    terminal: bool,
}

impl TerminalProgress {
    pub fn new() -> Self {
        TerminalProgress {
            terminal: stderr_is_terminal(),
        }
    }

    /// Shows `label [done/total]`.
    pub fn count(&self, label: &str, done: usize, total: usize) {
        self.step(label, "", done, total);
    }

    /// `done` of `total`, the last one being `what`.
    pub fn step(&self, label: &str, what: &str, done: usize, total: usize) {
        let detail = if what.is_empty() {
            String::new()
        } else {
            format!(" {what}")
        };
        if let Some(shown) = apply_shown(label, &detail, done, total, self.terminal) {
            show(shown);
        }
    }

    /// Clears the progress line.
    pub fn finish(&self) {
        show(Shown::Clear);
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoho::error::System;

    fn page(pages: u32, items: usize, done: bool) -> PageRead {
        PageRead {
            system: System::Crm,
            listing: "Accounts".into(),
            pages,
            items,
            done,
        }
    }

    #[test]
    fn off_a_terminal_a_listing_prints_its_plain_lines() {
        assert_eq!(
            listing_shown(&page(5, 1000, false), false),
            Some(Shown::Line(
                "reading Zoho CRM Accounts: 5 pages, 1000 records so far".into()
            ))
        );
        assert_eq!(listing_shown(&page(1, 3, true), false), None);
    }

    #[test]
    fn on_a_terminal_a_listing_redraws_its_line_and_clears_it_at_the_end() {
        assert_eq!(
            listing_shown(&page(2, 400, false), true),
            Some(Shown::Draw(
                "Reading Zoho CRM Accounts: page 2, 400 so far".into()
            ))
        );
        assert_eq!(listing_shown(&page(3, 450, true), true), Some(Shown::Clear));
    }

    #[test]
    fn off_a_terminal_an_apply_speaks_every_tenth_and_a_small_one_not_at_all() {
        let lines: Vec<Shown> = (1..=25)
            .filter_map(|done| apply_shown("Applying", " x", done, 25, false))
            .collect();
        assert_eq!(
            lines,
            [3, 6, 9, 12, 15, 18, 21, 24]
                .map(|n| Shown::Line(format!("applying: {n} of 25 done")))
                .to_vec()
        );
        assert!((1..=9).all(|done| apply_shown("Applying", "", done, 9, false).is_none()));
        assert_eq!(
            apply_shown("Applying", " a.b", 4, 9, true),
            Some(Shown::Draw("Applying [4/9] a.b".into()))
        );
    }
}
