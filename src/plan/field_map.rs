//! Field-map checks against live metadata: the CRM field exists in its module, the Projects
//! field exists, and their types are compatible in the mapped direction.

use super::desired::{FieldMapping, MapDirection};
use super::field_values::{ProjectKind, builtin_kind, custom_kind};
use crate::live::{FieldFacts, ProjectCustomFieldFacts};

/// Broad value families that conversions work within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFamily {
    Text,
    Date,
    Number,
    /// `true` or `false`: CRM checkboxes and Projects boolean fields.
    Boolean,
    /// Values no conversion can write (lookups, formulas, files, ...).
    Other,
}

/// The family of a CRM `data_type`.
pub fn crm_family(data_type: &str) -> ValueFamily {
    match data_type {
        "text" | "textarea" | "email" | "phone" | "website" | "picklist" | "autonumber" => {
            ValueFamily::Text
        }
        "date" | "datetime" => ValueFamily::Date,
        "integer" | "bigint" | "double" | "decimal" | "currency" | "percent" => ValueFamily::Number,
        "boolean" => ValueFamily::Boolean,
        _ => ValueFamily::Other,
    }
}

/// CRM types that cannot be written through the records API.
pub fn crm_read_only(data_type: &str) -> bool {
    matches!(data_type, "formula" | "autonumber" | "rollup_summary")
}

/// The family of a Projects field's kind.
fn kind_family(kind: ProjectKind) -> ValueFamily {
    match kind {
        ProjectKind::Text | ProjectKind::Multiline => ValueFamily::Text,
        ProjectKind::Integer | ProjectKind::Decimal => ValueFamily::Number,
        ProjectKind::Date => ValueFamily::Date,
        ProjectKind::Boolean => ValueFamily::Boolean,
    }
}

/// The family of a Projects field, built-in (`field_values::BUILTIN_FIELDS`) or custom;
/// `None` when it does not exist.
pub fn project_family(field: &str, custom: &[ProjectCustomFieldFacts]) -> Option<ValueFamily> {
    builtin_kind(field)
        .or_else(|| {
            custom
                .iter()
                .find(|c| c.column_name.eq_ignore_ascii_case(field))
                .map(|c| custom_kind(&c.field_type))
        })
        .map(kind_family)
}

/// Whether a value of family `from` can be written into a field of family `to`.
pub fn convertible(from: ValueFamily, to: ValueFamily) -> bool {
    match (from, to) {
        (_, ValueFamily::Other) | (ValueFamily::Other, _) => false,
        (a, b) if a == b => true,
        // Anything renders as text.
        (_, ValueFamily::Text) => true,
        _ => false,
    }
}

/// Problems with one mapping, as (what is wrong, hint). Empty when the mapping is sound.
pub fn check_mapping(
    mapping: &FieldMapping,
    crm_fields: &[FieldFacts],
    project_custom: &[ProjectCustomFieldFacts],
) -> Vec<MappingProblem> {
    let mut problems = Vec::new();
    let crm = crm_fields.iter().find(|f| f.api_name == mapping.crm_field);
    let project = project_family(&mapping.project_field, project_custom);
    if project.is_none() {
        problems.push(MappingProblem::ProjectFieldMissing);
    }
    let Some(crm) = crm else {
        problems.push(MappingProblem::CrmFieldMissing);
        return problems;
    };
    let crm_fam = crm_family(&crm.data_type);
    if mapping.direction == MapDirection::ToCrm && crm_read_only(&crm.data_type) {
        problems.push(MappingProblem::CrmFieldReadOnly {
            data_type: crm.data_type.clone(),
        });
        return problems;
    }
    if let Some(project) = project {
        let ok = match mapping.direction {
            MapDirection::ToCrm => convertible(project, crm_fam),
            MapDirection::ToProject => convertible(crm_fam, project),
        };
        if !ok {
            problems.push(MappingProblem::Incompatible {
                crm_type: crm.data_type.clone(),
            });
        }
    }
    problems
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingProblem {
    CrmFieldMissing,
    ProjectFieldMissing,
    CrmFieldReadOnly { data_type: String },
    Incompatible { crm_type: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(api: &str, data_type: &str) -> FieldFacts {
        FieldFacts {
            api_name: api.into(),
            data_type: data_type.into(),
            ..Default::default()
        }
    }

    fn map(project: &str, crm: &str, direction: MapDirection) -> FieldMapping {
        FieldMapping {
            project_field: project.into(),
            crm_field: crm.into(),
            direction,
            spec_path: String::new(),
        }
    }

    #[test]
    fn missing_crm_field_is_reported() {
        let p = check_mapping(&map("name", "Nope", MapDirection::ToProject), &[], &[]);
        assert_eq!(p, vec![MappingProblem::CrmFieldMissing]);
    }

    #[test]
    fn unknown_project_field_is_reported() {
        let p = check_mapping(
            &map("budget", "Deal_Name", MapDirection::ToProject),
            &[field("Deal_Name", "text")],
            &[],
        );
        assert_eq!(p, vec![MappingProblem::ProjectFieldMissing]);
    }

    #[test]
    fn a_date_cannot_fill_a_number() {
        let p = check_mapping(
            &map("end_date", "Amount", MapDirection::ToCrm),
            &[field("Amount", "currency")],
            &[],
        );
        assert_eq!(
            p,
            vec![MappingProblem::Incompatible {
                crm_type: "currency".into()
            }]
        );
    }

    #[test]
    fn anything_can_be_written_as_text() {
        assert!(
            check_mapping(
                &map("percent_complete", "Project_Status__c", MapDirection::ToCrm),
                &[field("Project_Status__c", "text")],
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn formulas_are_never_written() {
        let p = check_mapping(
            &map("status", "Score", MapDirection::ToCrm),
            &[field("Score", "formula")],
            &[],
        );
        assert!(matches!(p[0], MappingProblem::CrmFieldReadOnly { .. }));
    }

    #[test]
    fn booleans_map_onto_checkboxes_or_text_only() {
        let custom = vec![ProjectCustomFieldFacts {
            column_name: "UDF_BOOLEAN1".into(),
            label: "Billable".into(),
            field_type: "boolean".into(),
            api_name: None,
        }];
        let fields = [field("Billable__c", "boolean"), field("Notes", "text")];
        for direction in [MapDirection::ToCrm, MapDirection::ToProject] {
            assert!(
                check_mapping(
                    &map("UDF_BOOLEAN1", "Billable__c", direction),
                    &fields,
                    &custom
                )
                .is_empty()
            );
        }
        assert!(
            check_mapping(
                &map("UDF_BOOLEAN1", "Notes", MapDirection::ToCrm),
                &fields,
                &custom
            )
            .is_empty()
        );
        assert_eq!(
            check_mapping(
                &map("name", "Billable__c", MapDirection::ToCrm),
                &fields,
                &custom
            ),
            vec![MappingProblem::Incompatible {
                crm_type: "boolean".into()
            }]
        );
    }

    #[test]
    fn custom_project_fields_are_typed_by_their_kind() {
        let custom = vec![ProjectCustomFieldFacts {
            column_name: "UDF_DATE1".into(),
            label: "Go-live".into(),
            field_type: "date".into(),
            api_name: None,
        }];
        assert!(
            check_mapping(
                &map("UDF_DATE1", "Closing_Date", MapDirection::ToProject),
                &[field("Closing_Date", "date")],
                &custom
            )
            .is_empty()
        );
    }
}
