//! `cargo xtask provenance`: how an image was made, as an in-toto Statement v1 with the
//! SLSA Provenance v1 predicate: the package and its input hash as the external
//! parameters, every source and every image it is built from by digest as the resolved
//! dependencies, and the builder: this tool at its commit, on the machine that rebuilt the
//! image here (`reproduce`'s receipt, which it requires, as `sign` does).
//!
//! Checked in the tests by the in-toto attestation framework's own Python bindings.

use std::process::ExitCode;

use anyhow::{bail, Result};
use serde_json::{json, Value};

use super::{image_purl, Facts};
use crate::cli::JsonArg;
use crate::env::Env;
use crate::trust::receipt::Receipt;

/// What `buildType` says: a package of this tree built by `cargo xtask build` from its
/// Containerfile (or rootfs entries), its sources and the images it names, network off.
pub const BUILD_TYPE: &str = "urn:cairn:build-type:package:v1";

#[derive(clap::Args)]
pub struct ProvenanceArgs {
    /// Packages whose recorded image you reproduced here (`cargo xtask reproduce`).
    #[arg(required = true)]
    pub packages: Vec<String>,
    /// Write the statements here, as NAME.provenance.json (default: the lookaside tree,
    /// manifest/attestations/NAME@sha256=HEX/provenance.json).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

pub fn run(args: ProvenanceArgs, env: &Env) -> Result<ExitCode> {
    super::write_each(env, &args.packages, args.out.as_deref(), args.json, |facts, entry| {
        let receipt = match crate::trust::receipt::load(&env.out, entry)? {
            Ok(receipt) => receipt,
            Err(why) => bail!("{why}"),
        };
        Ok((statement(facts, &entry.input, &receipt), "provenance.json"))
    })
}

/// The statement: its subject the image by digest, its predicate the build.
pub fn statement(facts: &Facts, input: &str, receipt: &Receipt) -> Value {
    let package = &facts.package;
    let mut resolved = Vec::new();
    for source in &package.sources {
        let mut dependency = json!({
            "name": source.file,
            "digest": { "sha256": source.sha256 },
        });
        if let Some(url) = source.locations.iter().find_map(|l| match l {
            crate::registry::Location::Url(url) => Some(url.clone()),
            _ => None,
        }) {
            dependency["uri"] = json!(url);
        }
        resolved.push(dependency);
    }
    for (name, _version, digest) in &facts.build_deps {
        resolved.push(json!({
            "name": format!("cairn/{name}"),
            "uri": image_purl(name, digest),
            "digest": { "sha256": digest.strip_prefix("sha256:").unwrap_or(digest) },
        }));
    }
    for file in &package.files {
        resolved.push(json!({
            "name": file.name,
            "digest": { "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file.contents)) },
        }));
    }
    let machine = serde_json::to_value(&receipt.machine).unwrap_or(Value::Null);
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{
            "name": format!("cairn/{}", package.name),
            "digest": { "sha256": facts.digest_hex() },
        }],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "package": package.name,
                    "version": package.version,
                    "input": input,
                },
                "internalParameters": {
                    "engine": receipt.engine,
                    "machine": machine,
                },
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {
                    "id": builder_id(&receipt.tool),
                    "version": { "cairn-xtask": receipt.tool },
                },
                "metadata": {
                    "finishedOn": receipt.reproduced_at,
                },
            },
        },
    })
}

/// `cairn xtask 0.1.0 (commit HEX, modified)` as a URI: `urn:cairn:builder:xtask:commit:HEX`
/// (`:modified` when the tree had changes).
fn builder_id(tool: &str) -> String {
    let commit: String = tool
        .split_once("commit ")
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_hexdigit).collect())
        .unwrap_or_default();
    let modified = if tool.contains("modified") { ":modified" } else { "" };
    if commit.is_empty() {
        "urn:cairn:builder:xtask:commit:unknown".to_owned()
    } else {
        format!("urn:cairn:builder:xtask:commit:{commit}{modified}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_is_the_tool_at_its_commit() {
        assert_eq!(
            builder_id("cairn xtask 0.1.0 (commit 1bf2da00c37a4682a6b102e66204c132dc84d7b9, modified)"),
            "urn:cairn:builder:xtask:commit:1bf2da00c37a4682a6b102e66204c132dc84d7b9:modified"
        );
        assert_eq!(builder_id("cairn xtask 0.1.0 (commit ab12)"), "urn:cairn:builder:xtask:commit:ab12");
        assert_eq!(builder_id("cairn xtask 0.1.0"), "urn:cairn:builder:xtask:commit:unknown");
    }
}
