//! The context-passing forms of `join`: `Worker::join` (each half gets the
//! worker that runs it) and `join_context` (each half learns whether it was
//! migrated).

use crate::common;

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
    with_watchdog(
        "panics_propagate_and_both_halves_run",
        Duration::from_secs(60),
        || {
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
        },
    );
}

/// `Worker` must be neither `Send` nor `Sync` (that is what stops a `Send`
/// closure from capturing an outer `&Worker` and forking on another thread
/// into this worker's deque). Checked at compile time: if `Worker` gained
/// either trait, both impls below would apply and the path would be
/// ambiguous, so this file would not build.
#[test]
fn worker_is_neither_send_nor_sync() {
    trait AmbiguousIfSend<A> {
        fn some() {}
    }
    impl<T: ?Sized> AmbiguousIfSend<()> for T {}
    impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}
    trait AmbiguousIfSync<A> {
        fn some() {}
    }
    impl<T: ?Sized> AmbiguousIfSync<()> for T {}
    impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
    <Worker as AmbiguousIfSend<_>>::some();
    <Worker as AmbiguousIfSync<_>>::some();
    // `FnContext` is a plain value: it may travel.
    fn send_sync<T: Send + Sync + Copy>() {}
    send_sync::<amrkit_pool::FnContext>();
}

/// A join_context tree under a cap: `migrated` holds exactly when the half
/// runs on another thread than its fork, at most `cap` threads run leaves at
/// once, and `Worker::join` hands each half its own worker. With a cap below
/// the pool size, thieves without a slot hand capped halves back to their
/// forker, which runs them from its inbox: those must say "not migrated".
#[test]
fn migrated_iff_another_thread_under_caps() {
    with_watchdog(
        "migrated_iff_another_thread_under_caps",
        Duration::from_secs(120),
        || {
            fn walk(depth: u32, inside: &common::ThreadsInside, moved: &AtomicUsize) {
                if depth == 0 {
                    let _g = inside.enter();
                    spin(Duration::from_micros(20));
                    return;
                }
                let forker = amrkit_pool::current_thread_index().unwrap();
                let check = |migrated: bool| {
                    let here = amrkit_pool::current_thread_index().unwrap();
                    assert_eq!(migrated, here != forker, "migrated flag wrong");
                    if migrated {
                        moved.fetch_add(1, Ordering::Relaxed);
                    }
                };
                join_context(
                    |c| {
                        check(c.migrated());
                        walk(depth - 1, inside, moved)
                    },
                    |c| {
                        check(c.migrated());
                        walk(depth - 1, inside, moved)
                    },
                );
            }
            fn wwalk(w: &Worker, depth: u32, inside: &common::ThreadsInside) {
                assert_eq!(Some(w.index()), amrkit_pool::current_thread_index());
                if depth == 0 {
                    let _g = inside.enter();
                    spin(Duration::from_micros(20));
                    return;
                }
                w.join(
                    |w| wwalk(w, depth - 1, inside),
                    |w| wwalk(w, depth - 1, inside),
                );
            }
            for (threads, cap) in [(3, 2), (4, 2), (4, 3)] {
                let pool = Pool::builder().num_threads(threads).build().unwrap();
                let moved = AtomicUsize::new(0);
                let inside = common::ThreadsInside::new(threads);
                let winside = common::ThreadsInside::new(threads);
                // At least 10 rounds, and on until a half has migrated: on a
                // loaded machine the other workers may get no CPU for the
                // first rounds, so a fixed count would make the liveness
                // check below depend on the scheduler (it failed once under
                // load average 20). 2,000 rounds bound a real failure.
                for round in 0..2_000 {
                    pool.par().max_threads(cap).for_each(0..1, |_| {
                        walk(7, &inside, &moved);
                        with_worker(|w| wwalk(w, 7, &winside));
                    });
                    if round >= 9 && moved.load(Ordering::Relaxed) > 0 {
                        break;
                    }
                }
                assert!(
                    inside.max() <= cap,
                    "join_context ran on {} > {cap} threads",
                    inside.max()
                );
                assert!(
                    winside.max() <= cap,
                    "Worker::join ran on {} > {cap} threads",
                    winside.max()
                );
                assert!(
                    moved.load(Ordering::Relaxed) > 0,
                    "{threads} workers, cap {cap}: no half ever migrated"
                );
            }
        },
    );
}

/// Nested pools: each `Worker` belongs to the pool whose worker runs it
/// (pool indices overlap: worker 0 of one pool is not worker 0 of the
/// other), and `join_context` inside an `install` from another pool's worker
/// judges migration within the inner pool.
#[test]
fn nested_pools_each_worker_is_its_own_pools() {
    with_watchdog(
        "nested_pools_each_worker_is_its_own_pools",
        Duration::from_secs(60),
        || {
            let a = Pool::builder().num_threads(2).build().unwrap();
            let b = Pool::builder().num_threads(3).build().unwrap();
            let moved = AtomicUsize::new(0);
            a.install(|| {
                with_worker(|wa| {
                    assert_eq!(wa.num_threads(), 2);
                    let ((), ()) = wa.join(
                        |wa| {
                            assert_eq!(wa.num_threads(), 2);
                            b.install(|| {
                                with_worker(|wb| {
                                    assert_eq!(wb.num_threads(), 3);
                                    assert_eq!(
                                        Some(wb.index()),
                                        amrkit_pool::current_thread_index()
                                    );
                                });
                                for _ in 0..20 {
                                    let forker = amrkit_pool::current_thread_index();
                                    let (x, y) = join_context(
                                        |c| c.migrated(),
                                        |c| {
                                            spin(Duration::from_micros(50));
                                            (c.migrated(), amrkit_pool::current_thread_index())
                                        },
                                    );
                                    assert!(!x);
                                    assert_eq!(y.0, y.1 != forker);
                                    if y.0 {
                                        moved.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            })
                        },
                        |wa| {
                            assert_eq!(wa.num_threads(), 2);
                            assert_eq!(Some(wa.index()), amrkit_pool::current_thread_index());
                        },
                    );
                })
            });
        },
    );
}

/// A first half that panics while the second runs on another worker: the
/// join waits for the second half to finish before the panic leaves (its
/// frame holds the job), and the first panic is the one that comes out.
#[test]
fn first_panic_waits_for_the_stolen_half() {
    with_watchdog(
        "first_panic_waits_for_the_stolen_half",
        Duration::from_secs(60),
        || {
            let pool = Pool::builder().num_threads(2).build().unwrap();
            for _ in 0..20 {
                let started = AtomicBool::new(false);
                let finished = AtomicBool::new(false);
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pool.install(|| {
                        join_context(
                            |_| -> u32 {
                                while !started.load(Ordering::Acquire) {
                                    std::thread::yield_now();
                                }
                                panic!("first")
                            },
                            |c| {
                                assert!(c.migrated());
                                started.store(true, Ordering::Release);
                                spin(Duration::from_millis(2));
                                finished.store(true, Ordering::Release);
                                panic!("second")
                            },
                        )
                    })
                }));
                let payload = r.expect_err("join_context did not panic");
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"first"));
                assert!(
                    finished.load(Ordering::Acquire),
                    "the panic left before the stolen half ended"
                );
            }
        },
    );
}

/// "The first half's panic wins" also when the second half's *result*
/// panics as it is dropped (it is thrown away because of the first panic),
/// run inline or by a thief.
#[test]
fn first_panic_wins_over_a_panicking_drop_of_the_second_result() {
    with_watchdog(
        "first_panic_wins_over_a_panicking_drop_of_the_second_result",
        Duration::from_secs(60),
        || {
            #[derive(Debug)]
            struct PanicOnDrop;
            impl Drop for PanicOnDrop {
                fn drop(&mut self) {
                    panic!("drop of b's result");
                }
            }
            for threads in [1, 2] {
                let pool = Pool::builder().num_threads(threads).build().unwrap();
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pool.install(|| {
                        with_worker(|w| {
                            let started = AtomicBool::new(false);
                            w.join(
                                |_| -> u32 {
                                    // With two workers, let the other one
                                    // take `b` first (not guaranteed:
                                    // either path must give "first").
                                    let t = std::time::Instant::now();
                                    while threads > 1
                                        && !started.load(Ordering::Acquire)
                                        && t.elapsed() < Duration::from_millis(200)
                                    {
                                        std::thread::yield_now();
                                    }
                                    panic!("first")
                                },
                                |_| {
                                    started.store(true, Ordering::Release);
                                    PanicOnDrop
                                },
                            )
                        })
                    })
                }));
                let payload = r.expect_err("join did not panic");
                assert_eq!(
                    payload.downcast_ref::<&str>(),
                    Some(&"first"),
                    "{threads} workers: the first half's panic did not win"
                );
                // Plain `join` shares the fork and the contract.
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pool.install(|| {
                        amrkit_pool::join(|| -> u32 { panic!("first") }, || PanicOnDrop)
                    })
                }));
                let payload = r.expect_err("join did not panic");
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"first"));
                // The pool still works.
                assert_eq!(pool.install(|| with_worker(|w| tree_sum(w, 0, 100))), 4950);
            }
        },
    );
}

/// The hand-back path: on three workers under `max_threads(2)`, the forker
/// `O` forks `b1` and then `b2` while the cap still has room (so neither is
/// tagged). A thief takes `b1` and holds the second slot while it runs; the
/// third worker then takes `b2`, finds no slot and hands it back to `O`'s
/// inbox, where `O` runs it through the queue path (`StackJob::execute`),
/// not inline. That half ran on its forker's thread: it must say "not
/// migrated". (Mutation caught: `let migrated = true;` in `execute`.)
#[test]
fn half_handed_back_under_a_cap_is_not_migrated() {
    with_watchdog(
        "half_handed_back_under_a_cap_is_not_migrated",
        Duration::from_secs(120),
        || {
            let pool = Pool::builder().num_threads(3).build().unwrap();
            let mut handed_back = 0;
            for _ in 0..60 {
                let before = pool.stats();
                let (o, b1, b2) = pool.par().max_threads(2).map_range(0..1, |_| {
                    let o = amrkit_pool::current_thread_index().unwrap();
                    let b1_started = AtomicBool::new(false);
                    let b2_done = AtomicBool::new(false);
                    let here = || amrkit_pool::current_thread_index().unwrap();
                    let ((_, b2), b1) = join_context(
                        |c| {
                            assert!(!c.migrated());
                            join_context(
                                |_| {
                                    // Let a thief take b1, then give the
                                    // third worker time to take b2.
                                    let t = std::time::Instant::now();
                                    while !b1_started.load(Ordering::Acquire)
                                        && t.elapsed() < Duration::from_millis(200)
                                    {
                                        std::thread::yield_now();
                                    }
                                    spin(Duration::from_millis(5));
                                },
                                |c| {
                                    let r = (c.migrated(), here());
                                    b2_done.store(true, Ordering::Release);
                                    r
                                },
                            )
                        },
                        |c| {
                            b1_started.store(true, Ordering::Release);
                            let r = (c.migrated(), here());
                            // Hold the slot until b2 has run (bounded).
                            let t = std::time::Instant::now();
                            while !b2_done.load(Ordering::Acquire)
                                && t.elapsed() < Duration::from_millis(200)
                            {
                                std::thread::yield_now();
                            }
                            r
                        },
                    );
                    (o, b1, b2)
                })[0];
                let stolen: u64 = pool
                    .stats()
                    .since(&before)
                    .workers
                    .iter()
                    .map(|w| w.jobs_stolen)
                    .sum();
                assert_eq!(b1.0, b1.1 != o, "b1: migrated flag wrong");
                assert_eq!(b2.0, b2.1 != o, "b2: migrated flag wrong");
                // Both taken by thieves, yet b2 ran on its forker: handed back.
                if stolen >= 2 && b1.1 != o && b2.1 == o {
                    handed_back += 1;
                    if handed_back >= 3 {
                        break;
                    }
                }
            }
            assert!(
                handed_back > 0,
                "no try took the hand-back path: the test did not reach it"
            );
        },
    );
}
