//! Unit tests of the sandbox's metadata rows: permissions of new modules and profiles,
//! related lists of lookups, and the modified times a field or a permission moves.

use super::*;

fn conn() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    super::super::db::migrate(&c).unwrap();
    c
}

#[test]
fn modules_get_permissions_in_existing_and_later_profiles() {
    let c = conn();
    let admin = create_profile(&c, ADMIN_PROFILE, None, false, true).unwrap();
    let standard = create_profile(&c, "Standard", None, false, true).unwrap();
    let deals = create_standard_module(&c, standard::module("Deals").unwrap()).unwrap();
    let custom = create_module(
        &c,
        NewModule {
            api_name: "Linked_Projects".into(),
            module_name: None,
            singular_label: "Zoho Project".into(),
            plural_label: "Zoho Projects".into(),
            custom: true,
            display_field: "Name".into(),
            description: None,
            profiles: Some(vec![]),
        },
    )
    .unwrap();
    assert_eq!(custom.module_name, "CustomModule1");
    assert!(has_permission(&c, &admin, "Linked_Projects", "View").unwrap());
    assert!(!has_permission(&c, &standard, "Linked_Projects", "View").unwrap());
    assert!(has_permission(&c, &standard, &deals.api_name, "Delete").unwrap());
    let name: String = c
        .query_row(
            "SELECT name FROM crm_permissions WHERE module = 'Deals' AND action = 'View'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "Crm_Implied_View_Potentials");
    let later = create_profile(&c, "Sales", None, true, false).unwrap();
    assert!(!has_permission(&c, &later, "Deals", "View").unwrap());
}

fn modified_ms(c: &Connection, table: &str, key: &str, value: &str) -> i64 {
    c.query_row(
        &format!("SELECT modified_ms FROM {table} WHERE {key} = ?1"),
        params![value],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_new_field_moves_its_modules_time_and_a_permission_its_profiles() {
    let c = conn();
    let standard = create_profile(&c, "Standard", None, false, true).unwrap();
    let deals = create_standard_module(&c, standard::module("Deals").unwrap()).unwrap();
    c.execute_batch(
        "UPDATE crm_modules SET modified_ms = 0; UPDATE crm_profiles SET modified_ms = 0",
    )
    .unwrap();
    let field = NewField {
        custom: true,
        ..NewField::system("Delivery_Notes", "Delivery Notes", "text", false)
    };
    insert_field(&c, &deals, field).unwrap();
    assert!(modified_ms(&c, "crm_modules", "api_name", "Deals") > 0);
    assert_eq!(modified_ms(&c, "crm_profiles", "id", &standard), 0);
    assert!(set_permission(&c, &standard, "Deals", "Edit", false).unwrap());
    assert!(modified_ms(&c, "crm_profiles", "id", &standard) > 0);
}

#[test]
fn a_lookup_field_becomes_a_related_list_of_its_target() {
    let c = conn();
    create_profile(&c, ADMIN_PROFILE, None, false, true).unwrap();
    let accounts = create_standard_module(&c, standard::module("Accounts").unwrap()).unwrap();
    let contacts = create_standard_module(&c, standard::module("Contacts").unwrap()).unwrap();
    let before = lookups_into(&c, &accounts.api_name).unwrap().len();
    let mut field = NewField::system("Partner", "Partner", "lookup", false);
    field.lookup_module = Some("Accounts".into());
    field.custom = true;
    insert_field(&c, &contacts, field).unwrap();
    let lists = lookups_into(&c, "Accounts").unwrap();
    assert_eq!(lists.len(), before + 1);
    let names: Vec<_> = lists.iter().filter_map(|f| f.rl_api_name.clone()).collect();
    assert!(names.contains(&"Contacts".to_string()));
    assert!(names.contains(&"Contacts1".to_string()));
}
