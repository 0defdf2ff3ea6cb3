//! The time left of a build, from the recorded times: the run simulated again from where
//! it is each time a package starts or ends (`build::estimate`), shown on the packages'
//! bar and after each package built.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::build::estimate::{self, Setup, Started, Task};

/// The run as the model sees it: which builds share which engine, each build's progress,
/// and from them the time left and what each build would have taken alone.
pub(super) struct Eta {
    bar: indicatif::ProgressBar,
    tasks: Vec<Task>,
    setup: Setup,
    done: Vec<usize>,
    running: BTreeMap<usize, Run>,
    /// When the run should end, as last estimated; None with no recorded time at all.
    until: std::sync::Arc<std::sync::Mutex<Option<Instant>>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

/// One build running.
struct Run {
    engine: Option<usize>,
    /// Until when `one_cpu` is counted.
    counted: Instant,
    /// Its progress in seconds of a build on one CPU: the integral of dt / shape(c(t)),
    /// c(t) its share of the engine's CPUs.
    one_cpu: f64,
}

impl Eta {
    pub(super) fn new(bar: &indicatif::ProgressBar, tasks: Vec<Task>, setup: Setup) -> Eta {
        Eta {
            bar: bar.clone(),
            tasks,
            setup,
            done: Vec::new(),
            running: BTreeMap::new(),
            until: Default::default(),
            ticker: None,
        }
    }

    /// The part of `task` that runs on one CPU alone.
    fn serial(&self, task: usize) -> f64 {
        // `Speed::new` makes it 1 for what is laid out without an engine.
        self.tasks[task].speed.as_ref().map_or(estimate::SERIAL, estimate::Speed::serial)
    }

    /// The CPUs a build has while `share` builds run on its engine.
    fn cpus(&self, run: &Run, share: usize) -> f64 {
        match run.engine {
            Some(_) => self.setup.cpus as f64 / share.max(1) as f64,
            None => 1.0,
        }
    }

    /// Counts each running build's progress up to now, at the share it has had since the
    /// last start or end.
    fn count(&mut self, now: Instant) {
        let mut shares: BTreeMap<usize, usize> = BTreeMap::new();
        for run in self.running.values() {
            if let Some(engine) = run.engine {
                *shares.entry(engine).or_default() += 1;
            }
        }
        let tasks: Vec<usize> = self.running.keys().copied().collect();
        for task in tasks {
            let serial = self.serial(task);
            let run = &self.running[&task];
            let cpus = self.cpus(run, run.engine.map_or(1, |e| shares[&e]));
            let seconds = now.saturating_duration_since(run.counted).as_secs_f64();
            let run = self.running.get_mut(&task).expect("running");
            run.one_cpu += seconds / estimate::shape(serial, cpus);
            run.counted = now;
        }
    }

    pub(super) fn start(&mut self, task: usize, engine: Option<usize>) {
        self.start_at(task, engine, Instant::now());
    }

    fn start_at(&mut self, task: usize, engine: Option<usize>, now: Instant) {
        self.count(now);
        self.running.insert(task, Run { engine, counted: now, one_cpu: 0.0 });
        self.estimate();
    }

    /// Marks `task` done; for a build, returns what it would have taken alone on its
    /// engine: its wall time when nothing shared the engine, less by the model when other
    /// builds did.
    pub(super) fn finish(&mut self, task: usize) -> Option<f64> {
        self.finish_at(task, Instant::now())
    }

    fn finish_at(&mut self, task: usize, now: Instant) -> Option<f64> {
        self.count(now);
        let alone = self.running.remove(&task).map(|run| {
            let cpus = if run.engine.is_some() { self.setup.cpus as f64 } else { 1.0 };
            run.one_cpu * estimate::shape(self.serial(task), cpus)
        });
        self.done.push(task);
        self.estimate();
        alone
    }

    fn estimate(&mut self) {
        if self.tasks.iter().all(|t| t.speed.is_none()) {
            return;
        }
        let started: Vec<Started> = self
            .running
            .iter()
            .map(|(&task, run)| {
                let one_cpu = self.tasks[task].alone(self.setup.cpus)
                    / estimate::shape(self.serial(task), self.setup.cpus as f64);
                let done = if one_cpu > 0.0 { (run.one_cpu / one_cpu).min(0.95) } else { 1.0 };
                Started { task, engine: run.engine, done }
            })
            .collect();
        let slots = estimate::simulate(&self.tasks, self.setup, &self.done, &started);
        let left = slots.iter().flatten().map(|s| s.end).fold(0.0, f64::max);
        // Never more than a year: a time is not an instant to overflow.
        let left = Duration::from_secs_f64(if left.is_finite() { left.clamp(0.0, 3.2e7) } else { 3.2e7 });
        *self.until.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now().checked_add(left);
    }

    pub(super) fn left(&self) -> Option<f64> {
        let until = (*self.until.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some(until.saturating_duration_since(Instant::now()).as_secs_f64())
    }

    /// Keeps the bar's message at the time left, once a second.
    pub(super) fn show(&mut self) {
        if self.ticker.is_some() || self.bar.is_hidden() {
            return;
        }
        let (bar, until) = (self.bar.clone(), self.until.clone());
        self.ticker = Some(tokio::spawn(async move {
            loop {
                if let Some(until) = *until.lock().unwrap_or_else(|p| p.into_inner()) {
                    let left = until.saturating_duration_since(Instant::now()).as_secs_f64();
                    bar.set_message(format!("packages, about {} left", estimate::human(left)));
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }

    pub(super) fn stop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, seconds_at_2: u64) -> Task {
        Task {
            name: name.to_owned(),
            waits: Vec::new(),
            speed: estimate::Speed::new(&BTreeMap::from([(2, seconds_at_2)]), true),
            in_engine: true,
        }
    }

    #[test]
    fn a_build_that_shared_its_engine_is_recorded_at_what_it_would_take_alone() {
        let bar = indicatif::ProgressBar::hidden();
        let setup = Setup { engines: 1, cpus: 2, jobs: 2 };
        let mut eta = Eta::new(&bar, vec![task("a", 100), task("b", 100)], setup);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // a alone for 20 s, then beside b (one CPU each) for 40 s.
        eta.start_at(0, Some(0), at(0));
        eta.start_at(1, Some(0), at(20));
        let alone = eta.finish_at(0, at(60)).unwrap();
        // s = 0.35: 20 s at 2 CPUs is 20 s of its time alone; 40 s at one CPU is
        // 40 * shape(2) / shape(1) = 40 * 0.675 = 27 s of it.
        assert!((alone - 47.0).abs() < 1e-6, "{alone}");
        // b ran beside a for 40 s, then alone for 10 s.
        let b = eta.finish_at(1, at(70)).unwrap();
        assert!((b - 37.0).abs() < 1e-6, "{b}");
        // A build alone is recorded at its wall time.
        let mut alone_eta = Eta::new(&bar, vec![task("a", 100)], setup);
        alone_eta.start_at(0, Some(0), at(0));
        assert!((alone_eta.finish_at(0, at(33)).unwrap() - 33.0).abs() < 1e-6);
    }
}
