//! The time left of a build, from the recorded times: the run simulated again from where
//! it is each time a package starts or ends (`build::estimate`), shown on the packages'
//! bar and after each package built.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The time left, from the recorded times: the run simulated again from where it is each
/// time a package starts or ends, shown on the packages' bar.
pub(super) struct Eta {
    bar: indicatif::ProgressBar,
    tasks: Vec<crate::build::estimate::Task>,
    setup: crate::build::estimate::Setup,
    done: Vec<usize>,
    running: BTreeMap<usize, (Option<usize>, Instant)>,
    /// When the run should end, as last estimated; None with no recorded time at all.
    until: std::sync::Arc<std::sync::Mutex<Option<Instant>>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Eta {
    pub(super) fn new(
        bar: &indicatif::ProgressBar,
        tasks: Vec<crate::build::estimate::Task>,
        setup: crate::build::estimate::Setup,
    ) -> Eta {
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

    pub(super) fn start(&mut self, task: usize, engine: Option<usize>) {
        self.running.insert(task, (engine, Instant::now()));
        self.estimate();
    }

    pub(super) fn finish(&mut self, task: usize) {
        self.running.remove(&task);
        self.done.push(task);
        self.estimate();
    }

    pub(super) fn estimate(&mut self) {
        if self.tasks.iter().all(|t| t.speed.is_none()) {
            return;
        }
        let started: Vec<crate::build::estimate::Started> = self
            .running
            .iter()
            .map(|(&task, &(engine, since))| {
                let alone = self.tasks[task].alone(self.setup.cpus);
                let done = if alone > 0.0 { (since.elapsed().as_secs_f64() / alone).min(0.95) } else { 1.0 };
                crate::build::estimate::Started { task, engine, done }
            })
            .collect();
        let slots = crate::build::estimate::simulate(&self.tasks, self.setup, &self.done, &started);
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
                    bar.set_message(format!("packages, about {} left", crate::build::estimate::human(left)));
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
