//! The context-passing forms of `join`: `Worker::join` (each half gets the
//! worker that runs it) and `join_context` (each half learns whether it was
//! migrated).

mod common;

use amrkit_pool::{join_context, with_worker, Pool, Worker};
use common::with_watchdog;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Busy work of a given length (a leaf the other worker has time to steal
/// around).
fn spin(d: Duration) {
    let t = std::time::Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn tree_sum(w: &Worker, lo: u64, hi: u64) -> u64 {
    if hi - lo <= 1 {
        return lo;
    }
    let mid = lo + (hi - lo) / 2;
    let (a, b) = w.join(|w| tree_sum(w, lo, mid), |w| tree_sum(w, mid, hi));
    a + b
}

#[test]
fn smoke() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let n = 1 << 16;
    let s = pool.install(|| with_worker(|w| tree_sum(w, 0, n)));
    assert_eq!(s, n * (n - 1) / 2);
    // Off any pool: the global pool.
    assert_eq!(with_worker(|w| tree_sum(w, 0, 1000)), 999 * 1000 / 2);
}

/// Every half's `Worker` is the worker of the thread that runs it, stolen
/// halves included (a thief must pass its own, not the forker's).
#[test]
fn each_half_gets_the_worker_that_runs_it() {
    with_watchdog(
        "each_half_gets_the_worker_that_runs_it",
        Duration::from_secs(60),
        || {
            let pool = Pool::builder().num_threads(2).build().unwrap();
            let halves = AtomicUsize::new(0);
            let other_threads = AtomicUsize::new(0);
            fn walk(w: &Worker, depth: u32, halves: &AtomicUsize, other: &AtomicUsize) {
                let check = |w: &Worker| {
                    assert_eq!(Some(w.index()), amrkit_pool::current_thread_index());
                    assert_eq!(w.num_threads(), 2);
                    halves.fetch_add(1, Ordering::Relaxed);
                };
                if depth == 0 {
                    // Enough work per leaf that the other worker steals some.
                    spin(Duration::from_micros(20));
                    return;
                }
                let forker = w.index();
                w.join(
                    |w| {
                        check(w);
                        walk(w, depth - 1, halves, other)
                    },
                    |w| {
                        check(w);
                        if w.index() != forker {
                            other.fetch_add(1, Ordering::Relaxed);
                        }
                        walk(w, depth - 1, halves, other)
                    },
                );
            }
            for _ in 0..20 {
                pool.install(|| with_worker(|w| walk(w, 8, &halves, &other_threads)));
                if other_threads.load(Ordering::Relaxed) > 0 {
                    break;
                }
            }
            assert!(halves.load(Ordering::Relaxed) > 0);
            assert!(
                other_threads.load(Ordering::Relaxed) > 0,
                "no half was ever stolen: the test did not reach the thief's path"
            );
        },
    );
}

/// A second half that runs while the first half waits for it can only run
/// on the other worker: it must say it was migrated, and the first half
/// must say it was not.
#[test]
fn stolen_half_is_migrated() {
    with_watchdog("stolen_half_is_migrated", Duration::from_secs(60), || {
        let pool = Pool::builder().num_threads(2).build().unwrap();
        let (a, (b, b_thread, forker)) = pool.install(|| {
            let forker = amrkit_pool::current_thread_index();
            let b_done = AtomicBool::new(false);
            join_context(
                |c| {
                    while !b_done.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                    c.migrated()
                },
                |c| {
                    b_done.store(true, Ordering::Release);
                    (c.migrated(), amrkit_pool::current_thread_index(), forker)
                },
            )
        });
        assert!(!a, "the first half runs where join_context was called");
        assert_ne!(b_thread, forker);
        assert!(b, "a half run by another worker must be migrated");
    });
}

/// Over a whole tree on two workers, `migrated` holds exactly when the half
/// runs on another thread than its fork.
#[test]
fn migrated_iff_another_thread() {
    with_watchdog(
        "migrated_iff_another_thread",
        Duration::from_secs(60),
        || {
            let pool = Pool::builder().num_threads(2).build().unwrap();
            let inline = AtomicUsize::new(0);
            let moved = AtomicUsize::new(0);
            fn walk(depth: u32, inline: &AtomicUsize, moved: &AtomicUsize) {
                if depth == 0 {
                    spin(Duration::from_micros(20));
                    return;
                }
                let forker = amrkit_pool::current_thread_index();
                let check = |migrated: bool| {
                    let here = amrkit_pool::current_thread_index();
                    assert_eq!(migrated, here != forker, "migrated flag wrong");
                    if migrated { moved } else { inline }.fetch_add(1, Ordering::Relaxed);
                };
                join_context(
                    |c| {
                        check(c.migrated());
                        walk(depth - 1, inline, moved)
                    },
                    |c| {
                        check(c.migrated());
                        walk(depth - 1, inline, moved)
                    },
                );
            }
            for _ in 0..20 {
                pool.install(|| walk(8, &inline, &moved));
                if moved.load(Ordering::Relaxed) > 0 {
                    break;
                }
            }
            assert!(inline.load(Ordering::Relaxed) > 0);
            assert!(moved.load(Ordering::Relaxed) > 0, "no half ever migrated");
        },
    );
}

/// `Worker::join` keeps `join`'s cap: under `max_threads(1)` every half of
/// a recursion runs on one thread at a time.
#[test]
fn worker_join_respects_the_cap() {
    with_watchdog(
        "worker_join_respects_the_cap",
        Duration::from_secs(60),
        || {
            let pool = Pool::builder().num_threads(2).build().unwrap();
            let conc = common::Concurrency::default();
            fn walk(w: &Worker, depth: u32, conc: &common::Concurrency) {
                if depth == 0 {
                    let _g = conc.enter();
                    spin(Duration::from_micros(20));
                    return;
                }
                w.join(|w| walk(w, depth - 1, conc), |w| walk(w, depth - 1, conc));
            }
            pool.par().max_threads(1).for_each(0..4, |_| {
                with_worker(|w| walk(w, 8, &conc));
            });
            assert_eq!(conc.max(), 1, "a capped Worker::join ran on two threads");
            // Uncapped, the same work does use both (positive control, a few
            // tries: the machine may be loaded).
            let conc2 = common::Concurrency::default();
            for _ in 0..5 {
                pool.install(|| with_worker(|w| walk(w, 10, &conc2)));
                if conc2.max() == 2 {
                    break;
                }
            }
            assert_eq!(
                conc2.max(),
                2,
                "uncapped Worker::join never ran in parallel"
            );
        },
    );
}

/// Both halves run even when one panics, and the first half's panic wins.
#[test]
fn panics_propagate_and_both_halves_run() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let b_ran = AtomicBool::new(false);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| {
            with_worker(|w| {
                w.join(
                    |_| -> u32 { panic!("first") },
                    |_| {
                        b_ran.store(true, Ordering::SeqCst);
                        panic!("second")
                    },
                )
            })
        })
    }));
    let payload = r.expect_err("join did not panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"first"));
    assert!(b_ran.load(Ordering::SeqCst));
    // The pool still works.
    assert_eq!(pool.install(|| with_worker(|w| tree_sum(w, 0, 100))), 4950);
}
