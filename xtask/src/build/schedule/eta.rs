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

    /// The part of `task` that runs on one CPU alone, and its CPUs when `share` builds
    /// run on its engine.
    fn serial(&self, task: usize) -> f64 {
        match (&self.tasks[task].speed, self.tasks[task].in_engine) {
            (_, false) => 1.0,
            (Some(speed), true) => speed.serial(),
            (None, true) => estimate::SERIAL,
        }
    }

    fn cpus(&self, run: &Run, share: usize) -> f64 {
        match run.engine {
            Some(_) => self.setup.cpus as f64 / share.max(1) as f64,
            None => 1.0,
        }
    }

    /// Counts each running build's progress up to now, at the share it has had since the
    /// last start or end.
    fn count(&mut self) {
        let now = Instant::now();
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
            let seconds = now.duration_since(run.counted).as_secs_f64();
            let run = self.running.get_mut(&task).expect("running");
            run.one_cpu += seconds / estimate::shape(serial, cpus);
            run.counted = now;
        }
    }

    pub(super) fn start(&mut self, task: usize, engine: Option<usize>) {
        self.count();
        self.running.insert(task, Run { engine, counted: Instant::now(), one_cpu: 0.0 });
        self.estimate();
    }

    /// Marks `task` done; for a build, returns what it would have taken alone on its
    /// engine: its wall time when nothing shared the engine, less by the model when other
    /// builds did.
    pub(super) fn finish(&mut self, task: usize) -> Option<f64> {
        self.count();
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
        *self.until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + Duration::from_secs_f64(left));
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
