//! `projectlink operator`: the arguments of the in-cluster controller, logging set up for
//! a container (text or JSON lines), the probe/metrics server, and shutdown on SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::GlobalArgs;
use crate::operator::{self, LeaderElection, Metrics, OperatorConfig, probes::Health};

#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// Time between drift checks of each resource (jittered by ±10%): 90s, 10m, 1h.
    #[arg(long, default_value = "10m", value_parser = parse_duration, env = "PROJECTLINK_INTERVAL")]
    pub interval: Duration,
    /// Namespaces to watch (repeat or separate with commas); all namespaces when omitted.
    #[arg(
        long = "namespace",
        value_name = "NAMESPACE",
        value_delimiter = ',',
        env = "PROJECTLINK_WATCH_NAMESPACES"
    )]
    pub namespaces: Vec<String>,
    /// Elect one active replica with a Lease, so several replicas never reconcile at once.
    #[arg(long, env = "PROJECTLINK_LEADER_ELECTION")]
    pub leader_election: bool,
    /// Name of the Lease used for leader election.
    #[arg(long, default_value = "projectlink-operator")]
    pub lease_name: String,
    /// Namespace of the Lease (the operator's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    /// This replica's identity in the Lease and in Events (the pod name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Address of the /healthz, /readyz and /metrics endpoints.
    #[arg(long = "metrics", value_name = "ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,
    /// Log level (error, warn, info, debug, trace); RUST_LOG overrides it. The log line
    /// format is the global --log-format (PROJECTLINK_LOG_FORMAT).
    #[arg(long, default_value = "info", env = "PROJECTLINK_LOG_LEVEL")]
    pub log_level: String,
    /// API calls in the log: off, calls (method, path, status, duration, attempt) or bodies
    /// (the calls and their bodies, secrets hidden).
    #[arg(long, value_enum, default_value_t = ApiLog::Off, env = "PROJECTLINK_API_LOG")]
    pub api_log: ApiLog,
    /// Send every Zoho request to this base URL (a projectlink sandbox) instead of Zoho.
    #[arg(
        long,
        value_name = "URL",
        hide = true,
        env = "PROJECTLINK_ZOHO_BASE_URL"
    )]
    pub zoho_base_url: Option<String>,
    /// Send every Microsoft identity and Graph request to this projectlink sandbox instead
    /// of Microsoft (default: the --zoho-base-url sandbox, which serves both).
    #[arg(
        long,
        value_name = "URL",
        hide = true,
        env = "PROJECTLINK_GRAPH_BASE_URL"
    )]
    pub graph_base_url: Option<String>,
    /// Keep each ProjectsIntegration's observation cache in this folder, so reconciles in
    /// between full resyncs (--full-resync-every) read only what changed. Mount a
    /// persistent volume there for the cache to outlive the pod; without it every
    /// reconcile observes everything.
    #[arg(long, value_name = "DIR", env = "PROJECTLINK_OBSERVATION_CACHE_DIR")]
    pub observation_cache_dir: Option<std::path::PathBuf>,
    /// Keep each resource's apply journal in this folder, flushed after every operation, so
    /// an apply cut short (the pod killed mid-apply) is resumed by the next reconcile
    /// without repeating its work. Mount a persistent volume there; without it no journal
    /// is kept.
    #[arg(long, value_name = "DIR", env = "PROJECTLINK_JOURNAL_DIR")]
    pub journal_dir: Option<std::path::PathBuf>,
    /// On SIGTERM, how long reconciles in flight get to finish before they are cancelled
    /// (keep it below the pod's terminationGracePeriodSeconds, 30 s by default).
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

use super::duration::DurationError;
pub use super::logging::{ApiLog, LogFormat};

/// The examples in `--interval`'s and `--shutdown-grace`'s errors.
const DURATION_EXAMPLES: &str = "(use e.g. 90s, 10m, 1h)";

/// Parses `90s`, `10m`, `1h`, `1h30m` or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let malformed = || DurationError::Malformed {
        text: text.to_string(),
        examples: DURATION_EXAMPLES,
    };
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(malformed()),
        };
        let n: u64 = digits.parse().map_err(|_| malformed())?;
        total = total.saturating_add(n.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(DurationError::NotPositive {
            text: text.to_string(),
            examples: DURATION_EXAMPLES,
        });
    }
    Ok(Duration::from_secs(total))
}

fn init_logging(global: &GlobalArgs, args: &OperatorArgs) {
    super::logging::init(
        &super::logging::operator_filter(&args.log_level, args.api_log),
        global.log_format,
        false,
    );
}

/// Runs the operator until SIGTERM or Ctrl-C.
/// The observation cache of `--observation-cache-dir`, unless `--no-observation-cache`.
fn observation_cache(global: &GlobalArgs, args: &OperatorArgs) -> crate::live::cached::CacheUse {
    crate::live::cached::CacheUse {
        store: args
            .observation_cache_dir
            .as_deref()
            .filter(|_| !global.observation.no_observation_cache)
            .map(crate::live::cache::CacheStore::new),
        policy: global.observation.policy(),
    }
}

pub async fn run(global: &GlobalArgs, args: &OperatorArgs) -> anyhow::Result<()> {
    init_logging(global, args);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let zoho_base_url = args
        .zoho_base_url
        .as_deref()
        .map(reqwest::Url::parse)
        .transpose()
        .context("--zoho-base-url is not a URL")?;
    let graph_base_url = match args.graph_base_url.as_deref() {
        Some(url) => Some(reqwest::Url::parse(url).context("--graph-base-url is not a URL")?),
        None => zoho_base_url.clone(),
    };
    let identity = args
        .identity
        .clone()
        .unwrap_or_else(|| format!("projectlink-{:08x}", rand::random::<u32>()));
    let config = OperatorConfig {
        namespaces: args
            .namespaces
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect(),
        interval: args.interval,
        zoho_base_url,
        graph_base_url,
        concurrency: global.concurrency as usize,
        projects_rate_limit: global.projects_pace(),
        identity: identity.clone(),
        leader_election: args.leader_election.then(|| LeaderElection {
            lease_name: args.lease_name.clone(),
            lease_namespace: args.lease_namespace.clone(),
            lease_duration_seconds: 15,
        }),
        observation_cache: observation_cache(global, args),
        journal_dir: args.journal_dir.clone(),
        shutdown_grace: args.shutdown_grace,
        ..OperatorConfig::default()
    };
    let client = kube::Client::try_default().await.context(
        "cannot configure the Kubernetes client (in-cluster service account or KUBECONFIG)",
    )?;
    let metrics = Arc::new(Metrics::default());
    let health = Arc::new(Health::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.metrics_addr))?;
    let probes = tokio::spawn(operator::probes::serve(
        listener,
        metrics.clone(),
        health.clone(),
        {
            let mut stop = stop_rx.clone();
            async move {
                let _ = stop.wait_for(|s| *s).await;
            }
        },
    ));
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    });
    tracing::info!(%identity, interval = ?args.interval, namespaces = ?config.namespaces, "projectlink operator starting");
    operator::run(client, config, metrics, health, stop_rx).await?;
    probes
        .await
        .context("the probe server task failed")?
        .context("the probe server failed")?;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_the_usual_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5m3").is_err());
    }
}
