//! Data-parallel calls with per-call options: `par().max_threads(k)…`.
//!
//! # Splitting
//!
//! A call over `n` items splits the index range in halves with [`join`]
//! until a budget of splits is spent (initially four per available thread)
//! or a piece is smaller than twice `min_chunk`. A piece that runs on another
//! thread than the one that split it was stolen, which means some thread was
//! idle: it gets a fresh budget and splits again (thief splitting), so uneven
//! work spreads out without cutting even work into needless pieces.
//!
//! `reduce` is the exception: it needs a result that does not depend on who
//! stole what, so it folds fixed chunks (of `min_chunk`, or `n / (4 *
//! threads)` by default) and combines them in a fixed balanced tree.
//!
//! # Caps
//!
//! `max_threads(k)` bounds the threads that execute work of this call at any
//! instant, work of calls nested inside it included; a nested call takes the
//! smaller of its own cap and the inherited one, and with a cap of 1 runs
//! inline. See `cap.rs` for the slot accounting.

use crate::cap::OpCtx;
use crate::job::CtxScope;
use crate::join::join;
use crate::pool::{global_registry, Pool};
use crate::registry::{Registry, WorkerThread};
use crate::sync::Arc;
use std::ops::Range;

/// Options of a data-parallel call; see [`Pool::par`] and [`par`].
///
/// ```
/// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
/// let p = pool.par().max_threads(1).min_chunk(10);
/// assert_eq!(p.map_range(0..3, |i| i * 2), vec![0, 2, 4]);
/// ```
#[derive(Clone, Copy)]
#[must_use = "a Par does nothing until one of its operations is called"]
pub struct Par<'p> {
    registry: Option<&'p Arc<Registry>>,
    max_threads: Option<usize>,
    min_chunk: Option<usize>,
}

/// Data-parallel calls on the current pool (the global pool off any pool).
///
/// ```
/// assert_eq!(amrkit_pool::par().map(&[1, 2, 3], |x| x + 1), vec![2, 3, 4]);
/// ```
pub fn par() -> Par<'static> {
    Par {
        registry: None,
        max_threads: None,
        min_chunk: None,
    }
}

/// How one call runs, once resolved on a worker.
#[derive(Clone, Copy)]
struct Plan {
    /// Threads this call may use: min(pool size, cap in force).
    threads: usize,
    min_chunk: usize,
}

struct SendPtr<T>(*mut T);
// SAFETY: each parallel piece writes a disjoint index range through it, and
// the owning buffer outlives the call.
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SendPtr<T> {}
impl<T> SendPtr<T> {
    #[inline]
    fn get(&self) -> *mut T {
        self.0
    }
}

impl<'p> Par<'p> {
    pub(crate) fn on(pool: &'p Pool) -> Par<'p> {
        Par {
            registry: Some(pool.registry()),
            max_threads: None,
            min_chunk: None,
        }
    }

    /// At most `k` threads (at least 1) execute work of this call at any
    /// instant, including work of parallel calls nested inside it. The one
    /// exception is [`Pool::broadcast`], whose purpose is to run on every
    /// worker: a broadcast called inside a capped call runs its closure on
    /// all workers, and parallel calls nested in that closure are capped.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(4).build().unwrap();
    /// let seen = pool.par().max_threads(2).map_range(0..4, |_| {
    ///     // Nested, uncapped: still within the outer cap of 2.
    ///     amrkit_pool::par().map_range(0..1, |_| amrkit_pool::current_num_threads())[0]
    /// });
    /// assert!(seen.iter().all(|&n| n == 2));
    /// ```
    pub fn max_threads(mut self, k: usize) -> Self {
        self.max_threads = Some(k.max(1));
        self
    }

    /// Never split below `n` items per piece (at least 1). For
    /// [`Par::reduce`], the exact chunk size, which makes the result
    /// independent of the thread count.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let pieces = std::sync::Mutex::new(0);
    /// pool.par().min_chunk(50).for_each_chunk(0..100, |r| {
    ///     assert!(r.len() >= 50);
    ///     *pieces.lock().unwrap() += 1;
    /// });
    /// assert!(*pieces.lock().unwrap() <= 2);
    /// ```
    pub fn min_chunk(mut self, n: usize) -> Self {
        self.min_chunk = Some(n.max(1));
        self
    }

    /// Resolves the pool and cap, then runs `body` on a worker.
    fn run<R: Send>(&self, body: impl FnOnce(Plan) -> R + Send) -> R {
        let wt = WorkerThread::current();
        match self.registry {
            Some(r) => r.in_worker(|| self.run_on_worker(body)),
            None if !wt.is_null() => self.run_on_worker(body),
            None => global_registry().in_worker(|| self.run_on_worker(body)),
        }
    }

    fn run_on_worker<R>(&self, body: impl FnOnce(Plan) -> R) -> R {
        // SAFETY: called on a worker (directly or through `in_worker`).
        let wt = unsafe { &*WorkerThread::current() };
        let parent = wt.ctx();
        let inherited = OpCtx::cap_of(parent);
        let pool_threads = wt.registry().num_threads();
        let own = self.max_threads.unwrap_or(usize::MAX);
        let plan = Plan {
            threads: own.min(inherited).min(pool_threads),
            min_chunk: self.min_chunk.unwrap_or(1),
        };
        if own < inherited && own < pool_threads {
            let ctx = OpCtx::new(own, parent);
            let _scope = CtxScope::enter(wt, &ctx);
            body(plan)
        } else {
            body(plan)
        }
    }

    /// Calls `f(lo, hi)` on pieces that tile `0..n`, in parallel.
    fn for_each_piece(&self, n: usize, f: &(dyn Fn(usize, usize) + Sync)) {
        if n == 0 {
            return;
        }
        self.run(|plan| {
            if plan.threads <= 1 || n < 2 * plan.min_chunk {
                f(0, n)
            } else {
                split(0, n, 4 * plan.threads, &plan, f)
            }
        })
    }

    /// `f` applied to every item, in order.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// assert_eq!(pool.par().map(&["a", "bb"], |s| s.len()), vec![1, 2]);
    /// ```
    pub fn map<T, U, F>(&self, items: &[T], f: F) -> Vec<U>
    where
        T: Sync,
        U: Send,
        F: Fn(&T) -> U + Sync,
    {
        self.map_range(0..items.len(), |i| f(&items[i]))
    }

    /// `f(i)` for every `i` in `range`, in order.
    ///
    /// If `f` panics, the panic resumes here after every piece has stopped;
    /// results already computed are leaked rather than dropped.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// assert_eq!(pool.par().map_range(10..13, |i| i * i), vec![100, 121, 144]);
    /// ```
    pub fn map_range<U, F>(&self, range: Range<usize>, f: F) -> Vec<U>
    where
        U: Send,
        F: Fn(usize) -> U + Sync,
    {
        let n = range.len();
        let start = range.start;
        let mut out: Vec<U> = Vec::with_capacity(n);
        let ptr = SendPtr(out.as_mut_ptr());
        self.for_each_piece(n, &|lo, hi| {
            for i in lo..hi {
                // SAFETY: `i < n` is within the capacity, and pieces are
                // disjoint, so each slot is written exactly once.
                unsafe { ptr.get().add(i).write(f(start + i)) };
            }
        });
        // SAFETY: every piece finished, so all `n` slots are initialised.
        unsafe { out.set_len(n) };
        out
    }

    /// `f` applied to every item; every item runs even when others fail.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let r = pool.par().try_map(&[1, 0, 2], |&x| if x == 0 { Err("zero") } else { Ok(10 / x) });
    /// assert_eq!(r, vec![Ok(10), Err("zero"), Ok(5)]);
    /// ```
    pub fn try_map<T, U, E, F>(&self, items: &[T], f: F) -> Vec<Result<U, E>>
    where
        T: Sync,
        U: Send,
        E: Send,
        F: Fn(&T) -> Result<U, E> + Sync,
    {
        self.map(items, f)
    }

    /// `f` on every element, in parallel.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let mut v = vec![1, 2, 3];
    /// pool.par().for_each_mut(&mut v, |x| *x *= 10);
    /// assert_eq!(v, [10, 20, 30]);
    /// ```
    pub fn for_each_mut<T, F>(&self, items: &mut [T], f: F)
    where
        T: Send,
        F: Fn(&mut T) + Sync,
    {
        let n = items.len();
        let ptr = SendPtr(items.as_mut_ptr());
        self.for_each_piece(n, &|lo, hi| {
            for i in lo..hi {
                // SAFETY: pieces are disjoint sub-ranges of `items`, which is
                // borrowed mutably for the whole call.
                f(unsafe { &mut *ptr.get().add(i) });
            }
        });
    }

    /// `f(i)` for every `i` in `range`, in parallel.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let sum = AtomicUsize::new(0);
    /// pool.par().for_each(0..100, |i| { sum.fetch_add(i, Ordering::Relaxed); });
    /// assert_eq!(sum.into_inner(), 4950);
    /// ```
    pub fn for_each<F>(&self, range: Range<usize>, f: F)
    where
        F: Fn(usize) + Sync,
    {
        let start = range.start;
        self.for_each_piece(range.len(), &|lo, hi| {
            for i in lo..hi {
                f(start + i)
            }
        });
    }

    /// `f(piece)` for pieces that tile `range`, in parallel (each at least
    /// `min_chunk` long, except when `range` itself is shorter).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let covered = AtomicUsize::new(0);
    /// pool.par().for_each_chunk(5..105, |r| { covered.fetch_add(r.len(), Ordering::Relaxed); });
    /// assert_eq!(covered.into_inner(), 100);
    /// ```
    pub fn for_each_chunk<F>(&self, range: Range<usize>, f: F)
    where
        F: Fn(Range<usize>) + Sync,
    {
        let start = range.start;
        self.for_each_piece(range.len(), &|lo, hi| f(start + lo..start + hi));
    }

    /// Folds `range` in fixed chunks and combines the partial results in a
    /// fixed balanced tree: for a given `min_chunk` (or thread count, when
    /// `min_chunk` is not set) the result does not depend on scheduling.
    /// An empty range gives `identity()`.
    ///
    /// ```
    /// let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    /// let data: Vec<f64> = (0..1000).map(|i| i as f64 * 0.1).collect();
    /// let a = pool.par().min_chunk(64).reduce(0..data.len(), || 0.0, |s, i| s + data[i], |x, y| x + y);
    /// let b = pool.par().min_chunk(64).max_threads(1).reduce(0..data.len(), || 0.0, |s, i| s + data[i], |x, y| x + y);
    /// assert_eq!(a.to_bits(), b.to_bits()); // same chunks, same tree: bit-identical
    /// ```
    pub fn reduce<A, ID, FOLD, COMB>(
        &self,
        range: Range<usize>,
        identity: ID,
        fold: FOLD,
        combine: COMB,
    ) -> A
    where
        A: Send,
        ID: Fn() -> A + Sync,
        FOLD: Fn(A, usize) -> A + Sync,
        COMB: Fn(A, A) -> A + Sync,
    {
        let n = range.len();
        if n == 0 {
            return identity();
        }
        let start = range.start;
        let min_chunk = self.min_chunk;
        self.run(|plan| {
            let chunk = min_chunk.unwrap_or_else(|| n.div_ceil(4 * plan.threads).max(1));
            let leaves = n.div_ceil(chunk);
            let leaf = |l: usize| {
                let lo = start + l * chunk;
                let hi = (lo + chunk).min(start + n);
                (lo..hi).fold(identity(), &fold)
            };
            reduce_tree(0, leaves, plan.threads > 1, &leaf, &combine)
        })
    }
}

fn split(lo: usize, hi: usize, splits: usize, plan: &Plan, f: &(dyn Fn(usize, usize) + Sync)) {
    let len = hi - lo;
    if splits == 0 || len < 2 * plan.min_chunk {
        f(lo, hi);
        return;
    }
    let mid = lo + len / 2;
    let half = splits / 2;
    let owner = crate::current_thread_index();
    join(
        || split(lo, mid, half, plan, f),
        || {
            // Stolen: some thread was idle, so give this piece a new budget.
            let budget = if crate::current_thread_index() != owner {
                (4 * plan.threads).max(half)
            } else {
                half
            };
            split(mid, hi, budget, plan, f)
        },
    );
}

fn reduce_tree<A, L, C>(l0: usize, l1: usize, parallel: bool, leaf: &L, combine: &C) -> A
where
    A: Send,
    L: Fn(usize) -> A + Sync,
    C: Fn(A, A) -> A + Sync,
{
    if l1 - l0 == 1 {
        return leaf(l0);
    }
    let mid = l0 + (l1 - l0) / 2;
    let (a, b) = if parallel {
        join(
            || reduce_tree(l0, mid, parallel, leaf, combine),
            || reduce_tree(mid, l1, parallel, leaf, combine),
        )
    } else {
        (
            reduce_tree(l0, mid, parallel, leaf, combine),
            reduce_tree(mid, l1, parallel, leaf, combine),
        )
    };
    combine(a, b)
}
