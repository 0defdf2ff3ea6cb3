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
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in &files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_size(bytes.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, bytes.as_slice())?;
    }
    Ok(builder.into_inner()?)
}
