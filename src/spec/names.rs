//! Syntax checks for the names a spec holds (emails, Kubernetes object names) and the
//! "did you mean" suggestions diagnostics offer for misspelt names.

/// Whether `email` looks like a deliverable address: one `@`, a local part of dot-separated
/// atoms (RFC 5322 `atext`), and a domain of at least two DNS labels with an alphabetic
/// top-level label. Quoted local parts and IP-literal domains are not accepted: Zoho does
/// not accept them for users either.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || email.len() > 254 {
        return false;
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    if local
        .split('.')
        .any(|atom| atom.is_empty() || !atom.chars().all(atext))
    {
        return false;
    }
    is_domain_name(domain)
}

/// Whether `domain` is a fully qualified DNS name such as `acme.onmicrosoft.com`: at least
/// two labels (letters, digits and hyphens, any case) and an alphabetic top-level label.
pub fn is_domain_name(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 253
        || labels.len() < 2
        || !labels.iter().all(|label| is_dns_label(label, true))
    {
        return false;
    }
    let top = labels[labels.len() - 1];
    top.len() >= 2 && top.chars().all(|c| c.is_ascii_alphabetic())
}

/// Whether `text` is a GUID in its usual 8-4-4-4-12 hexadecimal form (any case, no braces),
/// as Microsoft Entra writes tenant and application IDs.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An RFC 1123 label: 1–63 letters, digits and hyphens, not starting or ending with a hyphen.
fn is_dns_label(label: &str, allow_upper: bool) -> bool {
    let ok_char = |c: char| {
        c.is_ascii_digit()
            || c.is_ascii_lowercase()
            || (allow_upper && c.is_ascii_uppercase())
            || c == '-'
    };
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(ok_char)
}

/// Whether `name` is a valid Kubernetes object name (an RFC 1123 subdomain: lower-case
/// labels separated by dots, at most 253 characters), as resource and Secret names must be.
pub fn is_kubernetes_name(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(|label| is_dns_label(label, false))
}

/// Whether `name` is a valid Kubernetes namespace (an RFC 1123 label).
pub fn is_kubernetes_namespace(name: &str) -> bool {
    is_dns_label(name, false)
}

/// The candidate closest to `wrong`, when it is close enough to be a likely misspelling:
/// equal ignoring case, or within an edit distance of about a third of its length.
pub fn suggest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&wrong_lower, &candidate.to_lowercase());
        let limit = (candidate.chars().count() / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Up to `limit` candidates close to `wrong`, closest first: those [`suggest`] would accept,
/// then those sharing its leading name (the part before the first `.` or `[`), so that a
/// wrong sub-property lists its siblings.
pub fn close_matches<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    let stem = |text: &str| -> String {
        let end = text.find(['.', '[']).unwrap_or(text.len());
        text[..end].to_lowercase()
    };
    let wrong_stem = stem(wrong);
    let mut ranked: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let distance = edit_distance(&wrong_lower, &candidate.to_lowercase());
            let close = distance <= (candidate.chars().count() / 3).max(1);
            (close || stem(candidate) == wrong_stem).then_some((distance, candidate))
        })
        .collect();
    ranked.sort_by_key(|&(distance, _)| distance);
    ranked.into_iter().take(limit).map(|(_, c)| c).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_emails_are_accepted() {
        for email in [
            "intern@acme.com",
            "jane@bowman.example",
            "pat.doe+crm@mail.acme.co.uk",
            "o'brien@x-y.io",
        ] {
            assert!(is_valid_email(email), "{email}");
        }
    }

    #[test]
    fn invalid_emails_are_rejected() {
        for email in [
            "",
            "intern",
            "intern@",
            "@acme.com",
            "intern@acme",
            "intern@@acme.com",
            "in tern@acme.com",
            "intern@acme..com",
            ".intern@acme.com",
            "intern.@acme.com",
            "intern@-acme.com",
            "intern@acme.c0m",
            "intern@acme.c",
            "intern@acme.com ",
        ] {
            assert!(!is_valid_email(email), "{email:?}");
        }
    }

    #[test]
    fn domain_names_and_guids() {
        for domain in ["acme.onmicrosoft.com", "Acme.COM", "x-y.example"] {
            assert!(is_domain_name(domain), "{domain}");
        }
        for domain in [
            "",
            "acme",
            "acme.",
            ".acme.com",
            "acme..com",
            "acme.c0m",
            "ac me.com",
        ] {
            assert!(!is_domain_name(domain), "{domain}");
        }
        assert!(is_guid("7f3c2a10-ace0-4c6e-9d1b-000000000001"));
        assert!(is_guid("7F3C2A10-ACE0-4C6E-9D1B-00000000000A"));
        for text in [
            "",
            "7f3c2a10ace04c6e9d1b000000000001",
            "{7f3c2a10-ace0-4c6e-9d1b-000000000001}",
            "7f3c2a10-ace0-4c6e-9d1b-00000000000g",
            "7f3c2a10-ace0-4c6e-9d1b-0000000000001",
        ] {
            assert!(!is_guid(text), "{text}");
        }
    }

    #[test]
    fn close_matches_rank_near_names_then_siblings() {
        let paths = [
            "givenName",
            "businessAddress.city",
            "businessAddress.street",
            "emailAddresses[0].address",
            "emailAddresses[1].address",
        ];
        assert_eq!(close_matches("givenname", paths, 3), ["givenName"]);
        assert_eq!(
            close_matches("emailAddresses[3].address", paths, 3),
            ["emailAddresses[0].address", "emailAddresses[1].address"]
        );
        assert_eq!(
            close_matches("businessAddress.zip", paths, 3),
            ["businessAddress.city", "businessAddress.street"]
        );
        assert!(close_matches("birthday", paths, 3).is_empty());
    }

    #[test]
    fn kubernetes_names_are_lower_case_dns_subdomains() {
        for name in ["acme", "zoho-oauth", "a.b-c.d", "x1"] {
            assert!(is_kubernetes_name(name), "{name}");
        }
        for name in [
            "",
            "Acme",
            "zoho_oauth",
            "-a",
            "a-",
            "a..b",
            &"a".repeat(254),
        ] {
            assert!(!is_kubernetes_name(name), "{name}");
        }
        assert!(is_kubernetes_namespace("team-a"));
        assert!(!is_kubernetes_namespace("team.a"));
    }

    #[test]
    fn suggestions_find_close_names_only() {
        let modules = ["Contacts", "Accounts", "Deals", "Sales_Orders"];
        assert_eq!(suggest("deals", modules), Some("Deals"));
        assert_eq!(suggest("Deal", modules), Some("Deals"));
        assert_eq!(suggest("SalesOrders", modules), Some("Sales_Orders"));
        assert_eq!(suggest("Leads", modules), None);
        assert_eq!(
            suggest("relatedList", ["relatedLists", "permissions"]),
            Some("relatedLists")
        );
    }
}
