//! Loom models of crate-internal pieces (run with `--cfg loom`). The
//! end-to-end protocol models, which go through the public API, are in
//! `tests/loom.rs`.

use crate::cap::OpCtx;
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
