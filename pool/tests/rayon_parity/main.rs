//! Behaviour that code moving from rayon to amrkit-pool relies on (issue
//! 29): the pool's life cycle (a panicking builder callback, a drop that
//! cannot deadlock, the blocking `shutdown`), empty scopes, `yield_local`,
//! `use_current_thread`, FIFO spawns and broadcast spawns. One module per
//! topic; every test that could hang runs under [`watchdog`].

mod broadcast;
mod build_panic;
mod current_thread;
mod drop;
mod empty_scope;
mod fifo;
mod yield_local;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long any one test here may take before it counts as a hang: far
/// beyond any real run (they take milliseconds), so that a loaded machine
/// cannot trip it; the mutation check allows plain tests 180 s.
pub const LIMIT: Duration = Duration::from_secs(120);

/// Runs `f`, aborting the whole test process (a failure, never a stuck
/// run) if it has not returned within [`LIMIT`].
pub fn watchdog<R>(name: &str, f: impl FnOnce() -> R) -> R {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let name = name.to_string();
    std::thread::spawn(move || {
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        while waited < LIMIT {
            if d.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(step);
            waited += step;
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "watchdog: {name} did not finish within {LIMIT:?}: a hang"
        );
        std::process::abort();
    });
    let r = f();
    done.store(true, Ordering::SeqCst);
    r
}

/// Polls `cond` every millisecond for up to [`LIMIT`]; whether it held.
pub fn eventually(cond: impl Fn() -> bool) -> bool {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < LIMIT {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}
