//! Loom models of the pool's synchronisation, through the public API.
//!
//! Run with (together with the crate-internal models in `src/loom_tests.rs`):
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 CARGO_TARGET_DIR=target-loom cargo test -p amrkit-pool --release --lib --test loom`,
//! or, faster, `bash pool/loom.sh` (what CI runs: one model per process, as
//! many processes as cores; two models on two test threads of one process
//! slow each other down, see the script).
//!
//! At bound 3 the whole suite takes about 17 minutes of one core (the
//! slowest models — 10, 4, 14, 2, 3 and 9, in that order — take two to three
//! minutes each); `pool/loom.sh` starts those first.
//!
//! Most models build a real two-worker pool (the model's main thread is the
//! third thread) with no idle spinning, so workers go to sleep at once and
//! every wake-up path is exercised; the cross-pool models use two
//! one-worker pools (loom allows 5 threads, the main thread included).
//! Loom reports a lost wake-up as a deadlock (every thread blocked), an
//! unsynchronised access to a job's closure or result (a `loom::cell`) as a
//! causality violation, and a use-after-free of a latch as an access to a
//! dropped loom object.
//!
//! Some models also check, across all executions, that the interleaving
//! they are about actually occurs (a `std` static that survives from one
//! execution to the next): a model whose scenario never happens checks
//! nothing.
#![cfg(loom)]

use amrkit_pool::{current_thread_index, join, par, scope, Pool};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool as StdAtomicBool;

fn pool() -> Pool {
    pool_of(2, 0)
}

fn pool_of(threads: usize, spin_rounds: u32) -> Pool {
    Pool::builder()
        .num_threads(threads)
        .spin_rounds(spin_rounds)
        .build()
        .unwrap()
}

/// A `loom::cell::UnsafeCell` that jobs on other threads may write: loom
/// checks that every write happens-before the owner's read after the wait.
struct Cell(UnsafeCell<usize>);
// SAFETY: every access goes through loom's checked `with`/`with_mut`; the
// models only read a cell after the wait that orders the write before it.
unsafe impl Sync for Cell {}

impl Cell {
    fn new() -> Cell {
        Cell(UnsafeCell::new(0))
    }
    fn set(&self, v: usize) {
        // SAFETY: one writer per cell, ordered before the reader (checked).
        self.0.with_mut(|p| unsafe { *p = v })
    }
    fn get(&self) -> usize {
        // SAFETY: as above.
        self.0.with(|p| unsafe { *p })
    }
}

/// Clears a reachability flag before a model, and asserts after it.
fn reachable(flag: &StdAtomicBool, what: &str, model: impl Fn() + Sync + Send + 'static) {
    flag.store(false, std::sync::atomic::Ordering::Relaxed);
    loom::model(model);
    assert!(
        flag.load(std::sync::atomic::Ordering::Relaxed),
        "no execution of the model reached: {what}"
    );
}

fn hit(flag: &StdAtomicBool) {
    flag.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Model 1: a job posted from outside while the workers go to sleep. The
/// caller waits on a `LockLatch` (under loom it blocks on the latch's
/// condvar at once, no spinning), which the worker that runs the job sets.
#[test]
fn outside_job_while_workers_sleep() {
    loom::model(|| {
        let p = pool();
        assert_eq!(p.install(|| 7), 7);
    });
}

/// Model 2: a job pushed by a worker (a scoped spawn) while the other
/// worker sleeps; it must be taken, by the pusher or the woken sleeper.
#[test]
fn worker_pushed_job_while_others_sleep() {
    loom::model(|| {
        let p = pool();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        p.install(move || {
            scope(|s| {
                s.spawn(|_| {
                    h.fetch_add(1, Ordering::Relaxed);
                });
            })
        });
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    });
}

/// Model 3: a join whose second half may be published and stolen; the
/// thief sets the latch while the owner returns and frees the stack frame.
#[test]
fn join_latch_set_while_owner_returns() {
    loom::model(|| {
        let p = pool();
        let (a, b) = p.install(|| join(|| 1, || 2));
        assert_eq!((a, b), (1, 2));
    });
}

/// Model 4: scope completion counting with two spawned jobs. Each job
/// writes its own loom cell; the owner reads both after the scope, so the
/// count-down must carry *every* job's writes to it (the `AcqRel` of the
/// `CountLatch` decrement), not only the last one's.
#[test]
fn scope_completion_count() {
    loom::model(|| {
        let p = pool();
        let cells = [Cell::new(), Cell::new()];
        p.scope(|s| {
            for (i, c) in cells.iter().enumerate() {
                s.spawn(move |_| c.set(i + 1));
            }
        });
        assert_eq!((cells[0].get(), cells[1].get()), (1, 2));
    });
}

/// Model 5: shutdown while workers are parked, stealing or running a
/// detached job; `shutdown` joins both threads and the job ran.
#[test]
fn shutdown_while_parked_or_stealing() {
    loom::model(|| {
        let p = pool();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        p.spawn(move || {
            h.fetch_add(1, Ordering::Relaxed);
        });
        p.shutdown();
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    });
}

static OLDEST_STOLEN: StdAtomicBool = StdAtomicBool::new(false);

/// Model 10: two pending entries on one worker (a join nested in the first
/// half of another), and a thief. The thief may take only the *oldest*
/// entry (the outer second half), directly or after asking the owner to
/// publish it (the inner fork answers the request); the owner pops the
/// inner entry back or finds it taken. Every half runs exactly once (the
/// closures are `FnOnce` in loom cells: a second run is a causality error),
/// every result reaches the owner, and an execution where the thief ran
/// the outer second half occurs.
#[test]
fn nested_join_thief_takes_oldest() {
    reachable(&OLDEST_STOLEN, "the thief runs the oldest entry", || {
        let p = pool();
        let ((a, b), c) = p.install(|| {
            let owner = current_thread_index();
            join(
                || join(|| 1, || 2),
                move || {
                    if current_thread_index() != owner {
                        hit(&OLDEST_STOLEN);
                    }
                    3
                },
            )
        });
        assert_eq!((a, b, c), (1, 2, 3));
    });
}

static B_RAN_DURING_A: StdAtomicBool = StdAtomicBool::new(false);

/// Model 11: a direct steal of a join's second half while the first half
/// is still running. `a` polls a flag that `b` sets, for at most three
/// yields (so the model ends in every interleaving, whoever runs `b`);
/// `b` runs exactly once, and if `a` saw its flag, `b` ran on the other
/// worker (the owner cannot run it before `a` returns). The interleaving in
/// which `a` sees `b`'s effect — the other worker took `b` from the pending
/// deque, directly or after a request, and ran it meanwhile — occurs.
#[test]
fn direct_steal_while_first_half_runs() {
    reachable(&B_RAN_DURING_A, "b runs while a waits for it", || {
        let p = pool();
        let flag = AtomicBool::new(false);
        let runs = AtomicUsize::new(0);
        let ((saw, owner), b_on) = p.install(|| {
            let owner = current_thread_index();
            join(
                || {
                    for _ in 0..3 {
                        if flag.load(Ordering::Acquire) {
                            return (true, owner);
                        }
                        loom::thread::yield_now();
                    }
                    (false, owner)
                },
                || {
                    runs.fetch_add(1, Ordering::Relaxed);
                    flag.store(true, Ordering::Release);
                    current_thread_index()
                },
            )
        });
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        if saw {
            assert_ne!(b_on, owner, "a saw b's flag, so b ran on another worker");
            hit(&B_RAN_DURING_A);
        }
    });
}

/// Model 12: cross-pool install, `a.install(|| b.install(|| a.install(..)))`
/// with one-worker pools. `a`'s worker waits for `b` on a `CrossLatch` while
/// running `a`'s own jobs, so it takes the innermost job (queued on `a`)
/// itself; each `CrossLatch` setter must wake the waiter through the
/// *waiter's* pool. A lost or misdirected wake-up is a deadlock.
#[test]
fn cross_pool_install_round_trip() {
    loom::model(|| {
        let a = pool_of(1, 0);
        let b = pool_of(1, 0);
        let v = a.install(|| b.install(|| a.install(|| 1)));
        assert_eq!(v, 1);
    });
}

/// Model 13: cross-pool broadcast, `a.install(|| b.install(|| a.broadcast(..)))`
/// with one-worker pools: the broadcast job goes to the inbox of `a`'s only
/// worker, which is waiting on a `CrossLatch` for `b`; it must run the job
/// from its inbox while it waits, and be woken for it.
#[test]
fn cross_pool_broadcast() {
    loom::model(|| {
        let a = pool_of(1, 0);
        let b = pool_of(1, 0);
        let v = a.install(|| b.install(|| a.broadcast(|i| i + 10)));
        assert_eq!(v, vec![10]);
    });
}

static PANIC_B_STOLEN: StdAtomicBool = StdAtomicBool::new(false);

/// Silences the expected panic of model 14 (loom runs it many times); any
/// other panic is reported by the default hook.
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"model: a panics") {
                default(info)
            }
        }));
    });
}

/// Model 14: `join` where `a` panics while `b` may be stolen. `b` still runs
/// exactly once (here, or on the thief, whose result the owner must wait
/// for before unwinding: the frame holding `b` dies with the unwind), and
/// `a`'s panic reaches the caller of `join`. An execution in which the
/// thief ran `b` occurs.
///
/// The panic is caught inside the installed closure, not around `install`:
/// loom threads are coroutines on one OS thread, so an unwind that crosses
/// a loom scheduling point (dropping a loom `Arc`, as the `install` frame
/// does) lets other model threads run while the OS thread is "panicking",
/// and std then poisons the mutexes inside loom's own `Mutex`. Between the
/// `join` and this `catch_unwind` there is no such point.
#[test]
fn join_panic_in_a_with_b_stolen() {
    quiet_expected_panics();
    reachable(&PANIC_B_STOLEN, "b stolen while a panics", || {
        let p = pool();
        let b_cell = Cell::new();
        let r = p.install(|| {
            let owner = current_thread_index();
            catch_unwind(AssertUnwindSafe(|| {
                join(
                    || -> () { panic!("model: a panics") },
                    || {
                        b_cell.set(1);
                        if current_thread_index() != owner {
                            hit(&PANIC_B_STOLEN);
                        }
                    },
                )
            }))
            .map_err(|p| p.downcast_ref::<&str>().copied())
        });
        assert_eq!(r, Err(Some("model: a panics")), "a's panic must propagate");
        assert_eq!(b_cell.get(), 1, "b must run even though a panicked");
    });
}

/// Model 15: a capped call (`max_threads(1)` on a two-worker pool) with
/// nested calls inside: a capped `par`, and in it an uncapped `par` (which
/// must inherit the cap) that opens a scope. The scope's spawn finds no
/// free slot, so it is deferred to the worker that opened the scope (its
/// inbox), which runs it while waiting for the scope. The spawn runs on the
/// calling worker — the other worker, awake or asleep, never runs work of
/// the call — and before the scope returns.
#[test]
fn capped_call_defers_to_its_owner() {
    loom::model(|| {
        let p = pool();
        let spawned = Cell::new();
        p.par().max_threads(1).for_each(0..1, |_| {
            let me = current_thread_index();
            par().max_threads(1).for_each(0..1, |_| {
                par().for_each(0..1, |_| {
                    scope(|s| {
                        s.spawn(|_| {
                            assert_eq!(current_thread_index(), me, "a spawn escaped the cap");
                            spawned.set(1);
                        });
                    });
                });
            });
        });
        assert_eq!(spawned.get(), 1);
    });
}

/// Model 16: the spin phase. A one-worker pool with `spin_rounds(16)`: the
/// worker spins (loom yields) through all sixteen rounds, the last one
/// with `yield_now`, before parking, while the main thread spawns a
/// detached job, installs a join (waiting on a `LockLatch`) and drops the
/// pool. Jobs that arrive before, during or after the spin are run, the
/// caller is woken, and shutdown during the spin or the park joins the
/// worker.
///
/// Limits: loom switches away from a thread at every yield and prefers the
/// others, so the main thread's steps land during the spin, rarely in the
/// short window after it (346 executions at bound 3). This model checks the
/// spin path itself; the sleep protocol is checked by the models with
/// `spin_rounds(0)` (it lets `sleep-no-recheck` pass, which model 1 catches
/// at once). Two spinning workers would explore far more, but cost about
/// nine minutes for a single round.
#[test]
fn spin_phase_then_park() {
    loom::model(|| {
        let p = pool_of(1, 16);
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        drop(p.spawn(move || {
            h.fetch_add(1, Ordering::Relaxed);
        }));
        assert_eq!(p.install(|| join(|| 1, || 2)), (1, 2));
        p.shutdown();
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    });
}

/// Model 17: an idle worker always ends up taking pending work. `a` waits,
/// with no bound, for a flag that only `b` sets, so the model terminates
/// only if the other worker takes `b` from the pending deque while `a`
/// runs — whatever it was doing at the fork: stealing directly if it is
/// awake in its main loop, seeing the entry in its pre-sleep re-check (the
/// heavy fence pairs with the owner's light fence), or, if it is already
/// asleep, being woken by the owner's publication in answer to the request
/// flag it stored before sleeping. A lost steal or wake-up leaves `a`
/// spinning for ever, which loom reports (branch limit).
#[test]
fn idle_worker_takes_pending_work() {
    loom::model(|| {
        let p = pool();
        let flag = AtomicBool::new(false);
        let (owner, b_on) = p.install(|| {
            join(
                || {
                    while !flag.load(Ordering::Acquire) {
                        loom::thread::yield_now();
                    }
                    current_thread_index()
                },
                || {
                    flag.store(true, Ordering::Release);
                    current_thread_index()
                },
            )
        });
        assert_ne!(owner, b_on);
    });
}

static PIPELINE_CROSSED: StdAtomicBool = StdAtomicBool::new(false);

/// Model 18: a pipeline's hand-off (`pipeline.rs`): the source, one stage
/// and the sink as tasks of a two-worker pool whose workers sleep at once,
/// channels of capacity 1, one item (two had not finished after 16 minutes
/// at bound 3), run from outside the pool. The item reaches the sink once
/// (an item stranded in a channel with no task started for it would be
/// missing: the run returns when no task is left). The source's state is a
/// loom cell that each pull reads and writes: the first pull's write must
/// happen-before the second pull, which is a task spawned at the first
/// one's completion and may run on the other worker (the scheduler's mutex
/// and the spawn carry the edge); across the executions the two pulls do
/// run on different workers. The stage's write to a loom cell must likewise
/// happen-before the sink's read of it.
#[test]
fn pipeline_hand_off_between_workers() {
    use amrkit_pool::pipeline::{Flow, Pipeline};
    reachable(
        &PIPELINE_CROSSED,
        "a pipeline's two source pulls on different workers",
        || {
            let p = pool();
            let pulls = Cell::new();
            // Worker index + 1 of each pull.
            let at = [Cell::new(), Cell::new()];
            let staged = Cell::new();
            let source = std::iter::from_fn(|| {
                let n = pulls.get();
                pulls.set(n + 1);
                at[n].set(current_thread_index().map_or(0, |w| w + 1));
                (n == 0).then_some(n)
            });
            let mut got = Vec::new();
            let report = Pipeline::on(&p, source)
                .stage(|i| {
                    staged.set(i + 10);
                    Ok::<_, ()>(i)
                })
                .capacity(1)
                .for_each(|k, r| {
                    assert_eq!(staged.get(), r.unwrap() + 10);
                    got.push(k);
                    Flow::Continue
                });
            assert_eq!(got, [0]);
            assert_eq!((report.delivered, report.produced), (1, 1));
            assert_eq!(pulls.get(), 2);
            if at[0].get() != at[1].get() {
                hit(&PIPELINE_CROSSED);
            }
        },
    );
}
