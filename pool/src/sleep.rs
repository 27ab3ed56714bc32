//! Parking idle workers without ever losing a wake-up.
//!
//! Each worker has a `blocked` flag behind its own mutex and a condvar, and
//! one shared counter, `sleeping`, says how many are blocked. A sleeper sets
//! its flag under its mutex, increments `sleeping`, runs **fence S** and
//! re-checks its wake condition before it waits. A producer that pushed to
//! a shared queue runs **fence P** and scans for a blocked worker only if
//! `sleeping` is non-zero (`notify_new_work`); a targeted condition (a
//! latch, an inbox or broadcast job, shutdown) is written first and then the
//! target's mutex is taken (`wake_worker`). The argument that no wake-up is
//! lost — S and P totally ordered; the targeted condition monotone — is in
//! `docs/pool.md`, "Sleeping without losing wake-ups"; the comments below
//! name which half of it each step is. No step relies on a timeout, which is
//! why the loom models can check it.

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
