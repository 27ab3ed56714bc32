//! Per-worker counters and the load-balance summary.

use crate::sync::{AtomicU64, Ordering};

/// Counters of one worker. Only the worker itself writes them, so an
/// increment is a Relaxed load and store (no read-modify-write); readers
/// from other threads get a recent value, which is all statistics need.
#[derive(Default)]
pub(crate) struct WorkerStats {
    executed: AtomicU64,
    stolen: AtomicU64,
    parked: AtomicU64,
}

#[inline]
fn bump(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

impl WorkerStats {
    #[inline]
    pub(crate) fn bump_executed(&self) {
        bump(&self.executed)
    }
    pub(crate) fn bump_stolen(&self) {
        bump(&self.stolen)
    }
    pub(crate) fn bump_parked(&self) {
        bump(&self.parked)
    }
    pub(crate) fn snapshot(&self) -> WorkerCounters {
        WorkerCounters {
            jobs_executed: self.executed.load(Ordering::Relaxed),
            jobs_stolen: self.stolen.load(Ordering::Relaxed),
            times_parked: self.parked.load(Ordering::Relaxed),
        }
    }
}

/// Counters of one worker since the pool started.
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// pool.install(|| amrkit_pool::join(|| (), || ()));
/// let w = pool.stats().workers[0];
/// assert!(w.jobs_executed >= 2); // the install job and the join's second half
/// assert_eq!(w.jobs_stolen, 0);  // nobody to steal from
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerCounters {
    /// Jobs this worker ran: the second half of every `join` it finished
    /// (inline or stolen), plus every job it took from a queue (installs,
    /// spawns, broadcasts).
    pub jobs_executed: u64,
    /// Jobs this worker took from another worker's deque.
    pub jobs_stolen: u64,
    /// Times this worker blocked on its condition variable.
    pub times_parked: u64,
}

/// A snapshot of a pool's per-worker counters.
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// assert_eq!(pool.stats().workers.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// One entry per worker, by worker index.
    pub workers: Vec<WorkerCounters>,
}

impl PoolStats {
    /// Total jobs executed by all workers.
    ///
    /// ```
    /// use amrkit_pool::{PoolStats, WorkerCounters};
    /// let w = |n| WorkerCounters { jobs_executed: n, ..Default::default() };
    /// assert_eq!(PoolStats { workers: vec![w(2), w(3)] }.total_executed(), 5);
    /// ```
    pub fn total_executed(&self) -> u64 {
        self.workers.iter().map(|w| w.jobs_executed).sum()
    }

    /// The difference between two snapshots (`self` taken after `earlier`).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let before = pool.stats();
    /// pool.install(|| ());
    /// assert_eq!(pool.stats().since(&before).total_executed(), 1);
    /// ```
    pub fn since(&self, earlier: &PoolStats) -> PoolStats {
        PoolStats {
            workers: self
                .workers
                .iter()
                .zip(&earlier.workers)
                .map(|(a, b)| WorkerCounters {
                    jobs_executed: a.jobs_executed - b.jobs_executed,
                    jobs_stolen: a.jobs_stolen - b.jobs_stolen,
                    times_parked: a.times_parked - b.times_parked,
                })
                .collect(),
        }
    }

    /// Coefficient of variation (standard deviation / mean) of the jobs
    /// executed per worker: 0 is a perfect balance. `None` with no jobs.
    ///
    /// ```
    /// use amrkit_pool::{PoolStats, WorkerCounters};
    /// let w = |n| WorkerCounters { jobs_executed: n, ..Default::default() };
    /// assert_eq!(PoolStats { workers: vec![w(4), w(4)] }.load_balance_cv(), Some(0.0));
    /// assert_eq!(PoolStats { workers: vec![w(0), w(0)] }.load_balance_cv(), None);
    /// ```
    pub fn load_balance_cv(&self) -> Option<f64> {
        coefficient_of_variation(self.workers.iter().map(|w| w.jobs_executed as f64))
    }
}

/// Standard deviation over mean of `values` (population form); `None` when
/// empty or when the mean is zero.
///
/// ```
/// let cv = amrkit_pool::coefficient_of_variation([1.0, 3.0]).unwrap();
/// assert!((cv - 0.5).abs() < 1e-12);
/// ```
pub fn coefficient_of_variation(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return None;
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}
