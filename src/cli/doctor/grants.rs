//! The grants a spec's credentials name: that each one's accounts server (its data centre's)
//! answers a refresh, and that the scopes it holds cover what each configured feature calls.

use std::sync::Arc;

use super::report::Check;
use crate::zoho::auth::{Refreshed, TokenSource};

/// A group of calls projectlink makes and the scopes Zoho asks for them.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    pub name: &'static str,
    pub scopes: &'static [&'static str],
}

/// What the CRM grant of a ProjectsIntegration needs (Zoho's scope per endpoint, as its API
/// pages give them).
pub const PROJECTS_CRM: &[Feature] = &[
    Feature {
        name: "org and edition",
        scopes: &["ZohoCRM.org.READ"],
    },
    Feature {
        name: "users",
        scopes: &["ZohoCRM.users.READ"],
    },
    Feature {
        name: "link module and fields",
        scopes: &[
            "ZohoCRM.settings.modules.READ",
            "ZohoCRM.settings.modules.CREATE",
            "ZohoCRM.settings.fields.ALL",
            "ZohoCRM.settings.related_lists.READ",
        ],
    },
    Feature {
        name: "profile permissions",
        scopes: &[
            "ZohoCRM.settings.profiles.READ",
            "ZohoCRM.settings.profiles.UPDATE",
            "ZohoCRM.settings.roles.READ",
        ],
    },
    Feature {
        name: "ownership marker",
        scopes: &["ZohoCRM.settings.variables.ALL"],
    },
    Feature {
        name: "link records and account mapping",
        scopes: &["ZohoCRM.modules.ALL"],
    },
];

/// What the Projects grant (the portal owner's, or the CRM grant) needs.
pub const PROJECTS_PORTAL: &[Feature] = &[
    Feature {
        name: "portal",
        scopes: &["ZohoProjects.portals.READ"],
    },
    Feature {
        name: "projects",
        scopes: &["ZohoProjects.projects.ALL"],
    },
    Feature {
        name: "portal and project users",
        scopes: &["ZohoProjects.users.ALL"],
    },
    Feature {
        name: "clients and client users",
        scopes: &["ZohoProjects.clients.ALL"],
    },
];

/// What the CRM grant of an Office365Integration needs.
pub const OFFICE365_CRM: &[Feature] = &[
    Feature {
        name: "org and edition",
        scopes: &["ZohoCRM.org.READ"],
    },
    Feature {
        name: "user invites",
        scopes: &["ZohoCRM.users.ALL"],
    },
    Feature {
        name: "sync state",
        scopes: &["ZohoCRM.settings.variables.ALL"],
    },
    Feature {
        name: "contacts and events",
        scopes: &["ZohoCRM.modules.ALL"],
    },
];

/// Whether the granted scope covers `required`, by Zoho's `Service.group[.sub].OPERATION`
/// rule: the granted group path is a prefix of the required one and its operation is the
/// same, `ALL`, or `WRITE` for a create or update. (The twin applies the same rule; the two
/// share no code, so a misreading cannot hide on both sides.)
pub fn covers(granted: &str, required: &str) -> bool {
    let parts = |s: &str| -> Vec<String> { s.split('.').map(str::to_ascii_lowercase).collect() };
    let (g, r) = (parts(granted), parts(required));
    if g.len() < 2 || r.len() < 2 || g[0] != r[0] {
        return false;
    }
    let (g_op, g_path) = g[1..].split_last().expect("two parts or more");
    let (r_op, r_path) = r[1..].split_last().expect("two parts or more");
    let op = g_op == r_op
        || g_op == "all"
        || (g_op == "write" && (r_op == "create" || r_op == "update"));
    op && g_path.len() <= r_path.len() && r_path[..g_path.len()] == *g_path
}

/// A grant to probe: what it is called in the output, its token source, and what it serves.
pub struct Grant<'a> {
    pub label: &'static str,
    pub tokens: &'a Arc<TokenSource>,
    pub features: &'a [Feature],
}

/// Refreshes the grant once and reports the answer; `None` when the refresh failed (the
/// failure is in the checks, and nothing else can be probed with this grant).
pub async fn refresh(grant: &Grant<'_>, checks: &mut Vec<Check>) -> Option<Refreshed> {
    let url = grant.tokens.token_url();
    let server = format!("{}://{}", url.scheme(), url.authority());
    match grant.tokens.refresh_now().await {
        Ok(refreshed) => {
            checks.push(Check::ok(
                "token",
                format!(
                    "{}: {server} answered a refresh (credentials from {}; token valid {} min)",
                    grant.label,
                    grant.tokens.origin(),
                    refreshed.lifetime.as_secs() / 60
                ),
            ));
            Some(refreshed)
        }
        Err(e) => {
            checks.push(Check::fail(
                "token",
                format!("{}: {server} refused a refresh: {e}", grant.label),
                format!(
                    "check the client id, secret and refresh token in {}; a refresh token only works at the accounts server of the data centre it was created in (connection.dataCenter)",
                    grant.tokens.origin()
                ),
            ));
            None
        }
    }
}

/// One check per feature: every scope it needs is covered by a granted one.
pub fn scopes(grant: &Grant<'_>, refreshed: &Refreshed, checks: &mut Vec<Check>) {
    let Some(granted) = &refreshed.scopes else {
        checks.push(Check::warn(
            "scopes",
            format!(
                "{}: the token answer did not say which scopes the grant holds",
                grant.label
            ),
            "the calls below show whether each one is allowed",
        ));
        return;
    };
    for feature in grant.features {
        let missing: Vec<&str> = feature
            .scopes
            .iter()
            .copied()
            .filter(|need| !granted.iter().any(|g| covers(g, need)))
            .collect();
        if missing.is_empty() {
            checks.push(Check::ok(
                "scopes",
                format!(
                    "{}: {} ({})",
                    grant.label,
                    feature.name,
                    feature.scopes.join(", ")
                ),
            ));
        } else {
            checks.push(Check::fail(
                "scopes",
                format!(
                    "{}: {} needs {}, which the grant does not hold",
                    grant.label,
                    feature.name,
                    missing.join(", ")
                ),
                format!(
                    "create a new grant (refresh token) that includes {}; the scopes a grant holds are fixed when it is made",
                    missing.join(" ")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn all_on_a_parent_group_covers_its_children() {
        assert!(covers(
            "ZohoCRM.settings.ALL",
            "ZohoCRM.settings.fields.ALL"
        ));
        assert!(covers("ZohoCRM.modules.ALL", "ZohoCRM.modules.ALL"));
        assert!(covers("zohocrm.users.all", "ZohoCRM.users.READ"));
        assert!(covers(
            "ZohoCRM.modules.WRITE",
            "ZohoCRM.modules.deals.UPDATE"
        ));
    }

    #[test]
    fn narrower_or_other_grants_do_not_cover() {
        assert!(!covers("ZohoCRM.users.READ", "ZohoCRM.users.ALL"));
        assert!(!covers(
            "ZohoCRM.settings.fields.ALL",
            "ZohoCRM.settings.READ"
        ));
        assert!(!covers("ZohoProjects.projects.ALL", "ZohoCRM.modules.ALL"));
        assert!(!covers("ZohoCRM", "ZohoCRM.org.READ"));
    }
}
