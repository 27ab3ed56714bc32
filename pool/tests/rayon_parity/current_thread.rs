//! `PoolBuilder::use_current_thread`: the building thread is worker 0. It
//! runs no main loop but takes part whenever it waits in the pool, and a
//! drop on it hands its leftover own work over and unregisters it.

use crate::{eventually, watchdog};
use amrkit_pool::{current_thread_index, join, BuildError, Pool};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs `f` on a fresh thread (its thread-locals are its own) and returns
/// what it returns.
fn on_fresh_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::spawn(f).join().unwrap()
}

#[test]
fn the_building_thread_is_worker_zero() {
    watchdog("use_current_thread", || {
        on_fresh_thread(|| {
            let started = Arc::new(AtomicUsize::new(0));
            let s = started.clone();
            let me = std::thread::current().id();
            let pool = Pool::builder()
                .num_threads(3)
                .use_current_thread()
                .start_handler(move |_| {
                    s.fetch_add(1, Ordering::SeqCst);
                })
                .build()
                .unwrap();
            assert_eq!(pool.num_threads(), 3);
            assert_eq!(current_thread_index(), Some(0));
            assert_eq!(pool.install(|| std::thread::current().id()), me);
            // Worker 0's share of a broadcast runs here, the others there.
            let ran_on = pool.broadcast(|i| (i, std::thread::current().id() == me));
            assert_eq!(ran_on, vec![(0, true), (1, false), (2, false)]);
            // Start handlers run on the started workers only.
            assert_eq!(started.load(Ordering::SeqCst), 2);
            // A join's second half that only another thread can run (the
            // first half waits for it) is stolen from this thread's deque.
            let flag = AtomicBool::new(false);
            let (_, b_on) = join(
                || {
                    while !flag.load(Ordering::SeqCst) {
                        std::hint::spin_loop();
                    }
                },
                || {
                    flag.store(true, Ordering::SeqCst);
                    current_thread_index()
                },
            );
            assert_ne!(b_on, Some(0));
            pool.shutdown();
            assert_eq!(current_thread_index(), None);
        });
    });
}

#[test]
fn a_drop_on_the_building_thread_runs_its_share_and_unregisters_it() {
    watchdog("use_current_thread drop", || {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        on_fresh_thread(move || {
            let pool = Pool::builder()
                .num_threads(2)
                .use_current_thread()
                .build()
                .unwrap();
            let c2 = c.clone();
            let me = std::thread::current().id();
            let zero_here = Arc::new(AtomicBool::new(false));
            let z = zero_here.clone();
            // Worker 0's call waits in this thread's broadcast queue ...
            pool.spawn_broadcast(move |ctx| {
                if ctx.index() == 0 && std::thread::current().id() == me {
                    z.store(true, Ordering::SeqCst);
                }
                c2.fetch_add(1, Ordering::SeqCst);
            });
            drop(pool);
            // ... and ran in the drop, on this thread.
            assert!(zero_here.load(Ordering::SeqCst));
            assert_eq!(current_thread_index(), None);
            // Parallel calls made here now go to the global pool.
            assert_eq!(join(|| 1, || 2), (1, 2));
        });
        assert!(eventually(|| calls.load(Ordering::SeqCst) == 2));
    });
}

#[test]
fn a_worker_cannot_also_be_worker_zero_of_another_pool() {
    let pool = Pool::builder().num_threads(1).build().unwrap();
    let r = pool.install(|| Pool::builder().num_threads(2).use_current_thread().build());
    assert!(matches!(r, Err(BuildError::CurrentThreadInPool)));
    on_fresh_thread(|| {
        let first = Pool::builder()
            .num_threads(1)
            .use_current_thread()
            .build()
            .unwrap();
        let second = Pool::builder().num_threads(1).use_current_thread().build();
        assert!(matches!(second, Err(BuildError::CurrentThreadInPool)));
        drop(first);
        // Unregistered: the thread may serve a new pool.
        let third = Pool::builder()
            .num_threads(1)
            .use_current_thread()
            .build()
            .unwrap();
        assert_eq!(third.install(current_thread_index), Some(0));
    });
}

/// The building thread's worker state, and through it the registry (which
/// owns the builder's handlers), is freed by the time that thread has
/// ended: a `use_current_thread` pool leaks nothing. (It was leaked for
/// ever; the handler's clone of `token` stayed alive.)
#[test]
fn the_building_thread_s_worker_state_is_freed_when_the_thread_ends() {
    let token = Arc::new(());
    let t = token.clone();
    on_fresh_thread(move || {
        let pool = Pool::builder()
            .num_threads(2)
            .use_current_thread()
            .panic_handler(move |_| {
                let _held = &t;
            })
            .build()
            .unwrap();
        assert_eq!(pool.install(current_thread_index), Some(0));
        pool.shutdown();
    });
    assert_eq!(Arc::strong_count(&token), 1, "the registry was leaked");
}
