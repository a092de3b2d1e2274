//! The settings a sandbox's limits are started with: the Zoho CRM edition (its concurrency
//! and credit limits) and the faults to inject. They are parsed from `sandbox serve` flags,
//! so unknown values get a [`SettingError`] that lists the accepted ones.

use std::str::FromStr;

/// Zoho CRM editions; they set the concurrency and credit limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    Free,
    Standard,
    Professional,
    Enterprise,
    Ultimate,
}

/// A `--edition` or `--fault-kinds` value the sandbox does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error(
        "unknown edition {0:?} (expected free, standard, professional, enterprise or ultimate)"
    )]
    Edition(String),
    #[error("unknown fault kind {0:?} (expected 500, 429, reset, timeout or lost)")]
    FaultKind(String),
}

impl FromStr for Edition {
    type Err = SettingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "free" => Ok(Edition::Free),
            "standard" => Ok(Edition::Standard),
            "professional" => Ok(Edition::Professional),
            "enterprise" => Ok(Edition::Enterprise),
            "ultimate" => Ok(Edition::Ultimate),
            other => Err(SettingError::Edition(other.to_string())),
        }
    }
}

/// Sub-concurrency limit for heavy calls, whatever the edition.
pub const HEAVY_CONCURRENCY: usize = 10;

impl Edition {
    /// Concurrent API calls per org (the v7/v8 api-limits page as quoted by several sources).
    pub fn concurrency(self) -> usize {
        match self {
            Edition::Free => 5,
            Edition::Standard => 10,
            Edition::Professional => 15,
            Edition::Enterprise => 20,
            Edition::Ultimate => 25,
        }
    }

    /// API credits per rolling 24 hours for an org with `users` user licenses.
    pub fn credits_per_day(self, users: u64) -> u64 {
        match self {
            Edition::Free => 5_000,
            Edition::Standard => (50_000 + 250 * users).min(100_000),
            Edition::Professional => (50_000 + 500 * users).min(3_000_000),
            Edition::Enterprise => (50_000 + 1_000 * users).min(5_000_000),
            Edition::Ultimate => 50_000 + 2_000 * users,
        }
    }
}

/// Kinds of injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 `INTERNAL_ERROR`.
    ServerError,
    /// 429 `TOO_MANY_REQUESTS`.
    TooManyRequests,
    /// The connection is dropped without a complete response.
    Reset,
    /// The server holds the request far longer than any sane client timeout.
    Timeout,
    /// The request is carried out (a write is committed), then the connection is dropped
    /// before the answer: the client cannot tell whether it happened.
    Lost,
}

impl FromStr for FaultKind {
    type Err = SettingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "500" => Ok(FaultKind::ServerError),
            "429" => Ok(FaultKind::TooManyRequests),
            "reset" => Ok(FaultKind::Reset),
            "timeout" => Ok(FaultKind::Timeout),
            "lost" => Ok(FaultKind::Lost),
            other => Err(SettingError::FaultKind(other.to_string())),
        }
    }
}

/// Fault injection settings: each API request fails with probability `rate`, with a kind
/// drawn uniformly from `kinds` (all four when empty).
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    pub rate: f64,
    pub kinds: Vec<FaultKind>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_totals_follow_the_edition_table() {
        assert_eq!(Edition::Free.credits_per_day(100), 5_000);
        assert_eq!(Edition::Standard.credits_per_day(10), 52_500);
        assert_eq!(Edition::Standard.credits_per_day(1_000), 100_000);
        assert_eq!(Edition::Enterprise.credits_per_day(10_000), 5_000_000);
        assert_eq!(Edition::Ultimate.credits_per_day(10_000), 20_050_000);
    }

    #[test]
    fn editions_and_fault_kinds_parse_and_unknown_ones_list_the_accepted_values() {
        assert_eq!("Ultimate".parse::<Edition>(), Ok(Edition::Ultimate));
        assert_eq!(" lost".parse::<FaultKind>(), Ok(FaultKind::Lost));
        assert_eq!(
            "gold".parse::<Edition>().unwrap_err().to_string(),
            "unknown edition \"gold\" (expected free, standard, professional, enterprise or ultimate)"
        );
        assert_eq!(
            "503".parse::<FaultKind>().unwrap_err().to_string(),
            "unknown fault kind \"503\" (expected 500, 429, reset, timeout or lost)"
        );
    }
}
