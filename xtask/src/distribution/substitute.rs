//! Substitutes: an image fetched instead of built, from a registry or a directory of
//! layouts, and admitted only as manifest/ records it.
//!
//! Nothing about a source is trusted. A substitute is the image manifest/ records for the
//! package's *current* input hash, or it is nothing: its manifest must hash to the
//! recorded digest, and every blob to the digest the manifest names (so one flipped bit
//! anywhere is caught), the layer's diff_id to the recorded one. With a threshold, the
//! recorded digest must also carry signatures by that many distinct maintainers of a
//! keyring the user chose (named, or authenticated from the history). An entry whose
//! input hash is stale is never looked up: its package is built.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use oci_spec::image::ImageManifest;

use crate::distribution::oci::{Remote, Target, TransportArgs, SMALL_BLOB};
use crate::image::layout::{self, sha256};
use crate::manifest::Entry;
use crate::trust::keyring::Keyring;

/// Where substitutes come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `HOST[:PORT]/NAMESPACE` (or `docker://…`): `<repository>/<name>@<digest>`.
    Registry { text: String, target: Target, transport: TransportArgs },
    /// A directory of OCI layouts, `DIR/<name>/`, as `cairn xtask export` writes them.
    Dir(PathBuf),
}

impl Source {
    /// A directory when the text names one (or looks like a path), else a registry.
    pub fn parse(text: &str, transport: TransportArgs) -> Result<Source> {
        let path = Path::new(text);
        if text.starts_with(['/', '.', '~']) || path.is_dir() {
            if !path.is_dir() {
                bail!("substitute source {text}: no such directory");
            }
            return Ok(Source::Dir(path.to_owned()));
        }
        let target = Target::parse(text)
            .with_context(|| format!("substitute source `{text}` is neither a directory nor a registry"))?;
        Ok(Source::Registry { text: text.to_owned(), target, transport })
    }

    /// How reports name the source.
    pub fn name(&self) -> String {
        match self {
            Source::Registry { text, .. } => text.clone(),
            Source::Dir(dir) => dir.display().to_string(),
        }
    }
}

/// `build --substitute`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SubstituteArgs {
    /// Before building a package, fetch from SOURCE the image manifest/ records for its
    /// current inputs, and take it if it is exactly that image: a registry
    /// (HOST[:PORT]/NAMESPACE, as `push` writes it) or a directory of layouts (as `export`
    /// writes it). Repeatable, tried in order; CAIRN_SUBSTITUTES takes a comma-separated list.
    #[arg(long = "substitute", value_name = "SOURCE", env = "CAIRN_SUBSTITUTES", value_delimiter = ',')]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub gate: GateArgs,
    /// How substitute registries and the --store registry are spoken to.
    #[command(flatten)]
    pub transport: TransportArgs,
}

impl SubstituteArgs {
    pub fn resolve(&self, env: &crate::env::Env) -> Result<Substitutes> {
        let sources = self
            .sources
            .iter()
            .filter(|text| !text.trim().is_empty())
            .map(|text| Source::parse(text.trim(), self.transport))
            .collect::<Result<Vec<_>>>()?;
        if self.gate.threshold.is_some() && sources.is_empty() {
            bail!("--threshold gates substitutes: name a source with --substitute SOURCE");
        }
        let gate = self.gate.resolve(env)?;
        Ok(Substitutes { sources, gate })
    }
}

/// `--threshold` and the keyring it counts against: for `build --substitute` and `import`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct GateArgs {
    /// Admit an image only if its digest carries valid signatures by at least M
    /// maintainers of the keyring of --keyring or --authenticated (never the tree's own).
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u32).range(1..))]
    pub threshold: Option<u32>,
    /// With --threshold: the directory of certificates you trust.
    #[arg(long, value_name = "DIR", requires = "threshold")]
    pub keyring: Option<PathBuf>,
    /// With --threshold: the keyring of HEAD's commit, once its history is authenticated
    /// from your introduction (see `authenticate`).
    #[arg(long, requires = "threshold", conflicts_with = "keyring")]
    pub authenticated: bool,
    #[command(flatten)]
    pub introduction: crate::trust::authenticate::IntroductionArgs,
}

impl GateArgs {
    /// The gate, with a keyring the user chose; none without --threshold.
    pub fn resolve(&self, env: &crate::env::Env) -> Result<Option<std::sync::Arc<Gate>>> {
        let Some(threshold) = self.threshold else { return Ok(None) };
        let trusted = crate::trust::verify::trusted_keyring(
            env,
            self.keyring.as_deref(),
            self.authenticated,
            &self.introduction,
        )?;
        if !trusted.authenticated {
            bail!(
                "--threshold {threshold} needs a keyring you chose: --keyring DIR (outside the tree) or \
                 --authenticated; the tree's own manifest/keys/ is what a hostile change rewrites"
            );
        }
        Ok(Some(std::sync::Arc::new(Gate { threshold, keyring: trusted.keyring, root: env.root.clone() })))
    }
}

/// What a build may substitute from, and what a substitute must carry.
#[derive(Clone, Default)]
pub struct Substitutes {
    pub sources: Vec<Source>,
    pub gate: Option<std::sync::Arc<Gate>>,
}

/// Signatures a substitute must carry: `threshold` distinct maintainers of `keyring`.
pub struct Gate {
    pub threshold: u32,
    pub keyring: Keyring,
    /// The tree whose lookaside (`manifest/signatures/`) holds the signatures.
    pub root: PathBuf,
}

impl Gate {
    /// Whether the recorded digest carries enough valid signatures; why not, if not.
    pub fn admits(&self, entry: &Entry) -> Result<(), String> {
        let report = crate::trust::verify::verify_image(
            &self.root,
            entry,
            &self.keyring,
            self.threshold,
            None,
            SystemTime::now(),
        )
        .map_err(|error| format!("{error:#}"))?;
        if report.passed {
            Ok(())
        } else {
            Err(format!("{} valid signature(s) of {}, {} required", report.valid, entry.digest, self.threshold))
        }
    }
}

/// The three blobs of an image, as a source handed them over.
pub struct Fetched {
    pub manifest: Vec<u8>,
    pub config: Vec<u8>,
    pub layer_gz: Vec<u8>,
}

/// The image of `entry` from `source`, if the source has exactly that image; never
/// anything else.
pub async fn fetch(source: &Source, entry: &Entry) -> Result<layout::Image> {
    let fetched = match source {
        Source::Dir(dir) => {
            let (dir, owned) = (dir.join(&entry.name), entry.clone());
            tokio::task::spawn_blocking(move || from_dir(&dir, &owned)).await??
        }
        Source::Registry { target, transport, .. } => from_registry(target, *transport, entry).await?,
    };
    let owned = entry.clone();
    tokio::task::spawn_blocking(move || admit(&owned, fetched)).await?
}

/// Reads the blobs of `entry`'s digest from the layout `dir` (its index is not trusted
/// or needed: the digest is known). Each is read only as a regular file and only up to
/// the size it may have: the layer at the size manifest/ records, the config at the size
/// the recorded manifest gives it.
fn from_dir(dir: &Path, entry: &Entry) -> Result<Fetched> {
    if !dir.is_dir() {
        bail!("{} has no layout of {}", dir.display(), entry.name);
    }
    let blob = |digest: &str, size: u64| -> Result<Vec<u8>> {
        let hex = digest.strip_prefix("sha256:").context("not a sha256 digest")?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("`{digest}` is not a sha256 digest");
        }
        let path = dir.join("blobs/sha256").join(hex);
        if std::fs::symlink_metadata(&path).is_err() {
            bail!("{} does not hold blob {digest}", dir.display());
        }
        crate::workspace::read_regular(&path, size)
    };
    let manifest = blob(&entry.digest, SMALL_BLOB)?;
    let parsed = parse_manifest(entry, &manifest)?;
    let config = blob(parsed.config().digest().as_ref(), config_size(&parsed)?)?;
    let layer_gz = blob(&entry.layer, layer_size(&parsed, entry)?)?;
    Ok(Fetched { manifest, config, layer_gz })
}

/// What a registry or a directory may send for the config: the size the recorded (and
/// so verified) manifest gives it, and never more than any config of ours.
fn config_size(manifest: &ImageManifest) -> Result<u64> {
    let size = manifest.config().size();
    if size > SMALL_BLOB {
        bail!("the recorded manifest gives its config {size} bytes, more than any cairn image's");
    }
    Ok(size)
}

/// No layer of ours is near this; a manifest/ entry that says more is not believed.
const LARGEST_LAYER: u64 = 16 << 30;

/// What a source may send for the layer: the size the recorded (so verified) manifest
/// gives it, which must be the size manifest/ records, and never past [`LARGEST_LAYER`]
/// (the entry's size is not signed; the manifest's digest is).
fn layer_size(manifest: &ImageManifest, entry: &Entry) -> Result<u64> {
    let [layer] = manifest.layers().as_slice() else {
        bail!("the recorded manifest of {} does not have exactly one layer", entry.name);
    };
    if layer.size() != entry.size {
        bail!(
            "the recorded manifest gives the layer {} bytes, manifest/ records {} for {}: the entry is not the image's",
            layer.size(),
            entry.size,
            entry.name
        );
    }
    if layer.size() > LARGEST_LAYER {
        bail!("the recorded manifest gives the layer {} bytes, more than any cairn image's", layer.size());
    }
    Ok(layer.size())
}

/// The three blobs from a registry, each cut off at the size it may have: the manifest at
/// [`SMALL_BLOB`], the config at the size the recorded manifest gives it, the layer at the
/// size manifest/ records.
async fn from_registry(target: &Target, transport: TransportArgs, entry: &Entry) -> Result<Fetched> {
    let remote = Remote::new(target, transport)?;
    let manifest = remote.manifest(&entry.name, &entry.digest, SMALL_BLOB).await?;
    let parsed = parse_manifest(entry, &manifest)?;
    let config_digest = parsed.config().digest().to_string();
    let config = remote.blob(&entry.name, &config_digest, config_size(&parsed)?).await?;
    let layer_gz = remote.blob(&entry.name, &entry.layer, layer_size(&parsed, entry)?).await?;
    Ok(Fetched { manifest, config, layer_gz })
}

/// The manifest, if it is the recorded one: its bytes hash to the recorded digest.
fn parse_manifest(entry: &Entry, manifest: &[u8]) -> Result<ImageManifest> {
    let digest = sha256(manifest);
    if digest != entry.digest {
        bail!("the manifest offered is {digest}, manifest/ records {} for {}", entry.digest, entry.name);
    }
    serde_json::from_slice(manifest).with_context(|| format!("{}: {digest} is not an OCI image manifest", entry.name))
}

/// The image, if every blob is the one the recorded manifest names.
pub fn admit(entry: &Entry, fetched: Fetched) -> Result<layout::Image> {
    let manifest = parse_manifest(entry, &fetched.manifest)?;
    let config_digest = manifest.config().digest().to_string();
    if sha256(&fetched.config) != config_digest {
        bail!("the config offered does not hash to {config_digest}, which the recorded manifest names");
    }
    let [layer] = manifest.layers().as_slice() else {
        bail!("the recorded manifest of {} does not have exactly one layer", entry.name);
    };
    let layer_digest = layer.digest().to_string();
    if layer_digest != entry.layer {
        bail!("the recorded manifest names layer {layer_digest}, manifest/ records {}", entry.layer);
    }
    if sha256(&fetched.layer_gz) != layer_digest {
        bail!("the layer offered does not hash to {layer_digest}, which the recorded manifest names");
    }
    let parsed: oci_spec::image::ImageConfiguration = serde_json::from_slice(&fetched.config)?;
    let diff_id = parsed.rootfs().diff_ids().first().cloned().context("the config names no diff_id")?;
    if diff_id != entry.diff_id {
        bail!("the config names diff_id {diff_id}, manifest/ records {}", entry.diff_id);
    }
    if sha256(&layout::gunzip(&fetched.layer_gz)?) != diff_id {
        bail!("the layer does not unpack to its diff_id {diff_id}");
    }
    Ok(layout::Image {
        layer_gz: fetched.layer_gz,
        layer_digest,
        diff_id,
        config: fetched.config,
        manifest: fetched.manifest,
        digest: entry.digest.clone(),
    })
}
