//! Dropping a pool only signals termination: it returns at once, and the
//! workers still run every queued and spawned job before they exit. The
//! shapes below deadlocked when the drop waited for the workers (issue 29):
//! the dropping thread waited for a worker that waited for the dropping
//! thread. [`Pool::shutdown`] is the blocking form.

use crate::{eventually, watchdog};
use amrkit_pool::Pool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier};

#[test]
fn start_handlers_meeting_the_caller_at_a_barrier_survive_a_dropped_build() {
    watchdog("barrier with the caller after `let _ = build()`", || {
        let n = 3;
        let barrier = Arc::new(Barrier::new(n + 1));
        let exited = Arc::new(AtomicUsize::new(0));
        let (b, e) = (barrier.clone(), exited.clone());
        let _ = Pool::builder()
            .num_threads(n)
            .start_handler(move |_| {
                b.wait();
            })
            .exit_handler(move |_| {
                e.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        // The pool is gone; its workers wait in their start handlers for us.
        barrier.wait();
        assert!(eventually(|| exited.load(Ordering::SeqCst) == n));
    });
}

#[test]
fn a_spawned_job_blocked_on_the_caller_still_runs_after_the_drop() {
    watchdog("spawned job waits for a send made after the drop", || {
        let pool = Pool::builder().num_threads(2).build().unwrap();
        let (tx, rx) = channel::<u32>();
        let (done_tx, done_rx) = channel();
        pool.spawn(move || {
            let v = rx.recv().unwrap();
            done_tx.send(v * 2).unwrap();
        });
        drop(pool);
        tx.send(21).unwrap();
        assert_eq!(done_rx.recv().unwrap(), 42);
    });
}

#[test]
fn queued_and_nested_spawns_run_to_completion_after_the_drop() {
    watchdog("queued work after the drop", || {
        let pool = Pool::builder()
            .num_threads(2)
            .spin_rounds(0)
            .build()
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let (go_tx, go_rx) = channel::<()>();
        let go_rx = Arc::new(std::sync::Mutex::new(go_rx));
        for _ in 0..100 {
            let (ran, go_rx) = (ran.clone(), go_rx.clone());
            pool.spawn(move || {
                // The first job holds everyone up until after the drop.
                let _ = go_rx.lock().unwrap().recv();
                let r = ran.clone();
                // Work spawned by a job of a dropped pool still runs.
                amrkit_pool::spawn(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                });
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
        drop(pool);
        drop(go_tx); // every recv now returns at once
        assert!(
            eventually(|| ran.load(Ordering::SeqCst) == 200),
            "{} of 200 jobs ran",
            ran.load(Ordering::SeqCst)
        );
    });
}

#[test]
fn shutdown_returns_after_every_job_and_exit_handler() {
    watchdog("shutdown", || {
        let exited = Arc::new(AtomicUsize::new(0));
        let e = exited.clone();
        let pool = Pool::builder()
            .num_threads(2)
            .exit_handler(move |_| {
                e.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..50 {
            let r = ran.clone();
            pool.spawn(move || {
                std::thread::sleep(std::time::Duration::from_micros(200));
                r.fetch_add(1, Ordering::SeqCst);
            });
        }
        pool.shutdown();
        assert_eq!(ran.load(Ordering::SeqCst), 50);
        assert_eq!(exited.load(Ordering::SeqCst), 2);
        // Nothing a worker held is left: only our own clone of `ran`.
        assert_eq!(Arc::strong_count(&ran), 1);
    });
}
