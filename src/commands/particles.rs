//! `amrkit particles`: counts and masses per family, stellar ages, and
//! NGP/CIC mass maps (distributed under MPI).

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::open_selected;
use crate::render::labels::output_caption;
use crate::render::map::{write_map, MapStyle};
use amrkit_io::family_name;
use amrkit_io::Snapshot;
use amrkit_kernels::derive::particle_ages;
use amrkit_kernels::project::{project_particles, Deposit, Weight};
use amrkit_kernels::request::{axis_of, check_axis, family_codes, proj_spec, require_particles};
use amrkit_kernels::{Quantity, Units};
use clap::Args;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// `amrkit particles`.
#[derive(Args, Debug)]
pub struct ParticlesArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Families to keep (DM, star, cloud, …), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub family: Vec<String>,
    /// Deposition: ngp or cic.
    #[arg(long, default_value = "cic")]
    pub deposit: String,
    /// Line of sight.
    #[arg(long, default_value = "z")]
    pub axis: String,
    /// Pixels per side.
    #[arg(long, default_value_t = 256)]
    pub res: usize,
    #[command(flatten)]
    pub sel: SelArgs,
    /// Machine-readable statistics.
    #[arg(long)]
    pub json: bool,
    /// Mass map (.npy and/or .png).
    #[arg(long, value_delimiter = ',')]
    pub out: Vec<PathBuf>,
    /// Unit of the masses in the table and the JSON: a mass unit (Msol,
    /// g, kg, code) or auto (Msol); default code.
    #[arg(long)]
    pub unit: Option<String>,
}

/// Every argument, checked before anything is read (the output's units
/// for `--unit`): the families, the deposit, the axis, the map files and
/// the unit; the mass unit's name and factor from code masses.
fn checked(a: &ParticlesArgs, s: &Snapshot) -> AnyResult<(Vec<i8>, Deposit, usize, String, f64)> {
    require_particles(s)?;
    let codes = family_codes(&a.family)?;
    let scheme = match a.deposit.as_str() {
        "ngp" => Deposit::Ngp,
        "cic" => Deposit::Cic,
        d => return fail(format!("--deposit must be ngp or cic, got {d:?}")),
    };
    let axis = axis_of(&a.axis)?;
    if !a.out.is_empty() {
        check_axis(s, axis)?;
    }
    for path in &a.out {
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("npy" | "png")
        ) {
            return fail(format!(
                "{}: output must end in .npy or .png",
                path.display()
            ));
        }
    }
    let unit = match a.unit.as_deref() {
        None => "code",
        Some("auto") => "Msol",
        Some(u) => u,
    };
    let factor = Units::from_info(&s.info).factor(Quantity::Mass, unit)?;
    Ok((codes, scheme, axis, unit.to_string(), factor))
}

/// Reads the particles on every process; rank 0 prints and writes.
pub fn run(ctx: &Ctx, a: &ParticlesArgs) -> AnyResult<()> {
    let (exec, comm, quiet) = (&ctx.exec, ctx.comm, ctx.quiet);
    let mut args = None;
    let (s, sel, exec) = open_selected(comm, &a.output, &a.sel, exec, |s| {
        args = Some(checked(a, s)?);
        Ok(())
    })?;
    let (codes, scheme, axis, unit, factor) = match args {
        Some(x) => x,
        None => checked(a, &s)?,
    };
    let Some(p) = amrkit_dist::particles(comm, &s, &sel, &[], &exec)? else {
        return Ok(());
    };
    let m = p.reals("mass")?;
    let fam = p.families().ok();
    let mut per: std::collections::BTreeMap<&str, (u64, f64)> = Default::default();
    for k in 0..p.len() {
        let code = fam.map_or(1, |f| f[k]);
        if !codes.is_empty() && !codes.contains(&code) {
            continue;
        }
        let e = per.entry(family_name(code)).or_default();
        e.0 += 1;
        e.1 += m[k];
    }
    // Stellar ages (Myr) at the output's time, cosmology-aware; only when
    // the families shown include the stars.
    let shows_stars = codes.is_empty() || codes.contains(&2);
    let ages = match (p.reals("birth_time"), fam) {
        (Ok(birth), Some(f)) if shows_stars => {
            let stars: Vec<f64> = (0..p.len())
                .filter(|&k| f[k] == 2)
                .map(|k| birth[k])
                .collect();
            let myr = 1e6 * amrkit_kernels::units::YR;
            let star_ages = particle_ages(&stars, &s.info);
            let (lo, hi) = star_ages
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v / myr), h.max(v / myr))
                });
            (lo <= hi).then_some((lo, hi))
        }
        _ => None,
    };
    let j: Map<String, Value> = per
        .iter()
        .map(|(k, (c, mm))| {
            let mut o = json!({"count": c, "total_mass": mm * factor});
            if let (&"star", Some((lo, hi))) = (k, ages) {
                o["age_myr"] = json!({"min": lo, "max": hi});
            }
            (k.to_string(), o)
        })
        .collect();
    if a.json {
        let mut j = j;
        j.insert(
            "units".into(),
            json!({"total_mass": unit, "age_myr": "Myr"}),
        );
        println!("{}", serde_json::to_string_pretty(&Value::Object(j))?);
    } else if !quiet {
        for (k, (c, mm)) in &per {
            println!("{k:<12} {c:>10} particles, mass {:.8e} {unit}", mm * factor);
        }
        if let Some((lo, hi)) = ages {
            println!("star ages    {lo:.4} to {hi:.4} Myr");
        }
    }
    if !a.out.is_empty() {
        let spec = proj_spec(&p.units, &sel, axis, a.res, &["mass"], Weight::None);
        let maps = project_particles(&p, &spec, scheme, &codes, &exec)?;
        let caption = output_caption(&s);
        for path in &a.out {
            let style = MapStyle {
                log: true,
                limits: [None, None],
                title: "particle surface density",
                caption: &caption,
                quantity: "projected particle mass per area [code units]",
                axis: spec.axis,
                units: &p.units,
            };
            let msg = write_map(path, &maps, "mass", 1.0, &style)?;
            if !quiet && !a.json {
                println!("wrote {msg}");
            }
        }
    }
    Ok(())
}
