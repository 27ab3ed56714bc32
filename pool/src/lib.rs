//! `amrkit-pool`: an embeddable work-stealing thread pool.
//!
//! * [`join`], [`scope`]/[`Scope::spawn`], [`Pool::install`],
//!   [`Pool::broadcast`], [`Pool::spawn`];
//! * rayon's other spawns: FIFO ([`scope_fifo`], [`Scope::spawn_fifo`],
//!   [`spawn_fifo`]), broadcast ([`Pool::spawn_broadcast`],
//!   [`Scope::spawn_broadcast`]), [`yield_local`], and
//!   [`PoolBuilder::use_current_thread`];
//! * dropping a [`Pool`] only signals termination (queued work still runs);
//!   [`Pool::shutdown`] waits;
//! * context-passing forks: [`Worker::join`] (each half gets its worker, so
//!   a recursion skips the thread-local lookup per level; see
//!   [`with_worker`]) and [`join_context`] (each half learns whether it
//!   was migrated to another thread);
//! * data-parallel calls through [`Par`] (`map`, `map_range`, `try_map`,
//!   `for_each`, `for_each_mut`, `for_each_chunk`, `reduce`), with adaptive
//!   splitting and a per-call **`max_threads` cap that nested calls inherit**,
//!   so nested parallelism never oversubscribes;
//! * panics propagate to the caller, and the pool survives them.
//!
//! ```
//! use amrkit_pool::Pool;
//!
//! let pool = Pool::builder().num_threads(2).build().unwrap();
//! let squares = pool.par().map(&[1u64, 2, 3, 4], |x| x * x);
//! assert_eq!(squares, vec![1, 4, 9, 16]);
//! let total = pool.par().max_threads(1).reduce(0..1000, || 0u64, |a, i| a + i as u64, |a, b| a + b);
//! assert_eq!(total, 499_500);
//! let (a, b) = pool.install(|| amrkit_pool::join(|| 1 + 1, || 2 + 2));
//! assert_eq!((a, b), (2, 4));
//! ```
//!
//! Module map (one concept each): `sync` (std/loom facade), `deque` (queues
//! behind a loom-friendly interface), `job`, `fifo` (the queue behind FIFO
//! spawns), `latch`, `sleep` (parking protocol), `registry` (workers,
//! stealing, lazy publication), `cap` (`max_threads` slots), `join`,
//! `context` (context-passing `join`), `scope`, `spawn`, `broadcast`,
//! `par`, `pipeline` (stages on bounded channels), `pool`, `stats`. The
//! design is argued once, in `docs/pool.md`; module docs keep a paragraph
//! and point to its section.

#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod broadcast;
mod cap;
mod context;
mod deque;
mod fifo;
mod job;
mod join;
mod latch;
mod par;
pub mod pipeline;
mod pool;
mod registry;
mod scope;
mod sleep;
mod spawn;
mod stats;
mod sync;

#[cfg(all(test, loom))]
mod loom_tests;

pub use broadcast::BroadcastContext;
pub use context::{join_context, with_worker, FnContext, Worker};
pub use join::join;
pub use par::{par, Par};
pub use pipeline::{CancelToken, Flow, OnError, Pipeline, Report, Stage};
#[cfg(not(loom))]
pub use pool::global;
pub use pool::{
    current_num_threads, current_thread_index, default_num_threads, spawn, spawn_broadcast,
    spawn_fifo, yield_local, yield_now, BuildError, PinPolicy, Pool, PoolBuilder, Yield,
};
pub use scope::{in_place_scope, in_place_scope_fifo, scope, scope_fifo, Scope};
pub use spawn::SpawnHandle;
pub use stats::{coefficient_of_variation, PoolStats, WorkerCounters};
