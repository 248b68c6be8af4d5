//! Client secrets at rest: sealed with a key derived from the installation's secret, so a
//! copy of the database alone does not hand over the organisations' directory clients.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

use crate::accounts::tokens::hex;

#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the sealed secret was not sealed with this installation's key, or is damaged")]
pub struct Unsealable;

impl Sealer {
    pub fn new(installation_secret: &[u8]) -> Self {
        let key = Sha256::new()
            .chain_update(b"bruka directory client secrets\0")
            .chain_update(installation_secret)
            .finalize();
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(<[u8; 32]>::from(key))),
        }
    }

    /// Hex of a fresh nonce and the ciphertext with its tag.
    pub fn seal(&self, secret: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        match self.cipher.encrypt(&nonce, secret.as_bytes()) {
            Ok(sealed) => format!("{}{}", hex(&nonce), hex(&sealed)),
            // Encryption fails only for inputs of gigabytes; no secret is that long.
            Err(_) => String::new(),
        }
    }

    pub fn unseal(&self, sealed: &str) -> Result<String, Unsealable> {
        let bytes = unhex(sealed).ok_or(Unsealable)?;
        if bytes.len() < 12 + 16 {
            return Err(Unsealable);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| Unsealable)?;
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_the_same_installation_key() {
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let sealed = sealer.seal("client-secret~with.odd_chars");
        assert!(!sealed.contains("client-secret"));
        assert_ne!(
            sealed,
            sealer.seal("client-secret~with.odd_chars"),
            "fresh nonce"
        );
        assert_eq!(
            sealer.unseal(&sealed).as_deref(),
            Ok("client-secret~with.odd_chars")
        );
        let other = Sealer::new(b"another installation's secret key");
        assert_eq!(other.unseal(&sealed), Err(Unsealable));
        let mut damaged = sealed.clone();
        damaged.replace_range(30..32, if &sealed[30..32] == "00" { "01" } else { "00" });
        assert_eq!(sealer.unseal(&damaged), Err(Unsealable));
        assert_eq!(sealer.unseal("zz"), Err(Unsealable));
        assert_eq!(sealer.unseal(""), Err(Unsealable));
    }
}
