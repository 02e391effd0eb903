use super::*;
use crate::bbf;

const DOC: &str = r#"<document>
  <model name="Device:2.99">
    <object name="Device." access="readOnly" maxEntries="1">
      <parameter name="Version" access="readOnly"><syntax><string/></syntax></parameter>
    </object>
    <object name="Device.NAT." access="readOnly" maxEntries="1">
      <parameter name="PortMappingNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="OtherNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.NAT.PortMapping.{i}." access="readWrite" maxEntries="unbounded" numEntriesParameter="PortMappingNumberOfEntries">
      <uniqueKey functional="false"><parameter ref="Alias"/></uniqueKey>
      <uniqueKey><parameter ref="Port"/></uniqueKey>
      <parameter name="Alias" access="readWrite"><syntax><string/></syntax></parameter>
      <parameter name="Enable" access="readWrite"><syntax><boolean/><default type="object" value="false"/></syntax></parameter>
      <parameter name="Status" access="readOnly"><syntax><string><enumeration value="Disabled"/><enumeration value="Enabled"/></string></syntax></parameter>
      <parameter name="Port" access="readWrite"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="Ratio" access="readWrite"><syntax><decimal/></syntax></parameter>
      <parameter name="Old" access="readWrite" status="obsoleted"><syntax><string/></syntax></parameter>
    </object>
    <object name="Device.NAT.PortMapping.{i}.Stats." access="readOnly" maxEntries="1">
      <parameter name="Hits" access="readOnly"><syntax><unsignedLong/></syntax></parameter>
    </object>
    <object name="Device.NAT.Other.{i}." access="readOnly" maxEntries="unbounded" numEntriesParameter="OtherNumberOfEntries">
      <parameter name="X" access="readOnly"><syntax><int/></syntax></parameter>
    </object>
  </model>
</document>"#;

fn spec(extra: &str) -> Spec {
    let text = format!(
        r#"{{"root": "Device.", "bbf": "x.xml", "objects": {{"Device.": 1, "Device.NAT.": 1,
        "Device.NAT.PortMapping.{{i}}.": 2, "Device.NAT.PortMapping.{{i}}.Stats.": 1}},
        "rules": {{"Enable": ["true"], "Status": ["Up", "Enabled"]}} {extra}}}"#
    );
    serde_json::from_str(&text).unwrap()
}

fn run(extra: &str) -> Result<Profile> {
    build(&spec(extra), &bbf::parse(DOC).unwrap())
}

const PORTS: &str = r#", "values": {"Device.NAT.PortMapping.1.Port": "80", "Device.NAT.PortMapping.2.Port": "443"}"#;

fn get<'p>(p: &'p Profile, name: &str) -> &'p Row {
    p.parameters
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

#[test]
fn expands_instances_and_templates() {
    let p = run(PORTS).unwrap();
    let names: Vec<&str> = p.parameters.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Device.",
            "Device.Version",
            "Device.NAT.",
            "Device.NAT.PortMappingNumberOfEntries",
            "Device.NAT.OtherNumberOfEntries",
            "Device.NAT.PortMapping.",
            "Device.NAT.PortMapping.1.",
            "Device.NAT.PortMapping.1.Alias",
            "Device.NAT.PortMapping.1.Enable",
            "Device.NAT.PortMapping.1.Status",
            "Device.NAT.PortMapping.1.Port",
            "Device.NAT.PortMapping.1.Stats.",
            "Device.NAT.PortMapping.1.Stats.Hits",
            "Device.NAT.PortMapping.2.",
            "Device.NAT.PortMapping.2.Alias",
            "Device.NAT.PortMapping.2.Enable",
            "Device.NAT.PortMapping.2.Status",
            "Device.NAT.PortMapping.2.Port",
            "Device.NAT.PortMapping.2.Stats.",
            "Device.NAT.PortMapping.2.Stats.Hits",
            "Device.NAT.PortMapping.{i}.",
            "Device.NAT.PortMapping.{i}.Alias",
            "Device.NAT.PortMapping.{i}.Enable",
            "Device.NAT.PortMapping.{i}.Status",
            "Device.NAT.PortMapping.{i}.Port",
            "Device.NAT.PortMapping.{i}.Stats.",
            "Device.NAT.PortMapping.{i}.Stats.Hits",
        ]
    );
    assert_eq!(p.parameter_count(), 13);
    assert!(get(&p, "Device.NAT.PortMapping.").writable);
    assert!(!get(&p, "Device.NAT.").writable);
    assert_eq!(get(&p, "Device.NAT.PortMappingNumberOfEntries").value, "2");
    assert_eq!(get(&p, "Device.NAT.OtherNumberOfEntries").value, "0");
    assert_eq!(get(&p, "Device.NAT.PortMapping.2.Alias").value, "cpe-2");
    assert_eq!(
        get(&p, "Device.NAT.PortMapping.1.Enable").value,
        "true",
        "rule"
    );
    assert_eq!(
        get(&p, "Device.NAT.PortMapping.1.Status").value,
        "Enabled",
        "first valid candidate"
    );
    assert_eq!(
        get(&p, "Device.NAT.PortMapping.{i}.Enable").value,
        "false",
        "templates keep BBF defaults"
    );
    assert_eq!(
        get(&p, "Device.NAT.PortMapping.{i}.Status").value,
        "Disabled"
    );
    let hits = get(&p, "Device.NAT.PortMapping.1.Stats.Hits");
    assert_eq!(
        (hits.ty.as_str(), hits.writable, hits.value.as_str()),
        ("unsignedLong", false, "0")
    );
}

#[test]
fn concrete_counts_and_values_override_generic_ones() {
    let p = run(r#", "values": {"Device.NAT.PortMapping.{i}.Port": "22"}"#);
    assert!(
        format!("{:#}", p.unwrap_err()).contains("unique key"),
        "two instances, one port"
    );
    let mut s = spec(
        r#", "values": {"Device.NAT.PortMapping.{i}.Port": "22", "Device.NAT.PortMapping.1.Port": "80"}"#,
    );
    s.objects.insert("Device.NAT.PortMapping.{i}.".into(), 1);
    let p = build(&s, &bbf::parse(DOC).unwrap()).unwrap();
    assert_eq!(get(&p, "Device.NAT.PortMapping.1.Port").value, "80");
    assert_eq!(get(&p, "Device.NAT.PortMapping.{i}.Port").value, "22");
    assert_eq!(get(&p, "Device.NAT.PortMappingNumberOfEntries").value, "1");
}

#[test]
fn spec_mistakes_are_errors() {
    let err = |values: &str| {
        let extra = format!(
            r#", "values": {{"Device.NAT.PortMapping.1.Port": "80", "Device.NAT.PortMapping.2.Port": "443", {values}}}"#
        );
        format!("{:#}", run(&extra).unwrap_err())
    };
    assert!(err(r#""Device.NAT.PortMapping.{i}.Port": "-1""#).contains("spec value"));
    assert!(err(r#""Device.NAT.PortMapping.1.Status": "Up""#).contains("not one of"));
    assert!(err(r#""Device.NAT.Nope": "1""#).contains("names no parameter"));
    let mut s = spec(PORTS);
    s.objects.insert("Device.Nope.".into(), 1);
    assert!(build(&s, &bbf::parse(DOC).unwrap()).is_err());
    let mut s = spec(PORTS);
    s.objects.remove("Device.NAT.");
    let e = format!("{:#}", build(&s, &bbf::parse(DOC).unwrap()).unwrap_err());
    assert!(e.contains("needs its parent Device.NAT."), "{e}");
}

#[test]
fn parent_of_handles_tables_and_root() {
    assert_eq!(
        parent_of("Device.NAT.PortMapping.{i}.").as_deref(),
        Some("Device.NAT.")
    );
    assert_eq!(
        parent_of("Device.NAT.PortMapping.{i}.Stats.").as_deref(),
        Some("Device.NAT.PortMapping.{i}.")
    );
    assert_eq!(parent_of("Device."), None);
}
