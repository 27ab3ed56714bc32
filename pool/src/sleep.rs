//! Parking idle workers without ever losing a wake-up.
//!
//! # Protocol
//!
//! Each worker has a `blocked` flag behind its own mutex and a condvar; one
//! shared counter, `sleeping`, says how many workers are blocked (or are
//! committing to block).
//!
//! A worker that found no work (after its spin budget; the caller has also
//! been counted in `hungry` and has run the heavy fence, see
//! `registry.rs`):
//!
//! 1. locks its mutex and sets `blocked = true`;
//! 2. increments `sleeping` (SeqCst RMW);
//! 3. `fence(SeqCst)` — **fence S**;
//! 4. re-checks its wake condition (its probe, or any work it could take).
//!    If it holds, it clears `blocked`, decrements `sleeping` and returns
//!    without sleeping;
//! 5. otherwise waits on its condvar until `blocked` is false. Whoever clears
//!    the flag also decrements `sleeping`, so a worker is woken exactly once.
//!
//! Anyone who makes work available:
//!
//! * **new job in a queue** (`notify_new_work`): push the job; `fence(SeqCst)`
//!   — **fence P**; load `sleeping`. If zero, return; otherwise lock each
//!   worker's mutex in turn and wake the first that is blocked.
//! * **a latch, an inbox job, or shutdown aimed at a worker** (`wake_worker`,
//!   `wake_all`): make the condition true, then lock the target's mutex and
//!   wake it if blocked.
//!
//! # Why a wake-up cannot be lost
//!
//! *Queues.* Fence S and fence P are both SeqCst, so they are totally ordered.
//! If P comes first, the push (sequenced before P) is visible to the re-check
//! in step 4, which follows S: the sleeper sees the job and stays awake. If S
//! comes first, the increment (sequenced before S) is visible to the load
//! after P: the publisher sees `sleeping > 0` and scans. The scan locks each
//! mutex; a sleeper between steps 1 and 5 holds its mutex, so the scan waits
//! until the sleeper is either blocked on its condvar (then it is woken) or
//! has aborted in step 4 (then it is awake and will find the job). Either
//! way some worker that can run the job is awake.
//!
//! *Targeted conditions.* The setter writes the condition before locking the
//! target's mutex, and the target checks the condition while holding the
//! same mutex. If the target's critical section comes first, it is blocked
//! when the setter gets the lock and is woken; if the setter's lock comes
//! first, its write happens-before the target's check, which then sees it.
//! This holds only for **monotone** conditions — true for ever once true —
//! because the target samples the condition once: a condition that can turn
//! false again after the final wake-up (such as "terminating and no work
//! left", which the worker loop once used) lets the target sleep for ever.
//! Latches, inbox arrivals seen as "work" and the termination flag are
//! monotone until the worker itself consumes them; queue contents, which are
//! not, are covered by the fence argument above, re-run on every attempt.
//!
//! *Pending entries* (forks, which notify nobody) are covered by the `hungry`
//! counter and the asymmetric fence pair described in `registry.rs`.
//!
//! No step relies on a timeout, which is also why the loom models can check
//! it (loom ignores timeouts and reports any state where every thread is
//! blocked as a deadlock).

use crate::sync::{fence, AtomicUsize, Condvar, Mutex, Ordering};
use crossbeam_utils::CachePadded;

struct WorkerSleep {
    /// `true` while the worker is parked or committing to park.
    blocked: Mutex<bool>,
    cond: Condvar,
}

pub(crate) struct Sleep {
    /// Workers that are parked or committing to park (see module docs).
    sleeping: CachePadded<AtomicUsize>,
    workers: Vec<CachePadded<WorkerSleep>>,
    /// Where the next `notify_new_work` scan starts, to spread wake-ups.
    next: AtomicUsize,
}

impl Sleep {
    pub(crate) fn new(n: usize) -> Sleep {
        Sleep {
            sleeping: CachePadded::new(AtomicUsize::new(0)),
            workers: (0..n)
                .map(|_| {
                    CachePadded::new(WorkerSleep {
                        blocked: Mutex::new(false),
                        cond: Condvar::new(),
                    })
                })
                .collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// Parks worker `index` unless `wake_condition` holds after the
    /// announcement (steps 1–5 of the protocol). Returns whether it slept.
    pub(crate) fn sleep(&self, index: usize, wake_condition: impl Fn() -> bool) -> bool {
        let w = &self.workers[index];
        let mut blocked = w.blocked.lock();
        *blocked = true;
        self.sleeping.fetch_add(1, Ordering::SeqCst);
        // Fence S: pairs with fence P in `notify_new_work`.
        fence(Ordering::SeqCst);
        if wake_condition() {
            *blocked = false;
            // Relaxed: we hold our mutex, and the counter only steers the
            // publishers' fast path, which tolerates a stale non-zero value.
            self.sleeping.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        while *blocked {
            blocked = w.cond.wait(blocked);
        }
        true
    }

    /// Called after a job was pushed onto a queue that any worker may take
    /// from. Wakes one sleeping worker, if there is one.
    pub(crate) fn notify_new_work(&self) {
        // Fence P: pairs with fence S in `sleep`. The push happened before.
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) == 0 {
            return;
        }
        let n = self.workers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for k in 0..n {
            if self.wake_worker((start + k) % n) {
                return;
            }
        }
    }

    /// Wakes worker `index` if it is blocked; returns whether it was.
    pub(crate) fn wake_worker(&self, index: usize) -> bool {
        let w = &self.workers[index];
        let mut blocked = w.blocked.lock();
        if *blocked {
            *blocked = false;
            self.sleeping.fetch_sub(1, Ordering::Relaxed);
            w.cond.notify_one();
            true
        } else {
            false
        }
    }

    /// Wakes every blocked worker (shutdown).
    pub(crate) fn wake_all(&self) {
        for i in 0..self.workers.len() {
            self.wake_worker(i);
        }
    }
}
