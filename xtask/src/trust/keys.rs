//! `cargo xtask keys`: the keyring of trusted maintainers, `manifest/keys/`.
//!
//! The keyring is the root of trust of `verify`: one armored OpenPGP certificate per
//! maintainer, named by its fingerprint, reviewed in a diff like any other file. Only
//! public material enters it. Adding a certificate that is already there merges the two,
//! which is how a maintainer publishes a new expiry date or a revocation.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use openpgp::cert::prelude::*;
use openpgp::crypto::Password;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::{KeyFlags, RevocationStatus};
use openpgp::Cert;

use super::keyring::{default_dir, read_certs, Keyring, Trusted};
use super::{shown, utc};
use crate::cli::JsonArg;
use crate::env::Env;

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key: for newcomers, and for tests.
    ///
    /// Writes three files: FILE, the secret key (keep it private, mode 0600); FILE.pub,
    /// the public certificate to add to the keyring (`cargo xtask keys add FILE.pub`, then
    /// commit manifest/keys/ for review); FILE.rev, a revocation certificate (keep it
    /// apart: adding it to the keyring withdraws the key's trust if the secret is lost or
    /// stolen). The key is one OpenPGP v4 Ed25519 primary key that certifies and signs,
    /// with no subkey: containers/image before mid-2025 (containers/image#2905; the skopeo
    /// and podman of Debian 12) accepts a `signedBy` signature only by a primary key.
    Generate(GenerateArgs),
    /// Add a maintainer's certificate to the keyring, or update one already there.
    ///
    /// The certificate must hold a key able to sign now (not expired, not revoked);
    /// a certificate already in the keyring is merged instead, so new expiry dates and
    /// revocations are taken as they come. Secret key material is never stored.
    Add(AddArgs),
    /// List the trusted certificates with their fingerprints and signing keys.
    ///
    /// skopeo and gpg name the key that actually made a signature: the primary key for
    /// keys made by `keys generate`, else a signing subkey, listed under its certificate.
    List(ListArgs),
}

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Who the key belongs to, e.g. "Alice Liddell <alice@example.org>".
    #[arg(long, value_name = "NAME <EMAIL>")]
    pub userid: String,
    /// Where to write the secret key (FILE.pub and FILE.rev are written beside it).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// How long the key is valid: e.g. 2y, 90d, 12h, or `never`. An expired key's
    /// signatures stop counting until its owner extends it.
    #[arg(long, value_name = "DURATION", default_value = "3y", value_parser = parse_validity)]
    pub expires_in: Validity,
    /// Protect the secret key with the passphrase in this file (first line). Without it,
    /// you are asked on a terminal; with no terminal the key is left unprotected.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

/// `keys generate --json`.
#[derive(serde::Serialize)]
struct Generated<'a> {
    fingerprint: String,
    userid: &'a str,
    secret_key: &'a Path,
    /// Whether a passphrase protects the secret key.
    protected: bool,
    certificate: &'a Path,
    revocation: &'a Path,
}

/// One certificate in `keys add --json`.
#[derive(serde::Serialize)]
struct Added {
    fingerprint: String,
    /// `added`, `updated` or `unchanged`.
    status: &'static str,
    /// The keyring file.
    file: PathBuf,
}

#[derive(clap::Args)]
pub struct AddArgs {
    /// Files holding certificates (armored or binary), e.g. FILE.pub or FILE.rev from
    /// `keys generate`, or `gpg --export --armor KEYID`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The keyring directory (default: manifest/keys/ of the tree).
    #[arg(long, value_name = "DIR")]
    pub keyring: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// The keyring directory (default: manifest/keys/ of the tree).
    #[arg(long, value_name = "DIR")]
    pub keyring: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

pub fn run(command: KeysCommand, env: &Env) -> Result<ExitCode> {
    let keyring = |given: &Option<PathBuf>| given.clone().unwrap_or_else(|| default_dir(&env.root));
    match command {
        KeysCommand::Generate(args) => generate(args),
        KeysCommand::Add(args) => add(&args, &keyring(&args.keyring)),
        KeysCommand::List(args) => list(&args, &keyring(&args.keyring)),
    }
}

/// Reads a passphrase: the first line of a file.
pub fn read_passphrase_file(path: &Path) -> Result<Password> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the passphrase file {}", path.display()))?;
    let line = text.lines().next().unwrap_or_default();
    Ok(Password::from(line))
}

/// How long a new key is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity(pub Option<Duration>);

fn parse_validity(text: &str) -> Result<Validity, String> {
    if text == "never" {
        return Ok(Validity(None));
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration like 2y, 90d, 12h, 30m, 10s or `never`"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(format!("`{text}`: the unit must be one of s, m, h, d, w, y (or say `never`)")),
    };
    if number == 0 {
        return Err("a key valid for no time at all could sign nothing: give a positive duration".into());
    }
    Ok(Validity(Some(Duration::from_secs(number * seconds))))
}

fn generate(args: GenerateArgs) -> Result<ExitCode> {
    let public = sibling(&args.output, "pub");
    let revocation = sibling(&args.output, "rev");
    for path in [&args.output, &public, &revocation] {
        if path.exists() {
            bail!("{} exists already; choose another --output (a secret key is never overwritten)", path.display());
        }
    }
    let password = match &args.passphrase_file {
        Some(path) => Some(read_passphrase_file(path)?),
        None if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("Passphrase for the new key (empty for none): ")?;
            let second = rpassword::prompt_password("Repeat the passphrase: ")?;
            if first != second {
                bail!("the two passphrases differ; run the command again");
            }
            (!first.is_empty()).then(|| Password::from(first))
        }
        None => None,
    };
    let protected = password.is_some();
    let (cert, revocation_signature) = CertBuilder::new()
        .set_profile(openpgp::Profile::RFC4880)?
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .add_userid(args.userid.as_str())
        .set_validity_period(args.expires_in.0)
        .set_password(password)
        .generate()
        .context("generating the key")?;
    let (revoked, _) = cert.clone().strip_secret_key_material().insert_packets(revocation_signature)?;

    write_new(&args.output, &cert.as_tsk().armored().to_vec()?, 0o600)?;
    write_new(&public, &cert.armored().to_vec()?, 0o644)?;
    write_new(&revocation, &revoked.armored().to_vec()?, 0o600)?;

    let generated = Generated {
        fingerprint: cert.fingerprint().to_string(),
        userid: &args.userid,
        secret_key: &args.output,
        protected,
        certificate: &public,
        revocation: &revocation,
    };
    args.json.print(&generated, || {
        println!("generated {} ({}), a signing key", cert.fingerprint(), args.userid);
        println!(
            "  secret key:     {}{}",
            args.output.display(),
            if protected { "" } else { " (NOT protected by a passphrase)" }
        );
        println!("  certificate:    {}", public.display());
        println!("  revocation:     {} (keep it apart from the secret key)", revocation.display());
        println!("next: `cargo xtask keys add {}` and commit manifest/keys/ for review", public.display());
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `FILE` → `FILE.<ext>`.
fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| format!("writing {}", path.display()))
}

fn add(args: &AddArgs, dir: &Path) -> Result<ExitCode> {
    let mut keyring = Keyring::load(dir)?;
    let policy = StandardPolicy::new();
    let mut report = Vec::new();
    // The human report, unless the JSON one is asked for.
    let say = |line: String| {
        if !args.json.json {
            println!("{line}");
        }
    };
    for file in &args.files {
        for cert in read_certs(file)? {
            if cert.is_tsk() {
                eprintln!(
                    "note: {} holds secret key material; only the public certificate goes into the keyring",
                    file.display()
                );
            }
            let cert = cert.strip_secret_key_material();
            let fingerprint = cert.fingerprint();
            if let Some(trusted) = keyring.certs.iter_mut().find(|t| t.cert.fingerprint() == fingerprint) {
                let merged = trusted
                    .cert
                    .clone()
                    .merge_public(cert)
                    .with_context(|| format!("merging {} into {}", file.display(), trusted.path.display()))?;
                if merged == trusted.cert {
                    say(format!("unchanged {fingerprint}: {} holds nothing new", file.display()));
                    report.push(Added {
                        fingerprint: fingerprint.to_string(),
                        status: "unchanged",
                        file: trusted.path.clone(),
                    });
                    continue;
                }
                crate::workspace::write_atomic(&trusted.path, &merged.armored().to_vec()?)?;
                trusted.cert = merged;
                say(format!(
                    "updated {fingerprint} in {}: now {}",
                    trusted.path.display(),
                    Status::of(&trusted.cert, &policy).describe()
                ));
                report.push(Added {
                    fingerprint: fingerprint.to_string(),
                    status: "updated",
                    file: trusted.path.clone(),
                });
                continue;
            }
            if let Err(why) = can_sign(&cert, &policy) {
                bail!(
                    "{}: certificate {fingerprint} {why}, so no signature of it could count; ask its owner for a certificate with a valid signing key",
                    file.display()
                );
            }
            let path = dir.join(format!("{}.asc", fingerprint.to_hex()));
            crate::workspace::write_atomic(&path, &cert.armored().to_vec()?)?;
            say(format!(
                "added {fingerprint} ({}) as {}",
                primary_userid(&cert, &policy).unwrap_or_default(),
                path.display()
            ));
            report.push(Added { fingerprint: fingerprint.to_string(), status: "added", file: path.clone() });
            keyring.certs.push(Trusted { path, cert });
        }
    }
    args.json.print(&report, || {})?;
    Ok(ExitCode::SUCCESS)
}

/// Why a certificate cannot make a signature `verify` would count now, if it cannot.
fn can_sign(cert: &Cert, policy: &StandardPolicy) -> Result<(), String> {
    let valid = cert.with_policy(policy, None).map_err(|e| format!("is not valid under the OpenPGP policy ({e})"))?;
    if let RevocationStatus::Revoked(_) = valid.revocation_status() {
        return Err("is revoked".into());
    }
    valid.alive().map_err(|e| format!("is expired ({e})"))?;
    if valid.keys().for_signing().alive().revoked(false).next().is_none() {
        return Err("has no signing-capable key that is alive and not revoked".into());
    }
    Ok(())
}

fn primary_userid(cert: &Cert, policy: &StandardPolicy) -> Option<String> {
    let valid = cert.with_policy(policy, None).ok()?;
    let uid = valid.primary_userid().ok()?;
    Some(String::from_utf8_lossy(uid.userid().value()).into_owned())
}

/// A certificate's state now, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum Status {
    Valid { expires: Option<String> },
    Expired { expired: Option<String> },
    Revoked,
    Unusable { detail: String },
}

impl Status {
    fn of(cert: &Cert, policy: &StandardPolicy) -> Status {
        let valid = match cert.with_policy(policy, None) {
            Ok(valid) => valid,
            Err(e) => return Status::Unusable { detail: e.to_string() },
        };
        if let RevocationStatus::Revoked(_) = valid.revocation_status() {
            return Status::Revoked;
        }
        let expires = valid.primary_key().key_expiration_time().map(utc);
        match valid.alive() {
            Ok(()) => match can_sign(cert, policy) {
                Ok(()) => Status::Valid { expires },
                Err(detail) => Status::Unusable { detail },
            },
            Err(_) => Status::Expired { expired: expires },
        }
    }

    fn describe(&self) -> String {
        match self {
            Status::Valid { expires: Some(t) } => format!("valid, expires {t}"),
            Status::Valid { expires: None } => "valid, never expires".into(),
            Status::Expired { expired: Some(t) } => format!("EXPIRED since {t}"),
            Status::Expired { expired: None } => "EXPIRED".into(),
            Status::Revoked => "REVOKED".into(),
            Status::Unusable { detail } => format!("UNUSABLE: {detail}"),
        }
    }
}

#[derive(Serialize)]
struct Listed {
    fingerprint: String,
    user_ids: Vec<String>,
    #[serde(flatten)]
    status: Status,
    signing_keys: Vec<SigningKey>,
    file: PathBuf,
}

#[derive(Serialize)]
struct SigningKey {
    fingerprint: String,
    expires: Option<String>,
}

/// `keys list --json`.
#[derive(Serialize)]
struct KeyringReport<'a> {
    keyring: &'a Path,
    keys: &'a [Listed],
}

fn list(args: &ListArgs, dir: &Path) -> Result<ExitCode> {
    let keyring = Keyring::load(dir)?;
    let policy = StandardPolicy::new();
    let now = SystemTime::now();
    let listed: Vec<Listed> = keyring
        .certs
        .iter()
        .map(|trusted| {
            let cert = &trusted.cert;
            let signing_keys = match cert.with_policy(&policy, now) {
                Ok(valid) => valid
                    .keys()
                    .for_signing()
                    .map(|key| SigningKey {
                        fingerprint: key.key().fingerprint().to_hex(),
                        expires: key.key_expiration_time().map(utc),
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            Listed {
                fingerprint: cert.fingerprint().to_hex(),
                user_ids: cert
                    .userids()
                    .map(|uid| String::from_utf8_lossy(uid.userid().value()).into_owned())
                    .collect(),
                status: Status::of(cert, &policy),
                signing_keys,
                file: trusted.path.clone(),
            }
        })
        .collect();
    if args.json.json {
        let document = KeyringReport { keyring: &keyring.dir, keys: &listed };
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(ExitCode::SUCCESS);
    }
    if listed.is_empty() {
        println!("{}: no trusted keys yet; add one with `cargo xtask keys add FILE`", keyring.dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}: {} trusted certificate(s)", keyring.dir.display(), listed.len());
    for key in &listed {
        println!();
        println!(
            "{}  {}",
            key.fingerprint,
            key.user_ids.first().map(|uid| shown(uid)).unwrap_or("(no user ID)".into())
        );
        for uid in key.user_ids.iter().skip(1) {
            println!("{:42}{}", "", shown(uid));
        }
        println!("  status:  {}", key.status.describe());
        for signing in &key.signing_keys {
            let expires = signing.expires.as_deref().map(|t| format!(", expires {t}")).unwrap_or_default();
            println!("  signing: {}{expires}", signing.fingerprint);
        }
        println!("  file:    {}", key.file.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::check::tests::generate;

    #[test]
    fn validity_durations_read_as_people_write_them() {
        assert_eq!(parse_validity("2y"), Ok(Validity(Some(Duration::from_secs(2 * 365 * 86_400)))));
        assert_eq!(parse_validity("90d"), Ok(Validity(Some(Duration::from_secs(90 * 86_400)))));
        assert_eq!(parse_validity("never"), Ok(Validity(None)));
        assert!(parse_validity("0d").is_err());
        assert!(parse_validity("3 months").is_err());
        assert!(parse_validity("y").is_err());
    }

    #[test]
    fn the_keyring_loads_a_certificate_named_by_its_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let alice = generate("Alice <alice@example.org>").strip_secret_key_material();
        let path = dir.path().join(format!("{}.asc", alice.fingerprint().to_hex()));
        std::fs::write(&path, alice.armored().to_vec().unwrap()).unwrap();
        let keyring = Keyring::load(dir.path()).unwrap();
        assert_eq!(keyring.certs.len(), 1);
        assert_eq!(keyring.certs[0].path, path);
        assert_eq!(keyring.certs[0].cert.fingerprint(), alice.fingerprint());
    }

    #[test]
    fn a_secret_key_in_the_keyring_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let alice = generate("Alice <alice@example.org>");
        std::fs::write(dir.path().join("alice.asc"), alice.as_tsk().armored().to_vec().unwrap()).unwrap();
        let error = format!("{:#}", Keyring::load(dir.path()).unwrap_err());
        assert!(error.contains("alice.asc holds secret key material"), "{error}");
    }

    #[test]
    fn a_keyring_file_is_named_by_its_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let alice = generate("Alice <alice@example.org>");
        let public = alice.clone().strip_secret_key_material().armored().to_vec().unwrap();
        std::fs::write(dir.path().join("alice.asc"), &public).unwrap();
        let error = format!("{:#}", Keyring::load(dir.path()).unwrap_err());
        assert!(error.contains(&format!("rename it to {}.asc", alice.fingerprint().to_hex())), "{error}");
        std::fs::rename(dir.path().join("alice.asc"), dir.path().join(format!("{}.asc", alice.fingerprint().to_hex())))
            .unwrap();
        assert_eq!(Keyring::load(dir.path()).unwrap().certs.len(), 1);
    }

    #[test]
    fn a_certificate_without_a_signing_key_cannot_be_added() {
        let (cert, _) = CertBuilder::new()
            .set_profile(openpgp::Profile::RFC4880)
            .unwrap()
            .add_userid("Carol <carol@example.org>")
            .add_transport_encryption_subkey()
            .generate()
            .unwrap();
        let why = can_sign(&cert, &StandardPolicy::new()).unwrap_err();
        assert!(why.contains("no signing-capable key"), "{why}");
    }
}
