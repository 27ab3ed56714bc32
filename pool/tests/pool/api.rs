//! The API an embedding crate expects: joinable spawns, in-place scopes,
//! handlers, `yield_now`, pinning policies.

use crate::common;

use amrkit_pool::{in_place_scope, join, yield_now, PinPolicy, Pool, Yield};
use common::with_watchdog;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn spawn_handle_gives_result_or_panic() {
    with_watchdog("spawn handle", LIMIT, || {
        let pool = Pool::builder().num_threads(2).build().unwrap();
        let handles: Vec<_> = (0..100u64).map(|i| pool.spawn(move || i * i)).collect();
        let got: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(got, (0..100u64).map(|i| i * i).collect::<Vec<_>>());
        let err = pool
            .spawn(|| -> u8 { panic!("spawned") })
            .join()
            .unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"spawned"));
    });
}

#[test]
fn spawn_handle_joined_inside_a_one_thread_pool_does_not_deadlock() {
    with_watchdog("join own spawn", LIMIT, || {
        let pool = Pool::builder()
            .num_threads(1)
            .spin_rounds(0)
            .build()
            .unwrap();
        let r = pool.install(|| {
            let hs: Vec<_> = (0..10).map(|i| amrkit_pool::spawn(move || i + 1)).collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
        });
        assert_eq!(r, 55);
        // Joined from a worker of another pool: it keeps running its own jobs.
        let other = Pool::builder()
            .num_threads(1)
            .spin_rounds(0)
            .build()
            .unwrap();
        let r = other.install(|| pool.spawn(|| 7).join().unwrap());
        assert_eq!(r, 7);
    });
}

#[test]
fn dropped_handle_sends_panic_to_the_handler() {
    with_watchdog("detached panic", LIMIT, || {
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let pool = Pool::builder()
            .num_threads(2)
            .panic_handler(move |_| {
                s.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        // Dropped before it runs, and dropped after it finished.
        drop(pool.spawn(|| panic!("early drop")));
        let late = pool.spawn(|| panic!("late drop"));
        while !late.is_finished() {
            std::thread::yield_now();
        }
        drop(late);
        // A joined panic is the caller's, not the handler's.
        assert!(pool.spawn(|| panic!("joined")).join().is_err());
        pool.shutdown();
        assert_eq!(seen.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn in_place_scope_runs_its_body_on_the_calling_thread() {
    with_watchdog("in_place_scope", LIMIT, || {
        let pool = Pool::builder().num_threads(2).build().unwrap();
        let me = std::thread::current().id();
        let rc = Rc::new(Cell::new(0)); // not Send: only the body touches it
        let hits = AtomicUsize::new(0);
        pool.in_place_scope(|s| {
            assert_eq!(std::thread::current().id(), me);
            for _ in 0..50 {
                s.spawn(|_| {
                    hits.fetch_add(1, Ordering::Relaxed);
                });
                rc.set(rc.get() + 1);
            }
        });
        assert_eq!((rc.get(), hits.load(Ordering::Relaxed)), (50, 50));
        // Off any pool, the free function uses the global pool.
        let n = AtomicUsize::new(0);
        in_place_scope(|s| {
            s.spawn(|_| {
                n.fetch_add(1, Ordering::Relaxed);
            })
        });
        assert_eq!(n.into_inner(), 1);
        // From a worker of another one-thread pool whose own job the scope
        // jobs need: the waiting worker keeps running its pool's jobs.
        let a = Pool::builder()
            .num_threads(1)
            .spin_rounds(0)
            .build()
            .unwrap();
        let b = Pool::builder()
            .num_threads(1)
            .spin_rounds(0)
            .build()
            .unwrap();
        let r = a.install(|| {
            let got = AtomicUsize::new(0);
            b.in_place_scope(|s| {
                s.spawn(|_| {
                    got.store(a.install(|| 9), Ordering::SeqCst);
                });
            });
            got.into_inner()
        });
        assert_eq!(r, 9);
    });
}

#[test]
fn start_and_exit_handlers_run_once_per_worker() {
    let started = Arc::new(Mutex::new(Vec::new()));
    let exited = Arc::new(Mutex::new(Vec::new()));
    let (s, e) = (started.clone(), exited.clone());
    let pool = Pool::builder()
        .num_threads(3)
        .start_handler(move |i| s.lock().unwrap().push(i))
        .exit_handler(move |i| e.lock().unwrap().push(i))
        .build()
        .unwrap();
    // The start handler runs on the worker itself, before any job.
    pool.broadcast(|_| ());
    let mut st = started.lock().unwrap().clone();
    st.sort();
    assert_eq!(st, vec![0, 1, 2]);
    assert!(exited.lock().unwrap().is_empty());
    pool.shutdown();
    let mut ex = exited.lock().unwrap().clone();
    ex.sort();
    assert_eq!(ex, vec![0, 1, 2]);
}

#[test]
fn yield_now_runs_queued_work() {
    with_watchdog("yield_now", LIMIT, || {
        assert_eq!(yield_now(), None);
        let pool = Pool::builder().num_threads(1).build().unwrap();
        pool.install(|| {
            assert_eq!(yield_now(), Some(Yield::Idle));
            let done = AtomicBool::new(false);
            amrkit_pool::scope(|s| {
                s.spawn(|_| done.store(true, Ordering::SeqCst));
                let mut executed = 0;
                while !done.load(Ordering::SeqCst) {
                    if yield_now() == Some(Yield::Executed) {
                        executed += 1;
                    }
                }
                assert_eq!(executed, 1);
            });
        });
    });
}

/// The cores a thread may run on, from the kernel (Linux).
fn allowed_cpus() -> Option<String> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|s| s.trim().to_string())
}

#[test]
fn pin_policies_place_workers_on_the_cores_asked_for() {
    let Some(all) = allowed_cpus() else {
        eprintln!("skipped: no /proc/thread-self/status here");
        return;
    };
    let cores = core_count();
    if cores < 2 {
        eprintln!("skipped: one core allowed ({all})");
        return;
    }
    // Offset 1 on a one-worker pool: worker 0 sits on the second allowed core.
    let p = Pool::builder()
        .num_threads(1)
        .pin_policy(PinPolicy::Offset(1))
        .build()
        .unwrap();
    let second = p.install(allowed_cpus).unwrap();
    let q = Pool::builder()
        .num_threads(1)
        .pin_policy(PinPolicy::IfSupported)
        .build()
        .unwrap();
    let first = q.install(allowed_cpus).unwrap();
    assert_ne!(first, second, "offset 0 and 1 pinned to the same core");
    // A core list: worker 0 on the second allowed core again.
    let r = Pool::builder()
        .num_threads(2)
        .pin_policy(PinPolicy::Cores(vec![1, 0]))
        .build()
        .unwrap();
    let placed = r.broadcast(|_| allowed_cpus().unwrap());
    assert_eq!(placed, vec![second.clone(), first.clone()]);
    // No policy: the whole allowed set.
    let u = Pool::builder().num_threads(1).build().unwrap();
    assert_eq!(u.install(allowed_cpus).unwrap(), all);
    let _ = join(|| (), || ());
}

fn core_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

struct PanicsOnDrop;
impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("drop");
    }
}

#[test]
fn detached_job_whose_result_or_payload_panics_on_drop_does_not_abort() {
    with_watchdog("panicking drops", LIMIT, || {
        let pool = Pool::builder()
            .num_threads(2)
            .panic_handler(drop)
            .build()
            .unwrap();
        drop(pool.spawn(|| PanicsOnDrop));
        drop(pool.spawn(|| std::panic::panic_any(PanicsOnDrop)));
        // Default handler too.
        let plain = Pool::builder().num_threads(1).build().unwrap();
        drop(plain.spawn(|| std::panic::panic_any(PanicsOnDrop)));
        // Two panicking scoped jobs: the second payload is dropped.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            plain.scope(|s| {
                s.spawn(|_| std::panic::panic_any(PanicsOnDrop));
                s.spawn(|_| std::panic::panic_any(PanicsOnDrop));
            })
        }));
        std::mem::forget(r); // its payload panics on drop too
                             // Both pools still run work.
        assert_eq!(pool.install(|| 1) + plain.install(|| 1), 2);
    });
}

#[test]
fn work_spawned_by_an_exit_handler_still_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let pool = Pool::builder()
        .num_threads(2)
        .exit_handler(move |_| {
            let r = r.clone();
            amrkit_pool::spawn(move || {
                r.fetch_add(1, Ordering::SeqCst);
            });
        })
        .build()
        .unwrap();
    pool.shutdown();
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}

#[test]
fn pinning_uses_the_process_cores_even_from_a_pinned_thread() {
    if core_count() < 2 || allowed_cpus().is_none() {
        eprintln!("skipped: needs 2 cores and /proc/thread-self/status");
        return;
    }
    let all = allowed_cpus().unwrap();
    // A pool pinned to one core builds another pool from its worker.
    let outer = Pool::builder()
        .num_threads(1)
        .pin_policy(PinPolicy::Cores(vec![0]))
        .build()
        .unwrap();
    let placed = outer.install(|| {
        let inner = Pool::builder()
            .num_threads(2)
            .pin_policy(PinPolicy::IfSupported)
            .build()
            .unwrap();
        inner.broadcast(|_| allowed_cpus().unwrap())
    });
    assert_ne!(
        placed[0], placed[1],
        "both inner workers on the builder's core ({all})"
    );
}
