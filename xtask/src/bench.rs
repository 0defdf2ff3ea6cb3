//! `cargo xtask bench`: the figures that decide how cairn feels, measured, not asserted.
//!
//! - normalize + hash + write of a large synthetic layer (bytes/s per phase), the work
//!   done after every engine build;
//! - a no-op `build` of the whole tree (everything up to date), the cost of asking;
//! - with `--engine` given twice or more: the quick tree built from nothing on the first
//!   engine alone, then on all of them at once (wall time of each).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::build::{self, Options, Outcome};
use crate::cli::JsonArg;
use crate::env::Env;
use crate::image::{layout, normalize};
use crate::registry::Registry;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Size of the synthetic layer, in MiB.
    #[arg(long, default_value_t = 512)]
    pub mib: usize,
    /// No-op builds to time (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Engines to compare: the quick tree is built on the first alone, then on all.
    #[command(flatten)]
    pub engines: crate::cli::EnginesArg,
    #[command(flatten)]
    pub json: JsonArg,
}

/// The quick tree: what CI reproduces.
const QUICK: &[&str] = &["bootstrap", "musl-stage0", "busybox-stage0", "filesystem"];

/// Wall seconds of the quick tree built from nothing on these engines, in a scratch
/// `out/`, nothing recorded.
fn quick_tree(env: &Env, engines: Vec<crate::env::Engines>) -> Result<f64> {
    let scratch = tempfile::Builder::new().prefix("bench-").tempdir_in(env.root.join("target"))?;
    let options = Options {
        substitutes: Default::default(),
        env: env.clone(),
        out: scratch.path().to_owned(),
        jobs: 2,
        rebuild: true,
        engines,
        label: "bench",
        record: false,
        check_runtime: false,
        given: Default::default(),
        dry_run: false,
        store: None,
        cpus: None,
    };
    let registry = Registry::load(&env.root)?;
    let order = registry.order(QUICK.iter().map(|name| name.to_string()))?;
    let started = Instant::now();
    let results = tokio::runtime::Runtime::new()?.block_on(build::build_all(&registry, &order, &options))?;
    if let Some(failed) = results.iter().find(|r| r.outcome.digest().is_none()) {
        bail!("the quick tree did not build: {} {:?}", failed.name, failed.outcome);
    }
    Ok(started.elapsed().as_secs_f64())
}

pub fn run(args: BenchArgs, env: &Env) -> Result<ExitCode> {
    let layer = layer_figures(args.mib)?;
    let noop = noop_build(args.runs.max(1), env)?;
    let engines = args.engines.resolve(env);
    let engines_compared = if engines.len() > 1 {
        let one = quick_tree(env, engines[..1].to_vec())?;
        let all = quick_tree(env, engines.clone())?;
        Some(EnginesReport { engines: engines.len(), one_engine_seconds: one, all_engines_seconds: all })
    } else {
        None
    };
    if args.json.json {
        let report = BenchReport { layer: &layer, noop_build_seconds: noop, quick_tree: engines_compared.as_ref() };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mb = |bytes: f64, seconds: f64| bytes / seconds / 1e6;
        let bytes = layer.bytes as f64;
        let phases = [
            ("normalize", layer.normalize),
            ("assemble", layer.assemble),
            ("write", layer.write),
            ("total", layer.total),
        ];
        for (phase, seconds) in phases {
            println!("{phase:<10} {seconds:>7.2} s  {:>8.1} MB/s", mb(bytes, seconds));
        }
        println!("(layer of {:.0} MB in {} files, {:.0}% compressible)", bytes / 1e6, layer.files, 50.0);
        match noop {
            Some(seconds) => println!("no-op build of the tree: {seconds:.3} s (median of {})", args.runs),
            None => println!("no-op build of the tree: not measured (build the tree first: `cargo xtask build`)"),
        }
        if let Some(compared) = &engines_compared {
            println!(
                "quick tree from nothing: {:.1} s on the first engine, {:.1} s on all {}",
                compared.one_engine_seconds, compared.all_engines_seconds, compared.engines
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An engine export as it arrives: files in creation order, times and names set.
fn synthetic_export(mib: usize) -> (Vec<u8>, usize) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let words = ["static", "int", "return", "include", "define", "struct", "void", "char", "if", "else"];
    let mut builder = tar::Builder::new(Vec::with_capacity(mib << 20));
    let (mut total, mut files) = (0usize, 0usize);
    while total < mib << 20 {
        let size = 4096 + (next() % (1 << 20)) as usize;
        let data: Vec<u8> = if files % 2 == 0 {
            // Source-like text: compresses as real trees do.
            let mut text = Vec::with_capacity(size);
            while text.len() < size {
                text.extend_from_slice(words[(next() % words.len() as u64) as usize].as_bytes());
                text.push(if next() % 8 == 0 { b'\n' } else { b' ' });
            }
            text
        } else {
            (0..size / 8).flat_map(|_| next().to_le_bytes()).collect()
        };
        let mut header = tar::Header::new_ustar();
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000 + files as u64);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("builder").expect("short name");
        header.set_size(data.len() as u64);
        let path = format!("./usr/share/bench/{:02}/file-{files:06}", files % 97);
        builder.append_data(&mut header, path, data.as_slice()).expect("in memory");
        total += data.len();
        files += 1;
    }
    (builder.into_inner().expect("in memory"), files)
}

/// `bench --json`.
#[derive(Serialize)]
struct BenchReport<'a> {
    layer: &'a LayerFigures,
    /// The median no-op build; absent if something would be built.
    noop_build_seconds: Option<f64>,
    /// With several engines: the quick tree on the first alone and on all.
    #[serde(skip_serializing_if = "Option::is_none")]
    quick_tree: Option<&'a EnginesReport>,
}

#[derive(Serialize)]
struct EnginesReport {
    engines: usize,
    one_engine_seconds: f64,
    all_engines_seconds: f64,
}

/// Seconds each phase of turning an export into a layout took, for `bytes` in `files`.
#[derive(Serialize)]
struct LayerFigures {
    bytes: usize,
    files: usize,
    normalize: f64,
    assemble: f64,
    write: f64,
    total: f64,
}

fn layer_figures(mib: usize) -> Result<LayerFigures> {
    let (export, files) = synthetic_export(mib);
    let bytes = export.len();
    let started = Instant::now();
    let tar = normalize::normalize(export.as_slice())?;
    let normalized = started.elapsed();
    let image = layout::assemble(&tar)?;
    let assembled = started.elapsed() - normalized;
    let out = tempfile::tempdir()?;
    layout::write(out.path(), "bench", "0", &image)?;
    let written = started.elapsed() - normalized - assembled;
    Ok(LayerFigures {
        bytes,
        files,
        normalize: normalized.as_secs_f64(),
        assemble: assembled.as_secs_f64(),
        write: written.as_secs_f64(),
        total: started.elapsed().as_secs_f64(),
    })
}

/// The median wall time of `build` over the whole tree when everything is up to date,
/// from loading the registry to the summary; `None` if something would be built.
fn noop_build(runs: usize, env: &Env) -> Result<Option<f64>> {
    let root = env.root.clone();
    let options = Options {
        substitutes: Default::default(),
        env: env.clone(),
        out: env.out.clone(),
        jobs: 2,
        rebuild: false,
        engines: vec![env.engines.clone()],
        label: "build",
        record: true,
        check_runtime: false,
        given: Default::default(),
        dry_run: true,
        store: None,
        cpus: None,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let registry = Registry::load(&root)?;
        let order = registry.order(registry.packages.keys().cloned())?;
        let results = runtime.block_on(build::build_all(&registry, &order, &options))?;
        // A dry run does exactly a no-op build's work when everything is up to date.
        if results.iter().any(|r| !matches!(r.outcome, Outcome::UpToDate { .. })) {
            if times.is_empty() {
                return Ok(None);
            }
            bail!("the tree changed while measuring");
        }
        times.push(started.elapsed());
    }
    times.sort();
    Ok(Some(times[times.len() / 2].as_secs_f64()))
}
