//! Broadcast spawns: one call per worker, each told its index, without
//! waiting; a worker runs broadcasts in the order they reached it; panics
//! go to the panic handler (pool-level) or to the scope's caller.

use crate::{eventually, watchdog};
use amrkit_pool::{scope, spawn_broadcast, Pool};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Mutex};

#[test]
fn pool_spawn_broadcast_calls_every_index_once_and_drops_f_after() {
    watchdog("spawn_broadcast", || {
        let pool = Pool::builder().num_threads(5).build().unwrap();
        let (tx, rx) = channel();
        pool.spawn_broadcast(move |ctx| {
            assert_eq!(ctx.num_threads(), 5);
            tx.send((ctx.index(), amrkit_pool::current_thread_index()))
                .unwrap();
        });
        // The iterator ends when the last call has dropped `f` (and `tx`).
        let mut seen: Vec<_> = rx.iter().collect();
        seen.sort();
        let want: Vec<_> = (0..5).map(|i| (i, Some(i))).collect();
        assert_eq!(seen, want, "each index once, on its own worker");
    });
}

#[test]
fn free_spawn_broadcast_uses_the_current_pool() {
    watchdog("free spawn_broadcast", || {
        let pool = Pool::builder().num_threads(3).build().unwrap();
        let (tx, rx) = channel();
        pool.install(move || spawn_broadcast(move |ctx| tx.send(ctx.index()).unwrap()));
        let mut seen: Vec<_> = rx.iter().collect();
        seen.sort();
        assert_eq!(seen, [0, 1, 2]);
    });
}

#[test]
fn a_blocking_broadcast_runs_after_earlier_spawned_ones_everywhere() {
    watchdog("broadcast after spawn_broadcast", || {
        for threads in [1, 4] {
            let pool = Pool::builder().num_threads(threads).build().unwrap();
            for _ in 0..50 {
                let done = Arc::new(AtomicUsize::new(0));
                for _ in 0..3 {
                    let d = done.clone();
                    pool.spawn_broadcast(move |_| {
                        std::thread::yield_now();
                        d.fetch_add(1, Ordering::SeqCst);
                    });
                }
                // Each worker's queue is FIFO: its share of this broadcast
                // runs after its share of the three above.
                pool.broadcast(|_| ());
                assert_eq!(done.load(Ordering::SeqCst), 3 * threads);
            }
        }
    });
}

#[test]
fn pool_spawn_broadcast_panics_go_to_the_panic_handler() {
    watchdog("spawn_broadcast panics", || {
        let caught = Arc::new(AtomicUsize::new(0));
        let c = caught.clone();
        let pool = Pool::builder()
            .num_threads(4)
            .panic_handler(move |_| {
                c.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        pool.spawn_broadcast(|ctx| {
            if ctx.index() % 2 == 1 {
                panic!("broadcast call {} panics", ctx.index());
            }
        });
        assert!(eventually(|| caught.load(Ordering::SeqCst) == 2));
        // The workers survived it.
        assert_eq!(pool.broadcast(|i| i), vec![0, 1, 2, 3]);
    });
}

#[test]
fn scope_spawn_broadcast_runs_every_worker_at_once_and_is_waited_for() {
    watchdog("scope spawn_broadcast", || {
        let n = 4;
        let pool = Pool::builder().num_threads(n).build().unwrap();
        // All calls meet at a barrier: only possible if each runs on its own
        // worker, at the same time.
        let barrier = Barrier::new(n);
        let seen = Mutex::new(Vec::new());
        pool.scope(|s| {
            s.spawn_broadcast(|_, ctx| {
                barrier.wait();
                seen.lock().unwrap().push(ctx.index());
            });
        });
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, [0, 1, 2, 3]);
        // Nested: each call broadcasts again into the same scope.
        let calls = AtomicUsize::new(0);
        pool.install(|| {
            scope(|s| {
                s.spawn_broadcast(|s, _| {
                    s.spawn_broadcast(|_, _| {
                        calls.fetch_add(1, Ordering::Relaxed);
                    });
                });
            })
        });
        assert_eq!(calls.into_inner(), n * n);
    });
}

#[test]
fn scope_spawn_broadcast_panic_reaches_the_scope_after_every_call() {
    watchdog("scope spawn_broadcast panic", || {
        let pool = Pool::builder().num_threads(3).build().unwrap();
        let finished = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            pool.in_place_scope(|s| {
                s.spawn_broadcast(|_, ctx| {
                    if ctx.index() == 1 {
                        panic!("call 1");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            })
        }));
        let payload = r.expect_err("the call's panic must reach the scope's caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"call 1"));
        assert_eq!(finished.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn scope_spawn_broadcast_ignores_a_full_cap_but_passes_it_on() {
    watchdog("scope spawn_broadcast under a cap", || {
        let pool = Pool::builder().num_threads(3).build().unwrap();
        let seen = Mutex::new(Vec::new());
        pool.par().max_threads(1).for_each(0..1, |_| {
            scope(|s| {
                s.spawn_broadcast(|_, ctx| {
                    // Nested parallel calls see the cap in force.
                    let cap = amrkit_pool::current_num_threads();
                    seen.lock().unwrap().push((
                        ctx.index(),
                        amrkit_pool::current_thread_index(),
                        cap,
                    ));
                });
            })
        });
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, [(0, Some(0), 1), (1, Some(1), 1), (2, Some(2), 1)]);
    });
}
