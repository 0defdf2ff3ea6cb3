//! Sources: a content-addressed cache that only verified files enter.
//!
//! A source is a file name, a sha256 and places to look for it. Only the hash decides:
//! every download goes to a temporary file while being hashed and enters the cache
//! (`<cache>/sha256/<hex>`) by rename only when it matches, so a partial or wrong file
//! never does. Locations are tried in order: upstream URLs, a path in a Debian mirror
//! (those of the machine's apt configuration, or `CAIRN_DEBIAN_MIRROR`), `apt-get
//! download`, `apt-get source`, `pip download` (whatever index pip is configured with).
//! `--import DIR` seeds the cache from files on disk.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::registry::{Location, Registry, Source};

#[derive(clap::Args)]
pub struct FetchArgs {
    /// Packages whose sources to fetch (default: all).
    pub packages: Vec<String>,
    /// Seed the cache from the files under DIR, by hash, instead of downloading.
    #[arg(long, value_name = "DIR")]
    pub import: Option<PathBuf>,
    /// Downloads to run at once.
    #[arg(short, long, default_value_t = 4)]
    pub jobs: usize,
}

pub fn run(args: FetchArgs) -> Result<ExitCode> {
    let root = crate::root();
    let registry = Registry::load(&root)?;
    let names = if args.packages.is_empty() {
        registry.packages.keys().cloned().collect()
    } else {
        for name in &args.packages {
            registry.get(name)?;
        }
        args.packages.clone()
    };
    let cache = Cache::open()?;
    let wanted = wanted_sources(&registry, &names);
    if let Some(dir) = &args.import {
        let imported = cache.import(dir, &wanted)?;
        let missing: Vec<&Wanted> = wanted.values().filter(|w| !cache.has(&w.source.sha256)).collect();
        println!("imported {imported} file(s) from {}; {} source(s) still missing", dir.display(), missing.len());
        for w in missing {
            println!("  missing {} ({}) of {}", w.source.file, w.source.sha256, w.package);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(cache.fetch_all(wanted.into_values().collect(), args.jobs))?;
    Ok(ExitCode::SUCCESS)
}

/// A source and the first package that needs it.
#[derive(Clone)]
pub struct Wanted {
    pub package: String,
    pub source: Source,
}

/// Sources of the named packages and their dependencies, by sha256.
pub fn wanted_sources(registry: &Registry, names: &[String]) -> BTreeMap<String, Wanted> {
    let order = registry.order(names.iter().cloned()).unwrap_or_default();
    let mut wanted = BTreeMap::new();
    for name in order {
        for source in &registry.packages[&name].sources {
            wanted
                .entry(source.sha256.clone())
                .or_insert_with(|| Wanted { package: name.clone(), source: source.clone() });
        }
    }
    wanted
}

/// The content-addressed source cache.
#[derive(Clone)]
pub struct Cache {
    pub dir: PathBuf,
}

impl Cache {
    /// `CAIRN_CACHE`, else the user's cache directory (`~/.cache/cairn`).
    pub fn open() -> Result<Cache> {
        let dir = match std::env::var_os("CAIRN_CACHE") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::cache_dir().context("no cache directory: set CAIRN_CACHE")?.join("cairn"),
        };
        std::fs::create_dir_all(dir.join("sha256")).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Cache { dir })
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join("sha256").join(sha256)
    }

    pub fn has(&self, sha256: &str) -> bool {
        self.path(sha256).is_file()
    }

    /// Reads a cached source, checking its hash again (the cache is not trusted either).
    pub fn read(&self, source: &Source) -> Result<Vec<u8>> {
        let path = self.path(&source.sha256);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("source {} is not in the cache: run `cargo xtask fetch`", source.file))?;
        let got = hex::encode(Sha256::digest(&bytes));
        if got != source.sha256 {
            std::fs::remove_file(&path).ok();
            bail!(
                "cached {} was corrupt (expected sha256 {}, got {got}); removed it, run `cargo xtask fetch` again",
                source.file,
                source.sha256
            );
        }
        Ok(bytes)
    }

    /// Moves a verified file into the cache.
    fn admit(&self, file: tempfile::NamedTempFile, sha256: &str) -> Result<()> {
        file.persist(self.path(sha256)).context("moving a verified source into the cache")?;
        Ok(())
    }

    fn temp(&self) -> Result<tempfile::NamedTempFile> {
        Ok(tempfile::Builder::new().prefix(".partial-").tempfile_in(self.dir.join("sha256"))?)
    }

    /// Copies every file under `dir` whose hash a wanted source has into the cache.
    pub fn import(&self, dir: &Path, wanted: &BTreeMap<String, Wanted>) -> Result<usize> {
        let mut imported = 0;
        let mut stack = vec![dir.to_owned()];
        while let Some(dir) = stack.pop() {
            for item in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
                let path = item?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let mut temp = self.temp()?;
                let mut hasher = Sha256::new();
                let mut input = std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
                let mut buffer = vec![0; 1 << 20];
                loop {
                    let n = input.read(&mut buffer)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                    std::io::Write::write_all(&mut temp, &buffer[..n])?;
                }
                let sha = hex::encode(hasher.finalize());
                if wanted.contains_key(&sha) && !self.has(&sha) {
                    self.admit(temp, &sha)?;
                    imported += 1;
                }
            }
        }
        Ok(imported)
    }

    /// Fetches every missing source, `jobs` at a time, with a progress display. Fails
    /// when any source could not be had, naming each.
    pub async fn fetch_all(&self, wanted: Vec<Wanted>, jobs: usize) -> Result<()> {
        let failures = self.try_fetch_all(wanted, jobs).await?;
        if !failures.is_empty() {
            let errors: Vec<&String> = failures.values().collect();
            bail!(
                "{} source(s) could not be fetched:\n{}",
                errors.len(),
                errors.iter().map(|e| e.as_str()).collect::<Vec<_>>().join("\n")
            );
        }
        Ok(())
    }

    /// Fetches every missing source; returns why each one that failed did, by sha256.
    pub async fn try_fetch_all(&self, wanted: Vec<Wanted>, jobs: usize) -> Result<BTreeMap<String, String>> {
        let missing: Vec<Wanted> = wanted.into_iter().filter(|w| !self.has(&w.source.sha256)).collect();
        if missing.is_empty() {
            return Ok(BTreeMap::new());
        }
        let progress = crate::progress::multi();
        let overall = progress.add(crate::progress::counter(missing.len() as u64, "fetching sources"));
        let mirrors = Arc::new(debian_mirrors());
        let limit = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
        let client = reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(15)).build()?;
        let mut tasks = tokio::task::JoinSet::new();
        for w in missing {
            let cache = self.clone();
            let (mirrors, limit, client, progress, overall) =
                (mirrors.clone(), limit.clone(), client.clone(), progress.clone(), overall.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire().await;
                let bar = progress.add(crate::progress::bytes(&w.source.file));
                let result = cache.fetch_one(&w, &mirrors, &client, &bar).await;
                bar.finish_and_clear();
                overall.inc(1);
                (w.source.sha256.clone(), result)
            });
        }
        let mut failures = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (sha256, result) = joined?;
            if let Err(error) = result {
                failures.insert(sha256, format!("{error:#}"));
            }
        }
        overall.finish_and_clear();
        Ok(failures)
    }

    async fn fetch_one(
        &self,
        w: &Wanted,
        mirrors: &[String],
        client: &reqwest::Client,
        bar: &indicatif::ProgressBar,
    ) -> Result<()> {
        let mut failures = Vec::new();
        for location in &w.source.locations {
            // A pool path is one attempt per mirror, each reported on its own.
            let attempts: Vec<(String, _)> = match location {
                Location::DebianPool(_) if mirrors.is_empty() => {
                    failures.push(format!("  {location}: no Debian mirror configured: set CAIRN_DEBIAN_MIRROR"));
                    continue;
                }
                Location::DebianPool(path) => {
                    mirrors.iter().map(|m| (format!("{}/{path}", m.trim_end_matches('/')), location)).collect()
                }
                other => vec![(other.to_string(), location)],
            };
            for (label, location) in attempts {
                let attempt = match location {
                    Location::Url(url) => self.download(client, url, bar).await,
                    Location::DebianPool(_) => self.download(client, &label, bar).await,
                    Location::DebianBinary { package, version } => {
                        self.apt(&["download", &format!("{package}={version}")], None).await
                    }
                    Location::DebianSource { package, version } => {
                        let spec = format!("{package}={version}");
                        self.apt(&["source", "--download-only", &spec], Some(&w.source.file)).await
                    }
                    Location::PyPI { package, version } => {
                        let args = pip_download_args(package, version, &w.source.file);
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        self.run_tool("pip", &args, Some(&w.source.file)).await
                    }
                };
                match attempt {
                    Ok((file, got)) if got == w.source.sha256 => return self.admit(file, &got),
                    Ok((_, got)) => failures
                        .push(format!("  {label}: hash mismatch: expected sha256 {}, got {got}", w.source.sha256)),
                    Err(error) => failures.push(format!("  {label}: {error:#}")),
                }
            }
        }
        bail!(
            "package {}: source {} (sha256 {}) was found nowhere:\n{}",
            w.package,
            w.source.file,
            w.source.sha256,
            failures.join("\n")
        )
    }

    /// Downloads into a temporary file, hashing on the way.
    async fn download(
        &self,
        client: &reqwest::Client,
        url: &str,
        bar: &indicatif::ProgressBar,
    ) -> Result<(tempfile::NamedTempFile, String)> {
        let response = client.get(url).send().await?.error_for_status()?;
        bar.set_length(response.content_length().unwrap_or(0));
        bar.set_position(0);
        let temp = self.temp()?;
        let mut file = tokio::fs::File::from_std(temp.reopen()?);
        let mut hasher = Sha256::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.context("download interrupted")?;
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
            bar.inc(chunk.len() as u64);
        }
        file.flush().await?;
        Ok((temp, hex::encode(hasher.finalize())))
    }

    /// Runs apt-get in a scratch directory and takes the file it leaves there.
    async fn apt(&self, args: &[&str], wanted_file: Option<&str>) -> Result<(tempfile::NamedTempFile, String)> {
        self.run_tool("apt-get", args, wanted_file).await
    }

    /// Runs `program` in a scratch directory and takes the file it leaves there (the one
    /// named `wanted_file`, if given).
    async fn run_tool(
        &self,
        program: &str,
        args: &[&str],
        wanted_file: Option<&str>,
    ) -> Result<(tempfile::NamedTempFile, String)> {
        let scratch = tempfile::tempdir_in(&self.dir)?;
        let output = tokio::process::Command::new(program)
            .args(args)
            .current_dir(scratch.path())
            .output()
            .await
            .with_context(|| format!("running {program}"))?;
        if !output.status.success() {
            bail!("{program} {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
        }
        let mut found = None;
        for item in std::fs::read_dir(scratch.path())? {
            let path = item?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if wanted_file.is_none_or(|w| w == name) && path.is_file() {
                found = Some(path);
            }
        }
        let path = found.with_context(|| format!("{program} left no matching file"))?;
        let bytes = std::fs::read(&path)?;
        let mut temp = self.temp()?;
        std::io::Write::write_all(&mut temp, &bytes)?;
        Ok((temp, hex::encode(Sha256::digest(&bytes))))
    }
}

/// `pip download` arguments that fetch exactly `file` of a PyPI release. For a wheel,
/// its file name's platform tags (`name-version-python-abi-platform.whl`, the platform
/// possibly several joined by `.`) are passed as `--platform`, so the machine's own
/// platform does not matter; pip then picks the wheel the pin names.
pub fn pip_download_args(package: &str, version: &str, file: &str) -> Vec<String> {
    let mut args: Vec<String> =
        ["download", "--no-deps", "--no-cache-dir", "--disable-pip-version-check", "--dest", "."]
            .map(String::from)
            .into();
    if let Some(stem) = file.strip_suffix(".whl") {
        args.push("--only-binary=:all:".into());
        if let Some(platforms) = stem.rsplit('-').next().filter(|p| *p != "any") {
            for platform in platforms.split('.') {
                args.push(format!("--platform={platform}"));
            }
        }
    } else {
        args.push("--no-binary=:all:".into());
    }
    args.push(format!("{package}=={version}"));
    args
}

/// Debian mirrors to try for pool paths: `CAIRN_DEBIAN_MIRROR` (comma separated) first,
/// then every http(s) URI of the machine's apt sources.
pub fn debian_mirrors() -> Vec<String> {
    let mut mirrors: Vec<String> = std::env::var("CAIRN_DEBIAN_MIRROR")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    let mut texts = Vec::new();
    if let Ok(text) = std::fs::read_to_string("/etc/apt/sources.list") {
        texts.push((false, text));
    }
    if let Ok(read) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut paths: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let deb822 = path.extension().is_some_and(|e| e == "sources");
            if deb822 || path.extension().is_some_and(|e| e == "list") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push((deb822, text));
                }
            }
        }
    }
    for (deb822, text) in texts {
        for uri in apt_uris(&text, deb822) {
            if !mirrors.contains(&uri) {
                mirrors.push(uri);
            }
        }
    }
    mirrors
}

/// The http(s) URIs of Debian archives in an apt sources file.
fn apt_uris(text: &str, deb822: bool) -> Vec<String> {
    let mut uris = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let candidates: Vec<&str> = if deb822 {
            line.strip_prefix("URIs:").map(|rest| rest.split_whitespace().collect()).unwrap_or_default()
        } else if line.starts_with("deb ") || line.starts_with("deb-src ") {
            line.split_whitespace().skip(1).filter(|w| !w.starts_with('[')).take(1).collect()
        } else {
            Vec::new()
        };
        uris.extend(
            candidates
                .into_iter()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(|u| u.trim_end_matches('/').to_owned()),
        );
    }
    uris
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_is_asked_for_the_platforms_a_wheel_names() {
        let args = pip_download_args(
            "ziglang",
            "0.17.1",
            "ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl",
        );
        let tail: Vec<&str> = args.iter().skip(6).map(String::as_str).collect();
        assert_eq!(
            tail,
            [
                "--only-binary=:all:",
                "--platform=manylinux_2_12_x86_64",
                "--platform=manylinux2010_x86_64",
                "--platform=musllinux_1_1_x86_64",
                "ziglang==0.17.1"
            ]
        );
    }

    #[test]
    fn reads_mirrors_from_both_apt_formats() {
        let deb822 =
            "Types: deb\n# URIs: http://commented.example\nURIs: http://mirror.example/debian\nSuites: bookworm\n";
        assert_eq!(apt_uris(deb822, true), ["http://mirror.example/debian"]);
        let list = "deb [arch=amd64] http://other.example/debian/ bookworm main\n# deb http://no.example x y\n";
        assert_eq!(apt_uris(list, false), ["http://other.example/debian"]);
    }

    fn source(sha256: &str) -> Source {
        Source { file: "hello.txt".into(), sha256: sha256.into(), locations: vec![], note: String::new() }
    }

    #[test]
    fn import_admits_only_wanted_hashes_and_read_rechecks() {
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = Cache { dir: cache_dir.path().to_owned() };
        std::fs::create_dir_all(cache.dir.join("sha256")).unwrap();
        let seed = tempfile::tempdir().unwrap();
        std::fs::write(seed.path().join("hello.txt"), b"hello\n").unwrap();
        std::fs::write(seed.path().join("other.txt"), b"other\n").unwrap();
        let sha = hex::encode(Sha256::digest(b"hello\n"));
        let wanted: BTreeMap<String, Wanted> =
            [(sha.clone(), Wanted { package: "p".into(), source: source(&sha) })].into();
        assert_eq!(cache.import(seed.path(), &wanted).unwrap(), 1);
        assert_eq!(cache.read(&source(&sha)).unwrap(), b"hello\n");
        let entries = std::fs::read_dir(cache.dir.join("sha256")).unwrap().count();
        assert_eq!(entries, 1, "nothing but the wanted file enters the cache");

        std::fs::write(cache.path(&sha), b"tampered").unwrap();
        let error = cache.read(&source(&sha)).unwrap_err().to_string();
        assert!(error.contains("was corrupt"), "{error}");
        assert!(!cache.has(&sha), "a corrupt file leaves the cache");
    }
}
