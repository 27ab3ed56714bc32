//! The job queues, written on the sync facade so that loom checks the very
//! code that runs in production.
//!
//! * [`Deque`]: a bounded Chase–Lev work-stealing deque (owner pushes and pops
//!   at the bottom, thieves take from the top). Its orderings are those of
//!   Lê, Pop, Cohen and Zappa Nardelli, "Correct and efficient work-stealing
//!   for weak memory models" (PPoPP 2013), which proves them sufficient in
//!   the C11 model. `Deque<false>` pairs the owner's pop with thieves'
//!   steals by `fence(SeqCst)` on both sides; `Deque<true>` uses the
//!   asymmetric pair `LightFence` (owner) / `heavy_fence` (thief) from
//!   `sync.rs`, so the owner's side costs no fence at all — that is the
//!   pending deque of `join`, which the owner touches on every fork.
//! * [`Injector`]: a mutex-protected FIFO with an atomic length, for work
//!   that arrives from outside the pool or overflows a full deque.
//!
//! Entries are two machine words (a job reference, see `job.rs`), stored in
//! atomics: a slow thief may read a slot while the owner rewrites it after
//! the ring wrapped; its following compare-and-swap on `top` then fails and
//! the torn value is never used.
//!
//! # Indices
//!
//! `top` and `bottom` only grow (but for the owner's temporary decrement in
//! `pop`), and the live entries are `top..bottom`. `top` is advanced only by
//! compare-and-swap, by thieves or by the owner taking its own oldest entry
//! (publication, see `registry.rs`) or racing a thief for its last entry.
//!
//! # The bias of `top`
//!
//! The atomic `top` holds the index of the oldest entry *plus* a per-deque
//! constant `bias`: 0, except in a `Deque<true>` whose owner's fence is a
//! real fence (no membarrier, and always under loom), where it is
//! [`FENCE_BIAS`] (2⁶² on 64-bit targets; indices never get near it). Everyone but the owner's
//! fast pop subtracts it after loading `top` and adds it back in its
//! compare-and-swap, so the bias changes no index and no comparison.
//!
//! The owner's fast pop (`pop_own`, once per `join`) compares the raw value
//! with `bottom` right after a compiler fence. With membarrier the compiler
//! fence is the whole owner's fence, the bias is 0, and the comparison is the
//! exact one. Without membarrier the raw value is at least `FENCE_BIAS`, the
//! test "a thief cannot be near this entry" always fails, and the pop takes
//! its slow path, which runs the real fence and loads `top` again. So the
//! fast path needs no test of the fence mode: the mode is folded into the
//! comparison it makes anyway.

use crate::sync::{
    compiler_fence, fence, heavy_fence, AtomicIsize, AtomicUsize, LightFence, Mutex, Ordering,
};
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;

/// Outcome of one steal attempt.
pub(crate) enum Stolen<T> {
    Empty,
    /// Lost a race with another taker; try again.
    Retry,
    Success(T),
}

/// One entry: a job reference as two words.
pub(crate) type Words = (usize, usize);

struct Slot {
    a: AtomicUsize,
    b: AtomicUsize,
}

/// A bounded work-stealing deque of `CAP` entries (a power of two); `ASYM`
/// selects the fence pair (module notes). Only the owning worker calls
/// `push`, `pop` and `take_oldest`.
///
/// The ring's size is a constant, so the owner's push and pop address a slot
/// with a mask known at compile time instead of loading it: `join` pays
/// this at every fork. The ring itself is on the heap (built there slot by
/// slot): inline, a worker's rings (20 KiB) were built on the stack of the
/// thread that builds the pool, which overflowed small worker stacks.
pub(crate) struct Deque<const ASYM: bool, const CAP: usize> {
    /// Index of the oldest entry plus `bias` (module notes).
    top: CachePadded<AtomicIsize>,
    bottom: CachePadded<AtomicIsize>,
    /// 0, or [`FENCE_BIAS`] in a `Deque<true>` whose owner's fence is real
    /// (module notes). Set at construction, never changed.
    bias: isize,
    /// Owner only: `CAP` past the last value of `top` the owner read. `top`
    /// never decreases, so `bottom < limit` proves a free slot without the
    /// push reading `top` (a line thieves write) and subtracting; the owner
    /// reads `top` again only when the test fails.
    limit: AtomicIsize,
    slots: Box<[Slot; CAP]>,
}

/// The bias of `top` in a `Deque<true>` whose owner's fence is a real fence
/// (module notes). A multiple of every ring size, and far above any index.
pub(crate) const FENCE_BIAS: isize = 1 << (isize::BITS - 2);

#[inline(always)]
fn thief_fence<const ASYM: bool>() {
    if ASYM {
        heavy_fence()
    } else {
        fence(Ordering::SeqCst)
    }
}

impl<const ASYM: bool, const CAP: usize> Deque<ASYM, CAP> {
    const MASK: usize = {
        assert!(CAP >= 2 && CAP.is_power_of_two(), "deque capacity");
        CAP - 1
    };

    /// An empty deque. Call after `sync::init_fences` (the fence mode is
    /// copied here).
    pub(crate) fn new() -> Self {
        let bias = if ASYM && LightFence::current().is_real() {
            FENCE_BIAS
        } else {
            0
        };
        Deque {
            top: CachePadded::new(AtomicIsize::new(bias)),
            bottom: CachePadded::new(AtomicIsize::new(0)),
            bias,
            limit: AtomicIsize::new(CAP as isize),
            slots: (0..CAP)
                .map(|_| Slot {
                    a: AtomicUsize::new(0),
                    b: AtomicUsize::new(0),
                })
                .collect::<Box<[Slot]>>()
                .try_into()
                .unwrap_or_else(|_| unreachable!("the ring has CAP slots")),
        }
    }

    /// The bias of `top` (a constant 0 for `Deque<false>`).
    #[inline(always)]
    fn bias(&self) -> isize {
        if ASYM {
            self.bias
        } else {
            0
        }
    }

    /// Owner, after lowering `bottom`: the owner's fence of the pop/steal
    /// pairing, then `top` as an index.
    #[inline(always)]
    fn top_after_owner_fence(&self) -> isize {
        if ASYM {
            // With membarrier (bias 0) the compiler fence is the whole
            // owner's fence; without, the real fence follows.
            compiler_fence();
            if self.bias != 0 {
                fence(Ordering::SeqCst);
            }
            self.top.load(Ordering::Relaxed) - self.bias
        } else {
            fence(Ordering::SeqCst);
            self.top.load(Ordering::Relaxed)
        }
    }

    /// Owner: appends at the bottom; `false` (nothing written) when full.
    #[inline(always)]
    pub(crate) fn push(&self, w: Words) -> bool {
        // Relaxed: `bottom` and `limit` are written only by this thread.
        let b = self.bottom.load(Ordering::Relaxed);
        if b >= self.limit.load(Ordering::Relaxed) && !self.refresh_limit(b) {
            return false;
        }
        let slot = self.slot(b);
        slot.a.store(w.0, Ordering::Relaxed);
        slot.b.store(w.1, Ordering::Relaxed);
        // Release fence, then a relaxed store: a thief whose Acquire load of
        // `bottom` reads this store — or any later store of this thread,
        // including `pop`'s relaxed ones — sees the slot written above.
        fence(Ordering::Release);
        self.bottom.store(b + 1, Ordering::Relaxed);
        true
    }

    /// Owner: the cached limit said "full"; reads `top` again and says
    /// whether slot `b` is free after all. A stale `top` is smaller than the
    /// real one, so the test errs on the side of "full", never overwriting a
    /// live entry.
    /// (Inline: as a call it made the fork keep more registers alive.)
    #[inline(always)]
    fn refresh_limit(&self, b: isize) -> bool {
        let limit = self.top.load(Ordering::Relaxed) - self.bias() + CAP as isize;
        self.limit.store(limit, Ordering::Relaxed);
        b < limit
    }

    /// The slot of index `i` (any index: the ring wraps).
    #[inline(always)]
    fn slot(&self, i: isize) -> &Slot {
        // SAFETY: `MASK + 1 == CAP == slots.len()` (a power of two), so the
        // masked index is in bounds.
        unsafe { self.slots.get_unchecked(i as usize & Self::MASK) }
    }

    /// Owner: removes the newest entry unless thieves took it; returns
    /// whether it did (the owner already knows what the entry is).
    #[inline(always)]
    pub(crate) fn pop_own(&self) -> bool {
        let b = self.bottom.load(Ordering::Relaxed) - 1;
        // Same steps as `pop`, without reading the slot.
        self.bottom.store(b, Ordering::Relaxed);
        if ASYM {
            // The fast test (module notes, "the bias of `top`"): with
            // membarrier, a compiler fence and the exact test; without, the
            // raw `top` is at least `FENCE_BIAS`, never below `b`, and the
            // fenced path below decides.
            compiler_fence();
            if self.top.load(Ordering::Relaxed) < b {
                return true;
            }
        }
        let t = self.top_after_owner_fence();
        if t < b {
            return true;
        }
        if t == b {
            let raw = t + self.bias();
            let won = self
                .top
                .compare_exchange(raw, raw + 1, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok();
            self.bottom.store(b + 1, Ordering::Relaxed);
            return won;
        }
        self.bottom.store(b + 1, Ordering::Relaxed);
        false
    }

    /// Owner: removes the newest entry, unless thieves took it.
    #[inline(always)]
    pub(crate) fn pop(&self) -> Option<Words> {
        let b = self.bottom.load(Ordering::Relaxed) - 1;
        // Step 1: claim the bottom entry by lowering `bottom` ...
        self.bottom.store(b, Ordering::Relaxed);
        // ... step 2: the owner's fence. Paired with the thief's fence in
        // `steal` (between its load of `top` and its load of `bottom`): either
        // the thief sees the lowered `bottom` and leaves entry `b` alone, or
        // this load of `top` sees the thief's advance past it.
        let t = self.top_after_owner_fence();
        if t > b {
            // Empty (every entry taken): undo step 1.
            self.bottom.store(b + 1, Ordering::Relaxed);
            return None;
        }
        let slot = self.slot(b);
        let w = (
            slot.a.load(Ordering::Relaxed),
            slot.b.load(Ordering::Relaxed),
        );
        if t == b {
            // The last entry: a thief may be taking it right now. Whoever
            // advances `top` first owns it.
            let raw = t + self.bias();
            let won = self
                .top
                .compare_exchange(raw, raw + 1, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok();
            self.bottom.store(b + 1, Ordering::Relaxed);
            return won.then_some(w);
        }
        Some(w)
    }

    /// Thief: takes the oldest entry if `accept` approves of it.
    pub(crate) fn steal_if(&self, accept: impl Fn(Words) -> bool) -> Stolen<Words> {
        let raw = self.top.load(Ordering::Acquire);
        let t = raw - self.bias();
        // The thief's fence (see `pop`).
        thief_fence::<ASYM>();
        let b = self.bottom.load(Ordering::Acquire);
        if t >= b {
            return Stolen::Empty;
        }
        let slot = self.slot(t);
        let w = (
            slot.a.load(Ordering::Relaxed),
            slot.b.load(Ordering::Relaxed),
        );
        if !accept(w) {
            return Stolen::Empty;
        }
        // The entry is ours only if nobody advanced `top` since we read it;
        // SeqCst as in the paper (it also orders against `pop`'s CAS).
        if self
            .top
            .compare_exchange(raw, raw + 1, Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
        {
            return Stolen::Retry;
        }
        Stolen::Success(w)
    }

    /// Thief: takes the oldest entry.
    #[inline]
    pub(crate) fn steal(&self) -> Stolen<Words> {
        self.steal_if(|_| true)
    }

    /// Owner: takes its own oldest entry if `accept` approves of it (no
    /// fence needed: the owner's view of `bottom` is exact, and `top` is
    /// settled by the compare-and-swap against any thief).
    pub(crate) fn take_oldest(
        &self,
        accept: impl Fn(Words, &Self, isize) -> bool,
    ) -> Option<Words> {
        loop {
            let raw = self.top.load(Ordering::Relaxed);
            let t = raw - self.bias();
            let b = self.bottom.load(Ordering::Relaxed);
            if t >= b {
                return None;
            }
            let slot = self.slot(t);
            let w = (
                slot.a.load(Ordering::Relaxed),
                slot.b.load(Ordering::Relaxed),
            );
            if !accept(w, self, t) {
                return None;
            }
            if self
                .top
                .compare_exchange(raw, raw + 1, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                return Some(w);
            }
        }
    }

    /// Owner: the newest entry and its index, if any.
    pub(crate) fn newest(&self) -> Option<(Words, isize)> {
        let b = self.bottom.load(Ordering::Relaxed);
        let t = self.top.load(Ordering::Relaxed) - self.bias();
        if t >= b {
            return None;
        }
        let slot = self.slot(b - 1);
        Some((
            (
                slot.a.load(Ordering::Relaxed),
                slot.b.load(Ordering::Relaxed),
            ),
            b - 1,
        ))
    }

    /// Anyone: whether the deque looked empty (a hint; exact for the owner).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        let b = self.bottom.load(Ordering::Relaxed);
        let t = self.top.load(Ordering::Relaxed) - self.bias();
        t >= b
    }

    /// Anyone: whether some entry the deque looked to hold satisfies `f` (a
    /// hint: the slots are read without claiming them, so an entry may be
    /// gone, or a slot rewritten, by the time this returns).
    pub(crate) fn any_entry(&self, f: impl Fn(Words) -> bool) -> bool {
        let t = self.top.load(Ordering::Relaxed) - self.bias();
        let b = self.bottom.load(Ordering::Relaxed);
        // At most `CAP` slots, whatever a stale pair of indices says.
        let n = b.saturating_sub(t).clamp(0, CAP as isize);
        (t..t + n).any(|i| {
            let slot = self.slot(i);
            f((
                slot.a.load(Ordering::Relaxed),
                slot.b.load(Ordering::Relaxed),
            ))
        })
    }
}

/// The shared FIFO for work from outside the pool (and deque overflow).
pub(crate) struct Injector {
    jobs: Mutex<VecDeque<Words>>,
    /// Number of queued jobs, so idle checks need not take the lock. Written
    /// under the lock; read Relaxed after the sleep protocol's fences.
    len: AtomicUsize,
}

impl Injector {
    pub(crate) fn new() -> Self {
        Injector {
            jobs: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    pub(crate) fn push(&self, w: Words) {
        let mut q = self.jobs.lock();
        q.push_back(w);
        self.len.store(q.len(), Ordering::Relaxed);
    }

    pub(crate) fn pop(&self) -> Option<Words> {
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut q = self.jobs.lock();
        let w = q.pop_front();
        self.len.store(q.len(), Ordering::Relaxed);
        w
    }

    /// Takes the newest job (LIFO), for a worker's own inbox: deferred and
    /// handed-back jobs then run depth first, like the owner's own deque.
    /// (FIFO order here ran a capped scope tree breadth first, each job's
    /// wait nested inside the previous one, and overflowed the stack.)
    pub(crate) fn pop_newest(&self) -> Option<Words> {
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut q = self.jobs.lock();
        let w = q.pop_back();
        self.len.store(q.len(), Ordering::Relaxed);
        w
    }

    /// Takes the oldest job under the lock, without the lock-free
    /// emptiness test first: for a caller that knows a job was pushed
    /// (a FIFO ticket, see `fifo.rs`), so no stale length can hide it.
    pub(crate) fn pop_locked(&self) -> Option<Words> {
        let mut q = self.jobs.lock();
        let w = q.pop_front();
        self.len.store(q.len(), Ordering::Relaxed);
        w
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }
}
