//! Inviting an Office 365 user to CRM so that a lost answer never reads as a failure: a
//! retried invite that meets `DUPLICATE_DATA` checks whether the user it meant to add is
//! there (its own earlier request, carried out) and only reports a conflict otherwise.

use crate::zoho::crm::{CrmUser, NamedRef, NewUser, UserType};
use crate::zoho::{CrmApi, ZohoError};

/// Why an invite did not bring the user into CRM.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    /// CRM refused the invite, and no user it meant to add is there.
    #[error("{0}")]
    Refused(ZohoError),
    /// CRM answered `DUPLICATE_DATA` and the users could not be read to see whether the
    /// duplicate is this invite's own earlier request.
    #[error("{refused}; and it could not be checked: {check}")]
    Unchecked {
        refused: ZohoError,
        check: ZohoError,
    },
    /// Another user has the email.
    #[error(
        "a CRM user with this email already exists (id {id}, profile {profile}, role {role}) and is not the one this invite would add"
    )]
    Taken {
        id: String,
        profile: String,
        role: String,
    },
}

/// Adds `user` to CRM; `Ok` also when it is already there exactly as asked.
pub(super) async fn invite<C: CrmApi>(crm: &C, user: &NewUser) -> Result<(), InviteError> {
    let refused = match crm.add_user(user).await {
        Ok(_) => return Ok(()),
        Err(e) if e.code() == Some("DUPLICATE_DATA") => e,
        Err(e) => return Err(InviteError::Refused(e)),
    };
    let existing = match existing_user(crm, &user.email).await {
        Ok(existing) => existing,
        Err(check) => return Err(InviteError::Unchecked { refused, check }),
    };
    match existing {
        Some(found) if is_the_invited(&found, user) => Ok(()),
        Some(found) => Err(InviteError::Taken {
            profile: named(&found.profile),
            role: named(&found.role),
            id: found.id,
        }),
        None => Err(InviteError::Refused(refused)),
    }
}

async fn existing_user<C: CrmApi>(crm: &C, email: &str) -> Result<Option<CrmUser>, ZohoError> {
    let users = crm.users(UserType::AllUsers).await?;
    Ok(users
        .into_iter()
        .find(|u| u.email.eq_ignore_ascii_case(email)))
}

/// The user the invite asked for: same email, profile and role, and not deleted.
fn is_the_invited(found: &CrmUser, user: &NewUser) -> bool {
    let id_of = |r: &Option<NamedRef>| r.as_ref().map(|r| r.id.clone());
    found.status != "deleted"
        && id_of(&found.profile).as_deref() == Some(user.profile_id.as_str())
        && id_of(&found.role).as_deref() == Some(user.role_id.as_str())
}

fn named(r: &Option<NamedRef>) -> String {
    r.as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_else(|| "none".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(status: &str, profile: &str, role: &str) -> CrmUser {
        serde_json::from_value(serde_json::json!({
            "id": "1", "email": "nora@acme.com", "status": status,
            "profile": {"id": profile, "name": "Standard"},
            "role": {"id": role, "name": "Sales Rep"},
        }))
        .unwrap()
    }

    fn new_user() -> NewUser {
        NewUser {
            first_name: Some("Nora".into()),
            last_name: "North".into(),
            email: "nora@acme.com".into(),
            role_id: "r1".into(),
            profile_id: "p1".into(),
        }
    }

    #[test]
    fn only_the_same_profile_and_role_count_as_the_invite() {
        assert!(is_the_invited(&user("active", "p1", "r1"), &new_user()));
        assert!(!is_the_invited(&user("active", "p2", "r1"), &new_user()));
        assert!(!is_the_invited(&user("active", "p1", "r2"), &new_user()));
        assert!(!is_the_invited(&user("deleted", "p1", "r1"), &new_user()));
    }
}
