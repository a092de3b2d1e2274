//! The four related-list permissions a profile can have on the link module, and how Zoho
//! names them in a profile's permission list.

use serde::{Deserialize, Serialize};

/// The four related-list permissions a profile can have on a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionKind {
    View,
    Create,
    Edit,
    Delete,
}

impl PermissionKind {
    pub const ALL: [PermissionKind; 4] = [
        PermissionKind::View,
        PermissionKind::Create,
        PermissionKind::Edit,
        PermissionKind::Delete,
    ];

    fn verb(self) -> &'static str {
        match self {
            PermissionKind::View => "View",
            PermissionKind::Create => "Create",
            PermissionKind::Edit => "Edit",
            PermissionKind::Delete => "Delete",
        }
    }

    /// Whether a profile permission (`permissions_details` item) is this kind on `module`.
    /// Zoho names permissions after the module's internal `module_name` (`Potentials` for
    /// Deals, `CustomModule3` for a custom module), so the match goes by the item's `module`
    /// (the api name) and the `Crm_Implied_<Verb>_` prefix.
    pub fn matches(self, name: &str, permission_module: Option<&str>, module: &str) -> bool {
        let prefix = format!("Crm_Implied_{}_", self.verb());
        match permission_module {
            Some(m) if !m.is_empty() => m == module && name.starts_with(&prefix),
            _ => name == format!("{prefix}{module}"),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PermissionKind::View => "view",
            PermissionKind::Create => "create",
            PermissionKind::Edit => "edit",
            PermissionKind::Delete => "delete",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_match_by_module_and_verb() {
        let k = PermissionKind::Create;
        assert!(k.matches(
            "Crm_Implied_Create_CustomModule3",
            Some("Linked_Projects"),
            "Linked_Projects"
        ));
        assert!(!k.matches(
            "Crm_Implied_View_CustomModule3",
            Some("Linked_Projects"),
            "Linked_Projects"
        ));
        assert!(!k.matches(
            "Crm_Implied_Create_Potentials",
            Some("Deals"),
            "Linked_Projects"
        ));
        assert!(k.matches(
            "Crm_Implied_Create_Linked_Projects",
            None,
            "Linked_Projects"
        ));
    }
}
