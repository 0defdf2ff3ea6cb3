//! Sweeping an engine of what killed runs of this host left behind: their containers,
//! images and tags, found by the run id each carries, and nothing else.

use anyhow::{Context, Result};
use std::collections::BTreeSet;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};

use super::Engine;
use crate::engine::runs;

impl Engine {
    /// Removes what runs of this host that are over left in the engine: containers and
    /// images labelled with their run id, tags ending in it. Nothing else is touched.
    pub async fn sweep_dead_runs(&self) -> Result<Swept> {
        let mut swept = Swept::default();
        let labelled = std::collections::HashMap::from([("label", vec![runs::LABEL])]);
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptionsBuilder::new().all(true).filters(&labelled).build()))
            .await
            .context("listing containers")?;
        for container in containers {
            let run = container.labels.as_ref().and_then(|labels| labels.get(runs::LABEL)).cloned().unwrap_or_default();
            let Some(id) = container.id.filter(|_| runs::dead_run(&run).is_some()) else { continue };
            let options = RemoveContainerOptionsBuilder::new().force(true).v(true).build();
            match self.docker.remove_container(&id, Some(options)).await {
                Ok(()) => swept.containers.push(id),
                Err(error) => tracing::warn!("removing container {id} of the dead run {run}: {error}"),
            }
        }
        if self.podman {
            swept.containers.extend(self.sweep_working_containers().await?);
        }
        let tagged = std::collections::HashMap::from([("reference", vec!["cairn/*"])]);
        let images = self
            .docker
            .list_images(Some(ListImagesOptionsBuilder::new().all(true).filters(&tagged).build()))
            .await
            .context("listing images")?;
        for tag in images.iter().flat_map(|image| image.repo_tags.iter()) {
            if runs::dead_run(tag).is_some() {
                let options = RemoveImageOptionsBuilder::new().force(false).noprune(false).build();
                match self.docker.remove_image(tag, Some(options), None).await {
                    Ok(_) => swept.tags.push(tag.clone()),
                    Err(error) => tracing::warn!("removing the tag {tag} of a dead run: {error}"),
                }
            }
        }
        // Children first: an image is removed once nothing builds on it.
        for _ in 0..3 {
            let images = self
                .docker
                .list_images(Some(ListImagesOptionsBuilder::new().all(true).filters(&labelled).build()))
                .await
                .context("listing images")?;
            let mut removed = false;
            for image in images {
                let run = image.labels.get(runs::LABEL).cloned().unwrap_or_default();
                if runs::dead_run(&run).is_none() || swept.images.contains(&image.id) {
                    continue;
                }
                let options = RemoveImageOptionsBuilder::new().force(true).build();
                if self.docker.remove_image(&image.id, Some(options), None).await.is_ok() {
                    swept.images.push(image.id);
                    removed = true;
                }
            }
            if !removed {
                break;
            }
        }
        Ok(swept)
    }

    /// Podman only: removes the working containers buildah left in storage when the
    /// service died in the middle of a build of a run that is over. The API does not
    /// list them (they are not Podman's containers) and they carry no labels of their
    /// own; each is known by its image, a dependency tagged with the run's id or a step
    /// image labelled with it, and only an image no live run or user also tags counts. The `podman` client lists and removes them through the
    /// same endpoint (`ps --external`, `rm --force`); without it they stay, and are named.
    async fn sweep_working_containers(&self) -> Result<Vec<String>> {
        let images = self
            .docker
            .list_images(Some(ListImagesOptionsBuilder::new().all(true).build()))
            .await
            .context("listing images")?;
        let dead: BTreeSet<String> = images
            .iter()
            // Only an image that no one else names: a dependency a live run (or a user)
            // also tagged may be under a working container of theirs.
            .filter(|image| {
                let tags = image.repo_tags.iter().filter(|tag| tag.as_str() != "<none>:<none>");
                (image.labels.get(runs::LABEL).is_some_and(|run| runs::dead_run(run).is_some())
                    || image.repo_tags.iter().any(|tag| runs::dead_run(tag).is_some()))
                    && tags.clone().all(|tag| runs::dead_run(tag).is_some())
            })
            .map(|image| image.id.trim_start_matches("sha256:").to_owned())
            .collect();
        if dead.is_empty() {
            return Ok(Vec::new());
        }
        let podman =
            |args: &[&str]| std::process::Command::new("podman").arg("--url").arg(&self.endpoint).args(args).output();
        let listed = match podman(&["ps", "--all", "--external", "--format", "json"]) {
            Ok(output) if output.status.success() => output.stdout,
            Ok(output) => {
                tracing::warn!(
                    "listing buildah's working containers: podman ps --external: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                return Ok(Vec::new());
            }
            Err(error) => {
                tracing::warn!("buildah's working containers of dead runs are kept: no `podman` client ({error})");
                return Ok(Vec::new());
            }
        };
        #[derive(serde::Deserialize)]
        struct Listed {
            #[serde(rename = "Id")]
            id: String,
            #[serde(rename = "ImageID", default)]
            image: String,
            #[serde(rename = "State", default)]
            state: String,
        }
        let listed: Vec<Listed> =
            serde_json::from_slice(&listed).context("reading `podman ps --external --format json`")?;
        let mut removed = Vec::new();
        for container in listed {
            if container.state != "storage" || !dead.contains(container.image.trim_start_matches("sha256:")) {
                continue;
            }
            match podman(&["rm", "--force", &container.id]) {
                Ok(output) if output.status.success() => removed.push(container.id),
                Ok(output) => tracing::warn!(
                    "removing buildah's working container {}: {}",
                    container.id,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
                Err(error) => tracing::warn!("removing buildah's working container {}: {error}", container.id),
            }
        }
        Ok(removed)
    }
}

/// What `sweep_dead_runs` removed.
#[derive(Debug, Default, serde::Serialize)]
pub struct Swept {
    pub containers: Vec<String>,
    pub tags: Vec<String>,
    pub images: Vec<String>,
}

impl Swept {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.tags.is_empty() && self.images.is_empty()
    }
}
