//! REST clients for Zoho Accounts, CRM and Projects, and the traits the reconciler talks
//! through (so tests can substitute scripted failures for a real service).
//!
//! [`ZohoClients::connect`] wires everything from the data centre's [`Endpoints`], the
//! credentials named by the spec and [`ClientOptions`]; every call is counted in the shared
//! [`ApiStats`].

pub mod auth;
pub mod call_log;
pub mod credentials;
pub mod crm;
pub mod dc;
pub mod error;
mod lenient;
pub mod listing;
pub mod pacing;
pub mod projects;
pub mod quota;
pub mod redact;
mod response;
pub mod retry;
pub mod stats;
pub mod token_store;
pub mod transport;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Semaphore;

pub use credentials::{Credentials, GraphCredentials, Secret, ZohoCredentials};
pub use crm::CrmClient;
pub use dc::{DataCenter, Endpoints};
pub use error::{ApiError, AuthError, ItemError, RequestDescription, System, ZohoError};
pub use projects::ProjectsClient;
pub use retry::RetryPolicy;
pub use stats::{ApiStats, ApiStatsSnapshot};
pub use transport::FaultScript;

use crm::{
    CrmUser, DeletedRecord, Field, FieldUpdate, Module, NewField, NewModule, NewUser, NewVariable,
    Org, Profile, Record, RecordQuery, RelatedList, Role, SearchResult, UserType, UserUpdate,
    Variable, VariableUpdate, WriteResult,
};
use projects::{
    Client, ClientUser, ListingHead, ListingPages, NewClient, NewProject, Portal, PortalUserFilter,
    Project, ProjectClient, ProjectCustomField, ProjectFilter, ProjectUpdate, ProjectsUser,
};

/// Default bound on requests in flight per service (Zoho's sub-concurrency limit for heavy
/// calls is 10 in every paid edition).
pub const DEFAULT_CONCURRENCY: usize = 10;
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the clients behave on the network.
#[derive(Clone)]
pub struct ClientOptions {
    /// Requests in flight at once, per service (CRM and Projects each have this many).
    pub concurrency: usize,
    /// Whole-request timeout (connect, send, receive).
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Called before each attempt; see [`FaultScript`].
    pub fault_script: Option<FaultScript>,
    /// Keeps access tokens between runs (Zoho issues only ten per grant per ten minutes).
    pub token_store: Option<Arc<dyn token_store::TokenStore>>,
    /// What stored tokens are valid for, when not the token endpoint's URL (an embedded
    /// sandbox listens on a new port every run but keeps its tokens in its database).
    pub token_store_scope: Option<String>,
    /// Calls per Zoho Projects API and window, per Zoho user (see [`pacing`]).
    pub projects_rate_limit: pacing::RateLimit,
    /// Told about every wait for a rate limit worth mentioning (longer than two seconds).
    pub wait_notice: Option<pacing::WaitNotice>,
    /// Told of every page a listing reads (progress of observing a large org).
    pub progress: Option<listing::ListingProgress>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            fault_script: None,
            token_store: None,
            token_store_scope: None,
            projects_rate_limit: pacing::RateLimit::DEFAULT,
            wait_notice: None,
            progress: None,
        }
    }
}

impl ClientOptions {
    /// The HTTP client every service's transport sends through, with these timeouts.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, ZohoError> {
        // reqwest is built without a bundled crypto provider; an earlier install is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("projectlink/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ZohoError::InvalidInput(format!("cannot build the HTTP client: {e}")))
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("fault_script", &self.fault_script.is_some())
            .field("token_store", &self.token_store.is_some())
            .field("projects_rate_limit", &self.projects_rate_limit)
            .finish()
    }
}

/// The connected clients of one integration and their shared counters.
#[derive(Debug, Clone)]
pub struct ZohoClients {
    pub crm: CrmClient,
    pub projects: ProjectsClient,
    pub stats: Arc<ApiStats>,
}

impl ZohoClients {
    /// Builds the clients; no request is sent until the first call. The Projects side uses
    /// the portal owner's grant when `credentials.portal` is set, else the CRM grant (and
    /// then shares its access token).
    pub fn connect(
        endpoints: &Endpoints,
        credentials: &ZohoCredentials,
        options: &ClientOptions,
    ) -> Result<ZohoClients, ZohoError> {
        let http = options.http_client()?;
        let stats = Arc::new(ApiStats::default());
        let token_source = |creds: &Credentials| {
            Arc::new(
                auth::TokenSource::new(
                    http.clone(),
                    &endpoints.accounts,
                    creds.clone(),
                    options.retry.clone(),
                    stats.clone(),
                    options.token_store.clone(),
                    options.token_store_scope.as_deref(),
                )
                .with_notice(options.wait_notice.clone()),
            )
        };
        let crm_tokens = token_source(&credentials.crm);
        let projects_tokens = match &credentials.portal {
            Some(portal) => token_source(portal),
            None => crm_tokens.clone(),
        };
        let concurrency = options.concurrency.max(1);
        let projects_pacer = pacing::Pacer::new(
            projects_tokens.pace_key(),
            options.projects_rate_limit,
            options.wait_notice.clone(),
        );
        let transport = |system, base: &reqwest::Url, tokens, pacer| {
            Arc::new(transport::Transport::new(transport::TransportParts {
                system,
                http: http.clone(),
                base: base.clone(),
                follow_api_domain: endpoints.follow_api_domain,
                tokens,
                limiter: Arc::new(Semaphore::new(concurrency)),
                retry: options.retry.clone(),
                stats: stats.clone(),
                fault: options.fault_script.clone(),
                pacer,
                // Projects' rate-limit waits are told by the pacer; the transport tells of
                // long retry waits and calls that went unanswered.
                notice: options.wait_notice.clone(),
                progress: options.progress.clone(),
            }))
        };
        Ok(ZohoClients {
            crm: CrmClient::new(transport(System::Crm, &endpoints.crm, crm_tokens, None)),
            projects: ProjectsClient::new(transport(
                System::Projects,
                &endpoints.projects,
                projects_tokens,
                Some(projects_pacer),
            )),
            stats,
        })
    }
}

/// Everything the reconciler asks of Zoho CRM. Implemented by [`CrmClient`]; tests implement
/// it to script failures. Batch writes return one result per input item, in input order.
pub trait CrmApi: Send + Sync {
    /// How far this machine's clock ran ahead of Zoho's in the answers so far, from their
    /// `Date` headers (see [`ApiStats::clock_ahead`]); `None` when not measured.
    fn clock_ahead(&self) -> Option<chrono::Duration> {
        None
    }
    fn org(&self) -> impl Future<Output = Result<Org, ZohoError>> + Send;
    fn users(
        &self,
        user_type: UserType,
    ) -> impl Future<Output = Result<Vec<CrmUser>, ZohoError>> + Send;
    /// Users of `user_type` changed after `since` (deleted ones with status `deleted`).
    fn users_modified_since(
        &self,
        user_type: UserType,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<CrmUser>, ZohoError>> + Send;
    fn user(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<CrmUser>, ZohoError>> + Send;
    fn add_user(&self, user: &NewUser) -> impl Future<Output = Result<String, ZohoError>> + Send;
    fn update_user(
        &self,
        user_id: &str,
        update: &UserUpdate,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn roles(&self) -> impl Future<Output = Result<Vec<Role>, ZohoError>> + Send;
    fn profiles(&self) -> impl Future<Output = Result<Vec<Profile>, ZohoError>> + Send;
    fn profile(&self, profile_id: &str) -> impl Future<Output = Result<Profile, ZohoError>> + Send;
    fn update_profile_permissions(
        &self,
        profile_id: &str,
        permissions: &[(String, bool)],
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn modules(&self) -> impl Future<Output = Result<Vec<Module>, ZohoError>> + Send;
    fn module(
        &self,
        api_name: &str,
    ) -> impl Future<Output = Result<Option<Module>, ZohoError>> + Send;
    fn create_module(
        &self,
        module: &NewModule,
    ) -> impl Future<Output = Result<String, ZohoError>> + Send;
    fn fields(&self, module: &str) -> impl Future<Output = Result<Vec<Field>, ZohoError>> + Send;
    fn create_fields(
        &self,
        module: &str,
        fields: &[NewField],
    ) -> impl Future<Output = Result<Vec<Result<String, ItemError>>, ZohoError>> + Send;
    fn update_field(
        &self,
        module: &str,
        field_id: &str,
        update: &FieldUpdate,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn delete_field(
        &self,
        module: &str,
        field_id: &str,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn related_lists(
        &self,
        module: &str,
    ) -> impl Future<Output = Result<Vec<RelatedList>, ZohoError>> + Send;
    fn variables(&self) -> impl Future<Output = Result<Vec<Variable>, ZohoError>> + Send;
    fn create_variable(
        &self,
        variable: &NewVariable,
    ) -> impl Future<Output = Result<String, ZohoError>> + Send;
    fn update_variable(
        &self,
        variable_id: &str,
        update: &VariableUpdate,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn delete_variable(
        &self,
        variable_id: &str,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn records(
        &self,
        module: &str,
        fields: &[String],
        query: &RecordQuery,
    ) -> impl Future<Output = Result<Vec<Record>, ZohoError>> + Send;
    fn record(
        &self,
        module: &str,
        record_id: &str,
    ) -> impl Future<Output = Result<Option<Record>, ZohoError>> + Send;
    fn insert_records(
        &self,
        module: &str,
        records: &[Record],
    ) -> impl Future<Output = Result<Vec<WriteResult>, ZohoError>> + Send;
    fn update_records(
        &self,
        module: &str,
        records: &[Record],
    ) -> impl Future<Output = Result<Vec<WriteResult>, ZohoError>> + Send;
    fn upsert_records(
        &self,
        module: &str,
        records: &[Record],
        duplicate_check_fields: &[String],
    ) -> impl Future<Output = Result<Vec<WriteResult>, ZohoError>> + Send;
    fn delete_records(
        &self,
        module: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Result<String, ItemError>>, ZohoError>> + Send;
    fn search_records(
        &self,
        module: &str,
        criteria: &str,
        fields: &[String],
    ) -> impl Future<Output = Result<SearchResult, ZohoError>> + Send;
    fn count(
        &self,
        module: &str,
        criteria: Option<&str>,
    ) -> impl Future<Output = Result<u64, ZohoError>> + Send;
    /// Records modified at or after `since` (every record when `None`), oldest change first,
    /// with `fields` and `Modified_Time`; none (not an error) when nothing changed.
    fn records_modified_since(
        &self,
        module: &str,
        fields: &[&str],
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Vec<Value>, ZohoError>> + Send;
    /// The records with these ids, in that order; ids without a record are left out.
    fn records_by_ids(
        &self,
        module: &str,
        ids: &[String],
        fields: &[&str],
    ) -> impl Future<Output = Result<Vec<Value>, ZohoError>> + Send;
    /// Records deleted at or after `since` (all that Zoho still lists when `None`).
    fn deleted_records(
        &self,
        module: &str,
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Vec<DeletedRecord>, ZohoError>> + Send;
}

/// Everything the reconciler asks of Zoho Projects. Implemented by [`ProjectsClient`].
pub trait ProjectsApi: Send + Sync {
    fn portals(&self) -> impl Future<Output = Result<Vec<Portal>, ZohoError>> + Send;
    fn portal(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Option<Portal>, ZohoError>> + Send;
    fn projects(
        &self,
        portal_id: &str,
        filter: ProjectFilter,
    ) -> impl Future<Output = Result<Vec<Project>, ZohoError>> + Send;
    /// Active and archived projects modified at or after `since_ms` (epoch milliseconds).
    fn projects_changed_since(
        &self,
        portal_id: &str,
        since_ms: i64,
    ) -> impl Future<Output = Result<Vec<Project>, ZohoError>> + Send;
    fn project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<Option<Project>, ZohoError>> + Send;
    fn create_project(
        &self,
        portal_id: &str,
        project: &NewProject,
    ) -> impl Future<Output = Result<Project, ZohoError>> + Send;
    fn update_project(
        &self,
        portal_id: &str,
        project_id: &str,
        update: &ProjectUpdate,
    ) -> impl Future<Output = Result<Project, ZohoError>> + Send;
    fn delete_project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send;
    fn project_custom_fields(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Vec<ProjectCustomField>, ZohoError>> + Send;
    /// The names of the roles users can be given in the portal.
    fn portal_roles(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, ZohoError>> + Send;
    fn portal_users(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send;
    /// The portal's users, the first page or all, with Zoho's count of them all (see
    /// [`ListingHead`]).
    fn portal_users_counted(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
        pages: ListingPages,
    ) -> impl Future<Output = Result<ListingHead<ProjectsUser>, ZohoError>> + Send;
    fn add_portal_users(
        &self,
        portal_id: &str,
        emails: &[String],
        role: &str,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send;
    fn update_portal_user(
        &self,
        portal_id: &str,
        user_id: &str,
        role: &str,
    ) -> impl Future<Output = Result<ProjectsUser, ZohoError>> + Send;
    fn project_users(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send;
    fn add_project_users(
        &self,
        portal_id: &str,
        project_id: &str,
        emails: &[String],
        role: &str,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send;
    fn clients(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Vec<Client>, ZohoError>> + Send;
    /// The portal's client companies, the first page or all, with Zoho's count of them all.
    fn clients_counted(
        &self,
        portal_id: &str,
        pages: ListingPages,
    ) -> impl Future<Output = Result<ListingHead<Client>, ZohoError>> + Send;
    fn create_client(
        &self,
        portal_id: &str,
        client: &NewClient,
    ) -> impl Future<Output = Result<Client, ZohoError>> + Send;
    fn client_users(
        &self,
        portal_id: &str,
        client_id: &str,
    ) -> impl Future<Output = Result<Vec<ClientUser>, ZohoError>> + Send;
    fn add_client_user(
        &self,
        portal_id: &str,
        client_id: &str,
        email: &str,
        name: Option<&str>,
    ) -> impl Future<Output = Result<ClientUser, ZohoError>> + Send;
    fn add_client_user_to_projects(
        &self,
        portal_id: &str,
        user_id: &str,
        project_ids: &[String],
    ) -> impl Future<Output = Result<ClientUser, ZohoError>> + Send;
    fn project_clients(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<Vec<ProjectClient>, ZohoError>> + Send;
    fn add_project_client(
        &self,
        portal_id: &str,
        project_id: &str,
        client_id: &str,
        primary: bool,
    ) -> impl Future<Output = Result<ProjectClient, ZohoError>> + Send;
}
