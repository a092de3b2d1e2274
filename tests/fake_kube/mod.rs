//! An in-process stand-in for the Kubernetes API server, enough for kube-rs's `Controller`,
//! `Recorder` and `kube-lease-manager` to run against it unchanged: discovery, list, watch
//! (newline-delimited JSON with resourceVersions and bookmarks), get, create, replace,
//! merge/strategic/JSON patches, server-side apply (status subresource, and field-owner
//! conflicts for Leases), finalizers with `deletionTimestamp`, and 409 conflicts on stale
//! resourceVersions. One global resourceVersion counter, as etcd has.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

/// What the fake knows about a kind.
struct Kind {
    api_version: &'static str,
    kind: &'static str,
    /// Writes to `status` go through the `/status` subresource only, and `generation`
    /// counts spec changes.
    status_subresource: bool,
}

fn kind_of(plural: &str) -> Option<Kind> {
    let k = |api_version, kind, status_subresource| Kind {
        api_version,
        kind,
        status_subresource,
    };
    Some(match plural {
        "projectsintegrations" => k("projectlink.dev/v1alpha1", "ProjectsIntegration", true),
        "office365integrations" => k("projectlink.dev/v1alpha1", "Office365Integration", true),
        "secrets" => k("v1", "Secret", false),
        "leases" => k("coordination.k8s.io/v1", "Lease", false),
        "events" => k("events.k8s.io/v1", "Event", false),
        _ => return None,
    })
}

#[derive(Clone)]
struct WatchEvent {
    rv: u64,
    plural: String,
    namespace: String,
    type_: &'static str,
    object: Value,
}

#[derive(Default)]
struct Store {
    rv: u64,
    /// (plural, namespace, name) → object.
    objects: BTreeMap<(String, String, String), Value>,
    /// (plural, namespace, name) → top-level `spec` field → its field manager (Leases).
    owners: HashMap<(String, String, String), BTreeMap<String, String>>,
    log: Vec<WatchEvent>,
    uid: u64,
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    latest: Arc<watch::Sender<u64>>,
}

/// A running fake API server.
pub struct FakeKube {
    pub url: String,
    pub addr: SocketAddr,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeKube {
    pub async fn start() -> FakeKube {
        let (latest, _) = watch::channel(0u64);
        let shared = Shared {
            store: Arc::new(Mutex::new(Store::default())),
            latest: Arc::new(latest),
        };
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeKube {
            url: format!("http://{addr}"),
            addr,
            shared,
            _server: server,
        }
    }

    /// A kube client for this server.
    pub fn client(&self) -> kube::Client {
        let config = kube::Config::new(self.url.parse().unwrap());
        kube::Client::try_from(config).unwrap()
    }

    /// The stored object, if any.
    pub fn get(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let store = self.shared.store.lock().unwrap();
        store
            .objects
            .get(&(plural.into(), namespace.into(), name.into()))
            .cloned()
    }

    /// Every stored object of a kind in a namespace.
    pub fn list(&self, plural: &str, namespace: &str) -> Vec<Value> {
        let store = self.shared.store.lock().unwrap();
        store
            .objects
            .iter()
            .filter(|((p, ns, _), _)| p == plural && ns == namespace)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Writes made through the API for one kind (creates, updates, deletes), all namespaces.
    pub fn writes(&self, plural: &str) -> usize {
        let store = self.shared.store.lock().unwrap();
        store.log.iter().filter(|e| e.plural == plural).count()
    }
}

fn status_error(code: u16, reason: &str, message: impl Into<String>) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message.into(),
        "reason": reason,
        "code": code,
    });
    (
        StatusCode::from_u16(code).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// An API error answer, built lazily (a `Response` is large to carry in a `Result`).
struct Failure {
    code: u16,
    reason: &'static str,
    message: String,
}

fn failure(code: u16, reason: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        code,
        reason,
        message: message.into(),
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        status_error(self.code, self.reason, self.message)
    }
}

fn json_response(value: &Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// Path → (plural, namespace, name, subresource); `None` namespace for cluster-wide lists.
struct Target {
    plural: String,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match parts.as_slice() {
        ["api", "v1", rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => return None,
    };
    let text = |s: &&str| s.to_string();
    match rest {
        ["namespaces", ns, plural, tail @ ..] => Some(Target {
            plural: plural.to_string(),
            namespace: Some(ns.to_string()),
            name: tail.first().map(text),
            subresource: tail.get(1).map(text),
        }),
        [plural] => Some(Target {
            plural: plural.to_string(),
            namespace: None,
            name: None,
            subresource: None,
        }),
        _ => None,
    }
}

fn discovery(path: &str) -> Option<Value> {
    let resource = |name: &str, kind: &str, verbs: &[&str]| json!({"name": name, "singularName": "", "namespaced": true, "kind": kind, "verbs": verbs});
    let all = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    Some(match path.trim_end_matches('/') {
        "/api" => json!({"kind": "APIVersions", "versions": ["v1"]}),
        "/apis" => json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": "projectlink.dev", "versions": [{"groupVersion": "projectlink.dev/v1alpha1", "version": "v1alpha1"}],
             "preferredVersion": {"groupVersion": "projectlink.dev/v1alpha1", "version": "v1alpha1"}},
            {"name": "coordination.k8s.io", "versions": [{"groupVersion": "coordination.k8s.io/v1", "version": "v1"}],
             "preferredVersion": {"groupVersion": "coordination.k8s.io/v1", "version": "v1"}},
            {"name": "events.k8s.io", "versions": [{"groupVersion": "events.k8s.io/v1", "version": "v1"}],
             "preferredVersion": {"groupVersion": "events.k8s.io/v1", "version": "v1"}}
        ]}),
        "/api/v1" => json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            resource("secrets", "Secret", &all)
        ]}),
        "/apis/projectlink.dev/v1alpha1" => {
            json!({"kind": "APIResourceList", "groupVersion": "projectlink.dev/v1alpha1", "resources": [
                resource("projectsintegrations", "ProjectsIntegration", &all),
                resource("projectsintegrations/status", "ProjectsIntegration", &["get", "patch", "update"]),
                resource("office365integrations", "Office365Integration", &all),
                resource("office365integrations/status", "Office365Integration", &["get", "patch", "update"])
            ]})
        }
        "/apis/coordination.k8s.io/v1" => {
            json!({"kind": "APIResourceList", "groupVersion": "coordination.k8s.io/v1", "resources": [
                resource("leases", "Lease", &all)
            ]})
        }
        "/apis/events.k8s.io/v1" => {
            json!({"kind": "APIResourceList", "groupVersion": "events.k8s.io/v1", "resources": [
                resource("events", "Event", &all)
            ]})
        }
        _ => return None,
    })
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET
        && let Some(doc) = discovery(uri.path())
    {
        return json_response(&doc);
    }
    let Some(target) = parse_path(uri.path()) else {
        return status_error(404, "NotFound", format!("no route for {}", uri.path()));
    };
    let Some(kind) = kind_of(&target.plural) else {
        return status_error(
            404,
            "NotFound",
            format!("unknown resource {}", target.plural),
        );
    };
    let body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(e) => return status_error(400, "BadRequest", format!("body is not JSON: {e}")),
        }
    };
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let manager = query.get("fieldManager").cloned().unwrap_or_default();
    let force = query.get("force").is_some_and(|v| v == "true");
    match (&method, &target.name) {
        (&Method::GET, None) => {
            if query.get("watch").is_some_and(|v| v == "true" || v == "1") {
                watch_stream(shared, &target, &kind, &query)
            } else {
                list(&shared, &target, &kind)
            }
        }
        (&Method::GET, Some(name)) => {
            let store = shared.store.lock().unwrap();
            match store.objects.get(&key(&target, name)) {
                Some(obj) => json_response(obj),
                None => not_found(&target, name),
            }
        }
        (&Method::POST, None) => create(&shared, &target, &kind, body.unwrap_or(Value::Null)),
        (&Method::PUT, Some(name)) => {
            let name = name.clone();
            mutate(&shared, &target, &kind, &name, |current, _| {
                let new = body.clone().unwrap_or(Value::Null);
                let sent_rv = new["metadata"]["resourceVersion"].as_str().unwrap_or("");
                if !sent_rv.is_empty() && sent_rv != current["metadata"]["resourceVersion"] {
                    return Err(failure(
                        409,
                        "Conflict",
                        "the object has been modified; please apply your changes to the latest version and try again",
                    ));
                }
                let mut replaced = new;
                replaced["metadata"] = merge_metadata(&current["metadata"], &replaced["metadata"]);
                Ok(replaced)
            })
        }
        (&Method::PATCH, Some(name)) => {
            let name = name.clone();
            let patch = body.unwrap_or(Value::Null);
            let on_status = target.subresource.as_deref() == Some("status");
            mutate(&shared, &target, &kind, &name, move |current, owners| {
                let mut updated = current.clone();
                if content_type.starts_with("application/json-patch+json") {
                    json_patch(&mut updated, &patch)?;
                } else if content_type.starts_with("application/apply-patch") {
                    if on_status {
                        updated["status"] = patch["status"].clone();
                    } else {
                        apply_fields(&mut updated, &patch, &manager, force, owners)?;
                    }
                } else {
                    // Merge and strategic-merge patches (the latter only ever carry maps
                    // here, where the two agree).
                    merge_patch(&mut updated, &patch);
                    track_owners(current, &updated, &manager, owners);
                }
                if kind.status_subresource {
                    if on_status {
                        let status = updated["status"].clone();
                        updated = current.clone();
                        updated["status"] = status;
                    } else {
                        updated["status"] = current["status"].clone();
                    }
                }
                let sent_rv = patch["metadata"]["resourceVersion"].as_str().unwrap_or("");
                if !sent_rv.is_empty() && sent_rv != current["metadata"]["resourceVersion"] {
                    return Err(failure(409, "Conflict", "the object has been modified"));
                }
                Ok(updated)
            })
        }
        (&Method::DELETE, Some(name)) => delete(&shared, &target, name),
        _ => status_error(405, "MethodNotAllowed", format!("{method} {}", uri.path())),
    }
}

fn key(target: &Target, name: &str) -> (String, String, String) {
    (
        target.plural.clone(),
        target.namespace.clone().unwrap_or_default(),
        name.to_string(),
    )
}

fn not_found(target: &Target, name: &str) -> Response {
    status_error(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", target.plural),
    )
}

fn list(shared: &Shared, target: &Target, kind: &Kind) -> Response {
    let store = shared.store.lock().unwrap();
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((p, ns, _), _)| {
            *p == target.plural && target.namespace.as_ref().is_none_or(|t| t == ns)
        })
        .map(|(_, v)| v.clone())
        .collect();
    json_response(&json!({
        "apiVersion": kind.api_version,
        "kind": format!("{}List", kind.kind),
        "metadata": {"resourceVersion": store.rv.to_string()},
        "items": items,
    }))
}

fn record(
    shared: &Shared,
    store: &mut Store,
    plural: &str,
    ns: &str,
    type_: &'static str,
    object: Value,
) {
    let rv = store.rv;
    store.log.push(WatchEvent {
        rv,
        plural: plural.into(),
        namespace: ns.into(),
        type_,
        object,
    });
    shared.latest.send_replace(rv);
}

fn create(shared: &Shared, target: &Target, kind: &Kind, mut object: Value) -> Response {
    let Some(ns) = target.namespace.clone() else {
        return status_error(405, "MethodNotAllowed", "create needs a namespace");
    };
    let Some(name) = object["metadata"]["name"].as_str().map(str::to_string) else {
        return status_error(422, "Invalid", "metadata.name is required");
    };
    let mut store = shared.store.lock().unwrap();
    let k = key(target, &name);
    if store.objects.contains_key(&k) {
        return status_error(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", target.plural),
        );
    }
    store.rv += 1;
    store.uid += 1;
    object["apiVersion"] = json!(kind.api_version);
    object["kind"] = json!(kind.kind);
    let meta = &mut object["metadata"];
    meta["namespace"] = json!(ns);
    meta["uid"] = json!(format!("00000000-0000-0000-0000-{:012}", store.uid));
    meta["resourceVersion"] = json!(store.rv.to_string());
    meta["creationTimestamp"] = json!(now());
    meta["generation"] = json!(1);
    if kind.status_subresource
        && let Some(map) = object.as_object_mut()
    {
        map.remove("status");
    }
    if target.plural == "leases" {
        let owners = initial_owners(&object);
        store.owners.insert(k.clone(), owners);
    }
    store.objects.insert(k, object.clone());
    record(
        shared,
        &mut store,
        &target.plural,
        &ns,
        "ADDED",
        object.clone(),
    );
    json_response(&object)
}

fn initial_owners(object: &Value) -> BTreeMap<String, String> {
    object["spec"]
        .as_object()
        .map(|spec| {
            spec.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| (k.clone(), "creator".to_string()))
                .collect()
        })
        .unwrap_or_default()
}

type Owners = BTreeMap<String, String>;

/// Reads, changes and stores one object; bumps resourceVersion (and generation when the
/// spec changed), completes a pending deletion once no finalizer remains.
fn mutate(
    shared: &Shared,
    target: &Target,
    kind: &Kind,
    name: &str,
    change: impl FnOnce(&Value, &mut Owners) -> Result<Value, Failure>,
) -> Response {
    let mut store = shared.store.lock().unwrap();
    let k = key(target, name);
    let Some(current) = store.objects.get(&k).cloned() else {
        return not_found(target, name);
    };
    let mut owners = store.owners.get(&k).cloned().unwrap_or_default();
    let mut updated = match change(&current, &mut owners) {
        Ok(v) => v,
        Err(failure) => return failure.into_response(),
    };
    store.owners.insert(k.clone(), owners);
    // Identity fields are the server's.
    for field in [
        "uid",
        "creationTimestamp",
        "namespace",
        "name",
        "deletionTimestamp",
    ] {
        updated["metadata"][field] = current["metadata"][field].clone();
    }
    if let Some(meta) = updated["metadata"].as_object_mut() {
        meta.retain(|_, v| !v.is_null());
    }
    updated["apiVersion"] = json!(kind.api_version);
    updated["kind"] = json!(kind.kind);
    if updated == current {
        return json_response(&current);
    }
    let generation = current["metadata"]["generation"].as_i64().unwrap_or(1);
    let spec_changed = updated["spec"] != current["spec"];
    updated["metadata"]["generation"] = json!(if spec_changed {
        generation + 1
    } else {
        generation
    });
    store.rv += 1;
    updated["metadata"]["resourceVersion"] = json!(store.rv.to_string());
    let ns = target.namespace.clone().unwrap_or_default();
    let deleting = !updated["metadata"]["deletionTimestamp"].is_null();
    let finalizers_left = updated["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|f| !f.is_empty());
    if deleting && !finalizers_left {
        store.objects.remove(&k);
        store.owners.remove(&k);
        record(
            shared,
            &mut store,
            &target.plural,
            &ns,
            "DELETED",
            updated.clone(),
        );
    } else {
        store.objects.insert(k, updated.clone());
        record(
            shared,
            &mut store,
            &target.plural,
            &ns,
            "MODIFIED",
            updated.clone(),
        );
    }
    json_response(&updated)
}

fn merge_metadata(current: &Value, sent: &Value) -> Value {
    let mut merged = current.clone();
    for field in ["labels", "annotations", "finalizers"] {
        merged[field] = sent[field].clone();
    }
    merged
}

fn delete(shared: &Shared, target: &Target, name: &str) -> Response {
    let mut store = shared.store.lock().unwrap();
    let k = key(target, name);
    let Some(mut object) = store.objects.get(&k).cloned() else {
        return not_found(target, name);
    };
    let ns = target.namespace.clone().unwrap_or_default();
    let has_finalizers = object["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|f| !f.is_empty());
    store.rv += 1;
    object["metadata"]["resourceVersion"] = json!(store.rv.to_string());
    if has_finalizers {
        if object["metadata"]["deletionTimestamp"].is_null() {
            object["metadata"]["deletionTimestamp"] = json!(now());
            store.objects.insert(k, object.clone());
            record(
                shared,
                &mut store,
                &target.plural,
                &ns,
                "MODIFIED",
                object.clone(),
            );
        }
    } else {
        store.objects.remove(&k);
        store.owners.remove(&k);
        record(
            shared,
            &mut store,
            &target.plural,
            &ns,
            "DELETED",
            object.clone(),
        );
    }
    json_response(&object)
}

/// Server-side apply of a Lease-like object: fields owned by another manager with a
/// different value are a 409 conflict unless forced.
fn apply_fields(
    object: &mut Value,
    patch: &Value,
    manager: &str,
    force: bool,
    owners: &mut Owners,
) -> Result<(), Failure> {
    if let Some(spec) = patch["spec"].as_object() {
        for (field, value) in spec {
            let current = &object["spec"][field];
            let owner = owners.get(field);
            if !force
                && !current.is_null()
                && current != value
                && owner.is_some_and(|o| o != manager)
            {
                return Err(failure(
                    409,
                    "Conflict",
                    format!(
                        "Apply failed with 1 conflict: conflict with \"{}\": .spec.{field}",
                        owner.unwrap()
                    ),
                ));
            }
        }
        for (field, value) in spec {
            object["spec"][field] = value.clone();
            owners.insert(field.clone(), manager.to_string());
        }
    }
    for section in ["metadata"] {
        if let Some(fields) = patch[section].as_object() {
            for (k, v) in fields {
                if k != "name" && k != "namespace" {
                    object[section][k] = v.clone();
                }
            }
        }
    }
    Ok(())
}

/// Updates (merge patches) take ownership of the spec fields they change.
fn track_owners(before: &Value, after: &Value, manager: &str, owners: &mut Owners) {
    if let Some(spec) = after["spec"].as_object() {
        for (field, value) in spec {
            if value.is_null() {
                owners.remove(field);
            } else if before["spec"][field] != *value {
                owners.insert(field.clone(), manager.to_string());
            }
        }
    }
    if let Some(before) = before["spec"].as_object() {
        for field in before.keys() {
            if after["spec"].get(field).is_none() {
                owners.remove(field);
            }
        }
    }
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch_map) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let map = target.as_object_mut().unwrap();
    for (k, v) in patch_map {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// RFC 6902 JSON patch: the operations kube-rs sends (test, add, remove, replace). A
/// `test` for `null` on an absent path succeeds, as on the real API server.
fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), Failure> {
    let invalid = |m: String| failure(422, "Invalid", m);
    for op in ops.as_array().cloned().unwrap_or_default() {
        let path = op["path"].as_str().unwrap_or("");
        let tokens: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        match op["op"].as_str().unwrap_or("") {
            "test" => {
                let found = doc.pointer(path).cloned().unwrap_or(Value::Null);
                if found != op["value"] {
                    return Err(invalid(format!("test failed at {path}")));
                }
            }
            "add" | "replace" => {
                let (last, parents) = tokens
                    .split_last()
                    .ok_or_else(|| invalid("empty path".into()))?;
                let parent = pointer_mut(doc, parents)
                    .ok_or_else(|| invalid(format!("no parent for {path}")))?;
                match parent {
                    Value::Array(items) => {
                        if last == "-" {
                            items.push(op["value"].clone());
                        } else {
                            let i: usize = last
                                .parse()
                                .map_err(|_| invalid(format!("bad index in {path}")))?;
                            if op["op"] == "add" && i <= items.len() {
                                items.insert(i, op["value"].clone());
                            } else if i < items.len() {
                                items[i] = op["value"].clone();
                            } else {
                                return Err(invalid(format!("index out of range in {path}")));
                            }
                        }
                    }
                    Value::Object(map) => {
                        map.insert(last.clone(), op["value"].clone());
                    }
                    _ => return Err(invalid(format!("cannot add at {path}"))),
                }
            }
            "remove" => {
                let (last, parents) = tokens
                    .split_last()
                    .ok_or_else(|| invalid("empty path".into()))?;
                let parent = pointer_mut(doc, parents)
                    .ok_or_else(|| invalid(format!("no parent for {path}")))?;
                match parent {
                    Value::Array(items) => {
                        let i: usize = last
                            .parse()
                            .map_err(|_| invalid(format!("bad index in {path}")))?;
                        if i >= items.len() {
                            return Err(invalid(format!("index out of range in {path}")));
                        }
                        items.remove(i);
                    }
                    Value::Object(map) => {
                        map.remove(last)
                            .ok_or_else(|| invalid(format!("nothing at {path}")))?;
                    }
                    _ => return Err(invalid(format!("cannot remove at {path}"))),
                }
            }
            other => return Err(invalid(format!("unsupported op {other}"))),
        }
    }
    Ok(())
}

fn pointer_mut<'a>(doc: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    let mut current = doc;
    for token in tokens {
        current = match current {
            Value::Object(map) => map.entry(token.clone()).or_insert_with(|| json!({})),
            Value::Array(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .round(k8s_openapi::jiff::Unit::Second)
        .unwrap()
        .to_string()
}

/// A watch: past events after the given resourceVersion, then new ones as they happen,
/// with a bookmark every half second, until `timeoutSeconds`.
fn watch_stream(
    shared: Shared,
    target: &Target,
    kind: &Kind,
    query: &HashMap<String, String>,
) -> Response {
    let from: u64 = query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(60u64)
        .min(60);
    let bookmarks = query
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true");
    let plural = target.plural.clone();
    let namespace = target.namespace.clone();
    let api_version = kind.api_version;
    let kind_name = kind.kind;
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(async move {
        let mut seen = from;
        let mut latest = shared.latest.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        loop {
            let (scanned, events): (u64, Vec<WatchEvent>) = {
                let store = shared.store.lock().unwrap();
                let events = store
                    .log
                    .iter()
                    .filter(|e| {
                        e.rv > seen
                            && e.plural == plural
                            && namespace.as_ref().is_none_or(|ns| *ns == e.namespace)
                    })
                    .cloned()
                    .collect();
                (store.rv, events)
            };
            for event in events {
                seen = seen.max(event.rv);
                let line = json!({"type": event.type_, "object": event.object}).to_string() + "\n";
                if tx.send(Ok(Bytes::from(line))).await.is_err() {
                    return;
                }
            }
            seen = seen.max(scanned);
            let tick = tokio::time::sleep(Duration::from_millis(500));
            tokio::select! {
                _ = latest.changed() => {}
                _ = tick => {
                    if bookmarks {
                        let rv = seen;
                        let line = json!({"type": "BOOKMARK", "object": {
                            "apiVersion": api_version, "kind": kind_name,
                            "metadata": {"resourceVersion": rv.to_string()}
                        }}).to_string() + "\n";
                        if tx.send(Ok(Bytes::from(line))).await.is_err() {
                            return;
                        }
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap()
}
