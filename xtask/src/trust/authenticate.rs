//! `cargo xtask authenticate`: the tree's history, checked from an introduction the
//! user pinned, so that the keyring `verify` trusts is one no single change can forge.
//!
//! As Guix's `git authenticate`: the introduction names a commit and the fingerprint of
//! its signer. Every commit after it, up to the one checked, must carry an OpenPGP
//! signature (git's `gpgsig` header) by a key in `manifest/keys/` of its parent (of
//! every one of its parents, for a merge, as Guix has it). A commit that adds a key is trusted only if a key
//! already trusted signed it; one that removes a key ends that key's trust for every
//! later commit. Stricter than Guix in one point: every parent must itself be the
//! introduction or authenticated, so a branch grown from history older than the
//! introduction cannot be merged in under keys that were never authenticated.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::str::FromStr;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use openpgp::parse::Parse;
use openpgp::types::SignatureType;
use openpgp::{Fingerprint, Packet, PacketPile};

use super::check::signer;
use super::history::{short, Commit, Repo};
use super::keyring::{Keyring, Trusted};
use super::shown;
use crate::cli::JsonArg;
use crate::env::Env;

/// The concepts behind the command, shown under its options by `--help`.
const ABOUT: &str = "\
The introduction is the one thing you pin by hand, once: a commit of this repository and the \
fingerprint of the key that signed it, as COMMIT:FINGERPRINT, from someone you trust (the project's \
README, a maintainer in person). From it, every commit up to HEAD must be signed (git commit -S, an \
OpenPGP signature; checked here with Sequoia, not gpg) by a key that manifest/keys/ of its parent \
commit holds. So a commit that adds a key counts only if an already trusted key signed it, and a \
key removed from manifest/keys/ signs nothing after its removal. A merge trusts only the keys all \
its parents trust; every parent must be the introduction or a commit authenticated here.

Each machine remembers the last commit it authenticated from an introduction (in the cache, \
~/.cache/cairn/authenticated/); a later history that does not hold it is refused as a rollback \
(--allow-rollback to go back on purpose).

The introduction comes from --introduction, else from --introduction-file FILE, else from \
$XDG_CONFIG_HOME/cairn/introduction (~/.config/cairn/introduction): a file holding the one line \
COMMIT:FINGERPRINT. Keep it outside the tree: a file the tree holds is refused, since a change to \
the tree could change it. --save writes --introduction to that file.

Exits 0 when every commit is authenticated, 1 at the first that is not (reported with its author \
and why), 2 when the check cannot run (no git history, no introduction).";

/// How far a commit's signature may claim to be older than its parents' signatures.
const CLOCKS: std::time::Duration = std::time::Duration::from_secs(3600);

/// Where the introduction comes from; shared by `authenticate` and `verify --authenticated`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct IntroductionArgs {
    /// The introduction, COMMIT:FINGERPRINT: a commit and the primary key fingerprint of
    /// its signer, pinned by you.
    #[arg(long, value_name = "COMMIT:FINGERPRINT")]
    pub introduction: Option<Introduction>,
    /// A file holding the introduction (default: $XDG_CONFIG_HOME/cairn/introduction).
    #[arg(long, value_name = "FILE", conflicts_with = "introduction")]
    pub introduction_file: Option<PathBuf>,
    /// Accept a history that does not hold the last commit authenticated here (going
    /// back on purpose); without it, that is refused as a rollback.
    #[arg(long)]
    pub allow_rollback: bool,
}

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct AuthenticateArgs {
    #[command(flatten)]
    pub introduction: IntroductionArgs,
    /// Write --introduction to the introduction file, to be used from now on.
    #[arg(long, requires = "introduction")]
    pub save: bool,
    /// The last commit to authenticate.
    #[arg(long, value_name = "COMMIT", default_value = "HEAD")]
    pub end: String,
    #[command(flatten)]
    pub json: JsonArg,
}

/// A commit and the fingerprint of its signer's primary key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Introduction {
    pub commit: String,
    pub signer: Fingerprint,
}

impl FromStr for Introduction {
    type Err = String;

    fn from_str(text: &str) -> Result<Introduction, String> {
        let (commit, fingerprint) =
            text.trim().split_once(':').ok_or_else(|| format!("`{text}` is not COMMIT:FINGERPRINT"))?;
        let commit = commit.trim().to_ascii_lowercase();
        if !(commit.len() == 40 || commit.len() == 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "`{commit}` is not a full commit id (40 or 64 hex digits): an introduction pins one exact commit"
            ));
        }
        let hex: String = fingerprint.chars().filter(|c| !c.is_whitespace()).collect();
        if !(hex.len() == 40 || hex.len() == 64) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "`{}` is not a key fingerprint (40 or 64 hex digits): a key ID is too short to pin",
                fingerprint.trim()
            ));
        }
        let signer = hex.parse::<Fingerprint>().map_err(|e| format!("`{hex}` is not a fingerprint: {e}"))?;
        Ok(Introduction { commit, signer })
    }
}

impl std::fmt::Display for Introduction {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}:{}", self.commit, self.signer.to_hex())
    }
}

impl IntroductionArgs {
    /// The introduction to use, from the flag or the file, refusing a file inside `root`.
    pub fn resolve(&self, root: &Path) -> Result<Introduction> {
        if let Some(introduction) = &self.introduction {
            return Ok(introduction.clone());
        }
        let path = match &self.introduction_file {
            Some(path) => path.clone(),
            None => default_file().context(
                "no introduction: pass --introduction COMMIT:FINGERPRINT (and --save to keep it), or --introduction-file FILE",
            )?,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.introduction_file.is_none() => bail!(
                "no introduction: {} does not exist. Pin the commit and signer you trust once with \
                 `cargo xtask authenticate --introduction COMMIT:FINGERPRINT --save`",
                path.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("reading the introduction {}", path.display())),
        };
        if inside(&path, root) {
            bail!(
                "{} is inside the tree it would authenticate: whoever changes the tree could change it. \
                 Keep the introduction outside the tree (the default is $XDG_CONFIG_HOME/cairn/introduction)",
                path.display()
            );
        }
        let line = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .with_context(|| format!("{} holds no COMMIT:FINGERPRINT line", path.display()))?;
        line.parse().map_err(|e: String| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// `$XDG_CONFIG_HOME/cairn/introduction`.
fn default_file() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("cairn").join("introduction"))
}

fn inside(path: &Path, root: &Path) -> bool {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match (parent.canonicalize(), root.canonicalize()) {
        (Ok(parent), Ok(root)) => parent.starts_with(root),
        _ => false,
    }
}

/// Why a commit is not authenticated. The kebab-case names are part of `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// The commit carries no signature.
    Unsigned,
    /// The signature is not one OpenPGP signature over the commit.
    Malformed,
    /// The signing key is not in the keyring of the commit's parents.
    UnknownKey,
    /// The signature does not verify: the commit was changed, or it is forged.
    BadSignature,
    /// The key was expired, revoked or unable to sign when the commit was signed.
    UnusableKey,
    /// The introduction is signed by another key than the one pinned.
    NotTheIntroducer,
    /// The introduction is not an ancestor of the commit checked.
    NotADescendant,
    /// A parent is older than the introduction, so its keyring was never authenticated.
    ParentNotAuthenticated,
    /// The history does not hold the last commit authenticated on this machine.
    Rollback,
}

/// The first commit that is not authenticated.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub commit: String,
    pub author: String,
    pub subject: String,
    pub reason: Refusal,
    pub detail: String,
}

/// What walking the history concluded.
pub struct Outcome {
    pub introduction: Introduction,
    /// The last commit checked, in full.
    pub end: String,
    /// Commits authenticated, the introduction included.
    pub authenticated: usize,
    /// Authenticated commits per signer's primary key fingerprint.
    pub signers: BTreeMap<String, usize>,
    pub failure: Option<Failure>,
}

/// Authenticates every commit from the introduction to `end`.
pub fn authenticate(repo: &mut Repo, introduction: &Introduction, end: &str) -> Result<Outcome> {
    let end = repo.resolve(end)?;
    if introduction.commit.len() != repo.id_len() {
        bail!(
            "the introduction names a {}-digit commit id, but this repository's ids have {} digits",
            introduction.commit.len(),
            repo.id_len()
        );
    }
    let start = match repo.resolve(&introduction.commit) {
        Ok(start) => start,
        Err(e) if repo.is_shallow() => {
            return Err(e.context("the clone is shallow: fetch the whole history (git fetch --unshallow)"))
        }
        Err(e) => return Err(e.context("the introduction's commit is not in this repository")),
    };
    let mut outcome = Outcome {
        introduction: introduction.clone(),
        end: end.clone(),
        authenticated: 0,
        signers: BTreeMap::new(),
        failure: None,
    };
    let refuse = |commit: &Commit, reason: Refusal, detail: String| Failure {
        commit: commit.id.clone(),
        author: commit.author.clone(),
        subject: commit.subject.clone(),
        reason,
        detail,
    };

    if start != introduction.commit {
        bail!("the introduction {} resolves to another commit, {start}: pin a full commit id", introduction.commit);
    }
    let first = repo.commit(&start)?;
    if !repo.is_ancestor(&start, &end)? {
        let last = repo.commit(&end)?;
        outcome.failure = Some(refuse(
            &last,
            Refusal::NotADescendant,
            format!(
                "the introduction {} is not an ancestor of {}: this history does not grow from the commit you pinned",
                short(&start),
                short(&end)
            ),
        ));
        return Ok(outcome);
    }
    // The introduction's signer is the pinned key, whose certificate the introduction
    // (or its parent) holds: the pin, not that keyring, is what makes it trusted.
    let mut introducer = None;
    for source in std::iter::once(&start).chain(first.parents.iter()) {
        let keyring = repo.keyring(source)?;
        if let Some(trusted) = keyring.certs.iter().find(|t| t.cert.fingerprint() == introduction.signer) {
            introducer = Some(Keyring { dir: keyring.dir.clone(), certs: vec![trusted.clone()] });
            break;
        }
    }
    let Some(introducer) = introducer else {
        outcome.failure = Some(refuse(
            &first,
            Refusal::UnknownKey,
            format!(
                "manifest/keys/ of the introduction holds no certificate {}: the introduction must be a commit whose keyring has its signer's key",
                introduction.signer.to_hex()
            ),
        ));
        return Ok(outcome);
    };
    let mut signed_at: HashMap<String, SystemTime> = HashMap::new();
    match judge(&first, &introducer) {
        Ok((fingerprint, when)) => {
            *outcome.signers.entry(fingerprint).or_default() += 1;
            signed_at.insert(start.clone(), when);
        }
        Err((Refusal::UnknownKey, detail)) => {
            outcome.failure = Some(refuse(
                &first,
                Refusal::NotTheIntroducer,
                format!("the introduction must be signed by {}, the key you pinned: {detail}", introduction.signer),
            ));
            return Ok(outcome);
        }
        Err((reason, detail)) => {
            outcome.failure = Some(refuse(&first, reason, detail));
            return Ok(outcome);
        }
    }
    outcome.authenticated = 1;

    let mut trusted: HashSet<String> = HashSet::from([start.clone()]);
    for (id, parents) in repo.descendants(&start, &end)? {
        let commit = repo.commit(&id)?;
        if let Some(parent) = parents.iter().find(|p| !trusted.contains(*p)) {
            outcome.failure = Some(refuse(
                &commit,
                Refusal::ParentNotAuthenticated,
                format!(
                    "its parent {} is older than the introduction {} and was never authenticated: rebase the branch onto an authenticated commit",
                    short(parent),
                    short(&start)
                ),
            ));
            return Ok(outcome);
        }
        if commit.parents != parents {
            outcome.failure = Some(refuse(
                &commit,
                Refusal::Malformed,
                "git lists other parents for it than the commit object names".into(),
            ));
            return Ok(outcome);
        }
        let keyrings = parents.iter().map(|p| repo.keyring(p)).collect::<Result<Vec<_>>>()?;
        let keyring = intersection(&keyrings, &commit)?;
        match judge(&commit, &keyring) {
            // The signer chooses the time a signature claims: it may not go back before
            // its parents' (with an hour for clocks that differ), so a key that expired
            // or was retired cannot date a new commit into its past life.
            Ok((_, when)) if parents.iter().any(|p| signed_at.get(p).is_some_and(|t| when + CLOCKS < *t)) => {
                outcome.failure = Some(refuse(
                    &commit,
                    Refusal::UnusableKey,
                    format!("its signature claims {}, more than an hour before a parent's was made", super::utc(when)),
                ));
                return Ok(outcome);
            }
            Ok((fingerprint, when)) => {
                *outcome.signers.entry(fingerprint).or_default() += 1;
                signed_at.insert(id.clone(), when);
            }
            Err((reason, detail)) => {
                outcome.failure = Some(refuse(&commit, reason, detail));
                return Ok(outcome);
            }
        }
        trusted.insert(id);
        outcome.authenticated += 1;
    }
    Ok(outcome)
}

/// The keyring a merge is judged by: the certificates every parent holds (merged, so a
/// revocation or new expiry in one copy counts). A key one parent removed is not
/// trusted for a merge that also descends from an older commit that still had it.
fn intersection(keyrings: &[Rc<Keyring>], commit: &Commit) -> Result<Keyring> {
    if let [one] = keyrings {
        return Ok(Keyring::clone(one));
    }
    let mut certs: Vec<Trusted> = Vec::new();
    for trusted in &keyrings[0].certs {
        let mut cert = trusted.cert.clone();
        let mut everywhere = true;
        for other in &keyrings[1..] {
            match other.certs.iter().find(|t| t.cert.fingerprint() == cert.fingerprint()) {
                Some(copy) => {
                    cert = cert.merge_public(copy.cert.clone()).context("merging two versions of one certificate")?
                }
                None => everywhere = false,
            }
        }
        if everywhere {
            certs.push(Trusted { path: trusted.path.clone(), cert });
        }
    }
    Ok(Keyring { dir: PathBuf::from(format!("every parent of {}", short(&commit.id))), certs })
}

/// Where the last commit authenticated from an introduction on this machine is kept.
fn last_path(cache: &Path, introduction: &Introduction) -> PathBuf {
    cache.join("authenticated").join(format!("{}-{}", introduction.commit, introduction.signer.to_hex()))
}

/// Authenticates from the introduction to `end`, then refuses a history that does not
/// hold the last commit authenticated here: a host that serves an older branch (one
/// grown from before a key was removed, say) is not taken at its word. The commit
/// authenticated now becomes the last one when it descends from it.
pub fn authenticate_here(
    repo: &mut Repo,
    introduction: &IntroductionArgs,
    resolved: &Introduction,
    end: &str,
    cache: &Path,
) -> Result<Outcome> {
    let mut outcome = authenticate(repo, resolved, end)?;
    if outcome.failure.is_some() {
        return Ok(outcome);
    }
    let path = last_path(cache, resolved);
    let last = std::fs::read_to_string(&path).ok().map(|text| text.trim().to_owned()).filter(|t| !t.is_empty());
    if let Some(last) = &last {
        let holds = repo.resolve(last).is_ok() && repo.is_ancestor(last, &outcome.end)?;
        if !holds && !introduction.allow_rollback {
            let commit = repo.commit(&outcome.end)?;
            outcome.failure = Some(Failure {
                commit: commit.id,
                author: commit.author,
                subject: commit.subject,
                reason: Refusal::Rollback,
                detail: format!(
                    "this history does not hold {last}, which was authenticated here before ({}): the repository \
                     went back or was rewritten; pass --allow-rollback if you meant to go back",
                    path.display()
                ),
            });
            return Ok(outcome);
        }
        if holds || introduction.allow_rollback {
            crate::workspace::write_atomic(&path, format!("{}\n", outcome.end).as_bytes())?;
        }
    } else {
        crate::workspace::write_atomic(&path, format!("{}\n", outcome.end).as_bytes())?;
    }
    Ok(outcome)
}

/// Checks a commit's signature against a keyring: the signer's primary fingerprint.
/// The key is judged when the commit was signed: a key that expires later does not
/// undo the history it signed (a key compromised is revoked with a hard revocation,
/// which OpenPGP applies to every time, or removed from the keyring).
fn judge(commit: &Commit, keyring: &Keyring) -> Result<(String, SystemTime), (Refusal, String)> {
    let Some(armored) = &commit.signature else {
        return Err((
            Refusal::Unsigned,
            "the commit is not signed; every commit after the introduction must be (git commit -S)".into(),
        ));
    };
    if armored.starts_with(b"-----BEGIN SSH SIGNATURE") || armored.starts_with(b"-----BEGIN SIGNED MESSAGE") {
        return Err((
            Refusal::Malformed,
            "the commit is signed with SSH or X.509 (gpg.format); cairn's maintainers sign with OpenPGP keys".into(),
        ));
    }
    let pile =
        PacketPile::from_bytes(armored).map_err(|e| (Refusal::Malformed, format!("not an OpenPGP signature: {e}")))?;
    let signatures: Vec<_> = pile
        .children()
        .map(|packet| match packet {
            Packet::Signature(sig) => Ok(sig),
            other => Err((Refusal::Malformed, format!("the signature holds a {} packet", other.tag()))),
        })
        .collect::<Result<_, _>>()?;
    let [signature] = signatures.as_slice() else {
        return Err((
            Refusal::Malformed,
            format!("the commit holds {} signatures; one signer signs one commit", signatures.len()),
        ));
    };
    // What `git commit -S` makes; a text signature would also fit the commit with its
    // line ends changed.
    if signature.typ() != SignatureType::Binary {
        return Err((
            Refusal::Malformed,
            format!("a {} signature is not one over the commit's bytes", signature.typ()),
        ));
    }
    let valid = signer(signature, &commit.payload, keyring, SystemTime::now(), &[]).map_err(|rejection| {
        use super::verdict::Reason;
        let reason = match rejection.reason {
            Reason::UnknownKey => Refusal::UnknownKey,
            Reason::BadSignature => Refusal::BadSignature,
            Reason::Malformed => Refusal::Malformed,
            _ => Refusal::UnusableKey,
        };
        let detail = match rejection.reason {
            Reason::UnknownKey => format!(
                "{}; a key is trusted for a commit only if manifest/keys/ of its parent holds it, so a commit adding a key must be signed by a key trusted before",
                rejection.detail
            ),
            _ => rejection.detail,
        };
        (reason, detail)
    })?;
    Ok((valid.signer, valid.created.unwrap_or(SystemTime::UNIX_EPOCH)))
}

/// `authenticate --json`.
#[derive(Serialize)]
struct Report<'a> {
    introduction: IntroductionReport,
    end: &'a str,
    authenticated: bool,
    /// Commits authenticated, the introduction included.
    commits: usize,
    signers: &'a BTreeMap<String, usize>,
    failure: Option<&'a Failure>,
}

#[derive(Serialize)]
struct IntroductionReport {
    commit: String,
    signer: String,
}

pub fn run(args: AuthenticateArgs, env: &Env) -> Result<ExitCode> {
    let introduction = args.introduction.resolve(&env.root)?;
    if args.save {
        save(&introduction, args.introduction.introduction_file.as_deref(), &env.root)?;
    }
    let mut repo = Repo::open(&env.root)?;
    let outcome = authenticate_here(&mut repo, &args.introduction, &introduction, &args.end, &env.cache)?;
    if args.json.json {
        let report = Report {
            introduction: IntroductionReport {
                commit: introduction.commit.clone(),
                signer: introduction.signer.to_hex(),
            },
            end: &outcome.end,
            authenticated: outcome.failure.is_none(),
            commits: outcome.authenticated,
            signers: &outcome.signers,
            failure: outcome.failure.as_ref(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    eprintln!("{}", summary(&outcome));
    Ok(crate::cli::verdict(outcome.failure.is_none()))
}

/// The human summary of an outcome.
pub fn summary(outcome: &Outcome) -> String {
    match &outcome.failure {
        None => format!(
            "authenticated: {} commit(s) from the introduction {} to {}, signed by {} key(s)",
            outcome.authenticated,
            short(&outcome.introduction.commit),
            short(&outcome.end),
            outcome.signers.len()
        ),
        Some(failure) => format!(
            "NOT authenticated: commit {} by {} (\"{}\"): {}: {}\n({} commit(s) after the introduction {} were authenticated before it)",
            failure.commit,
            shown(&failure.author),
            shown(&failure.subject),
            serde_json::to_value(failure.reason).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            shown(&failure.detail),
            outcome.authenticated.saturating_sub(1),
            short(&outcome.introduction.commit)
        ),
    }
}

/// Writes the introduction file, whole or not at all.
fn save(introduction: &Introduction, file: Option<&Path>, root: &Path) -> Result<()> {
    let path = match file {
        Some(path) => path.to_owned(),
        None => default_file().context("no configuration directory: pass --introduction-file FILE")?,
    };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if inside(&path, root) {
        bail!("{} is inside the tree it would authenticate: keep the introduction outside the tree", path.display());
    }
    let mut temp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("writing in {}", dir.display()))?;
    use std::io::Write;
    writeln!(temp, "# The introduction `cargo xtask authenticate` starts from: COMMIT:FINGERPRINT")?;
    writeln!(temp, "{introduction}")?;
    temp.as_file().sync_all()?;
    temp.persist(&path).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("saved the introduction {introduction} to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_introduction_pins_a_full_commit_and_a_full_fingerprint() {
        let commit = "0af74a1e53adde63061fe9343fb575ccb49ed35c";
        let fpr = "212A 3E09 9824 7DBA BABF  3A8B 6B83 9539 D8CD D33D";
        let introduction: Introduction = format!("{commit}:{fpr}").parse().unwrap();
        assert_eq!(introduction.commit, commit);
        assert_eq!(introduction.signer.to_hex(), "212A3E0998247DBABABF3A8B6B839539D8CDD33D");
        assert!(format!("0af74a1:{fpr}").parse::<Introduction>().unwrap_err().contains("full commit id"));
        assert!(format!("{commit}:6B839539D8CDD33D").parse::<Introduction>().unwrap_err().contains("key ID"));
        assert!(commit.parse::<Introduction>().is_err());
    }
}
