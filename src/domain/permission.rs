//! The four related-list permissions a profile can have on the link module, how Zoho names
//! them in a profile's permission list, and which switch of the spec's `relatedList` each one
//! is. Everything else (planning, observing, applying, export) iterates [`PermissionKind::ALL`],
//! so a new permission is a variant and its rows here plus its switch in the spec.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::spec::RelatedListPermissions;

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

    /// This permission's switch in the spec's `relatedList`: the one place that ties a kind to
    /// its spec field, so reading and writing a spec both follow it.
    fn switch(self, spec: &mut RelatedListPermissions) -> &mut bool {
        match self {
            PermissionKind::View => &mut spec.view,
            PermissionKind::Create => &mut spec.create,
            PermissionKind::Edit => &mut spec.edit,
            PermissionKind::Delete => &mut spec.delete,
        }
    }

    /// Every permission as a spec's `relatedList` declares it.
    pub fn from_spec(mut spec: RelatedListPermissions) -> BTreeMap<PermissionKind, bool> {
        PermissionKind::ALL
            .iter()
            .map(|kind| (*kind, *kind.switch(&mut spec)))
            .collect()
    }

    /// The spec's `relatedList` with each permission switched as `enabled` says.
    pub fn to_spec(enabled: impl Fn(PermissionKind) -> bool) -> RelatedListPermissions {
        let mut spec = RelatedListPermissions::default();
        for kind in PermissionKind::ALL {
            *kind.switch(&mut spec) = enabled(kind);
        }
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_permission_has_its_own_spec_switch() {
        for kind in PermissionKind::ALL {
            let spec = PermissionKind::to_spec(|k| k == kind);
            let declared = PermissionKind::from_spec(spec);
            assert_eq!(declared.len(), PermissionKind::ALL.len());
            assert!(
                declared.iter().all(|(k, on)| *on == (*k == kind)),
                "{kind:?}"
            );
        }
    }

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
