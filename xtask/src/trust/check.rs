//! Judges one signature file's bytes against a keyring and the image it must name.
//!
//! A signature is a binary OpenPGP signed message (one-pass signature, literal data,
//! signature) whose literal data is the payload of `payload.rs`. The checks run in the
//! order a reader would ask: is it a signature at all, whose, is it genuine, is the key
//! alive and not revoked, does it name exactly this identity and recorded digest. This
//! module judges bytes it is given: it reads no file and writes none.

use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::policy::{HashAlgoSecurity, Policy, StandardPolicy};
use openpgp::types::RevocationStatus;
use openpgp::Packet;

use super::keyring::Keyring;
use super::payload::Payload;
use super::verdict::{Reason, Rejection, Valid};

/// How far in the future a signature's creation time may be (clocks differ).
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// What a signature must say to count for an image.
pub struct Expected<'a> {
    pub identity: Identity<'a>,
    pub digest: &'a str,
}

/// The identities a signature may name.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// Exactly this one (`sign` looking for its own, `verify --identity`).
    Exact(&'a str),
    /// Any that names the image of this package (`payload::names_image`).
    Of(&'a str),
}

impl Identity<'_> {
    pub fn accepts(&self, identity: &str) -> bool {
        match self {
            Identity::Exact(exact) => identity == *exact,
            Identity::Of(name) => super::payload::names_image(identity, name),
        }
    }
}

impl std::fmt::Display for Identity<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Identity::Exact(exact) => write!(f, "`{exact}`"),
            Identity::Of(name) => write!(f, "`cairn/{name}` (or HOST/cairn/{name}:TAG)"),
        }
    }
}

/// Judges one `signature-N` file: made by a key of the keyring that is valid now, over
/// exactly this image's identity and digest. The checks run in the order a reader
/// would ask: is it a signature at all, whose, is it genuine, is the key still good,
/// does it say what we expect.
pub fn check(bytes: &[u8], keyring: &Keyring, expected: &Expected, now: SystemTime) -> Result<Valid, Rejection> {
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
    let who = signer(signature, literal.body(), keyring, now, &[now])?;
    let payload = Payload::parse(literal.body()).map_err(|rejection| rejection.with_signer(&who.signer))?;
    if payload.digest != expected.digest {
        return Err(Rejection::new(
            Reason::DigestMismatch,
            format!(
                "signs manifest digest {}, but this image's recorded digest is {}",
                payload.digest, expected.digest
            ),
        )
        .with_signer(&who.signer));
    }
    if !expected.identity.accepts(&payload.identity) {
        return Err(Rejection::new(
            Reason::IdentityMismatch,
            format!("signs the image `{}`, but this is {}", payload.identity, expected.identity),
        )
        .with_signer(&who.signer));
    }
    Ok(Valid { identity: Some(payload.identity), ..who })
}

/// Which trusted key made `signature` over `data`, judged good.
///
/// The issuer subpackets may name several keys (an issuer key ID and a fingerprint, or
/// keys of several certificates): each candidate of the keyring is tried until one
/// verifies. That key and its certificate must then be valid under the OpenPGP policy,
/// alive, not revoked and signing-capable at the signature's creation time (a key that
/// was dead when the signature claims to be made cannot have made it) and at each of
/// `also_at` (for an image, now: a revoked or expired key stops counting).
pub fn signer(
    signature: &openpgp::packet::Signature,
    data: &[u8],
    keyring: &Keyring,
    now: SystemTime,
    also_at: &[SystemTime],
) -> Result<Valid, Rejection> {
    let policy = StandardPolicy::at(now);
    let issuers = signature.get_issuers();
    if issuers.is_empty() {
        return Err(Rejection::new(Reason::Malformed, "the signature names no issuer key"));
    }
    let candidates: Vec<_> = keyring
        .certs
        .iter()
        .flat_map(|trusted| trusted.cert.keys().key_handles(issuers.iter()).map(move |key| (&trusted.cert, key)))
        .collect();
    if candidates.is_empty() {
        let names: Vec<String> = issuers.iter().map(|handle| handle.to_hex()).collect();
        return Err(Rejection::new(
            Reason::UnknownKey,
            format!(
                "made by key {}, which is not in the keyring {}; if it belongs to a trusted maintainer, add their certificate with `cargo xtask keys add FILE`",
                names.join(" / "),
                keyring.dir.display()
            ),
        ));
    }
    let mut failed = None;
    let mut found = None;
    for (cert, key) in candidates {
        match signature.verify_message(key.key(), data) {
            Ok(()) => {
                found = Some((cert, key));
                break;
            }
            Err(e) => {
                failed.get_or_insert_with(|| {
                    Rejection::new(
                        Reason::BadSignature,
                        format!("{} did not make this signature over these bytes: {e}", key_name(cert, key.key())),
                    )
                    .by(cert)
                });
            }
        }
    }
    let Some((cert, key)) = found else {
        return Err(failed.expect("at least one candidate was tried"));
    };
    let which = key_name(cert, key.key());
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
    let created = signature
        .signature_creation_time()
        .ok_or_else(|| Rejection::new(Reason::Malformed, "the signature has no creation time").by(cert))?;
    let mut user_id = None;
    for (at, when) in std::iter::once((created, "when it was made")).chain(also_at.iter().map(|t| (*t, "now"))) {
        let valid_cert = cert.with_policy(&policy, at).map_err(|e| {
            Rejection::new(
                Reason::UnusableKey,
                format!("certificate {} is not valid under the OpenPGP policy {when}: {e}", cert.fingerprint()),
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
                    "certificate {} is not alive {when}: {e}; its owner can extend its expiry and publish it again",
                    cert.fingerprint()
                ),
            )
            .by(cert));
        }
        let valid_key = key.with_policy(&policy, at).map_err(|e| {
            Rejection::new(Reason::UnusableKey, format!("{which} is not validly bound to its certificate {when}: {e}"))
                .by(cert)
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
                format!(
                    "{which} is not alive {when}: {e}; its owner can extend its expiry and publish the certificate again"
                ),
            )
            .by(cert));
        }
        if !valid_key.for_signing() {
            return Err(Rejection::new(Reason::UnusableKey, format!("{which} is not a signing key {when}")).by(cert));
        }
        user_id =
            valid_cert.primary_userid().ok().map(|uid| String::from_utf8_lossy(uid.userid().value()).into_owned());
    }
    Ok(Valid {
        signer: cert.fingerprint().to_hex(),
        signing_key: key.key().fingerprint().to_hex(),
        user_id,
        created: Some(created),
        identity: None,
    })
}

fn key_name<P, R>(cert: &Cert, key: &openpgp::packet::Key<P, R>) -> String
where
    P: openpgp::packet::key::KeyParts,
    R: openpgp::packet::key::KeyRole,
{
    if key.fingerprint() == cert.fingerprint() {
        format!("key {}", key.fingerprint().to_hex())
    } else {
        format!("subkey {} of {}", key.fingerprint().to_hex(), cert.fingerprint())
    }
}

fn revocation_reason(revocations: &[&openpgp::packet::Signature]) -> String {
    match revocations.first().and_then(|sig| sig.reason_for_revocation()) {
        Some((code, message)) if !message.is_empty() => format!(" ({code}: {})", String::from_utf8_lossy(message)),
        Some((code, _)) => format!(" ({code})"),
        None => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    use crate::trust::keyring::Trusted;
    use crate::trust::payload::TYPE;
    use crate::trust::sign::make;

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
        Expected { identity: Identity::Of("busybox"), digest: DIGEST }
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
        sign_with(cert, when, openpgp::packet::signature::SignatureBuilder::new(openpgp::types::SignatureType::Binary))
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

    /// A certificate made at `born` whose signing subkey expires a day later.
    fn with_day_long_subkey(born: SystemTime) -> Cert {
        CertBuilder::new()
            .set_profile(openpgp::Profile::RFC4880)
            .unwrap()
            .set_creation_time(born)
            .set_validity_period(None)
            .add_userid("Alice <alice@example.org>")
            .add_subkey(openpgp::types::KeyFlags::empty().set_signing(), Duration::from_secs(86_400), None)
            .generate()
            .unwrap()
            .0
    }

    #[test]
    fn an_expired_signing_subkey_stops_counting() {
        let day = Duration::from_secs(86_400);
        let then = SystemTime::now() - 10 * day;
        let alice = with_day_long_subkey(then);
        let bytes = sign_at(&alice, then + day / 2);
        let ring = keyring(&[&alice]);
        let rejection = check(&bytes, &ring, &expected(), SystemTime::now()).unwrap_err();
        assert_eq!(rejection.reason, Reason::ExpiredKey, "{rejection}");
        assert!(rejection.detail.contains("subkey"), "{rejection}");
        // While the subkey lived, the same signature counted.
        assert!(check(&bytes, &ring, &expected(), then + day / 2 + Duration::from_secs(60)).is_ok());
    }

    /// Signs the busybox payload, dated `when`, with a signature built from `template`
    /// (its issuer subpackets) by the cert's signing key valid now.
    fn sign_with(cert: &Cert, when: SystemTime, template: openpgp::packet::signature::SignatureBuilder) -> Vec<u8> {
        use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
        let key = signer_of(cert);
        let mut bytes = Vec::new();
        let message = Signer::with_template(Message::new(&mut bytes), key, template)
            .unwrap()
            .creation_time(when)
            .build()
            .unwrap();
        let mut literal = LiteralWriter::new(message).build().unwrap();
        literal.write_all(&Payload::new("cairn/busybox", DIGEST).to_json()).unwrap();
        literal.finalize().unwrap();
        bytes
    }

    #[test]
    fn a_signature_made_while_its_key_was_expired_does_not_count() {
        let day = Duration::from_secs(86_400);
        let born = SystemTime::now() - 10 * day;
        let alice = with_day_long_subkey(born);
        // The subkey expired a day after it was made; later its owner extended it.
        let mut primary = alice.primary_key().key().clone().parts_into_secret().unwrap().into_keypair().unwrap();
        let mut subkey =
            alice.keys().subkeys().next().unwrap().key().clone().parts_into_secret().unwrap().into_keypair().unwrap();
        let policy = StandardPolicy::new();
        let extension = alice
            .keys()
            .subkeys()
            .with_policy(&policy, born)
            .next()
            .unwrap()
            .set_expiration_time(&mut primary, Some(&mut subkey), None)
            .unwrap();
        let (alice, _) = alice.insert_packets(extension).unwrap();
        let binary = || openpgp::packet::signature::SignatureBuilder::new(openpgp::types::SignatureType::Binary);
        // The key is good now, but the signature claims a time when it was dead.
        let bytes = sign_with(&alice, born + 2 * day, binary());
        let rejection = check(&bytes, &keyring(&[&alice]), &expected(), SystemTime::now()).unwrap_err();
        assert_eq!(rejection.reason, Reason::ExpiredKey, "{rejection}");
        assert!(rejection.detail.contains("when it was made"), "{rejection}");
        // Dated inside the key's life, or after the extension, the same signature counts.
        for when in [born + day / 2, SystemTime::now()] {
            assert!(
                check(&sign_with(&alice, when, binary()), &keyring(&[&alice]), &expected(), SystemTime::now()).is_ok()
            );
        }
    }

    #[test]
    fn every_key_the_issuer_subpackets_name_is_tried() {
        let alice = generate("Alice <alice@example.org>");
        let bob = generate("Bob <bob@example.org>");
        let signing = |cert: &Cert| {
            cert.keys().with_policy(&StandardPolicy::new(), None).for_signing().next().unwrap().key().fingerprint()
        };
        // Bob's key is named first, Alice's (which made it) second; Bob is first in the keyring.
        let template = openpgp::packet::signature::SignatureBuilder::new(openpgp::types::SignatureType::Binary)
            .set_issuer_fingerprint(signing(&bob))
            .unwrap()
            .add_issuer_fingerprint(signing(&alice))
            .unwrap();
        let bytes = sign_with(&alice, SystemTime::now() - Duration::from_secs(60), template);
        let valid = check(&bytes, &keyring(&[&bob, &alice]), &expected(), SystemTime::now()).unwrap();
        assert_eq!(valid.signer, alice.fingerprint().to_hex());
        // Naming a key proves nothing: with only Bob in the keyring it is a bad signature.
        let rejection = check(&bytes, &keyring(&[&bob]), &expected(), SystemTime::now()).unwrap_err();
        assert_eq!(rejection.reason, Reason::BadSignature, "{rejection}");
    }
}
