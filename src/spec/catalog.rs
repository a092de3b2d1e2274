//! Static facts about Zoho the spec is checked against: the CRM modules that can show the
//! "Zoho Projects" related list, and the Zoho Projects fields a field map may name.

/// A CRM module that can show the "Zoho Projects" related list, with the lookup field the
/// link module gets for it (the lookup is what makes CRM show the related list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SupportedModule {
    /// CRM API name of the module, as written in `relatedLists.modules[].module`.
    pub api_name: &'static str,
    /// API name of the lookup field to this module in the link module.
    pub lookup_field: &'static str,
}

/// Every module Zoho supports for the Projects related list, in Zoho's order.
pub const SUPPORTED_MODULES: [SupportedModule; 10] = [
    SupportedModule {
        api_name: "Contacts",
        lookup_field: "Contact",
    },
    SupportedModule {
        api_name: "Accounts",
        lookup_field: "Account",
    },
    SupportedModule {
        api_name: "Deals",
        lookup_field: "Deal",
    },
    SupportedModule {
        api_name: "Products",
        lookup_field: "Product",
    },
    SupportedModule {
        api_name: "Cases",
        lookup_field: "Case",
    },
    SupportedModule {
        api_name: "Quotes",
        lookup_field: "Quote",
    },
    SupportedModule {
        api_name: "Sales_Orders",
        lookup_field: "Sales_Order",
    },
    SupportedModule {
        api_name: "Purchase_Orders",
        lookup_field: "Purchase_Order",
    },
    SupportedModule {
        api_name: "Invoices",
        lookup_field: "Invoice",
    },
    SupportedModule {
        api_name: "Campaigns",
        lookup_field: "Campaign",
    },
];

/// The supported module with this exact API name.
pub fn supported_module(api_name: &str) -> Option<&'static SupportedModule> {
    SUPPORTED_MODULES.iter().find(|m| m.api_name == api_name)
}

/// The API names of the supported modules, for messages and schemas.
pub fn supported_module_names() -> impl Iterator<Item = &'static str> {
    SUPPORTED_MODULES.iter().map(|m| m.api_name)
}

/// Standard Zoho Projects project fields a field map may name. Custom project fields are
/// named by their column name (`UDF_CHAR1`, `UDF_DATE2`, ...), see [`is_project_field`].
pub const PROJECT_FIELDS: [&str; 8] = [
    "name",
    "description",
    "owner",
    "status",
    "start_date",
    "end_date",
    "percent_complete",
    // The project's page in Zoho Projects (V3 `link.web_url`, legacy `link.web.url`).
    "web_url",
];

/// How the schema (hence the CRD and editors) describes `fieldMap[].projectField`, naming
/// every field of [`PROJECT_FIELDS`] so the list cannot fall behind it.
pub fn project_field_description() -> String {
    let standard: Vec<String> = PROJECT_FIELDS.iter().map(|f| format!("`{f}`")).collect();
    format!(
        "Zoho Projects field: {}, or a custom field's column name (`{CUSTOM_PROJECT_FIELD_PREFIX}...`).",
        standard.join(", ")
    )
}

/// Prefix of the column names Zoho Projects gives custom project fields.
pub const CUSTOM_PROJECT_FIELD_PREFIX: &str = "UDF_";

/// Whether `name` is a standard project field or has the shape of a custom field column name
/// (`UDF_` followed by upper-case letters, digits or underscores). Whether such a custom
/// field exists in the portal is only known live.
pub fn is_project_field(name: &str) -> bool {
    if PROJECT_FIELDS.contains(&name) {
        return true;
    }
    match name.strip_prefix(CUSTOM_PROJECT_FIELD_PREFIX) {
        Some(rest) => {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }
        None => false,
    }
}

/// Longest API name Zoho CRM accepts for a custom module or field.
pub const MAX_CRM_API_NAME_LEN: usize = 50;

/// Whether `name` has the shape of a CRM API name: ASCII letters, digits and underscores,
/// starting with a letter, at most [`MAX_CRM_API_NAME_LEN`] characters.
pub fn is_crm_api_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() => {}
        _ => return false,
    }
    name.len() <= MAX_CRM_API_NAME_LEN && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Standard CRM modules besides the supported ones; a link module may not reuse their names.
pub const OTHER_STANDARD_MODULES: [&str; 11] = [
    "Leads",
    "Tasks",
    "Events",
    "Calls",
    "Notes",
    "Attachments",
    "Vendors",
    "Price_Books",
    "Solutions",
    "Users",
    "Activities",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_module_has_a_lookup_field_that_is_a_crm_api_name() {
        for module in SUPPORTED_MODULES {
            assert!(is_crm_api_name(module.api_name), "{}", module.api_name);
            assert!(
                is_crm_api_name(module.lookup_field),
                "{}",
                module.lookup_field
            );
        }
        assert_eq!(
            supported_module("Deals").map(|m| m.lookup_field),
            Some("Deal")
        );
        assert_eq!(
            supported_module("Sales_Orders").map(|m| m.lookup_field),
            Some("Sales_Order")
        );
        assert_eq!(supported_module("deals"), None);
        assert_eq!(supported_module("Leads"), None);
    }

    #[test]
    fn project_fields_are_standard_names_or_udf_columns() {
        for name in [
            "name",
            "end_date",
            "percent_complete",
            "UDF_CHAR1",
            "UDF_DATE_2",
        ] {
            assert!(is_project_field(name), "{name}");
        }
        for name in [
            "Name",
            "UDF_",
            "UDF_char1",
            "udf_CHAR1",
            "budget",
            "",
            "UDF_CHAR 1",
        ] {
            assert!(!is_project_field(name), "{name}");
        }
    }

    #[test]
    fn crm_api_names_are_letters_digits_underscores_starting_with_a_letter() {
        for name in ["Linked_Projects", "Project_Status__c", "A", &"A".repeat(50)] {
            assert!(is_crm_api_name(name), "{name}");
        }
        for name in [
            "",
            "1Projects",
            "_Projects",
            "Linked Projects",
            "Linked-Projects",
            "Prōjects",
        ] {
            assert!(!is_crm_api_name(name), "{name}");
        }
        assert!(!is_crm_api_name(&"A".repeat(51)));
    }
}
