//! The scheduler: packages in dependency order, `jobs` at a time, each built in the
//! engine (or laid out from binary packages), normalized, written to `out/` and recorded.
//! A failing package stops its dependents only; the others go on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{Options, Outcome, PackageResult};
use crate::engine::Engine;
use crate::image::{layout, normalize};
use crate::machine::Machine;
use crate::manifest::{self, Entry, Manifest};
use crate::registry::input::input_hash;
use crate::registry::{Package, Recipe, Registry};
use crate::source::Cache;
use crate::{progress, workspace};

mod eta;
mod slots;
use eta::Eta;
use slots::{cleanup, left_names, load_dep, pick, Running, Slot};

struct Shared {
    options: Options,
    cache: Cache,
    /// The engines builds run on: one, or each `--engine` given.
    slots: Vec<Slot>,
    progress: indicatif::MultiProgress,
    /// Entries recorded before this run: what builds are compared with.
    recorded: Manifest,
    /// Why each source that could not be fetched failed, by sha256.
    unfetched: BTreeMap<String, crate::source::Unfetched>,
    /// With `check_runtime`, what each package of the order needs beside it to run.
    runtime: BTreeMap<String, Vec<String>>,
    /// With `store`, the dependencies pushed there in this run: name -> the reference
    /// engines pull, `host/namespace/name@sha256:...`.
    stored: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::OnceCell<String>>>>,
}

/// Builds `order` (dependencies first), `jobs` at a time. Ctrl-C stops every build,
/// removes what this run put in the engine and leaves `out/` and manifest/ as they were
/// for the packages not finished.
pub async fn build_all(registry: &Registry, order: &[String], options: &Options) -> Result<Vec<PackageResult>> {
    let cache = Cache::open(&options.env)?;
    let wanted = crate::source::wanted_sources(registry, order);
    // A source that cannot be had fails its package (and so its dependents) only.
    let unfetched =
        if options.dry_run { BTreeMap::new() } else { cache.try_fetch_all(wanted.into_values().collect(), 4).await? };
    workspace::sweep_leftovers(&options.out);
    std::fs::create_dir_all(options.out.join("logs"))?;
    // The stages under bootstrap/ are build environments, not images people run: a
    // third party's rootfs (Debian's binutils ships gprofng's programs without their
    // library), cross compilers on it, target libraries for a sysroot. They are not checked.
    let runtime =
        if options.check_runtime && !options.dry_run { runtime_waits(registry, order)? } else { BTreeMap::new() };
    let shared = Arc::new(Shared {
        options: options.clone(),
        cache,
        slots: options.engines.iter().cloned().map(Slot::new).collect(),
        progress: progress::multi(),
        recorded: Manifest::load(&options.env.root)?,
        unfetched,
        runtime,
        stored: Default::default(),
    });
    let order: Vec<String> = order.iter().filter(|name| !options.given.contains_key(*name)).cloned().collect();
    let overall = shared.progress.add(progress::counter(order.len() as u64, "packages"));
    // Among ready packages, the one with the longest remaining path (by recorded times)
    // starts first; the same tree and times give the same order and the same engines.
    let times = crate::times::Times::load(&options.env.root).unwrap_or_else(|error| {
        progress::say(&shared.progress, &format!("warning: {error:#}; building in dependency order"));
        crate::times::Times::default()
    });
    let likely = likely_current(&shared, registry, &order);
    let tasks = super::estimate::tasks(registry, &order, &shared.runtime, &times, |name| !likely.contains(name));
    let setup = super::estimate::Setup {
        engines: shared.slots.len(),
        cpus: options.cpus.unwrap_or_else(crate::machine::local_cpus),
        jobs: options.jobs,
    };
    let index: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, name)| (name.as_str(), i)).collect();
    let paths = super::estimate::remaining_paths(&tasks, setup.cpus);
    let mut eta = Eta::new(&overall, tasks, setup);
    let run_started = Instant::now();
    let mut outcomes: BTreeMap<String, PackageResult> = options
        .given
        .iter()
        .map(|(name, digest)| {
            let outcome = Outcome::UpToDate { digest: digest.clone() };
            (
                name.clone(),
                PackageResult {
                    name: name.clone(),
                    outcome,
                    elapsed: Duration::ZERO,
                    started: None,
                    engine: None,
                    machine: None,
                },
            )
        })
        .collect();
    let mut pending: Vec<String> = order.clone();
    pending.sort_by(|a, b| {
        paths[index[b.as_str()]].total_cmp(&paths[index[a.as_str()]]).then(index[a.as_str()].cmp(&index[b.as_str()]))
    });
    let mut running = tokio::task::JoinSet::new();
    let mut starts: BTreeMap<String, Duration> = BTreeMap::new();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        // Settle what can be settled without building: skipped because of a failed
        // dependency; start what is ready, up to `jobs`. Again while a pass settles
        // something, so nothing waits on what a later entry of the same pass settled.
        let mut pass_again = true;
        while pass_again {
            let before = pending.len();
            let mut i = 0;
            while i < pending.len() {
                let package = &registry.packages[&pending[i]];
                let mut deps: Vec<&PackageResult> = package.deps.iter().filter_map(|d| outcomes.get(d)).collect();
                // What it needs to run is checked once it is built: it waits for those too.
                let needs = shared.runtime.get(&package.name).map(Vec::as_slice).unwrap_or_default();
                let needed: Vec<&PackageResult> = needs.iter().filter_map(|d| outcomes.get(d)).collect();
                deps.extend(needed.iter().filter(|r| !package.deps.contains(&r.name)));
                if deps.iter().any(|r| r.outcome == Outcome::WouldBuild) {
                    let result = PackageResult {
                        name: package.name.clone(),
                        outcome: Outcome::WouldBuild,
                        elapsed: Duration::ZERO,
                        started: None,
                        engine: None,
                        machine: None,
                    };
                    outcomes.insert(package.name.clone(), result);
                    eta.finish(index[package.name.as_str()]);
                    overall.inc(1);
                    pending.remove(i);
                    continue;
                }
                if let Some(bad) = deps.iter().find(|r| r.outcome.digest().is_none()) {
                    let because = format!("{} {}", bad.name, bad.outcome.label());
                    let result = PackageResult {
                        name: package.name.clone(),
                        outcome: Outcome::Skipped { because },
                        elapsed: Duration::ZERO,
                        started: None,
                        engine: None,
                        machine: None,
                    };
                    progress::say(&shared.progress, &format!("skipped {}: {}", package.name, bad.name));
                    outcomes.insert(package.name.clone(), result);
                    eta.finish(index[package.name.as_str()]);
                    overall.inc(1);
                    pending.remove(i);
                    continue;
                }
                let settled = package.deps.iter().chain(needs).collect::<std::collections::BTreeSet<_>>().len();
                if deps.len() == settled && running.len() < shared.options.jobs {
                    let digests: BTreeMap<String, String> = deps
                        .iter()
                        .filter(|r| package.deps.contains(&r.name))
                        .map(|r| (r.name.clone(), r.outcome.digest().unwrap_or_default().to_owned()))
                        .collect();
                    // The engine is chosen here, in the order packages become ready, so the
                    // same tree and the same engines give the same assignment.
                    let uses_engine = matches!(package.recipe, Recipe::Containerfile(_) | Recipe::Rebuild(_));
                    let reserved = if uses_engine { pick(&shared, &[]) } else { None };
                    if let Some(index) = reserved {
                        shared.slots[index].running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    let shared = shared.clone();
                    let package = package.clone();
                    eta.start(index[package.name.as_str()], reserved);
                    starts.insert(package.name.clone(), run_started.elapsed());
                    running.spawn(async move {
                        let started = Instant::now();
                        let outcome = build_one(&shared, &package, &digests, reserved).await;
                        (package.name.clone(), outcome, started.elapsed())
                    });
                    pending.remove(i);
                    continue;
                }
                i += 1;
            }
            pass_again = pending.len() < before && running.len() < shared.options.jobs;
        }
        if running.is_empty() {
            break;
        }
        eta.show();
        let finished = tokio::select! {
            finished = running.join_next() => finished,
            _ = &mut interrupted => {
                running.abort_all();
                while running.join_next().await.is_some() {}
                overall.abandon();
                cleanup(&shared).await;
                workspace::sweep_leftovers(&shared.options.out);
                bail!("interrupted: finished packages are recorded, the others left as they were");
            }
        };
        let (name, outcome, elapsed) = finished.expect("a task is running").context("a build task panicked")?;
        let (outcome, engine, machine) = match outcome {
            Ok(done) => done,
            Err(error) => {
                let log = shared.options.out.join("logs").join(format!("{name}.log"));
                let tail = log_tail(&log, 25);
                progress::say(
                    &shared.progress,
                    &format!("FAILED {name}: {error:#}\n{tail}  (full log: {})", log.display()),
                );
                (Outcome::Failed { error: format!("{error:#}") }, None, None)
            }
        };
        let alone = eta.finish(index[name.as_str()]);
        if let Outcome::Built { digest } = &outcome {
            let left = eta.left().map(|s| format!("; about {} left", super::estimate::human(s))).unwrap_or_default();
            progress::say(&shared.progress, &format!("built {name} {digest} in {:.1}s{left}", elapsed.as_secs_f64()));
            // Its time from scratch, for `plan` and the order of later builds: as if it had
            // had its engine alone (by the model of `plan`) when other builds shared it.
            if shared.options.record {
                let cpus = machine.as_ref().and_then(|m| m.cpus).unwrap_or_else(crate::machine::local_cpus);
                if let Err(error) = crate::times::record(
                    &shared.options.env.root,
                    &name,
                    &registry.packages[&name].version,
                    cpus,
                    alone.unwrap_or(elapsed.as_secs_f64()),
                ) {
                    progress::say(&shared.progress, &format!("warning: {error:#}"));
                }
            }
        }
        overall.inc(1);
        let started = starts.get(&name).copied();
        outcomes.insert(name.clone(), PackageResult { name, outcome, elapsed, started, engine, machine });
    }
    eta.stop();
    overall.finish_and_clear();
    cleanup(&shared).await;
    Ok(order.iter().filter(|name| !options.given.contains_key(*name)).map(|name| outcomes[name].clone()).collect())
}

/// The packages of `order` that are most likely up to date, judged without reading a
/// layout: recorded for the input hash their recorded dependencies give, with a layout in
/// `out/`, and built from packages likely up to date. Only for the time left: the
/// up-to-date check proper is made when each package's turn comes.
fn likely_current(shared: &Shared, registry: &Registry, order: &[String]) -> std::collections::BTreeSet<String> {
    let mut current = std::collections::BTreeSet::new();
    if shared.options.rebuild {
        return current;
    }
    for name in order {
        let package = &registry.packages[name];
        let Some(entry) = shared.recorded.get(name) else { continue };
        let deps: Option<BTreeMap<String, String>> = package
            .deps
            .iter()
            .map(|d| {
                let digest = shared
                    .options
                    .given
                    .get(d)
                    .or_else(|| current.contains(d).then(|| shared.recorded.get(d).map(|e| &e.digest)).flatten())?;
                Some((d.clone(), digest.clone()))
            })
            .collect();
        let Some(deps) = deps else { continue };
        if input_hash(package, &deps) == entry.input && shared.options.out.join(name).join("index.json").is_file() {
            current.insert(name.clone());
        }
    }
    current
}

/// What each package of `order` waits for beside its dependencies: what it needs to run
/// (its runtime closure), checked once it is built. The stages under bootstrap/ are build
/// environments, not images people run: a third party's rootfs (Debian's binutils ships
/// gprofng's programs without their library), cross compilers on it, target libraries
/// for a sysroot. They are not checked.
pub fn runtime_waits(registry: &Registry, order: &[String]) -> Result<BTreeMap<String, Vec<String>>> {
    order
        .iter()
        .filter(|name| !registry.packages[*name].dir.starts_with("bootstrap"))
        .map(|name| Ok((name.clone(), registry.runtime_closure(name)?)))
        .collect()
}

/// The digest of an up-to-date package, or `None` if it must be built.
fn up_to_date(shared: &Shared, package: &Package, input: &str) -> Option<String> {
    if shared.options.rebuild {
        return None;
    }
    let entry = shared.recorded.get(&package.name)?;
    if entry.input != input {
        return None;
    }
    match layout::verify(&shared.options.out.join(&package.name)) {
        Ok(digest) if digest == entry.digest => Some(digest),
        Ok(_) | Err(_) => None,
    }
}

/// How a package ended, and on which engine and machine it was built.
type Done = (Outcome, Option<String>, Option<Machine>);

async fn build_one(
    shared: &Arc<Shared>,
    package: &Package,
    deps: &BTreeMap<String, String>,
    reserved: Option<usize>,
) -> Result<Done> {
    // The engine reserved for this package counts it as running until it is done.
    let _reservation = reserved.map(|index| Running(&shared.slots[index]));
    if let Some(error) = package.sources.iter().find_map(|s| shared.unfetched.get(&s.sha256)) {
        std::fs::write(shared.options.out.join("logs").join(format!("{}.log", package.name)), format!("{error}\n"))?;
        bail!("{error}");
    }
    let input = input_hash(package, deps);
    if let Some(digest) = up_to_date(shared, package, &input) {
        check_recorded(shared, package).await?;
        return Ok((Outcome::UpToDate { digest }, None, None));
    }
    if shared.options.dry_run {
        return Ok((Outcome::WouldBuild, None, None));
    }
    let out = &shared.options.out;
    let log_path = out.join("logs").join(format!("{}.log", package.name));
    let mut log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    if let Some(outcome) = substitute(shared, package, &input, &mut log).await? {
        check_recorded(shared, package).await?;
        return Ok((outcome, None, None));
    }
    let spinner = shared.progress.add(progress::spinner(&format!("{}: starting", package.name)));
    let mut built_on = None;
    let mut machine = None;
    let result = async {
        let layer = match &package.recipe {
            Recipe::DebianRootfs(rootfs) => {
                spinner.set_message(format!("{}: laying out {} binary packages", package.name, package.sources.len()));
                let debs: Vec<(String, Vec<u8>)> = package
                    .sources
                    .iter()
                    .map(|s| Ok((s.file.clone(), shared.cache.read(s)?)))
                    .collect::<Result<_>>()?;
                let rootfs = rootfs.clone();
                machine = Some(Machine::here());
                tokio::task::spawn_blocking(move || super::rootfs::layout(&debs, &rootfs)).await??
            }
            Recipe::Containerfile(_) | Recipe::Rebuild(_) => {
                // On the least busy engine that answers; an engine that stops answering in
                // the middle of a build is left, and the package built on another.
                let mut left = Vec::new();
                loop {
                    let first = left.is_empty().then_some(reserved).flatten().filter(|i| !shared.slots[*i].is_gone());
                    let Some(index) = first.or_else(|| pick(shared, &left)) else {
                        bail!("no engine is left to build {} on: {}", package.name, left_names(shared, &left));
                    };
                    let slot = &shared.slots[index];
                    // The reserved engine already counts this build.
                    let _running = (Some(index) != reserved).then(|| slot.start());
                    let engine = match slot.engine(shared).await {
                        Ok(engine) => engine,
                        Err(error) if shared.slots.len() > 1 => {
                            slot.leave(shared, &format!("{error:#}"));
                            left.push(index);
                            continue;
                        }
                        Err(error) => return Err(error),
                    };
                    match in_engine(shared, slot, &engine, package, deps, &mut log, &spinner).await {
                        Ok(layer) => {
                            built_on = Some(slot.label(&engine));
                            machine = Some(engine.machine(shared.options.cpus));
                            break layer;
                        }
                        Err(error) if shared.slots.len() > 1 && !engine.answers().await => {
                            slot.leave(
                                shared,
                                &format!("it stopped answering while building {}: {error:#}", package.name),
                            );
                            left.push(index);
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        };
        let (name, version, out2) = (package.name.clone(), package.version.clone(), out.clone());
        let (dir, runtime) = (package.dir.clone(), shared.runtime.get(&package.name).cloned());
        let image = tokio::task::spawn_blocking(move || -> Result<layout::Image> {
            let image = layout::assemble(&layer)?;
            // Checked before anything is written: an image that cannot run is not kept.
            if let Some(runtime) = runtime {
                let own = crate::image::elf::scan(&layer[..])?;
                super::linkage::check(&out2, &name, &dir, &own, &runtime)?;
                layout::write(&out2, &name, &version, &image)?;
                super::linkage::save(&out2, &image.diff_id, &own)?;
            } else {
                layout::write(&out2, &name, &version, &image)?;
            }
            Ok(image)
        })
        .await??;
        let entry = Entry {
            name: package.name.clone(),
            version: package.version.clone(),
            input: input.clone(),
            digest: image.digest.clone(),
            layer: image.layer_digest.clone(),
            diff_id: image.diff_id.clone(),
            size: image.layer_gz.len() as u64,
        };
        // Reproduce makes its own, fuller report of the same finding.
        if let Some(old) = shared.recorded.get(&package.name).filter(|_| shared.options.record) {
            if old.input == entry.input && old.digest != entry.digest {
                progress::say(
                    &shared.progress,
                    &format!(
                        "warning: {} did not reproduce: same inputs gave {} where manifest/ recorded {}; \
                         `cargo xtask reproduce {}` explains the difference",
                        package.name, entry.digest, old.digest, package.name
                    ),
                );
            }
        }
        if shared.options.record {
            manifest::write_entry(&shared.options.env.root, &entry)?;
        }
        Ok(Outcome::Built { digest: image.digest })
    }
    .await
    .map(|outcome| (outcome, built_on.clone(), machine.clone()));
    spinner.finish_and_clear();
    result
}

/// With `check_runtime`, checks the image already in `out/` (up to date, substituted)
/// as a build checks the image it makes.
async fn check_recorded(shared: &Shared, package: &Package) -> Result<()> {
    let Some(runtime) = shared.runtime.get(&package.name).cloned() else { return Ok(()) };
    let (out, name, dir) = (shared.options.out.clone(), package.name.clone(), package.dir.clone());
    tokio::task::spawn_blocking(move || {
        let own = super::linkage::of(&out, &name)?;
        super::linkage::check(&out, &name, &dir, &own, &runtime)
    })
    .await?
}

/// The recorded image for the current input hash, from the first source that has exactly
/// it (and, with a threshold, whose digest carries the signatures): written to `out/` as a
/// build would write it. `None` when no source has it: then it is built. Why each source
/// was passed over goes to the package's log and the progress display.
async fn substitute(
    shared: &Shared,
    package: &Package,
    input: &str,
    log: &mut std::fs::File,
) -> Result<Option<Outcome>> {
    let substitutes = &shared.options.substitutes;
    if substitutes.sources.is_empty() || shared.options.rebuild {
        return Ok(None);
    }
    let Some(entry) = shared.recorded.get(&package.name) else { return Ok(None) };
    let mut passed_over = |why: String| {
        let line = format!("not substituted: {why}; building it");
        let _ = std::io::Write::write_all(log, format!("{line}\n").as_bytes());
        progress::say(&shared.progress, &format!("{}: {line}", package.name));
    };
    if entry.input != input {
        // Recorded for other inputs: what a source holds under that digest is not this build.
        return Ok(None);
    }
    if let Some(gate) = &substitutes.gate {
        if let Err(why) = gate.admits(entry) {
            passed_over(why);
            return Ok(None);
        }
    }
    for source in &substitutes.sources {
        let started = Instant::now();
        match crate::distribution::substitute::fetch(source, entry).await {
            Ok(image) => {
                let (out, name, version) = (shared.options.out.clone(), package.name.clone(), package.version.clone());
                tokio::task::spawn_blocking(move || layout::write(&out, &name, &version, &image)).await??;
                let line = format!(
                    "substituted {} {} from {} in {:.1}s",
                    package.name,
                    entry.digest,
                    source.name(),
                    started.elapsed().as_secs_f64()
                );
                let _ = std::io::Write::write_all(log, format!("{line}\n").as_bytes());
                progress::say(&shared.progress, &line);
                return Ok(Some(Outcome::Substituted { digest: entry.digest.clone(), source: source.name() }));
            }
            Err(error) => passed_over(format!("{}: {error:#}", source.name())),
        }
    }
    Ok(None)
}

/// Builds a Containerfile recipe in one engine: its dependencies loaded there by digest,
/// the text pinned and labelled with this run's id; returns the normalized layer.
async fn in_engine(
    shared: &Shared,
    slot: &Slot,
    engine: &Arc<Engine>,
    package: &Package,
    deps: &BTreeMap<String, String>,
    log: &mut std::fs::File,
    spinner: &indicatif::ProgressBar,
) -> Result<Vec<u8>> {
    let (containerfile, images) =
        package.engine_recipe().map_err(|refusal| package.refused(refusal))?.context("no Containerfile")?;
    let mut pins = BTreeMap::new();
    for (name, dep) in images {
        spinner.set_message(format!("{}: loading cairn/{dep}", package.name));
        let expected = deps.get(&dep).with_context(|| format!("{dep} is not a dependency of {}", package.name))?;
        pins.insert(name, load_dep(shared, slot, engine, &dep, expected).await?);
    }
    let pinned =
        crate::registry::pin_containerfile(containerfile, &pins).map_err(|refusal| package.refused(refusal))?;
    // Every image the build makes on the way carries this run's id.
    let pinned = crate::registry::label_stages(
        &pinned,
        &format!("{}={}", crate::engine::runs::LABEL, crate::engine::runs::this()),
    )
    .map_err(|refusal| package.refused(refusal))?;
    let context = super::context::assemble(package, &pinned, &shared.cache)?;
    let tag = format!("cairn/{}:{}.{}", package.name, shared.options.label, crate::engine::runs::this());
    let name = package.name.clone();
    let step_spinner = spinner.clone();
    let cpus = shared.options.cpus;
    let built =
        engine.build(context, &tag, cpus, log, move |step| step_spinner.set_message(format!("{name}: {step}"))).await;
    let step_hosts = match built {
        Ok(hosts) => hosts,
        Err(error) => {
            engine.remove(&tag).await.ok();
            engine.remove_intermediates(&tag).await;
            return Err(error.context(format!("building {} in {}", package.name, engine.name)));
        }
    };
    spinner.set_message(format!("{}: exporting", package.name));
    let export = engine.export(&tag).await;
    engine.remove(&tag).await?;
    engine.remove_intermediates(&tag).await;
    let export = export?;
    spinner.set_message(format!("{}: normalizing", package.name));
    // A file holding a fact of this machine was shaped by it: another machine builds
    // other bytes, which a reproduce here cannot show. Such a file fails the package.
    let mut facts = engine.leak_facts();
    facts.extend(step_hosts.into_iter().map(|text| crate::machine::Fact { what: "a build step's host name", text }));
    let (facts, skipped) = super::leaks::facts(facts);
    if !skipped.is_empty() && !engine.said_skipped() {
        let shown: Vec<String> = skipped.iter().map(|(f, why)| format!("{} `{}` ({why})", f.what, f.text)).collect();
        progress::say(
            &shared.progress,
            &format!(
                "note: not searched for in the images built on {}: {}; an image holding it would not be caught here",
                engine.name,
                shown.join(", ")
            ),
        );
    }
    let (layer, findings) = tokio::task::spawn_blocking(move || -> Result<_> {
        let layer = normalize::normalize(export.as_slice())?;
        let findings = super::leaks::scan(&layer, &facts)?;
        Ok((layer, findings))
    })
    .await??;
    super::leaks::judge(&package.name, findings, &package.allow)?;
    Ok(layer)
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].iter().map(|l| format!("  | {l}\n")).collect()
}
