//! `amrkit stats`: leaf cells per level, gas mass, per-variable min, max
//! and means, particles and sinks (distributed under MPI).

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::open_selected;
use amrkit_kernels::report::{MassUnit, StatsReport};
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
    let Some(r) = amrkit_dist::stats(comm, &s, &sel, a.unit.as_deref(), &exec)? else {
        return Ok(());
    };
    // An empty selection is a mistake in the region, not a result of NaNs.
    if r.n_leaf_total == 0 {
        return fail(format!(
            "{}: no leaf cell has its centre in the region given (--center, --radius, --xrange/--yrange/--zrange): widen it, or check --range-unit",
            s.dir.display()
        ));
    }
    warn_incomplete(&r);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r.to_json())?);
        return Ok(());
    }
    print_table(&r, named, s.info.ndim);
    Ok(())
}

/// Warnings on stderr: variables holding NaN or ±inf (their count; the
/// JSON gives it as `non_finite`, the figures that are not finite are null
/// there), and particles or rt files that could not be read.
fn warn_incomplete(r: &StatsReport) {
    for t in r.tables() {
        for (k, v) in t.table.iter().filter(|(_, v)| v.non_finite > 0) {
            eprintln!(
                "amrkit: warning: {k}: {} of {} cells are NaN or ±inf (min and max skip NaN; a NaN makes the means NaN)",
                v.non_finite, r.n_leaf_total
            );
        }
    }
    if let Some(e) = &r.particles_error {
        eprintln!("amrkit: warning: particles not read (gas figures are complete): {e}");
    }
    if let Some(e) = &r.rt_error {
        eprintln!("amrkit: warning: RAMSES-RT variables not read (gas figures are complete): {e}");
    }
}

/// The text table: cells, gas mass, a line per variable, particles per
/// family, sinks (`named`: the units are named per variable).
fn print_table(r: &StatsReport, named: bool, ndim: usize) {
    println!(
        "leaf cells {} per level {}",
        r.n_leaf_total,
        serde_json::Value::from_iter(
            r.leaf_cells_per_level
                .iter()
                .map(|(l, &n)| (l.clone(), serde_json::Value::from(n)))
        )
    );
    println!(
        "gas mass   {} ({}{})",
        num(r.total_mass, 0, 10),
        r.units.total_mass,
        match ndim {
            2 => ", Σρ·dx² per code length of depth",
            1 => ", Σρ·dx per code area of cross-section",
            _ => "",
        }
    );
    if named && r.rt.is_some() {
        println!("(rt variables in photons/cm^2/s: code values × unit_pf)");
    }
    for t in r.tables() {
        println!(
            "{:<16} {:>16} {:>16} {:>16} {:>16}",
            t.name, "min", "max", "vol-mean", "mass-mean"
        );
        for (k, v) in t.table {
            println!(
                "{k:<16} {} {} {} {}{}",
                num(v.min, 16, 8),
                num(v.max, 16, 8),
                num(v.volume_weighted_mean, 16, 8),
                num(v.mass_weighted_mean, 16, 8),
                match t.units.and_then(|u| u.get(k)) {
                    Some(u) if named => format!("  {u}"),
                    _ => String::new(),
                }
            );
        }
    }
    let unit_of = |m: &Option<MassUnit>| {
        m.as_ref()
            .map_or("code".to_string(), |m| m.total_mass.clone())
    };
    for (k, v) in r.particles.iter().flatten() {
        println!(
            "particles {k:<8} {}  mass {} {}",
            v.count,
            num(v.total_mass, 0, 8),
            unit_of(&r.units.particles)
        );
    }
    if let Some(sk) = &r.sinks {
        println!(
            "sinks              {}  mass {} {}",
            sk.count,
            num(sk.total_mass, 0, 8),
            unit_of(&r.units.sinks)
        );
    }
}

/// A figure as text, `width` wide with `digits` digits: a number in
/// scientific notation, or `NaN` for a figure that is not finite (the
/// JSON's null; never shown as 0).
fn num(x: f64, width: usize, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:>width$.digits$e}")
    } else {
        format!("{:>width$}", "NaN")
    }
}
