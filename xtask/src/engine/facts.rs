//! What an engine tells of the machine it runs on (its `/info`), and what receipts and
//! the leak scan make of it: the machine a build ran on, and the facts of that machine
//! an image must not hold.

use bollard::Docker;

use super::Engine;

/// What an engine says of the machine it runs on.
#[derive(Debug, Clone, Default)]
pub(super) struct Facts {
    ncpu: Option<u32>,
    storage_driver: Option<String>,
    rootless: Option<bool>,
    host_name: Option<String>,
}

impl Facts {
    /// Asks the engine; an engine that does not say is taken to say nothing.
    pub(super) async fn ask(docker: &Docker, name: &str) -> Facts {
        match docker.info().await {
            Ok(info) => Facts {
                ncpu: info.ncpu.and_then(|n| u32::try_from(n).ok()).filter(|&n| n > 0),
                storage_driver: info.driver.filter(|d| !d.is_empty()),
                rootless: info.security_options.map(|options| options.iter().any(|o| o.contains("name=rootless"))),
                host_name: info.name.filter(|n| !n.trim().is_empty()),
            },
            Err(error) => {
                tracing::warn!("{name} does not say what machine it runs on: {error}");
                Facts::default()
            }
        }
    }

    /// CPUs the engine's machine has, when it says.
    pub(super) fn ncpu(&self) -> Option<u32> {
        self.ncpu
    }
}

impl Engine {
    /// The machine a build with `cpus` runs on, as far as the engine tells it (and, for an
    /// engine on this machine, the CPU this machine has).
    pub fn machine(&self, cpus: Option<u32>) -> crate::machine::Machine {
        let local = self.endpoint.starts_with("unix://");
        let (cpu_vendor, cpu_model) = if local { crate::machine::local_cpu() } else { (None, None) };
        crate::machine::Machine {
            cpus: cpus.or(self.facts.ncpu),
            cpu_vendor,
            cpu_model,
            kernel: self.kernel.clone(),
            engine: Some(self.name.clone()),
            storage_driver: self.facts.storage_driver.clone(),
            rootless: self.facts.rootless,
        }
    }

    /// True after the first call: the note on facts not searched for is said once.
    pub fn said_skipped(&self) -> bool {
        self.said_skipped.swap(true, std::sync::atomic::Ordering::Relaxed)
    }

    /// What an image built here must not hold (see `build/leaks.rs`): the kernel's release,
    /// the engine host's name and, for an engine on this machine, the kernel's version
    /// string, the CPU's model name and this host's name.
    pub fn leak_facts(&self) -> Vec<crate::machine::Fact> {
        use crate::machine::Fact;
        let mut facts = Vec::new();
        if let Some(kernel) = &self.kernel {
            facts.push(Fact { what: "the kernel release", text: kernel.clone() });
        }
        if let Some(name) = &self.facts.host_name {
            facts.push(Fact { what: "the engine's host name", text: name.clone() });
        }
        if self.endpoint.starts_with("unix://") {
            if let Some(version) = crate::machine::local_kernel_version() {
                facts.push(Fact { what: "the kernel version", text: version });
            }
            if let (_, Some(model)) = crate::machine::local_cpu() {
                facts.push(Fact { what: "the CPU model", text: model });
            }
            if let Some(name) = crate::machine::local_host_name() {
                facts.push(Fact { what: "the host name", text: name });
            }
        }
        facts
    }
}

/// The oldest Docker Engine API builds were checked on (Docker 20.10, the README's).
const OLDEST_DOCKER_API: (u32, u32) = (1, 41);

/// Why an engine cannot build images another machine would build the same, if it
/// cannot: a Docker API older than any checked, or a Podman on this machine whose
/// containers.conf gives build steps another umask than 022 or the host's UTS namespace
/// (its host name). Podman 3 and older are refused with the network (`Network::of`).
pub(super) fn unfit(podman: bool, api: &str, endpoint: &str) -> Option<String> {
    if !podman {
        let mut parts = api.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        return (version < OLDEST_DOCKER_API).then(|| {
            format!(
                "Docker's API {api} is older than {}.{}, the oldest builds were checked on (Docker 20.10): upgrade \
                 Docker, or build with Podman 4.3 or later",
                OLDEST_DOCKER_API.0, OLDEST_DOCKER_API.1
            )
        });
    }
    // Only a Podman on this machine reads the files this process can read.
    if !endpoint.starts_with("unix://") {
        return None;
    }
    let problems = podman_conf_problems(&containers_conf_files());
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// The containers.conf files a Podman started here reads, in the order later ones win:
/// `CONTAINERS_CONF` alone when it is set, else the system's.
fn containers_conf_files() -> Vec<std::path::PathBuf> {
    if let Some(conf) = std::env::var_os("CONTAINERS_CONF") {
        return vec![conf.into()];
    }
    let mut files = vec!["/usr/share/containers/containers.conf".into(), "/etc/containers/containers.conf".into()];
    if let Ok(read) = std::fs::read_dir("/etc/containers/containers.conf.d") {
        let mut more: Vec<std::path::PathBuf> =
            read.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "conf")).collect();
        more.sort();
        files.extend(more);
    }
    files
}

/// What in these containers.conf files makes builds depend on the machine.
fn podman_conf_problems(files: &[std::path::PathBuf]) -> Vec<String> {
    let (mut umask, mut utsns) = (None, None);
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        let Ok(table) = text.parse::<toml::Table>() else { continue };
        let Some(containers) = table.get("containers").and_then(|c| c.as_table()) else { continue };
        if let Some(value) = containers.get("umask").and_then(|v| v.as_str()) {
            umask = Some((value.to_owned(), file.clone()));
        }
        if let Some(value) = containers.get("utsns").and_then(|v| v.as_str()) {
            utsns = Some((value.to_owned(), file.clone()));
        }
    }
    let mut problems = Vec::new();
    if let Some((value, file)) = umask.filter(|(value, _)| u32::from_str_radix(value, 8).ok() != Some(0o022)) {
        problems.push(format!(
            "Podman's containers.conf ({}) sets umask = \"{value}\": files made in build steps would get other modes \
             than on other machines; set umask = \"0022\" in its [containers] table, or build with Docker",
            file.display()
        ));
    }
    if let Some((value, file)) = utsns.filter(|(value, _)| value == "host") {
        problems.push(format!(
            "Podman's containers.conf ({}) sets utsns = \"{value}\": build steps would see this machine's host name; \
             remove it from its [containers] table (a private UTS namespace is the default)",
            file.display()
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_builder_that_would_build_other_bytes_is_named_with_the_fix() {
        assert!(unfit(false, "1.41", "unix:///var/run/docker.sock").is_none());
        assert!(unfit(false, "1.47", "tcp://host:2376").is_none());
        let old = unfit(false, "1.40", "unix:///var/run/docker.sock").unwrap();
        assert!(old.contains("older than 1.41") && old.contains("upgrade Docker"), "{old}");
        let dir = tempfile::tempdir().unwrap();
        let (system, user) = (dir.path().join("system.conf"), dir.path().join("user.conf"));
        std::fs::write(&system, "[containers]\numask = \"0077\"\nutsns = \"host\"\n").unwrap();
        std::fs::write(&user, "[containers]\numask = \"0022\"\n").unwrap();
        let problems = podman_conf_problems(std::slice::from_ref(&system));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("umask = \"0077\"") && problems[0].contains("system.conf"), "{problems:?}");
        assert!(problems[1].contains("utsns = \"host\""), "{problems:?}");
        // A later file wins.
        let problems = podman_conf_problems(&[system, user]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("utsns"), "{problems:?}");
        assert!(podman_conf_problems(&[dir.path().join("missing.conf")]).is_empty());
    }
}
