//! Table tests of the static validation rules, one test per rule.

use super::*;

/// Validates a spec written as YAML and returns `(path, summary)` of each finding.
fn findings(spec_yaml: &str) -> Vec<(String, String)> {
    let spec: ProjectsIntegrationSpec = serde_saphyr::from_str(spec_yaml)
        .unwrap_or_else(|error| panic!("test spec does not parse: {error}\n{spec_yaml}"));
    validate_spec(&spec)
        .into_iter()
        .map(|f| (f.path.to_string(), f.summary))
        .collect()
}

fn paths(spec_yaml: &str) -> Vec<String> {
    findings(spec_yaml)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

const PORTAL: &str = "portal: {name: Acme Delivery}\n";

fn with_portal(rest: &str) -> String {
    format!("{PORTAL}{rest}")
}

const DESIGN_EXAMPLE: &str = r#"
state: Active
connection:
  dataCenter: us
  secretRef: {name: zoho-oauth}
  portalSecretRef: {name: pm-admin-oauth}
portal:
  name: Acme Delivery
clients:
  accountMapping: Auto
  overrides:
    - {client: Bowman Furniture, account: Bowman Furniture Inc.}
relatedLists:
  linkModule: Linked_Projects
  modules:
    - module: Deals
      fieldMap:
        - {projectField: name, crmField: Deal_Name, direction: ToProject}
        - {projectField: end_date, crmField: Closing_Date, direction: ToProject}
        - {projectField: status, crmField: Project_Status__c, direction: ToCrm}
    - module: Accounts
permissions:
  defaultRole: Employee
  profiles:
    - profile: Administrator
      access: true
      relatedList: {view: true, create: true, edit: true, delete: true}
    - profile: Standard
      access: true
      relatedList: {view: true, create: true, edit: false, delete: false}
  users:
    - {email: intern@acme.com, access: false}
imports:
  portalUsers:
    - {email: pat@acme.com, role: Manager, projects: [Website Redesign]}
  clientUsers:
    - {email: jane@bowman.example, projects: [Website Redesign]}
dealConversion:
  stage: Closed Won
  template: Standard Delivery
policy:
  prune: false
  maxChangePercent: 30
  observeOnly: false
"#;

#[test]
fn design_example_is_valid() {
    assert_eq!(findings(DESIGN_EXAMPLE), []);
}

#[test]
fn minimal_spec_is_valid() {
    assert_eq!(findings(PORTAL), []);
}

#[test]
fn portal_name_empty() {
    assert_eq!(
        findings("portal: {name: '  '}"),
        [("spec.portal.name".into(), "portal name is empty".into())]
    );
}

#[test]
fn secret_ref_name_invalid() {
    let spec = with_portal(
        "connection: {secretRef: {name: Zoho_OAuth}, portalSecretRef: {name: ok-name}}",
    );
    assert_eq!(paths(&spec), ["spec.connection.secretRef.name"]);
}

#[test]
fn unsupported_module() {
    let spec = with_portal("relatedLists: {modules: [{module: Leads}, {module: deals}]}");
    assert_eq!(
        paths(&spec),
        [
            "spec.relatedLists.modules[0].module",
            "spec.relatedLists.modules[1].module"
        ]
    );
    let all = validate_spec(&serde_saphyr::from_str(&spec).unwrap());
    let hint = all[1].hint.as_deref().unwrap();
    assert!(hint.starts_with("did you mean \"Deals\"?"), "{hint}");
    assert!(hint.contains("Contacts, Accounts, Deals, Products, Cases, Quotes, Sales_Orders, Purchase_Orders, Invoices, Campaigns"), "{hint}");
}

#[test]
fn duplicate_module() {
    let spec = with_portal(
        "relatedLists:\n  modules:\n    - module: Deals\n    - module: Accounts\n    - module: Deals\n",
    );
    let all = validate_spec(&serde_saphyr::from_str(&spec).unwrap());
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].path.to_string(),
        "spec.relatedLists.modules[2].module"
    );
    assert_eq!(
        all[0].summary,
        "duplicate module \"Deals\" in relatedLists.modules"
    );
    assert_eq!(
        all[0].related.as_ref().map(|(p, _)| p.to_string()),
        Some("spec.relatedLists.modules[0].module".into())
    );
}

#[test]
fn link_module_invalid() {
    for (link_module, expected) in [
        ("Linked Projects", "invalid linkModule"),
        ("1Projects", "invalid linkModule"),
        (&"P".repeat(51), "invalid linkModule"),
        ("Deals", "is the name of a standard CRM module"),
        ("leads", "is the name of a standard CRM module"),
    ] {
        let spec = with_portal(&format!("relatedLists: {{linkModule: '{link_module}'}}"));
        let found = findings(&spec);
        assert_eq!(found.len(), 1, "{link_module}: {found:?}");
        assert_eq!(found[0].0, "spec.relatedLists.linkModule");
        assert!(found[0].1.contains(expected), "{link_module}: {found:?}");
    }
    assert_eq!(
        findings(&with_portal("relatedLists: {linkModule: Project_Links_2}")),
        []
    );
}

#[test]
fn field_map_unknown_project_field() {
    let spec = with_portal(
        "relatedLists: {modules: [{module: Deals, fieldMap: [\
         {projectField: Name, crmField: Deal_Name, direction: ToProject},\
         {projectField: UDF_CHAR1, crmField: Budget_Code, direction: ToProject},\
         {projectField: budget, crmField: Amount, direction: ToProject}]}]}",
    );
    assert_eq!(
        findings(&spec),
        [
            (
                "spec.relatedLists.modules[0].fieldMap[0].projectField".into(),
                "unknown project field \"Name\"".into()
            ),
            (
                "spec.relatedLists.modules[0].fieldMap[2].projectField".into(),
                "unknown project field \"budget\"".into()
            ),
        ]
    );
}

#[test]
fn field_map_invalid_crm_field_name() {
    let spec = with_portal(
        "relatedLists: {modules: [{module: Deals, fieldMap: [{projectField: name, crmField: 'Deal Name', direction: ToProject}]}]}",
    );
    assert_eq!(
        paths(&spec),
        ["spec.relatedLists.modules[0].fieldMap[0].crmField"]
    );
}

#[test]
fn two_project_fields_onto_one_crm_field() {
    let spec = with_portal(
        "relatedLists: {modules: [{module: Deals, fieldMap: [\
         {projectField: status, crmField: Project_Status__c, direction: ToCrm},\
         {projectField: percent_complete, crmField: project_status__C, direction: ToCrm}]}]}",
    );
    assert_eq!(
        findings(&spec),
        [(
            "spec.relatedLists.modules[0].fieldMap[1].crmField".into(),
            "two project fields are mapped onto CRM field \"project_status__C\" in module Deals"
                .into()
        )]
    );
}

#[test]
fn crm_field_mapped_both_ways() {
    let spec = with_portal(
        "relatedLists: {modules: [{module: Deals, fieldMap: [\
         {projectField: name, crmField: Deal_Name, direction: ToProject},\
         {projectField: description, crmField: Deal_Name, direction: ToCrm}]}]}",
    );
    assert_eq!(
        findings(&spec),
        [(
            "spec.relatedLists.modules[0].fieldMap[1].crmField".into(),
            "CRM field \"Deal_Name\" in module Deals is mapped both ToProject and ToCrm".into()
        )]
    );
}

#[test]
fn one_crm_field_may_fill_two_project_fields() {
    let spec = with_portal(
        "relatedLists: {modules: [{module: Deals, fieldMap: [\
         {projectField: name, crmField: Deal_Name, direction: ToProject},\
         {projectField: description, crmField: Deal_Name, direction: ToProject}]}]}",
    );
    assert_eq!(findings(&spec), []);
}

#[test]
fn project_field_filled_twice() {
    let spec = with_portal(
        "relatedLists: {modules: [{module: Deals, fieldMap: [\
         {projectField: name, crmField: Deal_Name, direction: ToProject},\
         {projectField: name, crmField: Description, direction: ToProject}]}]}",
    );
    assert_eq!(
        paths(&spec),
        ["spec.relatedLists.modules[0].fieldMap[1].projectField"]
    );
}

#[test]
fn same_mapping_in_two_modules_is_fine() {
    let spec = with_portal(
        "relatedLists: {modules: [\
         {module: Deals, fieldMap: [{projectField: status, crmField: Project_Status, direction: ToCrm}]},\
         {module: Accounts, fieldMap: [{projectField: status, crmField: Project_Status, direction: ToCrm}]}]}",
    );
    assert_eq!(findings(&spec), []);
}

#[test]
fn duplicate_profile() {
    let spec = with_portal(
        "permissions: {profiles: [{profile: Standard, access: true}, {profile: standard}]}",
    );
    assert_eq!(
        findings(&spec),
        [(
            "spec.permissions.profiles[1].profile".into(),
            "duplicate profile \"standard\" in permissions.profiles".into()
        )]
    );
}

#[test]
fn related_list_permission_without_view() {
    let spec = with_portal(
        "permissions: {profiles: [{profile: Standard, relatedList: {create: true}}, {profile: Other, relatedList: {view: true, delete: true}}]}",
    );
    assert_eq!(paths(&spec), ["spec.permissions.profiles[0].relatedList"]);
}

#[test]
fn default_role_empty() {
    assert_eq!(
        paths(&with_portal("permissions: {defaultRole: ''}")),
        ["spec.permissions.defaultRole"]
    );
}

#[test]
fn duplicate_user_override() {
    let spec = with_portal(
        "permissions: {users: [{email: intern@acme.com, access: false}, {email: Intern@Acme.com, access: true}]}",
    );
    assert_eq!(
        findings(&spec),
        [(
            "spec.permissions.users[1].email".into(),
            "duplicate user \"Intern@Acme.com\" in permissions.users".into()
        )]
    );
}

#[test]
fn invalid_email() {
    let spec = with_portal(
        "permissions: {users: [{email: intern-at-acme.com, access: false}]}\n\
         imports:\n  portalUsers: [{email: 'pat@acme'}]\n  clientUsers: [{email: 'jane @bowman.example'}]\n",
    );
    assert_eq!(
        findings(&spec),
        [
            (
                "spec.permissions.users[0].email".into(),
                "invalid email \"intern-at-acme.com\"".into()
            ),
            (
                "spec.imports.portalUsers[0].email".into(),
                "invalid email \"pat@acme\"".into()
            ),
            (
                "spec.imports.clientUsers[0].email".into(),
                "invalid email \"jane @bowman.example\"".into()
            ),
        ]
    );
}

#[test]
fn duplicate_import() {
    let spec = with_portal(
        "imports:\n  portalUsers: [{email: pat@acme.com}, {email: PAT@acme.com}]\n  clientUsers: [{email: jane@bowman.example}, {email: jane@bowman.example}]\n",
    );
    assert_eq!(
        paths(&spec),
        [
            "spec.imports.portalUsers[1].email",
            "spec.imports.clientUsers[1].email"
        ]
    );
}

#[test]
fn imported_user_excluded_by_override() {
    let spec = with_portal(
        "permissions: {users: [{email: intern@acme.com, access: false}, {email: pat@acme.com, access: true}]}\n\
         imports: {portalUsers: [{email: intern@acme.com}, {email: pat@acme.com}]}\n",
    );
    assert_eq!(
        findings(&spec),
        [(
            "spec.imports.portalUsers[0].email".into(),
            "\"intern@acme.com\" is imported into the portal but excluded by permissions.users"
                .into()
        )]
    );
}

#[test]
fn portal_and_client_import_of_one_email() {
    let spec = with_portal(
        "imports: {portalUsers: [{email: jane@bowman.example}], clientUsers: [{email: Jane@bowman.example}]}",
    );
    assert_eq!(paths(&spec), ["spec.imports.clientUsers[0].email"]);
}

#[test]
fn import_role_and_project_names() {
    let spec = with_portal(
        "imports: {portalUsers: [{email: pat@acme.com, role: '', projects: [Website Redesign, '', Website Redesign]}]}",
    );
    assert_eq!(
        findings(&spec),
        [
            (
                "spec.imports.portalUsers[0].role".into(),
                "role is empty".into()
            ),
            (
                "spec.imports.portalUsers[0].projects[1]".into(),
                "project name is empty".into()
            ),
            (
                "spec.imports.portalUsers[0].projects[2]".into(),
                "project \"Website Redesign\" is listed twice".into()
            ),
        ]
    );
}

#[test]
fn client_override_names_a_client_twice() {
    let spec = with_portal(
        "clients:\n  overrides:\n    - {client: Bowman Furniture, account: Bowman Furniture Inc.}\n    - {client: bowman furniture, account: Bowman Ltd}\n",
    );
    assert_eq!(
        findings(&spec),
        [(
            "spec.clients.overrides[1].client".into(),
            "client \"bowman furniture\" is overridden twice in clients.overrides".into()
        )]
    );
}

#[test]
fn client_override_names_an_account_twice() {
    let spec = with_portal(
        "clients: {overrides: [{client: Bowman, account: Bowman Inc.}, {client: Bowman EU, account: Bowman Inc.}]}",
    );
    assert_eq!(paths(&spec), ["spec.clients.overrides[1].account"]);
}

#[test]
fn client_override_empty_names() {
    let spec = with_portal("clients: {overrides: [{client: '', account: ' '}]}");
    assert_eq!(
        paths(&spec),
        [
            "spec.clients.overrides[0].client",
            "spec.clients.overrides[0].account"
        ]
    );
}

#[test]
fn client_override_names_its_account_exactly_one_way() {
    let spec = with_portal(
        "clients:\n  overrides:\n    - {client: A, accountId: '4876876000000012345'}\n    - {client: B}\n    - {client: C, account: C Inc., accountId: '1'}\n    - {client: D, accountId: 'acc-1'}\n    - {client: E, accountId: '4876876000000012345'}\n",
    );
    assert_eq!(
        findings(&spec),
        [
            (
                "spec.clients.overrides[1]".into(),
                "neither account nor accountId is given".into()
            ),
            (
                "spec.clients.overrides[2].accountId".into(),
                "both account and accountId are given".into()
            ),
            (
                "spec.clients.overrides[3].accountId".into(),
                "\"acc-1\" is not a CRM record id".into()
            ),
            (
                "spec.clients.overrides[4].accountId".into(),
                "Account \"4876876000000012345\" is the target of two clients.overrides entries"
                    .into()
            ),
        ]
    );
}

#[test]
fn client_user_overrides_name_a_user_and_one_contact() {
    let spec = with_portal(
        "clients:\n  userOverrides:\n    - {clientUser: hank@globex.example, contactId: '42'}\n    - {clientUser: not-an-email, contact: h@globex.example}\n    - {clientUser: HANK@globex.example, contact: h@globex.example}\n    - {clientUser: ida@globex.example}\n",
    );
    assert_eq!(
        findings(&spec),
        [
            (
                "spec.clients.userOverrides[1].clientUser".into(),
                "\"not-an-email\" is not an email address".into()
            ),
            (
                "spec.clients.userOverrides[2].clientUser".into(),
                "client user \"HANK@globex.example\" is overridden twice in clients.userOverrides"
                    .into()
            ),
            (
                "spec.clients.userOverrides[2].contact".into(),
                "Contact \"h@globex.example\" is the target of two clients.userOverrides entries"
                    .into()
            ),
            (
                "spec.clients.userOverrides[3]".into(),
                "neither contact nor contactId is given".into()
            ),
        ]
    );
}

#[test]
fn deactivated_with_settings_that_write() {
    let spec = with_portal(
        "state: Deactivated\n\
         imports: {portalUsers: [{email: pat@acme.com}]}\n\
         dealConversion: {stage: Closed Won}\n\
         clients: {overrides: [{client: Bowman, account: Bowman Inc.}]}\n",
    );
    assert_eq!(
        findings(&spec),
        [
            (
                "spec.imports".into(),
                "imports with state: Deactivated".into()
            ),
            (
                "spec.dealConversion".into(),
                "dealConversion with state: Deactivated".into()
            ),
            (
                "spec.clients.overrides".into(),
                "clients.overrides with state: Deactivated".into()
            ),
        ]
    );
}

#[test]
fn deactivated_keeps_configuration_to_restore() {
    let spec = with_portal(
        "state: Deactivated\n\
         relatedLists: {modules: [{module: Deals}]}\n\
         permissions: {profiles: [{profile: Standard, access: true, relatedList: {view: true}}]}\n\
         clients: {accountMapping: Skip}\n",
    );
    assert_eq!(findings(&spec), []);
}

#[test]
fn max_change_percent_out_of_range() {
    for (percent, valid) in [(0, false), (1, true), (30, true), (100, true), (101, false)] {
        let found = paths(&with_portal(&format!(
            "policy: {{maxChangePercent: {percent}}}"
        )));
        if valid {
            assert_eq!(found, Vec::<String>::new(), "{percent}");
        } else {
            assert_eq!(found, ["spec.policy.maxChangePercent"], "{percent}");
        }
    }
}

#[test]
fn deal_conversion_empty_names() {
    let spec = with_portal("dealConversion: {stage: '', template: ''}");
    assert_eq!(
        paths(&spec),
        ["spec.dealConversion.stage", "spec.dealConversion.template"]
    );
}

#[test]
fn metadata_name_and_namespace() {
    assert_eq!(validate_metadata("acme", Some("team-a")), []);
    let found: Vec<String> = validate_metadata("Acme_Corp", Some("Team.A"))
        .into_iter()
        .map(|f| f.path.to_string())
        .collect();
    assert_eq!(found, ["metadata.name", "metadata.namespace"]);
}

#[test]
fn every_problem_is_collected() {
    let spec = r#"
portal: {name: ''}
relatedLists:
  modules:
    - module: Leads
    - module: Deals
    - module: Deals
permissions:
  profiles: [{profile: Standard}, {profile: Standard}]
  users: [{email: nope, access: false}]
policy: {maxChangePercent: 0}
"#;
    assert_eq!(
        paths(spec),
        [
            "spec.portal.name",
            "spec.relatedLists.modules[0].module",
            "spec.relatedLists.modules[2].module",
            "spec.permissions.profiles[1].profile",
            "spec.permissions.users[0].email",
            "spec.policy.maxChangePercent",
        ]
    );
}

#[test]
fn enabled_modules_pair_entries_with_their_lookup_fields() {
    let spec: ProjectsIntegrationSpec = serde_saphyr::from_str(&with_portal(
        "relatedLists: {modules: [{module: Sales_Orders}, {module: Leads}, {module: Deals}]}",
    ))
    .unwrap();
    let enabled: Vec<(&str, &str)> = spec
        .enabled_modules()
        .into_iter()
        .map(|(module, entry)| (entry.module.as_str(), module.lookup_field))
        .collect();
    assert_eq!(
        enabled,
        [("Sales_Orders", "Sales_Order"), ("Deals", "Deal")]
    );
}

#[test]
fn defaults_follow_the_design() {
    let spec: ProjectsIntegrationSpec = serde_saphyr::from_str(PORTAL).unwrap();
    assert_eq!(spec.state, IntegrationState::Active);
    assert_eq!(spec.connection.data_center, crate::spec::DataCenter::Us);
    assert_eq!(spec.related_lists.link_module, "Linked_Projects");
    assert_eq!(spec.permissions.default_role, "Employee");
    assert_eq!(
        spec.clients.account_mapping,
        crate::spec::AccountMapping::Auto
    );
    assert!(!spec.policy.prune && !spec.policy.observe_only);
    assert_eq!(spec.policy.max_change_percent, 30);
    assert_eq!(
        spec.deletion_policy,
        crate::spec::DeletionPolicy::Deactivate
    );
}
