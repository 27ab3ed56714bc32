//! First use of the global pool with an invalid `AMRKIT_NUM_THREADS`: the
//! parallel call works (the pool falls back to the CPU count) instead of
//! panicking inside `join`/`par`.
#![cfg(not(loom))]

#[test]
fn invalid_env_at_first_use_falls_back_instead_of_panicking() {
    std::env::set_var("AMRKIT_NUM_THREADS", "0");
    let r = std::panic::catch_unwind(|| amrkit_pool::join(|| 40, || 2));
    assert_eq!(r.ok(), Some((40, 2)));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(amrkit_pool::global().num_threads(), cpus);
    std::env::remove_var("AMRKIT_NUM_THREADS");
}
