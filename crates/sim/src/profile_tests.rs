use proptest::prelude::*;

use super::*;

const SMALL_JSON: &str = include_str!("../tests/data/small.json");
const SMALL_CSV: &str = include_str!("../tests/data/small.csv");

#[test]
fn builtin_profiles_load() {
    for (m, root, min) in [
        ("tr181", "Device.", 300),
        ("tr098", "InternetGatewayDevice.", 300),
    ] {
        let p = Profile::from_model_arg(m).unwrap();
        assert_eq!(p.root(), root);
        let values = p.params().iter().filter(|d| d.kind != Kind::Object).count();
        assert!(values >= min, "{m}: {values}");
    }
    assert!(matches!(
        Profile::from_model_arg("tr999"),
        Err(ProfileError::UnknownModel(_))
    ));
    assert!(matches!(
        Profile::from_model_arg("/no/such.json"),
        Err(ProfileError::Io { .. })
    ));
}

#[test]
fn json_and_csv_give_the_same_profile() {
    let j = Profile::from_text(SMALL_JSON).unwrap();
    let c = Profile::from_text(SMALL_CSV).unwrap();
    assert_eq!(j.params(), c.params());
    assert_eq!(j.root(), "Device.");
    let t = j.template("Device.NAT.PortMapping.").unwrap();
    assert!(t.iter().any(|r| &*r.suffix == "Enable"));
    let desc = j
        .get(j.id("Device.DeviceInfo.Description").unwrap())
        .unwrap();
    assert_eq!(&*desc.default, "a, \"quoted\" value");
}

#[test]
fn clear_errors() {
    let cases = [
        ("{\"parameters\": 3}", "JSON"),
        ("{\"root\":\"Device.\",\"parameters\":[]}", "no parameters"),
        ("{\"parameters\":[{\"name\":\"Device.X\",\"type\":\"float\"}]}", "unknown type"),
        ("{\"parameters\":[{\"name\":\"Device.X.\",\"type\":\"string\"}]}", "end with '.'"),
        ("{\"parameters\":[{\"name\":\"Device.A\",\"type\":\"int\"},{\"name\":\"Device.A\",\"type\":\"int\"}]}", "duplicate"),
        ("{\"parameters\":[{\"name\":\"Device.A\",\"type\":\"int\"},{\"name\":\"Other.B\",\"type\":\"int\"}]}", "root"),
        ("name,type\nDevice.A,int\n", "header"),
        ("name,type,writable,value\nDevice.A,int,maybe,1\n", "writable"),
        ("name,type,writable,value\nDevice.A,int,true\n", "4 fields"),
        ("name,type,writable,value\n\"Device.A,int,true,1\n", "unterminated"),
    ];
    for (text, want) in cases {
        let err = Profile::from_text(text).unwrap_err().to_string();
        assert!(err.contains(want), "{text:?}: {err}");
    }
}

proptest! {
    #[test]
    fn loaders_never_panic(text in "\\PC{0,400}") {
        let _ = Profile::from_json(&text);
        let _ = Profile::from_csv(&text);
    }

    #[test]
    fn csv_rows_never_panic(rows in proptest::collection::vec(("[A-Za-z.{}0-9]{0,12}", "[a-zA-Z]{0,12}", "(true|false|x)", "[^\\n]{0,10}"), 0..20)) {
        let mut text = String::from("name,type,writable,value\n");
        for (n, t, w, v) in rows {
            text.push_str(&format!("Device.{n},{t},{w},{v}\n"));
        }
        if let Err(e) = Profile::from_csv(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn json_rows_never_panic(rows in proptest::collection::vec(("[A-Za-z.{}0-9]{0,12}", "(object|string|int|boolean|unsignedInt|x)", any::<bool>(), ".{0,10}"), 0..20)) {
        let params: Vec<_> = rows.iter().map(|(n, t, w, v)| serde_json::json!({"name": format!("Device.{n}"), "type": t, "writable": w, "value": v})).collect();
        let text = serde_json::json!({"root": "Device.", "parameters": params}).to_string();
        let _ = Profile::from_json(&text);
    }
}
