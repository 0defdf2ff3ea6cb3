//! `cargo xtask list` and `cargo xtask graph`: what the tree holds.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use crate::cli::JsonArg;
use crate::env::Env;
use crate::manifest::Manifest;
use crate::registry::Registry;

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(clap::Args)]
pub struct GraphArgs {
    /// Print Graphviz DOT (`cargo xtask graph --dot | dot -Tsvg > graph.svg`).
    #[arg(long, conflicts_with = "json")]
    pub dot: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

/// One package in `graph --json`, dependencies first.
#[derive(Serialize)]
struct Node<'a> {
    name: &'a str,
    version: &'a str,
    /// What it is built from.
    deps: &'a [String],
    /// What it needs beside it to run.
    runtime: &'a [String],
}

/// One package in `list --json`.
#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    version: &'a str,
    license: &'a str,
    deps: &'a [String],
    /// What its programs need beside it to run (`cargo xtask run` stacks them).
    runtime: &'a [String],
    sources: Vec<ListedSource<'a>>,
    /// The recorded image, if it was ever built.
    digest: Option<&'a str>,
    /// The crate's directory, relative to the root.
    dir: &'a Path,
}

#[derive(Serialize)]
struct ListedSource<'a> {
    file: &'a str,
    sha256: &'a str,
    note: &'a str,
}

pub fn list(args: ListArgs, env: &Env) -> Result<ExitCode> {
    let root = env.root.clone();
    let registry = Registry::load(&root)?;
    let manifest = Manifest::load(&root)?;
    if args.json.json {
        let items: Vec<Listed> = registry
            .packages
            .values()
            .map(|p| Listed {
                name: &p.name,
                version: &p.version,
                license: &p.license,
                deps: &p.deps,
                runtime: &p.runtime,
                sources: p
                    .sources
                    .iter()
                    .map(|s| ListedSource { file: &s.file, sha256: &s.sha256, note: &s.note })
                    .collect(),
                digest: manifest.get(&p.name).map(|e| e.digest.as_str()),
                dir: &p.dir,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else {
        // Columns as wide as their widest entry, so the digests line up.
        let rows: Vec<[String; 4]> = registry
            .packages
            .values()
            .map(|p| {
                let digest = manifest.get(&p.name).map(|e| e.digest.as_str()).unwrap_or("(never built)");
                [p.name.clone(), p.version.clone(), p.deps.join(","), digest.to_owned()]
            })
            .collect();
        let width = |i: usize| rows.iter().map(|r| r[i].len()).max().unwrap_or(0);
        let (name, version, deps) = (width(0), width(1), width(2));
        for [n, v, d, digest] in &rows {
            println!("{n:<name$}  {v:<version$}  {d:<deps$}  {digest}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn graph(args: GraphArgs, env: &Env) -> Result<ExitCode> {
    let registry = Registry::load(&env.root)?;
    let order = registry.order(registry.packages.keys().cloned())?;
    let nodes: Vec<Node> = order
        .iter()
        .map(|name| {
            let p = &registry.packages[name];
            Node { name, version: &p.version, deps: &p.deps, runtime: &p.runtime }
        })
        .collect();
    args.json.print(&nodes, || print!("{}", if args.dot { dot(&registry) } else { text(&registry) }))?;
    Ok(ExitCode::SUCCESS)
}

/// One line per package, dependencies first: what it is built from after the arrow,
/// what it needs to run after `runs with`.
pub fn text(registry: &Registry) -> String {
    let order = registry.order(registry.packages.keys().cloned()).unwrap_or_default();
    order
        .iter()
        .map(|name| {
            let p = &registry.packages[name];
            let mut line = format!("{name} {}", p.version);
            if !p.deps.is_empty() {
                line.push_str(&format!(" <- {}", p.deps.join(", ")));
            }
            if !p.runtime.is_empty() {
                line.push_str(&format!("; runs with {}", p.runtime.join(", ")));
            }
            line + "\n"
        })
        .collect()
}

pub fn dot(registry: &Registry) -> String {
    let mut out = String::from("digraph cairn {\n  rankdir=BT;\n");
    for p in registry.packages.values() {
        out.push_str(&format!("  \"{}\" [label=\"{}\\n{}\"];\n", p.name, p.name, p.version));
        for dep in &p.deps {
            out.push_str(&format!("  \"{}\" -> \"{dep}\";\n", p.name));
        }
        // What it needs to run, dashed.
        for dep in &p.runtime {
            out.push_str(&format!("  \"{}\" -> \"{dep}\" [style=dashed];\n", p.name));
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_of_the_tree() {
        let registry = Registry::load(&Env::resolve().unwrap().root).unwrap();
        insta::assert_snapshot!("graph_text", text(&registry));
        insta::assert_snapshot!("graph_dot", dot(&registry));
    }
}
