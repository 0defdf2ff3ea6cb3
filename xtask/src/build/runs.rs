//! Runs and what they leave in an engine.
//!
//! Everything a run creates in an engine carries its run id, `<host>-<pid>`: the tags of
//! the images it builds and loads end in it, its export containers are named with it,
//! and `LABEL dev.cairn.run=<id>` opens every stage it builds, so every intermediate
//! image (and the containers of its steps, which inherit image labels) carries it. A
//! run removes its own objects when it ends; a run that was killed cannot, so every run
//! starts by removing the objects of runs of this host that are no longer alive, and
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

/// Whether the run `id` (of this host, with this pid) is over: its process is gone, or
/// the pid now belongs to a program that is not ours.
pub fn is_over(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    // SAFETY: signal 0 only asks whether the process exists.
    let exists = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !exists {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => comm.trim() != "xtask",
        Err(_) => false,
    }
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
        // pid 1 is alive and is not ours.
        assert!(is_over(1));
    }
}
