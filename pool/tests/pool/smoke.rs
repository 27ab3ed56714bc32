//! Basic behaviour of every primitive on small inputs.

use crate::common::pool;
use amrkit_pool::{current_num_threads, current_thread_index, join, par, scope, Pool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = join(|| fib(n - 1), || fib(n - 2));
    a + b
}

#[test]
fn smoke_join() {
    let p = pool(3);
    assert_eq!(p.install(|| fib(20)), 6765);
    // Off any pool, join runs on the global pool.
    assert_eq!(fib(15), 610);
}

#[test]
fn install_runs_on_a_worker_and_returns() {
    let p = pool(2);
    let idx = p.install(current_thread_index);
    assert!(matches!(idx, Some(0 | 1)));
    assert_eq!(current_thread_index(), None);
    assert_eq!(p.install(current_num_threads), 2);
    assert_eq!(p.num_threads(), 2);
}

#[test]
fn install_from_a_worker_of_another_pool() {
    let a = pool(2);
    let b = pool(2);
    let r = a.install(|| {
        let inner = b.install(|| fib(15));
        inner + a.install(|| 1)
    });
    assert_eq!(r, 611);
}

#[test]
fn scope_spawns_borrow_the_stack() {
    let p = pool(4);
    let mut data = vec![0u64; 1000];
    p.scope(|s| {
        for (i, chunk) in data.chunks_mut(100).enumerate() {
            s.spawn(move |s2| {
                for x in chunk.iter_mut() {
                    *x = i as u64;
                }
                s2.spawn(|_| {});
            });
        }
    });
    for (i, chunk) in data.chunks(100).enumerate() {
        assert!(chunk.iter().all(|&x| x == i as u64));
    }
    // Free `scope` off any pool uses the global pool.
    let count = AtomicUsize::new(0);
    scope(|s| {
        for _ in 0..50 {
            s.spawn(|_| {
                count.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    assert_eq!(count.into_inner(), 50);
}

#[test]
fn broadcast_runs_once_per_worker() {
    let p = pool(4);
    let r = p.broadcast(|i| (i, current_thread_index()));
    assert_eq!(r.len(), 4);
    for (i, (j, cur)) in r.into_iter().enumerate() {
        assert_eq!(i, j);
        assert_eq!(cur, Some(i));
    }
    // From inside the pool too.
    let r = p.install(|| p.broadcast(|i| i * 10));
    assert_eq!(r, vec![0, 10, 20, 30]);
}

#[test]
fn detached_spawn_runs() {
    let p = pool(2);
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..100 {
        let tx = tx.clone();
        p.spawn(move || tx.send(i).unwrap());
    }
    let mut got: Vec<i32> = (0..100).map(|_| rx.recv().unwrap()).collect();
    got.sort();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn par_operations_match_serial() {
    let p = pool(3);
    let v: Vec<u64> = (0..10_000).collect();
    assert_eq!(
        p.par().map(&v, |x| x * 2),
        v.iter().map(|x| x * 2).collect::<Vec<_>>()
    );
    assert_eq!(
        p.par().map_range(5..105, |i| i),
        (5..105).collect::<Vec<_>>()
    );
    let mut w = v.clone();
    p.par().for_each_mut(&mut w, |x| *x += 1);
    assert_eq!(w, (1..10_001).collect::<Vec<_>>());
    let s = p
        .par()
        .reduce(0..10_000, || 0u64, |a, i| a + v[i], |a, b| a + b);
    assert_eq!(s, 49_995_000);
    let hits = AtomicUsize::new(0);
    p.par().for_each(0..777, |_| {
        hits.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(hits.load(Ordering::Relaxed), 777);
    let covered = Mutex::new(Vec::new());
    p.par()
        .min_chunk(10)
        .for_each_chunk(3..250, |r| covered.lock().unwrap().push(r));
    let mut pieces = covered.into_inner().unwrap();
    pieces.sort_by_key(|r| r.start);
    assert_eq!(pieces.first().unwrap().start, 3);
    assert_eq!(pieces.last().unwrap().end, 250);
    for w in pieces.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    let r = p
        .par()
        .try_map(&[1, 2, 3, 4], |&x| if x % 2 == 0 { Err(x) } else { Ok(x) });
    assert_eq!(r, vec![Ok(1), Err(2), Ok(3), Err(4)]);
    // Free `par` off any pool.
    assert_eq!(par().map(&[1, 2, 3], |x| x + 1), vec![2, 3, 4]);
    assert_eq!(p.par().reduce(0..0, || 7, |a, _| a, |a, _| a), 7);
}

#[test]
fn stats_count_work_and_cv() {
    use amrkit_pool::{coefficient_of_variation, PoolStats, WorkerCounters};
    let p = pool(2);
    let before = p.stats();
    p.install(|| fib(18));
    let d = p.stats().since(&before);
    assert_eq!(d.workers.len(), 2);
    // fib(18) makes 4180 joins; each counts its second closure exactly once,
    // on whichever worker ran it (inline, reclaimed or stolen), and the
    // install job counts once.
    assert_eq!(d.total_executed(), 4181, "{d:?}");
    assert!(
        d.workers.iter().all(|w| w.jobs_stolen <= w.jobs_executed),
        "{d:?}"
    );

    // A broadcast from outside runs exactly three jobs on two workers: the
    // install job on one of them and one broadcast job on each. So the
    // per-worker counts are {1, 2} and the CV is 0.5 / 1.5 = 1/3.
    let before = p.stats();
    let r = p.broadcast(|i| i);
    assert_eq!(r, vec![0, 1]);
    let d = p.stats().since(&before);
    let mut per: Vec<u64> = d.workers.iter().map(|w| w.jobs_executed).collect();
    per.sort();
    assert_eq!(per, vec![1, 2], "{d:?}");
    assert_eq!(d.total_executed(), 3);
    let cv = d.load_balance_cv().unwrap();
    assert!((cv - 1.0 / 3.0).abs() < 1e-12, "cv {cv}");

    // The summary on known counters.
    let known = |jobs: &[u64]| PoolStats {
        workers: jobs
            .iter()
            .map(|&j| WorkerCounters {
                jobs_executed: j,
                ..Default::default()
            })
            .collect(),
    };
    assert_eq!(known(&[4, 4, 4]).load_balance_cv(), Some(0.0));
    assert!((known(&[1, 3]).load_balance_cv().unwrap() - 0.5).abs() < 1e-12);
    // [0, 0, 6]: mean 2, population sd sqrt(8), CV sqrt(2).
    let cv = known(&[0, 0, 6]).load_balance_cv().unwrap();
    assert!((cv - 2f64.sqrt()).abs() < 1e-12, "cv {cv}");
    assert_eq!(known(&[0, 0]).load_balance_cv(), None);
    assert_eq!(known(&[]).load_balance_cv(), None);
    assert_eq!(known(&[1, 3]).total_executed(), 4);
    assert_eq!(known(&[5, 7]).since(&known(&[1, 3])), known(&[4, 4]));
    assert_eq!(coefficient_of_variation([2.0, 2.0]), Some(0.0));
    let cv = coefficient_of_variation([1.0, 3.0]).unwrap();
    assert!((cv - 0.5).abs() < 1e-12);
}

/// Threads of this process whose name starts with `prefix` (Linux:
/// `/proc/self/task/*/comm`, names truncated to 15 bytes). A listing can
/// skip entries while other tests start and end threads, so this is the
/// largest count of a few listings.
#[cfg(target_os = "linux")]
fn threads_named(prefix: &str) -> usize {
    (0..5)
        .map(|_| {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .filter(|comm| comm.trim_end().starts_with(prefix))
                .count()
        })
        .max()
        .unwrap()
}

#[test]
fn drop_joins_every_worker_thread() {
    use std::cell::RefCell;
    // A thread-local planted on every worker: its destructor runs when
    // that thread exits, so the count says how many workers have exited.
    static EXITED: AtomicUsize = AtomicUsize::new(0);
    struct OnExit;
    impl Drop for OnExit {
        fn drop(&mut self) {
            EXITED.fetch_add(1, Ordering::SeqCst);
        }
    }
    thread_local! {
        static ON_EXIT: RefCell<Option<OnExit>> = const { RefCell::new(None) };
    }

    let counter = Arc::new(AtomicUsize::new(0));
    let p = Pool::builder()
        .num_threads(3)
        .thread_name(|i| format!("smk-drop-{i}"))
        .build()
        .unwrap();
    p.broadcast(|_| ON_EXIT.with(|g| *g.borrow_mut() = Some(OnExit)));
    assert_eq!(EXITED.load(Ordering::SeqCst), 0);
    #[cfg(target_os = "linux")]
    assert_eq!(threads_named("smk-drop-"), 3);
    for _ in 0..20 {
        let c = counter.clone();
        p.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(2));
            c.fetch_add(1, Ordering::SeqCst);
        });
    }
    p.shutdown();
    // Every worker thread has exited (run its thread-local destructors)
    // before shutdown returned, and none is left in the process.
    assert_eq!(EXITED.load(Ordering::SeqCst), 3, "workers still running");
    #[cfg(target_os = "linux")]
    assert_eq!(threads_named("smk-drop-"), 0);
    // Queued detached work finished before shutdown returned.
    assert_eq!(counter.load(Ordering::SeqCst), 20);
    // And nothing a worker held is left: only the test's own clone.
    assert_eq!(Arc::strong_count(&counter), 1);
}

#[test]
fn builder_options() {
    let p = Pool::builder()
        .num_threads(2)
        .thread_name(|i| format!("custom-{i}"))
        .stack_size(4 << 20)
        .pin_threads(true)
        .spin_rounds(0)
        .build()
        .unwrap();
    let names = p.broadcast(|_| std::thread::current().name().map(str::to_string));
    assert_eq!(
        names,
        vec![Some("custom-0".into()), Some("custom-1".into())]
    );
    assert_eq!(p.install(|| fib(12)), 144);
}
