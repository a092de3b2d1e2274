//! The sandbox seed: a readable YAML description of an org (users, profiles, roles, modules,
//! records), its Projects portals and the OAuth clients allowed to call it.
//!
//! Parsing rejects unknown fields and reports the line and column of any problem; loading
//! checks cross-references (a user's profile, a token's user, a record's `_ref`) and names
//! the offending entry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::projects::seed::PortalSeed;
use super::store::Store;

/// The demo org served by `projectlink sandbox serve` when no seed is given.
pub const DEMO_SEED_YAML: &str = include_str!("../../examples/sandbox/acme-seed.yaml");

/// A whole seed document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub org: OrgSeed,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oauth_clients: Vec<OAuthClientSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfileSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSeed>,
    /// Custom modules beyond the standard ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<ModuleSeed>,
    /// Extra custom fields on existing modules, by module api name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Vec<FieldSeed>>,
    /// Records by module api name. `_key` names a record; `{_ref: key}` fills a lookup with
    /// it; `{_user: email}` fills a user lookup (`Owner`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<String, Vec<Map<String, Value>>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VariableSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portals: Vec<PortalSeed>,
    /// Microsoft 365 tenants served by the Graph part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<super::graph::seed::TenantSeed>,
    /// The Projects per-user, per-API throttle. Unlike the rest of the seed it is read on
    /// every start, not only into an empty database; an explicit setting
    /// (`SandboxConfig::projects_throttle`, the `serve` flags) wins over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects_throttle: Option<super::projects_throttle::ProjectsThrottleSeed>,
}

/// The CRM org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSeed {
    pub company_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The org's primary contact; the first active Administrator when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_email: Option<String>,
    /// User licenses purchased; the number of users when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<u64>,
}

impl Default for OrgSeed {
    fn default() -> Self {
        OrgSeed {
            company_name: "Sandbox Org".into(),
            domain_name: None,
            time_zone: default_time_zone(),
            currency: default_currency(),
            country: None,
            phone: None,
            primary_email: None,
            licenses: None,
        }
    }
}

fn default_time_zone() -> String {
    "Etc/UTC".into()
}

fn default_currency() -> String {
    "USD".into()
}

/// An OAuth client and the refresh tokens (grants) issued to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientSeed {
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub refresh_tokens: Vec<RefreshTokenSeed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenSeed {
    pub token: String,
    /// The Zoho user whose grant this is.
    pub user: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSeed {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A profile. Module permissions start enabled; `permissions` switches some off (or on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSeed {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub permissions: BTreeMap<String, PermissionSeed>,
}

/// Record permissions on one module; absent ones keep their default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionSeed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<bool>,
}

impl PermissionSeed {
    /// The seed's setting for one of `crm::meta::ACTIONS`; `None` keeps the default (an
    /// action a seed cannot name yet, too).
    pub fn get(&self, action: &str) -> Option<bool> {
        match action {
            "View" => self.view,
            "Create" => self.create,
            "Edit" => self.edit,
            "Delete" => self.delete,
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    #[default]
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    pub last_name: String,
    pub profile: String,
    pub role: String,
    #[serde(default)]
    pub status: UserStatus,
    #[serde(default = "default_true")]
    pub confirmed: bool,
    /// Email of the user's manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_to: Option<String>,
}

fn default_true() -> bool {
    true
}

/// A custom module and its fields (`Name` and the audit fields come with every module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSeed {
    pub api_name: String,
    pub singular_label: String,
    pub plural_label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Profiles that may see the module; every profile when absent (Administrator always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldSeed>,
}

/// A custom field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSeed {
    pub api_name: String,
    pub field_label: String,
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<i64>,
    /// For `lookup` fields: the module looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<String>,
    /// For `lookup` fields: the related list's label in the looked-up module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_list_label: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pick_list_values: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mandatory: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tooltip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSeed {
    pub api_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Why a seed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        origin: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Seed {
    /// Parses a seed. YAML, or JSON when the text starts with `{` (JSON is faster for the
    /// large generated orgs). `origin` names the source in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Seed, SeedError> {
        if text.trim_start().starts_with('{') {
            return serde_json::from_str(text).map_err(|e| SeedError::Syntax {
                origin: origin.to_string(),
                line: e.line() as u64,
                column: e.column() as u64,
                message: e.to_string(),
            });
        }
        // Generated orgs run to millions of YAML nodes; the default budget is sized for
        // configuration files.
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_events: 100_000_000,
                max_nodes: 50_000_000,
                max_total_scalar_bytes: 1 << 31,
            },
        };
        serde_saphyr::from_str_with_options(text, options).map_err(|e| match e.location() {
            Some(loc) => SeedError::Syntax {
                origin: origin.to_string(),
                line: loc.line(),
                column: loc.column(),
                message: first_line(&e.to_string()),
            },
            None => SeedError::Invalid {
                origin: origin.to_string(),
                message: e.to_string(),
            },
        })
    }

    /// Reads and parses a seed file.
    pub fn read(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Seed::parse(&text, &path.display().to_string())
    }

    /// The embedded demo org (`examples/sandbox/acme-seed.yaml`).
    pub fn demo() -> Seed {
        Seed::parse(DEMO_SEED_YAML, "examples/sandbox/acme-seed.yaml")
            .expect("the embedded demo seed is valid (a unit test checks it)")
    }

    /// The seed as YAML.
    pub fn to_yaml(&self) -> Result<String, serde_saphyr::ser::Error> {
        serde_saphyr::to_string(self)
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

/// Why a parsed seed does not load into the database; each part names the entry at fault.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Database(#[from] rusqlite::Error),
    #[error(transparent)]
    Crm(#[from] super::crm::load::LoadError),
    /// The Projects portals' loader words its own reason.
    #[error(transparent)]
    Projects(#[from] super::projects::seed::SeedError),
    #[error(transparent)]
    Graph(#[from] super::graph::seed::LoadError),
}

/// Loads `seed` into the database unless it already holds an org: the CRM part, the OAuth
/// clients and the Projects portals, all in one transaction.
pub fn load_if_empty(store: &Store, seed: &Seed) -> Result<(), LoadError> {
    store.with(|conn| {
        let seeded: bool =
            conn.query_row("SELECT EXISTS(SELECT 1 FROM crm_org)", [], |r| r.get(0))?;
        if seeded {
            return Ok(());
        }
        let tx = conn.transaction()?;
        super::crm::load::load(&tx, seed)?;
        super::accounts::load_clients(&tx, &seed.oauth_clients)?;
        super::projects::seed::load(&tx, &seed.portals)?;
        super::graph::seed::load(&tx, &seed.tenants)?;
        tx.commit()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_seed_parses() {
        let seed = Seed::demo();
        assert_eq!(seed.org.company_name, "Acme Corp");
        assert!(!seed.oauth_clients.is_empty());
    }

    #[test]
    fn unknown_fields_are_reported_with_line_and_column() {
        let text = "org:\n  company_name: X\n  colour: blue\n";
        let err = Seed::parse(text, "seed.yaml").unwrap_err();
        match err {
            SeedError::Syntax { line, column, .. } => {
                assert_eq!(line, 3);
                assert!(column >= 1);
            }
            other => panic!("expected a positioned error, got {other}"),
        }
        assert!(
            Seed::parse(text, "seed.yaml")
                .unwrap_err()
                .to_string()
                .starts_with("seed.yaml:3:")
        );
    }

    #[test]
    fn malformed_yaml_is_reported_with_its_position() {
        let err = Seed::parse("users:\n  - {email: a@b.c, last_name: [\n", "s.yaml").unwrap_err();
        assert!(matches!(err, SeedError::Syntax { line: 2.., .. }), "{err}");
    }

    #[test]
    fn json_seeds_parse_too() {
        let seed = Seed::parse(r#"{"org":{"company_name":"J"}}"#, "s.json").unwrap();
        assert_eq!(seed.org.company_name, "J");
        let err = Seed::parse("{\"org\": {\"company_name\": 1}}", "s.json").unwrap_err();
        assert!(matches!(err, SeedError::Syntax { line: 1, .. }));
    }

    #[test]
    fn the_documented_example_seed_loads() {
        let doc = include_str!("../../docs/sandbox.md");
        let start = doc.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
        let end = start + doc[start..].find("```").expect("its end");
        let seed = Seed::parse(&doc[start..end], "docs/sandbox.md").unwrap();
        let store = Store::open(None).unwrap();
        load_if_empty(&store, &seed).unwrap();
    }

    #[test]
    fn the_projects_throttle_block_is_read_and_checked() {
        use super::super::projects_throttle::{ProjectsThrottle, ThrottleForm};
        let text = "projects_throttle: {calls: 5, window_secs: 2, status: 429}\n";
        let seed = Seed::parse(text, "s.yaml").unwrap();
        let throttle = ProjectsThrottle::from_seed(seed.projects_throttle.as_ref());
        assert_eq!((throttle.calls, throttle.window.as_secs()), (5, 2));
        assert_eq!(throttle.lockout.as_secs(), 1200);
        assert_eq!(throttle.form, ThrottleForm::Status429);
        for bad in [
            "projects_throttle: {calls: 0}\n",
            "projects_throttle: {status: 404}\n",
            "projects_throttle: {per_minute: 5}\n",
        ] {
            let err = Seed::parse(bad, "s.yaml").unwrap_err();
            assert!(err.to_string().starts_with("s.yaml:1:"), "{bad}: {err}");
        }
    }

    #[test]
    fn seeds_round_trip_through_yaml() {
        let seed = Seed::demo();
        let back = Seed::parse(&seed.to_yaml().unwrap(), "round-trip").unwrap();
        assert_eq!(back, seed);
    }
}
