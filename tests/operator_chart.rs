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
    use projectlink::spec::{Kind, crd_yaml_of, schema::crd_file};
    for kind in Kind::ALL {
        let generated = crd_yaml_of(kind);
        let committed = read(crd_file(kind));
        let in_chart = read(&format!("charts/projectlink/{}", crd_file(kind)));
        assert_eq!(
            committed,
            generated,
            "{} is stale: run `projectlink crd --kind ...`",
            crd_file(kind)
        );
        assert_eq!(
            in_chart,
            committed,
            "charts/projectlink/{} differs from crds/: copy it over",
            crd_file(kind)
        );
    }
    // Nothing else hides in the chart's CRD folder.
    let mut in_chart: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/projectlink/crds"))
            .unwrap()
            .map(|entry| format!("crds/{}", entry.unwrap().file_name().to_string_lossy()))
            .collect();
    in_chart.sort();
    let mut expected: Vec<String> = Kind::ALL.iter().map(|k| crd_file(*k).to_owned()).collect();
    expected.sort();
    assert_eq!(in_chart, expected);
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
        "\"projectsintegrations\"",
        "\"projectsintegrations/status\"",
        "\"projectsintegrations/finalizers\"",
        "\"office365integrations\"",
        "\"office365integrations/status\"",
        "\"office365integrations/finalizers\"",
    ] {
        assert!(helpers.contains(resource), "RBAC lacks {resource}");
    }
}
