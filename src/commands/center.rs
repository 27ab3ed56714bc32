//! `amrkit center`: the centre of an output (densest cell, centre of mass
//! or shrinking sphere), the bulk velocity and the specific angular
//! momentum `L` and its axis `L̂` within a radius of it.

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::render::map::length_unit;
use crate::view_flags::{length, method_of};
use amrkit_kernels::request::{open, Lengths};
use amrkit_kernels::view_request::center_report;
use amrkit_kernels::{Exec, Units};
use clap::Args;
use std::path::PathBuf;

/// `amrkit center`.
#[derive(Args, Debug)]
pub struct CenterArgs {
    /// The output folder.
    pub output: PathBuf,
    /// densest, com or ssc (shrinking sphere).
    #[arg(long, default_value = "ssc")]
    pub method: String,
    /// Radius of the sphere for the bulk velocity and L (a length: 5kpc,
    /// or in --range-unit; default half the box length).
    #[arg(long, value_name = "R")]
    pub radius: Option<String>,
    /// Particle families added to the gas for the bulk velocity and L.
    #[arg(long, value_delimiter = ',')]
    pub particles: Vec<String>,
    /// Box ranges "a,b" (lengths, relative to the box centre) the centre is
    /// computed over (default the whole output).
    #[arg(long, allow_hyphen_values = true)]
    pub xrange: Option<Lengths>,
    /// y range.
    #[arg(long, allow_hyphen_values = true)]
    pub yrange: Option<Lengths>,
    /// z range.
    #[arg(long, allow_hyphen_values = true)]
    pub zrange: Option<Lengths>,
    /// Unit of bare lengths: code, box, kpc, pc, Mpc, …
    #[arg(long, default_value = "code")]
    pub range_unit: String,
    /// Deepest level to read.
    #[arg(long)]
    pub lmax: Option<u32>,
    /// Thread cap for this call.
    #[arg(long)]
    pub max_threads: Option<usize>,
    /// Print JSON (keys method, center, bulk_velocity, L, L_hat, radius,
    /// cells, units).
    #[arg(long)]
    pub json: bool,
}

/// Finds the centre and prints it (text or JSON).
pub fn run(ctx: &Ctx, a: &CenterArgs) -> AnyResult<()> {
    let exec = Exec {
        max_threads: a.max_threads,
        ..ctx.exec
    };
    let s = open(&a.output)?;
    let u = Units::from_info(&s.info);
    if s.info.ndim != 3 {
        return fail(format!(
            "{}: centres need a 3D output (this one is {}D)",
            s.dir.display(),
            s.info.ndim
        ));
    }
    let method = method_of(&a.method)?;
    let radius = a
        .radius
        .as_deref()
        .map(|r| length(r, &a.range_unit, &u))
        .transpose()?;
    let ranges = if a.xrange.is_some() || a.yrange.is_some() || a.zrange.is_some() {
        let sel = SelArgs {
            lmax: a.lmax,
            xrange: a.xrange.clone(),
            yrange: a.yrange.clone(),
            zrange: a.zrange.clone(),
            range_unit: a.range_unit.clone(),
            ..SelArgs::default()
        };
        Some(sel.selection(&u)?)
    } else {
        None
    };
    let (lu, _) = length_unit(&u);
    let lu = if lu == "code length" { "code" } else { lu };
    let j = center_report(
        &s,
        method,
        radius,
        &a.particles,
        ranges.as_ref(),
        a.lmax,
        lu,
        &exec,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    let v3 = |k: &str, x: &serde_json::Value| {
        let a: Vec<String> = x[k]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|n| format!("{:.6e}", n.as_f64().unwrap_or(f64::NAN)))
                    .collect()
            })
            .unwrap_or_default();
        format!("({})", a.join(", "))
    };
    let un = &j["units"];
    println!("method         {}", j["method"].as_str().unwrap_or(""));
    println!(
        "center         {} code = {} {lu}",
        v3("center", &j),
        v3("center", un)
    );
    println!(
        "radius         {} code = {} {lu} ({} cells)",
        j["radius"], un["radius"], j["cells"]
    );
    println!(
        "bulk velocity  {} code = {} km/s",
        v3("bulk_velocity", &j),
        v3("bulk_velocity", un)
    );
    println!(
        "L              {} code = {} {lu} km/s",
        v3("L", &j),
        v3("L", un)
    );
    println!("L_hat          {}", v3("L_hat", &j));
    Ok(())
}
