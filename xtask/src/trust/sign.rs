//! `cargo xtask sign`: a maintainer signs the recorded digests of images they rebuilt.
//!
//! A signature says "I rebuilt this image from the tree and got exactly this digest";
//! `verify` then counts how many independent maintainers said so. That is why `sign`
//! refuses an image unless `reproduce` left a receipt for its recorded digest and input
//! here: sign what you reproduced, not what someone else built.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::crypto::Password;
use openpgp::policy::StandardPolicy;
use openpgp::types::RevocationStatus;
use openpgp::Cert;

use super::check::{check, Expected, Identity};
use super::keyring::{Keyring, Trusted};
use super::payload::{identity, Payload};
use super::verdict::Reason;
use super::{keyring, lookaside};
use crate::env::Env;
use crate::manifest::{Entry, Manifest};

/// The concepts behind the command, shown under its options by `--help`.
const ABOUT: &str = "\
A signature says: I rebuilt this image from the tree and got exactly this digest. For each image \
(every one in manifest/ when none is named), `sign` requires the receipt that `cargo xtask reproduce` \
wrote when it rebuilt the image here from scratch and got the digest and input that \
manifest/packages/<name>.toml records (out/receipts/<name>@sha256=<hex>.json; a layout in out/ is \
not enough, it may be a copy), then writes a containers/image \"simple signing\" signature of `cairn/<name>` at that digest to \
manifest/signatures/cairn/<name>@sha256=<hex>/signature-N. An image your key signed already is \
skipped. Commit the new files: `cargo xtask verify --threshold M` counts the maintainers who signed.";

/// `sign --json`.
#[derive(serde::Serialize)]
struct SignReport<'a> {
    /// The primary key that signed.
    fingerprint: &'a str,
    images: &'a [Signed<'a>],
}

/// One image in `sign --json`.
#[derive(serde::Serialize)]
struct Signed<'a> {
    name: &'a str,
    digest: &'a str,
    /// The identity signed: `cairn/<name>`, or as published.
    identity: String,
    /// `signed`, or `already-signed` by this key.
    status: &'static str,
    /// The signature file.
    file: PathBuf,
}

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct SignArgs {
    /// Packages to sign (default: every package recorded in manifest/).
    pub packages: Vec<String>,
    /// Your OpenPGP secret key (armored or binary), e.g. from `cargo xtask keys generate`.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    #[command(flatten)]
    pub json: crate::cli::JsonArg,
    /// Unlock the key with the passphrase in this file (first line) instead of asking.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Sign the image as published there: the identity REGISTRY/<name>:<version>
    /// (REGISTRY like 127.0.0.1:5000/cairn, its last path component `cairn`), which a
    /// consumer's containers/image policy matches with its default signedIdentity.
    #[arg(long, value_name = "REGISTRY")]
    pub identity: Option<String>,
    /// Sign without a receipt from `reproduce` for the recorded digest. Only when you
    /// checked the digest some other way: a signature vouches for a rebuild.
    #[arg(long)]
    pub no_reproduce_check: bool,
}

pub fn run(args: SignArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let root = env.root.clone();
    let manifest = Manifest::load(&root)?;
    let entries = manifest.select(&args.packages)?;
    if !args.no_reproduce_check {
        check_reproduced(&env.out, &entries)?;
    }
    let source = KeySource::File { path: args.key.clone(), passphrase_file: args.passphrase_file.clone() };
    let mut key = source.load()?;
    warn_if_untrusted(&root, &key.cert);

    // Our own certificate alone: to recognise what this key signed already.
    let own =
        Keyring { dir: args.key.clone(), certs: vec![Trusted { path: args.key.clone(), cert: key.cert.clone() }] };
    let (mut signed, mut skipped) = (0, 0);
    let mut report = Vec::new();
    let target = args.identity.as_deref().map(crate::trust::payload::published).transpose()?;
    for entry in entries {
        let identity = match &target {
            Some(target) => target.identity(&entry.name, &entry.version),
            None => identity(&entry.name),
        };
        let dir = lookaside::lookaside_dir(&root, &entry.name, &entry.digest);
        let expected = Expected { identity: Identity::Exact(&identity), digest: &entry.digest };
        let (numbered, _) = lookaside::list_dir(&dir)?;
        if let Some((_, n)) = numbered.keys().enumerate().find(|(i, n)| **n != *i as u32 + 1) {
            bail!(
                "{}: signature-{n} follows a gap in the numbering (containers/image stops reading at the first missing number); renumber the files from signature-1 before signing",
                dir.display()
            );
        }
        if let Some(path) = already_signed(&numbered, &own, &expected, &key.cert)? {
            if !args.json.json {
                println!("skip  {:<20} {} already signed by this key in {}", entry.name, entry.digest, path.display());
            }
            report.push(Signed {
                name: &entry.name,
                digest: &entry.digest,
                identity,
                status: "already-signed",
                file: path,
            });
            skipped += 1;
            continue;
        }
        let bytes = make(&Payload::new(&identity, &entry.digest), key.signer.as_mut())
            .with_context(|| format!("signing {}", entry.name))?;
        let path = write_next(&dir, numbered.len() as u32 + 1, &bytes)?;
        if !args.json.json {
            println!("sign  {:<20} {} -> {}", entry.name, entry.digest, path.display());
        }
        report.push(Signed { name: &entry.name, digest: &entry.digest, identity, status: "signed", file: path });
        signed += 1;
    }
    let fingerprint = key.cert.fingerprint().to_string();
    let summary = format!("{signed} signed, {skipped} already signed by {fingerprint}");
    args.json.print(&SignReport { fingerprint: &fingerprint, images: &report }, || println!("{summary}"))?;
    if args.json.json {
        eprintln!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A maintainer counter-signs only what they rebuilt: every image needs a receipt that
/// `reproduce` wrote here for its recorded digest and input. All are checked before
/// anything is signed.
fn check_reproduced(out: &Path, entries: &[&Entry]) -> Result<()> {
    let mut problems = Vec::new();
    for entry in entries {
        if let Some(problem) = crate::trust::receipt::missing(out, entry)? {
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        bail!(
            "refusing to sign, nothing was signed:\n  {}\n(a signature vouches that you rebuilt the image: `reproduce` \
             leaves a receipt in out/receipts/ for each image it rebuilt with its recorded digest; an image in out/ \
             proves nothing, it may be a copy. --no-reproduce-check skips this check when you verified the digest \
             another way)",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// The file in which this key already signed this image, if it did. A signature of ours
/// that does not verify is an error: signing again would add a duplicate signer.
fn already_signed(
    numbered: &std::collections::BTreeMap<u32, PathBuf>,
    own: &Keyring,
    expected: &Expected,
    cert: &Cert,
) -> Result<Option<PathBuf>> {
    for path in numbered.values() {
        let bytes = crate::workspace::read_regular(path, super::verdict::SIGNATURE_CAP)?;
        match check(&bytes, own, expected, SystemTime::now()) {
            Ok(_) => return Ok(Some(path.clone())),
            // Not ours, or ours for another identity of the image.
            Err(rejection)
                if matches!(rejection.reason, Reason::UnknownKey | Reason::Malformed | Reason::IdentityMismatch) => {}
            Err(rejection) => bail!(
                "{} is a signature by your key {} that does not count ({rejection}); remove it (and renumber the later files) before signing again",
                path.display(),
                cert.fingerprint()
            ),
        }
    }
    Ok(None)
}

/// Writes `signature-N` for the first free N from `next`, never replacing a file another
/// signer wrote meanwhile.
fn write_next(dir: &Path, next: u32, bytes: &[u8]) -> Result<PathBuf> {
    crate::workspace::write_first_free(dir, (next..).map(|n| format!("signature-{n}")), bytes)
}

fn warn_if_untrusted(root: &Path, cert: &Cert) {
    let dir = keyring::default_dir(root);
    match Keyring::load(&dir) {
        Ok(keyring) if keyring.certs.iter().any(|t| t.cert.fingerprint() == cert.fingerprint()) => {}
        Ok(_) => eprintln!(
            "note: key {} is not in {}: its signatures count once a maintainer adds its certificate (`cargo xtask keys add FILE.pub`)",
            cert.fingerprint(),
            dir.display()
        ),
        Err(e) => eprintln!("note: could not read the keyring: {e:#}"),
    }
}

/// Where a signing key lives. A secret key file today; a gpg-agent or smartcard source
/// is one more variant returning the same pair (sequoia-gpg-agent's `KeyPair`
/// implements `crypto::Signer`), and nothing else changes.
pub enum KeySource {
    File { path: PathBuf, passphrase_file: Option<PathBuf> },
}

/// A certificate and a signer for its signing key.
pub struct SigningKey {
    pub cert: Cert,
    pub signer: Box<dyn openpgp::crypto::Signer + Send + Sync>,
}

impl KeySource {
    pub fn load(&self) -> Result<SigningKey> {
        match self {
            KeySource::File { path, passphrase_file } => load_file(path, passphrase_file.as_deref()),
        }
    }
}

fn load_file(path: &Path, passphrase_file: Option<&Path>) -> Result<SigningKey> {
    let mut certs = keyring::read_certs(path)?;
    if certs.len() != 1 {
        bail!("{} holds {} keys; give a file holding only yours", path.display(), certs.len());
    }
    let cert = certs.remove(0);
    if !cert.is_tsk() {
        bail!("{} is a public certificate, with no secret key: give the secret key file (`keys generate` writes it as FILE, the certificate as FILE.pub)", path.display());
    }
    let policy = StandardPolicy::new();
    let valid = cert.with_policy(&policy, None).with_context(|| {
        format!("{}: key {} is not valid under the OpenPGP policy", path.display(), cert.fingerprint())
    })?;
    if let RevocationStatus::Revoked(_) = valid.revocation_status() {
        bail!("{}: key {} is revoked; make a new key", path.display(), cert.fingerprint());
    }
    valid.alive().with_context(|| format!("{}: key {} has expired; extend its expiry (e.g. `gpg --quick-set-expire`) and publish the certificate again", path.display(), cert.fingerprint()))?;
    let key = valid
        .keys()
        .secret()
        .for_signing()
        .alive()
        .revoked(false)
        .supported()
        .next()
        .with_context(|| format!("{}: key {} has no secret signing key that is alive and not revoked (is the subkey's secret on a smartcard?)", path.display(), cert.fingerprint()))?
        .key()
        .clone();
    if key.fingerprint() != cert.fingerprint() {
        eprintln!(
            "note: {} signs with subkey {}: containers/image before mid-2025 (Debian 12's skopeo and podman) accepts only signatures by a primary key in `signedBy` policies; `cargo xtask verify` counts both",
            path.display(),
            key.fingerprint()
        );
    }
    let key = if key.has_unencrypted_secret() {
        key
    } else {
        let password = match passphrase_file {
            Some(file) => super::keys::read_passphrase_file(file)?,
            None if std::io::stdin().is_terminal() => {
                Password::from(rpassword::prompt_password(format!("Passphrase for {} ({}): ", cert.fingerprint(), path.display()))?)
            }
            None => bail!("{}: the key is protected by a passphrase and there is no terminal to ask on: give --passphrase-file FILE", path.display()),
        };
        key.decrypt_secret(&password)
            .map_err(|_| anyhow::anyhow!("{}: wrong passphrase for key {}", path.display(), cert.fingerprint()))?
    };
    let signer = key.into_keypair().with_context(|| format!("{}: the signing key cannot be used", path.display()))?;
    Ok(SigningKey { cert: cert.strip_secret_key_material(), signer: Box::new(signer) })
}

/// Signs a payload: a binary OpenPGP signed message, not compressed, not armored.
pub fn make(payload: &Payload, signer: &mut (dyn openpgp::crypto::Signer + Send + Sync)) -> Result<Vec<u8>> {
    use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
    let mut bytes = Vec::new();
    let message = Message::new(&mut bytes);
    let message = Signer::new(message, Borrowed(signer)).context("starting an OpenPGP signature")?.build()?;
    let mut literal = LiteralWriter::new(message).build()?;
    literal.write_all(&payload.to_json())?;
    literal.finalize().context("finishing the OpenPGP signature")?;
    Ok(bytes)
}

/// Lends a signer to sequoia's streaming `Signer`, which wants to own one, so a key
/// unlocked once (or an agent connection) signs many images.
struct Borrowed<'a>(&'a mut (dyn openpgp::crypto::Signer + Send + Sync));

impl openpgp::crypto::Signer for Borrowed<'_> {
    fn public(
        &self,
    ) -> &openpgp::packet::Key<openpgp::packet::key::PublicParts, openpgp::packet::key::UnspecifiedRole> {
        self.0.public()
    }
    fn acceptable_hashes(&self) -> &[openpgp::types::HashAlgorithm] {
        self.0.acceptable_hashes()
    }
    fn sign(
        &mut self,
        hash_algo: openpgp::types::HashAlgorithm,
        digest: &[u8],
    ) -> openpgp::Result<openpgp::crypto::mpi::Signature> {
        self.0.sign(hash_algo, digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_never_written_over_another() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("signature-1"), b"theirs").unwrap();
        let path = write_next(dir.path(), 1, b"ours").unwrap();
        assert_eq!(path, dir.path().join("signature-2"));
        assert_eq!(std::fs::read(dir.path().join("signature-1")).unwrap(), b"theirs");
        assert_eq!(std::fs::read(path).unwrap(), b"ours");
    }
}
