//! Helpers shared by the pool's integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Aborts the whole test process if `f` has not finished within `limit`:
/// a hang is a failure, never a stuck CI run.
pub fn with_watchdog<R>(name: &str, limit: Duration, f: impl FnOnce() -> R) -> R {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let name = name.to_string();
    std::thread::spawn(move || {
        let step = Duration::from_millis(50);
        let mut waited = Duration::ZERO;
        while waited < limit {
            if d.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(step);
            waited += step;
        }
        eprintln!("watchdog: {name} did not finish within {limit:?}: treating as a hang");
        std::process::abort();
    });
    let r = f();
    done.store(true, Ordering::SeqCst);
    r
}

/// Tracks how many holders are inside a region at once, and the maximum.
#[derive(Default)]
pub struct Concurrency {
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

impl Concurrency {
    pub fn enter(&self) -> ConcurrencyGuard<'_> {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        ConcurrencyGuard(self)
    }
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

pub struct ConcurrencyGuard<'a>(&'a Concurrency);
impl Drop for ConcurrencyGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Busy work of roughly `n` small steps that the optimiser keeps.
pub fn spin_work(n: u64) -> u64 {
    let mut h = n;
    for _ in 0..n {
        h = h
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        h ^= h >> 29;
    }
    std::hint::black_box(h)
}
