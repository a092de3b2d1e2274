//! Assembles the sandbox's routers, binds the listener and hands back a handle that tests,
//! benchmarks and the CLI use to reach it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::limits::{Counters, Edition, FaultConfig, Limits};
use super::projects_throttle::{ProjectsThrottle, ThrottleConfigError};
use super::seed::Seed;
use super::store::Store;

/// Errors starting the sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot open sandbox database {path}: {source}")]
    Database {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot load seed: {0}")]
    Seed(super::seed::LoadError),
    #[error("invalid Projects throttle: {0}")]
    ProjectsThrottle(#[from] ThrottleConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Everything that shapes one sandbox instance.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to listen on; port 0 picks an ephemeral port.
    pub listen: SocketAddr,
    /// SQLite file; `None` keeps the state in memory for the life of the process.
    pub db: Option<PathBuf>,
    /// Loaded into the database when it is empty (first start), ignored afterwards. `None`
    /// loads an empty org (standard modules and profiles, no users) on first start.
    pub seed: Option<Seed>,
    pub edition: Edition,
    /// Lifetime of issued access tokens (Zoho: one hour).
    pub token_ttl: Duration,
    /// Added to every API request before it is answered.
    pub latency: Duration,
    pub faults: FaultConfig,
    /// How long an injected `timeout` fault holds a request (unless the server stops).
    pub fault_hold: Duration,
    /// Overrides the edition's CRM credits per rolling 24 hours (tests use a small total).
    pub credits_per_day: Option<u64>,
    /// Overrides the edition's concurrent CRM calls per org.
    pub concurrency_limit: Option<usize>,
    /// Access tokens one refresh token may mint per ten minutes; `None` lifts the limit.
    pub token_requests_per_10_min: Option<u32>,
    /// Microsoft Graph settings (delta token lifetime, per-mailbox throttling).
    pub graph: super::graph::GraphConfig,
    /// The Projects per-user, per-API throttle. `None` takes the seed's
    /// `projects_throttle` block, or else what Zoho was seen to enforce (100 calls per API
    /// per 120 s, then 1200 s locked, answered 400); there is no setting that switches it
    /// off, so a test that calls one API often sets a wide limit here.
    pub projects_throttle: Option<ProjectsThrottle>,
    /// Deliberate departures from Zoho's usual answers (a legacy-only Projects portal, a
    /// changed response shape), for testing checks that must notice them.
    pub deviations: super::deviations::Deviations,
}

impl SandboxConfig {
    /// The throttle this configuration enforces: the explicit setting, else the seed's.
    pub fn effective_projects_throttle(&self) -> ProjectsThrottle {
        self.projects_throttle.unwrap_or_else(|| {
            ProjectsThrottle::from_seed(
                self.seed
                    .as_ref()
                    .and_then(|s| s.projects_throttle.as_ref()),
            )
        })
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            seed: None,
            edition: Edition::Enterprise,
            token_ttl: Duration::from_secs(3600),
            latency: Duration::ZERO,
            faults: FaultConfig::default(),
            fault_hold: super::limits::DEFAULT_FAULT_HOLD,
            credits_per_day: None,
            concurrency_limit: None,
            token_requests_per_10_min: Some(super::accounts::TOKENS_PER_TEN_MINUTES),
            graph: super::graph::GraphConfig::default(),
            projects_throttle: None,
            deviations: super::deviations::Deviations::default(),
        }
    }
}

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<SandboxConfig>,
    pub limits: Arc<Limits>,
    /// The sandbox's own base URL, returned as `api_domain` and used in project links.
    pub base_url: Arc<str>,
    /// Requests per Graph mailbox, for its throttling budget.
    pub graph: Arc<super::graph::Throttle>,
}

/// Entry point for starting a sandbox.
pub struct Sandbox;

impl Sandbox {
    /// Opens the database (seeding it when empty), binds the listener and serves in the
    /// background of the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        config.effective_projects_throttle().validate()?;
        let store = Store::open(config.db.as_deref()).map_err(|source| SandboxError::Database {
            path: config
                .db
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| ":memory:".into()),
            source,
        })?;
        let empty = Seed::default();
        let seed = config.seed.as_ref().unwrap_or(&empty);
        super::seed::load_if_empty(&store, seed).map_err(SandboxError::Seed)?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| SandboxError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::Listen {
                addr: config.listen,
                source,
            })?;
        let base_url: Arc<str> = format!("http://{addr}").into();
        let limits = Arc::new(Limits::new(&config, &store));
        let state = AppState {
            store,
            config: Arc::new(config),
            limits: limits.clone(),
            base_url: base_url.clone(),
            graph: Arc::default(),
        };
        let app = router(state);
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service())
                .with_graceful_shutdown(async {
                    let _ = shutdown_rx.await;
                })
                .await;
        });
        Ok(SandboxHandle {
            url: base_url.to_string(),
            addr,
            counters: limits.counters.clone(),
            limits,
            shutdown: Some(shutdown_tx),
            server: Some(server),
        })
    }
}

/// Largest request body accepted (the CRM's; Graph and the token endpoints take less, see
/// [`super::request_limits`]).
pub const MAX_BODY_BYTES: usize = super::request_limits::CRM_MAX_BODY;

/// The whole HTTP surface: accounts, CRM, Projects and Microsoft Graph, behind the limits layer. Unknown
/// paths and methods are answered in the error format of the API the path belongs to.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(super::accounts::router())
        .merge(super::crm::router())
        .merge(super::projects::router())
        .merge(super::projects::router_v3())
        .merge(super::graph::router())
        .method_not_allowed_fallback(super::error::method_not_allowed)
        // Inside the limits layer, so a deviating answer is counted and limited like any.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::deviations::apply,
        ))
        // `route_layer` so the middleware sees the matched path template for its counters.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::limits::enforce,
        ))
        .fallback(super::error::not_found)
        // Batches of 100 records with long text fields outgrow axum's 2 MB default.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Outermost: refuses oversized bodies before anything reads them, and answers axum's
        // own rejections in the error format of the path's service.
        .layer(axum::middleware::from_fn(super::request_limits::guard))
        .with_state(state)
}

/// A running sandbox. Dropping it stops the server.
pub struct SandboxHandle {
    /// Base URL, e.g. `http://127.0.0.1:40123`; accounts, CRM and Projects all hang off it.
    pub url: String,
    pub addr: SocketAddr,
    /// Requests seen, per method and path template, e.g. `"GET /crm/v8/{module}"`.
    pub counters: Counters,
    /// The edition's limits and what has been spent against them.
    pub limits: Arc<Limits>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        self.limits.shut_down();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Waits until the server ends (used by `sandbox serve`).
    pub async fn wait(mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.limits.shut_down();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
