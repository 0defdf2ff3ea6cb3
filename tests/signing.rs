//! End to end: maintainers generate keys, sign real (small) OCI images, and `verify`
//! counts them; every kind of tampering is caught with its reason. Then the same
//! signatures are checked by containers/image tools: `skopeo standalone-verify`, and a
//! `policy.json` `signedBy` rule reading our lookaside tree, against a local registry.
//!
//! Each test runs the built `xtask` binary on a temporary tree holding only manifest/
//! and out/ (`CAIRN_ROOT`). Interop tests skip with a message when skopeo, gpg or
//! docker-registry are missing, except under CI (`CI` set), where that is a failure.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use openpgp::cert::prelude::*;
use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
use openpgp::serialize::SerializeInto;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A temporary cairn tree, and a place outside it for secret keys.
struct Tree {
    _temp: tempfile::TempDir,
    root: PathBuf,
    secrets: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("tree");
        let secrets = temp.path().join("secrets");
        std::fs::create_dir_all(root.join("manifest").join("packages")).unwrap();
        std::fs::create_dir_all(&secrets).unwrap();
        Tree { _temp: temp, root, secrets }
    }

    fn xtask(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .env("CAIRN_ROOT", &self.root)
            .env_remove("CAIRN_OUT")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs the xtask and expects success.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.xtask(args);
        assert!(
            output.status.success(),
            "`xtask {}` failed:\n{}{}",
            args.join(" "),
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// Builds a real one-layer OCI image layout in out/<name>/ and records it in
    /// manifest/packages/<name>.toml. Returns its manifest digest.
    fn image(&self, name: &str, content: &[u8]) -> String {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(content.len() as u64);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{name}.txt"), content).unwrap();
        let tar = tar.into_inner().unwrap();
        let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&tar).unwrap();
        let layer = gz.finish().unwrap();
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Env": ["PATH=/usr/bin:/bin"] },
            "rootfs": { "type": "layers", "diff_ids": [sha256(&tar)] },
        }))
        .unwrap();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len() },
            "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(&layer), "size": layer.len() }],
        }))
        .unwrap();
        let digest = sha256(&manifest);
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest, "size": manifest.len(),
                "annotations": { "org.opencontainers.image.ref.name": "1.0" },
            }],
        });
        let dir = self.root.join("out").join(name);
        let blobs = dir.join("blobs").join("sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        for bytes in [&layer, &config, &manifest] {
            std::fs::write(blobs.join(&sha256(bytes)[7..]), bytes).unwrap();
        }
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        let entry = format!(
            "name = \"{name}\"\nversion = \"1.0\"\ninput = \"{}\"\ndigest = \"{digest}\"\nlayer = \"{}\"\ndiff_id = \"{}\"\nsize = {}\n",
            sha256(name.as_bytes()),
            sha256(&layer),
            sha256(&tar),
            layer.len()
        );
        std::fs::write(self.root.join("manifest").join("packages").join(format!("{name}.toml")), entry).unwrap();
        // The receipt `reproduce` leaves when it rebuilt an image with its recorded digest
        // (tests/reproduce.rs shows a real one): what `sign` requires.
        let receipt = json!({
            "package": name, "version": "1.0", "input": sha256(name.as_bytes()), "digest": digest,
            "engine": "Docker 20.10.24", "reproduced_at": "2026-12-02T00:00:00Z", "seconds": 1.0,
            "tool": "cairn xtask 0.1.0",
        });
        let receipts = self.root.join("out").join("receipts");
        std::fs::create_dir_all(&receipts).unwrap();
        std::fs::write(receipts.join(format!("{name}@{}.json", digest.replace(':', "="))), receipt.to_string())
            .unwrap();
        digest
    }

    /// `keys generate` a key for `who`; returns the secret key file.
    fn generate(&self, who: &str) -> PathBuf {
        let key = self.secrets.join(format!("{who}.key"));
        self.ok(&[
            "keys",
            "generate",
            "--userid",
            &format!("{who} <{who}@example.org>"),
            "--output",
            key.to_str().unwrap(),
        ]);
        key
    }

    /// `keys generate` then `keys add` the certificate: a trusted maintainer.
    fn maintainer(&self, who: &str) -> PathBuf {
        let key = self.generate(who);
        self.ok(&["keys", "add", &format!("{}.pub", key.display())]);
        key
    }

    fn sign(&self, key: &Path, packages: &[&str]) -> String {
        let mut args = vec!["sign", "--key", key.to_str().unwrap()];
        args.extend_from_slice(packages);
        self.ok(&args)
    }

    fn signatures(&self, name: &str, digest: &str) -> PathBuf {
        self.root.join("manifest/signatures/cairn").join(format!("{name}@{}", digest.replace(':', "=")))
    }

    /// `verify --json`: exit success and the report.
    fn verify(&self, threshold: u32, packages: &[&str]) -> (bool, Value) {
        let threshold = threshold.to_string();
        let mut args = vec!["verify", "--threshold", &threshold, "--json"];
        args.extend_from_slice(packages);
        let output = self.xtask(&args);
        let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("verify --json printed no JSON ({e}):\n{}{}", text(&output.stdout), text(&output.stderr))
        });
        (output.status.success(), report)
    }

    fn fingerprint(&self, key: &Path) -> String {
        let cert = openpgp::Cert::from_bytes(&std::fs::read(key).unwrap()).unwrap();
        cert.fingerprint().to_hex()
    }
}

use openpgp::parse::Parse;
use support::text;

/// The one image named `name` in a verify report.
fn image<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["images"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap()
}

/// `file → reason` of an image's rejected signatures.
fn rejected(report: &Value, name: &str) -> Vec<(String, String)> {
    image(report, name)["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["file"].as_str().unwrap().to_owned(), r["reason"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn two_maintainers_sign_and_the_threshold_counts_them() {
    let tree = Tree::new();
    let digest = tree.image("busybox", b"hello");
    let alice = tree.maintainer("alice");
    let bob = tree.maintainer("bob");
    tree.sign(&alice, &[]);
    tree.sign(&bob, &["busybox"]);

    let dir = tree.signatures("busybox", &digest);
    assert!(dir.join("signature-1").is_file() && dir.join("signature-2").is_file());
    for (threshold, passes) in [(1, true), (2, true), (3, false)] {
        let (ok, report) = tree.verify(threshold, &[]);
        assert_eq!(ok, passes, "threshold {threshold}: {report:#}");
        assert_eq!(report["passed"], passes);
        assert_eq!(image(&report, "busybox")["valid"], 2);
    }
    let (_, report) = tree.verify(2, &["busybox"]);
    let signers: Vec<&str> = image(&report, "busybox")["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(signers, [tree.fingerprint(&alice), tree.fingerprint(&bob)]);
    assert!(rejected(&report, "busybox").is_empty());

    // Signing again is a no-op: one signer, one signature.
    let again = tree.sign(&alice, &["busybox"]);
    assert!(again.contains("already signed"), "{again}");
    assert!(!dir.join("signature-3").exists());

    // People read the same verdict.
    let output = tree.xtask(&["verify", "--threshold", "3"]);
    assert!(!output.status.success());
    let human = text(&output.stdout);
    assert!(human.contains("FAIL busybox") && human.contains("2 of 3 required"), "{human}");
}

#[test]
fn sign_refuses_an_image_not_reproduced_here() {
    let tree = Tree::new();
    let digest = tree.image("busybox", b"hello");
    let alice = tree.maintainer("alice");
    // A copy of someone else's build: out/ holds exactly the recorded image, but this
    // machine never reproduced it, so there is no receipt.
    std::fs::remove_dir_all(tree.root.join("out/receipts")).unwrap();

    let output = tree.xtask(&["sign", "--key", alice.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(error.contains("cargo xtask reproduce busybox") && error.contains("--no-reproduce-check"), "{error}");
    assert!(error.contains("no receipt"), "{error}");
    assert!(!tree.root.join("manifest/signatures").exists(), "nothing is signed");

    tree.ok(&["sign", "--key", alice.to_str().unwrap(), "--no-reproduce-check"]);
    assert!(tree.verify(1, &[]).0);

    // A rebuild that changes the digest leaves the old signatures behind, named as stale.
    let old = tree.signatures("busybox", &digest);
    let new = tree.image("busybox", b"a third build");
    let (ok, report) = tree.verify(1, &[]);
    assert!(!ok, "the new digest is not signed yet");
    assert_eq!(image(&report, "busybox")["digest"], new);
    assert_eq!(report["stale"][0].as_str().unwrap(), old.strip_prefix(&tree.root).unwrap().to_str().unwrap());
}

#[test]
fn tampered_moved_duplicated_and_unknown_signatures_are_rejected_with_their_reason() {
    let tree = Tree::new();
    let busybox = tree.image("busybox", b"hello");
    let musl = tree.image("musl", b"libc");
    let alice = tree.maintainer("alice");
    let bob = tree.maintainer("bob");
    let carol = tree.generate("carol"); // never added to the keyring
    tree.sign(&alice, &[]);
    tree.sign(&bob, &[]);
    let dir = tree.signatures("busybox", &busybox);

    // 1: a flipped byte in the signed payload (the digest's first hex digit).
    let mut bytes = std::fs::read(dir.join("signature-1")).unwrap();
    let at = bytes.windows(7).position(|w| w == b"sha256:").unwrap() + 7;
    bytes[at] ^= 0x01;
    std::fs::write(dir.join("signature-1"), bytes).unwrap();
    // 3: musl's signature moved into busybox's directory.
    std::fs::copy(tree.signatures("musl", &musl).join("signature-1"), dir.join("signature-3")).unwrap();
    // 4: bob's signature again.
    std::fs::copy(dir.join("signature-2"), dir.join("signature-4")).unwrap();
    // 5: carol's, whose key is not trusted.
    let output = tree.xtask(&["sign", "--key", carol.to_str().unwrap(), "busybox"]);
    assert!(text(&output.stderr).contains("is not in"), "sign warns about an untrusted key");
    assert!(dir.join("signature-5").is_file());
    // 7: after a gap (no signature-6), which clients never read.
    std::fs::copy(dir.join("signature-2"), dir.join("signature-7")).unwrap();

    let (ok, report) = tree.verify(2, &[]);
    assert!(!ok, "{report:#}");
    assert_eq!(
        rejected(&report, "busybox"),
        [
            ("signature-1".into(), "bad-signature".into()),
            ("signature-3".into(), "digest-mismatch".into()),
            ("signature-4".into(), "duplicate-signer".into()),
            ("signature-5".into(), "unknown-key".into()),
            ("signature-7".into(), "numbering-gap".into()),
        ]
    );
    assert_eq!(image(&report, "busybox")["valid"], 1, "only bob's signature counts");
    assert_eq!(image(&report, "musl")["valid"], 2, "musl is untouched");
    let rejection = &image(&report, "busybox")["rejected"][1];
    assert_eq!(rejection["fingerprint"], tree.fingerprint(&alice));
    assert!(rejection["detail"].as_str().unwrap().contains(&musl), "{rejection}");
}

#[test]
fn a_passphrase_protected_key_signs_only_with_its_passphrase() {
    let tree = Tree::new();
    tree.image("busybox", b"hello");
    let passphrase = tree.secrets.join("passphrase");
    std::fs::write(&passphrase, "correct horse\n").unwrap();
    let key = tree.secrets.join("alice.key");
    let (key_arg, pass_arg) = (key.to_str().unwrap(), passphrase.to_str().unwrap());
    tree.ok(&[
        "keys",
        "generate",
        "--userid",
        "alice <alice@example.org>",
        "-o",
        key_arg,
        "--passphrase-file",
        pass_arg,
    ]);
    tree.ok(&["keys", "add", &format!("{key_arg}.pub")]);

    let output = tree.xtask(&["sign", "--key", key_arg]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("--passphrase-file"), "{}", text(&output.stderr));
    let wrong = tree.secrets.join("wrong");
    std::fs::write(&wrong, "battery staple\n").unwrap();
    let output = tree.xtask(&["sign", "--key", key_arg, "--passphrase-file", wrong.to_str().unwrap()]);
    assert!(text(&output.stderr).contains("wrong passphrase"), "{}", text(&output.stderr));

    tree.ok(&["sign", "--key", key_arg, "--passphrase-file", pass_arg]);
    assert!(tree.verify(1, &[]).0);
}

#[test]
fn a_revoked_key_stops_counting() {
    let tree = Tree::new();
    tree.image("busybox", b"hello");
    let alice = tree.maintainer("alice");
    tree.sign(&alice, &[]);
    assert!(tree.verify(1, &[]).0);

    // Alice publishes her revocation certificate: it merges into her keyring entry.
    let added = tree.ok(&["keys", "add", &format!("{}.rev", alice.display())]);
    assert!(added.contains("REVOKED"), "{added}");
    let (ok, report) = tree.verify(1, &[]);
    assert!(!ok);
    assert_eq!(rejected(&report, "busybox"), [("signature-1".into(), "revoked-key".into())]);
    let listed = tree.ok(&["keys", "list"]);
    assert!(listed.contains("REVOKED"), "{listed}");
}

/// Signs the simple signing document as written in the format's specification, with
/// sequoia directly and at a chosen time: a second implementation of the format.
fn sign_as_of(cert: &openpgp::Cert, identity: &str, digest: &str, when: SystemTime) -> Vec<u8> {
    let policy = openpgp::policy::StandardPolicy::new();
    let key = cert.keys().unencrypted_secret().with_policy(&policy, when).for_signing().next().unwrap().key().clone();
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{identity}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"atomic container signature"}},"optional":{{"creator":"test"}}}}"#
    );
    let mut bytes = Vec::new();
    let message = Signer::new(Message::new(&mut bytes), key.into_keypair().unwrap())
        .unwrap()
        .creation_time(when)
        .build()
        .unwrap();
    let mut literal = LiteralWriter::new(message).build().unwrap();
    literal.write_all(payload.as_bytes()).unwrap();
    literal.finalize().unwrap();
    bytes
}

fn trust(tree: &Tree, cert: &openpgp::Cert) {
    let keys = tree.root.join("manifest/keys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(keys.join(format!("{}.asc", cert.fingerprint().to_hex())), cert.armored().to_vec().unwrap())
        .unwrap();
}

#[test]
fn an_expired_key_stops_counting() {
    let tree = Tree::new();
    let digest = tree.image("busybox", b"hello");
    let day = Duration::from_secs(86_400);
    let then = SystemTime::now() - 10 * day;
    let generate = |created: SystemTime, who: &str| {
        CertBuilder::new()
            .set_profile(openpgp::Profile::RFC4880)
            .unwrap()
            .set_creation_time(created)
            .set_validity_period(day)
            .add_userid(who)
            .add_signing_subkey()
            .generate()
            .unwrap()
            .0
    };
    // Dave's key lived one day, ten days ago; he signed during it.
    let dave = generate(then, "Dave <dave@example.org>");
    // Erin's key is alive (created an hour ago, valid a day): the control.
    let erin = generate(SystemTime::now() - Duration::from_secs(3600), "Erin <erin@example.org>");
    trust(&tree, &dave.clone().strip_secret_key_material());
    trust(&tree, &erin.clone().strip_secret_key_material());
    let dir = tree.signatures("busybox", &digest);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("signature-1"), sign_as_of(&dave, "cairn/busybox", &digest, then + day / 2)).unwrap();
    std::fs::write(
        dir.join("signature-2"),
        sign_as_of(&erin, "cairn/busybox", &digest, SystemTime::now() - Duration::from_secs(60)),
    )
    .unwrap();

    let (ok, report) = tree.verify(1, &[]);
    assert!(ok, "erin's signature, made by another implementation of the format, counts: {report:#}");
    assert_eq!(rejected(&report, "busybox"), [("signature-1".into(), "expired-key".into())]);
    assert!(!tree.verify(2, &[]).0);

    // An expired certificate cannot join the keyring.
    let expired = tree.secrets.join("dave.pub");
    std::fs::write(&expired, dave.armored().to_vec().unwrap()).unwrap();
    let output = tree.xtask(&[
        "keys",
        "add",
        "--keyring",
        tree.secrets.join("ring").to_str().unwrap(),
        expired.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("is expired"), "{}", text(&output.stderr));
}

#[test]
fn the_keyring_lists_fingerprints_and_refuses_keys_that_cannot_sign() {
    let tree = Tree::new();
    let alice = tree.maintainer("alice");
    let listed: Value = serde_json::from_str(&tree.ok(&["keys", "list", "--json"])).unwrap();
    let key = &listed["keys"][0];
    assert_eq!(key["fingerprint"], tree.fingerprint(&alice));
    assert_eq!(key["status"], "valid");
    assert_eq!(key["user_ids"][0], "alice <alice@example.org>");
    assert_eq!(key["signing_keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        key["signing_keys"][0]["fingerprint"], key["fingerprint"],
        "the primary key signs, as containers/image wants"
    );
    let stored = std::fs::read_to_string(key["file"].as_str().unwrap()).unwrap();
    assert!(stored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"), "armored, public only");
    assert!(key["file"].as_str().unwrap().ends_with(&format!("manifest/keys/{}.asc", tree.fingerprint(&alice))));

    // Adding the secret key file by mistake stores only the certificate.
    let again = tree.xtask(&["keys", "add", alice.to_str().unwrap()]);
    assert!(again.status.success() && text(&again.stderr).contains("secret key material"));
    assert!(!std::fs::read_to_string(key["file"].as_str().unwrap()).unwrap().contains("PRIVATE"));

    // A certificate with only an encryption subkey could sign nothing.
    let (cert, _) = CertBuilder::new()
        .add_userid("Frank <frank@example.org>")
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let path = tree.secrets.join("frank.pub");
    std::fs::write(&path, cert.armored().to_vec().unwrap()).unwrap();
    let output = tree.xtask(&["keys", "add", path.to_str().unwrap()]);
    assert!(!output.status.success());
    let error = text(&output.stderr);
    assert!(error.contains("frank.pub") && error.contains("no signing-capable key"), "{error}");
}

// ---- Interop with containers/image tools ----

/// A throwaway GNUPGHOME; its gpg-agent is stopped when dropped.
struct GnupgHome(tempfile::TempDir);

impl GnupgHome {
    fn new() -> GnupgHome {
        // A short path: gpg-agent's socket path is limited to ~100 bytes.
        let dir = tempfile::Builder::new().prefix("gpg").tempdir_in("/tmp").unwrap();
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        GnupgHome(dir)
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").args(["--kill", "all"]).env("GNUPGHOME", self.0.path()).status();
    }
}

#[test]
fn skopeo_standalone_verify_accepts_our_signature() {
    if !support::have(&["skopeo", "gpg", "gpgconf"]) {
        return;
    }
    let tree = Tree::new();
    let digest = tree.image("busybox", b"hello");
    let musl = tree.image("musl", b"libc");
    let alice = tree.maintainer("alice");
    tree.sign(&alice, &[]);
    let listed: Value = serde_json::from_str(&tree.ok(&["keys", "list", "--json"])).unwrap();
    let subkey = listed["keys"][0]["signing_keys"][0]["fingerprint"].as_str().unwrap().to_owned();

    let home = GnupgHome::new();
    let import = Command::new("gpg")
        .args(["--batch", "--quiet", "--import", &format!("{}.pub", alice.display())])
        .env("GNUPGHOME", home.0.path())
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", text(&import.stderr));
    let blob = |digest: &str, name: &str| tree.root.join("out").join(name).join("blobs/sha256").join(&digest[7..]);
    let verify = |manifest: PathBuf, reference: &str, signature: PathBuf| {
        Command::new("skopeo")
            .arg("standalone-verify")
            .args([manifest.as_os_str(), reference.as_ref(), subkey.as_ref(), signature.as_os_str()])
            .env("GNUPGHOME", home.0.path())
            .output()
            .unwrap()
    };
    let signature = tree.signatures("busybox", &digest).join("signature-1");
    let output = verify(blob(&digest, "busybox"), "cairn/busybox", signature.clone());
    assert!(output.status.success(), "skopeo refused our signature:\n{}{}", text(&output.stdout), text(&output.stderr));
    assert!(text(&output.stdout).contains(&digest), "{}", text(&output.stdout));

    // And it refuses what we refuse: another image's manifest, another identity.
    assert!(!verify(blob(&musl, "musl"), "cairn/busybox", signature.clone()).status.success());
    assert!(!verify(blob(&digest, "busybox"), "cairn/musl", signature).status.success());
}

#[test]
fn a_signed_by_policy_reading_our_lookaside_accepts_signed_images_and_rejects_unsigned_ones() {
    if !support::have(&["skopeo", "gpg", "gpgconf", "docker-registry"]) {
        return;
    }
    let tree = Tree::new();
    let signed = tree.image("busybox", b"hello");
    let unsigned = tree.image("musl", b"libc");
    let alice = tree.maintainer("alice");
    tree.sign(&alice, &["busybox"]);

    let registry = support::Registry::start().expect("docker-registry is installed");
    let host = format!("127.0.0.1:{}", registry.port);
    // `push` publishes out/ by digest: the registry holds exactly the recorded manifests.
    let pushed: Value = serde_json::from_str(&tree.ok(&["push", &format!("{host}/cairn"), "--json"])).unwrap();
    let pushed: Vec<(String, String)> = pushed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["reference"].as_str().unwrap().to_owned(), p["digest"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        pushed,
        [(format!("{host}/cairn/busybox:1.0"), signed.clone()), (format!("{host}/cairn/musl:1.0"), unsigned.clone())]
    );
    let inspect = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{host}/cairn/busybox@{signed}"))
        .output()
        .unwrap();
    assert!(inspect.status.success(), "{}", text(&inspect.stderr));
    assert_eq!(sha256(&inspect.stdout), signed, "the registry serves the manifest's own bytes");

    // A consumer's set-up: trust alice's key for cairn images, read signatures from our
    // lookaside tree. Our signatures name a repository, `cairn/<name>`, and no tag; for
    // such an identity containers/image accepts only an `exactRepository` (or
    // `matchRepository`) rule: `matchRepoDigestOrExact` and `remapIdentity` refuse
    // identities without a tag. So the rule names, per image, the repository it signs.
    let config = tempfile::tempdir().unwrap();
    let policy = config.path().join("policy.json");
    let rule = |name: &str| {
        json!([{
            "type": "signedBy",
            "keyType": "GPGKeys",
            "keyPath": format!("{}.pub", alice.display()),
            "signedIdentity": { "type": "exactRepository", "dockerRepository": format!("cairn/{name}") },
        }])
    };
    let policy_json = json!({
        "default": [{ "type": "reject" }],
        "transports": { "docker": {
            format!("{host}/cairn/busybox"): rule("busybox"),
            format!("{host}/cairn/musl"): rule("musl"),
        }},
    });
    std::fs::write(&policy, serde_json::to_vec_pretty(&policy_json).unwrap()).unwrap();
    let registries_d = config.path().join("registries.d");
    std::fs::create_dir_all(&registries_d).unwrap();
    std::fs::write(
        registries_d.join("cairn.yaml"),
        format!("docker:\n  {host}:\n    lookaside: file://{}\n", tree.root.join("manifest/signatures").display()),
    )
    .unwrap();
    let home = GnupgHome::new();
    let pull = |name: &str, digest: &str| {
        Command::new("skopeo")
            .arg("--policy")
            .arg(&policy)
            .arg("--registries.d")
            .arg(&registries_d)
            // The policy is checked on the source; oci: cannot store signatures.
            .args(["copy", "--quiet", "--remove-signatures", "--src-tls-verify=false"])
            .arg(format!("docker://{host}/cairn/{name}@{digest}"))
            .arg(format!("oci:{}", config.path().join(format!("pulled-{name}")).display()))
            .env("GNUPGHOME", home.0.path())
            .output()
            .unwrap()
    };
    let accepted = pull("busybox", &signed);
    assert!(accepted.status.success(), "the signed image was refused:\n{}", text(&accepted.stderr));
    let refused = pull("musl", &unsigned);
    assert!(!refused.status.success(), "an unsigned image was accepted");
    assert!(text(&refused.stderr).contains("signature"), "{}", text(&refused.stderr));

    // The consumer's policy accepts one key; our verify still asks for the quorum.
    assert!(tree.verify(1, &["busybox"]).0);
    assert!(!tree.verify(2, &["busybox"]).0);

    // Signed as published (`sign --identity`), the images pass a stock policy: a
    // signedBy rule with the default signedIdentity (matchRepoDigestOrExact). musl is
    // signed for another registry: its signature names another image, and is refused.
    let key = alice.to_str().unwrap();
    tree.ok(&["sign", "--key", key, "--identity", &format!("{host}/cairn"), "busybox"]);
    tree.ok(&["sign", "--key", key, "--identity", "registry.example.org/cairn", "musl"]);
    let stock = json!({
        "default": [{ "type": "reject" }],
        "transports": { "docker": { format!("{host}/cairn"): [{
            "type": "signedBy", "keyType": "GPGKeys", "keyPath": format!("{}.pub", alice.display()),
        }]}},
    });
    std::fs::write(&policy, serde_json::to_vec_pretty(&stock).unwrap()).unwrap();
    let accepted = pull("busybox", &signed);
    assert!(accepted.status.success(), "signed as published, refused:\n{}", text(&accepted.stderr));
    let refused = pull("musl", &unsigned);
    assert!(!refused.status.success(), "a signature for another registry was accepted");
    // podman pull, with the same policy and (through $HOME) the same registries.d, into
    // a storage of its own.
    let home_dir = config.path().join("home");
    std::fs::create_dir_all(home_dir.join(".config/containers")).unwrap();
    std::os::unix::fs::symlink(&registries_d, home_dir.join(".config/containers/registries.d")).unwrap();
    let podman_pull = |name: &str, digest: &str| {
        Command::new("podman")
            .arg("--root")
            .arg(config.path().join("storage"))
            .arg("--runroot")
            .arg(config.path().join("run"))
            .args(["--storage-driver", "vfs", "pull", "--quiet", "--tls-verify=false", "--signature-policy"])
            .arg(&policy)
            .arg(format!("docker://{host}/cairn/{name}@{digest}"))
            .env("HOME", &home_dir)
            .env("GNUPGHOME", home.0.path())
            .output()
            .unwrap()
    };
    if support::have(&["podman"]) {
        let accepted = podman_pull("busybox", &signed);
        assert!(accepted.status.success(), "podman refused the signed image:\n{}", text(&accepted.stderr));
        let refused = podman_pull("musl", &unsigned);
        assert!(!refused.status.success(), "podman accepted a signature for another registry");
    }
    // `verify` counts both identities as this image's, or only the one asked for.
    let (_, report) = tree.verify(1, &["busybox"]);
    let identities: Vec<&str> = image(&report, "busybox")["signers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["identity"].as_str())
        .collect();
    assert_eq!(identities, ["cairn/busybox".to_owned(), format!("{host}/cairn/busybox:1.0")]);
    let output = tree.xtask(&["verify", "--threshold", "1", "--identity", "registry.example.org/cairn", "musl"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = tree.xtask(&["verify", "--threshold", "1", "--identity", &format!("{host}/cairn"), "musl"]);
    assert_eq!(output.status.code(), Some(1), "musl has no signature naming {host}");
}

/// A registry that takes every upload and then reports another manifest digest, as one
/// that rewrites manifests (or lies) would.
fn hostile_registry() -> u16 {
    use std::io::{BufRead, BufReader, Read};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || loop {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).unwrap_or(0) == 0 {
                    return;
                }
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let method = request.split_whitespace().next().unwrap_or("").to_owned();
                let lie = format!("sha256:{}", "0".repeat(64));
                let response = match method.as_str() {
                    "POST" | "PATCH" => "HTTP/1.1 202 Accepted\r\nLocation: /v2/cairn/busybox/blobs/uploads/1\r\nRange: 0-0\r\nContent-Length: 0\r\n\r\n".to_owned(),
                    "PUT" => "HTTP/1.1 201 Created\r\nLocation: /v2/cairn/busybox/blobs/x\r\nContent-Length: 0\r\n\r\n".to_owned(),
                    _ => format!(
                        "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {lie}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 0\r\n\r\n"
                    ),
                };
                if stream.write_all(response.as_bytes()).is_err() {
                    return;
                }
            });
        }
    });
    port
}

#[test]
fn a_registry_that_reports_another_digest_is_an_error() {
    let tree = Tree::new();
    let digest = tree.image("busybox", b"hello");
    let port = hostile_registry();
    let output = tree.xtask(&["push", &format!("127.0.0.1:{port}/cairn"), "busybox"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let error = text(&output.stderr);
    assert!(error.contains("changed the image") && error.contains(&digest), "{error}");
}
