//! `amrkit series`: one CSV row per snapshot of a simulation (time, gas
//! and stellar mass, means), read and analysed as a pipeline on the pool.

use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::agree;
use crate::render::series_plot::plot_series;
use amrkit_kernels::request::outputs;
use amrkit_kernels::series::{Row, SeriesOptions};
use clap::Args;
use std::path::PathBuf;

/// `amrkit series`.
#[derive(Args, Debug)]
pub struct SeriesArgs {
    /// The simulation folder holding output_NNNNN folders.
    pub sim: PathBuf,
    /// Outputs, e.g. "1..10" (default: all).
    #[arg(long)]
    pub outputs: Option<String>,
    /// Snapshots read at once (default 1; at most --capacity).
    #[arg(long)]
    pub concurrent: Option<usize>,
    /// Threads per snapshot read (default: a quarter of the pool, at least 1).
    #[arg(long)]
    pub read_threads: Option<usize>,
    /// Threads of the analysis stage (default: the whole pool).
    #[arg(long)]
    pub analysis_threads: Option<usize>,
    /// Snapshots in memory at once: being read, waiting, or being analysed
    /// (default 2: the next is read while one is analysed; 1 reads and
    /// analyses in turn). Peak memory is this many cell tables plus a
    /// constant.
    #[arg(long, default_value_t = 2)]
    pub capacity: usize,
    /// CSV file (default stdout).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Plot of gas and stellar mass against time.
    #[arg(long)]
    pub png: Option<PathBuf>,
}

/// Runs the pipeline on every process; rank 0 writes the table.
pub fn run(ctx: &Ctx, a: &SeriesArgs) -> AnyResult<()> {
    let (pool, comm, quiet) = (ctx.pool, ctx.comm, ctx.quiet);
    let outs = agree(
        comm,
        (|| {
            let mut outs = outputs(&a.sim)?;
            if let Some(r) = &a.outputs {
                let (lo, hi) = r
                    .split_once("..")
                    .map_or((r.as_str(), r.as_str()), |(a, b)| (a, b));
                let (lo, hi): (u32, u32) = (
                    lo.parse()
                        .map_err(|_| format!("--outputs {r:?}: expected A..B"))?,
                    hi.parse()
                        .map_err(|_| format!("--outputs {r:?}: expected A..B"))?,
                );
                outs.retain(|(n, _)| (lo..=hi).contains(n));
            }
            if outs.is_empty() {
                return fail(format!("{}: no output_NNNNN folders", a.sim.display()));
            }
            Ok(outs)
        })(),
    )?;
    // Read stage -> analysis stage -> this writer, on the pool
    // (`amrkit_kernels::series`): rows arrive in output order.
    let opts = SeriesOptions {
        read_workers: a.concurrent.unwrap_or(1).max(1),
        read_threads: a.read_threads,
        analysis_threads: a.analysis_threads,
        capacity: a.capacity.max(1),
    };
    let dirs: Vec<PathBuf> = outs.iter().map(|(_, d)| d.clone()).collect();
    // Each row lands at its output's index, whatever the delivery order
    // (and whichever process computed it).
    let Some(rows): Option<Vec<Result<Row, String>>> = amrkit_dist::series(comm, pool, dirs, opts)?
    else {
        return Ok(());
    };
    let mut csv = String::from("output,time_code,time_myr,gas_mass_code,stellar_mass_code,mean_density_code,mean_temperature_K,error\n");
    let mut failed = 0;
    let mut points = Vec::new();
    for ((n, _), r) in outs.iter().zip(&rows) {
        match r {
            Ok(v) => {
                csv += &format!(
                    "{n},{},{},{},{},{},{},\n",
                    v.time_code,
                    v.time_myr,
                    v.gas_mass,
                    v.stellar_mass,
                    v.mean_density,
                    v.mean_temperature_k
                );
                points.push((v.time_code, v.gas_mass, v.stellar_mass));
            }
            Err(e) => {
                failed += 1;
                csv += &format!("{n},,,,,,,\"{}\"\n", e.replace('"', "'"));
                if !quiet {
                    eprintln!("amrkit: output {n}: {e}");
                }
            }
        }
    }
    match &a.csv {
        // Via a temporary name, so a failed write leaves no partial CSV.
        Some(p) => amrkit_io::atomic::write_atomic(p, csv.as_bytes())?,
        None => print!("{csv}"),
    }
    if let Some(p) = &a.png {
        plot_series(p, &points)?;
    }
    if failed == outs.len() {
        return fail(format!("all {failed} snapshots failed"));
    }
    Ok(())
}
