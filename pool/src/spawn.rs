//! Spawned jobs and their handles: `Pool::spawn` returns a [`SpawnHandle`]
//! whose [`join`](SpawnHandle::join) gives the result or the panic; dropping
//! the handle detaches the job.
//!
//! # Hand-off
//!
//! The job and the handle share a [`SpawnState`]: a mutex-protected slot, a
//! `done` flag and, when someone waits, who. The job stores its result, sets
//! `done` and takes the waiter under the mutex, then wakes the waiter: a
//! worker (of this or another pool) through its pool's sleep protocol, a
//! plain thread through the condvar. A waiting worker registers itself under
//! the same mutex only if `done` is still false, so either the job sees the
//! registration (and wakes it), or the waiter sees `done` (and does not wait):
//! the targeted-wake argument of `sleep.rs`, with `done` monotone.

use crate::job::{drop_quietly, CtxScope, HeapJob};
use crate::latch::Probe;
use crate::registry::{Registry, WorkerThread};
use crate::sync::{Arc, AtomicBool, Condvar, Mutex, Ordering};
use std::fmt;
use std::ptr;

enum Slot<T> {
    Running,
    Done(std::thread::Result<T>),
    /// The handle was dropped: a result is discarded, a panic reported.
    Detached,
    /// `join` took the result.
    Taken,
}

struct Inner<T> {
    slot: Slot<T>,
    /// A worker waiting in `join`: its pool and index.
    waiter: Option<(Arc<Registry>, usize)>,
}

struct SpawnState<T> {
    inner: Mutex<Inner<T>>,
    done: AtomicBool,
    cond: Condvar,
    /// The spawning pool, for its panic handler.
    registry: Arc<Registry>,
}

struct DoneProbe<'a>(&'a AtomicBool);

impl Probe for DoneProbe<'_> {
    fn probe(&self) -> bool {
        // Acquire: pairs with the Release store after the result was stored.
        self.0.load(Ordering::Acquire)
    }
}

/// The handle of a spawned job ([`crate::Pool::spawn`], [`crate::spawn`]).
///
/// [`join`](SpawnHandle::join) waits for the job and returns its result,
/// or its panic as `Err`. Dropping the handle detaches the job: it still
/// runs; a panic then goes to the pool's panic handler.
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// let h = pool.spawn(|| 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// let failed = pool.spawn(|| -> u32 { panic!("no") });
/// assert!(failed.join().is_err());
/// ```
pub struct SpawnHandle<T> {
    state: Option<Arc<SpawnState<T>>>,
}

impl<T> fmt::Debug for SpawnHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> SpawnHandle<T> {
    /// Whether the job has finished (then `join` returns at once).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let h = pool.spawn(|| 1);
    /// while !h.is_finished() { std::thread::yield_now(); }
    /// assert_eq!(h.join().unwrap(), 1);
    /// ```
    pub fn is_finished(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.done.load(Ordering::Acquire))
    }

    /// Waits for the job and returns its result, or the payload of its
    /// panic. On a worker of any pool the wait runs that pool's other jobs
    /// (so joining a job of the same pool from inside it cannot deadlock);
    /// elsewhere it blocks.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// // Joined from inside the same one-thread pool: the waiting worker runs it.
    /// let r = pool.install(|| amrkit_pool::spawn(|| "inner").join().unwrap());
    /// assert_eq!(r, "inner");
    /// ```
    pub fn join(mut self) -> std::thread::Result<T> {
        let state = self.state.take().expect("joined once");
        let wt = WorkerThread::current();
        // SAFETY: non-null means this thread's own live worker.
        match unsafe { wt.as_ref() } {
            Some(w) => {
                {
                    let mut g = state.inner.lock();
                    if !state.done.load(Ordering::Acquire) {
                        g.waiter = Some((w.registry().clone(), w.index()));
                    }
                }
                w.wait_for(&DoneProbe(&state.done));
            }
            None => {
                let mut g = state.inner.lock();
                while !state.done.load(Ordering::Acquire) {
                    g = state.cond.wait(g);
                }
            }
        }
        let mut g = state.inner.lock();
        match std::mem::replace(&mut g.slot, Slot::Taken) {
            Slot::Done(r) => r,
            _ => unreachable!("a finished job stores its result"),
        }
    }
}

impl<T> Drop for SpawnHandle<T> {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else {
            return;
        };
        let unobserved_panic = {
            let mut g = state.inner.lock();
            match std::mem::replace(&mut g.slot, Slot::Detached) {
                Slot::Done(Err(p)) => Some(p),
                _ => None,
            }
        };
        if let Some(p) = unobserved_panic {
            state.registry.handle_panic(p);
        }
    }
}

/// Where a spawned job goes: the spawning worker's deque (LIFO: it runs
/// before the spawner's older spawns), or behind a ticket of the spawning
/// worker's FIFO queue (`fifo.rs`: it runs after them).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Lifo,
    Fifo,
}

/// Queues `f` on `registry` (from the current thread) and returns its handle.
pub(crate) fn spawn_in<F, T>(registry: &Arc<Registry>, f: F, order: Order) -> SpawnHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let state = Arc::new(SpawnState {
        inner: Mutex::new(Inner {
            slot: Slot::Running,
            waiter: None,
        }),
        done: AtomicBool::new(false),
        cond: Condvar::new(),
        registry: registry.clone(),
    });
    let job_state = state.clone();
    let job = HeapJob::into_job_ref(move || {
        let r = {
            // Spawned work belongs to no capped call.
            let _ctx = CtxScope::enter(WorkerThread::current(), ptr::null());
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        };
        finish(&job_state, r);
    });
    let job = match registry.current_fifo() {
        // SAFETY: the queue is the registry's, which the worker running the
        // ticket keeps alive.
        Some((fifo, _)) if order == Order::Fifo => unsafe { fifo.push(job) },
        _ => job,
    };
    registry.push_from_current(job);
    SpawnHandle { state: Some(state) }
}

fn finish<T>(state: &SpawnState<T>, r: std::thread::Result<T>) {
    let (waiter, lost_panic) = {
        let mut g = state.inner.lock();
        if let Slot::Detached = g.slot {
            match r {
                Ok(value) => {
                    drop(g);
                    drop_quietly(value);
                    (None, None)
                }
                Err(p) => (None, Some(p)),
            }
        } else {
            g.slot = Slot::Done(r);
            // Release: `join` reads the slot after an Acquire load of `done`
            // (and under the mutex as well).
            state.done.store(true, Ordering::Release);
            state.cond.notify_all();
            (g.waiter.take(), None)
        }
    };
    if let Some(p) = lost_panic {
        state.registry.handle_panic(p);
    }
    if let Some((registry, index)) = waiter {
        registry.sleep.wake_worker(index);
    }
}
