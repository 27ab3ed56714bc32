//! The public pool handle and its builder.

use crate::cap::OpCtx;
use crate::job::{CtxScope, HeapJob, JobResult};
use crate::latch::{CountLatch, Latch};
use crate::registry::{PanicHandler, Registry, RegistryConfig, WorkerThread};
use crate::stats::PoolStats;
use crate::sync::{thread, Arc, Mutex, UnsafeCell};
use std::any::Any;
use std::fmt;
use std::ptr;

/// Where worker threads run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PinPolicy {
    /// Let the operating system place threads (the default; on a small
    /// machine shared with other processes pinning can hurt).
    #[default]
    None,
    /// Pin worker `i` to the `i`-th core this process may use (respecting
    /// cgroups and `taskset`), wrapping around; silently unpinned where the
    /// platform refuses.
    IfSupported,
}

/// Why a pool could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// `AMRKIT_NUM_THREADS` is set but is not a positive integer.
    InvalidThreadCount(String),
    /// The operating system refused to start a worker thread.
    Spawn(std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidThreadCount(v) => write!(
                f,
                "AMRKIT_NUM_THREADS={v:?} is not a positive integer (expected e.g. AMRKIT_NUM_THREADS=4)"
            ),
            BuildError::Spawn(e) => write!(f, "could not start a worker thread: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Spawn(e) => Some(e),
            BuildError::InvalidThreadCount(_) => None,
        }
    }
}

type NameFn = dyn Fn(usize) -> String + Send + Sync;

/// Configures and builds a [`Pool`].
pub struct PoolBuilder {
    num_threads: Option<usize>,
    pin: PinPolicy,
    thread_name: Option<Box<NameFn>>,
    stack_size: Option<usize>,
    spin_rounds: u32,
    panic_handler: Option<Box<PanicHandler>>,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        PoolBuilder {
            num_threads: None,
            pin: PinPolicy::None,
            thread_name: None,
            stack_size: None,
            spin_rounds: DEFAULT_SPIN_ROUNDS,
            panic_handler: None,
        }
    }
}

/// Idle rounds (each about 32 spin hints, every 16th a `yield_now`) before a
/// worker parks: a few tens of microseconds, enough to bridge the gap
/// between back-to-back parallel calls without burning a core when idle.
const DEFAULT_SPIN_ROUNDS: u32 = 64;

/// The thread count a builder uses when none is set: `AMRKIT_NUM_THREADS`
/// if set, else the number of logical CPUs.
pub fn default_num_threads() -> Result<usize, BuildError> {
    match std::env::var("AMRKIT_NUM_THREADS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(BuildError::InvalidThreadCount(v)),
        },
        Err(_) => Ok(num_cpus::get().max(1)),
    }
}

impl PoolBuilder {
    /// Number of worker threads; 0 means the default
    /// ([`default_num_threads`]).
    pub fn num_threads(mut self, n: usize) -> Self {
        self.num_threads = if n == 0 { None } else { Some(n) };
        self
    }

    /// Pins worker threads to cores when `true` ([`PinPolicy::IfSupported`]).
    pub fn pin_threads(mut self, pin: bool) -> Self {
        self.pin = if pin {
            PinPolicy::IfSupported
        } else {
            PinPolicy::None
        };
        self
    }

    /// Sets the pinning policy.
    pub fn pin_policy(mut self, policy: PinPolicy) -> Self {
        self.pin = policy;
        self
    }

    /// Names worker threads (default `amrkit-pool-{i}`).
    pub fn thread_name(mut self, f: impl Fn(usize) -> String + Send + Sync + 'static) -> Self {
        self.thread_name = Some(Box::new(f));
        self
    }

    /// Stack size of worker threads in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Idle rounds before a worker parks (0: park at once). See the pool
    /// design notes in `docs/pool.md`.
    pub fn spin_rounds(mut self, rounds: u32) -> Self {
        self.spin_rounds = rounds;
        self
    }

    /// Called with the payload when a detached [`Pool::spawn`] job panics.
    /// The default prints the message to stderr. The pool keeps running.
    pub fn panic_handler(
        mut self,
        f: impl Fn(Box<dyn Any + Send>) + Send + Sync + 'static,
    ) -> Self {
        self.panic_handler = Some(Box::new(f));
        self
    }

    /// Starts the worker threads.
    pub fn build(self) -> Result<Pool, BuildError> {
        let n = match self.num_threads {
            Some(n) => n,
            None => default_num_threads()?,
        };
        let registry = Registry::new(RegistryConfig {
            num_threads: n,
            spin_rounds: self.spin_rounds,
            panic_handler: self.panic_handler,
        });
        let cores = match self.pin {
            PinPolicy::None => None,
            PinPolicy::IfSupported => core_ids(),
        };
        let mut handles = Vec::with_capacity(n);
        for index in 0..n.max(1) {
            let name = match &self.thread_name {
                Some(f) => f(index),
                None => format!("amrkit-pool-{index}"),
            };
            let mut builder = thread::Builder::new().name(name);
            if let Some(size) = self.stack_size {
                builder = builder.stack_size(size);
            }
            let reg = registry.clone();
            let core = cores.as_ref().map(|c| c[index % c.len()]);
            let spawned = builder.spawn(move || {
                pin_current(core);
                WorkerThread::run(index, reg);
            });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    // Stop the threads already started before reporting.
                    registry.terminate();
                    for h in handles {
                        let _ = h.join();
                    }
                    return Err(BuildError::Spawn(e));
                }
            }
        }
        Ok(Pool {
            registry,
            handles: Mutex::new(handles),
        })
    }
}

#[cfg(not(loom))]
type CoreId = core_affinity::CoreId;
#[cfg(loom)]
type CoreId = usize;

#[cfg(not(loom))]
fn core_ids() -> Option<Vec<CoreId>> {
    core_affinity::get_core_ids().filter(|c| !c.is_empty())
}
#[cfg(loom)]
fn core_ids() -> Option<Vec<CoreId>> {
    None
}

#[cfg(not(loom))]
fn pin_current(core: Option<CoreId>) {
    if let Some(c) = core {
        // Returns false where the platform refuses; we then run unpinned.
        let _ = core_affinity::set_for_current(c);
    }
}
#[cfg(loom)]
fn pin_current(_core: Option<CoreId>) {}

/// A work-stealing thread pool.
///
/// Dropping it (or calling [`Pool::shutdown`]) lets queued work finish and
/// joins every worker thread before returning.
pub struct Pool {
    registry: Arc<Registry>,
    handles: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("num_threads", &self.num_threads())
            .finish()
    }
}

struct SendPtr<T>(*const T);
// SAFETY: only used to hand shared (Sync) data to jobs that finish before
// the data is dropped.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}

impl Pool {
    /// A builder with default settings.
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }

    /// Number of worker threads.
    pub fn num_threads(&self) -> usize {
        self.registry.num_threads()
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Runs `f` on a worker of this pool and returns its result; the caller
    /// blocks meanwhile. `join`, `scope` and `par` calls inside `f` use this
    /// pool. A panic in `f` resumes in the caller.
    pub fn install<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        self.registry.in_worker(f)
    }

    /// [`crate::join`] on this pool.
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        self.install(move || crate::join(a, b))
    }

    /// [`crate::scope`] on this pool.
    pub fn scope<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&crate::Scope<'scope>) -> R + Send,
        R: Send,
    {
        self.install(move || crate::scope(op))
    }

    /// Runs `f` in the background on this pool. A panic in `f` goes to the
    /// pool's panic handler and never takes the process down.
    pub fn spawn<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        spawn_detached(&self.registry, f);
    }

    /// Runs `f(worker_index)` once on every worker and returns the results
    /// by worker index. Panics resume in the caller after all calls ended.
    pub fn broadcast<F, R>(&self, f: F) -> Vec<R>
    where
        F: Fn(usize) -> R + Sync,
        R: Send,
    {
        self.install(|| broadcast_in_worker(&f))
    }

    /// Data-parallel operations on this pool (see [`crate::Par`]).
    pub fn par(&self) -> crate::Par<'_> {
        crate::Par::on(self)
    }

    /// Per-worker counters since the pool started.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            workers: self.registry.stats.iter().map(|s| s.snapshot()).collect(),
        }
    }

    /// Finishes queued work and joins every worker thread.
    pub fn shutdown(self) {
        drop(self)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.registry.terminate();
        let wt = WorkerThread::current();
        // SAFETY: non-null means this thread's own live worker.
        let on_own_worker =
            unsafe { wt.as_ref() }.is_some_and(|w| ptr::eq(&**w.registry(), &*self.registry));
        if on_own_worker {
            // A worker cannot join itself; the threads exit on their own.
            return;
        }
        for h in std::mem::take(&mut *self.handles.lock()) {
            let _ = h.join();
        }
    }
}

fn broadcast_in_worker<F, R>(f: &F) -> Vec<R>
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
            // SAFETY: inbox jobs run only on the pool's own workers.
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
        registry.inject_to(i, job);
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

#[cfg(not(loom))]
static GLOBAL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();

/// The global pool, built on first use with default settings
/// ([`default_num_threads`]). Calls made outside any pool run here.
///
/// # Panics
/// If the default pool cannot be built (an invalid `AMRKIT_NUM_THREADS`,
/// or no thread could be started).
#[cfg(not(loom))]
pub fn global() -> &'static Pool {
    GLOBAL.get_or_init(|| {
        Pool::builder()
            .thread_name(|i| format!("amrkit-global-{i}"))
            .build()
            .unwrap_or_else(|e| panic!("amrkit-pool: cannot build the global pool: {e}"))
    })
}

#[cfg(not(loom))]
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    global().registry()
}

#[cfg(loom)]
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    panic!("amrkit-pool: no global pool under loom; install into a Pool")
}

/// Threads available to parallel work started here: the current pool's size,
/// reduced by any `max_threads` cap in force. Off any pool: the global
/// pool's size.
pub fn current_num_threads() -> usize {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    match unsafe { wt.as_ref() } {
        Some(w) => w.registry().num_threads().min(OpCtx::cap_of(w.ctx())),
        None => global_registry().num_threads(),
    }
}

/// Index of the current thread in its pool, or `None` off any pool.
pub fn current_thread_index() -> Option<usize> {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    unsafe { wt.as_ref() }.map(|w| w.index())
}

/// [`Pool::spawn`] on the current pool (the global pool off any pool).
pub fn spawn<F>(f: F)
where
    F: FnOnce() + Send + 'static,
{
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let registry = match unsafe { wt.as_ref() } {
        Some(w) => w.registry().clone(),
        None => global_registry().clone(),
    };
    spawn_detached(&registry, f);
}

fn spawn_detached<F>(registry: &Arc<Registry>, f: F)
where
    F: FnOnce() + Send + 'static,
{
    let handler = registry.clone();
    let job = HeapJob::into_job_ref(move || {
        // Detached work belongs to no capped call.
        let _ctx = CtxScope::enter(WorkerThread::current(), ptr::null());
        if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            handler.handle_panic(p);
        }
    });
    registry.push_from_current(job);
}
