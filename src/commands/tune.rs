//! `amrkit tune`: `bench`, then stores the fastest thread count for this
//! machine (used by every later command unless overridden).

use crate::context::Ctx;
use crate::error::AnyResult;
use crate::thread_scan::{scan, BenchArgs};
use crate::tune_cache::store;

/// The arguments of `tune` are those of `bench`.
pub type TuneArgs = BenchArgs;

/// Times every thread count and stores the best; rank 0 only.
pub fn run(ctx: &Ctx, a: &TuneArgs) -> AnyResult<()> {
    let rows = scan(a, ctx.pool)?;
    store(&rows)
}
