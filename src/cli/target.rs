//! Target selection: Zoho when credentials are configured, a running sandbox with
//! `--target URL`, otherwise the embedded sandbox served in-process on a loopback port so
//! the very same HTTP clients run. The description names the target on the first line of
//! output.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};

use super::GlobalArgs;
use crate::live::ProjectsGrant;
use crate::sandbox::seed::{DEMO_SEED_YAML, Seed};
use crate::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use crate::spec::Connection;
use crate::zoho::credentials::{CredentialSources, CredentialsError};
use crate::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

/// A connected target: clients ready to use, and what to call it.
pub struct Connected {
    /// Human description for the first output line.
    pub description: String,
    /// Stable identity recorded in saved plans (`zoho:us`, `sandbox:http://…`).
    pub id: String,
    pub clients: ZohoClients,
    pub grant: ProjectsGrant,
    /// Keeps the embedded sandbox serving for as long as the clients are used.
    _sandbox: Option<SandboxHandle>,
}

/// Where credentials come from, honouring `--credentials`.
fn resolve_credentials(
    global: &GlobalArgs,
    connection: &Connection,
) -> anyhow::Result<(Option<ZohoCredentials>, bool)> {
    let flag = global.credentials.clone();
    let env = move |name: &str| -> Option<String> {
        if name == "PROJECTLINK_CREDENTIALS"
            && let Some(path) = &flag
        {
            return Some(path.display().to_string());
        }
        std::env::var(name).ok().filter(|v| !v.is_empty())
    };
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
        let base =
            reqwest::Url::parse(url).with_context(|| format!("--target {url:?} is not a URL"))?;
        let (creds, grant) = match creds {
            Some(c) => {
                let grant = grant_for(wants_portal_grant, portal_missing);
                (c, grant)
            }
            None => demo_credentials(&demo_seed()?, wants_portal_grant)?,
        };
        let clients = ZohoClients::connect(&Endpoints::single(base), &creds, &options)?;
        return Ok(Connected {
            description: format!("Target: sandbox at {url}"),
            id: format!("sandbox:{url}"),
            clients,
            grant,
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
    let clients = ZohoClients::connect(
        &Endpoints::single(reqwest::Url::parse(&handle.url)?),
        &creds,
        &options,
    )?;
    Ok(Connected {
        description: format!(
            "Target: embedded sandbox ({}; no Zoho credentials configured, see --help)",
            db.display()
        ),
        id: "sandbox:embedded".into(),
        clients,
        grant,
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
