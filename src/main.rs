//! The `amrkit` command-line tool: a thin layer over `amrkit-kernels`.

mod commands;
mod demo;
mod png;
mod progress;
// Figures drawn with plotters (until the CLI layout's `render/mod.rs`
// lands, declared here).
#[allow(dead_code)]
mod render {
    pub mod chart;
    pub mod phase_plot;
    pub mod profile_plot;
}

use clap::{Parser, Subcommand};

/// Fast analysis of RAMSES AMR outputs on a work-stealing thread pool.
///
/// With no command, runs the demo: writes a synthetic RAMSES output into
/// ./amrkit-demo, then inspects, loads, projects and exports it.
#[derive(Parser)]
#[command(name = "amrkit", version)]
pub struct Cli {
    /// Worker threads (default: AMRKIT_NUM_THREADS, else the CPU count).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Pin workers to cores.
    #[arg(long, global = true)]
    pub pin: bool,
    /// Print only results (no progress, no summaries).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Ignore the thread count `amrkit tune` stored for this machine.
    #[arg(long, global = true)]
    pub no_tune_cache: bool,
    /// Progress bars: auto (on a terminal), always, never.
    #[arg(long, global = true, default_value = "auto")]
    pub progress: String,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the demo on a generated snapshot (the default).
    Demo(commands::DemoArgs),
    /// What an output holds: time, box, levels, CPUs, variables, particles.
    Info(commands::InfoArgs),
    /// Leaf cells per level, gas mass, per-variable min/max/means, particles.
    Stats(commands::StatsArgs),
    /// Project variables along an axis to .npy and/or .png maps.
    Project(commands::ProjectArgs),
    /// Export cells (one .vtu per level + .vtm) and particles to VTK.
    ExportVtk(commands::ExportArgs),
    /// Particle statistics and NGP/CIC mass maps.
    Particles(commands::ParticlesArgs),
    /// PHEW clumps (clump_NNNNN.txtCCCCC) by mass: index, level, peak, mass, …
    Clumps(commands::ClumpsArgs),
    /// Per-snapshot table (time, gas and stellar mass, means) of a simulation.
    Series(commands::SeriesArgs),
    /// Time load, project and export at 1, 2, … threads.
    Bench(commands::BenchArgs),
    /// Find the best thread count per step and store it for this machine.
    Tune(commands::BenchArgs),
}

fn main() {
    restore_sigpipe();
    let cli = Cli::parse();
    // Under `mpirun` (the `mpi` feature) every process runs the command on
    // its share of the files; only rank 0 prints the error, and every
    // process exits non-zero.
    #[cfg(feature = "mpi")]
    let comm = match amrkit_dist::Mpi::init() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("amrkit: {e}");
            std::process::exit(1);
        }
    };
    #[cfg(not(feature = "mpi"))]
    let comm = amrkit_dist::Single;
    let result = commands::run(cli, &comm);
    let root = amrkit_dist::Comm::is_root(&comm);
    if let Err(e) = &result {
        if root {
            // One write, so that `mpirun`'s forwarding of the processes'
            // output cannot cut the line.
            use std::io::Write;
            let _ = std::io::stderr().write_all(format!("amrkit: {e}\n").as_bytes());
        }
    }
    // Every process waits here until rank 0 has printed, so that `mpirun`
    // (which ends the job when one process exits non-zero) cannot stop
    // rank 0 before; then MPI is finalised (with the feature).
    amrkit_dist::Comm::barrier(&comm);
    #[cfg_attr(not(feature = "mpi"), allow(dropping_copy_types))]
    drop(comm);
    if result.is_err() {
        std::process::exit(1);
    }
}

/// Rust starts programs with `SIGPIPE` ignored, so writing to a closed pipe
/// (`amrkit stats OUT | head`) makes `println!` panic. Like every Unix
/// filter, end quietly instead: restore the default action, which
/// terminates the process when the reader has gone.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists;
    // setting a signal's disposition to its default is async-signal-safe
    // and touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
