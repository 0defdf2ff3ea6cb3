//! The environment, resolved once at the start of a run: the tree, where images, logs
//! and sources go, which Debian mirrors and which engines to try. Commands get it passed
//! down; nothing below `main` reads an environment variable for these.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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
        let root = match std::env::var_os("CAIRN_ROOT") {
            Some(root) => PathBuf::from(root),
            None => {
                let cwd = std::env::current_dir().context("reading the current directory")?;
                checkout(std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from), &cwd, COMPILED_FOR)?
            }
        };
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

    /// The engines to try when a command was given `--engine ENDPOINT` (which wins over
    /// DOCKER_HOST).
    pub fn engines(&self, endpoint: Option<&str>) -> Engines {
        let mut engines = self.engines.clone();
        if let Some(endpoint) = endpoint {
            engines.endpoint = Some(endpoint.to_owned());
        }
        engines
    }
}

/// Debian mirrors to try for pool paths: `first` (comma separated, from
/// `CAIRN_DEBIAN_MIRROR`), then every http(s) URI of the apt sources under `apt`
/// (`/etc/apt`).
pub fn debian_mirrors(first: Option<&str>, apt: &Path) -> Vec<String> {
    let mut mirrors: Vec<String> =
        first.unwrap_or_default().split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
    let mut texts = Vec::new();
    if let Ok(text) = std::fs::read_to_string(apt.join("sources.list")) {
        texts.push((false, text));
    }
    if let Ok(read) = std::fs::read_dir(apt.join("sources.list.d")) {
        let mut paths: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let deb822 = path.extension().is_some_and(|e| e == "sources");
            if deb822 || path.extension().is_some_and(|e| e == "list") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push((deb822, text));
                }
            }
        }
    }
    for (deb822, text) in texts {
        for uri in apt_uris(&text, deb822) {
            if !mirrors.contains(&uri) {
                mirrors.push(uri);
            }
        }
    }
    mirrors
}

/// The http(s) URIs of Debian archives in an apt sources file.
fn apt_uris(text: &str, deb822: bool) -> Vec<String> {
    let mut uris = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let candidates: Vec<&str> = if deb822 {
            line.strip_prefix("URIs:").map(|rest| rest.split_whitespace().collect()).unwrap_or_default()
        } else if line.starts_with("deb ") || line.starts_with("deb-src ") {
            line.split_whitespace().skip(1).filter(|w| !w.starts_with('[')).take(1).collect()
        } else {
            Vec::new()
        };
        uris.extend(
            candidates
                .into_iter()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(|u| u.trim_end_matches('/').to_owned()),
        );
    }
    uris
}

/// The checkout this binary was compiled from (`.cargo/config.toml` sets it for every
/// compile in the workspace; cargo rebuilds the xtask when it changes).
pub const COMPILED_FOR: &str = env!("CAIRN_CHECKOUT");

/// The checkout a command acts on: the one `cargo xtask` ran in (cargo hands the binary
/// the xtask's `CARGO_MANIFEST_DIR`), else the one around the current directory; and it
/// must be the checkout this binary was compiled from. A binary built for another
/// checkout (a shared `CARGO_TARGET_DIR`, a copied binary) would run its own code on this
/// tree, or act on its own tree from here: it refuses instead.
fn checkout(manifest_dir: Option<PathBuf>, cwd: &Path, compiled_for: &str) -> Result<PathBuf> {
    let here = match manifest_dir {
        Some(xtask) => xtask.join(".."),
        None => cwd.ancestors().find(|dir| is_checkout(dir)).map(Path::to_owned).with_context(|| {
            format!(
                "{} is not inside a cairn checkout (no Cargo.toml with xtask/ above it): run `cargo xtask` \
                     in the checkout, or set CAIRN_ROOT",
                cwd.display()
            )
        })?,
    };
    let here = here.canonicalize().with_context(|| format!("reading {}", here.display()))?;
    let compiled = Path::new(compiled_for);
    let compiled = compiled.canonicalize().unwrap_or_else(|_| compiled.to_owned());
    if here != compiled {
        anyhow::bail!(
            "this xtask was compiled from the checkout {}, not from {}, the one you run it in: its code and \
             its tree are another checkout's (a CARGO_TARGET_DIR shared between checkouts?). Run `cargo \
             xtask` again in {} (cargo rebuilds it for this checkout), or set CAIRN_ROOT to act on a tree \
             on purpose",
            compiled.display(),
            here.display(),
            here.display()
        );
    }
    Ok(here)
}

/// A cairn checkout: a workspace manifest beside the xtask.
fn is_checkout(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("xtask/Cargo.toml").is_file()
}

/// A program of that name is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mirrors_from_both_apt_formats() {
        let deb822 =
            "Types: deb\n# URIs: http://commented.example\nURIs: http://mirror.example/debian\nSuites: bookworm\n";
        assert_eq!(apt_uris(deb822, true), ["http://mirror.example/debian"]);
        let list = "deb [arch=amd64] http://other.example/debian/ bookworm main\n# deb http://no.example x y\n";
        assert_eq!(apt_uris(list, false), ["http://other.example/debian"]);
    }

    #[test]
    fn mirrors_given_come_first_then_the_apt_sources_once_each() {
        let apt = tempfile::tempdir().unwrap();
        std::fs::write(apt.path().join("sources.list"), "deb http://a.example/debian bookworm main\n").unwrap();
        std::fs::create_dir(apt.path().join("sources.list.d")).unwrap();
        std::fs::write(apt.path().join("sources.list.d/b.sources"), "URIs: http://b.example/debian\n").unwrap();
        std::fs::write(apt.path().join("sources.list.d/c.list"), "deb http://a.example/debian bookworm main\n")
            .unwrap();
        let mirrors = debian_mirrors(Some(" http://first.example , "), apt.path());
        assert_eq!(mirrors, ["http://first.example", "http://a.example/debian", "http://b.example/debian"]);
    }

    fn clone() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("xtask")).unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(dir.path().join("xtask/Cargo.toml"), "[package]\n").unwrap();
        dir
    }

    #[test]
    fn a_binary_acts_only_on_the_checkout_it_was_compiled_from() {
        let (a, b) = (clone(), clone());
        let a_root = a.path().canonicalize().unwrap();
        let a_text = a_root.to_str().unwrap();
        // `cargo xtask` in A, with A's binary: A.
        assert_eq!(checkout(Some(a.path().join("xtask")), Path::new("/"), a_text).unwrap(), a_root);
        // A's binary run by hand from inside A: the checkout around the directory.
        std::fs::create_dir_all(a.path().join("pkgs/musl")).unwrap();
        assert_eq!(checkout(None, &a.path().join("pkgs/musl"), a_text).unwrap(), a_root);
        let error = format!("{:#}", checkout(None, Path::new("/"), a_text).unwrap_err());
        assert!(error.contains("not inside a cairn checkout"), "{error}");
        // `cargo xtask` in B ran A's binary (a shared target directory): refused, naming both,
        // and so is A's binary run by hand from inside B.
        let error = format!("{:#}", checkout(Some(b.path().join("xtask")), Path::new("/"), a_text).unwrap_err());
        assert_eq!(error, format!("{:#}", checkout(None, &b.path().join("pkgs"), a_text).unwrap_err()));
        let b_root = b.path().canonicalize().unwrap();
        assert!(
            error.contains(&format!("compiled from the checkout {a_text}, not from {}", b_root.display())),
            "{error}"
        );
        assert!(error.contains("CARGO_TARGET_DIR"), "{error}");
    }
}
