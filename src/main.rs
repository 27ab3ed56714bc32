//! The `amrkit` command-line tool: a thin layer over `amrkit-kernels`.

mod args;
mod cli;
mod commands;
mod context;
mod error;
mod progress;
mod ranks;
mod render;
mod synth;
mod thread_scan;
mod tune_cache;
mod view_flags;

use clap::Parser;
use cli::Cli;

fn main() {
    restore_sigpipe();
    let mut cli = Cli::parse();
    // Under `mpirun` (the `mpi` feature) every process runs the command on
    // its share of the files; only rank 0 prints the error, and every
    // process exits non-zero. Started without a launcher, even the `mpi`
    // build runs alone, without MPI's start-up (`launched_by_mpi`).
    #[cfg(feature = "mpi")]
    let mpi = if amrkit_dist::launched_by_mpi() {
        match amrkit_dist::Mpi::init() {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("amrkit: {e}");
                std::process::exit(1);
            }
        }
    } else {
        None
    };
    #[cfg(not(feature = "mpi"))]
    let mpi: Option<amrkit_dist::Single> = None;
    let single = amrkit_dist::Single;
    let comm: &dyn amrkit_dist::Comm = match &mpi {
        Some(m) => m,
        None => &single,
    };
    let result = cli.command_or_demo().run(&cli.global, comm);
    let root = comm.is_root();
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
    comm.barrier();
    #[cfg_attr(not(feature = "mpi"), allow(dropping_copy_types))]
    drop(mpi);
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
