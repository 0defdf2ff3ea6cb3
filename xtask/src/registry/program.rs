//! The program that reads the package crates: the generated crate in
//! `target/cairn-registry/` depends on every package crate, includes this file as a
//! module and calls [`describe_all`] with every `PACKAGE`; what it prints is what
//! `Registry::load` parses. It is a module of the xtask too, so it is compiled, formatted
//! and linted with everything else, and a unit test reads its output back.
//!
//! It may use only `cairn_package`, `serde_json` and `std`: the generated crate has no
//! other dependency.

use cairn_package::{Expect, Location, Package, Recipe, Source};
use serde_json::{json, Value};

fn location(location: &Location) -> Value {
    match location {
        Location::Url(url) => json!({ "url": url }),
        Location::DebianPool(path) => json!({ "debian_pool": path }),
        Location::DebianBinary { package, version } => {
            json!({ "debian_binary": { "package": package, "version": version } })
        }
        Location::DebianSource { package, version } => {
            json!({ "debian_source": { "package": package, "version": version } })
        }
        Location::PyPI { package, version } => json!({ "pypi": { "package": package, "version": version } }),
        Location::Crate { name, version } => json!({ "crate": { "name": name, "version": version } }),
        Location::Member { archive, path } => json!({ "member": { "archive": source(archive), "path": path } }),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn source(source: &Source) -> Value {
    json!({
        "file": source.file,
        "sha256": source.sha256.to_string(),
        "locations": source.locations.iter().map(location).collect::<Vec<_>>(),
        "note": source.note,
    })
}

fn describe(package: &Package) -> Value {
    let sources: Vec<Value> = package.sources.iter().map(source).collect();
    let files: Vec<Value> =
        package.files.iter().map(|file| json!({ "name": file.name, "contents": hex(file.contents) })).collect();
    let recipe = match &package.recipe {
        Recipe::Containerfile(text) => json!({ "containerfile": text }),
        Recipe::DebianRootfs(rootfs) => {
            json!({ "debian_rootfs": {
                "dirs": rootfs.dirs,
                "links": rootfs.links,
                "files": rootfs.files,
                "installer_prefix": rootfs.installer_prefix,
            } })
        }
        Recipe::Rebuild(rebuild) => json!({ "rebuild": {
            "of": rebuild.of.name,
            "containerfile": rebuild.of.containerfile(),
            "replace": rebuild.replace.iter().map(|(from, to)| (from.name, to.name)).collect::<Vec<_>>(),
            "expect": match rebuild.expect {
                Expect::Same { proof } => json!({ "same": { "proof": proof } }),
                Expect::Stage => json!("stage"),
            },
        } }),
    };
    json!({
        "name": package.name,
        "version": package.version,
        "license": package.license,
        "sources": sources,
        "deps": package.deps.iter().map(|dep| dep.name).collect::<Vec<_>>(),
        "runtime": package.runtime.iter().map(|dep| dep.name).collect::<Vec<_>>(),
        "files": files,
        "allow": package.allow.iter().map(|allow| [allow.file, allow.reason]).collect::<Vec<_>>(),
        "recipe": recipe,
    })
}

/// Every package as one JSON array, in the order given.
pub fn describe_all(packages: &[&Package]) -> String {
    let all: Vec<Value> = packages.iter().map(|package| describe(package)).collect();
    serde_json::to_string(&all).expect("a JSON value serializes")
}
