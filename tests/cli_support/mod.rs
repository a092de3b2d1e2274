//! Shared harness of the CLI end-to-end tests: a sandbox served in-process on an ephemeral
//! port, and the real `projectlink` binary run against it with a clean environment.

#![allow(dead_code)]

pub mod office365;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use projectlink::sandbox::seed::{DEMO_SEED_YAML, Seed};
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};

pub struct Harness {
    pub runtime: tokio::runtime::Runtime,
    pub sandbox: Option<SandboxHandle>,
    pub url: String,
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Harness {
    /// A sandbox seeded with the demo org.
    pub fn demo() -> Harness {
        Harness::with_seed_text(DEMO_SEED_YAML)
    }

    pub fn with_seed_text(text: &str) -> Harness {
        Harness::with_config(text, |_| {})
    }

    /// A sandbox from `text`, with `adjust` applied to its configuration (faults, latency).
    pub fn with_config(text: &str, adjust: impl FnOnce(&mut SandboxConfig)) -> Harness {
        let seed = Seed::parse(text, "test seed").expect("seed parses");
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = SandboxConfig {
            db: Some(dir.path().join("sandbox.db")),
            seed: Some(seed),
            ..SandboxConfig::default()
        };
        adjust(&mut config);
        let sandbox = runtime
            .block_on(Sandbox::start(config))
            .expect("sandbox starts");
        let url = sandbox.url.clone();
        Harness {
            runtime,
            sandbox: Some(sandbox),
            url,
            dir,
        }
    }

    pub fn sandbox(&self) -> &SandboxHandle {
        self.sandbox.as_ref().unwrap()
    }

    /// API requests (not token requests) the sandbox has answered so far.
    pub fn api_calls(&self) -> u64 {
        self.sandbox().counters.api_total()
    }

    /// Requests that could change state (anything but GET), token requests excluded.
    pub fn writes(&self) -> u64 {
        self.sandbox()
            .counters
            .snapshot()
            .iter()
            .filter(|(k, _)| !k.starts_with("GET ") && !k.contains("/oauth/"))
            .map(|(_, v)| v)
            .sum()
    }

    /// What the data plane made, read from the sandbox's database: projects, link records,
    /// project clients, client users, portal users and client mappings, each listed once
    /// per occurrence (so a duplicate shows up twice), by name rather than id.
    pub fn data_state(&self) -> Vec<String> {
        let db = rusqlite::Connection::open_with_flags(
            self.dir.path().join("sandbox.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let queries = [
            "SELECT 'project ' || name FROM prj_projects WHERE trashed = 0",
            "SELECT 'link ' || COALESCE(p.name, '?') || ' deal=' || (json_extract(r.data, '$.Deal') IS NOT NULL)
                 || ' account=' || (json_extract(r.data, '$.Account') IS NOT NULL)
             FROM crm_records r LEFT JOIN prj_projects p
               ON CAST(p.id AS TEXT) = json_extract(r.data, '$.Project_Id')
             WHERE r.module = 'Linked_Projects'",
            "SELECT 'project-client ' || p.name || ' ' || c.name || ' primary=' || pc.is_primary
             FROM prj_project_clients pc JOIN prj_projects p ON p.id = pc.project_id
             JOIN prj_clients c ON c.id = pc.client_id",
            "SELECT 'client ' || name FROM prj_clients",
            "SELECT 'client-user ' || email FROM prj_client_users",
            "SELECT 'client-user-project ' || u.email || ' ' || p.name FROM prj_client_user_projects cp
             JOIN prj_client_users u ON u.zpuid = cp.zpuid JOIN prj_projects p ON p.id = cp.project_id",
            "SELECT 'portal-user ' || email FROM prj_portal_users",
            "SELECT 'account-mapping ' || json_extract(r.data, '$.Account_Name') || ' ' || c.name
             FROM crm_records r JOIN prj_clients c
               ON CAST(c.id AS TEXT) = json_extract(r.data, '$.Projects_Client_Id')
             WHERE r.module = 'Accounts'",
        ];
        let mut rows = Vec::new();
        for q in queries {
            let mut stmt = db.prepare(q).unwrap();
            let found = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap);
            rows.extend(found);
        }
        rows.sort();
        rows
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs the binary against this sandbox.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let all = self.args(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        run_binary(&all, env)
    }

    /// `args` preceded by this sandbox's target and state folder.
    pub fn args<'a>(&'a self, args: &[&'a str]) -> Vec<String> {
        let state = self.path("state");
        let mut all = vec![
            "--target".to_string(),
            self.url.clone(),
            "--state-dir".into(),
            state.to_str().unwrap().into(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    }

    /// Runs `args` against this sandbox and kills the process with SIGKILL (nothing is
    /// flushed or closed after it) as soon as `ready` holds, polled every 5 ms. Fails,
    /// naming `what`, when the process ends first or `ready` does not hold within `within`.
    pub fn kill_when(
        &self,
        args: &[&str],
        within: Duration,
        what: &str,
        mut ready: impl FnMut() -> bool,
    ) {
        let args = self.args(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = command(&args, &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + within;
        while !ready() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the process ended before {what}"
            );
            assert!(Instant::now() < deadline, "not in time: {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// Runs `projectlink` with a clean environment (no Zoho credentials, no colours).
pub fn run_binary(args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(args, env).output().expect("binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The `projectlink` command with a clean environment, not yet started.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_projectlink"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent-home")
        .env("NO_COLOR", "1")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn read_example(name: &str) -> String {
    std::fs::read_to_string(example(name)).unwrap()
}

/// The credentials file of a generated org (`sandbox generate`): the CRM admin's grant under
/// `zoho-oauth`, the portal owner's under `pm-admin-oauth`, as the generated specs name them.
pub fn generated_credentials() -> String {
    use projectlink::sandbox::generate;
    format!(
        "zoho-oauth:\n  client_id: {}\n  client_secret: {}\n  refresh_token: {}\npm-admin-oauth:\n  refresh_token: {}\n",
        generate::CLIENT_ID,
        generate::CLIENT_SECRET,
        generate::ADMIN_REFRESH_TOKEN,
        generate::OWNER_REFRESH_TOKEN
    )
}

/// A JSON plan's changes as `kind key action` lines, sorted.
pub fn change_lines(doc: &serde_json::Value) -> Vec<String> {
    let mut list: Vec<String> = doc["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["address"]["kind"].as_str().unwrap_or_default(),
                c["address"]["key"].as_str().unwrap_or_default(),
                c["action"].as_str().unwrap_or_default()
            )
        })
        .collect();
    list.sort();
    list
}

/// The spec the generated-org tests plan: integration `name` on the generated portal, with
/// automatic client mapping, a related list in each of `modules`, the Administrator profile's
/// related-list rights, and, with `deal_conversion`, projects from won Deals.
pub fn generated_spec(name: &str, modules: &[&str], deal_conversion: bool) -> String {
    let modules: String = modules
        .iter()
        .map(|m| format!("      - module: {m}\n"))
        .collect();
    let conversion = if deal_conversion {
        "  dealConversion: {stage: Closed Won, template: Standard Delivery}\n"
    } else {
        ""
    };
    format!(
        r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {{name: {name}}}
spec:
  connection: {{dataCenter: us, secretRef: {{name: zoho-oauth}}, portalSecretRef: {{name: pm-admin-oauth}}}}
  portal: {{name: Generated Delivery}}
  clients: {{accountMapping: Auto}}
  relatedLists:
    modules:
{modules}  permissions:
    profiles:
      - profile: Administrator
        access: false
        relatedList: {{view: true, create: true, edit: true, delete: true}}
{conversion}"#
    )
}

impl Harness {
    /// API clients of the demo org acting with `crm_token` (a seeded refresh token), and with
    /// `portal_token` for Projects when given: for tests that change the org between runs.
    pub fn demo_clients(
        &self,
        crm_token: &str,
        portal_token: Option<&str>,
    ) -> projectlink::zoho::ZohoClients {
        use projectlink::zoho::{
            ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials,
        };
        let grant =
            |token: &str| Credentials::new("1000.ACMEDEMOCLIENT", "acme-demo-secret", token);
        let creds = ZohoCredentials {
            crm: grant(crm_token),
            portal: portal_token.map(grant),
        };
        let url = reqwest::Url::parse(&self.url).unwrap();
        ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default()).unwrap()
    }

    /// API clients acting as the demo org's CRM administrator.
    pub fn demo_admin(&self) -> projectlink::zoho::ZohoClients {
        self.demo_clients("1000.acme-admin.refresh", None)
    }
}
