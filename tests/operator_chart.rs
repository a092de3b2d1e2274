//! The Helm chart ships exactly the CRDs `projectlink crd` generates, and its templates
//! keep the operator's security and RBAC promises (rendering and schema validation with the
//! real helm binary run in `.ci/run`).

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

#[test]
fn the_chart_crds_equal_the_generated_crds() {
    let generated = projectlink::spec::crd_yaml();
    let committed = read(projectlink::spec::schema::CRD_FILE);
    let in_chart = read(&format!(
        "charts/projectlink/{}",
        projectlink::spec::schema::CRD_FILE
    ));
    assert_eq!(
        committed, generated,
        "crds/ is stale: run `projectlink crd`"
    );
    assert_eq!(
        in_chart, committed,
        "charts/projectlink/crds/ differs from crds/: copy it over"
    );
}

#[test]
fn the_deployment_runs_locked_down() {
    let deployment = read("charts/projectlink/templates/deployment.yaml");
    for promise in [
        "runAsNonRoot: true",
        "readOnlyRootFilesystem: true",
        "allowPrivilegeEscalation: false",
        "type: RuntimeDefault",
        "drop: [\"ALL\"]",
        "path: /healthz",
        "path: /readyz",
    ] {
        assert!(deployment.contains(promise), "deployment lacks {promise}");
    }
}

#[test]
fn rbac_reads_secrets_only_by_name() {
    let helpers = read("charts/projectlink/templates/_helpers.tpl");
    let secrets_rule = helpers
        .split("- apiGroups:")
        .find(|rule| rule.contains("\"secrets\""))
        .expect("a rule for Secrets");
    assert!(secrets_rule.contains("verbs: [\"get\"]"), "{secrets_rule}");
    for resource in [
        "\"projectsintegrations/status\"",
        "\"projectsintegrations/finalizers\"",
    ] {
        assert!(helpers.contains(resource), "RBAC lacks {resource}");
    }
}
