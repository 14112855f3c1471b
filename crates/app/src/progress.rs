//! Progress of long walks (checking, backing up, restoring documents) on standard error.

use std::time::{Duration, Instant};

/// Progress of a long walk on standard error, at most once a second.
#[derive(Debug)]
pub struct Progress {
    what: &'static str,
    total: u64,
    last: Instant,
    started: Instant,
}

impl Progress {
    /// Starts counting `what` out of `total`.
    #[must_use]
    pub fn new(what: &'static str, total: u64) -> Self {
        let now = Instant::now();
        Self { what, total, last: now, started: now }
    }

    /// Prints `done` if a second has passed since the last line.
    pub fn tick(&mut self, done: u64) {
        if self.last.elapsed() >= Duration::from_secs(1) {
            self.last = Instant::now();
            eprintln!("{} : {done}/{}", self.what, self.total);
        }
    }

    /// Prints the last line when the walk took long enough to show progress.
    pub fn done(&self, done: u64) {
        if self.started.elapsed() >= Duration::from_secs(1) {
            eprintln!("{} : {done}/{} ({} s)", self.what, self.total, self.started.elapsed().as_secs());
        }
    }
}
