//! End to end: a real git repository whose commits maintainers sign with real gpg keys
//! (`git commit -S`), and `cargo xtask authenticate` walking it from a pinned
//! introduction, from the attacker's side: a key that adds itself, a commit by a key
//! that was removed, an unsigned commit, a rewritten history, a branch grown from
//! before the introduction, an introduction file inside the tree. Then `verify
//! --authenticated` counts only the keys of the authenticated commit.
//!
//! Skips with a message when git or gpg are missing, except under CI (`CI` set).

mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::text;

/// A git repository holding a cairn manifest/, a GNUPGHOME with the maintainers' keys,
/// and a configuration directory outside the tree.
struct Repo {
    _temp: tempfile::TempDir,
    root: PathBuf,
    gnupg: PathBuf,
    config: PathBuf,
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").args(["--kill", "all"]).env("GNUPGHOME", &self.gnupg).status();
    }
}

impl Repo {
    fn new() -> Repo {
        // A short path: gpg-agent's socket path is limited to ~100 bytes.
        let temp = tempfile::Builder::new().prefix("auth").tempdir_in("/tmp").unwrap();
        let root = temp.path().join("tree");
        let gnupg = temp.path().join("g");
        let config = temp.path().join("config");
        for dir in [&root, &gnupg, &config] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        std::fs::create_dir_all(root.join("manifest").join("packages")).unwrap();
        let repo = Repo { _temp: temp, root, gnupg, config };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .current_dir(&self.root)
            .env("GNUPGHOME", &self.gnupg)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Tester")
            .env("GIT_AUTHOR_EMAIL", "tester@example.org")
            .env("GIT_COMMITTER_NAME", "Tester")
            .env("GIT_COMMITTER_EMAIL", "tester@example.org")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        let output = self.run("git", args);
        assert!(output.status.success(), "git {args:?}: {}", text(&output.stderr));
        text(&output.stdout).trim().to_owned()
    }

    /// A new gpg key that can sign, without a passphrase: its fingerprint.
    fn key(&self, user_id: &str) -> String {
        let output = self.run(
            "gpg",
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                user_id,
                "ed25519",
                "sign",
                "never",
            ],
        );
        assert!(output.status.success(), "gpg: {}", text(&output.stderr));
        let listing = text(&self.run("gpg", &["--with-colons", "--list-keys", user_id]).stdout);
        listing.lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_owned()
    }

    /// Puts a key's public certificate into manifest/keys/ (not yet committed).
    fn trust(&self, fingerprint: &str) {
        let output = self.run("gpg", &["--armor", "--export", fingerprint]);
        let dir = self.root.join("manifest").join("keys");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{fingerprint}.asc")), output.stdout).unwrap();
    }

    fn distrust(&self, fingerprint: &str) {
        std::fs::remove_file(self.root.join("manifest").join("keys").join(format!("{fingerprint}.asc"))).unwrap();
    }

    /// Commits everything, signed by `signer` (or unsigned): the new commit's id.
    fn commit(&self, message: &str, signer: Option<&str>) -> String {
        std::fs::write(self.root.join("log.txt"), format!("{message}\n")).unwrap();
        self.git(&["add", "-A"]);
        let mut args = vec!["commit", "-q", "--allow-empty", "-m", message];
        let key;
        if let Some(signer) = signer {
            key = format!("-S{signer}");
            args.push(&key);
        } else {
            args.push("--no-gpg-sign");
        }
        self.git(&args);
        self.git(&["rev-parse", "HEAD"])
    }

    fn xtask(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .env("CAIRN_ROOT", &self.root)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("CAIRN_CACHE", self.config.join("cache"))
            .env("GNUPGHOME", &self.gnupg)
            .env_remove("CAIRN_OUT")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `authenticate --json` from this introduction: exit code and report.
    fn authenticate(&self, introduction: &str) -> (i32, Value) {
        let output = self.xtask(&["authenticate", "--introduction", introduction, "--json"]);
        let report = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&output.stdout), text(&output.stderr)));
        (output.status.code().unwrap(), report)
    }
}

/// The failure of a report: commit, reason.
fn failure(report: &Value) -> (String, String) {
    let failure = &report["failure"];
    (failure["commit"].as_str().unwrap_or("").to_owned(), failure["reason"].as_str().unwrap_or("").to_owned())
}

/// Alice's introduction and a repository she started; her fingerprint.
fn started() -> Option<(Repo, String, String)> {
    if !support::have(&["git", "gpg", "gpgconf"]) {
        return None;
    }
    let repo = Repo::new();
    let alice = repo.key("Alice <alice@example.org>");
    repo.commit("history before the introduction", None);
    repo.trust(&alice);
    let intro = repo.commit("Alice's key: the introduction", Some(&alice));
    Some((repo, alice.clone(), format!("{intro}:{alice}")))
}

#[test]
fn a_key_counts_only_when_a_trusted_key_added_it() {
    let Some((repo, alice, introduction)) = started() else { return };
    let bob = repo.key("Bob <bob@example.org>");
    let mallory = repo.key("Mallory <mallory@example.org>");

    // Alice adds Bob; Bob's commits then count.
    repo.trust(&bob);
    repo.commit("add Bob's key", Some(&alice));
    repo.commit("Bob's first change", Some(&bob));
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["authenticated"], true);
    assert_eq!(report["commits"], 3);
    assert_eq!(report["signers"][&alice], 2);
    assert_eq!(report["signers"][&bob], 1);

    // Mallory adds her own key in a commit she signs: it does not count.
    repo.trust(&mallory);
    let added = repo.commit("add Mallory's key", Some(&mallory));
    repo.commit("Mallory's change", Some(&mallory));
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (added.clone(), "unknown-key".to_owned()));
    assert_eq!(report["failure"]["author"], "Tester <tester@example.org>");
    assert_eq!(report["failure"]["subject"], "add Mallory's key");
    assert_eq!(report["commits"], 3, "everything before Mallory's commit was authenticated");
}

#[test]
fn a_removed_key_signs_nothing_after_its_removal() {
    let Some((repo, alice, introduction)) = started() else { return };
    let bob = repo.key("Bob <bob@example.org>");
    repo.trust(&bob);
    repo.commit("add Bob's key", Some(&alice));
    // Bob removing his own key is signed by a key the parent still trusts: it counts.
    repo.distrust(&bob);
    repo.commit("Bob steps down", Some(&bob));
    let late = repo.commit("Bob signs after stepping down", Some(&bob));
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (late, "unknown-key".to_owned()));
}

#[test]
fn a_merge_does_not_give_a_removed_key_back_its_trust() {
    let Some((repo, alice, introduction)) = started() else { return };
    let bob = repo.key("Bob <bob@example.org>");
    repo.trust(&bob);
    let added = repo.commit("add Bob's key", Some(&alice));
    repo.distrust(&bob);
    let removed = repo.commit("remove Bob's key: it leaked", Some(&alice));
    // With the leaked key, a merge of the removal and a commit from before it.
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let merge = repo.git(&["commit-tree", "-p", &removed, "-p", &added, &format!("-S{bob}"), "-m", "merge", &tree]);
    repo.git(&["reset", "-q", "--hard", &merge]);
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (merge, "unknown-key".to_owned()));
}

#[test]
fn a_signature_dated_before_its_parent_fails() {
    if !support::have(&["git", "gpg", "gpgconf"]) {
        return;
    }
    let repo = Repo::new();
    let days_ago = |days: u64| {
        let then = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
        then.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string()
    };
    // A key made three days ago, and a gpg that believes it is two days ago: what a
    // signer with a key that has since expired would use to pass for the time it lived.
    let made = repo.run(
        "gpg",
        &["--batch", "--faked-system-time", &days_ago(3), "--pinentry-mode", "loopback", "--passphrase", ""]
            .into_iter()
            .chain(["--quick-gen-key", "Alice <alice@example.org>", "ed25519", "sign", "never"])
            .collect::<Vec<_>>(),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let listing = text(&repo.run("gpg", &["--with-colons", "--list-keys", "alice@example.org"]).stdout);
    let alice = listing.lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_owned();
    repo.trust(&alice);
    let intro = repo.commit("Alice's key: the introduction", Some(&alice));
    let wrapper = repo.config.join("gpg-backdated");
    let script = format!("#!/bin/sh\nexec gpg --ignore-time-conflict --faked-system-time {} \"$@\"\n", days_ago(2));
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(repo.root.join("log.txt"), "backdated\n").unwrap();
    repo.git(&["add", "-A"]);
    let program = format!("gpg.program={}", wrapper.display());
    repo.git(&["-c", &program, "commit", "-q", "-m", "backdated", &format!("-S{alice}")]);
    let backdated = repo.git(&["rev-parse", "HEAD"]);
    let (code, report) = repo.authenticate(&format!("{intro}:{alice}"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (backdated, "unusable-key".to_owned()));
    assert!(report["failure"]["detail"].as_str().unwrap().contains("before a parent"), "{report:#}");
}

#[test]
fn a_history_that_goes_back_is_refused_as_a_rollback() {
    let Some((repo, alice, introduction)) = started() else { return };
    let before = repo.commit("one", Some(&alice));
    repo.commit("two", Some(&alice));
    assert_eq!(repo.authenticate(&introduction).0, 0);
    // The host serves the older history again: every commit in it is genuine.
    repo.git(&["reset", "-q", "--hard", &before]);
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (before.clone(), "rollback".to_owned()));
    let output = repo.xtask(&["authenticate", "--introduction", &introduction, "--allow-rollback"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(repo.authenticate(&introduction).0, 0, "going back on purpose moves the mark");
}

#[test]
fn an_unsigned_commit_or_a_wrong_introduction_fails() {
    let Some((repo, alice, introduction)) = started() else { return };
    let unsigned = repo.commit("forgot to sign", None);
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (unsigned, "unsigned".to_owned()));

    // The right commit, pinned with another key than the one that signed it.
    let bob = repo.key("Bob <bob@example.org>");
    repo.trust(&bob);
    let intro = introduction.split(':').next().unwrap();
    let (code, report) = repo.authenticate(&format!("{intro}:{bob}"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report).1, "unknown-key", "Bob's key is not in the introduction's keyring: {report:#}");

    // The pinned key is in the introduction's keyring, but it did not sign it.
    std::fs::remove_file(repo.root.join("log.txt")).unwrap();
    let both = repo.commit("Bob's key too", Some(&alice));
    let (code, report) = repo.authenticate(&format!("{both}:{bob}"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (both, "not-the-introducer".to_owned()));
}

#[test]
fn a_rewritten_history_or_a_branch_from_before_the_introduction_fails() {
    let Some((repo, alice, introduction)) = started() else { return };
    let pinned = introduction.split(':').next().unwrap().to_owned();
    repo.commit("a signed change", Some(&alice));

    // History rewritten from its root: the pinned commit is no longer an ancestor.
    repo.git(&["checkout", "-q", "--orphan", "rewritten"]);
    repo.commit("a new root, signed by Alice's key too", Some(&alice));
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report).1, "not-a-descendant");

    // A branch grown from before the introduction, merged in by a trusted key.
    repo.git(&["checkout", "-q", "main"]);
    let root = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    repo.git(&["checkout", "-q", "-b", "old", &root]);
    std::fs::create_dir_all(repo.root.join("manifest").join("keys")).unwrap();
    let mallory = repo.key("Mallory <mallory@example.org>");
    repo.trust(&mallory);
    let side = repo.commit("from before the introduction", Some(&mallory));
    repo.git(&["checkout", "-q", "main"]);
    let merged = repo.run(
        "git",
        &["merge", "-q", "--allow-unrelated-histories", "-X", "ours", &format!("-S{alice}"), "-m", "merge", "old"],
    );
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    let (commit, reason) = failure(&report);
    assert_eq!((commit.as_str(), reason.as_str()), (side.as_str(), "parent-not-authenticated"), "{report:#}");
    assert_ne!(pinned, side);
}

#[test]
fn a_commit_changed_under_its_signature_fails() {
    let Some((repo, alice, introduction)) = started() else { return };
    repo.commit("Alice's change", Some(&alice));
    // The same signature over another message: a new commit id, a signature that lies.
    let raw = repo.git(&["cat-file", "commit", "HEAD"]);
    let forged = raw.replace("Alice's change", "Mallory's change");
    let mut hash = Command::new("git")
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .current_dir(&repo.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(hash.stdin.as_mut().unwrap(), format!("{forged}\n").as_bytes()).unwrap();
    let forged = text(&hash.wait_with_output().unwrap().stdout).trim().to_owned();
    repo.git(&["reset", "-q", "--hard", &forged]);
    let (code, report) = repo.authenticate(&introduction);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failure(&report), (forged, "bad-signature".to_owned()));
}

#[test]
fn the_introduction_is_kept_outside_the_tree() {
    let Some((repo, _alice, introduction)) = started() else { return };
    // --save writes the default file, which later runs read.
    let output = repo.xtask(&["authenticate", "--introduction", &introduction, "--save"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(std::fs::read_to_string(repo.config.join("cairn").join("introduction")).unwrap().contains(&introduction));
    let output = repo.xtask(&["authenticate"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("authenticated: 1 commit(s)"), "{}", text(&output.stderr));

    // A file in the tree is the tree's to change: refused.
    let inside = repo.root.join(".cairn-introduction");
    std::fs::write(&inside, format!("{introduction}\n")).unwrap();
    let output = repo.xtask(&["authenticate", "--introduction-file", inside.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("inside the tree"), "{}", text(&output.stderr));

    // No introduction at all: how to pin one.
    std::fs::remove_file(repo.config.join("cairn").join("introduction")).unwrap();
    let output = repo.xtask(&["authenticate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--introduction COMMIT:FINGERPRINT --save"), "{}", text(&output.stderr));
}

/// A signed image recorded in manifest/ (a real layout is not needed: verify reads the
/// recorded digest and the lookaside signatures).
fn record(repo: &Repo, name: &str) -> String {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let entry = format!(
        "name = \"{name}\"\nversion = \"1\"\ninput = \"sha256:{}\"\ndigest = \"{digest}\"\nlayer = \"sha256:{}\"\ndiff_id = \"sha256:{}\"\nsize = 1\n",
        "11".repeat(32),
        "22".repeat(32),
        "33".repeat(32)
    );
    std::fs::write(repo.root.join("manifest").join("packages").join(format!("{name}.toml")), entry).unwrap();
    digest
}

/// Exports a gpg secret key to a file `sign --key` reads.
fn secret(repo: &Repo, fingerprint: &str) -> PathBuf {
    let output = repo.run(
        "gpg",
        &["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", fingerprint],
    );
    let path = repo.config.join(format!("{fingerprint}.key"));
    std::fs::write(&path, output.stdout).unwrap();
    path
}

#[test]
fn verify_authenticated_counts_only_the_keys_of_the_authenticated_commit() {
    let Some((repo, alice, introduction)) = started() else { return };
    record(&repo, "hello");
    let alice_key = secret(&repo, &alice);
    let signed = repo.xtask(&["sign", "--key", alice_key.to_str().unwrap(), "--no-reproduce-check"]);
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    repo.commit("hello, signed by Alice", Some(&alice));

    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--threshold", "2", "--authenticated", "--introduction", &introduction, "--json"];
        args.extend_from_slice(extra);
        let output = repo.xtask(&args);
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&output.stdout), text(&output.stderr)));
        (output.status.code().unwrap(), report)
    };
    // Mallory adds her key to the work tree and signs: without a commit a trusted key
    // signed, her key is not in the authenticated keyring.
    let mallory = repo.key("Mallory <mallory@example.org>");
    repo.trust(&mallory);
    let mallory_key = secret(&repo, &mallory);
    let signed = repo.xtask(&["sign", "--key", mallory_key.to_str().unwrap(), "--no-reproduce-check"]);
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let (code, report) = verify(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["keyring_authenticated"], true);
    assert_eq!(report["authenticated_commit"], repo.git(&["rev-parse", "HEAD"]));
    assert_eq!(report["images"][0]["valid"], 1, "{report:#}");
    assert_eq!(report["images"][0]["rejected"][0]["reason"], "unknown-key", "{report:#}");
    // The unauthenticated work-tree keyring would have passed her.
    let plain = repo.xtask(&["verify", "--threshold", "2", "--json"]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));

    // She commits it, signed by herself: authentication fails, nothing is verified.
    let added = repo.commit("add Mallory, sign hello", Some(&mallory));
    let (code, report) = verify(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["passed"], false);
    assert_eq!(report["authentication_failure"]["commit"], added);
    assert_eq!(report["images"].as_array().unwrap().len(), 0);

    // --authenticated and --keyring are two answers to one question.
    let output = repo.xtask(&["verify", "--threshold", "1", "--authenticated", "--keyring", "/tmp"]);
    assert_eq!(output.status.code(), Some(2));
}
