//! Scoped spawning: `scope(|s| { s.spawn(|s| …); })`.

use crate::cap::OpCtx;
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
    in_place_scope_on(&registry, op)
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
    let wt = WorkerThread::current();
    // SAFETY: non-null means this thread's own live worker.
    let registry = match unsafe { wt.as_ref() } {
        Some(w) => w.registry().clone(),
        None => crate::pool::global_registry().clone(),
    };
    in_place_scope_on(&registry, op)
}

/// Runs `op` on the calling thread in a scope whose jobs run on `registry`.
pub(crate) fn in_place_scope_on<'scope, OP, R>(registry: &Arc<Registry>, op: OP) -> R
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
        let job = Self::job_for(self as *const Scope<'scope>, f);
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
