//! Loom models of the pool's synchronisation, through the public API.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p amrkit-pool --release --test loom`
//!
//! Each model builds a real two-worker pool (the model's main thread is the
//! third thread) with no idle spinning, so workers go to sleep at once and
//! every wake-up path is exercised. Loom reports a lost wake-up as a
//! deadlock (every thread blocked), and a use-after-free of a latch as an
//! access to a dropped loom object.
#![cfg(loom)]

use amrkit_pool::{join, scope, Pool};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

fn pool() -> Pool {
    Pool::builder()
        .num_threads(2)
        .spin_rounds(0)
        .build()
        .unwrap()
}

/// Model 1: a job posted from outside while the workers go to sleep.
#[test]
fn outside_job_while_workers_sleep() {
    loom::model(|| {
        let p = pool();
        assert_eq!(p.install(|| 7), 7);
    });
}

/// Model 2: a job pushed by a worker (a scoped spawn) while the other
/// worker sleeps; it must be taken, by the pusher or the woken sleeper.
#[test]
fn worker_pushed_job_while_others_sleep() {
    loom::model(|| {
        let p = pool();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        p.install(move || {
            scope(|s| {
                s.spawn(|_| {
                    h.fetch_add(1, Ordering::Relaxed);
                });
            })
        });
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    });
}

/// Model 3: a join whose second half may be published and stolen; the
/// thief sets the latch while the owner returns and frees the stack frame.
#[test]
fn join_latch_set_while_owner_returns() {
    loom::model(|| {
        let p = pool();
        let (a, b) = p.install(|| join(|| 1, || 2));
        assert_eq!((a, b), (1, 2));
    });
}

/// Model 4: scope completion counting with two spawned jobs.
#[test]
fn scope_completion_count() {
    loom::model(|| {
        let p = pool();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        p.scope(move |s| {
            for _ in 0..2 {
                let h = h.clone();
                s.spawn(move |_| {
                    h.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(hits.load(Ordering::Relaxed), 2);
    });
}

/// Model 5: shutdown while workers are parked, stealing or running a
/// detached job; dropping the pool joins both threads and the job ran.
#[test]
fn shutdown_while_parked_or_stealing() {
    loom::model(|| {
        let p = pool();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        p.spawn(move || {
            h.fetch_add(1, Ordering::Relaxed);
        });
        drop(p);
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    });
}
