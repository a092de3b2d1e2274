//! Table tests of the planner, one per branch it takes, plus a property check that applying
//! a plan (simulated on the snapshot) and planning again yields no changes.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};

use super::planner::{PlanOptions, plan};
use super::*;
use crate::live::*;

fn perms(view: bool, create: bool, edit: bool, delete: bool) -> BTreeMap<PermissionKind, bool> {
    BTreeMap::from([
        (PermissionKind::View, view),
        (PermissionKind::Create, create),
        (PermissionKind::Edit, edit),
        (PermissionKind::Delete, delete),
    ])
}

fn desired() -> Desired {
    Desired {
        owner: "acme".into(),
        active: true,
        portal_name: "Acme Delivery".into(),
        uses_portal_owner_grant: false,
        link_module: "Linked_Projects".into(),
        modules: vec![
            DesiredModule {
                module: "Accounts".into(),
                lookup_field: "Account".into(),
                field_map: vec![],
            },
            DesiredModule {
                module: "Deals".into(),
                lookup_field: "Deal".into(),
                field_map: vec![FieldMapping {
                    project_field: "name".into(),
                    crm_field: "Deal_Name".into(),
                    direction: MapDirection::ToProject,
                    spec_path: String::new(),
                }],
            },
        ],
        profiles: vec![
            DesiredProfile {
                name: "Administrator".into(),
                access: true,
                related_list: Some(perms(true, true, true, true)),
            },
            DesiredProfile {
                name: "Standard".into(),
                access: true,
                related_list: Some(perms(true, true, false, false)),
            },
        ],
        user_access: BTreeMap::from([("intern@acme.com".to_string(), false)]),
        default_role: "Employee".into(),
        prune: false,
        max_change_percent: 30,
        observe_only: false,
        clients: Default::default(),
        deal_conversion: None,
        imports: Default::default(),
        named: Vec::new(),
    }
}

fn user(email: &str, profile: &str, active: bool, confirmed: bool) -> CrmUserFacts {
    CrmUserFacts {
        id: format!("u-{email}"),
        email: email.into(),
        name: email.into(),
        profile: profile.into(),
        active,
        confirmed,
    }
}

fn portal_user(email: &str, role: &str, owner: bool) -> PortalUserFacts {
    PortalUserFacts {
        id: format!("p-{email}"),
        email: email.into(),
        name: email.into(),
        role: role.into(),
        active: true,
        owner,
    }
}

/// A fresh org: nothing of projectlink's exists yet.
fn fresh() -> Observed {
    Observed {
        org: OrgFacts {
            id: "org1".into(),
            company_name: "Acme Corp".into(),
        },
        portals: vec![
            PortalFacts {
                id: "101".into(),
                name: "Acme Delivery".into(),
            },
            PortalFacts {
                id: "202".into(),
                name: "Acme Labs".into(),
            },
        ],
        portal_users: Some(vec![
            portal_user("owner@acme.com", "admin", true),
            portal_user("pat@acme.com", "Manager", false),
        ]),
        module_fields: BTreeMap::from([(
            "Deals".to_string(),
            vec![FieldFacts {
                id: "f1".into(),
                api_name: "Deal_Name".into(),
                data_type: "text".into(),
                ..Default::default()
            }],
        )]),
        profiles: vec![
            ProfileFacts {
                id: "pr1".into(),
                name: "Administrator".into(),
                link_permissions: BTreeMap::new(),
            },
            ProfileFacts {
                id: "pr2".into(),
                name: "Standard".into(),
                link_permissions: BTreeMap::new(),
            },
            ProfileFacts {
                id: "pr3".into(),
                name: "Sales".into(),
                link_permissions: BTreeMap::new(),
            },
        ],
        users: vec![
            user("admin@acme.com", "Administrator", true, true),
            user("intern@acme.com", "Standard", true, true),
            user("owner@acme.com", "Administrator", true, true),
            user("pat@acme.com", "Standard", true, true),
            user("sales@acme.com", "Sales", true, true),
            user("sleepy@acme.com", "Standard", false, true),
            user("new@acme.com", "Standard", true, false),
        ],
        ..Default::default()
    }
}

/// Applies a plan to the snapshot the way the executor changes the live systems.
fn simulate(observed: &Observed, plan: &Plan) -> Observed {
    let mut o = observed.clone();
    for change in &plan.changes {
        match &change.operation {
            Operation::WriteMarker { marker, .. } | Operation::RebindPortal { marker, .. } => {
                o.marker = MarkerFacts::Present {
                    variable_id: "var1".into(),
                    marker: marker.clone(),
                };
                o.link_record_count = Some(0);
            }
            Operation::RemoveLinkRecords { .. } => o.link_record_count = Some(0),
            Operation::CreateLinkModule { api_name, .. } => {
                o.link_module = Some(LinkModuleFacts {
                    id: "m1".into(),
                    api_name: api_name.clone(),
                    owner: Some(plan.integration.clone()),
                    fields: vec![],
                })
            }
            Operation::CreateField { field, .. } => {
                let module = o
                    .link_module
                    .as_mut()
                    .expect("module exists before its fields");
                module.fields.push(created_field(field, &plan.integration));
                module.fields.sort_by(|a, b| a.api_name.cmp(&b.api_name));
            }
            Operation::AdoptField { api_name, .. } => {
                let module = o.link_module.as_mut().unwrap();
                let f = module
                    .fields
                    .iter_mut()
                    .find(|f| &f.api_name == api_name)
                    .unwrap();
                f.owner = Some(plan.integration.clone());
            }
            Operation::DeleteField { api_name, .. } => {
                o.link_module
                    .as_mut()
                    .unwrap()
                    .fields
                    .retain(|f| &f.api_name != api_name);
            }
            Operation::SetLinkPermissions {
                profile_id,
                permissions,
                ..
            } => {
                let p = o.profiles.iter_mut().find(|p| &p.id == profile_id).unwrap();
                p.link_permissions = permissions
                    .iter()
                    .map(|(k, enabled)| {
                        (
                            *k,
                            PermissionFacts {
                                id: format!("{profile_id}-{k:?}"),
                                enabled: *enabled,
                                locked: false,
                            },
                        )
                    })
                    .collect();
            }
            Operation::AddPortalUser { email, role, .. } => {
                let users = o.portal_users.as_mut().unwrap();
                users.push(portal_user(email, role, false));
                users.sort_by(|a, b| a.email.cmp(&b.email));
            }
            // The data plane does not run without observed data facts.
            _ => {}
        }
    }
    o
}

/// A field as the link module lists it once created by `owner`'s plan.
fn created_field(field: &FieldSpec, owner: &str) -> FieldFacts {
    FieldFacts {
        id: format!("f-{}", field.api_name),
        api_name: field.api_name.clone(),
        label: field.label.clone(),
        data_type: field.data_type.clone(),
        lookup_module: field.lookup_module.clone(),
        custom: true,
        owner: Some(owner.to_string()),
    }
}

fn addresses(plan: &Plan) -> Vec<String> {
    plan.changes.iter().map(|c| c.address.to_string()).collect()
}

fn codes(plan: &Plan) -> Vec<DiagnosticCode> {
    plan.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn first_activation_binds_portal_then_builds_module_permissions_and_users() {
    let p = plan(&desired(), &fresh(), &PlanOptions::default());
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let a = addresses(&p);
    assert_eq!(a[0], "crm/variable/projectlink_integration");
    assert_eq!(a[1], "crm/module/Linked_Projects");
    assert!(a.contains(&"crm/field/Linked_Projects.Deal".to_string()));
    assert!(a.contains(&"crm/field/Linked_Projects.Account".to_string()));
    assert!(a.contains(&"crm/profile-permissions/Standard/Linked_Projects".to_string()));
    // admin: Administrator profile; pat already in the portal; owner excluded; intern
    // excluded by override; sales has no access; inactive and unconfirmed users never.
    let users: Vec<&String> = a
        .iter()
        .filter(|a| a.starts_with("projects/portal-user"))
        .collect();
    assert_eq!(users, ["projects/portal-user/Acme Delivery/admin@acme.com"]);
    assert!(p.refusal.is_none());
    assert_eq!(p.summary.create, 1 + 1 + 10 + 2 + 1);
    assert_eq!(p.summary.update, 0);
}

#[test]
fn applied_state_plans_no_changes() {
    let d = desired();
    let first = plan(&d, &fresh(), &PlanOptions::default());
    let after = simulate(&fresh(), &first);
    let second = plan(&d, &after, &PlanOptions::default());
    assert!(second.changes.is_empty(), "{:#?}", second.changes);
    assert!(second.refusal.is_none());
}

#[test]
fn planning_is_deterministic() {
    let a = plan(&desired(), &fresh(), &PlanOptions::default());
    let b = plan(&desired(), &fresh(), &PlanOptions::default());
    assert_eq!(a, b);
}

#[test]
fn missing_portal_is_an_error_with_a_hint_and_binds_nothing() {
    let mut d = desired();
    d.portal_name = "Nope".into();
    let p = plan(&d, &fresh(), &PlanOptions::default());
    assert_eq!(codes(&p), [DiagnosticCode::PortalNotFound]);
    assert!(
        p.diagnostics[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("no API to create a portal")
    );
    assert!(p.has_errors());
    assert!(
        !addresses(&p)
            .iter()
            .any(|a| a.contains("variable") || a.contains("portal-user"))
    );
}

#[test]
fn another_users_portal_without_its_grant_is_pending_approval() {
    let mut d = desired();
    d.uses_portal_owner_grant = true;
    let mut o = fresh();
    o.projects_grant = ProjectsGrant::PortalOwnerMissing;
    o.portals.clear();
    o.portal_users = None;
    let p = plan(&d, &o, &PlanOptions::default());
    assert_eq!(codes(&p), [DiagnosticCode::PendingApproval]);
    assert!(!p.has_errors());
}

fn bound(
    o: &mut Observed,
    portal_id: &str,
    portal_name: &str,
    owner: &str,
    state: IntegrationState,
) {
    o.marker = MarkerFacts::Present {
        variable_id: "var1".into(),
        marker: Marker {
            version: 1,
            owner: owner.into(),
            state,
            portal_id: portal_id.into(),
            portal_name: portal_name.into(),
            generation: 4,
            client_mapping: ClientMappingState::Done,
        },
    };
}

#[test]
fn portal_change_is_one_destructive_change_refused_without_force() {
    let d = desired();
    let mut o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    bound(&mut o, "202", "Acme Labs", "acme", IntegrationState::Active);
    let p = plan(&d, &o, &PlanOptions::default());
    assert_eq!(p.changes.len(), 1);
    assert!(p.changes[0].destructive);
    assert!(
        matches!(p.changes[0].operation, Operation::RebindPortal { ref marker, .. } if marker.generation == 5 && marker.portal_id == "101")
    );
    assert!(p.refusal.as_ref().unwrap().hint.contains("--force"));
    let forced = plan(
        &d,
        &o,
        &PlanOptions {
            force: true,
            ..Default::default()
        },
    );
    assert!(forced.refusal.is_none());
}

#[test]
fn reactivation_starts_a_new_generation() {
    let d = desired();
    let mut o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    bound(
        &mut o,
        "101",
        "Acme Delivery",
        "acme",
        IntegrationState::Deactivated,
    );
    let p = plan(&d, &o, &PlanOptions::default());
    let marker = p.changes.iter().find_map(|c| match &c.operation {
        Operation::WriteMarker { marker, .. } => Some(marker),
        _ => None,
    });
    let marker = marker.expect("marker rewritten");
    assert_eq!(
        (marker.generation, marker.state),
        (5, IntegrationState::Active)
    );
    assert_eq!(marker.client_mapping, ClientMappingState::Pending);
}

#[test]
fn org_bound_by_another_integration_plans_nothing() {
    let mut o = fresh();
    bound(
        &mut o,
        "101",
        "Acme Delivery",
        "globex",
        IntegrationState::Active,
    );
    let p = plan(&desired(), &o, &PlanOptions::default());
    assert!(p.changes.is_empty());
    assert_eq!(codes(&p), [DiagnosticCode::OrgBoundElsewhere]);
}

#[test]
fn unreadable_marker_is_never_overwritten() {
    let mut o = fresh();
    o.marker = MarkerFacts::Unreadable {
        variable_id: "v".into(),
        error: "not JSON".into(),
    };
    let p = plan(&desired(), &o, &PlanOptions::default());
    assert!(codes(&p).contains(&DiagnosticCode::MarkerUnreadable));
    assert!(!addresses(&p).iter().any(|a| a.contains("variable")));
}

#[test]
fn a_link_module_projectlink_does_not_own_is_left_alone() {
    let mut o = fresh();
    o.link_module = Some(LinkModuleFacts {
        id: "m".into(),
        api_name: "Linked_Projects".into(),
        owner: None,
        fields: vec![],
    });
    let p = plan(&desired(), &o, &PlanOptions::default());
    assert!(codes(&p).contains(&DiagnosticCode::LinkModuleNotOwned));
    assert!(
        !addresses(&p)
            .iter()
            .any(|a| a.starts_with("crm/field/") || a.starts_with("crm/module/"))
    );
}

#[test]
fn an_unmanaged_matching_field_is_adopted_and_a_mismatched_one_reported() {
    let d = desired();
    let mut o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    let fields = &mut o.link_module.as_mut().unwrap().fields;
    fields
        .iter_mut()
        .find(|f| f.api_name == "Portal_Id")
        .unwrap()
        .owner = None;
    let status = fields
        .iter_mut()
        .find(|f| f.api_name == "Project_Status")
        .unwrap();
    status.data_type = "integer".into();
    let p = plan(&d, &o, &PlanOptions::default());
    assert_eq!(addresses(&p), ["crm/field/Linked_Projects.Portal_Id"]);
    assert_eq!(p.changes[0].action, Action::Adopt);
    assert_eq!(codes(&p), [DiagnosticCode::LinkFieldConflict]);
}

#[test]
fn removing_a_module_deletes_its_lookup_only_with_prune() {
    let d = desired();
    let o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    let mut fewer = d.clone();
    fewer.modules.retain(|m| m.module != "Accounts");
    let p = plan(&fewer, &o, &PlanOptions::default());
    assert!(p.changes.is_empty());
    assert_eq!(codes(&p), [DiagnosticCode::PruneDisabled]);
    let pruned = plan(
        &fewer,
        &o,
        &PlanOptions {
            prune: true,
            force: true,
        },
    );
    assert_eq!(addresses(&pruned), ["crm/field/Linked_Projects.Account"]);
    assert!(pruned.changes[0].destructive);
    assert_eq!(pruned.changes[0].action, Action::Delete);
}

#[test]
fn editing_one_profile_plans_exactly_that_update() {
    let d = desired();
    let o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    let mut edited = d.clone();
    edited.profiles[1].related_list = Some(perms(true, true, true, false));
    let p = plan(&edited, &o, &PlanOptions::default());
    assert_eq!(
        addresses(&p),
        ["crm/profile-permissions/Standard/Linked_Projects"]
    );
    assert_eq!(p.changes[0].before.as_ref().unwrap()["edit"], false);
    assert_eq!(p.changes[0].after.as_ref().unwrap()["edit"], true);
}

#[test]
fn unknown_profile_and_unknown_override_user_are_reported() {
    let mut d = desired();
    d.profiles.push(DesiredProfile {
        name: "Ghost".into(),
        access: true,
        related_list: None,
    });
    d.user_access.insert("nobody@acme.com".into(), true);
    let p = plan(&d, &fresh(), &PlanOptions::default());
    assert_eq!(
        codes(&p),
        [
            DiagnosticCode::ProfileNotFound,
            DiagnosticCode::UserNotFound
        ]
    );
}

#[test]
fn field_map_problems_are_all_reported_at_once() {
    let mut d = desired();
    d.modules[1].field_map = vec![
        FieldMapping {
            project_field: "name".into(),
            crm_field: "Missing_Field".into(),
            direction: MapDirection::ToProject,
            spec_path: String::new(),
        },
        FieldMapping {
            project_field: "end_date".into(),
            crm_field: "Deal_Name".into(),
            direction: MapDirection::ToProject,
            spec_path: String::new(),
        },
        FieldMapping {
            project_field: "budget".into(),
            crm_field: "Deal_Name".into(),
            direction: MapDirection::ToCrm,
            spec_path: String::new(),
        },
    ];
    let p = plan(&d, &fresh(), &PlanOptions::default());
    let mut c = codes(&p);
    c.sort();
    assert_eq!(
        c,
        [
            DiagnosticCode::FieldNotFound,
            DiagnosticCode::FieldTypeIncompatible,
            DiagnosticCode::ProjectFieldNotFound
        ]
    );
}

#[test]
fn deactivation_removes_links_revokes_permissions_and_writes_the_marker_last() {
    let d = desired();
    let mut o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    o.link_record_count = Some(12);
    let mut off = d.clone();
    off.active = false;
    let p = plan(&off, &o, &PlanOptions::default());
    assert_eq!(
        p.changes.first().unwrap().address.to_string(),
        "crm/records/Linked_Projects"
    );
    let last = p.changes.last().unwrap();
    assert!(
        matches!(&last.operation, Operation::WriteMarker { marker, .. } if marker.state == IntegrationState::Deactivated)
    );
    assert_eq!(last.depends_on.len(), 3);
    assert!(!addresses(&p).iter().any(|a| a.contains("portal-user")));
    // Deactivating is what the spec asks for: not refused.
    assert!(p.refusal.is_none(), "{:?}", p.refusal);
    let after = simulate(&o, &p);
    assert!(
        plan(&off, &after, &PlanOptions::default())
            .changes
            .is_empty()
    );
}

#[test]
fn locked_permissions_are_kept_and_reported_not_planned() {
    let d = desired();
    let mut o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    for perm in o.profiles[0].link_permissions.values_mut() {
        perm.locked = true;
    }
    let mut edited = d.clone();
    edited.profiles[0].related_list = Some(perms(true, false, false, false));
    let p = plan(&edited, &o, &PlanOptions::default());
    assert!(p.changes.is_empty(), "{:#?}", p.changes);
    assert_eq!(codes(&p), [DiagnosticCode::PermissionLocked]);
    // Deactivation revokes what it can and leaves locked permissions alone.
    let mut off = d.clone();
    off.active = false;
    let p = plan(&off, &o, &PlanOptions::default());
    assert!(
        !addresses(&p).iter().any(|a| a.contains("Administrator")),
        "{:?}",
        addresses(&p)
    );
}

#[test]
fn prune_reports_portal_users_without_access_but_never_removes_them() {
    let d = desired();
    let o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    let mut fewer = d.clone();
    fewer.user_access.insert("pat@acme.com".into(), false);
    let quiet = plan(&fewer, &o, &PlanOptions::default());
    assert!(quiet.changes.is_empty() && quiet.diagnostics.is_empty());
    let pruned = plan(
        &fewer,
        &o,
        &PlanOptions {
            prune: true,
            force: false,
        },
    );
    assert!(pruned.changes.is_empty());
    assert_eq!(codes(&pruned), [DiagnosticCode::PortalUsersKept]);
    assert!(pruned.diagnostics[0].message.contains("pat@acme.com"));
}

#[test]
fn deactivating_something_never_activated_does_nothing() {
    let mut off = desired();
    off.active = false;
    let p = plan(&off, &fresh(), &PlanOptions::default());
    assert!(p.changes.is_empty() && p.diagnostics.is_empty());
}

#[test]
fn plans_touching_too_many_managed_objects_are_refused_unless_forced() {
    let d = desired();
    let o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    let mut edited = d.clone();
    edited.max_change_percent = 5;
    edited.profiles[0].related_list = Some(perms(true, false, false, false));
    edited.profiles[1].related_list = Some(perms(false, false, false, false));
    let p = plan(&edited, &o, &PlanOptions::default());
    assert!(
        p.refusal
            .as_ref()
            .unwrap()
            .reason
            .contains("maxChangePercent")
    );
    assert!(
        plan(
            &edited,
            &o,
            &PlanOptions {
                force: true,
                prune: false
            }
        )
        .refusal
        .is_none()
    );
}

#[test]
fn destructive_changes_come_first() {
    let d = desired();
    let mut o = simulate(&fresh(), &plan(&d, &fresh(), &PlanOptions::default()));
    bound(&mut o, "202", "Acme Labs", "acme", IntegrationState::Active);
    let mut edited = d.clone();
    edited.profiles[1].related_list = Some(perms(true, true, true, true));
    let p = plan(&edited, &o, &PlanOptions::default());
    assert!(p.changes[0].destructive);
    assert!(!p.changes[1].destructive);
}

#[test]
fn apply_then_plan_is_empty_for_random_specs() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let all_modules = [
        ("Accounts", "Account"),
        ("Contacts", "Contact"),
        ("Deals", "Deal"),
        ("Cases", "Case"),
    ];
    for _ in 0..200 {
        let mut d = desired();
        d.modules = all_modules
            .iter()
            .filter(|_| rng.random_bool(0.5))
            .map(|(m, l)| DesiredModule {
                module: m.to_string(),
                lookup_field: l.to_string(),
                field_map: vec![],
            })
            .collect();
        for p in &mut d.profiles {
            p.access = rng.random_bool(0.5);
            p.related_list = rng
                .random_bool(0.8)
                .then(|| perms(rng.random(), rng.random(), rng.random(), rng.random()));
        }
        d.active = rng.random_bool(0.9);
        let mut o = fresh();
        if rng.random_bool(0.3) {
            // Start from an earlier applied state of another shape.
            let earlier = desired();
            o = simulate(&o, &plan(&earlier, &o, &PlanOptions::default()));
        }
        let options = PlanOptions {
            prune: true,
            force: true,
        };
        let first = plan(&d, &o, &options);
        let after = simulate(&o, &first);
        let second = plan(&d, &after, &options);
        assert!(
            second.changes.is_empty(),
            "spec {d:#?} left {:#?}",
            second.changes
        );
    }
}

mod rendering;
