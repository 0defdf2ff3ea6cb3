//! `cargo xtask push`: publishes `out/` images to an OCI registry, by digest.
//!
//! The bytes pushed are the layout's own (layer, config, manifest), never re-serialized,
//! so the registry holds the manifest digest manifest/ records and signatures name. The
//! digest the registry then reports is read back: a registry that rewrites the manifest
//! is an error, and nothing is said to be published.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::cli::JsonArg;
use crate::distribution::oci::{Remote, Target, TransportArgs};
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

Registries on a loopback address (an IP address in 127.0.0.0/8 or ::1, or localhost; not a name \
that merely starts with 127.) are spoken to over plain HTTP, others over HTTPS; --plain-http uses \
HTTP for any. The registry needs no credentials, or takes them from CAIRN_REGISTRY_USER and \
CAIRN_REGISTRY_PASSWORD (for the host CAIRN_REGISTRY_HOST alone, when it is set), which go over \
plain HTTP only to a loopback address (or with --credentials-over-plain-http), and only to the \
registry itself, never to a host it redirects to. What the registry answers is read only up to the size it may have.";

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct PushArgs {
    /// Where to push: HOST[:PORT]/NAMESPACE, optionally prefixed with docker://.
    pub registry: String,
    /// Packages to push (default: every image in out/ that manifest/ records).
    pub packages: Vec<String>,
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub json: JsonArg,
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

/// Pushes one layout (read and verified) as `name:tag` and checks the digest the
/// registry reports.
pub async fn push_layout(remote: &Remote, layout: &layout::Layout, name: &str, tag: &str) -> Result<(String, u64)> {
    let reference = format!("{}:{tag}", remote.target().repository(name));
    // Read once, handed on without a copy (a layer may be hundreds of MB).
    let layer = bytes::Bytes::from(std::fs::read(layout.layer_path())?);
    let config = bytes::Bytes::copy_from_slice(&layout.config);
    let config_digest = layout.manifest.config().digest().to_string();
    for (bytes, digest, what) in
        [(layer.clone(), &layout.layer_digest, "the layer"), (config, &config_digest, "the config")]
    {
        remote
            .push_blob(name, digest, bytes)
            .await
            .with_context(|| format!("pushing {what} {digest} to {reference}"))?;
    }
    remote
        .push_manifest(name, tag, &layout.manifest_bytes)
        .await
        .with_context(|| format!("pushing the manifest of {reference}"))?;
    let reported = remote
        .manifest_digest(name, tag)
        .await
        .with_context(|| format!("asking {} the digest of {reference}", remote.target().host))?;
    if reported != layout.digest {
        bail!(
            "{} reports {reported} for {reference}, but the manifest pushed is {}: the registry changed the image \
             (signatures name {}; consumers pulling by digest would not find it)",
            remote.target().host,
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
    let entries = crate::distribution::exchange::recorded_layouts(env, &manifest, &args.packages, "push")?;
    let remote = Remote::new(&target, args.transport)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut pushed = Vec::new();
    for (entry, read) in entries {
        let reference = format!("{}:{}", target.repository(&entry.name), entry.version);
        let started = std::time::Instant::now();
        let (digest, size) = runtime.block_on(push_layout(&remote, &read, &entry.name, &entry.version))?;
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
