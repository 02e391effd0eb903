//! The decisions of one HTTP connection request, without sockets: given
//! each answer's head, either send again (with credentials) or stop with
//! an outcome. The shell in `http.rs` only carries bytes.

use httpauth::client::{self, Chosen};

use super::outcome::{ConnectionRequestOutcome, RetryAfter};

/// The parts of an answer that decide what happens next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    pub status: u16,
    /// Every `WWW-Authenticate` value, in order.
    pub challenges: Vec<String>,
    pub retry_after: Option<String>,
}

/// What the shell does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Open a fresh connection and send the GET with this `Authorization`.
    /// A fresh one because many CPE close after their 401, and a CPE that
    /// kept it open does not mind.
    Resend {
        authorization: String,
    },
    Done(ConnectionRequestOutcome),
}

pub(crate) struct Exchange<'a> {
    /// Request target, as the Digest `uri`.
    pub path: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    pub allow_basic: bool,
    pub cnonce: String,
    /// Our credentials went out already: a second 401 is final.
    answered: bool,
}

impl<'a> Exchange<'a> {
    /// The first attempt carries no credentials: the CPE's challenge tells
    /// which scheme and algorithm it wants.
    pub fn new(
        path: &'a str,
        user: &'a str,
        password: &'a str,
        allow_basic: bool,
        cnonce: String,
    ) -> Self {
        Exchange {
            path,
            user,
            password,
            allow_basic,
            cnonce,
            answered: false,
        }
    }

    pub fn on_answer(&mut self, answer: &Answer) -> Step {
        use ConnectionRequestOutcome as O;
        match answer.status {
            200 | 204 => Step::Done(O::Ok),
            503 => Step::Done(O::RateLimited {
                retry_after: answer.retry_after.as_deref().and_then(RetryAfter::parse),
            }),
            401 => self.on_challenge(&answer.challenges),
            other => Step::Done(O::Unexpected(other)),
        }
    }

    fn on_challenge(&mut self, challenges: &[String]) -> Step {
        let fail = |why: String| Step::Done(ConnectionRequestOutcome::AuthFailed(why));
        if self.answered {
            return fail("the CPE refused our credentials".into());
        }
        if challenges.is_empty() {
            return fail("401 without a challenge".into());
        }
        let chosen = match client::choose(&challenges.join(", ")) {
            Ok(c) => c,
            Err(e) => return fail(format!("cannot answer the CPE's challenge: {e}")),
        };
        if matches!(chosen, Chosen::Basic { .. }) && !self.allow_basic {
            return fail("the CPE offers only Basic, which is not allowed".into());
        }
        self.answered = true;
        Step::Resend {
            authorization: client::authorize(
                &chosen,
                "GET",
                self.path,
                self.user,
                self.password,
                &self.cnonce,
                1,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionRequestOutcome as O;

    fn answer(status: u16, challenges: &[&str]) -> Answer {
        Answer {
            status,
            challenges: challenges.iter().map(|c| c.to_string()).collect(),
            retry_after: None,
        }
    }

    fn exchange(allow_basic: bool) -> Exchange<'static> {
        Exchange::new("/cr/1", "u", "p", allow_basic, "c0ffee".into())
    }

    const DIGEST: &str = r#"Digest realm="cpe", nonce="n1", qop="auth", algorithm=SHA-256"#;

    #[test]
    fn success_without_or_after_a_challenge() {
        assert_eq!(
            exchange(false).on_answer(&answer(204, &[])),
            Step::Done(O::Ok)
        );
        let mut ex = exchange(false);
        let Step::Resend { authorization } = ex.on_answer(&answer(401, &[DIGEST])) else {
            panic!("no resend");
        };
        assert!(authorization.starts_with("Digest username=\"u\""));
        assert!(authorization.contains("uri=\"/cr/1\"") && authorization.contains("SHA-256"));
        assert_eq!(ex.on_answer(&answer(200, &[])), Step::Done(O::Ok));
    }

    #[test]
    fn a_second_401_is_final() {
        let mut ex = exchange(false);
        assert!(matches!(
            ex.on_answer(&answer(401, &[DIGEST])),
            Step::Resend { .. }
        ));
        let Step::Done(O::AuthFailed(why)) = ex.on_answer(&answer(401, &[DIGEST])) else {
            panic!("retried twice");
        };
        assert!(why.contains("refused"), "{why}");
    }

    #[test]
    fn challenges_we_cannot_answer() {
        for (challenges, allow_basic, why) in [
            (&[][..], false, "without a challenge"),
            (&["Bearer realm=\"x\""][..], false, "cannot answer"),
            (
                &["Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\""][..],
                false,
                "cannot answer",
            ),
            (&["Basic realm=\"x\""][..], false, "only Basic"),
        ] {
            let Step::Done(O::AuthFailed(r)) =
                exchange(allow_basic).on_answer(&answer(401, challenges))
            else {
                panic!("{challenges:?} accepted");
            };
            assert!(r.contains(why), "{challenges:?}: {r}");
        }
        let Step::Resend { authorization } =
            exchange(true).on_answer(&answer(401, &["Basic realm=\"x\""]))
        else {
            panic!("Basic refused although allowed");
        };
        assert_eq!(authorization, httpauth::basic_header("u", "p"));
        // Split across two headers, Digest still wins over Basic.
        let Step::Resend { authorization } =
            exchange(false).on_answer(&answer(401, &["Basic realm=\"x\"", DIGEST]))
        else {
            panic!("no resend");
        };
        assert!(authorization.starts_with("Digest "));
    }

    #[test]
    fn rate_limits_and_other_statuses() {
        let mut a = answer(503, &[]);
        a.retry_after = Some("30".into());
        assert_eq!(
            exchange(false).on_answer(&a),
            Step::Done(O::RateLimited {
                retry_after: Some(RetryAfter::Seconds(30))
            })
        );
        assert_eq!(
            exchange(false).on_answer(&answer(503, &[])),
            Step::Done(O::RateLimited { retry_after: None })
        );
        for s in [201, 302, 404, 500] {
            assert_eq!(
                exchange(false).on_answer(&answer(s, &[])),
                Step::Done(O::Unexpected(s))
            );
        }
    }
}
