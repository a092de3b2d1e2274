//! What `projectlink -V` and `--version` print: the version with the git commit and build
//! date that build.rs stamped in, so a bug report or a running image names its exact build.

/// `-V`: one line, e.g. `0.1.0 (1c6557e0ab 2026-12-03)`.
pub const SHORT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PROJECTLINK_BUILD_COMMIT"),
    " ",
    env!("PROJECTLINK_BUILD_DATE"),
    ")"
);

/// `--version`: the version, then one `key: value` line each for the commit, the build date
/// and the target the binary was built for.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("PROJECTLINK_BUILD_COMMIT"),
    "\nbuild date: ",
    env!("PROJECTLINK_BUILD_DATE"),
    "\ntarget: ",
    env!("PROJECTLINK_BUILD_TARGET")
);

/// The build date (`YYYY-MM-DD`), which also dates the man pages.
pub const BUILD_DATE: &str = env!("PROJECTLINK_BUILD_DATE");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_form_is_one_line_naming_the_version_commit_and_date() {
        assert!(SHORT.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(!SHORT.contains('\n'));
        assert!(SHORT.contains(BUILD_DATE));
    }

    #[test]
    fn the_build_date_is_a_calendar_date() {
        let parts: Vec<&str> = BUILD_DATE.split('-').collect();
        assert_eq!(parts.len(), 3, "{BUILD_DATE}");
        assert!(parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())));
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [4, 2, 2]);
    }
}
