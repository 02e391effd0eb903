use super::*;

#[test]
fn templates_instance_numbers() {
    assert_eq!(
        template("Device.WiFi.SSID.12.Enable"),
        "Device.WiFi.SSID.{i}.Enable"
    );
    assert_eq!(template("Device.A1.B."), "Device.A1.B.");
}

#[test]
fn cuts_the_facts_to_the_cpe() {
    let names = [
        ("Device.", false),
        ("Device.DeviceInfo.", false),
        ("Device.DeviceInfo.ModelName", false),
        ("Device.NAT.", false),
        ("Device.NAT.PortMapping.", true),
        ("Device.WiFi.", false),
        ("Device.WiFi.SSID.", false),
        ("Device.WiFi.SSID.1.", true),
        ("Device.WiFi.SSID.1.SSID", false),
        ("Device.X_ACME_Fan.", false),
        ("Device.X_ACME_Fan.Speed", true),
        ("InternetGatewayDevice.Ignored", true),
    ];
    let m = DeviceModel::from_names(names).unwrap();
    let s = m.schema();
    assert!(s.find("Device.DeviceInfo.ModelName").is_some());
    assert!(s.find("Device.DeviceInfo.SoftwareVersion").is_none());
    // The CPE says SSID is read-only, whatever the standard says.
    let ssid = s.find("Device.WiFi.SSID.{i}.SSID").unwrap();
    assert_eq!(
        s.node(ssid).param().unwrap().access,
        agent::dm::Access::ReadOnly
    );
    // An empty table comes with every standard column.
    assert!(s.find("Device.NAT.PortMapping.{i}.ExternalPort").is_some());
    assert!(
        s.node(s.find("Device.NAT.PortMapping.{i}.").unwrap())
            .object()
            .unwrap()
            .writable
    );
    // A table the CPE lists as not writable takes no Add.
    assert!(
        !s.node(s.find("Device.WiFi.SSID.{i}.").unwrap())
            .object()
            .unwrap()
            .writable
    );
    assert!(s.find("Device.X_ACME_Fan.Speed").is_some());
    assert!(s.find("Device.Reboot()").is_some());
    assert!(s.find("Device.LocalAgent.").is_none());
}

#[test]
fn same_names_same_fingerprint() {
    let a = DeviceModel::from_names([("Device.A", true), ("Device.B", false)]).unwrap();
    let b = DeviceModel::from_names([("Device.B", false), ("Device.A", true)]).unwrap();
    let c = DeviceModel::from_names([("Device.B", true), ("Device.A", true)]).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
}
