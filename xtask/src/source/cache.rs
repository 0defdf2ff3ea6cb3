//! The content-addressed cache: `<cache>/sha256/<hex>`, entered only by rename after the
//! hash matched, re-checked on every read; and the fetching that fills it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::compression::Compression;
use super::locations::pip_download_args;
use super::Wanted;
use crate::registry::{Location, Source};

/// Why one attempt at one location gave no verified file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Miss {
    /// The location answered with other bytes than the pin: a changed file, or a hostile
    /// location. Nothing of it entered the cache.
    #[error("hash mismatch: expected sha256 {expected}, got {got}")]
    HashMismatch { expected: String, got: String },
    /// The location no longer serves the file (HTTP 404 or 410): pin another location.
    #[error("gone: the server answered {status}; the file is no longer served here, pin another location")]
    Gone { status: u16 },
    /// `apt-get`, `pip` or `cargo` failed or left no such file.
    #[error("{tool} failed: {detail}")]
    ToolFailed { tool: String, detail: String },
    /// A Debian pool path with no mirror to try it on.
    #[error("no Debian mirror configured: set CAIRN_DEBIAN_MIRROR")]
    NoMirror,
    /// The network or the disk failed on the way.
    #[error("{0}")]
    Failed(String),
}

/// A source that could be had from none of its locations, with why each attempt missed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("package {package}: source {file} (sha256 {sha256}) was found nowhere:{}", attempts_text(.attempts))]
pub struct Unfetched {
    pub package: String,
    pub file: String,
    pub sha256: String,
    /// (where it was tried, why that missed), in the order tried.
    pub attempts: Vec<(String, Miss)>,
}

/// The most bytes one download may bring: the largest source pinned is under 200 MiB.
const MAX_DOWNLOAD: u64 = 1 << 30;

fn attempts_text(attempts: &[(String, Miss)]) -> String {
    attempts.iter().map(|(place, miss)| format!("\n  {place}: {miss}")).collect()
}

/// The content-addressed source cache.
#[derive(Clone)]
pub struct Cache {
    pub dir: PathBuf,
    /// Debian mirrors to try for pool paths, in order.
    pub mirrors: Vec<String>,
    /// The CARGO_HOME crates are downloaded into, when not cargo's own (tests).
    pub cargo_home: Option<PathBuf>,
}

impl Cache {
    /// The cache of this run's environment, created if missing.
    pub fn open(env: &crate::env::Env) -> Result<Cache> {
        let dir = env.cache.clone();
        std::fs::create_dir_all(dir.join("sha256")).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Cache { dir, mirrors: env.mirrors.clone(), cargo_home: None })
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

    /// Copies `input` into a temporary file of the cache, hashing on the way; more than
    /// `limit` bytes is an error.
    fn copy_hashed(&self, mut input: impl Read, limit: u64) -> Result<(tempfile::NamedTempFile, String)> {
        let mut temp = self.temp()?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; 1 << 20];
        let mut copied = 0u64;
        loop {
            let n = input.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            copied += n as u64;
            if copied > limit {
                bail!("larger than {} MiB, more than any source is", limit >> 20);
            }
            hasher.update(&buffer[..n]);
            std::io::Write::write_all(&mut temp, &buffer[..n])?;
        }
        Ok((temp, hex::encode(hasher.finalize())))
    }

    /// Copies every file under `dir` whose hash a wanted source has into the cache.
    pub fn import(&self, dir: &Path, wanted: &BTreeMap<String, Wanted>) -> Result<usize> {
        let mut imported = 0;
        let mut stack = vec![dir.to_owned()];
        while let Some(dir) = stack.pop() {
            for item in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
                let item = item?;
                let path = item.path();
                // Only what is really there: directories are entered, never a link to
                // one (no loops); only regular files are read (a FIFO or a device would
                // block or never end), a link to a regular file included.
                let kind = item.file_type()?;
                if kind.is_dir() {
                    stack.push(path);
                    continue;
                }
                if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    continue;
                }
                let input = std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
                let (temp, sha) = self.copy_hashed(input, u64::MAX)?;
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
            let errors: Vec<String> = failures.values().map(Unfetched::to_string).collect();
            bail!("{} source(s) could not be fetched:\n{}", errors.len(), errors.join("\n"));
        }
        Ok(())
    }

    /// Fetches every missing source; returns why each one that failed did, by sha256.
    pub async fn try_fetch_all(&self, wanted: Vec<Wanted>, jobs: usize) -> Result<BTreeMap<String, Unfetched>> {
        let missing: Vec<Wanted> = wanted.into_iter().filter(|w| !self.has(&w.source.sha256)).collect();
        if missing.is_empty() {
            return Ok(BTreeMap::new());
        }
        let progress = crate::progress::multi();
        let overall = progress.add(crate::progress::counter(missing.len() as u64, "fetching sources"));
        let mirrors = Arc::new(self.mirrors.clone());
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
            if let Err(unfetched) = result {
                failures.insert(sha256, unfetched);
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
    ) -> Result<(), Unfetched> {
        let mut failures = Vec::new();
        for location in &w.source.locations {
            // A pool path is one attempt per mirror, each reported on its own.
            let attempts: Vec<(String, _)> = match location {
                Location::DebianPool(_) if mirrors.is_empty() => {
                    failures.push((location.to_string(), Miss::NoMirror));
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
                        match pip_download_args(package, version, &w.source.file, &w.source.sha256) {
                            Ok((args, requirements)) => {
                                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                                let files = [("requirements.txt", requirements.as_str())];
                                self.run_tool_with("pip", &args, &files, Some(&w.source.file)).await
                            }
                            Err(refusal) => Err(Miss::Failed(refusal)),
                        }
                    }
                    Location::Crate { name, version } => self.cargo_fetch(name, version, &w.source.file).await,
                    Location::Member { archive, path } => self.member(w, archive, path, mirrors, client, bar).await,
                };
                let miss = match attempt {
                    Ok((file, got)) if got == w.source.sha256 => match self.admit(file, &got) {
                        Ok(()) => return Ok(()),
                        Err(error) => Miss::Failed(format!("{error:#}")),
                    },
                    Ok((_, got)) => Miss::HashMismatch { expected: w.source.sha256.clone(), got },
                    Err(miss) => miss,
                };
                failures.push((label, miss));
            }
        }
        Err(Unfetched {
            package: w.package.clone(),
            file: w.source.file.clone(),
            sha256: w.source.sha256.clone(),
            attempts: failures,
        })
    }

    /// Downloads into a temporary file, hashing on the way, and stops a server that sends
    /// more than any source is (a hostile or broken one would fill the disk).
    async fn download(
        &self,
        client: &reqwest::Client,
        url: &str,
        bar: &indicatif::ProgressBar,
    ) -> Result<(tempfile::NamedTempFile, String), Miss> {
        let failed = |error: &dyn std::fmt::Display| Miss::Failed(error.to_string());
        let response = client.get(url).send().await.map_err(|e| failed(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Err(Miss::Gone { status: status.as_u16() });
        }
        let response = response.error_for_status().map_err(|e| failed(&e))?;
        let too_big =
            || failed(&format!("the server sends more than {} MiB, more than any source is", MAX_DOWNLOAD >> 20));
        if response.content_length().is_some_and(|length| length > MAX_DOWNLOAD) {
            return Err(too_big());
        }
        bar.set_length(response.content_length().unwrap_or(0));
        bar.set_position(0);
        let temp = self.temp().map_err(|e| failed(&format!("{e:#}")))?;
        let mut file = tokio::fs::File::from_std(temp.reopen().map_err(|e| failed(&e))?);
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| failed(&format!("download interrupted: {e}")))?;
            received += chunk.len() as u64;
            if received > MAX_DOWNLOAD {
                return Err(too_big());
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| failed(&e))?;
            bar.inc(chunk.len() as u64);
        }
        file.flush().await.map_err(|e| failed(&e))?;
        Ok((temp, hex::encode(hasher.finalize())))
    }

    /// Runs apt-get in a scratch directory and takes the file it leaves there.
    async fn apt(&self, args: &[&str], wanted_file: Option<&str>) -> Result<(tempfile::NamedTempFile, String), Miss> {
        self.run_tool("apt-get", args, wanted_file).await
    }

    /// Runs `program` in a scratch directory and takes the file it leaves there (the one
    /// named `wanted_file`, if given).
    async fn run_tool(
        &self,
        program: &str,
        args: &[&str],
        wanted_file: Option<&str>,
    ) -> Result<(tempfile::NamedTempFile, String), Miss> {
        self.run_tool_with(program, args, &[], wanted_file).await
    }

    /// `run_tool`, with `files` (name, contents) written into the scratch directory first.
    async fn run_tool_with(
        &self,
        program: &str,
        args: &[&str],
        files: &[(&str, &str)],
        wanted_file: Option<&str>,
    ) -> Result<(tempfile::NamedTempFile, String), Miss> {
        let tool_failed = |detail: String| Miss::ToolFailed { tool: format!("{program} {}", args.join(" ")), detail };
        self.take_tool_output(program, args, files, wanted_file)
            .await
            .map_err(|e| tool_failed(format!("{e:#}")))?
            .map_err(tool_failed)
    }

    /// Fetches `archive` into the cache if it is not there (from its own locations, kept
    /// at its own pin), then takes the regular file at `path` inside it.
    async fn member(
        &self,
        w: &Wanted,
        archive: &Source,
        path: &str,
        mirrors: &[String],
        client: &reqwest::Client,
        bar: &indicatif::ProgressBar,
    ) -> Result<(tempfile::NamedTempFile, String), Miss> {
        if !self.has(&archive.sha256) {
            let outer = Wanted { package: w.package.clone(), source: archive.clone() };
            Box::pin(self.fetch_one(&outer, mirrors, client, bar))
                .await
                .map_err(|unfetched| Miss::Failed(format!("its archive could not be had: {unfetched}")))?;
        }
        let (cache, archive_path, path) = (self.clone(), self.path(&archive.sha256), path.to_owned());
        let archive_file = archive.file.clone();
        tokio::task::spawn_blocking(move || cache.take_member(&archive_path, &path))
            .await
            .map_err(|e| Miss::Failed(e.to_string()))?
            .map_err(|e| Miss::Failed(format!("{archive_file}: {e:#}")))
    }

    /// The regular file at `path` in the tar archive at `archive` (plain, gzip or xz, by
    /// its first bytes), copied out with its sha256.
    fn take_member(&self, archive: &Path, path: &str) -> Result<(tempfile::NamedTempFile, String)> {
        let mut file = std::fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
        let mut magic = [0u8; Compression::MAGIC_LEN];
        let n = file.read(&mut magic)?;
        std::io::Seek::rewind(&mut file)?;
        let reader = Compression::sniff(&magic[..n]).reader(std::io::BufReader::new(file));
        let wanted = path.trim_start_matches("./");
        let mut tar = tar::Archive::new(reader);
        for entry in tar.entries().context("reading it as a tar archive")? {
            let entry = entry.context("reading it as a tar archive")?;
            let name = entry.path()?.to_string_lossy().trim_start_matches("./").to_owned();
            if name != wanted {
                continue;
            }
            if entry.header().entry_type() != tar::EntryType::Regular {
                bail!("{path} is not a regular file in it");
            }
            return self.copy_hashed(entry, MAX_DOWNLOAD).with_context(|| format!("copying {path} out"));
        }
        bail!("it has no member {path} (`tar -t` lists its members)")
    }

    /// Has cargo download crate `name` at exactly `version` (see [`Cache::cargo_download`];
    /// what it depends on is downloaded too), then
    /// takes `file` from cargo's download cache (`CARGO_HOME/registry/cache/*/`). Cargo's
    /// own configuration decides where the registry is; the sha256 decides what is kept.
    async fn cargo_fetch(
        &self,
        name: &str,
        version: &str,
        file: &str,
    ) -> Result<(tempfile::NamedTempFile, String), Miss> {
        let tool_failed =
            |detail: String| Miss::ToolFailed { tool: format!("cargo fetch ({name} ={version})"), detail };
        self.cargo_download(name, version).await.map_err(tool_failed)?;
        let home = self
            .cargo_home
            .clone()
            .or_else(cargo_home)
            .ok_or_else(|| tool_failed("neither CARGO_HOME nor HOME is set".into()))?;
        let taken = (|| -> Result<Option<(tempfile::NamedTempFile, String)>> {
            let caches = home.join("registry").join("cache");
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(&caches)
                .with_context(|| format!("reading {}", caches.display()))?
                .flatten()
                .map(|entry| entry.path())
                .collect();
            dirs.sort();
            for dir in dirs {
                let path = dir.join(file);
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                    return Ok(Some(self.copy_hashed(std::fs::File::open(&path)?, u64::MAX)?));
                }
            }
            Ok(None)
        })();
        match taken {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(tool_failed(format!("it left no {file} in {}/registry/cache/", home.display()))),
            Err(error) => Err(tool_failed(format!("{error:#}"))),
        }
    }

    /// Runs cargo in a scratch package depending on `name` alone: `cargo update --precise`
    /// locks it at `version` (which, unlike a `=version` requirement, takes a yanked
    /// version too, as an existing Cargo.lock does), then `cargo fetch --locked`
    /// downloads it. `Err` holds why, cargo's own words where it ran.
    async fn cargo_download(&self, name: &str, version: &str) -> Result<(), String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let scratch = tempfile::tempdir_in(&self.dir).map_err(|e| e.to_string())?;
        std::fs::write(scratch.path().join("Cargo.toml"), crate_fetch_manifest(name, version))
            .and_then(|()| std::fs::write(scratch.path().join("lib.rs"), ""))
            .map_err(|e| e.to_string())?;
        let steps: [&[&str]; 2] =
            [&["update", "--quiet", "--package", name, "--precise", version], &["fetch", "--quiet", "--locked"]];
        for args in steps {
            let mut command = tokio::process::Command::new(&cargo);
            if let Some(home) = &self.cargo_home {
                command.env("CARGO_HOME", home);
            }
            let output = command
                .args(args)
                .current_dir(scratch.path())
                .output()
                .await
                .map_err(|e| format!("running {cargo}: {e}"))?;
            if !output.status.success() {
                return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
            }
        }
        Ok(())
    }

    /// `run_tool`'s work: `Err` when it could not run here, `Ok(Err(stderr))` when it ran
    /// and failed.
    async fn take_tool_output(
        &self,
        program: &str,
        args: &[&str],
        files: &[(&str, &str)],
        wanted_file: Option<&str>,
    ) -> Result<Result<(tempfile::NamedTempFile, String), String>> {
        let scratch = tempfile::tempdir_in(&self.dir)?;
        for (name, contents) in files {
            std::fs::write(scratch.path().join(name), contents)?;
        }
        let output = tokio::process::Command::new(program)
            .args(args)
            .current_dir(scratch.path())
            .output()
            .await
            .with_context(|| format!("running {program}"))?;
        if !output.status.success() {
            return Ok(Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()));
        }
        let mut found = None;
        for item in std::fs::read_dir(scratch.path())? {
            let path = item?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if wanted_file.is_none_or(|w| w == name) && path.is_file() {
                found = Some(path);
            }
        }
        let Some(path) = found else {
            return Ok(Err(format!("it left no file named {}", wanted_file.unwrap_or("as wanted"))));
        };
        Ok(Ok(self.copy_hashed(std::fs::File::open(&path)?, u64::MAX)?))
    }
}

/// The manifest of the scratch package cargo downloads one crate for: a workspace of its
/// own (wherever the cache is), depending on `name` alone, at `version` or a compatible
/// one (`cargo update --precise` then locks exactly `version`).
fn crate_fetch_manifest(name: &str, version: &str) -> String {
    let quote = |text: &str| toml::Value::String(text.to_owned()).to_string();
    format!(
        "[package]\nname = \"cairn-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\npath = \"lib.rs\"\n\n[workspace]\n\n[dependencies]\n{} = {}\n",
        quote(name),
        quote(version)
    )
}

/// Where cargo keeps its downloads: `CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty cache in a directory of its own, kept as long as the first value lives.
    fn empty_cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache { dir: dir.path().to_owned(), mirrors: vec![], cargo_home: None };
        std::fs::create_dir_all(cache.dir.join("sha256")).unwrap();
        (dir, cache)
    }

    fn source(sha256: &str) -> Source {
        Source { file: "hello.txt".into(), sha256: sha256.into(), locations: vec![], note: String::new() }
    }

    #[test]
    fn import_admits_only_wanted_hashes_and_read_rechecks() {
        let (_cache_dir, cache) = empty_cache();
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

    #[test]
    fn import_reads_only_regular_files_and_follows_no_directory_link() {
        let (_cache_dir, cache) = empty_cache();
        let seed = tempfile::tempdir().unwrap();
        std::fs::write(seed.path().join("hello.txt"), b"hello\n").unwrap();
        let fifo = std::ffi::CString::new(seed.path().join("pipe").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        std::os::unix::fs::symlink(seed.path(), seed.path().join("loop")).unwrap();
        let sha = hex::encode(Sha256::digest(b"hello\n"));
        let wanted: BTreeMap<String, Wanted> =
            [(sha.clone(), Wanted { package: "p".into(), source: source(&sha) })].into();
        assert_eq!(cache.import(seed.path(), &wanted).unwrap(), 1);
        let left: Vec<_> = std::fs::read_dir(&cache.dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["sha256"], "no temporary file is left in the cache");
    }

    /// Answers `requests` requests on loopback, each with what `answer` gives for the
    /// request line: status, claimed content length, body.
    fn serve_with(requests: usize, answer: impl Fn(&str) -> (&'static str, usize, Vec<u8>) + Send + 'static) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut line = String::new();
                BufReader::new(&stream).read_line(&mut line).unwrap();
                let (status, length, body) = answer(&line);
                let head = format!("HTTP/1.1 {status}\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n");
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(&body).unwrap();
            }
        });
        format!("http://{address}")
    }

    /// Serves `/gone` as 404, `/other` with other bytes and `/hello` right, on loopback,
    /// for as many requests as given.
    fn serve(requests: usize) -> String {
        serve_with(requests, |line| {
            let (status, body): (&str, &[u8]) = match line.split_whitespace().nth(1) {
                Some("/hello") => ("200 OK", b"hello\n"),
                Some("/other") => ("200 OK", b"not hello\n"),
                Some("/huge") => ("200 OK", b""),
                _ => ("404 Not Found", b""),
            };
            // `/huge` claims 8 GiB; it sends nothing, the client must not wait for it.
            let length = if line.contains("/huge") { 8 << 30 } else { body.len() };
            (status, length, body.to_vec())
        })
    }

    #[test]
    fn each_location_that_misses_is_named_with_why() {
        let (_cache_dir, cache) = empty_cache();
        let base = serve(4);
        let sha = hex::encode(Sha256::digest(b"hello\n"));
        let mut wanted = source(&sha);
        wanted.locations = vec![
            Location::Url(format!("{base}/gone")),
            Location::Url(format!("{base}/other")),
            Location::DebianPool("pool/main/h/hello/hello.txt".into()),
            Location::Url(format!("{base}/huge")),
        ];
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fetch = |source: Source| {
            runtime.block_on(cache.try_fetch_all(vec![Wanted { package: "hello".into(), source }], 1)).unwrap()
        };
        let failures = fetch(wanted.clone());
        let unfetched = &failures[&sha];
        let misses: Vec<&Miss> = unfetched.attempts.iter().map(|(_, miss)| miss).collect();
        assert_eq!(misses[0], &Miss::Gone { status: 404 });
        assert_eq!(
            misses[1],
            &Miss::HashMismatch { expected: sha.clone(), got: hex::encode(Sha256::digest(b"not hello\n")) }
        );
        assert_eq!(misses[2], &Miss::NoMirror);
        assert!(matches!(misses[3], Miss::Failed(why) if why.contains("more than any source")), "{:?}", misses[3]);
        assert!(unfetched.to_string().contains(&format!("{base}/gone: gone")), "{unfetched}");
        assert!(!cache.has(&sha), "nothing that missed entered the cache");

        wanted.locations.push(Location::Url(format!("{base}/hello")));
        wanted.locations.drain(..2);
        wanted.locations.retain(|l| !l.to_string().ends_with("/huge"));
        assert!(fetch(wanted).is_empty());
        assert_eq!(cache.read(&source(&sha)).unwrap(), b"hello\n");
    }

    #[test]
    fn the_crate_fetch_manifest_asks_for_one_crate() {
        let manifest: toml::Table = toml::from_str(&crate_fetch_manifest("tikv-jemalloc-sys", "0.6.0+5.3.0")).unwrap();
        assert!(manifest.contains_key("workspace"), "its own workspace, wherever the cache is");
        let dependencies = manifest["dependencies"].as_table().unwrap();
        assert_eq!(dependencies.len(), 1);
        assert_eq!(dependencies["tikv-jemalloc-sys"].as_str(), Some("0.6.0+5.3.0"));
    }

    /// Real cargo, real registry: a crate comes in only at the checksum a Cargo.lock pins.
    #[test]
    fn a_crate_is_fetched_by_cargo_and_admitted_only_at_its_pin() {
        let (cache_dir, mut cache) = empty_cache();
        // A CARGO_HOME of its own: nothing of another version is already downloaded there.
        cache.cargo_home = Some(cache_dir.path().join("cargo-home"));
        // itoa 1.0.11's checksum, as Cargo.lock files record it.
        let pinned = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b";
        let crate_source = |sha256: &str, version: &str| Source {
            file: format!("itoa-{version}.crate"),
            sha256: sha256.into(),
            locations: vec![Location::Crate { name: "itoa".into(), version: version.into() }],
            note: String::new(),
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fetch = |source: Source| {
            runtime.block_on(cache.try_fetch_all(vec![Wanted { package: "p".into(), source }], 1)).unwrap()
        };

        let other = hex::encode(Sha256::digest(b"other bytes"));
        let failures = fetch(crate_source(&other, "1.0.11"));
        assert_eq!(
            failures[&other].attempts[0].1,
            Miss::HashMismatch { expected: other.clone(), got: pinned.into() },
            "{}",
            failures[&other]
        );
        assert!(!cache.has(&other) && !cache.has(pinned), "nothing of a mismatch enters the cache");

        let failures = fetch(crate_source(pinned, "0.0.999"));
        assert!(
            matches!(&failures[pinned].attempts[0].1, Miss::ToolFailed { tool, .. } if tool.contains("itoa =0.0.999")),
            "{}",
            failures[pinned]
        );

        assert!(fetch(crate_source(pinned, "1.0.11")).is_empty());
        let bytes = cache.read(&crate_source(pinned, "1.0.11")).unwrap();
        assert_eq!(&bytes[..2], b"\x1f\x8b", "a .crate file is a gzipped tarball");

        // A yanked version, as Cargo.lock files still pin them: bytes 1.6.0.
        let yanked = Source {
            file: "bytes-1.6.0.crate".into(),
            sha256: "514de17de45fdb8dc022b1a7975556c53c86f9f0aa5f534b98977b171857c2c9".into(),
            locations: vec![Location::Crate { name: "bytes".into(), version: "1.6.0".into() }],
            note: String::new(),
        };
        let failures = fetch(yanked.clone());
        assert!(failures.is_empty(), "{}", failures.values().next().unwrap());
        assert!(cache.has(&yanked.sha256));
    }

    /// Serves `body` for any path, `requests` times.
    fn serve_body(body: Vec<u8>, requests: usize) -> String {
        format!("{}/bundle.tar.xz", serve_with(requests, move |_| ("200 OK", body.len(), body.clone())))
    }

    /// An xz-compressed tar archive holding `bundle/inner.txt` ("inner\n") and a link.
    fn bundle() -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(6);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "bundle/inner.txt", &b"inner\n"[..]).unwrap();
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        tar.append_link(&mut link, "bundle/link.txt", "inner.txt").unwrap();
        let plain = tar.into_inner().unwrap();
        let mut xz = Vec::new();
        xz2::read::XzEncoder::new(plain.as_slice(), 1).read_to_end(&mut xz).unwrap();
        xz
    }

    #[test]
    fn a_member_is_taken_from_its_archive_only_at_both_pins() {
        let (_cache_dir, cache) = empty_cache();
        let archive_bytes = bundle();
        let archive_sha = hex::encode(Sha256::digest(&archive_bytes));
        let inner_sha = hex::encode(Sha256::digest(b"inner\n"));
        let url = serve_body(archive_bytes, 2);
        let archive = Source {
            file: "bundle.tar.xz".into(),
            sha256: archive_sha.clone(),
            locations: vec![Location::Url(url)],
            note: String::new(),
        };
        let member = |sha256: &str, path: &str, archive: &Source| Source {
            file: "inner.txt".into(),
            sha256: sha256.into(),
            locations: vec![Location::Member { archive: Box::new(archive.clone()), path: path.into() }],
            note: String::new(),
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fetch = |source: Source| {
            runtime.block_on(cache.try_fetch_all(vec![Wanted { package: "p".into(), source }], 1)).unwrap()
        };

        // The archive as served is not the one pinned: nothing is taken from it.
        let mut forged = archive.clone();
        forged.sha256 = hex::encode(Sha256::digest(b"another archive"));
        let failures = fetch(member(&inner_sha, "bundle/inner.txt", &forged));
        let why = failures[&inner_sha].to_string();
        assert!(why.contains("its archive could not be had") && why.contains("hash mismatch"), "{why}");
        assert!(!cache.has(&inner_sha));

        // The pinned archive, a member that is not what its pin says: the archive is kept,
        // the member is not.
        let other = hex::encode(Sha256::digest(b"other\n"));
        let failures = fetch(member(&other, "bundle/inner.txt", &archive));
        assert_eq!(
            failures[&other].attempts[0].1,
            Miss::HashMismatch { expected: other.clone(), got: inner_sha.clone() }
        );
        assert!(cache.has(&archive_sha) && !cache.has(&other));

        // From here on the archive comes from the cache: the server has answered its two.
        let failures = fetch(member(&inner_sha, "bundle/missing.txt", &archive));
        assert!(
            failures[&inner_sha].to_string().contains("has no member bundle/missing.txt"),
            "{}",
            failures[&inner_sha]
        );
        let failures = fetch(member(&inner_sha, "bundle/link.txt", &archive));
        assert!(failures[&inner_sha].to_string().contains("not a regular file"), "{}", failures[&inner_sha]);

        assert!(fetch(member(&inner_sha, "./bundle/inner.txt", &archive)).is_empty());
        assert_eq!(cache.read(&member(&inner_sha, "bundle/inner.txt", &archive)).unwrap(), b"inner\n");
    }
}
