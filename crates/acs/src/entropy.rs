//! Unpredictable bytes from the operating system's CSPRNG, for whatever an
//! attacker must not guess: session cookies, Digest nonces and their key,
//! generated device passwords.

/// Fills a buffer; `false` when no randomness could be had. The engine
/// takes one of these rather than calling the OS, so tests can make it
/// deterministic.
pub type RandomSource = Box<dyn FnMut(&mut [u8]) -> bool + Send>;

/// The OS CSPRNG (getrandom(2) on Linux).
pub fn os_random() -> RandomSource {
    Box::new(|buf| getrandom::fill(buf).is_ok())
}

/// 16 fresh bytes, `None` if the OS has none to give.
pub fn random16() -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    getrandom::fill(&mut out).ok().map(|()| out)
}

/// A key for the Digest nonces' MAC, fresh for each server start.
pub fn nonce_key() -> std::io::Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(std::io::Error::other)?;
    Ok(key)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// `n` random bytes as hex, `None` if the source failed.
pub(crate) fn random_hex(random: &mut RandomSource, n: usize) -> Option<String> {
    let mut buf = vec![0u8; n];
    random(&mut buf).then(|| hex(&buf))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn hex_is_two_lower_case_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn os_bytes_do_not_repeat() {
        let draws: HashSet<[u8; 16]> = (0..1000).map(|_| random16().unwrap()).collect();
        assert_eq!(draws.len(), 1000);
        let (a, b) = (nonce_key().unwrap(), nonce_key().unwrap());
        assert_ne!(a, b, "each server start gets its own nonce key");
        assert_ne!(a, [0u8; 32]);
        // Every bit position varies: a counter or a clock would leave the
        // high bits fixed over a thousand draws.
        let mut ones = [0u32; 128];
        for d in &draws {
            for (bit, count) in ones.iter_mut().enumerate() {
                *count += u32::from(d[bit / 8] >> (bit % 8) & 1);
            }
        }
        assert!(ones.iter().all(|&n| (350..650).contains(&n)), "{ones:?}");
    }
}
