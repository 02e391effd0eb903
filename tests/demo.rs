//! `cwmp2usp demo`, the README's first command, as a newcomer runs it.

mod support;

#[test]
fn demo_runs_a_mixed_fleet_against_the_gateway_and_lists_the_registry() {
    let out = support::sim::bin()
        .args(["demo", "--count", "5", "--duration", "3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for model in ["tr181", "tr098"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{model} fleet:")))
            .unwrap_or_else(|| panic!("no {model} line in {text}"));
        assert!(line.contains(" 0 failed"), "{line}");
        assert!(!line.contains(" 0 sessions completed"), "{line}");
    }
    assert!(
        text.contains("registry: 10 devices, 10 provisioned"),
        "{text}"
    );
}
