//! The one place the pool takes its synchronisation types from.
//!
//! Under `cfg(loom)` every atomic, lock, condition variable, thread,
//! thread-local and `UnsafeCell` comes from [`loom`], so the model checker sees
//! every step of the queue, sleep/wake, latch, scope and shutdown protocols,
//! and every access to a job's closure and result. Otherwise they are the
//! standard library's. No other module names `std::sync` or `loom` directly.
//!
//! [`Mutex::lock`] never reports poisoning: pool code never holds a lock while
//! running user code, so a poisoned lock can only come from a bug in the pool
//! itself, and carrying on with the inner value is the useful behaviour.
//!
//! # Asymmetric fences
//!
//! The owner of a pending deque pushes and pops on every `join`; thieves take
//! from it rarely. The pair [`LightFence`] (owner) / [`heavy_fence`] (thief)
//! gives the same guarantee as a `fence(SeqCst)` on both sides — of two
//! threads that each store and then load the other's location across such a
//! pair, at least one sees the other's store — while the owner's side costs
//! nothing at run time:
//!
//! * on Linux with `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (registered
//!   once, before the first worker starts), the light fence is a compiler
//!   fence and the heavy fence makes every running thread of the process
//!   execute a full barrier (the kernel interrupts them), which promotes each
//!   thread's light fence to a real one at that point;
//! * elsewhere, or if registration fails (or `AMRKIT_POOL_NO_MEMBARRIER` is
//!   set), both sides are `fence(SeqCst)`: forks cost a fence, the protocol
//!   is unchanged;
//! * under loom both are `fence(SeqCst)`: the model checks the protocol under
//!   exactly the guarantee the pair provides.
//!
//! The mode is chosen by [`init_fences`] before any worker thread exists and
//! never changes afterwards; thread spawning orders that choice before every
//! fence a worker executes.

#[cfg(loom)]
use loom::sync as imp;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicIsize, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;

#[cfg(not(loom))]
use std::sync as imp;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicIsize, AtomicU64, AtomicUsize};
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

/// Interior mutability that loom can check: under loom, every access is
/// recorded and two accesses not ordered by happens-before are reported as a
/// data race.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// Interior mutability with loom's closure-based interface.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline(always)]
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Writes through a raw pointer.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
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

#[cfg(all(not(loom), target_os = "linux"))]
mod asym {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;

    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    /// True once membarrier is registered. Written once in `init`, before
    /// any worker starts; read Relaxed (spawning orders it before the read).
    pub(super) static MEMBARRIER: AtomicBool = AtomicBool::new(false);
    static INIT: OnceLock<()> = OnceLock::new();

    pub(super) fn init() {
        INIT.get_or_init(|| {
            if std::env::var_os("AMRKIT_POOL_NO_MEMBARRIER").is_some() {
                return;
            }
            // SAFETY: the membarrier syscall takes (cmd, flags, cpu_id) and
            // touches no memory of ours; failure is reported as -1.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_membarrier,
                    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                    0 as libc::c_long,
                    0 as libc::c_long,
                )
            };
            if r == 0 {
                MEMBARRIER.store(true, Ordering::Relaxed);
            }
        });
    }

    #[inline(always)]
    pub(super) fn enabled() -> bool {
        MEMBARRIER.load(Ordering::Relaxed)
    }

    pub(super) fn barrier() {
        // SAFETY: as in `init`; registration succeeded, so the command is
        // allowed and cannot fail with EPERM.
        let r = unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                MEMBARRIER_CMD_PRIVATE_EXPEDITED,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        };
        if r != 0 {
            // Cannot happen after a successful registration. Carrying on
            // would break the fence pairing, so stop loudly.
            eprintln!("amrkit-pool: membarrier failed after registration; aborting");
            std::process::abort();
        }
    }
}

#[cfg(all(not(loom), not(target_os = "linux")))]
mod asym {
    pub(super) fn init() {}
    #[inline(always)]
    pub(super) fn enabled() -> bool {
        false
    }
    pub(super) fn barrier() {}
}

/// Chooses the fence mode (see the module notes). Called before any worker
/// thread of any pool starts.
pub(crate) fn init_fences() {
    #[cfg(not(loom))]
    asym::init();
}

/// The owner's side of an asymmetric fence pair: a compiler fence when
/// membarrier is registered, else a real `fence(SeqCst)`.
///
/// The mode is read once ([`LightFence::current`], after [`init_fences`])
/// and turned into data the fork reads anyway, so that no fork tests it: the
/// bias of the pending deque's `top` (`deque.rs`) and the worker's `hungry`
/// pointer (`registry.rs`). The global never changes after `init_fences`, so
/// every copy agrees with what `heavy_fence` reads.
#[derive(Clone, Copy)]
pub(crate) struct LightFence {
    #[cfg(not(loom))]
    compiler_only: bool,
}

impl LightFence {
    /// The mode chosen by [`init_fences`] (which must have run).
    pub(crate) fn current() -> LightFence {
        LightFence {
            #[cfg(not(loom))]
            compiler_only: asym::enabled(),
        }
    }

    /// Whether the owner's side is a real fence: no membarrier, and under
    /// loom (which models the pair as two `SeqCst` fences).
    #[inline]
    pub(crate) fn is_real(self) -> bool {
        #[cfg(not(loom))]
        return !self.compiler_only;
        #[cfg(loom)]
        return true;
    }

    /// Only the compiler-fence half, whatever the mode: for a caller that
    /// runs the real fence itself on a path it reaches only when
    /// [`is_real`](Self::is_real) (see `WorkerThread::push_pending`).
    #[inline(always)]
    pub(crate) fn compiler(self) {
        compiler_fence();
    }
}

/// A compiler-only fence: the whole owner's fence when membarrier is
/// registered (nothing under loom, where the owner always runs the real
/// fence too: see `Deque`'s notes on the bias of `top`).
#[inline(always)]
pub(crate) fn compiler_fence() {
    #[cfg(not(loom))]
    std::sync::atomic::compiler_fence(Ordering::SeqCst);
}

/// The thief's side of an asymmetric fence pair.
#[inline(never)]
pub(crate) fn heavy_fence() {
    fence(Ordering::SeqCst);
    #[cfg(not(loom))]
    if asym::enabled() {
        asym::barrier();
        fence(Ordering::SeqCst);
    }
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
