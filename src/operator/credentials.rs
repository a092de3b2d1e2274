//! Zoho grants and Microsoft Graph app credentials for one resource, read from the
//! Kubernetes Secrets its `connection` names — in the resource's own namespace only, so a
//! resource can never borrow another team's grant.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use sha2::{Digest, Sha256};

use crate::graph::GraphCredentials;
use crate::live::ProjectsGrant;
use crate::spec::{Connection, SecretRef};
use crate::zoho::{Credentials, DataCenter, ZohoCredentials};

/// Key of the OAuth client id in the connection Secret.
pub const KEY_CLIENT_ID: &str = "client_id";
/// Key of the OAuth client secret.
pub const KEY_CLIENT_SECRET: &str = "client_secret";
/// Key of the refresh token (also the only required key of the portal owner's Secret).
pub const KEY_REFRESH_TOKEN: &str = "refresh_token";
/// Optional key naming the data centre the grant was made in.
pub const KEY_DATA_CENTER: &str = "data_center";
/// Optional key of the Graph app's tenant in the Graph Secret (else the spec's `tenant`).
pub const KEY_TENANT_ID: &str = "tenant_id";

/// Why the credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "spec.connection.secretRef is not set: the operator needs a Secret with the Zoho grant"
    )]
    NoSecretRef,
    #[error("Secret {namespace}/{name} does not exist")]
    Missing { namespace: String, name: String },
    #[error("Secret {namespace}/{name} has no usable \"{key}\" key")]
    MissingKey {
        namespace: String,
        name: String,
        key: &'static str,
    },
    #[error("Secret {namespace}/{name}: \"data_center\" is {value:?}, not a Zoho data centre")]
    BadDataCenter {
        namespace: String,
        name: String,
        value: String,
    },
    #[error("cannot read Secret {namespace}/{name}: {source}")]
    Kube {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// The grants of one resource, with a fingerprint that changes whenever any secret value
/// does (so cached clients are rebuilt after a rotation, without keeping the values around).
pub struct ResolvedCredentials {
    pub credentials: ZohoCredentials,
    pub grant: ProjectsGrant,
    pub fingerprint: String,
}

/// Reads the Secrets named by `connection` from `namespace`.
pub async fn resolve(
    secrets: &Api<Secret>,
    namespace: &str,
    connection: &Connection,
) -> Result<ResolvedCredentials, SecretError> {
    let main_name = connection
        .secret_ref
        .as_ref()
        .map(|s| s.name.as_str())
        .ok_or(SecretError::NoSecretRef)?;
    let main = read(secrets, namespace, main_name)
        .await?
        .ok_or_else(|| SecretError::Missing {
            namespace: namespace.into(),
            name: main_name.into(),
        })?;
    let required = |key: &'static str| {
        value(&main, key).ok_or_else(|| SecretError::MissingKey {
            namespace: namespace.into(),
            name: main_name.into(),
            key,
        })
    };
    let client_id = required(KEY_CLIENT_ID)?;
    let client_secret = required(KEY_CLIENT_SECRET)?;
    let refresh = required(KEY_REFRESH_TOKEN)?;
    let mut crm = Credentials::new(client_id.clone(), client_secret.clone(), refresh.clone());
    crm.origin = format!("Secret {namespace}/{main_name}");
    if let Some(dc) = value(&main, KEY_DATA_CENTER) {
        crm.data_center =
            Some(
                dc.parse::<DataCenter>()
                    .map_err(|_| SecretError::BadDataCenter {
                        namespace: namespace.into(),
                        name: main_name.into(),
                        value: dc.clone(),
                    })?,
            );
    }
    let mut hasher = Sha256::new();
    for part in [&client_id, &client_secret, &refresh] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }

    let (portal, grant) = match connection.portal_secret_ref.as_ref() {
        None => (None, ProjectsGrant::Connection),
        Some(reference) => match read(secrets, namespace, &reference.name).await? {
            // The portal owner has not granted access yet: the plan reports PendingApproval.
            None => (None, ProjectsGrant::PortalOwnerMissing),
            Some(owner) => {
                let refresh =
                    value(&owner, KEY_REFRESH_TOKEN).ok_or_else(|| SecretError::MissingKey {
                        namespace: namespace.into(),
                        name: reference.name.clone(),
                        key: KEY_REFRESH_TOKEN,
                    })?;
                let id = value(&owner, KEY_CLIENT_ID).unwrap_or_else(|| client_id.clone());
                let secret =
                    value(&owner, KEY_CLIENT_SECRET).unwrap_or_else(|| client_secret.clone());
                for part in [&id, &secret, &refresh] {
                    hasher.update(part.as_bytes());
                    hasher.update([1]);
                }
                let mut creds = Credentials::new(id, secret, refresh);
                creds.origin = format!("Secret {namespace}/{}", reference.name);
                creds.data_center = crm.data_center;
                (Some(creds), ProjectsGrant::PortalOwner)
            }
        },
    };
    if let Some(dc) = crm.data_center {
        hasher.update(dc.code().as_bytes());
    }
    Ok(ResolvedCredentials {
        credentials: ZohoCredentials { crm, portal },
        grant,
        fingerprint: hex(hasher),
    })
}

fn hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A Microsoft Graph app registration, with a fingerprint as for [`ResolvedCredentials`].
pub struct ResolvedGraph {
    pub credentials: GraphCredentials,
    pub fingerprint: String,
}

/// Reads the Graph app Secret `reference` from `namespace`: `client_id` and `client_secret`,
/// and `tenant_id` unless the spec's `tenant` should be used.
pub async fn resolve_graph(
    secrets: &Api<Secret>,
    namespace: &str,
    reference: &SecretRef,
    spec_tenant: &str,
) -> Result<ResolvedGraph, SecretError> {
    let name = reference.name.as_str();
    let secret = read(secrets, namespace, name)
        .await?
        .ok_or_else(|| SecretError::Missing {
            namespace: namespace.into(),
            name: name.into(),
        })?;
    let required = |key: &'static str| {
        value(&secret, key).ok_or_else(|| SecretError::MissingKey {
            namespace: namespace.into(),
            name: name.into(),
            key,
        })
    };
    let client_id = required(KEY_CLIENT_ID)?;
    let client_secret = required(KEY_CLIENT_SECRET)?;
    let tenant = value(&secret, KEY_TENANT_ID).unwrap_or_else(|| spec_tenant.trim().to_string());
    let mut hasher = Sha256::new();
    for part in [&tenant, &client_id, &client_secret] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    Ok(ResolvedGraph {
        credentials: GraphCredentials {
            origin: format!("Secret {namespace}/{name}"),
            ..GraphCredentials::new(tenant, client_id, client_secret)
        },
        fingerprint: hex(hasher),
    })
}

async fn read(
    secrets: &Api<Secret>,
    namespace: &str,
    name: &str,
) -> Result<Option<Secret>, SecretError> {
    secrets
        .get_opt(name)
        .await
        .map_err(|source| SecretError::Kube {
            namespace: namespace.into(),
            name: name.into(),
            source,
        })
}

/// A key's value from `data` (base64 on the wire, decoded by k8s-openapi) or `stringData`,
/// trimmed, since secrets made with `echo` often carry a trailing newline.
fn value(secret: &Secret, key: &str) -> Option<String> {
    let from_data = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .and_then(|bytes| String::from_utf8(bytes.0.clone()).ok());
    let from_string_data = || {
        secret
            .string_data
            .as_ref()
            .and_then(|d| d.get(key))
            .cloned()
    };
    from_data
        .or_else(from_string_data)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use std::collections::BTreeMap;

    fn secret(data: &[(&str, &str)], string_data: &[(&str, &str)]) -> Secret {
        Secret {
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect::<BTreeMap<_, _>>(),
            ),
            string_data: Some(
                string_data
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Secret::default()
        }
    }

    #[test]
    fn values_come_from_data_then_string_data_and_are_trimmed() {
        let s = secret(&[("client_id", "1000.X\n")], &[("refresh_token", "r")]);
        assert_eq!(value(&s, "client_id").as_deref(), Some("1000.X"));
        assert_eq!(value(&s, "refresh_token").as_deref(), Some("r"));
        assert_eq!(value(&s, "client_secret"), None);
    }

    #[test]
    fn blank_values_count_as_missing() {
        let s = secret(&[("client_id", "  \n")], &[]);
        assert_eq!(value(&s, "client_id"), None);
    }
}
