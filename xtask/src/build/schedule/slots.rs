//! The engines one run builds on: each connected to when first needed, swept of what
//! killed runs left, told which dependencies it already holds, and left when it stops
//! answering; the scheduler picks among them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use tokio::sync::OnceCell;

use super::Shared;
use crate::engine::Engine;
use crate::image::layout;
use crate::progress;

/// One engine builds run on, connected to when first needed.
pub(super) struct Slot {
    engines: crate::env::Engines,
    pub(super) engine: OnceCell<Arc<Engine>>,
    /// Dependencies loaded into this engine: name -> the run's tag of it.
    loaded: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
    /// Builds running on it now.
    pub(super) running: std::sync::atomic::AtomicUsize,
    /// It stopped answering, or never did: nothing more is sent to it.
    gone: std::sync::atomic::AtomicBool,
}

/// A build running on a slot, for as long as it lives.
pub(super) struct Running<'a>(pub(super) &'a Slot);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Slot {
    pub(super) fn new(engines: crate::env::Engines) -> Slot {
        Slot {
            engines,
            engine: OnceCell::new(),
            loaded: Mutex::new(HashMap::new()),
            running: std::sync::atomic::AtomicUsize::new(0),
            gone: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(super) fn start(&self) -> Running<'_> {
        self.running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Running(self)
    }

    pub(super) fn is_gone(&self) -> bool {
        self.gone.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// What reports call it: the engine and, with several, where it answers.
    pub(super) fn label(&self, engine: &Engine) -> String {
        match &self.engines.endpoint {
            Some(endpoint) => format!("{} at {endpoint}", engine.name),
            None => engine.name.clone(),
        }
    }

    pub(super) fn describe(&self) -> String {
        match (self.engine.get(), &self.engines.endpoint) {
            (Some(engine), _) => self.label(engine),
            (None, Some(endpoint)) => endpoint.clone(),
            (None, None) => "the default engine".to_owned(),
        }
    }

    /// Sends nothing more to this engine.
    pub(super) fn leave(&self, shared: &Shared, why: &str) {
        self.gone.store(true, std::sync::atomic::Ordering::SeqCst);
        progress::say(&shared.progress, &format!("leaving the engine {}: {why}", self.describe()));
    }

    /// The engine, connected to (and swept of what dead runs left) on first use.
    pub(super) async fn engine(&self, shared: &Shared) -> Result<Arc<Engine>> {
        self.engine
            .get_or_try_init(|| async {
                let engine = Engine::connect(&self.engines).await?;
                progress::say(&shared.progress, &format!("engine: {}", self.label(&engine)));
                match engine.sweep_dead_runs().await {
                    Ok(swept) if !swept.is_empty() => progress::say(
                        &shared.progress,
                        &format!(
                            "removed what killed runs left in the engine: {} container(s), {} tag(s), {} image(s)",
                            swept.containers.len(),
                            swept.tags.len(),
                            swept.images.len()
                        ),
                    ),
                    Ok(_) => {}
                    Err(error) => tracing::warn!("looking for what killed runs left: {error:#}"),
                }
                Ok::<_, anyhow::Error>(Arc::new(engine))
            })
            .await
            .cloned()
    }
}

/// The engine the next build goes to: of those not left, the one running the fewest
/// builds, the first given on a tie.
pub(super) fn pick(shared: &Shared, left: &[usize]) -> Option<usize> {
    (0..shared.slots.len())
        .filter(|i| !left.contains(i) && !shared.slots[*i].is_gone())
        .min_by_key(|i| shared.slots[*i].running.load(std::sync::atomic::Ordering::SeqCst))
}

pub(super) fn left_names(shared: &Shared, left: &[usize]) -> String {
    let names: Vec<String> = shared
        .slots
        .iter()
        .enumerate()
        .filter(|(i, slot)| left.contains(i) || slot.is_gone())
        .map(|(_, slot)| slot.describe())
        .collect();
    format!("left {}", names.join(", "))
}

/// Removes what this run put in each engine that still answers.
pub(super) async fn cleanup(shared: &Shared) {
    for slot in &shared.slots {
        if let (Some(engine), false) = (slot.engine.get(), slot.is_gone()) {
            engine.cleanup().await;
        }
    }
}

/// Loads a dependency's image from `out/` once per run; returns its pinned reference.
/// The image loaded is the one the input hash was computed from (`expected`), checked
/// against the layout's verified digest: `out/<dep>` may have changed since.
pub(super) async fn load_dep(
    shared: &Shared,
    slot: &Slot,
    engine: &Engine,
    dep: &str,
    expected: &str,
) -> Result<String> {
    let cell = slot.loaded.lock().expect("not poisoned").entry(dep.to_owned()).or_default().clone();
    cell.get_or_try_init(|| async {
        let read = read_planned(&shared.options.out, dep, expected)?;
        let config_digest = layout::sha256(&read.config);
        // The image ID is the config digest whoever loads it; the tag is this run's own, so
        // a concurrent run removing its tag never takes the image from under this one.
        let tag = format!("cairn/{dep}:{}.{}", &config_digest["sha256:".len()..][..16], crate::engine::runs::this());
        if let Some(store) = &shared.options.store {
            let reference = stored(shared, store, dep, &read).await?;
            let credentials = crate::distribution::oci::engine_credentials(&store.target.host);
            engine.pull(&reference, &tag, &config_digest, credentials).await?;
            return Ok(tag);
        }
        let archive =
            tokio::task::spawn_blocking(move || layout::docker_archive(&read, &tag).map(|a| (a, tag))).await??;
        engine.load(archive.0, &archive.1, &config_digest).await?;
        Ok::<_, anyhow::Error>(archive.1)
    })
    .await
    .cloned()
}

/// Pushes `dep`'s image, `read` (the planned one, already verified), to the store once
/// per run; returns the reference engines pull it by. The registry must report its digest.
async fn stored(shared: &Shared, store: &crate::build::Store, dep: &str, read: &layout::Layout) -> Result<String> {
    let cell = shared.stored.lock().expect("not poisoned").entry(dep.to_owned()).or_default().clone();
    cell.get_or_try_init(|| async {
        let repository = store.target.repository(dep);
        let remote = crate::distribution::oci::Remote::new(&store.target, store.transport)?;
        // Tagged by digest, so that a registry that collects untagged manifests keeps it.
        let tag = read.digest.replace(':', "-");
        crate::distribution::push::push_layout(&remote, read, dep, &tag)
            .await
            .with_context(|| format!("storing {dep} in {}", store.target.host))?;
        Ok::<_, anyhow::Error>(format!("{repository}@{}", read.digest))
    })
    .await
    .cloned()
}

/// The image of `dep` in `out`, if it is still the one this build was planned with (its
/// digest is in the input hash of what builds on it): never whatever `out/` holds now.
fn read_planned(out: &Path, dep: &str, expected: &str) -> Result<layout::Layout> {
    let dir = out.join(dep);
    let read = layout::read(&dir).with_context(|| format!("reading the image of dependency {dep}"))?;
    if read.digest != expected {
        bail!(
            "{} holds {}, not {expected}, the image of {dep} this build was planned with: another run \
             changed it; build again",
            dir.display(),
            read.digest
        );
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(text: &[u8]) -> layout::Image {
        let node = crate::image::normalize::Node {
            path: "hello".into(),
            kind: crate::image::normalize::Kind::File(text.to_vec()),
            mode: 0o644,
            uid: 0,
            gid: 0,
        };
        layout::assemble(&crate::image::normalize::write(&[node]).unwrap()).unwrap()
    }

    #[test]
    fn a_dependency_is_loaded_only_as_the_image_it_was_planned_with() {
        let out = tempfile::tempdir().unwrap();
        let planned = image(b"planned\n");
        layout::write(out.path(), "dep", "1", &planned).unwrap();
        assert_eq!(read_planned(out.path(), "dep", &planned.digest).unwrap().digest, planned.digest);
        // Another run (or hand) swaps out/dep after the plan hashed the inputs on it.
        let swapped = image(b"swapped\n");
        layout::write(out.path(), "dep", "1", &swapped).unwrap();
        let Err(error) = read_planned(out.path(), "dep", &planned.digest) else {
            panic!("the swapped image was loaded")
        };
        let error = format!("{error:#}");
        assert!(error.contains(&format!("holds {}, not {}", swapped.digest, planned.digest)), "{error}");
        assert!(error.contains("build again"), "{error}");
    }
}
