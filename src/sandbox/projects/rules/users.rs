//! User rules: who may be added to a portal or a project, which roles apply, and who keeps
//! their role.

use rusqlite::Connection;

use super::{Field, RuleError, RuleResult};
use crate::sandbox::projects::db::{self, Member};
use crate::sandbox::projects::model::Role;
use crate::sandbox::projects::params::is_plausible_email;
use crate::sandbox::projects::wire::conflict;

/// Refuses text that is not an email address.
pub fn check_email(email: &str) -> RuleResult<()> {
    if is_plausible_email(email) {
        Ok(())
    } else {
        Err(RuleError::Invalid {
            field: Field::Email,
            why: format!("{email:?} is not an email address"),
        })
    }
}

/// Adds `email` to the portal with `role`. A person already in the portal, active or not,
/// or a client user of it, cannot be added.
pub fn add_portal_user(
    conn: &Connection,
    portal_id: i64,
    email: &str,
    role: Role,
) -> RuleResult<Member> {
    if db::member_by_email(conn, portal_id, email)?.is_some() {
        return Err(RuleError::Conflict {
            field: Field::Email,
            message: format!("{}: {email}", conflict::PORTAL_USER_EXISTS),
        });
    }
    if db::client_user_by_email(conn, portal_id, email)?.is_some() {
        return Err(RuleError::Conflict {
            field: Field::Email,
            message: format!(
                "{email} is a client user of this portal and cannot also be a portal user"
            ),
        });
    }
    let name = name_from_email(email);
    Ok(db::insert_member(
        conn, portal_id, email, &name, role, true, false,
    )?)
}

/// Gives a portal user another role; the owner's role is fixed.
pub fn change_role(conn: &Connection, member: Member, role: Role) -> RuleResult<Member> {
    if member.is_owner {
        return Err(RuleError::Conflict {
            field: Field::Role,
            message: "The portal owner's role cannot be changed".into(),
        });
    }
    db::set_member_role(conn, member.zpuid, role)?;
    Ok(Member { role, ..member })
}

/// Removes a portal user from the portal and its projects. The owner stays, and so does a
/// user who owns projects (chosen: Zoho's answer for them is not documented).
pub fn remove_portal_user(conn: &Connection, member: Member) -> RuleResult<()> {
    if member.is_owner {
        return Err(RuleError::Conflict {
            field: Field::Email,
            message: "The portal owner cannot be removed".into(),
        });
    }
    if db::owns_projects(conn, member.zpuid)? {
        return Err(RuleError::Conflict {
            field: Field::Email,
            message: format!(
                "{} owns projects; give them another owner first",
                member.email
            ),
        });
    }
    db::delete_member(conn, member.zpuid)?;
    Ok(())
}

/// Adds the active portal user `email` to a project, in `role` or else their portal role
/// (admins acting as managers). Nobody is invited to the portal on the way.
pub fn add_project_user(
    conn: &Connection,
    portal_id: i64,
    project_id: i64,
    email: &str,
    role: Option<Role>,
) -> RuleResult<(Member, Role)> {
    let member = db::member_by_email(conn, portal_id, email)?
        .filter(|m| m.active || m.is_owner)
        .ok_or_else(|| RuleError::Conflict {
            field: Field::Email,
            message: format!(
                "{email} is not an active user of this portal; add them to the portal first"
            ),
        })?;
    let current = db::project_users(conn, project_id)?;
    if current.iter().any(|(m, _)| m.zpuid == member.zpuid) {
        return Err(RuleError::Conflict {
            field: Field::Email,
            message: format!("{}: {email}", conflict::PROJECT_USER_EXISTS),
        });
    }
    let project_role = role.unwrap_or(member.role.default_project_role());
    db::add_project_user(conn, project_id, member.zpuid, project_role)?;
    Ok((member, project_role))
}

/// A display name for a user invited by email alone: the address's local part, as Zoho
/// shows invitees who have not set a name.
pub fn name_from_email(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_string()
}
