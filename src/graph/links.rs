//! Building Graph URLs safely: user ids, user principal names and item ids percent-encoded
//! into path segments, and the absolute `@odata.nextLink` / `@odata.deltaLink` URLs Graph
//! hands back turned into requests below the configured Graph root. A link to any other
//! place is refused, so the bearer token is never sent anywhere else.

use reqwest::Url;

use super::GraphError;
use crate::zoho::transport::ApiRequest;

/// Why a link may not be followed; it reads after "a link that".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LinkRefusal {
    #[error("is not an absolute URL")]
    NotAbsolute,
    /// Another scheme, host or port, or a URL with userinfo: the token would go elsewhere.
    #[error("points to {found}, not to the configured Microsoft Graph at {root}")]
    Elsewhere { found: String, root: String },
    #[error("is outside the configured Microsoft Graph root {root}")]
    OutsideRoot { root: String },
    #[error("is not a path below the Microsoft Graph root")]
    NotBelowRoot,
}

/// One path segment, percent-encoded: every byte but ASCII letters, digits, `-._~` and `@`
/// (user principal names stay readable in messages). External users' names carry `#EXT#`,
/// and ids may carry `=`, `+` or `/`, none of which may reach the URL raw.
pub(crate) fn segment(value: &str, what: &str) -> Result<String, GraphError> {
    if value.is_empty() || value == "." || value == ".." || value.chars().any(char::is_control) {
        return Err(GraphError::InvalidInput(format!(
            "{what} {value:?} cannot name a Microsoft Graph resource"
        )));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(out)
}

/// `scheme://host[:port]` of a URL, for messages (a link's query holds sync tokens, which
/// are long and of no use to a reader).
fn origin(url: &Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s
}

/// The GET request an absolute Graph link stands for, relative to `root` (e.g.
/// `https://graph.microsoft.com/v1.0`); `Err` explains why the link may not be followed.
pub(crate) fn request_for(root: &Url, link: &str) -> Result<ApiRequest, LinkRefusal> {
    let url = Url::parse(link).map_err(|_| LinkRefusal::NotAbsolute)?;
    let same_place = url.scheme() == root.scheme()
        && url.host_str() == root.host_str()
        && url.port_or_known_default() == root.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if !same_place {
        return Err(LinkRefusal::Elsewhere {
            found: origin(&url),
            root: origin(root),
        });
    }
    let prefix = root.path().trim_end_matches('/');
    let path = url
        .path()
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'))
        .ok_or_else(|| LinkRefusal::OutsideRoot {
            root: root.to_string(),
        })?;
    let mut request = ApiRequest::get(path);
    for (name, value) in url.query_pairs() {
        request = request.query(&name, value);
    }
    Ok(request)
}

/// A stored link in the form [`relative_link`] writes (`/users/…/delta?$deltatoken=…`) as
/// a request below the configured root.
pub(crate) fn request_for_relative(link: &str) -> Result<ApiRequest, LinkRefusal> {
    if !link.starts_with('/') || link.starts_with("//") {
        return Err(LinkRefusal::NotBelowRoot);
    }
    let url = Url::parse("http://graph.invalid")
        .and_then(|base| base.join(link))
        .map_err(|_| LinkRefusal::NotBelowRoot)?;
    let mut request = ApiRequest::get(url.path());
    for (name, value) in url.query_pairs() {
        request = request.query(&name, value);
    }
    Ok(request)
}

/// A link's request as a path and query below the Graph root: what is stored, so a stored
/// link keeps working when the root's host or port changes (a sandbox, a proxy).
pub(crate) fn relative_link(request: &ApiRequest) -> String {
    let mut url = Url::parse("http://graph.invalid").expect("static URL");
    url.set_path(&request.path);
    if !request.query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Url {
        Url::parse("https://graph.microsoft.com/v1.0").unwrap()
    }

    #[test]
    fn relative_links_round_trip() {
        let link = "https://graph.microsoft.com/v1.0/users/a%40x.com/contactFolders/f/contacts/delta?%24deltatoken=ab%2Bc";
        let request = request_for(&root(), link).unwrap();
        let relative = relative_link(&request);
        assert!(relative.starts_with("/users/a%40x.com/contactFolders/f/contacts/delta?"));
        let back = request_for_relative(&relative).unwrap();
        assert_eq!(back.path, request.path);
        assert_eq!(back.query, request.query);
        assert!(request_for_relative("//evil.example/x").is_err());
        assert!(request_for_relative("users").is_err());
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("pat@acme.com", "user").unwrap(), "pat@acme.com");
        assert_eq!(
            segment("jo_contoso.com#EXT#@acme.onmicrosoft.com", "user").unwrap(),
            "jo_contoso.com%23EXT%23@acme.onmicrosoft.com"
        );
        assert_eq!(segment("AAMk/ab+c=", "item").unwrap(), "AAMk%2Fab%2Bc%3D");
        assert_eq!(segment("a b?x", "user").unwrap(), "a%20b%3Fx");
        assert_eq!(segment("zoë", "user").unwrap(), "zo%C3%AB");
        for bad in ["", ".", "..", "a\nb"] {
            let err = segment(bad, "user id").unwrap_err().to_string();
            assert!(err.contains("user id"), "{err}");
        }
    }

    #[test]
    fn links_below_the_root_become_requests() {
        let link = "https://graph.microsoft.com/v1.0/users/pat%40acme.com/contactFolders/AAMk%3D/contacts/delta?%24skiptoken=abc%2B1&x=a+b";
        let request = request_for(&root(), link).unwrap();
        assert_eq!(
            request.path,
            "/users/pat%40acme.com/contactFolders/AAMk%3D/contacts/delta"
        );
        assert_eq!(
            request.query,
            vec![
                ("$skiptoken".to_string(), "abc+1".to_string()),
                ("x".to_string(), "a b".to_string())
            ]
        );
        let explicit_port = "https://graph.microsoft.com:443/v1.0/users";
        assert_eq!(request_for(&root(), explicit_port).unwrap().path, "/users");
    }

    #[test]
    fn links_anywhere_else_are_refused() {
        for link in [
            "https://evil.example/v1.0/users?$skiptoken=x",
            "http://graph.microsoft.com/v1.0/users",
            "https://graph.microsoft.com:8443/v1.0/users",
            "https://graph.microsoft.com/beta/users",
            "https://graph.microsoft.com/v1.0evil/users",
            "https://user:pw@graph.microsoft.com/v1.0/users",
            "/v1.0/users",
        ] {
            assert!(request_for(&root(), link).is_err(), "{link}");
        }
        let err = request_for(
            &root(),
            "https://evil.example/v1.0/users?$deltatoken=SECRETISH",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("https://evil.example"), "{err}");
        assert!(!err.contains("SECRETISH"), "{err}");
    }
}
