//! Microsoft Graph app registrations (the Office 365 sync's credentials), resolved like the
//! Zoho grants: from `PROJECTLINK_GRAPH_*` environment variables, or from a profile of the
//! credentials file holding `tenant_id`, `client_id` and `client_secret`.

use super::{CredentialSources, CredentialsError, CredentialsFile, Secret};

/// A Microsoft Entra ID app registration allowed to call Microsoft Graph with application
/// permissions (the client-credentials grant). Also available as
/// `crate::graph::GraphCredentials`.
#[derive(Debug, Clone)]
pub struct GraphCredentials {
    /// Directory (tenant) id, or one of the tenant's verified domains.
    pub tenant: String,
    /// Application (client) id.
    pub client_id: String,
    pub client_secret: Secret,
    /// Where these came from, for error messages (as [`super::Credentials::origin`]).
    pub origin: String,
}

impl GraphCredentials {
    pub fn new(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> GraphCredentials {
        GraphCredentials {
            tenant: tenant.into(),
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            origin: "credentials given in code".into(),
        }
    }
}

pub const ENV_GRAPH_TENANT_ID: &str = "PROJECTLINK_GRAPH_TENANT_ID";
pub const ENV_GRAPH_CLIENT_ID: &str = "PROJECTLINK_GRAPH_CLIENT_ID";
pub const ENV_GRAPH_CLIENT_SECRET: &str = "PROJECTLINK_GRAPH_CLIENT_SECRET";

impl CredentialsFile {
    /// The Microsoft Graph app registration of profile `name`: `tenant_id`, `client_id` and
    /// `client_secret`, all required.
    pub fn graph_credentials(&self, name: &str) -> Result<GraphCredentials, CredentialsError> {
        let profile = self.profile(name)?;
        let missing = |field: &str| CredentialsError::Shape {
            path: self.path.clone(),
            problem: format!(
                "profile {name:?} has no {field} (a Microsoft Graph profile needs tenant_id, client_id and client_secret)"
            ),
        };
        Ok(GraphCredentials {
            tenant: profile
                .tenant_id
                .clone()
                .ok_or_else(|| missing("tenant_id"))?,
            client_id: profile
                .client_id
                .clone()
                .ok_or_else(|| missing("client_id"))?,
            client_secret: profile
                .client_secret
                .clone()
                .ok_or_else(|| missing("client_secret"))?,
            origin: format!("secretRef {name} ({})", self.path.display()),
        })
    }
}

impl CredentialSources<'_> {
    /// Resolves the Office 365 integration's credential name to a Microsoft Graph app
    /// registration. `Ok(None)` means no Graph credentials are configured at all (no
    /// `PROJECTLINK_GRAPH_*` variable and no credentials file). Environment variables win
    /// over the file.
    pub fn resolve_graph(
        &self,
        secret_name: &str,
    ) -> Result<Option<GraphCredentials>, CredentialsError> {
        if let Some(creds) = self.graph_from_env()? {
            return Ok(Some(creds));
        }
        match self.load_file()? {
            Some(file) => file.graph_credentials(secret_name).map(Some),
            None => Ok(None),
        }
    }

    /// The app registration from `PROJECTLINK_GRAPH_TENANT_ID`, `PROJECTLINK_GRAPH_CLIENT_ID`
    /// and `PROJECTLINK_GRAPH_CLIENT_SECRET`; `None` when none of the three is set.
    pub fn graph_from_env(&self) -> Result<Option<GraphCredentials>, CredentialsError> {
        let names = [
            ENV_GRAPH_TENANT_ID,
            ENV_GRAPH_CLIENT_ID,
            ENV_GRAPH_CLIENT_SECRET,
        ];
        let values: Vec<Option<String>> = names.iter().map(|n| (self.env)(n)).collect();
        let Some(present) = names.iter().zip(&values).find(|(_, v)| v.is_some()) else {
            return Ok(None);
        };
        if let Some((missing, _)) = names.iter().zip(&values).find(|(_, v)| v.is_none()) {
            return Err(CredentialsError::IncompleteGraphEnvironment {
                missing,
                present: present.0,
            });
        }
        let mut values = values.into_iter().map(Option::unwrap_or_default);
        Ok(Some(GraphCredentials {
            tenant: values.next().unwrap_or_default(),
            client_id: values.next().unwrap_or_default(),
            client_secret: Secret(values.next().unwrap_or_default()),
            origin: "environment variables PROJECTLINK_GRAPH_*".to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ENV_CREDENTIALS_FILE;
    use super::*;
    use std::collections::HashMap;

    const CANARY: &str = "canary-5ec2e7-do-not-print";

    fn sources<'a>(vars: &'a HashMap<&str, String>) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn graph_credentials_come_from_the_environment_complete_or_not_at_all() {
        let mut vars = HashMap::new();
        vars.insert(ENV_GRAPH_TENANT_ID, "tenant-1".to_string());
        vars.insert(ENV_GRAPH_CLIENT_SECRET, CANARY.to_string());
        {
            let env = sources(&vars);
            let src = CredentialSources { env: &env };
            let err = src.resolve_graph("office365").unwrap_err().to_string();
            assert!(
                err.contains("PROJECTLINK_GRAPH_CLIENT_ID is not set"),
                "{err}"
            );
            assert!(!err.contains(CANARY), "{err}");
        }
        vars.insert(ENV_GRAPH_CLIENT_ID, "app-1".to_string());
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        let creds = src.resolve_graph("office365").unwrap().unwrap();
        assert_eq!(creds.tenant, "tenant-1");
        assert_eq!(creds.client_id, "app-1");
        assert_eq!(creds.client_secret.expose(), CANARY);
        assert!(creds.origin.contains("PROJECTLINK_GRAPH_"));
        assert!(!format!("{creds:?}").contains(CANARY));
        // Zoho's variables do not count as Graph credentials, nor the other way round.
        assert!(src.from_env().unwrap().is_none());
    }

    #[test]
    fn graph_credentials_resolve_from_a_file_profile_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.yaml");
        std::fs::write(
            &path,
            format!(
                "zoho-oauth:\n  client_id: \"1000.ID\"\n  client_secret: \"zs\"\n  refresh_token: \"r1\"\noffice365:\n  tenant_id: \"7f3c\"\n  client_id: \"5b7e\"\n  client_secret: \"{CANARY}\"\nhalf:\n  tenant_id: \"7f3c\"\n  client_secret: \"{CANARY}\"\n"
            ),
        )
        .unwrap();
        let vars = HashMap::from([(ENV_CREDENTIALS_FILE, path.display().to_string())]);
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        let creds = src.resolve_graph("office365").unwrap().unwrap();
        assert_eq!(creds.tenant, "7f3c");
        assert_eq!(creds.client_id, "5b7e");
        assert_eq!(creds.client_secret.expose(), CANARY);
        assert!(
            creds.origin.contains("secretRef office365"),
            "{}",
            creds.origin
        );

        let err = src.resolve_graph("half").unwrap_err().to_string();
        assert!(err.contains("profile \"half\" has no client_id"), "{err}");
        assert!(!err.contains(CANARY), "{err}");
        let err = src.resolve_graph("zoho-oauth").unwrap_err().to_string();
        assert!(err.contains("has no tenant_id"), "{err}");
        let err = src.resolve_graph("other").unwrap_err().to_string();
        assert!(err.contains("no profile \"other\""), "{err}");
        // The Zoho profiles still resolve from the same file.
        let zoho = src.resolve("zoho-oauth", None).unwrap().unwrap();
        assert_eq!(zoho.crm.client_id, "1000.ID");
    }

    #[test]
    fn no_graph_configuration_means_none() {
        let vars = HashMap::from([("HOME", "/nonexistent-home-for-test".to_string())]);
        let env = sources(&vars);
        let src = CredentialSources { env: &env };
        assert!(src.resolve_graph("office365").unwrap().is_none());
    }
}
