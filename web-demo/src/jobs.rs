//! The page's fetches besides the index watch, queued and run a few at a time.
//!
//! A browser opens about six HTTP/1.1 connections per origin and the index watch
//! holds one; [`MAX_IN_FLIGHT`] more leaves one free for the call panel. Each job
//! is one short request: a service's changes (or list), or its leases. A job asked
//! for while queued is not queued twice; a failed one is parked until the
//! registry answers again, rather than retried against a registry that is down.

use std::collections::{HashSet, VecDeque};

/// Fetches at once: see the module's doc.
pub const MAX_IN_FLIGHT: usize = 4;

/// One fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    /// Bring a service's instances up to date (its changes, or its list).
    Instances(String),
    /// Read a service's leases.
    Leases(String),
}

/// The queue.
#[derive(Debug, Default)]
pub struct Jobs {
    queue: VecDeque<Job>,
    queued: HashSet<Job>,
    running: HashSet<Job>,
    parked: Vec<Job>,
}

impl Jobs {
    /// Asks for `job`; `urgent` ones (what is on screen) go first. A job already
    /// waiting is not queued again; leases being read are not read twice, but a
    /// service's instances may be fetched again while a fetch runs (it may have
    /// moved again since that fetch was sent).
    pub fn push(&mut self, job: Job, urgent: bool) {
        if self.queued.contains(&job)
            || (matches!(job, Job::Leases(_)) && self.running.contains(&job))
        {
            return;
        }
        self.queued.insert(job.clone());
        if urgent {
            self.queue.push_front(job);
        } else {
            self.queue.push_back(job);
        }
    }

    /// The next job to start, if one waits and fewer than [`MAX_IN_FLIGHT`] run.
    pub fn start_next(&mut self) -> Option<Job> {
        if self.running.len() >= MAX_IN_FLIGHT {
            return None;
        }
        // A job equal to one running waits for it to finish.
        let at = self.queue.iter().position(|j| !self.running.contains(j))?;
        let job = self.queue.remove(at)?;
        self.queued.remove(&job);
        self.running.insert(job.clone());
        Some(job)
    }

    /// `job` finished; if it `failed`, it waits in the parked list.
    pub fn finish(&mut self, job: &Job, failed: bool) {
        self.running.remove(job);
        if failed && !self.parked.contains(job) {
            self.parked.push(job.clone());
        }
    }

    /// The registry answered again: parked jobs go back in the queue.
    pub fn unpark(&mut self) {
        for job in std::mem::take(&mut self.parked) {
            self.push(job, false);
        }
    }

    /// Jobs waiting, running and parked.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.queue.len(), self.running.len(), self.parked.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instances(name: &str) -> Job {
        Job::Instances(name.to_owned())
    }

    #[test]
    fn at_most_a_few_run_at_once_urgent_first() {
        let mut jobs = Jobs::default();
        for i in 0..10 {
            jobs.push(instances(&format!("s{i}")), false);
        }
        jobs.push(Job::Leases("open".to_owned()), true);
        jobs.push(instances("s3"), false);
        assert_eq!(jobs.counts(), (11, 0, 0), "no job queued twice");
        assert_eq!(jobs.start_next(), Some(Job::Leases("open".to_owned())));
        let started: Vec<Job> = std::iter::from_fn(|| jobs.start_next()).collect();
        assert_eq!(started.len(), MAX_IN_FLIGHT - 1);
        assert_eq!(jobs.start_next(), None, "the browser's connections are few");
        jobs.finish(&instances("s0"), false);
        assert_eq!(
            jobs.start_next(),
            Some(instances(&format!("s{}", MAX_IN_FLIGHT - 1)))
        );
    }

    #[test]
    fn a_moved_service_is_fetched_again_after_the_fetch_running() {
        let mut jobs = Jobs::default();
        jobs.push(instances("a"), false);
        assert_eq!(jobs.start_next(), Some(instances("a")));
        jobs.push(instances("a"), false);
        assert_eq!(jobs.start_next(), None, "waits for the one running");
        jobs.finish(&instances("a"), false);
        assert_eq!(jobs.start_next(), Some(instances("a")));

        jobs.push(Job::Leases("a".to_owned()), false);
        assert_eq!(jobs.start_next(), Some(Job::Leases("a".to_owned())));
        jobs.push(Job::Leases("a".to_owned()), false);
        assert_eq!(
            jobs.counts(),
            (0, 2, 0),
            "leases being read are not asked again"
        );
    }

    #[test]
    fn failed_jobs_wait_for_the_registry() {
        let mut jobs = Jobs::default();
        jobs.push(instances("a"), false);
        let job = jobs.start_next().expect("a");
        jobs.finish(&job, true);
        assert_eq!(jobs.start_next(), None);
        assert_eq!(jobs.counts(), (0, 0, 1));
        jobs.unpark();
        assert_eq!(jobs.start_next(), Some(instances("a")));
    }
}
