//! The closed vocabularies of Projects — portal roles, project statuses and custom field
//! types — with their wire names, shared by the seed, the tables and the handlers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::wire;

/// A portal user's role. The portal owner is an `admin` with the "Portal Owner" profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    #[serde(rename = "admin")]
    Admin,
    Manager,
    Employee,
    Contractor,
}

impl Role {
    pub fn wire_name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "Manager",
            Role::Employee => "Employee",
            Role::Contractor => "Contractor",
        }
    }

    /// The role as stored, or `None` for text no version of the sandbox writes.
    pub fn from_stored(s: &str) -> Option<Role> {
        [Role::Admin, Role::Manager, Role::Employee, Role::Contractor]
            .into_iter()
            .find(|r| r.wire_name() == s)
    }

    /// A role a caller may give through the API (`admin` is the owner's to grant in the UI).
    pub fn from_param(s: &str) -> Option<Role> {
        [Role::Manager, Role::Employee, Role::Contractor]
            .into_iter()
            .find(|r| r.wire_name().eq_ignore_ascii_case(s))
    }

    /// `portal_role_name` in user objects.
    pub fn role_name(self) -> &'static str {
        match self {
            Role::Admin => wire::ADMIN_ROLE_NAME,
            other => other.wire_name(),
        }
    }

    /// `portal_profile_name` in user objects.
    pub fn profile_name(self, is_owner: bool) -> &'static str {
        if is_owner {
            wire::OWNER_PROFILE
        } else {
            self.role_name()
        }
    }

    /// The project role a member gets when none is given: admins act as managers.
    pub fn default_project_role(self) -> Role {
        match self {
            Role::Admin => Role::Manager,
            other => other,
        }
    }

    /// Whether this role appears in one of [`wire::permission`]'s lists.
    pub fn may(self, allowed: &[&str]) -> bool {
        allowed.contains(&self.wire_name())
    }

    /// The id of this role's profile in a portal (the owner's profile when `is_owner`):
    /// `portal_id * 10^12` plus [`Self::profile_suffix`], or the suffix alone should that
    /// overflow.
    pub fn profile_id(self, portal_id: i64, is_owner: bool) -> u64 {
        let suffix = self.profile_suffix(is_owner);
        u64::try_from(portal_id)
            .ok()
            .and_then(|id| id.checked_mul(1_000_000_000_000))
            .and_then(|id| id.checked_add(suffix))
            .unwrap_or(suffix)
    }

    /// A stable number per profile, used to build `profile_id`.
    pub fn profile_suffix(self, is_owner: bool) -> u64 {
        match (self, is_owner) {
            (_, true) => 110_049,
            (Role::Admin, false) => 110_051,
            (Role::Manager, false) => 110_053,
            (Role::Employee, false) => 110_055,
            (Role::Contractor, false) => 110_057,
        }
    }
}

/// A project's status; templates live beside projects with status `template`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    #[default]
    Active,
    Archived,
    Template,
}

impl ProjectStatus {
    pub fn wire_name(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::Archived => "archived",
            ProjectStatus::Template => "template",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectStatus> {
        [
            ProjectStatus::Active,
            ProjectStatus::Archived,
            ProjectStatus::Template,
        ]
        .into_iter()
        .find(|st| st.wire_name().eq_ignore_ascii_case(s))
    }
}

/// The type of a project custom field, which decides what values it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    #[default]
    Text,
    Multiline,
    Number,
    Decimal,
    Currency,
    Percent,
    Date,
    Email,
    Url,
    Phone,
    Boolean,
}

impl FieldType {
    pub fn wire_name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Multiline => "multiline",
            FieldType::Number => "number",
            FieldType::Decimal => "decimal",
            FieldType::Currency => "currency",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::Phone => "phone",
            FieldType::Boolean => "boolean",
        }
    }

    pub fn from_stored(s: &str) -> FieldType {
        use FieldType::*;
        [
            Text, Multiline, Number, Decimal, Currency, Percent, Date, Email, Url, Phone, Boolean,
        ]
        .into_iter()
        .find(|t| t.wire_name() == s)
        .unwrap_or(Text)
    }

    /// The value as stored and answered, or why it does not fit the type. Dates are
    /// `MM-dd-yyyy` on the wire; `iso_dates` also accepts `yyyy-MM-dd` (the seed's form).
    pub fn normalize(self, value: &str, iso_dates: bool) -> Result<String, ValueError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(String::new());
        }
        let ok = match self {
            FieldType::Text | FieldType::Multiline | FieldType::Url | FieldType::Phone => true,
            FieldType::Number => value.parse::<i64>().is_ok(),
            FieldType::Decimal | FieldType::Currency | FieldType::Percent => {
                value.parse::<f64>().is_ok_and(f64::is_finite)
            }
            FieldType::Email => super::params::is_plausible_email(value),
            FieldType::Boolean => {
                return match value.to_ascii_lowercase().as_str() {
                    "true" => Ok("true".into()),
                    "false" => Ok("false".into()),
                    _ => Err(ValueError::Boolean),
                };
            }
            FieldType::Date => {
                if let Ok(d) = NaiveDate::parse_from_str(value, "%m-%d-%Y") {
                    return Ok(super::params::format_date(d));
                }
                if iso_dates && let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                    return Ok(super::params::format_date(d));
                }
                return Err(ValueError::Date);
            }
        };
        if ok {
            Ok(value.to_string())
        } else {
            Err(ValueError::Type(self.wire_name()))
        }
    }
}

/// Why a custom field value does not fit its field's type (the API's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("expected true or false")]
    Boolean,
    #[error("expected a date MM-dd-yyyy")]
    Date,
    /// A number, decimal or email that does not parse; holds the type's wire name.
    #[error("expected a {0} value")]
    Type(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_roles_exclude_admin_and_ignore_case() {
        assert_eq!(Role::from_param("manager"), Some(Role::Manager));
        assert_eq!(Role::from_param("admin"), None);
        assert_eq!(Role::from_stored("admin"), Some(Role::Admin));
    }

    #[test]
    fn field_values_are_checked_by_type() {
        assert_eq!(FieldType::Number.normalize(" 12 ", false).unwrap(), "12");
        assert!(FieldType::Number.normalize("1.5", false).is_err());
        assert!(FieldType::Decimal.normalize("1.5", false).is_ok());
        assert_eq!(
            FieldType::Date.normalize("2026-01-15", true).unwrap(),
            "01-15-2026"
        );
        assert!(FieldType::Date.normalize("2026-01-15", false).is_err());
        assert_eq!(FieldType::Text.normalize("", false).unwrap(), "");
        assert!(FieldType::Boolean.normalize("yes", false).is_err());
    }
}
