//! How long a build takes, from the times manifest/times.toml records: each package's time
//! at a CPU count, each package's remaining path (what `build` starts first), the critical
//! path, and a list schedule of the whole run over K engines of N CPUs (what `plan`
//! predicts and the time left that `build` shows).
//!
//! The model, stated once:
//! - A package built in an engine follows Amdahl's law: with `c` CPUs it takes
//!   `T1 * (s / min(c, 1) + (1 - s) / c)`, `T1` its time on one CPU and `s` the part of it
//!   that runs on one CPU alone (configure, linking, the engine's own steps, the layer's
//!   compression). `s` is fitted to the package's own times when they were recorded at two
//!   CPU counts, else [`SERIAL`]. A recorded time at the very CPU count asked is taken as
//!   it is; otherwise the recorded time nearest in CPUs is scaled.
//! - A package laid out without an engine (the bootstrap's binary packages) runs on one
//!   CPU of this machine and takes its recorded time whatever the CPUs.
//! - The builds running on one engine share its CPUs equally; engines do not share.
//! - Packages start as `build` starts them: up to `jobs` at once, among the ready ones the
//!   one with the longest remaining path first, on the engine running the fewest builds.
//! - A package without a recorded time counts as taking no time, and is named.

use std::collections::BTreeMap;

use crate::registry::{Recipe, Registry};
use crate::times::Times;

/// The part of a build that runs on one CPU alone, unless its own times say otherwise:
/// musl-stage0, busybox-stage0 and linux-headers, each built alone with 1 and with 2 CPUs
/// on a 2-core machine, fit 0.24, 0.34 and 0.50 (see the README's "How long it takes").
pub const SERIAL: f64 = 0.35;

/// How one package's time depends on its CPUs.
#[derive(Debug, Clone, PartialEq)]
pub struct Speed {
    /// Recorded wall seconds by CPUs.
    recorded: BTreeMap<u32, f64>,
    /// The part that runs on one CPU alone, in [0, 1].
    serial: f64,
}

impl Speed {
    /// From recorded times; `in_engine` false for what is laid out without an engine.
    pub fn new(recorded: &BTreeMap<u32, u64>, in_engine: bool) -> Option<Speed> {
        let recorded: BTreeMap<u32, f64> = recorded.iter().map(|(c, s)| (*c, *s as f64)).collect();
        let (&fewest, &least) = recorded.iter().next()?;
        let (&most, &longest) = recorded.iter().next_back()?;
        let serial = if !in_engine {
            1.0
        } else if fewest < most {
            fit(fewest as f64, least, most as f64, longest)
        } else {
            SERIAL
        };
        Some(Speed { recorded, serial })
    }

    pub fn serial(&self) -> f64 {
        self.serial
    }

    /// Wall seconds with `cpus` CPUs (a share of an engine may be less than one).
    pub fn at(&self, cpus: f64) -> f64 {
        if cpus.fract() == 0.0 {
            if let Some(seconds) = self.recorded.get(&(cpus as u32)) {
                return *seconds;
            }
        }
        // The recorded count nearest (by ratio) to the one asked.
        let (anchor, seconds) = self
            .recorded
            .iter()
            .min_by(|a, b| ratio(*a.0 as f64, cpus).total_cmp(&ratio(*b.0 as f64, cpus)))
            .expect("a speed has a recorded time");
        seconds * self.shape(cpus) / self.shape(*anchor as f64)
    }

    fn shape(&self, cpus: f64) -> f64 {
        shape(self.serial, cpus)
    }
}

/// A build's time with `cpus` CPUs (a share may be less than one) relative to one CPU,
/// `serial` the part of it that runs on one CPU alone.
pub fn shape(serial: f64, cpus: f64) -> f64 {
    serial / cpus.min(1.0) + (1.0 - serial) / cpus
}

fn ratio(a: f64, b: f64) -> f64 {
    (a / b).max(b / a)
}

/// The serial fraction that gives `t1` seconds with `c1` CPUs and `t2` with `c2`, within
/// [0, 1]: a build that took longer with more CPUs (a busy machine) counts as all serial.
fn fit(c1: f64, t1: f64, c2: f64, t2: f64) -> f64 {
    // t1 / t2 = (s + (1 - s) / c1) / (s + (1 - s) / c2), solved for s.
    let (a, b, r) = (1.0 / c1, 1.0 / c2, t1 / t2);
    let below = (1.0 - a) - r * (1.0 - b);
    let serial = (r * b - a) / below;
    if !serial.is_finite() {
        return SERIAL;
    }
    serial.clamp(0.0, 1.0)
}

/// One package of a run, in dependency order: what it waits for come before it.
#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    /// Indices of the tasks it waits for.
    pub waits: Vec<usize>,
    /// None: no recorded time (counted as none), or nothing to build (up to date).
    pub speed: Option<Speed>,
    /// Built in an engine (else laid out on this machine).
    pub in_engine: bool,
}

/// K engines of N CPUs, `jobs` builds at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setup {
    pub engines: usize,
    pub cpus: u32,
    pub jobs: usize,
}

/// The tasks of a run over `order` (dependencies first): each waits for its dependencies
/// and, as `build` has it, for what it needs to run (`runtime`); `builds` says which
/// packages are to be built (the others take no time).
pub fn tasks(
    registry: &Registry,
    order: &[String],
    runtime: &BTreeMap<String, Vec<String>>,
    times: &Times,
    builds: impl Fn(&str) -> bool,
) -> Vec<Task> {
    let index: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    order
        .iter()
        .map(|name| {
            let package = &registry.packages[name];
            let needs = runtime.get(name).map(Vec::as_slice).unwrap_or_default();
            let mut waits: Vec<usize> =
                package.deps.iter().chain(needs).filter_map(|d| index.get(d.as_str()).copied()).collect();
            waits.sort_unstable();
            waits.dedup();
            let in_engine = matches!(package.recipe, Recipe::Containerfile(_) | Recipe::Rebuild(_));
            let speed = builds(name).then(|| times.get(name)).flatten().and_then(|r| Speed::new(r, in_engine));
            Task { name: name.clone(), waits, speed, in_engine }
        })
        .collect()
}

impl Task {
    /// Seconds alone on an engine of `cpus` CPUs.
    pub fn alone(&self, cpus: u32) -> f64 {
        self.at(cpus as f64)
    }

    /// Seconds with `cpus` CPUs (a share of an engine may be less than one); what is laid
    /// out without an engine takes its one-CPU time whatever it is given.
    pub fn at(&self, cpus: f64) -> f64 {
        match &self.speed {
            Some(speed) if self.in_engine => speed.at(cpus),
            Some(speed) => speed.at(1.0),
            None => 0.0,
        }
    }
}

/// Each task's remaining path: its own time alone plus the longest remaining path of what
/// waits for it. `build` starts the ready task whose path is longest.
pub fn remaining_paths(tasks: &[Task], cpus: u32) -> Vec<f64> {
    let mut path = vec![0.0f64; tasks.len()];
    let mut after = vec![0.0f64; tasks.len()];
    for (i, task) in tasks.iter().enumerate().rev() {
        path[i] = task.alone(cpus) + after[i];
        for &w in &task.waits {
            assert!(w < i, "{} waits for a task after it", task.name);
            after[w] = after[w].max(path[i]);
        }
    }
    path
}

/// The chain of tasks that sets the least wall time any number of engines could reach.
pub fn critical_path(tasks: &[Task], cpus: u32) -> (f64, Vec<usize>) {
    let paths = remaining_paths(tasks, cpus);
    let Some(mut at) = (0..tasks.len()).max_by(|a, b| paths[*a].total_cmp(&paths[*b]).then(b.cmp(a))) else {
        return (0.0, Vec::new());
    };
    let mut chain = vec![at];
    loop {
        // The task waiting for this one whose path continues it.
        let next = (at + 1..tasks.len())
            .filter(|j| tasks[*j].waits.contains(&at))
            .max_by(|a, b| paths[*a].total_cmp(&paths[*b]).then(b.cmp(a)));
        match next {
            Some(j) => {
                chain.push(j);
                at = j;
            }
            None => break,
        }
    }
    (paths[chain[0]], chain)
}

/// Where and when one task runs in a schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// The how-manieth task to start: the order `build` starts them in.
    pub seq: usize,
    pub start: f64,
    pub end: f64,
    /// The engine, for what is built in one.
    pub engine: Option<usize>,
}

/// A task already running when the schedule is made: on `engine`, `done` of it done.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    pub task: usize,
    pub engine: Option<usize>,
    pub done: f64,
}

/// The schedule `build` follows, simulated: `done` tasks are finished before time 0,
/// `started` are running at time 0. Returns each task's slot (None for those done before).
pub fn simulate(tasks: &[Task], setup: Setup, done: &[usize], started: &[Started]) -> Vec<Option<Slot>> {
    let remaining = remaining_paths(tasks, setup.cpus);
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|a, b| remaining[*b].total_cmp(&remaining[*a]).then(a.cmp(b)));
    let mut slots: Vec<Option<Slot>> = vec![None; tasks.len()];
    let mut finished = vec![false; tasks.len()];
    for &d in done {
        finished[d] = true;
    }
    // Running: task -> (engine, fraction left).
    let mut running: BTreeMap<usize, (Option<usize>, f64)> = BTreeMap::new();
    let mut seq = 0;
    for s in started {
        running.insert(s.task, (s.engine, (1.0 - s.done).clamp(0.0, 1.0)));
        slots[s.task] = Some(Slot { seq, start: 0.0, end: 0.0, engine: s.engine });
        seq += 1;
    }
    let mut pending: Vec<usize> = order.into_iter().filter(|i| !finished[*i] && !running.contains_key(i)).collect();
    let mut now = 0.0f64;
    loop {
        let mut k = 0;
        while k < pending.len() {
            let i = pending[k];
            if running.len() < setup.jobs && tasks[i].waits.iter().all(|w| finished[*w]) {
                let engine = tasks[i].in_engine.then(|| {
                    (0..setup.engines.max(1))
                        .min_by_key(|e| running.values().filter(|(on, _)| *on == Some(*e)).count())
                        .expect("one engine at least")
                });
                running.insert(i, (engine, 1.0));
                slots[i] = Some(Slot { seq, start: now, end: now, engine });
                seq += 1;
                pending.remove(k);
                continue;
            }
            k += 1;
        }
        if running.is_empty() {
            break;
        }
        // The fraction of itself each running task does per second.
        let mut on_engine = vec![0usize; setup.engines.max(1)];
        for (engine, _) in running.values() {
            if let Some(e) = engine {
                on_engine[*e] += 1;
            }
        }
        let rate = |i: usize, engine: Option<usize>| -> f64 {
            let cpus = match engine {
                Some(e) => setup.cpus as f64 / on_engine[e] as f64,
                None => 1.0,
            };
            let seconds = tasks[i].at(cpus);
            // What is not a time counts as none: the schedule must end.
            if !(seconds > 0.0 && seconds.is_finite()) {
                f64::INFINITY
            } else {
                1.0 / seconds
            }
        };
        let step = running.iter().map(|(i, (e, left))| left / rate(*i, *e)).fold(f64::INFINITY, f64::min);
        now += step;
        let mut ended = Vec::new();
        for (i, (engine, left)) in running.iter_mut() {
            *left -= step * rate(*i, *engine);
            if *left <= 1e-9 || !left.is_finite() {
                ended.push(*i);
            }
        }
        for i in ended {
            running.remove(&i);
            finished[i] = true;
            if let Some(slot) = slots[i].as_mut() {
                slot.end = now;
            }
        }
    }
    slots
}

/// Seconds as people read them: `45 s`, `12 min`, `4 h 12 min`.
pub fn human(seconds: f64) -> String {
    let seconds = if seconds.is_finite() { seconds.max(0.0).round() as u64 } else { u64::MAX };
    let minutes = seconds.saturating_add(30) / 60;
    match seconds {
        0..=99 => format!("{seconds} s"),
        100..=5999 => format!("{minutes} min"),
        _ => format!("{} h {:02} min", minutes / 60, minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, waits: &[usize], seconds_at_2: u64) -> Task {
        Task {
            name: name.to_owned(),
            waits: waits.to_vec(),
            speed: Speed::new(&BTreeMap::from([(2, seconds_at_2)]), true),
            in_engine: true,
        }
    }

    #[test]
    fn amdahl_takes_a_recorded_time_as_it_is_and_scales_the_nearest() {
        let speed = Speed::new(&BTreeMap::from([(2, 100)]), true).unwrap();
        assert_eq!(speed.at(2.0), 100.0);
        // s = 0.35: T1 = 100 / (0.35 + 0.65 / 2) = 148.1; with 4 CPUs 148.1 * 0.5125.
        assert!((speed.at(4.0) - 75.93).abs() < 0.01, "{}", speed.at(4.0));
        assert!((speed.at(1.0) - 148.15).abs() < 0.01, "{}", speed.at(1.0));
        // Half a CPU (two builds on one): twice the one-CPU time.
        assert!((speed.at(0.5) - 296.30).abs() < 0.01, "{}", speed.at(0.5));
        // Two recorded counts fit the serial part: 120 s on 1 CPU, 80 s on 2 gives 1/3.
        let fitted = Speed::new(&BTreeMap::from([(1, 120), (2, 80)]), true).unwrap();
        assert!((fitted.serial() - 1.0 / 3.0).abs() < 1e-9, "{}", fitted.serial());
        assert_eq!(fitted.at(1.0), 120.0);
        assert!((fitted.at(4.0) - 60.0).abs() < 1e-9, "{}", fitted.at(4.0));
        // Slower with more CPUs (a busy machine): all serial, never a negative part.
        assert_eq!(Speed::new(&BTreeMap::from([(1, 50), (2, 60)]), true).unwrap().serial(), 1.0);
        // Times that fit nothing (none at all) give the default, not NaN.
        assert_eq!(fit(1.0, 0.0, 2.0, 0.0), SERIAL);
        // Laid out without an engine: its time whatever the CPUs.
        assert_eq!(Speed::new(&BTreeMap::from([(2, 15)]), false).unwrap().at(8.0), 15.0);
    }

    #[test]
    fn the_critical_path_follows_the_longest_chain_not_the_names() {
        // a (10) -> b (100) -> d (10); a -> c (50); e (30) alone.
        let tasks = vec![
            task("a", &[], 10),
            task("b", &[0], 100),
            task("c", &[0], 50),
            task("d", &[1], 10),
            task("e", &[], 30),
        ];
        assert_eq!(remaining_paths(&tasks, 2), vec![120.0, 110.0, 50.0, 10.0, 30.0]);
        let (seconds, chain) = critical_path(&tasks, 2);
        assert_eq!((seconds, chain), (120.0, vec![0, 1, 3]));
    }

    #[test]
    fn one_engine_one_job_runs_the_longest_remaining_path_first() {
        // After a: c (short, first by name) and b -> d (long). One at a time: b first.
        let tasks = vec![task("a", &[], 10), task("c", &[0], 5), task("b", &[0], 100), task("d", &[2], 10)];
        let setup = Setup { engines: 1, cpus: 2, jobs: 1 };
        let slots: Vec<Slot> = simulate(&tasks, setup, &[], &[]).into_iter().map(Option::unwrap).collect();
        let starts: Vec<f64> = slots.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![0.0, 120.0, 10.0, 110.0]);
        assert_eq!(slots.iter().map(|s| s.end).fold(0.0, f64::max), 125.0);
    }

    #[test]
    fn builds_on_one_engine_share_its_cpus_and_two_engines_do_not() {
        // Two independent 100 s builds (2 CPUs each, s = 0.35).
        let tasks = vec![task("x", &[], 100), task("y", &[], 100)];
        let shared = simulate(&tasks, Setup { engines: 1, cpus: 2, jobs: 2 }, &[], &[]);
        // Each gets one CPU: 148.1 s, both at once.
        let end = shared[0].unwrap().end;
        assert!((end - 148.15).abs() < 0.01 && shared[1].unwrap().end == end, "{shared:?}");
        let apart = simulate(&tasks, Setup { engines: 2, cpus: 2, jobs: 2 }, &[], &[]);
        assert_eq!((apart[0].unwrap().engine, apart[1].unwrap().engine), (Some(0), Some(1)));
        assert_eq!((apart[0].unwrap().end, apart[1].unwrap().end), (100.0, 100.0));
    }

    #[test]
    fn what_is_running_or_done_counts_from_where_it_is() {
        let tasks = vec![task("a", &[], 10), task("b", &[0], 100), task("c", &[1], 20)];
        let setup = Setup { engines: 1, cpus: 2, jobs: 2 };
        let slots = simulate(&tasks, setup, &[0], &[Started { task: 1, engine: Some(0), done: 0.75 }]);
        assert_eq!(slots[0], None);
        assert_eq!(slots[1].unwrap().end, 25.0);
        assert_eq!((slots[2].unwrap().start, slots[2].unwrap().end), (25.0, 45.0));
    }

    #[test]
    fn unknown_times_count_as_none_and_do_not_stall() {
        let mut tasks = vec![task("a", &[], 10), task("b", &[0], 0), task("c", &[1], 20)];
        tasks[1].speed = None;
        let slots = simulate(&tasks, Setup { engines: 1, cpus: 2, jobs: 1 }, &[], &[]);
        assert_eq!(slots[2].unwrap().end, 30.0);
    }

    #[test]
    fn seconds_read_as_people_read_them() {
        assert_eq!(human(45.2), "45 s");
        assert_eq!(human(750.0), "13 min");
        assert_eq!(human(15120.0), "4 h 12 min");
        assert_eq!(human(7190.0), "2 h 00 min");
        assert_eq!(human(f64::NAN), human(f64::INFINITY));
    }
}
