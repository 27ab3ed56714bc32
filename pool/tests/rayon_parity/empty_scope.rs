//! A scope with no spawns completes on the calling thread alone: it never
//! waits for another thread, even when every other worker is blocked.
//! (`Pool::scope` called off the pool is different: its body runs on a
//! worker, like `install`, so it needs one to be free.)

use crate::watchdog;
use amrkit_pool::{in_place_scope, scope, Pool};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier};

/// A 2-worker pool whose workers are both blocked in jobs until the
/// returned sender is dropped.
fn pool_with_every_worker_blocked() -> (Pool, std::sync::mpsc::Sender<()>) {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let arrived = Arc::new(Barrier::new(3));
    let (tx, rx) = channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for _ in 0..2 {
        let (arrived, rx) = (arrived.clone(), rx.clone());
        pool.spawn(move || {
            arrived.wait();
            let _ = rx.lock().unwrap().recv();
        });
    }
    arrived.wait(); // both workers are inside a job now
    (pool, tx)
}

#[test]
fn empty_in_place_scope_from_outside_with_every_worker_blocked() {
    watchdog("empty in_place_scope, workers blocked", || {
        let (pool, release) = pool_with_every_worker_blocked();
        // From a plain thread (its wait is a lock latch) ...
        assert_eq!(pool.in_place_scope(|_| 5), 5);
        // ... and from a worker of another pool (a cross-pool latch).
        let other = Pool::builder().num_threads(1).build().unwrap();
        assert_eq!(other.install(|| pool.in_place_scope(|_| 7)), 7);
        drop(release);
        pool.shutdown();
    });
}

#[test]
fn empty_scopes_on_a_worker_with_the_other_worker_blocked() {
    watchdog("empty scope on a worker, the other blocked", || {
        let pool = Pool::builder().num_threads(2).build().unwrap();
        let (in_tx, in_rx) = channel::<()>();
        let (release, rx) = channel::<()>();
        pool.spawn(move || {
            in_tx.send(()).unwrap();
            let _ = rx.recv();
        });
        in_rx.recv().unwrap(); // one worker is blocked from here on
        let r = pool.install(|| {
            let a = scope(|_| 1);
            let b = in_place_scope(|_| 2);
            // Nested empty scopes: every wait ends on this thread.
            let c = scope(|_| scope(|_| 3));
            a + b + c
        });
        assert_eq!(r, 6);
        drop(release);
        pool.shutdown();
    });
}
