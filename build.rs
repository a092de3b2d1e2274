//! Stamps the binary with the git commit and build date that `projectlink --version` prints,
//! so a bug report or a running image says exactly which build it is.
//!
//! The commit comes from `git rev-parse` in a checkout, else `PROJECTLINK_GIT_COMMIT` (set by
//! builds from a source tree without `.git`, such as the container image's), else "unknown".
//! The date is `SOURCE_DATE_EPOCH` when set (reproducible builds), else the commit's date,
//! else today. Only HEAD and the checked-out ref are watched, so edits and `git add` never
//! make the build script run again; a commit or a checkout does.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PROJECTLINK_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let git_dir = git(&["rev-parse", "--absolute-git-dir"]).map(PathBuf::from);
    if let Some(dir) = &git_dir {
        watch_head(dir);
    }
    let commit = git_dir
        .as_ref()
        .and_then(|_| git(&["rev-parse", "--short=10", "HEAD"]))
        .or_else(|| non_empty_env("PROJECTLINK_GIT_COMMIT"))
        .unwrap_or_else(|| "unknown".to_string());
    let epoch = non_empty_env("SOURCE_DATE_EPOCH")
        .and_then(|s| s.parse::<i64>().ok())
        .or_else(|| {
            git_dir.as_ref()?;
            git(&["log", "-1", "--format=%ct"])?.parse().ok()
        })
        .unwrap_or_else(now_epoch);
    println!("cargo:rustc-env=PROJECTLINK_BUILD_COMMIT={commit}");
    println!(
        "cargo:rustc-env=PROJECTLINK_BUILD_DATE={}",
        civil_date(epoch)
    );
    println!(
        "cargo:rustc-env=PROJECTLINK_BUILD_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
}

/// Runs git in the crate's folder; `None` when git is missing or says no (not a checkout).
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !text.is_empty()).then_some(text)
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Watches what moves on a commit or checkout: HEAD, the branch it points at, and the packed
/// refs (where a branch lives after `git gc`). Only files that exist are named, because a
/// missing one would make cargo run this script on every build.
fn watch_head(git_dir: &Path) {
    let head = git_dir.join("HEAD");
    let mut watched = vec![head.clone(), git_dir.join("packed-refs")];
    if let Ok(text) = std::fs::read_to_string(&head)
        && let Some(reference) = text.trim().strip_prefix("ref: ")
    {
        watched.push(git_dir.join(reference));
        // In a linked worktree the branch lives in the main repository's folder.
        if let Some(common) = git(&["rev-parse", "--git-common-dir"]) {
            let common = Path::new(env!("CARGO_MANIFEST_DIR")).join(common);
            watched.push(common.join(reference));
            watched.push(common.join("packed-refs"));
        }
    }
    for path in watched.iter().filter(|p| p.is_file()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the days-to-civil algorithm (H. Hinnant), which
/// keeps chrono out of the build dependencies.
fn civil_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
