//! The machine a build ran on, as receipts and `reproduce --json` record it under
//! `machine`: whoever counts signatures can then tell M rebuilds on M machines from M on
//! one. Nothing here enters an input hash or a digest.
//!
//! The CPU's vendor and model are read from this machine's /proc/cpuinfo, so only for
//! engines on this machine (a unix socket); for an engine elsewhere they are unknown.

use serde::{Deserialize, Serialize};

/// One fact of the build machine, searched for in every image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// What it is: `the kernel release`, `the CPU model`, ...
    pub what: &'static str,
    pub text: String,
}

/// What one build saw of its machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// CPUs the build was given: `--cpus N`, else every CPU of the engine.
    pub cpus: Option<u32>,
    /// `GenuineIntel`, `AuthenticAMD`, ...
    pub cpu_vendor: Option<String>,
    /// /proc/cpuinfo's `model name`.
    pub cpu_model: Option<String>,
    /// The kernel release builds ran on, as the engine reports it (`uname -r`).
    pub kernel: Option<String>,
    /// `Docker 20.10.24 (API 1.41)`; none for an image laid out without an engine.
    pub engine: Option<String>,
    /// The engine's storage driver: `overlay2`, `vfs`, ...
    pub storage_driver: Option<String>,
    /// Whether the engine runs without root (its user namespace maps owners).
    pub rootless: Option<bool>,
}

impl Machine {
    /// This machine, for what is laid out without an engine.
    pub fn here() -> Machine {
        let (cpu_vendor, cpu_model) = local_cpu();
        Machine {
            cpus: std::thread::available_parallelism().ok().map(|n| n.get() as u32),
            cpu_vendor,
            cpu_model,
            kernel: local_kernel(),
            engine: None,
            storage_driver: None,
            rootless: None,
        }
    }
}

/// The CPUs this process may run on.
pub fn local_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// The vendor and model name of this machine's first CPU.
pub fn local_cpu() -> (Option<String>, Option<String>) {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpuinfo(&text)
}

fn cpuinfo(text: &str) -> (Option<String>, Option<String>) {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned()).filter(|v| !v.is_empty())
        })
    };
    (field("vendor_id"), field("model name"))
}

/// `uname -r` of this machine.
pub fn local_kernel() -> Option<String> {
    uname(|name| name.release.as_ptr())
}

/// `uname -v` of this machine: the kernel's version string.
pub fn local_kernel_version() -> Option<String> {
    uname(|name| name.version.as_ptr())
}

/// `uname -n` of this machine: its host name.
pub fn local_host_name() -> Option<String> {
    uname(|name| name.nodename.as_ptr())
}

fn uname(field: impl Fn(&libc::utsname) -> *const libc::c_char) -> Option<String> {
    // SAFETY: uname fills the struct it is given; each field is NUL-terminated and lives
    // as long as `name`, which outlives the copy.
    unsafe {
        let mut name: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut name) != 0 {
            return None;
        }
        Some(std::ffi::CStr::from_ptr(field(&name)).to_string_lossy().into_owned()).filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_is_read_from_cpuinfo() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n\n\
                    processor\t: 1\nvendor_id\t: GenuineIntel\n";
        assert_eq!(cpuinfo(text), (Some("GenuineIntel".into()), Some("Intel(R) Xeon(R) CPU @ 2.20GHz".into())));
        assert_eq!(cpuinfo(""), (None, None));
        assert!(local_kernel().is_some_and(|k| !k.is_empty()));
    }
}
