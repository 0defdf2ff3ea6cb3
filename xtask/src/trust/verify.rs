//! `cargo xtask verify`: counts valid signatures by distinct trusted keys per image.
//!
//! containers/image accepts an image signed by any one key of a policy; nothing checks
//! an M-of-N quorum at the consumer's side, so we do: an image passes only when at
//! least M different maintainers of the keyring signed exactly its recorded digest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde::Serialize;

use super::authenticate::{authenticate_here, summary, Failure, IntroductionArgs};
use super::check::{check, Expected, Identity};
use super::history::Repo;
use super::keyring::Keyring;
use super::payload::{identity, NAMESPACE};
use super::verdict::{Reason, Rejection};
use super::{keyring, lookaside, utc};
use crate::cli::JsonArg;
use crate::env::Env;
use crate::manifest::{Entry, Manifest};

/// The concepts behind the command, shown under its options by `--help`.
const ABOUT: &str = "\
For each image (every one in manifest/ when none is named), reads \
manifest/signatures/cairn/<name>@sha256=<hex>/signature-1, -2, ... and counts the good ones: made by \
a key of the keyring (manifest/keys/, one certificate per trusted maintainer) that was alive, \
not revoked and signing-capable both when the signature was made and now (every key the \
signature names as its issuer is tried), cryptographically valid, over exactly this image's identity (`cairn/<name>`) \
and recorded digest. Each maintainer counts once however many files they signed, so the threshold \
M is a number of independent people who reproduced the image. Every signature that does not count \
is listed with its reason: malformed, unknown-key, bad-signature, expired-key, revoked-key, \
unusable-key, invalid-payload, unknown-critical-field, digest-mismatch, identity-mismatch, \
duplicate-signer, numbering-gap, unexpected-file, unreadable (a FIFO, device or link, or over 64 KiB: never read). Exits 0 only when every image has M good \
signatures, 1 when one has fewer, 2 when the check cannot run.

The tree's own manifest/keys/ is under the control of whoever changes the tree: a change that \
rewrites a digest can add the keys that sign it. Verify with --authenticated: the keyring of HEAD's \
commit, once `cargo xtask authenticate` has checked every commit from your pinned introduction to \
HEAD (a key counts only if a key trusted before signed the commit adding it); if a commit fails, \
nothing is verified and verify exits 1. Or with --keyring DIR, a keyring you keep yourself, outside \
the tree. Without either, or with a --keyring inside the tree, verify says that the keyring it used \
is not authenticated (in --json: keyring_authenticated: false).";

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct VerifyArgs {
    /// Packages to verify (default: every package recorded in manifest/).
    pub packages: Vec<String>,
    /// How many distinct trusted maintainers must have signed each image.
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u32).range(1..))]
    pub threshold: u32,
    /// The keyring directory of trusted certificates (default: manifest/keys/ of the tree).
    #[arg(long, value_name = "DIR")]
    pub keyring: Option<PathBuf>,
    /// Count only signatures of the image as published there, REGISTRY/<name>:<version>
    /// (REGISTRY like 127.0.0.1:5000/cairn), as `sign --identity REGISTRY` makes them.
    #[arg(long, value_name = "REGISTRY")]
    pub identity: Option<String>,
    /// Take the keyring from manifest/keys/ of HEAD's commit (not the work tree), after
    /// authenticating every commit from the introduction to HEAD (see `authenticate`).
    #[arg(long, conflicts_with = "keyring")]
    pub authenticated: bool,
    #[command(flatten)]
    pub introduction: IntroductionArgs,
    #[command(flatten)]
    pub json: JsonArg,
}

/// `verify --json`.
#[derive(Serialize)]
struct VerifyReport<'a> {
    threshold: u32,
    keyring: &'a Path,
    /// False when the keyring is the tree's own `manifest/keys/`, which the tree under
    /// test controls; true when the user named it with `--keyring`, or with
    /// `--authenticated` once the history from the introduction to HEAD is authenticated.
    keyring_authenticated: bool,
    /// With `--authenticated`: the commit whose keyring was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticated_commit: Option<&'a str>,
    /// With `--authenticated`, when the history is not: the first commit that fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_failure: Option<&'a Failure>,
    passed: bool,
    images: &'a [ImageReport],
    /// Lookaside directories of digests manifest/ no longer records.
    stale: &'a [PathBuf],
}

/// The verdict on one image.
#[derive(Debug, Serialize)]
pub struct ImageReport {
    pub name: String,
    pub identity: String,
    pub digest: String,
    pub directory: PathBuf,
    /// Distinct trusted signers whose signature counts.
    pub valid: usize,
    pub passed: bool,
    pub signers: Vec<SignerReport>,
    pub rejected: Vec<RejectedReport>,
}

#[derive(Debug, Serialize)]
pub struct SignerReport {
    pub file: String,
    /// The primary key fingerprint: what is counted.
    pub fingerprint: String,
    /// The key that made the signature (a subkey, usually): what skopeo and gpg name.
    pub signing_key: String,
    pub user_id: Option<String>,
    pub created: Option<String>,
    /// The image identity the signature names: `cairn/<name>`, or as published.
    pub identity: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RejectedReport {
    pub file: String,
    pub reason: Reason,
    pub detail: String,
    /// The signer's primary key fingerprint, when the signer is in the keyring.
    pub fingerprint: Option<String>,
}

pub fn run(args: VerifyArgs, env: &Env) -> Result<ExitCode> {
    let root = env.root.clone();
    let manifest = Manifest::load(&root)?;
    let entries = manifest.select(&args.packages)?;
    let trusted = match trusted_keyring(env, args.keyring.as_deref(), args.authenticated, &args.introduction) {
        Err(error) => match error.downcast::<NotAuthenticated>() {
            Ok(NotAuthenticated(failure)) => {
                if args.json.json {
                    let document = VerifyReport {
                        threshold: args.threshold,
                        keyring: &keyring::default_dir(&root),
                        keyring_authenticated: false,
                        authenticated_commit: None,
                        authentication_failure: Some(&failure),
                        passed: false,
                        images: &[],
                        stale: &[],
                    };
                    println!("{}", serde_json::to_string_pretty(&document)?);
                }
                eprintln!("verify: no authenticated keyring, so nothing was verified");
                return Ok(crate::cli::verdict(false));
            }
            Err(error) => return Err(error),
        },
        Ok(trusted) => trusted,
    };
    let (keyring, authenticated, commit) = (trusted.keyring, trusted.authenticated, trusted.commit);
    if !authenticated && !args.json.json {
        eprintln!(
            "note: trusting {}, the keyring of the tree being verified, which is not authenticated: a change to the \
             tree can change it too; pass --authenticated (the keyring of HEAD, its history authenticated from your \
             introduction) or --keyring DIR with the certificates you trust",
            keyring.dir.display()
        );
    }
    let identity_target = args.identity.as_deref().map(crate::trust::payload::published).transpose()?;
    let now = SystemTime::now();
    let reports = entries
        .iter()
        .map(|entry| verify_image(&root, entry, &keyring, args.threshold, identity_target.as_ref(), now))
        .collect::<Result<Vec<_>>>()?;
    let passed = reports.iter().all(|report| report.passed);
    let stale = if args.packages.is_empty() { stale_dirs(&root, &reports)? } else { Vec::new() };
    if args.json.json {
        let document = VerifyReport {
            threshold: args.threshold,
            keyring: &keyring.dir,
            keyring_authenticated: authenticated,
            authenticated_commit: commit.as_deref(),
            authentication_failure: None,
            passed,
            images: &reports,
            stale: &stale,
        };
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        print_human(&reports, &keyring, args.threshold, passed);
        if !stale.is_empty() {
            println!("note: signatures of digests manifest/ no longer records (superseded builds; delete them when you like):");
            for dir in &stale {
                println!("  {}", super::shown(&dir.display().to_string()));
            }
        }
    }
    Ok(crate::cli::verdict(passed))
}

/// A keyring and whether the user chose it.
pub struct TrustedKeyring {
    pub keyring: Keyring,
    /// Named by the user (outside the tree), or HEAD's once its history is authenticated.
    pub authenticated: bool,
    /// With `--authenticated`: the commit whose keyring it is.
    pub commit: Option<String>,
}

/// `--authenticated` was asked for and the history does not authenticate.
#[derive(Debug)]
pub struct NotAuthenticated(pub Failure);

impl std::fmt::Display for NotAuthenticated {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "the history does not authenticate: commit {} ({:?}): {}",
            self.0.commit, self.0.reason, self.0.detail
        )
    }
}

impl std::error::Error for NotAuthenticated {}

/// The keyring to judge signatures with: HEAD's after authenticating the history
/// (`authenticated`), the directory named, else the tree's own (not authenticated). The
/// tree under test can rewrite its own keyring along with its digests: only a keyring the
/// user names is one they chose to trust.
pub fn trusted_keyring(
    env: &Env,
    named: Option<&Path>,
    authenticated: bool,
    introduction: &IntroductionArgs,
) -> Result<TrustedKeyring> {
    let root = &env.root;
    if authenticated {
        let resolved = introduction.resolve(root)?;
        let mut repo = Repo::open(root)?;
        let outcome = authenticate_here(&mut repo, introduction, &resolved, "HEAD", &env.cache)?;
        eprintln!("{}", summary(&outcome));
        if let Some(failure) = outcome.failure {
            return Err(NotAuthenticated(failure).into());
        }
        let keyring = Keyring::clone(&*repo.keyring(&outcome.end)?);
        return Ok(TrustedKeyring { keyring, authenticated: true, commit: Some(outcome.end) });
    }
    let inside = |dir: &Path| dir.canonicalize().is_ok_and(|dir| root.canonicalize().is_ok_and(|r| dir.starts_with(r)));
    let chosen = named.is_some_and(|dir| !inside(dir));
    let dir = named.map(Path::to_owned).unwrap_or_else(|| keyring::default_dir(root));
    Ok(TrustedKeyring { keyring: Keyring::load(&dir)?, authenticated: chosen, commit: None })
}

/// Judges every file of one image's lookaside directory.
pub fn verify_image(
    root: &Path,
    entry: &Entry,
    keyring: &Keyring,
    threshold: u32,
    registry: Option<&crate::reference::Target>,
    now: SystemTime,
) -> Result<ImageReport> {
    let identity = identity(&entry.name);
    let dir = lookaside::lookaside_dir(root, &entry.name, &entry.digest);
    let published = registry.map(|target| target.identity(&entry.name, &entry.version));
    let expected = Expected {
        identity: match &published {
            Some(exact) => Identity::Exact(exact),
            None => Identity::Of(&entry.name),
        },
        digest: &entry.digest,
    };
    let (numbered, others) = lookaside::list_dir(&dir)?;
    let mut signers = Vec::new();
    let mut rejected = Vec::new();
    let mut counted = BTreeSet::new();
    let file_name = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut reject = |path: &Path, rejection: Rejection| {
        rejected.push(RejectedReport {
            file: file_name(path),
            reason: rejection.reason,
            detail: rejection.detail,
            fingerprint: rejection.signer,
        });
    };
    for (index, (n, path)) in numbered.iter().enumerate() {
        let expected_n = index as u32 + 1;
        if *n != expected_n {
            // containers/image reads signature-1, -2, ... and stops at the first gap.
            reject(
                path,
                Rejection::new(Reason::NumberingGap, format!("signature-{expected_n} is missing, so clients stop before this file; renumber the files from signature-1")),
            );
            continue;
        }
        let bytes = match crate::workspace::read_regular(path, super::verdict::SIGNATURE_CAP) {
            Ok(bytes) => bytes,
            Err(error) => {
                reject(path, Rejection::new(Reason::Unreadable, format!("{error:#}")));
                continue;
            }
        };
        match check(&bytes, keyring, &expected, now) {
            // One signer may sign the image under several identities (`cairn/<name>`, and
            // as published); the same identity twice is a duplicate. Either way they count once.
            Ok(valid) if !counted.insert((valid.signer.clone(), valid.identity.clone())) => {
                let mut rejection = Rejection::new(
                    Reason::DuplicateSigner,
                    format!(
                        "{} signed this image as {} in an earlier file already; a maintainer counts once",
                        valid.signer,
                        valid.identity.as_deref().unwrap_or("this identity")
                    ),
                );
                rejection.signer = Some(valid.signer);
                reject(path, rejection);
            }
            Ok(valid) => signers.push(SignerReport {
                file: file_name(path),
                fingerprint: valid.signer,
                signing_key: valid.signing_key,
                user_id: valid.user_id,
                created: valid.created.map(utc),
                identity: valid.identity,
            }),
            Err(rejection) => reject(path, rejection),
        }
    }
    for path in &others {
        reject(path, Rejection::new(Reason::UnexpectedFile, "not a signature-N file; clients ignore it: remove it"));
    }
    let distinct = signers.iter().map(|s| s.fingerprint.as_str()).collect::<BTreeSet<_>>().len();
    Ok(ImageReport {
        name: entry.name.clone(),
        identity,
        digest: entry.digest.clone(),
        directory: dir.strip_prefix(root).map(Path::to_owned).unwrap_or(dir),
        valid: distinct,
        passed: distinct >= threshold as usize,
        signers,
        rejected,
    })
}

/// Lookaside directories that belong to no recorded image: signatures of old builds.
fn stale_dirs(root: &Path, reports: &[ImageReport]) -> Result<Vec<PathBuf>> {
    let namespace = lookaside::lookaside_root(root).join(NAMESPACE);
    let read = match std::fs::read_dir(&namespace) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", namespace.display())),
    };
    let current: BTreeSet<PathBuf> = reports.iter().map(|report| root.join(&report.directory)).collect();
    let mut stale = Vec::new();
    for item in read {
        let path = item.with_context(|| format!("reading {}", namespace.display()))?.path();
        if !current.contains(&path) && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            stale.push(path.strip_prefix(root).map(Path::to_owned).unwrap_or(path));
        }
    }
    stale.sort();
    Ok(stale)
}

fn print_human(reports: &[ImageReport], keyring: &Keyring, threshold: u32, passed: bool) {
    for report in reports {
        println!(
            "{} {:<20} {}  {} of {threshold} required signer(s)",
            if report.passed { "PASS" } else { "FAIL" },
            report.name,
            report.digest,
            report.valid
        );
        for signer in &report.signers {
            println!(
                "     ok       {:<12} {} {}",
                signer.file,
                signer.fingerprint,
                super::shown(signer.user_id.as_deref().unwrap_or(""))
            );
        }
        for rejection in &report.rejected {
            println!(
                "     rejected {:<12} {}: {}",
                super::shown(&rejection.file),
                rejection.reason,
                super::shown(&rejection.detail)
            );
        }
        if report.signers.is_empty() && report.rejected.is_empty() {
            println!("     no signatures in {}", report.directory.display());
        }
    }
    let failed = reports.iter().filter(|r| !r.passed).count();
    if passed {
        println!("all {} image(s) have at least {threshold} trusted signer(s)", reports.len());
    } else {
        println!("{failed} of {} image(s) lack {threshold} trusted signer(s)", reports.len());
        if keyring.certs.is_empty() {
            println!(
                "the keyring {} is empty: add maintainers with `cargo xtask keys add FILE`",
                keyring.dir.display()
            );
        }
    }
}
