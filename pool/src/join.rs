//! `join`: run two closures, potentially in parallel.
//!
//! The fast path (nobody took `b`) is: build the job on the stack, push one
//! entry on the worker's pending deque (plain stores and a compiler fence),
//! run `a` under `catch_unwind` (free unless it panics), pop the entry back
//! and run `b`. No read-modify-write and no fence.

use crate::cap::OpCtx;
use crate::job::{drop_quietly, JobBody, NoArgs, StackJob};
use crate::latch::{Probe, SpinLatch};
use crate::registry::WorkerThread;
use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

/// Runs `a` and `b`, potentially in parallel, and returns both results.
///
/// On a worker of a pool, `a` runs at once on the calling thread while `b`
/// waits on the worker's pending deque, from which an idle worker of the
/// pool can take it. Off any pool, the call runs on the global pool
/// ([`crate::global`]).
///
/// # Panics
///
/// Both closures always run, as with rayon: if `a` panics, `b` still runs
/// (here, or on the thread that took it) before the panic resumes. If
/// either panics, `join` panics with that payload; if both do, `a`'s wins.
///
/// ```
/// fn fib(n: u64) -> u64 {
///     if n < 2 { return n; }
///     let (a, b) = amrkit_pool::join(|| fib(n - 1), || fib(n - 2));
///     a + b
/// }
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// assert_eq!(pool.install(|| fib(20)), 6765);
/// ```
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return join_off_pool(a, b);
    }
    // SAFETY: non-null means this thread's own live worker.
    join_in_worker(unsafe { &*wt }, NoArgs(a), NoArgs(b))
}

/// `join` called off any pool: run it on the global pool. Out of line, so
/// that its registers and calls do not weigh on the worker path's frame.
#[cold]
#[inline(never)]
fn join_off_pool<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    crate::pool::global_registry().in_worker(move || join(a, b))
}

type BJob<B, RB> = StackJob<SpinLatch, B, RB>;

/// `join`'s first half: run on the forking worker, told which one.
pub(crate) trait FirstHalf<R> {
    fn run(self, wt: &WorkerThread) -> R;
}

impl<F: FnOnce() -> R, R> FirstHalf<R> for NoArgs<F> {
    #[inline(always)]
    fn run(self, _: &WorkerThread) -> R {
        (self.0)()
    }
}

#[inline(always)]
pub(crate) fn join_in_worker<A, B, RA, RB>(wt: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FirstHalf<RA>,
    B: JobBody<RB>,
    RA: Send,
    RB: Send,
{
    let ctx = wt.ctx();
    if ctx.is_null() {
        // Uncapped (the common case): the tag is a constant `false`, so the
        // push below compiles without the tag's bit-or and test.
        let job_b: BJob<B, RB> = StackJob::with_body(b, SpinLatch::new(wt.index()), ptr::null());
        return fork(wt, a, job_b, false);
    }
    // Tag a fork made while its call's cap is full: no thief may take it
    // directly (it could not run it).
    // SAFETY: a non-null ctx is a live call further down this stack.
    let tag = !unsafe { OpCtx::has_room(ctx) };
    let job_b: BJob<B, RB> = StackJob::with_body(b, SpinLatch::new(wt.index()), ctx);
    fork(wt, a, job_b, tag)
}

/// The fork itself: `b` pending, `a` here, then `b` back (or its result).
#[inline(always)]
fn fork<A, B, RA, RB>(wt: &WorkerThread, a: A, job_b: BJob<B, RB>, tag: bool) -> (RA, RB)
where
    A: FirstHalf<RA>,
    B: JobBody<RB>,
    RA: Send,
    RB: Send,
{
    if !wt.push_pending(job_b.as_job_ref(), tag) {
        return join_serial(wt, a, job_b);
    }
    let ra = match panic::catch_unwind(AssertUnwindSafe(|| a.run(wt))) {
        Ok(ra) => ra,
        Err(payload) => recover_from_panic(wt, &job_b, payload),
    };
    if wt.pop_pending() {
        // Nobody took `b`: it never left this thread.
        wt.note_executed();
        // SAFETY: the entry was still ours, so nobody else can run it.
        return (ra, unsafe { job_b.run_inline(wt) });
    }
    let rb = finish_taken(wt, &job_b);
    (ra, rb)
}

/// The pending deque is full (very deep recursion): both halves here, in
/// order, with the same panic contract.
#[cold]
#[inline(never)]
fn join_serial<A, B, RA, RB>(wt: &WorkerThread, a: A, job_b: BJob<B, RB>) -> (RA, RB)
where
    A: FirstHalf<RA>,
    B: JobBody<RB>,
    RA: Send,
    RB: Send,
{
    match panic::catch_unwind(AssertUnwindSafe(|| a.run(wt))) {
        // SAFETY: never published.
        Ok(ra) => (ra, unsafe { job_b.run_inline(wt) }),
        Err(p) => {
            // `b`'s result or panic loses to `a`'s, also if dropping it
            // panics.
            // SAFETY: never published.
            drop_quietly(panic::catch_unwind(AssertUnwindSafe(|| unsafe {
                job_b.run_inline(wt)
            })));
            panic::resume_unwind(p)
        }
    }
}

/// `a` panicked: settle `b` (run it, or wait for whoever took it), then
/// resume `a`'s panic. Nothing here runs while unwinding, so `b` and any
/// job run meanwhile see `std::thread::panicking() == false`.
#[cold]
#[inline(never)]
fn recover_from_panic<B, RB>(
    wt: &WorkerThread,
    job_b: &BJob<B, RB>,
    payload: Box<dyn Any + Send>,
) -> !
where
    B: JobBody<RB>,
    RB: Send,
{
    if wt.pop_pending() || reclaim(wt, job_b) {
        // SAFETY: `b` is back in our hands and never ran. Its own panic, if
        // any, loses to `a`'s, and so does a panic dropping its result.
        drop_quietly(panic::catch_unwind(AssertUnwindSafe(|| unsafe {
            job_b.run_inline(wt)
        })));
    } else {
        // SAFETY: the latch is set, so the result was written. Dropped: `a`'s
        // panic wins over anything `b` produced, a panicking drop included.
        drop_quietly(unsafe { job_b.take_result() });
    }
    panic::resume_unwind(payload)
}

/// `b` was published or stolen: it is either still in our eager deque
/// (take it back and run it here) or taken by another worker (wait for its
/// latch, running other work).
#[cold]
#[inline(never)]
fn finish_taken<B, RB>(wt: &WorkerThread, job_b: &BJob<B, RB>) -> RB
where
    B: JobBody<RB>,
    RB: Send,
{
    if reclaim(wt, job_b) {
        wt.note_executed();
        // SAFETY: we removed the job from our deque before anyone ran it.
        unsafe { job_b.run_inline(wt) }
    } else {
        // SAFETY: the latch is set, so the thief has stored the result.
        unsafe { job_b.take_result() }.into_return_value()
    }
}

/// Waits until `job_b` is either back in our hands (returns true) or
/// finished elsewhere (false).
fn reclaim<B, RB>(wt: &WorkerThread, job_b: &BJob<B, RB>) -> bool
where
    B: JobBody<RB>,
    RB: Send,
{
    let id = job_b.as_job_ref().id();
    loop {
        if job_b.latch.probe() {
            return false;
        }
        match wt.take_local() {
            Some(job) if job.id() == id => return true,
            Some(job) => wt.execute(job),
            None => {
                wt.wait_for(&job_b.latch);
                return false;
            }
        }
    }
}
