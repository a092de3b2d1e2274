//! The `ProjectsIntegration` spec an observed org reports, and notes on every setting the org
//! does not report. Pure, so each setting's source can be tested against the planner: the
//! exported spec, planned against the same observation, must plan nothing.

use std::collections::BTreeSet;

use crate::live::{
    ClientMappingState, CrmUserFacts, IntegrationState, Marker, Observed, PermissionKind,
};
use crate::spec::{
    AccountMapping, ClientsSpec, Connection, IntegrationState as SpecState, PermissionsSpec,
    PortalSpec, ProfilePermissions, ProjectsIntegrationSpec, RelatedListPermissions,
    RelatedListsSpec, RelatedModule, UserAccess, supported_module,
};

/// Something the reader of an exported spec must know about where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Note {
    pub text: String,
    /// `plan` on the exported spec will not be empty because of it (also printed as a
    /// warning on standard error).
    pub plans_changes: bool,
}

impl Note {
    fn info(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            plans_changes: false,
        }
    }

    fn warning(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            plans_changes: true,
        }
    }
}

/// What the org reports, as a spec.
#[derive(Debug)]
pub(super) struct Exported {
    pub spec: ProjectsIntegrationSpec,
    pub notes: Vec<Note>,
}

/// Settings no Zoho API reports: the exported spec carries their defaults.
pub(super) const NOT_REPORTED: &str = "Zoho keeps no record of these projectlink settings, so they are exported at their defaults; add them by hand if you use them: relatedLists.modules[].fieldMap, permissions.defaultRole (Employee), clients.overrides and clients.userOverrides (the org's client mappings stay as they are without them, but it does not tell a manual mapping from an automatic one), imports, dealConversion, policy, deletionPolicy.";

/// The spec that plans no changes against `observed`. `link_module` is the module carrying
/// the marker's owner, if one does.
pub(super) fn spec_from_live(
    marker: &Marker,
    link_module: Option<&str>,
    connection: Connection,
    observed: &Observed,
) -> Exported {
    let mut notes = vec![Note::info(NOT_REPORTED)];
    let active = marker.state == IntegrationState::Active;
    let link_module = match link_module {
        Some(name) => name.to_string(),
        None => {
            let default = crate::spec::DEFAULT_LINK_MODULE;
            let text = format!(
                "No CRM module carries the ownership marker of integration \"{}\"; relatedLists.linkModule is the default {default}{}.",
                marker.owner,
                if active {
                    ", which plan will create"
                } else {
                    ""
                }
            );
            notes.push(if active {
                Note::warning(text)
            } else {
                Note::info(text)
            });
            default.to_string()
        }
    };
    let (profiles, users) = access(observed, &mut notes);
    let spec = ProjectsIntegrationSpec {
        state: if active {
            SpecState::Active
        } else {
            SpecState::Deactivated
        },
        connection,
        portal: PortalSpec {
            name: portal_name(marker, observed, &mut notes),
        },
        clients: ClientsSpec {
            account_mapping: account_mapping(marker, &mut notes),
            ..Default::default()
        },
        related_lists: RelatedListsSpec {
            link_module,
            modules: related_modules(marker, observed),
        },
        permissions: PermissionsSpec {
            default_role: default_role(observed, &mut notes),
            profiles,
            users,
        },
        imports: Default::default(),
        deal_conversion: None,
        policy: Default::default(),
        deletion_policy: Default::default(),
    };
    Exported { spec, notes }
}

/// The bound portal by the id the marker records, under the name Zoho Projects reports now
/// (the marker's copy of the name goes stale when the portal is renamed).
fn portal_name(marker: &Marker, observed: &Observed, notes: &mut Vec<Note>) -> String {
    match observed.portals.iter().find(|p| p.id == marker.portal_id) {
        Some(portal) if portal.name != marker.portal_name => {
            notes.push(Note::warning(format!(
                "The bound portal was renamed from \"{}\" to \"{}\" in Zoho Projects; plan will record the new name.",
                marker.portal_name, portal.name
            )));
            portal.name.clone()
        }
        Some(portal) => portal.name.clone(),
        None => {
            notes.push(Note::warning(format!(
                "The bound portal \"{}\" (id {}) is not visible to the Projects credentials, so who reaches it was not read and no profile is exported with access; give --portal-secret-ref when the portal is another user's.",
                marker.portal_name, marker.portal_id
            )));
            marker.portal_name.clone()
        }
    }
}

/// `defaultRole`: Zoho does not record the role projectlink gives the users it pushes, so it
/// is the spec's default, unless the portal has no role of that name; then plan would refuse
/// it, and the portal's roles are named instead of picking one of them.
fn default_role(observed: &Observed, notes: &mut Vec<Note>) -> String {
    let default = crate::spec::DEFAULT_ROLE;
    if let Some(roles) = &observed.names.portal_roles
        && !roles.iter().any(|r| r.eq_ignore_ascii_case(default))
    {
        notes.push(Note::warning(format!(
            "The portal has no role named {default}, the default permissions.defaultRole; set it to the role pushed users should get, one of: {}.",
            roles.join(", ")
        )));
    }
    default.to_string()
}

/// `accountMapping` from the marker's record of the one-time automatic mapping.
fn account_mapping(marker: &Marker, notes: &mut Vec<Note>) -> AccountMapping {
    match marker.client_mapping {
        ClientMappingState::Done => AccountMapping::Auto,
        ClientMappingState::Skipped => AccountMapping::Skip,
        ClientMappingState::Pending => {
            if marker.state == IntegrationState::Active {
                notes.push(Note::warning(
                    "The one-time automatic client mapping has not run yet: with accountMapping: Auto plan will run it, with Skip plan will record that it is skipped.",
                ));
            }
            AccountMapping::Auto
        }
    }
}

/// The modules whose lookup in the link module carries the integration's owner.
fn related_modules(marker: &Marker, observed: &Observed) -> Vec<RelatedModule> {
    let mut modules: Vec<RelatedModule> = observed
        .link_module
        .iter()
        .flat_map(|m| &m.fields)
        .filter(|f| f.data_type == "lookup" && f.owner.as_deref() == Some(marker.owner.as_str()))
        .filter_map(|f| f.lookup_module.as_deref())
        .filter(|m| supported_module(m).is_some())
        .map(|m| RelatedModule {
            module: m.to_string(),
            field_map: Vec::new(),
        })
        .collect();
    modules.sort_by(|a, b| a.module.cmp(&b.module));
    modules.dedup_by(|a, b| a.module == b.module);
    modules
}

/// Each profile's related-list permissions as the profile reports them, and who reaches the
/// portal exactly as the portal reports it: a profile has `access` when most of its active,
/// confirmed users are in the portal, and every user its flag does not describe gets a
/// `permissions.users` entry. Zoho records no "access" flag, only who is in the portal, so
/// that membership is the whole truth there is; a flag covering it all-or-nothing would drop
/// the exceptions.
fn access(
    observed: &Observed,
    notes: &mut Vec<Note>,
) -> (Vec<ProfilePermissions>, Vec<UserAccess>) {
    let in_portal: Option<BTreeSet<&str>> = observed
        .portal_users
        .as_ref()
        .map(|users| users.iter().map(|u| u.email.as_str()).collect());
    let eligible = |u: &&CrmUserFacts| u.active && u.confirmed;
    let mut profiles = Vec::new();
    let mut with_access: BTreeSet<&str> = BTreeSet::new();
    for profile in &observed.profiles {
        let members: Vec<&str> = observed
            .users
            .iter()
            .filter(eligible)
            .filter(|u| u.profile == profile.name)
            .map(|u| u.email.as_str())
            .collect();
        let inside = in_portal
            .as_ref()
            .map_or(0, |p| members.iter().filter(|e| p.contains(*e)).count());
        let access = inside * 2 > members.len();
        if access {
            with_access.insert(profile.name.as_str());
        }
        let related_list = PermissionKind::to_spec(|kind| profile.link_permission(kind));
        if access || related_list != RelatedListPermissions::default() {
            profiles.push(ProfilePermissions {
                profile: profile.name.clone(),
                access,
                related_list,
            });
        }
    }
    let Some(in_portal) = in_portal else {
        return (profiles, Vec::new());
    };
    let users: Vec<UserAccess> = observed
        .users
        .iter()
        .filter(eligible)
        .filter_map(|u| {
            let inside = in_portal.contains(u.email.as_str());
            (inside != with_access.contains(u.profile.as_str())).then(|| UserAccess {
                email: u.email.clone(),
                access: inside,
            })
        })
        .collect();
    notes.push(Note::info(
        "permissions.profiles[].access and permissions.users say who is in the portal now: Zoho records only the portal's members, so a profile has access when most of its active, confirmed users are members, and each user that does not fit their profile is listed.",
    ));
    (profiles, users)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::live::{
        FieldFacts, LinkModuleFacts, MarkerFacts, PermissionFacts, PortalFacts, PortalUserFacts,
        ProfileFacts,
    };
    use crate::plan::link_module::{base_fields, lookup_field};
    use crate::plan::planner::PlanOptions;
    use crate::plan::{Desired, Severity, plan};
    use crate::spec::SUPPORTED_MODULES;

    const PROFILES: [&str; 4] = ["Administrator", "Standard", "Sales", "Support"];

    fn marker(mapping: ClientMappingState) -> Marker {
        Marker {
            version: Marker::VERSION,
            owner: "acme".into(),
            state: IntegrationState::Active,
            portal_id: "101".into(),
            portal_name: "Acme Delivery".into(),
            generation: 1,
            client_mapping: mapping,
        }
    }

    fn owned(spec: crate::plan::FieldSpec, i: usize) -> FieldFacts {
        FieldFacts {
            id: format!("f{i}"),
            api_name: spec.api_name,
            label: spec.label,
            data_type: spec.data_type,
            lookup_module: spec.lookup_module,
            custom: true,
            owner: Some("acme".into()),
        }
    }

    /// One CRM user: (profile index, or none of the org's profiles; active; confirmed;
    /// in the portal).
    type UserCase = (Option<usize>, bool, bool, bool);

    /// An org the integration "acme" runs in: the link module with lookups to `modules`, each
    /// profile's link-module permissions, and `users`.
    fn org(
        modules: &[&str],
        permissions: &[[bool; 4]],
        users: &[UserCase],
        mapping: ClientMappingState,
    ) -> (Marker, Observed) {
        let marker = marker(mapping);
        let mut fields: Vec<FieldFacts> = base_fields()
            .into_iter()
            .chain(modules.iter().map(|m| {
                let lookup = supported_module(m).expect("supported").lookup_field;
                lookup_field(lookup, m)
            }))
            .enumerate()
            .map(|(i, f)| owned(f, i))
            .collect();
        fields.sort_by(|a, b| a.api_name.cmp(&b.api_name));
        let profiles = profile_facts(permissions);
        let (crm_users, portal_users) = user_facts(users);
        let observed = Observed {
            marker: MarkerFacts::Present {
                variable_id: "var1".into(),
                marker: marker.clone(),
            },
            portals: vec![PortalFacts {
                id: "101".into(),
                name: "Acme Delivery".into(),
            }],
            portal_users: Some(portal_users),
            link_module: Some(LinkModuleFacts {
                id: "m1".into(),
                api_name: "Linked_Projects".into(),
                owner: Some("acme".into()),
                fields,
            }),
            profiles,
            users: crm_users,
            ..Default::default()
        };
        (marker, observed)
    }

    /// Each of `PROFILES` with its link-module permissions (the Administrator's locked).
    fn profile_facts(permissions: &[[bool; 4]]) -> Vec<ProfileFacts> {
        PROFILES
            .iter()
            .zip(permissions)
            .enumerate()
            .map(|(i, (name, flags))| ProfileFacts {
                id: format!("pr{i}"),
                name: name.to_string(),
                link_permissions: PermissionKind::ALL
                    .iter()
                    .zip(flags)
                    .map(|(kind, enabled)| {
                        let facts = PermissionFacts {
                            id: format!("perm{i}{kind:?}"),
                            enabled: *enabled,
                            locked: *name == "Administrator",
                        };
                        (*kind, facts)
                    })
                    .collect(),
            })
            .collect()
    }

    /// The CRM users of `users`, and those of them in the portal.
    fn user_facts(users: &[UserCase]) -> (Vec<CrmUserFacts>, Vec<PortalUserFacts>) {
        let crm_users: Vec<CrmUserFacts> = users
            .iter()
            .enumerate()
            .map(|(i, (profile, active, confirmed, _))| CrmUserFacts {
                id: format!("u{i}"),
                email: format!("user{i:02}@acme.com"),
                name: format!("User {i}"),
                profile: profile.map_or("Portal Only".into(), |p| PROFILES[p].to_string()),
                active: *active,
                confirmed: *confirmed,
            })
            .collect();
        let portal_users = users
            .iter()
            .zip(&crm_users)
            .filter(|((_, _, _, inside), _)| *inside)
            .map(|(_, u)| PortalUserFacts {
                id: format!("p{}", u.id),
                email: u.email.clone(),
                name: u.name.clone(),
                role: "Employee".into(),
                active: true,
                owner: false,
            })
            .collect();
        (crm_users, portal_users)
    }

    fn export(marker: &Marker, observed: &Observed) -> Exported {
        spec_from_live(
            marker,
            Some("Linked_Projects"),
            Connection::default(),
            observed,
        )
    }

    /// Whether the exported spec gives `user` access, as the planner reads it.
    fn has_access(spec: &ProjectsIntegrationSpec, user: &CrmUserFacts) -> bool {
        let by_profile = spec
            .permissions
            .profiles
            .iter()
            .any(|p| p.profile == user.profile && p.access);
        spec.permissions
            .users
            .iter()
            .find(|u| u.email == user.email)
            .map_or(by_profile, |u| u.access)
    }

    /// Link-module permissions as Zoho keeps them: create, edit and delete need view.
    fn permission_flags() -> impl Strategy<Value = [bool; 4]> {
        any::<[bool; 4]>().prop_map(|[view, c, e, d]| [view, view && c, view && e, view && d])
    }

    fn user_case() -> impl Strategy<Value = UserCase> {
        (
            proptest::option::weighted(0.9, 0..PROFILES.len()),
            proptest::bool::weighted(0.85),
            proptest::bool::weighted(0.85),
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn the_export_plans_nothing_and_says_who_reaches_the_portal(
            modules in proptest::sample::subsequence(
                SUPPORTED_MODULES.iter().map(|m| m.api_name).collect::<Vec<_>>(), 0..4),
            permissions in proptest::collection::vec(permission_flags(), PROFILES.len()),
            users in proptest::collection::vec(user_case(), 0..14),
            skipped in any::<bool>(),
        ) {
            let mapping = if skipped { ClientMappingState::Skipped } else { ClientMappingState::Done };
            let (marker, observed) = org(&modules, &permissions, &users, mapping);
            let exported = export(&marker, &observed);
            prop_assert!(exported.notes.iter().all(|n| !n.plans_changes), "{:?}", exported.notes);
            let findings = crate::spec::validate_spec(&exported.spec);
            prop_assert!(findings.is_empty(), "{findings:?}");
            let desired = Desired::from_spec("acme", &exported.spec);
            let planned = plan(&desired, &observed, &PlanOptions::default());
            prop_assert!(planned.changes.is_empty(), "{:#?}", planned.changes);
            prop_assert!(
                planned.diagnostics.iter().all(|d| d.severity != Severity::Error),
                "{:#?}", planned.diagnostics
            );
            let in_portal: BTreeSet<&str> = observed.portal_users.iter().flatten()
                .map(|u| u.email.as_str()).collect();
            for user in observed.users.iter().filter(|u| u.active && u.confirmed) {
                prop_assert_eq!(has_access(&exported.spec, user), in_portal.contains(user.email.as_str()), "{}", user.email);
            }
            for (profile, flags) in PROFILES.iter().zip(&permissions) {
                let exported_flags = exported.spec.permissions.profiles.iter()
                    .find(|p| p.profile == *profile)
                    .map(|p| [p.related_list.view, p.related_list.create, p.related_list.edit, p.related_list.delete])
                    .unwrap_or_default();
                prop_assert_eq!(&exported_flags, flags, "{}", profile);
            }
            let exported_modules: Vec<&str> = exported.spec.related_lists.modules.iter()
                .map(|m| m.module.as_str()).collect();
            let mut wanted = modules.clone();
            wanted.sort();
            prop_assert_eq!(exported_modules, wanted);
            prop_assert_eq!(
                exported.spec.clients.account_mapping,
                if skipped { AccountMapping::Skip } else { AccountMapping::Auto }
            );
        }
    }

    #[test]
    fn a_profile_takes_the_majority_and_its_exceptions_are_listed() {
        let users: Vec<UserCase> = vec![
            (Some(1), true, true, true),
            (Some(1), true, true, true),
            (Some(1), true, true, false),
            (Some(2), true, true, true),
            (Some(2), true, true, false),
            (Some(2), false, true, false),
            (None, true, true, true),
        ];
        let (marker, observed) = org(
            &["Deals"],
            &[[true; 4]; 4],
            &users,
            ClientMappingState::Done,
        );
        let exported = export(&marker, &observed);
        let access: BTreeMap<&str, bool> = exported
            .spec
            .permissions
            .profiles
            .iter()
            .map(|p| (p.profile.as_str(), p.access))
            .collect();
        assert!(access["Standard"]);
        // A tie gives no access: nobody is pushed on a coin toss.
        assert!(!access["Sales"]);
        let users: Vec<(&str, bool)> = exported
            .spec
            .permissions
            .users
            .iter()
            .map(|u| (u.email.as_str(), u.access))
            .collect();
        assert_eq!(
            users,
            [
                ("user02@acme.com", false),
                ("user03@acme.com", true),
                ("user06@acme.com", true)
            ]
        );
    }

    #[test]
    fn what_the_org_cannot_tell_is_said_not_guessed() {
        let (mut marker, mut observed) =
            org(&[], &[[false; 4]; 4], &[], ClientMappingState::Pending);
        marker.portal_name = "Old Name".into();
        observed.portals[0].name = "Acme Delivery".into();
        let exported = spec_from_live(&marker, None, Connection::default(), &observed);
        assert_eq!(exported.spec.portal.name, "Acme Delivery");
        let warnings: Vec<&str> = exported
            .notes
            .iter()
            .filter(|n| n.plans_changes)
            .map(|n| n.text.as_str())
            .collect();
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        assert!(
            warnings[0].contains("which plan will create"),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[1].contains("renamed from \"Old Name\""),
            "{}",
            warnings[1]
        );
        assert!(warnings[2].contains("has not run yet"), "{}", warnings[2]);
        assert!(exported.notes[0].text.contains("permissions.defaultRole"));

        observed.portals.clear();
        observed.portal_users = None;
        let exported = spec_from_live(
            &marker,
            Some("Linked_Projects"),
            Connection::default(),
            &observed,
        );
        assert_eq!(exported.spec.portal.name, "Old Name");
        assert!(
            exported
                .notes
                .iter()
                .any(|n| n.plans_changes && n.text.contains("is not visible")),
            "{:#?}",
            exported.notes
        );
        assert!(exported.spec.permissions.users.is_empty());
    }

    #[test]
    fn a_portal_without_the_default_role_names_its_roles() {
        let (marker, mut observed) = org(&[], &[[false; 4]; 4], &[], ClientMappingState::Done);
        observed.names.portal_roles = Some(vec!["manager".into(), "employee".into()]);
        assert!(
            export(&marker, &observed)
                .notes
                .iter()
                .all(|n| !n.plans_changes)
        );
        observed.names.portal_roles = Some(vec!["Lead".into(), "Staff".into()]);
        let exported = export(&marker, &observed);
        let warnings: Vec<&str> = exported
            .notes
            .iter()
            .filter(|n| n.plans_changes)
            .map(|n| n.text.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "The portal has no role named Employee, the default permissions.defaultRole; set it to the role pushed users should get, one of: Lead, Staff."
            ]
        );
        assert_eq!(exported.spec.permissions.default_role, "Employee");
    }
}
