//! The global pool: `build_global` configures it once, and an invalid
//! `AMRKIT_NUM_THREADS` never makes a parallel call panic. One test per
//! binary process state, so both live in one test function, in order.
#![cfg(not(loom))]

use amrkit_pool::{BuildError, Pool};

#[test]
fn build_global_once_and_invalid_env_is_an_error_not_a_panic() {
    // Before any use: an invalid thread count is reported by build*.
    std::env::set_var("AMRKIT_NUM_THREADS", "many");
    let err = Pool::builder().build().unwrap_err();
    assert!(
        matches!(err, BuildError::InvalidThreadCount(ref v) if v == "many"),
        "{err}"
    );
    assert!(Pool::builder().build_global().is_err());
    // An explicit count still works, and makes the global pool.
    Pool::builder().num_threads(3).build_global().unwrap();
    assert_eq!(amrkit_pool::global().num_threads(), 3);
    // A second configuration is refused and changes nothing.
    let again = Pool::builder().num_threads(1).build_global().unwrap_err();
    assert!(
        matches!(again, BuildError::GlobalAlreadyInitialized),
        "{again}"
    );
    assert_eq!(amrkit_pool::current_num_threads(), 3);
    // Calls off any pool use it, and do not panic over the bad variable.
    assert_eq!(amrkit_pool::join(|| 1, || 2), (1, 2));
    assert_eq!(amrkit_pool::par().map(&[1, 2], |x| x * 3), vec![3, 6]);
    std::env::remove_var("AMRKIT_NUM_THREADS");
}
