//! The shared state of one pool, and the worker threads that serve it.
//!
//! # Two deques per worker
//!
//! * **pending** (`Deque<true>`): the second halves of this worker's `join`s,
//!   newest at the bottom. A fork pushes here and the join pops its own entry
//!   back; neither side executes a fence (the owner's half of the asymmetric
//!   pair in `sync.rs` is a compiler fence), so a fork costs a few plain
//!   stores and loads when nobody steals.
//! * **eager** (`Deque<false>`): a classic Chase–Lev deque for spawned jobs
//!   and for pending entries the owner has *published*. Stealing from it is
//!   cheap; stealing from pending costs the thief a heavy fence.
//!
//! # How idle workers get pending work
//!
//! 1. **Request, answered at the next fork.** An idle worker sets the
//!    `request` flag of every worker whose pending deque is non-empty, and
//!    before it goes to sleep, of every other worker. A worker reads its own
//!    flag (a relaxed load of a line only requesters write) after each fork;
//!    when set, it clears it, moves its *oldest* pending entry to its eager
//!    deque and wakes a sleeper (`publish_oldest`). This is the cheap path
//!    for recursive work, which forks constantly.
//! 2. **Direct steal.** An owner that does not fork for a while (a long
//!    leaf, or one blocked on I/O or a channel) does not answer. An idle
//!    worker takes the oldest pending entry itself, paying the heavy fence:
//!    in its main loop after a quarter of its spin budget, while waiting on
//!    a latch only once the budget is spent (taking the largest piece of
//!    someone else's work on top of a waiting frame grows that worker's
//!    stack, so it is the last resort before sleeping — but it must exist,
//!    or a join whose first half waits for its second half can find no
//!    taker). Entries of a capped call are left to their owner's
//!    publication (a thief could not run them without a slot).
//! 3. **Before sleeping**, a worker stores the request flags, executes a
//!    heavy fence, and only then runs the sleep protocol's re-check, which
//!    counts any uncapped pending entry as work. Paired with the owner's
//!    light fence between its push and its flag load, either the owner sees
//!    the request (and publishes, which wakes a sleeper through the normal
//!    protocol), or the sleeper sees the entry (and steals it instead of
//!    sleeping).
//! 4. A worker that starts to wait (on a latch) does **not** publish its
//!    pending entries: it would pop them straight back from its own eager
//!    deque and run an older frame's second half on top of the waiting
//!    frame, and waits nested that way grew the stack without bound in
//!    `tests/stress.rs`. Idle workers reach those entries by direct steals
//!    instead (uncapped ones) or when the owner resumes forking.
//!
//! None of this is needed for *liveness*: a pending entry is always run by
//! its owner if nobody else takes it. It is what makes stealing happen
//! whenever a worker is idle.

use crate::cap::OpCtx;
use crate::deque::{Deque, Injector, Stolen, Words};
use crate::job::{header_of, JobRef, StackJob};
use crate::latch::{CrossLatch, LockLatch, Probe};
use crate::sleep::Sleep;
use crate::stats::WorkerStats;
use crate::sync::{
    asymmetric_fences, fence, heavy_fence, light_fence, pool_thread_local, thread, Arc, AtomicBool,
    Ordering,
};
use crossbeam_utils::CachePadded;
use std::any::Any;
use std::cell::Cell;
use std::ptr;

pub(crate) type PanicHandler = dyn Fn(Box<dyn Any + Send>) + Send + Sync;
pub(crate) type WorkerHandler = dyn Fn(usize) + Send + Sync;

/// Capacity of a pending deque: forks outstanding at once on one worker
/// (recursion depth). A fork that finds it full runs both halves in order.
const PENDING_CAP: usize = if cfg!(loom) { 4 } else { 256 };
/// Capacity of an eager deque; overflow goes to the injector.
const EAGER_CAP: usize = if cfg!(loom) { 4 } else { 1024 };

/// The state of one worker that other threads read or write.
pub(crate) struct WorkerShared {
    pending: Deque<true>,
    eager: Deque<false>,
    /// Set by idle workers that want this worker to publish (see above).
    request: CachePadded<AtomicBool>,
    /// Jobs addressed to this worker: broadcasts, jobs handed back for lack
    /// of a `max_threads` slot, deferred scoped spawns.
    inbox: Injector,
}

pub(crate) struct Registry {
    injector: Injector,
    workers: Vec<CachePadded<WorkerShared>>,
    pub(crate) sleep: Sleep,
    /// Set once by `terminate`; workers exit when it is set and they find no
    /// work. Checked by sleepers under their mutex (see `sleep.rs`).
    terminate: AtomicBool,
    pub(crate) stats: Vec<CachePadded<WorkerStats>>,
    num_threads: usize,
    spin_rounds: u32,
    panic_handler: Option<Box<PanicHandler>>,
    start_handler: Option<Box<WorkerHandler>>,
    exit_handler: Option<Box<WorkerHandler>>,
}

/// Settings a registry is built from (see `PoolBuilder`).
pub(crate) struct RegistryConfig {
    pub(crate) num_threads: usize,
    pub(crate) spin_rounds: u32,
    pub(crate) panic_handler: Option<Box<PanicHandler>>,
    pub(crate) start_handler: Option<Box<WorkerHandler>>,
    pub(crate) exit_handler: Option<Box<WorkerHandler>>,
}

impl Registry {
    pub(crate) fn new(config: RegistryConfig) -> Arc<Registry> {
        crate::sync::init_fences();
        let n = config.num_threads.max(1);
        Arc::new(Registry {
            injector: Injector::new(),
            workers: (0..n)
                .map(|_| {
                    CachePadded::new(WorkerShared {
                        pending: Deque::new(PENDING_CAP),
                        eager: Deque::new(EAGER_CAP),
                        request: CachePadded::new(AtomicBool::new(false)),
                        inbox: Injector::new(),
                    })
                })
                .collect(),
            sleep: Sleep::new(n),
            terminate: AtomicBool::new(false),
            stats: (0..n)
                .map(|_| CachePadded::new(WorkerStats::default()))
                .collect(),
            num_threads: n,
            spin_rounds: config.spin_rounds,
            panic_handler: config.panic_handler,
            start_handler: config.start_handler,
            exit_handler: config.exit_handler,
        })
    }

    pub(crate) fn num_threads(&self) -> usize {
        self.num_threads
    }

    /// Queues a job that any worker may run, from any thread.
    pub(crate) fn inject(&self, job: JobRef) {
        self.injector.push(job.to_words(false));
        self.sleep.notify_new_work();
    }

    /// Queues a job for one specific worker and wakes it (targeted wake: the
    /// push happens before `wake_worker` takes the target's sleep mutex).
    pub(crate) fn inject_to(&self, index: usize, job: JobRef) {
        self.workers[index].inbox.push(job.to_words(false));
        self.sleep.wake_worker(index);
    }

    /// Pushes a job from the current thread: onto its own eager deque if it
    /// is a worker of this registry, else onto the injector.
    pub(crate) fn push_from_current(&self, job: JobRef) {
        let wt = WorkerThread::current();
        // SAFETY: the thread-local pointer, when non-null, is this thread's
        // live WorkerThread.
        match unsafe { wt.as_ref() } {
            Some(w) if ptr::eq(&**w.registry(), self) => {
                if !w.shared().eager.push(job.to_words(false)) {
                    self.injector.push(job.to_words(false));
                }
                self.sleep.notify_new_work();
            }
            _ => self.inject(job),
        }
    }

    /// Runs `f` on a worker of this registry and returns its result.
    ///
    /// * On a worker of this registry: runs `f` directly.
    /// * On a worker of another pool: queues `f` here and keeps running its
    ///   own pool's jobs until `f` is done (a `CrossLatch`), so pools may
    ///   call into each other in any nesting without deadlock.
    /// * Elsewhere: queues `f` and blocks on a `LockLatch`.
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
            let latch = CrossLatch::new(w.index(), w.registry().clone());
            let job = StackJob::new(f, latch, ptr::null(), usize::MAX);
            self.inject(job.as_job_ref());
            w.wait_for(&job.latch);
            // SAFETY: the latch is set, so the other pool's worker stored
            // the result and is done with the job.
            return unsafe { job.take_result() }.into_return_value();
        }
        let job = StackJob::new(f, LockLatch::new(), ptr::null(), usize::MAX);
        self.inject(job.as_job_ref());
        job.latch.wait();
        // SAFETY: as above.
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
        // Store, then each worker's mutex in `wake_all`: a sleeper checks the
        // flag under its mutex (targeted-condition argument in sleep.rs), and
        // the flag never goes back to false, so none can miss it.
        self.terminate.store(true, Ordering::SeqCst);
        self.sleep.wake_all();
    }

    fn is_terminating(&self) -> bool {
        self.terminate.load(Ordering::Acquire)
    }
}

/// The job behind words removed from an eager deque, an inbox or the
/// injector. Only pending deques hold tagged words; publication strips the
/// tag, so a heap job's pointer (whose bit 0 may be set) passes unchanged.
#[inline]
fn taken(w: Words) -> JobRef {
    // SAFETY: queued words come from `to_words`, and a successful pop or
    // steal (settled by the compare-and-swap on `top`, or under the
    // injector's lock) never yields a torn entry.
    unsafe { JobRef::from_words(w, false) }
}

/// The job behind words stolen from a pending deque (tag stripped).
#[inline]
fn taken_pending(w: Words) -> JobRef {
    // SAFETY: as for `taken`; pending entries are `StackJob`s, whose
    // pointers are aligned, so bit 0 is only ever the tag.
    unsafe { JobRef::from_words(w, true) }
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
    /// `registry.workers[index]`, one load closer.
    shared: *const WorkerShared,
    /// The `max_threads` context of the code running now (null: none).
    ctx: Cell<*const OpCtx>,
    rng: Cell<u64>,
    /// This worker's counters (inside `registry.stats`).
    stats: *const WorkerStats,
}

/// Aborts the process if a panic unwinds out of the worker loop: pool code
/// catches every user panic, so this can only be a bug in the pool, and a
/// silently dead worker would hang every later call.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("amrkit-pool: a panic escaped a worker's main loop; aborting");
            std::process::abort();
        }
    }
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

    #[inline(always)]
    fn shared(&self) -> &WorkerShared {
        // SAFETY: points into `registry.workers`, which lives as long as the
        // registry this worker holds an `Arc` of.
        unsafe { &*self.shared }
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
    pub(crate) fn run(index: usize, registry: Arc<Registry>) {
        let guard = AbortOnUnwind;
        let stats: *const WorkerStats = &*registry.stats[index];
        let shared: *const WorkerShared = &*registry.workers[index];
        let wt = WorkerThread {
            index,
            stats,
            shared,
            registry,
            ctx: Cell::new(ptr::null()),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ ((index as u64 + 1) << 17)),
        };
        WORKER.with(|w| w.set(&wt));
        wt.call_handler(wt.registry.start_handler.as_deref());
        wt.idle_loop(true, || wt.registry.is_terminating());
        wt.call_handler(wt.registry.exit_handler.as_deref());
        WORKER.with(|w| w.set(ptr::null()));
        std::mem::forget(guard);
    }

    /// Runs a start or exit handler; its panic goes to the panic handler.
    fn call_handler(&self, handler: Option<&WorkerHandler>) {
        if let Some(h) = handler {
            let index = self.index;
            if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(index))) {
                self.registry.handle_panic(p);
            }
        }
    }

    /// Runs one job if any can be found without waiting; whether it did.
    pub(crate) fn run_one(&self) -> bool {
        match self.find_work(false) {
            Some(job) => {
                self.execute(job);
                true
            }
            None => false,
        }
    }

    // ----- the pending deque (hot path of `join`) -----

    /// Pushes `job` (a `join`'s second half) as a pending entry; `false` if
    /// the deque is full (the caller then runs both halves itself).
    #[inline(always)]
    pub(crate) fn push_pending(&self, job: JobRef, capped: bool) -> bool {
        let me = self.shared();
        if !me.pending.push(job.to_words(capped)) {
            return false;
        }
        // Owner's half of the request pairing (module notes, point 3): the
        // push above is ordered before the flag load below.
        light_fence();
        if me.request.load(Ordering::Relaxed) {
            self.publish_oldest();
        }
        true
    }

    /// Takes the newest pending entry back: `true` if it was still there
    /// (the caller runs it inline), `false` if it was published or stolen.
    #[inline(always)]
    pub(crate) fn pop_pending(&self) -> bool {
        self.shared().pending.pop_own()
    }

    /// Answers a request: publish the oldest pending entry and wake a sleeper.
    #[cold]
    #[inline(never)]
    fn publish_oldest(&self) {
        let me = self.shared();
        // The flag is shared by every requester, so clearing it could drop
        // the request of a sleeper other than the one this answer wakes.
        // Clear; fence; re-arm if anyone sleeps. Paired with the sleeper's
        // increment of `sleeping`, fence S, then its check that every other
        // worker's flag is still set (`has_work`): either the sleeper sees
        // this clear (and requests again instead of sleeping), or this load
        // sees it asleep (and the flag stays set for the next fork).
        me.request.store(false, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if self.registry.sleep.sleeping() > 0 {
            me.request.store(true, Ordering::Relaxed);
        }
        if self.publish_one() {
            self.registry.sleep.notify_new_work();
        }
    }

    /// Whether the oldest pending entry `w` (at index `t`) is worth
    /// publishing: uncapped, or its call has a free slot, or some younger
    /// entry is uncapped (publishing the capped one is then the way to
    /// reach it; if no thief can run the capped one, it comes back to us).
    fn worth_publishing(w: Words, pending: &Deque<true>, t: isize) -> bool {
        if !JobRef::words_capped(w) {
            return true;
        }
        // SAFETY: the entry is in our pending deque, so its frame (and the
        // capped call's ctx below it) is live on our stack.
        let ctx = unsafe { (*header_of(w)).ctx };
        // SAFETY: as above.
        if unsafe { OpCtx::has_room(ctx) } {
            return true;
        }
        pending
            .entries_from(t + 1)
            .any(|y| !JobRef::words_capped(y))
    }

    /// Moves the oldest pending entry to the eager deque (or the injector if
    /// that is full); false if there was none worth moving.
    fn publish_one(&self) -> bool {
        let me = self.shared();
        let Some(w) = me.pending.take_oldest(Self::worth_publishing) else {
            return false;
        };
        // Queues other than pending hold untagged words (`taken`).
        let w = (w.0 & !1, w.1);
        if !me.eager.push(w) {
            self.registry.injector.push(w);
        }
        true
    }

    /// Pops the newest job of this worker's eager deque.
    #[inline]
    pub(crate) fn take_local(&self) -> Option<JobRef> {
        self.shared().eager.pop().map(taken)
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

    /// Looks for a job: own eager deque, own inbox, the injector, other
    /// workers' eager deques, then (asking them to publish, and with
    /// `direct` stealing it outright) other workers' pending entries.
    fn find_work(&self, direct: bool) -> Option<JobRef> {
        let me = self.shared();
        let reg = &*self.registry;
        if let Some(w) = me.eager.pop() {
            return Some(taken(w));
        }
        if let Some(w) = me.inbox.pop_newest() {
            return Some(taken(w));
        }
        if let Some(w) = reg.injector.pop() {
            return Some(taken(w));
        }
        let n = reg.workers.len();
        if n == 1 {
            return None;
        }
        let start = (self.next_random() % n as u64) as usize;
        loop {
            let mut retry = false;
            for k in 0..n {
                let victim = (start + k) % n;
                if victim == self.index {
                    continue;
                }
                match reg.workers[victim].eager.steal() {
                    Stolen::Success(w) => {
                        self.stats().bump_stolen();
                        return Some(taken(w));
                    }
                    Stolen::Retry => retry = true,
                    Stolen::Empty => {}
                }
            }
            for k in 0..n {
                let victim = (start + k) % n;
                if victim == self.index {
                    continue;
                }
                let v = &reg.workers[victim];
                if v.pending.is_empty() {
                    continue;
                }
                if !v.request.load(Ordering::Relaxed) {
                    v.request.store(true, Ordering::Relaxed);
                }
                if !direct {
                    continue;
                }
                match v.pending.steal_if(|w| !JobRef::words_capped(w)) {
                    Stolen::Success(w) => {
                        self.stats().bump_stolen();
                        return Some(taken_pending(w));
                    }
                    Stolen::Retry => retry = true,
                    Stolen::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Whether any queue this worker could take from holds a job, counting
    /// uncapped pending entries of others when it may steal them directly
    /// (read after the sleep fences).
    fn has_work(&self, direct: bool, flags: bool) -> bool {
        let r = &*self.registry;
        let me = self.shared();
        !me.eager.is_empty()
            || !me.inbox.is_empty()
            || !r.injector.is_empty()
            || r.workers.iter().enumerate().any(|(i, w)| {
                i != self.index
                    // A cleared request flag: an owner answered someone and
                    // our request may be gone; ask again rather than sleep
                    // (see `publish_oldest`).
                    && ((flags && !w.request.load(Ordering::Relaxed))
                        || !w.eager.is_empty()
                        || (direct
                            && w.pending
                                .peek_oldest()
                                .is_some_and(|e| !JobRef::words_capped(e))))
            })
    }

    /// Asks every other worker to publish, ahead of going to sleep.
    fn request_all(&self) {
        for (i, w) in self.registry.workers.iter().enumerate() {
            if i != self.index && !w.request.load(Ordering::Relaxed) {
                w.request.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Runs other work until `probe()` holds. With `main`, `probe` is the
    /// termination flag and the loop also requires that no work was found.
    ///
    /// `probe` must be *monotone* (once true, true for ever): the sleep
    /// protocol checks it once under the sleeper's mutex, and a condition
    /// that can turn false again after the last wake-up would let the
    /// worker sleep for ever. (An earlier version passed `terminating &&
    /// !has_work()`, which sampled the queues twice and hung on shutdown.)
    fn idle_loop(&self, main: bool, probe: impl Fn() -> bool) {
        let registry = &*self.registry;
        let spin = registry.spin_rounds;
        // Direct steals (and the sleep pairing) need the heavy fence. A
        // worker in its main loop steals pending entries after a quarter of
        // its spin budget; a waiting one only once the budget is spent, just
        // before it would sleep: taking the oldest (largest) piece of someone
        // else's work on top of a waiting frame grows its stack, but a
        // waiting worker that never did could leave a join whose first half
        // blocks on its second half with no taker.
        let asym = asymmetric_fences();
        let direct_after = if main { spin / 4 } else { spin };
        let mut idle_rounds = 0u32;
        let mut slept = false;
        loop {
            // Sampled *before* looking for work: with `main`, exiting needs
            // "terminating, and then no work found". The Acquire load of the
            // flag orders every push made before `terminate` (by threads
            // outside the pool, say) before the search, so none is missed.
            // Jobs pushed after it come from running workers, which run
            // them themselves before they exit.
            let done = probe();
            if done && !main {
                if slept && self.has_work(false, false) {
                    // A wake-up meant for queued work may have reached us
                    // while our latch was being set: pass it on.
                    registry.sleep.notify_new_work();
                }
                return;
            }
            if let Some(job) = self.find_work(asym && idle_rounds >= direct_after) {
                self.execute(job);
                idle_rounds = 0;
                continue;
            }
            if done {
                return;
            }
            if idle_rounds < spin {
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
            // Going to sleep: ask for publication, then the heavy fence that
            // pairs with owners' light fence after a fork (module notes).
            self.request_all();
            if asym {
                heavy_fence();
            }
            if registry
                .sleep
                .sleep(self.index, || probe() || self.has_work(asym, true))
            {
                self.stats().bump_parked();
                slept = true;
            }
            idle_rounds = 0;
        }
    }

    /// Waits for a latch, running other work meanwhile.
    pub(crate) fn wait_for<L: Probe>(&self, latch: &L) {
        if !latch.probe() {
            self.idle_loop(false, || latch.probe());
        }
    }
}
