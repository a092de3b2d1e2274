//! `projectlink sandbox`: serve the local Zoho stand-in, or generate a large seed org for
//! benchmarks.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use crate::sandbox::generate::{GenerateOptions, generate};
use crate::sandbox::graph::{GraphConfig, MailboxBudget};
use crate::sandbox::limits::{Edition, FaultConfig, FaultKind};
use crate::sandbox::projects_throttle::{self, ProjectsThrottle, RateLimit, ThrottleForm};
use crate::sandbox::seed::Seed;
use crate::sandbox::{Sandbox, SandboxConfig};

#[derive(clap::Args, Debug)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum SandboxCommand {
    /// Serve Zoho Accounts, CRM v8 and Projects locally until Ctrl-C.
    Serve(ServeArgs),
    /// Write a large generated org as a seed file (YAML, or JSON for a .json file).
    Generate(GenerateArgs),
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// SQLite database; created with its folder, seeded on first use, kept across restarts
    /// [default: <state-dir>/sandbox.db, the database the embedded sandbox uses]
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Seed loaded into an empty database (default: the built-in Acme Corp demo org).
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Zoho CRM edition, which sets the concurrency and credit limits.
    #[arg(long, default_value = "enterprise")]
    pub edition: Edition,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub token_ttl: u64,
    /// Latency added to every API call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of API calls that fail with an injected fault (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Kinds of injected faults; `lost` carries the call out, then drops the answer.
    #[arg(long, value_delimiter = ',', default_value = "500,429,reset,timeout")]
    pub fault_kinds: Vec<FaultKind>,
    /// Override the edition's CRM credits per rolling 24 hours.
    #[arg(long)]
    pub credits_per_day: Option<u64>,
    /// Microsoft Graph: requests one mailbox may receive per 10 minutes before 429 (off when
    /// absent; Outlook's published figure is 10,000).
    #[arg(long)]
    pub graph_mailbox_budget: Option<usize>,
    /// Microsoft Graph: seconds a delta token stays usable before 410.
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    pub graph_delta_token_ttl: u64,
    /// Zoho Projects throttle: calls one user may make to one API (method and path) per
    /// rolling window, as CALLS/SECONDS; the call past it locks that API for that user.
    /// Default: the seed's `projects_throttle`, else 100/120 (what Zoho was seen to allow).
    /// The same as `--projects-rate-limit` given to `sandbox serve`; this one wins.
    #[arg(long, value_name = "CALLS/SECONDS")]
    pub projects_throttle: Option<RateLimit>,
    /// Zoho Projects throttle: seconds a throttled API stays locked; every call during the
    /// lock starts it again. Default: the seed's `projects_throttle`, else 1200.
    #[arg(long, value_name = "SECONDS", value_parser = projects_throttle::parse_seconds)]
    pub projects_lockout_secs: Option<Duration>,
    /// Zoho Projects throttle: how a refused call is answered: 400
    /// URL_ROLLING_THROTTLES_LIMIT_EXCEEDED (what Zoho was seen to do) or 429 with Retry-After
    /// (what Zoho documents). Default: the seed's `projects_throttle`, else 400.
    #[arg(long, value_name = "400|429")]
    pub projects_throttle_status: Option<ThrottleForm>,
    /// Serve Projects as a portal without V3 rules: every /api/v3 path answers 400
    /// URL_RULE_NOT_CONFIGURED, so only the legacy /restapi API works.
    #[arg(long)]
    pub projects_legacy_only: bool,
    /// Change one endpoint's answers: "GET /crm/v8/users:email=>mail" renames a field,
    /// "GET /api/v3/portals:role=\"admin\"" gives it another JSON value.
    #[arg(long, value_name = "ROUTE:FIELD=>NAME|ROUTE:FIELD=JSON")]
    pub deviate_shape: Option<crate::sandbox::deviations::ShapeChange>,
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    #[arg(long, default_value_t = 200)]
    pub accounts: usize,
    #[arg(long, default_value_t = 500)]
    pub contacts: usize,
    /// Deals (default: half the accounts).
    #[arg(long)]
    pub deals: Option<usize>,
    #[arg(long, default_value_t = 100)]
    pub projects: usize,
    /// Client companies in the portal (default: a tenth of the accounts).
    #[arg(long)]
    pub clients: Option<usize>,
    /// The same number always generates the same org.
    #[arg(long, default_value_t = 1)]
    pub seed_number: u64,
    /// Microsoft 365 mailboxes in a generated tenant (the first are CRM users); none when 0.
    #[arg(long, default_value_t = 0)]
    pub mailboxes: usize,
    /// Events in each mailbox's default calendar.
    #[arg(long, default_value_t = 0)]
    pub events_per_mailbox: usize,
    /// Contacts in each mailbox's "CRM Contacts" folder.
    #[arg(long, default_value_t = 0)]
    pub contacts_per_mailbox: usize,
    /// CRM Events (meetings) owned by each CRM user, from a year ago to six months ahead.
    #[arg(long, default_value_t = 0)]
    pub events_per_user: usize,
    /// CRM Contacts owned by each CRM user (on top of --contacts).
    #[arg(long, default_value_t = 0)]
    pub contacts_per_user: usize,
    /// Share of those Events and Contacts tagged "Imported", in percent.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub tagged_imported_percent: u8,
    /// Output file (YAML, or JSON when it ends in .json); standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The Projects throttle `serve` enforces: each flag given wins over the seed's
/// `projects_throttle` block, which wins over Zoho's observed limits.
fn projects_throttle(args: &ServeArgs, seed: &Seed) -> ProjectsThrottle {
    let mut throttle = ProjectsThrottle::from_seed(seed.projects_throttle.as_ref());
    if let Some(limit) = args.projects_throttle {
        throttle.calls = limit.calls;
        throttle.window = limit.window;
    }
    if let Some(lockout) = args.projects_lockout_secs {
        throttle.lockout = lockout;
    }
    if let Some(form) = args.projects_throttle_status {
        throttle.form = form;
    }
    throttle
}

/// `rate_limit` is the global `--projects-rate-limit` as given: for `serve`, the limit the
/// sandbox enforces unless `--projects-throttle` says otherwise.
/// `state_dir` is the global `--state-dir`, where `serve` keeps its database unless `--db`
/// names another.
pub async fn run(
    args: SandboxArgs,
    rate_limit: Option<String>,
    state_dir: &Path,
) -> anyhow::Result<()> {
    match args.command {
        SandboxCommand::Serve(mut serve_args) => {
            if serve_args.projects_throttle.is_none()
                && let Some(limit) = rate_limit
            {
                serve_args.projects_throttle = Some(
                    limit
                        .parse::<RateLimit>()
                        .map_err(|e| anyhow!("--projects-rate-limit: {e}"))?,
                );
            }
            let db = serve_args
                .db
                .clone()
                .unwrap_or_else(|| state_dir.join("sandbox.db"));
            serve(serve_args, db).await
        }
        SandboxCommand::Generate(generate_args) => write_generated(generate_args),
    }
}

async fn serve(args: ServeArgs, db: PathBuf) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        bail!(
            "--fault-rate must be between 0 and 1, got {}",
            args.fault_rate
        );
    }
    let seed = match &args.seed {
        Some(path) => Seed::read(path)?,
        None => Seed::demo(),
    };
    if let Some(folder) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let throttle = projects_throttle(&args, &seed);
    let handle = Sandbox::start(sandbox_config(args, db.clone(), seed, throttle)).await?;
    let store = crate::sandbox::store::Store::open(Some(&db))
        .with_context(|| format!("cannot read {}", db.display()))?;
    let clients = crate::sandbox::accounts::clients(&store)?;
    let graph_apps = store.with(|c| crate::sandbox::graph::db::apps(c))?;
    drop(store);
    print_endpoints(&handle.url, &db, &throttle);
    print_credentials(&clients, &graph_apps);
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    handle.stop().await;
    Ok(())
}

/// The sandbox `serve` starts: the flags, over `seed` in the database `db`.
fn sandbox_config(
    args: ServeArgs,
    db: PathBuf,
    seed: Seed,
    throttle: ProjectsThrottle,
) -> SandboxConfig {
    SandboxConfig {
        listen: args.listen,
        db: Some(db),
        seed: Some(seed),
        edition: args.edition,
        token_ttl: Duration::from_secs(args.token_ttl),
        latency: Duration::from_millis(args.latency_ms),
        faults: FaultConfig {
            rate: args.fault_rate,
            kinds: args.fault_kinds,
        },
        credits_per_day: args.credits_per_day,
        graph: GraphConfig {
            delta_token_ttl: Duration::from_secs(args.graph_delta_token_ttl),
            mailbox_budget: args.graph_mailbox_budget.map(|requests| MailboxBudget {
                requests,
                per: Duration::from_secs(600),
            }),
        },
        projects_throttle: Some(throttle),
        deviations: crate::sandbox::deviations::Deviations {
            projects_legacy_only: args.projects_legacy_only,
            shape: args.deviate_shape,
        },
        ..SandboxConfig::default()
    }
}

fn print_endpoints(url: &str, db: &Path, throttle: &ProjectsThrottle) {
    println!(
        "projectlink sandbox serving {url} (database {})",
        db.display()
    );
    println!("  Accounts: {url}/oauth/v2/token");
    println!("  CRM:      {url}/crm/v8");
    println!("  Projects: {url}/restapi and {url}/api/v3");
    println!(
        "            at most {} calls per API per user in {} s, then {} s locked (answered {})",
        throttle.calls,
        throttle.window.as_secs(),
        throttle.lockout.as_secs(),
        u16::from(throttle.form)
    );
    println!("  Graph:    {url}/graph/v1.0  (tokens: {url}/login/{{tenant}}/oauth2/v2.0/token)");
}

/// The seeded OAuth clients and Graph apps: demo credentials that only open this sandbox,
/// printed so a local run can be configured without reading the database.
fn print_credentials(
    clients: &[crate::sandbox::accounts::ClientGrants],
    graph_apps: &[crate::sandbox::graph::db::AppListing],
) {
    println!("OAuth clients (sandbox-only demo credentials):");
    for client in clients {
        println!("  client_id:     {}", client.client_id);
        println!("  client_secret: {}", client.client_secret);
        for (token, user) in &client.grants {
            println!("  refresh_token: {token}  ({user})");
        }
    }
    if !graph_apps.is_empty() {
        println!("Graph app registrations (sandbox-only demo credentials):");
        for (tenant, client_id, secret, roles) in graph_apps {
            println!(
                "  tenant {tenant}  client_id {client_id}  client_secret {secret}  roles {}",
                roles.join(",")
            );
        }
    }
}

fn write_generated(args: GenerateArgs) -> anyhow::Result<()> {
    let seed = generate(&GenerateOptions {
        users: args.users,
        accounts: args.accounts,
        contacts: args.contacts,
        deals: args.deals,
        projects: args.projects,
        clients: args.clients,
        seed: args.seed_number,
        mailboxes: args.mailboxes,
        events_per_mailbox: args.events_per_mailbox,
        contacts_per_mailbox: args.contacts_per_mailbox,
        events_per_user: args.events_per_user,
        contacts_per_user: args.contacts_per_user,
        tagged_imported_percent: args.tagged_imported_percent,
        today: None,
    });
    let json = args
        .out
        .as_deref()
        .and_then(Path::extension)
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if json {
        serde_json::to_string(&seed)?
    } else {
        seed.to_yaml().map_err(anyhow::Error::msg)?
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        command: SandboxCommand,
    }

    #[test]
    fn serve_flags_parse_with_their_defaults() {
        let cli = Cli::parse_from(["sandbox", "serve"]);
        let SandboxCommand::Serve(args) = cli.command else {
            panic!("not serve");
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(args.db, None, "the database follows --state-dir");
        assert_eq!(args.edition, Edition::Enterprise);
        assert_eq!(args.fault_kinds.len(), 4);

        let cli = Cli::parse_from([
            "sandbox",
            "serve",
            "--edition",
            "free",
            "--fault-rate",
            "0.1",
            "--fault-kinds",
            "500,reset",
            "--latency-ms",
            "20",
            "--token-ttl",
            "5",
        ]);
        let SandboxCommand::Serve(args) = cli.command else {
            panic!("not serve");
        };
        assert_eq!(args.edition, Edition::Free);
        assert_eq!(
            args.fault_kinds,
            vec![FaultKind::ServerError, FaultKind::Reset]
        );
        assert!(Cli::try_parse_from(["sandbox", "serve", "--fault-kinds", "boom"]).is_err());
        assert!(Cli::try_parse_from(["sandbox", "serve", "--edition", "gold"]).is_err());
    }

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let cli = Cli::parse_from(["sandbox", "serve"].iter().chain(flags));
        let SandboxCommand::Serve(args) = cli.command else {
            panic!("not serve");
        };
        args
    }

    #[test]
    fn projects_throttle_flags_win_over_the_seed_which_wins_over_zohos_limits() {
        let seed = Seed::parse(
            "projects_throttle: {calls: 7, window_secs: 30, status: 429}\n",
            "s.yaml",
        )
        .unwrap();
        let defaults = projects_throttle(&serve_args(&[]), &Seed::default());
        assert_eq!(defaults, ProjectsThrottle::default());
        let from_seed = projects_throttle(&serve_args(&[]), &seed);
        assert_eq!((from_seed.calls, from_seed.window.as_secs()), (7, 30));
        assert_eq!(from_seed.form, ThrottleForm::Status429);
        let flags = serve_args(&[
            "--projects-throttle",
            "5/2",
            "--projects-lockout-secs",
            "3",
            "--projects-throttle-status",
            "400",
        ]);
        let explicit = projects_throttle(&flags, &seed);
        assert_eq!(
            explicit,
            ProjectsThrottle {
                calls: 5,
                window: Duration::from_secs(2),
                lockout: Duration::from_secs(3),
                form: ThrottleForm::Status400,
            }
        );
        let lockout_only =
            projects_throttle(&serve_args(&["--projects-lockout-secs", "60"]), &seed);
        assert_eq!(
            (lockout_only.calls, lockout_only.lockout.as_secs()),
            (7, 60)
        );
    }

    #[test]
    fn the_throttle_flags_parse_under_the_whole_command_line() {
        // Global options reach every subcommand; a global of the same name would take over.
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
        let cli = crate::cli::Cli::try_parse_from([
            "projectlink",
            "sandbox",
            "serve",
            "--projects-throttle",
            "5/2",
            "--projects-throttle-status",
            "429",
        ])
        .unwrap();
        let crate::cli::Command::Sandbox(SandboxArgs {
            command: SandboxCommand::Serve(args),
        }) = cli.command
        else {
            panic!("not sandbox serve");
        };
        let throttle = projects_throttle(&args, &Seed::default());
        assert_eq!((throttle.calls, throttle.window.as_secs()), (5, 2));
        assert_eq!(throttle.form, ThrottleForm::Status429);
    }

    #[test]
    fn malformed_projects_throttle_flags_are_refused_with_the_expected_form() {
        for (flag, value, expected) in [
            ("--projects-throttle", "100/0", "CALLS/SECONDS"),
            ("--projects-throttle", "abc", "CALLS/SECONDS"),
            ("--projects-lockout-secs", "0", "seconds above 0"),
            ("--projects-throttle-status", "404", "400 or 429"),
        ] {
            let err = Cli::try_parse_from(["sandbox", "serve", flag, value]).unwrap_err();
            assert!(err.to_string().contains(expected), "{flag} {value}: {err}");
        }
    }

    #[test]
    fn generate_writes_a_seed_that_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["org.yaml", "org.json"] {
            let out = dir.path().join(name);
            let cli = Cli::parse_from([
                "sandbox",
                "generate",
                "--users",
                "12",
                "--accounts",
                "30",
                "--contacts",
                "40",
                "--projects",
                "8",
                "--clients",
                "5",
                "--out",
                out.to_str().unwrap(),
            ]);
            let SandboxCommand::Generate(args) = cli.command else {
                panic!("not generate");
            };
            write_generated(args).unwrap();
            let seed = Seed::read(&out).unwrap();
            assert_eq!(seed.users.len(), 12);
            assert_eq!(seed.records["Contacts"].len(), 40);
        }
    }

    #[test]
    fn generate_takes_per_user_events_contacts_and_an_imported_share() {
        let cli = Cli::parse_from([
            "sandbox",
            "generate",
            "--users",
            "5",
            "--events-per-user",
            "7",
            "--contacts-per-user",
            "3",
            "--tagged-imported-percent",
            "20",
            "--mailboxes",
            "5",
        ]);
        let SandboxCommand::Generate(args) = cli.command else {
            panic!("not generate");
        };
        assert_eq!(
            (
                args.events_per_user,
                args.contacts_per_user,
                args.tagged_imported_percent
            ),
            (7, 3, 20)
        );
        let bad = Cli::try_parse_from(["sandbox", "generate", "--tagged-imported-percent", "101"]);
        assert!(bad.is_err());
    }
}
