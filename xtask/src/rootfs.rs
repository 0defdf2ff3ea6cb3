//! A rootfs laid out from Debian binary packages, without an engine.
//!
//! The bootstrap stage starts the tree from a third party's signed binaries. Each `.deb`
//! (an `ar` archive) holds a `data.tar.*` that is unpacked, in the order the package
//! crate lists them, into one tree; maintainer scripts are not run, so the links and
//! files they would have made are declared in the crate and added here. The result goes
//! through the same normalizer as every engine build.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context, Result};

use crate::normalize::{self, Kind, Node};
use crate::registry::Rootfs;

/// The data member of a .deb, decompressed.
pub fn deb_data(deb: &[u8]) -> Result<Vec<u8>> {
    let mut archive = ar::Archive::new(deb);
    while let Some(member) = archive.next_entry() {
        let mut member = member.context("reading the .deb's ar archive")?;
        let name = String::from_utf8_lossy(member.header().identifier()).trim_end_matches('/').to_owned();
        if !name.starts_with("data.tar") {
            continue;
        }
        let mut raw = Vec::new();
        member.read_to_end(&mut raw)?;
        let mut data = Vec::new();
        match name.as_str() {
            "data.tar" => data = raw,
            "data.tar.xz" => {
                xz2::read::XzDecoder::new(raw.as_slice()).read_to_end(&mut data).context("decompressing data.tar.xz")?;
            }
            "data.tar.gz" => {
                flate2::read::GzDecoder::new(raw.as_slice()).read_to_end(&mut data).context("decompressing data.tar.gz")?;
            }
            other => bail!("{other}: unsupported compression (cairn reads data.tar, .gz and .xz)"),
        }
        return Ok(data);
    }
    bail!("no data.tar member: not a Debian binary package")
}

/// Lays out the rootfs: debs in order (later files replace earlier ones), then the
/// declared directories, files and links. Returns the canonical layer tar.
pub fn layout(debs: &[(String, Vec<u8>)], extra: &Rootfs) -> Result<Vec<u8>> {
    let mut tree: BTreeMap<String, Node> = BTreeMap::new();
    for (name, deb) in debs {
        let data = deb_data(deb).with_context(|| format!("unpacking {name}"))?;
        for node in normalize::read(data.as_slice()).with_context(|| format!("reading the data of {name}"))? {
            // A directory a later package also ships keeps the first package's mode.
            if node.kind == Kind::Dir && tree.get(&node.path).is_some_and(|n| n.kind == Kind::Dir) {
                continue;
            }
            tree.insert(node.path.clone(), node);
        }
    }
    for dir in &extra.dirs {
        let mode = if dir == "tmp" { 0o1777 } else { 0o755 };
        tree.insert(dir.clone(), Node { path: dir.clone(), kind: Kind::Dir, mode, uid: 0, gid: 0 });
    }
    for (path, contents) in &extra.files {
        let kind = Kind::File(contents.as_bytes().to_vec());
        tree.insert(path.clone(), Node { path: path.clone(), kind, mode: 0o644, uid: 0, gid: 0 });
    }
    for (path, target) in &extra.links {
        let kind = Kind::Symlink(target.clone());
        tree.insert(path.clone(), Node { path: path.clone(), kind, mode: 0o777, uid: 0, gid: 0 });
    }
    normalize::write(&normalize::canonicalize(tree.into_values().collect())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A .deb as dpkg-deb builds one: debian-binary, control.tar.xz, data.tar.xz.
    fn deb(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut data = tar::Builder::new(Vec::new());
        for (path, contents) in files {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o755);
            header.set_size(contents.len() as u64);
            header.set_mtime(1_600_000_000);
            header.set_uid(0);
            header.set_gid(0);
            data.append_data(&mut header, format!("./{path}"), *contents).unwrap();
        }
        let mut xz = Vec::new();
        xz2::read::XzEncoder::new(data.into_inner().unwrap().as_slice(), 6).read_to_end(&mut xz).unwrap();
        let mut archive = ar::Builder::new(Vec::new());
        for (name, bytes) in [("debian-binary", b"2.0\n".to_vec()), ("control.tar.xz", Vec::new()), ("data.tar.xz", xz)] {
            archive.append(&ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64), bytes.as_slice()).unwrap();
        }
        archive.into_inner().unwrap()
    }

    #[test]
    fn later_packages_win_and_declared_entries_are_added() {
        let debs = vec![
            ("a.deb".to_owned(), deb(&[("usr/bin/tool", b"first"), ("usr/lib/a.so", b"a")])),
            ("b.deb".to_owned(), deb(&[("usr/bin/tool", b"second")])),
        ];
        let extra = Rootfs {
            dirs: vec!["tmp".into()],
            links: vec![("usr/bin/cc".into(), "tool".into())],
            files: vec![("etc/passwd".into(), "root:x:0:0::/root:/bin/sh\n".into())],
        };
        let layer = layout(&debs, &extra).unwrap();
        let nodes = normalize::read(layer.as_slice()).unwrap();
        insta::assert_snapshot!("rootfs_of_two_debs", normalize::listing(&nodes));
    }

    #[test]
    fn a_file_that_is_not_a_deb_is_refused() {
        let error = format!("{:#}", layout(&[("x.deb".into(), b"!<arch>\n".to_vec())], &Rootfs {
            dirs: vec![],
            links: vec![],
            files: vec![],
        })
        .unwrap_err());
        assert!(error.contains("unpacking x.deb: no data.tar member"), "{error}");
    }
}
