//! Build contexts, assembled in memory: the Containerfile (its `cairn/<dep>` references
//! pinned), every verified source and every package file, by name, with fixed metadata.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::registry::Package;
use crate::source::Cache;

/// The context tar for an engine build of `package`.
pub fn assemble(package: &Package, containerfile: &str, cache: &Cache) -> Result<Vec<u8>> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert("Containerfile".into(), containerfile.as_bytes().to_vec());
    for source in &package.sources {
        files.insert(source.file.clone(), cache.read(source)?);
    }
    for file in &package.files {
        files.insert(file.name.clone(), file.contents.clone());
    }
    tar_of(&files)
}

/// The context tar of these files: sorted by name, mode 0644, time 0. The engine copies
/// these modes into images (`COPY`), so a change here changes image bytes.
fn tar_of(files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_size(bytes.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, bytes.as_slice())?;
    }
    Ok(builder.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context's bytes shape the images built from it (modes and times of what a
    /// Containerfile copies), yet no recipe changes when this code does: pinned here, so
    /// that a change of them comes with a new `normalize::FORMAT` and so new input hashes.
    #[test]
    fn the_context_bytes_are_pinned_with_the_format() {
        let files = BTreeMap::from([
            ("Containerfile".to_owned(), b"FROM scratch\nCOPY hello /\n".to_vec()),
            ("hello".to_owned(), b"hello\n".to_vec()),
        ]);
        let digest = crate::image::layout::sha256(&tar_of(&files).unwrap());
        assert_eq!(
            (crate::image::normalize::FORMAT, digest.as_str()),
            ("cairn-image-3", "sha256:b74fa63352ca7837233f9f14fe532dae91c633c1fa63b72ab71fef30f859fbc6"),
            "context bytes changed: bump FORMAT in image/normalize.rs and pin the new digest here"
        );
    }
}
