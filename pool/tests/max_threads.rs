//! The per-call `max_threads` cap: at most k threads execute work of a call
//! at any instant, nested calls included.

mod common;

use amrkit_pool::{current_num_threads, join, par, Pool};
use common::{spin_work, with_watchdog, Concurrency};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

fn pool8() -> Pool {
    // More threads than cores on purpose: the cap, not the machine, must
    // bound the concurrency.
    Pool::builder().num_threads(8).build().unwrap()
}

#[test]
fn nested_uncapped_calls_inherit_the_outer_cap() {
    let pool = pool8();
    with_watchdog("nested cap", Duration::from_secs(120), || {
        for k in 1..=3 {
            for _round in 0..3 {
                let active = Concurrency::default();
                let items: Vec<u64> = (0..64).collect();
                let want_s = (0..300u64).fold(0u64, |a, j| a.wrapping_add(spin_work(j % 5)));
                let out = pool.par().max_threads(k).map(&items, |&i| {
                    let _g = active.enter();
                    // Inner calls are uncapped but must inherit `k`.
                    let inner: Vec<u64> = par().map_range(0..200, |j| spin_work(50 + j as u64 % 7));
                    let s = par().reduce(
                        0..300,
                        || 0u64,
                        |a, j| a + spin_work(j as u64 % 5),
                        |a, b| a.wrapping_add(b),
                    );
                    assert_eq!(s, want_s);
                    i + inner.len() as u64
                });
                assert_eq!(out, items.iter().map(|i| i + 200).collect::<Vec<_>>());
                assert!(
                    active.max() <= k,
                    "k = {k}: {} items ran at once",
                    active.max()
                );
            }
        }
    });
}

#[test]
fn current_num_threads_reports_the_cap_in_force() {
    let pool = pool8();
    for k in 1..=3 {
        let seen_cap = Mutex::new(HashSet::new());
        pool.par().max_threads(k).for_each(0..2000, |_| {
            seen_cap.lock().unwrap().insert(current_num_threads());
            spin_work(200);
        });
        assert_eq!(*seen_cap.lock().unwrap(), HashSet::from([k]));
    }
    // Uncapped: the whole pool.
    assert_eq!(
        pool.par().map_range(0..1, |_| current_num_threads()),
        vec![8]
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
    let outer = Concurrency::default();
    let inner = Concurrency::default();
    pool.par().max_threads(3).for_each(0..24, |_| {
        let _o = outer.enter();
        // Asks for more than the outer cap: still bounded by 3 overall.
        par().max_threads(6).for_each(0..50, |_| {
            let _i = inner.enter();
            spin_work(300);
        });
        // Asks for fewer: bounded by its own cap.
        let seen = par()
            .max_threads(2)
            .map_range(0..4, |_| current_num_threads());
        assert!(seen.iter().all(|&n| n <= 2));
    });
    assert!(outer.max() <= 3, "outer {}", outer.max());
    assert!(inner.max() <= 3, "inner {}", inner.max());
}

#[test]
fn scope_and_join_inside_a_capped_call_respect_it() {
    let pool = pool8();
    let active = Concurrency::default();
    pool.par().max_threads(2).for_each(0..16, |_| {
        amrkit_pool::scope(|s| {
            for _ in 0..8 {
                s.spawn(|_| {
                    let _g = active.enter();
                    spin_work(2000);
                });
            }
        });
    });
    assert!(active.max() <= 2, "{}", active.max());
}

#[test]
fn uncapped_call_can_use_the_whole_pool() {
    // A positive control: without a cap, work spreads over several threads,
    // so the capped tests above are not passing merely by running serially.
    let pool = Pool::builder().num_threads(4).build().unwrap();
    let threads = Mutex::new(HashSet::new());
    for _ in 0..20 {
        pool.par().for_each(0..64, |_| {
            threads.lock().unwrap().insert(std::thread::current().id());
            std::thread::sleep(Duration::from_micros(200));
        });
        if threads.lock().unwrap().len() > 1 {
            break;
        }
    }
    assert!(threads.lock().unwrap().len() > 1);
}
