//! The per-call `max_threads` cap: at most k threads execute work of a call
//! at any instant, nested calls included.
//!
//! The measure is *threads*, not frames: [`ThreadsInside`] keeps, per
//! worker index, how many frames of the capped call's work that worker is
//! inside right now, and tracks the largest number of workers with a
//! non-zero count at one instant. The leaves sit inside nested *uncapped*
//! `par()` and `join` calls, long enough (a few hundred microseconds each)
//! that idle workers steal them if the cap is not passed down; positive
//! controls show the same work, uncapped, does spread over more than k
//! threads, so a pass cannot come from running serially.

use crate::common;

use amrkit_pool::{current_num_threads, join, par, Pool};
use common::{spin_for, with_watchdog, ThreadsInside};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

const POOL: usize = 8;

fn pool8() -> Pool {
    // More threads than cores on purpose: the cap, not the machine, must
    // bound the concurrency.
    Pool::builder().num_threads(POOL).build().unwrap()
}

const LEAF: Duration = Duration::from_micros(300);

/// One item of the outer call: the item's own frame, then leaves inside
/// nested uncapped calls (`par().for_each`, `par().map_range`, `join`, and a
/// `par` nested in a `par`). Returns a checksum of the nested results.
fn nested_item(inside: &ThreadsInside, caps: &Mutex<HashSet<usize>>) -> usize {
    let _item = inside.enter();
    let leaf = || {
        let _g = inside.enter();
        caps.lock().unwrap().insert(current_num_threads());
        spin_for(LEAF);
    };
    par().for_each(0..12, |_| leaf());
    let v = par().map_range(0..6, |j| {
        leaf();
        j
    });
    let (a, b) = join(
        || {
            leaf();
            1
        },
        || {
            leaf();
            2
        },
    );
    par().for_each(0..3, |_| {
        let _g = inside.enter();
        par().for_each(0..4, |_| leaf());
    });
    v.iter().sum::<usize>() + a + b
}

/// The most threads that ran work of one call of `items` nested items at
/// once, with the given cap (`None`: uncapped), and the caps reported to
/// the leaves.
fn measure(pool: &Pool, cap: Option<usize>, items: usize) -> (usize, HashSet<usize>) {
    let inside = ThreadsInside::new(POOL);
    let caps = Mutex::new(HashSet::new());
    let par = match cap {
        Some(k) => pool.par().max_threads(k),
        None => pool.par(),
    };
    let sums = par.map_range(0..items, |_| nested_item(&inside, &caps));
    assert!(sums.iter().all(|&s| s == 15 + 3), "{sums:?}");
    (inside.max(), caps.into_inner().unwrap())
}

#[test]
fn nested_uncapped_par_and_join_leaves_stay_within_the_cap() {
    let pool = pool8();
    with_watchdog("nested cap", Duration::from_secs(60), || {
        for k in 1..=3 {
            for _round in 0..3 {
                let (max, caps) = measure(&pool, Some(k), 8);
                assert!(
                    max <= k,
                    "cap {k}: {max} threads ran work of the call at once"
                );
                assert_eq!(
                    caps,
                    HashSet::from([k]),
                    "cap {k}: caps seen by nested leaves"
                );
            }
        }
    });
}

#[test]
fn the_same_nested_work_uncapped_spreads_over_more_than_three_threads() {
    // Positive control for the test above: without a cap the same shape
    // of work does reach more threads than any cap tested there.
    let pool = pool8();
    with_watchdog("uncapped control", Duration::from_secs(60), || {
        let mut best = 0;
        for _ in 0..10 {
            let (max, caps) = measure(&pool, None, 8);
            assert_eq!(caps, HashSet::from([POOL]));
            best = best.max(max);
            if best > 3 {
                break;
            }
        }
        assert!(
            best > 3,
            "uncapped work used at most {best} threads at once"
        );
    });
}

#[test]
fn current_num_threads_reports_the_cap_in_force() {
    let pool = pool8();
    for k in 1..=3 {
        let seen_cap = Mutex::new(HashSet::new());
        pool.par().max_threads(k).for_each(0..200, |_| {
            seen_cap.lock().unwrap().insert(current_num_threads());
            // And in nested uncapped calls, however they were split.
            par().for_each(0..8, |_| {
                seen_cap.lock().unwrap().insert(current_num_threads());
                spin_for(Duration::from_micros(20));
            });
        });
        assert_eq!(*seen_cap.lock().unwrap(), HashSet::from([k]));
    }
    // Uncapped: the whole pool.
    assert_eq!(
        pool.par().map_range(0..1, |_| current_num_threads()),
        vec![POOL]
    );
}

#[test]
fn cap_of_one_runs_inline_on_the_calling_thread() {
    let pool = pool8();
    pool.install(|| {
        let me = std::thread::current().id();
        let ids = pool.par().max_threads(1).map_range(0..500, |_| {
            // Nested joins and calls stay on this thread as well.
            let (a, b) = join(
                || std::thread::current().id(),
                || std::thread::current().id(),
            );
            assert_eq!(a, b);
            let inner = par().map_range(0..10, |_| std::thread::current().id());
            assert!(inner.iter().all(|&t| t == a));
            a
        });
        assert!(ids.iter().all(|&t| t == me));
    });
}

#[test]
fn nested_smaller_cap_wins_and_larger_cap_is_clamped() {
    let pool = pool8();
    with_watchdog("nested caps", Duration::from_secs(60), || {
        let outer = ThreadsInside::new(POOL);
        pool.par().max_threads(3).for_each(0..12, |_| {
            let _o = outer.enter();
            // Asks for more than the outer cap: still bounded by 3 overall
            // (counted in `outer`, together with everything else).
            par().max_threads(6).for_each(0..16, |_| {
                let _i = outer.enter();
                assert_eq!(current_num_threads(), 3);
                spin_for(LEAF);
            });
            // Asks for fewer: bounded by its own cap, per call.
            let inner = ThreadsInside::new(POOL);
            let seen = par().max_threads(2).map_range(0..8, |_| {
                let _o = outer.enter();
                let _i = inner.enter();
                par().for_each(0..4, |_| {
                    let _i = inner.enter();
                    spin_for(Duration::from_micros(100));
                });
                current_num_threads()
            });
            assert!(seen.iter().all(|&n| n == 2), "{seen:?}");
            assert!(
                inner.max() <= 2,
                "cap 2 call ran on {} threads",
                inner.max()
            );
        });
        assert!(
            outer.max() <= 3,
            "cap 3 call ran on {} threads",
            outer.max()
        );
    });
}

#[test]
fn scope_and_join_inside_a_capped_call_respect_it() {
    let pool = pool8();
    with_watchdog("scope under cap", Duration::from_secs(60), || {
        let inside = ThreadsInside::new(POOL);
        pool.par().max_threads(2).for_each(0..8, |_| {
            let _g = inside.enter();
            amrkit_pool::scope(|s| {
                for _ in 0..6 {
                    s.spawn(|s| {
                        let _g = inside.enter();
                        spin_for(Duration::from_micros(200));
                        // Nested spawns and joins inherit the cap too.
                        s.spawn(|_| {
                            let _g = inside.enter();
                            spin_for(Duration::from_micros(200));
                        });
                        join(
                            || {
                                let _g = inside.enter();
                                spin_for(Duration::from_micros(200));
                            },
                            || {
                                let _g = inside.enter();
                                spin_for(Duration::from_micros(200));
                            },
                        );
                    });
                }
            });
        });
        assert!(inside.max() <= 2, "{} threads", inside.max());
    });
}

#[test]
fn uncapped_scope_spawns_spread_over_more_than_two_threads() {
    // Positive control for the scope test above.
    let pool = pool8();
    with_watchdog("uncapped scope control", Duration::from_secs(60), || {
        let mut best = 0;
        for _ in 0..10 {
            let inside = ThreadsInside::new(POOL);
            pool.par().for_each(0..8, |_| {
                let _g = inside.enter();
                amrkit_pool::scope(|s| {
                    for _ in 0..6 {
                        s.spawn(|_| {
                            let _g = inside.enter();
                            spin_for(Duration::from_micros(200));
                        });
                    }
                });
            });
            best = best.max(inside.max());
            if best > 2 {
                break;
            }
        }
        assert!(
            best > 2,
            "uncapped scope work used at most {best} threads at once"
        );
    });
}
