//! One maintainer's signature of one image, in the containers/image "simple signing"
//! format: how it is made, where it lives, and how it is judged.
//!
//! A signature is a binary OpenPGP signed message (one-pass signature, literal data,
//! signature) whose literal data is a small JSON document naming the image by identity
//! (`cairn/<name>`) and OCI manifest digest. Signatures live in a lookaside tree,
//! `manifest/signatures/cairn/<name>@sha256=<hex>/signature-N`, which is the layout
//! podman, skopeo and every containers/image client read: our `verify` and theirs judge
//! the same bytes. We are stricter than they are in one way only: we count distinct
//! trusted signers per image, where a containers/image policy accepts any one.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::policy::{HashAlgoSecurity, Policy, StandardPolicy};
use openpgp::types::RevocationStatus;
use openpgp::{Cert, Packet};

use crate::keys::Keyring;

/// Every cairn image is signed as `cairn/<name>`.
pub const NAMESPACE: &str = "cairn";

/// The `critical.type` every simple signing payload carries.
const TYPE: &str = "atomic container signature";

/// How far in the future a signature's creation time may be (clocks differ).
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The identity (`docker-reference`) an image is signed as.
pub fn identity(name: &str) -> String {
    format!("{NAMESPACE}/{name}")
}

/// `manifest/signatures/`: the root of the lookaside tree (a registries.d `lookaside`).
pub fn lookaside_root(root: &Path) -> PathBuf {
    root.join("manifest").join("signatures")
}

/// `manifest/signatures/cairn/<name>@sha256=<hex>/`: the signatures of one image.
pub fn lookaside_dir(root: &Path, name: &str, digest: &str) -> PathBuf {
    lookaside_root(root).join(NAMESPACE).join(format!("{name}@{}", digest.replacen(':', "=", 1)))
}

/// `signature-N` → N, for N ≥ 1 written without leading zeros (as containers/image does).
pub fn file_number(file_name: &str) -> Option<u32> {
    let digits = file_name.strip_prefix("signature-")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The signed JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// `critical.identity.docker-reference`, e.g. `cairn/busybox`.
    pub identity: String,
    /// `critical.image.docker-manifest-digest`, `sha256:<hex>`.
    pub digest: String,
    /// `optional.creator`: informational, never trusted.
    pub creator: Option<String>,
    /// `optional.timestamp` (Unix seconds): informational, never trusted.
    pub timestamp: Option<i64>,
}

impl Payload {
    /// A payload for signing now, naming this tool as its creator.
    pub fn new(identity: &str, digest: &str) -> Payload {
        let timestamp = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        Payload {
            identity: identity.to_owned(),
            digest: digest.to_owned(),
            creator: Some(format!("cairn xtask {}", env!("CARGO_PKG_VERSION"))),
            timestamp: Some(timestamp),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut optional = serde_json::Map::new();
        if let Some(creator) = &self.creator {
            optional.insert("creator".into(), creator.clone().into());
        }
        if let Some(timestamp) = self.timestamp {
            optional.insert("timestamp".into(), timestamp.into());
        }
        let document = serde_json::json!({
            "critical": {
                "identity": { "docker-reference": self.identity },
                "image": { "docker-manifest-digest": self.digest },
                "type": TYPE,
            },
            "optional": optional,
        });
        serde_json::to_vec(&document).expect("a JSON value serializes")
    }

    /// Parses a payload as strictly as containers/image does: every `critical` field
    /// present, none unknown, no key twice; `optional` may hold anything.
    pub fn parse(bytes: &[u8]) -> Result<Payload, Rejection> {
        let invalid = |detail: String| Rejection::new(Reason::InvalidPayload, detail);
        let document: Strict =
            serde_json::from_slice(bytes).map_err(|e| invalid(format!("the signed payload is not JSON: {e}")))?;
        let top = object(&document.0, "the payload")?;
        only_keys(top, "the payload", &["critical", "optional"], Reason::InvalidPayload)?;
        let critical = object(field(top, "critical", "the payload")?, "`critical`")?;
        only_keys(critical, "`critical`", &["identity", "image", "type"], Reason::UnknownCriticalField)?;
        let typ = string(field(critical, "type", "`critical`")?, "`critical.type`")?;
        if typ != TYPE {
            return Err(invalid(format!("`critical.type` is `{typ}`, not `{TYPE}`")));
        }
        let image = object(field(critical, "image", "`critical`")?, "`critical.image`")?;
        only_keys(image, "`critical.image`", &["docker-manifest-digest"], Reason::UnknownCriticalField)?;
        let digest = string(field(image, "docker-manifest-digest", "`critical.image`")?, "the digest")?;
        let identity = object(field(critical, "identity", "`critical`")?, "`critical.identity`")?;
        only_keys(identity, "`critical.identity`", &["docker-reference"], Reason::UnknownCriticalField)?;
        let reference = string(field(identity, "docker-reference", "`critical.identity`")?, "the identity")?;
        let (mut creator, mut timestamp) = (None, None);
        if let Some(optional) = top.get("optional") {
            let optional = object(optional, "`optional`")?;
            creator = optional.get("creator").and_then(Value::as_str).map(str::to_owned);
            timestamp = optional.get("timestamp").and_then(Value::as_i64);
        }
        Ok(Payload { identity: reference.to_owned(), digest: digest.to_owned(), creator, timestamp })
    }
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a serde_json::Map<String, Value>, Rejection> {
    value.as_object().ok_or_else(|| Rejection::new(Reason::InvalidPayload, format!("{what} is not a JSON object")))
}

fn field<'a>(map: &'a serde_json::Map<String, Value>, key: &str, what: &str) -> Result<&'a Value, Rejection> {
    map.get(key).ok_or_else(|| Rejection::new(Reason::InvalidPayload, format!("{what} has no `{key}`")))
}

fn string<'a>(value: &'a Value, what: &str) -> Result<&'a str, Rejection> {
    value.as_str().ok_or_else(|| Rejection::new(Reason::InvalidPayload, format!("{what} is not a string")))
}

fn only_keys(
    map: &serde_json::Map<String, Value>,
    what: &str,
    known: &[&str],
    reason: Reason,
) -> Result<(), Rejection> {
    match map.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(Rejection::new(reason, format!("{what} holds the unknown field `{key}`; a signer vouches for every critical field, so an unknown one is refused"))),
        None => Ok(()),
    }
}

/// A JSON value parsed refusing duplicate object keys, which serde_json would resolve
/// silently (last wins) where another parser might take the first: two verifiers must
/// never read two different digests out of one signed document.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        struct StrictVisitor;
        impl<'de> Visitor<'de> for StrictVisitor {
            type Value = Strict;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
                Ok(Strict(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
                Ok(Strict(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
                Ok(Strict(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
                Ok(Strict(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
                Ok(Strict(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<Strict, E> {
                Ok(Strict(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                let mut items = Vec::new();
                while let Some(Strict(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Strict(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Strict(value) = map.next_value()?;
                    if object.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("the key `{key}` appears twice")));
                    }
                }
                Ok(Strict(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(StrictVisitor)
    }
}

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
}

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

    fn by(mut self, cert: &Cert) -> Rejection {
        self.signer = Some(cert.fingerprint().to_hex());
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
}

/// Signs a payload: a binary OpenPGP signed message, not compressed, not armored.
pub fn make(payload: &Payload, signer: &mut (dyn openpgp::crypto::Signer + Send + Sync)) -> Result<Vec<u8>> {
    use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
    let mut bytes = Vec::new();
    let message = Message::new(&mut bytes);
    let message = Signer::new(message, Borrowed(signer)).context("starting an OpenPGP signature")?.build()?;
    let mut literal = LiteralWriter::new(message).build()?;
    literal.write_all(&payload.to_json())?;
    literal.finalize().context("finishing the OpenPGP signature")?;
    Ok(bytes)
}

/// Lends a signer to sequoia's streaming `Signer`, which wants to own one, so a key
/// unlocked once (or an agent connection) signs many images.
struct Borrowed<'a>(&'a mut (dyn openpgp::crypto::Signer + Send + Sync));

impl openpgp::crypto::Signer for Borrowed<'_> {
    fn public(
        &self,
    ) -> &openpgp::packet::Key<openpgp::packet::key::PublicParts, openpgp::packet::key::UnspecifiedRole> {
        self.0.public()
    }
    fn acceptable_hashes(&self) -> &[openpgp::types::HashAlgorithm] {
        self.0.acceptable_hashes()
    }
    fn sign(
        &mut self,
        hash_algo: openpgp::types::HashAlgorithm,
        digest: &[u8],
    ) -> openpgp::Result<openpgp::crypto::mpi::Signature> {
        self.0.sign(hash_algo, digest)
    }
}

/// What a signature must say to count for an image.
pub struct Expected<'a> {
    pub identity: &'a str,
    pub digest: &'a str,
}

/// Judges one `signature-N` file: made by a key of the keyring that is valid now, over
/// exactly this image's identity and digest. The checks run in the order a reader
/// would ask: is it a signature at all, whose, is it genuine, is the key still good,
/// does it say what we expect.
pub fn check(bytes: &[u8], keyring: &Keyring, expected: &Expected, now: SystemTime) -> Result<Valid, Rejection> {
    let policy = StandardPolicy::at(now);
    let malformed = |detail: String| Rejection::new(Reason::Malformed, detail);
    match bytes.first() {
        None => return Err(malformed("the file is empty".into())),
        Some(b) if b & 0x80 == 0 => {
            return Err(malformed(
                "not a binary OpenPGP message (ASCII-armored or cleartext?): containers/image reads binary signed messages only".into(),
            ))
        }
        Some(_) => {}
    }
    let message = openpgp::Message::from_bytes(bytes).map_err(|e| {
        malformed(format!("not an OpenPGP signed message (one-pass signature, literal data, signature): {e}"))
    })?;
    let literal = message.body().ok_or_else(|| malformed("the message holds no literal data".into()))?;
    let signatures: Vec<_> = message
        .packets()
        .descendants()
        .filter_map(|packet| match packet {
            Packet::Signature(sig) => Some(sig),
            _ => None,
        })
        .collect();
    let [signature] = signatures.as_slice() else {
        return Err(malformed(format!("the message holds {} signatures; one signer signs one file", signatures.len())));
    };
    let issuers = signature.get_issuers();
    if issuers.is_empty() {
        return Err(malformed("the signature names no issuer key".into()));
    }
    let Some(trusted) = keyring.find(&issuers) else {
        let names: Vec<String> = issuers.iter().map(|handle| handle.to_hex()).collect();
        return Err(Rejection::new(
            Reason::UnknownKey,
            format!(
                "made by key {}, which is not in the keyring {}; if it belongs to a trusted maintainer, add their certificate with `cargo xtask keys add FILE`",
                names.join(" / "),
                keyring.dir.display()
            ),
        ));
    };
    let cert = &trusted.cert;
    let key = cert.keys().key_handles(issuers.iter()).next().expect("the keyring found this key in this certificate");
    let key_name = key.key().fingerprint().to_hex();
    let is_primary = key.key().fingerprint() == cert.fingerprint();
    let which =
        if is_primary { format!("key {key_name}") } else { format!("subkey {key_name} of {}", cert.fingerprint()) };

    signature.verify_message(key.key(), literal.body()).map_err(|e| {
        Rejection::new(Reason::BadSignature, format!("{which} did not make this signature over these bytes: {e}"))
            .by(cert)
    })?;
    policy.signature(signature, HashAlgoSecurity::CollisionResistance).map_err(|e| {
        Rejection::new(Reason::BadSignature, format!("the signature is refused by the OpenPGP policy: {e}")).by(cert)
    })?;
    signature.signature_alive(now, CLOCK_SKEW).map_err(|e| {
        Rejection::new(
            Reason::BadSignature,
            format!("the signature is not valid now (expired, or made in the future): {e}"),
        )
        .by(cert)
    })?;

    let valid_cert = cert.with_policy(&policy, now).map_err(|e| {
        Rejection::new(
            Reason::UnusableKey,
            format!("certificate {} is not valid under the OpenPGP policy: {e}", cert.fingerprint()),
        )
        .by(cert)
    })?;
    if let RevocationStatus::Revoked(revocations) = valid_cert.revocation_status() {
        return Err(Rejection::new(
            Reason::RevokedKey,
            format!("certificate {} is revoked{}", cert.fingerprint(), revocation_reason(&revocations)),
        )
        .by(cert));
    }
    if let Err(e) = valid_cert.alive() {
        return Err(Rejection::new(
            Reason::ExpiredKey,
            format!(
                "certificate {} is not alive: {e}; its owner can extend its expiry and publish it again",
                cert.fingerprint()
            ),
        )
        .by(cert));
    }
    let valid_key = key.with_policy(&policy, now).map_err(|e| {
        Rejection::new(Reason::UnusableKey, format!("{which} is not validly bound to its certificate: {e}")).by(cert)
    })?;
    if let RevocationStatus::Revoked(revocations) = valid_key.revocation_status() {
        return Err(Rejection::new(
            Reason::RevokedKey,
            format!("{which} is revoked{}", revocation_reason(&revocations)),
        )
        .by(cert));
    }
    if let Err(e) = valid_key.alive() {
        return Err(Rejection::new(
            Reason::ExpiredKey,
            format!("{which} is not alive: {e}; its owner can extend its expiry and publish the certificate again"),
        )
        .by(cert));
    }
    if !valid_key.for_signing() {
        return Err(Rejection::new(Reason::UnusableKey, format!("{which} is not a signing key")).by(cert));
    }

    let payload = Payload::parse(literal.body()).map_err(|rejection| rejection.by(cert))?;
    if payload.digest != expected.digest {
        return Err(Rejection::new(
            Reason::DigestMismatch,
            format!(
                "signs manifest digest {}, but this image's recorded digest is {}",
                payload.digest, expected.digest
            ),
        )
        .by(cert));
    }
    if payload.identity != expected.identity {
        return Err(Rejection::new(
            Reason::IdentityMismatch,
            format!("signs the image `{}`, but this is `{}`", payload.identity, expected.identity),
        )
        .by(cert));
    }
    Ok(Valid {
        signer: cert.fingerprint().to_hex(),
        signing_key: key_name,
        user_id: valid_cert.primary_userid().ok().map(|uid| String::from_utf8_lossy(uid.userid().value()).into_owned()),
        created: signature.signature_creation_time(),
    })
}

fn revocation_reason(revocations: &[&openpgp::packet::Signature]) -> String {
    match revocations.first().and_then(|sig| sig.reason_for_revocation()) {
        Some((code, message)) if !message.is_empty() => format!(" ({code}: {})", String::from_utf8_lossy(message)),
        Some((code, _)) => format!(" ({code})"),
        None => String::new(),
    }
}

/// Reads the names in a lookaside directory: `signature-N` files by number, and others.
pub fn list_dir(dir: &Path) -> Result<(BTreeMap<u32, PathBuf>, Vec<PathBuf>)> {
    let mut numbered = BTreeMap::new();
    let mut others = Vec::new();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((numbered, others)),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for item in read {
        let item = item.with_context(|| format!("reading {}", dir.display()))?;
        let name = item.file_name();
        let name = name.to_string_lossy();
        // Temporary files of a signing in progress.
        if name.starts_with('.') {
            continue;
        }
        match file_number(&name) {
            Some(n) => {
                numbered.insert(n, item.path());
            }
            None => others.push(item.path()),
        }
    }
    others.sort();
    Ok((numbered, others))
}

/// Formats a time as UTC `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(time: SystemTime) -> String {
    let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys::Trusted;

    pub(crate) fn generate(user_id: &str) -> Cert {
        CertBuilder::new()
            .set_profile(openpgp::Profile::RFC4880)
            .unwrap()
            .set_cipher_suite(CipherSuite::Cv25519)
            .add_userid(user_id)
            .add_signing_subkey()
            .generate()
            .unwrap()
            .0
    }

    pub(crate) fn signer_of(cert: &Cert) -> Box<dyn openpgp::crypto::Signer + Send + Sync> {
        let key = cert
            .keys()
            .unencrypted_secret()
            .with_policy(&StandardPolicy::new(), None)
            .for_signing()
            .next()
            .unwrap()
            .key()
            .clone();
        Box::new(key.into_keypair().unwrap())
    }

    fn keyring(certs: &[&Cert]) -> Keyring {
        Keyring {
            dir: PathBuf::from("manifest/keys"),
            certs: certs
                .iter()
                .map(|cert| Trusted { path: PathBuf::from("k.asc"), cert: (*cert).clone().strip_secret_key_material() })
                .collect(),
        }
    }

    const DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn sign_json(cert: &Cert, json: &[u8]) -> Vec<u8> {
        use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
        let mut bytes = Vec::new();
        let message = Signer::new(Message::new(&mut bytes), signer_of(cert)).unwrap().build().unwrap();
        let mut literal = LiteralWriter::new(message).build().unwrap();
        literal.write_all(json).unwrap();
        literal.finalize().unwrap();
        bytes
    }

    fn expected() -> Expected<'static> {
        Expected { identity: "cairn/busybox", digest: DIGEST }
    }

    #[test]
    fn a_signature_round_trips_and_names_its_signer() {
        let alice = generate("Alice <alice@example.org>");
        let bytes = make(&Payload::new("cairn/busybox", DIGEST), signer_of(&alice).as_mut()).unwrap();
        let valid = check(&bytes, &keyring(&[&alice]), &expected(), SystemTime::now()).unwrap();
        assert_eq!(valid.signer, alice.fingerprint().to_hex());
        assert_ne!(valid.signing_key, valid.signer, "a subkey signs, the primary key is counted");
        assert_eq!(valid.user_id.as_deref(), Some("Alice <alice@example.org>"));
    }

    #[test]
    fn the_payload_is_the_simple_signing_document() {
        let payload = Payload {
            identity: "cairn/busybox".into(),
            digest: DIGEST.into(),
            creator: Some("cairn xtask 0.1.0".into()),
            timestamp: Some(1),
        };
        insta::assert_snapshot!("simple_signing_payload", String::from_utf8(payload.to_json()).unwrap());
        assert_eq!(Payload::parse(&payload.to_json()).unwrap(), payload);
    }

    #[test]
    fn the_lookaside_path_is_the_one_containers_image_reads() {
        let dir = lookaside_dir(Path::new("/t"), "busybox", DIGEST);
        assert_eq!(dir, Path::new("/t/manifest/signatures/cairn/busybox@sha256=2222222222222222222222222222222222222222222222222222222222222222"));
        assert_eq!(file_number("signature-1"), Some(1));
        assert_eq!(file_number("signature-12"), Some(12));
        for bad in ["signature-0", "signature-01", "signature-", "signature-1a", "sig-1"] {
            assert_eq!(file_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_unknown_critical_field_is_refused_even_when_signed() {
        let alice = generate("Alice <alice@example.org>");
        let json = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"cairn/busybox"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"{TYPE}","extra":1}},"optional":{{}}}}"#
        );
        let rejection = check(&sign_json(&alice, json.as_bytes()), &keyring(&[&alice]), &expected(), SystemTime::now())
            .unwrap_err();
        assert_eq!(rejection.reason, Reason::UnknownCriticalField, "{rejection}");
        assert!(rejection.detail.contains("`extra`"), "{rejection}");
        assert_eq!(rejection.signer, Some(alice.fingerprint().to_hex()));
    }

    #[test]
    fn unknown_optional_fields_are_accepted_as_containers_image_does() {
        let json = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"cairn/busybox"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"{TYPE}"}},"optional":{{"creator":"x","note":[1,2]}}}}"#
        );
        assert_eq!(Payload::parse(json.as_bytes()).unwrap().creator.as_deref(), Some("x"));
    }

    #[test]
    fn a_duplicated_key_is_refused() {
        let json = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"cairn/busybox"}},"image":{{"docker-manifest-digest":"{DIGEST}","docker-manifest-digest":"sha256:00"}},"type":"{TYPE}"}}}}"#
        );
        let rejection = Payload::parse(json.as_bytes()).unwrap_err();
        assert_eq!(rejection.reason, Reason::InvalidPayload);
        assert!(rejection.detail.contains("appears twice"), "{rejection}");
    }

    #[test]
    fn another_identity_or_digest_is_a_mismatch() {
        let alice = generate("Alice <alice@example.org>");
        let ring = keyring(&[&alice]);
        let other_name = make(&Payload::new("cairn/musl", DIGEST), signer_of(&alice).as_mut()).unwrap();
        assert_eq!(
            check(&other_name, &ring, &expected(), SystemTime::now()).unwrap_err().reason,
            Reason::IdentityMismatch
        );
        let other_digest =
            make(&Payload::new("cairn/busybox", &format!("sha256:{}", "3".repeat(64))), signer_of(&alice).as_mut())
                .unwrap();
        assert_eq!(
            check(&other_digest, &ring, &expected(), SystemTime::now()).unwrap_err().reason,
            Reason::DigestMismatch
        );
    }

    #[test]
    fn unknown_keys_armor_and_detached_signatures_are_refused() {
        let alice = generate("Alice <alice@example.org>");
        let mallory = generate("Mallory <mallory@example.org>");
        let bytes = make(&Payload::new("cairn/busybox", DIGEST), signer_of(&mallory).as_mut()).unwrap();
        assert_eq!(
            check(&bytes, &keyring(&[&alice]), &expected(), SystemTime::now()).unwrap_err().reason,
            Reason::UnknownKey
        );

        let mut armored = Vec::new();
        let mut writer = openpgp::armor::Writer::new(&mut armored, openpgp::armor::Kind::Message).unwrap();
        writer.write_all(&bytes).unwrap();
        writer.finalize().unwrap();
        assert_eq!(
            check(&armored, &keyring(&[&mallory]), &expected(), SystemTime::now()).unwrap_err().reason,
            Reason::Malformed
        );

        let detached = {
            use openpgp::serialize::stream::{Message, Signer};
            let mut out = Vec::new();
            let mut message =
                Signer::new(Message::new(&mut out), signer_of(&mallory)).unwrap().detached().build().unwrap();
            message.write_all(&Payload::new("cairn/busybox", DIGEST).to_json()).unwrap();
            message.finalize().unwrap();
            out
        };
        assert_eq!(
            check(&detached, &keyring(&[&mallory]), &expected(), SystemTime::now()).unwrap_err().reason,
            Reason::Malformed
        );
    }

    #[test]
    fn a_changed_payload_byte_is_a_bad_signature() {
        let alice = generate("Alice <alice@example.org>");
        let mut bytes = make(&Payload::new("cairn/busybox", DIGEST), signer_of(&alice).as_mut()).unwrap();
        let at = bytes.windows(6).position(|w| w == b"sha256").unwrap() + 10;
        bytes[at] ^= 0x01;
        let rejection = check(&bytes, &keyring(&[&alice]), &expected(), SystemTime::now()).unwrap_err();
        assert_eq!(rejection.reason, Reason::BadSignature, "{rejection}");
    }

    /// Signs a payload for `cairn/busybox` at a chosen time with the cert's signing key.
    fn sign_at(cert: &Cert, when: SystemTime) -> Vec<u8> {
        use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
        let key = cert
            .keys()
            .unencrypted_secret()
            .with_policy(&StandardPolicy::new(), when)
            .for_signing()
            .next()
            .unwrap()
            .key()
            .clone()
            .into_keypair()
            .unwrap();
        let mut bytes = Vec::new();
        let message = Signer::new(Message::new(&mut bytes), key).unwrap().creation_time(when).build().unwrap();
        let mut literal = LiteralWriter::new(message).build().unwrap();
        literal.write_all(&Payload::new("cairn/busybox", DIGEST).to_json()).unwrap();
        literal.finalize().unwrap();
        bytes
    }

    #[test]
    fn a_revoked_signing_subkey_stops_counting() {
        let alice = generate("Alice <alice@example.org>");
        let bytes = sign_at(&alice, SystemTime::now() - Duration::from_secs(60));
        let subkey = alice.keys().subkeys().next().unwrap().key().clone();
        let mut primary = alice.primary_key().key().clone().parts_into_secret().unwrap().into_keypair().unwrap();
        let revocation = SubkeyRevocationBuilder::new()
            .set_reason_for_revocation(openpgp::types::ReasonForRevocation::KeyCompromised, b"laptop stolen")
            .unwrap()
            .build(&mut primary, &alice, &subkey, None)
            .unwrap();
        let (revoked, _) = alice.clone().insert_packets(revocation).unwrap();
        let rejection = check(&bytes, &keyring(&[&revoked]), &expected(), SystemTime::now()).unwrap_err();
        assert_eq!(rejection.reason, Reason::RevokedKey, "{rejection}");
        assert!(rejection.detail.contains("subkey") && rejection.detail.contains("laptop stolen"), "{rejection}");
    }

    #[test]
    fn an_expired_signing_subkey_stops_counting() {
        let day = Duration::from_secs(86_400);
        let then = SystemTime::now() - 10 * day;
        let (alice, _) = CertBuilder::new()
            .set_profile(openpgp::Profile::RFC4880)
            .unwrap()
            .set_creation_time(then)
            .set_validity_period(None)
            .add_userid("Alice <alice@example.org>")
            .add_subkey(openpgp::types::KeyFlags::empty().set_signing(), day, None)
            .generate()
            .unwrap();
        let bytes = sign_at(&alice, then + day / 2);
        let ring = keyring(&[&alice]);
        let rejection = check(&bytes, &ring, &expected(), SystemTime::now()).unwrap_err();
        assert_eq!(rejection.reason, Reason::ExpiredKey, "{rejection}");
        assert!(rejection.detail.contains("subkey"), "{rejection}");
        // While the subkey lived, the same signature counted.
        assert!(check(&bytes, &ring, &expected(), then + day / 2 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn utc_formats_civil_time() {
        assert_eq!(utc(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(utc(SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_251_199)), "2024-02-29T23:59:59Z");
    }
}
