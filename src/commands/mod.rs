//! The commands: one `enum Command` and the one dispatch that runs them.
//!
//! Each command is a module `commands/<name>.rs` holding its clap
//! arguments (`<Name>Args`), its text rendering and
//!
//! ```text
//! pub fn run(ctx: &Ctx, args: &<Name>Args) -> AnyResult<()>
//! ```
//!
//! where [`Ctx`] carries what the global flags set up: the pool, the
//! kernels' `Exec` (pool + progress), the MPI process group and `quiet`.
//! A command imports only leaf modules (`args`, `context`, `ranks`,
//! `render`, `error`, …) and the libraries, never another command (the
//! demo calls library functions, not the other commands). To add one,
//! e.g. `slice`:
//!
//! 1. write `commands/slice.rs` with `SliceArgs` and `run`;
//! 2. add `pub mod slice;`, a variant `Slice(slice::SliceArgs)` to
//!    [`Command`] (its doc comment is the help line), and one arm
//!    `Command::Slice(a) => slice::run(ctx, &a)` to [`Command::run`];
//! 3. if it shares files between MPI processes (the `amrkit_dist`
//!    functions), list it in [`Command::distributed`]; otherwise it runs on
//!    rank 0 alone.

pub mod bench;
pub mod clumps;
pub mod demo;
pub mod export_vtk;
pub mod info;
pub mod particles;
pub mod project;
pub mod series;
pub mod stats;
pub mod tune;

use crate::args::GlobalArgs;
use crate::context::Ctx;
use crate::error::AnyResult;
use crate::progress::Bars;
use crate::tune_cache::tuned_threads;
use amrkit_dist::Comm;
use amrkit_kernels::Exec;
use amrkit_pool::Pool;
use clap::Subcommand;

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the demo on a generated snapshot (the default).
    Demo(demo::DemoArgs),
    /// What an output holds: time, box, levels, CPUs, variables, particles.
    Info(info::InfoArgs),
    /// Leaf cells per level, gas mass, per-variable min/max/means, particles.
    Stats(stats::StatsArgs),
    /// Project variables along an axis to .npy and/or .png maps.
    Project(project::ProjectArgs),
    /// Export cells (one .vtu per level + .vtm) and particles to VTK.
    ExportVtk(export_vtk::ExportVtkArgs),
    /// Particle statistics and NGP/CIC mass maps.
    Particles(particles::ParticlesArgs),
    /// PHEW clumps (clump_NNNNN.txtCCCCC) by mass: index, level, peak, mass, …
    Clumps(clumps::ClumpsArgs),
    /// Per-snapshot table (time, gas and stellar mass, means) of a simulation.
    Series(series::SeriesArgs),
    /// Time load, project and export at 1, 2, … threads.
    Bench(bench::BenchArgs),
    /// Find the best thread count per step and store it for this machine.
    Tune(tune::TuneArgs),
}

impl Command {
    /// Whether every MPI process runs the command on its share of the
    /// files; the others run on rank 0 alone.
    pub fn distributed(&self) -> bool {
        matches!(
            self,
            Command::Stats(_)
                | Command::Project(_)
                | Command::ExportVtk(_)
                | Command::Particles(_)
                | Command::Series(_)
        )
    }

    /// Runs the command as one of the processes of `comm` (a group of one
    /// for the plain binary), on a pool built from `global`: distributed
    /// commands on every process (rank 0 alone prints and writes), the
    /// others on rank 0 alone.
    pub fn run(self, global: &GlobalArgs, comm: &dyn Comm) -> AnyResult<()> {
        let pool = build_pool(global)?;
        let bars = Bars::new(&global.progress, global.quiet || !comm.is_root());
        let ctx = Ctx {
            pool: &pool,
            exec: Exec::on(&pool).progress(&bars),
            comm,
            quiet: global.quiet || !comm.is_root(),
        };
        if !self.distributed() && !comm.is_root() {
            return Ok(());
        }
        let ctx = &ctx;
        match self {
            Command::Demo(a) => demo::run(ctx, &a),
            Command::Info(a) => info::run(ctx, &a),
            Command::Stats(a) => stats::run(ctx, &a),
            Command::Project(a) => project::run(ctx, &a),
            Command::ExportVtk(a) => export_vtk::run(ctx, &a),
            Command::Particles(a) => particles::run(ctx, &a),
            Command::Clumps(a) => clumps::run(ctx, &a),
            Command::Series(a) => series::run(ctx, &a),
            Command::Bench(a) => bench::run(ctx, &a),
            Command::Tune(a) => tune::run(ctx, &a),
        }
    }
}

/// The pool of `--threads` (else the thread count `amrkit tune` stored,
/// unless `--no-tune-cache`; else the pool's default) and `--pin`.
fn build_pool(global: &GlobalArgs) -> AnyResult<Pool> {
    let mut b = Pool::builder();
    let tuned = if global.no_tune_cache {
        None
    } else {
        tuned_threads()
    };
    if let Some(n) = global.threads.or(tuned) {
        b = b.num_threads(n);
    }
    Ok(b.pin_threads(global.pin).build()?)
}
