//! Microsoft Graph for an Office365Integration: the application permissions the app token
//! carries (its `roles` claim) against what the configured syncs need, then the reads the
//! sync makes, each once: the tenant's users, a synced user's calendars and contact folders,
//! and a calendar delta round over the window projectlink uses (Graph must accept it).

use base64::Engine;
use serde_json::Value;

use super::GlobalArgs;
use super::report::Check;
use crate::cli::target::{self, Connected};
use crate::cli::workflow::client_options;
use crate::graph::{DeltaFrom, EventWindow, GraphClient, GraphError, ItemKind};
use crate::spec::office365::Office365IntegrationSpec;

/// The application permissions each part of the sync needs; any one of a row's roles will do.
fn needed(spec: &Office365IntegrationSpec) -> Vec<(&'static str, &'static [&'static str])> {
    let mut rows: Vec<(&'static str, &'static [&'static str])> = vec![(
        "reading the tenant's users",
        &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
    )];
    if !spec.calendar_sync.users.is_empty() {
        rows.push(("calendar sync", &["Calendars.ReadWrite"]));
    }
    if !spec.contacts_sync.users.is_empty() {
        rows.push(("contacts sync", &["Contacts.ReadWrite"]));
    }
    rows
}

/// The `roles` claim of a JWT access token; `None` when the token is not a readable JWT.
pub fn token_roles(token: &str) -> Option<Vec<String>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    Some(
        claims
            .get("roles")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    )
}

/// Connects to Graph as `plan` does and runs the Graph checks.
pub async fn probe_all(
    global: &GlobalArgs,
    connected: &Connected,
    spec: &Office365IntegrationSpec,
    checks: &mut Vec<Check>,
) {
    let options = client_options(global);
    let secret = &spec.connection.graph_secret_ref.name;
    let graph = match target::connect_graph(global, connected, secret, &spec.tenant, &options) {
        Ok(graph) => graph,
        Err(e) => {
            let causes: Vec<String> = e.chain().map(ToString::to_string).collect();
            checks.push(Check::fail(
                "graph",
                causes.join(": "),
                "configure the app registration connection.graphSecretRef names",
            ));
            return;
        }
    };
    if !permissions(&graph, spec, checks).await {
        return;
    }
    reads(&graph, spec, checks).await;
}

/// The app token's roles against [`needed`]; whether a token was obtained.
async fn permissions(
    graph: &GraphClient,
    spec: &Office365IntegrationSpec,
    checks: &mut Vec<Check>,
) -> bool {
    let token = match graph.token().await {
        Ok(token) => token,
        Err(e) => {
            checks.push(Check::fail(
                "graph",
                format!("tenant {}: {e}", spec.tenant),
                "check the tenant id, client id and secret of the app registration",
            ));
            return false;
        }
    };
    let Some(roles) = token_roles(token.value.expose()) else {
        checks.push(Check::warn(
            "graph",
            format!(
                "tenant {}: the app token does not list its permissions",
                spec.tenant
            ),
            "the reads below show what the app may do; writes cannot be checked without writing",
        ));
        return true;
    };
    checks.push(Check::ok(
        "graph",
        format!(
            "tenant {}: token obtained; application permissions: {}",
            spec.tenant,
            roles.join(", ")
        ),
    ));
    for (what, any_of) in needed(spec) {
        if roles
            .iter()
            .any(|r| any_of.iter().any(|n| n.eq_ignore_ascii_case(r)))
        {
            checks.push(Check::ok(
                "graph",
                format!("{what}: permission granted ({})", any_of[0]),
            ));
        } else {
            checks.push(Check::fail(
                "graph",
                format!(
                    "{what} needs the application permission {}, which the app does not hold",
                    any_of[0]
                ),
                format!(
                    "grant {} (application) to the app registration and give admin consent",
                    any_of[0]
                ),
            ));
        }
    }
    true
}

fn failed_read(what: String, e: &GraphError) -> Check {
    Check::fail(
        "graph",
        format!("{what}: {e}"),
        "the sync reads this on every run; the error says what Graph refused",
    )
}

/// The sync's reads, each once, for the first synced user.
async fn reads(graph: &GraphClient, spec: &Office365IntegrationSpec, checks: &mut Vec<Check>) {
    match graph.users().await {
        Ok(users) => checks.push(Check::ok(
            "graph",
            format!("GET /users: {} user(s)", users.len()),
        )),
        Err(e) => checks.push(failed_read("GET /users".into(), &e)),
    }
    if let Some(user) = spec.calendar_sync.users.first() {
        match graph.folders(user, ItemKind::Event).await {
            Ok(calendars) => {
                checks.push(Check::ok(
                    "graph",
                    format!("{user}: {} calendar(s)", calendars.len()),
                ));
                if let Some(calendar) = calendars.first() {
                    let span = spec.calendar_sync.window;
                    let window =
                        EventWindow::around(chrono::Utc::now(), span.past_days, span.future_days);
                    probe_window(graph, user, &calendar.id, window, checks).await;
                }
            }
            Err(e) => checks.push(failed_read(format!("{user}: calendars"), &e)),
        }
    }
    if let Some(user) = spec.contacts_sync.users.first() {
        match graph.folders(user, ItemKind::Contact).await {
            Ok(folders) => checks.push(Check::ok(
                "graph",
                format!("{user}: {} contact folder(s)", folders.len()),
            )),
            Err(e) => checks.push(failed_read(format!("{user}: contact folders"), &e)),
        }
    }
}

/// A delta round over the calendar window the sync uses (Graph refuses a range longer than
/// it serves).
async fn probe_window(
    graph: &GraphClient,
    user: &str,
    calendar: &str,
    window: EventWindow,
    checks: &mut Vec<Check>,
) {
    let from = DeltaFrom::Window(window);
    match graph.delta(user, ItemKind::Event, calendar, &from, 1000).await {
        Ok(_) => checks.push(Check::ok(
            "graph",
            format!("{user}: calendar window {window} accepted (calendarView/delta)"),
        )),
        Err(e) => checks.push(Check::fail(
            "graph",
            format!("{user}: calendar window {window}: {e}"),
            "Graph refused the window the calendar sync uses (calendarSync.window); keep pastDays + futureDays within what Graph serves",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::token_roles;
    use base64::Engine;

    #[test]
    fn roles_come_from_the_tokens_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"roles":["Calendars.ReadWrite","User.Read.All"]}"#);
        let token = format!("eyJ0eXAiOiJKV1QifQ.{payload}.sig");
        assert_eq!(
            token_roles(&token),
            Some(vec!["Calendars.ReadWrite".into(), "User.Read.All".into()])
        );
        assert_eq!(token_roles("opaque"), None);
        assert_eq!(token_roles("a.bm90IGpzb24.c"), None);
    }
}
