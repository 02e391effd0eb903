//! The shipped packs against the BBF facts, and the view they give of the
//! simulator's TR-098 home gateway.

use std::collections::HashMap;

use mapping::check::{check, Facts};
use mapping::{list_parameters, Binding, Instances, Library, View};

const TR181_USP: &str = include_str!("../../../mappings/facts/tr-181-2-16-0-usp.tsv");
const TR181_CWMP: &str = include_str!("../../../mappings/facts/tr-181-2-17-0-cwmp.tsv");
const TR098: &str = include_str!("../../../mappings/facts/tr-098-1-8-0.tsv");
const PROFILE: &str = include_str!("../../../mappings/profiles/tr098-home-gateway.json");
const EXT: &str = "Device.X_00D09E_TR098.";

#[test]
fn every_shipped_pack_passes_the_check() {
    let lib = Library::embedded().unwrap();
    let tr181 = Facts::parse_all(&[TR181_USP, TR181_CWMP]);
    let tr098 = Facts::parse(TR098);
    assert!(lib.packs().len() >= 2);
    let problems: Vec<String> = lib
        .packs()
        .iter()
        .flat_map(|p| check(p, &tr181, &tr098))
        .map(|p| p.to_string())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_names_what_is_wrong() {
    let bad = r#"
[pack]
name = "bad"
[[object]]
usp = "Device.WiFi.SSID.{i}."
cwmp = "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}."
add = true
[object.params]
SSID = "NoSuchName"
Nonsense = "SSID"
BSSID = { cwmp = "Channel" }
Status = "Status"
"#;
    let lib = Library::from_texts([("bad.toml".to_string(), bad.to_string())]).unwrap();
    let tr181 = Facts::parse_all(&[TR181_USP, TR181_CWMP]);
    let problems: Vec<String> = check(&lib.packs()[0], &tr181, &Facts::parse(TR098))
        .into_iter()
        .map(|p| p.what)
        .collect();
    let said = |s: &str| problems.iter().any(|p| p.contains(s));
    assert!(said("TR-098 has no AddObject"), "{problems:?}");
    assert!(said("TR-098 has no parameter"), "{problems:?}");
    assert!(
        said("TR-181 has no parameter Device.WiFi.SSID.{i}.Nonsense"),
        "{problems:?}"
    );
    assert!(said("BSSID: read-only in TR-181"), "{problems:?}");
    assert_eq!(problems.len(), 4, "Status fits: {problems:?}");
}

#[test]
fn syntax_errors_name_the_file() {
    let e =
        Library::from_texts([("x.toml".to_string(), "[pack]\nname = 1".to_string())]).unwrap_err();
    assert!(e.to_string().starts_with("x.toml:"), "{e}");
    let twice = "[pack]\nname = \"a\"\n[[object]]\nusp = \"Device.Time.\"\ncwmp = \"InternetGatewayDevice.Time.\"\n[object.params]\nEnable = { cwmp = \"Enable\", value = \"1\" }\n";
    let e = Library::from_texts([("y.toml".to_string(), twice.to_string())]).unwrap_err();
    assert!(e.to_string().contains("exactly one"), "{e}");
    let loop_ = "[pack]\nname = \"a\"\nextends = \"b\"\n";
    let loop_b = "[pack]\nname = \"b\"\nextends = \"a\"\n";
    let e = Library::from_texts([
        ("a.toml".to_string(), loop_.to_string()),
        ("b.toml".to_string(), loop_b.to_string()),
    ]);
    assert!(e.is_err());
}

/// The simulator's TR-098 gateway: (name, writable) and values.
fn profile() -> (Vec<(String, bool)>, HashMap<String, String>) {
    let v: serde_json::Value = serde_json::from_str(PROFILE).unwrap();
    let mut listing = Vec::new();
    let mut values = HashMap::new();
    for p in v["parameters"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap().to_owned();
        listing.push((name.clone(), p["writable"].as_bool().unwrap()));
        values.insert(name, p["value"].as_str().unwrap().to_owned());
    }
    (listing, values)
}

fn view(instances: &mut Instances) -> View {
    let pack = Library::embedded().unwrap().get("tr098-core").unwrap();
    let (listing, values) = profile();
    let lists: HashMap<String, String> = list_parameters(&pack, &listing)
        .into_iter()
        .filter_map(|n| values.get(&n).map(|v| (n, v.clone())))
        .collect();
    View::build(&pack, &listing, &lists, instances, EXT)
}

fn cwmp_of(v: &View, usp: &str) -> String {
    match v.binding(usp) {
        Some(Binding::Cwmp { name, .. }) => name.clone(),
        other => panic!("{usp}: {other:?}"),
    }
}

fn fixed(v: &View, usp: &str) -> String {
    match v.binding(usp) {
        Some(Binding::Fixed(s)) => s.clone(),
        other => panic!("{usp}: {other:?}"),
    }
}

#[test]
fn the_simulated_tr098_gateway_as_tr181() {
    let mut instances = Instances::default();
    let v = view(&mut instances);
    let wlan = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.";
    // One WLANConfiguration, three TR-181 objects.
    assert_eq!(
        cwmp_of(&v, "Device.WiFi.SSID.2.SSID"),
        format!("{wlan}2.SSID")
    );
    assert_eq!(
        cwmp_of(&v, "Device.WiFi.Radio.2.Channel"),
        format!("{wlan}2.Channel")
    );
    assert_eq!(
        cwmp_of(&v, "Device.WiFi.AccessPoint.1.Security.ModeEnabled"),
        format!("{wlan}1.BeaconType")
    );
    assert_eq!(
        fixed(&v, "Device.WiFi.SSID.1.LowerLayers"),
        "Device.WiFi.Radio.1"
    );
    assert_eq!(
        fixed(&v, "Device.WiFi.AccessPoint.2.SSIDReference"),
        "Device.WiFi.SSID.2"
    );
    assert_eq!(
        v.from_cpe(&format!("{wlan}1.BSSID")),
        ["Device.WiFi.SSID.1.BSSID", "Device.WiFi.SSID.1.MACAddress"]
    );
    // Values both ways.
    let mode = "Device.WiFi.AccessPoint.1.Security.ModeEnabled";
    assert_eq!(v.value_from_cpe(mode, "11i"), "WPA2-Personal");
    assert_eq!(
        v.value_to_cpe(mode, "WPA-WPA2-Personal").unwrap(),
        "WPAand11i"
    );
    // The stack: IP over PPP over Ethernet over the DSL channel.
    let ip: Vec<&String> = v
        .names
        .iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with("Device.IP.Interface.") && n.ends_with(".LowerLayers"))
        .collect();
    assert_eq!(ip.len(), 2, "two WAN connections: {ip:?}");
    let wan = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.";
    let ppp_ip = v
        .names
        .iter()
        .find(|(n, _)| {
            v.source_of(n) == Some(&format!("{wan}WANPPPConnection.1."))
                && n.starts_with("Device.IP.Interface.")
        })
        .map(|(n, _)| n.clone())
        .unwrap();
    let ppp = fixed(&v, &format!("{ppp_ip}LowerLayers"));
    assert!(ppp.starts_with("Device.PPP.Interface."), "{ppp}");
    let link = fixed(&v, &format!("{ppp}.LowerLayers"));
    assert!(link.starts_with("Device.Ethernet.Link."), "{link}");
    assert_eq!(
        fixed(&v, &format!("{link}.LowerLayers")),
        "Device.DSL.Channel.1"
    );
    // A list became a table.
    let dns: Vec<_> = v
        .names
        .iter()
        .filter(|(n, _)| n.starts_with("Device.DNS.Client.Server.") && n.ends_with(".DNSServer"))
        .collect();
    assert!(!dns.is_empty());
    // Port mappings: addable, their TR-098 table known.
    assert_eq!(
        v.add_target("Device.NAT.PortMapping."),
        Some(format!("{wan}WANIPConnection.1.PortMapping.").as_str())
    );
    assert_eq!(
        v.source_of("Device.NAT.PortMapping.1."),
        Some(format!("{wan}WANIPConnection.1.PortMapping.1.").as_str())
    );
    // Nothing unreachable: TR-098-only names sit under the extension root.
    let spec = cwmp_of(&v, &format!("{EXT}DeviceInfo.SpecVersion"));
    assert_eq!(spec, "InternetGatewayDevice.DeviceInfo.SpecVersion");
    assert!(v.binding("Device.DeviceInfo.SpecVersion").is_none());
    let mapped = v.names.iter().filter(|(n, _)| !n.starts_with(EXT)).count();
    assert!(mapped > 200, "{mapped} names mapped");
}

#[test]
fn instance_numbers_survive_a_rebuild_and_a_restart() {
    let mut instances = Instances::default();
    let first = view(&mut instances);
    let json = serde_json::to_string(&instances).unwrap();
    let mut restored: Instances = serde_json::from_str(&json).unwrap();
    let again = view(&mut restored);
    assert_eq!(first.names, again.names);
    assert_eq!(restored, instances);
}
