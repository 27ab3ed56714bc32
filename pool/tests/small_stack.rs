//! Building a pool must not need a large stack on the building thread: the
//! global pool is built lazily on whichever thread first calls `join`/`par`
//! off the pool, and a pool may be built on a worker with a small
//! `stack_size`. (A version that built each worker's 20 KiB of deque rings
//! on the stack overflowed 24 KiB in release and 128 KiB in debug; 24 KiB
//! is enough when the rings go straight to the heap.)

use amrkit_pool::Pool;

const SMALL: usize = 24 << 10;

#[test]
fn pool_builds_on_a_small_thread_stack() {
    let h = std::thread::Builder::new()
        .stack_size(SMALL)
        .spawn(|| {
            let pool = Pool::builder().num_threads(2).build().unwrap();
            pool.install(|| amrkit_pool::join(|| 1, || 2))
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), (1, 2));
}

#[test]
fn pool_builds_on_a_small_stack_worker() {
    // A worker with a small stack that builds a (nested) pool.
    let outer = Pool::builder()
        .num_threads(1)
        .stack_size(SMALL)
        .build()
        .unwrap();
    let r = outer.install(|| {
        let inner = Pool::builder().num_threads(2).build().unwrap();
        inner.install(|| amrkit_pool::join(|| 3, || 4))
    });
    assert_eq!(r, (3, 4));
}
