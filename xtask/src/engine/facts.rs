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
