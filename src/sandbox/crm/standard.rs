//! The standard CRM modules every org starts with: their internal names (which Zoho's
//! permission names use, e.g. `Crm_Implied_View_Potentials` for Deals), labels, display and
//! duplicate-check fields, and the standard fields the sandbox knows for each.

/// One standard field.
#[derive(Debug, Clone, Copy)]
pub struct StdField {
    pub api_name: &'static str,
    pub label: &'static str,
    pub data_type: &'static str,
    pub mandatory: bool,
    pub lookup: Option<&'static str>,
    pub pick_list: &'static [&'static str],
}

const fn f(api_name: &'static str, label: &'static str, data_type: &'static str) -> StdField {
    StdField {
        api_name,
        label,
        data_type,
        mandatory: false,
        lookup: None,
        pick_list: &[],
    }
}

const fn req(api_name: &'static str, label: &'static str, data_type: &'static str) -> StdField {
    StdField {
        mandatory: true,
        ..f(api_name, label, data_type)
    }
}

const fn lk(api_name: &'static str, label: &'static str, module: &'static str) -> StdField {
    StdField {
        lookup: Some(module),
        ..f(api_name, label, "lookup")
    }
}

const fn pl(
    api_name: &'static str,
    label: &'static str,
    values: &'static [&'static str],
) -> StdField {
    StdField {
        pick_list: values,
        ..f(api_name, label, "picklist")
    }
}

/// One standard module.
#[derive(Debug, Clone, Copy)]
pub struct StdModule {
    pub api_name: &'static str,
    /// Zoho's internal module name, used in permission names.
    pub module_name: &'static str,
    pub singular: &'static str,
    pub plural: &'static str,
    /// The field whose value names a record in lookups (`{"id","name"}`).
    pub display_field: &'static str,
    /// Upsert's default duplicate-check fields (system field first).
    pub duplicate_check: &'static [&'static str],
    pub fields: &'static [StdField],
}

pub const DEAL_STAGES: &[&str] = &[
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Identify Decision Makers",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
    "Closed Lost to Competition",
];

pub const MODULES: &[StdModule] = &[
    StdModule {
        api_name: "Leads",
        module_name: "Leads",
        singular: "Lead",
        plural: "Leads",
        display_field: "Full_Name",
        duplicate_check: &["Email"],
        fields: &[
            f("First_Name", "First Name", "text"),
            req("Last_Name", "Last Name", "text"),
            f("Full_Name", "Lead Name", "text"),
            f("Email", "Email", "email"),
            f("Company", "Company", "text"),
            f("Phone", "Phone", "phone"),
            pl(
                "Lead_Status",
                "Lead Status",
                &[
                    "Not Contacted",
                    "Attempted to Contact",
                    "Contacted",
                    "Qualified",
                ],
            ),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Accounts",
        module_name: "Accounts",
        singular: "Account",
        plural: "Accounts",
        display_field: "Account_Name",
        duplicate_check: &["Account_Name"],
        fields: &[
            req("Account_Name", "Account Name", "text"),
            f("Account_Number", "Account Number", "text"),
            f("Phone", "Phone", "phone"),
            f("Website", "Website", "website"),
            pl(
                "Account_Type",
                "Account Type",
                &[
                    "Analyst",
                    "Competitor",
                    "Customer",
                    "Partner",
                    "Prospect",
                    "Other",
                ],
            ),
            pl(
                "Industry",
                "Industry",
                &["Manufacturing", "Retail", "Technology", "Services", "Other"],
            ),
            f("Employees", "Employees", "integer"),
            f("Annual_Revenue", "Annual Revenue", "currency"),
            lk("Parent_Account", "Parent Account", "Accounts"),
            f("Billing_City", "Billing City", "text"),
            f("Billing_Country", "Billing Country", "text"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Contacts",
        module_name: "Contacts",
        singular: "Contact",
        plural: "Contacts",
        display_field: "Full_Name",
        duplicate_check: &["Email"],
        fields: &[
            pl(
                "Salutation",
                "Salutation",
                &["-None-", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."],
            ),
            f("First_Name", "First Name", "text"),
            req("Last_Name", "Last Name", "text"),
            f("Full_Name", "Contact Name", "text"),
            f("Email", "Email", "email"),
            f("Secondary_Email", "Secondary Email", "email"),
            f("Phone", "Phone", "phone"),
            f("Home_Phone", "Home Phone", "phone"),
            f("Other_Phone", "Other Phone", "phone"),
            f("Mobile", "Mobile", "phone"),
            f("Fax", "Fax", "phone"),
            f("Title", "Title", "text"),
            f("Department", "Department", "text"),
            f("Assistant", "Assistant", "text"),
            f("Asst_Phone", "Asst Phone", "phone"),
            f("Date_of_Birth", "Date of Birth", "date"),
            f("Skype_ID", "Skype ID", "text"),
            f("Twitter", "Twitter", "text"),
            lk("Account_Name", "Account Name", "Accounts"),
            lk("Reporting_To", "Reporting To", "Contacts"),
            f("Mailing_Street", "Mailing Street", "text"),
            f("Mailing_City", "Mailing City", "text"),
            f("Mailing_State", "Mailing State", "text"),
            f("Mailing_Zip", "Mailing Zip", "text"),
            f("Mailing_Country", "Mailing Country", "text"),
            f("Other_Street", "Other Street", "text"),
            f("Other_City", "Other City", "text"),
            f("Other_State", "Other State", "text"),
            f("Other_Zip", "Other Zip", "text"),
            f("Other_Country", "Other Country", "text"),
            f("Email_Opt_Out", "Email Opt Out", "boolean"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Deals",
        module_name: "Potentials",
        singular: "Deal",
        plural: "Deals",
        display_field: "Deal_Name",
        duplicate_check: &["Deal_Name"],
        fields: &[
            req("Deal_Name", "Deal Name", "text"),
            lk("Account_Name", "Account Name", "Accounts"),
            lk("Contact_Name", "Contact Name", "Contacts"),
            StdField {
                mandatory: true,
                ..pl("Stage", "Stage", DEAL_STAGES)
            },
            f("Amount", "Amount", "currency"),
            f("Closing_Date", "Closing Date", "date"),
            f("Probability", "Probability (%)", "integer"),
            pl("Type", "Type", &["New Business", "Existing Business"]),
            lk("Campaign_Source", "Campaign Source", "Campaigns"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Products",
        module_name: "Products",
        singular: "Product",
        plural: "Products",
        display_field: "Product_Name",
        duplicate_check: &["Product_Name"],
        fields: &[
            req("Product_Name", "Product Name", "text"),
            f("Product_Code", "Product Code", "text"),
            f("Product_Active", "Product Active", "boolean"),
            f("Unit_Price", "Unit Price", "currency"),
            f("Qty_in_Stock", "Quantity in Stock", "double"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Cases",
        module_name: "Cases",
        singular: "Case",
        plural: "Cases",
        display_field: "Subject",
        duplicate_check: &["Subject"],
        fields: &[
            req("Subject", "Subject", "text"),
            pl(
                "Status",
                "Status",
                &["New", "On Hold", "Escalated", "Closed"],
            ),
            pl("Case_Origin", "Case Origin", &["Email", "Phone", "Web"]),
            pl("Priority", "Priority", &["High", "Medium", "Low"]),
            lk("Account_Name", "Account Name", "Accounts"),
            lk("Related_To", "Contact Name", "Contacts"),
            lk("Deal_Name", "Deal Name", "Deals"),
            lk("Product_Name", "Product Name", "Products"),
            f("Email", "Email", "email"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Quotes",
        module_name: "Quotes",
        singular: "Quote",
        plural: "Quotes",
        display_field: "Subject",
        duplicate_check: &["Subject"],
        fields: &[
            req("Subject", "Subject", "text"),
            lk("Deal_Name", "Deal Name", "Deals"),
            lk("Account_Name", "Account Name", "Accounts"),
            lk("Contact_Name", "Contact Name", "Contacts"),
            pl(
                "Quote_Stage",
                "Quote Stage",
                &[
                    "Draft",
                    "Negotiation",
                    "Delivered",
                    "On Hold",
                    "Confirmed",
                    "Closed Won",
                    "Closed Lost",
                ],
            ),
            f("Valid_Till", "Valid Until", "date"),
            f("Grand_Total", "Grand Total", "currency"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Sales_Orders",
        module_name: "SalesOrders",
        singular: "Sales Order",
        plural: "Sales Orders",
        display_field: "Subject",
        duplicate_check: &["Subject"],
        fields: &[
            req("Subject", "Subject", "text"),
            lk("Deal_Name", "Deal Name", "Deals"),
            lk("Account_Name", "Account Name", "Accounts"),
            lk("Contact_Name", "Contact Name", "Contacts"),
            lk("Quote_Name", "Quote Name", "Quotes"),
            pl(
                "Status",
                "Status",
                &["Created", "Approved", "Delivered", "Cancelled"],
            ),
            f("Due_Date", "Due Date", "date"),
            f("Grand_Total", "Grand Total", "currency"),
        ],
    },
    StdModule {
        api_name: "Purchase_Orders",
        module_name: "PurchaseOrders",
        singular: "Purchase Order",
        plural: "Purchase Orders",
        display_field: "Subject",
        duplicate_check: &["Subject"],
        fields: &[
            req("Subject", "Subject", "text"),
            lk("Contact_Name", "Contact Name", "Contacts"),
            pl(
                "Status",
                "Status",
                &["Created", "Approved", "Delivered", "Cancelled"],
            ),
            f("PO_Date", "PO Date", "date"),
            f("Due_Date", "Due Date", "date"),
            f("Grand_Total", "Grand Total", "currency"),
        ],
    },
    StdModule {
        api_name: "Invoices",
        module_name: "Invoices",
        singular: "Invoice",
        plural: "Invoices",
        display_field: "Subject",
        duplicate_check: &["Subject"],
        fields: &[
            req("Subject", "Subject", "text"),
            lk("Deal_Name", "Deal Name", "Deals"),
            lk("Account_Name", "Account Name", "Accounts"),
            lk("Contact_Name", "Contact Name", "Contacts"),
            lk("Sales_Order", "Sales Order", "Sales_Orders"),
            pl(
                "Status",
                "Status",
                &["Created", "Approved", "Delivered", "Paid", "Cancelled"],
            ),
            f("Invoice_Date", "Invoice Date", "date"),
            f("Due_Date", "Due Date", "date"),
            f("Grand_Total", "Grand Total", "currency"),
        ],
    },
    StdModule {
        api_name: "Campaigns",
        module_name: "Campaigns",
        singular: "Campaign",
        plural: "Campaigns",
        display_field: "Campaign_Name",
        duplicate_check: &["Campaign_Name"],
        fields: &[
            req("Campaign_Name", "Campaign Name", "text"),
            pl(
                "Type",
                "Type",
                &["Conference", "Webinar", "Email", "Advertisement", "Others"],
            ),
            pl(
                "Status",
                "Status",
                &["Planning", "Active", "Inactive", "Complete"],
            ),
            f("Start_Date", "Start Date", "date"),
            f("End_Date", "End Date", "date"),
            f("Expected_Revenue", "Expected Revenue", "currency"),
            f("Budgeted_Cost", "Budgeted Cost", "currency"),
            f("Description", "Description", "textarea"),
        ],
    },
    StdModule {
        api_name: "Events",
        module_name: "Events",
        singular: "Meeting",
        plural: "Meetings",
        display_field: "Event_Title",
        duplicate_check: &["Event_Title"],
        fields: &[
            req("Event_Title", "Title", "text"),
            req("Start_DateTime", "From", "datetime"),
            req("End_DateTime", "To", "datetime"),
            f("All_day", "All day", "boolean"),
            f("Venue", "Location", "text"),
            lk("Who_Id", "Contact Name", "Contacts"),
            f("Description", "Description", "textarea"),
        ],
    },
];

/// Looks a standard module up by api name (case-insensitive).
pub fn module(api_name: &str) -> Option<&'static StdModule> {
    MODULES
        .iter()
        .find(|m| m.api_name.eq_ignore_ascii_case(api_name))
}

/// Default duplicate-check fields for upsert: the standard module's, `Name` for custom ones.
pub fn duplicate_check_fields(api_name: &str) -> Vec<String> {
    match module(api_name) {
        Some(m) => m.duplicate_check.iter().map(|s| s.to_string()).collect(),
        None => vec!["Name".to_string()],
    }
}

/// Data types a custom field may be created with, and their JSON types.
pub const CREATABLE_TYPES: &[(&str, &str)] = &[
    ("text", "string"),
    ("textarea", "string"),
    ("email", "string"),
    ("phone", "string"),
    ("website", "string"),
    ("picklist", "string"),
    ("multiselectpicklist", "jsonarray"),
    ("date", "string"),
    ("datetime", "string"),
    ("integer", "integer"),
    ("bigint", "string"),
    ("double", "double"),
    ("decimal", "double"),
    ("currency", "double"),
    ("percent", "double"),
    ("boolean", "boolean"),
    ("lookup", "jsonobject"),
];

/// JSON type of a data type (including the system-only `ownerlookup`).
pub fn json_type(data_type: &str) -> &'static str {
    if data_type == "ownerlookup" {
        return "jsonobject";
    }
    CREATABLE_TYPES
        .iter()
        .find(|(t, _)| *t == data_type)
        .map(|(_, j)| *j)
        .unwrap_or("string")
}

/// Default length Zoho gives a field of this type.
pub fn default_length(data_type: &str) -> i64 {
    match data_type {
        "textarea" => 32000,
        "integer" => 9,
        "bigint" => 18,
        "double" | "decimal" | "currency" | "percent" => 16,
        "email" | "website" => 255,
        "phone" => 30,
        _ => 255,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_has_its_display_and_duplicate_fields() {
        for m in MODULES {
            for name in std::iter::once(&m.display_field).chain(m.duplicate_check.iter()) {
                assert!(
                    m.fields.iter().any(|f| f.api_name == *name),
                    "{}: missing {name}",
                    m.api_name
                );
            }
            for f in m.fields {
                if let Some(target) = f.lookup {
                    assert!(module(target).is_some(), "{}.{}", m.api_name, f.api_name);
                }
            }
        }
    }

    #[test]
    fn deals_use_the_potentials_permission_name() {
        assert_eq!(module("deals").unwrap().module_name, "Potentials");
    }
}
