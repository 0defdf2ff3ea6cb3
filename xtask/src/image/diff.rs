//! What differs between two images, file by file: the report `reproduce` prints when a
//! rebuild does not give the recorded digest, and `cargo xtask diff`'s. It separates what a
//! program in the image can observe (content, mode, owner, symlink and hardlink targets,
//! files missing or extra) from differences only in metadata (config, manifest, times,
//! tar encoding, compression), so a reader sees at once whether the bits that run differ.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::layout;
use super::normalize::{self, Kind, Node};

/// One side of a comparison: an image layout or a bare layer, read and checked.
pub struct Side {
    /// The OCI manifest digest (layouts only).
    pub digest: Option<String>,
    pub manifest: Option<Value>,
    pub config: Option<Value>,
    /// Digest of the compressed layer, when there is one.
    pub layer_digest: Option<String>,
    /// Digest of the uncompressed layer tar.
    pub diff_id: String,
    pub nodes: Vec<Node>,
    pub mtimes: BTreeMap<String, u64>,
}

impl Side {
    /// Reads an image layout directory (every blob verified) or a layer tarball.
    pub fn open(path: &Path) -> Result<Side> {
        if path.is_dir() {
            let read = layout::read(path)?;
            let tar = read.layer_tar()?;
            let manifest = serde_json::to_value(&read.manifest)?;
            let config = serde_json::from_slice(&read.config)
                .with_context(|| format!("{}: the config is not JSON", path.display()))?;
            let mut side = Side::of_tar(&tar, path)?;
            side.digest = Some(read.digest);
            side.manifest = Some(manifest);
            side.config = Some(config);
            side.layer_digest = Some(read.layer_digest);
            return Ok(side);
        }
        let bytes = std::fs::read(path).with_context(|| {
            format!("reading {}: expected an image layout directory or a layer tarball", path.display())
        })?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let tar = layout::gunzip(&bytes).with_context(|| format!("decompressing {}", path.display()))?;
            let mut side = Side::of_tar(&tar, path)?;
            side.layer_digest = Some(layout::sha256(&bytes));
            Ok(side)
        } else {
            Side::of_tar(&bytes, path)
        }
    }

    /// Only the entries under `root`, re-rooted there, and nothing else of the image (no
    /// manifest, config or times): two trees kept under different paths, compared.
    pub fn into_subtree(self, root: &str) -> Side {
        let prefix = format!("{}/", root.trim_end_matches('/'));
        let nodes = self
            .nodes
            .into_iter()
            .filter_map(|node| Some(Node { path: node.path.strip_prefix(&prefix)?.to_owned(), ..node }))
            .collect();
        Side::of_nodes(nodes)
    }

    /// Entries alone, with no image around them.
    pub fn of_nodes(nodes: Vec<Node>) -> Side {
        Side {
            digest: None,
            manifest: None,
            config: None,
            layer_digest: None,
            diff_id: String::new(),
            nodes,
            mtimes: BTreeMap::new(),
        }
    }

    fn of_tar(tar: &[u8], path: &Path) -> Result<Side> {
        let nodes = normalize::read(tar).with_context(|| format!("reading the layer of {}", path.display()))?;
        let mtimes = normalize::mtimes(tar)?;
        Ok(Side {
            digest: None,
            manifest: None,
            config: None,
            layer_digest: None,
            diff_id: layout::sha256(tar),
            nodes,
            mtimes,
        })
    }
}

/// What is at a path on one side, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileVersion {
    pub sha256: String,
    pub size: u64,
}

/// One difference between two images. `expected` is the first side (the manifest's
/// image, or A), `got` the second (the rebuild, or B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Difference {
    /// Same path, different bytes.
    Content {
        path: String,
        expected: FileVersion,
        got: FileVersion,
        /// A unified diff, when both versions are small text.
        #[serde(skip_serializing_if = "Option::is_none")]
        text_diff: Option<String>,
        /// The offset of the first differing byte, when either is binary.
        #[serde(skip_serializing_if = "Option::is_none")]
        first_difference_at: Option<u64>,
    },
    /// Permission bits, in octal.
    Mode {
        path: String,
        expected: String,
        got: String,
    },
    /// `uid:gid`.
    Owner {
        path: String,
        expected: String,
        got: String,
    },
    SymlinkTarget {
        path: String,
        expected: String,
        got: String,
    },
    HardlinkTarget {
        path: String,
        expected: String,
        got: String,
    },
    Device {
        path: String,
        expected: String,
        got: String,
    },
    /// A file on one side, a directory (or other type) on the other.
    Type {
        path: String,
        expected: String,
        got: String,
    },
    /// In the expected image only.
    Missing {
        path: String,
    },
    /// In the rebuilt image only.
    Extra {
        path: String,
    },
    /// Metadata: an entry's modification time.
    Time {
        path: String,
        expected: u64,
        got: u64,
    },
    /// Metadata: a key of the image config (JSON pointer).
    Config {
        key: String,
        expected: Value,
        got: Value,
    },
    /// Metadata: a key of the OCI manifest (JSON pointer), beyond the digests that follow
    /// from the config and layer.
    Manifest {
        key: String,
        expected: Value,
        got: Value,
    },
    /// Metadata: every entry is the same, the tar bytes are not (order or header fields).
    LayerEncoding {
        expected: String,
        got: String,
    },
    /// Metadata: the same tar, compressed differently.
    Compression {
        expected: String,
        got: String,
    },
}

impl Difference {
    /// True for differences a program in the image cannot observe.
    pub fn is_metadata(&self) -> bool {
        matches!(
            self,
            Difference::Time { .. }
                | Difference::Config { .. }
                | Difference::Manifest { .. }
                | Difference::LayerEncoding { .. }
                | Difference::Compression { .. }
        )
    }

    pub fn path(&self) -> Option<&str> {
        match self {
            Difference::Content { path, .. }
            | Difference::Mode { path, .. }
            | Difference::Owner { path, .. }
            | Difference::SymlinkTarget { path, .. }
            | Difference::HardlinkTarget { path, .. }
            | Difference::Device { path, .. }
            | Difference::Type { path, .. }
            | Difference::Missing { path }
            | Difference::Extra { path }
            | Difference::Time { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The JSON form: the variant's fields, its `kind`, and `scope` (`file` or `metadata`).
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self).expect("differences serialize");
        if let Value::Object(map) = &mut value {
            map.insert("scope".into(), Value::from(if self.is_metadata() { "metadata" } else { "file" }));
        }
        value
    }
}

/// Every difference between `expected` and `got`: files first (by path), then metadata.
pub fn compare(expected: &Side, got: &Side) -> Vec<Difference> {
    if expected.digest.is_some() && expected.digest == got.digest {
        return Vec::new();
    }
    let mut files = Vec::new();
    let mut times = Vec::new();
    let a: BTreeMap<&str, &Node> = expected.nodes.iter().map(|n| (n.path.as_str(), n)).collect();
    let b: BTreeMap<&str, &Node> = got.nodes.iter().map(|n| (n.path.as_str(), n)).collect();
    let paths: BTreeSet<&str> = a.keys().chain(b.keys()).copied().collect();
    for path in paths {
        match (a.get(path), b.get(path)) {
            (Some(_), None) => files.push(Difference::Missing { path: path.to_owned() }),
            (None, Some(_)) => files.push(Difference::Extra { path: path.to_owned() }),
            (Some(x), Some(y)) => compare_node(x, y, &mut files),
            (None, None) => unreachable!("a path of the union is on one side"),
        }
        if let (Some(&x), Some(&y)) = (expected.mtimes.get(path), got.mtimes.get(path)) {
            if x != y {
                times.push(Difference::Time { path: path.to_owned(), expected: x, got: y });
            }
        }
    }
    let mut metadata = times;
    if let (Some(x), Some(y)) = (&expected.config, &got.config) {
        let mut keys = Vec::new();
        json_diff("", x, y, &mut keys);
        for (key, x, y) in keys {
            // The diff_id follows from the layer, reported file by file above.
            if !key.starts_with("/rootfs/diff_ids") {
                metadata.push(Difference::Config { key, expected: x, got: y });
            }
        }
    }
    if let (Some(x), Some(y)) = (&expected.manifest, &got.manifest) {
        let mut keys = Vec::new();
        json_diff("", x, y, &mut keys);
        for (key, x, y) in keys {
            let follows = key == "/config/digest"
                || key == "/config/size"
                || (key.starts_with("/layers/") && (key.ends_with("/digest") || key.ends_with("/size")));
            if !follows {
                metadata.push(Difference::Manifest { key, expected: x, got: y });
            }
        }
    }
    if files.is_empty()
        && metadata.iter().all(|d| !matches!(d, Difference::Time { .. }))
        && expected.diff_id != got.diff_id
    {
        metadata.push(Difference::LayerEncoding { expected: expected.diff_id.clone(), got: got.diff_id.clone() });
    }
    if expected.diff_id == got.diff_id {
        if let (Some(x), Some(y)) = (&expected.layer_digest, &got.layer_digest) {
            if x != y {
                metadata.push(Difference::Compression { expected: x.clone(), got: y.clone() });
            }
        }
    }
    files.extend(metadata);
    files
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::File(_) => "file",
        Kind::Dir => "directory",
        Kind::Symlink(_) => "symlink",
        Kind::Hardlink(_) => "hardlink",
        Kind::Char(..) => "character device",
        Kind::Block(..) => "block device",
        Kind::Fifo => "fifo",
    }
}

fn compare_node(x: &Node, y: &Node, out: &mut Vec<Difference>) {
    let path = || x.path.clone();
    match (&x.kind, &y.kind) {
        (Kind::File(a), Kind::File(b)) if a != b => out.push(content(&x.path, a, b)),
        (Kind::Symlink(a), Kind::Symlink(b)) if a != b => {
            out.push(Difference::SymlinkTarget { path: path(), expected: a.clone(), got: b.clone() })
        }
        (Kind::Hardlink(a), Kind::Hardlink(b)) if a != b => {
            out.push(Difference::HardlinkTarget { path: path(), expected: a.clone(), got: b.clone() })
        }
        (Kind::Char(..), Kind::Char(..)) | (Kind::Block(..), Kind::Block(..)) if x.kind != y.kind => {
            out.push(Difference::Device { path: path(), expected: device(&x.kind), got: device(&y.kind) })
        }
        (a, b) if std::mem::discriminant(a) != std::mem::discriminant(b) => {
            // Mode and owner mean little across types: the type is the difference.
            out.push(Difference::Type { path: path(), expected: kind_name(a).into(), got: kind_name(b).into() });
            return;
        }
        _ => {}
    }
    if x.mode != y.mode {
        out.push(Difference::Mode {
            path: path(),
            expected: format!("{:04o}", x.mode),
            got: format!("{:04o}", y.mode),
        });
    }
    if (x.uid, x.gid) != (y.uid, y.gid) {
        out.push(Difference::Owner {
            path: path(),
            expected: format!("{}:{}", x.uid, x.gid),
            got: format!("{}:{}", y.uid, y.gid),
        });
    }
}

fn device(kind: &Kind) -> String {
    match kind {
        Kind::Char(major, minor) | Kind::Block(major, minor) => format!("{major},{minor}"),
        _ => String::new(),
    }
}

/// Text small enough to show inline: UTF-8, no NUL, at most this many bytes.
const INLINE_TEXT: usize = 64 * 1024;
const INLINE_LINES: usize = 40;

fn is_small_text(data: &[u8]) -> bool {
    data.len() <= INLINE_TEXT && !data.contains(&0) && std::str::from_utf8(data).is_ok()
}

fn content(path: &str, a: &[u8], b: &[u8]) -> Difference {
    let version = |data: &[u8]| FileVersion { sha256: layout::sha256(data), size: data.len() as u64 };
    let (text_diff, first_difference_at) = if is_small_text(a) && is_small_text(b) {
        let a = std::str::from_utf8(a).expect("checked");
        let b = std::str::from_utf8(b).expect("checked");
        let diff =
            similar::TextDiff::from_lines(a, b).unified_diff().context_radius(2).header("expected", "got").to_string();
        (Some(diff), None)
    } else {
        let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        (None, Some(at as u64))
    };
    Difference::Content { path: path.to_owned(), expected: version(a), got: version(b), text_diff, first_difference_at }
}

/// Differing keys of two JSON values, as (JSON pointer, expected, got).
fn json_diff(pointer: &str, a: &Value, b: &Value, out: &mut Vec<(String, Value, Value)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                let child = format!("{pointer}/{escaped}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => json_diff(&child, p, q, out),
                    (p, q) => out.push((child, p.cloned().unwrap_or(Value::Null), q.cloned().unwrap_or(Value::Null))),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{pointer}/{i}"), p, q, out);
            }
        }
        _ if a != b => out.push((pointer.to_owned(), a.clone(), b.clone())),
        _ => {}
    }
}

/// Writes both versions of every file whose content differs, under `a_dir` and `b_dir`.
/// `a_dir` and `b_dir` are created here and must not exist: files are written only into
/// directories this function made, so nothing already there (a symlink to elsewhere, an
/// earlier run's files) is followed or overwritten.
pub fn extract(differences: &[Difference], expected: &Side, got: &Side, a_dir: &Path, b_dir: &Path) -> Result<()> {
    for dir in [a_dir, b_dir] {
        if dir.symlink_metadata().is_ok() {
            anyhow::bail!(
                "{} exists: files are extracted into a fresh directory only; name one that does not exist",
                dir.display()
            );
        }
        if let Some(parent) = dir.parent() {
            if parent.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
                anyhow::bail!("{} is a symlink: files are extracted into a fresh directory only", parent.display());
            }
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let data = |side: &Side, path: &str| -> Option<Vec<u8>> {
        side.nodes.iter().find(|n| n.path == path).and_then(|n| match &n.kind {
            Kind::File(data) => Some(data.clone()),
            _ => None,
        })
    };
    for difference in differences {
        if let Difference::Content { path, .. } = difference {
            for (side, dir) in [(expected, a_dir), (got, b_dir)] {
                if let Some(bytes) = data(side, path) {
                    let target = dir.join(path);
                    std::fs::create_dir_all(target.parent().expect("a file path has a parent"))?;
                    std::fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// Where diffoscope can take over: one command per extracted file, if it is installed.
pub fn diffoscope_hint(differences: &[Difference], a_dir: &Path, b_dir: &Path) -> String {
    let contents: Vec<&str> =
        differences.iter().filter(|d| matches!(d, Difference::Content { .. })).filter_map(Difference::path).collect();
    if contents.is_empty() {
        return String::new();
    }
    let mut out = format!("  both versions of each differing file: {} and {}\n", a_dir.display(), b_dir.display());
    if crate::env::on_path("diffoscope") {
        for path in contents.iter().take(10) {
            let _ = writeln!(out, "    diffoscope {} {}", a_dir.join(path).display(), b_dir.join(path).display());
        }
    }
    out
}

/// Lines of a report a person reads; past this many, `--json` has the rest.
const SHOWN: usize = 200;

/// The human report: files that differ, then metadata only. `a` and `b` name the sides.
pub fn render(differences: &[Difference], a: &str, b: &str) -> String {
    let mut out = String::new();
    let (metadata, files): (Vec<&Difference>, Vec<&Difference>) = differences.iter().partition(|d| d.is_metadata());
    if files.is_empty() {
        out.push_str("  files that differ: none (every file, mode, owner and link is the same)\n");
    } else {
        let _ = writeln!(out, "  files that differ ({}):", files.len());
        for difference in files.iter().take(SHOWN) {
            render_one(&mut out, difference, a, b);
        }
        if files.len() > SHOWN {
            let _ = writeln!(out, "    ... and {} more (--json lists all)", files.len() - SHOWN);
        }
    }
    if !metadata.is_empty() {
        let _ = writeln!(out, "  metadata only ({}):", metadata.len());
        let times: Vec<&&Difference> = metadata.iter().filter(|d| matches!(d, Difference::Time { .. })).collect();
        if times.len() > 5 {
            let example = times[0].path().unwrap_or_default();
            let _ = writeln!(out, "    time      {} entries differ in time (first: {example})", times.len());
        }
        for difference in metadata.iter().filter(|d| times.len() <= 5 || !matches!(d, Difference::Time { .. })) {
            render_one(&mut out, difference, a, b);
        }
    }
    out
}

fn render_one(out: &mut String, difference: &Difference, a: &str, b: &str) {
    let width = a.len().max(b.len());
    let pair = |out: &mut String, label: &str, x: &str, y: &str| {
        let _ = writeln!(
            out,
            "    {label:<9} {}\n    {:<9}   {a:<width$} {x}\n    {:<9}   {b:<width$} {y}",
            difference.path().unwrap_or(""),
            "",
            ""
        );
    };
    match difference {
        Difference::Content { path, expected, got, text_diff, first_difference_at } => {
            let _ = writeln!(out, "    content   {path}");
            let _ = writeln!(out, "                {a:<width$} {}  {} bytes", expected.sha256, expected.size);
            let _ = writeln!(out, "                {b:<width$} {}  {} bytes", got.sha256, got.size);
            if let Some(diff) = text_diff {
                let lines: Vec<&str> = diff.lines().collect();
                for line in lines.iter().take(INLINE_LINES) {
                    let _ = writeln!(out, "                | {line}");
                }
                if lines.len() > INLINE_LINES {
                    let _ = writeln!(out, "                | ... {} more lines", lines.len() - INLINE_LINES);
                }
            }
            if let Some(at) = first_difference_at {
                let _ = writeln!(out, "                binary; first difference at byte {at} (0x{at:x})");
            }
        }
        Difference::Mode { expected, got, .. } => pair(out, "mode", expected, got),
        Difference::Owner { expected, got, .. } => pair(out, "owner", expected, got),
        Difference::SymlinkTarget { expected, got, .. } => {
            pair(out, "symlink", &format!("-> {expected}"), &format!("-> {got}"))
        }
        Difference::HardlinkTarget { expected, got, .. } => {
            pair(out, "hardlink", &format!("=> {expected}"), &format!("=> {got}"))
        }
        Difference::Device { expected, got, .. } => pair(out, "device", expected, got),
        Difference::Type { expected, got, .. } => pair(out, "type", expected, got),
        Difference::Missing { path } => {
            let _ = writeln!(out, "    missing   {path}  (only in {a})");
        }
        Difference::Extra { path } => {
            let _ = writeln!(out, "    extra     {path}  (only in {b})");
        }
        Difference::Time { expected, got, .. } => pair(out, "time", &expected.to_string(), &got.to_string()),
        Difference::Config { key, expected, got } | Difference::Manifest { key, expected, got } => {
            let label = if matches!(difference, Difference::Config { .. }) { "config" } else { "manifest" };
            let _ = writeln!(
                out,
                "    {label:<9} {key}\n                {a:<width$} {expected}\n                {b:<width$} {got}"
            );
        }
        Difference::LayerEncoding { expected, got } => {
            let _ = writeln!(
                out,
                "    layer     same entries, different tar bytes (entry order or header fields)\n                {a:<width$} diff_id {expected}\n                {b:<width$} diff_id {got}"
            );
        }
        Difference::Compression { expected, got } => {
            let _ = writeln!(
                out,
                "    layer     same tar, compressed differently\n                {a:<width$} {expected}\n                {b:<width$} {got}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &[u8]) -> Node {
        Node { path: path.into(), kind: Kind::File(data.to_vec()), mode: 0o644, uid: 0, gid: 0 }
    }

    fn dir(path: &str) -> Node {
        Node { path: path.into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 }
    }

    fn link(path: &str, target: &str) -> Node {
        Node { path: path.into(), kind: Kind::Symlink(target.into()), mode: 0o777, uid: 0, gid: 0 }
    }

    fn base() -> Vec<Node> {
        vec![
            dir("bin"),
            file("bin/busybox", b"\x7fELF\0\x01\x02\x03"),
            link("bin/sh", "busybox"),
            dir("etc"),
            file("etc/motd", b"welcome\nto cairn\n"),
            file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
        ]
    }

    /// An image layout of `nodes`, written the way `build` writes one.
    fn image(nodes: &[Node]) -> (tempfile::TempDir, Side) {
        let out = tempfile::tempdir().unwrap();
        let image = layout::assemble(&normalize::write(nodes).unwrap()).unwrap();
        layout::write(out.path(), "pkg", "1", &image).unwrap();
        let side = Side::open(&out.path().join("pkg")).unwrap();
        (out, side)
    }

    /// `(kind, path)` of each file difference, as the JSON report names them.
    fn file_paths(differences: &[Difference]) -> Vec<(String, String)> {
        differences
            .iter()
            .filter(|d| !d.is_metadata())
            .map(|d| (d.to_json()["kind"].as_str().unwrap().to_owned(), d.path().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn the_same_layer_has_no_differences() {
        let (_a, a) = image(&base());
        let (_b, b) = image(&base());
        assert_eq!(compare(&a, &b), []);
    }

    #[test]
    fn each_kind_of_file_difference_is_named_with_its_path() {
        let (_a, a) = image(&base());
        let mut changed = base();
        changed[1] = file("bin/busybox", b"\x7fELF\0\x01\x09\x03");
        changed[2] = link("bin/sh", "/bin/busybox");
        changed[4].kind = Kind::File(b"welcome\nto cairn, built now\n".to_vec());
        changed[5].mode = 0o600;
        changed[5].uid = 1000;
        changed.push(file("etc/extra", b""));
        let (_b, b) = image(&changed);
        let differences = compare(&a, &b);
        assert_eq!(
            file_paths(&differences),
            [
                ("content", "bin/busybox"),
                ("symlink-target", "bin/sh"),
                ("extra", "etc/extra"),
                ("content", "etc/motd"),
                ("mode", "etc/passwd"),
                ("owner", "etc/passwd"),
            ]
            .map(|(k, p)| (k.to_owned(), p.to_owned()))
        );
        let Difference::Content { first_difference_at, text_diff, expected, got, .. } = &differences[0] else {
            panic!()
        };
        assert_eq!((*first_difference_at, text_diff.is_none()), (Some(6), true));
        assert_eq!(expected.sha256, layout::sha256(b"\x7fELF\0\x01\x02\x03"));
        assert_eq!(got.sha256, layout::sha256(b"\x7fELF\0\x01\x09\x03"));
        let Difference::Content { text_diff: Some(diff), .. } = &differences[3] else { panic!() };
        assert!(diff.contains("-to cairn\n+to cairn, built now\n"), "{diff}");
        // Only the manifest's and config's digests changed, which follow from the layer.
        assert!(differences.iter().all(|d| !d.is_metadata()), "{differences:#?}");
    }

    #[test]
    fn missing_files_and_changed_types_are_reported() {
        let (_a, a) = image(&base());
        let mut changed: Vec<Node> = base().into_iter().filter(|n| n.path != "etc/passwd").collect();
        changed[4] = dir("etc/motd");
        let (_b, b) = image(&changed);
        let differences = compare(&a, &b);
        assert_eq!(
            differences,
            [
                Difference::Type { path: "etc/motd".into(), expected: "file".into(), got: "directory".into() },
                Difference::Missing { path: "etc/passwd".into() },
            ]
        );
    }

    #[test]
    fn times_and_config_are_metadata_only() {
        let a_tar = normalize::write(&base()).unwrap();
        // The same entries with one time changed: only the tar bytes differ.
        let mut archive = tar::Archive::new(a_tar.as_slice());
        let mut builder = tar::Builder::new(Vec::new());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut header = entry.header().clone();
            if entry.path().unwrap().to_str() == Some("etc/passwd") {
                header.set_mtime(1_700_000_000);
                header.set_cksum();
            }
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            builder.append(&header, data.as_slice()).unwrap();
        }
        let b_tar = builder.into_inner().unwrap();
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("a.tar"), &a_tar).unwrap();
        std::fs::write(temp.path().join("b.tgz"), layout::gzip(&b_tar).unwrap()).unwrap();
        let a = Side::open(&temp.path().join("a.tar")).unwrap();
        let b = Side::open(&temp.path().join("b.tgz")).unwrap();
        assert_eq!(compare(&a, &b), [Difference::Time { path: "etc/passwd".into(), expected: 0, got: 1_700_000_000 }]);

        let (_x, mut x) = image(&base());
        let (_y, mut y) = image(&base());
        y.digest = Some("sha256:other".into());
        y.config.as_mut().unwrap()["config"]["Env"] = serde_json::json!(["PATH=/bin"]);
        x.config.as_mut().unwrap()["created"] = serde_json::json!("1970-01-01T00:00:00Z");
        let differences = compare(&x, &y);
        let keys: Vec<String> = differences
            .iter()
            .map(|d| match d {
                Difference::Config { key, .. } => key.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(keys, ["/config/Env/0", "/created"]);
    }

    #[test]
    fn same_tar_compressed_differently_is_compression_only() {
        let tar = normalize::write(&base()).unwrap();
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("a.tgz"), layout::gzip(&tar).unwrap()).unwrap();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, &tar).unwrap();
        std::fs::write(temp.path().join("b.tgz"), encoder.finish().unwrap()).unwrap();
        let differences =
            compare(&Side::open(&temp.path().join("a.tgz")).unwrap(), &Side::open(&temp.path().join("b.tgz")).unwrap());
        assert!(matches!(differences.as_slice(), [Difference::Compression { .. }]), "{differences:?}");
    }

    #[test]
    fn the_report_puts_files_before_metadata() {
        let (_a, a) = image(&base());
        let mut changed = base();
        changed[4].kind = Kind::File(b"welcome\nto cairn 2\n".to_vec());
        let (_b, mut b) = image(&changed);
        b.config.as_mut().unwrap()["created"] = serde_json::json!("2024-01-01T00:00:00Z");
        let report = render(&compare(&a, &b), "expected", "got");
        insta::assert_snapshot!("report_of_a_text_file_and_a_config_key", report);
    }

    #[test]
    fn files_are_extracted_into_a_fresh_directory_only() {
        let (_a, a) = image(&base());
        let mut changed = base();
        changed[4].kind = Kind::File(b"welcome\nto cairn 2\n".to_vec());
        let (_b, b) = image(&changed);
        let differences = compare(&a, &b);
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("x");
        extract(&differences, &a, &b, &dir.join("a"), &dir.join("b")).unwrap();
        assert_eq!(std::fs::read_dir(dir.join("b")).unwrap().count(), 1);
        // A second run into the same place, or through a symlink to elsewhere, is refused.
        let error = extract(&differences, &a, &b, &dir.join("a"), &dir.join("b")).unwrap_err();
        assert!(format!("{error:#}").contains("fresh directory"), "{error:#}");
        let elsewhere = temp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, temp.path().join("link")).unwrap();
        let link = temp.path().join("link");
        assert!(extract(&differences, &a, &b, &link.join("a"), &link.join("b")).is_err());
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through the symlink");
    }
}
