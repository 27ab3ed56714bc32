//! Type-erased jobs.
//!
//! A [`JobRef`] is two words: a pointer to the job's data and the function
//! that runs it. Jobs live either on the stack of the thread that waits for
//! them ([`StackJob`], used by `join` and `install`) or on the heap
//! ([`HeapJob`], used by `spawn` and `broadcast`).

use crate::cap::OpCtx;
use crate::latch::Latch;
use crate::registry::WorkerThread;
use std::any::Any;
use std::cell::UnsafeCell;
use std::mem;
use std::panic::{self, AssertUnwindSafe};

/// A job that can be run through a raw pointer.
pub(crate) trait Job {
    /// # Safety
    /// `this` points to a live job that has not run yet; it runs at most once.
    unsafe fn execute(this: *const ());
}

/// A reference to a job somewhere in memory, as stored in the queues.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobRef {
    pointer: *const (),
    execute_fn: unsafe fn(*const ()),
}

// SAFETY: a JobRef is only created for jobs whose closures and results are
// `Send`, and the creator keeps the data alive until the job has run.
unsafe impl Send for JobRef {}

impl JobRef {
    /// # Safety
    /// `data` must stay valid until the job has executed.
    pub(crate) unsafe fn new<J: Job>(data: *const J) -> JobRef {
        JobRef {
            pointer: data as *const (),
            execute_fn: J::execute,
        }
    }

    /// Identity of the job (used by `join` to recognise its own job).
    #[inline]
    pub(crate) fn id(&self) -> *const () {
        self.pointer
    }

    /// # Safety
    /// The job must not have run before.
    #[inline]
    pub(crate) unsafe fn execute(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.execute_fn)(self.pointer) }
    }
}

/// What a job produced.
pub(crate) enum JobResult<T> {
    None,
    Ok(T),
    Panic(Box<dyn Any + Send>),
}

impl<T> JobResult<T> {
    pub(crate) fn call(f: impl FnOnce() -> T) -> Self {
        match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(v) => JobResult::Ok(v),
            Err(p) => JobResult::Panic(p),
        }
    }

    /// The value, or the job's panic resumed in this thread.
    pub(crate) fn into_return_value(self) -> T {
        match self {
            JobResult::Ok(v) => v,
            JobResult::Panic(p) => panic::resume_unwind(p),
            JobResult::None => unreachable!("job finished without a result"),
        }
    }
}

/// A job on the stack of the thread that will wait for it.
///
/// The owner keeps the `StackJob` alive until its latch is set (or until it
/// has taken the job back and run it itself), so a raw pointer to it may be
/// handed to another thread.
pub(crate) struct StackJob<L, F, R> {
    pub(crate) latch: L,
    func: UnsafeCell<Option<F>>,
    result: UnsafeCell<JobResult<R>>,
    /// The `max_threads` context of the code that created the job. When the
    /// job is published with a non-null context, a slot was reserved for it
    /// (see `cap.rs`), and whoever runs it releases that slot.
    ctx: *const OpCtx,
}

impl<L: Latch, F: FnOnce() -> R + Send, R: Send> StackJob<L, F, R> {
    pub(crate) fn new(func: F, latch: L, ctx: *const OpCtx) -> Self {
        StackJob {
            latch,
            func: UnsafeCell::new(Some(func)),
            result: UnsafeCell::new(JobResult::None),
            ctx,
        }
    }

    pub(crate) fn as_job_ref(&self) -> JobRef {
        // SAFETY: the owner keeps `self` alive until the job has run (it
        // waits for the latch or runs the job itself).
        unsafe { JobRef::new(self) }
    }

    /// Runs the closure on the owner's thread, after the owner took the job
    /// back before anyone else ran it.
    pub(crate) fn run_inline(self) -> R {
        let f = self.func.into_inner().expect("job already taken");
        f()
    }

    /// The result after the latch was observed set.
    pub(crate) fn into_result(self) -> R {
        self.result.into_inner().into_return_value()
    }

    pub(crate) fn ctx(&self) -> *const OpCtx {
        self.ctx
    }
}

impl<L: Latch, F: FnOnce() -> R + Send, R: Send> Job for StackJob<L, F, R> {
    unsafe fn execute(this: *const ()) {
        // SAFETY: `this` came from `as_job_ref` on a live StackJob of this type.
        let this = unsafe { &*(this as *const Self) };
        // SAFETY: only the one thread that dequeued the job touches `func`
        // and `result` until the latch is set; the queue hand-off (release
        // push, acquire steal) orders the owner's writes before these reads.
        let func = unsafe { (*this.func.get()).take() }.expect("job run twice");
        let wt = WorkerThread::current();
        let result = {
            let _ctx = CtxScope::enter(wt, this.ctx);
            JobResult::call(func)
        };
        // SAFETY: as above; the owner reads `result` only after the latch.
        unsafe { *this.result.get() = result };
        if !this.ctx.is_null() {
            // Release the slot before the latch: once the latch is set the
            // owner may return and free the context.
            // SAFETY: the context outlives every job published under it.
            unsafe { OpCtx::release(this.ctx) };
        }
        // SAFETY: StackJobs are only queued in one pool and so only run on
        // that pool's workers: `wt` is this thread's live worker, whose
        // registry is the waiter's. `this` is live; we never touch it again.
        unsafe { L::set(&this.latch, (*wt).registry()) };
    }
}

/// A boxed job that owns its closure.
pub(crate) struct HeapJob<F> {
    func: F,
}

impl<F: FnOnce() + Send> HeapJob<F> {
    /// Boxes `func` and leaks it into a `JobRef`; executing the ref frees it.
    pub(crate) fn into_job_ref(func: F) -> JobRef {
        let boxed = Box::new(HeapJob { func });
        // SAFETY: the box is leaked here and reclaimed in `execute`, which
        // runs exactly once.
        unsafe { JobRef::new(Box::into_raw(boxed)) }
    }
}

impl<F: FnOnce() + Send> Job for HeapJob<F> {
    unsafe fn execute(this: *const ()) {
        // SAFETY: `this` came from `Box::into_raw` in `into_job_ref`.
        let this = unsafe { Box::from_raw(this as *mut Self) };
        (this.func)();
    }
}

/// Sets the worker's `max_threads` context for the duration of a job and
/// restores the previous one afterwards, on unwind too.
pub(crate) struct CtxScope {
    wt: *const WorkerThread,
    prev: *const OpCtx,
}

impl CtxScope {
    pub(crate) fn enter(wt: *const WorkerThread, ctx: *const OpCtx) -> CtxScope {
        if wt.is_null() {
            return CtxScope {
                wt,
                prev: std::ptr::null(),
            };
        }
        // SAFETY: a non-null worker pointer from the thread-local is the
        // current thread's own, live WorkerThread.
        let prev = unsafe { (*wt).replace_ctx(ctx) };
        CtxScope { wt, prev }
    }
}

impl Drop for CtxScope {
    fn drop(&mut self) {
        if !self.wt.is_null() {
            // SAFETY: as in `enter`; we are still on the same thread.
            unsafe { (*self.wt).replace_ctx(mem::replace(&mut self.prev, std::ptr::null())) };
        }
    }
}
