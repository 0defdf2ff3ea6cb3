//! Documents about an image, read by the tools of the field: an SBOM in SPDX 2.3 passes
//! SPDX's own validator and the NTIA minimum elements, one in CycloneDX 1.6 passes
//! CycloneDX's schema; each names every file of the image and what it was built from,
//! and the same image gives the same bytes.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{engine_or_skip, text, Tree};

/// The validators `.ci/setup` installs.
fn validators() -> PathBuf {
    let dir = std::env::var_os("CAIRN_VALIDATORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs_home().join(".cache/cairn/validators"));
    assert!(dir.join("bin/pyspdxtools").is_file(), "no SBOM validators in {}: run `bash .ci/setup`", dir.display());
    dir
}

fn dirs_home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
}

fn run(program: PathBuf, args: &[&str]) -> (bool, String) {
    let output = Command::new(&program).args(args).output().unwrap();
    (output.status.success(), format!("{}{}", text(&output.stdout), text(&output.stderr)))
}

#[test]
fn an_sbom_passes_its_formats_validators_names_every_file_and_is_the_same_for_the_same_image() {
    if !engine_or_skip() {
        return;
    }
    let validators = validators();
    let tree = Tree::new(&["bootstrap/musl-stage0"]);
    let (ok, items) = tree.build(&["musl-stage0"]);
    assert!(ok, "{items:#?}");
    let digest = tree.recorded_digest("musl-stage0");
    let bootstrap = tree.recorded_digest("bootstrap");

    // Into the lookaside tree by default, beside the signatures.
    tree.ok(&["sbom", "musl-stage0"]);
    tree.ok(&["sbom", "--format", "cyclonedx", "musl-stage0"]);
    let dir = tree.root.join("manifest/attestations").join(format!("musl-stage0@sha256={}", &digest[7..]));
    let spdx_path = dir.join("sbom.spdx.json");
    let cdx_path = dir.join("sbom.cdx.json");

    let (ok, said) = run(validators.join("bin/pyspdxtools"), &["-i", spdx_path.to_str().unwrap()]);
    assert!(ok, "pyspdxtools refuses the SPDX document:\n{said}");
    let (ok, said) = run(validators.join("bin/ntia-checker"), &[spdx_path.to_str().unwrap()]);
    assert!(ok && said.contains("Conformant: True"), "not the NTIA minimum elements:\n{said}");
    let script = format!(
        "from cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
         errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open({:?}).read())\n\
         print(errors)\nraise SystemExit(0 if errors is None else 1)\n",
        cdx_path.to_str().unwrap()
    );
    let (ok, said) = run(validators.join("bin/python"), &["-c", &script]);
    assert!(ok, "CycloneDX 1.6's schema refuses the document:\n{said}");

    // Every file of the image, with the sha256 `files` gives; the source and the image it
    // is built from, by digest, with the relationship.
    let spdx: serde_json::Value = serde_json::from_slice(&std::fs::read(&spdx_path).unwrap()).unwrap();
    let files: Vec<serde_json::Value> = serde_json::from_str(&tree.ok(&["files", "--json", "musl-stage0"])).unwrap();
    let listed: std::collections::BTreeSet<(String, String)> = spdx["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let sha256 = f["checksums"].as_array().unwrap().iter().find(|c| c["algorithm"] == "SHA256").unwrap();
            (f["fileName"].as_str().unwrap().to_owned(), sha256["checksumValue"].as_str().unwrap().to_owned())
        })
        .collect();
    let regular: std::collections::BTreeSet<(String, String)> = files
        .iter()
        .filter(|f| f["kind"] == "file")
        .map(|f| {
            (
                format!("./{}", f["path"].as_str().unwrap().trim_start_matches("./")),
                f["sha256"].as_str().unwrap().trim_start_matches("sha256:").to_owned(),
            )
        })
        .collect();
    assert!(!regular.is_empty());
    assert_eq!(listed, regular, "the SBOM's files are the image's");
    let text = std::fs::read_to_string(&spdx_path).unwrap();
    assert!(text.contains(&format!("pkg:oci/bootstrap@sha256%3A{}", &bootstrap[7..])), "bootstrap by digest");
    assert!(text.contains("\"BUILD_DEPENDENCY_OF\"") && text.contains("\"GENERATED_FROM\""));
    assert!(text.contains("7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"), "musl's tarball");

    // Made again, the same bytes: no time, random id or path of this run goes in.
    let again = tree.root.join("again");
    tree.ok(&["sbom", "--out", again.to_str().unwrap(), "musl-stage0"]);
    tree.ok(&["sbom", "--format", "cyclonedx", "--out", again.to_str().unwrap(), "musl-stage0"]);
    assert_eq!(std::fs::read(again.join("musl-stage0.spdx.json")).unwrap(), std::fs::read(&spdx_path).unwrap());
    assert_eq!(std::fs::read(again.join("musl-stage0.cdx.json")).unwrap(), std::fs::read(&cdx_path).unwrap());

    // Provenance needs this machine's rebuild (as signing does), then says where it was
    // made, and the in-toto attestation framework reads it as a Statement with the SLSA
    // Provenance v1 predicate.
    let said = tree.fails(&["provenance", "musl-stage0"]);
    assert!(said.contains("cargo xtask reproduce musl-stage0"), "{said}");
    tree.ok(&["reproduce", "musl-stage0"]);
    // Beside its receipt, reproduce leaves a reproduced-by statement: in-toto's Statement,
    // the image by digest, the input hash and the machine.
    let reproduced = tree.root.join("out/receipts").join(format!("musl-stage0@sha256={}.intoto.json", &digest[7..]));
    let script = format!(
        "import json\nfrom google.protobuf import json_format\nfrom in_toto_attestation.v1 import statement_pb2\n\
         from in_toto_attestation.v1.statement import Statement\n\
         d = json.load(open({:?}))\n\
         Statement.copy_from_pb(json_format.ParseDict(d, statement_pb2.Statement())).validate()\n",
        reproduced.to_str().unwrap()
    );
    let (ok, said) = run(validators.join("bin/python"), &["-c", &script]);
    assert!(ok, "the reproduced-by statement is not an in-toto Statement:\n{said}");
    let statement: serde_json::Value = serde_json::from_slice(&std::fs::read(&reproduced).unwrap()).unwrap();
    assert_eq!(statement["subject"][0]["digest"]["sha256"], &digest[7..]);
    assert_eq!(statement["predicateType"], "urn:cairn:predicate:reproduced-by:v1");
    assert_eq!(statement["predicate"]["input"], tree_input(&tree, "musl-stage0"));
    assert!(statement["predicate"]["machine"]["cpus"].as_u64().is_some(), "{statement:#}");
    tree.ok(&["provenance", "musl-stage0"]);
    let provenance_path = dir.join("provenance.json");
    let script = format!(
        "import json\nfrom google.protobuf import json_format\nfrom in_toto_attestation.v1 import statement_pb2\n\
         from in_toto_attestation.v1.statement import Statement\n\
         from in_toto_attestation.predicates.provenance.v1 import provenance_pb2\n\
         d = json.load(open({:?}))\n\
         Statement.copy_from_pb(json_format.ParseDict(d, statement_pb2.Statement())).validate()\n\
         json_format.ParseDict(d['predicate'], provenance_pb2.Provenance())\n",
        provenance_path.to_str().unwrap()
    );
    let (ok, said) = run(validators.join("bin/python"), &["-c", &script]);
    assert!(ok, "not an in-toto Statement with SLSA Provenance v1:\n{said}");
    let provenance: serde_json::Value = serde_json::from_slice(&std::fs::read(&provenance_path).unwrap()).unwrap();
    assert_eq!(provenance["subject"][0]["digest"]["sha256"], &digest[7..]);
    let definition = &provenance["predicate"]["buildDefinition"];
    assert_eq!(definition["externalParameters"]["input"], tree_input(&tree, "musl-stage0"));
    assert!(definition["internalParameters"]["machine"]["cpus"].as_u64().is_some(), "{definition:#}");
    assert!(definition["resolvedDependencies"].as_array().unwrap().iter().any(|d| d["name"] == "cairn/bootstrap"));

    // Only for the recorded image: one that is not it is refused, and nothing is written.
    let entry = tree.root.join("manifest/packages/musl-stage0.toml");
    let recorded = std::fs::read_to_string(&entry).unwrap();
    std::fs::write(&entry, recorded.replace(&digest[7..], &"0".repeat(64))).unwrap();
    let said = tree.fails(&["sbom", "--out", tree.root.join("third").to_str().unwrap(), "musl-stage0"]);
    assert!(said.contains("not the image manifest/ records"), "{said}");
    assert!(!tree.root.join("third").exists());
}

/// The input hash manifest/ records for `name` in the tree.
fn tree_input(tree: &Tree, name: &str) -> String {
    let entry: toml::Table =
        toml::from_str(&std::fs::read_to_string(tree.root.join(format!("manifest/packages/{name}.toml"))).unwrap())
            .unwrap();
    entry["input"].as_str().unwrap().to_owned()
}
