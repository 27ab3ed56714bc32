//! Loom models of crate-internal pieces (run with `--cfg loom`). The
//! end-to-end protocol models, which go through the public API, are in
//! `tests/loom.rs`.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 CARGO_TARGET_DIR=target-loom cargo test -p amrkit-pool --release --lib`

use crate::cap::OpCtx;
use crate::deque::{Deque, Stolen, Words};
use crate::job::{CtxScope, StackJob};
use crate::latch::{Probe, SpinLatch};
use crate::registry::WorkerThread;
use crate::Pool;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// Model 6: `max_threads` slot accounting. Two threads race to reserve slots
/// in a nested pair of contexts (outer cap 2, inner cap 2); the number of
/// holders of the outer context, counted independently, never exceeds its
/// cap, and every slot is given back.
#[test]
fn cap_slots_never_exceed_cap() {
    loom::model(|| {
        let outer = Box::leak(Box::new(OpCtx::new(2, std::ptr::null())));
        let inner = Box::leak(Box::new(OpCtx::new(2, outer)));
        let outer_ptr = outer as *const OpCtx as usize;
        let inner_ptr = inner as *const OpCtx as usize;
        let holders = Arc::new(AtomicUsize::new(1)); // the creating thread
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let holders = holders.clone();
                thread::spawn(move || {
                    let ctx = if t == 0 { inner_ptr } else { outer_ptr } as *const OpCtx;
                    // SAFETY: both contexts are leaked, so always live.
                    if unsafe { OpCtx::try_reserve(ctx) } {
                        let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                        assert!(now <= 2, "{now} holders of a cap-2 context");
                        holders.fetch_sub(1, Ordering::SeqCst);
                        // SAFETY: we hold the reservation made above.
                        unsafe { OpCtx::release(ctx) };
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(outer.used(), 1);
        assert_eq!(inner.used(), 1);
    });
}

/// The entries the deque models push: two distinct, non-zero word pairs
/// whose halves are related, so a torn or unpublished slot (zero, or halves
/// of different entries) is recognised.
const ENTRIES: [Words; 2] = [(1, 101), (2, 102)];

/// How the owner takes its entries back in [`deque_model`].
#[derive(Clone, Copy)]
enum OwnerPop {
    /// `pop`, which returns the entry (the eager deque's `take_local`).
    Words,
    /// `pop_own`, which only says whether the newest entry was still there
    /// (the pending deque's `pop_pending`, matched with its push like a
    /// `join`).
    Own,
}

/// One thief and one owner on a deque of capacity 4 (as under loom in
/// `registry.rs`): the thief makes two steal attempts (retrying a lost race)
/// while the owner pushes both entries and then takes them back, newest
/// first, with `pop` or `pop_own`. Every entry is taken exactly once, by
/// someone, and every value a thief takes is one that was pushed (the thief
/// accepts whatever it reads, so an unpublished slot would be taken).
///
/// Two pushes and a second steal are what make the fences matter: with one
/// entry the owner's pop always races the thief through the CAS on `top`;
/// with two, the owner takes entry 1 without a CAS when it believes `top`
/// is still 0, which is safe only because the fence pair makes the thief's
/// second steal see the lowered `bottom` (or the owner see the advanced
/// `top`).
fn deque_model<const ASYM: bool>(how: OwnerPop) {
    loom::model(move || {
        let dq: Arc<Deque<ASYM, 4>> = Arc::new(Deque::new());
        let thief = {
            let dq = dq.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..2 {
                    loop {
                        match dq.steal_if(|_| true) {
                            Stolen::Success(w) => {
                                got.push(w);
                                break;
                            }
                            Stolen::Retry => continue,
                            Stolen::Empty => break,
                        }
                    }
                }
                got
            })
        };
        let mut taken = Vec::new();
        for w in ENTRIES {
            assert!(dq.push(w));
        }
        match how {
            OwnerPop::Words => {
                while let Some(w) = dq.pop() {
                    taken.push(w);
                }
            }
            OwnerPop::Own => {
                for w in ENTRIES.iter().rev() {
                    if dq.pop_own() {
                        taken.push(*w);
                    }
                }
            }
        }
        taken.extend(thief.join().unwrap());
        for w in &taken {
            assert!(ENTRIES.contains(w), "took {w:?}, which was never pushed");
        }
        for e in ENTRIES {
            let n = taken.iter().filter(|&&w| w == e).count();
            assert_eq!(n, 1, "entry {e:?} taken {n} times (all taken: {taken:?})");
        }
        assert!(dq.is_empty());
    });
}

/// Model 7: the pending deque (`Deque<true>`, asymmetric `LightFence` /
/// `heavy_fence` pair) alone: owner push and `pop_own` (as `join` uses it)
/// and `pop` against a thief's `steal_if`; each entry is taken exactly once
/// and no thief reads an unpublished slot.
#[test]
fn pending_deque_each_entry_taken_once() {
    deque_model::<true>(OwnerPop::Own);
    deque_model::<true>(OwnerPop::Words);
}

/// Model 8: the eager deque (`Deque<false>`, `fence(SeqCst)` on both
/// sides) alone, in the same scenarios as model 7 (`pop` is what the eager
/// deque's owner uses).
#[test]
fn eager_deque_each_entry_taken_once() {
    deque_model::<false>(OwnerPop::Words);
    deque_model::<false>(OwnerPop::Own);
}

/// Model 21: what is pushed can be stolen. The owner pushes both entries
/// and then starts a thief, so nothing races: the thief must take the
/// oldest entry, then the next, then find the deque empty — whatever the
/// bias of `top` (a pending deque under loom has one, see `deque.rs`) — and
/// the owner then finds nothing to pop.
#[test]
fn pushed_entries_are_stolen_oldest_first() {
    fn model<const ASYM: bool>() {
        loom::model(|| {
            let dq: Arc<Deque<ASYM, 4>> = Arc::new(Deque::new());
            for w in ENTRIES {
                assert!(dq.push(w));
            }
            let thief = {
                let dq = dq.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    loop {
                        match dq.steal() {
                            Stolen::Success(w) => got.push(w),
                            Stolen::Retry => continue,
                            Stolen::Empty => break got,
                        }
                    }
                })
            };
            let got = thief.join().unwrap();
            assert_eq!(got, ENTRIES.to_vec(), "the thief's takings");
            assert!(dq.is_empty() && dq.pop().is_none() && !dq.any_entry(|_| true));
        });
    }
    model::<true>();
    model::<false>();
}

/// Model 22: every reader of `top` agrees with the bias. One thread, no
/// race (one execution): the owner's and a thief's operations are called in
/// a fixed order on a pending deque (which has a bias under loom, see
/// `deque.rs`) and on an eager one (none), and each result is the exact one.
/// Catches a reader that forgets to subtract the bias (`is_empty`,
/// `any_entry`, `newest`, `take_oldest`, `refresh_limit`, `pop`, `steal_if`)
/// or a compare-and-swap made with the unbiased value (`pop_own`'s and
/// `pop`'s last-entry race, `take_oldest`, `steal_if`): with no other
/// thread, no steal may report `Retry` and no CAS may fail.
#[test]
fn every_reader_of_top_subtracts_the_bias() {
    const E: [Words; 5] = [(1, 101), (2, 102), (3, 103), (4, 104), (5, 105)];
    fn steal_one<const ASYM: bool>(dq: &Deque<ASYM, 4>) -> Option<Words> {
        match dq.steal() {
            Stolen::Success(w) => Some(w),
            Stolen::Empty => None,
            Stolen::Retry => panic!("a steal lost a race with nobody"),
        }
    }
    fn model<const ASYM: bool>() {
        loom::model(|| {
            let dq: Deque<ASYM, 4> = Deque::new();
            // Empty.
            assert!(dq.is_empty() && dq.newest().is_none() && !dq.any_entry(|_| true));
            assert!(dq.take_oldest(|_, _, _| true).is_none());
            assert!(steal_one(&dq).is_none() && dq.pop().is_none());
            // Three entries at indices 0, 1, 2.
            for w in &E[..3] {
                assert!(dq.push(*w));
            }
            assert!(!dq.is_empty(), "three entries look like none");
            for w in &E[..3] {
                assert!(dq.any_entry(|e| e == *w), "{w:?} not seen by any_entry");
            }
            assert_eq!(dq.newest(), Some((E[2], 2)), "newest entry and index");
            // The owner takes the oldest (publication): index 0.
            let seen = std::cell::Cell::new(None);
            let got = dq.take_oldest(|w, _, t| {
                seen.set(Some((w, t)));
                true
            });
            assert_eq!(seen.get(), Some((E[0], 0)), "take_oldest's entry and index");
            assert_eq!(got, Some(E[0]));
            // A thief takes the next; the owner pops the last one (the
            // last-entry race, settled by its CAS).
            assert_eq!(steal_one(&dq), Some(E[1]));
            assert_eq!(dq.newest(), Some((E[2], 2)));
            assert_eq!(dq.pop(), Some(E[2]), "the last entry, popped alone");
            assert!(dq.is_empty() && dq.newest().is_none() && !dq.any_entry(|_| true));
            // `pop_own`: two entries (no race for the newest), then one.
            assert!(dq.push(E[3]) && dq.push(E[4]));
            assert!(dq.pop_own(), "the newest of two entries");
            assert!(dq.pop_own(), "the last entry, popped alone");
            assert!(dq.is_empty() && steal_one(&dq).is_none());
            // A full ring (indices 4..7): the fifth push is refused until a
            // steal frees a slot (the owner's cached limit, from `top`).
            for w in &E[..4] {
                assert!(dq.push(*w), "a free slot was refused");
            }
            assert!(!dq.push(E[4]), "a push into a full ring was accepted");
            assert_eq!(steal_one(&dq), Some(E[0]));
            assert!(dq.push(E[4]), "the slot freed by the steal was refused");
            let mut rest = Vec::new();
            while let Some(w) = steal_one(&dq) {
                rest.push(w);
            }
            assert_eq!(rest, E[1..].to_vec(), "the rest, oldest first");
        });
    }
    model::<true>();
    model::<false>();
}

/// Model 19: a full ring. The owner fills a 2-slot pending deque while a
/// thief steals once, then pushes a third entry: the push may succeed only
/// if the steal has freed a slot (the owner's cached `limit` must be
/// refreshed from `top`, never trusted past it), and then every entry,
/// including the one written into the freed slot, is taken exactly once.
#[test]
fn full_deque_refuses_push_until_a_steal() {
    const THIRD: Words = (3, 103);
    loom::model(|| {
        let dq: Arc<Deque<true, 2>> = Arc::new(Deque::new());
        for w in ENTRIES {
            assert!(dq.push(w), "a free slot was refused");
        }
        let thief = {
            let dq = dq.clone();
            thread::spawn(move || loop {
                match dq.steal_if(|_| true) {
                    Stolen::Success(w) => break Some(w),
                    Stolen::Retry => continue,
                    Stolen::Empty => break None,
                }
            })
        };
        let pushed = dq.push(THIRD);
        let mut taken = Vec::new();
        while let Some(w) = dq.pop() {
            taken.push(w);
        }
        taken.extend(thief.join().unwrap());
        let mut all = ENTRIES.to_vec();
        if pushed {
            all.push(THIRD);
        }
        for e in &all {
            let n = taken.iter().filter(|&w| w == e).count();
            assert_eq!(
                n, 1,
                "entry {e:?} taken {n} times (third pushed: {pushed}; taken: {taken:?})"
            );
        }
        assert_eq!(taken.len(), all.len(), "took {taken:?}");
    });
}

/// Whether some execution of model 9 saw the other worker steal the capped
/// job (and hand it back). Not a loom object: it survives across executions.
static HANDED_BACK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Model 9: the hand-back path of capped jobs. On a two-worker pool, worker
/// `w` opens a capped call with cap 1 (it holds the only slot) and queues a
/// job of that call on its eager deque, as publication does. The other
/// worker may steal it: it then finds no free slot and must hand the job
/// back to its creator's inbox (waking it) instead of running it. So the
/// job always runs on `w`, no slot is left taken, and the wait terminates.
/// The model also checks that the steal-and-hand-back interleaving occurs.
#[test]
fn capped_job_without_slot_is_handed_back() {
    HANDED_BACK.store(false, std::sync::atomic::Ordering::Relaxed);
    loom::model(|| {
        let pool = Pool::builder()
            .num_threads(2)
            .spin_rounds(0)
            .build()
            .unwrap();
        let owner = pool.install(|| {
            let wt = WorkerThread::current();
            // SAFETY: inside `install`, so this thread's live worker.
            let w = unsafe { &*wt };
            let me = w.index();
            let ctx = OpCtx::new(1, w.ctx());
            let ran_on = {
                let _scope = CtxScope::enter(wt, &ctx);
                let job = StackJob::new(
                    crate::current_thread_index,
                    SpinLatch::new(me),
                    &ctx as *const OpCtx,
                );
                w.registry().push_from_current(job.as_job_ref());
                w.wait_for(&job.latch);
                // SAFETY: the latch is set: the job ran and stored its result.
                unsafe { job.take_result() }.into_return_value()
            };
            assert_eq!(ran_on, Some(me), "a capped job ran without a slot");
            assert_eq!(
                ctx.used(),
                1,
                "a slot of the capped call was not given back"
            );
            me
        });
        let stolen = pool.stats().workers[1 - owner].jobs_stolen;
        if stolen > 0 {
            HANDED_BACK.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert!(
        HANDED_BACK.load(std::sync::atomic::Ordering::Relaxed),
        "no execution took the hand-back path"
    );
}

/// Model 20: an untagged pending entry behind a tagged one. On a two-worker
/// pool, worker `w` pushes a tagged pending entry `T` (as a fork made while
/// its cap was full would be; its context is left null, so the thief runs
/// it instead of handing it back, which model 9 covers), then an untagged
/// `U`, and waits for `U` without running it (a first half that waits for
/// its second half: only the other worker can run `U`). The other worker
/// must reach `U` whatever the interleaving: by a direct steal, which has
/// to take `T` first (a thief takes only the oldest entry), or because the
/// sleep re-check counted `U` behind `T`, or because `w`'s fork saw it
/// hungry and published. Deadlocks (loom reports it) if thieves or the
/// re-check look only at the oldest entry.
#[test]
fn untagged_entry_behind_a_tagged_one_is_reached() {
    loom::model(|| {
        let pool = Pool::builder()
            .num_threads(2)
            .spin_rounds(0)
            .build()
            .unwrap();
        pool.install(|| {
            let wt = WorkerThread::current();
            // SAFETY: inside `install`, so this thread's live worker.
            let w = unsafe { &*wt };
            let me = w.index();
            let t = StackJob::new(|| 1, SpinLatch::new(me), std::ptr::null());
            let u = StackJob::new(|| 2, SpinLatch::new(me), std::ptr::null());
            assert!(w.push_pending(t.as_job_ref(), true));
            assert!(w.push_pending(u.as_job_ref(), false));
            // Waits without running anything: the worker's own pending
            // entries are never its work while it waits.
            while !u.latch.probe() {
                thread::yield_now();
            }
            assert!(!w.pop_pending(), "U finished but is still ours");
            // `T` was older, so it left the deque first: stolen (and run or
            // running), or published to our eager deque, where this wait
            // finds it.
            assert!(!w.pop_pending(), "U was taken but T, older, was not");
            w.wait_for(&t.latch);
            // SAFETY: both latches are set: the jobs ran and stored results.
            let (rt, ru) = unsafe { (t.take_result(), u.take_result()) };
            assert_eq!((rt.into_return_value(), ru.into_return_value()), (1, 2));
        });
    });
}

/// A `loom::cell::UnsafeCell` a job on another thread writes and the model
/// reads after its wait: loom reports the read as a causality violation
/// unless the write happens-before it.
struct Cell(loom::cell::UnsafeCell<usize>);
// SAFETY: every access goes through loom's checked `with`/`with_mut`.
unsafe impl Sync for Cell {}

impl Cell {
    fn new() -> Cell {
        Cell(loom::cell::UnsafeCell::new(0))
    }
    fn add(&self, v: usize) {
        // SAFETY: one writer at a time, ordered before the reader (checked).
        self.0.with_mut(|p| unsafe { *p += v })
    }
    fn get(&self) -> usize {
        // SAFETY: as above.
        self.0.with(|p| unsafe { *p })
    }
}

/// A two-worker pool whose worker 0 is the model's own thread
/// (`use_current_thread`): the models of the newer spawn kinds need only
/// one other thread, and no `install` hand-off from outside, which keeps
/// them to a few minutes at bound 3.
fn pool_on_this_thread() -> Pool {
    Pool::builder()
        .num_threads(2)
        .spin_rounds(0)
        .use_current_thread()
        .build()
        .unwrap()
}

/// Model 23: FIFO spawns through tickets (`fifo.rs`). The model's thread,
/// worker 0, spawns two jobs into a `scope_fifo` while worker 1 may steal
/// a ticket: the oldest ticket, which runs whichever job is at the front
/// of the queue at that moment. Each job runs exactly once (its cell is
/// written once, before the scope's caller reads it), no ticket finds its
/// queue empty (which would panic a worker: mutation
/// `fifo-ticket-before-job`), and a thread that ran both jobs ran them in
/// the order they were spawned (mutation `fifo-ticket-takes-newest`).
#[test]
fn fifo_tickets_run_each_job_once_in_order() {
    loom::model(|| {
        let pool = pool_on_this_thread();
        let cells = [Cell::new(), Cell::new()];
        let ran = loom::sync::Mutex::new(Vec::new());
        crate::scope_fifo(|s| {
            for (job, cell) in cells.iter().enumerate() {
                let ran = &ran;
                s.spawn_fifo(move |_| {
                    let me = crate::current_thread_index().unwrap();
                    ran.lock().unwrap().push((job, me));
                    cell.add(1);
                });
            }
        });
        assert_eq!((cells[0].get(), cells[1].get()), (1, 1));
        let ran = ran.into_inner().unwrap();
        if ran[0].1 == ran[1].1 {
            assert_eq!(
                (ran[0].0, ran[1].0),
                (0, 1),
                "one thread ran them out of order"
            );
        }
        pool.shutdown();
    });
}

/// Model 24: `Scope::spawn_broadcast` counts one job per worker. The scope
/// takes all the counts before queuing the jobs, so it ends only after both
/// workers ran their call: each cell is written once and that write
/// happens-before the read after the scope. (Counting one job for the
/// whole broadcast lets the scope end, and free what the calls borrow,
/// while a call is still to run: mutation `broadcast-counts-one`.)
#[test]
fn scope_broadcast_counts_every_worker() {
    loom::model(|| {
        let pool = pool_on_this_thread();
        let cells = [Cell::new(), Cell::new()];
        crate::scope(|s| {
            s.spawn_broadcast(|_, ctx| cells[ctx.index()].add(1));
        });
        assert_eq!((cells[0].get(), cells[1].get()), (1, 1));
        pool.shutdown();
    });
}

/// Model 25: `Pool::spawn_broadcast` then a blocking `broadcast`, made by
/// worker 0 (the model's thread) while worker 1 may be on its way to
/// sleep. Each worker's broadcast queue is FIFO, so when the blocking
/// broadcast returns, both calls of the spawned one have run (and their
/// writes are visible) and both workers have dropped their clone of its
/// closure (mutation `broadcast-queue-lifo`). A worker that goes to sleep
/// after both pushes and their targeted wake-ups must see its broadcast
/// queue in the sleep re-check, or the blocking broadcast waits for ever
/// and loom reports the deadlock (mutation `broadcast-queue-not-rechecked`;
/// from outside the pool, `broadcast`'s `install` hop would wake it).
#[test]
fn spawn_broadcast_then_broadcast_in_order() {
    loom::model(|| {
        let pool = pool_on_this_thread();
        let cells = Arc::new([Cell::new(), Cell::new()]);
        let c = cells.clone();
        pool.spawn_broadcast(move |ctx| c[ctx.index()].add(1));
        pool.broadcast(|_| ());
        assert_eq!((cells[0].get(), cells[1].get()), (1, 1));
        assert_eq!(
            Arc::strong_count(&cells),
            1,
            "a call's clone of `f` is still alive"
        );
        pool.shutdown();
    });
}

/// Model 26: a broadcast made by a job while the pool shuts down, when a
/// worker may already have left. Worker 0 (the model's thread) spawns a job
/// that opens a scope and broadcasts into it, then shuts the pool down:
/// whichever worker runs the job, the other may leave first (worker 1's
/// thread ends; worker 0 is released). A share pushed to a worker that has
/// left must reach the pusher (`Registry::inject_broadcast`, fence G), or
/// the scope waits for ever and loom reports the deadlock (mutation
/// `broadcast-to-gone-worker-stays`). Both calls run, once each, before
/// the scope ends.
#[test]
fn broadcast_reaches_a_worker_that_left() {
    loom::model(|| {
        let pool = pool_on_this_thread();
        let cells = Arc::new([Cell::new(), Cell::new()]);
        let done = Arc::new(AtomicUsize::new(0));
        let (c, d) = (cells.clone(), done.clone());
        pool.spawn(move || {
            crate::scope(|s| s.spawn_broadcast(|_, ctx| c[ctx.index()].add(1)));
            assert_eq!((c[0].get(), c[1].get()), (1, 1));
            d.store(1, Ordering::Release);
        });
        pool.shutdown();
        assert_eq!(done.load(Ordering::Acquire), 1);
    });
}
