//! amrkit-pool's integration tests that can share one process, one binary
//! (`cargo test -p amrkit-pool --test pool`; a module per subject). Apart,
//! each in its own process, are the tests whose subject is process-wide
//! state set once: the global pool (`global.rs`, `global_lazy.rs`), the
//! fence mode (`no_membarrier.rs`), the first pool built on a small stack
//! (`small_stack.rs`); and the loom models (`loom.rs`, `--cfg loom`).

mod common;

mod api;
mod context;
mod deep_joins;
mod liveness;
mod max_threads;
mod panics;
mod pipeline;
mod props;
mod smoke;
mod stress;
mod wakeups;
