//! OAuth client credentials and refresh tokens: where they come from (environment variables or
//! a credentials file kept outside the spec) and a [`Secret`] type that never prints its value.
//!
//! A spec only names its credentials (`connection.secretRef.name`, and optionally
//! `connection.portalSecretRef.name` for the portal owner's grant); this module turns those
//! names into [`Credentials`], and the Office 365 integration's name into
//! [`GraphCredentials`] (an Entra ID app registration's client secret). Every error here
//! names variables, files, profiles and fields, never a value.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::dc::DataCenter;

mod graph;
pub use graph::{
    ENV_GRAPH_CLIENT_ID, ENV_GRAPH_CLIENT_SECRET, ENV_GRAPH_TENANT_ID, GraphCredentials,
};

/// A confidential string (client secret, refresh or access token). `Debug` and `Display`
/// print `***`; the value is only reachable through [`Secret::expose`]. It deliberately does
/// not implement `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value, for the one place that must send it (the token request, the
    /// `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(super::redact::REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(super::redact::REDACTED)
    }
}

/// One OAuth grant: the client that was registered in the Zoho API console and the refresh
/// token a user granted it.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub refresh_token: Secret,
    /// The data centre the grant was made in, when the source says so.
    pub data_center: Option<DataCenter>,
    /// Where these came from, for error messages: `secretRef zoho-oauth (/path/file.yaml)` or
    /// `environment variables ZOHO_*`.
    pub origin: String,
}

impl Credentials {
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Credentials {
        Credentials {
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            refresh_token: Secret::new(refresh_token),
            data_center: None,
            origin: "credentials given in code".into(),
        }
    }
}

/// The grants one integration uses: the CRM admin's, and optionally the portal owner's for
/// the Projects side (`connection.portalSecretRef`).
#[derive(Debug, Clone)]
pub struct ZohoCredentials {
    pub crm: Credentials,
    pub portal: Option<Credentials>,
}

pub const ENV_CLIENT_ID: &str = "ZOHO_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "ZOHO_CLIENT_SECRET";
pub const ENV_REFRESH_TOKEN: &str = "ZOHO_REFRESH_TOKEN";
pub const ENV_DATA_CENTER: &str = "ZOHO_DATA_CENTER";
pub const ENV_PORTAL_REFRESH_TOKEN: &str = "ZOHO_PORTAL_REFRESH_TOKEN";
pub const ENV_CREDENTIALS_FILE: &str = "PROJECTLINK_CREDENTIALS";

/// Why credentials could not be loaded. No variant carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "{missing} is not set, but {present} is; set all of ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN, or none"
    )]
    IncompleteEnvironment {
        missing: &'static str,
        present: &'static str,
    },
    #[error(
        "{missing} is not set, but {present} is; set all of PROJECTLINK_GRAPH_TENANT_ID, PROJECTLINK_GRAPH_CLIENT_ID and PROJECTLINK_GRAPH_CLIENT_SECRET, or none"
    )]
    IncompleteGraphEnvironment {
        missing: &'static str,
        present: &'static str,
    },
    #[error("{origin}: {source}")]
    DataCenter {
        origin: String,
        #[source]
        source: super::dc::UnknownDataCenter,
    },
    #[error("cannot read credentials file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("credentials file {path} is not valid YAML (line {line}, column {column})")]
    Syntax {
        path: PathBuf,
        line: u64,
        column: u64,
    },
    #[error("credentials file {path}: {problem}")]
    Shape { path: PathBuf, problem: String },
    #[error("credentials file {path} has no profile {name:?} (profiles: {available})")]
    NoProfile {
        path: PathBuf,
        name: String,
        available: String,
    },
    #[error(
        "the spec names portalSecretRef {name:?}, but {ENV_PORTAL_REFRESH_TOKEN} is not set and no credentials file has a profile of that name"
    )]
    NoPortalCredentials { name: String },
}

/// A parsed credentials file: named profiles keyed by the spec's `secretRef.name`.
///
/// ```yaml
/// zoho-oauth:
///   client_id: "1000.ABC"
///   client_secret: "..."
///   refresh_token: "1000.x.y"
///   data_center: us
/// pm-admin-oauth:            # client_id/client_secret default to another profile's
///   refresh_token: "1000.p.q"
/// office365:                 # Microsoft Graph: an Entra ID app registration
///   tenant_id: "7f3c2a10-…"
///   client_id: "5b7e9c1d-…"
///   client_secret: "..."
/// ```
#[derive(Debug, Clone)]
pub struct CredentialsFile {
    path: PathBuf,
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Default)]
struct Profile {
    client_id: Option<String>,
    client_secret: Option<Secret>,
    refresh_token: Option<Secret>,
    data_center: Option<DataCenter>,
    tenant_id: Option<String>,
}

/// The fields a profile may have, for messages.
const PROFILE_FIELDS: &str = "client_id, client_secret, refresh_token, data_center, tenant_id";

impl CredentialsFile {
    /// Reads and parses the file. Warns (without failing) when others may read it.
    pub fn load(path: &Path) -> Result<CredentialsFile, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        warn_if_shared(path);
        CredentialsFile::parse(path, &text)
    }

    /// Parses file contents; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<CredentialsFile, CredentialsError> {
        let shape = |problem: String| CredentialsError::Shape {
            path: path.to_path_buf(),
            problem,
        };
        // The parser's own message can quote the offending text, so only its position is kept.
        let root: BTreeMap<String, Value> = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            CredentialsError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
            }
        })?;
        let mut profiles = BTreeMap::new();
        for (name, body) in root {
            let Value::Object(fields) = body else {
                return Err(shape(format!(
                    "profile {name:?} must be a mapping of {PROFILE_FIELDS}"
                )));
            };
            let mut profile = Profile::default();
            for (key, value) in fields {
                let Value::String(text) = value else {
                    return Err(shape(format!(
                        "field {key} of profile {name:?} must be a string (quote it)"
                    )));
                };
                match key.as_str() {
                    "client_id" => profile.client_id = Some(text),
                    "client_secret" => profile.client_secret = Some(Secret(text)),
                    "refresh_token" => profile.refresh_token = Some(Secret(text)),
                    "tenant_id" => profile.tenant_id = Some(text),
                    "data_center" => {
                        profile.data_center =
                            Some(
                                text.parse()
                                    .map_err(|source| CredentialsError::DataCenter {
                                        origin: format!("profile {name:?} in {}", path.display()),
                                        source,
                                    })?,
                            )
                    }
                    other => {
                        return Err(shape(format!(
                            "unknown field {other} in profile {name:?}; expected {PROFILE_FIELDS}"
                        )));
                    }
                }
            }
            profiles.insert(name, profile);
        }
        Ok(CredentialsFile {
            path: path.to_path_buf(),
            profiles,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn profile(&self, name: &str) -> Result<&Profile, CredentialsError> {
        self.profiles
            .get(name)
            .ok_or_else(|| CredentialsError::NoProfile {
                path: self.path.clone(),
                name: name.to_string(),
                available: if self.profiles.is_empty() {
                    "none".to_string()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }

    /// The credentials of profile `name`. A profile without `client_id`/`client_secret`
    /// borrows them from `fallback` (the portal owner's grant made through the same client).
    pub fn credentials(
        &self,
        name: &str,
        fallback: Option<&Credentials>,
    ) -> Result<Credentials, CredentialsError> {
        let profile = self.profile(name)?;
        let missing = |field: &str| CredentialsError::Shape {
            path: self.path.clone(),
            problem: format!("profile {name:?} has no {field}"),
        };
        let client_id = match (&profile.client_id, fallback) {
            (Some(id), _) => id.clone(),
            (None, Some(f)) => f.client_id.clone(),
            (None, None) => return Err(missing("client_id")),
        };
        let client_secret = match (&profile.client_secret, fallback) {
            (Some(s), _) => s.clone(),
            (None, Some(f)) => f.client_secret.clone(),
            (None, None) => return Err(missing("client_secret")),
        };
        let refresh_token = profile
            .refresh_token
            .clone()
            .ok_or_else(|| missing("refresh_token"))?;
        Ok(Credentials {
            client_id,
            client_secret,
            refresh_token,
            data_center: profile.data_center.or(fallback.and_then(|f| f.data_center)),
            origin: format!("secretRef {name} ({})", self.path.display()),
        })
    }
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "credentials file is readable by group or others; restrict it with chmod 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// Where to look for credentials; [`CredentialSources::from_process`] reads the real
/// environment, tests build one from a map.
pub struct CredentialSources<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl CredentialSources<'static> {
    pub fn from_process() -> CredentialSources<'static> {
        CredentialSources { env: &process_env }
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl CredentialSources<'_> {
    /// `$PROJECTLINK_CREDENTIALS`, else `~/.config/projectlink/credentials.yaml`, with whether
    /// the path was chosen explicitly (then it must exist).
    pub fn credentials_file_path(&self) -> Option<(PathBuf, bool)> {
        if let Some(explicit) = (self.env)(ENV_CREDENTIALS_FILE) {
            return Some((PathBuf::from(explicit), true));
        }
        let home = (self.env)("HOME")?;
        Some((
            Path::new(&home).join(".config/projectlink/credentials.yaml"),
            false,
        ))
    }

    /// Resolves the spec's credential names. `Ok(None)` means no Zoho credentials are
    /// configured at all (callers then fall back to the sandbox). Environment variables win
    /// over the file.
    pub fn resolve(
        &self,
        secret_ref: &str,
        portal_secret_ref: Option<&str>,
    ) -> Result<Option<ZohoCredentials>, CredentialsError> {
        let file = self.load_file()?;
        let crm = match self.from_env()? {
            Some(crm) => crm,
            None => match &file {
                Some(file) => file.credentials(secret_ref, None)?,
                None => return Ok(None),
            },
        };
        let portal = match portal_secret_ref {
            None => None,
            Some(name) => Some(match (self.env)(ENV_PORTAL_REFRESH_TOKEN) {
                Some(token) => Credentials {
                    refresh_token: Secret(token),
                    origin: format!("environment variable {ENV_PORTAL_REFRESH_TOKEN}"),
                    ..crm.clone()
                },
                // The owner's grant not being there yet is the same PendingApproval whether
                // the other credentials come from the environment or from the file.
                None => match &file {
                    Some(file) if file.profiles.contains_key(name) => {
                        file.credentials(name, Some(&crm))?
                    }
                    _ => {
                        return Err(CredentialsError::NoPortalCredentials {
                            name: name.to_string(),
                        });
                    }
                },
            }),
        };
        Ok(Some(ZohoCredentials { crm, portal }))
    }

    fn load_file(&self) -> Result<Option<CredentialsFile>, CredentialsError> {
        let Some((path, explicit)) = self.credentials_file_path() else {
            return Ok(None);
        };
        if !explicit && !path.exists() {
            return Ok(None);
        }
        CredentialsFile::load(&path).map(Some)
    }

    /// The CRM grant from `ZOHO_CLIENT_ID`, `ZOHO_CLIENT_SECRET`, `ZOHO_REFRESH_TOKEN` and the
    /// optional `ZOHO_DATA_CENTER`; `None` when none of the three is set.
    pub fn from_env(&self) -> Result<Option<Credentials>, CredentialsError> {
        let names = [ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REFRESH_TOKEN];
        let values: Vec<Option<String>> = names.iter().map(|n| (self.env)(n)).collect();
        let Some(present) = names.iter().zip(&values).find(|(_, v)| v.is_some()) else {
            return Ok(None);
        };
        if let Some((missing, _)) = names.iter().zip(&values).find(|(_, v)| v.is_none()) {
            return Err(CredentialsError::IncompleteEnvironment {
                missing,
                present: present.0,
            });
        }
        let mut values = values.into_iter().map(Option::unwrap_or_default);
        let origin = "environment variables ZOHO_*".to_string();
        let data_center = match (self.env)(ENV_DATA_CENTER) {
            None => None,
            Some(code) => Some(
                code.parse()
                    .map_err(|source| CredentialsError::DataCenter {
                        origin: format!("environment variable {ENV_DATA_CENTER}"),
                        source,
                    })?,
            ),
        };
        Ok(Some(Credentials {
            client_id: values.next().unwrap_or_default(),
            client_secret: Secret(values.next().unwrap_or_default()),
            refresh_token: Secret(values.next().unwrap_or_default()),
            data_center,
            origin,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const CANARY: &str = "canary-5ec2e7-do-not-print";

    fn sources<'a>(vars: &'a HashMap<&str, String>) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn secret_never_prints_its_value() {
        let creds = Credentials::new("id", CANARY, CANARY);
        assert_eq!(format!("{}", creds.client_secret), "***");
        assert!(!format!("{creds:?}").contains(CANARY));
        assert!(!format!("{creds:#?}").contains(CANARY));
    }

    #[test]
    fn environment_wins_and_must_be_complete() {
        let mut vars = HashMap::new();
        vars.insert(ENV_CLIENT_ID, "1000.ID".to_string());
        vars.insert(ENV_CLIENT_SECRET, CANARY.to_string());
        {
            let env = sources(&vars);
            let src = CredentialSources { env: &env };
            let err = src.resolve("zoho-oauth", None).unwrap_err();
            assert!(err.to_string().contains("ZOHO_REFRESH_TOKEN is not set"));
            assert!(!err.to_string().contains(CANARY));
        }

        vars.insert(ENV_REFRESH_TOKEN, CANARY.to_string());
        vars.insert(ENV_DATA_CENTER, "EU".to_string());
        vars.insert(ENV_PORTAL_REFRESH_TOKEN, "portal-token".to_string());
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        let creds = src
            .resolve("zoho-oauth", Some("pm-admin"))
            .unwrap()
            .unwrap();
        assert_eq!(creds.crm.client_id, "1000.ID");
        assert_eq!(creds.crm.data_center, Some(DataCenter::Eu));
        let portal = creds.portal.unwrap();
        assert_eq!(portal.refresh_token.expose(), "portal-token");
        assert_eq!(portal.client_secret.expose(), CANARY);
    }

    #[test]
    fn nothing_configured_means_none() {
        let vars = HashMap::from([("HOME", "/nonexistent-home-for-test".to_string())]);
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        assert!(src.resolve("zoho-oauth", None).unwrap().is_none());
    }

    #[test]
    fn file_profiles_resolve_by_secret_ref_and_portal_borrows_the_client() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.yaml");
        std::fs::write(
            &path,
            format!(
                "zoho-oauth:\n  client_id: \"1000.ID\"\n  client_secret: \"{CANARY}\"\n  refresh_token: \"r1\"\n  data_center: au\npm-admin:\n  refresh_token: \"r2\"\n"
            ),
        )
        .unwrap();
        let vars = HashMap::from([(ENV_CREDENTIALS_FILE, path.display().to_string())]);
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        let creds = src
            .resolve("zoho-oauth", Some("pm-admin"))
            .unwrap()
            .unwrap();
        assert_eq!(creds.crm.data_center, Some(DataCenter::Au));
        let portal = creds.portal.unwrap();
        assert_eq!(portal.client_id, "1000.ID");
        assert_eq!(portal.refresh_token.expose(), "r2");
        assert!(portal.origin.contains("pm-admin"));

        let err = src.resolve("other", None).unwrap_err().to_string();
        assert!(err.contains("no profile \"other\""), "{err}");
        assert!(err.contains("pm-admin, zoho-oauth"), "{err}");
        assert!(!err.contains(CANARY));
    }

    #[test]
    fn a_portal_grant_missing_from_the_file_is_pending_like_one_missing_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.yaml");
        std::fs::write(
            &path,
            "zoho-oauth:\n  client_id: \"1000.ID\"\n  client_secret: \"s\"\n  refresh_token: \"r1\"\n",
        )
        .unwrap();
        let from_file = HashMap::from([(ENV_CREDENTIALS_FILE, path.display().to_string())]);
        let from_env = HashMap::from([
            (ENV_CLIENT_ID, "1000.ID".to_string()),
            (ENV_CLIENT_SECRET, "s".to_string()),
            (ENV_REFRESH_TOKEN, "r1".to_string()),
        ]);
        for vars in [from_file, from_env] {
            let env = sources(&vars);
            let src = CredentialSources { env: &env };
            let err = src.resolve("zoho-oauth", Some("pm-admin")).unwrap_err();
            assert!(
                matches!(&err, CredentialsError::NoPortalCredentials { name } if name == "pm-admin"),
                "{err}"
            );
        }
    }

    #[test]
    fn file_errors_never_quote_values() {
        let path = Path::new("creds.yaml");
        let bad_syntax = format!("zoho-oauth:\n  client_secret: [\"{CANARY}\"\n");
        let err = CredentialsFile::parse(path, &bad_syntax)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid YAML"), "{err}");
        assert!(!err.contains(CANARY), "{err}");

        let not_string = "zoho-oauth:\n  client_secret: 123456789\n";
        let err = CredentialsFile::parse(path, not_string)
            .unwrap_err()
            .to_string();
        assert!(err.contains("client_secret"), "{err}");
        assert!(!err.contains("123456789"), "{err}");

        let unknown = format!("zoho-oauth:\n  refresh-token: \"{CANARY}\"\n");
        let err = CredentialsFile::parse(path, &unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field refresh-token"), "{err}");
        assert!(!err.contains(CANARY), "{err}");

        let file = CredentialsFile::parse(path, "zoho-oauth:\n  client_id: \"x\"\n").unwrap();
        let err = file
            .credentials("zoho-oauth", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no client_secret"), "{err}");
    }

    #[test]
    fn explicit_credentials_file_must_exist() {
        let vars = HashMap::from([(ENV_CREDENTIALS_FILE, "/nonexistent/creds.yaml".to_string())]);
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        let err = src.resolve("zoho-oauth", None).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/creds.yaml"), "{err}");
    }
}
