//! Random numbers for spreading notification retries (R-NOT.1 wants a
//! random point in each wait range), so that 10,000 agents refused by one
//! broker outage do not all retry in the same millisecond. Not for
//! secrets: xorshift64* seeded from std's per-process random hash keys.

use std::hash::BuildHasher as _;

pub struct Jitter(u64);

impl Jitter {
    pub fn new() -> Jitter {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64);
        // xorshift never leaves zero.
        Jitter(seed | 1)
    }

    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_spread_over_the_whole_range() {
        let mut j = Jitter::new();
        let draws: Vec<u32> = (0..1000).map(|_| j.next_u32()).collect();
        let low = draws.iter().filter(|&&d| d < u32::MAX / 4).count();
        let high = draws.iter().filter(|&&d| d > u32::MAX / 4 * 3).count();
        // Each quarter should get ~250 of 1000; a stuck or narrow
        // generator gets none.
        assert!(low > 100 && high > 100, "{low} {high}");
    }
}
