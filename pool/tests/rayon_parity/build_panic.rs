//! A panic in a builder callback while `build` runs must not leak the
//! workers started before it: they are terminated and joined (their exit
//! handlers run) before the panic reaches the caller of `build`.

use crate::watchdog;
use amrkit_pool::Pool;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Builds a 3-worker pool whose `thread_name` callback runs `name(i)`;
/// returns (the build's outcome, start handler calls, exit handler calls)
/// as seen right after `build` returned or unwound.
fn build_with(name: fn(usize) -> String) -> (bool, usize, Vec<usize>) {
    let started = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(Mutex::new(Vec::new()));
    let (s, e) = (started.clone(), exited.clone());
    let built = catch_unwind(AssertUnwindSafe(|| {
        Pool::builder()
            .num_threads(3)
            .thread_name(name)
            .start_handler(move |_| {
                s.fetch_add(1, Ordering::SeqCst);
            })
            .exit_handler(move |i| e.lock().unwrap().push(i))
            .build()
    }));
    let ok = built.is_ok();
    let exits = exited.lock().unwrap().clone();
    (ok, started.load(Ordering::SeqCst), exits)
}

#[test]
fn panicking_thread_name_joins_the_started_workers() {
    watchdog("panicking thread_name", || {
        let (ok, started, exited) = build_with(|i| {
            if i == 1 {
                panic!("no name for worker 1");
            }
            format!("bp-{i}")
        });
        assert!(!ok, "the panic must reach the caller of build");
        // Worker 0 was started; it has run its start and exit handlers and
        // exited before the panic resumed (it was joined).
        assert_eq!(started, 1);
        assert_eq!(
            exited,
            vec![0],
            "worker 0 leaked: its exit handler did not run"
        );
    });
}

#[test]
fn panicking_spawn_of_the_third_worker_joins_the_first_two() {
    watchdog("thread name with a NUL byte", || {
        // `std::thread::Builder::spawn` panics on a name with a NUL byte:
        // a panic inside `build` that is not in user code.
        let (ok, started, mut exited) = build_with(|i| {
            if i == 2 {
                "bad\0name".to_string()
            } else {
                format!("bp2-{i}")
            }
        });
        assert!(!ok);
        exited.sort();
        assert_eq!((started, exited), (2, vec![0, 1]));
    });
}
