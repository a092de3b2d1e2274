//! Planning access: each profile's related-list permissions on the link module, and the CRM
//! users pushed into the portal.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use super::link_module::LINK_MODULE_PLURAL;
use super::live_checks::valid_names_hint;
use super::model::*;
use super::planner::{Planner, permissions_view};
use crate::live::{Address, PermissionKind, PortalFacts, ProfileFacts};

impl<'a> Planner<'a> {
    pub(super) fn plan_permissions(&mut self, module_created: Option<&Address>) {
        for desired in &self.desired.profiles {
            let Some(live) = self
                .observed
                .profiles
                .iter()
                .find(|p| p.name == desired.name)
            else {
                self.profile_not_found(&desired.name);
                continue;
            };
            let Some(wanted) = &desired.related_list else {
                continue;
            };
            let current: BTreeMap<PermissionKind, bool> = PermissionKind::ALL
                .iter()
                .map(|k| (*k, live.link_permission(*k)))
                .collect();
            let mut target: BTreeMap<PermissionKind, bool> = PermissionKind::ALL
                .iter()
                .map(|k| (*k, wanted.get(k).copied().unwrap_or(false)))
                .collect();
            self.keep_locked_permissions(live, &current, &mut target);
            if module_created.is_none() && current == target {
                continue;
            }
            self.push_permissions(live, module_created, &current, target);
        }
    }

    /// A declared profile the org does not have, with the names it does have.
    fn profile_not_found(&mut self, name: &str) {
        let available = self.observed.profiles.iter().map(|p| p.name.as_str());
        let mut diagnostic = PlanDiagnostic::error(
            Code::ProfileNotFound,
            format!("CRM profile \"{name}\" does not exist"),
        )
        .hint(valid_names_hint(name, "profiles in this org", available))
        .at(Address::crm("profile", name.to_string()));
        if let Some(path) = self.profile_spec_path(name) {
            diagnostic = diagnostic.in_spec(path);
        }
        self.diag(diagnostic);
    }

    /// Zoho refuses changes to locked permissions (the Administrator profile's): keeps them
    /// as they are in `target` and says so, instead of planning a change that cannot succeed.
    fn keep_locked_permissions(
        &mut self,
        live: &ProfileFacts,
        current: &BTreeMap<PermissionKind, bool>,
        target: &mut BTreeMap<PermissionKind, bool>,
    ) {
        let locked: Vec<&str> = PermissionKind::ALL
            .iter()
            .filter(|k| live.link_permission_locked(**k) && target[*k] != current[*k])
            .map(|k| k.label())
            .collect();
        if locked.is_empty() {
            return;
        }
        for kind in PermissionKind::ALL {
            if live.link_permission_locked(kind) {
                target.insert(kind, current[&kind]);
            }
        }
        self.diag(
            PlanDiagnostic::warning(
                Code::PermissionLocked,
                format!(
                    "Zoho does not allow changing the {} permission(s) of profile {} on {}",
                    locked.join("/"),
                    live.name,
                    self.desired.link_module
                ),
            )
            .hint("the Administrator profile always has full access in Zoho CRM; declare it with all permissions true")
            .at(Address::crm("profile-permissions", format!("{}/{}", live.name, self.desired.link_module))),
        );
    }

    /// Sets a profile's related-list permissions to `target`; on a module created by this
    /// plan they are granted, not changed.
    fn push_permissions(
        &mut self,
        live: &ProfileFacts,
        module_created: Option<&Address>,
        current: &BTreeMap<PermissionKind, bool>,
        target: BTreeMap<PermissionKind, bool>,
    ) {
        let action = if module_created.is_some() {
            Action::Create
        } else {
            Action::Update
        };
        self.push(Change {
            address: Address::crm(
                "profile-permissions",
                format!("{}/{}", live.name, self.desired.link_module),
            ),
            action,
            reason: format!(
                "related-list permissions of profile {} on {}",
                live.name, LINK_MODULE_PLURAL
            ),
            before: module_created.is_none().then(|| permissions_view(current)),
            after: Some(permissions_view(&target)),
            destructive: false,
            depends_on: module_created.cloned().into_iter().collect(),
            operation: Operation::SetLinkPermissions {
                profile_id: live.id.clone(),
                profile_name: live.name.clone(),
                link_module: self.desired.link_module.clone(),
                permissions: target,
            },
        });
    }

    /// The CRM users who belong in the portal: active and confirmed users of profiles with
    /// access, adjusted by per-user overrides.
    pub(super) fn users_with_access(&mut self) -> BTreeSet<String> {
        let access_profiles: BTreeSet<&str> = self
            .desired
            .profiles
            .iter()
            .filter(|p| p.access)
            .map(|p| p.name.as_str())
            .collect();
        let mut wanted = BTreeSet::new();
        for user in &self.observed.users {
            let eligible = user.active && user.confirmed;
            let by_profile = access_profiles.contains(user.profile.as_str());
            match self.desired.user_access.get(&user.email) {
                Some(false) => {}
                Some(true) if !eligible => self.diag(
                    PlanDiagnostic::warning(
                        Code::UserNotActive,
                        format!("{} is not an active, confirmed CRM user and is not pushed into the portal", user.email),
                    )
                    .at(Address::crm("user", user.email.clone())),
                ),
                Some(true) => {
                    wanted.insert(user.email.clone());
                }
                None if eligible && by_profile => {
                    wanted.insert(user.email.clone());
                }
                None => {}
            }
        }
        for email in self.desired.user_access.keys() {
            if !self.observed.users.iter().any(|u| &u.email == email) {
                self.diag(
                    PlanDiagnostic::warning(
                        Code::UserNotFound,
                        format!("permissions.users names {email}, who is not a CRM user"),
                    )
                    .hint("check the address, or invite the user to CRM first")
                    .at(Address::crm("user", email.clone())),
                );
            }
        }
        wanted
    }

    pub(super) fn plan_portal_users(
        &mut self,
        portal: &PortalFacts,
        after_marker: Option<&Address>,
    ) {
        let wanted = self.users_with_access();
        let Some(portal_users) = &self.observed.portal_users else {
            return;
        };
        if self.prune {
            self.report_users_kept_despite_prune(portal, portal_users, &wanted);
        }
        let in_portal: BTreeSet<&str> = portal_users.iter().map(|u| u.email.as_str()).collect();
        for email in wanted {
            if in_portal.contains(email.as_str()) {
                // Already in the portal (owner included): keeps its role.
                continue;
            }
            self.push(Change {
                address: Address::projects("portal-user", format!("{}/{email}", portal.name)),
                action: Action::Create,
                reason: "CRM user of a profile with access is not in the portal".into(),
                before: None,
                after: Some(json!({"email": email, "role": self.desired.default_role})),
                destructive: false,
                depends_on: after_marker.cloned().into_iter().collect(),
                operation: Operation::AddPortalUser {
                    portal_id: portal.id.clone(),
                    email,
                    role: self.desired.default_role.clone(),
                },
            });
        }
    }

    /// Zoho Projects cannot tell which portal users projectlink added, so pruning never
    /// removes any: CRM users without access who are still in the portal are reported.
    pub(super) fn report_users_kept_despite_prune(
        &mut self,
        portal: &PortalFacts,
        portal_users: &[crate::live::PortalUserFacts],
        wanted: &BTreeSet<String>,
    ) {
        let crm_users: BTreeSet<&str> = self
            .observed
            .users
            .iter()
            .map(|u| u.email.as_str())
            .collect();
        let kept: Vec<&str> = portal_users
            .iter()
            .filter(|u| {
                u.active
                    && !u.owner
                    && !wanted.contains(&u.email)
                    && crm_users.contains(u.email.as_str())
            })
            .map(|u| u.email.as_str())
            .collect();
        if kept.is_empty() {
            return;
        }
        let shown: Vec<&str> = kept.iter().take(5).copied().collect();
        let more = kept.len().saturating_sub(shown.len());
        let list = if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        };
        self.diag(
            PlanDiagnostic::info(
                Code::PortalUsersKept,
                format!("{} CRM user(s) without access stay in portal \"{}\": {list}", kept.len(), portal.name),
            )
            .hint("prune never removes portal users (Zoho Projects cannot tell who projectlink added); remove them in Zoho Projects if they should go")
            .at(Address::projects("portal", portal.name.clone())),
        );
    }
}
