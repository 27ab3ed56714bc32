//! What every command runs with, built once from the global flags: the
//! pool, the kernels' `Exec` (pool + progress bars), the process group and
//! whether to print.

use amrkit_dist::Comm;
use amrkit_kernels::Exec;
use amrkit_pool::Pool;

/// The run-time context handed to each command's `run`.
pub struct Ctx<'a> {
    /// The worker pool (built once from `--threads`, `--pin` and the tune
    /// cache).
    pub pool: &'a Pool,
    /// The pool with the progress bars: what the kernels take.
    pub exec: Exec<'a>,
    /// This process's group (one process for the plain binary).
    pub comm: &'a dyn Comm,
    /// Print only results: `--quiet`, or any MPI rank but 0.
    pub quiet: bool,
}
