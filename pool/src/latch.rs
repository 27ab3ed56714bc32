//! Latches: one-shot "this work is done" signals.
//!
//! The hazard every latch here is written against: the moment a latch is
//! observed set, its owner may return and free the memory holding it (it is
//! usually on the owner's stack). So `set` reads everything it needs *before*
//! the store that publishes "set", and touches nothing of the latch after.
//!
//! | latch        | waited on by                 | how the waiter sleeps                      |
//! |--------------|------------------------------|--------------------------------------------|
//! | `SpinLatch`  | a worker (join, scope)       | the pool's sleep protocol; setter wakes it |
//! | `CountLatch` | a worker (scope, broadcast)  | as `SpinLatch`, after the count reaches 0  |
//! | `CrossLatch` | a worker of *another* pool   | its own pool's sleep protocol, running its own pool's jobs meanwhile |
//! | `LockLatch`  | a thread outside any pool    | its own mutex + condvar                    |
//!
//! Every wait on a latch is a *monotone* condition: once set, a latch stays
//! set. That is what the targeted-wake argument in `sleep.rs` needs.

use crate::registry::Registry;
use crate::sync::{Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};

/// Something a waiting worker can poll.
pub(crate) trait Probe {
    fn probe(&self) -> bool;
}

/// Something a job sets when it finishes.
pub(crate) trait Latch {
    /// Sets the latch and wakes its waiter.
    ///
    /// # Safety
    /// `this` is live on entry and may be freed by its owner as soon as the
    /// store inside this call is visible. `registry` is the pool the waiter
    /// belongs to, kept alive by the caller for the whole call.
    unsafe fn set(this: *const Self, registry: &Registry);

    /// The worker of the setter's pool that waits on this latch, where the
    /// waiter is one (the creator of a job that a thief may hand back); by
    /// default none (`usize::MAX`, which no worker index equals).
    #[inline(always)]
    fn waiting_worker(&self) -> usize {
        usize::MAX
    }
}

/// A latch waited on by one worker of the pool that runs the setter.
pub(crate) struct SpinLatch {
    set: AtomicBool,
    /// Index of the waiting worker, to wake it if it went to sleep.
    owner: usize,
}

impl SpinLatch {
    pub(crate) fn new(owner: usize) -> SpinLatch {
        SpinLatch {
            set: AtomicBool::new(false),
            owner,
        }
    }
}

impl Probe for SpinLatch {
    #[inline]
    fn probe(&self) -> bool {
        // Acquire: pairs with the Release store in `set`, so the job's result
        // written before the store is visible once this returns true.
        self.set.load(Ordering::Acquire)
    }
}

impl Latch for SpinLatch {
    unsafe fn set(this: *const Self, registry: &Registry) {
        // SAFETY: `this` is live on entry (caller contract). Copy the owner
        // out before the store: afterwards the latch may be gone.
        let owner = unsafe { (*this).owner };
        // SAFETY: still live: nobody frees it before this store is seen.
        unsafe { (*this).set.store(true, Ordering::Release) };
        // The owner may be asleep. `wake_worker` takes the owner's sleep
        // mutex; the owner re-probes the latch under that same mutex before
        // blocking, so either it sees the store above or we see it blocked.
        registry.sleep.wake_worker(owner);
    }

    #[inline(always)]
    fn waiting_worker(&self) -> usize {
        self.owner
    }
}

/// A latch waited on by a worker of one pool for a job that runs in another
/// pool (`install` across pools). The waiter keeps running its own pool's
/// jobs while it waits, so a chain `a.install(|| b.install(|| a.install(..)))`
/// cannot deadlock: the innermost job lands in `a`'s queues, where the
/// waiting worker of `a` takes it.
pub(crate) struct CrossLatch {
    set: AtomicBool,
    owner: usize,
    /// The waiter's pool; the setter wakes the waiter through it.
    registry: Arc<Registry>,
}

impl CrossLatch {
    pub(crate) fn new(owner: usize, registry: Arc<Registry>) -> CrossLatch {
        CrossLatch {
            set: AtomicBool::new(false),
            owner,
            registry,
        }
    }
}

impl Probe for CrossLatch {
    #[inline]
    fn probe(&self) -> bool {
        // Acquire: pairs with the Release store in `set`.
        self.set.load(Ordering::Acquire)
    }
}

impl Latch for CrossLatch {
    unsafe fn set(this: *const Self, _registry: &Registry) {
        // SAFETY: live on entry. Take our own reference to the waiter's pool
        // first: once the store is visible the latch may be freed.
        let (owner, registry) = unsafe { ((*this).owner, (*this).registry.clone()) };
        // SAFETY: still live until this store is seen.
        unsafe { (*this).set.store(true, Ordering::Release) };
        // Same targeted-wake argument as `SpinLatch::set`.
        registry.sleep.wake_worker(owner);
    }
}

/// Counts outstanding jobs; set when the count reaches zero.
pub(crate) struct CountLatch {
    count: AtomicUsize,
    done: Done,
}

/// Who waits for a [`CountLatch`], and so how the last job wakes it.
enum Done {
    /// A worker of the pool that runs the jobs.
    Worker(SpinLatch),
    /// A worker of another pool (`in_place_scope` called there).
    Cross(CrossLatch),
    /// A thread outside every pool (`in_place_scope` called there).
    Outside(LockLatch),
}

impl CountLatch {
    pub(crate) fn new(initial: usize, owner: usize) -> CountLatch {
        CountLatch {
            count: AtomicUsize::new(initial),
            done: Done::Worker(SpinLatch::new(owner)),
        }
    }

    /// A count waited on by worker `owner` of another pool, `registry`.
    pub(crate) fn new_cross(initial: usize, owner: usize, registry: Arc<Registry>) -> CountLatch {
        CountLatch {
            count: AtomicUsize::new(initial),
            done: Done::Cross(CrossLatch::new(owner, registry)),
        }
    }

    /// A count waited on by a thread outside every pool ([`Self::wait_outside`]).
    pub(crate) fn new_outside(initial: usize) -> CountLatch {
        CountLatch {
            count: AtomicUsize::new(initial),
            done: Done::Outside(LockLatch::new()),
        }
    }

    /// Blocks an outside thread until the count reaches zero.
    pub(crate) fn wait_outside(&self) {
        match &self.done {
            Done::Outside(l) => l.wait(),
            _ => unreachable!("wait_outside on a worker's latch"),
        }
    }

    /// One more outstanding job. The caller already holds a count (its own
    /// job's, or the scope body's), so the count cannot be zero here and the
    /// latch cannot fire early; Relaxed is enough for the increment itself.
    pub(crate) fn increment(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` more outstanding jobs at once (a broadcast's), on the same
    /// grounds as [`Self::increment`]: the caller holds a count, so the
    /// latch cannot fire while the jobs are being queued.
    pub(crate) fn add(&self, n: usize) {
        self.count.fetch_add(n, Ordering::Relaxed);
    }
}

impl Probe for CountLatch {
    #[inline]
    fn probe(&self) -> bool {
        match &self.done {
            Done::Worker(l) => l.probe(),
            Done::Cross(l) => l.probe(),
            Done::Outside(l) => l.probe(),
        }
    }
}

impl Latch for CountLatch {
    unsafe fn set(this: *const Self, registry: &Registry) {
        // AcqRel: the Release half publishes this job's writes to whoever
        // brings the count to zero; the Acquire half lets that last one see
        // every earlier job's writes before it sets `done` (whose Release
        // store then passes them all to the owner).
        // SAFETY: `this` is live while our count is outstanding.
        if unsafe { (*this).count.fetch_sub(1, Ordering::AcqRel) } == 1 {
            // SAFETY: count reached zero, nobody else touches the latch; the
            // owner waits for `done`, so it is still live.
            unsafe {
                match &(*this).done {
                    Done::Worker(l) => SpinLatch::set(l, registry),
                    Done::Cross(l) => CrossLatch::set(l, registry),
                    Done::Outside(l) => LockLatch::set(l, registry),
                }
            };
        }
    }
}

/// A latch for threads outside the pool: they spin briefly, then block on a
/// condition variable.
///
/// The state lives in an `Arc` shared by waiter and setter, so the setter
/// can finish its notify even if the waiter has already seen the flag,
/// returned and dropped its side.
pub(crate) struct LockLatch {
    inner: Arc<LockInner>,
}

struct LockInner {
    /// Fast flag for the spinning phase.
    done: AtomicBool,
    /// The same fact under the mutex, for the blocking phase.
    set: Mutex<bool>,
    cond: Condvar,
}

/// Spin iterations before an outside waiter blocks: short calls (a few
/// microseconds) return without a futex round trip. None under loom, where
/// each spin would multiply the explored states.
#[cfg(not(loom))]
const LOCK_LATCH_SPINS: u32 = 2_000;
#[cfg(loom)]
const LOCK_LATCH_SPINS: u32 = 0;

impl LockLatch {
    pub(crate) fn new() -> LockLatch {
        LockLatch {
            inner: Arc::new(LockInner {
                done: AtomicBool::new(false),
                set: Mutex::new(false),
                cond: Condvar::new(),
            }),
        }
    }

    /// Returns once set. After it returns, everything the setter wrote
    /// before `set` is visible (Acquire on `done`, or the mutex).
    #[cfg_attr(loom, allow(clippy::reversed_empty_ranges))]
    pub(crate) fn wait(&self) {
        let inner = &*self.inner;
        for i in 0..LOCK_LATCH_SPINS {
            if inner.done.load(Ordering::Acquire) {
                return;
            }
            if i % 64 == 63 {
                crate::sync::thread::yield_now();
            } else {
                crate::sync::spin_step();
            }
        }
        let mut guard = inner.set.lock();
        while !*guard {
            guard = inner.cond.wait(guard);
        }
    }
}

impl Probe for LockLatch {
    fn probe(&self) -> bool {
        self.inner.done.load(Ordering::Acquire)
    }
}

impl Latch for LockLatch {
    unsafe fn set(this: *const Self, _registry: &Registry) {
        // SAFETY: live on entry. Take our own reference first: once `done`
        // is visible the waiter may return and drop the latch.
        let inner = unsafe { (*this).inner.clone() };
        // Release: publishes the job's result to a spinning waiter.
        inner.done.store(true, Ordering::Release);
        // A blocked waiter checks `set` under the mutex before waiting, so
        // setting it under the mutex and notifying cannot be missed.
        let mut guard = inner.set.lock();
        *guard = true;
        inner.cond.notify_all();
        drop(guard);
    }
}
