//! Atomic writes into the tree.
//!
//! Nothing under out/ or manifest/ is ever written in place: files go to a temporary
//! name in the same directory and are renamed, directories are assembled beside their
//! destination and swapped in, so an interrupted run leaves the old state or the new.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().context("a file to write has a parent directory")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let mut file = tempfile::NamedTempFile::new_in(parent)
        .with_context(|| format!("creating a temporary file in {}", parent.display()))?;
    file.write_all(bytes)?;
    // Temporary files are private; what we publish is readable like any other file.
    file.as_file().set_permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o644))?;
    file.as_file().sync_all()?;
    file.persist(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A directory being assembled beside its final place; dropped unfinished, it vanishes.
pub struct StagedDir {
    staging: tempfile::TempDir,
    target: PathBuf,
}

impl StagedDir {
    pub fn new(target: &Path) -> Result<StagedDir> {
        let parent = target.parent().context("a directory to write has a parent")?;
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(parent)
            .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
        Ok(StagedDir { staging, target: target.to_owned() })
    }

    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Swaps the staged directory in for the target in one step (`renameat2` with
    /// `RENAME_EXCHANGE`: at no moment is the target absent), then removes the old one.
    /// Where the filesystem cannot exchange, the old one is moved aside first, and an
    /// interrupted run's `sweep_leftovers` puts it back.
    pub fn commit(self) -> Result<()> {
        let staged = self.staging.keep();
        let parent = self.target.parent().context("a directory to write has a parent")?.to_owned();
        let result = if self.target.exists() {
            match exchange(&staged, &self.target) {
                // `staged` now holds the old directory.
                Ok(()) => std::fs::remove_dir_all(&staged).with_context(|| format!("removing {}", staged.display())),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) || e.raw_os_error() == Some(libc::ENOSYS) => {
                    move_aside_and_swap(&self.target, &staged)
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&staged);
                    Err(e).with_context(|| format!("swapping the new {} in place", self.target.display()))
                }
            }
        } else {
            std::fs::rename(&staged, &self.target).map_err(|e| {
                let _ = std::fs::remove_dir_all(&staged);
                anyhow::Error::new(e).context(format!("moving the new {} in place", self.target.display()))
            })
        };
        result?;
        std::fs::File::open(&parent)?.sync_all()?;
        Ok(())
    }
}

/// The swap where the filesystem cannot exchange: the old directory moves aside first.
fn move_aside_and_swap(target: &Path, staged: &Path) -> Result<()> {
    let old = target.with_file_name(format!(
        ".old-{}-{}",
        target.file_name().and_then(|n| n.to_str()).unwrap_or("dir"),
        std::process::id()
    ));
    std::fs::rename(target, &old).with_context(|| format!("moving {} aside", target.display()))?;
    if let Err(e) = std::fs::rename(staged, target) {
        let _ = std::fs::rename(&old, target);
        let _ = std::fs::remove_dir_all(staged);
        return Err(e).with_context(|| format!("moving the new {} in place", target.display()));
    }
    std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))
}

/// Exchanges two paths atomically.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two NUL-terminated paths that live across the call.
    let done =
        unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Cleans up after interrupted runs in a directory: removes half-assembled `.staging-*`
/// directories and temporary files; an `.old-NAME-PID` moved aside just before its
/// replacement was swapped in goes back in place if `NAME` is missing, else away.
pub fn sweep_leftovers(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    for item in read.flatten() {
        let name = item.file_name();
        let name = name.to_string_lossy();
        let path = item.path();
        if let Some(rest) = name.strip_prefix(".old-") {
            let original = rest.rsplit_once('-').map_or(rest, |(original, _pid)| original);
            let target = dir.join(original);
            if !target.exists() && std::fs::rename(&path, &target).is_ok() {
                continue;
            }
        } else if !(name.starts_with(".staging-") || name.starts_with(".tmp")) {
            continue;
        }
        let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
    }
}

/// A lock on `out/` held for as long as this value lives: exclusive for what writes it
/// (build, reproduce, prove: two runs never build into one `out/` at once, and the sweep
/// of leftovers never removes another run's staging), shared for what only reads it
/// (sign, load, files). A run that finds it taken says so and waits.
pub struct OutLock {
    _file: std::fs::File,
}

impl OutLock {
    pub fn exclusive(out: &Path) -> Result<OutLock> {
        OutLock::take(out, libc::LOCK_EX)
    }

    pub fn shared(out: &Path) -> Result<OutLock> {
        OutLock::take(out, libc::LOCK_SH)
    }

    fn take(out: &Path, kind: libc::c_int) -> Result<OutLock> {
        use std::os::fd::AsRawFd;
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = out.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock on a file descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) } != 0 {
            eprintln!("waiting for another cairn run that holds {} ...", path.display());
            // SAFETY: as above, blocking this time.
            if unsafe { libc::flock(file.as_raw_fd(), kind) } != 0 {
                return Err(std::io::Error::last_os_error()).with_context(|| format!("locking {}", path.display()));
            }
        }
        Ok(OutLock { _file: file })
    }

    /// Takes the lock only if it is free now.
    #[cfg(test)]
    fn try_take(out: &Path, kind: libc::c_int) -> Option<OutLock> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(out.join(".lock")).ok()?;
        // SAFETY: flock on a file descriptor this function owns.
        (unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) } == 0).then_some(OutLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_directory_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("musl");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old"), "old").unwrap();
        let staged = StagedDir::new(&target).unwrap();
        std::fs::write(staged.path().join("new"), "new").unwrap();
        staged.commit().unwrap();
        assert!(target.join("new").exists() && !target.join("old").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing left beside it");
    }

    #[test]
    fn a_reader_never_sees_the_directory_missing_while_it_is_replaced() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("musl");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("index.json"), "0").unwrap();
        let (done, missing) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        let reader = {
            let (done, missing, index) = (done.clone(), missing.clone(), target.join("index.json"));
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if !index.exists() {
                        missing.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        for i in 1..=300 {
            let staged = StagedDir::new(&target).unwrap();
            std::fs::write(staged.path().join("index.json"), i.to_string()).unwrap();
            staged.commit().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap();
        assert_eq!(missing.load(Ordering::Relaxed), 0, "out/<name>/index.json was absent while a build replaced it");
        assert_eq!(std::fs::read_to_string(target.join("index.json")).unwrap(), "300");
    }

    #[test]
    fn an_unfinished_staging_vanishes_and_an_old_directory_moved_aside_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        drop(StagedDir::new(&dir.path().join("busybox")).unwrap());
        std::fs::create_dir(dir.path().join(".staging-crashed")).unwrap();
        std::fs::create_dir(dir.path().join(".old-musl-1234")).unwrap();
        std::fs::write(dir.path().join(".old-musl-1234/layout"), "old").unwrap();
        sweep_leftovers(dir.path());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["musl"]);
        assert_eq!(std::fs::read_to_string(dir.path().join("musl/layout")).unwrap(), "old");
    }

    #[test]
    fn out_is_written_by_one_run_at_a_time_and_read_by_many() {
        let out = tempfile::tempdir().unwrap();
        let writer = OutLock::exclusive(out.path()).unwrap();
        assert!(OutLock::try_take(out.path(), libc::LOCK_SH).is_none(), "a reader waits for the writer");
        assert!(OutLock::try_take(out.path(), libc::LOCK_EX).is_none(), "a second writer waits");
        drop(writer);
        let reader = OutLock::shared(out.path()).unwrap();
        assert!(OutLock::try_take(out.path(), libc::LOCK_SH).is_some(), "readers share");
        assert!(OutLock::try_take(out.path(), libc::LOCK_EX).is_none(), "a writer waits for readers");
        drop(reader);
    }
}
