//! API keys: how a secret looks and how it is kept.

use sha2::{Digest, Sha256};

/// Every secret starts with this, so a key is told apart from a token (and found by secret
/// scanners in a leaked file).
pub const PREFIX: &str = "fdk_";
pub const SECRET_BYTES: usize = 32;
/// `fdk_` and 64 hex digits.
pub const SECRET_LEN: usize = PREFIX.len() + 2 * SECRET_BYTES;

/// The secret shown once to its owner: the prefix and the random bytes as hex.
pub fn secret_from_bytes(bytes: &[u8; SECRET_BYTES]) -> String {
    let mut secret = String::with_capacity(SECRET_LEN);
    secret.push_str(PREFIX);
    for byte in bytes {
        secret.push_str(&format!("{byte:02x}"));
    }
    secret
}

/// Whether a credential is meant as an API key (rather than a sign-in token).
pub fn is_api_key(credential: &str) -> bool {
    credential.starts_with(PREFIX)
}

/// Whether it has the shape of a secret this server hands out.
pub fn well_formed(secret: &str) -> bool {
    secret.len() == SECRET_LEN
        && secret.starts_with(PREFIX)
        && secret[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What is stored instead of the secret: its SHA-256, as hex.
///
/// A fast, unsalted hash is right here, unlike for passwords: the secret is 256 random bits,
/// so there is nothing to guess or precompute, and a slow hash (Argon2) would only burn CPU on
/// every request. Being deterministic, it is also what the key is looked up by (a unique
/// index), so checking a key costs one indexed read.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_one_shape() {
        let secret = secret_from_bytes(&[0xab; SECRET_BYTES]);
        assert_eq!(secret.len(), SECRET_LEN);
        assert!(secret.starts_with("fdk_abab"));
        assert!(well_formed(&secret));
        assert!(is_api_key(&secret));
        assert!(!well_formed(&secret[..SECRET_LEN - 1]));
        assert!(!well_formed(&secret.to_uppercase()));
        assert!(!well_formed(&format!("{secret}0")));
        assert!(!is_api_key("eyJhbGciOiJIUzI1NiJ9.e30.x"));
    }

    #[test]
    fn hashes_are_sha256_hex() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(secret_hash("fdk_1"), secret_hash("fdk_2"));
    }
}
