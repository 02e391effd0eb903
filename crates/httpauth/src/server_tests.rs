use super::*;
use crate::client::respond;
use proptest::prelude::*;

const KEY: [u8; 32] = [7; 32];
const T: u64 = 1_000_000;

fn pw(user: &str) -> Option<String> {
    (user == "cpe").then(|| "secret".to_string())
}

fn verifier() -> Verifier {
    Verifier::new("cwmp", KEY).nonce_lifetime(60)
}

fn answer(v: &Verifier, now: u64, nc: u32, password: &str) -> String {
    let ch = v.challenges(now, [1; 16], false).join(", ");
    respond(&ch, "POST", "/acs", "cpe", password, "cn", nc).unwrap()
}

#[test]
fn client_and_server_agree() {
    let mut v = verifier();
    let a = answer(&v, T, 1, "secret");
    assert!(a.contains("algorithm=SHA-256"));
    assert_eq!(
        v.verify(&a, "POST", pw, T + 1),
        Outcome::Ok { user: "cpe".into() }
    );
    for alg in [Algorithm::Md5, Algorithm::Md5Sess, Algorithm::Sha256Sess] {
        let mut v = verifier().algorithms(&[alg]);
        let a = answer(&v, T, 1, "secret");
        assert!(a.contains(&format!("algorithm={alg},")), "{a}");
        assert_eq!(
            v.verify(&a, "POST", pw, T),
            Outcome::Ok { user: "cpe".into() }
        );
    }
}

#[test]
fn wrong_password_method_or_uri_is_denied() {
    let mut v = verifier();
    assert_eq!(
        v.verify(&answer(&v, T, 1, "nope"), "POST", pw, T),
        Outcome::Denied
    );
    assert_eq!(
        v.verify(&answer(&v, T, 1, "secret"), "GET", pw, T),
        Outcome::Denied
    );
    let a = answer(&v, T, 2, "secret");
    assert_eq!(
        v.verify_request(&a, "POST", Some("/other"), pw, T),
        Outcome::Denied
    );
    assert_eq!(
        v.verify_request(&a, "POST", Some("/acs"), pw, T),
        Outcome::Ok { user: "cpe".into() }
    );
}

#[test]
fn expired_nonce_is_stale_only_with_right_password() {
    let mut v = verifier();
    assert_eq!(
        v.verify(&answer(&v, T, 1, "secret"), "POST", pw, T + 61),
        Outcome::Stale
    );
    assert_eq!(
        v.verify(&answer(&v, T, 1, "bad"), "POST", pw, T + 61),
        Outcome::Denied
    );
    let ch = v.challenges(T, [0; 16], true);
    assert!(ch[0].contains("stale=true"));
}

#[test]
fn replayed_nonce_count_is_denied() {
    let mut v = verifier();
    let a1 = answer(&v, T, 1, "secret");
    assert!(matches!(v.verify(&a1, "POST", pw, T), Outcome::Ok { .. }));
    assert_eq!(v.verify(&a1, "POST", pw, T), Outcome::Denied);
    let a2 = answer(&v, T, 2, "secret");
    assert!(matches!(v.verify(&a2, "POST", pw, T), Outcome::Ok { .. }));
}

#[test]
fn forged_nonce_is_denied() {
    let mut v = verifier();
    let other = Verifier::new("cwmp", [9; 32]);
    let a = answer(&other, T, 1, "secret");
    assert_eq!(
        v.verify(&a.replace(&other.opaque, &v.opaque), "POST", pw, T),
        Outcome::Denied
    );
}

#[test]
fn nonce_table_is_bounded_and_forgotten_nonces_go_stale() {
    let mut v = verifier().max_nonces(4);
    let mut first = None;
    for i in 0..20u8 {
        let ch = v.challenges(T + u64::from(i), [i; 16], false).join(", ");
        let a = respond(&ch, "POST", "/", "cpe", "secret", "c", 1).unwrap();
        assert!(matches!(
            v.verify(&a, "POST", pw, T + 20),
            Outcome::Ok { .. }
        ));
        first.get_or_insert(ch);
    }
    assert_eq!(v.remembered(), 4);
    // The first nonce was evicted: replaying it cannot succeed.
    let again = respond(&first.unwrap(), "POST", "/", "cpe", "secret", "c", 1).unwrap();
    assert_eq!(v.verify(&again, "POST", pw, T + 20), Outcome::Stale);
}

#[test]
fn no_qop_only_when_allowed() {
    let n = verifier().nonce(T, [2; 16]);
    let ch = format!("Digest realm=\"cwmp\", nonce=\"{n}\"");
    let a = respond(&ch, "POST", "/", "cpe", "secret", "c", 1).unwrap();
    assert_eq!(verifier().verify(&a, "POST", pw, T), Outcome::Denied);
    let mut v = verifier().allow_no_qop(true).algorithms(&[Algorithm::Md5]);
    assert_eq!(
        v.verify(&a, "POST", pw, T),
        Outcome::Ok { user: "cpe".into() }
    );
}

#[test]
fn basic_only_when_allowed() {
    let h = crate::basic_header("cpe", "secret");
    assert_eq!(verifier().verify(&h, "POST", pw, T), Outcome::Denied);
    let mut v = verifier().allow_basic(true);
    assert!(v
        .challenges(T, [0; 16], false)
        .last()
        .unwrap()
        .starts_with("Basic realm="));
    assert_eq!(
        v.verify(&h, "POST", pw, T),
        Outcome::Ok { user: "cpe".into() }
    );
    let bad = crate::basic_header("cpe", "secreT");
    assert_eq!(v.verify(&bad, "POST", pw, T), Outcome::Denied);
    assert_eq!(check_basic(&h, pw), Outcome::Ok { user: "cpe".into() });
    assert_eq!(check_basic("Basic !!!", pw), Outcome::Denied);
}

#[test]
fn easycwmp_capture_verifies() {
    // Real libcurl Authorization from tests/fixtures/cwmp/easycwmp/Inform-00001.
    let h = r#"Digest username="acsuser", realm="miniacs", nonce="92200c0eeceb4ff38b39422c3cd27b8b", uri="/", cnonce="NDNhOTY4YjRmYmY4ZTkwYWUyZTdlOWE1NDQ2OTE4MGU=", nc=0000000a, qop=auth, response="a5ffa2d227d5e2db41f72d83618e227d""#;
    let c = DigestCredentials::parse(h).unwrap();
    assert_eq!(c.nc, Some(10));
    assert!(c.matches("POST", "acspass"));
    assert!(!c.matches("POST", "acspassword"));
}

#[test]
fn challenge_header_round_trips() {
    let c = Challenge {
        realm: "a \"quoted\" realm".into(),
        algorithm: Algorithm::Sha256,
        nonce: "abc".into(),
        opaque: Some("op".into()),
        stale: true,
    };
    let p = &parse_challenges(&c.header()).unwrap()[0];
    assert_eq!(p.get("realm"), Some("a \"quoted\" realm"));
    assert_eq!(p.get("qop"), Some("auth"));
    assert_eq!(p.get("stale"), Some("true"));
    assert_eq!(
        crate::client::choose(&c.header()).unwrap(),
        crate::client::Chosen::Digest {
            algorithm: Algorithm::Sha256,
            realm: c.realm.clone(),
            nonce: "abc".into(),
            opaque: Some("op".into()),
            qop_auth: true,
            stale: true,
        }
    );
}

proptest! {
    #[test]
    fn verify_never_panics(s in "\\PC{0,400}") {
        let mut v = verifier().allow_basic(true).allow_no_qop(true);
        let _ = v.verify(&s, "POST", pw, T);
        let _ = DigestCredentials::parse(&s);
    }

    #[test]
    fn round_trip_any_credentials(user in "[ -~]{1,20}", pass in "[ -~]{0,20}", realm in "[ -~]{0,20}", nc in 1u32..) {
        let mut v = Verifier::new(realm.clone(), KEY);
        let ch = v.challenges(T, [3; 16], false).join(", ");
        let a = respond(&ch, "POST", "/x?y=1", &user, &pass, "cn", nc).unwrap();
        let u = user.clone();
        let out = v.verify(&a, "POST", |n| (n == u).then(|| pass.clone()), T);
        prop_assert_eq!(out, Outcome::Ok { user });
    }
}

proptest! {
    #[test]
    fn challenge_round_trips(realm in "\\PC{0,40}", nonce in "[ -~]{1,40}", opaque in proptest::option::of("[ -~]{0,20}"), stale: bool, sha: bool) {
        let algorithm = if sha { Algorithm::Sha256 } else { Algorithm::Md5 };
        let c = Challenge { realm: realm.clone(), algorithm, nonce: nonce.clone(), opaque: opaque.clone(), stale };
        let chosen = crate::client::choose(&c.header());
        prop_assert_eq!(chosen, Ok(crate::client::Chosen::Digest { algorithm, realm, nonce, opaque, qop_auth: true, stale }));
    }
}

#[test]
fn the_claimed_user_never_comes_with_the_password() {
    let v = verifier();
    let digest = answer(&v, T, 1, "wrong-secret");
    assert_eq!(claimed_user(&digest).as_deref(), Some("cpe"));
    // "cpe:hunter2:x" in base64: the password may hold colons.
    let basic = format!("Basic {}", STANDARD.encode("cpe:hunter2:x"));
    let user = claimed_user(&basic).unwrap();
    assert_eq!(user, "cpe");
    assert!(!user.contains("hunter2"));
    for junk in [
        "",
        "Bearer abc",
        "Basic !!!",
        "Basic bm9jb2xvbg==",
        "Digest realm=\"r\"",
        "Digest username=\"x\", userhash=true",
    ] {
        assert_eq!(claimed_user(junk), None, "{junk}");
    }
}
