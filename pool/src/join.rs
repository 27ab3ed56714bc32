//! `join`: run two closures, potentially in parallel.

use crate::cap::OpCtx;
use crate::job::StackJob;
use crate::latch::{Probe, SpinLatch};
use crate::registry::WorkerThread;
use std::panic::{self, AssertUnwindSafe};

/// Runs `a` and `b`, potentially in parallel, and returns both results.
///
/// On a worker of a pool, `a` runs at once on the calling thread while `b`
/// waits on the worker's private stack, becoming stealable only if another
/// worker of the pool is hungry. Off any pool, the call runs on the global
/// pool ([`crate::global`]).
///
/// If either closure panics, the panic resumes in the caller after both
/// closures that started have finished (`a`'s panic wins if both panic).
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

pub(crate) fn join_in_worker<A, B, RA, RB>(wt: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let job_b = StackJob::new(b, SpinLatch::new(wt.index()), wt.ctx());
    let job_b_ref = job_b.as_job_ref();
    let idx = wt.push_pending(job_b_ref, job_b.ctx());

    let result_a = panic::catch_unwind(AssertUnwindSafe(a));
    wt.note_executed();

    if wt.pop_pending(idx) {
        // Nobody was hungry: `b` never left this thread. The fast path.
        return match result_a {
            Ok(ra) => {
                wt.note_executed();
                (ra, job_b.run_inline())
            }
            Err(p) => panic::resume_unwind(p),
        };
    }

    // `b` was published. Either it is still in our deque (take it back) or
    // a thief has it (wait for the latch, running other work meanwhile).
    loop {
        if job_b.latch.probe() {
            break;
        }
        match wt.take_local() {
            Some(job) if job.id() == job_b_ref.id() => {
                let ctx = job_b.ctx();
                if !ctx.is_null() {
                    // SAFETY: the slot reserved when `b` was published is
                    // ours to give back; the ctx lives further down our stack.
                    unsafe { OpCtx::release(ctx) };
                }
                return match result_a {
                    Ok(ra) => {
                        wt.note_executed();
                        (ra, job_b.run_inline())
                    }
                    Err(p) => panic::resume_unwind(p),
                };
            }
            Some(job) => wt.execute(job),
            None => {
                wt.wait_for(&job_b.latch);
                break;
            }
        }
    }
    match result_a {
        Ok(ra) => (ra, job_b.into_result()),
        Err(p) => panic::resume_unwind(p),
    }
}
