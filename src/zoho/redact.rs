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

#[cfg(test)]
mod tests {
    use super::*;

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
