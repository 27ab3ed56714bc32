//! The shared state of one pool, and the worker threads that serve it.
//!
//! Each worker owns two deques — **pending** (`Deque<true>`: the second
//! halves of its `join`s, pushed and popped with no fence on the owner's
//! side) and **eager** (`Deque<false>`: spawns and published entries) — an
//! inbox for jobs addressed to it, a FIFO broadcast queue and the queue
//! behind its FIFO spawns' tickets; outside threads push to one injector.
//! Idle workers reach pending work three ways: the owner *publishes* its
//! oldest entry at a fork while the `hungry` count is non-zero; an idle
//! worker *steals it directly* (paying the heavy fence); and a worker about
//! to sleep re-checks after a heavy fence that pairs with the owner's light
//! fence at the fork. Why no entry is stranded and no wake-up lost is
//! argued once, in `docs/pool.md` ("Scheduling: two deques per worker",
//! "Sleeping without losing wake-ups"); the comments below give each
//! ordering's local reason.

use crate::cap::OpCtx;
use crate::deque::{Deque, Injector, Stolen, Words};
use crate::fifo::JobFifo;
use crate::job::{header_of, JobRef, StackJob};
use crate::latch::{CrossLatch, LockLatch, Probe};
use crate::sleep::Sleep;
use crate::stats::WorkerStats;
use crate::sync::{
    fence, heavy_fence, pool_thread_local, thread, Arc, AtomicBool, AtomicUsize, LightFence,
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
    pending: Deque<true, PENDING_CAP>,
    eager: Deque<false, EAGER_CAP>,
    /// Jobs addressed to this worker: jobs handed back for lack of a
    /// `max_threads` slot, deferred scoped spawns. Taken newest first.
    inbox: Injector,
    /// This worker's share of broadcasts, oldest first: a broadcast runs
    /// after every broadcast queued to this worker before it.
    broadcasts: Injector,
    /// The queue behind the tickets of this worker's FIFO spawns made
    /// outside any FIFO scope (`fifo.rs`).
    fifo: JobFifo,
    /// Set once when this worker has left the pool for good (its thread
    /// ends, or the building thread is released as worker 0): broadcast
    /// shares pushed to it afterwards go to the pusher instead (see
    /// `Registry::inject_broadcast`).
    gone: AtomicBool,
    /// This worker's counters, on a line of their own (only the worker
    /// writes them; a fork bumps one through the pointer to this struct it
    /// already holds).
    stats: CachePadded<WorkerStats>,
}

pub(crate) struct Registry {
    injector: Injector,
    workers: Vec<CachePadded<WorkerShared>>,
    pub(crate) sleep: Sleep,
    /// Workers that looked for work and found none, spinning or asleep (see
    /// the module notes). Incremented with SeqCst before the idle worker's
    /// heavy fence; read Relaxed by owners after a fork.
    hungry: CachePadded<AtomicUsize>,
    /// Always 1. Without membarrier (and under loom) workers read it in
    /// place of `hungry` after a fork: it sends every untagged fork to the
    /// cold path, which runs the real fence and then reads `hungry` (see
    /// `WorkerThread::push_pending`). Never written, so never contended.
    fence_first: AtomicUsize,
    /// Set once by `terminate`; workers exit when it is set and they find no
    /// work. Checked by sleepers under their mutex (see `sleep.rs`).
    terminate: AtomicBool,
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
                        pending: Deque::new(),
                        eager: Deque::new(),
                        inbox: Injector::new(),
                        broadcasts: Injector::new(),
                        fifo: JobFifo::new(),
                        gone: AtomicBool::new(false),
                        stats: CachePadded::new(WorkerStats::default()),
                    })
                })
                .collect(),
            sleep: Sleep::new(n),
            hungry: CachePadded::new(AtomicUsize::new(0)),
            fence_first: AtomicUsize::new(1),
            terminate: AtomicBool::new(false),
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

    /// Every worker's counters, in worker order.
    pub(crate) fn worker_stats(&self) -> impl Iterator<Item = &WorkerStats> {
        self.workers.iter().map(|w| &*w.stats)
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

    /// Queues worker `index`'s share of a broadcast and wakes it (a
    /// targeted wake, as `inject_to`). Only that worker takes from its
    /// broadcast queue, oldest first.
    ///
    /// After a drop, a job still running on the pool may broadcast while
    /// worker `index` has already left (`WorkerThread::leave`): its share
    /// would never run, its closure never be dropped, and a scope waiting
    /// for it would wait for ever. So: push, fence **G**, then read the
    /// target's `gone`. The leaving worker stores `gone`, runs its own
    /// fence G and then drains its queues. Both fences are SeqCst, so one
    /// precedes the other: if ours is first, the worker's drain sees our
    /// push (the queue's length, written before our fence, read after its
    /// own); if its fence is first, we see `gone` and move whatever is
    /// left in its queue to the current worker's own broadcast queue (or
    /// the injector off the pool), where this running thread takes it
    /// before it waits or exits. Both may take a share: the queue's mutex
    /// gives each share to exactly one. The call keeps the gone worker's
    /// index in its `BroadcastContext`. (Not moving them: mutation
    /// `broadcast-to-gone-worker-stays`.)
    pub(crate) fn inject_broadcast(&self, index: usize, job: JobRef) {
        let target = &self.workers[index];
        target.broadcasts.push(job.to_words(false));
        self.sleep.wake_worker(index);
        // Fence G (see above).
        fence(Ordering::SeqCst);
        if target.gone.load(Ordering::Relaxed) {
            match self.current_index() {
                // The leaving worker itself, in its last drain (a job of it
                // broadcasting): that drain takes its own share.
                Some(me) if me == index => {}
                Some(me) => {
                    while let Some(w) = target.broadcasts.pop() {
                        self.workers[me].broadcasts.push(w);
                    }
                }
                None => {
                    while let Some(w) = target.broadcasts.pop() {
                        self.injector.push(w);
                    }
                    self.sleep.notify_new_work();
                }
            }
        }
    }

    /// The index of the current thread if it is a worker of this registry.
    fn current_index(&self) -> Option<usize> {
        let wt = WorkerThread::current();
        // SAFETY: the thread-local pointer, when non-null, is this thread's
        // live WorkerThread.
        match unsafe { wt.as_ref() } {
            Some(w) if ptr::eq(&**w.registry(), self) => Some(w.index()),
            _ => None,
        }
    }

    /// The FIFO queue of the current thread's spawns if it is a worker of
    /// this registry (`fifo.rs`); `None` elsewhere (the injector, which is
    /// FIFO, then takes the job itself).
    pub(crate) fn current_fifo(&self) -> Option<(&JobFifo, usize)> {
        let wt = WorkerThread::current();
        // SAFETY: the thread-local pointer, when non-null, is this thread's
        // live WorkerThread.
        match unsafe { wt.as_ref() } {
            Some(w) if ptr::eq(&**w.registry(), self) => {
                Some((&self.workers[w.index()].fifo, w.index()))
            }
            _ => None,
        }
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
            let job = StackJob::new(f, latch, ptr::null());
            self.inject(job.as_job_ref());
            w.wait_for(&job.latch);
            // SAFETY: the latch is set, so the other pool's worker stored
            // the result and is done with the job.
            return unsafe { job.take_result() }.into_return_value();
        }
        let job = StackJob::new(f, LockLatch::new(), ptr::null());
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
                crate::job::drop_quietly(payload);
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

pool_thread_local! {
    /// Worker states of `use_current_thread` pools released on this thread,
    /// freed when the thread ends (see `WorkerThread::release_current`).
    static RELEASED: Released = Released(std::cell::RefCell::new(Vec::new()));
}

/// Owns released worker states until the thread ends: by then no frame of
/// this thread can still hold a reference to one.
struct Released(std::cell::RefCell<Vec<*mut WorkerThread>>);

impl Drop for Released {
    fn drop(&mut self) {
        for wt in self.0.get_mut().drain(..) {
            // SAFETY: each came from `Box::into_raw` in `register_current`
            // and is freed once, here; the thread that used it has ended.
            drop(unsafe { Box::from_raw(wt) });
        }
    }
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
    /// What a fork reads to learn whether anyone is hungry, one load closer:
    /// `registry.hungry` with membarrier, `registry.fence_first` without
    /// (and under loom), so that the fast path tests no fence mode.
    hungry: *const AtomicUsize,
    /// The fence mode (`LightFence`), read on the cold path only.
    light: LightFence,
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

    #[inline(always)]
    fn stats(&self) -> &WorkerStats {
        &self.shared().stats
    }

    /// The per-thread state of worker `index` (not yet registered).
    fn new(index: usize, registry: Arc<Registry>) -> WorkerThread {
        let shared: *const WorkerShared = &*registry.workers[index];
        let light = LightFence::current();
        let hungry: *const AtomicUsize = if light.is_real() {
            &registry.fence_first
        } else {
            &*registry.hungry
        };
        WorkerThread {
            index,
            shared,
            hungry,
            light,
            registry,
            ctx: Cell::new(ptr::null()),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ ((index as u64 + 1) << 17)),
        }
    }

    /// Thread entry point of worker `index`.
    pub(crate) fn run(index: usize, registry: Arc<Registry>) {
        let guard = AbortOnUnwind;
        let wt = WorkerThread::new(index, registry);
        WORKER.with(|w| w.set(&wt));
        wt.call_handler(wt.registry.start_handler.as_deref());
        wt.idle_loop(true, || wt.registry.is_terminating());
        wt.call_handler(wt.registry.exit_handler.as_deref());
        // Work the exit handler queued (on this worker's own deque) runs
        // here: nobody else may be left to take it.
        while wt.run_one() {}
        wt.leave(|| wt.run_one());
        WORKER.with(|w| w.set(ptr::null()));
        std::mem::forget(guard);
    }

    /// Makes the calling thread worker `index` of `registry` without a main
    /// loop (`PoolBuilder::use_current_thread`): it takes part in the pool
    /// whenever it waits in it (`install`, `join`, `scope`, `yield_now`…).
    /// Returns the worker state, leaked (see [`Self::release_current`]);
    /// null if the thread already is a worker of some pool.
    pub(crate) fn register_current(index: usize, registry: Arc<Registry>) -> *const WorkerThread {
        if !WorkerThread::current().is_null() {
            return ptr::null();
        }
        let wt = Box::into_raw(Box::new(WorkerThread::new(index, registry)));
        WORKER.with(|w| w.set(wt));
        wt
    }

    /// Ends what [`Self::register_current`] began, on the thread it
    /// registered: runs what is left in this worker's own queues (jobs
    /// addressed to it that no other worker may take: broadcasts, handed
    /// back jobs), then unregisters the thread. Returns false, doing
    /// nothing, on any other thread.
    ///
    /// The state itself is freed only when the thread ends: the pool may be
    /// dropped inside one of its own jobs or scopes running on this thread
    /// (a `join` half that owns the pool, say), whose frames below still
    /// hold `&WorkerThread`. (It used to be leaked, and with it the whole
    /// registry; loom's leak check reported it.)
    ///
    /// # Safety
    /// `wt` came from `register_current`.
    pub(crate) unsafe fn release_current(wt: *const WorkerThread) -> bool {
        if WorkerThread::current() != wt {
            return false;
        }
        // SAFETY: registered on this thread (checked above); freed only when
        // the thread ends.
        let w = unsafe { &*wt };
        while w.run_local() {}
        w.leave(|| w.run_local());
        WORKER.with(|c| c.set(ptr::null()));
        RELEASED.with(|r| r.0.borrow_mut().push(wt as *mut WorkerThread));
        true
    }

    /// Marks this worker gone for broadcasts, then runs `step` until it
    /// finds nothing: the shares pushed before a pusher could see `gone`
    /// (the leaving half of fence G, `Registry::inject_broadcast`), and
    /// whatever they queue here.
    fn leave(&self, step: impl Fn() -> bool) {
        self.shared().gone.store(true, Ordering::Relaxed);
        // Fence G: pairs with the one in `Registry::inject_broadcast`.
        fence(Ordering::SeqCst);
        while step() {}
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

    /// Runs one job of this worker's own queues (its eager deque, then its
    /// inbox, then its broadcast queue), never one of another worker or of
    /// the injector; whether it did (`yield_local`).
    pub(crate) fn run_local(&self) -> bool {
        let me = self.shared();
        let job = match me.eager.pop() {
            Some(w) => Some(w),
            None => me.inbox.pop_newest().or_else(|| me.broadcasts.pop()),
        };
        match job {
            Some(w) => {
                self.execute(taken(w));
                true
            }
            None => false,
        }
    }

    // ----- the pending deque (hot path of `join`) -----

    /// Pushes `job` (a `join`'s second half) as a pending entry; `false` if
    /// the deque is full (the caller then runs both halves itself). `tag`
    /// marks an entry no thief should take directly (module notes, point 2).
    #[inline(always)]
    pub(crate) fn push_pending(&self, job: JobRef, tag: bool) -> bool {
        let me = self.shared();
        if !me.pending.push(job.to_words(tag)) {
            return false;
        }
        // Owner's half of the sleep pairing (module notes, point 3): the
        // push above is ordered before the load of `hungry`. With membarrier
        // that takes only a compiler fence, here; without it, `self.hungry`
        // is `fence_first` (always 1), so the load below sends the fork to
        // `publish_for_hungry`, which runs the real fence and then loads
        // `hungry`. Either way the fast path tests no fence mode.
        self.light.compiler();
        // A tagged fork (its cap is full) skips publication and so the
        // fence: the sleeper's re-check ignores tagged entries, so there is
        // nothing to pair with. Whatever older entry could be worth
        // publishing is untagged work that idle workers steal directly, and
        // checking here would tax every capped fork while someone sleeps.
        // SAFETY: points into our registry, which we keep alive.
        if !tag && unsafe { &*self.hungry }.load(Ordering::Relaxed) != 0 {
            self.publish_for_hungry();
        }
        true
    }

    /// Takes the newest pending entry back: `true` if it was still there
    /// (the caller runs it inline), `false` if it was published or stolen.
    #[inline(always)]
    pub(crate) fn pop_pending(&self) -> bool {
        self.shared().pending.pop_own()
    }

    /// Someone is hungry: publish the oldest pending entry and wake a
    /// sleeper, unless an earlier publication is still waiting for a taker.
    #[cold]
    #[inline(never)]
    fn publish_for_hungry(&self) {
        if self.light.is_real() {
            // We read `fence_first`, not `hungry`: the owner's fence of the
            // pairing, then the real counter (see `push_pending`).
            fence(Ordering::SeqCst);
            if self.registry.hungry.load(Ordering::Relaxed) == 0 {
                return;
            }
        }
        if self.shared().eager.is_empty() && self.publish_one() {
            self.registry.sleep.notify_new_work();
        }
    }

    /// Whether the oldest pending entry `w` (at index `t`) is worth
    /// publishing: uncapped, or its call has a free slot, or the newest
    /// entry is uncapped (publishing the capped one is then the way to reach
    /// the younger work behind it; if no thief can run it, it comes back to
    /// us). Constant time: this runs at forks while someone is hungry.
    fn worth_publishing(w: Words, pending: &Deque<true, PENDING_CAP>, t: isize) -> bool {
        // SAFETY: the entry is in our pending deque, so its frame (and the
        // capped call's ctx below it) is live on our stack.
        let ctx = unsafe { (*header_of(w)).ctx };
        // SAFETY: as above.
        if ctx.is_null() || unsafe { OpCtx::has_room(ctx) } {
            return true;
        }
        pending.newest().is_some_and(|(y, i)| {
            // SAFETY: as above, for the newest entry.
            i != t && unsafe { (*header_of(y)).ctx }.is_null()
        })
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

    /// Looks for a job: own eager deque, own inbox, own broadcast queue, the
    /// injector, other workers' eager deques, then, with `direct`, other
    /// workers' untagged pending entries.
    fn find_work(&self, direct: bool) -> Option<JobRef> {
        let me = self.shared();
        let reg = &*self.registry;
        if let Some(w) = me.eager.pop() {
            return Some(taken(w));
        }
        if let Some(w) = me.inbox.pop_newest() {
            return Some(taken(w));
        }
        if let Some(w) = me.broadcasts.pop() {
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
                        self.after_steal(victim);
                        return Some(taken(w));
                    }
                    Stolen::Retry => retry = true,
                    Stolen::Empty => {}
                }
            }
            for k in 0..n {
                let victim = (start + k) % n;
                if !direct || victim == self.index {
                    continue;
                }
                let v = &reg.workers[victim];
                if v.pending.is_empty() {
                    continue;
                }
                // A tagged oldest entry is taken too when untagged work
                // waits behind it: a thief can only take the oldest, and the
                // tag (set at the fork, while the cap was full) is never
                // revisited, so otherwise it would hide the younger entries
                // for as long as it stays. Taken, it runs here if its cap
                // has room by now, or goes back to its owner's inbox: it
                // leaves the pending deque once, so this cannot repeat.
                let accept = |w| {
                    !JobRef::words_tagged(w) || v.pending.any_entry(|e| !JobRef::words_tagged(e))
                };
                match v.pending.steal_if(accept) {
                    Stolen::Success(w) => {
                        self.after_steal(victim);
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

    /// After a steal from `victim`: if it has more work, wake another
    /// sleeper for it. A publication wakes one worker; this passes the
    /// wake-up along for as long as stealable work remains, so several idle
    /// workers join a recursion that forks once and then runs long leaves.
    fn after_steal(&self, victim: usize) {
        self.stats().bump_stolen();
        let v = &self.registry.workers[victim];
        if !v.eager.is_empty() || !v.pending.is_empty() {
            self.registry.sleep.notify_new_work();
        }
    }

    /// Whether any queue this worker could take from holds a job, counting
    /// others' untagged pending entries (wherever they sit in the deque: see
    /// `find_work`) when it may steal them directly (read after the sleep
    /// fences).
    fn has_work(&self, direct: bool) -> bool {
        let r = &*self.registry;
        let me = self.shared();
        !me.eager.is_empty()
            || !me.inbox.is_empty()
            || !me.broadcasts.is_empty()
            || !r.injector.is_empty()
            || r.workers.iter().enumerate().any(|(i, w)| {
                i != self.index
                    && (!w.eager.is_empty()
                        || (direct && w.pending.any_entry(|e| !JobRef::words_tagged(e))))
            })
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
        // A worker in its main loop steals pending entries directly after a
        // quarter of its spin budget; a waiting one only once the budget is
        // spent, just before it would sleep (module notes, point 2).
        let direct_after = if main { spin / 4 } else { spin };
        let mut idle_rounds = 0u32;
        let mut hungry = false;
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
                if slept && self.has_work(false) {
                    // A wake-up meant for queued work may have reached us
                    // while our latch was being set: pass it on.
                    registry.sleep.notify_new_work();
                }
                break;
            }
            if let Some(job) = self.find_work(idle_rounds >= direct_after) {
                if hungry {
                    registry.hungry.fetch_sub(1, Ordering::Relaxed);
                    hungry = false;
                }
                self.execute(job);
                idle_rounds = 0;
                continue;
            }
            if done {
                break;
            }
            if !hungry {
                // SeqCst RMW, sequenced before the heavy fence below: the
                // sleeper's half of the pairing with owners' forks.
                registry.hungry.fetch_add(1, Ordering::SeqCst);
                hungry = true;
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
            // Going to sleep: the heavy fence pairs with owners' light fence
            // after a fork (module notes, point 3).
            heavy_fence();
            if registry
                .sleep
                .sleep(self.index, || probe() || self.has_work(true))
            {
                self.stats().bump_parked();
                slept = true;
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
            self.idle_loop(false, || latch.probe());
        }
    }
}
