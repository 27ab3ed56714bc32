//! `amrkit stats`: leaf cells per level, gas mass, per-variable min, max
//! and means, particles and sinks (distributed under MPI).

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::AnyResult;
use crate::ranks::open_selected;
use clap::Args;
use std::path::PathBuf;

/// `amrkit stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// The output folder.
    pub output: PathBuf,
    #[command(flatten)]
    pub sel: SelArgs,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Named units for the table (e.g. density in g/cm^3): "auto" picks
    /// astrophysical ones; default code units.
    #[arg(long)]
    pub unit: Option<String>,
}

/// Computes the statistics on every process; rank 0 prints them.
pub fn run(ctx: &Ctx, a: &StatsArgs) -> AnyResult<()> {
    let (exec, comm) = (&ctx.exec, ctx.comm);
    let (s, sel, exec) = open_selected(comm, &a.output, &a.sel, exec, |_| Ok(()))?;
    let Some(j) = amrkit_dist::stats(comm, &s, &sel, a.unit.as_deref(), &exec)? else {
        return Ok(());
    };
    if let Some(e) = j["particles_error"].as_str() {
        eprintln!("amrkit: warning: particles not read (gas figures are complete): {e}");
    }
    if let Some(e) = j["rt_error"].as_str() {
        eprintln!("amrkit: warning: RAMSES-RT variables not read (gas figures are complete): {e}");
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    println!(
        "leaf cells {} per level {}",
        j["n_leaf_total"], j["leaf_cells_per_level"]
    );
    println!(
        "gas mass   {:.10e} ({}{})",
        j["total_mass"].as_f64().unwrap_or(0.0),
        if a.unit.is_some() { "Msol" } else { "code" },
        match s.info.ndim {
            2 => ", Σρ·dx² per code length of depth",
            1 => ", Σρ·dx per code area of cross-section",
            _ => "",
        }
    );
    if a.unit.is_some() && j["rt"].is_object() {
        println!("(rt variables in photons/cm^2/s: code values × unit_pf)");
    }
    for g in ["hydro", "gravity", "rt"] {
        if let Some(m) = j[g].as_object() {
            println!(
                "{:<16} {:>16} {:>16} {:>16} {:>16}",
                g, "min", "max", "vol-mean", "mass-mean"
            );
            for (k, v) in m {
                println!(
                    "{k:<16} {:>16.8e} {:>16.8e} {:>16.8e} {:>16.8e}",
                    v["min"].as_f64().unwrap_or(0.0),
                    v["max"].as_f64().unwrap_or(0.0),
                    v["volume_weighted_mean"].as_f64().unwrap_or(0.0),
                    v["mass_weighted_mean"].as_f64().unwrap_or(0.0)
                );
            }
        }
    }
    if let Some(m) = j["particles"].as_object() {
        for (k, v) in m {
            println!(
                "particles {k:<8} {:>9}  mass {:.8e}",
                v["count"],
                v["total_mass"].as_f64().unwrap_or(0.0)
            );
        }
    }
    if j["sinks"].is_object() {
        println!(
            "sinks              {:>9}  mass {:.8e}",
            j["sinks"]["count"],
            j["sinks"]["total_mass"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}
