//! A rootfs laid out from binary packages, without an engine.
//!
//! The bootstrap stages start the tree from third parties' binaries. Each `.deb` (an `ar`
//! archive) holds a `data.tar.*` that is unpacked, in the order the package crate lists
//! them, into one tree; maintainer scripts are not run, so the links and files they would
//! have made are declared in the crate and added here. A Python wheel (`.whl`, a zip) is
//! unpacked under `opt/`, as a `site-packages` directory would hold it, each file keeping
//! the permission bits of the zip's Unix attributes (0644 where it has none): extracting
//! a wheel with unzip or Python's zipfile loses the executable bits. A tarball in the Rust
//! project's installer layout (`NAME/components` listing component directories beside
//! it, as rustc, rust-std and cargo releases are) is installed under `usr/` as its
//! `install.sh --prefix=/usr` would place the files, without running that script or
//! writing its uninstall records. The result goes through the same normalizer as every
//! engine build.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context, Result};

use crate::image::normalize::{self, Kind, Node};
use crate::registry::Rootfs;
use crate::source::compression;

/// The data member of a .deb, decompressed.
pub fn deb_data(deb: &[u8]) -> Result<Vec<u8>> {
    let mut archive = ar::Archive::new(deb);
    while let Some(member) = archive.next_entry() {
        let mut member = member.context("reading the .deb's ar archive")?;
        let name = String::from_utf8_lossy(member.header().identifier()).trim_end_matches('/').to_owned();
        if !name.starts_with("data.tar") {
            continue;
        }
        if !matches!(name.as_str(), "data.tar" | "data.tar.xz" | "data.tar.gz") {
            bail!("{name}: unsupported compression (cairn reads data.tar, .gz and .xz)");
        }
        let mut raw = Vec::new();
        member.read_to_end(&mut raw)?;
        let data = compression::decompress(&raw).with_context(|| format!("unpacking {name}"))?;
        return Ok(data);
    }
    bail!("no data.tar member: not a Debian binary package")
}

/// Where a wheel's entries go.
pub const WHEEL_PREFIX: &str = "opt";

/// The files of a wheel, under [`WHEEL_PREFIX`], modes from the zip's Unix attributes.
pub fn wheel_nodes(wheel: &[u8]) -> Result<Vec<Node>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).context("reading the wheel's zip archive")?;
    let mut nodes = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        if entry.enclosed_name().is_none() {
            bail!("{}: an entry whose path leaves the wheel", entry.name());
        }
        // Cleaned as a tar entry's path is: no `..` at all, even one that stays inside.
        let inner = normalize::clean(entry.name()).with_context(|| format!("{}: refused", entry.name()))?;
        if inner.is_empty() {
            continue;
        }
        let path = format!("{WHEEL_PREFIX}/{inner}");
        let (kind, mode) = if entry.is_dir() {
            (Kind::Dir, 0o755)
        } else {
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut data).with_context(|| format!("unpacking {path}"))?;
            // The owner's execute bit decides; no setuid or world-writable files from a wheel.
            let executable = entry.unix_mode().is_some_and(|m| m & 0o100 != 0);
            (Kind::File(data), if executable { 0o755 } else { 0o644 })
        };
        nodes.push(Node { path, kind, mode, uid: 0, gid: 0 });
    }
    Ok(nodes)
}

/// Where an installer tarball's components go unless the rootfs names another directory.
pub const INSTALLER_PREFIX: &str = "usr";

pub use crate::registry::is_installer;

/// The files of a Rust installer tarball (xz or gzip), its components' contents under
/// `prefix`; its top-level files (install.sh, licences) and each component's
/// `manifest.in` are left out. Owned by root, without setuid or write bits for others.
pub fn installer_nodes(tarball: &[u8], prefix: &str) -> Result<Vec<Node>> {
    let data = compression::decompress(tarball)?;
    let nodes = normalize::read(data.as_slice()).context("reading it as a tar archive")?;
    let tops: std::collections::BTreeSet<&str> = nodes.iter().map(|n| n.path.split('/').next().unwrap_or("")).collect();
    let [top] = tops.into_iter().collect::<Vec<_>>()[..] else {
        bail!("an installer tarball has one top directory, NAME/, holding NAME/components");
    };
    let top = top.to_owned();
    let list = nodes.iter().find(|n| n.path == format!("{top}/components"));
    let Some(Node { kind: Kind::File(list), .. }) = list else {
        bail!("no {top}/components file: not a Rust installer tarball");
    };
    let components: Vec<String> = String::from_utf8_lossy(list).split_whitespace().map(str::to_owned).collect();
    let place = |path: &str| -> Option<String> {
        let rest = path.strip_prefix(&top)?.strip_prefix('/')?;
        let (component, inner) = rest.split_once('/')?;
        (components.iter().any(|c| c == component) && inner != "manifest.in").then(|| format!("{prefix}/{inner}"))
    };
    let mut placed = Vec::new();
    for node in &nodes {
        let Some(path) = place(&node.path) else { continue };
        let kind = match &node.kind {
            Kind::Hardlink(target) => Kind::Hardlink(
                place(target).with_context(|| format!("{}: a hard link to a file that is not installed", node.path))?,
            ),
            Kind::File(_) | Kind::Dir | Kind::Symlink(_) => node.kind.clone(),
            _ => bail!("{}: a device or FIFO in an installer tarball", node.path),
        };
        let mode = if kind == Kind::Dir { 0o755 } else { node.mode & 0o755 };
        placed.push(Node { path, kind, mode, uid: 0, gid: 0 });
    }
    Ok(placed)
}

/// Lays out the rootfs: packages in order (later files replace earlier ones), then the
/// declared directories, files and links. Returns the canonical layer tar.
pub fn layout(packages: &[(String, Vec<u8>)], extra: &Rootfs) -> Result<Vec<u8>> {
    let mut tree: BTreeMap<String, Node> = BTreeMap::new();
    for (name, bytes) in packages {
        let nodes = if name.ends_with(".whl") {
            wheel_nodes(bytes).with_context(|| format!("unpacking {name}"))?
        } else if is_installer(name) {
            let prefix = extra.installer_prefix.as_deref().unwrap_or(INSTALLER_PREFIX);
            installer_nodes(bytes, prefix).with_context(|| format!("installing {name}"))?
        } else {
            let data = deb_data(bytes).with_context(|| format!("unpacking {name}"))?;
            normalize::read(data.as_slice()).with_context(|| format!("reading the data of {name}"))?
        };
        for node in nodes {
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
        for (name, bytes) in [("debian-binary", b"2.0\n".to_vec()), ("control.tar.xz", Vec::new()), ("data.tar.xz", xz)]
        {
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
            installer_prefix: None,
        };
        let layer = layout(&debs, &extra).unwrap();
        let nodes = normalize::read(layer.as_slice()).unwrap();
        insta::assert_snapshot!("rootfs_of_two_debs", normalize::listing(&nodes));
    }

    /// A wheel as pip downloads one: entries with and without Unix modes.
    fn wheel(files: &[(&str, Option<u32>, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (path, mode, contents) in files {
            let mut options = zip::write::SimpleFileOptions::default();
            if let Some(mode) = mode {
                options = options.unix_permissions(*mode);
            }
            writer.start_file(*path, options).unwrap();
            std::io::Write::write_all(&mut writer, contents).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_wheel_goes_under_opt_with_its_executable_bits() {
        let packages = vec![(
            "tool-1-py3-none-any.whl".to_owned(),
            wheel(&[
                ("tool/tool", Some(0o755), b"\x7fELF"),
                ("tool/lib/a.h", Some(0o644), b"a"),
                ("tool/README", None, b"r"),
            ]),
        )];
        let links = vec![("usr/bin/tool".into(), "/opt/tool/tool".into())];
        let extra = Rootfs { links, ..Rootfs::default() };
        let nodes = normalize::read(layout(&packages, &extra).unwrap().as_slice()).unwrap();
        let modes: Vec<(&str, u32)> = nodes.iter().map(|n| (n.path.as_str(), n.mode)).collect();
        assert_eq!(
            modes,
            [
                ("opt", 0o755),
                ("opt/tool", 0o755),
                ("opt/tool/README", 0o644),
                ("opt/tool/lib", 0o755),
                ("opt/tool/lib/a.h", 0o644),
                ("opt/tool/tool", 0o755),
                ("usr", 0o755),
                ("usr/bin", 0o755),
                ("usr/bin/tool", 0o777),
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_a_deb_is_refused() {
        let error =
            format!("{:#}", layout(&[("x.deb".into(), b"!<arch>\n".to_vec())], &Rootfs::default()).unwrap_err());
        assert!(error.contains("unpacking x.deb: no data.tar member"), "{error}");
    }

    /// A Rust installer tarball: `entries` (path, mode, contents) under `top/`, xz'd.
    fn installer(top: &str, entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, mode, contents) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(*mode);
            header.set_size(contents.len() as u64);
            header.set_uid(1000);
            header.set_gid(1000);
            header.set_mtime(1_600_000_000);
            tar.append_data(&mut header, format!("{top}/{path}"), *contents).unwrap();
        }
        let mut xz = Vec::new();
        xz2::read::XzEncoder::new(tar.into_inner().unwrap().as_slice(), 1).read_to_end(&mut xz).unwrap();
        xz
    }

    #[test]
    fn an_installer_tarball_puts_its_components_under_usr_and_nothing_else() {
        let rustc = installer(
            "rustc-1.0-x",
            &[
                ("components", 0o644, b"rustc\n"),
                ("install.sh", 0o755, b"#!/bin/bash\n"),
                ("LICENSE-MIT", 0o644, b"mit"),
                ("rustc/manifest.in", 0o644, b"file:bin/rustc\n"),
                ("rustc/bin/rustc", 0o4777, b"\x7fELF"),
                ("rustc/lib/librustc_driver.so", 0o644, b"\x7fELF"),
                ("unlisted/bin/evil", 0o755, b"not a component"),
            ],
        );
        let nodes = installer_nodes(&rustc, INSTALLER_PREFIX).unwrap();
        let placed: Vec<(&str, u32, u64)> =
            nodes.iter().filter(|n| n.kind != Kind::Dir).map(|n| (n.path.as_str(), n.mode, n.uid)).collect();
        assert_eq!(placed, [("usr/bin/rustc", 0o755, 0), ("usr/lib/librustc_driver.so", 0o644, 0)]);

        let layer = layout(&[("rustc-1.0-x.tar.xz".into(), rustc)], &Rootfs::default()).unwrap();
        let laid: Vec<String> = normalize::read(layer.as_slice()).unwrap().into_iter().map(|n| n.path).collect();
        assert!(
            laid.contains(&"usr/bin/rustc".to_owned()) && !laid.iter().any(|p| p.contains("install.sh")),
            "{laid:?}"
        );

        let no_list = installer("cargo-1.0-x", &[("cargo/bin/cargo", 0o755, b"\x7fELF")]);
        let error = format!("{:#}", installer_nodes(&no_list, INSTALLER_PREFIX).unwrap_err());
        assert!(error.contains("no cargo-1.0-x/components file"), "{error}");
    }

    #[test]
    fn a_rootfs_can_install_a_tarball_under_a_prefix_of_its_own_and_link_its_programs() {
        // As seed B does: its programs look for libraries in $ORIGIN/../lib, which must
        // not be the /usr/lib that a stage fills with musl libraries.
        let rustc = installer(
            "rustc-1.0-x",
            &[
                ("components", 0o644, b"rustc\n"),
                ("rustc/bin/rustc", 0o755, b"\x7fELF"),
                ("rustc/lib/librustc_driver.so", 0o644, b"\x7fELF"),
            ],
        );
        let extra = Rootfs {
            links: vec![("usr/bin/rustc".into(), "../lib/rust-1.0/bin/rustc".into())],
            installer_prefix: Some("usr/lib/rust-1.0".into()),
            ..Rootfs::default()
        };
        let layer = layout(&[("rustc-1.0-x.tar.xz".into(), rustc)], &extra).unwrap();
        let laid: Vec<(String, Kind)> = normalize::read(layer.as_slice())
            .unwrap()
            .into_iter()
            .filter(|n| n.kind != Kind::Dir)
            .map(|n| (n.path, n.kind))
            .collect();
        assert_eq!(
            laid,
            [
                ("usr/bin/rustc".to_owned(), Kind::Symlink("../lib/rust-1.0/bin/rustc".into())),
                ("usr/lib/rust-1.0/bin/rustc".to_owned(), Kind::File(b"\x7fELF".to_vec())),
                ("usr/lib/rust-1.0/lib/librustc_driver.so".to_owned(), Kind::File(b"\x7fELF".to_vec())),
            ]
        );
    }
}
