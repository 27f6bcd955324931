//! WebAssembly programs with known results, generated for weft's tests and
//! fuzzers: each generator writes a module in the text format together with
//! the arguments to call it with and what a correct runtime returns, worked
//! out by a simple model of the program rather than by running it.
//!
//! Generators draw every decision from a [`Choose`], so the same generator
//! serves a seeded, reproducible test ([`SplitMix64`]) and a fuzzer (which
//! implements [`Choose`] on its input bytes).

pub mod branch_moves;

/// A source of decisions.
pub trait Choose {
    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u32) -> u32;

    /// A yes or no.
    fn flip(&mut self) -> bool {
        self.below(2) == 1
    }

    /// A 64-bit value, often a small or extreme one (those find more
    /// bugs than uniformly random bits).
    fn bits(&mut self) -> u64 {
        let pick = |c: &mut Self| u64::from(c.below(1 << 16));
        match self.below(4) {
            0 => pick(self),
            1 => [0, 1, u64::MAX, 1 << 31, 1 << 63][self.below(5) as usize],
            _ => (pick(self) << 48) | (pick(self) << 32) | (pick(self) << 16) | pick(self),
        }
    }
}

/// One element of `items` (not empty).
pub fn one_of<T: Copy>(c: &mut dyn Choose, items: &[T]) -> T {
    items[c.below(items.len() as u32) as usize]
}

/// A small deterministic generator (SplitMix64), for reproducible tests.
pub struct SplitMix64(pub u64);

impl Choose for SplitMix64 {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (((z >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// A value of one of the types the generators use.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An `i32`, as its bits.
    I32(u32),
    /// An `i64`, as its bits.
    I64(u64),
    /// A `v128`.
    V128(u128),
}
