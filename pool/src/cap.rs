//! Per-call thread caps (`max_threads`) that nested calls inherit.
//!
//! A parallel call with a cap of `k` lower than the pool size gets an
//! [`OpCtx`] on its stack. The ctx counts *slots*, one per thread executing
//! work of the call: the calling thread holds one from the start, and any
//! other worker reserves one — at every level of the chain of enclosing
//! capped calls, all or nothing — *before it starts a job of the call*, and
//! releases it when the job is done. A worker that cannot reserve does not
//! run the job: it hands it to the job's creator (its inbox), which holds a
//! slot already and runs its own jobs without another. Reserving at
//! execution rather than at publication means a capped job may sit in a
//! queue while the cap is full without blocking anything else: younger,
//! uncapped work is published and stolen past it.
//!
//! Nested calls inherit the context through the worker's thread-local
//! "current ctx"; a nested call with a smaller cap adds a child ctx whose
//! `parent` points at the outer one. Any thread that runs work of a call
//! therefore holds a slot in that call's ctx and in every enclosing capped
//! ctx, so at no instant do more than `k` threads execute its work.
//!
//! Orderings: the slot counters protect no data, they only bound a count.
//! Read-modify-writes on one atomic are totally ordered even when Relaxed, so
//! `used` can never exceed `cap`. A reservation is made by a thief that has
//! already taken the job (so its creator waits for it and the ctx is alive),
//! and a release is sequenced before the latch store that lets the creator
//! return and free the ctx.

use crate::sync::{AtomicUsize, Ordering};

/// Slot accounting of one capped parallel call.
pub(crate) struct OpCtx {
    /// The cap: at most this many slots may be held at once. Already the
    /// minimum of the call's own cap and every enclosing one.
    pub(crate) cap: usize,
    /// Slots held now. Starts at 1: the thread that made the call.
    used: AtomicUsize,
    /// The nearest enclosing capped call, or null.
    parent: *const OpCtx,
}

impl OpCtx {
    pub(crate) fn new(cap: usize, parent: *const OpCtx) -> OpCtx {
        OpCtx {
            cap,
            used: AtomicUsize::new(1),
            parent,
        }
    }

    /// The cap in force for code running under `ctx` (`usize::MAX` if none).
    pub(crate) fn cap_of(ctx: *const OpCtx) -> usize {
        if ctx.is_null() {
            usize::MAX
        } else {
            // SAFETY: a non-null ctx pointer held by a running thread points
            // to a ctx on the stack of a call that has not returned.
            unsafe { (*ctx).cap }
        }
    }

    /// Tries to take one slot at every level of the chain; all or nothing.
    ///
    /// # Safety
    /// `ctx` and its ancestors are live.
    pub(crate) unsafe fn try_reserve(ctx: *const OpCtx) -> bool {
        let mut cur = ctx;
        while !cur.is_null() {
            // SAFETY: guaranteed live by the caller.
            let c = unsafe { &*cur };
            let mut used = c.used.load(Ordering::Relaxed);
            loop {
                if used >= c.cap {
                    // Undo the levels already taken, below `cur`.
                    let mut undo = ctx;
                    while undo != cur {
                        // SAFETY: a live ancestor, as above.
                        let u = unsafe { &*undo };
                        u.used.fetch_sub(1, Ordering::Relaxed);
                        undo = u.parent;
                    }
                    return false;
                }
                match c.used.compare_exchange_weak(
                    used,
                    used + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(now) => used = now,
                }
            }
            cur = c.parent;
        }
        true
    }

    /// Whether a slot looks free at every level (a hint: it may change at
    /// once). Used to avoid publishing work no thief could run.
    ///
    /// # Safety
    /// `ctx` and its ancestors are live.
    pub(crate) unsafe fn has_room(ctx: *const OpCtx) -> bool {
        let mut cur = ctx;
        while !cur.is_null() {
            // SAFETY: guaranteed live by the caller.
            let c = unsafe { &*cur };
            if c.used.load(Ordering::Relaxed) >= c.cap {
                return false;
            }
            cur = c.parent;
        }
        true
    }

    /// Gives back the slots taken by a successful [`try_reserve`].
    ///
    /// # Safety
    /// `ctx` and its ancestors are live, and a reservation is outstanding.
    pub(crate) unsafe fn release(ctx: *const OpCtx) {
        let mut cur = ctx;
        while !cur.is_null() {
            // SAFETY: guaranteed live by the caller.
            let c = unsafe { &*cur };
            c.used.fetch_sub(1, Ordering::Relaxed);
            cur = c.parent;
        }
    }

    #[cfg(all(test, loom))]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}
