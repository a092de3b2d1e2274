//! Why a duration flag (`--interval`, `--max-paced-duration`, `--full-resync-every`, ...)
//! was refused. Each flag keeps its own grammar and examples; clap prints this error after
//! the flag's name.

/// A duration flag's value that does not parse, with the examples of the flag's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{text:?} is not a duration {examples}")]
    Malformed {
        text: String,
        examples: &'static str,
    },
    #[error("{text:?} is not a positive duration {examples}")]
    NotPositive {
        text: String,
        examples: &'static str,
    },
    #[error("{text:?} is longer than a year")]
    TooLong { text: String },
}

/// `90`, `90s`, `30m` or `2h`.
pub(super) fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let malformed = || DurationError::Malformed {
        text: text.to_string(),
        examples: "like 90s, 30m or 2h",
    };
    let n: u64 = digits.parse().map_err(|_| malformed())?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(malformed()),
    };
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn durations_read_as_seconds_minutes_or_hours() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        for bad in ["", "m", "1d", "-5", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }
}
