//! Tells the CQL conformance suite (`tests/cql.rs`) whether a CQL cluster is configured: without
//! `GEODB_TEST_CQL_NODES` its cases are built as ignored, so the test runner reports them as
//! skipped, never as passed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(geodb_test_cql)");
    println!("cargo::rerun-if-env-changed=GEODB_TEST_CQL_NODES");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("GEODB_TEST_CQL_NODES").is_ok_and(|nodes| !nodes.trim().is_empty()) {
        println!("cargo::rustc-cfg=geodb_test_cql");
    }
}
