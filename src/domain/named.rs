//! The live names a spec refers to (profiles, portal roles, the deal stage, the project
//! template), each with the spec path of the value, so a plan-time check can point at it.

use serde::{Deserialize, Serialize};

use crate::spec::ProjectsIntegrationSpec;

/// What kind of live name a spec value refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Profile,
    DealStage,
    PortalRole,
    Template,
}

/// One name the spec uses, with the path of the value that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedInSpec {
    pub kind: NameKind,
    pub name: String,
    /// `spec.permissions.defaultRole`, `spec.imports.portalUsers[2].role`, ...
    pub spec_path: String,
}

/// Every live name the spec uses, in spec order.
pub fn named_in_spec(spec: &ProjectsIntegrationSpec) -> Vec<NamedInSpec> {
    let named = |kind, name: &str, spec_path: String| NamedInSpec {
        kind,
        name: name.to_string(),
        spec_path,
    };
    let mut out: Vec<NamedInSpec> = spec
        .permissions
        .profiles
        .iter()
        .enumerate()
        .map(|(i, p)| {
            named(
                NameKind::Profile,
                &p.profile,
                format!("spec.permissions.profiles[{i}].profile"),
            )
        })
        .collect();
    out.push(named(
        NameKind::PortalRole,
        &spec.permissions.default_role,
        "spec.permissions.defaultRole".into(),
    ));
    for (i, user) in spec.imports.portal_users.iter().enumerate() {
        if let Some(role) = &user.role {
            let path = format!("spec.imports.portalUsers[{i}].role");
            out.push(named(NameKind::PortalRole, role, path));
        }
    }
    if let Some(conversion) = &spec.deal_conversion {
        let stage = "spec.dealConversion.stage".to_string();
        out.push(named(NameKind::DealStage, &conversion.stage, stage));
        if let Some(template) = &conversion.template {
            let path = "spec.dealConversion.template".to_string();
            out.push(named(NameKind::Template, template, path));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_collected_with_their_spec_paths() {
        let spec: ProjectsIntegrationSpec = serde_saphyr::from_str(
            "connection: {secretRef: {name: z}}\nportal: {name: P}\nrelatedLists: {linkModule: L, modules: []}\n\
             permissions: {defaultRole: Emploee, profiles: [{profile: Standard, access: true}]}\n\
             imports: {portalUsers: [{email: a@b.com}, {email: c@d.com, role: Boss}]}\n\
             dealConversion: {stage: Won, template: T}\n",
        )
        .unwrap();
        let named = named_in_spec(&spec);
        let got: Vec<(NameKind, &str, &str)> = named
            .iter()
            .map(|n| (n.kind, n.name.as_str(), n.spec_path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    NameKind::Profile,
                    "Standard",
                    "spec.permissions.profiles[0].profile"
                ),
                (
                    NameKind::PortalRole,
                    "Emploee",
                    "spec.permissions.defaultRole"
                ),
                (
                    NameKind::PortalRole,
                    "Boss",
                    "spec.imports.portalUsers[1].role"
                ),
                (NameKind::DealStage, "Won", "spec.dealConversion.stage"),
                (NameKind::Template, "T", "spec.dealConversion.template"),
            ]
        );
    }
}
