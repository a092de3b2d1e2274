//! Zoho data centres and the three hosts each one serves (Accounts, CRM API, Projects API).
//!
//! Zoho runs separate, unconnected data centres; a grant made in one is unknown in the others,
//! so every URL a client uses derives from the data centre the credentials belong to. A sandbox
//! serves all three APIs at one base URL, which [`Endpoints::single`] models.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

// The spec's `connection.dataCenter` uses this type too, so the spellings it accepts are
// exactly the ones the clients know hosts for.
/// Zoho data centres.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DataCenter {
    /// United States (`zoho.com`).
    #[default]
    Us,
    /// Europe (`zoho.eu`).
    Eu,
    /// India (`zoho.in`).
    In,
    /// Australia (`zoho.com.au`).
    Au,
    /// Japan (`zoho.jp`).
    Jp,
    /// China (`zoho.com.cn`).
    Cn,
    /// Canada (`zohocloud.ca`).
    Ca,
    /// Saudi Arabia (`zoho.sa`).
    Sa,
    /// United Kingdom (`zoho.uk`).
    Uk,
}

impl DataCenter {
    /// Every data centre, in the order the spec documents them.
    pub const ALL: [DataCenter; 9] = [
        DataCenter::Us,
        DataCenter::Eu,
        DataCenter::In,
        DataCenter::Au,
        DataCenter::Jp,
        DataCenter::Cn,
        DataCenter::Ca,
        DataCenter::Sa,
        DataCenter::Uk,
    ];

    /// The short code used in specs, environment variables and credentials files.
    pub fn code(self) -> &'static str {
        match self {
            DataCenter::Us => "us",
            DataCenter::Eu => "eu",
            DataCenter::In => "in",
            DataCenter::Au => "au",
            DataCenter::Jp => "jp",
            DataCenter::Cn => "cn",
            DataCenter::Ca => "ca",
            DataCenter::Sa => "sa",
            DataCenter::Uk => "uk",
        }
    }

    /// Zoho Accounts (OAuth) host. Canada's Accounts server is `accounts.zohocloud.ca` per
    /// Zoho's multi-DC page, although some SDKs still use `accounts.zoho.ca`.
    pub fn accounts_url(self) -> &'static str {
        match self {
            DataCenter::Us => "https://accounts.zoho.com",
            DataCenter::Eu => "https://accounts.zoho.eu",
            DataCenter::In => "https://accounts.zoho.in",
            DataCenter::Au => "https://accounts.zoho.com.au",
            DataCenter::Jp => "https://accounts.zoho.jp",
            DataCenter::Cn => "https://accounts.zoho.com.cn",
            DataCenter::Ca => "https://accounts.zohocloud.ca",
            DataCenter::Sa => "https://accounts.zoho.sa",
            DataCenter::Uk => "https://accounts.zoho.uk",
        }
    }

    /// CRM API domain before the first token refresh (the refresh answer's `api_domain` wins).
    /// The UK value is only confirmed by third parties.
    pub fn crm_api_url(self) -> &'static str {
        match self {
            DataCenter::Us => "https://www.zohoapis.com",
            DataCenter::Eu => "https://www.zohoapis.eu",
            DataCenter::In => "https://www.zohoapis.in",
            DataCenter::Au => "https://www.zohoapis.com.au",
            DataCenter::Jp => "https://www.zohoapis.jp",
            DataCenter::Cn => "https://www.zohoapis.com.cn",
            DataCenter::Ca => "https://www.zohoapis.ca",
            DataCenter::Sa => "https://www.zohoapis.sa",
            DataCenter::Uk => "https://www.zohoapis.uk",
        }
    }

    /// Zoho Projects API root. Only the US host is on an official page; the others follow
    /// Zoho's per-DC naming (CA on `zohocloud.ca`, like its Accounts server) and are unconfirmed.
    pub fn projects_api_url(self) -> &'static str {
        match self {
            DataCenter::Us => "https://projectsapi.zoho.com",
            DataCenter::Eu => "https://projectsapi.zoho.eu",
            DataCenter::In => "https://projectsapi.zoho.in",
            DataCenter::Au => "https://projectsapi.zoho.com.au",
            DataCenter::Jp => "https://projectsapi.zoho.jp",
            DataCenter::Cn => "https://projectsapi.zoho.com.cn",
            DataCenter::Ca => "https://projectsapi.zohocloud.ca",
            DataCenter::Sa => "https://projectsapi.zoho.sa",
            DataCenter::Uk => "https://projectsapi.zoho.uk",
        }
    }
}

impl fmt::Display for DataCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A data-centre code that is not one of Zoho's nine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Zoho data centre {given:?}; expected one of us, eu, in, au, jp, cn, ca, sa, uk")]
pub struct UnknownDataCenter {
    pub given: String,
}

impl FromStr for DataCenter {
    type Err = UnknownDataCenter;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        DataCenter::ALL
            .into_iter()
            .find(|dc| dc.code() == wanted)
            .ok_or_else(|| UnknownDataCenter {
                given: s.to_string(),
            })
    }
}

/// Where the clients send their requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Zoho Accounts; the token endpoint is `{accounts}/oauth/v2/token`.
    pub accounts: Url,
    /// CRM API domain; paths are `{crm}/crm/v8/...`.
    pub crm: Url,
    /// Projects API root; paths are `{projects}/restapi/...`.
    pub projects: Url,
    /// Whether CRM calls move to the `api_domain` a token refresh returns (Zoho asks for it;
    /// a sandbox serving everything at one base URL must keep its own base).
    pub follow_api_domain: bool,
}

impl Endpoints {
    /// The public Zoho hosts of one data centre.
    pub fn for_data_center(dc: DataCenter) -> Endpoints {
        Endpoints {
            accounts: Url::parse(dc.accounts_url()).expect("static URL"),
            crm: Url::parse(dc.crm_api_url()).expect("static URL"),
            projects: Url::parse(dc.projects_api_url()).expect("static URL"),
            follow_api_domain: true,
        }
    }

    /// All three services at one base URL (a sandbox). `api_domain` is ignored.
    pub fn single(base: Url) -> Endpoints {
        Endpoints {
            accounts: base.clone(),
            crm: base.clone(),
            projects: base,
            follow_api_domain: false,
        }
    }
}

/// Joins a base URL (which may carry a path prefix) and an absolute API path.
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_to_its_data_centre() {
        for dc in DataCenter::ALL {
            assert_eq!(dc.code().parse::<DataCenter>().unwrap(), dc);
            assert_eq!(dc.code().to_uppercase().parse::<DataCenter>().unwrap(), dc);
        }
        let err = "mars".parse::<DataCenter>().unwrap_err();
        assert!(err.to_string().contains("mars"));
    }

    #[test]
    fn every_data_centre_has_three_distinct_https_hosts() {
        for dc in DataCenter::ALL {
            let e = Endpoints::for_data_center(dc);
            assert_eq!(e.accounts.scheme(), "https");
            assert_ne!(e.accounts, e.crm);
            assert_ne!(e.crm, e.projects);
            assert!(e.follow_api_domain);
        }
        let ca = Endpoints::for_data_center(DataCenter::Ca);
        assert_eq!(ca.accounts.host_str(), Some("accounts.zohocloud.ca"));
        assert_eq!(ca.projects.host_str(), Some("projectsapi.zohocloud.ca"));
        assert_eq!(ca.crm.host_str(), Some("www.zohoapis.ca"));
    }

    #[test]
    fn single_base_serves_everything_and_ignores_api_domain() {
        let base = Url::parse("http://127.0.0.1:9000/zoho/").unwrap();
        let e = Endpoints::single(base.clone());
        assert_eq!(e.crm, base);
        assert!(!e.follow_api_domain);
        let url = join(&e.crm, "/crm/v8/org");
        assert_eq!(url.as_str(), "http://127.0.0.1:9000/zoho/crm/v8/org");
        let root = Url::parse("https://www.zohoapis.com").unwrap();
        assert_eq!(
            join(&root, "/crm/v8/users").as_str(),
            "https://www.zohoapis.com/crm/v8/users"
        );
    }
}
