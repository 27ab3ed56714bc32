//! FIFO spawns keep rayon's documented order: on one thread, the jobs it
//! spawns into one FIFO scope (or with `spawn_fifo` outside scopes) start in
//! the order they were spawned, where LIFO spawns start newest first; mixes
//! of the two are ordered only within each queue, which fixes the exact
//! interleavings below on a one-worker pool (nothing is stolen there).

use amrkit_pool::{in_place_scope_fifo, scope, scope_fifo, spawn, spawn_fifo, Pool, Scope};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Mutex;

#[derive(Clone, Copy, PartialEq)]
enum Order {
    Lifo,
    Fifo,
}
use Order::{Fifo, Lifo};

fn one_worker() -> Pool {
    Pool::builder().num_threads(1).build().unwrap()
}

/// Opens a scope of the given order (`scope` or `scope_fifo`).
fn open<'s, R: Send>(order: Order, op: impl FnOnce(&Scope<'s>) -> R + Send) -> R {
    match order {
        Lifo => scope(op),
        Fifo => scope_fifo(op),
    }
}

/// Spawns into `s` with the spawn of the given order.
fn put<'s>(s: &Scope<'s>, order: Order, f: impl FnOnce(&Scope<'s>) + Send + 's) {
    match order {
        Lifo => s.spawn(f),
        Fifo => s.spawn_fifo(f),
    }
}

/// Ten jobs, each spawning ten more into the same scope, on one worker:
/// the order the hundred inner jobs ran in.
fn tree_order(order: Order) -> Vec<i32> {
    one_worker().install(|| {
        let out = Mutex::new(Vec::new());
        open(order, |s| {
            for i in 0..10 {
                let out = &out;
                put(s, order, move |s| {
                    for j in 0..10 {
                        put(s, order, move |_| out.lock().unwrap().push(i * 10 + j));
                    }
                });
            }
        });
        out.into_inner().unwrap()
    })
}

#[test]
fn a_fifo_scope_runs_one_thread_s_spawns_in_spawn_order() {
    assert_eq!(tree_order(Fifo), (0..100).collect::<Vec<_>>());
    // Control: a LIFO scope runs them newest first.
    assert_eq!(tree_order(Lifo), (0..100).rev().collect::<Vec<_>>());
}

/// Ten jobs of an outer scope each open an inner scope of ten jobs.
fn nested_order(outer: Order, inner: Order) -> Vec<i32> {
    one_worker().install(|| {
        let out = Mutex::new(Vec::new());
        open(outer, |s| {
            for i in 0..10 {
                let out = &out;
                put(s, outer, move |_| {
                    open(inner, |t| {
                        for j in 0..10 {
                            put(t, inner, move |_| out.lock().unwrap().push(i * 10 + j));
                        }
                    })
                });
            }
        });
        out.into_inner().unwrap()
    })
}

#[test]
fn nested_scopes_keep_each_scope_s_own_order() {
    let fwd = |i: i32| -> Vec<i32> { (0..10).map(|j| i * 10 + j).collect() };
    let rev = |i: i32| -> Vec<i32> { (0..10).rev().map(|j| i * 10 + j).collect() };
    assert_eq!(nested_order(Fifo, Fifo), (0..100).collect::<Vec<_>>());
    assert_eq!(nested_order(Lifo, Lifo), (0..100).rev().collect::<Vec<_>>());
    assert_eq!(
        nested_order(Lifo, Fifo),
        (0..10).rev().flat_map(fwd).collect::<Vec<_>>()
    );
    assert_eq!(
        nested_order(Fifo, Lifo),
        (0..10).flat_map(rev).collect::<Vec<_>>()
    );
}

/// An outer and an inner scope open at once, with spawns alternating
/// between them: positive numbers go to the outer scope, negative ones to
/// the inner one, which ends (running work of both) before 3 is spawned.
fn mixed_order(outer: Order, inner: Order) -> Vec<i32> {
    one_worker().install(|| {
        let out = Mutex::new(Vec::new());
        let push = |v: i32| {
            let out = &out;
            move |_: &Scope<'_>| out.lock().unwrap().push(v)
        };
        open(outer, |o| {
            put(o, outer, push(0));
            open(inner, |i| {
                put(i, inner, push(-1));
                put(o, outer, push(1));
                put(i, inner, push(-2));
                put(o, outer, push(2));
                put(i, inner, push(-3));
            });
            put(o, outer, push(3));
        });
        out.into_inner().unwrap()
    })
}

#[test]
fn interleaved_scopes_order_only_within_each_scope() {
    // The worker takes its newest ticket or job first; a ticket runs the
    // oldest job of its own scope's queue.
    assert_eq!(mixed_order(Fifo, Fifo), [-1, 0, -2, 1, -3, 2, 3]);
    assert_eq!(mixed_order(Lifo, Lifo), [-3, 2, -2, 1, -1, 3, 0]);
    assert_eq!(mixed_order(Lifo, Fifo), [-1, 2, -2, 1, -3, 3, 0]);
    assert_eq!(mixed_order(Fifo, Lifo), [-3, 0, -2, 1, -1, 2, 3]);
}

/// Pool-level spawns: ten jobs each spawning ten more, on one worker.
fn spawn_tree_order(outer: Order, inner: Order) -> Vec<i32> {
    let pool = one_worker();
    let (tx, rx) = channel();
    pool.install(move || {
        for i in 0..10 {
            let tx = tx.clone();
            let job = move || {
                for j in 0..10 {
                    let tx = tx.clone();
                    let leaf = move || tx.send(i * 10 + j).unwrap();
                    match inner {
                        Lifo => drop(spawn(leaf)),
                        Fifo => drop(spawn_fifo(leaf)),
                    }
                }
            };
            match outer {
                Lifo => drop(spawn(job)),
                Fifo => drop(spawn_fifo(job)),
            }
        }
    });
    // The channel closes when the last job has dropped its sender.
    rx.iter().collect()
}

#[test]
fn pool_spawn_fifo_runs_one_thread_s_spawns_in_spawn_order() {
    let fwd = |i: i32| -> Vec<i32> { (0..10).map(|j| i * 10 + j).collect() };
    let rev = |i: i32| -> Vec<i32> { (0..10).rev().map(|j| i * 10 + j).collect() };
    assert_eq!(spawn_tree_order(Fifo, Fifo), (0..100).collect::<Vec<_>>());
    assert_eq!(
        spawn_tree_order(Lifo, Lifo),
        (0..100).rev().collect::<Vec<_>>()
    );
    assert_eq!(
        spawn_tree_order(Lifo, Fifo),
        (0..10).rev().flat_map(fwd).collect::<Vec<_>>()
    );
    assert_eq!(
        spawn_tree_order(Fifo, Lifo),
        (0..10).flat_map(rev).collect::<Vec<_>>()
    );
}

#[test]
fn pool_spawns_of_both_orders_interleaved() {
    // Seven spawns from inside the one worker, alternating orders: the
    // LIFO ones run newest first, each ticket the oldest FIFO job.
    let run = |pos: Order| -> Vec<i32> {
        let pool = one_worker();
        let (tx, rx) = channel();
        pool.install(move || {
            for (k, v) in [0, -1, 1, -2, 2, -3, 3].into_iter().enumerate() {
                let tx = tx.clone();
                let f = move || tx.send(v).unwrap();
                let order = if k % 2 == 0 {
                    pos
                } else if pos == Lifo {
                    Fifo
                } else {
                    Lifo
                };
                match order {
                    Lifo => drop(spawn(f)),
                    Fifo => drop(spawn_fifo(f)),
                }
            }
        });
        rx.iter().collect()
    };
    assert_eq!(run(Lifo), [3, -1, 2, -2, 1, -3, 0]);
    assert_eq!(run(Fifo), [0, -3, 1, -2, 2, -1, 3]);
}

#[test]
fn spawn_fifo_from_outside_keeps_the_spawn_order() {
    crate::watchdog("spawn_fifo from outside", || {
        let pool = one_worker();
        let (gate_tx, gate_rx) = channel::<()>();
        let (tx, rx) = channel();
        pool.spawn(move || gate_rx.recv().unwrap()); // holds the worker
        for i in 0..20 {
            let tx = tx.clone();
            pool.spawn_fifo(move || tx.send(i).unwrap());
        }
        drop(tx);
        gate_tx.send(()).unwrap();
        assert_eq!(rx.iter().collect::<Vec<_>>(), (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn fifo_spawns_on_many_workers_each_run_once() {
    crate::watchdog("fifo spawns, 4 workers", || {
        let pool = Pool::builder().num_threads(4).build().unwrap();
        let hits: Vec<AtomicUsize> = (0..2000).map(|_| AtomicUsize::new(0)).collect();
        pool.in_place_scope_fifo(|s| {
            for (k, h) in hits.iter().enumerate() {
                s.spawn_fifo(move |s| {
                    h.fetch_add(1, Ordering::Relaxed);
                    if k % 10 == 0 {
                        s.spawn_fifo(move |_| {
                            h.fetch_add(1, Ordering::Relaxed);
                        });
                    }
                });
            }
        });
        for (k, h) in hits.iter().enumerate() {
            let want = if k % 10 == 0 { 2 } else { 1 };
            assert_eq!(h.load(Ordering::Relaxed), want, "job {k}");
        }
        // Off any pool: the global pool.
        let n = AtomicUsize::new(0);
        in_place_scope_fifo(|s| {
            for _ in 0..10 {
                s.spawn_fifo(|_| {
                    n.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(n.into_inner(), 10);
    });
}
