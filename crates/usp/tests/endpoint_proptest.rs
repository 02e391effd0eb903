//! Property tests for `usp::endpoint`.

use proptest::prelude::*;
use usp::endpoint::{
    encode_component, DeviceIdParts, EndpointId, EndpointIdError, Scheme, MAX_INSTANCE_ID_LEN,
};

fn oui() -> impl Strategy<Value = String> {
    "[0-9A-F]{6}"
}

/// Serial numbers and product classes as CPEs send them, plus odd ones.
fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9]{1,30}",
        "[A-Za-z0-9 ._~:/%+-]{1,30}",
        "\\PC{1,20}",
    ]
}

fn component_without_hyphen() -> impl Strategy<Value = String> {
    component().prop_filter("no '-'", |s| !s.contains('-'))
}

fn check_built(id: &EndpointId) -> Result<(), TestCaseError> {
    let text = id.to_string();
    prop_assert!(id.instance_id().len() <= MAX_INSTANCE_ID_LEN);
    prop_assert!(id
        .instance_id()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._%".contains(&b)));
    let parsed: Result<EndpointId, _> = text.parse();
    prop_assert_eq!(parsed.as_ref(), Ok(id));
    let from_urn = EndpointId::from_urn(&id.to_urn());
    prop_assert_eq!(from_urn.as_ref(), Ok(id));
    let json = serde_json::to_string(id).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: EndpointId =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, id);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn os_round_trip_and_length_rule(oui in oui(), serial in component()) {
        let encoded_len = oui.len() + 1 + encode_component(&serial).len();
        match EndpointId::os(&oui, &serial) {
            Ok(id) => {
                prop_assert!(encoded_len <= MAX_INSTANCE_ID_LEN);
                prop_assert_eq!(id.scheme(), Scheme::Os);
                check_built(&id)?;
                prop_assert_eq!(
                    id.device_id_parts(),
                    Some(DeviceIdParts { oui: oui.clone(), product_class: None, serial_number: serial.clone() })
                );
            }
            Err(EndpointIdError::InstanceIdTooLong { len, max }) => {
                prop_assert_eq!(len, encoded_len);
                prop_assert_eq!(max, MAX_INSTANCE_ID_LEN);
                prop_assert!(len > max);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn ops_round_trip_and_length_rule(
        oui in oui(),
        pc in component_without_hyphen(),
        serial in component(),
    ) {
        let encoded_len =
            oui.len() + 2 + encode_component(&pc).len() + encode_component(&serial).len();
        match EndpointId::ops(&oui, &pc, &serial) {
            Ok(id) => {
                prop_assert!(encoded_len <= MAX_INSTANCE_ID_LEN);
                prop_assert_eq!(id.scheme(), Scheme::Ops);
                check_built(&id)?;
                prop_assert_eq!(
                    id.device_id_parts(),
                    Some(DeviceIdParts {
                        oui: oui.clone(),
                        product_class: Some(pc.clone()),
                        serial_number: serial.clone(),
                    })
                );
            }
            Err(EndpointIdError::InstanceIdTooLong { len, .. }) => {
                prop_assert_eq!(len, encoded_len);
                prop_assert!(len > MAX_INSTANCE_ID_LEN);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn distinct_serials_give_distinct_ids(oui in oui(), a in component(), b in component()) {
        prop_assume!(a != b);
        if let (Ok(x), Ok(y)) = (EndpointId::os(&oui, &a), EndpointId::os(&oui, &b)) {
            prop_assert_ne!(x.to_string(), y.to_string());
        }
    }

    #[test]
    fn parse_never_panics_and_is_verbatim(s in any::<String>()) {
        if let Ok(id) = s.parse::<EndpointId>() {
            prop_assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn parse_of_plausible_ids(
        scheme in proptest::sample::select(Scheme::ALL.to_vec()),
        authority in "[A-Za-z0-9.]{0,10}",
        instance in "[A-Za-z0-9%._~:-]{0,60}",
    ) {
        let s = format!("{scheme}:{authority}:{instance}");
        match s.parse::<EndpointId>() {
            Ok(id) => {
                prop_assert_eq!(&id.to_string(), &s);
                prop_assert!(id.instance_id().len() <= MAX_INSTANCE_ID_LEN);
                prop_assert!(!id.instance_id().contains(['~', ':']));
            }
            Err(EndpointIdError::InvalidInstanceIdChar { offset, ch }) => {
                prop_assert_eq!(instance[offset..].chars().next(), Some(ch));
            }
            Err(_) => {}
        }
    }
}
