//! The container engine, through the Docker Engine API (bollard): a service that build,
//! run, load and gc use.
//!
//! Owns connecting (`transport.rs`: unix, TCP, TLS, ssh), loading, building, exporting,
//! running and removing, the run id every engine object carries (`runs.rs`), the sweep of
//! what killed runs left (`sweep.rs`) and what the engine tells of its machine
//! (`facts.rs`). Docker and Podman are both first-class: the endpoint is `--engine`, else
//! `DOCKER_HOST`, else the default Docker socket, else a Podman socket; if only the
//! `podman` binary is there, a private `podman system service` is started for the run.
//! The engine builds (network none, no host mounts, no cache) and exports; it never
//! decides a digest. Everything this module creates in the engine it removes again.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, BuildImageOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    ImportImageOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};
use bollard::{body_full, Docker};
use futures_util::StreamExt;

use crate::env::Engines;
use facts::Facts;

mod facts;
pub mod runs;
mod sweep;
mod transport;

/// How an engine's `POST /build` is made to run every `RUN` with no network.
///
/// Docker honours `networkmode=none`. Podman's compat handler (the same code serves its
/// libpod endpoint) reads `networkmode` as buildah's network policy, an integer or
/// `NetworkDisabled`, and takes anything else, `none` included, as the default: the
/// host's network (pkg/api/handlers/compat/images_build.go, `parseNetworkConfigurationPolicy`,
/// unchanged from 4.3 to 5.x). `1`, `NetworkDisabled`, gives each step a network
/// namespace of its own holding only `lo`. Podman before 4 is refused: not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Network {
    DockerNone,
    PodmanDisabled,
}

impl Network {
    fn of(podman: bool, release: &str) -> Result<Network> {
        if !podman {
            return Ok(Network::DockerNone);
        }
        let major: u32 = release.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
        if major < 4 {
            bail!(
                "Podman {release} cannot be relied on to build with the network off (checked from 4.3 on): \
                 upgrade Podman or build with Docker"
            );
        }
        Ok(Network::PodmanDisabled)
    }

    fn mode(self) -> &'static str {
        match self {
            Network::DockerNone => "none",
            Network::PodmanDisabled => "1",
        }
    }
}

/// Podman, unlike Docker, speaks HTTPS even to a loopback registry: say how to let it
/// speak HTTP to one.
fn plain_http_hint(error: anyhow::Error, engine: &str) -> anyhow::Error {
    if engine.starts_with("Podman") && format!("{error:#}").contains("HTTP response to HTTPS client") {
        error.context(
            "the registry speaks plain HTTP, and Podman speaks HTTPS to every registry its \
             registries.conf does not list with `insecure = true`: add a [[registry]] entry for it there, \
             or give the registry TLS",
        )
    } else {
        error
    }
}

/// Whether a stream of the engine's JSON messages failed only because its last chunk
/// held a partial line. Docker ends each message with "\r\n"; when the last message's
/// "\r\n" comes in a chunk of its own, bollard's decoder keeps the "\r" and reports it
/// at the end as bytes left over. Whoever ignores this must know the work is done by
/// other means: the engine's last message seen, or a check of the image.
fn partial_last_line(error: &bollard::errors::Error) -> bool {
    matches!(error, bollard::errors::Error::IOError { err } if err.to_string() == "bytes remaining on stream")
}

/// Seconds a single API request may take: a gcc build is one request.
const REQUEST_TIMEOUT: u64 = 6 * 3600;

pub struct Engine {
    docker: Docker,
    /// "Docker 20.10.24" or "Podman 4.3.1", for reports.
    pub name: String,
    /// How this engine is told to build with no network: see [`Network`].
    network: Network,
    /// The release of the kernel builds run on (`uname -r` in a build), as the engine
    /// reports it.
    pub kernel: Option<String>,
    /// Images this run loaded or built, removed by `cleanup`.
    created: Mutex<BTreeSet<String>>,
    /// Image IDs of build steps and stages, removed after each build.
    /// Per build (by its tag): the IDs of its step and stage images. A build's are
    /// removed once it is exported, never while another build of the run may still be
    /// about to start a step from one of its own.
    /// In the order the build made them, so they can be removed children first.
    intermediates: Mutex<std::collections::BTreeMap<String, Vec<String>>>,
    /// Image IDs of loaded dependencies: a build step that starts from one is no intermediate.
    pinned: Mutex<BTreeSet<String>>,
    /// Where the engine answers (`unix://…`, `tcp://…`), for the `podman` client.
    endpoint: String,
    /// Whether the engine is Podman.
    podman: bool,
    /// What the engine says of its machine (`/info`).
    facts: Facts,
    /// Why it cannot build reproducibly, if it cannot: its builds are refused.
    unfit: Option<String>,
    /// Whether the facts too common to search for were named to the user this run.
    said_skipped: std::sync::atomic::AtomicBool,
    _service: Option<PodmanService>,
}

/// A `podman system service` this run started, stopped on drop.
struct PodmanService {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Engine {
    /// Connects to `endpoint` (a `unix://` path, `tcp://` or `http://` address), else to the
    /// first engine found. Fails with what to do when none answers.
    pub async fn connect(engines: &Engines) -> Result<Engine> {
        if let Some(endpoint) = &engines.endpoint {
            let docker = transport::connect_to(endpoint, REQUEST_TIMEOUT)?;
            return Engine::ready(docker, endpoint)
                .await
                .with_context(|| format!("the engine at {endpoint} does not answer: is it running?"));
        }
        for socket in &engines.sockets {
            if socket.exists() {
                let endpoint = format!("unix://{}", socket.display());
                let docker = transport::connect_to(&endpoint, REQUEST_TIMEOUT)?;
                match Engine::ready(docker, &endpoint).await {
                    Ok(engine) => return Ok(engine),
                    Err(error) => tracing::warn!("{}: {error:#}", socket.display()),
                }
            }
        }
        if engines.podman {
            return Engine::start_podman(engines.containers_conf).await;
        }
        bail!(
            "no container engine: start dockerd (e.g. `dockerd --bridge=none --iptables=false &`), \
             or install podman, or point DOCKER_HOST / --engine at an engine's socket"
        )
    }

    async fn ready(docker: Docker, endpoint: &str) -> Result<Engine> {
        let docker = docker.negotiate_version().await.context("negotiating the API version")?;
        let version = docker.version().await.context("asking the engine its version")?;
        let components = version.components.unwrap_or_default();
        let product = components.iter().any(|c| c.name.to_lowercase().contains("podman"));
        // Told apart by what each says it is; an engine that says neither is not told how
        // to build offline, so it is not used.
        if !product && !components.iter().any(|c| c.name == "Engine") {
            bail!(
                "the engine does not say whether it is Docker or Podman (its /version names {:?}): cairn knows how to \
                 turn the network off only on those two",
                components.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()
            );
        }
        let release = version.version.unwrap_or_default();
        let name = format!(
            "{} {release} (API {})",
            if product { "Podman" } else { "Docker" },
            version.api_version.as_deref().unwrap_or_default()
        );
        let network = Network::of(product, &release).with_context(|| format!("building on {name}"))?;
        let facts = Facts::ask(&docker, &name).await;
        let unfit = facts::unfit(product, version.api_version.as_deref().unwrap_or_default(), endpoint);
        Ok(Engine {
            unfit,
            facts,
            said_skipped: Default::default(),
            docker,
            name,
            network,
            kernel: version.kernel_version.filter(|k| !k.trim().is_empty()),
            created: Mutex::new(BTreeSet::new()),
            intermediates: Mutex::new(std::collections::BTreeMap::new()),
            pinned: Mutex::new(BTreeSet::new()),
            endpoint: endpoint.to_owned(),
            podman: product,
            _service: None,
        })
    }

    /// Starts `podman system service` on a private socket for this run.
    async fn start_podman(containers_conf: bool) -> Result<Engine> {
        let dir = tempfile::Builder::new().prefix("cairn-podman-").tempdir()?;
        let socket = dir.path().join("podman.sock");
        let mut command = std::process::Command::new("podman");
        command
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if !containers_conf && !Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            // cgroup v1 hosts need cgroupfs, file events and runc.
            let conf = dir.path().join("containers.conf");
            std::fs::write(
                &conf,
                "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"runc\"\n",
            )?;
            command.env("CONTAINERS_CONF", conf);
        }
        // The service ends with this process, however it ends: a killed run leaves no
        // engine running for nobody (what it was building is swept by the next run).
        // SAFETY: prctl is async-signal-safe and touches only the child being started.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().context("starting `podman system service`")?;
        let service = PodmanService { child, _dir: dir };
        let endpoint = format!("unix://{}", socket.display());
        for _ in 0..100 {
            if socket.exists() {
                let docker = transport::connect_to(&endpoint, REQUEST_TIMEOUT)?;
                if let Ok(engine) = Engine::ready(docker, &endpoint).await {
                    return Ok(Engine { _service: Some(service), ..engine });
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        bail!("`podman system service` did not answer on {} within 10 s", socket.display())
    }

    fn remember(&self, image: &str) {
        self.created.lock().expect("not poisoned").insert(image.to_owned());
    }

    /// Loads a built image (a docker-archive of our layout) under `tag` and checks that the
    /// engine's image ID is the sha256 of our config: the dependency is pinned exactly.
    pub async fn load(&self, archive: Vec<u8>, tag: &str, config_digest: &str) -> Result<()> {
        self.pin(tag, config_digest);
        let mut stream = self.docker.import_image(
            ImportImageOptionsBuilder::new().quiet(true).build(),
            body_full(archive.into()),
            None,
        );
        while let Some(item) = stream.next().await {
            let info = match item {
                // The check below finds whether the image is there.
                Err(error) if partial_last_line(&error) => break,
                item => item.with_context(|| format!("loading {tag} into the engine"))?,
            };
            if let Some(error) = info.error_detail.and_then(|e| e.message) {
                bail!("loading {tag} into the engine: {error}");
            }
        }
        self.check_pinned(tag, config_digest, "loaded", "the engine").await
    }

    /// Marks `tag` as this run's and its image as a dependency, not an intermediate.
    fn pin(&self, tag: &str, config_digest: &str) {
        self.remember(tag);
        self.pinned.lock().expect("not poisoned").insert(config_digest.trim_start_matches("sha256:").to_owned());
    }

    /// Fails unless `tag` names the image whose ID is `config_digest`.
    async fn check_pinned(&self, tag: &str, config_digest: &str, done: &str, suspect: &str) -> Result<()> {
        let inspect =
            self.docker.inspect_image(tag).await.with_context(|| format!("inspecting {tag} after it was {done}"))?;
        let id = inspect.id.unwrap_or_default();
        if id.trim_start_matches("sha256:") != config_digest.trim_start_matches("sha256:") {
            bail!("{tag} {done} as image {id}, expected {config_digest}: {suspect} changed the image");
        }
        Ok(())
    }

    /// Has the engine pull `reference` (`host/namespace/name@sha256:...`) from a registry
    /// and name it `tag`, as `load` does for an archive: the registry's name is dropped
    /// again, and the image must be `config_digest`. `credentials` go to the engine for
    /// this pull only (Docker's `X-Registry-Auth`).
    pub async fn pull(
        &self,
        reference: &str,
        tag: &str,
        config_digest: &str,
        credentials: Option<bollard::auth::DockerCredentials>,
    ) -> Result<()> {
        let (repo, version) = tag.rsplit_once(':').context("a tag is NAME:TAG")?;
        self.pin(tag, config_digest);
        let options = CreateImageOptionsBuilder::new().from_image(reference).build();
        let mut stream = self.docker.create_image(Some(options), None, credentials);
        while let Some(item) = stream.next().await {
            let info = match item {
                // The check below finds whether the image is there.
                Err(error) if partial_last_line(&error) => break,
                item => item
                    .map_err(|error| plain_http_hint(error.into(), &self.name))
                    .with_context(|| format!("pulling {reference} into the engine"))?,
            };
            if let Some(error) = info.error_detail.and_then(|e| e.message) {
                bail!("pulling {reference} into the engine: {error}");
            }
        }
        self.docker
            .tag_image(reference, Some(TagImageOptionsBuilder::new().repo(repo).tag(version).build()))
            .await
            .with_context(|| format!("naming {reference} {tag} in the engine"))?;
        if let Err(error) = self
            .docker
            .remove_image(reference, Some(RemoveImageOptionsBuilder::new().noprune(true).build()), None)
            .await
        {
            tracing::debug!("dropping the name {reference}: {error}");
        }
        self.check_pinned(tag, config_digest, &format!("pulled from {reference}"), "the engine or the registry").await
    }

    /// Builds a context (a tar holding `Containerfile`) with the network off and no cache,
    /// streaming the engine's output to `log`; `step` hears each `Step`/`STEP` line.
    /// Intermediate images (earlier stages, steps) are remembered and removed by
    /// `remove_intermediates`.
    /// With `cpus`, every step runs on CPUs 0 to cpus-1 only (the engine's cpuset), so
    /// `nproc` and whatever sizes its work by the CPUs it may use see that many. Returns
    /// the host names of the step containers the engine names (Docker's "Running in
    /// <id>": a step's host name is its container's short id), which the image must not hold.
    pub async fn build(
        &self,
        context: Vec<u8>,
        tag: &str,
        cpus: Option<u32>,
        log: &mut std::fs::File,
        step: impl Fn(&str),
    ) -> Result<Vec<String>> {
        if let Some(why) = &self.unfit {
            bail!("{} cannot build images other machines build the same: {why}", self.name);
        }
        self.remember(tag);
        let mut options = BuildImageOptionsBuilder::new()
            .dockerfile("Containerfile")
            .t(tag)
            .networkmode(self.network.mode())
            .nocache(true)
            .rm(true)
            .forcerm(true);
        if let Some(cpus) = cpus {
            if let Some(has) = self.facts.ncpu().filter(|&has| cpus > has) {
                bail!("--cpus {cpus}: {} has {has} CPUs; give at most {has}", self.name);
            }
            options = options.cpusetcpus(&if cpus == 1 { "0".to_owned() } else { format!("0-{}", cpus - 1) });
        }
        let options = options.build();
        let mut stream = self.docker.build_image(options, None, Some(body_full(context.into())));
        // Whether Docker said it tagged the image, its last message. (Podman ends its
        // messages with "\n" alone, which the decoder never leaves behind.)
        let mut tagged = false;
        let mut step_hosts = Vec::new();
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    writeln!(log, "{error}")?;
                    bail!("{error}");
                }
                Err(error) if tagged && partial_last_line(&error) => {
                    tracing::debug!("{tag}: the build stream ended with a partial line after the image was tagged");
                    break;
                }
                Err(error) => return Err(error).context("the engine's build stream broke"),
            };
            if let Some(text) = &info.stream {
                log.write_all(text.as_bytes())?;
                let line = text.trim();
                tagged |= line.starts_with("Successfully tagged ");
                if let Some(id) = line.strip_prefix("---> Running in ").map(str::trim) {
                    if id.len() >= 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                        step_hosts.push(id[..12].to_owned());
                    }
                }
                // Docker prints " ---> <id>" after each step, Podman "--> <id>".
                if let Some(id) = line.strip_prefix("---> ").or_else(|| line.strip_prefix("--> ")) {
                    let pinned = self.pinned.lock().expect("not poisoned").iter().any(|p| p.starts_with(id));
                    // Docker prints 12 digits, Podman 11.
                    if id.len() >= 11 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !pinned {
                        let mut intermediates = self.intermediates.lock().expect("not poisoned");
                        let ids = intermediates.entry(tag.to_owned()).or_default();
                        if !ids.iter().any(|known| known == id) {
                            ids.push(id.to_owned());
                        }
                    }
                }
                // Docker: "Step 3/7 : RUN ..."; Podman: "STEP 3/7: RUN ...", "[1/2] STEP 3/7: ...".
                if line.starts_with("Step ") || line.starts_with("STEP ") || line.contains("] STEP ") {
                    step(line);
                }
            }
            if let Some(error) = info.error_detail.and_then(|e| e.message) {
                writeln!(log, "{error}")?;
                bail!("{error}");
            }
        }
        log.flush()?;
        Ok(step_hosts)
    }

    /// Exports the filesystem of `image` through a container that is never started.
    pub async fn export(&self, image: &str) -> Result<Vec<u8>> {
        let name = format!("cairn-export.{}.{}", runs::this(), image.replace(['/', ':', '.'], "-"));
        let config = bollard::models::ContainerCreateBody {
            image: Some(image.to_owned()),
            cmd: Some(vec!["/nonexistent".to_owned()]),
            network_disabled: Some(true),
            labels: Some([(runs::LABEL.to_owned(), runs::this().to_owned())].into_iter().collect()),
            ..Default::default()
        };
        self.docker
            .create_container(Some(CreateContainerOptionsBuilder::new().name(&name).build()), config)
            .await
            .with_context(|| format!("creating a container of {image} to export it"))?;
        let mut tar = Vec::new();
        let mut stream = self.docker.export_container(&name);
        let mut result = Ok(());
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => tar.extend_from_slice(&bytes),
                Err(error) => {
                    result = Err(error).with_context(|| format!("exporting {image}"));
                    break;
                }
            }
        }
        let removed = self
            .docker
            .remove_container(&name, Some(RemoveContainerOptionsBuilder::new().force(true).v(true).build()))
            .await;
        result?;
        removed.with_context(|| format!("removing container {name}"))?;
        Ok(tar)
    }

    /// Runs `command` in a new container of `image`, with no network (only `lo`) and no
    /// stdin, its output copied to ours as it comes; returns its exit code. The container
    /// is removed however the command ends, Ctrl-C included (then the code is 130).
    pub async fn run(&self, image: &str, command: &[String]) -> Result<i64> {
        let name = format!("cairn-run.{}", runs::this());
        let config = bollard::models::ContainerCreateBody {
            image: Some(image.to_owned()),
            cmd: Some(command.to_vec()),
            network_disabled: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            host_config: Some(bollard::models::HostConfig {
                network_mode: Some("none".to_owned()),
                ..Default::default()
            }),
            labels: Some([(runs::LABEL.to_owned(), runs::this().to_owned())].into_iter().collect()),
            ..Default::default()
        };
        self.docker
            .create_container(Some(CreateContainerOptionsBuilder::new().name(&name).build()), config)
            .await
            .with_context(|| format!("creating a container of {image}"))?;
        let ran = async {
            let attach = AttachContainerOptionsBuilder::new().stream(true).stdout(true).stderr(true).build();
            let mut attached = self.docker.attach_container(&name, Some(attach)).await.context("attaching")?;
            self.docker
                .start_container(&name, None)
                .await
                .with_context(|| format!("starting {}", command.join(" ")))?;
            while let Some(item) = attached.output.next().await {
                match item.context("reading the command's output")? {
                    bollard::container::LogOutput::StdErr { message } => {
                        let mut err = std::io::stderr().lock();
                        err.write_all(&message)?;
                        err.flush()?;
                    }
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::Console { message } => {
                        let mut out = std::io::stdout().lock();
                        out.write_all(&message)?;
                        out.flush()?;
                    }
                    bollard::container::LogOutput::StdIn { .. } => {}
                }
            }
            match self.docker.wait_container(&name, None).next().await {
                Some(Ok(status)) => Ok(status.status_code),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
                Some(Err(error)) => Err(error).context("waiting for the command to end"),
                None => bail!("the engine did not say how the command ended"),
            }
        };
        let code = tokio::select! {
            code = ran => code,
            _ = tokio::signal::ctrl_c() => Ok(130),
        };
        let removed = self
            .docker
            .remove_container(&name, Some(RemoveContainerOptionsBuilder::new().force(true).v(true).build()))
            .await;
        let code = code?;
        removed.with_context(|| format!("removing container {name}"))?;
        Ok(code)
    }

    /// Removes one image this run created.
    pub async fn remove(&self, image: &str) -> Result<()> {
        self.created.lock().expect("not poisoned").remove(image);
        match self.docker.remove_image(image, Some(RemoveImageOptionsBuilder::new().force(true).build()), None).await {
            Ok(_) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
            Err(error) => Err(error).with_context(|| format!("removing image {image}")),
        }
    }

    /// Removes the intermediate images the build tagged `tag` left (its steps, earlier
    /// stages of a multi-stage build), the last made first: an image with children
    /// cannot go, and Podman, unlike Docker, does not take an untagged parent along with
    /// its last child. One still in use is left for `cleanup`.
    pub async fn remove_intermediates(&self, tag: &str) {
        let ids: Vec<String> = self
            .intermediates
            .lock()
            .expect("not poisoned")
            .get(tag)
            .map(|ids| ids.iter().rev().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            let options = RemoveImageOptionsBuilder::new().force(false).build();
            match self.docker.remove_image(&id, Some(options), None).await {
                Ok(_) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {
                    if let Some(ids) = self.intermediates.lock().expect("not poisoned").get_mut(tag) {
                        ids.retain(|known| *known != id);
                    }
                }
                Err(error) => tracing::debug!("keeping {id} for now: {error}"),
            }
        }
    }

    /// Whether the engine still answers (within 10 s).
    pub async fn answers(&self) -> bool {
        matches!(tokio::time::timeout(std::time::Duration::from_secs(10), self.docker.ping()).await, Ok(Ok(_)))
    }

    /// Removes every image this run created and has not removed yet.
    pub async fn cleanup(&self) {
        let tags: Vec<String> = self.intermediates.lock().expect("not poisoned").keys().cloned().collect();
        for tag in tags {
            self.remove_intermediates(&tag).await;
        }
        let images: Vec<String> =
            std::mem::take(&mut *self.created.lock().expect("not poisoned")).into_iter().collect();
        for image in images {
            if let Err(error) = self.remove(&image).await {
                tracing::warn!("{error:#}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_is_told_to_build_offline_in_its_own_words() {
        assert_eq!(Network::of(false, "20.10.24").unwrap().mode(), "none");
        assert_eq!(Network::of(true, "4.3.1").unwrap().mode(), "1");
        assert_eq!(Network::of(true, "5.4.0").unwrap().mode(), "1");
        let refused = Network::of(true, "3.4.4").unwrap_err().to_string();
        assert!(refused.contains("cannot be relied on"), "{refused}");
    }

    /// An engine on a unix socket that answers one `POST /build` with `chunks`, each
    /// sent on its own, and closes.
    fn engine_answering(chunks: &'static [&'static str]) -> (Engine, tempfile::TempDir) {
        use std::io::{BufRead, BufReader, Read};
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("engine.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap();
                    }
                }
                if header.trim().is_empty() {
                    break;
                }
            }
            reader.read_exact(&mut vec![0; length]).unwrap();
            let mut stream = stream;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                .unwrap();
            for chunk in chunks {
                write!(stream, "{:x}\r\n{chunk}\r\n", chunk.len()).unwrap();
                stream.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            stream.write_all(b"0\r\n\r\n").unwrap();
        });
        let docker = Docker::connect_with_unix(socket.to_str().unwrap(), 30, bollard::API_DEFAULT_VERSION).unwrap();
        let engine = Engine {
            docker,
            name: "Docker 20.10.24".to_owned(),
            network: Network::DockerNone,
            kernel: None,
            created: Default::default(),
            intermediates: Default::default(),
            pinned: Default::default(),
            endpoint: format!("unix://{}", socket.display()),
            podman: false,
            facts: Default::default(),
            unfit: None,
            said_skipped: Default::default(),
            _service: None,
        };
        (engine, dir)
    }

    async fn build_on(chunks: &'static [&'static str]) -> (Result<()>, String) {
        let (engine, dir) = engine_answering(chunks);
        let path = dir.path().join("build.log");
        let mut log = std::fs::File::create(&path).unwrap();
        let result = engine.build(Vec::new(), "cairn/t:x", None, &mut log, |_| {}).await.map(|_| ());
        (result, std::fs::read_to_string(&path).unwrap())
    }

    #[tokio::test]
    async fn a_build_whose_last_line_break_comes_alone_is_built() {
        let (result, log) = build_on(&[
            "{\"stream\":\"Step 1/1 : FROM scratch\\n\"}\r\n",
            "{\"aux\":{\"ID\":\"sha256:0123\"}}\r\n{\"stream\":\"Successfully tagged cairn/t:x\\n\"}",
            "\r\n",
        ])
        .await;
        result.unwrap();
        assert!(log.ends_with("Successfully tagged cairn/t:x\n"), "{log}");
    }

    #[tokio::test]
    async fn a_stream_that_ends_so_before_the_image_is_built_is_broken() {
        // The same lone "\r\n" at the end, after a step line: no image ID, no tag.
        let (result, _) = build_on(&["{\"stream\":\"Step 1/1 : RUN make\\n\"}", "\r\n"]).await;
        let error = format!("{:#}", result.unwrap_err());
        assert!(error.contains("the engine's build stream broke: bytes remaining on stream"), "{error}");
    }

    #[tokio::test]
    async fn a_stream_cut_inside_a_message_after_the_image_id_is_broken() {
        let (result, _) =
            build_on(&["{\"aux\":{\"ID\":\"sha256:0123\"}}\r\n{\"stream\":\"Successfully tagged cai"]).await;
        let error = format!("{:#}", result.unwrap_err());
        assert!(error.contains("the engine's build stream broke"), "{error}");
    }
}
