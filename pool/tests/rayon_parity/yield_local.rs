//! `yield_local` runs only the calling worker's own queued work, never a
//! job of the shared injector or of another worker; `yield_now` runs any.

use amrkit_pool::{yield_local, yield_now, Pool, Yield};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};

#[test]
fn yield_local_skips_the_injector_and_yield_now_does_not() {
    crate::watchdog("yield_local", || {
        let pool = Arc::new(Pool::builder().num_threads(1).build().unwrap());
        let shared_ran = Arc::new(AtomicBool::new(false));
        let (inside_tx, inside_rx) = channel::<()>();
        let (queued_tx, queued_rx) = channel::<()>();
        let p = pool.clone();
        let sr = shared_ran.clone();
        // While the only worker is inside `install`, a plain thread queues
        // a job on the pool's injector.
        let outsider = std::thread::spawn(move || {
            inside_rx.recv().unwrap();
            p.spawn(move || sr.store(true, Ordering::SeqCst));
            queued_tx.send(()).unwrap();
        });
        let queued_rx = Mutex::new(queued_rx);
        pool.install(|| {
            inside_tx.send(()).unwrap();
            queued_rx.lock().unwrap().recv().unwrap();
            assert_eq!(yield_local(), Some(Yield::Idle), "took a shared job");
            assert!(!shared_ran.load(Ordering::SeqCst));
            let local_ran = Arc::new(AtomicBool::new(false));
            let lr = local_ran.clone();
            amrkit_pool::spawn(move || lr.store(true, Ordering::SeqCst));
            assert_eq!(pool.yield_local(), Some(Yield::Executed));
            assert!(local_ran.load(Ordering::SeqCst));
            assert!(!shared_ran.load(Ordering::SeqCst));
            assert_eq!(yield_now(), Some(Yield::Executed));
            assert!(shared_ran.load(Ordering::SeqCst));
        });
        outsider.join().unwrap();
    });
}

#[test]
fn yield_local_is_none_off_the_pool_and_on_another_pool() {
    let pool = Pool::builder().num_threads(1).build().unwrap();
    let other = Pool::builder().num_threads(1).build().unwrap();
    assert_eq!(yield_local(), None);
    assert_eq!(pool.yield_local(), None);
    assert_eq!(other.install(|| pool.yield_local()), None);
    assert_eq!(other.install(|| pool.yield_now()), None);
    assert_eq!(other.install(yield_local), Some(Yield::Idle));
}
