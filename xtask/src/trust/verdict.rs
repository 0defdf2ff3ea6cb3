//! What judging a signature concludes: it counts ([`Valid`]), or it does not and why
//! ([`Rejection`] with a [`Reason`], whose names are part of `verify --json`).

use std::fmt;
use std::time::SystemTime;

use sequoia_openpgp::Cert;
use serde::Serialize;

/// Why a signature does not count. The kebab-case names are part of `verify --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Not a binary OpenPGP signed message holding one signature.
    Malformed,
    /// Made by a key that is not in the keyring.
    UnknownKey,
    /// The cryptographic check failed: the bytes were changed, or forged.
    BadSignature,
    /// The signing key or its certificate has expired.
    ExpiredKey,
    /// The signing key or its certificate has been revoked.
    RevokedKey,
    /// The key is in the keyring but cannot make signatures we accept (not bound, not
    /// signing-capable, or refused by the OpenPGP policy).
    UnusableKey,
    /// The signed document is not a simple signing payload.
    InvalidPayload,
    /// The payload's `critical` section holds a field we do not know.
    UnknownCriticalField,
    /// The payload signs another manifest digest than the one recorded.
    DigestMismatch,
    /// The payload signs another image name than this one.
    IdentityMismatch,
    /// A second signature by a signer already counted for this image.
    DuplicateSigner,
    /// `signature-N` after a missing number: containers/image stops at the gap.
    NumberingGap,
    /// A file in a lookaside directory that is not `signature-N`.
    UnexpectedFile,
    /// `signature-N` is not a regular file of at most [`SIGNATURE_CAP`] bytes (a FIFO, a
    /// device, a symbolic link, or too long): it is not read.
    Unreadable,
}

/// No signature of ours is near this size (a simple signing signature is about 1 KB).
pub const SIGNATURE_CAP: u64 = 64 << 10;

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let value = serde_json::to_value(self).expect("a reason serializes");
        f.write_str(value.as_str().unwrap_or("unknown"))
    }
}

/// A signature that does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Rejection {
    pub reason: Reason,
    pub detail: String,
    /// The primary key fingerprint of the signer, when the signer is known.
    pub signer: Option<String>,
}

impl Rejection {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Rejection {
        Rejection { reason, detail: detail.into(), signer: None }
    }

    pub(super) fn by(mut self, cert: &Cert) -> Rejection {
        self.signer = Some(cert.fingerprint().to_hex());
        self
    }

    pub(super) fn with_signer(mut self, fingerprint: &str) -> Rejection {
        self.signer = Some(fingerprint.to_owned());
        self
    }
}

/// A signature that counts.
#[derive(Debug, Clone)]
pub struct Valid {
    /// Fingerprint of the signer's primary key: the unit we count.
    pub signer: String,
    /// Fingerprint of the key that made the signature (often a signing subkey): what
    /// skopeo and gpg name.
    pub signing_key: String,
    pub user_id: Option<String>,
    pub created: Option<SystemTime>,
    /// The identity the signed payload names, for an image signature.
    pub identity: Option<String>,
}
