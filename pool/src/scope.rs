//! Scoped spawning: `scope(|s| { s.spawn(|s| …); })`.
//!
//! A scope counts its outstanding jobs (plus one for its body) in a
//! `CountLatch` and its caller waits for the count to reach zero, running
//! other work meanwhile. `spawn` queues LIFO (the spawner's newest spawn
//! runs first), `spawn_fifo` FIFO through per-thread tickets (`fifo.rs`),
//! `spawn_broadcast` one job per worker. Design: `docs/pool.md`, "FIFO
//! spawns", "Broadcasts", and "Life cycle" (why an empty scope never waits).

use crate::broadcast::BroadcastContext;
use crate::cap::OpCtx;
use crate::fifo::JobFifo;
use crate::job::{CtxScope, HeapJob, JobRef};
use crate::latch::{CountLatch, Latch};
use crate::registry::{Registry, WorkerThread};
use crate::sync::{Arc, Mutex};
use std::any::Any;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

/// A scope in which closures borrowing from the enclosing stack may be
/// spawned. Every spawned closure has finished when [`scope`] returns.
pub struct Scope<'scope> {
    registry: Arc<Registry>,
    /// Outstanding jobs, plus one for the scope body until it returns.
    latch: CountLatch,
    /// The first panic of a spawned job, resumed by the scope's caller.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// The `max_threads` context of the code that opened the scope.
    ctx: *const OpCtx,
    /// The worker that opened the scope and waits for it.
    owner: usize,
    /// With `scope_fifo`: one ticket queue per worker of the pool, for the
    /// FIFO spawns that worker makes into this scope (`fifo.rs`). Empty for
    /// `scope`: its FIFO spawns use the spawning worker's own queue.
    fifos: Box<[JobFifo]>,
    /// Invariant in `'scope`, like `std::thread::Scope`.
    marker: PhantomData<&'scope mut &'scope ()>,
}

// SAFETY: the only non-Send/Sync field is `ctx`, a pointer to an OpCtx
// whose mutable state is atomic; the ctx outlives the scope.
unsafe impl Send for Scope<'_> {}
// SAFETY: as above; every other field is Sync.
unsafe impl Sync for Scope<'_> {}

struct SendPtr<T>(*const T);
// SAFETY: used only to move a `*const Scope` (Scope is Sync) into a job.
unsafe impl<T> Send for SendPtr<T> {}

/// Opens a scope on the current pool (the global pool off any pool), runs
/// `op` in it and waits for every job spawned in it. Off any pool the body
/// itself runs on a worker of the global pool (hence `Send`); see
/// [`in_place_scope`] for a body that stays on the calling thread.
///
/// A panic in `op` or in any spawned job resumes in the caller once every
/// spawned job has finished.
///
/// ```
/// let mut halves = [0u64; 2];
/// let (lo, hi) = halves.split_at_mut(1);
/// amrkit_pool::scope(|s| {
///     s.spawn(|_| lo[0] = (0..50).sum());
///     s.spawn(|_| hi[0] = (50..100).sum());
/// });
/// assert_eq!(halves[0] + halves[1], 4950);
/// ```
pub fn scope<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R + Send,
    R: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return crate::pool::global_registry().in_worker(move || scope(op));
    }
    // SAFETY: non-null means this thread's own live worker.
    let registry = unsafe { &*wt }.registry().clone();
    in_place_scope_on(&registry, Kind::Plain, op)
}

/// [`scope`] whose FIFO spawns keep an order of their own: the jobs one
/// thread spawns into it with [`Scope::spawn_fifo`] start in the order they
/// were spawned (rayon's `scope_fifo`). Spawns of different threads, of
/// other scopes, or plain `spawn`s interleaved with them are ordered only
/// among themselves (see `docs/pool.md`, "FIFO spawns").
///
/// ```
/// use std::sync::Mutex;
/// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
/// let order = Mutex::new(Vec::new());
/// pool.install(|| {
///     amrkit_pool::scope_fifo(|s| {
///         for i in 0..4 {
///             let order = &order;
///             s.spawn_fifo(move |_| order.lock().unwrap().push(i));
///         }
///     })
/// });
/// // One worker: nothing was stolen, so the order is exactly FIFO.
/// assert_eq!(order.into_inner().unwrap(), [0, 1, 2, 3]);
/// ```
pub fn scope_fifo<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R + Send,
    R: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return crate::pool::global_registry().in_worker(move || scope_fifo(op));
    }
    // SAFETY: non-null means this thread's own live worker.
    let registry = unsafe { &*wt }.registry().clone();
    in_place_scope_on(&registry, Kind::Fifo, op)
}

/// [`in_place_scope`] with the FIFO order of [`scope_fifo`].
///
/// ```
/// let total = std::sync::atomic::AtomicU64::new(0);
/// amrkit_pool::in_place_scope_fifo(|s| {
///     for i in 0..10u64 {
///         let total = &total;
///         s.spawn_fifo(move |_| { total.fetch_add(i, std::sync::atomic::Ordering::Relaxed); });
///     }
/// });
/// assert_eq!(total.into_inner(), 45);
/// ```
pub fn in_place_scope_fifo<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    in_place_scope_on(&current_registry(), Kind::Fifo, op)
}

/// Which queues a scope's FIFO spawns use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `scope`: the spawning worker's own FIFO queue.
    Plain,
    /// `scope_fifo`: queues of the scope's own, one per worker.
    Fifo,
}

/// The current thread's pool, or the global pool off any pool.
fn current_registry() -> Arc<Registry> {
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    match unsafe { wt.as_ref() } {
        Some(w) => w.registry().clone(),
        None => crate::pool::global_registry().clone(),
    }
}

/// Opens a scope whose body runs on the calling thread (no `Send` bound),
/// with jobs spawned on the current pool (the global pool off any pool).
///
/// ```
/// use std::cell::Cell;
/// let not_sync = Cell::new(0); // the body may use it: it stays on this thread
/// let total = std::sync::atomic::AtomicU64::new(0);
/// amrkit_pool::in_place_scope(|s| {
///     for i in 0..10u64 {
///         let total = &total;
///         s.spawn(move |_| { total.fetch_add(i, std::sync::atomic::Ordering::Relaxed); });
///         not_sync.set(not_sync.get() + 1);
///     }
/// });
/// assert_eq!((not_sync.get(), total.into_inner()), (10, 45));
/// ```
pub fn in_place_scope<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    in_place_scope_on(&current_registry(), Kind::Plain, op)
}

/// Runs `op` on the calling thread in a scope whose jobs run on `registry`.
///
/// A scope in which nothing was spawned never waits for another thread:
/// the body's own count-down (below) brings the count to zero on this
/// thread, so the wait finds its latch set at once, whatever the other
/// workers are doing (`tests/rayon_parity/empty_scope.rs`).
pub(crate) fn in_place_scope_on<'scope, OP, R>(registry: &Arc<Registry>, kind: Kind, op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let w = unsafe { wt.as_ref() };
    let same_pool = w.is_some_and(|w| ptr::eq(&**w.registry(), &**registry));
    let (latch, ctx, owner) = match w {
        // The caller's cap applies to its own pool only.
        Some(w) if same_pool => (CountLatch::new(1, w.index()), w.ctx(), w.index()),
        Some(w) => (
            CountLatch::new_cross(1, w.index(), w.registry().clone()),
            ptr::null(),
            usize::MAX,
        ),
        None => (CountLatch::new_outside(1), ptr::null(), usize::MAX),
    };
    let scope = Scope {
        registry: registry.clone(),
        latch,
        panic: Mutex::new(None),
        ctx,
        owner,
        fifos: match kind {
            Kind::Plain => Box::new([]),
            Kind::Fifo => (0..registry.num_threads())
                .map(|_| JobFifo::new())
                .collect(),
        },
        marker: PhantomData,
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| op(&scope)));
    // The body's own count.
    // SAFETY: the latch is live (we own it) and `registry` is its pool.
    unsafe { CountLatch::set(&scope.latch, registry) };
    match w {
        Some(w) => w.wait_for(&scope.latch),
        None => scope.latch.wait_outside(),
    }
    let spawned_panic = scope.panic.lock().take();
    match result {
        Err(p) => panic::resume_unwind(p),
        Ok(_) if spawned_panic.is_some() => panic::resume_unwind(spawned_panic.unwrap()),
        Ok(r) => r,
    }
}

impl<'scope> Scope<'scope> {
    /// Spawns `f` into the scope. It may run on any worker of the pool.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let n = std::sync::atomic::AtomicUsize::new(0);
    /// pool.scope(|s| {
    ///     s.spawn(|s| {
    ///         n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///         s.spawn(|_| { n.fetch_add(1, std::sync::atomic::Ordering::Relaxed); });
    ///     });
    /// });
    /// assert_eq!(n.into_inner(), 2);
    /// ```
    ///
    /// Under a `max_threads` cap with no free slot, `f` is deferred: the
    /// worker that opened the scope runs it when it waits (at the latest
    /// when the scope body returns). It never runs inside `spawn` itself,
    /// so a spawned job may wait for something the body does after `spawn`.
    pub fn spawn<F>(&self, f: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        self.latch.increment();
        self.queue(Self::job_for(self as *const Scope<'scope>, f));
    }

    /// Spawns `f` into the scope in FIFO order: among the jobs this thread
    /// spawns into this scope with `spawn_fifo`, the older starts first (in
    /// a scope opened by `scope` rather than [`scope_fifo`], among all this
    /// thread's FIFO spawns outside FIFO scopes). Otherwise as
    /// [`Scope::spawn`], `max_threads` deferral included.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// let pool = amrkit_pool::Pool::builder().num_threads(1).build().unwrap();
    /// let order = Mutex::new(Vec::new());
    /// pool.scope(|s| {
    ///     let order = &order;
    ///     s.spawn(move |_| order.lock().unwrap().push("lifo 1"));
    ///     s.spawn(move |_| order.lock().unwrap().push("lifo 2"));
    ///     s.spawn_fifo(move |_| order.lock().unwrap().push("fifo 1"));
    ///     s.spawn_fifo(move |_| order.lock().unwrap().push("fifo 2"));
    /// });
    /// // One worker, which takes its newest entry first: the tickets of the
    /// // two FIFO spawns run the FIFO jobs oldest first, then the LIFO ones.
    /// assert_eq!(order.into_inner().unwrap(), ["fifo 1", "fifo 2", "lifo 2", "lifo 1"]);
    /// ```
    pub fn spawn_fifo<F>(&self, f: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        self.latch.increment();
        let job = Self::job_for(self as *const Scope<'scope>, f);
        let job = match self.registry.current_fifo() {
            Some((own, index)) => {
                let fifo = self.fifos.get(index).unwrap_or(own);
                // SAFETY: a scope's queue outlives its tickets (the scope
                // waits for every job, and a ticket touches its queue only
                // before running its job); a worker's lives in the registry.
                unsafe { fifo.push(job) }
            }
            // Off the pool: the injector is FIFO already.
            None => job,
        };
        self.queue(job);
    }

    /// Runs `f` once on every worker of the scope's pool, each call told
    /// its worker's index ([`BroadcastContext`]), without waiting: the
    /// scope's end waits for them, and a panic in one resumes in the
    /// scope's caller, as for [`Scope::spawn`]. Each worker runs its call
    /// after the broadcasts queued to it before (FIFO), when it next looks
    /// for work. Parallel calls inside `f` inherit the scope's
    /// `max_threads` cap, but the broadcast itself does not defer to it:
    /// it runs on every worker.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = amrkit_pool::Pool::builder().num_threads(3).build().unwrap();
    /// let seen: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
    /// pool.scope(|s| {
    ///     s.spawn_broadcast(|_, ctx| {
    ///         assert_eq!(ctx.num_threads(), 3);
    ///         seen[ctx.index()].fetch_add(1, Ordering::Relaxed);
    ///     });
    /// });
    /// assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
    /// ```
    pub fn spawn_broadcast<F>(&self, f: F)
    where
        F: Fn(&Scope<'scope>, BroadcastContext) + Send + Sync + 'scope,
    {
        let n = self.registry.num_threads();
        // One count per job, taken before any job is queued (so the count
        // cannot reach zero while some are still to come). Relaxed, as in
        // `increment`: the body's own count keeps the latch from firing.
        self.latch.add(n);
        let f = Arc::new(f);
        let this = SendPtr(self as *const Scope<'scope>);
        for index in 0..n {
            let f = f.clone();
            let this = SendPtr(this.0);
            let job = HeapJob::into_job_ref(move || {
                let this = this;
                let ctx = BroadcastContext::new(index, n);
                // SAFETY: the scope waits for this job's count (contract of
                // `run_counted`); the caller's cap is passed on, not
                // reserved against (every worker runs its call).
                unsafe { Scope::run_counted(this.0, false, move |s| f(s, ctx)) }
            });
            self.registry.inject_broadcast(index, job);
        }
    }

    /// Queues a job of this scope from the current thread: to the owner's
    /// inbox when its cap has no free slot (deferred, see `spawn`), else
    /// on the current worker's deque, or the injector off the pool.
    fn queue(&self, job: JobRef) {
        // SAFETY: the ctx (if any) belongs to a call that encloses the scope
        // and so outlives every job of it.
        if !self.ctx.is_null() && !unsafe { OpCtx::has_room(self.ctx) } {
            self.registry.inject_to(self.owner, job);
            return;
        }
        self.registry.push_from_current(job);
    }

    fn job_for<F>(this: *const Scope<'scope>, f: F) -> JobRef
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        let this = SendPtr(this);
        HeapJob::into_job_ref(move || {
            let this = this;
            // SAFETY: the scope waits for its count to reach zero before it
            // is dropped, and this job holds one count until it finishes.
            unsafe { Scope::run_spawned(this.0, f) }
        })
    }

    /// Runs one spawned closure and counts it down.
    ///
    /// Takes a raw pointer, not `&self`: the final count-down lets the owner
    /// free the scope while this function is still running, and a `&Scope`
    /// argument would then be a dangling reference still in scope.
    ///
    /// # Safety
    /// `this` is live and this job holds one count of its latch.
    unsafe fn run_spawned<F>(this: *const Scope<'scope>, f: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        let wt = WorkerThread::current();
        // SAFETY: live until our count-down (contract).
        let (ctx, owner) = unsafe { ((*this).ctx, (*this).owner) };
        let mut reserved = false;
        // SAFETY: spawned jobs run only on the scope pool's workers.
        let w = unsafe { &*wt };
        if !ctx.is_null() && w.index() != owner {
            // SAFETY: the ctx outlives the scope (see `spawn`).
            if !unsafe { OpCtx::try_reserve(ctx) } {
                // No slot: hand the job to the scope's owner, which holds
                // one (see `cap.rs`). The count we hold moves with it.
                // SAFETY: `this` is live (contract).
                let registry = unsafe { &(*this).registry };
                registry.inject_to(owner, Self::job_for(this, f));
                return;
            }
            reserved = true;
        }
        // SAFETY: forwarded (contract).
        unsafe { Self::run_counted(this, reserved, f) }
    }

    /// Runs `f` in the scope's `max_threads` context, keeps its panic for
    /// the scope's caller, releases the slot `reserved` holds and counts
    /// the job down.
    ///
    /// # Safety
    /// `this` is live and this job holds one count of its latch; with
    /// `reserved`, this thread holds a slot of the scope's ctx.
    unsafe fn run_counted<F>(this: *const Scope<'scope>, reserved: bool, f: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        let wt = WorkerThread::current();
        // SAFETY: live until our count-down (contract).
        let ctx = unsafe { (*this).ctx };
        // SAFETY: scope jobs run only on the scope pool's workers.
        let w = unsafe { &*wt };
        {
            let _ctx = CtxScope::enter(wt, ctx);
            // SAFETY: live until our count-down below.
            let scope = unsafe { &*this };
            if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| f(scope))) {
                let mut slot = scope.panic.lock();
                if slot.is_none() {
                    *slot = Some(p);
                } else {
                    drop(slot);
                    crate::job::drop_quietly(p);
                }
            }
        }
        if reserved {
            // SAFETY: we hold the slot reserved above; the ctx is live.
            unsafe { OpCtx::release(ctx) };
        }
        // Count down. Once the count hits zero the scope may be freed, so the
        // registry used to wake the owner is our worker's (the same pool),
        // not one reached through `this`.
        // SAFETY: the latch is live until this call's final store; the
        // worker's registry is the scope's and outlives the call.
        debug_assert!(ptr::eq(&**w.registry(), unsafe { &*(*this).registry }));
        // SAFETY: as above.
        unsafe { CountLatch::set(ptr::addr_of!((*this).latch), w.registry()) }
    }
}
