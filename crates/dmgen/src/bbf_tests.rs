use super::*;

const DOC: &str = r#"<?xml version="1.0"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="x">
  <dataType name="IPAddress"><description>d</description><string><size maxLength="45"/></string></dataType>
  <dataType name="IPv4Address" base="IPAddress"><size maxLength="15"/></dataType>
  <dataType name="State"><string><enumeration value="None"/><enumeration value="Requested"/></string></dataType>
  <dataType name="Counter"><unsignedLong/></dataType>
  <model name="Device:2.99">
    <object name="Device." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Count" access="readOnly"><syntax><unsignedInt><range minInclusive="1"/></unsignedInt></syntax></parameter>
      <command name="Ping()" async="true">
        <input><parameter name="Host"><syntax><dataType ref="IPv4Address"/></syntax></parameter></input>
        <output><object name="Hop.{i}."><parameter name="RTT"><syntax><int/></syntax></parameter></object></output>
      </command>
      <event name="Boot!"><parameter name="Cause"><syntax><string/></syntax></parameter></event>
    </object>
    <object name="Device.Map.{i}." access="readWrite" minEntries="0" maxEntries="unbounded" numEntriesParameter="MapNumberOfEntries">
      <uniqueKey functional="false"><parameter ref="Alias"/></uniqueKey>
      <uniqueKey><parameter ref="Port"/><parameter ref="Proto"/></uniqueKey>
      <parameter name="Addr" access="readWrite"><syntax><dataType ref="IPv4Address"/><default type="object" value="10.0.0.1"/></syntax></parameter>
      <parameter name="Ports" access="readWrite"><syntax><list/><unsignedInt/></syntax></parameter>
      <parameter name="State" access="readWrite"><syntax><dataType ref="State"/></syntax></parameter>
      <parameter name="Bytes" access="readOnly" status="deprecated"><syntax><dataType ref="Counter"/></syntax></parameter>
      <parameter name="Key" access="readWrite"><syntax hidden="true"><string/></syntax></parameter>
      <parameter name="Gone" access="readWrite" status="deleted"><syntax><string/></syntax></parameter>
    </object>
    <object name="Device.Old." access="readOnly" minEntries="1" maxEntries="1" status="deleted"/>
  </model>
  <profile name="P:1"><object ref="Device." requirement="present"/></profile>
</dm:document>"#;

#[test]
fn reads_objects_parameters_and_types() {
    let m = parse(DOC).unwrap();
    assert_eq!(m.name, "Device:2.99");
    let paths: Vec<_> = m.objects.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["Device.", "Device.Map.{i}."]);
    let map = m.object("Device.Map.{i}.").unwrap();
    assert!(map.multi && map.writable());
    assert_eq!(map.num_entries.as_deref(), Some("MapNumberOfEntries"));
    let addr = map.parameter("Addr").unwrap();
    assert_eq!(addr.syntax.ty, "string");
    assert_eq!(
        addr.syntax.max_len,
        Some(15),
        "derived facet overrides the base's"
    );
    assert_eq!(addr.syntax.default.as_deref(), Some("10.0.0.1"));
    let ports = map.parameter("Ports").unwrap();
    assert!(ports.syntax.list);
    assert_eq!(
        ports.syntax.ty, "string",
        "a list of numbers is a string on the wire"
    );
    assert_eq!(
        map.parameter("State").unwrap().syntax.enums,
        ["None", "Requested"]
    );
    let bytes = map.parameter("Bytes").unwrap();
    assert_eq!(
        (bytes.syntax.ty.as_str(), bytes.status.as_deref()),
        ("unsignedLong", Some("deprecated"))
    );
    assert!(map.parameter("Key").unwrap().syntax.hidden);
    assert!(map.parameter("Gone").is_none());
    assert_eq!(m.objects[0].parameter("Count").unwrap().syntax.min, Some(1));
}

#[test]
fn reads_keys_commands_and_events() {
    let m = parse(DOC).unwrap();
    let map = m.object("Device.Map.{i}.").unwrap();
    assert_eq!(map.unique_keys.len(), 2);
    assert!(!map.unique_keys[0].functional);
    assert_eq!(map.unique_keys[1].parameters, ["Port", "Proto"]);
    let root = &m.objects[0];
    let ping = &root.commands[0];
    assert!(ping.is_async);
    assert_eq!(
        ping.inputs,
        [Argument {
            path: "Host".into(),
            ty: "string".into()
        }]
    );
    assert_eq!(
        ping.outputs,
        [Argument {
            path: "Hop.{i}.RTT".into(),
            ty: "int".into()
        }]
    );
    assert_eq!(root.events[0].name, "Boot!");
    assert_eq!(root.events[0].arguments[0].path, "Cause");
}

#[test]
fn rejects_bad_models() {
    assert!(parse("<a/>").is_err());
    assert!(parse("<document/>").is_err());
    let unknown_type = DOC.replace(r#"ref="Counter""#, r#"ref="Nope""#);
    assert!(format!("{:#}", parse(&unknown_type).unwrap_err()).contains("unknown data type Nope"));
    let loop_type = DOC.replace(
        r#"<dataType name="IPAddress">"#,
        r#"<dataType name="IPAddress" base="IPv4Address">"#,
    );
    assert!(parse(&loop_type).is_err());
    let no_syntax = DOC.replace("<syntax hidden=\"true\"><string/></syntax>", "");
    assert!(parse(&no_syntax).is_err());
}
