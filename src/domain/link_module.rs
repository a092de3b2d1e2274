//! What the link module must contain: its base fields (project details shown in the
//! related list) and one lookup per enabled module.

use serde::{Deserialize, Serialize};

/// A field of the link module as projectlink creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub api_name: String,
    pub label: String,
    pub data_type: String,
    /// For lookups: the module looked up.
    pub lookup_module: Option<String>,
    pub unique: bool,
    pub length: Option<u32>,
}

/// Label of the link module as CRM shows it.
pub const LINK_MODULE_PLURAL: &str = "Zoho Projects";
pub const LINK_MODULE_SINGULAR: &str = "Zoho Project";

/// The base fields every link module carries, besides the module's own `Name` field.
pub fn base_fields() -> Vec<FieldSpec> {
    let text = |api: &str, label: &str, unique: bool| FieldSpec {
        api_name: api.into(),
        label: label.into(),
        data_type: "text".into(),
        lookup_module: None,
        unique,
        length: Some(255),
    };
    let typed = |api: &str, label: &str, data_type: &str| FieldSpec {
        api_name: api.into(),
        label: label.into(),
        data_type: data_type.into(),
        lookup_module: None,
        unique: false,
        length: None,
    };
    vec![
        text("Project_Id", "Project Id", true),
        text("Portal_Id", "Portal Id", false),
        text("Project_Status", "Project Status", false),
        text("Project_Owner", "Project Owner", false),
        typed("Start_Date", "Start Date", "date"),
        typed("End_Date", "End Date", "date"),
        typed("Percent_Complete", "Percent Complete", "percent"),
        typed("Project_Url", "Project Url", "website"),
    ]
}

/// The lookup field that shows the related list in `module`.
pub fn lookup_field(api_name: &str, module: &str) -> FieldSpec {
    FieldSpec {
        api_name: api_name.into(),
        label: api_name.replace('_', " "),
        data_type: "lookup".into(),
        lookup_module: Some(module.into()),
        unique: false,
        length: None,
    }
}

/// Whether an existing field's type satisfies the declared one.
pub fn same_shape(declared: &FieldSpec, data_type: &str, lookup_module: Option<&str>) -> bool {
    declared.data_type.eq_ignore_ascii_case(data_type)
        && declared.lookup_module.as_deref() == lookup_module
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fields_have_unique_api_names_and_one_unique_key() {
        let fields = base_fields();
        let mut names: Vec<_> = fields.iter().map(|f| f.api_name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), fields.len());
        assert_eq!(
            fields
                .iter()
                .filter(|f| f.unique)
                .map(|f| f.api_name.as_str())
                .collect::<Vec<_>>(),
            ["Project_Id"]
        );
    }

    #[test]
    fn lookups_match_only_the_same_module() {
        let f = lookup_field("Deal", "Deals");
        assert!(same_shape(&f, "lookup", Some("Deals")));
        assert!(!same_shape(&f, "lookup", Some("Accounts")));
        assert!(!same_shape(&f, "text", None));
    }
}
