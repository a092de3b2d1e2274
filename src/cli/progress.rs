//! Progress of a running apply on a terminal: one line redrawn in place on standard error,
//! quiet when standard error is not a terminal (CI logs get the final report instead).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use crate::apply::{ChangeOutcome, ProgressSink};

pub struct TerminalProgress {
    state: Mutex<(usize, usize)>,
    enabled: bool,
}

impl TerminalProgress {
    pub fn new() -> Self {
        TerminalProgress {
            state: Mutex::new((0, 0)),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Shows `label [done/total]`, redrawn at most once per percent of the work.
    pub fn count(&self, label: &str, done: usize, total: usize) {
        if !self.enabled || total == 0 {
            return;
        }
        let step = (total / 100).max(1);
        if !done.is_multiple_of(step) && done != total {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{label} [{done}/{total}]");
        let _ = err.flush();
    }

    /// Clears the progress line.
    pub fn finish(&self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressSink for TerminalProgress {
    fn begin(&self, total: usize) {
        if let Ok(mut s) = self.state.lock() {
            *s = (0, total);
        }
    }

    fn finished(&self, outcome: &ChangeOutcome) {
        if !self.enabled {
            return;
        }
        let Ok(mut s) = self.state.lock() else { return };
        s.0 += 1;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2KApplying [{}/{}] {}",
            s.0, s.1, outcome.address
        );
        let _ = err.flush();
    }
}
