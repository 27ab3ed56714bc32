//! `amrkit tune`: `bench`, then stores the fastest thread count for this
//! machine (used by every later command unless overridden); `--show`
//! prints what is stored and where, `--reset` forgets it.

use crate::context::Ctx;
use crate::error::AnyResult;
use crate::thread_scan::{scan, BenchArgs};
use crate::tune_cache::{forget, show, store};
use clap::Args;

/// `amrkit tune`.
#[derive(Args, Debug)]
pub struct TuneArgs {
    #[command(flatten)]
    pub bench: BenchArgs,
    /// Print the thread count stored for this machine and the file it is
    /// in, without a sweep.
    #[arg(long, conflicts_with = "reset")]
    pub show: bool,
    /// Forget the thread count stored for this machine (later commands use
    /// the CPU count again).
    #[arg(long)]
    pub reset: bool,
}

/// Times every thread count and stores the best (or shows or forgets
/// it); rank 0 only.
pub fn run(ctx: &Ctx, a: &TuneArgs) -> AnyResult<()> {
    if a.show {
        return show();
    }
    if a.reset {
        return forget();
    }
    let rows = scan(&a.bench, ctx.pool)?;
    store(&rows)
}
