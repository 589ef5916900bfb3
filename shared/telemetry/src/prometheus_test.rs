use super::*;

#[test]
fn second_install_returns_a_handle_that_renders_the_same_recorder() {
    let first = install_metrics().unwrap();
    metrics::counter!("telemetry_test_events_total", "kind" => "probe").increment(3);
    metrics::histogram!("telemetry_test_request_duration_seconds").record(0.003);

    let second = install_metrics().unwrap();
    let rendered = second.render();
    assert!(rendered.contains(r#"telemetry_test_events_total{kind="probe"} 3"#), "{rendered}");
    // `_seconds` metrics are true histograms with the configured buckets, not summaries.
    assert!(rendered.contains(r#"telemetry_test_request_duration_seconds_bucket{le="0.00005"} 0"#), "{rendered}");
    assert!(rendered.contains(r#"telemetry_test_request_duration_seconds_bucket{le="0.005"} 1"#), "{rendered}");
    assert!(rendered.contains(r#"telemetry_test_request_duration_seconds_bucket{le="10"} 1"#), "{rendered}");
    assert_eq!(first.render(), second.render());
}
