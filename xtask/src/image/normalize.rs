//! Normalization: where digests get decided.
//!
//! An engine exports a container's filesystem as a tar stream whose bytes depend on the
//! engine, its version, the time and the build host. This module keeps what a program in
//! the image can observe (content, permission bits, numeric owners, symlink targets,
//! hardlinks, device numbers) and fixes everything else: entries sorted by path, every
//! time set to zero, no user or group names, no extended attributes, no entries the
//! engine injects (`/.dockerenv`, `/etc/hosts`, `/proc`, ...), one canonical header
//! format. The same filesystem therefore gives the same bytes whichever engine built it.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// Paths the runtime owns: engines inject them into exports, and a runtime provides them
/// when a container starts, so an image never carries them.
const RUNTIME_FILES: &[&str] =
    &[".dockerenv", ".containerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab"];
const RUNTIME_TREES: &[&str] = &["proc", "sys", "dev", "run"];

/// Bumped whenever the bytes of an image change for the same filesystem (this module's
/// layer, or the config and manifest `layout` writes); part of every package's input
/// hash, so such a change rebuilds everything.
pub const FORMAT: &str = "cairn-image-3";

/// One filesystem entry as a program in the image sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Relative path, no leading `/` or `./`, no trailing `/`.
    pub path: String,
    pub kind: Kind,
    /// Permission bits including setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(String),
    /// A hard link to the regular file at this path (which comes first in the layer).
    Hardlink(String),
    Char(u32, u32),
    Block(u32, u32),
    Fifo,
}

impl Node {
    pub fn size(&self) -> u64 {
        match &self.kind {
            Kind::File(data) => data.len() as u64,
            _ => 0,
        }
    }
}

/// Normalizes an exported filesystem tar into the canonical layer tar.
pub fn normalize(export: impl Read) -> Result<Vec<u8>> {
    let nodes = read(export)?;
    write(&canonicalize(nodes)?)
}

/// Reads every entry of a tar stream, paths cleaned, the last entry of a path winning.
pub fn read(input: impl Read) -> Result<Vec<Node>> {
    let mut archive = tar::Archive::new(input);
    let mut nodes = Vec::new();
    for entry in archive.entries().context("reading the exported filesystem")? {
        let mut entry = entry.context("reading the exported filesystem")?;
        let raw_path = entry.path().context("an entry with an unreadable path")?;
        let path = clean(&raw_path.to_string_lossy())?;
        if path.is_empty() {
            continue; // the root directory itself
        }
        let header = entry.header();
        let mode = header.mode()? & 0o7777;
        let uid = header.uid()?;
        let gid = header.gid()?;
        let device =
            || -> Result<(u32, u32)> { Ok((header.device_major()?.unwrap_or(0), header.device_minor()?.unwrap_or(0))) };
        let link = || -> Result<String> {
            let target = entry.link_name()?.with_context(|| format!("link {path} has no target"))?;
            Ok(target.to_string_lossy().into_owned())
        };
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut data = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut data).with_context(|| format!("reading {path}"))?;
                Kind::File(data)
            }
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Symlink => Kind::Symlink(link()?),
            tar::EntryType::Link => Kind::Hardlink(clean(&link()?).with_context(|| format!("hard link {path}"))?),
            tar::EntryType::Char => {
                let (major, minor) = device()?;
                Kind::Char(major, minor)
            }
            tar::EntryType::Block => {
                let (major, minor) = device()?;
                Kind::Block(major, minor)
            }
            tar::EntryType::Fifo => Kind::Fifo,
            other => bail!("{path}: unsupported tar entry type {other:?}"),
        };
        nodes.push(Node { path, kind, mode, uid, gid });
    }
    Ok(nodes)
}

/// The modification time of every entry of a tar stream, by cleaned path: what
/// `read` drops, for reports that show times (`diff`).
pub fn mtimes(input: impl Read) -> Result<BTreeMap<String, u64>> {
    let mut archive = tar::Archive::new(input);
    let mut times = BTreeMap::new();
    for entry in archive.entries().context("reading a layer")? {
        let entry = entry.context("reading a layer")?;
        let path = clean(&entry.path().context("an entry with an unreadable path")?.to_string_lossy())?;
        if !path.is_empty() {
            times.insert(path, entry.header().mtime()?);
        }
    }
    Ok(times)
}

/// An entry's path relative to the root: `./` and repeated `/` dropped. A path that is
/// absolute or has a `..` component is refused, never rewritten: an archive that names
/// `../x` or `/x` is not one an engine exported or a package manager would unpack as is.
pub fn clean(path: &str) -> Result<String> {
    if path.starts_with('/') {
        bail!("the entry `{path}` is an absolute path: refused, an archive's paths are relative to its root");
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => bail!("the entry `{path}` climbs with `..`: refused, it could land outside the root"),
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

fn is_runtime_path(path: &str) -> bool {
    RUNTIME_FILES.contains(&path)
        || RUNTIME_TREES
            .iter()
            .any(|tree| path == *tree || path.strip_prefix(tree).is_some_and(|rest| rest.starts_with('/')))
}

/// Sorts, drops runtime paths, adds missing parent directories, and makes every
/// hardlink point at the first path of its group in sorted order.
pub fn canonicalize(nodes: Vec<Node>) -> Result<Vec<Node>> {
    let mut by_path: BTreeMap<String, Node> = BTreeMap::new();
    for node in nodes {
        if !is_runtime_path(&node.path) {
            by_path.insert(node.path.clone(), node);
        }
    }
    // Docker's export carries /etc for the files it mounts there (hosts, resolv.conf):
    // once those are dropped, an empty /etc is the engine's, not the image's.
    if by_path.get("etc").is_some_and(|n| n.kind == Kind::Dir) && !by_path.keys().any(|p| p.starts_with("etc/")) {
        by_path.remove("etc");
    }
    // A file beneath a symbolic link would be written through it, wherever it points.
    for path in by_path.keys() {
        let mut rest = path.as_str();
        while let Some((parent, _)) = rest.rsplit_once('/') {
            if let Some(Node { kind: Kind::Symlink(target), .. }) = by_path.get(parent) {
                bail!("{path} lies beneath {parent}, a symbolic link to {target}: refused, it would be written through the link");
            }
            rest = parent;
        }
    }
    // Parents an engine left implicit.
    let parents: Vec<String> = by_path
        .keys()
        .flat_map(|path| {
            let mut ancestors = Vec::new();
            let mut rest = path.as_str();
            while let Some((parent, _)) = rest.rsplit_once('/') {
                ancestors.push(parent.to_owned());
                rest = parent;
            }
            ancestors
        })
        .collect();
    for parent in parents {
        by_path.entry(parent.clone()).or_insert(Node { path: parent, kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 });
    }

    // Hardlink groups: every member resolved to the regular file that carries the data.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in by_path.values() {
        if let Kind::Hardlink(_) = node.kind {
            let mut target = node.path.clone();
            let mut hops = 0;
            while let Some(Node { kind: Kind::Hardlink(next), .. }) = by_path.get(&target) {
                target = next.clone();
                hops += 1;
                if hops > by_path.len() {
                    bail!("{}: hard links form a loop", node.path);
                }
            }
            match by_path.get(&target) {
                Some(Node { kind: Kind::File(_), .. }) => groups.entry(target).or_default().push(node.path.clone()),
                _ => bail!("{}: hard link to {target}, which is not a regular file in the image", node.path),
            }
        }
    }
    for (data_path, links) in groups {
        let data_node = by_path.get(&data_path).cloned().expect("group target exists");
        let mut members = links;
        members.push(data_path);
        members.sort();
        let first = members[0].clone();
        for member in &members {
            let node = by_path.get_mut(member).expect("group member exists");
            node.mode = data_node.mode;
            node.uid = data_node.uid;
            node.gid = data_node.gid;
            node.kind = if *member == first { data_node.kind.clone() } else { Kind::Hardlink(first.clone()) };
        }
    }
    Ok(by_path.into_values().collect())
}

/// Writes canonical nodes as a tar stream: GNU headers, zero times, no names.
pub fn write(nodes: &[Node]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    for node in nodes {
        let mut header = tar::Header::new_gnu();
        header.set_mode(node.mode);
        header.set_uid(node.uid);
        header.set_gid(node.gid);
        header.set_mtime(0);
        header.set_size(0);
        let path = match node.kind {
            Kind::Dir => format!("{}/", node.path),
            _ => node.path.clone(),
        };
        match &node.kind {
            Kind::File(data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, &path, data.as_slice())?;
            }
            Kind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                builder.append_data(&mut header, &path, std::io::empty())?;
            }
            Kind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut header, &path, target)?;
            }
            Kind::Hardlink(target) => {
                header.set_entry_type(tar::EntryType::Link);
                builder.append_link(&mut header, &path, target)?;
            }
            Kind::Char(major, minor) | Kind::Block(major, minor) => {
                header.set_entry_type(if matches!(node.kind, Kind::Char(..)) {
                    tar::EntryType::Char
                } else {
                    tar::EntryType::Block
                });
                header.set_device_major(*major)?;
                header.set_device_minor(*minor)?;
                builder.append_data(&mut header, &path, std::io::empty())?;
            }
            Kind::Fifo => {
                header.set_entry_type(tar::EntryType::Fifo);
                builder.append_data(&mut header, &path, std::io::empty())?;
            }
        }
    }
    Ok(builder.into_inner()?)
}

/// A reviewable listing of a layer: one line per entry with mode, owner, size, sha256.
pub fn listing(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        let (kind, detail) = match &node.kind {
            Kind::File(data) => ('-', hex::encode(Sha256::digest(data))),
            Kind::Dir => ('d', String::new()),
            Kind::Symlink(target) => ('l', format!("-> {target}")),
            Kind::Hardlink(target) => ('h', format!("=> {target}")),
            Kind::Char(major, minor) => ('c', format!("{major},{minor}")),
            Kind::Block(major, minor) => ('b', format!("{major},{minor}")),
            Kind::Fifo => ('p', String::new()),
        };
        let line =
            format!("{kind}{:04o} {}:{} {:>9} {} {detail}", node.mode, node.uid, node.gid, node.size(), node.path);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(path: &str, data: &[u8], mode: u32) -> Node {
        Node { path: path.into(), kind: Kind::File(data.to_vec()), mode, uid: 0, gid: 0 }
    }

    /// Writes nodes as an engine might: in the given order, with the given times and names.
    fn export(nodes: &[Node], mtimes: &[u64]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (node, mtime) in nodes.iter().zip(mtimes.iter().cycle()) {
            let mut header = tar::Header::new_ustar();
            header.set_mode(node.mode);
            header.set_uid(node.uid);
            header.set_gid(node.gid);
            header.set_mtime(*mtime);
            header.set_username("builder").unwrap();
            header.set_size(0);
            let path = format!("./{}", node.path);
            match &node.kind {
                Kind::File(data) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(data.len() as u64);
                    builder.append_data(&mut header, &path, data.as_slice()).unwrap();
                }
                Kind::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    builder.append_data(&mut header, &path, std::io::empty()).unwrap();
                }
                Kind::Symlink(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    builder.append_link(&mut header, &path, target).unwrap();
                }
                Kind::Hardlink(target) => {
                    header.set_entry_type(tar::EntryType::Link);
                    builder.append_link(&mut header, &path, target).unwrap();
                }
                _ => unreachable!("the fixture uses files, dirs and links"),
            }
        }
        builder.into_inner().unwrap()
    }

    fn sample() -> Vec<Node> {
        vec![
            Node { path: "bin".into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 },
            file("bin/busybox", b"\x7fELF static", 0o755),
            Node { path: "bin/sh".into(), kind: Kind::Symlink("busybox".into()), mode: 0o777, uid: 0, gid: 0 },
            file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n", 0o644),
            file("usr/bin/su", b"setuid", 0o4755),
            Node { path: "usr/bin/gcc".into(), kind: Kind::Hardlink("usr/bin/cc".into()), mode: 0o755, uid: 0, gid: 0 },
            file("usr/bin/cc", b"compiler", 0o755),
            Node { path: "home/user".into(), kind: Kind::Dir, mode: 0o700, uid: 1000, gid: 1000 },
            file(".dockerenv", b"", 0o755),
            file("etc/hosts", b"127.0.0.1 localhost\n", 0o644),
            Node { path: "proc".into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 },
            Node { path: "dev/console".into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 },
        ]
    }

    #[test]
    fn keeps_what_programs_see_and_drops_runtime_entries() {
        let layer = normalize(export(&sample(), &[1_700_000_000]).as_slice()).unwrap();
        let nodes = read(layer.as_slice()).unwrap();
        insta::assert_snapshot!("normalized_sample_listing", listing(&nodes));
    }

    #[test]
    fn hardlinks_point_at_the_first_path_of_their_group() {
        let layer = normalize(export(&sample(), &[0]).as_slice()).unwrap();
        let nodes = read(layer.as_slice()).unwrap();
        let cc = nodes.iter().find(|n| n.path == "usr/bin/cc").unwrap();
        let gcc = nodes.iter().find(|n| n.path == "usr/bin/gcc").unwrap();
        assert_eq!(cc.kind, Kind::File(b"compiler".to_vec()));
        assert_eq!(gcc.kind, Kind::Hardlink("usr/bin/cc".into()));
    }

    #[test]
    fn a_hardlink_to_nothing_is_an_error() {
        let nodes = vec![Node { path: "a".into(), kind: Kind::Hardlink("b".into()), mode: 0o644, uid: 0, gid: 0 }];
        let error = normalize(export(&nodes, &[0]).as_slice()).unwrap_err().to_string();
        assert!(error.contains("a: hard link to b"), "{error}");
    }

    /// A tar whose entry names are written as given, bypassing the checks of the tar
    /// crate, as a hostile archive would be.
    fn raw_tar(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, link) in entries {
            let mut header = tar::Header::new_old();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            let data: &[u8] = if *kind == tar::EntryType::Regular { b"x" } else { b"" };
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append(&header, data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn paths_that_leave_the_root_are_refused_not_rewritten() {
        use tar::EntryType::{Directory, Regular, Symlink};
        for (entries, says) in [
            (vec![("../escape", Regular, "")], "climbs with `..`"),
            (vec![("usr/../../../x", Regular, "")], "climbs with `..`"),
            (vec![("/etc/x", Regular, "")], "absolute path"),
            (vec![("a", Regular, ""), ("b", tar::EntryType::Link, "../a")], "climbs with `..`"),
            (vec![("etc", Symlink, "/etc"), ("etc/passwd", Regular, "")], "etc/passwd lies beneath etc"),
            (
                vec![("usr", Directory, ""), ("usr/lib", Symlink, "../../host"), ("usr/lib/x/y", Regular, "")],
                "lies beneath usr/lib",
            ),
        ] {
            let error = format!("{:#}", normalize(raw_tar(&entries).as_slice()).unwrap_err());
            assert!(error.contains(says), "{entries:?}: {error}");
        }
        // What stays inside is read as it is.
        let fine = raw_tar(&[("./usr/", Directory, ""), ("./usr/x", Regular, ""), ("./usr/l", Symlink, "../x")]);
        assert_eq!(read(fine.as_slice()).unwrap().len(), 3);
    }

    #[test]
    fn long_paths_and_link_targets_survive() {
        let long = format!("usr/share/{}/file", "d".repeat(150));
        let target = format!("../{}", "t".repeat(120));
        let nodes = vec![
            file(&long, b"x", 0o644),
            Node { path: "usr/link".into(), kind: Kind::Symlink(target.clone()), mode: 0o777, uid: 0, gid: 0 },
        ];
        let back = read(normalize(export(&nodes, &[5]).as_slice()).unwrap().as_slice()).unwrap();
        assert!(back.iter().any(|n| n.path == long));
        assert!(back.iter().any(|n| n.kind == Kind::Symlink(target.clone())));
    }

    proptest! {
        #[test]
        fn same_bytes_for_any_order_and_any_times(
            order in Just(sample()).prop_shuffle(),
            mtimes in proptest::collection::vec(0u64..=u32::MAX as u64, 1..20),
        ) {
            let reference = normalize(export(&sample(), &[0]).as_slice()).unwrap();
            prop_assert_eq!(normalize(export(&order, &mtimes).as_slice()).unwrap(), reference);
        }
    }

    /// The digest of a small fixed image, as this code makes it today. A change of code
    /// that changes the bytes of images changes every digest in manifest/: it must come
    /// with a new FORMAT (which every input hash covers) and a new value here.
    const FIXTURE: (&str, &str) =
        ("cairn-image-3", "sha256:7f99b7a8f855024aeb8f67325df0d8f4943f5b860252142e71ba99a6ceba8932");

    #[test]
    fn the_bytes_of_a_fixed_image_are_pinned_beside_format() {
        let nodes = vec![
            Node { path: "bin".into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 },
            file("bin/tool", b"\x7fELF tool\n", 0o4755),
            Node { path: "bin/alias".into(), kind: Kind::Symlink("tool".into()), mode: 0o777, uid: 0, gid: 0 },
            Node { path: "bin/copy".into(), kind: Kind::Hardlink("bin/tool".into()), mode: 0o4755, uid: 0, gid: 0 },
            Node { path: "tmp".into(), kind: Kind::Dir, mode: 0o1777, uid: 0, gid: 0 },
            file("etc/motd", b"hello\n", 0o644),
            Node { path: "home/user".into(), kind: Kind::Dir, mode: 0o700, uid: 1000, gid: 1000 },
        ];
        let layer = normalize(export(&nodes, &[1_700_000_000, 7]).as_slice()).unwrap();
        let image = crate::image::layout::assemble(&layer).unwrap();
        assert_eq!(
            (FORMAT, image.digest.as_str()),
            FIXTURE,
            "bytes changed: bump FORMAT in image/normalize.rs and set FIXTURE to the new digest"
        );
    }
}
