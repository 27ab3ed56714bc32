//! A chain of joins deeper than a pending deque holds (256 entries), while
//! idle workers steal its oldest entries: the owner's push must be refused
//! once the ring is full and accepted again after a steal frees a slot, so
//! every second half runs exactly once. Run it in both fence modes (the
//! pending deque's `top` carries a bias without membarrier, see `deque.rs`):
//! `cargo test --release -p amrkit-pool --test pool deep_joins`, then the same
//! with `AMRKIT_POOL_NO_MEMBARRIER=1`.

use crate::common;

use amrkit_pool::{join, Pool};
use common::with_watchdog;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Deeper than `PENDING_CAP` (256), so the ring fills and wraps.
const DEPTH: usize = 700;

/// Level `k` forks `b(k)` and recurses in `a`; `b(k)` counts its run and,
/// when it runs on a thief, takes long enough that the owner meanwhile
/// forks far past the ring's capacity with stale entries still in it.
fn chain(k: usize, runs: &[AtomicU32], owner: usize) {
    if k == DEPTH {
        return;
    }
    // A little work per level, so that woken workers arrive while the
    // owner is still forking.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_micros(5) {
        std::hint::spin_loop();
    }
    join(
        || chain(k + 1, runs, owner),
        || {
            runs[k].fetch_add(1, Ordering::SeqCst);
            if amrkit_pool::current_thread_index() != Some(owner) {
                std::thread::sleep(Duration::from_micros(200));
            }
        },
    );
}

#[test]
fn joins_deeper_than_the_ring_run_every_second_half_once() {
    let pool = Pool::builder()
        .num_threads(4)
        .stack_size(32 << 20)
        .build()
        .unwrap();
    with_watchdog("deep joins", Duration::from_secs(60), || {
        for round in 0..20 {
            let runs: Vec<AtomicU32> = (0..DEPTH).map(|_| AtomicU32::new(0)).collect();
            pool.install(|| {
                let owner = amrkit_pool::current_thread_index().unwrap();
                chain(0, &runs, owner);
            });
            let bad: Vec<(usize, u32)> = runs
                .iter()
                .map(|r| r.load(Ordering::SeqCst))
                .enumerate()
                .filter(|&(_, n)| n != 1)
                .collect();
            assert!(
                bad.is_empty(),
                "round {round}: second halves not run exactly once (level, runs): {bad:?}"
            );
        }
    });
    let stats = pool.stats();
    let stolen: u64 = stats.workers.iter().map(|w| w.jobs_stolen).sum();
    assert!(
        stolen > 0,
        "no second half was stolen: the test saw no race ({stats:?})"
    );
}
