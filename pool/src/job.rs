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
use std::mem::{self, ManuallyDrop, MaybeUninit};
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

/// The first field of every [`StackJob`], readable through a type-erased
/// [`JobRef`] (the struct is `repr(C)`).
#[repr(C)]
pub(crate) struct JobHeader {
    /// The `max_threads` context of the code that created the job. When the
    /// job is published with a non-null context, a slot was reserved for it
    /// (see `cap.rs`), and whoever runs it releases that slot.
    pub(crate) ctx: *const OpCtx,
}

/// A job on the stack of the thread that will wait for it.
///
/// The owner keeps the `StackJob` alive until its latch is set (or until it
/// has taken the job back and run it itself), so a raw pointer to it may be
/// handed to another thread. The closure is taken out exactly once: by
/// `run_inline`, by `execute`, or dropped by `drop_unrun`.
#[repr(C)]
pub(crate) struct StackJob<L, F, R> {
    header: JobHeader,
    pub(crate) latch: L,
    func: UnsafeCell<ManuallyDrop<F>>,
    result: UnsafeCell<MaybeUninit<JobResult<R>>>,
}

impl<L: Latch, F: FnOnce() -> R + Send, R: Send> StackJob<L, F, R> {
    #[inline]
    pub(crate) fn new(func: F, latch: L, ctx: *const OpCtx) -> Self {
        StackJob {
            header: JobHeader { ctx },
            latch,
            func: UnsafeCell::new(ManuallyDrop::new(func)),
            result: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    #[inline]
    pub(crate) fn as_job_ref(&self) -> JobRef {
        // SAFETY: the owner keeps `self` alive until the job has run (it
        // waits for the latch or runs the job itself).
        unsafe { JobRef::new(self) }
    }

    #[inline]
    pub(crate) fn ctx(&self) -> *const OpCtx {
        self.header.ctx
    }

    /// Runs the closure on the owner's thread.
    ///
    /// # Safety
    /// No other thread can reach the job (never published, or removed from
    /// the queue by the owner), and the closure was not taken before.
    #[inline]
    pub(crate) unsafe fn run_inline(&self) -> R {
        // SAFETY: exclusive access and first take, per the contract.
        let f = unsafe { ManuallyDrop::take(&mut *self.func.get()) };
        f()
    }

    /// Drops the closure of a job that will never run.
    ///
    /// # Safety
    /// As for [`StackJob::run_inline`].
    pub(crate) unsafe fn drop_unrun(&self) {
        // SAFETY: exclusive access and first take, per the contract.
        unsafe { ManuallyDrop::drop(&mut *self.func.get()) };
    }

    /// Takes the result out once the job has run elsewhere.
    ///
    /// # Safety
    /// The latch was observed set (Acquire), so the result was written and
    /// the runner is done with the job; called at most once.
    pub(crate) unsafe fn take_result(&self) -> JobResult<R> {
        // SAFETY: written before the latch was set, per the contract.
        unsafe { (*self.result.get()).assume_init_read() }
    }
}

impl<L: Latch, F: FnOnce() -> R + Send, R: Send> Job for StackJob<L, F, R> {
    unsafe fn execute(this: *const ()) {
        // SAFETY: `this` came from `as_job_ref` on a live StackJob of this type.
        let this = unsafe { &*(this as *const Self) };
        // SAFETY: only the one thread that dequeued the job touches `func`
        // and `result` until the latch is set; the queue hand-off (release
        // push, acquire steal) orders the owner's writes before these reads.
        let func = unsafe { ManuallyDrop::take(&mut *this.func.get()) };
        let wt = WorkerThread::current();
        let result = {
            let _ctx = CtxScope::enter(wt, this.header.ctx);
            JobResult::call(func)
        };
        // SAFETY: as above; the owner reads `result` only after the latch.
        unsafe { (*this.result.get()).write(result) };
        if !this.header.ctx.is_null() {
            // Release the slot before the latch: once the latch is set the
            // owner may return and free the context.
            // SAFETY: the context outlives every job published under it.
            unsafe { OpCtx::release(this.header.ctx) };
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
