//! The signed document: the containers/image "simple signing" payload, a small JSON
//! object naming one image by identity (`cairn/<name>`) and OCI manifest digest.
//!
//! Parsed as strictly as containers/image does (`signature/simple.go`): every
//! `critical` field present, none unknown, no key twice; `optional` may hold anything
//! and is never trusted. Bytes in, values out: no filesystem, no keys.

use std::fmt;
use std::time::SystemTime;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::verdict::{Reason, Rejection};

/// Every cairn image is signed as `cairn/<name>`.
pub const NAMESPACE: &str = "cairn";

/// The `critical.type` every simple signing payload carries.
pub const TYPE: &str = "atomic container signature";

/// The identity (`docker-reference`) an image is signed as.
pub fn identity(name: &str) -> String {
    format!("{NAMESPACE}/{name}")
}

/// Whether a signed identity names the image `name`: `cairn/<name>`, or the image as
/// published, `HOST[:PORT]/cairn/<name>` with or without a tag (what `sign --identity`
/// writes, so that a consumer's containers/image policy can match it). The digest, not
/// the host, is what a signature vouches for; the name keeps one image's signature from
/// passing for another's.
pub fn names_image(identity: &str, name: &str) -> bool {
    let bare = format!("{NAMESPACE}/{name}");
    if identity == bare {
        return true;
    }
    let Some((host, rest)) = identity.split_once('/') else { return false };
    let host_ok = (host.contains('.') || host.contains(':') || host == "localhost")
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    let tag_ok = |tag: &str| {
        !tag.is_empty()
            && tag.len() <= 128
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            && !tag.starts_with(['.', '-'])
    };
    host_ok
        && match rest.strip_prefix(bare.as_str()) {
            Some("") => true,
            Some(tag) => tag.strip_prefix(':').is_some_and(tag_ok),
            None => false,
        }
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

/// A registry that signatures can name images as published in: its repositories must be
/// where the lookaside tree keeps their signatures, `<lookaside>/cairn/<name>@...`, so its
/// namespace is `cairn`.
pub fn published(text: &str) -> anyhow::Result<crate::reference::Target> {
    let target = crate::reference::Target::parse(text)?;
    if target.namespace.rsplit('/').next() != Some(NAMESPACE) {
        anyhow::bail!(
            "`{text}`: a signed identity is HOST/cairn/<name>:<version> (containers/image looks up its signatures \
             under <lookaside>/cairn/<name>@...); push to and sign for a namespace named cairn"
        );
    }
    if target.namespace != NAMESPACE {
        anyhow::bail!(
            "`{text}`: sign for HOST/cairn directly (the lookaside tree holds cairn/<name>, not {}/<name>)",
            target.namespace
        );
    }
    Ok(target)
}
