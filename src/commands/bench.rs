//! `amrkit bench`: times load, project and export at 1, 2, … threads.

use crate::context::Ctx;
use crate::error::AnyResult;
use crate::thread_scan::scan;
pub use crate::thread_scan::BenchArgs;

/// Prints the timing table; rank 0 only.
pub fn run(ctx: &Ctx, a: &BenchArgs) -> AnyResult<()> {
    scan(a, ctx.pool)?;
    Ok(())
}
