//! End-to-end tests of the data plane against the sandbox over HTTP: client mapping and its
//! report, link records kept current, projects from requests and won deals, imports.

mod cli_support;

use cli_support::{Harness, example};

fn assert_ok(run: &cli_support::Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

#[test]
fn acme_first_apply_maps_clients_converts_deals_and_links_projects() {
    let h = Harness::demo();
    let applied = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_ok(&applied);
    println!("{}", applied.stdout);
    println!("{:#?}", h.data_state());
    panic!();
}
