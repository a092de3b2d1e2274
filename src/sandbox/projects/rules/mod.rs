//! The business rules of Projects that the legacy (`/restapi`) and the V3 (`/api/v3`)
//! handlers share, so a script written against either API meets the same permissions,
//! conflicts and defaults over the same store. Rules speak in [`RuleError`]s that say which
//! input they rejected; each API names that input and renders the error in its own format.

pub mod clients;
pub mod projects;
pub mod users;

use rusqlite::Connection;

use super::db::{self, CustomField, Member, Portal};
use crate::sandbox::auth::Principal;

/// Which input a rule rejected. The APIs name inputs differently (`template_id` against
/// `copy_from`, `UDF_CHAR1` against `cf_budget_code`), so rules name them by meaning.
#[derive(Debug, Clone)]
pub enum Field {
    Name,
    Owner,
    EndDate,
    Template,
    Status,
    PercentComplete,
    Custom(CustomField),
    Email,
    Role,
}

/// Why a rule refused a request.
#[derive(Debug, Clone)]
pub enum RuleError {
    /// `field` holds a value the API cannot take; `why` completes "Invalid value for …: ".
    Invalid { field: Field, why: String },
    /// The request conflicts with the portal as it is (see `wire::conflict`).
    Conflict { field: Field, message: String },
    /// A mandatory custom field would be left without a value.
    Mandatory(CustomField),
    /// An unknown portal, project, user or client.
    NotFound(String),
    /// The caller's role in the portal does not allow this, or the caller is not a member.
    Forbidden(String),
    /// A failure of the sandbox itself.
    Internal(String),
}

impl From<rusqlite::Error> for RuleError {
    fn from(err: rusqlite::Error) -> Self {
        tracing::error!(error = %err, "projects sandbox database error");
        RuleError::Internal("Internal error".into())
    }
}

pub type RuleResult<T> = Result<T, RuleError>;

/// A caller inside one portal.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub portal: Portal,
    /// The calling user's membership of the portal.
    pub member: Member,
    pub base_url: String,
}

impl Caller {
    /// The caller as `principal` inside the portal `portal_id` (path text): 404 when there
    /// is no such portal, 403 when the calling user is not an active user of it.
    pub fn resolve(
        conn: &Connection,
        principal: &Principal,
        portal_id: &str,
        base_url: &str,
    ) -> RuleResult<Caller> {
        let not_found = || RuleError::NotFound("Portal not found".into());
        let id = portal_id.parse::<i64>().map_err(|_| not_found())?;
        let portal = db::portal(conn, id)?.ok_or_else(not_found)?;
        match db::member_by_email(conn, id, &principal.user_email)? {
            Some(member) if member.active || member.is_owner => Ok(Caller {
                principal: principal.clone(),
                portal,
                member,
                base_url: base_url.to_string(),
            }),
            _ => Err(RuleError::Forbidden(
                "You do not have permission to access this portal".into(),
            )),
        }
    }

    /// Refuses the request unless the caller's role is in `allowed` (see `wire::permission`).
    pub fn require_role(&self, allowed: &[&str], action: &str) -> RuleResult<()> {
        if self.member.role.may(allowed) {
            Ok(())
        } else {
            Err(RuleError::Forbidden(format!(
                "Your role ({}) does not allow you to {action}",
                self.member.role.wire_name()
            )))
        }
    }
}
