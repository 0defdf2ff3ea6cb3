//! What registries list, for `outdated`: the source packages of Debian's `Sources`
//! indexes across suites (fetched from the machine's mirrors, kept a day in the cache),
//! whether a pool file is served (the mirror does not serve every file its indexes list),
//! and the versions PyPI lists (asked through pip, so with pip's own configuration).

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// The suites whose indexes are read, oldest first. A suite the mirrors lack is left out
/// with a warning.
pub const SUITES: &[&str] =
    &["bookworm", "bookworm-backports", "trixie", "trixie-backports", "forky", "sid", "experimental"];

/// A source package as one suite's index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub package: String,
    pub version: debversion::Version,
    pub suite: String,
    /// The pool directory: `pool/main/m/musl`.
    pub directory: String,
    /// Its files: name -> sha256.
    pub files: BTreeMap<String, String>,
}

/// Which tarball of a source package a pin is: the main upstream tarball
/// (`NAME_UPSTREAM.orig.tar.*`), one of its components (`.orig-COMPONENT.tar.*`), or the
/// tarball of a native package (`NAME_VERSION.tar.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tarball {
    Orig,
    Component(String),
    Native,
}

impl Tarball {
    /// The version and kind of tarball `file` is, for the source package `package`.
    pub fn of(package: &str, file: &str) -> Option<(String, Tarball)> {
        let rest = file.strip_prefix(package)?.strip_prefix('_')?;
        if rest.contains(".debian.tar.") || rest.ends_with(".asc") {
            return None;
        }
        if let Some((version, after)) = rest.split_once(".orig") {
            let kind = match after.strip_prefix('-').and_then(|c| c.split_once(".tar.")) {
                Some((component, _)) => Tarball::Component(component.to_owned()),
                None if after.starts_with(".tar.") => Tarball::Orig,
                None => return None,
            };
            return Some((version.to_owned(), kind));
        }
        let (version, _) = rest.split_once(".tar.")?;
        Some((version.to_owned(), Tarball::Native))
    }
}

impl Listed {
    /// This entry's tarball of the kind given (no signature), with its sha256 as the index
    /// lists it.
    pub fn tarball(&self, kind: &Tarball) -> Option<(&str, &str)> {
        self.files
            .iter()
            .find(|(name, _)| {
                !name.ends_with(".asc") && Tarball::of(&self.package, name).is_some_and(|(_, k)| k == *kind)
            })
            .map(|(name, sha)| (name.as_str(), sha.as_str()))
    }
}

/// A family of versioned source packages: `gcc-15` is of `gcc-` (15), `golang-1.21` of
/// `golang-1.` (21), `python3.13` of `python3.` (13); a newer member (`gcc-16`) is a newer
/// release of the same project.
pub fn family(package: &str) -> Option<(&str, u32)> {
    let digits = package.len() - package.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (prefix, number) = package.split_at(digits);
    let number = number.parse().ok()?;
    prefix.ends_with(['-', '.']).then_some((prefix, number))
}

/// Every entry of the suites' indexes for the named source packages and for the members
/// of their families.
/// A warning is printed for each suite left out, or read from an older copy.
pub async fn debian(cache: &Path, mirrors: &[String], wanted: &BTreeSet<String>, refresh: bool) -> Result<Vec<Listed>> {
    if mirrors.is_empty() {
        bail!("no Debian mirror: the machine's apt sources name none; set CAIRN_DEBIAN_MIRROR");
    }
    let families: BTreeSet<&str> = wanted.iter().filter_map(|w| family(w)).map(|(prefix, _)| prefix).collect();
    let keep = |package: &str| {
        wanted.contains(package) || family(package).is_some_and(|(prefix, _)| families.contains(prefix))
    };
    let dir = cache.join("indexes");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let client = reqwest::Client::builder().connect_timeout(Duration::from_secs(15)).build()?;
    let mut listed = Vec::new();
    let mut read = 0;
    for suite in SUITES {
        let path = dir.join(format!("{suite}_main_Sources.xz"));
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < Duration::from_secs(24 * 3600)));
        if refresh || !fresh {
            if let Err(error) = fetch_index(&client, mirrors, suite, &path).await {
                if path.is_file() {
                    eprintln!("warning: {error:#}; reading the copy fetched before");
                } else {
                    eprintln!("warning: {error:#}; {suite} is left out");
                    continue;
                }
            }
        }
        read += 1;
        let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let reader = std::io::BufReader::new(xz2::read::XzDecoder::new(file));
        listed.extend(parse(reader, suite, &keep).with_context(|| format!("reading {}", path.display()))?);
    }
    if read == 0 {
        bail!("no suite's index could be had from {}", mirrors.join(", "));
    }
    Ok(listed)
}

/// The suite's `Sources.xz` from the first mirror that has it, written whole or not at all.
async fn fetch_index(client: &reqwest::Client, mirrors: &[String], suite: &str, path: &Path) -> Result<()> {
    let mut failures = Vec::new();
    for mirror in mirrors {
        let url = format!("{mirror}/dists/{suite}/main/source/Sources.xz");
        let response = match client.get(&url).timeout(Duration::from_secs(300)).send().await {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                failures.push(format!("{url}: {}", response.status()));
                continue;
            }
            Err(error) => {
                failures.push(format!("{url}: {error}"));
                continue;
            }
        };
        // An index is some tens of MB; a mirror sending more is not sending an index.
        let body = read_capped(response, 256 << 20).await.with_context(|| url.clone())?;
        crate::workspace::write_atomic(path, &body)?;
        return Ok(());
    }
    bail!("no mirror gave the {suite} index: {}", failures.join("; "))
}

/// A body, refused once it goes past `cap` bytes.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            bail!("the answer goes on past {cap} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The paragraphs of a `Sources` index whose package `keep` wants.
fn parse(reader: impl BufRead, suite: &str, keep: &dyn Fn(&str) -> bool) -> Result<Vec<Listed>> {
    let mut listed = Vec::new();
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut last = String::new();
    let mut finish = |fields: &mut BTreeMap<String, String>| -> Result<()> {
        let taken = std::mem::take(fields);
        let (Some(package), Some(version), Some(directory)) =
            (taken.get("Package"), taken.get("Version"), taken.get("Directory"))
        else {
            return Ok(());
        };
        if !keep(package) {
            return Ok(());
        }
        let version: debversion::Version =
            version.parse().map_err(|e| anyhow::anyhow!("{package}: version `{version}`: {e:?}"))?;
        let files = taken
            .get("Checksums-Sha256")
            .map(|text| {
                text.lines()
                    .filter_map(|line| {
                        let mut words = line.split_whitespace();
                        let (sha, _size, name) = (words.next()?, words.next()?, words.next()?);
                        Some((name.to_owned(), sha.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        listed.push(Listed {
            package: package.clone(),
            version,
            suite: suite.to_owned(),
            directory: directory.clone(),
            files,
        });
        Ok(())
    };
    for line in reader.lines() {
        let line = line?;
        if line.is_empty() {
            finish(&mut fields)?;
            continue;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some(value) = fields.get_mut(&last) {
                value.push('\n');
                value.push_str(more);
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            last = key.to_owned();
            fields.insert(key.to_owned(), value.trim().to_owned());
        }
    }
    finish(&mut fields)?;
    Ok(listed)
}

/// Asks the mirrors whether they serve pool files, on one connection pool; once no mirror
/// can be reached it stops asking.
pub struct Served {
    client: reqwest::Client,
    mirrors: Vec<String>,
    unreachable: bool,
}

impl Served {
    pub fn new(mirrors: &[String]) -> Result<Served> {
        let client = reqwest::Client::builder().connect_timeout(Duration::from_secs(15)).build()?;
        Ok(Served { client, mirrors: mirrors.to_vec(), unreachable: false })
    }

    /// Some(true) when a mirror answers a HEAD with success, Some(false) when every mirror
    /// answers that it has no such file, None when that cannot be told.
    pub async fn check(&mut self, path: &str) -> Option<bool> {
        if self.unreachable {
            return None;
        }
        let mut answered = false;
        for mirror in &self.mirrors {
            let url = format!("{mirror}/{path}");
            match self.client.head(&url).timeout(Duration::from_secs(30)).send().await {
                Ok(response) if response.status().is_success() => return Some(true),
                Ok(response) if matches!(response.status().as_u16(), 404 | 410) => answered = true,
                Ok(_) => {}
                Err(error) if error.is_connect() || error.is_timeout() => {}
                Err(_) => {}
            }
        }
        if !answered {
            self.unreachable = true;
        }
        answered.then_some(false)
    }
}

/// The versions PyPI lists for `project`, newest first, as `pip index versions` prints
/// them (final releases only), for the platforms a pinned wheel names (`--platform`, as
/// `fetch` asks pip), so the machine's own platform does not matter.
pub fn pypi(project: &str, platforms: &[String]) -> Result<Vec<String>> {
    let mut args: Vec<String> =
        ["-m", "pip", "index", "versions", "--disable-pip-version-check"].map(String::from).into();
    if !platforms.is_empty() {
        args.push("--only-binary=:all:".to_owned());
        args.extend(platforms.iter().map(|p| format!("--platform={p}")));
    }
    args.push(project.to_owned());
    let output = std::process::Command::new("python3")
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .context("running `python3 -m pip index versions` (apt-get install python3-pip)")?;
    if !output.status.success() {
        bail!("pip index versions {project}: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Available versions:"))
        .with_context(|| format!("pip index versions {project} listed no versions"))?;
    Ok(line.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "\
Package: musl
Binary: musl, musl-dev
Version: 1.2.5-3.1~deb13u1
Directory: pool/main/m/musl
Checksums-Sha256:
 a9a1 1080786 musl_1.2.5.orig.tar.gz
 d903 490 musl_1.2.5.orig.tar.gz.asc
 46fd 29056 musl_1.2.5-3.1~deb13u1.debian.tar.xz

Package: gcc-15
Version: 15.3.0-5
Directory: pool/main/g/gcc-15
Checksums-Sha256:
 183c 100352703 gcc-15_15.3.0.orig.tar.gz

Package: hello
Version: 2.10-3
Directory: pool/main/h/hello
";

    #[test]
    fn an_index_gives_the_wanted_packages_with_their_orig() {
        let keep = |p: &str| p == "musl" || p.starts_with("gcc-");
        let listed = parse(INDEX.as_bytes(), "trixie", &keep).unwrap();
        assert_eq!(listed.iter().map(|l| l.package.as_str()).collect::<Vec<_>>(), ["musl", "gcc-15"]);
        assert_eq!(listed[0].tarball(&Tarball::Orig), Some(("musl_1.2.5.orig.tar.gz", "a9a1")));
        assert_eq!(listed[0].version.upstream_version, "1.2.5");
        assert_eq!(listed[1].directory, "pool/main/g/gcc-15");
    }

    #[test]
    fn a_pinned_file_is_an_orig_a_component_or_a_native_tarball() {
        assert_eq!(Tarball::of("musl", "musl_1.2.5.orig.tar.gz"), Some(("1.2.5".to_owned(), Tarball::Orig)));
        assert_eq!(
            Tarball::of("rustc-web", "rustc-web_1.85.0+dfsg3.orig-stage0.tar.xz"),
            Some(("1.85.0+dfsg3".to_owned(), Tarball::Component("stage0".to_owned())))
        );
        assert_eq!(
            Tarball::of("ca-certificates", "ca-certificates_20250419.tar.xz"),
            Some(("20250419".to_owned(), Tarball::Native))
        );
        assert_eq!(Tarball::of("musl", "musl_1.2.5-3.debian.tar.xz"), None);
        assert_eq!(Tarball::of("musl", "musl_1.2.5.orig.tar.gz.asc"), None);
        assert_eq!(Tarball::of("musl", "musl-dev_1.2.5-3_amd64.deb"), None);
    }

    #[test]
    fn versioned_packages_are_families() {
        assert_eq!(family("gcc-15"), Some(("gcc-", 15)));
        assert_eq!(family("golang-1.21"), Some(("golang-1.", 21)));
        assert_eq!(family("python3.13"), Some(("python3.", 13)));
        assert_eq!(family("llvm-toolchain-19"), Some(("llvm-toolchain-", 19)));
        for plain in ["musl", "mpfr4", "bzip2", "libxml2", "make-dfsg"] {
            assert_eq!(family(plain), None, "{plain}");
        }
    }
}
