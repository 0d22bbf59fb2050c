//! Authentication: who is making a request.
//!
//! The primitives for credentials live here: [`generate_key`], [`hash_key`], [`keys_match`],
//! [`hash_password`] and [`verify_password`].

mod keys;

pub use keys::{
    PasswordHashError, generate_key, hash_key, hash_password, keys_match, verify_password,
};
