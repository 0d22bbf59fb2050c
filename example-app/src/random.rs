//! Randomness from the operating system: signing secrets and unique names.

use std::io::{self, Read};

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// `n` random bytes from the operating system, in hex.
pub fn random_hex(n: usize) -> io::Result<String> {
    Ok(random_bytes(n)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
