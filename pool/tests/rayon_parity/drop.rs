//! Dropping a pool only signals termination: it returns at once, and the
//! workers still run every queued and spawned job before they exit. The
//! shapes below deadlocked when the drop waited for the workers (issue 29):
//! the dropping thread waited for a worker that waited for the dropping
//! thread. [`Pool::shutdown`] is the blocking form.

use crate::{eventually, watchdog};
use amrkit_pool::Pool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Mutex};

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

/// A 2-worker pool, dropped while worker `busy` runs a job that waits for
/// `go`; returns once the other worker has exited (its exit handler ran),
/// with `go`'s sender and the busy worker's index. Whatever the job does
/// after `go` it does on a dropped pool with one worker gone.
fn dropped_pool_with_one_worker_gone(
    job: impl FnOnce() + Send + 'static,
) -> std::sync::mpsc::Sender<()> {
    let (exit_tx, exit_rx) = channel::<usize>();
    let pool = Pool::builder()
        .num_threads(2)
        .exit_handler(move |i| {
            let _ = exit_tx.send(i);
        })
        .build()
        .unwrap();
    let (go_tx, go_rx) = channel::<()>();
    let (started_tx, started_rx) = channel::<usize>();
    pool.spawn(move || {
        started_tx
            .send(amrkit_pool::current_thread_index().unwrap())
            .unwrap();
        go_rx.recv().unwrap();
        job();
    });
    let busy = started_rx.recv().unwrap();
    drop(pool);
    // The other worker finds no work and exits.
    assert_eq!(exit_rx.recv().unwrap(), 1 - busy);
    go_tx
}

#[test]
fn a_scope_broadcast_after_the_drop_with_a_worker_gone_completes() {
    watchdog("scope broadcast on a dropped pool, one worker gone", || {
        let (done_tx, done_rx) = channel();
        let go = dropped_pool_with_one_worker_gone(move || {
            let calls = Mutex::new(Vec::new());
            amrkit_pool::scope(|s| {
                s.spawn_broadcast(|_, ctx| calls.lock().unwrap().push(ctx.index()));
            });
            let mut calls = calls.into_inner().unwrap();
            calls.sort();
            done_tx.send(calls).unwrap();
        });
        go.send(()).unwrap();
        // The gone worker's call runs too (on the worker still there):
        // before the fix its share sat in the gone worker's queue and the
        // scope waited for ever.
        assert_eq!(done_rx.recv().unwrap(), [0, 1]);
    });
}

#[test]
fn a_spawn_broadcast_after_the_drop_with_a_worker_gone_runs_and_drops_f() {
    watchdog("spawn_broadcast on a dropped pool, one worker gone", || {
        let (call_tx, call_rx) = channel::<usize>();
        let go = dropped_pool_with_one_worker_gone(move || {
            amrkit_pool::spawn_broadcast(move |ctx| call_tx.send(ctx.index()).unwrap());
        });
        go.send(()).unwrap();
        // Ends when the last call drops `f` (and `call_tx`): before the fix
        // the gone worker's call never ran and `f` was never dropped.
        let mut calls: Vec<usize> = call_rx.iter().collect();
        calls.sort();
        assert_eq!(calls, [0, 1]);
    });
}
