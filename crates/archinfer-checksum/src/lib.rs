//! # archinfer-checksum
//!
//! The one 64-bit FNV-1a of the workspace, a leaf every other crate may use: the checksum of
//! task samples and copied trials in the store, of a saved model's files, and the keys of the
//! text modules' token cache and hashed n-gram buckets. FNV-1a is stable across platforms and
//! releases, which `std`'s hasher is not; it is a check against accidents, not an adversary.
//!
//! ```
//! use archinfer_checksum::{Fnv1a, fnv1a_hex};
//! // The reference value of FNV-1a 64 for "a".
//! assert_eq!(fnv1a_hex([b"a".as_slice()]), "af63dc4c8601ec8c");
//! // Parts are hashed as if concatenated.
//! assert_eq!(fnv1a_hex([b"ab".as_slice()]), fnv1a_hex([b"a".as_slice(), b"b".as_slice()]));
//! assert_eq!(Fnv1a::new().write(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
//! ```

/// The 64-bit FNV-1a offset basis.
const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// The 64-bit FNV prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// A streaming 64-bit FNV-1a hasher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a {
    /// A hasher at the offset basis (the hash of nothing).
    pub const fn new() -> Self {
        Self(OFFSET)
    }

    /// Feeds `bytes`.
    #[must_use]
    pub fn write(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
        self
    }

    /// The hash of everything fed so far.
    pub const fn finish(self) -> u64 {
        self.0
    }
}

/// The 64-bit FNV-1a hash of the concatenated `parts`.
pub fn fnv1a64<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    parts.into_iter().fold(Fnv1a::new(), Fnv1a::write).finish()
}

/// The 64-bit FNV-1a hash of the concatenated `parts`, as 16 lower-case hex digits.
pub fn fnv1a_hex<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    format!("{:016x}", fnv1a64(parts))
}

/// The 64-bit FNV-1a hash of `parts`, each followed by a `0xff` byte (which UTF-8 never
/// contains), so that `["ab", "c"]` and `["a", "bc"]` differ.
pub fn fnv1a64_framed<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    parts.into_iter().fold(Fnv1a::new(), |h, p| h.write(p).write(&[0xff])).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values_of_fnv1a_64() {
        // From the FNV reference test vectors.
        assert_eq!(fnv1a64([b"".as_slice()]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64([b"a".as_slice()]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64([b"foobar".as_slice()]), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a_hex([b"foo".as_slice(), b"bar".as_slice()]), "85944171f73967e8");
    }

    #[test]
    fn framing_separates_parts() {
        let a = fnv1a64_framed([b"ab".as_slice(), b"c".as_slice()]);
        let b = fnv1a64_framed([b"a".as_slice(), b"bc".as_slice()]);
        assert_ne!(a, b);
        assert_eq!(a, Fnv1a::new().write(b"ab").write(&[0xff]).write(b"c").write(&[0xff]).finish());
    }
}
