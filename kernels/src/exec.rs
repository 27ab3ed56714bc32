//! How a kernel runs: on which pool, with how many threads, and whom it
//! tells about progress.

use amrkit_pool::{Par, Pool};

/// Receives progress of long kernels (the CLI draws a bar from it).
/// Called from worker threads, so implementations must be `Sync`.
pub trait Progress: Sync {
    /// A step named `what` starts, with `total` units of work.
    fn start(&self, what: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The step is over.
    fn finish(&self);
    /// Whether the caller wants the kernel to stop (e.g. Ctrl-C in Python).
    /// Loads check it between CPU files, projections between lanes; then
    /// they fail with
    /// [`KernelError::Cancelled`](crate::KernelError::Cancelled).
    fn cancelled(&self) -> bool {
        false
    }
}

/// Execution options shared by every kernel.
#[derive(Clone, Copy, Default)]
pub struct Exec<'a> {
    /// The pool to run on; `None`: the current pool (the global one when
    /// called from outside any pool).
    pub pool: Option<&'a Pool>,
    /// Cap on the threads the kernel may use; nested calls inherit it.
    pub max_threads: Option<usize>,
    /// Progress observer.
    pub progress: Option<&'a dyn Progress>,
}

impl<'a> Exec<'a> {
    /// Runs on `pool`.
    pub fn on(pool: &'a Pool) -> Self {
        Exec {
            pool: Some(pool),
            ..Exec::default()
        }
    }

    /// With a `max_threads` cap.
    pub fn max_threads(self, k: usize) -> Self {
        Exec {
            max_threads: Some(k.max(1)),
            ..self
        }
    }

    /// With a progress observer.
    pub fn progress(self, p: &'a dyn Progress) -> Self {
        Exec {
            progress: Some(p),
            ..self
        }
    }

    /// A data-parallel call with these options.
    pub fn par(&self) -> Par<'a> {
        let p = match self.pool {
            Some(pool) => pool.par(),
            None => amrkit_pool::par(),
        };
        match self.max_threads {
            Some(k) => p.max_threads(k),
            None => p,
        }
    }

    /// Threads a call would use: min(pool size, cap).
    pub fn threads(&self) -> usize {
        let n = match self.pool {
            Some(pool) => pool.num_threads(),
            None => amrkit_pool::current_num_threads(),
        };
        self.max_threads.map_or(n, |k| k.min(n)).max(1)
    }

    /// Whether the progress observer asks to stop.
    pub(crate) fn cancelled(&self) -> bool {
        self.progress.is_some_and(|p| p.cancelled())
    }

    /// `Err(Cancelled)` when the progress observer asks to stop.
    pub(crate) fn check(&self) -> crate::Result<()> {
        if self.cancelled() {
            Err(crate::KernelError::Cancelled)
        } else {
            Ok(())
        }
    }

    pub(crate) fn start(&self, what: &str, total: u64) {
        if let Some(p) = self.progress {
            p.start(what, total);
        }
    }

    pub(crate) fn advance(&self, n: u64) {
        if let Some(p) = self.progress {
            p.advance(n);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(p) = self.progress {
            p.finish();
        }
    }
}
