//! Context-passing forms of `join`.
//!
//! * [`Worker::join`] hands each half the worker that runs it, so a
//!   recursion that forks at every level reads the thread-local worker
//!   pointer once ([`with_worker`]) instead of once per fork. Same fork, same
//!   cap rules and panic contract as [`crate::join`].
//! * [`join_context`] tells each half whether it was *migrated*: run on
//!   another thread than the one that called `join_context` (rayon's
//!   `FnContext`). A half that was stolen can, for example, split its work
//!   further, since another worker was idle.
//!
//! Both cost nothing over plain `join` when nobody steals: the worker and the
//! flag are arguments that the fork already has in registers (a thief passes
//! its own worker and `true`, on the cold path).

use crate::job::JobBody;
use crate::join::{join_in_worker, FirstHalf};
use crate::registry::WorkerThread;
use std::marker::PhantomData;

/// The worker of a pool that runs the current closure.
///
/// Only handed out by reference, to closures ([`with_worker`],
/// [`Worker::join`]). It is neither `Send` nor `Sync`, so a closure passed
/// to `join` cannot capture it: each half gets its own.
///
/// ```compile_fail
/// amrkit_pool::with_worker(|w| {
///     // `b` might run on another thread: it may not use this worker.
///     w.join(|_| 1, |_| w.index())
/// });
/// ```
///
/// Nor can it reach a worker of another pool (which would then fork into
/// this worker's deque from a foreign thread), nor leave its closure:
///
/// ```compile_fail
/// let a = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// let b = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// a.install(|| amrkit_pool::with_worker(|w| b.install(|| w.join(|_| 1, |_| 2))));
/// ```
///
/// ```compile_fail
/// let mut kept = None;
/// amrkit_pool::with_worker(|w| kept = Some(w));
/// ```
#[repr(transparent)]
pub struct Worker {
    wt: WorkerThread,
    /// Keeps `Worker` `!Send` and `!Sync` on its own account, whatever
    /// `WorkerThread`'s fields become: a `Sync` worker would let a `Send`
    /// closure carry an outer `&Worker` to another thread and fork into
    /// this worker's deque from there.
    _not_send_sync: PhantomData<*const ()>,
}

impl Worker {
    #[inline(always)]
    fn of(wt: &WorkerThread) -> &Worker {
        // SAFETY: `Worker` is a `repr(transparent)` wrapper of
        // `WorkerThread` (its other field is a zero-sized marker), so the
        // two references have the same layout and the same lifetime.
        unsafe { &*(wt as *const WorkerThread as *const Worker) }
    }

    /// [`crate::join`] from this worker: runs `a` here while `b` waits where
    /// an idle worker of the pool can take it, and returns both results.
    /// Each closure gets the worker that runs it.
    ///
    /// # Panics
    ///
    /// As [`crate::join`]: both halves always run; `a`'s panic wins.
    ///
    /// ```
    /// fn fib(w: &amrkit_pool::Worker, n: u64) -> u64 {
    ///     if n < 2 {
    ///         return n;
    ///     }
    ///     let (a, b) = w.join(|w| fib(w, n - 1), |w| fib(w, n - 2));
    ///     a + b
    /// }
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// assert_eq!(pool.install(|| amrkit_pool::with_worker(|w| fib(w, 20))), 6765);
    /// ```
    #[inline(always)]
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce(&Worker) -> RA + Send,
        B: FnOnce(&Worker) -> RB + Send,
        RA: Send,
        RB: Send,
    {
        join_in_worker(&self.wt, WithWorker(a), WithWorker(b))
    }

    /// The index of this worker in its pool, `0..num_threads`.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(3).build().unwrap();
    /// pool.install(|| {
    ///     amrkit_pool::with_worker(|w| {
    ///         assert!(w.index() < 3);
    ///         assert_eq!(Some(w.index()), amrkit_pool::current_thread_index());
    ///     })
    /// });
    /// ```
    #[inline]
    pub fn index(&self) -> usize {
        self.wt.index()
    }

    /// The number of worker threads of this worker's pool.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(3).build().unwrap();
    /// assert_eq!(pool.install(|| amrkit_pool::with_worker(|w| w.num_threads())), 3);
    /// ```
    #[inline]
    pub fn num_threads(&self) -> usize {
        self.wt.registry().num_threads()
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("index", &self.index())
            .finish_non_exhaustive()
    }
}

/// Runs `f` with the current thread's [`Worker`]; off any pool, on a worker
/// of the global pool ([`crate::global`]), as [`crate::join`] does.
///
/// ```
/// // Off any pool: runs on the global pool.
/// let n = amrkit_pool::with_worker(|w| w.num_threads());
/// assert!(n >= 1);
/// ```
#[inline]
pub fn with_worker<F, R>(f: F) -> R
where
    F: FnOnce(&Worker) -> R + Send,
    R: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return with_worker_off_pool(f);
    }
    // SAFETY: non-null means this thread's own live worker, which outlives
    // the call.
    f(Worker::of(unsafe { &*wt }))
}

#[cold]
#[inline(never)]
fn with_worker_off_pool<F, R>(f: F) -> R
where
    F: FnOnce(&Worker) -> R + Send,
    R: Send,
{
    crate::pool::global_registry().in_worker(move || with_worker(f))
}

/// A half of [`Worker::join`].
struct WithWorker<F>(F);

impl<F: FnOnce(&Worker) -> R, R> FirstHalf<R> for WithWorker<F> {
    #[inline(always)]
    fn run(self, wt: &WorkerThread) -> R {
        (self.0)(Worker::of(wt))
    }
}

impl<F: FnOnce(&Worker) -> R + Send, R> JobBody<R> for WithWorker<F> {
    #[inline(always)]
    fn run(self, wt: &WorkerThread, _migrated: bool) -> R {
        (self.0)(Worker::of(wt))
    }
}

/// What a half of [`join_context`] learns about where it runs.
///
/// ```
/// // A half that was stolen splits its range further (another worker was
/// // idle); a half that ran where it was forked does it in one go.
/// fn count(range: std::ops::Range<u64>, migrated: bool) -> u64 {
///     if migrated && range.end - range.start > 1 {
///         let mid = (range.start + range.end) / 2;
///         let (a, b) = amrkit_pool::join_context(
///             |c| count(range.start..mid, c.migrated()),
///             |c| count(mid..range.end, c.migrated()),
///         );
///         return a + b;
///     }
///     range.sum()
/// }
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// assert_eq!(pool.install(|| count(0..1000, true)), 499_500);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FnContext {
    migrated: bool,
}

impl FnContext {
    /// Whether this closure runs on another thread than the one that called
    /// [`join_context`]: the second half taken by an idle worker, or both
    /// halves when `join_context` was called off any pool (they run on the
    /// global pool).
    #[inline]
    pub fn migrated(&self) -> bool {
        self.migrated
    }
}

/// [`crate::join`], with each half told whether it was migrated
/// ([`FnContext::migrated`]).
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// // One worker: nobody can take `b`, so neither half migrates.
/// let (a, b) = pool.install(|| {
///     amrkit_pool::join_context(|c| c.migrated(), |c| c.migrated())
/// });
/// assert!(!a && !b);
/// // Off any pool, both halves run on the global pool's workers.
/// let (a, _) = amrkit_pool::join_context(|c| c.migrated(), |c| c.migrated());
/// assert!(a);
/// ```
#[inline]
pub fn join_context<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce(FnContext) -> RA + Send,
    B: FnOnce(FnContext) -> RB + Send,
    RA: Send,
    RB: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return join_context_off_pool(a, b);
    }
    // SAFETY: non-null means this thread's own live worker.
    join_in_worker(unsafe { &*wt }, WithContext(a), WithContext(b))
}

#[cold]
#[inline(never)]
fn join_context_off_pool<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce(FnContext) -> RA + Send,
    B: FnOnce(FnContext) -> RB + Send,
    RA: Send,
    RB: Send,
{
    crate::pool::global_registry().in_worker(move || {
        let wt = WorkerThread::current();
        // SAFETY: `in_worker` runs this on a worker of the global pool, so
        // the pointer is this thread's own live worker.
        join_in_worker(unsafe { &*wt }, OffPool(a), OffPool(b))
    })
}

/// A half of [`join_context`] called off any pool: both halves run off the
/// calling thread, so both are migrated.
struct OffPool<F>(F);

impl<F: FnOnce(FnContext) -> R, R> FirstHalf<R> for OffPool<F> {
    #[inline(always)]
    fn run(self, _: &WorkerThread) -> R {
        (self.0)(FnContext { migrated: true })
    }
}

impl<F: FnOnce(FnContext) -> R + Send, R> JobBody<R> for OffPool<F> {
    #[inline(always)]
    fn run(self, _: &WorkerThread, _: bool) -> R {
        (self.0)(FnContext { migrated: true })
    }
}

/// A half of [`join_context`].
struct WithContext<F>(F);

impl<F: FnOnce(FnContext) -> R, R> FirstHalf<R> for WithContext<F> {
    #[inline(always)]
    fn run(self, _: &WorkerThread) -> R {
        (self.0)(FnContext { migrated: false })
    }
}

impl<F: FnOnce(FnContext) -> R + Send, R> JobBody<R> for WithContext<F> {
    #[inline(always)]
    fn run(self, _: &WorkerThread, migrated: bool) -> R {
        (self.0)(FnContext { migrated })
    }
}
