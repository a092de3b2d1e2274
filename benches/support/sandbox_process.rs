//! The sandbox as a child process of a benchmark (the benchmark binary started again with an
//! environment variable set), so the benchmark's memory figures are its own: started, asked
//! for its request counters over a pipe, stopped when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use projectlink::sandbox::limits::Counters;

/// What the parent writes to ask for the counters.
const COUNTERS_REQUEST: &str = "counters";

/// In the child, once the sandbox serves at `url`: tells the parent where, then answers each
/// request for counters with one JSON line until the parent closes stdin.
pub async fn answer_parent(url: &str, counters: Counters) {
    println!("{url}");
    let _ = std::io::stdout().flush();
    tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.trim() == COUNTERS_REQUEST {
                let text = serde_json::to_string(&counters.snapshot()).unwrap_or_default();
                println!("{text}");
                let _ = std::io::stdout().flush();
            }
        }
    })
    .await
    .expect("stdin reader");
}

/// The sandbox child process, stopped when dropped.
pub struct SandboxProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub url: String,
}

impl SandboxProcess {
    /// Starts this binary again with `child_env` set and `args`; returns once it serves.
    pub fn start(child_env: &str, args: &[&str]) -> SandboxProcess {
        let mut child = Command::new(std::env::current_exe().expect("bench binary"))
            .env(child_env, "1")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sandbox process starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut url = String::new();
        stdout.read_line(&mut url).expect("sandbox URL");
        assert!(url.starts_with("http"), "the sandbox did not start");
        SandboxProcess {
            child,
            stdin,
            stdout,
            url: url.trim().to_string(),
        }
    }

    /// Requests the sandbox has seen, per `METHOD /path/template`.
    pub fn counters(&mut self) -> BTreeMap<String, u64> {
        writeln!(self.stdin, "{COUNTERS_REQUEST}").expect("sandbox stdin");
        self.stdin.flush().expect("sandbox stdin");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("sandbox counters");
        serde_json::from_str(&line).expect("counters are JSON")
    }

    pub fn peak_memory_mib(&self) -> f64 {
        peak_memory_mib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn peak_memory_mib(status_file: &str) -> f64 {
    memory_mib(status_file, "VmHWM:")
}

/// A memory figure (`VmHWM:`, `VmRSS:`) of a process's `/proc/<pid>/status`, in MiB.
pub fn memory_mib(status_file: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(status_file).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Prints the requests made between two readings of the counters, most frequent first.
pub fn dump_counters(phase: &str, before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) {
    let mut used: Vec<(&str, u64)> = after
        .iter()
        .map(|(k, v)| (k.as_str(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    used.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!("  sandbox requests during {phase}:");
    for (template, n) in used {
        println!("    {n:>9}  {template}");
    }
}
