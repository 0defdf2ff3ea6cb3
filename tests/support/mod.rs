//! A temporary copy of the tree for end-to-end tests, and the built `xtask` to run in it.
//!
//! Tests never write into the real tree: each gets its own root (`CAIRN_ROOT`) holding
//! the package crates it needs and a copy of manifest/, its own `out/`, and shares only
//! the source cache, which admits nothing unverified.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Tree {
    _temp: tempfile::TempDir,
    pub root: PathBuf,
    env: Vec<(String, String)>,
}

/// The real tree this test binary was built from.
pub fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// The digest `ROOT/manifest/packages/NAME.toml` records, if there is one.
pub fn recorded_digest(root: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join("manifest/packages").join(format!("{name}.toml"))).ok()?;
    let entry: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("manifest/packages/{name}.toml: {e}"));
    Some(entry["digest"].as_str().unwrap().to_owned())
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let name = item.file_name();
        if name == "target" {
            continue;
        }
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &to.join(&name));
        } else {
            std::fs::copy(item.path(), to.join(&name)).unwrap();
        }
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Tree {
    /// A tree with the named package crates of this one (`pkgs/musl`, or a bare name for
    /// `pkgs/<name>`), every crate they depend on, and manifest/.
    pub fn new(packages: &[&str]) -> Tree {
        let here = here();
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("tree");
        std::fs::create_dir_all(root.join("pkgs")).unwrap();
        std::fs::copy(here.join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
        copy_dir(&here.join("manifest/packages"), &root.join("manifest/packages"));
        let mut wanted: Vec<PathBuf> =
            packages.iter().map(|p| if p.contains('/') { here.join(p) } else { here.join("pkgs").join(p) }).collect();
        let mut copied = std::collections::BTreeSet::new();
        while let Some(dir) = wanted.pop() {
            let dir = dir.canonicalize().unwrap();
            if !copied.insert(dir.clone()) {
                continue;
            }
            copy_dir(&dir, &root.join(dir.strip_prefix(&here).unwrap()));
            // Path dependencies come along: xtask/package and other package crates.
            let manifest: toml::Table =
                toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).unwrap()).unwrap();
            let deps = manifest.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
            for dep in deps.values() {
                if let Some(path) = dep.get("path").and_then(|p| p.as_str()) {
                    wanted.push(dir.join(path));
                }
            }
        }
        let tree = Tree { _temp: temp, root, env: Vec::new() };
        tree.write_workspace();
        tree
    }

    /// The workspace's Cargo.toml: `pkgs/*` and `bootstrap/*` where they hold crates (a
    /// glob that matches nothing is an error to Cargo).
    fn write_workspace(&self) {
        let mut members = vec!["\"xtask/package\""];
        for (top, glob) in [("pkgs", "\"pkgs/*\""), ("bootstrap", "\"bootstrap/*\"")] {
            if std::fs::read_dir(self.root.join(top)).is_ok_and(|mut d| d.next().is_some()) {
                members.push(glob);
            }
        }
        std::fs::write(
            self.root.join("Cargo.toml"),
            format!(
                "[workspace]\nresolver = \"2\"\nmembers = [{}]\n\n[workspace.package]\nedition = \"2021\"\npublish = false\n",
                members.join(", ")
            ),
        )
        .unwrap();
    }

    /// Sets an environment variable for every later `xtask` run.
    pub fn env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Adds a package crate: `deps` are crates of this tree (`bootstrap` is
    /// `bootstrap/toolchain`), `lib` the body of its PACKAGE after `pub static PACKAGE`.
    pub fn add_package(&self, name: &str, deps: &[&str], lib: &str, containerfile: &str) {
        let dir = self.root.join("pkgs").join(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let mut cargo = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
             cairn-package = {{ path = \"../../xtask/package\" }}\n"
        );
        for dep in deps {
            let path = if *dep == "bootstrap" { "../../bootstrap/toolchain".to_owned() } else { format!("../{dep}") };
            cargo.push_str(&format!("{dep} = {{ path = \"{path}\" }}\n"));
        }
        std::fs::write(dir.join("Cargo.toml"), cargo).unwrap();
        std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
        std::fs::write(dir.join("Containerfile"), containerfile).unwrap();
        self.write_workspace();
    }

    pub fn remove_package(&self, name: &str) {
        std::fs::remove_dir_all(self.root.join("pkgs").join(name)).unwrap();
        self.write_workspace();
    }

    pub fn xtask(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command.args(args).env("CAIRN_ROOT", &self.root).env_remove("CAIRN_OUT").stdin(Stdio::null());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        eprintln!("$ xtask {}\n{}", args.join(" "), text(&output.stderr));
        output
    }

    /// The digest manifest/ records for a package in this tree.
    pub fn recorded_digest(&self, name: &str) -> String {
        recorded_digest(&self.root, name).unwrap_or_else(|| panic!("manifest/ of the test tree records no {name}"))
    }

    /// Runs `xtask`, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.xtask(args);
        assert!(
            output.status.success(),
            "`xtask {}` failed:\n{}{}",
            args.join(" "),
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// Runs `xtask`, asserts failure, returns stdout and stderr together.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.xtask(args);
        assert!(!output.status.success(), "`xtask {}` should have failed", args.join(" "));
        format!("{}{}", text(&output.stdout), text(&output.stderr))
    }

    /// `build --json` parsed: name -> (status, digest).
    pub fn build(&self, args: &[&str]) -> (bool, Vec<serde_json::Value>) {
        let mut all = vec!["build", "--json"];
        all.extend_from_slice(args);
        let output = self.xtask(&all);
        let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("build --json printed no JSON ({e}):\n{}", text(&output.stdout)));
        (output.status.success(), items)
    }

    pub fn out(&self, name: &str) -> PathBuf {
        self.root.join("out").join(name)
    }

    /// Copies in every image that building `targets` needs (as a dry run in this tree
    /// lists them) which `CAIRN_CHAIN_FROM`, the `out/` of an earlier build, holds (its
    /// layout and layer tarball), so a long chain's test builds only the rest.
    pub fn take_built_from_env(&self, targets: &[&str]) {
        let Some(from) = std::env::var_os("CAIRN_CHAIN_FROM").map(PathBuf::from) else { return };
        let mut args = vec!["build", "--dry-run", "--json"];
        args.extend_from_slice(targets);
        let output = self.xtask(&args);
        let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("build --dry-run --json printed no JSON ({e}):\n{}", text(&output.stderr)));
        for name in items.iter().map(|i| i["name"].as_str().unwrap()) {
            if from.join(name).join("index.json").is_file() {
                copy_dir(&from.join(name), &self.out(name));
                let tgz = format!("{name}.tgz");
                std::fs::copy(from.join(&tgz), self.root.join("out").join(&tgz)).unwrap();
            }
        }
    }
}

/// `build --json` items by name: (status, digest).
pub fn statuses(items: &[serde_json::Value]) -> std::collections::BTreeMap<String, (String, Option<String>)> {
    items
        .iter()
        .map(|i| {
            let name = i["name"].as_str().unwrap().to_owned();
            (name, (i["status"].as_str().unwrap().to_owned(), i["digest"].as_str().map(str::to_owned)))
        })
        .collect()
}

/// Whether a Docker engine answers; without one, a test skips (but never under CI).
/// Whether these programs are on PATH; under CI their absence fails the test.
pub fn have(tools: &[&str]) -> bool {
    let missing: Vec<&&str> = tools
        .iter()
        .filter(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message =
        format!("test skipped: {missing:?} not installed (Debian: apt-get install skopeo gnupg git docker-registry)");
    if std::env::var_os("CI").is_some() {
        panic!("{message}; CI must install them");
    }
    eprintln!("{message}");
    false
}

pub fn engine_or_skip() -> bool {
    let answers = Command::new("docker")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !answers {
        assert!(std::env::var_os("CI").is_none(), "CI must run the end-to-end tests: no Docker engine answers");
        eprintln!("skipped: no Docker engine answers `docker version` (start dockerd, or set DOCKER_HOST)");
    }
    answers
}

/// A child process, killed and reaped when dropped: a test that fails leaves none behind.
pub struct Process(std::process::Child);

impl Process {
    pub fn spawn(command: &mut Command) -> Process {
        Process(command.spawn().unwrap_or_else(|error| panic!("starting {command:?}: {error}")))
    }

    /// Kills it at once, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `podman system service` on a private socket, stopped on drop.
pub struct Podman {
    child: Process,
    _dir: tempfile::TempDir,
    pub endpoint: String,
}

impl Podman {
    pub fn start() -> Option<Podman> {
        Podman::start_with(&[])
    }

    /// With registries.conf listing `insecure` as registries spoken to over plain HTTP,
    /// as Podman needs for a registry without TLS (Docker assumes it for loopback).
    pub fn start_with(insecure: &[&str]) -> Option<Podman> {
        if Command::new("podman").arg("--version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "CI must run the Podman tests: podman is not installed");
            eprintln!("skipped: podman is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("podman.sock");
        let conf = dir.path().join("containers.conf");
        std::fs::write(
            &conf,
            "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"runc\"\n",
        )
        .unwrap();
        let mut command = Command::new("podman");
        command.args(["system", "service", "--time=0"]).arg(format!("unix://{}", socket.display()));
        if !Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            command.env("CONTAINERS_CONF", &conf);
        }
        if !insecure.is_empty() {
            let registries = dir.path().join("registries.conf");
            let entries: String =
                insecure.iter().map(|host| format!("[[registry]]\nlocation = \"{host}\"\ninsecure = true\n")).collect();
            std::fs::write(&registries, entries).unwrap();
            command.env("CONTAINERS_REGISTRIES_CONF", &registries);
        }
        let child = Process::spawn(command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()));
        for _ in 0..100 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(socket.exists(), "podman system service did not create {}", socket.display());
        Some(Podman { child, _dir: dir, endpoint: format!("unix://{}", socket.display()) })
    }
}

impl Podman {
    /// Kills the service at once, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        self.child.kill();
    }
}

/// `docker-registry` (the CNCF distribution registry) on a free loopback port, its storage
/// in a temporary directory; killed when dropped. `None` when it is not installed (a
/// failure under CI).
pub struct Registry {
    _child: Process,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Option<Registry> {
        Registry::start_with(None)
    }

    /// With `Some((user, password))`, the registry lets only that user push and pull.
    pub fn start_with(user: Option<(&str, &str)>) -> Option<Registry> {
        if Command::new("docker-registry").arg("--version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "CI must run the registry tests: docker-registry is missing");
            eprintln!("skipped: docker-registry is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.path().join("config.yml");
        let storage = dir.path().join("storage");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                storage.display()
            ),
        )
        .unwrap();
        if let Some((user, password)) = user {
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{}\n", bcrypt::hash(password, 4).unwrap())).unwrap();
            let mut text = std::fs::read_to_string(&config).unwrap();
            text.push_str(&format!("auth:\n  htpasswd:\n    realm: cairn\n    path: {}\n", htpasswd.display()));
            std::fs::write(&config, text).unwrap();
        }
        let child = Process::spawn(
            Command::new("docker-registry").arg("serve").arg(&config).stdout(Stdio::null()).stderr(Stdio::null()),
        );
        let registry = Registry { _child: child, port, _dir: dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(registry);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("docker-registry did not listen on 127.0.0.1:{port} within 10 s");
    }
}
