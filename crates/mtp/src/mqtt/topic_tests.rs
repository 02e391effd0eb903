use super::*;
use proptest::prelude::*;

#[test]
fn agent_topic_replaces_every_placeholder() {
    assert_eq!(
        agent_topic("usp/agent/{eid}", "os::00256D-AB12").unwrap(),
        "usp/agent/os::00256D-AB12"
    );
    assert_eq!(agent_topic("a/{eid}/b/{eid}", "x").unwrap(), "a/x/b/x");
    assert_eq!(agent_topic("fixed/topic", "x").unwrap(), "fixed/topic");
}

#[test]
fn agent_topic_refuses_what_cannot_be_published_to() {
    for bad in ["usp/+/{eid}", "usp/{eid}/#", "", "{eid}"] {
        assert!(agent_topic(bad, "").is_err(), "{bad:?}");
    }
    assert!(agent_topic("a/{eid}", "x#y").is_err());
    assert!(agent_topic(&"a".repeat(65_536), "x").is_err());
}

#[test]
fn reply_to_suffix_is_the_spec_example() {
    let topic = with_reply_to(
        "usp/agents/cid:3AA3F8:my-unique-usp-id-42",
        "usp/controllers/oui:00256D:my-unique-bbf-id-42",
    );
    assert_eq!(
        topic,
        "usp/agents/cid:3AA3F8:my-unique-usp-id-42/reply-to=usp%2Fcontrollers%2Foui:00256D:my-unique-bbf-id-42"
    );
    assert_eq!(
        reply_to_of(&topic).unwrap(),
        "usp/controllers/oui:00256D:my-unique-bbf-id-42"
    );
}

#[test]
fn reply_to_uses_the_last_suffix_and_either_case() {
    assert_eq!(
        reply_to_of("a/reply-to=x/reply-to=c%2fd%2Fe").unwrap(),
        "c/d/e"
    );
    assert_eq!(reply_to_of("a/reply-to=50%25%").unwrap(), "50%25%");
    assert_eq!(reply_to_of("a/reply-to=%é%2").unwrap(), "%é%2");
    assert_eq!(reply_to_of("usp/agent/x"), None);
    assert_eq!(reply_to_of("usp/agent/x/reply-to="), None);
}

#[test]
fn filters_match_as_mqtt_says() {
    let cases = [
        ("usp/agent/x", "usp/agent/x", true),
        ("usp/agent/x", "usp/agent/y", false),
        ("usp/agent/x/#", "usp/agent/x", true),
        ("usp/agent/x/#", "usp/agent/x/reply-to=a%2Fb", true),
        ("usp/agent/x/#", "usp/agent/xy", false),
        ("usp/+/x", "usp/agent/x", true),
        ("usp/+/x", "usp/agent/y/x", false),
        ("+/+/x/#", "a/b/x/c/d", true),
        ("#", "a/b", true),
        ("#", "$SYS/x", false),
        ("+/x", "$SYS/x", false),
        ("$SYS/#", "$SYS/x", true),
        ("a/b", "a/b/c", false),
        ("a/b/c", "a/b", false),
        ("a/+", "a/", true),
    ];
    for (filter, topic, expected) in cases {
        assert_eq!(filter_matches(filter, topic), expected, "{filter} {topic}");
    }
}

#[test]
fn v311_subscribes_below_the_agent_topic_and_replies_on_it() {
    let plan = subscribe_plan(false, "usp/agent/x", ["ignored"], Some("also/ignored"));
    assert_eq!(plan.filters, ["usp/agent/x/#"]);
    assert_eq!(plan.reply_topic, "usp/agent/x");
}

#[test]
fn v5_subscribes_to_connack_topics_and_response_information() {
    let plan = subscribe_plan(
        true,
        "usp/agent/x",
        ["oktopus/usp/v1/agent/x", "usp/agent/x", ""],
        Some("resp/x"),
    );
    assert_eq!(
        plan.filters,
        ["usp/agent/x", "oktopus/usp/v1/agent/x", "resp/x"]
    );
    assert_eq!(plan.reply_topic, "resp/x");
}

#[test]
fn v5_response_information_already_covered_is_not_subscribed_twice() {
    let plan = subscribe_plan(true, "usp/agent/x", ["resp/#"], Some("resp/x"));
    assert_eq!(plan.filters, ["usp/agent/x", "resp/#"]);
    assert_eq!(plan.reply_topic, "resp/x");
}

#[test]
fn v5_without_response_information_replies_on_the_agent_topic() {
    for info in [None, Some(""), Some("bad/#")] {
        let plan = subscribe_plan(true, "usp/agent/x", [], info);
        assert_eq!(plan.filters, ["usp/agent/x"]);
        assert_eq!(plan.reply_topic, "usp/agent/x");
    }
}

#[test]
fn suback_must_grant_a_filter_covering_the_reply_topic() {
    let filters = vec!["usp/agent/x".to_owned(), "resp/x".to_owned()];
    assert!(reply_topic_granted(&filters, &[false, true], "resp/x"));
    assert!(!reply_topic_granted(&filters, &[true, false], "resp/x"));
    assert!(!reply_topic_granted(&filters, &[], "resp/x"));
}

#[test]
fn v5_records_need_a_response_topic_and_a_usp_content_type() {
    assert_eq!(
        accept_v5(Some("usp.msg"), Some("c/t"), 10, 10).unwrap(),
        "c/t"
    );
    assert_eq!(
        accept_v5(Some("application/vnd.bbf.usp.msg"), Some("c/t"), 1, 10).unwrap(),
        "c/t"
    );
    assert_eq!(accept_v5(None, Some("c/t"), 1, 10).unwrap(), "c/t");
    assert_eq!(
        accept_v5(Some("application/vnd.bbf.usp.error"), Some("c/t"), 1, 10),
        Err(Refusal::ContentType("application/vnd.bbf.usp.error".into()))
    );
    assert_eq!(accept_v5(None, None, 1, 10), Err(Refusal::NoReplyTo));
    assert_eq!(accept_v5(None, Some("c/#"), 1, 10), Err(Refusal::NoReplyTo));
    assert_eq!(
        accept_v5(None, Some("c/t"), 11, 10),
        Err(Refusal::TooLarge { len: 11, max: 10 })
    );
}

#[test]
fn v311_records_need_a_reply_to_suffix() {
    assert_eq!(
        accept_v311("usp/agent/x/reply-to=c%2Ft", 1, 10).unwrap(),
        "c/t"
    );
    assert_eq!(accept_v311("usp/agent/x", 1, 10), Err(Refusal::NoReplyTo));
    assert_eq!(
        accept_v311("usp/agent/x/reply-to=c%2F%2B", 1, 10).unwrap(),
        "c/%2B"
    );
    assert_eq!(
        accept_v311("usp/agent/x/reply-to=c", 11, 10),
        Err(Refusal::TooLarge { len: 11, max: 10 })
    );
}

proptest! {
    #[test]
    fn reply_to_suffix_round_trips(
        destination in "[a-z0-9:/._-]{1,40}",
        reply in "[a-zA-Z0-9:/._%é-]{1,40}",
    ) {
        // "%2F" already in a reply topic is the one ambiguity the spec's
        // encoding has: it comes back as "/".
        prop_assume!(!reply.to_ascii_lowercase().contains("%2f"));
        let topic = with_reply_to(&destination, &reply);
        prop_assert!(!topic[destination.len() + REPLY_TO.len()..].contains('/'));
        prop_assert_eq!(reply_to_of(&topic), Some(reply));
    }

    #[test]
    fn reply_to_decoding_never_panics(topic in "\\PC{0,60}(/reply-to=)?\\PC{0,20}") {
        let _ = reply_to_of(&topic);
        let _ = accept_v311(&topic, 0, 1);
    }

    #[test]
    fn a_topic_matches_itself_and_its_hash_filter(topic in "[a-z]{1,5}(/[a-z]{0,5}){0,4}") {
        prop_assert!(filter_matches(&topic, &topic));
        let below = format!("{topic}/#");
        prop_assert!(filter_matches(&below, &topic));
        prop_assert!(filter_matches("#", &topic));
    }
}
