//! Scoped spawning: `scope(|s| { s.spawn(|s| …); })`.

use crate::cap::OpCtx;
use crate::job::{CtxScope, HeapJob};
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
    /// Invariant in `'scope`, like `std::thread::Scope`.
    marker: PhantomData<&'scope mut &'scope ()>,
}

// SAFETY: the only non-Send/Sync field is `ctx`, a pointer to an OpCtx
// whose mutable state is atomic; the ctx outlives the scope.
unsafe impl Send for Scope<'_> {}
// SAFETY: as above; every other field is Sync.
unsafe impl Sync for Scope<'_> {}

struct SendPtr<T>(*const T);
// SAFETY: used only to move a `&Scope` (which is Sync) into a job.
unsafe impl<T> Send for SendPtr<T> {}

/// Opens a scope on the current pool (the global pool off any pool), runs
/// `op` in it and waits for every job spawned in it.
///
/// A panic in `op` or in any spawned job resumes in the caller once every
/// spawned job has finished.
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
    let wt = unsafe { &*wt };
    let scope = Scope {
        registry: wt.registry().clone(),
        latch: CountLatch::new(1, wt.index()),
        panic: Mutex::new(None),
        ctx: wt.ctx(),
        marker: PhantomData,
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| op(&scope)));
    // The body's own count.
    // SAFETY: the latch is live (we own it) and `wt.registry()` is its pool.
    unsafe { CountLatch::set(&scope.latch, wt.registry()) };
    wt.wait_for(&scope.latch);
    let spawned_panic = scope.panic.lock().take();
    match result {
        Err(p) => panic::resume_unwind(p),
        Ok(_) if spawned_panic.is_some() => panic::resume_unwind(spawned_panic.unwrap()),
        Ok(r) => r,
    }
}

impl<'scope> Scope<'scope> {
    /// Spawns `f` into the scope. It may run on any worker of the pool,
    /// or at once on this thread when the enclosing `max_threads` cap has
    /// no free slot.
    pub fn spawn<F>(&self, f: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        self.latch.increment();
        // SAFETY: the ctx (if any) belongs to a call that encloses the scope
        // and so outlives every job of it.
        let reserved = !self.ctx.is_null() && unsafe { OpCtx::try_reserve(self.ctx) };
        if !self.ctx.is_null() && !reserved {
            self.run_spawned(f, false);
            return;
        }
        let this = SendPtr(self as *const Scope<'scope>);
        let job = HeapJob::into_job_ref(move || {
            let this = this;
            // SAFETY: the scope waits for its count to reach zero before it
            // is dropped, and this job holds one count until it finishes.
            let scope = unsafe { &*this.0 };
            scope.run_spawned(f, reserved);
        });
        self.registry.push_from_current(job);
    }

    fn run_spawned<F>(&self, f: F, reserved: bool)
    where
        F: FnOnce(&Scope<'scope>),
    {
        let wt = WorkerThread::current();
        {
            let _ctx = CtxScope::enter(wt, self.ctx);
            if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
                let mut slot = self.panic.lock();
                if slot.is_none() {
                    *slot = Some(p);
                }
            }
        }
        if reserved {
            // SAFETY: we hold the slot reserved in `spawn`; the ctx is live.
            unsafe { OpCtx::release(self.ctx) };
        }
        // Count down. Once the count hits zero the scope may be freed, so
        // the registry used to wake the owner must not come from `self`
        // unless we hold our own reference to it.
        // SAFETY: non-null means this thread's own live worker.
        match unsafe { wt.as_ref() } {
            Some(w) if ptr::eq(&**w.registry(), &*self.registry) => {
                // SAFETY: the latch is live until this call's store; the
                // worker's registry is the scope's and outlives the call.
                unsafe { CountLatch::set(&self.latch, w.registry()) }
            }
            _ => {
                let registry = self.registry.clone();
                // SAFETY: as above, with our own reference to the registry.
                unsafe { CountLatch::set(&self.latch, &registry) }
            }
        }
    }
}
