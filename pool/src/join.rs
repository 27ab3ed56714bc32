//! `join`: run two closures, potentially in parallel.
//!
//! The fast path (nobody hungry, so `b` never left this thread) is: build
//! the job on the stack, push one entry on the private pending stack, run
//! `a`, pop the entry, run `b`. No atomic read-modify-write, no fence, no
//! `catch_unwind`: a drop guard handles unwinding out of `a` instead.

use crate::cap::OpCtx;
use crate::job::StackJob;
use crate::latch::{Probe, SpinLatch};
use crate::registry::WorkerThread;
use std::mem;

/// Runs `a` and `b`, potentially in parallel, and returns both results.
///
/// On a worker of a pool, `a` runs at once on the calling thread while `b`
/// waits on the worker's private stack, becoming stealable only if another
/// worker of the pool is hungry. Off any pool, the call runs on the global
/// pool ([`crate::global`]).
///
/// If either closure panics, the panic resumes in the caller once the other
/// closure, if it started, has finished (`a`'s panic wins if both panic; if
/// `a` panics before `b` was taken by another thread, `b` does not run).
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return crate::pool::global_registry().in_worker(move || join(a, b));
    }
    // SAFETY: non-null means this thread's own live worker.
    join_in_worker(unsafe { &*wt }, a, b)
}

type BJob<B, RB> = StackJob<SpinLatch, B, RB>;

#[inline]
pub(crate) fn join_in_worker<A, B, RA, RB>(wt: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let job_b: BJob<B, RB> = StackJob::new(b, SpinLatch::new(wt.index()), wt.ctx());
    let idx = wt.push_pending(job_b.as_job_ref());

    // If `a` unwinds, the guard settles `b` before the stack frame goes.
    let guard = UnwindGuard {
        wt,
        idx,
        job_b: &job_b,
    };
    let ra = a();
    mem::forget(guard);

    if wt.pop_pending(idx) {
        // Nobody was hungry: `b` never left this thread.
        wt.note_executed();
        // SAFETY: the job was never published, so nobody else can run it.
        return (ra, unsafe { job_b.run_inline() });
    }
    let rb = finish_published(wt, &job_b);
    (ra, rb)
}

/// `b` was published: it is either still in our deque (take it back and run
/// it here) or taken by a thief (wait for its latch, running other work).
#[cold]
#[inline(never)]
fn finish_published<B, RB>(wt: &WorkerThread, job_b: &BJob<B, RB>) -> RB
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    if reclaim(wt, job_b) {
        wt.note_executed();
        // SAFETY: we removed the job from our deque before anyone ran it.
        unsafe { job_b.run_inline() }
    } else {
        // SAFETY: the latch is set, so the thief has stored the result.
        unsafe { job_b.take_result() }.into_return_value()
    }
}

/// Waits until `job_b` is either back in our hands (returns true; its
/// `max_threads` slot has been released) or finished elsewhere (false).
fn reclaim<B, RB>(wt: &WorkerThread, job_b: &BJob<B, RB>) -> bool
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    let id = job_b.as_job_ref().id();
    loop {
        if job_b.latch.probe() {
            return false;
        }
        match wt.take_local() {
            Some(job) if job.id() == id => {
                let ctx = job_b.ctx();
                if !ctx.is_null() {
                    // SAFETY: the slot reserved when `b` was published is
                    // ours to give back; the ctx lives further down our stack.
                    unsafe { OpCtx::release(ctx) };
                }
                return true;
            }
            Some(job) => wt.execute(job),
            None => {
                wt.wait_for(&job_b.latch);
                return false;
            }
        }
    }
}

/// Settles `b` when `a` unwinds: drop it if it never left this thread,
/// otherwise make sure no other thread still runs it before the frame dies.
struct UnwindGuard<'a, B, RB>
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    wt: &'a WorkerThread,
    idx: usize,
    job_b: &'a BJob<B, RB>,
}

impl<B, RB> Drop for UnwindGuard<'_, B, RB>
where
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    fn drop(&mut self) {
        debug_assert!(std::thread::panicking());
        let unrun = if self.wt.pop_pending(self.idx) {
            true
        } else {
            // Taken back (never ran) or finished elsewhere; either way nobody
            // else touches it any more.
            reclaim(self.wt, self.job_b)
        };
        if unrun {
            // SAFETY: the job is back in our hands and was never run.
            unsafe { self.job_b.drop_unrun() };
        } else {
            // `a`'s panic wins; drop whatever `b` produced.
            // SAFETY: the latch is set, so the result was written.
            drop(unsafe { self.job_b.take_result() });
        }
    }
}
