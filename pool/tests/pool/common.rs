//! Helpers shared by the pool's integration tests.
#![allow(dead_code)]

use amrkit_pool::Pool;
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
        // Straight to stderr: `eprintln!` output of a test is captured, and
        // the capture is lost when the process aborts.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "watchdog: {name} did not finish within {limit:?}: treating as a hang"
        );
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

/// Counts the *threads* (not frames) that are inside a region at once.
///
/// Each worker keeps a depth (how many frames of the tracked call it is
/// inside right now, nested ones included); a thread counts as active while
/// its depth is non-zero. `max()` is the largest number of threads that
/// were active at the same instant. Only a thread itself changes its own
/// depth, so the active count is exact, not sampled.
pub struct ThreadsInside {
    depth: Vec<std::sync::atomic::AtomicUsize>,
    active: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
    seen: std::sync::Mutex<std::collections::BTreeSet<usize>>,
}

impl ThreadsInside {
    /// For a pool of `threads` workers.
    pub fn new(threads: usize) -> Self {
        ThreadsInside {
            depth: (0..threads)
                .map(|_| std::sync::atomic::AtomicUsize::new(0))
                .collect(),
            active: Default::default(),
            max: Default::default(),
            seen: Default::default(),
        }
    }

    /// Marks the current worker as inside the region until the guard drops.
    /// Panics off the pool.
    pub fn enter(&self) -> ThreadsInsideGuard<'_> {
        let i = amrkit_pool::current_thread_index().expect("ThreadsInside::enter off the pool");
        if self.depth[i].fetch_add(1, Ordering::SeqCst) == 0 {
            let a = self.active.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(a, Ordering::SeqCst);
            self.seen.lock().unwrap().insert(i);
        }
        ThreadsInsideGuard(self, i)
    }

    /// Most threads inside at one instant.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// Every worker index that was ever inside.
    pub fn seen(&self) -> std::collections::BTreeSet<usize> {
        self.seen.lock().unwrap().clone()
    }
}

pub struct ThreadsInsideGuard<'a>(&'a ThreadsInside, usize);
impl Drop for ThreadsInsideGuard<'_> {
    fn drop(&mut self) {
        if self.0.depth[self.1].fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Busy-waits for `d` of wall-clock time (not a sleep: the thread stays
/// runnable, as a compute leaf would).
pub fn spin_for(d: Duration) {
    let t = std::time::Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// Spins until `cond()` holds or `limit` passes; returns whether it held.
pub fn spin_until(limit: Duration, cond: impl Fn() -> bool) -> bool {
    let t = std::time::Instant::now();
    while !cond() {
        if t.elapsed() > limit {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

/// A pool of `n` workers, default settings.
pub fn pool(n: usize) -> Pool {
    Pool::builder().num_threads(n).build().unwrap()
}

/// The message of a caught panic (`&str` or `String` payload; empty for
/// any other payload).
pub fn message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
