//! Fuzz the mapping pack reader and the view it builds: an operator's
//! `--packs` file is any text; whatever it says, reading it and building a
//! CPE's view from it may refuse, never panic.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(lib) = mapping::Library::from_texts([("f.toml".to_string(), text.to_string())]) else {
        return;
    };
    let listing = vec![
        ("InternetGatewayDevice.LANDevice.1.".to_string(), false),
        ("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.".to_string(), false),
        ("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID".to_string(), true),
    ];
    for pack in lib.packs() {
        let mut instances = mapping::Instances::default();
        let view = mapping::View::build(pack, &listing, &HashMap::new(), &mut instances, "Device.X_TR098.");
        for (name, _) in &view.names {
            let _ = view.value_to_cpe(name, "x");
            let _ = view.value_from_cpe(name, "x");
        }
    }
});
