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

use clap::Parser;
use cli::Cli;

fn main() {
    restore_sigpipe();
    let mut cli = Cli::parse();
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
    let result = cli.command_or_demo().run(&cli.global, &comm);
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
