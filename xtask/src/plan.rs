//! `cargo xtask plan`: what a build would do and how long it would take, from the times
//! manifest/times.toml records, for this machine or a bigger one. The model is
//! `build::estimate`'s; nothing is built, fetched or sent to an engine.

use std::process::ExitCode;

use anyhow::{bail, Result};
use serde::Serialize;

use crate::build::estimate::{self, human, Setup};
use crate::build::Outcome;
use crate::cli::JsonArg;
use crate::env::Env;
use crate::registry::Registry;

#[derive(clap::Args)]
pub struct PlanArgs {
    /// Packages to plan, with everything they need (default: what `build` builds).
    pub packages: Vec<String>,
    /// CPUs of each engine (default: this machine's). Unlike `build --cpus`, any count:
    /// the plan is for the machine you might have.
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Engines of N CPUs each, as `build --engine` given K times.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub engines: usize,
    /// Builds at once across the engines, as `build -j` [default: 2 per engine, as build].
    #[arg(short, long, value_name = "J")]
    pub jobs: Option<usize>,
    /// Count every package as out of date, as `build --rebuild` does.
    #[arg(long)]
    pub rebuild: bool,
    /// Also print when and on which engine each package would build.
    #[arg(long)]
    pub schedule: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Serialize)]
struct Report {
    /// The machine planned for.
    setup: SetupReport,
    /// Packages in the set: to build, and up to date.
    to_build: usize,
    up_to_date: usize,
    /// The longest chain of builds: no number of engines builds the set faster.
    critical_path: Path,
    /// Every build's time on one CPU, added up: CPU seconds.
    total_work: Work,
    /// What the list schedule gives, and the bound it is measured against.
    predicted_wall: Wall,
    /// Packages to build with no recorded time: counted as taking none.
    no_recorded_time: Vec<String>,
    model: &'static str,
    /// Every package of the set, in the order `build` would start them.
    schedule: Vec<Entry>,
}

#[derive(Serialize)]
struct SetupReport {
    engines: usize,
    cpus: u32,
    jobs: usize,
}

#[derive(Serialize)]
struct Path {
    seconds: f64,
    packages: Vec<Step>,
}

#[derive(Serialize)]
struct Step {
    name: String,
    seconds: f64,
}

#[derive(Serialize)]
struct Work {
    /// CPU seconds.
    seconds: f64,
    /// The same on all the CPUs of the engines at once: the work in engines / (engines x
    /// CPUs), plus what is laid out on this machine.
    spread_seconds: f64,
}

#[derive(Serialize)]
struct Wall {
    seconds: f64,
    /// The critical path, or the work in engines on all their CPUs at once, or what is
    /// laid out on this machine one after the other, whichever is longest: no schedule is
    /// faster.
    bound_seconds: f64,
}

#[derive(Serialize)]
struct Entry {
    name: String,
    /// `would build` or `up to date`, as `build --dry-run` says.
    status: &'static str,
    /// Its time alone on one engine; none if unknown or up to date.
    seconds: Option<f64>,
    /// When it would start and end, in seconds from the start of the build.
    started: f64,
    ended: f64,
    /// The engine (0 to K-1), for what is built in one.
    engine: Option<usize>,
}

const MODEL: &str = "Amdahl's law per package (serial part fitted to its times at two CPU counts, \
                     else 0.35), builds on one engine share its CPUs, longest remaining path first";

fn round(seconds: f64) -> f64 {
    (seconds * 10.0).round() / 10.0
}

pub fn run(args: PlanArgs, env: &Env) -> Result<ExitCode> {
    let cpus = args.cpus.unwrap_or_else(crate::machine::local_cpus);
    if !(1..=4096).contains(&cpus) {
        bail!("--cpus {cpus}: give a count from 1 to 4096");
    }
    if !(1..=1024).contains(&args.engines) {
        bail!("--engines {}: give a count from 1 to 1024", args.engines);
    }
    let jobs = args.jobs.unwrap_or(2 * args.engines);
    if jobs == 0 {
        bail!("-j 0: give at least 1");
    }
    let registry = Registry::load(&env.root)?;
    let wanted = if args.packages.is_empty() { registry.default_set() } else { args.packages.clone() };
    let order = registry.order_to_run(wanted)?;
    let times = crate::times::Times::load(&env.root)?;
    let outcomes = crate::build::dry_run(&registry, &order, env, args.rebuild)?;
    let current: std::collections::BTreeSet<&str> =
        outcomes.iter().filter(|r| matches!(r.outcome, Outcome::UpToDate { .. })).map(|r| r.name.as_str()).collect();
    let builds = |name: &str| !current.contains(name);
    let runtime = crate::build::runtime_waits(&registry, &order)?;
    let tasks = estimate::tasks(&registry, &order, &runtime, &times, builds);
    let setup = Setup { engines: args.engines, cpus, jobs };
    let slots = estimate::simulate(&tasks, setup, &[], &[]);
    let (critical, chain) = estimate::critical_path(&tasks, cpus);
    // The work: what every build would take on one CPU, which it keeps busy the whole
    // time; with more CPUs a build is faster but its serial part leaves some idle.
    let work: f64 = tasks.iter().map(|t| t.alone(1)).sum();
    let spread = |in_engine: bool| -> f64 {
        let work: f64 = tasks.iter().filter(|t| t.in_engine == in_engine).map(|t| t.alone(1)).sum();
        // What is laid out without an engine runs on this machine, one at a time.
        if in_engine {
            work / (args.engines as f64 * cpus as f64)
        } else {
            work
        }
    };
    let wall = slots.iter().flatten().map(|s| s.end).fold(0.0, f64::max);
    let bound = critical.max(spread(true)).max(spread(false));
    let no_time: Vec<String> = order.iter().filter(|n| builds(n) && times.get(n).is_none()).cloned().collect();
    let mut schedule: Vec<(usize, Entry)> = order
        .iter()
        .zip(&tasks)
        .zip(&slots)
        .map(|((name, task), slot)| {
            let slot = slot.expect("every task of a plan is scheduled");
            let entry = Entry {
                name: name.clone(),
                status: if builds(name) { "would build" } else { "up to date" },
                seconds: task.speed.as_ref().map(|_| round(task.alone(cpus))),
                started: round(slot.start),
                ended: round(slot.end),
                engine: slot.engine,
            };
            (slot.seq, entry)
        })
        .collect();
    // In the order build would start them.
    schedule.sort_by_key(|(seq, _)| *seq);
    let schedule: Vec<Entry> = schedule.into_iter().map(|(_, entry)| entry).collect();
    let to_build = order.iter().filter(|n| builds(n)).count();
    let report = Report {
        setup: SetupReport { engines: args.engines, cpus, jobs },
        to_build,
        up_to_date: order.len() - to_build,
        critical_path: Path {
            seconds: round(critical),
            packages: chain
                .iter()
                .map(|i| Step { name: tasks[*i].name.clone(), seconds: round(tasks[*i].alone(cpus)) })
                .filter(|step| step.seconds > 0.0)
                .collect(),
        },
        total_work: Work { seconds: round(work), spread_seconds: round(spread(true) + spread(false)) },
        predicted_wall: Wall { seconds: round(wall), bound_seconds: round(bound) },
        no_recorded_time: no_time,
        model: MODEL,
        schedule,
    };
    args.json.print(&report, || print_human(&report, args.schedule))?;
    Ok(ExitCode::SUCCESS)
}

fn print_human(report: &Report, schedule: bool) {
    let setup = &report.setup;
    let engines = if setup.engines == 1 { "1 engine".to_owned() } else { format!("{} engines", setup.engines) };
    println!(
        "{} to build, {} up to date; {engines} of {} CPUs, {} builds at once",
        report.to_build, report.up_to_date, setup.cpus, setup.jobs
    );
    let chain: Vec<String> =
        report.critical_path.packages.iter().map(|s| format!("{} {}", s.name, human(s.seconds))).collect();
    println!("critical path   {:>12}  {}", human(report.critical_path.seconds), chain.join(" -> "));
    println!(
        "total work      {:>12}  of one CPU; {} on all {} CPUs at once",
        human(report.total_work.seconds),
        human(report.total_work.spread_seconds),
        setup.engines as u32 * setup.cpus
    );
    println!(
        "predicted wall  {:>12}  (no schedule beats {}: the critical path, or the work on all CPUs)",
        human(report.predicted_wall.seconds),
        human(report.predicted_wall.bound_seconds)
    );
    if !report.no_recorded_time.is_empty() {
        println!("no recorded time (counted as none): {}", report.no_recorded_time.join(", "));
    }
    println!("model: {}", report.model);
    if schedule {
        for entry in &report.schedule {
            let engine = entry.engine.map(|e| format!("engine {e}")).unwrap_or_else(|| "this machine".to_owned());
            println!(
                "  {:>10} {:>10}  {:<22} {:<12} {}",
                human(entry.started),
                human(entry.ended),
                entry.name,
                engine,
                entry.status
            );
        }
    }
}
