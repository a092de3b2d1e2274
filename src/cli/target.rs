//! Target selection: Zoho when credentials are configured, a running sandbox with
//! `--target URL`, otherwise the embedded sandbox served in-process on a loopback port so
//! the very same HTTP clients run. The description names the target on the first line of
//! output.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

use super::GlobalArgs;
use crate::graph::{GraphClient, GraphCredentials, GraphEndpoints};
use crate::live::ProjectsGrant;
use crate::sandbox::seed::{DEMO_SEED_YAML, Seed};
use crate::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use crate::spec::Connection;
use crate::zoho::credentials::{CredentialSources, CredentialsError};
use crate::zoho::redact::redact_url;
use crate::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

/// A connected target: clients ready to use, and what to call it.
pub struct Connected {
    /// Human description for the first output line.
    pub description: String,
    /// Stable identity recorded in saved plans (`zoho:us`, `sandbox:http://…`).
    pub id: String,
    pub clients: ZohoClients,
    pub grant: ProjectsGrant,
    /// The sandbox's base URL, when the target is a sandbox (it serves Graph too).
    pub sandbox_url: Option<reqwest::Url>,
    /// Keeps the embedded sandbox serving for as long as the clients are used.
    _sandbox: Option<SandboxHandle>,
}

/// Environment lookups for credentials, with `--credentials` standing in for
/// `PROJECTLINK_CREDENTIALS`.
fn credential_env(global: &GlobalArgs) -> impl Fn(&str) -> Option<String> + use<> {
    let flag = global.credentials.clone();
    move |name: &str| -> Option<String> {
        if name == "PROJECTLINK_CREDENTIALS"
            && let Some(path) = &flag
        {
            return Some(path.display().to_string());
        }
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Connects the Microsoft Graph client next to a connected CRM target: a sandbox target
/// serves Graph itself (its demo app registration stands in when none is configured), Zoho
/// pairs with Microsoft's cloud and needs the app registration named by `graph_secret`.
pub fn connect_graph(
    global: &GlobalArgs,
    connected: &Connected,
    graph_secret: &str,
    tenant: &str,
    options: &ClientOptions,
) -> anyhow::Result<GraphClient> {
    let env = credential_env(global);
    let sources = CredentialSources { env: &env };
    let configured = sources
        .resolve_graph(graph_secret)
        .context("cannot read Microsoft Graph credentials")?;
    let (endpoints, creds) = match (&connected.sandbox_url, configured) {
        (Some(url), Some(creds)) => (GraphEndpoints::sandbox(url), creds),
        (Some(url), None) => (
            GraphEndpoints::sandbox(url),
            demo_graph_credentials(tenant)?,
        ),
        (None, Some(creds)) => (GraphEndpoints::microsoft(), creds),
        (None, None) => bail!(
            "no Microsoft Graph credentials for graphSecretRef {graph_secret:?}: set {}, {} and {}, or add tenant_id, client_id and client_secret under {graph_secret:?} in the credentials file",
            crate::zoho::credentials::ENV_GRAPH_TENANT_ID,
            crate::zoho::credentials::ENV_GRAPH_CLIENT_ID,
            crate::zoho::credentials::ENV_GRAPH_CLIENT_SECRET,
        ),
    };
    Ok(GraphClient::connect(&endpoints, &creds, options)?)
}

/// The sandbox seed's app registration with write access in `tenant` (or the first tenant).
fn demo_graph_credentials(tenant: &str) -> anyhow::Result<GraphCredentials> {
    let seed = demo_seed()?;
    let found = seed
        .tenants
        .iter()
        .find(|t| t.id.eq_ignore_ascii_case(tenant))
        .or(seed.tenants.first())
        .ok_or_else(|| anyhow!("the sandbox seed has no Microsoft 365 tenant"))?;
    let app = found
        .apps
        .iter()
        .find(|a| a.roles.iter().any(|r| r == "Calendars.ReadWrite"))
        .or(found.apps.first())
        .ok_or_else(|| anyhow!("the sandbox seed's tenant has no app registration"))?;
    Ok(GraphCredentials {
        origin: "the sandbox's demo app registration".into(),
        ..GraphCredentials::new(
            found.id.clone(),
            app.client_id.clone(),
            app.client_secret.clone(),
        )
    })
}

/// The Microsoft 365 tenant of the sandbox's demo seed (its first), for commands that need
/// a tenant and were given none while the target is a sandbox.
pub fn demo_tenant_id() -> anyhow::Result<String> {
    demo_seed()?
        .tenants
        .first()
        .map(|t| t.id.clone())
        .ok_or_else(|| anyhow!("the sandbox seed has no Microsoft 365 tenant"))
}

/// Where credentials come from, honouring `--credentials`.
fn resolve_credentials(
    global: &GlobalArgs,
    connection: &Connection,
) -> anyhow::Result<(Option<ZohoCredentials>, bool)> {
    let env = credential_env(global);
    let sources = CredentialSources { env: &env };
    let secret = connection
        .secret_ref
        .as_ref()
        .map(|s| s.name.as_str())
        .unwrap_or("default");
    let portal = connection
        .portal_secret_ref
        .as_ref()
        .map(|s| s.name.as_str());
    match sources.resolve(secret, portal) {
        Ok(creds) => Ok((creds, false)),
        // The portal owner's grant is not there yet: the integration is PendingApproval.
        Err(CredentialsError::NoPortalCredentials { .. }) => {
            let creds = sources
                .resolve(secret, None)
                .context("cannot read Zoho credentials")?;
            Ok((creds, true))
        }
        Err(e) => Err(anyhow!(e).context("cannot read Zoho credentials")),
    }
}

/// Connects to the target for a spec's `connection`.
pub async fn connect(
    global: &GlobalArgs,
    connection: &Connection,
    options: ClientOptions,
) -> anyhow::Result<Connected> {
    let (creds, portal_missing) = resolve_credentials(global, connection)?;
    let wants_portal_grant = connection.portal_secret_ref.is_some();
    if let Some(url) = &global.target {
        let shown = redact_url(url);
        let base =
            reqwest::Url::parse(url).with_context(|| format!("--target {shown:?} is not a URL"))?;
        let (creds, grant) = match creds {
            Some(c) => {
                let grant = grant_for(wants_portal_grant, portal_missing);
                (c, grant)
            }
            None => demo_credentials(&demo_seed()?, wants_portal_grant)?,
        };
        let clients = ZohoClients::connect(&Endpoints::single(base.clone()), &creds, &options)?;
        return Ok(Connected {
            description: format!("Target: sandbox at {shown}"),
            id: format!("sandbox:{shown}"),
            clients,
            grant,
            sandbox_url: Some(base),
            _sandbox: None,
        });
    }
    if let Some(creds) = creds {
        let dc = creds.crm.data_center.unwrap_or(connection.data_center);
        let clients = ZohoClients::connect(&Endpoints::for_data_center(dc), &creds, &options)?;
        return Ok(Connected {
            description: format!(
                "Target: Zoho ({} data centre) with credentials from {}",
                dc.code(),
                creds.crm.origin
            ),
            id: format!("zoho:{}", dc.code()),
            clients,
            grant: grant_for(wants_portal_grant, portal_missing),
            sandbox_url: None,
            _sandbox: None,
        });
    }
    let db = global.state_dir.join("sandbox.db");
    let seed = demo_seed()?;
    let (creds, grant) = demo_credentials(&seed, wants_portal_grant)?;
    let handle = start_embedded(&db, seed).await?;
    // The embedded sandbox gets a new port each run; its tokens live in its database.
    let mut options = options;
    options.token_store_scope = Some(format!("embedded-sandbox:{}", db.display()));
    let url = reqwest::Url::parse(&handle.url)?;
    let clients = ZohoClients::connect(&Endpoints::single(url.clone()), &creds, &options)?;
    Ok(Connected {
        description: format!(
            "Target: embedded sandbox ({}; no Zoho credentials configured, see --help)",
            db.display()
        ),
        id: "sandbox:embedded".into(),
        clients,
        grant,
        sandbox_url: Some(url),
        _sandbox: Some(handle),
    })
}

fn grant_for(wants_portal_grant: bool, portal_missing: bool) -> ProjectsGrant {
    match (wants_portal_grant, portal_missing) {
        (false, _) => ProjectsGrant::Connection,
        (true, false) => ProjectsGrant::PortalOwner,
        (true, true) => ProjectsGrant::PortalOwnerMissing,
    }
}

fn demo_seed() -> anyhow::Result<Seed> {
    Seed::parse(DEMO_SEED_YAML, "examples/sandbox/acme-seed.yaml")
        .map_err(|e| anyhow!("the built-in demo seed is invalid: {e}"))
}

/// The demo org's grants: the first refresh token for CRM, and the portal owner's for
/// Projects when the spec uses another user's portal.
fn demo_credentials(
    seed: &Seed,
    wants_portal_grant: bool,
) -> anyhow::Result<(ZohoCredentials, ProjectsGrant)> {
    let client = seed
        .oauth_clients
        .first()
        .ok_or_else(|| anyhow!("the sandbox seed has no OAuth client"))?;
    let token = |t: &str| Credentials {
        origin: "the sandbox's demo grant".into(),
        ..Credentials::new(
            client.client_id.clone(),
            client.client_secret.clone(),
            t.to_string(),
        )
    };
    let admin = client
        .refresh_tokens
        .first()
        .ok_or_else(|| anyhow!("the sandbox seed's OAuth client has no refresh token"))?;
    let owners: Vec<&str> = seed.portals.iter().map(|p| p.owner.as_str()).collect();
    let portal = wants_portal_grant
        .then(|| {
            client
                .refresh_tokens
                .iter()
                .find(|t| owners.iter().any(|o| o.eq_ignore_ascii_case(&t.user)))
                .map(|t| token(&t.token))
        })
        .flatten();
    let grant = grant_for(wants_portal_grant, portal.is_none());
    Ok((
        ZohoCredentials {
            crm: token(&admin.token),
            portal,
        },
        grant,
    ))
}

async fn start_embedded(db: &Path, seed: Seed) -> anyhow::Result<SandboxHandle> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state folder {}", dir.display()))?;
    }
    let config = SandboxConfig {
        db: Some(PathBuf::from(db)),
        seed: Some(seed),
        ..SandboxConfig::default()
    };
    Sandbox::start(config)
        .await
        .with_context(|| format!("cannot start the embedded sandbox on {}", db.display()))
}
