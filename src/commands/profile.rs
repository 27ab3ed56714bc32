//! `amrkit profile`: radial or cylindrical profiles of cell variables
//! around a centre, as JSON, CSV and a PNG figure (the definition is
//! `amrkit_kernels::profile`'s).

use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::agree;
use crate::render::chart::number;
use crate::render::labels::output_caption;
use crate::render::map::length_unit;
use crate::render::png_file::write_rgb;
use crate::render::profile_plot::{draw_profile, ProfileFigure, ProfilePanel};
use crate::view_flags::positive_length;
use amrkit_io::atomic::write_atomic;
use amrkit_io::Snapshot;
use amrkit_kernels::binned_request::{
    describe_units, is_temperature, resolve_center, Column, ProfileRequest,
};
use amrkit_kernels::profile::{Profile, ProfileSpec, Shape, Spacing};
use amrkit_kernels::request::{open, parse_length, weight_of};
use amrkit_kernels::temperature::DEFAULT_MU;
use amrkit_kernels::{Exec, Quantity, Units};
use clap::Args;
use std::path::{Path, PathBuf};

/// `amrkit profile`.
#[derive(Args, Debug)]
pub struct ProfileArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Variables, comma-separated (RAMSES or derived names;
    /// `temperature` and `temperature_over_mu` are in K).
    #[arg(long, value_delimiter = ',', required = true)]
    pub var: Vec<String>,
    /// Weight of the means: mass, volume or none.
    #[arg(long, default_value = "mass")]
    pub weight: String,
    /// Centre: coordinates x,y,z in --range-unit (default the box centre),
    /// or densest, com or ssc, found over the whole output first.
    #[arg(long, allow_hyphen_values = true)]
    pub center: Option<String>,
    /// Selection radius R: a length (10kpc, 0.2box, or bare in
    /// --range-unit; default: half the box).
    #[arg(long, allow_hyphen_values = true)]
    pub radius: Option<String>,
    /// First edge r0, a length (default: the smallest cell selected).
    #[arg(long, allow_hyphen_values = true)]
    pub rmin: Option<String>,
    /// Number of bins.
    #[arg(long, default_value_t = 64)]
    pub bins: usize,
    /// Linear bins.
    #[arg(long, conflicts_with = "log")]
    pub lin: bool,
    /// Logarithmic bins (the default).
    #[arg(long)]
    pub log: bool,
    /// Distance from an axis through the centre instead of from the centre.
    #[arg(long)]
    pub cylindrical: bool,
    /// The cylinder's axis nx,ny,nz (default 0,0,1).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        requires = "cylindrical"
    )]
    pub normal: Option<Vec<f64>>,
    /// The cylinder's height, a length (default: the box length).
    #[arg(long, requires = "cylindrical")]
    pub height: Option<String>,
    /// Add cumulative weighted means (as yt's accumulation=True).
    #[arg(long)]
    pub cumulative: bool,
    /// Units of the values: one for all, or one per variable (code by
    /// default; "auto" picks astrophysical ones; temperatures are in K).
    #[arg(long, value_delimiter = ',')]
    pub unit: Vec<String>,
    /// Mean molecular weight of `temperature`.
    #[arg(long, default_value_t = DEFAULT_MU)]
    pub mu: f64,
    /// Unit of bare lengths (centre coordinates, radius, rmin, height).
    #[arg(long, default_value = "code")]
    pub range_unit: String,
    /// Deepest level to read.
    #[arg(long)]
    pub lmax: Option<u32>,
    /// Thread cap for this call.
    #[arg(long)]
    pub max_threads: Option<usize>,
    /// Write the profile as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the profile as CSV.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Draw the profile (PNG).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The unit of each variable's values, for labels and the JSON.
fn label(var: &str, unit: &str) -> String {
    if unit == "code" {
        format!("{var} [code]")
    } else {
        format!("{var} [{unit}]")
    }
}

/// Computes the profile; writes or prints it.
pub fn run(ctx: &Ctx, a: &ProfileArgs) -> AnyResult<()> {
    let exec = Exec {
        max_threads: a.max_threads,
        ..ctx.exec
    };
    // Every process resolves the request (an error anywhere is every
    // process's), bins its share of the files; rank 0 writes.
    let (s, req, u) = agree(
        ctx.comm,
        (|| {
            let s = open(&a.output)?;
            let u = Units::from_info(&s.info);
            let len = |v: &String| parse_length(v, &a.range_unit, &u);
            let weight = weight_of(&a.weight)?;
            let center = resolve_center(&s, a.center.as_deref(), &a.range_unit, &exec)?;
            let shape = if a.cylindrical {
                let normal = match a.normal.as_deref() {
                    None => [0.0, 0.0, 1.0],
                    Some(&[x, y, z]) => [x, y, z],
                    Some(v) => {
                        return fail(format!("--normal needs 3 values nx,ny,nz, got {}", v.len()))
                    }
                };
                let side = (0..u.ndim)
                    .map(|d| u.extent[d] as f64 * u.boxlen)
                    .fold(f64::INFINITY, f64::min);
                let height = a.height.as_ref().map(len).transpose()?.unwrap_or(side);
                Shape::Cylinder { normal, height }
            } else {
                Shape::Sphere
            };
            let mut spec = ProfileSpec::new(center, 1.0);
            spec.rmin = a.rmin.as_ref().map(len).transpose()?;
            spec.bins = a.bins;
            spec.spacing = if a.lin { Spacing::Lin } else { Spacing::Log };
            spec.shape = shape;
            spec.weight = weight;
            let req = ProfileRequest {
                vars: a.var.clone(),
                units: a.unit.clone(),
                center,
                radius: a
                    .radius
                    .as_deref()
                    .map(|r| positive_length(r, "--radius", &a.range_unit, &u))
                    .transpose()?,
                spec,
                mu: a.mu,
                lmax: a.lmax,
            };
            Ok((s, req, u))
        })(),
    )?;
    let Some((p, cols)) = amrkit_dist::binned::profile(ctx.comm, &s, &req, &exec)? else {
        return Ok(());
    };
    let temps = cols.iter().any(|c| is_temperature(&c.var));
    let mut j = p.to_json(a.cumulative);
    describe_units(&mut j, &cols, a.mu);
    j["output"] = s.dir.display().to_string().into();
    let mut wrote = Vec::new();
    if let Some(f) = &a.json {
        write_atomic(f, serde_json::to_string_pretty(&j)?.as_bytes())?;
        wrote.push(f.display().to_string());
    }
    if let Some(f) = &a.csv {
        write_atomic(f, p.to_csv(a.cumulative).as_bytes())?;
        wrote.push(f.display().to_string());
    }
    if let Some(f) = &a.out {
        draw(&s, &p, &cols, a, &u, f)?;
        wrote.push(f.display().to_string());
    }
    if !ctx.quiet {
        summary(&p, &cols, a, temps, &wrote);
    }
    Ok(())
}

/// The figure: one panel per variable against r in --range-unit.
fn draw(
    s: &Snapshot,
    p: &Profile,
    cols: &[Column],
    a: &ProfileArgs,
    u: &Units,
    path: &Path,
) -> AnyResult<()> {
    // Radii in --range-unit, or (code by default) in the length unit of
    // the maps: pc, kpc or Mpc by the box size.
    let (lu, per_code) = if a.range_unit == "code" {
        let (name, per) = length_unit(u);
        (name.to_string(), per)
    } else {
        let per = u.factor(Quantity::Length, &a.range_unit)?;
        (a.range_unit.clone(), per)
    };
    let r = if a.cylindrical {
        "R (cylindrical)"
    } else {
        "r"
    };
    let weight = match a.weight.as_str() {
        "none" => "unweighted",
        "volume" => "volume-weighted",
        _ => "mass-weighted",
    };
    let c = p.spec.center.map(|x| x * per_code);
    let fig = ProfileFigure {
        title: format!(
            "{weight} profiles around ({}, {}, {}) {lu}",
            number(c[0]),
            number(c[1]),
            number(c[2])
        ),
        caption: output_caption(s),
        x_label: format!("{r} [{lu}]"),
        edges: p.edges.iter().map(|e| e * per_code).collect(),
        log_x: !a.lin,
        legend: format!("{weight} mean ± std"),
        panels: p
            .vars
            .iter()
            .zip(cols)
            .map(|(v, c)| ProfilePanel {
                label: if c.var == "temperature" {
                    format!("temperature [K] (µ = {})", a.mu)
                } else {
                    label(&c.var, &c.unit)
                },
                mean: v.mean.clone(),
                std: v.std.clone(),
            })
            .collect(),
    };
    let img = draw_profile(&fig)?;
    write_rgb(path, img.w, img.h, &img.px, &[("Title", &fig.title)])?;
    Ok(())
}

/// The text table (no file asked for) or what was written.
fn summary(p: &Profile, cols: &[Column], a: &ProfileArgs, temps: bool, wrote: &[String]) {
    println!(
        "{} cells selected (mass {:.6e} code) within R = {} of ({}, {}, {}); {} inside rmin = {}, {} on R",
        p.selected.count, p.selected.mass, p.spec.radius, p.spec.center[0], p.spec.center[1], p.spec.center[2],
        p.inside.count, p.edges[0], p.beyond.count
    );
    if temps {
        println!(
            "temperature = µ·(P/ρ)·m_H/k_B with µ = {} (temperature_over_mu: µ = 1)",
            a.mu
        );
    }
    if !wrote.is_empty() {
        println!("wrote {}", wrote.join(", "));
        return;
    }
    let mut head = format!(
        "{:>12} {:>12} {:>8} {:>12}",
        "r_lo", "r_hi", "count", "mass"
    );
    for c in cols {
        head.push_str(&format!(" {:>24}", format!("{} [{}]", c.var, c.unit)));
    }
    println!("{head}");
    for k in 0..p.count.len() {
        let mut line = format!(
            "{:>12.5e} {:>12.5e} {:>8} {:>12.5e}",
            p.edges[k],
            p.edges[k + 1],
            p.count[k],
            p.mass[k]
        );
        for v in &p.vars {
            line.push_str(&format!(" {:>11.4e} ± {:>10.3e}", v.mean[k], v.std[k]));
        }
        println!("{line}");
    }
}
