//! Broadcasts: one job per worker of a pool.
//!
//! [`Pool::broadcast`](crate::Pool::broadcast) waits for its calls;
//! `spawn_broadcast` (pool, free function and [`Scope`](crate::Scope)) does
//! not. Either way worker `i`'s call is queued in worker `i`'s *broadcast
//! queue*, which only that worker takes from, oldest first, after its own
//! deque and inbox and before anything shared; the push is followed by a
//! targeted wake-up of that worker (the inbox argument of `sleep.rs`: the
//! queue's contents are monotone until its owner takes them). So every
//! worker runs every broadcast, broadcasts reach a worker in the order they
//! were made, and a blocking broadcast returns only after the earlier ones
//! ran everywhere. Design: `docs/pool.md`, "Broadcasts".

use crate::job::{CtxScope, HeapJob, JobResult};
use crate::latch::{CountLatch, Latch};
use crate::registry::{Registry, WorkerThread};
use crate::sync::{Arc, UnsafeCell};
use std::ptr;

/// What a broadcast call is told: which worker runs it, and how many run
/// the broadcast.
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// pool.scope(|s| s.spawn_broadcast(|_, ctx| assert!(ctx.index() < ctx.num_threads())));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BroadcastContext {
    index: usize,
    num_threads: usize,
}

impl BroadcastContext {
    pub(crate) fn new(index: usize, num_threads: usize) -> BroadcastContext {
        BroadcastContext { index, num_threads }
    }

    /// Index of the worker running this call (`0..num_threads()`); each
    /// index runs the broadcast once.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of workers the broadcast runs on (the pool's size).
    pub fn num_threads(&self) -> usize {
        self.num_threads
    }
}

/// Queues one call of `f` per worker of `registry` and returns.
///
/// The calls share `f` through an `Arc`: the clone each job holds is its
/// count, and the last job to finish drops `f` (the `Arc`'s own Release
/// decrement and Acquire fence before the drop order every call before it).
/// A panic goes to the pool's panic handler and the worker carries on.
pub(crate) fn spawn_broadcast_in<F>(registry: &Arc<Registry>, f: F)
where
    F: Fn(BroadcastContext) + Send + Sync + 'static,
{
    let n = registry.num_threads();
    let f = Arc::new(f);
    for index in 0..n {
        let f = f.clone();
        let job = HeapJob::into_job_ref(move || {
            let wt = WorkerThread::current();
            let result = {
                // A detached job belongs to no capped call.
                let _ctx = CtxScope::enter(wt, ptr::null());
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    f(BroadcastContext::new(index, n))
                }))
            };
            drop(f);
            if let Err(p) = result {
                // SAFETY: broadcast jobs run only on the pool's own workers.
                unsafe { &*wt }.registry().handle_panic(p);
            }
        });
        registry.inject_broadcast(index, job);
    }
}

struct SendPtr<T>(*const T);
// SAFETY: only used to hand shared (Sync) data to jobs that finish before
// the data is dropped.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}

/// `Pool::broadcast`, on a worker of the pool: queues one call per worker
/// and waits for all of them.
pub(crate) fn broadcast_in_worker<F, R>(f: &F) -> Vec<R>
where
    F: Fn(usize) -> R + Sync,
    R: Send,
{
    // SAFETY: called through `install`, so this thread is a live worker.
    let wt = unsafe { &*WorkerThread::current() };
    let registry = wt.registry();
    let n = registry.num_threads();
    let results: Vec<UnsafeCell<JobResult<R>>> =
        (0..n).map(|_| UnsafeCell::new(JobResult::None)).collect();
    // Parallel calls nested in `f` inherit the caller's cap. (`f` itself
    // runs on every worker: that is what a broadcast is for.)
    let ctx = SendPtr(wt.ctx());
    let latch = CountLatch::new(n, wt.index());
    for (i, cell) in results.iter().enumerate() {
        let f = SendPtr(f as *const F);
        let slot = SendPtr(cell as *const UnsafeCell<JobResult<R>>);
        let latch_ptr = SendPtr(&latch as *const CountLatch);
        let ctx = SendPtr(ctx.0);
        let job = HeapJob::into_job_ref(move || {
            let (f, slot, latch_ptr, ctx) = (f, slot, latch_ptr, ctx);
            // SAFETY: broadcast jobs run only on the pool's own workers.
            let wt = unsafe { &*WorkerThread::current() };
            let result = {
                let _ctx = CtxScope::enter(wt, ctx.0);
                // SAFETY: `f` outlives the broadcast, which waits for all.
                JobResult::call(|| unsafe { &*f.0 }(i))
            };
            // SAFETY: slot `i` is written by this job alone and read by the
            // caller only after the latch.
            unsafe { (*slot.0).with_mut(|p| *p = result) };
            // SAFETY: the caller waits on the latch, so it is live here.
            unsafe { CountLatch::set(latch_ptr.0, wt.registry()) };
        });
        registry.inject_broadcast(i, job);
    }
    wt.wait_for(&latch);
    results
        .iter()
        // SAFETY: every job has set the latch, so every slot is written and
        // no job touches it any more.
        .map(|c| c.with_mut(|p| std::mem::replace(unsafe { &mut *p }, JobResult::None)))
        .collect::<Vec<_>>()
        .into_iter()
        .map(JobResult::into_return_value)
        .collect()
}
