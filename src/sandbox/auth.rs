//! Access-token and scope checks shared by the CRM and Projects routers.
//!
//! Scopes follow Zoho's `Service.group[.subgroup].OPERATION` shape; a granted scope covers a
//! required one when its group path is a prefix of the required path and its operation is the
//! same or `ALL` (e.g. `ZohoCRM.settings.ALL` covers `ZohoCRM.settings.fields.READ`).

use axum::http::HeaderMap;

use super::server::AppState;

/// Who is calling: the OAuth client and the Zoho user whose grant issued the token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub client_id: String,
    pub user_email: String,
    pub scopes: Vec<String>,
}

/// Why a request was not authorized; each router renders it in its own error format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization: Zoho-oauthtoken …` header, an unknown token, or an expired one.
    InvalidToken,
    /// The token is valid but lacks the scope this endpoint needs.
    ScopeMismatch { required: String },
}

/// Resolves the `Authorization: Zoho-oauthtoken <token>` header to a principal.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, AuthFailure> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthFailure::InvalidToken)?;
    let token = header
        .strip_prefix("Zoho-oauthtoken ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthFailure::InvalidToken)?;
    super::accounts::lookup_access_token(&state.store, token).ok_or(AuthFailure::InvalidToken)
}

/// Authenticates and checks that one of the granted scopes covers `required`.
pub fn require(
    state: &AppState,
    headers: &HeaderMap,
    required: &str,
) -> Result<Principal, AuthFailure> {
    let principal = authenticate(state, headers)?;
    if principal.scopes.iter().any(|g| scope_covers(g, required)) {
        Ok(principal)
    } else {
        Err(AuthFailure::ScopeMismatch {
            required: required.to_string(),
        })
    }
}

/// Whether the granted scope `granted` covers `required` (case-insensitive).
pub fn scope_covers(granted: &str, required: &str) -> bool {
    let g: Vec<String> = granted.split('.').map(|s| s.to_ascii_lowercase()).collect();
    let r: Vec<String> = required
        .split('.')
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if g.len() < 2 || r.len() < 2 || g[0] != r[0] {
        return false;
    }
    let (g_op, g_path) = g[1..].split_last().expect("len checked");
    let (r_op, r_path) = r[1..].split_last().expect("len checked");
    let op_ok = g_op == r_op
        || g_op == "all"
        // Zoho's WRITE covers creating and updating.
        || (g_op == "write" && (r_op == "create" || r_op == "update"));
    op_ok && g_path.len() <= r_path.len() && r_path[..g_path.len()] == *g_path
}

#[cfg(test)]
mod tests {
    use super::scope_covers;

    #[test]
    fn all_on_a_parent_group_covers_children() {
        assert!(scope_covers(
            "ZohoCRM.settings.ALL",
            "ZohoCRM.settings.fields.READ"
        ));
        assert!(scope_covers(
            "ZohoCRM.modules.ALL",
            "ZohoCRM.modules.accounts.CREATE"
        ));
        assert!(scope_covers("ZohoCRM.users.ALL", "ZohoCRM.users.READ"));
    }

    #[test]
    fn operation_must_match_unless_all_or_write() {
        assert!(!scope_covers("ZohoCRM.users.READ", "ZohoCRM.users.CREATE"));
        assert!(scope_covers(
            "ZohoCRM.modules.WRITE",
            "ZohoCRM.modules.deals.UPDATE"
        ));
        assert!(!scope_covers(
            "ZohoCRM.modules.WRITE",
            "ZohoCRM.modules.deals.DELETE"
        ));
    }

    #[test]
    fn a_narrower_grant_does_not_cover_a_broader_need() {
        assert!(!scope_covers(
            "ZohoCRM.settings.fields.ALL",
            "ZohoCRM.settings.READ"
        ));
        assert!(!scope_covers(
            "ZohoCRM.settings.fields.ALL",
            "ZohoCRM.settings.modules.READ"
        ));
        assert!(!scope_covers(
            "ZohoProjects.projects.ALL",
            "ZohoCRM.modules.ALL"
        ));
    }
}
