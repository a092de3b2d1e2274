//! Static validation of a spec: every rule that needs no live metadata, all problems
//! collected (never first-error-only). Pure: no I/O, deterministic order.
//!
//! Checks that need the live systems (the CRM field exists in the module, field types are
//! compatible, the profile exists, the emails belong to users) are the planner's.
//!
//! `state: Deactivated` writes nothing but the deactivation itself, so settings whose only
//! purpose is to make projectlink write are errors with it: `imports` (users pushed into
//! Projects), `dealConversion` (projects created from deals) and `clients.overrides` /
//! `clients.userOverrides` (client to Account and client user to Contact mappings written
//! into CRM). `relatedLists`, `permissions` and the
//! other settings may stay: they are the configuration a later re-activation restores, and
//! nothing acts on them while the integration is deactivated.

use std::collections::HashMap;

use super::catalog::{
    self, CUSTOM_PROJECT_FIELD_PREFIX, MAX_CRM_API_NAME_LEN, OTHER_STANDARD_MODULES, PROJECT_FIELDS,
};
use super::diagnostic::Severity;
use super::names::{is_kubernetes_name, is_kubernetes_namespace, is_valid_email, suggest};
use super::path::FieldPath;
use super::types::{
    Direction, FieldMapping, IntegrationState, ProjectsIntegration, ProjectsIntegrationSpec,
    RelatedModule,
};

/// One problem found by a rule, addressed by field path (from the document root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The node the problem is about.
    pub path: FieldPath,
    /// Point at the mapping key rather than the value (the problem is the entry itself).
    pub at_key: bool,
    /// One line saying what is wrong.
    pub summary: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Another node involved, e.g. the first of two duplicate entries, with a label saying
    /// what it is ("first entry").
    pub related: Option<(FieldPath, &'static str)>,
}

impl Finding {
    pub(crate) fn error(path: FieldPath, summary: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            path,
            at_key: false,
            summary: summary.into(),
            hint: None,
            related: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn related(mut self, path: FieldPath, label: &'static str) -> Self {
        self.related = Some((path, label));
        self
    }

    pub(crate) fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }
}

/// Validates a whole resource: its metadata and its spec.
pub fn validate_resource(resource: &ProjectsIntegration) -> Vec<Finding> {
    let mut findings = validate_metadata(
        resource.metadata.name.as_deref().unwrap_or_default(),
        resource.metadata.namespace.as_deref(),
    );
    findings.extend(validate_spec(&resource.spec));
    findings
}

/// Validates the resource name and namespace (Kubernetes object name rules, so the same
/// file works as a custom resource).
pub fn validate_metadata(name: &str, namespace: Option<&str>) -> Vec<Finding> {
    let metadata = FieldPath::root().key("metadata");
    let mut findings = Vec::new();
    if !is_kubernetes_name(name) {
        findings.push(
            Finding::error(metadata.key("name"), format!("invalid resource name {name:?}"))
                .hint("use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)"),
        );
    }
    if let Some(namespace) = namespace
        && !is_kubernetes_namespace(namespace)
    {
        findings.push(
            Finding::error(metadata.key("namespace"), format!("invalid namespace {namespace:?}"))
                .hint("use lower-case letters, digits and '-', starting and ending with a letter or digit (at most 63 characters)"),
        );
    }
    findings
}

/// Validates a spec; paths in the findings start at `spec`.
pub fn validate_spec(spec: &ProjectsIntegrationSpec) -> Vec<Finding> {
    let root = FieldPath::root().key("spec");
    let mut findings = Vec::new();
    check_connection(spec, &root, &mut findings);
    check_portal(spec, &root, &mut findings);
    check_clients(spec, &root, &mut findings);
    check_related_lists(spec, &root, &mut findings);
    check_permissions(spec, &root, &mut findings);
    check_imports(spec, &root, &mut findings);
    check_deal_conversion(spec, &root, &mut findings);
    check_policy(spec, &root, &mut findings);
    check_deactivated(spec, &root, &mut findings);
    findings
}

fn check_connection(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let connection = root.key("connection");
    let refs = [
        ("secretRef", &spec.connection.secret_ref),
        ("portalSecretRef", &spec.connection.portal_secret_ref),
    ];
    for (key, secret) in refs {
        let Some(secret) = secret else { continue };
        if !is_kubernetes_name(&secret.name) {
            out.push(
                Finding::error(
                    connection.key(key).key("name"),
                    format!("invalid secret name {:?}", secret.name),
                )
                .hint("secret names are Kubernetes object names: lower-case letters, digits, '-' and '.'"),
            );
        }
    }
}

fn check_portal(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    if spec.portal.name.trim().is_empty() {
        out.push(
            Finding::error(root.key("portal").key("name"), "portal name is empty").hint(
                "give the name of the Zoho Projects portal to bind, as shown in Zoho Projects",
            ),
        );
    }
}

fn check_clients(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    check_client_overrides(spec, root, out);
    check_user_overrides(spec, root, out);
}

/// `clients.overrides`: a named client, one Account each way round.
fn check_client_overrides(
    spec: &ProjectsIntegrationSpec,
    root: &FieldPath,
    out: &mut Vec<Finding>,
) {
    let overrides = root.key("clients").key("overrides");
    let mut clients = FirstSeen::default();
    let mut accounts = FirstSeen::default();
    for (index, entry) in spec.clients.overrides.iter().enumerate() {
        let entry_path = overrides.index(index);
        if entry.client.trim().is_empty() {
            out.push(Finding::error(
                entry_path.key("client"),
                "client name is empty",
            ));
        }
        let target = one_target(
            &entry_path,
            ("account", entry.account.as_deref()),
            ("accountId", entry.account_id.as_deref()),
            "an override names its Account by exact name (account) or by record id (accountId)",
            out,
        );
        if let Some(first) = clients.check(&entry.client, &entry_path) {
            out.push(
                Finding::error(
                    entry_path.key("client"),
                    format!(
                        "client {:?} is overridden twice in clients.overrides",
                        entry.client
                    ),
                )
                .hint("a client company maps to one Account; keep one of the two entries")
                .related(first.key("client"), "first entry"),
            );
        }
        if let Some((key, value)) = target
            && let Some(first) = accounts.check(&format!("{key}:{value}"), &entry_path)
        {
            out.push(
                Finding::error(
                    entry_path.key(key),
                    format!("Account {value:?} is the target of two clients.overrides entries"),
                )
                .hint("an Account maps to one client company; keep one of the two entries")
                .related(first.key(key), "first entry"),
            );
        }
    }
}

/// `clients.userOverrides`: a client user's email, one Contact each way round.
fn check_user_overrides(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let user_overrides = root.key("clients").key("userOverrides");
    let mut users = FirstSeen::default();
    let mut contacts = FirstSeen::default();
    for (index, entry) in spec.clients.user_overrides.iter().enumerate() {
        let entry_path = user_overrides.index(index);
        if !is_valid_email(entry.client_user.trim()) {
            out.push(
                Finding::error(
                    entry_path.key("clientUser"),
                    format!("{:?} is not an email address", entry.client_user),
                )
                .hint("name the client user by the email Zoho Projects shows for it"),
            );
        }
        let target = one_target(
            &entry_path,
            ("contact", entry.contact.as_deref()),
            ("contactId", entry.contact_id.as_deref()),
            "an override names its Contact by email (contact) or by record id (contactId)",
            out,
        );
        if let Some(first) = users.check(&entry.client_user, &entry_path) {
            out.push(
                Finding::error(
                    entry_path.key("clientUser"),
                    format!(
                        "client user {:?} is overridden twice in clients.userOverrides",
                        entry.client_user
                    ),
                )
                .hint("a client user maps to one Contact; keep one of the two entries")
                .related(first.key("clientUser"), "first entry"),
            );
        }
        if let Some((key, value)) = target
            && let Some(first) = contacts.check(&format!("{key}:{value}"), &entry_path)
        {
            out.push(
                Finding::error(
                    entry_path.key(key),
                    format!("Contact {value:?} is the target of two clients.userOverrides entries"),
                )
                .hint("a Contact maps to one client user; keep one of the two entries")
                .related(first.key(key), "first entry"),
            );
        }
    }
}

/// Checks that an override names its CRM record exactly one way (by name or by id), and
/// returns that way's key and value.
fn one_target<'a>(
    entry: &FieldPath,
    by_name: (&'static str, Option<&'a str>),
    by_id: (&'static str, Option<&'a str>),
    hint: &str,
    out: &mut Vec<Finding>,
) -> Option<(&'static str, &'a str)> {
    let mut given = Vec::new();
    for (key, value) in [by_name, by_id] {
        let Some(value) = value else { continue };
        if value.trim().is_empty() {
            out.push(Finding::error(entry.key(key), format!("{key} is empty")));
        } else if key == by_id.0 && !value.bytes().all(|b| b.is_ascii_digit()) {
            out.push(
                Finding::error(entry.key(key), format!("{value:?} is not a CRM record id"))
                    .hint("CRM record ids are digits, as in the record's URL"),
            );
        } else {
            given.push((key, value));
        }
    }
    match (by_name.1, by_id.1) {
        (None, None) => {
            out.push(
                Finding::error(
                    entry.clone(),
                    format!("neither {} nor {} is given", by_name.0, by_id.0),
                )
                .hint(hint)
                .at_key(),
            );
            None
        }
        (Some(_), Some(_)) => {
            out.push(
                Finding::error(
                    entry.key(by_id.0),
                    format!("both {} and {} are given", by_name.0, by_id.0),
                )
                .hint(format!("{hint}; keep one")),
            );
            None
        }
        _ => given.pop(),
    }
}

fn check_related_lists(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let lists = root.key("relatedLists");
    let link_module = &spec.related_lists.link_module;
    if !catalog::is_crm_api_name(link_module) {
        out.push(
            Finding::error(lists.key("linkModule"), format!("invalid linkModule {link_module:?}"))
                .hint(format!(
                    "a CRM API name has letters, digits and underscores, starts with a letter and is at most {MAX_CRM_API_NAME_LEN} characters, e.g. Linked_Projects"
                )),
        );
    } else if catalog::supported_module_names()
        .chain(OTHER_STANDARD_MODULES)
        .any(|m| m.eq_ignore_ascii_case(link_module))
    {
        out.push(
            Finding::error(
                lists.key("linkModule"),
                format!("linkModule {link_module:?} is the name of a standard CRM module"),
            )
            .hint("the link module is a custom module of its own; keep the default Linked_Projects or pick another name"),
        );
    }

    let modules = lists.key("modules");
    let mut seen = FirstSeen::default();
    for (index, entry) in spec.related_lists.modules.iter().enumerate() {
        let entry_path = modules.index(index);
        if catalog::supported_module(&entry.module).is_none() {
            let supported: Vec<&str> = catalog::supported_module_names().collect();
            let mut hint = format!("supported modules: {}", supported.join(", "));
            if let Some(guess) = suggest(&entry.module, supported.iter().copied()) {
                hint = format!("did you mean {guess:?}? {hint}");
            }
            out.push(
                Finding::error(
                    entry_path.key("module"),
                    format!(
                        "module {:?} cannot show the Zoho Projects related list",
                        entry.module
                    ),
                )
                .hint(hint),
            );
        }
        if let Some(first) = seen.check_exact(&entry.module, &entry_path) {
            out.push(
                Finding::error(
                    entry_path.key("module"),
                    format!(
                        "duplicate module {:?} in relatedLists.modules",
                        entry.module
                    ),
                )
                .hint("each module may appear once; merge the two entries")
                .related(first.key("module"), "first entry"),
            );
        }
        check_field_map(entry, &entry_path, out);
    }
}

/// A mapping's project field is one projectlink knows and its CRM field is an API name.
fn check_field_names(mapping: &FieldMapping, path: &FieldPath, out: &mut Vec<Finding>) {
    if !catalog::is_project_field(&mapping.project_field) {
        let mut hint = format!(
            "project fields: {}, or a custom field's column name ({CUSTOM_PROJECT_FIELD_PREFIX}...)",
            PROJECT_FIELDS.join(", ")
        );
        if let Some(guess) = suggest(&mapping.project_field, PROJECT_FIELDS) {
            hint = format!("did you mean {guess:?}? {hint}");
        }
        out.push(
            Finding::error(
                path.key("projectField"),
                format!("unknown project field {:?}", mapping.project_field),
            )
            .hint(hint),
        );
    }
    if !catalog::is_crm_api_name(&mapping.crm_field) {
        out.push(
            Finding::error(path.key("crmField"), format!("invalid CRM field name {:?}", mapping.crm_field))
                .hint("use the field's API name (letters, digits and underscores, starting with a letter), e.g. Deal_Name"),
        );
    }
}

fn check_field_map(entry: &RelatedModule, entry_path: &FieldPath, out: &mut Vec<Finding>) {
    let field_map = entry_path.key("fieldMap");
    let mut crm_fields: HashMap<String, (usize, Direction)> = HashMap::new();
    let mut filled_project_fields = FirstSeen::default();
    for (index, mapping) in entry.field_map.iter().enumerate() {
        let path = field_map.index(index);
        check_field_names(mapping, &path, out);
        let crm_key = mapping.crm_field.to_ascii_lowercase();
        match crm_fields.get(&crm_key) {
            Some(&(first, first_direction)) => {
                let both_read = first_direction == Direction::ToProject
                    && mapping.direction == Direction::ToProject;
                if !both_read {
                    let (summary, hint) = if first_direction == mapping.direction {
                        (
                            format!(
                                "two project fields are mapped onto CRM field {:?} in module {}",
                                mapping.crm_field, entry.module
                            ),
                            "a CRM field can be kept equal to one project field only; remove one of the entries",
                        )
                    } else {
                        (
                            format!(
                                "CRM field {:?} in module {} is mapped both ToProject and ToCrm",
                                mapping.crm_field, entry.module
                            ),
                            "a field written from the project must not also feed the project; use another CRM field for one of them",
                        )
                    };
                    out.push(
                        Finding::error(path.key("crmField"), summary)
                            .hint(hint)
                            .related(field_map.index(first).key("crmField"), "first entry"),
                    );
                }
            }
            None => {
                crm_fields.insert(crm_key, (index, mapping.direction));
            }
        }
        if mapping.direction == Direction::ToProject
            && let Some(first) = filled_project_fields.check_exact(&mapping.project_field, &path)
        {
            out.push(
                Finding::error(
                    path.key("projectField"),
                    format!(
                        "project field {:?} is filled from two CRM fields in module {}",
                        mapping.project_field, entry.module
                    ),
                )
                .hint(
                    "a project field takes its value from one CRM field; remove one of the entries",
                )
                .related(first.key("projectField"), "first entry"),
            );
        }
    }
}

fn check_permissions(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let permissions = root.key("permissions");
    if spec.permissions.default_role.trim().is_empty() {
        out.push(
            Finding::error(permissions.key("defaultRole"), "defaultRole is empty")
                .hint("name a portal role, e.g. Employee"),
        );
    }
    let profiles = permissions.key("profiles");
    let mut seen = FirstSeen::default();
    for (index, entry) in spec.permissions.profiles.iter().enumerate() {
        let path = profiles.index(index);
        if entry.profile.trim().is_empty() {
            out.push(Finding::error(path.key("profile"), "profile name is empty"));
        }
        if let Some(first) = seen.check(&entry.profile, &path) {
            out.push(
                Finding::error(
                    path.key("profile"),
                    format!(
                        "duplicate profile {:?} in permissions.profiles",
                        entry.profile
                    ),
                )
                .hint("each profile may appear once; merge the two entries")
                .related(first.key("profile"), "first entry"),
            );
        }
        if entry.related_list.grants_without_view() {
            out.push(
                Finding::error(
                    path.key("relatedList"),
                    format!("profile {:?} may create, edit or delete projects in the related list without viewing it", entry.profile),
                )
                .hint("CRM needs view permission for create, edit and delete; set view: true")
                .at_key(),
            );
        }
    }
    let users = permissions.key("users");
    let mut emails = EmailList {
        list: "permissions.users",
        invalid_hint: ZOHO_EMAIL_HINT,
        duplicate_hint: "each user may have one override; keep one of the two entries",
        seen: FirstSeen::default(),
    };
    for (index, entry) in spec.permissions.users.iter().enumerate() {
        emails.check(&entry.email, &users.index(index).key("email"), out);
    }
}

fn check_imports(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let imports = root.key("imports");
    let excluded: HashMap<String, usize> = spec
        .permissions
        .users
        .iter()
        .enumerate()
        .filter(|(_, user)| !user.access)
        .map(|(index, user)| (user.email.to_lowercase(), index))
        .collect();
    let mut portal_seen = FirstSeen::default();
    for (index, entry) in spec.imports.portal_users.iter().enumerate() {
        let path = imports.key("portalUsers").index(index);
        check_email(&entry.email, &path.key("email"), ZOHO_EMAIL_HINT, out);
        if let Some(first) = portal_seen.check(&entry.email, &path) {
            out.push(duplicate_import(&path, &first, &entry.email, "portalUsers"));
        }
        if let Some(&user) = excluded.get(&entry.email.to_lowercase()) {
            out.push(
                Finding::error(
                    path.key("email"),
                    format!(
                        "{:?} is imported into the portal but excluded by permissions.users",
                        entry.email
                    ),
                )
                .hint("remove the import or give the user access: true")
                .related(
                    root.key("permissions")
                        .key("users")
                        .index(user)
                        .key("email"),
                    "excluded",
                ),
            );
        }
        if entry
            .role
            .as_deref()
            .is_some_and(|role| role.trim().is_empty())
        {
            out.push(
                Finding::error(path.key("role"), "role is empty")
                    .hint("name a portal role, or leave role out to use permissions.defaultRole"),
            );
        }
        check_project_names(&entry.projects, &path.key("projects"), out);
    }
    let mut client_seen = FirstSeen::default();
    for (index, entry) in spec.imports.client_users.iter().enumerate() {
        let path = imports.key("clientUsers").index(index);
        check_email(&entry.email, &path.key("email"), ZOHO_EMAIL_HINT, out);
        if let Some(first) = client_seen.check(&entry.email, &path) {
            out.push(duplicate_import(&path, &first, &entry.email, "clientUsers"));
        }
        if let Some(portal) = portal_seen.get(&entry.email) {
            out.push(
                Finding::error(
                    path.key("email"),
                    format!("{:?} is imported both as a portal user and as a client user", entry.email),
                )
                .hint("a Zoho Projects user is either a portal user or a client user; keep one import")
                .related(portal.key("email"), "portal user import"),
            );
        }
        check_project_names(&entry.projects, &path.key("projects"), out);
    }
}

fn duplicate_import(path: &FieldPath, first: &FieldPath, email: &str, list: &str) -> Finding {
    Finding::error(
        path.key("email"),
        format!("duplicate user {email:?} in imports.{list}"),
    )
    .hint("each user may be imported once; merge the two entries")
    .related(first.key("email"), "first entry")
}

fn check_project_names(projects: &[String], path: &FieldPath, out: &mut Vec<Finding>) {
    let mut seen = FirstSeen::default();
    for (index, project) in projects.iter().enumerate() {
        let item = path.index(index);
        if project.trim().is_empty() {
            out.push(Finding::error(item.clone(), "project name is empty"));
        } else if let Some(first) = seen.check_exact(project, &item) {
            out.push(
                Finding::error(item, format!("project {project:?} is listed twice"))
                    .hint("list each project once")
                    .related(first, "first entry"),
            );
        }
    }
}

/// What to write instead of an invalid email of a Zoho user.
const ZOHO_EMAIL_HINT: &str = "write the address the user signs in to Zoho with, e.g. pat@acme.com";

/// Reports `email` at `path` when it is not a valid address. Each kind passes its own `hint`:
/// the address asked for is the one its users sign in with.
pub(crate) fn check_email(email: &str, path: &FieldPath, hint: &str, out: &mut Vec<Finding>) {
    if !is_valid_email(email) {
        out.push(Finding::error(path.clone(), format!("invalid email {email:?}")).hint(hint));
    }
}

/// A list of users by email, as each kind's spec has them: every email valid and listed once.
pub(crate) struct EmailList<'a> {
    /// The list's name in messages: `permissions.users`.
    pub(crate) list: &'a str,
    /// What to write instead of an invalid email.
    pub(crate) invalid_hint: &'a str,
    /// What to do about a user listed twice.
    pub(crate) duplicate_hint: &'a str,
    pub(crate) seen: FirstSeen,
}

impl EmailList<'_> {
    /// Checks the email at `path`, the next entry of the list.
    pub(crate) fn check(&mut self, email: &str, path: &FieldPath, out: &mut Vec<Finding>) {
        check_email(email, path, self.invalid_hint, out);
        if let Some(first) = self.seen.check(email, path) {
            let message = format!("duplicate user {email:?} in {}", self.list);
            out.push(
                Finding::error(path.clone(), message)
                    .hint(self.duplicate_hint)
                    .related(first, "first entry"),
            );
        }
    }
}

fn check_deal_conversion(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    let Some(conversion) = &spec.deal_conversion else {
        return;
    };
    let path = root.key("dealConversion");
    if conversion.stage.trim().is_empty() {
        out.push(
            Finding::error(path.key("stage"), "deal stage is empty")
                .hint("name the Deals stage that turns a deal into a project, e.g. Closed Won"),
        );
    }
    if conversion
        .template
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        out.push(
            Finding::error(path.key("template"), "template name is empty")
                .hint("name a project template, or leave template out"),
        );
    }
}

fn check_policy(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    check_change_percent(spec.policy.max_change_percent, root, out);
}

/// `policy.maxChangePercent` of either kind lies in 1..=100.
pub(crate) fn check_change_percent(percent: u32, root: &FieldPath, out: &mut Vec<Finding>) {
    if !(1..=100).contains(&percent) {
        out.push(
            Finding::error(
                root.key("policy").key("maxChangePercent"),
                format!("maxChangePercent {percent} is outside 1..=100"),
            )
            .hint("give the largest share (in percent) of managed objects a plan may update or delete, e.g. 30"),
        );
    }
}

fn check_deactivated(spec: &ProjectsIntegrationSpec, root: &FieldPath, out: &mut Vec<Finding>) {
    if spec.state != IntegrationState::Deactivated {
        return;
    }
    let mut conflict = |path: FieldPath, what: &str| {
        out.push(
            Finding::error(path, format!("{what} with state: Deactivated"))
                .hint(format!(
                    "a deactivated integration writes nothing but the deactivation; remove {what} or set state: Active"
                ))
                .at_key()
                .related(root.key("state"), "state set"),
        );
    };
    if !spec.imports.is_empty() {
        conflict(root.key("imports"), "imports");
    }
    if spec.deal_conversion.is_some() {
        conflict(root.key("dealConversion"), "dealConversion");
    }
    if !spec.clients.overrides.is_empty() {
        conflict(root.key("clients").key("overrides"), "clients.overrides");
    }
    if !spec.clients.user_overrides.is_empty() {
        conflict(
            root.key("clients").key("userOverrides"),
            "clients.userOverrides",
        );
    }
}

/// First occurrence of each name in a list, to report the second one.
#[derive(Default)]
pub(crate) struct FirstSeen {
    seen: HashMap<String, FieldPath>,
}

impl FirstSeen {
    /// Case-insensitive: returns the first entry's path when `name` was seen before.
    pub(crate) fn check(&mut self, name: &str, path: &FieldPath) -> Option<FieldPath> {
        self.check_key(name.trim().to_lowercase(), path)
    }

    /// Case-sensitive variant, for names the systems compare exactly.
    pub(crate) fn check_exact(&mut self, name: &str, path: &FieldPath) -> Option<FieldPath> {
        self.check_key(name.to_owned(), path)
    }

    fn check_key(&mut self, key: String, path: &FieldPath) -> Option<FieldPath> {
        match self.seen.get(&key) {
            Some(first) => Some(first.clone()),
            None => {
                self.seen.insert(key, path.clone());
                None
            }
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&FieldPath> {
        self.seen.get(&name.trim().to_lowercase())
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
