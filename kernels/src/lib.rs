//! `amrkit-kernels`: analysis of RAMSES outputs on the amrkit pool.
//!
//! Not written yet (issue 4): load, select, derive, project and export
//! kernels built on `amrkit-io`'s per-file reads and `amrkit-pool`'s
//! `max_threads`-capped parallel calls.

/// The README's examples (which use both the pool and the reader),
/// compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
