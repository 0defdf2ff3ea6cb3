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
const HEADER: &str = "\
# How long each package's last build from scratch took, in whole seconds, keyed by the
# CPUs its build saw (`[cross]` then `2 = 1500`: 1500 s with 2 CPUs): its wall time, or,
# when other builds shared its engine, the time it would have taken alone by the model
# `cargo xtask plan --help` states. `cargo xtask build` writes a package's line when it
# builds it, not when it is up to date or substituted; `plan` and the order `build` starts
# packages in read them. No build reads this file: a change here rebuilds nothing.
";

/// The recorded times: package -> CPUs -> seconds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Times {
    pub packages: BTreeMap<String, BTreeMap<u32, u64>>,
}

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
            let mut times = BTreeMap::new();
            for (cpus, seconds) in runs {
                let cpus: u32 = match cpus.parse() {
                    Ok(n) if n > 0 => n,
                    _ => bail!("[{name}]: `{cpus}` is not a CPU count (a whole number from 1)"),
                };
                let seconds = match seconds.as_integer() {
                    Some(s) if s >= 0 => s as u64,
                    _ => bail!("[{name}] {cpus}: `{seconds}` is not a whole number of seconds"),
                };
                times.insert(cpus, seconds);
            }
            packages.insert(name, times);
        }
        Ok(Times { packages })
    }

    fn render(&self) -> String {
        let mut text = HEADER.to_owned();
        for (name, runs) in &self.packages {
            text.push_str(&format!("\n[{name}]\n"));
            for (cpus, seconds) in runs {
                text.push_str(&format!("{cpus} = {seconds}\n"));
            }
        }
        text
    }

    pub fn get(&self, name: &str) -> Option<&BTreeMap<u32, u64>> {
        self.packages.get(name).filter(|runs| !runs.is_empty())
    }
}

/// Records that `name` built from scratch in `seconds` with `cpus` CPUs, replacing what
/// was recorded for that count. Read again just before writing, under a lock held by every
/// writer of this process, so builds finishing together keep each other's lines.
pub fn record(root: &Path, name: &str, cpus: u32, seconds: f64) -> Result<()> {
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _writing = WRITING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut times = Times::load(root)?;
    times.packages.entry(name.to_owned()).or_default().insert(cpus.max(1), seconds.round().max(1.0) as u64);
    let path = path(root);
    crate::workspace::write_atomic(&path, times.render().as_bytes())
        .with_context(|| format!("recording {name}'s build time in {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_recorded_reads_back_and_other_lines_stay() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("manifest")).unwrap();
        record(temp.path(), "cross", 2, 1499.6).unwrap();
        record(temp.path(), "cross", 1, 2400.0).unwrap();
        record(temp.path(), "bootstrap", 2, 0.2).unwrap();
        record(temp.path(), "cross", 2, 1510.0).unwrap();
        let times = Times::load(temp.path()).unwrap();
        assert_eq!(times.get("cross"), Some(&BTreeMap::from([(1, 2400), (2, 1510)])));
        // Under a second is recorded as one: a package that took no time is not unknown.
        assert_eq!(times.get("bootstrap"), Some(&BTreeMap::from([(2, 1)])));
        let text = std::fs::read_to_string(path(temp.path())).unwrap();
        assert!(text.starts_with("# How long each package"), "{text}");
        assert!(text.contains("\n[cross]\n1 = 2400\n2 = 1510\n"), "{text}");
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
            ("cross = 5\n", "must be a table"),
            ("[cross\n", "times.toml"),
        ] {
            std::fs::write(path(temp.path()), text).unwrap();
            let error = format!("{:#}", Times::load(temp.path()).unwrap_err());
            assert!(error.contains(says) && error.contains("times.toml"), "{text:?}: {error}");
        }
    }
}
