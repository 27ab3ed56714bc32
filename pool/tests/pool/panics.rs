//! Panics propagate to the caller after sibling work finished; the pool
//! survives them; detached panics go to the handler.

use crate::common;

use amrkit_pool::{join, par, scope, Pool};
use common::{message, pool, with_watchdog};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn join_panics_resume_after_the_sibling_finished() {
    let p = pool(3);
    for side in 0..2 {
        let sibling_done = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            p.install(|| {
                join(
                    || {
                        if side == 0 {
                            panic!("left");
                        }
                        std::thread::sleep(Duration::from_millis(5));
                        sibling_done.fetch_add(1, Ordering::SeqCst);
                    },
                    || {
                        if side == 1 {
                            panic!("right");
                        }
                        sibling_done.fetch_add(1, Ordering::SeqCst);
                    },
                )
            })
        }));
        let msg = message(r.unwrap_err());
        assert_eq!(msg, if side == 0 { "left" } else { "right" });
        if side == 1 {
            // `a` always runs first and completes before `b`'s panic lands.
            assert_eq!(sibling_done.load(Ordering::SeqCst), 1);
        }
    }
    assert_eq!(p.install(|| join(|| 1, || 2)), (1, 2));
}

#[test]
fn panic_deep_in_a_parallel_tree_unwinds_cleanly() {
    let p = pool(3);
    fn tree(d: u32) -> u64 {
        if d == 0 {
            return 1;
        }
        if d == 7 {
            // Some subtrees panic, in parallel with healthy ones.
            static N: AtomicUsize = AtomicUsize::new(0);
            if N.fetch_add(1, Ordering::Relaxed).is_multiple_of(3) {
                panic!("subtree");
            }
        }
        let (a, b) = join(|| tree(d - 1), || tree(d - 1));
        a + b
    }
    for _ in 0..20 {
        let r = catch_unwind(AssertUnwindSafe(|| p.install(|| tree(14))));
        assert_eq!(message(r.unwrap_err()), "subtree");
    }
    assert_eq!(p.install(|| join(|| 3, || 4)), (3, 4));
}

#[test]
fn scope_panics_wait_for_every_spawned_job() {
    let p = pool(3);
    let finished = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.scope(|s| {
            for i in 0..20 {
                let finished = &finished;
                s.spawn(move |_| {
                    std::thread::sleep(Duration::from_millis(1));
                    if i == 5 {
                        panic!("spawned {i}");
                    }
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
        })
    }));
    assert_eq!(message(r.unwrap_err()), "spawned 5");
    // No spawned job still borrows `finished`: all 19 others completed.
    assert_eq!(finished.load(Ordering::SeqCst), 19);
    // The body's own panic.
    let r = catch_unwind(AssertUnwindSafe(|| {
        scope(|s| {
            s.spawn(|_| std::thread::sleep(Duration::from_millis(2)));
            panic!("body");
        })
    }));
    assert_eq!(message(r.unwrap_err()), "body");
}

#[test]
fn install_and_par_panics_reach_the_caller() {
    let p = pool(3);
    let r = catch_unwind(AssertUnwindSafe(|| p.install(|| panic!("installed"))));
    assert_eq!(message(r.unwrap_err()), "installed");
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.par()
            .map_range(0..1000, |i| if i == 777 { panic!("item {i}") } else { i })
    }));
    assert_eq!(message(r.unwrap_err()), "item 777");
    let r = catch_unwind(AssertUnwindSafe(|| {
        par().reduce(
            0..1000,
            || 0,
            |a, i| if i == 3 { panic!("fold") } else { a + i },
            |a, b| a + b,
        )
    }));
    assert_eq!(message(r.unwrap_err()), "fold");
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.broadcast(|i| if i == 1 { panic!("bcast") } else { i })
    }));
    assert_eq!(message(r.unwrap_err()), "bcast");
    assert_eq!(p.par().map_range(0..4, |i| i * 2), vec![0, 2, 4, 6]);
}

#[test]
fn detached_panics_go_to_the_handler() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let p = Pool::builder()
        .num_threads(2)
        .panic_handler(move |payload| s2.lock().unwrap().push(message(payload)))
        .build()
        .unwrap();
    for i in 0..10 {
        p.spawn(move || {
            if i % 2 == 0 {
                panic!("detached {i}");
            }
        });
    }
    p.shutdown();
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    assert_eq!(
        got,
        (0..10)
            .step_by(2)
            .map(|i| format!("detached {i}"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn stampede_of_panicking_tasks_and_the_pool_still_serves() {
    let p = pool(3);
    with_watchdog("panic stampede", Duration::from_secs(120), || {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {})); // keep the log readable
        let caught = AtomicUsize::new(0);
        p.par().for_each(0..10_000, |i| {
            let r = catch_unwind(AssertUnwindSafe(|| {
                amrkit_pool::join(
                    || {
                        if i % 2 == 0 {
                            panic!("even")
                        }
                    },
                    || {
                        if i % 2 == 1 {
                            panic!("odd")
                        }
                    },
                )
            }));
            if r.is_err() {
                caught.fetch_add(1, Ordering::Relaxed);
            }
        });
        let mut escaped = 0;
        for _ in 0..100 {
            if catch_unwind(AssertUnwindSafe(|| {
                p.par().for_each(0..100, |i| {
                    if i == 50 {
                        panic!("x")
                    }
                })
            }))
            .is_err()
            {
                escaped += 1;
            }
        }
        std::panic::set_hook(hook);
        assert_eq!(caught.load(Ordering::Relaxed), 10_000);
        assert_eq!(escaped, 100);
        let v: Vec<u64> = p.par().map_range(0..10_000, |i| i as u64);
        assert_eq!(v.iter().sum::<u64>(), 49_995_000);
    });
}
