//! source/: the files packages are built from, and the cache that only verified files
//! enter.
//!
//! Owns the cache (`cache`), where sources may be found (`locations`) and the `fetch`
//! command. It never decides what a source is: the sha256 a package pins does; a
//! location is only a hint, and nothing unverified is ever read back out of the cache.
//!
//! A source is a file name, a sha256 and places to look for it. Only the hash decides:
//! every download goes to a temporary file while being hashed and enters the cache
//! (`<cache>/sha256/<hex>`) by rename only when it matches, so a partial or wrong file
//! never does. Locations are tried in order: upstream URLs, a path in a Debian mirror
//! (those of the machine's apt configuration, or `CAIRN_DEBIAN_MIRROR`), `apt-get
//! download`, `apt-get source`, `pip download` (whatever index pip is configured with).
//! `--import DIR` seeds the cache from files on disk.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

mod cache;
pub mod compression;
pub mod index;
mod locations;

pub use cache::{Cache, Unfetched};

use crate::env::Env;
use crate::registry::{Registry, Source};

#[derive(clap::Args)]
pub struct FetchArgs {
    /// Packages whose sources to fetch (default: all).
    pub packages: Vec<String>,
    /// Seed the cache from the files under DIR, by hash, instead of downloading.
    #[arg(long, value_name = "DIR")]
    pub import: Option<PathBuf>,
    /// Downloads to run at once.
    #[arg(short, long, default_value_t = 4)]
    pub jobs: usize,
    #[command(flatten)]
    pub json: crate::cli::JsonArg,
}

/// One source in `fetch --json`.
#[derive(serde::Serialize)]
struct Fetched<'a> {
    file: &'a str,
    sha256: &'a str,
    /// The first package that needs it.
    package: &'a str,
    /// `cached` (in the cache, its hash checked), or `missing`.
    status: &'static str,
    /// Why it could not be fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub fn run(args: FetchArgs, env: &Env) -> Result<ExitCode> {
    let root = env.root.clone();
    let registry = Registry::load(&root)?;
    let names = if args.packages.is_empty() {
        registry.packages.keys().cloned().collect()
    } else {
        for name in &args.packages {
            registry.get(name)?;
        }
        args.packages.clone()
    };
    let cache = Cache::open(env)?;
    let wanted = wanted_sources(&registry, &names);
    let report = |failures: &BTreeMap<String, String>| -> Vec<Fetched> {
        wanted
            .values()
            .map(|w| {
                let cached = cache.has(&w.source.sha256);
                Fetched {
                    file: &w.source.file,
                    sha256: &w.source.sha256,
                    package: &w.package,
                    status: if cached { "cached" } else { "missing" },
                    reason: failures.get(&w.source.sha256).cloned().filter(|_| !cached),
                }
            })
            .collect()
    };
    if let Some(dir) = &args.import {
        let imported = cache.import(dir, &wanted)?;
        let missing: Vec<&Wanted> = wanted.values().filter(|w| !cache.has(&w.source.sha256)).collect();
        args.json.print(&report(&BTreeMap::new()), || {
            println!("imported {imported} file(s) from {}; {} source(s) still missing", dir.display(), missing.len());
            for w in &missing {
                println!("  missing {} ({}) of {}", w.source.file, w.source.sha256, w.package);
            }
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    if !args.json.json {
        runtime.block_on(cache.fetch_all(wanted.values().cloned().collect(), args.jobs))?;
        return Ok(ExitCode::SUCCESS);
    }
    let failures = runtime.block_on(cache.try_fetch_all(wanted.values().cloned().collect(), args.jobs))?;
    let failures: BTreeMap<String, String> = failures.iter().map(|(sha, why)| (sha.clone(), why.to_string())).collect();
    args.json.print(&report(&failures), || {})?;
    Ok(crate::cli::verdict(failures.is_empty()))
}

/// A source and the first package that needs it.
#[derive(Clone)]
pub struct Wanted {
    pub package: String,
    pub source: Source,
}

/// Sources of the named packages and their dependencies, by sha256.
pub fn wanted_sources(registry: &Registry, names: &[String]) -> BTreeMap<String, Wanted> {
    let order = registry.order(names.iter().cloned()).unwrap_or_default();
    let mut wanted = BTreeMap::new();
    for name in order {
        for source in &registry.packages[&name].sources {
            wanted
                .entry(source.sha256.clone())
                .or_insert_with(|| Wanted { package: name.clone(), source: source.clone() });
        }
    }
    wanted
}
