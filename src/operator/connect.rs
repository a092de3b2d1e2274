//! API clients per resource, built from the Secrets in its namespace and kept across
//! reconciles (so are their access tokens: Zoho issues only a few per refresh token per ten
//! minutes), rebuilt when a Secret's values change; and the claims that keep two resources
//! of one kind off the same CRM org.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::Api;

use super::context::{Context, locked};
use super::credentials::{self, SecretError};
use super::outcome::{Next, Outcome};
use crate::graph::{GraphClient, GraphEndpoints};
use crate::live::ProjectsGrant;
use crate::spec::{Connection, SecretRef};
use crate::zoho::{ClientOptions, Endpoints, ZohoClients};

fn secret_problem(error: SecretError) -> Outcome {
    let reason = match error {
        SecretError::Missing { .. } | SecretError::NoSecretRef => "SecretMissing",
        SecretError::Kube { .. } => "SecretUnreadable",
        _ => "SecretInvalid",
    };
    Outcome::blocked(
        reason,
        error.to_string(),
        Next::Backoff {
            rate_limited: false,
        },
    )
}

fn client_options(ctx: &Context) -> ClientOptions {
    ClientOptions {
        concurrency: ctx.config.concurrency,
        projects_rate_limit: ctx.config.projects_rate_limit,
        // Pacing waits are part of a reconcile's normal course: logged, not evented.
        wait_notice: Some(Arc::new(|line: &str| tracing::info!("{line}"))),
        // A long listing says how far it got, as the CLI does off a terminal.
        progress: Some(Arc::new(|page: &crate::zoho::listing::PageRead| {
            if let Some(line) = crate::zoho::listing::plain_line(page) {
                tracing::info!(target: "projectlink::progress", "{line}");
            }
        })),
        ..ClientOptions::default()
    }
}

/// The Zoho clients of the resource `slot` in `namespace`, connected with the grants
/// `connection` names.
pub(crate) async fn zoho_clients(
    ctx: &Context,
    slot: &str,
    namespace: &str,
    connection: &Connection,
) -> Result<(Arc<ZohoClients>, ProjectsGrant), Outcome> {
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let resolved = credentials::resolve(&secrets, namespace, connection)
        .await
        .map_err(secret_problem)?;
    if let Some((fingerprint, clients)) = locked(&ctx.zoho).get(slot)
        && *fingerprint == resolved.fingerprint
    {
        return Ok((clients.clone(), resolved.grant));
    }
    let endpoints = match &ctx.config.zoho_base_url {
        Some(url) => Endpoints::single(url.clone()),
        None => Endpoints::for_data_center(
            resolved
                .credentials
                .crm
                .data_center
                .unwrap_or(connection.data_center),
        ),
    };
    let clients = ZohoClients::connect(&endpoints, &resolved.credentials, &client_options(ctx))
        .map(Arc::new)
        .map_err(|e| {
            Outcome::blocked(
                "ZohoUnreachable",
                e.to_string(),
                Next::Backoff {
                    rate_limited: false,
                },
            )
        })?;
    locked(&ctx.zoho).insert(slot.to_string(), (resolved.fingerprint, clients.clone()));
    Ok((clients, resolved.grant))
}

/// The Microsoft Graph client of the resource `slot`, signed in with the app registration
/// in the Secret `reference` (its `tenant_id`, else `tenant`).
pub(crate) async fn graph_client(
    ctx: &Context,
    slot: &str,
    namespace: &str,
    reference: &SecretRef,
    tenant: &str,
) -> Result<(GraphClient, String), Outcome> {
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let resolved = credentials::resolve_graph(&secrets, namespace, reference, tenant)
        .await
        .map_err(secret_problem)?;
    let tenant = resolved.credentials.tenant.clone();
    if let Some((fingerprint, client)) = locked(&ctx.graph).get(slot)
        && *fingerprint == resolved.fingerprint
    {
        return Ok((client.clone(), tenant));
    }
    let endpoints = match &ctx.config.graph_base_url {
        Some(url) => GraphEndpoints::sandbox(url),
        None => GraphEndpoints::microsoft(),
    };
    let client = GraphClient::connect(&endpoints, &resolved.credentials, &client_options(ctx))
        .map_err(|e| {
            Outcome::blocked(
                "GraphUnreachable",
                e.to_string(),
                Next::Backoff {
                    rate_limited: false,
                },
            )
        })?;
    locked(&ctx.graph).insert(slot.to_string(), (resolved.fingerprint, client.clone()));
    Ok((client, tenant))
}

/// Records that the resource `slot` of kind `kind` reconciles the CRM org `org_id`;
/// returns the resource that already does, when another one of the same kind does.
pub(crate) fn claim_org(ctx: &Context, kind: &str, org_id: &str, slot: &str) -> Option<String> {
    if org_id.is_empty() {
        return None;
    }
    let org = format!("{kind} {org_id}");
    let mut orgs = locked(&ctx.orgs);
    // A resource now pointing at another org gives up its old claim.
    orgs.retain(|claimed, holder| holder != slot || *claimed == org);
    let holder = orgs.entry(org).or_insert_with(|| slot.to_string());
    (holder != slot).then(|| holder.clone())
}

/// The conflict message for an org claimed by `holder` (a slot: `Kind namespace/name`).
pub(crate) fn claimed_message(org_id: &str, holder: &str) -> String {
    format!("the CRM org {org_id} is already reconciled by the {holder}")
}
