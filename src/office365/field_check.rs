//! The contact field map held to the live org: every CRM field it names must exist in the
//! Contacts module with a type its Office 365 property can hold, or the plan stops with an
//! error naming the entry in the spec and the fields that do exist, and nothing is written.

use super::desired::Desired365;
use super::mapping::Mapping;
use super::observed::CrmFieldRef;
use crate::engine::diagnostic::{Diagnostic, DiagnosticCode};
use crate::spec::names::close_matches;

/// CRM field types whose values are text, as every mapped Office 365 contact property is.
const TEXT_TYPES: &[&str] = &["text", "textarea", "email", "phone", "website", "picklist"];
/// Types that read as text but cannot be written from a text: record references.
const REFERENCE_TYPES: &[&str] = &["lookup", "ownerlookup"];
/// How many existing fields a hint lists at most.
const LISTED: usize = 60;

/// Problems of the contact map against the Contacts fields of the org.
pub fn check_contact_fields(desired: &Desired365, fields: &[CrmFieldRef]) -> Vec<Diagnostic> {
    let mapping: &Mapping = &desired.setting(super::SyncKind::Contacts).mapping;
    let names: Vec<&str> = fields.iter().map(|f| f.api_name.as_str()).collect();
    let mut out = Vec::new();
    for (index, rule) in mapping.rules.iter().enumerate() {
        let at = match desired.contact_map_from_spec {
            true => format!("spec.contactsSync.fieldMap[{index}].crmField"),
            false => "spec.contactsSync".to_string(),
        };
        let found = fields
            .iter()
            .find(|f| f.api_name.eq_ignore_ascii_case(&rule.crm_field));
        let Some(field) = found else {
            let mut hint = match close_matches(&rule.crm_field, names.iter().copied(), 1)[..] {
                [closest] => format!("did you mean {closest}? "),
                _ => String::new(),
            };
            let mut listed: Vec<&str> = names.iter().copied().take(LISTED).collect();
            listed.sort_unstable();
            hint.push_str(&format!(
                "Contacts fields in this org: {}",
                listed.join(", ")
            ));
            if names.len() > LISTED {
                hint.push_str(&format!(" … and {} more", names.len() - LISTED));
            }
            out.push(error(
                DiagnosticCode::FieldNotFound,
                format!(
                    "contactsSync.fieldMap: CRM field Contacts.{} does not exist in this org",
                    rule.crm_field
                ),
                hint,
                at,
            ));
            continue;
        };
        let ty = field.data_type.to_ascii_lowercase();
        let fits = TEXT_TYPES.contains(&ty.as_str())
            || (REFERENCE_TYPES.contains(&ty.as_str()) && !rule.direction.writes_crm());
        if !fits {
            out.push(error(
                DiagnosticCode::FieldTypeIncompatible,
                format!(
                    "contactsSync.fieldMap: CRM field Contacts.{} is a {} field; Office 365's {} holds text",
                    field.api_name,
                    field.data_type,
                    rule.graph.as_str()
                ),
                "map text, email, phone, website or picklist fields; a lookup only with direction: toOffice365".to_string(),
                at,
            ));
        }
    }
    out
}

fn error(code: DiagnosticCode, message: String, hint: String, at: String) -> Diagnostic {
    Diagnostic::error(code, message).hint(hint).in_spec(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Office365IntegrationSpec;

    fn desired(map: &str) -> Desired365 {
        let spec: Office365IntegrationSpec = serde_saphyr::from_str(&format!(
            "connection: {{graphSecretRef: {{name: g}}}}\ntenant: t.com\ncontactsSync: {{users: [a@b.com]{map}}}\n"
        ))
        .unwrap();
        Desired365::from_spec("x", &spec).unwrap()
    }

    fn field(name: &str, ty: &str) -> CrmFieldRef {
        CrmFieldRef {
            api_name: name.into(),
            data_type: ty.into(),
        }
    }

    #[test]
    fn a_misspelt_field_is_named_with_its_entry_and_the_fields_that_exist() {
        let d = desired(
            ", fieldMap: [{crmField: First_Name, office365Field: givenName}, {crmField: Lst_Name, office365Field: surname}]",
        );
        let fields = [field("First_Name", "text"), field("Last_Name", "text")];
        let problems = check_contact_fields(&d, &fields);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, DiagnosticCode::FieldNotFound);
        assert_eq!(
            problems[0].message,
            "contactsSync.fieldMap: CRM field Contacts.Lst_Name does not exist in this org"
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean Last_Name? Contacts fields in this org: First_Name, Last_Name")
        );
        assert_eq!(
            problems[0].spec_at.as_deref(),
            Some("spec.contactsSync.fieldMap[1].crmField")
        );
    }

    #[test]
    fn types_must_hold_text_and_lookups_only_flow_out() {
        let d = desired(
            ", fieldMap: [{crmField: Birthday, office365Field: givenName}, {crmField: Account_Name, office365Field: companyName, direction: toOffice365}, {crmField: Lead_Source, office365Field: surname}]",
        );
        let fields = [
            field("Birthday", "date"),
            field("Account_Name", "lookup"),
            field("Lead_Source", "picklist"),
        ];
        let problems = check_contact_fields(&d, &fields);
        let codes: Vec<DiagnosticCode> = problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, [DiagnosticCode::FieldTypeIncompatible]);
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "contactsSync.fieldMap: CRM field Contacts.Birthday is a date field; Office 365's givenName holds text"
            ]
        );
    }

    #[test]
    fn the_built_in_map_points_at_contacts_sync() {
        let d = desired("");
        let problems = check_contact_fields(&d, &[field("Last_Name", "text")]);
        assert!(!problems.is_empty());
        assert!(
            problems
                .iter()
                .all(|p| p.spec_at.as_deref() == Some("spec.contactsSync"))
        );
    }
}
