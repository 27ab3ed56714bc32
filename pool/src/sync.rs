//! The one place the pool takes its synchronisation types from.
//!
//! Under `cfg(loom)` every atomic, lock, condition variable, thread and
//! thread-local comes from [`loom`], so the model checker sees every step of
//! the sleep/wake, latch, scope and shutdown protocols. Otherwise they are the
//! standard library's. No other module names `std::sync` or `loom` directly.
//!
//! [`Mutex::lock`] never reports poisoning: pool code never holds a lock while
//! running user code, so a poisoned lock can only come from a bug in the pool
//! itself, and carrying on with the inner value is the useful behaviour.

#[cfg(loom)]
use loom::sync as imp;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;

#[cfg(not(loom))]
use std::sync as imp;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

pub(crate) use std::sync::atomic::Ordering;

/// Thread spawning, through the facade.
pub(crate) mod thread {
    #[cfg(loom)]
    pub(crate) use loom::thread::{yield_now, Builder, JoinHandle};
    #[cfg(not(loom))]
    pub(crate) use std::thread::{yield_now, Builder, JoinHandle};
}

/// A mutex whose `lock` cannot fail (see the module note on poisoning).
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(imp::Mutex<T>);

pub(crate) type MutexGuard<'a, T> = imp::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(imp::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A condition variable paired with [`Mutex`].
#[derive(Debug, Default)]
pub(crate) struct Condvar(imp::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar(imp::Condvar::new())
    }

    /// Blocks until notified. Callers always re-check their predicate in a
    /// loop, so spurious wake-ups are harmless. There is deliberately no timed
    /// wait: loom ignores timeouts, and a protocol that needs one to make
    /// progress has a lost wake-up.
    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0
            .wait(guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one()
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all()
    }
}

/// One step of a spin loop. Under loom this must yield, or the model
/// checker's unfair scheduler would spin forever.
#[inline]
pub(crate) fn spin_step() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}

/// Declares the pool's thread-local worker pointer with whichever
/// `thread_local!` matches the active thread implementation.
macro_rules! pool_thread_local {
    ($(#[$m:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(loom)]
        loom::thread_local! { $(#[$m])* static $name: $t = $init; }
        #[cfg(not(loom))]
        std::thread_local! { $(#[$m])* static $name: $t = const { $init }; }
    };
}
pub(crate) use pool_thread_local;
