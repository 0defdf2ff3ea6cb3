//! Atomic writes into the tree.
//!
//! Nothing under out/ or manifest/ is ever written in place: files go to a temporary
//! name in the same directory and are renamed, directories are assembled beside their
//! destination and swapped in, so an interrupted run leaves the old state or the new.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically, creating parent directories.
///
/// The bytes go to a file with no name (`O_TMPFILE`) until they are on disk; only then is
/// it linked under a temporary name carrying this process's id and renamed over `path`.
/// A run killed while writing leaves nothing; one killed in the instant between the link
/// and the rename leaves a name that [`sweep_leftovers`] removes once this process is gone.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().context("a file to write has a parent directory")?;
    let staged = Staged::new(parent, bytes)?;
    let temporary = parent.join(temporary_name());
    staged.link(&temporary).with_context(|| format!("linking {}", temporary.display()))?;
    if let Err(error) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("writing {}", path.display()));
    }
    std::fs::File::open(parent)?.sync_all()?;
    Ok(())
}

/// Writes `bytes` under the first of `names` (in `dir`) that does not exist yet, never
/// replacing a file another writer made meanwhile; returns the name taken. Like
/// [`write_atomic`], nothing is named until the bytes are on disk.
pub fn write_first_free(dir: &Path, names: impl Iterator<Item = String>, bytes: &[u8]) -> Result<PathBuf> {
    let staged = Staged::new(dir, bytes)?;
    for name in names {
        let path = dir.join(name);
        match staged.link(&path) {
            Ok(()) => {
                std::fs::File::open(dir)?.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("writing {}", path.display())),
        }
    }
    anyhow::bail!("no free name left in {}", dir.display())
}

/// Bytes on disk in a directory, mode 0644 whatever the umask, not yet under the name
/// they are meant for: unnamed (`O_TMPFILE`), or where the filesystem has no such thing,
/// under a temporary name that goes when this value does.
struct Staged {
    file: std::fs::File,
    temporary: Option<PathBuf>,
}

impl Staged {
    fn new(dir: &Path, bytes: &[u8]) -> Result<Staged> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let staged = match unnamed_file(dir) {
            Ok(file) => Staged { file, temporary: None },
            Err(_) => {
                let temporary = dir.join(temporary_name());
                let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&temporary);
                Staged {
                    file: file.with_context(|| format!("creating {}", temporary.display()))?,
                    temporary: Some(temporary),
                }
            }
        };
        let mut file = &staged.file;
        file.write_all(bytes)
            .and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(0o644)))
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing in {}", dir.display()))?;
        Ok(staged)
    }

    /// Gives the bytes the name `path`; fails with `AlreadyExists` if it is taken.
    fn link(&self, path: &Path) -> std::io::Result<()> {
        match &self.temporary {
            None => link_unnamed(&self.file, path),
            Some(temporary) => std::fs::hard_link(temporary, path),
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(temporary) = &self.temporary {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Reads a file that someone else may have put there (a signature, a certificate, a
/// manifest entry, a blob of a layout): only a regular file, never through a link, and
/// never more than `cap` bytes. A FIFO, a device or a link is refused without blocking
/// on it; a file that is, or grows, longer than `cap` is refused without being read whole.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file =
        std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path).map_err(
            |e| match e.raw_os_error() {
                Some(libc::ELOOP) => anyhow::anyhow!("{} is a symbolic link, not a regular file", path.display()),
                _ => anyhow::Error::new(e).context(format!("reading {}", path.display())),
            },
        )?;
    let metadata = file.metadata().with_context(|| format!("reading {}", path.display()))?;
    if !metadata.is_file() {
        anyhow::bail!("{} is not a regular file ({})", path.display(), kind(&metadata.file_type()));
    }
    if metadata.len() > cap {
        anyhow::bail!("{} is {} bytes, more than the {cap} such a file may have", path.display(), metadata.len());
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    (&file).take(cap + 1).read_to_end(&mut bytes).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > cap {
        anyhow::bail!("{} grew past the {cap} bytes such a file may have while it was read", path.display());
    }
    Ok(bytes)
}

/// What a file that is not regular is, in words.
fn kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// `.tmp-<pid>-<n>`: a temporary name whose writer the sweep can tell is gone.
fn temporary_name() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(".tmp-{}-{n}", std::process::id())
}

/// A file in `dir` with no name yet.
fn unnamed_file(dir: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).custom_flags(libc::O_TMPFILE).mode(0o644).open(dir)
}

/// Gives an unnamed file a name (through /proc, which needs no privilege).
fn link_unnamed(file: &std::fs::File, name: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let to = std::ffi::CString::new(name.as_os_str().as_bytes())?;
    // SAFETY: two NUL-terminated paths that live across the call.
    let done =
        unsafe { libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Whether the writer of a `.tmp-<pid>-<n>` name may still be writing it: its process
/// lives. Other `.tmp*` names (tempfile's) are gone with their writer by design.
fn writer_alive(name: &str) -> bool {
    let Some(pid) = name.strip_prefix(".tmp-").and_then(|rest| rest.split('-').next()) else { return false };
    let Ok(pid) = pid.parse::<libc::pid_t>() else { return false };
    // SAFETY: signal 0 only asks whether the process exists.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}

/// Sweeps manifest/ of what killed writes left: temporary files in manifest/packages/,
/// manifest/keys/ and each signature directory of the lookaside tree. Every command does
/// this first, so a reviewed tree never shows them.
pub fn sweep_manifest(root: &Path) {
    // Never through a symbolic link: a tree's link to a directory elsewhere is not swept.
    let real = |dir: &Path| std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    let manifest = root.join("manifest");
    if !real(&manifest) {
        return;
    }
    let mut dirs: Vec<PathBuf> =
        [manifest.join("packages"), manifest.join("keys")].into_iter().filter(|d| real(d)).collect();
    // manifest/signatures/<namespace>/<name>@sha256=<hex>/
    let subdirs = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir).map_or(vec![], |read| {
            read.flatten().filter(|item| item.file_type().is_ok_and(|t| t.is_dir())).map(|item| item.path()).collect()
        })
    };
    let signatures = manifest.join("signatures");
    for namespace in subdirs(&signatures).into_iter().filter(|_| real(&signatures)) {
        dirs.extend(subdirs(&namespace));
    }
    for dir in dirs {
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        for item in read.flatten() {
            let name = item.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".tmp") && !writer_alive(&name) && item.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }
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
        } else if !(name.starts_with(".staging-") || name.starts_with(".tmp") && !writer_alive(&name)) {
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

    #[test]
    fn an_untrusted_file_is_read_only_if_regular_and_small() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("signature-1");
        let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
        // With no writer, a plain open of the FIFO would block for ever.
        let error = format!("{:#}", read_regular(&fifo, 1024).unwrap_err());
        assert!(error.contains("is not a regular file (a FIFO)"), "{error}");
        let zero = dir.path().join("signature-2");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let error = format!("{:#}", read_regular(&zero, 1024).unwrap_err());
        assert!(error.contains("is a symbolic link"), "{error}");
        let big = dir.path().join("signature-3");
        std::fs::write(&big, vec![0; 1025]).unwrap();
        let error = format!("{:#}", read_regular(&big, 1024).unwrap_err());
        assert!(error.contains("1025 bytes, more than the 1024"), "{error}");
        assert!(format!("{:#}", read_regular(Path::new("/dev/null"), 1024).unwrap_err()).contains("a device"));
        std::fs::write(&big, b"fits").unwrap();
        assert_eq!(read_regular(&big, 1024).unwrap(), b"fits");
    }

    #[test]
    fn a_write_leaves_only_its_file_and_the_sweep_takes_what_dead_writers_left() {
        let root = tempfile::tempdir().unwrap();
        let packages = root.path().join("manifest/packages");
        write_atomic(&packages.join("musl.toml"), b"entry\n").unwrap();
        let signatures = root.path().join("manifest/signatures/cairn/musl@sha256=00");
        let first = write_first_free(&signatures, (1..).map(|n| format!("signature-{n}")), b"one").unwrap();
        let second = write_first_free(&signatures, (1..).map(|n| format!("signature-{n}")), b"two").unwrap();
        assert_eq!(
            (first.file_name().unwrap(), second.file_name().unwrap()),
            ("signature-1".as_ref(), "signature-2".as_ref())
        );
        let names = |dir: &Path| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names(&packages), ["musl.toml"]);
        assert_eq!(std::fs::metadata(packages.join("musl.toml")).unwrap().permissions().mode() & 0o777, 0o644);
        // What a killed run left: a name of a process that is gone, and tempfile's kind;
        // a live writer's name stays.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        for dir in [&packages, &signatures] {
            std::fs::write(dir.join(format!(".tmp-{dead}-0")), "half").unwrap();
            std::fs::write(dir.join(".tmpAbC123"), "half").unwrap();
            std::fs::write(dir.join(format!(".tmp-{}-9", std::process::id())), "being written").unwrap();
        }
        sweep_manifest(root.path());
        let live = format!(".tmp-{}-9", std::process::id());
        assert_eq!(names(&packages), [live.as_str(), "musl.toml"]);
        assert_eq!(names(&signatures), [live.as_str(), "signature-1", "signature-2"]);
    }
}
