//! What never leaves the process as given: secrets print as [`REDACTED`] (see
//! `credentials::Secret`), and so do the user name, password, query and fragment of any URL
//! shown in output, logs or errors — a `--target https://user:pass@host/?token=x` must not
//! end up in a CI log. One function for one URL, one for text that may hold URLs.

/// What a hidden value prints as.
pub const REDACTED: &str = "***";

/// `url` with its userinfo, query and fragment replaced by [`REDACTED`]:
/// `https://user:pass@host/p?token=x` → `https://***@host/p?***`. Works on text that does not
/// parse as a URL too, so a malformed URL is hidden as well as a good one.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = match authority.rfind('@') {
        Some(at) => format!("{REDACTED}@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    let (path_and_query, fragment) = match tail.find('#') {
        Some(at) => (&tail[..at], Some(())),
        None => (tail, None),
    };
    let path = match path_and_query.find('?') {
        Some(at) => format!("{}?{REDACTED}", &path_and_query[..at]),
        None => path_and_query.to_owned(),
    };
    let mut redacted = format!("{scheme}{host}{path}");
    if fragment.is_some() {
        redacted.push('#');
        redacted.push_str(REDACTED);
    }
    redacted
}

/// `text` with every URL in it (anything of the form `scheme://...` up to white space or a
/// quote or bracket) passed through [`redact_url`]; the rest unchanged.
pub fn redact_urls_in(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let is_boundary = |c: char| c.is_whitespace() || "\"'`<>()[]{},".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        // The scheme: the letters, digits, `+`, `-` and `.` just before `://`.
        let scheme_start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |i| i + 1);
        let end = rest[at + 3..]
            .find(is_boundary)
            .map_or(rest.len(), |i| at + 3 + i);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Whether a query parameter, form field or JSON key names something secret: tokens of every
/// kind (access, refresh, id, Graph's `$skiptoken`/`$deltatoken`, CRM's `page_token`),
/// secrets, passwords, API keys, signatures, an OAuth `code` and the `Authorization` header.
/// Record fields such as `Assigned_To` or `Key_Account` are not secrets and stay visible.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.trim_start_matches('$').to_ascii_lowercase();
    let exact = ["code", "authorization", "key", "sig", "signature"];
    let parts = [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "assertion",
    ];
    exact.contains(&name.as_str()) || parts.iter().any(|part| name.contains(part))
}

/// `path?a=1&token=x` with the value of every secret parameter ([`is_secret_name`]) replaced
/// by [`REDACTED`]; the path and the other parameters are kept, so a log still says which page
/// was read.
pub fn redact_query(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(&decode_name(name)) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// A query parameter's name as sent (`%24skiptoken` is `$skiptoken`).
fn decode_name(name: &str) -> String {
    name.replace("%24", "$").replace("%5F", "_")
}

/// A JSON body with the value of every secret key replaced by [`REDACTED`], at any depth.
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = if is_secret_name(k) {
                        Value::String(REDACTED.into())
                    } else {
                        redact_json(v)
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// Form fields as `a=1&client_secret=***`, secret values hidden.
pub fn redact_form(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let v = if is_secret_name(k) { REDACTED } else { v };
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// An answer body for a log: JSON with its secrets hidden, or text with its URLs hidden; cut
/// to `limit` characters.
pub fn redact_body(body: &[u8], limit: usize) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => redact_json(&value).to_string(),
        Err(_) => redact_urls_in(&String::from_utf8_lossy(body)),
    };
    match text.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], body.len()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_query_values_form_fields_and_json_keys_are_hidden() {
        assert_eq!(
            redact_query("/users?page=2&%24skiptoken=abc&page_token=x&per_page=200"),
            "/users?page=2&%24skiptoken=***&page_token=***&per_page=200"
        );
        assert_eq!(redact_query("/crm/v8/org"), "/crm/v8/org");
        let form = vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("client_secret".to_string(), "s3cr3t".to_string()),
            ("refresh_token".to_string(), "1000.r".to_string()),
            ("code".to_string(), "c0de".to_string()),
        ];
        assert_eq!(
            redact_form(&form),
            "grant_type=refresh_token&client_secret=***&refresh_token=***&code=***"
        );
        let body = serde_json::json!({
            "access_token": "1000.a", "expires_in": 3600,
            "data": [{"Name": "x", "nested": {"Password": "p", "apiKey": "k"}}]
        });
        // Compared as values: the key order of a printed map depends on serde_json's
        // `preserve_order` feature, which another crate in the build may turn on.
        assert_eq!(
            redact_json(&body),
            serde_json::json!({
                "access_token": "***", "expires_in": 3600,
                "data": [{"Name": "x", "nested": {"Password": "***", "apiKey": "***"}}]
            })
        );
        let shown = redact_body(
            br#"{"refresh_token":"1000.r","scope":"ZohoCRM.users.READ"}"#,
            20,
        );
        assert!(shown.starts_with(r#"{"refresh_token":"**"#), "{shown}");
        assert!(shown.ends_with("bytes in all)"), "{shown}");
        assert_eq!(
            redact_body(b"see http://u:p@h/x?t=1", 100),
            "see http://***@h/x?***"
        );
    }

    #[test]
    fn userinfo_query_and_fragment_are_hidden() {
        let cases = [
            (
                "https://user:pass@host.example:8443/base?token=x&a=1#frag",
                "https://***@host.example:8443/base?***#***",
            ),
            ("http://user@host/", "http://***@host/"),
            ("http://host/?token=x", "http://host/?***"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.0.0.1:8080/path", "http://127.0.0.1:8080/path"),
            // Not a valid URL, still hidden.
            ("http://us er:p@ss@host/ x?y", "http://***@host/ x?***"),
            ("user:pass@host?token=x", "***@host?***"),
            ("", ""),
        ];
        for (given, shown) in cases {
            assert_eq!(redact_url(given), shown, "{given}");
        }
    }

    #[test]
    fn urls_inside_text_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_urls_in(
                "--target \"https://user:pass@host/?token=x\" is not a URL (see http://a:b@c/d)"
            ),
            "--target \"https://***@host/?***\" is not a URL (see http://***@c/d)"
        );
        assert_eq!(
            redact_urls_in("GET /crm/v8/users?page=2 failed"),
            "GET /crm/v8/users?page=2 failed"
        );
        assert_eq!(
            redact_urls_in("one http://u:p@x/ two"),
            "one http://***@x/ two"
        );
    }
}
