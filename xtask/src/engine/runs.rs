//! Runs and what they leave in an engine.
//!
//! Everything a run creates in an engine carries its run id, `<host>-<pid>`: the tags of
//! the images it builds and loads end in it, its export containers are named with it,
//! and `LABEL dev.cairn.run=<id>` opens every stage it builds, so every intermediate
//! image (and the containers of its steps, which inherit image labels) carries it. A
//! run removes its own objects when it ends; a run that was killed cannot, so every run
//! starts by removing the objects of runs of this host that are no longer alive (each run
//! holds a lock on `<cache>/runs/<id>` while it lives: see [`claim`]), and
//! `cargo xtask gc` does the same on demand. Objects without our label or run id, and
//! those of runs on other hosts sharing the engine, are never touched.

use std::sync::OnceLock;

/// The label every image and container of a run carries.
pub const LABEL: &str = "dev.cairn.run";

/// This run's id: `<host>-<pid>`, in the characters an image tag allows.
pub fn this() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", host(), std::process::id()))
}

/// This machine's host name, lowercase, letters, digits and `-` only.
pub fn host() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer it is given.
    let raw = if unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) } == 0 {
        let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    } else {
        String::new()
    };
    let cleaned: String =
        raw.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).take(40).collect();
    let cleaned = cleaned.trim_matches('-').to_owned();
    if cleaned.is_empty() {
        "host".to_owned()
    } else {
        cleaned
    }
}

/// The run of this host a tag (`cairn/NAME:WHAT.<host>-<pid>`) or container name
/// (`cairn-export.<host>-<pid>.IMAGE`) belongs to: its id and pid.
pub fn of_this_host(name: &str) -> Option<(String, u32)> {
    let host = host();
    name.split(['.', ':', '/']).find_map(|field| {
        let (field_host, pid) = field.rsplit_once('-')?;
        let pid: u32 = pid.parse().ok()?;
        (field_host == host).then(|| (field.to_owned(), pid))
    })
}

/// Where runs record that they are alive: `<cache>/runs/<id>`, locked for as long as the
/// run lives. Set by [`claim`].
static RUNS: OnceLock<std::path::PathBuf> = OnceLock::new();
/// This run's own record, held (and locked) until the process ends.
static CLAIMED: OnceLock<std::fs::File> = OnceLock::new();

/// Records that this run is alive: an exclusive lock on `<dir>/<id>`, which the kernel
/// drops when the process ends however it ends. Another run can then tell this one from
/// a process that merely got its pid later, whatever the program is called.
pub fn claim(dir: &std::path::Path) {
    let _ = RUNS.set(dir.to_owned());
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(this())) else {
        return;
    };
    if lock(&file) == Lock::Taken {
        let _ = CLAIMED.set(file);
    }
}

/// Removes this run's record as it ends normally (a killed run's is removed by the next
/// run that finds its lock free).
pub fn release() {
    if let (Some(dir), Some(_)) = (RUNS.get(), CLAIMED.get()) {
        let _ = std::fs::remove_file(dir.join(this()));
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Lock {
    /// This call took the lock: no one else holds it.
    Taken,
    /// Another open file holds it.
    Held,
    Failed,
}

fn lock(file: &std::fs::File) -> Lock {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this file owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Lock::Taken;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EWOULDBLOCK) => Lock::Held,
        _ => Lock::Failed,
    }
}

/// Whether the run of this host with this pid is over: its process is gone, or its
/// record in `dir` is no longer locked (the pid now belongs to another process). A
/// living process without a record (a run with another cache, or of an older cairn) is
/// taken to be that run: nothing of a run that may be alive is removed.
fn is_over_in(dir: Option<&std::path::Path>, pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    // SAFETY: signal 0 only asks whether the process exists.
    let exists = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !exists {
        return true;
    }
    let Some(record) = dir.map(|dir| dir.join(format!("{}-{pid}", host()))) else { return false };
    let Ok(file) = std::fs::OpenOptions::new().write(true).open(&record) else { return false };
    match lock(&file) {
        Lock::Taken => {
            let _ = std::fs::remove_file(&record);
            true
        }
        Lock::Held | Lock::Failed => false,
    }
}

/// Whether the run of this host with this pid is over (see [`is_over_in`]).
pub fn is_over(pid: u32) -> bool {
    is_over_in(RUNS.get().map(|dir| dir.as_path()), pid)
}

/// The run a tag (`cairn/NAME:WHAT-<host>-<pid>`) or container name belongs to, when it
/// is a run of this host that is over.
pub fn dead_run(name: &str) -> Option<String> {
    let (id, pid) = of_this_host(name)?;
    is_over(pid).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_id_names_this_host_and_process() {
        let id = this();
        assert!(id.ends_with(&format!("-{}", std::process::id())), "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{id}");
        let tag = format!("cairn/musl:reproduce.{id}");
        assert_eq!(of_this_host(&tag), Some((id.to_owned(), std::process::id())));
        assert_eq!(dead_run(&tag), None, "this run is alive");
    }

    #[test]
    fn only_runs_of_this_host_that_are_over_are_dead() {
        // pid_max is at most 2^22: this pid cannot be running.
        let gone = format!("cairn/musl:build.{}-{}", host(), 1u32 << 23);
        assert_eq!(dead_run(&gone), Some(format!("{}-{}", host(), 1u32 << 23)));
        let container = format!("cairn-export.{}-{}.cairn-musl", host(), 1u32 << 23);
        assert_eq!(dead_run(&container), Some(format!("{}-{}", host(), 1u32 << 23)));
        assert_eq!(dead_run(&format!("cairn/musl:build.elsewhere-{}-{}", host(), 1u32 << 23)), None);
        assert_eq!(dead_run("cairn/musl:latest"), None);
        assert_eq!(dead_run("alpine:3.19"), None);
    }

    #[test]
    fn a_living_run_is_told_from_a_process_that_reused_its_pid_by_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        // pid 1 is alive. Without a record it is taken to be a run, whatever its name.
        assert!(!is_over_in(Some(dir.path()), 1));
        assert!(!is_over_in(None, 1));
        // With a record whose lock is held, it is a living run (a renamed binary included).
        let record = dir.path().join(format!("{}-1", host()));
        let held = std::fs::File::create(&record).unwrap();
        assert_eq!(lock(&held), Lock::Taken);
        assert!(!is_over_in(Some(dir.path()), 1), "the run holding its lock is alive");
        // Once the lock is free, the pid belongs to someone else: that run is over.
        drop(held);
        assert!(is_over_in(Some(dir.path()), 1), "a free lock means the run ended");
        assert!(!record.exists(), "its record is removed");
    }
}
