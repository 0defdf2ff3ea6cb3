//! manifest/times.toml: how long each package took to build from scratch, by the CPUs its
//! build saw. `build` writes a package's time each time it builds it (not when it is up to
//! date or substituted); `plan` and the build's order read them.
//!
//! Apart from the digests on purpose: no build reads this file, so a new time changes no
//! input hash and rebuilds nothing, and a reviewer sees times and digests change in
//! separate files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// What heads the file: it is rewritten whole, so its comments are the tool's.
const HEADER: &str = r#"# How long each package's last build from scratch took, in whole seconds, keyed by the
# CPUs its build saw (`[cross]`, `version = "15.3.0"`, `2 = 1500`: version 15.3.0 took
# 1500 s with 2 CPUs; a new version drops the times of the old one): its wall time, or,
# when other builds shared its engine, the time it would have taken alone by the model
# `cargo xtask plan --help` states. `cargo xtask build` writes a package's line when it
# builds it, not when it is up to date or substituted; `plan` and the order `build` starts
# packages in read them. No build reads this file: a change here rebuilds nothing.
"#;

/// The recorded times, by package.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Times {
    pub packages: BTreeMap<String, Runs>,
}

/// One package's times: of this version, seconds by CPUs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Runs {
    pub version: Option<String>,
    pub seconds: BTreeMap<u32, u64>,
}

/// More than this is not a build time (115 days): a typo, or a file made to overflow.
const MOST: u64 = 10_000_000;

pub fn path(root: &Path) -> PathBuf {
    root.join("manifest").join("times.toml")
}

/// Large enough for every package of a big tree many times over.
const CAP: u64 = 1 << 20;

impl Times {
    /// The recorded times; none when the file does not exist. A file that does not parse
    /// is an error naming it and the line.
    pub fn load(root: &Path) -> Result<Times> {
        let path = path(root);
        if matches!(path.symlink_metadata(), Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
            return Ok(Times::default());
        }
        let bytes = crate::workspace::read_regular(&path, CAP)?;
        let text = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
        Times::parse(&text).with_context(|| format!("{} (fix or delete it: `build` writes it again)", path.display()))
    }

    fn parse(text: &str) -> Result<Times> {
        let table: toml::Table = toml::from_str(text)?;
        let mut packages = BTreeMap::new();
        for (name, value) in table {
            let Some(runs) = value.as_table() else {
                bail!("`{name}` must be a table of CPUs = seconds, like [{name}] then 2 = 60");
            };
            let mut times = Runs::default();
            for (key, value) in runs {
                if key == "version" {
                    let Some(version) = value.as_str() else {
                        bail!("[{name}] version: `{value}` is not a string");
                    };
                    times.version = Some(version.to_owned());
                    continue;
                }
                let cpus: u32 = match key.parse() {
                    Ok(n) if n > 0 => n,
                    _ => bail!("[{name}]: `{key}` is not a CPU count (a whole number from 1)"),
                };
                let seconds = match value.as_integer() {
                    Some(s) if (1..=MOST as i64).contains(&s) => s as u64,
                    _ => bail!("[{name}] {cpus}: `{value}` is not a whole number of seconds from 1 to {MOST}"),
                };
                times.seconds.insert(cpus, seconds);
            }
            packages.insert(name, times);
        }
        Ok(Times { packages })
    }

    fn render(&self) -> String {
        let mut text = HEADER.to_owned();
        for (name, runs) in &self.packages {
            // Package names are bare keys; anything else written by hand is quoted.
            let bare = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let key = if bare { name.clone() } else { toml::Value::String(name.clone()).to_string() };
            text.push_str(&format!("\n[{key}]\n"));
            if let Some(version) = &runs.version {
                text.push_str(&format!("version = {}\n", toml::Value::String(version.clone())));
            }
            for (cpus, seconds) in &runs.seconds {
                text.push_str(&format!("{cpus} = {seconds}\n"));
            }
        }
        text
    }

    /// `name`'s times, if it has any.
    pub fn get(&self, name: &str) -> Option<&BTreeMap<u32, u64>> {
        self.packages.get(name).map(|runs| &runs.seconds).filter(|seconds| !seconds.is_empty())
    }
}

/// Records that version `version` of `name` built from scratch in `seconds` with `cpus`
/// CPUs, replacing what was recorded for that count (and every count, for another
/// version). Read again and written under a lock on manifest/ that every writer takes,
/// so runs finishing together keep each other's lines.
pub fn record(root: &Path, name: &str, version: &str, cpus: u32, seconds: f64) -> Result<()> {
    let _lock = lock(&root.join("manifest"))?;
    let mut times = Times::load(root)?;
    let runs = times.packages.entry(name.to_owned()).or_default();
    if runs.version.as_deref() != Some(version) {
        runs.seconds.clear();
        runs.version = Some(version.to_owned());
    }
    let seconds = if seconds.is_finite() { seconds.round().clamp(1.0, MOST as f64) as u64 } else { MOST };
    runs.seconds.insert(cpus.max(1), seconds);
    let path = path(root);
    crate::workspace::write_atomic(&path, times.render().as_bytes())
        .with_context(|| format!("recording {name}'s build time in {}", path.display()))
}

/// An exclusive lock on a directory, held until dropped.
fn lock(dir: &Path) -> Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    // SAFETY: flock on a descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error()).with_context(|| format!("locking {}", dir.display()));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_recorded_reads_back_and_other_lines_stay() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("manifest")).unwrap();
        record(temp.path(), "cross", "12", 2, 1499.6).unwrap();
        record(temp.path(), "cross", "12", 1, 2400.0).unwrap();
        record(temp.path(), "bootstrap", "1", 2, 0.2).unwrap();
        record(temp.path(), "cross", "12", 2, 1510.0).unwrap();
        let times = Times::load(temp.path()).unwrap();
        assert_eq!(times.get("cross"), Some(&BTreeMap::from([(1, 2400), (2, 1510)])));
        // Under a second is recorded as one: a package that took no time is not unknown.
        assert_eq!(times.get("bootstrap"), Some(&BTreeMap::from([(2, 1)])));
        let text = std::fs::read_to_string(path(temp.path())).unwrap();
        assert!(text.starts_with("# How long each package"), "{text}");
        assert!(text.contains("\n[cross]\nversion = \"12\"\n1 = 2400\n2 = 1510\n"), "{text}");
        // Another version's times are not this one's.
        record(temp.path(), "cross", "15", 2, 1800.0).unwrap();
        assert_eq!(Times::load(temp.path()).unwrap().get("cross"), Some(&BTreeMap::from([(2, 1800)])));
    }

    #[test]
    fn writers_in_parallel_keep_each_others_lines() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("manifest")).unwrap();
        let root = temp.path().to_path_buf();
        let writers: Vec<_> = (0..16)
            .map(|i| {
                let root = root.clone();
                std::thread::spawn(move || record(&root, &format!("p{i}"), "1", 2, 10.0 + i as f64).unwrap())
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let times = Times::load(&root).unwrap();
        assert_eq!(times.packages.len(), 16, "{times:?}");
    }

    #[test]
    fn no_file_is_no_times_and_a_bad_one_is_an_error_naming_it() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(Times::load(temp.path()).unwrap(), Times::default());
        std::fs::create_dir_all(temp.path().join("manifest")).unwrap();
        for (text, says) in [
            ("[cross]\ntwo = 5\n", "`two` is not a CPU count"),
            ("[cross]\n0 = 5\n", "`0` is not a CPU count"),
            ("[cross]\n2 = 1.5\n", "not a whole number of seconds"),
            ("[cross]\n2 = 0\n", "not a whole number of seconds from 1"),
            ("[cross]\n2 = 9223372036854775807\n", "not a whole number of seconds from 1"),
            ("[cross]\nversion = 2\n", "is not a string"),
            ("cross = 5\n", "must be a table"),
            ("[cross\n", "times.toml"),
        ] {
            std::fs::write(path(temp.path()), text).unwrap();
            let error = format!("{:#}", Times::load(temp.path()).unwrap_err());
            assert!(error.contains(says) && error.contains("times.toml"), "{text:?}: {error}");
        }
    }
}
