//! `cwmp2usp demo`, the README's first command, as a newcomer runs it.

mod support;

#[test]
fn demo_brings_up_cpe_agents_and_a_controller_reaches_one() {
    let out = support::sim::bin()
        .args(["demo", "--count", "3", "--duration", "4"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let asked = text
        .lines()
        .find(|l| l.starts_with("controller "))
        .unwrap_or_else(|| panic!("no controller line in {text}"));
    assert!(asked.contains("answered"), "{asked}");
    assert!(
        text.contains("Device.LocalAgent.EndpointID = os::00D09E-DEMO000000"),
        "{text}"
    );
    // The CPE's own model, read from the simulated CPE through CWMP.
    assert!(
        text.contains("Device.DeviceInfo.ModelName = HGW-4200"),
        "{text}"
    );
    assert!(
        text.contains("Device.WiFi.SSID.2.SSID = HomeNet-5G"),
        "{text}"
    );
    assert!(
        text.contains("usp --ws ws://127.0.0.1:"),
        "how to connect: {text}"
    );
    let fleet = text
        .lines()
        .find(|l| l.starts_with("fleet: ") && l.contains("sessions completed"))
        .unwrap_or_else(|| panic!("no fleet report in {text}"));
    assert!(fleet.contains(" 0 failed"), "{fleet}");
    assert!(!fleet.contains(" 0 sessions completed"), "{fleet}");
    assert!(
        text.contains("registry: 3 devices, 3 provisioned"),
        "{text}"
    );
}
