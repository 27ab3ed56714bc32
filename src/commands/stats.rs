//! `amrkit stats`: leaf cells per level, gas mass, per-variable min, max
//! and means, particles and sinks (distributed under MPI).

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::open_selected;
use amrkit_kernels::summary::stats_named;
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
    let named = stats_named(a.unit.as_deref())?;
    let (s, sel, exec) = open_selected(comm, &a.output, &a.sel, exec, |_| Ok(()))?;
    let Some(j) = amrkit_dist::stats(comm, &s, &sel, a.unit.as_deref(), &exec)? else {
        return Ok(());
    };
    // An empty selection is a mistake in the region, not a result of NaNs.
    if j["n_leaf_total"].as_u64() == Some(0) {
        return fail(format!(
            "{}: no leaf cell has its centre in the region given (--center, --radius, --xrange/--yrange/--zrange): widen it, or check --range-unit",
            s.dir.display()
        ));
    }
    // Variables holding NaN or ±inf: their count (the JSON gives it as
    // `non_finite`; the figures that are not finite are null there).
    for g in ["hydro", "gravity", "rt"] {
        for (k, v) in j[g].as_object().into_iter().flatten() {
            if let Some(n) = v["non_finite"].as_u64().filter(|&n| n > 0) {
                eprintln!(
                    "amrkit: warning: {k}: {n} of {} cells are NaN or ±inf (min and max skip NaN; a NaN makes the means NaN)",
                    j["n_leaf_total"]
                );
            }
        }
    }
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
        "gas mass   {} ({}{})",
        num(&j["total_mass"], 0, 10),
        j["units"]["total_mass"].as_str().unwrap_or("code"),
        match s.info.ndim {
            2 => ", Σρ·dx² per code length of depth",
            1 => ", Σρ·dx per code area of cross-section",
            _ => "",
        }
    );
    if named && j["rt"].is_object() {
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
                    "{k:<16} {} {} {} {}{}",
                    num(&v["min"], 16, 8),
                    num(&v["max"], 16, 8),
                    num(&v["volume_weighted_mean"], 16, 8),
                    num(&v["mass_weighted_mean"], 16, 8),
                    match j["units"][g][k].as_str() {
                        Some(u) if named => format!("  {u}"),
                        _ => String::new(),
                    }
                );
            }
        }
    }
    if let Some(m) = j["particles"].as_object() {
        for (k, v) in m {
            println!(
                "particles {k:<8} {:>9}  mass {} {}",
                v["count"],
                num(&v["total_mass"], 0, 8),
                j["units"]["particles"]["total_mass"]
                    .as_str()
                    .unwrap_or("code")
            );
        }
    }
    if j["sinks"].is_object() {
        println!(
            "sinks              {:>9}  mass {} {}",
            j["sinks"]["count"],
            num(&j["sinks"]["total_mass"], 0, 8),
            j["units"]["sinks"]["total_mass"].as_str().unwrap_or("code")
        );
    }
    Ok(())
}

/// A figure of the JSON as text, `width` wide with `digits` digits: a
/// number in scientific notation, or `NaN` for the JSON's null (a figure
/// that is not finite; never shown as 0).
fn num(v: &serde_json::Value, width: usize, digits: usize) -> String {
    match v.as_f64() {
        Some(x) => format!("{x:>width$.digits$e}"),
        None => format!("{:>width$}", "NaN"),
    }
}
