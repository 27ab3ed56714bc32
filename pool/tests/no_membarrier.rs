//! The fallback without membarrier (other platforms, or the syscall
//! refused; forced here with `AMRKIT_POOL_NO_MEMBARRIER`): real fences on
//! the owner's side, same guarantees. The mode is chosen when the first pool
//! of the process is built, so this file is its own test binary and sets the
//! variable before building any.

#[path = "pool/common.rs"]
mod common;

use amrkit_pool::{join, Pool};
use common::with_watchdog;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn blocked_first_half_gets_its_second_half_run_without_membarrier() {
    std::env::set_var("AMRKIT_POOL_NO_MEMBARRIER", "1");
    let pool = Pool::builder().num_threads(2).build().unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(20));
        let ok = with_watchdog("no membarrier", Duration::from_secs(30), || {
            pool.install(|| {
                let (tx, rx) = mpsc::channel::<()>();
                let (r, _) = join(
                    move || rx.recv_timeout(Duration::from_secs(3)),
                    move || tx.send(()).ok(),
                );
                r.is_ok()
            })
        });
        assert!(ok, "second half never ran while the first waited for it");
    }
    // And ordinary work is correct in this mode.
    let s = pool.install(|| {
        fn fib(n: u64) -> u64 {
            if n < 2 {
                return n;
            }
            let (a, b) = join(|| fib(n - 1), || fib(n - 2));
            a + b
        }
        fib(22)
    });
    assert_eq!(s, 17711);
}
