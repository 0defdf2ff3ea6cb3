//! The repository's history as `authenticate` reads it: each commit's parents, author,
//! OpenPGP signature and the exact bytes it signs, and the keyring its tree holds in
//! `manifest/keys/`. Objects are read from git's object store through one
//! `git cat-file --batch` process, never from the work tree; nothing is written.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::rc::Rc;

use anyhow::{bail, Context, Result};

use super::keyring::Keyring;

/// One commit as its signature sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub parents: Vec<String>,
    /// `Name <email>` of the author line.
    pub author: String,
    /// The first line of the message.
    pub subject: String,
    /// The armored signature of the `gpgsig` header, if any.
    pub signature: Option<Vec<u8>>,
    /// The commit object without its signature headers: what the signature covers.
    pub payload: Vec<u8>,
}

/// A git repository's object store.
pub struct Repo {
    root: PathBuf,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// `gpgsig` for SHA-1 repositories, `gpgsig-sha256` for SHA-256 ones.
    signature_header: &'static str,
    hash_len: usize,
    keyrings: HashMap<String, Rc<Keyring>>,
}

impl Repo {
    /// The repository whose work tree is `root`.
    pub fn open(root: &Path) -> Result<Repo> {
        let format = git(root, &["rev-parse", "--show-object-format"]).with_context(|| {
            format!(
                "{} is not a git repository: authenticating needs the tree's history (git clone it)",
                root.display()
            )
        })?;
        let (signature_header, hash_len) = match format.as_str() {
            "sha1" => ("gpgsig", 20),
            "sha256" => ("gpgsig-sha256", 32),
            other => bail!("{}: git object format {other} is not one this command knows", root.display()),
        };
        let mut child = git_command(root)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("running `git cat-file --batch` (is git installed?)")?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Repo { root: root.to_owned(), child, stdin, stdout, signature_header, hash_len, keyrings: HashMap::new() })
    }

    /// The length of a full object id in hex: 40 (SHA-1) or 64 (SHA-256).
    pub fn id_len(&self) -> usize {
        self.hash_len * 2
    }

    /// The full id of the commit `rev` names.
    pub fn resolve(&self, rev: &str) -> Result<String> {
        git(&self.root, &["rev-parse", "--verify", "--end-of-options", &format!("{rev}^{{commit}}")])
            .with_context(|| format!("{rev} is not a commit of {}", self.root.display()))
    }

    /// Whether the repository's history is cut short (a shallow clone).
    pub fn is_shallow(&self) -> bool {
        git(&self.root, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|out| out == "true")
    }

    /// Whether `ancestor` is `commit` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, commit: &str) -> Result<bool> {
        let status = git_command(&self.root)
            .args(["merge-base", "--is-ancestor", ancestor, commit])
            .status()
            .context("running `git merge-base`")?;
        match status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => bail!("`git merge-base --is-ancestor {ancestor} {commit}` failed in {}", self.root.display()),
        }
    }

    /// The commits reachable from `end` but not from `start`, parents before children,
    /// each with its parents.
    pub fn descendants(&self, start: &str, end: &str) -> Result<Vec<(String, Vec<String>)>> {
        let out = git(&self.root, &["rev-list", "--topo-order", "--reverse", "--parents", end, &format!("^{start}")])?;
        Ok(out
            .lines()
            .filter_map(|line| {
                let mut ids = line.split_whitespace().map(str::to_owned);
                ids.next().map(|id| (id, ids.collect()))
            })
            .collect())
    }

    /// Reads and parses one commit.
    pub fn commit(&mut self, id: &str) -> Result<Commit> {
        let (_, kind, bytes) =
            self.object(id)?.with_context(|| format!("commit {id} is missing from the repository"))?;
        if kind != "commit" {
            bail!("{id} is a {kind}, not a commit");
        }
        parse_commit(id, &bytes, self.signature_header)
    }

    /// The keyring `manifest/keys/` of a commit's tree holds (empty when it has none),
    /// checked as a keyring directory is.
    pub fn keyring(&mut self, commit: &str) -> Result<Rc<Keyring>> {
        let label = PathBuf::from(format!("{}:manifest/keys", short(commit)));
        let Some((oid, kind, tree)) = self.object(&format!("{commit}:manifest/keys"))? else {
            return Ok(Rc::new(Keyring { dir: label, certs: Vec::new() }));
        };
        if kind != "tree" {
            bail!("manifest/keys in commit {commit} is a {kind}, not a directory");
        }
        if let Some(keyring) = self.keyrings.get(&oid) {
            return Ok(keyring.clone());
        }
        let mut files = Vec::new();
        for (mode, name, blob) in parse_tree(&tree, self.hash_len)? {
            // As in a directory: hidden files and anything but a regular file are not keys.
            if name.starts_with('.') || !(mode == "100644" || mode == "100755") {
                continue;
            }
            let (_, _, bytes) = self
                .object(&blob)?
                .with_context(|| format!("manifest/keys/{name} of commit {commit} is missing from the repository"))?;
            files.push((label.join(&name), bytes));
        }
        let keyring = Rc::new(
            Keyring::from_files(&label, files)
                .with_context(|| format!("the keyring of commit {commit} is not a valid keyring"))?,
        );
        self.keyrings.insert(oid, keyring.clone());
        Ok(keyring)
    }

    /// One object: its id, type and bytes, or None when `spec` names nothing.
    fn object(&mut self, spec: &str) -> Result<Option<(String, String, Vec<u8>)>> {
        if spec.contains('\n') {
            bail!("an object name holds a newline");
        }
        writeln!(self.stdin, "{spec}").and_then(|()| self.stdin.flush()).context("talking to `git cat-file`")?;
        let mut header = String::new();
        self.stdout.read_line(&mut header).context("reading from `git cat-file`")?;
        let fields: Vec<&str> = header.trim_end().split(' ').collect();
        match fields.as_slice() {
            [_, "missing"] | [_, "ambiguous"] => Ok(None),
            [oid, kind, size] => {
                let size: usize = size.parse().with_context(|| format!("`git cat-file` said {header:?}"))?;
                let mut bytes = vec![0; size + 1];
                self.stdout.read_exact(&mut bytes).context("reading from `git cat-file`")?;
                bytes.pop();
                Ok(Some((oid.to_string(), kind.to_string(), bytes)))
            }
            _ => bail!("`git cat-file` said {header:?}"),
        }
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first twelve digits of a commit id.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// `git -C root`, seeing the objects as they are: no replace refs, no grafts, no
/// commit-graph file (each could make git show other parents or other bytes than the
/// commits that were signed hold).
fn git_command(root: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(root)
        .args(["-c", "core.commitGraph=false", "-c", "advice.graftFileDeprecated=false"])
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("GIT_GRAFT_FILE", "/dev/null");
    command
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let output =
        git_command(root).args(args).stdin(Stdio::null()).output().context("running git (is it installed?)")?;
    if !output.status.success() {
        bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Splits a commit object into what its signature covers and the signature, as git
/// does: the signature header and its continuation lines (a leading space) are left
/// out of the payload, the signatures of the other hash algorithm too. Only headers
/// count; a message line that looks like a header is message.
pub fn parse_commit(id: &str, raw: &[u8], signature_header: &str) -> Result<Commit> {
    let other_header = if signature_header == "gpgsig" { "gpgsig-sha256" } else { "gpgsig" };
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature: Option<Vec<u8>> = None;
    let (mut parents, mut author) = (Vec::new(), None);
    // Headers read so far.
    let mut headers = 0;
    let mut rest = raw;
    // Which signature header the current continuation lines belong to, if any.
    let mut in_header: Option<bool> = None;
    loop {
        let end = rest.iter().position(|b| *b == b'\n').map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        rest = after;
        if line == b"\n" || line.is_empty() {
            payload.extend_from_slice(line);
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        if let (Some(ours), Some(continued)) = (in_header, text.strip_prefix(b" ")) {
            if ours {
                let signature = signature.as_mut().expect("a signature header came first");
                signature.push(b'\n');
                signature.extend_from_slice(continued);
            }
            continue;
        }
        in_header = None;
        let (key, value) = match text.iter().position(|b| *b == b' ') {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (text, &b""[..]),
        };
        if key == signature_header.as_bytes() {
            if signature.is_some() {
                bail!("commit {id} has two {signature_header} headers");
            }
            signature = Some(value.to_vec());
            in_header = Some(true);
            headers += 1;
            continue;
        }
        if key == other_header.as_bytes() {
            in_header = Some(false);
            headers += 1;
            continue;
        }
        match key {
            // Git takes the parents from the lines right after `tree`, and only those.
            b"parent" if headers == parents.len() + 1 => parents.push(String::from_utf8_lossy(value).into_owned()),
            b"parent" => bail!("commit {id} has a parent line out of place, which git would not read as a parent"),
            b"tree" if headers != 0 => bail!("commit {id} has a tree line out of place"),
            b"author" => author = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
        headers += 1;
        payload.extend_from_slice(line);
    }
    payload.extend_from_slice(rest);
    let author = author.with_context(|| format!("commit {id} has no author"))?;
    // `Name <email> 1700000000 +0000`: the identity without the time.
    let author = match author.rfind('>') {
        Some(i) => author[..=i].to_owned(),
        None => author,
    };
    let subject = String::from_utf8_lossy(rest).lines().next().unwrap_or_default().to_owned();
    if let Some(signature) = signature.as_mut() {
        signature.push(b'\n');
    }
    Ok(Commit { id: id.to_owned(), parents, author, subject, signature, payload })
}

/// The entries of a tree object: mode, name and the hex id of each.
fn parse_tree(mut bytes: &[u8], hash_len: usize) -> Result<Vec<(String, String, String)>> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let space = bytes.iter().position(|b| *b == b' ').context("a tree entry without a mode")?;
        let nul = bytes.iter().position(|b| *b == 0).context("a tree entry without a name")?;
        if nul < space || bytes.len() < nul + 1 + hash_len {
            bail!("a tree object is truncated");
        }
        let mode = String::from_utf8_lossy(&bytes[..space]).into_owned();
        let name = String::from_utf8_lossy(&bytes[space + 1..nul]).into_owned();
        entries.push((mode, name, hex::encode(&bytes[nul + 1..nul + 1 + hash_len])));
        bytes = &bytes[nul + 1 + hash_len..];
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
parent 1111111111111111111111111111111111111111
author Alice <alice@example.org> 1700000000 +0000
committer Alice <alice@example.org> 1700000000 +0000
gpgsig -----BEGIN PGP SIGNATURE-----
\x20
 iHUEABYKAB0WIQ
 =abcd
 -----END PGP SIGNATURE-----
gpgsig-sha256 -----BEGIN PGP SIGNATURE-----
 other
 -----END PGP SIGNATURE-----

Add bob's key

gpgsig not-a-header
";

    #[test]
    fn the_payload_is_the_commit_without_its_signature_headers() {
        let commit = parse_commit("c0ffee", SIGNED.as_bytes(), "gpgsig").unwrap();
        assert_eq!(
            String::from_utf8(commit.payload).unwrap(),
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
parent 1111111111111111111111111111111111111111
author Alice <alice@example.org> 1700000000 +0000
committer Alice <alice@example.org> 1700000000 +0000

Add bob's key

gpgsig not-a-header
"
        );
        assert_eq!(
            String::from_utf8(commit.signature.unwrap()).unwrap(),
            "-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQ\n=abcd\n-----END PGP SIGNATURE-----\n"
        );
        assert_eq!(commit.parents, ["1111111111111111111111111111111111111111"]);
        assert_eq!(commit.author, "Alice <alice@example.org>");
        assert_eq!(commit.subject, "Add bob's key");
    }

    #[test]
    fn an_unsigned_commit_is_its_own_payload() {
        let raw = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nroot\n";
        let commit = parse_commit("c0ffee", raw.as_bytes(), "gpgsig").unwrap();
        assert_eq!(commit.payload, raw.as_bytes());
        assert_eq!(commit.signature, None);
        assert!(commit.parents.is_empty());
    }

    #[test]
    fn a_parent_line_where_git_does_not_read_one_is_refused() {
        let raw = "tree 4b82\nparent 1111\ngpgsig x\nparent 2222\nauthor A <a@x> 1 +0000\n\nm\n";
        let error = parse_commit("c0ffee", raw.as_bytes(), "gpgsig").unwrap_err().to_string();
        assert!(error.contains("out of place"), "{error}");
        let raw = "tree 4b82\nparent 1111\nparent 2222\nauthor A <a@x> 1 +0000\n\nm\n";
        assert_eq!(parse_commit("c0ffee", raw.as_bytes(), "gpgsig").unwrap().parents, ["1111", "2222"]);
    }

    #[test]
    fn two_signature_headers_are_refused() {
        let raw = "tree 4b82\nauthor A <a@x> 1 +0000\ngpgsig one\ngpgsig two\n\nm\n";
        assert!(parse_commit("c0ffee", raw.as_bytes(), "gpgsig").is_err());
    }
}
