//! The `amrkit` command-line tool: a thin layer over `amrkit-kernels`.

mod commands;
mod demo;
mod png;
mod progress;

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
    if let Err(e) = commands::run(cli) {
        eprintln!("amrkit: {e}");
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
