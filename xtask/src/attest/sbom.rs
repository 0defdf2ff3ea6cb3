//! `cargo xtask sbom`: what an image is made of, as an SPDX 2.3 or CycloneDX 1.6 JSON
//! document: the package with its license and supplier, each source (file, sha256, where
//! it comes from, a package URL), each image it was built from or needs to run by digest,
//! with the relationship, and every file of the image with its hashes.
//!
//! Written with serde_json rather than a crate of the formats: the Rust CycloneDX library
//! stops at 1.5 and the SPDX one at 2.2's model, and what is emitted here is a small,
//! fixed subset, checked in the tests by the formats' own validators (pyspdxtools,
//! ntia-conformance-checker, cyclonedx-python-lib's schema validation).

use std::process::ExitCode;

use anyhow::Result;
use serde_json::{json, Value};

use super::{image_purl, Facts};
use crate::cli::JsonArg;
use crate::env::Env;
use crate::registry::{Location, Source};

/// The time every document carries: the epoch builds are made at (SOURCE_DATE_EPOCH=1),
/// so that the same image gives the same bytes.
const CREATED: &str = "1970-01-01T00:00:01Z";

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// SPDX 2.3 JSON (`sbom.spdx.json`).
    Spdx,
    /// CycloneDX 1.6 JSON (`sbom.cdx.json`).
    Cyclonedx,
}

#[derive(clap::Args)]
pub struct SbomArgs {
    /// Packages whose recorded, built image to describe.
    #[arg(required = true)]
    pub packages: Vec<String>,
    #[arg(long, value_enum, default_value = "spdx")]
    pub format: Format,
    /// Write the documents here, as NAME.spdx.json or NAME.cdx.json (default: the
    /// lookaside tree, manifest/attestations/NAME@sha256=HEX/sbom.spdx.json).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

pub fn run(args: SbomArgs, env: &Env) -> Result<ExitCode> {
    super::write_each(env, &args.packages, args.out.as_deref(), args.json, |facts, _| {
        Ok(match args.format {
            Format::Spdx => (spdx(facts), "sbom.spdx.json"),
            Format::Cyclonedx => (cyclonedx(facts), "sbom.cdx.json"),
        })
    })
}

/// What a source is, for both formats.
struct SourceFacts {
    file: String,
    sha256: String,
    purl: String,
    supplier: String,
    /// An upstream URL it is fetched from, if it has one.
    url: Option<String>,
    /// Where else: a path in a Debian mirror, a registry.
    comment: String,
}

fn source_facts(source: &Source) -> SourceFacts {
    let checksum = format!("checksum=sha256:{}", source.sha256);
    let generic = |name: &str, version: Option<&str>| match version {
        Some(version) => format!("pkg:generic/{name}@{version}?{checksum}"),
        None => format!("pkg:generic/{name}?{checksum}"),
    };
    let url = source.locations.iter().find_map(|l| match l {
        Location::Url(url) => Some(url.clone()),
        _ => None,
    });
    let (purl, supplier) = match source.locations.iter().find(|l| !matches!(l, Location::Url(_))) {
        Some(Location::DebianBinary { package, version }) => {
            (format!("pkg:deb/debian/{package}@{version}?arch=amd64"), "Organization: Debian".to_owned())
        }
        Some(Location::DebianSource { package, version }) => {
            (format!("pkg:deb/debian/{package}@{version}?arch=source"), "Organization: Debian".to_owned())
        }
        Some(Location::DebianPool(path)) => {
            let file = path.rsplit('/').next().unwrap_or_default();
            let purl = match file.strip_suffix(".deb").map(|stem| stem.split('_').collect::<Vec<_>>()) {
                Some(parts) if parts.len() == 3 => {
                    format!("pkg:deb/debian/{}@{}?arch={}", parts[0], parts[1], parts[2])
                }
                _ => {
                    let project = path.split('/').nth(3).unwrap_or(file);
                    let version = crate::source::index::Tarball::of(project, file).map(|(v, _)| v);
                    generic(project, version.as_deref())
                }
            };
            (purl, "Organization: Debian".to_owned())
        }
        Some(Location::PyPI { package, version }) => {
            (format!("pkg:pypi/{package}@{version}"), "Organization: Python Package Index".to_owned())
        }
        Some(Location::Crate { name, version }) => {
            (format!("pkg:cargo/{name}@{version}"), "Organization: Rust package registry".to_owned())
        }
        Some(Location::Member { archive, path }) => {
            (generic(&source.file, None), format!("Organization: the archive {} ({path} in it)", archive.file))
        }
        Some(Location::Url(_)) | None => {
            let host = url.as_deref().and_then(|u| u.split('/').nth(2)).unwrap_or("upstream").to_owned();
            (generic(&source.file, None), format!("Organization: {host}"))
        }
    };
    let comment = source.locations.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("; ");
    SourceFacts { file: source.file.clone(), sha256: source.sha256.clone(), purl, supplier, url, comment }
}

/// An SPDX identifier made of what it names: letters, digits, `.` and `-` only.
fn spdx_id(kind: &str, name: &str) -> String {
    let clean: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect();
    format!("SPDXRef-{kind}-{clean}")
}

pub fn spdx(facts: &Facts) -> Value {
    let package = &facts.package;
    let image = "SPDXRef-Image".to_owned();
    let mut packages = Vec::new();
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": image,
    })];
    // The package verification code: sha1 over the files' sha1s, sorted (SPDX 2.3, 7.9).
    let mut sha1s: Vec<&str> = facts.files.iter().map(|f| f.sha1.as_str()).collect();
    sha1s.sort_unstable();
    let verification = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(sha1s.concat().as_bytes()));
    packages.push(json!({
        "SPDXID": image,
        "name": package.name,
        "versionInfo": package.version,
        "supplier": "Organization: cairn",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": true,
        "packageVerificationCode": { "packageVerificationCodeValue": verification },
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": package.license,
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER",
        "checksums": [],
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
            "referenceLocator": image_purl(&package.name, &facts.digest),
        }],
    }));
    for (i, source) in package.sources.iter().enumerate() {
        let s = source_facts(source);
        let id = spdx_id("Source", &format!("{i}-{}", s.file));
        packages.push(json!({
            "SPDXID": id,
            "name": s.file,
            "packageFileName": s.file,
            "supplier": s.supplier,
            "downloadLocation": s.url.clone().unwrap_or_else(|| "NOASSERTION".to_owned()),
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "SOURCE",
            "checksums": [{ "algorithm": "SHA256", "checksumValue": s.sha256 }],
            "comment": format!("fetched from: {}", s.comment),
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": s.purl,
            }],
        }));
        relationships.push(json!({
            "spdxElementId": image, "relationshipType": "GENERATED_FROM", "relatedSpdxElement": id,
        }));
    }
    for (deps, relationship) in
        [(&facts.build_deps, "BUILD_DEPENDENCY_OF"), (&facts.runtime_deps, "RUNTIME_DEPENDENCY_OF")]
    {
        for (name, version, digest) in deps {
            let id = spdx_id("Image", name);
            if !packages.iter().any(|p| p["SPDXID"] == id.as_str()) {
                packages.push(json!({
                    "SPDXID": id,
                    "name": name,
                    "versionInfo": version,
                    "supplier": "Organization: cairn",
                    "downloadLocation": "NOASSERTION",
                    "filesAnalyzed": false,
                    "licenseConcluded": "NOASSERTION",
                    "licenseDeclared": "NOASSERTION",
                    "copyrightText": "NOASSERTION",
                    "primaryPackagePurpose": "CONTAINER",
                    "externalRefs": [{
                        "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                        "referenceLocator": image_purl(name, digest),
                    }],
                }));
            }
            relationships.push(json!({
                "spdxElementId": id, "relationshipType": relationship, "relatedSpdxElement": image,
            }));
        }
    }
    let files: Vec<Value> = facts
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let id = format!("SPDXRef-File-{i}");
            relationships.push(json!({
                "spdxElementId": image, "relationshipType": "CONTAINS", "relatedSpdxElement": id,
            }));
            json!({
                "SPDXID": id,
                "fileName": f.path,
                "checksums": [
                    { "algorithm": "SHA1", "checksumValue": f.sha1 },
                    { "algorithm": "SHA256", "checksumValue": f.sha256 },
                ],
                "licenseConcluded": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            })
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}-{}", package.name, package.version),
        "documentNamespace": format!("urn:cairn:sbom:{}:sha256:{}", package.name, facts.digest_hex()),
        "creationInfo": {
            "created": CREATED,
            "creators": ["Organization: cairn", format!("Tool: cairn-xtask-{}", env!("CARGO_PKG_VERSION"))],
        },
        "documentDescribes": [image],
        "packages": packages,
        "files": files,
        "relationships": relationships,
    })
}

/// A UUID made from the image digest (the version 8, "custom", layout of RFC 9562), so
/// that the same image gives the same serial number.
fn serial(digest_hex: &str) -> String {
    let h = |range: std::ops::Range<usize>| digest_hex.get(range).unwrap_or("0").to_owned();
    format!("urn:uuid:{}-{}-8{}-{}{}-{}", h(0..8), h(8..12), h(13..16), "8", h(17..20), h(20..32))
}

pub fn cyclonedx(facts: &Facts) -> Value {
    let package = &facts.package;
    let mut components = Vec::new();
    for (i, source) in package.sources.iter().enumerate() {
        let s = source_facts(source);
        let mut component = json!({
            "type": "file",
            "bom-ref": format!("source-{i}"),
            "name": s.file,
            "purl": s.purl,
            "supplier": { "name": s.supplier.trim_start_matches("Organization: ") },
            "hashes": [{ "alg": "SHA-256", "content": s.sha256 }],
            "properties": [
                { "name": "cairn:role", "value": "source" },
                { "name": "cairn:fetched-from", "value": s.comment },
            ],
        });
        if let Some(url) = s.url {
            component["externalReferences"] = json!([{ "type": "distribution", "url": url }]);
        }
        components.push(component);
    }
    let mut depends_on = Vec::new();
    for (deps, role) in [(&facts.build_deps, "build"), (&facts.runtime_deps, "runtime")] {
        for (name, version, digest) in deps {
            let reference = format!("{role}-{name}");
            if role == "runtime" {
                depends_on.push(reference.clone());
            }
            components.push(json!({
                "type": "container",
                "bom-ref": reference,
                "name": name,
                "version": version,
                "purl": image_purl(name, digest),
                "supplier": { "name": "cairn" },
                "scope": if role == "runtime" { "required" } else { "excluded" },
                "properties": [{ "name": "cairn:role", "value": format!("{role} dependency") }],
            }));
        }
    }
    for (i, f) in facts.files.iter().enumerate() {
        components.push(json!({
            "type": "file",
            "bom-ref": format!("file-{i}"),
            "name": f.path,
            "hashes": [{ "alg": "SHA-1", "content": f.sha1 }, { "alg": "SHA-256", "content": f.sha256 }],
        }));
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial(facts.digest_hex()),
        "version": 1,
        "metadata": {
            "timestamp": CREATED,
            "tools": { "components": [{
                "type": "application", "name": "cairn-xtask", "version": env!("CARGO_PKG_VERSION"),
            }] },
            "component": {
                "type": "container",
                "bom-ref": "image",
                "name": package.name,
                "version": package.version,
                "purl": image_purl(&package.name, &facts.digest),
                "supplier": { "name": "cairn" },
                "licenses": [{ "expression": package.license }],
            },
        },
        "components": components,
        "dependencies": [{ "ref": "image", "dependsOn": depends_on }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serial_number_is_a_uuid_made_of_the_digest() {
        let serial = serial(&"0123456789abcdef".repeat(4));
        assert_eq!(serial, "urn:uuid:01234567-89ab-8def-8123-456789abcdef");
    }
}
