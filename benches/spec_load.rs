//! Peak memory of loading hostile spec files: an alias bomb, deep nesting, a 10 MB line, a
//! 10 MB line of list items, 1,500 documents, a file just under and one over the 16 MiB size
//! limit. Each case is loaded in a fresh child process (this binary, run with `--case`),
//! which reports its resident-set high-water mark (`VmHWM` in /proc/self/status), so no case
//! inherits another's peak; the target is at most 64 MB per load. The example spec is loaded
//! the same way as a baseline, showing what the process costs before any input.
//!
//! `cargo bench --bench spec_load`
//!
//! Measured on a 2-core Linux machine (`cargo bench --bench spec_load`, 2026-12-03):
//!
//! ```text
//! case                           file   peak RSS     time  result
//! example (baseline)           1.8 KB     4.8 MB      0 ms  loaded
//! alias_bomb                   0.7 KB    13.3 MB      7 ms  refused: more nodes than the limit of 100000
//! deep_flow                  195.3 KB     3.4 MB      0 ms  refused: nesting deeper than the limit of 64 levels
//! line_10mb                    9.5 MB    12.6 MB     20 ms  refused: value longer than the limit of 64 KiB
//! line_10mb_of_items           9.5 MB    20.1 MB     34 ms  refused: more nodes than the limit of 100000
//! documents_1500              13.2 KB     3.5 MB      1 ms  refused: more documents than the limit of 1000
//! comment_under_16mib         16.0 MB    20.8 MB     57 ms  loaded
//! comment_in_2nd_document     16.0 MB    36.6 MB     67 ms  loaded
//! scalar_under_16mib          16.0 MB    19.1 MB     41 ms  refused: value longer than the limit of 64 KiB
//! over_16mib                  16.0 MB    18.7 MB     25 ms  refused: file is larger than the limit of 16 MiB
//! worst peak 36.6 MB against a target of 64.0 MB: ok
//! ```
//!
//! The worst case is a file just under the size limit whose bulk is in its second
//! document: that document is copied once, padded, for the typed read. The process exits 1
//! when a case passes the target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use projectlink::spec;

/// Peak resident memory a single load may reach.
const TARGET_BYTES: u64 = 64 * 1024 * 1024;

const EXAMPLE: &str = include_str!("../examples/acme.yaml");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--case") {
        child(Path::new(&args[at + 1]));
        return;
    }
    let dir = std::env::temp_dir().join(format!("projectlink-spec-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    println!(
        "{:<24} {:>10} {:>10} {:>8}  result",
        "case", "file", "peak RSS", "time"
    );
    let mut worst = 0;
    for (name, text) in cases() {
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, &text).expect("case written");
        drop(text);
        let (peak, line) = measure(&path);
        worst = worst.max(peak);
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        println!("{name:<24} {:>10} {line}", megabytes(size));
        let _ = std::fs::remove_file(&path);
    }
    let _ = std::fs::remove_dir(&dir);
    println!(
        "worst peak {} against a target of {}: {}",
        megabytes(worst),
        megabytes(TARGET_BYTES),
        if worst <= TARGET_BYTES { "ok" } else { "OVER" }
    );
    if worst > TARGET_BYTES {
        std::process::exit(1);
    }
}

/// Runs one case in a child and returns its peak and the rest of its table row.
fn measure(path: &PathBuf) -> (u64, String) {
    let exe = std::env::current_exe().expect("own path");
    let output = Command::new(exe)
        .arg("--case")
        .arg(path)
        .output()
        .expect("child runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let mut fields = report.trim().splitn(3, '\t');
    let peak: u64 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let millis = fields.next().unwrap_or("?");
    let result = fields.next().unwrap_or("child failed");
    (
        peak,
        format!("{:>10} {:>6} ms  {result}", megabytes(peak), millis),
    )
}

/// In the child: load the file and print `peak<TAB>milliseconds<TAB>result`.
fn child(path: &Path) {
    let started = Instant::now();
    let report = spec::load_files_report(&[path.to_path_buf()]);
    let millis = started.elapsed().as_millis();
    let result = match report.diagnostics.iter().find(|d| d.is_error()) {
        None => "loaded".to_owned(),
        Some(error) => format!("refused: {}", error.summary),
    };
    let result: String = result.chars().take(70).collect();
    println!("{}\t{millis}\t{result}", peak_rss());
}

/// `VmHWM` of this process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn megabytes(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// The example with `from` replaced by `to`.
fn edited(from: &str, to: &str) -> String {
    EXAMPLE.replacen(from, to, 1)
}

fn cases() -> Vec<(&'static str, String)> {
    let mut bomb = String::from(
        "apiVersion: projectlink.dev/v1alpha1\nkind: ProjectsIntegration\nmetadata:\n  name: acme\n  labels:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let refs = vec![format!("*l{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("    l{level}: &l{level} [{refs}]\n"));
    }
    let limit = spec::LIMITS.file_bytes;
    let padding = limit - EXAMPLE.len() - 16;
    vec![
        ("example (baseline)", EXAMPLE.to_owned()),
        ("alias_bomb", bomb),
        (
            "deep_flow",
            format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "line_10mb",
            edited(
                "name: acme\n",
                &format!("name: {}\n", "x".repeat(10_000_000)),
            ),
        ),
        (
            "line_10mb_of_items",
            edited(
                "    team: delivery\n",
                &format!("    team: delivery\n    x: [{}1]\n", "1,".repeat(5_000_000)),
            ),
        ),
        ("documents_1500", "---\na: 1\n".repeat(1_500)),
        (
            "comment_under_16mib",
            format!("{EXAMPLE}# {}\n", "x".repeat(padding)),
        ),
        (
            "comment_in_2nd_document",
            format!(
                "{EXAMPLE}---\n{}# {}\n",
                edited("name: acme\n", "name: acme-two\n"),
                "x".repeat(padding - EXAMPLE.len() - 8)
            ),
        ),
        (
            "scalar_under_16mib",
            edited("name: acme\n", &format!("name: {}\n", "x".repeat(padding))),
        ),
        ("over_16mib", format!("{EXAMPLE}# {}\n", "x".repeat(limit))),
    ]
}
