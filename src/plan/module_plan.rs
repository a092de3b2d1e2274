//! Planning the link module: the module itself, its base fields and one lookup per enabled
//! module, adoption of matching unmanaged fields, pruning of lookups no longer declared, and
//! the field-map checks against live metadata.

use std::collections::BTreeSet;

use serde_json::json;

use super::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use super::field_map::{MappingProblem, check_mapping};
use super::link_module::{self, LINK_MODULE_PLURAL, LINK_MODULE_SINGULAR};
use super::model::*;
use super::planner::Planner;
use crate::live::{Address, LinkModuleFacts, PermissionKind};

impl<'a> Planner<'a> {
    /// Plans the module and its fields; returns the address of the module's creation.
    pub(super) fn plan_link_module(&mut self, after_marker: Option<&Address>) -> Option<Address> {
        let module_name = self.desired.link_module.clone();
        let module_address = Address::crm("module", module_name.clone());
        let mut declared = link_module::base_fields();
        for m in &self.desired.modules {
            declared.push(link_module::lookup_field(&m.lookup_field, &m.module));
        }
        let observed = self.observed;
        let Some(live) = &observed.link_module else {
            self.plan_module_create(&module_name, &module_address, declared, after_marker);
            return Some(module_address);
        };
        if live.owner.as_deref() != Some(self.desired.owner.as_str()) {
            let whose = live
                .owner
                .as_deref()
                .map(|o| format!("is managed by integration \"{o}\""))
                .unwrap_or_else(|| "was not created by projectlink".into());
            self.diag(
                PlanDiagnostic::error(
                    Code::LinkModuleNotOwned,
                    format!("CRM module {module_name} already exists and {whose}"),
                )
                .hint("projectlink never edits what it does not own: set relatedLists.linkModule to another api name, or remove that module in CRM")
                .at(module_address),
            );
            return None;
        }
        let declared_names: BTreeSet<String> =
            declared.iter().map(|f| f.api_name.clone()).collect();
        self.plan_declared_fields(live, &module_name, declared);
        self.plan_stale_lookups(live, &module_name, &declared_names);
        None
    }

    /// The module does not exist: create it, then every declared field in it.
    fn plan_module_create(
        &mut self,
        module_name: &str,
        module_address: &Address,
        declared: Vec<FieldSpec>,
        after_marker: Option<&Address>,
    ) {
        let profile_ids = self.profiles_for_module_creation();
        self.push(Change {
            address: module_address.clone(),
            action: Action::Create,
            reason: format!("custom module holding one record per project association; its label \"{LINK_MODULE_PLURAL}\" names the related list"),
            before: None,
            after: Some(json!({"api_name": module_name, "plural_label": LINK_MODULE_PLURAL})),
            destructive: false,
            depends_on: after_marker.cloned().into_iter().collect(),
            operation: Operation::CreateLinkModule {
                api_name: module_name.to_string(),
                singular_label: LINK_MODULE_SINGULAR.into(),
                plural_label: LINK_MODULE_PLURAL.into(),
                description: format!("Projects linked to CRM records. {}", self.owner_tag()),
                profile_ids,
            },
        });
        for field in declared {
            self.plan_field_create(module_name, field, Some(module_address));
        }
    }

    /// Each declared field: created when missing, adopted when an unmanaged one matches,
    /// reported when one of the name has another shape.
    fn plan_declared_fields(
        &mut self,
        live: &LinkModuleFacts,
        module_name: &str,
        declared: Vec<FieldSpec>,
    ) {
        for field in declared {
            match live.fields.iter().find(|f| f.api_name == field.api_name) {
                None => self.plan_field_create(module_name, field, None),
                Some(existing)
                    if !link_module::same_shape(
                        &field,
                        &existing.data_type,
                        existing.lookup_module.as_deref(),
                    ) =>
                {
                    let have = match &existing.lookup_module {
                        Some(m) => format!("lookup to {m}"),
                        None => existing.data_type.clone(),
                    };
                    let want = match &field.lookup_module {
                        Some(m) => format!("lookup to {m}"),
                        None => field.data_type.clone(),
                    };
                    self.diag(
                    PlanDiagnostic::error(
                        Code::LinkFieldConflict,
                        format!("field {module_name}.{} is a {have}, but projectlink needs a {want}", field.api_name),
                    )
                    .hint("CRM cannot change a field's type: delete or rename that field in CRM, then plan again")
                    .at(Address::crm("field", format!("{module_name}.{}", field.api_name))),
                );
                }
                Some(existing)
                    if existing.owner.as_deref() == Some(self.desired.owner.as_str()) => {}
                Some(existing) => {
                    let tooltip = self.owner_tag();
                    self.push(Change {
                    address: Address::crm("field", format!("{module_name}.{}", field.api_name)),
                    action: Action::Adopt,
                    reason: "an unmanaged field already matches the declared one; mark it as managed".into(),
                    before: Some(json!({"owner": existing.owner})),
                    after: Some(json!({"owner": self.desired.owner})),
                    destructive: false,
                    depends_on: vec![],
                    operation: Operation::AdoptField {
                        module: module_name.to_string(),
                        field_id: existing.id.clone(),
                        api_name: existing.api_name.clone(),
                        tooltip,
                    },
                });
                }
            }
        }
    }

    /// Lookups we own that the spec no longer lists: their related lists and associations
    /// go, with the prune opt-in.
    fn plan_stale_lookups(
        &mut self,
        live: &LinkModuleFacts,
        module_name: &str,
        declared_names: &BTreeSet<String>,
    ) {
        for field in &live.fields {
            let ours = field.owner.as_deref() == Some(self.desired.owner.as_str());
            if !ours || field.data_type != "lookup" || declared_names.contains(&field.api_name) {
                continue;
            }
            let address = Address::crm("field", format!("{module_name}.{}", field.api_name));
            let target = field.lookup_module.clone().unwrap_or_default();
            if self.prune {
                self.push(Change {
                address,
                action: Action::Delete,
                reason: format!("{target} is no longer in relatedLists.modules: its related list and associations are removed"),
                before: Some(json!({"data_type": "lookup", "lookup": target})),
                after: None,
                destructive: true,
                depends_on: vec![],
                operation: Operation::DeleteField {
                    module: module_name.to_string(),
                    field_id: field.id.clone(),
                    api_name: field.api_name.clone(),
                },
            });
            } else {
                self.diag(
                PlanDiagnostic::info(
                    Code::PruneDisabled,
                    format!("{target} is no longer in relatedLists.modules; its lookup {module_name}.{} stays until pruned", field.api_name),
                )
                .hint("apply with --prune (or policy.prune: true) to remove it and its associations")
                .at(address),
            );
            }
        }
    }

    pub(super) fn plan_field_create(
        &mut self,
        module: &str,
        field: FieldSpec,
        after: Option<&Address>,
    ) {
        let reason = match &field.lookup_module {
            Some(target) => {
                format!("lookup that shows the \"{LINK_MODULE_PLURAL}\" related list in {target}")
            }
            None => "project detail shown in the related list".to_string(),
        };
        let mut after_view = json!({"label": field.label, "data_type": field.data_type});
        if let Some(target) = &field.lookup_module {
            after_view["lookup"] = json!(target);
        }
        if field.unique {
            after_view["unique"] = json!(true);
        }
        self.push(Change {
            address: Address::crm("field", format!("{module}.{}", field.api_name)),
            action: Action::Create,
            reason,
            before: None,
            after: Some(after_view),
            destructive: false,
            depends_on: after.cloned().into_iter().collect(),
            operation: Operation::CreateField {
                module: module.to_string(),
                field,
                tooltip: self.owner_tag(),
            },
        });
    }

    /// Zoho requires at least one profile when a module is created: the spec's profiles that
    /// may view the related list, or every declared profile if none may.
    pub(super) fn profiles_for_module_creation(&self) -> Vec<String> {
        let wanted: Vec<&str> = self
            .desired
            .profiles
            .iter()
            .filter(|p| {
                p.related_list
                    .as_ref()
                    .is_some_and(|perms| perms.get(&PermissionKind::View).copied().unwrap_or(false))
            })
            .map(|p| p.name.as_str())
            .collect();
        let mut ids: Vec<String> = self
            .observed
            .profiles
            .iter()
            .filter(|p| {
                wanted.contains(&p.name.as_str())
                    || (wanted.is_empty() && p.name == "Administrator")
            })
            .map(|p| p.id.clone())
            .collect();
        ids.sort();
        ids
    }

    pub(super) fn check_field_maps(&mut self) {
        for module in &self.desired.modules {
            let crm_fields = self
                .observed
                .module_fields
                .get(&module.module)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for mapping in &module.field_map {
                let address = Address::crm(
                    "field-map",
                    format!("{}.{}", module.module, mapping.crm_field),
                );
                for problem in
                    check_mapping(mapping, crm_fields, &self.observed.project_custom_fields)
                {
                    let d = match problem {
                        MappingProblem::CrmFieldMissing => PlanDiagnostic::error(
                            Code::FieldNotFound,
                            format!("CRM field {}.{} does not exist", module.module, mapping.crm_field),
                        )
                        .hint(existing_fields_hint(
                            &mapping.crm_field,
                            &format!("fields of {} in this org", module.module),
                            crm_fields.iter().map(|f| f.api_name.as_str()),
                        )),
                        MappingProblem::ProjectFieldMissing => PlanDiagnostic::error(
                            Code::ProjectFieldNotFound,
                            format!("Projects field \"{}\" does not exist in the portal", mapping.project_field),
                        )
                        .hint(existing_fields_hint(
                            &mapping.project_field,
                            "Projects fields in this portal",
                            crate::plan::field_values::BUILTIN_FIELDS
                                .iter()
                                .map(|b| b.name)
                                .chain(
                                    self.observed
                                        .project_custom_fields
                                        .iter()
                                        .map(|f| f.column_name.as_str()),
                                ),
                        )),
                        MappingProblem::CrmFieldReadOnly { data_type } => PlanDiagnostic::error(
                            Code::FieldReadOnly,
                            format!("CRM field {}.{} is a {data_type} field and cannot be written", module.module, mapping.crm_field),
                        )
                        .hint("map ToCrm only onto editable fields"),
                        MappingProblem::Incompatible { crm_type } => PlanDiagnostic::error(
                            Code::FieldTypeIncompatible,
                            format!(
                                "{} and {}.{} ({crm_type}) have incompatible types for {:?}",
                                mapping.project_field, module.module, mapping.crm_field, mapping.direction
                            ),
                        )
                        .hint("dates map onto date fields, numbers onto number fields; anything can be written into a text field"),
                    };
                    self.diag(d.at(address.clone()));
                }
            }
        }
    }
}

/// "did you mean X? <what>: a, b, c": the closest existing name and every name that exists,
/// so a misspelt field map entry can be fixed from the message alone.
fn existing_fields_hint<'a>(
    wrong: &str,
    what: &str,
    existing: impl Iterator<Item = &'a str>,
) -> String {
    const LISTED: usize = 60;
    let mut names: Vec<&str> = existing.collect();
    names.sort_unstable();
    names.dedup();
    let mut hint = match crate::spec::names::close_matches(wrong, names.iter().copied(), 1)[..] {
        [closest] => format!("did you mean {closest}? "),
        _ => String::new(),
    };
    let shown: Vec<&str> = names.iter().copied().take(LISTED).collect();
    hint.push_str(&format!("{what}: {}", shown.join(", ")));
    if names.len() > LISTED {
        hint.push_str(&format!(" … and {} more", names.len() - LISTED));
    }
    hint
}
