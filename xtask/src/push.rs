//! `cargo xtask push`: publishes `out/` images to an OCI registry, by digest.
//!
//! The bytes pushed are the layout's own (layer, config, manifest), never re-serialized,
//! so the registry holds the manifest digest manifest/ records and signatures name. The
//! digest the registry then reports is read back: a registry that rewrites the manifest
//! is an error, and nothing is said to be published.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::Serialize;

use crate::cli::JsonArg;
use crate::env::Env;
use crate::image::layout;
use crate::manifest::Manifest;

/// The concepts behind the command, shown under its options by `--help`.
const ABOUT: &str = "\
Each image named (else every one in out/ that manifest/ records) is read from out/<name>/, every blob \
checked, and must be the image manifest/ records. Its layer, config and manifest are pushed as they \
are to REGISTRY/<name>:<version> (REGISTRY like 127.0.0.1:5000/cairn or docker://registry.example/cairn), \
and the manifest digest the registry then reports must be the recorded one. Pull it by digest: \
REGISTRY/<name>@sha256:... is the image the signatures in manifest/signatures/ name.

Registries on a loopback address are spoken to over plain HTTP, others over HTTPS; --plain-http \
uses HTTP for any. The registry needs no credentials, or takes them from \
CAIRN_REGISTRY_USER and CAIRN_REGISTRY_PASSWORD.";

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct PushArgs {
    /// Where to push: HOST[:PORT]/NAMESPACE, optionally prefixed with docker://.
    pub registry: String,
    /// Packages to push (default: every image in out/ that manifest/ records).
    pub packages: Vec<String>,
    /// Speak plain HTTP to the registry even if it is not on a loopback address.
    #[arg(long)]
    pub plain_http: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

/// A push target: the registry host and the repository namespace under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub namespace: String,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        let rest = text.strip_prefix("docker://").unwrap_or(text).trim_end_matches('/');
        let (host, namespace) = rest.split_once('/').unwrap_or((rest, ""));
        let host_ok = !host.is_empty()
            && (host.contains('.') || host.contains(':') || host == "localhost")
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !host_ok {
            bail!("`{text}` does not start with a registry host (HOST[:PORT]/NAMESPACE, e.g. 127.0.0.1:5000/cairn)");
        }
        let namespace_ok = namespace.split('/').all(|part| {
            part.is_empty() || part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
        if !namespace_ok {
            bail!("`{namespace}` is not a repository namespace (lowercase letters, digits, `.`, `_`, `-`, `/`)");
        }
        Ok(Target { host: host.to_owned(), namespace: namespace.to_owned() })
    }

    /// `host/namespace/name`, the repository of one package.
    pub fn repository(&self, name: &str) -> String {
        if self.namespace.is_empty() {
            format!("{}/{name}", self.host)
        } else {
            format!("{}/{}/{name}", self.host, self.namespace)
        }
    }

    /// A target whose images signatures can name: its repositories must be where the
    /// lookaside tree keeps their signatures, `<lookaside>/cairn/<name>@...`, so the
    /// namespace's last component is `cairn`.
    pub fn for_identity(text: &str) -> Result<Target> {
        let target = Target::parse(text)?;
        if target.namespace.rsplit('/').next() != Some(crate::trust::payload::NAMESPACE) {
            bail!(
                "`{text}`: a signed identity is HOST/cairn/<name>:<version> (containers/image looks up its signatures \
                 under <lookaside>/cairn/<name>@...); push to and sign for a namespace named cairn"
            );
        }
        if target.namespace != crate::trust::payload::NAMESPACE {
            bail!(
                "`{text}`: sign for HOST/cairn directly (the lookaside tree holds cairn/<name>, not {}/<name>)",
                target.namespace
            );
        }
        Ok(target)
    }

    /// The identity of a package's image as published here: `HOST/cairn/<name>:<version>`.
    pub fn identity(&self, name: &str, version: &str) -> String {
        format!("{}:{version}", self.repository(name))
    }

    pub fn is_loopback(&self) -> bool {
        let host = self.host.rsplit_once(':').map_or(self.host.as_str(), |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                &self.host
            }
        });
        matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
    }
}

/// An OCI distribution client for one registry.
pub fn client(target: &Target, plain_http: bool) -> Client {
    let protocol = if plain_http || target.is_loopback() { ClientProtocol::Http } else { ClientProtocol::Https };
    Client::new(ClientConfig { protocol, ..Default::default() })
}

/// Credentials from the environment, else none.
pub fn auth() -> RegistryAuth {
    match (std::env::var("CAIRN_REGISTRY_USER"), std::env::var("CAIRN_REGISTRY_PASSWORD")) {
        (Ok(user), Ok(password)) => RegistryAuth::Basic(user, password),
        _ => RegistryAuth::Anonymous,
    }
}

/// The same credentials as [`auth`], for an engine that pulls from `host`.
pub fn credentials(host: &str) -> Option<bollard::auth::DockerCredentials> {
    match auth() {
        RegistryAuth::Basic(username, password) => Some(bollard::auth::DockerCredentials {
            username: Some(username),
            password: Some(password),
            serveraddress: Some(host.to_owned()),
            ..Default::default()
        }),
        _ => None,
    }
}

/// One image pushed.
#[derive(Debug, Serialize)]
pub struct Pushed {
    pub name: String,
    /// `host/namespace/name:version`.
    pub reference: String,
    /// The manifest digest: manifest/'s, and the registry's.
    pub digest: String,
    /// Bytes of the layer, config and manifest.
    pub size: u64,
}

/// Pushes one layout (read and verified) as `reference` and checks the digest the
/// registry reports.
pub async fn push_layout(
    client: &Client,
    auth: &RegistryAuth,
    layout: &layout::Layout,
    reference: &str,
) -> Result<(String, u64)> {
    let target: Reference = reference.parse().with_context(|| format!("`{reference}` is not an image reference"))?;
    client.store_auth_if_needed(target.resolve_registry(), auth).await;
    let layer = std::fs::read(layout.layer_path())?;
    let config_digest = layout.manifest.config().digest().to_string();
    for (bytes, digest, what) in
        [(&layer, &layout.layer_digest, "the layer"), (&layout.config, &config_digest, "the config")]
    {
        client
            .push_blob(&target, bytes, digest)
            .await
            .with_context(|| format!("pushing {what} {digest} to {reference}"))?;
    }
    let media_type = oci_client::manifest::OCI_IMAGE_MEDIA_TYPE;
    client
        .push_manifest_raw(&target, layout.manifest_bytes.clone(), http::HeaderValue::from_static(media_type))
        .await
        .with_context(|| format!("pushing the manifest of {reference}"))?;
    let reported = client
        .fetch_manifest_digest(&target, auth)
        .await
        .with_context(|| format!("asking {} the digest of {reference}", target.resolve_registry()))?;
    if reported != layout.digest {
        bail!(
            "{} reports {reported} for {reference}, but the manifest pushed is {}: the registry changed the image \
             (signatures name {}; consumers pulling by digest would not find it)",
            target.resolve_registry(),
            layout.digest,
            layout.digest
        );
    }
    let size = (layer.len() + layout.config.len() + layout.manifest_bytes.len()) as u64;
    Ok((layout.digest.clone(), size))
}

pub fn run(args: PushArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let target = Target::parse(&args.registry)?;
    let manifest = Manifest::load(&env.root)?;
    // Nothing is pushed unless every image is the one recorded.
    let entries = crate::exchange::recorded_layouts(env, &manifest, &args.packages, "push")?;
    let client = client(&target, args.plain_http);
    let auth = auth();
    let runtime = tokio::runtime::Runtime::new()?;
    let mut pushed = Vec::new();
    for (entry, read) in entries {
        let reference = format!("{}:{}", target.repository(&entry.name), entry.version);
        let started = std::time::Instant::now();
        let (digest, size) = runtime.block_on(push_layout(&client, &auth, &read, &reference))?;
        eprintln!(
            "pushed {reference}@{digest} ({:.1} MB in {:.1}s)",
            size as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        pushed.push(Pushed { name: entry.name.clone(), reference, digest, size });
    }
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&pushed)?);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_a_registry_host_and_a_namespace() {
        let target = Target::parse("docker://127.0.0.1:5000/cairn/").unwrap();
        assert_eq!(target, Target { host: "127.0.0.1:5000".into(), namespace: "cairn".into() });
        assert_eq!(target.repository("musl"), "127.0.0.1:5000/cairn/musl");
        assert!(target.is_loopback());
        let remote = Target::parse("registry.example.org/team/cairn").unwrap();
        assert!(!remote.is_loopback());
        assert_eq!(remote.repository("gcc"), "registry.example.org/team/cairn/gcc");
        assert!(Target::parse("cairn/musl").is_err(), "a bare name is not a registry");
        assert!(Target::parse("127.0.0.1:5000/Cairn").is_err());
        assert!(Target::parse("localhost:5000").unwrap().namespace.is_empty());
    }
}
