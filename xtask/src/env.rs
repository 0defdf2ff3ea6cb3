//! The environment, resolved once at the start of a run: the tree, where images, logs
//! and sources go, which Debian mirrors and which engines to try. Commands get it passed
//! down; nothing below `main` reads an environment variable for these.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::source::debian_mirrors;

/// Where a run reads and writes, and what it may reach.
#[derive(Debug, Clone)]
pub struct Env {
    /// The workspace root: `Cargo.toml`, `pkgs/`, `manifest/` (`CAIRN_ROOT` overrides).
    pub root: PathBuf,
    /// Built layouts, layer tarballs and logs: `out/` (`CAIRN_OUT` overrides).
    pub out: PathBuf,
    /// The source cache: `~/.cache/cairn` (`CAIRN_CACHE` overrides).
    pub cache: PathBuf,
    /// Debian mirrors for pool paths: `CAIRN_DEBIAN_MIRROR` (comma separated), then the
    /// http(s) URIs of the machine's apt sources.
    pub mirrors: Vec<String>,
    /// How to find a container engine.
    pub engines: Engines,
}

/// Where engines are looked for, in order: an endpoint given (`--engine`, else
/// `DOCKER_HOST`), the sockets below, then a private `podman system service`.
#[derive(Debug, Clone, Default)]
pub struct Engines {
    pub endpoint: Option<String>,
    pub sockets: Vec<PathBuf>,
    /// `podman` is on PATH.
    pub podman: bool,
    /// `CONTAINERS_CONF` is set: a Podman service started here keeps the user's.
    pub containers_conf: bool,
}

impl Env {
    /// Reads the environment of this process.
    pub fn resolve() -> Result<Env> {
        // CARGO_MANIFEST_DIR is xtask/ when run through `cargo xtask`.
        let root = std::env::var_os("CAIRN_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
        let root = root.canonicalize().unwrap_or(root);
        let out = std::env::var_os("CAIRN_OUT").map(PathBuf::from).unwrap_or_else(|| root.join("out"));
        let cache = match std::env::var_os("CAIRN_CACHE") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::cache_dir().context("no cache directory: set CAIRN_CACHE")?.join("cairn"),
        };
        let mirrors = debian_mirrors(std::env::var("CAIRN_DEBIAN_MIRROR").ok().as_deref(), Path::new("/etc/apt"));
        let mut sockets = vec![PathBuf::from("/var/run/docker.sock")];
        if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
            sockets.push(Path::new(&runtime).join("podman/podman.sock"));
        }
        sockets.push(PathBuf::from("/run/podman/podman.sock"));
        let engines = Engines {
            endpoint: std::env::var("DOCKER_HOST").ok().filter(|e| !e.is_empty()),
            sockets,
            podman: on_path("podman"),
            containers_conf: std::env::var_os("CONTAINERS_CONF").is_some(),
        };
        Ok(Env { root, out, cache, mirrors, engines })
    }

    /// The engines to try when a command was given `--engine` (which wins over DOCKER_HOST).
    pub fn engines(&self, flag: &crate::cli::EngineArg) -> Engines {
        let mut engines = self.engines.clone();
        if let Some(endpoint) = &flag.engine {
            engines.endpoint = Some(endpoint.clone());
        }
        engines
    }
}

/// A program of that name is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
