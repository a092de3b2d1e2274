//! End-to-end: `export` of a `ProjectsIntegration` from orgs set up with non-default settings
//! (a renamed link module, a skipped client mapping, a non-default role, field maps, and
//! profile permissions and portal members changed behind projectlink's back), each read back
//! from the org over HTTP: the exported spec validates, `plan --detailed-exitcode` on it exits
//! 0 with no changes and no writes, and every setting it holds is what the org reports.

mod cli_support;

use std::collections::{BTreeMap, BTreeSet};

use cli_support::{Harness, Run, example, read_example};
use projectlink::live::PermissionKind;
use projectlink::sandbox::seed::DEMO_SEED_YAML;
use projectlink::spec::ProjectsIntegrationSpec;
use projectlink::zoho::ZohoClients;
use projectlink::zoho::crm::UserType;
use projectlink::zoho::projects::PortalUserFilter;

fn assert_ok(run: &Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// A spec with every setting away from its default that the org can hold.
const NON_DEFAULT: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata:
  name: acme
spec:
  connection:
    secretRef: {name: zoho-oauth}
    portalSecretRef: {name: pm-admin-oauth}
  portal:
    name: Acme Delivery
  clients:
    accountMapping: Skip
  relatedLists:
    linkModule: Project_Links
    modules:
      - module: Cases
      - module: Deals
        fieldMap:
          - {projectField: status, crmField: Project_Status__c, direction: ToCrm}
          - {projectField: name, crmField: Deal_Name, direction: ToProject}
  permissions:
    defaultRole: Contractor
    profiles:
      - profile: Administrator
        access: true
        relatedList: {view: true, create: true, edit: true, delete: true}
      - profile: Sales
        access: true
        relatedList: {view: true, create: false, edit: true, delete: false}
      - profile: Standard
        relatedList: {view: true}
"#;

/// A change made to the org after the apply, as an admin would in Zoho's web UI.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// A profile's view/create/edit/delete permissions on the link module.
    Permissions(&'static str, [bool; 4]),
    /// A CRM user added to the portal with a role.
    JoinPortal(&'static str, &'static str),
}

struct Case {
    name: &'static str,
    specs: Vec<String>,
    edits: Vec<Edit>,
    link_module: &'static str,
}

fn cases() -> Vec<Case> {
    let deactivated = NON_DEFAULT
        .replace("  connection:", "  state: Deactivated\n  connection:")
        .replace("    accountMapping: Skip\n", "    accountMapping: Auto\n");
    vec![
        Case {
            name: "acme as applied",
            specs: vec![read_example("acme.yaml")],
            edits: vec![],
            link_module: "Linked_Projects",
        },
        Case {
            name: "acme, then permissions and members changed by hand",
            specs: vec![read_example("acme.yaml")],
            edits: vec![
                Edit::Permissions("Standard", [true, false, true, true]),
                Edit::Permissions("Sales", [true, false, false, false]),
                Edit::JoinPortal("sam@acme.com", "Contractor"),
                Edit::JoinPortal("intern@acme.com", "Manager"),
            ],
            link_module: "Linked_Projects",
        },
        Case {
            name: "non-default link module, mapping, role and maps",
            specs: vec![NON_DEFAULT.to_string()],
            edits: vec![],
            link_module: "Project_Links",
        },
        Case {
            name: "non-default, then every permission off for Sales and one member added",
            specs: vec![NON_DEFAULT.to_string()],
            edits: vec![
                Edit::Permissions("Sales", [false; 4]),
                Edit::Permissions("Standard", [true, true, true, false]),
                Edit::JoinPortal("quinn@acme.com", "Employee"),
            ],
            link_module: "Project_Links",
        },
        Case {
            name: "non-default, then deactivated",
            specs: vec![NON_DEFAULT.to_string(), deactivated],
            edits: vec![],
            link_module: "Project_Links",
        },
    ]
}

async fn portal_id(clients: &ZohoClients) -> String {
    let portals = clients.projects.portals().await.unwrap();
    portals
        .into_iter()
        .find(|p| p.name == "Acme Delivery")
        .expect("the demo portal")
        .id
}

async fn edit(clients: &ZohoClients, link_module: &str, edit: Edit) {
    match edit {
        Edit::Permissions(profile, flags) => {
            let profiles = clients.crm.profiles().await.unwrap();
            let id = &profiles.iter().find(|p| p.name == profile).unwrap().id;
            let details = clients.crm.profile(id).await.unwrap().permissions_details;
            let changes: Vec<(String, bool)> = PermissionKind::ALL
                .iter()
                .zip(flags)
                .map(|(kind, enabled)| {
                    let permission = details
                        .iter()
                        .find(|p| kind.matches(&p.name, p.module.as_deref(), link_module))
                        .unwrap_or_else(|| panic!("{profile} has a {kind:?} permission"));
                    (permission.id.clone(), enabled)
                })
                .collect();
            clients
                .crm
                .update_profile_permissions(id, &changes)
                .await
                .unwrap();
        }
        Edit::JoinPortal(email, role) => {
            let portal = portal_id(clients).await;
            clients
                .projects
                .add_portal_users(&portal, &[email.to_string()], role)
                .await
                .unwrap();
        }
    }
}

/// What the org reports, read independently of export: each profile's link-module
/// permissions, and whether each active, confirmed CRM user is in the portal.
struct Live {
    permissions: BTreeMap<String, [bool; 4]>,
    in_portal: BTreeMap<String, (String, bool)>,
}

async fn live(clients: &ZohoClients, link_module: &str) -> Live {
    let mut permissions = BTreeMap::new();
    for profile in clients.crm.profiles().await.unwrap() {
        let details = clients
            .crm
            .profile(&profile.id)
            .await
            .unwrap()
            .permissions_details;
        let flags = PermissionKind::ALL.map(|kind| {
            details
                .iter()
                .find(|p| kind.matches(&p.name, p.module.as_deref(), link_module))
                .is_some_and(|p| p.enabled)
        });
        permissions.insert(profile.name, flags);
    }
    let portal = portal_id(clients).await;
    let members: BTreeSet<String> = clients
        .projects
        .portal_users(&portal, PortalUserFilter::All)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email.to_ascii_lowercase())
        .collect();
    let in_portal = clients
        .crm
        .users(UserType::AllUsers)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.status.eq_ignore_ascii_case("active") && u.confirm == Some(true))
        .map(|u| {
            let email = u.email.to_ascii_lowercase();
            let profile = u.profile.map(|p| p.name).unwrap_or_default();
            let inside = members.contains(&email);
            (email, (profile, inside))
        })
        .collect();
    Live {
        permissions,
        in_portal,
    }
}

fn load(text: &str) -> ProjectsIntegrationSpec {
    let loaded = projectlink::spec::load_str("exported.yaml", text).expect("the export loads");
    loaded.into_iter().next().unwrap().resource.spec
}

/// Whether the spec gives `email` of `profile` access, as the planner reads it.
fn has_access(spec: &ProjectsIntegrationSpec, email: &str, profile: &str) -> bool {
    let by_profile = spec
        .permissions
        .profiles
        .iter()
        .any(|p| p.profile == profile && p.access);
    spec.permissions
        .users
        .iter()
        .find(|u| u.email == email)
        .map_or(by_profile, |u| u.access)
}

/// The exported spec holds what the org reports.
fn assert_reports(case: &Case, spec: &ProjectsIntegrationSpec, live: &Live) {
    assert_eq!(
        spec.related_lists.link_module, case.link_module,
        "{}",
        case.name
    );
    for (profile, flags) in &live.permissions {
        let exported = spec
            .permissions
            .profiles
            .iter()
            .find(|p| &p.profile == profile)
            .map(|p| {
                let r = p.related_list;
                [r.view, r.create, r.edit, r.delete]
            })
            .unwrap_or_default();
        assert_eq!(&exported, flags, "{}: permissions of {profile}", case.name);
    }
    for (email, (profile, inside)) in &live.in_portal {
        assert_eq!(
            has_access(spec, email, profile),
            *inside,
            "{}: access of {email}",
            case.name
        );
    }
}

#[test]
fn export_then_plan_is_empty_on_orgs_with_non_default_settings() {
    for case in cases() {
        let h = Harness::demo();
        for (i, spec) in case.specs.iter().enumerate() {
            let path = h.write(&format!("applied-{i}.yaml"), spec);
            assert_ok(&h.run(&["apply", "-f", path.to_str().unwrap(), "--auto-approve"]));
        }
        let clients = h.demo_clients(
            "1000.acme-admin.refresh",
            Some("1000.acme-portal-owner.refresh"),
        );
        let live = h.runtime.block_on(async {
            for e in &case.edits {
                edit(&clients, case.link_module, *e).await;
            }
            live(&clients, case.link_module).await
        });
        let exported = h.run(&["export", "--portal-secret-ref", "pm-admin-oauth"]);
        assert_ok(&exported);
        assert!(
            !exported.stderr.contains("warning:"),
            "{}: {}",
            case.name,
            exported.stderr
        );
        let path = h.write("exported.yaml", &exported.stdout);
        assert_ok(&h.run(&["validate", "-f", path.to_str().unwrap()]));
        let writes = h.writes();
        let plan = h.run(&["plan", "-f", path.to_str().unwrap(), "--detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "{}:\n{}\n{}\n{}",
            case.name, exported.stdout, plan.stdout, plan.stderr
        );
        assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
        assert_eq!(h.writes(), writes, "{}: planning wrote", case.name);
        assert_reports(&case, &load(&exported.stdout), &live);
    }
}

#[test]
fn the_acme_example_exports_back_to_its_own_settings() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let exported = h.run(&["export", "--portal-secret-ref", "pm-admin-oauth"]);
    assert_ok(&exported);
    let spec = load(&exported.stdout);
    let acme = load(&read_example("acme.yaml"));
    assert_eq!(spec.permissions.profiles, acme.permissions.profiles);
    assert_eq!(spec.permissions.users, acme.permissions.users);
    assert_eq!(spec.clients.account_mapping, acme.clients.account_mapping);
    assert_eq!(spec.portal, acme.portal);
    assert_eq!(spec.state, acme.state);
}

#[test]
fn a_skipped_mapping_exports_as_skip_and_unreported_settings_are_named() {
    let h = Harness::demo();
    let path = h.write("non-default.yaml", NON_DEFAULT);
    assert_ok(&h.run(&["apply", "-f", path.to_str().unwrap(), "--auto-approve"]));
    let exported = h.run(&["export", "--portal-secret-ref", "pm-admin-oauth"]);
    assert_ok(&exported);
    let spec = load(&exported.stdout);
    assert_eq!(
        spec.clients.account_mapping,
        projectlink::spec::AccountMapping::Skip
    );
    let header: String = exported
        .stdout
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    for unreported in [
        "relatedLists.modules[].fieldMap",
        "permissions.defaultRole",
        "clients.userOverrides",
        "dealConversion",
        "imports",
    ] {
        assert!(header.contains(unreported), "{unreported}:\n{header}");
    }
}

#[test]
fn an_invisible_portal_is_a_warning_not_a_guess() {
    // The CRM admin is not a member of the portal: only its owner's grant sees it.
    let seed = DEMO_SEED_YAML.replace(
        "      - {email: admin@acme.com, name: Ada Admin, role: Manager}\n",
        "",
    );
    assert_ne!(seed, DEMO_SEED_YAML);
    let h = Harness::with_seed_text(&seed);
    let spec = NON_DEFAULT.replace(
        "      - profile: Administrator\n        access: true\n",
        "      - profile: Administrator\n        access: false\n",
    );
    assert_ne!(spec, NON_DEFAULT);
    let path = h.write("applied.yaml", &spec);
    assert_ok(&h.run(&["apply", "-f", path.to_str().unwrap(), "--auto-approve"]));
    // Without that grant who is in the portal cannot be read, and export says so.
    let exported = h.run(&["export"]);
    assert_ok(&exported);
    assert!(
        exported
            .stderr
            .contains("warning: The bound portal \"Acme Delivery\""),
        "{}",
        exported.stderr
    );
    let spec = load(&exported.stdout);
    assert!(spec.permissions.users.is_empty());
    assert!(spec.permissions.profiles.iter().all(|p| !p.access));
}
