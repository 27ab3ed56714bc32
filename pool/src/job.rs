//! Type-erased jobs.
//!
//! A [`JobRef`] is two words: a pointer to the job's data and the function
//! that runs it. Jobs live either on the stack of the thread that waits for
//! them ([`StackJob`], used by `join` and `install`) or on the heap
//! ([`HeapJob`], used by `spawn`, scoped spawns and `broadcast`).

use crate::cap::OpCtx;
use crate::deque::Words;
use crate::latch::Latch;
use crate::registry::WorkerThread;
use crate::sync::UnsafeCell;
use std::any::Any;
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

/// Bit 0 of a pending entry's first word marks a fork made while its
/// call's `max_threads` cap was full: thieves leave it alone (see
/// `registry.rs`). A `StackJob` is pointer-aligned, so the bit is free there;
/// other queues hold untagged words only.
const TAG: usize = 1;

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

    /// The two words stored in a queue; `tag` sets the tag bit, which only
    /// `StackJob`s (pointer-aligned) may carry.
    #[inline(always)]
    pub(crate) fn to_words(self, tag: bool) -> Words {
        let p = self.pointer as usize;
        debug_assert!(!tag || p & TAG == 0);
        (p | tag as usize, self.execute_fn as usize)
    }

    /// Whether queued words carry the tag.
    #[inline]
    pub(crate) fn words_tagged(w: Words) -> bool {
        w.0 & TAG != 0
    }

    /// # Safety
    /// `w` came from [`JobRef::to_words`] (and was not torn).
    #[inline(always)]
    pub(crate) unsafe fn from_words(w: Words, tagged: bool) -> JobRef {
        let p = if tagged { w.0 & !TAG } else { w.0 };
        JobRef {
            pointer: p as *const (),
            // SAFETY: the word is a function pointer of exactly this type,
            // converted to usize by `to_words`.
            execute_fn: unsafe { mem::transmute::<usize, unsafe fn(*const ())>(w.1) },
        }
    }

    /// # Safety
    /// The job must not have run before.
    #[inline]
    pub(crate) unsafe fn execute(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.execute_fn)(self.pointer) }
    }
}

/// Drops `value`, containing a panic of its destructor: pool code drops user
/// values (results nobody will read, panic payloads) on worker threads,
/// where an escaping panic would abort the process.
pub(crate) fn drop_quietly<T>(value: T) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(value))) {
        // The payload's own destructor might panic again: leak it.
        mem::forget(payload);
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
    /// The `max_threads` context of the code that created the job (null:
    /// none). A worker other than the creator reserves a slot in it before
    /// running the job, and hands the job back to the creator if it cannot
    /// (see `cap.rs`).
    pub(crate) ctx: *const OpCtx,
}

/// A job on the stack of the thread that will wait for it.
///
/// The owner keeps the `StackJob` alive until its latch is set (or until it
/// has taken the job back and run it itself), so a raw pointer to it may be
/// handed to another thread. The closure is taken out exactly once: by
/// `run_inline`, or by `execute`.
#[repr(C)]
pub(crate) struct StackJob<L, F, R> {
    header: JobHeader,
    pub(crate) latch: L,
    func: UnsafeCell<ManuallyDrop<F>>,
    result: UnsafeCell<MaybeUninit<JobResult<R>>>,
}

/// What a [`StackJob`] runs: a closure, told which worker runs it and
/// whether that is another thread than the one that made the job.
///
/// The worker is passed in rather than looked up, so that a context-passing
/// `join` ([`crate::Worker::join`]) needs no thread-local read on its fast
/// path: the fork runs its second half inline with the worker it already
/// holds, and a thief passes its own.
pub(crate) trait JobBody<R>: Send {
    fn run(self, wt: &WorkerThread, migrated: bool) -> R;
}

/// A plain `FnOnce() -> R` job body (both arguments ignored).
pub(crate) struct NoArgs<F>(pub(crate) F);

impl<F: FnOnce() -> R + Send, R> JobBody<R> for NoArgs<F> {
    #[inline(always)]
    fn run(self, _: &WorkerThread, _: bool) -> R {
        (self.0)()
    }
}

impl<L: Latch, F: FnOnce() -> R + Send, R: Send> StackJob<L, NoArgs<F>, R> {
    /// A job for `func`, set done through `latch`. A non-null `ctx` (a
    /// `max_threads` call) needs a latch whose waiter is the creating worker
    /// ([`Latch::waiting_worker`]): a thief without a slot hands the job
    /// back to it.
    #[inline(always)]
    pub(crate) fn new(func: F, latch: L, ctx: *const OpCtx) -> Self {
        StackJob::with_body(NoArgs(func), latch, ctx)
    }
}

impl<L: Latch, F: JobBody<R>, R: Send> StackJob<L, F, R> {
    /// [`StackJob::new`] for any [`JobBody`].
    #[inline(always)]
    pub(crate) fn with_body(func: F, latch: L, ctx: *const OpCtx) -> Self {
        StackJob {
            header: JobHeader { ctx },
            latch,
            func: UnsafeCell::new(ManuallyDrop::new(func)),
            result: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    #[inline(always)]
    pub(crate) fn as_job_ref(&self) -> JobRef {
        // SAFETY: the owner keeps `self` alive until the job has run (it
        // waits for the latch or runs the job itself).
        unsafe { JobRef::new(self) }
    }

    /// Runs the closure on the owner's thread, `wt` (not migrated).
    ///
    /// # Safety
    /// No other thread can reach the job (never published, or removed from
    /// the queue by the owner), the closure was not taken before, and `wt`
    /// is the current thread's worker.
    #[inline(always)]
    pub(crate) unsafe fn run_inline(&self, wt: &WorkerThread) -> R {
        // SAFETY: exclusive access and first take, per the contract.
        let f = self
            .func
            .with_mut(|p| unsafe { ManuallyDrop::take(&mut *p) });
        f.run(wt, false)
    }

    /// Takes the result out once the job has run elsewhere.
    ///
    /// # Safety
    /// The latch was observed set (Acquire), so the result was written and
    /// the runner is done with the job; called at most once.
    pub(crate) unsafe fn take_result(&self) -> JobResult<R> {
        // SAFETY: written before the latch was set, per the contract.
        self.result.with_mut(|p| unsafe { (*p).assume_init_read() })
    }
}

/// Reads the header of a queued `StackJob` entry.
///
/// # Safety
/// `w` is a live `StackJob`'s entry (its owner's frame has not returned).
pub(crate) unsafe fn header_of(w: Words) -> *const JobHeader {
    (w.0 & !TAG) as *const JobHeader
}

impl<L: Latch, F: JobBody<R>, R: Send> Job for StackJob<L, F, R> {
    unsafe fn execute(this: *const ()) {
        // SAFETY: `this` came from `as_job_ref` on a live StackJob of this type.
        let this = unsafe { &*(this as *const Self) };
        let wt = WorkerThread::current();
        // SAFETY: StackJobs are only queued in one pool and so only run on
        // that pool's workers: `wt` is this thread's live worker.
        let w = unsafe { &*wt };
        let ctx = this.header.ctx;
        let mut reserved = false;
        // The creator: the latch's waiting worker (only `join` makes jobs
        // under a cap, with a `SpinLatch` of the forking worker).
        let owner = this.latch.waiting_worker();
        if !ctx.is_null() && w.index() != owner {
            // SAFETY: the creator waits for this job before leaving the
            // capped call, so the ctx (further down its stack) is live.
            if !unsafe { OpCtx::try_reserve(ctx) } {
                // No slot: running it here would exceed the cap. Hand it to
                // its creator, which holds a slot and runs its own jobs
                // without one (it finds the job in its inbox while waiting).
                debug_assert!(owner != usize::MAX, "a capped job's latch names no worker");
                w.registry().inject_to(owner, this.as_job_ref());
                return;
            }
            reserved = true;
        }
        // SAFETY: only the one thread that dequeued the job touches `func`
        // and `result` until the latch is set; the queue hand-off orders the
        // owner's writes before these accesses (loom checks this).
        let func = this
            .func
            .with_mut(|p| unsafe { ManuallyDrop::take(&mut *p) });
        // Migrated: run by another worker than the one that forked it. Only
        // `join`'s jobs read the flag; their `SpinLatch` names the forking
        // worker (a job handed back to it runs here unmigrated).
        let migrated = w.index() != owner;
        let result = {
            let _ctx = CtxScope::enter(wt, ctx);
            JobResult::call(move || func.run(w, migrated))
        };
        // SAFETY: as above; the owner reads `result` only after the latch.
        this.result.with_mut(|p| unsafe { (*p).write(result) });
        if reserved {
            // Release the slot before the latch: once the latch is set the
            // owner may return and free the context.
            // SAFETY: we hold the reservation made above; the ctx is live.
            unsafe { OpCtx::release(ctx) };
        }
        // SAFETY: `this` is live; we never touch it again. The registry is
        // the waiter's (same pool), kept alive by our worker.
        unsafe { L::set(&this.latch, w.registry()) };
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
    #[inline]
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
    #[inline]
    fn drop(&mut self) {
        if !self.wt.is_null() {
            // SAFETY: as in `enter`; we are still on the same thread.
            unsafe { (*self.wt).replace_ctx(mem::replace(&mut self.prev, std::ptr::null())) };
        }
    }
}
