//! The shared state of one pool, and the worker threads that serve it.
//!
//! # Lazy publication
//!
//! A `join` does not make its second closure stealable straight away. It
//! pushes a reference onto the worker's private *pending* stack (a plain
//! `Vec`, no atomics) and moves on. Only when some worker is *hungry* —
//! searching for work or asleep, counted in [`Registry::hungry`] — does the
//! busy worker move its **oldest** pending job into its crossbeam deque and
//! wake a sleeper. A fork therefore costs a vector push, one relaxed load and
//! a pop when nobody needs work, which is the common case once all workers
//! are busy; stealing still happens whenever it can help.
//!
//! Invariant (the *published prefix*): the entries `pending[..published]`
//! are exactly the ones moved to the deque. Publishing always takes the
//! oldest unpublished entry, so when a `join` finds its own entry published,
//! every older entry is published too, and a worker that blocks on a latch
//! never hides work that others could run. Before any blocking wait a worker
//! publishes all its pending entries (`flush_pending`).

use crate::cap::OpCtx;
use crate::deque::{local_queue, GlobalQueue, LocalQueue, StealQueue, Stolen};
use crate::job::{JobHeader, JobRef, StackJob};
use crate::latch::{LockLatch, Probe};
use crate::sleep::Sleep;
use crate::stats::WorkerStats;
use crate::sync::{pool_thread_local, thread, Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use crossbeam_utils::CachePadded;
use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::collections::VecDeque;
use std::ptr;

pub(crate) type PanicHandler = dyn Fn(Box<dyn Any + Send>) + Send + Sync;

/// Jobs addressed to one worker (broadcast).
struct Inbox {
    jobs: Mutex<VecDeque<JobRef>>,
    /// Number of queued jobs, so idle checks need not take the lock.
    len: AtomicUsize,
}

pub(crate) struct Registry {
    injector: GlobalQueue<JobRef>,
    stealers: Vec<StealQueue<JobRef>>,
    inboxes: Vec<CachePadded<Inbox>>,
    pub(crate) sleep: Sleep,
    /// Workers looking for work (spinning or asleep). Busy workers read it
    /// with Relaxed loads to decide whether to publish: it is a hint, and a
    /// stale value only delays or hastens publication, never loses work,
    /// because unpublished jobs are always run by their owner.
    hungry: CachePadded<AtomicUsize>,
    /// Set once by `terminate`; workers exit when it is set and no work is
    /// left. Checked by sleepers under their mutex (see `sleep.rs`).
    terminate: AtomicBool,
    pub(crate) stats: Vec<CachePadded<WorkerStats>>,
    num_threads: usize,
    spin_rounds: u32,
    panic_handler: Option<Box<PanicHandler>>,
}

/// Settings a registry is built from (see `PoolBuilder`).
pub(crate) struct RegistryConfig {
    pub(crate) num_threads: usize,
    pub(crate) spin_rounds: u32,
    pub(crate) panic_handler: Option<Box<PanicHandler>>,
}

impl Registry {
    /// Creates the registry and the per-worker deques the threads will own.
    pub(crate) fn new(config: RegistryConfig) -> (Arc<Registry>, Vec<LocalQueue<JobRef>>) {
        let n = config.num_threads.max(1);
        let (locals, stealers): (Vec<_>, Vec<_>) = (0..n).map(|_| local_queue()).unzip();
        let registry = Arc::new(Registry {
            injector: GlobalQueue::new(),
            stealers,
            inboxes: (0..n)
                .map(|_| {
                    CachePadded::new(Inbox {
                        jobs: Mutex::new(VecDeque::new()),
                        len: AtomicUsize::new(0),
                    })
                })
                .collect(),
            sleep: Sleep::new(n),
            hungry: CachePadded::new(AtomicUsize::new(0)),
            terminate: AtomicBool::new(false),
            stats: (0..n)
                .map(|_| CachePadded::new(WorkerStats::default()))
                .collect(),
            num_threads: n,
            spin_rounds: config.spin_rounds,
            panic_handler: config.panic_handler,
        });
        (registry, locals)
    }

    pub(crate) fn num_threads(&self) -> usize {
        self.num_threads
    }

    /// Queues a job that any worker may run, from any thread.
    pub(crate) fn inject(&self, job: JobRef) {
        self.injector.push(job);
        self.sleep.notify_new_work();
    }

    /// Queues a job for one specific worker (broadcast).
    pub(crate) fn inject_to(&self, index: usize, job: JobRef) {
        let inbox = &self.inboxes[index];
        inbox.jobs.lock().push_back(job);
        inbox.len.fetch_add(1, Ordering::Release);
        self.sleep.wake_worker(index);
    }

    /// Pushes a job from the current thread: onto its own deque if it is a
    /// worker of this registry, else onto the injector.
    pub(crate) fn push_from_current(&self, job: JobRef) {
        let wt = WorkerThread::current();
        // SAFETY: the thread-local pointer, when non-null, is this thread's
        // live WorkerThread.
        match unsafe { wt.as_ref() } {
            Some(w) if ptr::eq(&**w.registry(), self) => {
                w.deque.push(job);
                self.sleep.notify_new_work();
            }
            _ => self.inject(job),
        }
    }

    /// Runs `f` on a worker of this registry and returns its result. A worker
    /// of this registry runs it directly; any other thread queues it and
    /// blocks without running other work (a worker of another pool does not
    /// start that other pool's jobs while it waits).
    pub(crate) fn in_worker<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let wt = WorkerThread::current();
        // SAFETY: as in `push_from_current`.
        if let Some(w) = unsafe { wt.as_ref() } {
            if ptr::eq(&**w.registry(), self) {
                return f();
            }
            // We are about to block: let our own pool take our pending work.
            w.flush_pending();
        }
        let job = StackJob::new(f, LockLatch::new(), ptr::null());
        self.inject(job.as_job_ref());
        job.latch.wait();
        // SAFETY: the latch is set, so the worker stored the result and is
        // done with the job.
        unsafe { job.take_result() }.into_return_value()
    }

    pub(crate) fn handle_panic(&self, payload: Box<dyn Any + Send>) {
        match &self.panic_handler {
            Some(h) => {
                // A panicking handler must not take a worker down with it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(payload)));
            }
            None => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "<non-string panic payload>".to_string());
                eprintln!("amrkit-pool: a spawned job panicked: {msg}");
            }
        }
    }

    /// Asks every worker to exit once no work is left, and wakes them.
    pub(crate) fn terminate(&self) {
        // SeqCst store, then each worker's mutex in `wake_all`: a sleeper
        // checks the flag under its mutex (targeted-condition argument in
        // sleep.rs), so none can miss it.
        self.terminate.store(true, Ordering::SeqCst);
        self.sleep.wake_all();
    }

    fn is_terminating(&self) -> bool {
        self.terminate.load(Ordering::Acquire)
    }
}

pool_thread_local! {
    /// The current thread's worker, or null off the pool.
    static WORKER: Cell<*const WorkerThread> = Cell::new(ptr::null());
}

/// Per-thread state of a worker. Only its own thread touches the
/// non-atomic fields.
pub(crate) struct WorkerThread {
    index: usize,
    registry: Arc<Registry>,
    deque: LocalQueue<JobRef>,
    /// Unpublished `join` jobs, oldest first; each points to a `StackJob`.
    pending: UnsafeCell<Vec<JobRef>>,
    /// Length of the published prefix of `pending` (see module docs).
    published: Cell<usize>,
    /// The `max_threads` context of the code running now (null: none).
    ctx: Cell<*const OpCtx>,
    rng: Cell<u64>,
    /// This worker's counters (inside `registry.stats`).
    stats: *const WorkerStats,
    /// `registry.hungry`, one load closer.
    hungry: *const AtomicUsize,
}

impl WorkerThread {
    pub(crate) fn current() -> *const WorkerThread {
        WORKER.with(|w| w.get())
    }

    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    #[inline]
    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    #[inline]
    pub(crate) fn ctx(&self) -> *const OpCtx {
        self.ctx.get()
    }

    pub(crate) fn replace_ctx(&self, ctx: *const OpCtx) -> *const OpCtx {
        self.ctx.replace(ctx)
    }

    #[inline]
    fn stats(&self) -> &WorkerStats {
        // SAFETY: `stats` points into `registry.stats`, which lives as long
        // as the registry this worker holds an `Arc` of.
        unsafe { &*self.stats }
    }

    /// Thread entry point of worker `index`.
    pub(crate) fn run(index: usize, registry: Arc<Registry>, deque: LocalQueue<JobRef>) {
        let stats: *const WorkerStats = &*registry.stats[index];
        let hungry: *const AtomicUsize = &*registry.hungry;
        let wt = WorkerThread {
            index,
            stats,
            hungry,
            registry,
            deque,
            pending: UnsafeCell::new(Vec::with_capacity(256)),
            published: Cell::new(0),
            ctx: Cell::new(ptr::null()),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ ((index as u64 + 1) << 17)),
        };
        WORKER.with(|w| w.set(&wt));
        let registry = wt.registry.clone();
        wt.wait_until(|| registry.is_terminating() && !wt.has_work());
        WORKER.with(|w| w.set(ptr::null()));
    }

    // ----- the pending stack (hot path of `join`) -----

    /// Pushes an unpublished job; returns its position.
    #[inline]
    pub(crate) fn push_pending(&self, job: JobRef) -> usize {
        // SAFETY: only this thread touches `pending`, and no reference to it
        // outlives any of these short methods.
        let pending = unsafe { &mut *self.pending.get() };
        let idx = pending.len();
        pending.push(job);
        // SAFETY: points into our registry, which we keep alive.
        if unsafe { &*self.hungry }.load(Ordering::Relaxed) != 0 {
            self.publish_oldest();
        }
        idx
    }

    /// Takes entry `idx` (the top) off the stack. Returns `true` if it was
    /// still private (the caller runs it inline), `false` if it had been
    /// published (the caller must look for it in the deque or wait).
    #[inline]
    pub(crate) fn pop_pending(&self, idx: usize) -> bool {
        // SAFETY: as in `push_pending`.
        let pending = unsafe { &mut *self.pending.get() };
        debug_assert_eq!(pending.len(), idx + 1);
        // SAFETY: the entry at `idx` exists (pushed by the caller's frame,
        // and every younger frame has popped its own entry).
        unsafe { pending.set_len(idx) };
        if self.published.get() <= idx {
            true
        } else {
            self.published.set(idx);
            false
        }
    }

    /// Moves the oldest unpublished job to the deque if that helps.
    #[cold]
    fn publish_oldest(&self) {
        if !self.deque.is_empty() {
            // Something published earlier is still waiting for a taker.
            return;
        }
        if self.publish_one() {
            self.registry.sleep.notify_new_work();
        }
    }

    /// Publishes one entry; returns false if none could be.
    fn publish_one(&self) -> bool {
        // SAFETY: as in `push_pending`.
        let pending = unsafe { &*self.pending.get() };
        let p = self.published.get();
        let Some(&job) = pending.get(p) else {
            return false;
        };
        // SAFETY: pending entries point to live `StackJob`s, which are
        // `repr(C)` with a `JobHeader` first.
        let ctx = unsafe { (*(job.id() as *const JobHeader)).ctx };
        // SAFETY: the ctx belongs to a call further down this thread's stack.
        if !ctx.is_null() && !unsafe { OpCtx::try_reserve(ctx) } {
            return false;
        }
        self.published.set(p + 1);
        self.deque.push(job);
        true
    }

    /// Publishes every pending job it can (before blocking).
    pub(crate) fn flush_pending(&self) {
        let mut any = false;
        while self.publish_one() {
            any = true;
        }
        if any {
            self.registry.sleep.notify_new_work();
        }
    }

    /// Pops the newest job of this worker's deque.
    #[inline]
    pub(crate) fn take_local(&self) -> Option<JobRef> {
        self.deque.pop()
    }

    // ----- running and finding work -----

    #[inline]
    pub(crate) fn note_executed(&self) {
        self.stats().bump_executed();
    }

    /// Runs a job taken from a queue.
    pub(crate) fn execute(&self, job: JobRef) {
        self.note_executed();
        // SAFETY: every queued JobRef is live and runs exactly once: it was
        // removed from its queue by this thread.
        unsafe { job.execute() };
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: cheap and good enough to pick victims.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn find_work(&self) -> Option<JobRef> {
        if let Some(job) = self.deque.pop() {
            return Some(job);
        }
        let inbox = &self.registry.inboxes[self.index];
        if inbox.len.load(Ordering::Acquire) != 0 {
            if let Some(job) = inbox.jobs.lock().pop_front() {
                inbox.len.fetch_sub(1, Ordering::Relaxed);
                return Some(job);
            }
        }
        loop {
            match self.registry.injector.steal() {
                Stolen::Success(job) => return Some(job),
                Stolen::Retry => continue,
                Stolen::Empty => break,
            }
        }
        let n = self.registry.stealers.len();
        if n > 1 {
            let start = (self.next_random() % n as u64) as usize;
            let mut retry = true;
            while retry {
                retry = false;
                for k in 0..n {
                    let victim = (start + k) % n;
                    if victim == self.index {
                        continue;
                    }
                    match self.registry.stealers[victim].steal() {
                        Stolen::Success(job) => {
                            self.stats().bump_stolen();
                            return Some(job);
                        }
                        Stolen::Retry => retry = true,
                        Stolen::Empty => {}
                    }
                }
            }
        }
        None
    }

    /// Whether any queue this worker could take from holds a job.
    fn has_work(&self) -> bool {
        let r = &self.registry;
        !self.deque.is_empty()
            || r.inboxes[self.index].len.load(Ordering::Acquire) != 0
            || !r.injector.is_empty()
            || r.stealers.iter().any(|s| !s.is_empty())
    }

    /// Runs other work until `done()` holds, then returns. Spins for the
    /// configured budget when idle, then parks (see `sleep.rs`).
    pub(crate) fn wait_until(&self, done: impl Fn() -> bool) {
        self.flush_pending();
        let registry = &*self.registry;
        let mut hungry = false;
        let mut idle_rounds = 0u32;
        loop {
            if done() {
                break;
            }
            if let Some(job) = self.find_work() {
                if hungry {
                    registry.hungry.fetch_sub(1, Ordering::Relaxed);
                    hungry = false;
                }
                self.execute(job);
                idle_rounds = 0;
                continue;
            }
            if !hungry {
                registry.hungry.fetch_add(1, Ordering::Relaxed);
                hungry = true;
            }
            if idle_rounds < registry.spin_rounds {
                idle_rounds += 1;
                if idle_rounds.is_multiple_of(16) {
                    thread::yield_now();
                } else {
                    for _ in 0..32 {
                        crate::sync::spin_step();
                    }
                }
                continue;
            }
            let slept = registry
                .sleep
                .sleep(self.index, || done() || self.has_work());
            if slept {
                self.stats().bump_parked();
            }
            idle_rounds = 0;
        }
        if hungry {
            registry.hungry.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Waits for a latch, running other work meanwhile.
    pub(crate) fn wait_for<L: Probe>(&self, latch: &L) {
        if !latch.probe() {
            self.wait_until(|| latch.probe());
        }
    }
}
