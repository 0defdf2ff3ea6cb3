//! OCI image layouts: `out/<name>/` and `out/<name>.tgz`.
//!
//! A cairn image has one layer (the normalized filesystem, gzip with a fixed header and
//! level), a config that holds nothing but the platform, a PATH, the layer's diff_id and
//! a one-line history, and a manifest whose digest is what manifest/ records and maintainers
//! sign.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use oci_spec::image::{
    Arch, ConfigBuilder, Descriptor, DescriptorBuilder, Digest, HistoryBuilder, ImageConfigurationBuilder, ImageIndex,
    ImageIndexBuilder, ImageManifest, ImageManifestBuilder, MediaType, Os, RootFsBuilder,
};
use sha2::Sha256;

use crate::workspace::{write_atomic, StagedDir};

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const GZIP_LEVEL: u32 = 6;

/// An image assembled in memory, digests computed.
pub struct Image {
    pub layer_gz: Vec<u8>,
    pub layer_digest: String,
    pub diff_id: String,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
    /// The OCI manifest digest.
    pub digest: String,
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(<Sha256 as sha2::Digest>::digest(bytes)))
}

/// Compresses a canonical layer tar with a fixed gzip header (no name, time zero).
pub fn gzip(tar: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::with_capacity(tar.len() / 3), flate2::Compression::new(GZIP_LEVEL));
    encoder.write_all(tar)?;
    Ok(encoder.finish()?)
}

fn descriptor(media_type: MediaType, bytes_digest: &str, size: u64) -> Result<Descriptor> {
    Ok(DescriptorBuilder::default()
        .media_type(media_type)
        .digest(bytes_digest.parse::<Digest>()?)
        .size(size)
        .build()?)
}

/// Assembles the image of a canonical layer tar.
pub fn assemble(layer_tar: &[u8]) -> Result<Image> {
    let diff_id = sha256(layer_tar);
    let layer_gz = gzip(layer_tar)?;
    let layer_digest = sha256(&layer_gz);
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(ConfigBuilder::default().env(vec![PATH.to_owned()]).build()?)
        .rootfs(RootFsBuilder::default().typ("layers").diff_ids(vec![diff_id.clone()]).build()?)
        // Buildah (Podman) refuses to build on an image whose history does not account for
        // each layer; no time, so the config stays deterministic.
        .history(vec![HistoryBuilder::default().created_by("cairn build").build()?])
        .build()?;
    let config = serde_json::to_vec(&config)?;
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(MediaType::ImageConfig, &sha256(&config), config.len() as u64)?)
        .layers(vec![descriptor(MediaType::ImageLayerGzip, &layer_digest, layer_gz.len() as u64)?])
        .build()?;
    let manifest = serde_json::to_vec(&manifest)?;
    let digest = sha256(&manifest);
    Ok(Image { layer_gz, layer_digest, diff_id, config, manifest, digest })
}

/// Writes a file of a layout: mode 0644 whatever the umask, synced to disk.
fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.sync_all()?;
    Ok(())
}

fn blob_path(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs").join("sha256").join(digest.trim_start_matches("sha256:"))
}

/// Writes `out/<name>/` and `out/<name>.tgz` atomically (each is complete or absent).
pub fn write(out: &Path, name: &str, version: &str, image: &Image) -> Result<()> {
    let target = out.join(name);
    let staged = StagedDir::new(&target)?;
    let dir = staged.path();
    std::fs::create_dir_all(dir.join("blobs").join("sha256"))?;
    for (digest, bytes) in [
        (&image.layer_digest, &image.layer_gz),
        (&sha256(&image.config), &image.config),
        (&image.digest, &image.manifest),
    ] {
        put(&blob_path(dir, digest), bytes)?;
    }
    put(&dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let mut manifest_descriptor = descriptor(MediaType::ImageManifest, &image.digest, image.manifest.len() as u64)?;
    manifest_descriptor.set_annotations(Some(
        [("org.opencontainers.image.ref.name".to_owned(), version.to_owned())].into_iter().collect(),
    ));
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![manifest_descriptor])
        .build()?;
    put(&dir.join("index.json"), &serde_json::to_vec(&index)?)?;
    // Fixed modes whatever the umask, and on disk before the layout is swapped in.
    for sub in [dir.join("blobs").join("sha256"), dir.join("blobs"), dir.to_owned()] {
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755))?;
        std::fs::File::open(&sub)?.sync_all()?;
    }
    staged.commit()?;
    // The .tgz is the layer blob: a second name for the same file where the filesystem
    // allows it, so out/ holds each layer once. Linked after the layout is in place, so
    // it is never the layer of another layout than out/<name>/.
    let tgz = out.join(format!("{name}.tgz"));
    let linked = tempfile::Builder::new()
        .prefix(".staging-")
        .make_in(out, |path| std::fs::hard_link(blob_path(&target, &image.layer_digest), path))
        .and_then(|temp| temp.persist(&tgz).map_err(|e| e.error));
    if linked.is_err() {
        write_atomic(&tgz, &image.layer_gz)?;
    }
    std::fs::File::open(out)?.sync_all()?;
    Ok(())
}

/// An image layout read back from disk, every blob checked against its digest.
pub struct Layout {
    pub dir: PathBuf,
    pub digest: String,
    pub manifest: ImageManifest,
    /// The manifest's bytes, which `digest` is the sha256 of.
    pub manifest_bytes: Vec<u8>,
    pub config: Vec<u8>,
    pub layer_digest: String,
    pub diff_id: String,
}

impl Layout {
    pub fn layer_path(&self) -> PathBuf {
        blob_path(&self.dir, &self.layer_digest)
    }

    /// The layer, uncompressed, checked against the diff_id.
    pub fn layer_tar(&self) -> Result<Vec<u8>> {
        let gz = std::fs::read(self.layer_path())?;
        let tar = gunzip(&gz).with_context(|| format!("decompressing the layer of {}", self.dir.display()))?;
        if sha256(&tar) != self.diff_id {
            bail!("{}: the layer does not match its diff_id {}", self.dir.display(), self.diff_id);
        }
        Ok(tar)
    }
}

pub fn gunzip(gz: &[u8]) -> Result<Vec<u8>> {
    let mut tar = Vec::with_capacity(gz.len() * 3);
    flate2::read::GzDecoder::new(gz).read_to_end(&mut tar)?;
    Ok(tar)
}

fn read_blob(dir: &Path, digest: &str) -> Result<Vec<u8>> {
    let path = blob_path(dir, digest);
    let bytes = std::fs::read(&path).with_context(|| format!("reading blob {}", path.display()))?;
    if sha256(&bytes) != digest {
        bail!("{} is corrupt: its content does not hash to {digest}", path.display());
    }
    Ok(bytes)
}

/// Reads an OCI image layout, checks every blob's sha256, returns it.
pub fn read(dir: &Path) -> Result<Layout> {
    let layout = read_metadata(dir)?;
    read_blob(dir, &layout.layer_digest)?;
    Ok(layout)
}

/// Reads the index, manifest and config of a layout, each checked against its digest,
/// but not the layer (which [`read`] and [`Layout::layer_tar`] check).
pub fn read_metadata(dir: &Path) -> Result<Layout> {
    let index_path = dir.join("index.json");
    let index: ImageIndex = serde_json::from_slice(
        &std::fs::read(&index_path).with_context(|| format!("reading {}", index_path.display()))?,
    )
    .with_context(|| format!("{} is not an OCI image index", index_path.display()))?;
    let [descriptor] = index.manifests().as_slice() else {
        bail!("{} must list exactly one manifest", index_path.display());
    };
    let digest = descriptor.digest().to_string();
    let manifest_bytes = read_blob(dir, &digest)?;
    let manifest: ImageManifest = serde_json::from_slice(&manifest_bytes)
        .with_context(|| format!("{}: manifest {digest} is not an OCI image manifest", dir.display()))?;
    let config = read_blob(dir, manifest.config().digest().as_ref())?;
    let [layer] = manifest.layers().as_slice() else {
        bail!("{}: a cairn image has exactly one layer", dir.display());
    };
    let layer_digest = layer.digest().to_string();
    let parsed: oci_spec::image::ImageConfiguration = serde_json::from_slice(&config)?;
    let diff_id = parsed.rootfs().diff_ids().first().cloned().context("the config has no diff_id")?;
    Ok(Layout { dir: dir.to_owned(), digest, manifest, manifest_bytes, config, layer_digest, diff_id })
}

/// Checks every blob of a layout and returns its manifest digest.
pub fn verify(dir: &Path) -> Result<String> {
    Ok(read(dir)?.digest)
}

/// A docker-archive (`docker save` format) of a layout, for loading into an engine. The
/// engine's image ID is then the sha256 of our config: deterministic on Docker and Podman.
pub fn docker_archive(layout: &Layout, tag: &str) -> Result<Vec<u8>> {
    archive(&layout.config, &[(&layout.diff_id, layout.layer_tar()?)], tag)
}

/// A docker-archive of images stacked into one, the first at the bottom (a path in several
/// comes from the last that has it): their layers as they are, and a config that lists
/// their diff_ids and names each image in its history, nothing else. The same images in
/// the same order give the same config, so the same image ID. Returns the archive and the
/// config's digest.
pub fn stacked_archive(images: &[(&str, &Layout)], tag: &str) -> Result<(Vec<u8>, String)> {
    let diff_ids: Vec<String> = images.iter().map(|(_, layout)| layout.diff_id.clone()).collect();
    let history = images
        .iter()
        .map(|(name, layout)| {
            Ok(HistoryBuilder::default().created_by(format!("cairn/{name}@{}", layout.digest)).build()?)
        })
        .collect::<Result<Vec<_>>>()?;
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(ConfigBuilder::default().env(vec![PATH.to_owned()]).build()?)
        .rootfs(RootFsBuilder::default().typ("layers").diff_ids(diff_ids).build()?)
        .history(history)
        .build()?;
    let config = serde_json::to_vec(&config)?;
    let layers = images
        .iter()
        .map(|(_, layout)| Ok((layout.diff_id.as_str(), layout.layer_tar()?)))
        .collect::<Result<Vec<_>>>()?;
    Ok((archive(&config, &layers, tag)?, sha256(&config)))
}

fn archive(config: &[u8], layers: &[(&str, Vec<u8>)], tag: &str) -> Result<Vec<u8>> {
    let config_name = format!("{}.json", sha256(config).trim_start_matches("sha256:"));
    let layer_names: Vec<String> =
        layers.iter().map(|(diff_id, _)| format!("{}/layer.tar", diff_id.trim_start_matches("sha256:"))).collect();
    let manifest = serde_json::json!([{ "Config": config_name, "RepoTags": [tag], "Layers": layer_names }]);
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(bytes.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, bytes)?;
        Ok(())
    };
    let mut added = std::collections::BTreeSet::new();
    for (name, (_, tar)) in layer_names.iter().zip(layers) {
        // The same layer twice (two packages with the same files) is one file.
        if added.insert(name) {
            add(name, tar)?;
        }
    }
    add(&config_name, config)?;
    add("manifest.json", &serde_json::to_vec(&manifest)?)?;
    Ok(builder.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer() -> Vec<u8> {
        let node = crate::image::normalize::Node {
            path: "hello".into(),
            kind: crate::image::normalize::Kind::File(b"hi\n".to_vec()),
            mode: 0o644,
            uid: 0,
            gid: 0,
        };
        crate::image::normalize::write(&[node]).unwrap()
    }

    #[test]
    fn a_written_layout_reads_back_with_the_same_digests() {
        let out = tempfile::tempdir().unwrap();
        let image = assemble(&layer()).unwrap();
        write(out.path(), "hello", "1.0", &image).unwrap();
        let layout = read(&out.path().join("hello")).unwrap();
        assert_eq!(layout.digest, image.digest);
        assert_eq!(layout.diff_id, image.diff_id);
        assert_eq!(layout.layer_tar().unwrap(), layer());
        assert_eq!(std::fs::read(out.path().join("hello.tgz")).unwrap(), image.layer_gz);
        insta::assert_snapshot!("config_of_a_layer", String::from_utf8(image.config).unwrap());
    }

    #[test]
    fn the_same_layer_gives_the_same_digest() {
        assert_eq!(assemble(&layer()).unwrap().digest, assemble(&layer()).unwrap().digest);
    }

    #[test]
    fn a_layout_has_fixed_modes() {
        let out = tempfile::tempdir().unwrap();
        let image = assemble(&layer()).unwrap();
        write(out.path(), "hello", "1", &image).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
        let dir = out.path().join("hello");
        for sub in [dir.clone(), dir.join("blobs"), dir.join("blobs/sha256")] {
            assert_eq!(mode(&sub), 0o755, "{}", sub.display());
        }
        for file in ["oci-layout", "index.json"] {
            assert_eq!(mode(&dir.join(file)), 0o644, "{file}");
        }
        for blob in std::fs::read_dir(dir.join("blobs/sha256")).unwrap() {
            assert_eq!(mode(&blob.unwrap().path()), 0o644);
        }
    }

    #[test]
    fn a_flipped_byte_in_a_blob_is_caught() {
        let out = tempfile::tempdir().unwrap();
        let image = assemble(&layer()).unwrap();
        write(out.path(), "hello", "1.0", &image).unwrap();
        let path = blob_path(&out.path().join("hello"), &image.layer_digest);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let error = verify(&out.path().join("hello")).unwrap_err().to_string();
        assert!(error.contains("is corrupt"), "{error}");
    }
}
