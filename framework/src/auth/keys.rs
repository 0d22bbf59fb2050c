//! Credential primitives: random keys, their stored hashes, constant-time comparison, and
//! password hashes (Argon2id).
//!
//! A token or session key is shown to its owner once and stored only as [`hash_key`] of it, so
//! a database dump holds no usable credential. Passwords are stored as Argon2id PHC strings.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new random key for a token or a session: 20 bytes from the operating system's random
/// generator, as 40 lowercase hex characters (the shape of DRF's `Token.generate_key`).
///
/// # Panics
///
/// When the operating system's random generator fails, which it does not on a running
/// system (there is no safe fallback for a credential).
///
/// ```
/// let key = restframe::auth::generate_key();
/// assert_eq!(key.len(), 40);
/// assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
/// assert_ne!(key, restframe::auth::generate_key());
/// ```
pub fn generate_key() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    hex(&bytes)
}

/// What is stored for a key: its SHA-256, as 64 lowercase hex characters.
///
/// A key has 160 random bits, so a fast hash is enough (no salt, no stretching); look a
/// presented key up by its hash.
///
/// ```
/// use restframe::auth::hash_key;
/// assert_eq!(
///     hash_key("abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Whether two secrets are equal, in time that does not depend on where they differ (only on
/// their lengths).
///
/// ```
/// use restframe::auth::{hash_key, keys_match};
/// let stored = hash_key("0123456789abcdef0123456789abcdef01234567");
/// let presented = hash_key("0123456789abcdef0123456789abcdef01234567");
/// assert!(keys_match(stored.as_bytes(), presented.as_bytes()));
/// assert!(!keys_match(b"abc", b"abd"));
/// assert!(!keys_match(b"abc", b"abcd"));
/// ```
pub fn keys_match(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A password hashed with Argon2id (the `argon2` crate's default parameters: 19 MiB, 2
/// passes, 1 lane) and a random 16-byte salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`): what is stored.
///
/// ```
/// use restframe::auth::{hash_password, verify_password};
/// let stored = hash_password("correct horse battery staple")?;
/// assert!(stored.starts_with("$argon2id$"));
/// assert!(verify_password("correct horse battery staple", &stored));
/// assert!(!verify_password("Tr0ub4dor&3", &stored));
/// # Ok::<(), restframe::auth::PasswordHashError>(())
/// ```
pub fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordHashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordHashError(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordHashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `stored` (a PHC string from [`hash_password`]) was made
/// from. The parameters are read from `stored`, so hashes made with older parameters still
/// verify. A malformed `stored` string verifies nothing.
///
/// ```
/// use restframe::auth::verify_password;
/// assert!(!verify_password("anything", "not a PHC string"));
/// ```
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// A password could not be hashed (no OS randomness for the salt, or a password longer than
/// Argon2 accepts).
///
/// ```
/// # fn store(_: &str) {}
/// match restframe::auth::hash_password("s3cret") {
///     Ok(phc) => store(&phc),
///     Err(e) => eprintln!("{e}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordHashError(String);

impl fmt::Display for PasswordHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot hash the password: {}", self.0)
    }
}

impl std::error::Error for PasswordHashError {}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_40_hex_characters_and_differ() {
        let keys: Vec<String> = (0..100).map(|_| generate_key()).collect();
        for key in &keys {
            assert_eq!(key.len(), 40);
            assert!(
                key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{key}"
            );
        }
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
    }

    #[test]
    fn a_key_hash_is_sha256_hex_and_is_not_the_key() {
        let key = generate_key();
        let hash = hash_key(&key);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, key);
        assert_eq!(hash, hash_key(&key));
        assert_eq!(
            hash_key(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn keys_match_only_equal_bytes() {
        assert!(keys_match(b"", b""));
        assert!(keys_match(b"same", b"same"));
        assert!(!keys_match(b"same", b"Same"));
        assert!(!keys_match(b"same", b"sam"));
        assert!(!keys_match(b"", b"x"));
    }

    #[test]
    fn passwords_hash_to_salted_argon2id_phc_strings() {
        let a = hash_password("hunter2").expect("hash");
        let b = hash_password("hunter2").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("hunter2"));
        assert!(verify_password("hunter2", &a));
        assert!(verify_password("hunter2", &b));
        assert!(!verify_password("hunter3", &a));
        assert!(!verify_password("", &a));
    }

    #[test]
    fn malformed_stored_hashes_verify_nothing() {
        for stored in [
            "",
            "hunter2",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$xx$yy",
        ] {
            assert!(!verify_password("hunter2", stored), "{stored:?}");
        }
    }
}
