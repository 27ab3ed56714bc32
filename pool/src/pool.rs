//! The public pool handle and its builder.

use crate::broadcast::BroadcastContext;
use crate::cap::OpCtx;
use crate::registry::{PanicHandler, Registry, RegistryConfig, WorkerThread};
use crate::scope::Kind;
use crate::spawn::{spawn_in, Order, SpawnHandle};
use crate::stats::PoolStats;
use crate::sync::{thread, Arc, Mutex};
use std::any::Any;
use std::fmt;
use std::ptr;

/// Where worker threads run.
///
/// ```
/// use amrkit_pool::{PinPolicy, Pool};
/// // Two pools side by side on a 4-core machine: workers 0,1 on cores 0,1 and 2,3.
/// let a = Pool::builder().num_threads(2).pin_policy(PinPolicy::Offset(0)).build().unwrap();
/// let b = Pool::builder().num_threads(2).pin_policy(PinPolicy::Offset(2)).build().unwrap();
/// assert_eq!(a.install(|| 1) + b.install(|| 1), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinPolicy {
    /// Let the operating system place threads (the default; on a small
    /// machine shared with other processes pinning can hurt). Workers keep
    /// the affinity of the thread that builds the pool, as any new thread.
    #[default]
    None,
    /// Pin worker `i` to the `i`-th core this process may use (the process's
    /// affinity mask, respecting cgroups and `taskset`, even when the pool
    /// is built on a pinned thread), wrapping around; silently unpinned
    /// where the platform refuses. Same as `Offset(0)`.
    IfSupported,
    /// Pin worker `i` to the `(offset + i)`-th core this process may use,
    /// wrapping around: pools built with different offsets do not share
    /// cores.
    Offset(usize),
    /// Pin worker `i` to the `list[i % list.len()]`-th core this process may
    /// use (indices into the allowed cores, not OS core numbers). An empty
    /// list leaves threads unpinned.
    Cores(Vec<usize>),
}

/// Why a pool could not be built.
///
/// ```
/// use amrkit_pool::{BuildError, Pool};
/// let err = BuildError::GlobalAlreadyInitialized;
/// assert!(err.to_string().contains("global pool"));
/// # let _ = Pool::builder();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// `AMRKIT_NUM_THREADS` is set but is not a positive integer.
    InvalidThreadCount(String),
    /// The operating system refused to start a worker thread.
    Spawn(std::io::Error),
    /// [`PoolBuilder::build_global`] was called after the global pool
    /// already existed (built by an earlier call, or on first use).
    GlobalAlreadyInitialized,
    /// [`PoolBuilder::use_current_thread`] was asked of a thread that
    /// already is a worker of a pool.
    CurrentThreadInPool,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidThreadCount(v) => write!(
                f,
                "AMRKIT_NUM_THREADS={v:?} is not a positive integer (expected e.g. AMRKIT_NUM_THREADS=4)"
            ),
            BuildError::Spawn(e) => write!(f, "could not start a worker thread: {e}"),
            BuildError::GlobalAlreadyInitialized => write!(
                f,
                "the global pool already exists (build_global must run before any parallel call off a pool)"
            ),
            BuildError::CurrentThreadInPool => write!(
                f,
                "use_current_thread: the building thread already is a worker of a pool"
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Spawn(e) => Some(e),
            _ => None,
        }
    }
}

type NameFn = dyn Fn(usize) -> String + Send + Sync;
type IndexFn = dyn Fn(usize) + Send + Sync;

/// Configures and builds a [`Pool`].
///
/// ```
/// use amrkit_pool::Pool;
/// let pool = Pool::builder()
///     .num_threads(2)
///     .thread_name(|i| format!("my-worker-{i}"))
///     .spin_rounds(16)
///     .build()
///     .unwrap();
/// assert_eq!(pool.num_threads(), 2);
/// ```
pub struct PoolBuilder {
    num_threads: Option<usize>,
    pin: PinPolicy,
    thread_name: Option<Box<NameFn>>,
    stack_size: Option<usize>,
    spin_rounds: u32,
    panic_handler: Option<Box<PanicHandler>>,
    start_handler: Option<Box<IndexFn>>,
    exit_handler: Option<Box<IndexFn>>,
    use_current_thread: bool,
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
            start_handler: None,
            exit_handler: None,
            use_current_thread: false,
        }
    }
}

/// Idle rounds (each about 32 spin hints, every 16th a `yield_now`) before a
/// worker parks: a few tens of microseconds, enough to bridge the gap
/// between back-to-back parallel calls without burning a core when idle.
const DEFAULT_SPIN_ROUNDS: u32 = 64;

/// The thread count a builder uses when none is set: `AMRKIT_NUM_THREADS`
/// if set, else the number of logical CPUs.
///
/// ```
/// let n = amrkit_pool::default_num_threads();
/// // An error only when AMRKIT_NUM_THREADS is set to something invalid.
/// assert!(n.is_err() || n.unwrap() >= 1);
/// ```
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
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(3).build().unwrap();
    /// assert_eq!(pool.num_threads(), 3);
    /// ```
    pub fn num_threads(mut self, n: usize) -> Self {
        self.num_threads = if n == 0 { None } else { Some(n) };
        self
    }

    /// Pins worker threads to cores when `true` ([`PinPolicy::IfSupported`]).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).pin_threads(true).build().unwrap();
    /// assert_eq!(pool.install(|| 5), 5);
    /// ```
    pub fn pin_threads(mut self, pin: bool) -> Self {
        self.pin = if pin {
            PinPolicy::IfSupported
        } else {
            PinPolicy::None
        };
        self
    }

    /// Sets the pinning policy.
    ///
    /// ```
    /// use amrkit_pool::{PinPolicy, Pool};
    /// let pool = Pool::builder().num_threads(2).pin_policy(PinPolicy::Cores(vec![1, 0])).build().unwrap();
    /// assert_eq!(pool.broadcast(|i| i), vec![0, 1]);
    /// ```
    pub fn pin_policy(mut self, policy: PinPolicy) -> Self {
        self.pin = policy;
        self
    }

    /// Names worker threads (default `amrkit-pool-{i}`).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).thread_name(|i| format!("w{i}")).build().unwrap();
    /// assert_eq!(pool.install(|| std::thread::current().name().map(String::from)), Some("w0".into()));
    /// ```
    pub fn thread_name(mut self, f: impl Fn(usize) -> String + Send + Sync + 'static) -> Self {
        self.thread_name = Some(Box::new(f));
        self
    }

    /// Stack size of worker threads in bytes.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).stack_size(8 << 20).build().unwrap();
    /// assert_eq!(pool.install(|| 1), 1);
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Idle rounds before a worker parks (0: park at once). See the pool
    /// design notes in `docs/pool.md`.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).spin_rounds(0).build().unwrap();
    /// assert_eq!(pool.install(|| amrkit_pool::join(|| 1, || 2)), (1, 2));
    /// ```
    pub fn spin_rounds(mut self, rounds: u32) -> Self {
        self.spin_rounds = rounds;
        self
    }

    /// Called with the payload when a detached [`Pool::spawn`] job panics
    /// (one whose handle was dropped without `join`). The default prints the
    /// message to stderr. The pool keeps running.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let s = seen.clone();
    /// let pool = amrkit_pool::Pool::builder()
    ///     .num_threads(1)
    ///     .panic_handler(move |_| { s.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(pool.spawn(|| panic!("boom")));
    /// pool.shutdown(); // runs queued work first
    /// assert_eq!(seen.load(Ordering::SeqCst), 1);
    /// ```
    pub fn panic_handler(
        mut self,
        f: impl Fn(Box<dyn Any + Send>) + Send + Sync + 'static,
    ) -> Self {
        self.panic_handler = Some(Box::new(f));
        self
    }

    /// Called on each worker thread, with its index, before it runs any
    /// job (to set thread-local state, register with a profiler, …). A
    /// panic in it goes to the panic handler.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let s = started.clone();
    /// let pool = amrkit_pool::Pool::builder()
    ///     .num_threads(3)
    ///     .start_handler(move |_i| { s.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// pool.broadcast(|_| ()); // every worker has started
    /// assert_eq!(started.load(Ordering::SeqCst), 3);
    /// ```
    pub fn start_handler(mut self, f: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.start_handler = Some(Box::new(f));
        self
    }

    /// Called on each worker thread, with its index, after it ran its last
    /// job, just before the thread exits. A panic in it goes to the panic
    /// handler.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let exited = Arc::new(AtomicUsize::new(0));
    /// let e = exited.clone();
    /// let pool = amrkit_pool::Pool::builder()
    ///     .num_threads(2)
    ///     .exit_handler(move |_i| { e.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// pool.shutdown(); // joins the workers
    /// assert_eq!(exited.load(Ordering::SeqCst), 2);
    /// ```
    pub fn exit_handler(mut self, f: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.exit_handler = Some(Box::new(f));
        self
    }

    /// Makes the thread that calls [`build`](Self::build) worker 0 of the
    /// pool; only workers 1.. are started as threads. The thread has no main
    /// loop: it takes part in the pool whenever it waits in it — `install`,
    /// `join`, `scope`, `broadcast`, `yield_now`, `yield_local` called on it
    /// run here (an `install` runs its closure directly), and while it
    /// waits it runs its own queued jobs and steals others'. Jobs only
    /// worker 0 may run (its share of a `broadcast` or `spawn_broadcast`)
    /// wait until it does, so a `broadcast` from *another* thread returns
    /// only once this thread has waited in the pool. The start and exit
    /// handlers, the thread name and pinning do not apply to it.
    ///
    /// Dropping (or shutting down) the pool **on this thread** runs what
    /// is left in worker 0's own queues and then unregisters the thread
    /// (parallel calls made on it afterwards go to the global pool). The
    /// worker's state and the pool's shared state stay allocated for the
    /// life of the process, as with rayon: a frame of the pool may still be
    /// below the drop on this thread's stack. A pool dropped on another
    /// thread cannot reach this thread: the thread then stays registered as
    /// worker 0 of the terminated pool (its parallel calls still complete,
    /// on whatever workers are left, itself at least), so drop such a pool
    /// where it was built.
    ///
    /// `build` fails with [`BuildError::CurrentThreadInPool`] on a thread
    /// that already is a worker of a pool.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).use_current_thread().build().unwrap();
    /// // This thread is worker 0: install runs here, and joins use it too.
    /// assert_eq!(amrkit_pool::current_thread_index(), Some(0));
    /// assert_eq!(pool.install(amrkit_pool::current_thread_index), Some(0));
    /// assert_eq!(pool.broadcast(|i| i), vec![0, 1]);
    /// drop(pool); // on the building thread: unregisters it
    /// assert_eq!(amrkit_pool::current_thread_index(), None);
    /// ```
    pub fn use_current_thread(mut self) -> Self {
        self.use_current_thread = true;
        self
    }

    /// Builds the pool and makes it the global pool — the one that calls off
    /// any pool (`join`, `par`, `scope`, `spawn` from a plain thread) use.
    /// Must run before the global pool is first used; afterwards it returns
    /// [`BuildError::GlobalAlreadyInitialized`] and leaves it unchanged.
    ///
    /// ```
    /// // In a doctest this process has not used the global pool yet.
    /// amrkit_pool::Pool::builder().num_threads(2).build_global().unwrap();
    /// assert_eq!(amrkit_pool::global().num_threads(), 2);
    /// assert!(amrkit_pool::Pool::builder().build_global().is_err());
    /// ```
    #[cfg(not(loom))]
    pub fn build_global(self) -> Result<(), BuildError> {
        if GLOBAL.get().is_some() {
            return Err(BuildError::GlobalAlreadyInitialized);
        }
        let pool = self.thread_name_default("amrkit-global").build()?;
        // A racing first use may have won; ours is then dropped (its
        // workers told to exit).
        GLOBAL
            .set(pool)
            .map_err(|_| BuildError::GlobalAlreadyInitialized)
    }

    #[cfg(not(loom))]
    fn thread_name_default(mut self, prefix: &'static str) -> Self {
        if self.thread_name.is_none() {
            self.thread_name = Some(Box::new(move |i| format!("{prefix}-{i}")));
        }
        self
    }

    /// Starts the worker threads.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build()?;
    /// assert_eq!(pool.install(|| 40 + 2), 42);
    /// # Ok::<(), amrkit_pool::BuildError>(())
    /// ```
    pub fn build(self) -> Result<Pool, BuildError> {
        let n = match self.num_threads {
            Some(n) => n,
            None => default_num_threads()?,
        };
        if self.use_current_thread && !WorkerThread::current().is_null() {
            return Err(BuildError::CurrentThreadInPool);
        }
        let registry = Registry::new(RegistryConfig {
            num_threads: n,
            spin_rounds: self.spin_rounds,
            panic_handler: self.panic_handler,
            start_handler: self.start_handler,
            exit_handler: self.exit_handler,
        });
        let cores = match &self.pin {
            PinPolicy::None => None,
            PinPolicy::IfSupported => core_ids().map(|c| (c, 0, Vec::new())),
            PinPolicy::Offset(k) => core_ids().map(|c| (c, *k, Vec::new())),
            PinPolicy::Cores(list) if list.is_empty() => None,
            PinPolicy::Cores(list) => core_ids().map(|c| (c, 0, list.clone())),
        };
        // Until `build` returns, the workers started so far are owned by
        // this guard: a panic in a builder callback (`thread_name`, say) or
        // a failed spawn terminates and joins them before it propagates.
        let mut started = Started {
            registry: registry.clone(),
            handles: Vec::with_capacity(n),
        };
        let first_thread = usize::from(self.use_current_thread);
        for index in first_thread..n.max(1) {
            let name = match &self.thread_name {
                Some(f) => f(index),
                None => format!("amrkit-pool-{index}"),
            };
            let mut builder = thread::Builder::new().name(name);
            if let Some(size) = self.stack_size {
                builder = builder.stack_size(size);
            }
            let reg = registry.clone();
            let core = cores.as_ref().map(|(c, offset, list)| {
                let k = if list.is_empty() {
                    offset + index
                } else {
                    list[index % list.len()]
                };
                c[k % c.len()]
            });
            let h = builder
                .spawn(move || {
                    pin_current(core);
                    WorkerThread::run(index, reg);
                })
                .map_err(BuildError::Spawn)?;
            started.handles.push(h);
        }
        let current = if self.use_current_thread {
            WorkerThread::register_current(0, registry.clone())
        } else {
            ptr::null()
        };
        if self.use_current_thread && current.is_null() {
            // A builder callback made this thread a worker meanwhile (it
            // built another such pool): `started` stops ours.
            return Err(BuildError::CurrentThreadInPool);
        }
        Ok(Pool {
            registry,
            handles: Mutex::new(std::mem::take(&mut started.handles)),
            current_thread: current as usize,
        })
    }
}

/// The workers `build` has started, until it returns the pool: dropped
/// early (an error, or a panic unwinding through `build`), it terminates
/// them and joins them, so none is left parked for ever and every exit
/// handler runs. On success `build` takes the handles out first.
struct Started {
    registry: Arc<Registry>,
    handles: Vec<thread::JoinHandle<()>>,
}

impl Drop for Started {
    fn drop(&mut self) {
        if self.handles.is_empty() {
            return;
        }
        self.registry.terminate();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

#[cfg(not(loom))]
type CoreId = core_affinity::CoreId;
#[cfg(loom)]
type CoreId = usize;

/// The cores the *process* may use: on Linux the main thread's affinity
/// mask (`sched_getaffinity` of the process id), not the calling thread's,
/// so a pool built on a pinned thread still spreads over the process's
/// cores.
#[cfg(all(not(loom), target_os = "linux"))]
fn core_ids() -> Option<Vec<CoreId>> {
    // SAFETY: `cpu_set_t` is plain data; zeroed is a valid empty set, and
    // sched_getaffinity writes at most `size_of::<cpu_set_t>()` bytes.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above; getpid cannot fail.
    let r = unsafe {
        libc::sched_getaffinity(
            libc::getpid(),
            std::mem::size_of::<libc::cpu_set_t>(),
            &mut set,
        )
    };
    if r != 0 {
        return core_affinity::get_core_ids().filter(|c| !c.is_empty());
    }
    let ids: Vec<CoreId> = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `i` is below CPU_SETSIZE, the set's capacity.
        .filter(|&i| unsafe { libc::CPU_ISSET(i, &set) })
        .map(|id| CoreId { id })
        .collect();
    (!ids.is_empty()).then_some(ids)
}

#[cfg(all(not(loom), not(target_os = "linux")))]
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
/// Dropping it only *signals* termination and returns at once: the workers
/// still run every job already queued or spawned (and whatever those jobs
/// spawn), then run their exit handlers and exit. So a drop cannot deadlock
/// on a worker that waits for something the dropping thread does next.
/// [`Pool::shutdown`] is the blocking form: it returns once all that work
/// has run and every worker thread has exited.
///
/// ```
/// use std::sync::mpsc::channel;
/// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// let (tx, rx) = channel::<u32>();
/// let (done_tx, done_rx) = channel();
/// pool.spawn(move || done_tx.send(rx.recv().unwrap() + 1).unwrap());
/// drop(pool); // returns although the job waits for us
/// tx.send(41).unwrap();
/// assert_eq!(done_rx.recv().unwrap(), 42); // the job still ran
/// ```
pub struct Pool {
    registry: Arc<Registry>,
    handles: Mutex<Vec<thread::JoinHandle<()>>>,
    /// With `use_current_thread`: the building thread's worker state (a
    /// `*const WorkerThread`, as an address so the pool stays `Send`); 0
    /// otherwise, or once released.
    current_thread: usize,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("num_threads", &self.num_threads())
            .finish()
    }
}

impl Pool {
    /// A builder with default settings.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().build().unwrap();
    /// assert!(pool.num_threads() >= 1);
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }

    /// Number of worker threads.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// assert_eq!(pool.num_threads(), 2);
    /// ```
    pub fn num_threads(&self) -> usize {
        self.registry.num_threads()
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Runs `f` on a worker of this pool and returns its result; the caller
    /// blocks meanwhile (a worker of another pool runs its own pool's jobs
    /// while it waits, so pools may call into each other in any nesting).
    /// `join`, `scope` and `par` calls inside `f` use this pool. A panic in
    /// `f` resumes in the caller.
    ///
    /// ```
    /// let a = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let b = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// assert_eq!(a.install(|| b.install(|| a.install(|| 1))), 1);
    /// ```
    pub fn install<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        self.registry.in_worker(f)
    }

    /// [`crate::join`] on this pool.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// assert_eq!(pool.join(|| 1, || "two"), (1, "two"));
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        self.install(move || crate::join(a, b))
    }

    /// [`crate::scope`] on this pool: the body runs on a worker.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let mut v = vec![0; 3];
    /// pool.scope(|s| for (i, x) in v.iter_mut().enumerate() { s.spawn(move |_| *x = i) });
    /// assert_eq!(v, [0, 1, 2]);
    /// ```
    pub fn scope<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&crate::Scope<'scope>) -> R + Send,
        R: Send,
    {
        self.install(move || crate::scope(op))
    }

    /// Runs `f` in the background on this pool and returns its handle:
    /// [`SpawnHandle::join`] gives the result or the panic; dropping the
    /// handle detaches the job, whose panic then goes to the pool's panic
    /// handler (it never takes the process down).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let h = pool.spawn(|| (1..=10).sum::<u32>());
    /// pool.spawn(|| println!("detached"));
    /// assert_eq!(h.join().unwrap(), 55);
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> SpawnHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_in(&self.registry, f, Order::Lifo)
    }

    /// [`Pool::spawn`] in FIFO order: called on a worker of this pool, the
    /// job starts after the FIFO spawns this thread made before it (a plain
    /// `spawn` starts before the spawns made before it, LIFO). Other
    /// workers still steal the oldest first. Off the pool, both kinds go
    /// to the pool's FIFO injector.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let order = std::sync::Arc::new(Mutex::new(Vec::new()));
    /// let o = order.clone();
    /// pool.install(move || {
    ///     for i in 0..4 {
    ///         let o = o.clone();
    ///         amrkit_pool::spawn_fifo(move || o.lock().unwrap().push(i));
    ///     }
    /// });
    /// pool.shutdown();
    /// assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
    /// ```
    pub fn spawn_fifo<F, T>(&self, f: F) -> SpawnHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_in(&self.registry, f, Order::Fifo)
    }

    /// Opens a scope whose body runs **on the calling thread** (no `Send`
    /// bound on `op`, so it may borrow thread-bound data); jobs spawned in it
    /// run on this pool. Returns once every spawned job has finished. A
    /// worker of another pool keeps running its own pool's jobs meanwhile.
    ///
    /// ```
    /// use std::rc::Rc;
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let local = Rc::new(5); // not Send: fine, the body stays on this thread
    /// let mut out = [0u32; 4];
    /// pool.in_place_scope(|s| {
    ///     let k = *local;
    ///     for (i, x) in out.iter_mut().enumerate() {
    ///         s.spawn(move |_| *x = k * i as u32);
    ///     }
    /// });
    /// assert_eq!(out, [0, 5, 10, 15]);
    /// ```
    pub fn in_place_scope<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&crate::Scope<'scope>) -> R,
    {
        crate::scope::in_place_scope_on(&self.registry, Kind::Plain, op)
    }

    /// [`crate::scope_fifo`] on this pool: the body runs on a worker.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let order = Mutex::new(Vec::new());
    /// pool.scope_fifo(|s| {
    ///     for i in 0..3 {
    ///         let order = &order;
    ///         s.spawn_fifo(move |_| order.lock().unwrap().push(i));
    ///     }
    /// });
    /// assert_eq!(order.into_inner().unwrap(), [0, 1, 2]);
    /// ```
    pub fn scope_fifo<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&crate::Scope<'scope>) -> R + Send,
        R: Send,
    {
        self.install(move || crate::scope_fifo(op))
    }

    /// [`Pool::in_place_scope`] with the FIFO order of
    /// [`crate::scope_fifo`]: the body runs on the calling thread.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let mut out = [0u32; 4];
    /// pool.in_place_scope_fifo(|s| {
    ///     for (i, x) in out.iter_mut().enumerate() {
    ///         s.spawn_fifo(move |_| *x = i as u32 * 2);
    ///     }
    /// });
    /// assert_eq!(out, [0, 2, 4, 6]);
    /// ```
    pub fn in_place_scope_fifo<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&crate::Scope<'scope>) -> R,
    {
        crate::scope::in_place_scope_on(&self.registry, Kind::Fifo, op)
    }

    /// Runs `f(worker_index)` once on every worker and returns the results
    /// by worker index. Panics resume in the caller after all calls ended.
    /// Parallel calls nested in `f` inherit the caller's `max_threads` cap.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(3).build().unwrap();
    /// assert_eq!(pool.broadcast(|i| i * 10), vec![0, 10, 20]);
    /// ```
    pub fn broadcast<F, R>(&self, f: F) -> Vec<R>
    where
        F: Fn(usize) -> R + Sync,
        R: Send,
    {
        self.install(|| crate::broadcast::broadcast_in_worker(&f))
    }

    /// Runs `f` once on every worker without waiting for it: worker `i`
    /// calls it with a [`BroadcastContext`] of index `i` when it next looks
    /// for work, after the broadcasts queued to it before (so a blocking
    /// [`Pool::broadcast`] made afterwards returns only once every earlier
    /// `spawn_broadcast` has run everywhere). A panic in `f` goes to the
    /// pool's panic handler, as for a detached [`Pool::spawn`]. `f` is
    /// dropped after its last call.
    ///
    /// ```
    /// use std::sync::mpsc::channel;
    /// let pool = amrkit_pool::Pool::builder().num_threads(3).build().unwrap();
    /// let (tx, rx) = channel();
    /// pool.spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap());
    /// // The channel closes when the last call drops `f` (and `tx`).
    /// let mut seen: Vec<usize> = rx.iter().collect();
    /// seen.sort();
    /// assert_eq!(seen, [0, 1, 2]);
    /// ```
    pub fn spawn_broadcast<F>(&self, f: F)
    where
        F: Fn(BroadcastContext) + Send + Sync + 'static,
    {
        crate::broadcast::spawn_broadcast_in(&self.registry, f)
    }

    /// Data-parallel operations on this pool (see [`crate::Par`]).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// assert_eq!(pool.par().map(&[1, 2, 3], |x| x * x), vec![1, 4, 9]);
    /// ```
    pub fn par(&self) -> crate::Par<'_> {
        crate::Par::on(self)
    }

    /// Per-worker counters since the pool started.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// pool.install(|| amrkit_pool::join(|| (), || ()));
    /// assert!(pool.stats().total_executed() >= 1);
    /// ```
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            workers: self.registry.worker_stats().map(|s| s.snapshot()).collect(),
        }
    }

    /// Terminates the pool and waits: returns once every job queued or
    /// spawned before (and whatever those jobs spawn) has run and every
    /// worker thread has run its exit handler and exited. Dropping the pool
    /// signals the same termination without waiting.
    ///
    /// Called from one of this pool's own workers it cannot wait for its own
    /// thread: it then only signals, as a drop does.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let h = pool.spawn(|| 3);
    /// pool.shutdown();
    /// assert!(h.is_finished());
    /// assert_eq!(h.join().unwrap(), 3);
    /// ```
    pub fn shutdown(mut self) {
        self.registry.terminate();
        self.release_current_thread();
        if self.on_own_worker() {
            return;
        }
        for h in std::mem::take(&mut *self.handles.lock()) {
            let _ = h.join();
        }
    }

    /// With `use_current_thread`, on the building thread: runs worker 0's
    /// own leftover jobs and unregisters the thread (see
    /// [`PoolBuilder::use_current_thread`]).
    fn release_current_thread(&mut self) {
        let wt = self.current_thread as *const WorkerThread;
        // SAFETY: `current_thread` came from `register_current` and is
        // cleared once released.
        if !wt.is_null() && unsafe { WorkerThread::release_current(wt) } {
            self.current_thread = 0;
        }
    }

    /// Whether the current thread is one of this pool's workers.
    fn on_own_worker(&self) -> bool {
        let wt = WorkerThread::current();
        // SAFETY: non-null means this thread's own live worker.
        unsafe { wt.as_ref() }.is_some_and(|w| ptr::eq(&**w.registry(), &*self.registry))
    }
}

impl Drop for Pool {
    /// Signals termination and returns: the workers run what is queued,
    /// then exit on their own (their join handles are dropped, detaching
    /// them). See [`Pool::shutdown`] for the blocking form.
    fn drop(&mut self) {
        self.registry.terminate();
        self.release_current_thread();
    }
}

#[cfg(not(loom))]
static GLOBAL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();

/// The global pool: the one [`PoolBuilder::build_global`] configured, or, on
/// first use, one built with default settings ([`default_num_threads`]).
/// Calls made outside any pool run here.
///
/// An invalid `AMRKIT_NUM_THREADS` does not make a parallel call panic: the
/// default pool then uses the number of CPUs and says so once on stderr
/// (`build_global` and `build` report it as [`BuildError::InvalidThreadCount`]).
///
/// ```
/// let n = amrkit_pool::global().num_threads();
/// assert!(n >= 1);
/// ```
///
/// # Panics
/// If not even one worker thread can be started.
#[cfg(not(loom))]
pub fn global() -> &'static Pool {
    GLOBAL.get_or_init(|| {
        let builder = Pool::builder().thread_name_default("amrkit-global");
        let builder = match default_num_threads() {
            Ok(n) => builder.num_threads(n),
            Err(e) => {
                let n = num_cpus::get().max(1);
                eprintln!("amrkit-pool: {e}; the global pool uses {n} threads");
                builder.num_threads(n)
            }
        };
        builder
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
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(4).build().unwrap();
/// assert_eq!(pool.install(amrkit_pool::current_num_threads), 4);
/// let capped = pool.par().max_threads(2).map_range(0..1, |_| amrkit_pool::current_num_threads());
/// assert_eq!(capped, vec![2]);
/// ```
pub fn current_num_threads() -> usize {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    match unsafe { wt.as_ref() } {
        Some(w) => w.registry().num_threads().min(OpCtx::cap_of(w.ctx())),
        None => global_registry().num_threads(),
    }
}

/// Index of the current thread in its pool, or `None` off any pool.
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// assert_eq!(amrkit_pool::current_thread_index(), None);
/// assert!(pool.install(amrkit_pool::current_thread_index).unwrap() < 2);
/// ```
pub fn current_thread_index() -> Option<usize> {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    unsafe { wt.as_ref() }.map(|w| w.index())
}

/// [`Pool::spawn`] on the current pool (the global pool off any pool).
///
/// ```
/// let h = amrkit_pool::spawn(|| 2 + 2);
/// assert_eq!(h.join().unwrap(), 4);
/// ```
pub fn spawn<F, T>(f: F) -> SpawnHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let registry = match unsafe { wt.as_ref() } {
        Some(w) => w.registry().clone(),
        None => global_registry().clone(),
    };
    spawn_in(&registry, f, Order::Lifo)
}

/// [`Pool::spawn_fifo`] on the current pool (the global pool off any
/// pool).
///
/// ```
/// let h = amrkit_pool::spawn_fifo(|| 2 + 2);
/// assert_eq!(h.join().unwrap(), 4);
/// ```
pub fn spawn_fifo<F, T>(f: F) -> SpawnHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let registry = match unsafe { wt.as_ref() } {
        Some(w) => w.registry().clone(),
        None => global_registry().clone(),
    };
    spawn_in(&registry, f, Order::Fifo)
}

/// What [`yield_now`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Yield {
    /// It ran one job of the pool.
    Executed,
    /// It found no job to run.
    Idle,
}

/// On a worker, runs one pending job of its pool if there is one (its own
/// queues, the pool's injector, or one stolen from another worker) and
/// returns what it did; `None` off any pool. For code that polls something
/// (a flag, a channel) on a worker and wants the pool to make progress
/// meanwhile.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// assert_eq!(amrkit_pool::yield_now(), None);
/// let done = AtomicBool::new(false);
/// pool.install(|| {
///     amrkit_pool::scope(|s| {
///         s.spawn(|_| done.store(true, Ordering::SeqCst));
///         // One worker: the spawned job runs only if we yield to it.
///         while !done.load(Ordering::SeqCst) {
///             amrkit_pool::yield_now();
///         }
///     })
/// });
/// ```
pub fn yield_now() -> Option<Yield> {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let w = unsafe { wt.as_ref() }?;
    Some(if w.run_one() {
        Yield::Executed
    } else {
        Yield::Idle
    })
}

/// On a worker, runs one job of **its own** queues if there is one (its
/// eager deque — scoped and detached spawns it made — then its inbox of jobs
/// addressed to it) and returns what it did; `None` off any pool. Unlike
/// [`yield_now`] it never takes a job from another worker or from the
/// pool's shared injector, so what runs is work this thread queued or was
/// handed: for code that polls and wants its own spawns to make progress
/// without picking up unrelated, possibly long, jobs.
///
/// ```
/// use amrkit_pool::Yield;
/// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// assert_eq!(amrkit_pool::yield_local(), None);
/// pool.install(|| {
///     let h = amrkit_pool::spawn(|| 7); // on this worker's own deque
///     assert_eq!(amrkit_pool::yield_local(), Some(Yield::Executed));
///     assert!(h.is_finished());
///     assert_eq!(amrkit_pool::yield_local(), Some(Yield::Idle));
/// });
/// ```
pub fn yield_local() -> Option<Yield> {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let w = unsafe { wt.as_ref() }?;
    Some(if w.run_local() {
        Yield::Executed
    } else {
        Yield::Idle
    })
}

impl Pool {
    /// [`yield_now`] if the current thread is a worker of this pool;
    /// `None` otherwise (off any pool, or on another pool's worker).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// assert_eq!(pool.yield_now(), None);
    /// assert_eq!(pool.install(|| pool.yield_now()), Some(amrkit_pool::Yield::Idle));
    /// ```
    pub fn yield_now(&self) -> Option<Yield> {
        if self.on_own_worker() {
            yield_now()
        } else {
            None
        }
    }

    /// [`yield_local`] if the current thread is a worker of this pool;
    /// `None` otherwise (off any pool, or on another pool's worker).
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let other = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// assert_eq!(other.install(|| pool.yield_local()), None);
    /// assert_eq!(pool.install(|| pool.yield_local()), Some(amrkit_pool::Yield::Idle));
    /// ```
    pub fn yield_local(&self) -> Option<Yield> {
        if self.on_own_worker() {
            yield_local()
        } else {
            None
        }
    }
}

/// [`Pool::spawn_broadcast`] on the current pool (the global pool off any
/// pool).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// let calls = Arc::new(AtomicUsize::new(0));
/// let c = calls.clone();
/// pool.install(move || amrkit_pool::spawn_broadcast(move |_| { c.fetch_add(1, Ordering::SeqCst); }));
/// pool.shutdown(); // runs queued work first
/// assert_eq!(calls.load(Ordering::SeqCst), 2);
/// ```
pub fn spawn_broadcast<F>(f: F)
where
    F: Fn(BroadcastContext) + Send + Sync + 'static,
{
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let registry = match unsafe { wt.as_ref() } {
        Some(w) => w.registry().clone(),
        None => global_registry().clone(),
    };
    crate::broadcast::spawn_broadcast_in(&registry, f)
}
