//! `amrkit phase`: phase diagrams (2-D histograms of two cell variables,
//! optionally the weighted mean of a third) as `.npy`, PNG and JSON (the
//! definition is `amrkit_kernels::phase`'s).

use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::agree;
use crate::render::chart::Cmap;
use crate::render::labels::output_caption;
use crate::render::npy::write_npy;
use crate::render::phase_plot::{draw_phase, PhaseFigure};
use crate::render::png_file::write_rgb;
use crate::view_flags::positive_length;
use amrkit_io::atomic::write_atomic;
use amrkit_io::Snapshot;
use amrkit_kernels::binned_request::{describe_units, resolve_center, Column, PhaseAxisRequest};
use amrkit_kernels::phase::Scale;
use amrkit_kernels::project::Weight;
use amrkit_kernels::request::{open, weight_of};
use amrkit_kernels::select::{Region, Selection};
use amrkit_kernels::temperature::DEFAULT_MU;
use amrkit_kernels::{Exec, Units};
use clap::Args;
use std::path::PathBuf;

/// `amrkit phase`.
#[derive(Args, Debug)]
pub struct PhaseArgs {
    /// The output folder.
    pub output: PathBuf,
    /// The x variable.
    #[arg(long)]
    pub x: String,
    /// The y variable.
    #[arg(long)]
    pub y: String,
    /// A variable to average per bin (weighted by --weight); without it
    /// each bin holds the sum of the weight (the mass by default).
    #[arg(long)]
    pub z: Option<String>,
    /// Weight: mass, volume or none (without --z: what is summed; none
    /// counts cells).
    #[arg(long, default_value = "mass")]
    pub weight: String,
    /// Bins NX,NY (or one number for both).
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    pub bins: Vec<usize>,
    /// x range a,b in the variable's unit (raw values, not log10).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub xrange: Option<Vec<f64>>,
    /// y range a,b.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub yrange: Option<Vec<f64>>,
    /// Linear x axis (default: log for positive quantities).
    #[arg(long)]
    pub xlin: bool,
    /// Linear y axis.
    #[arg(long)]
    pub ylin: bool,
    /// Units of x, y and z (one for all, or one each; code by default,
    /// "auto" picks astrophysical ones; temperatures are in K).
    #[arg(long, value_delimiter = ',')]
    pub unit: Vec<String>,
    /// Mean molecular weight of `temperature`.
    #[arg(long, default_value_t = DEFAULT_MU)]
    pub mu: f64,
    /// Centre of the sphere --radius: x,y,z in --range-unit (default the
    /// box centre), or densest, com or ssc, found over the whole output.
    #[arg(long, allow_hyphen_values = true)]
    pub center: Option<String>,
    /// Only the cells within this radius of the centre (a length: 10kpc,
    /// 0.2box, or bare in --range-unit).
    #[arg(long, allow_hyphen_values = true)]
    pub radius: Option<String>,
    /// Unit of bare lengths.
    #[arg(long, default_value = "code")]
    pub range_unit: String,
    /// Deepest level to read.
    #[arg(long)]
    pub lmax: Option<u32>,
    /// Thread cap for this call.
    #[arg(long)]
    pub max_threads: Option<usize>,
    /// Lower end of the colour scale.
    #[arg(long, allow_hyphen_values = true)]
    pub vmin: Option<f64>,
    /// Upper end of the colour scale.
    #[arg(long, allow_hyphen_values = true)]
    pub vmax: Option<f64>,
    /// Colour map: viridis, gray, vulcano.
    #[arg(long, default_value = "viridis")]
    pub cmap: String,
    /// Output files: .npy (H[j, i], j along y) and/or .png.
    #[arg(long, value_delimiter = ',', required = true)]
    pub out: Vec<PathBuf>,
    /// Write edges, counts in and outside the ranges and the settings.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

fn pair(v: &Option<Vec<f64>>, flag: &str) -> AnyResult<Option<[f64; 2]>> {
    match v.as_deref() {
        None => Ok(None),
        Some(&[a, b]) => Ok(Some([a, b])),
        Some(v) => fail(format!("--{flag} needs two values a,b, got {}", v.len())),
    }
}

/// A request as every process resolved it.
struct Request {
    cmap: Cmap,
    nx: usize,
    ny: usize,
    weight: Weight,
    s: Snapshot,
    sel: Selection,
    axes: [PhaseAxisRequest; 2],
    z_unit: Option<String>,
}

/// Bins the cells; writes the diagram.
pub fn run(ctx: &Ctx, a: &PhaseArgs) -> AnyResult<()> {
    let exec = Exec {
        max_threads: a.max_threads,
        ..ctx.exec
    };
    // Every process resolves the request (an error anywhere is every
    // process's), bins its share of the files; rank 0 writes.
    let r = agree(ctx.comm, request(a, &exec))?;
    let z = a.z.as_deref().map(|z| (z, r.z_unit.as_deref()));
    let [xa, ya] = &r.axes;
    let Some((ph, cols)) =
        amrkit_dist::binned::phase(ctx.comm, &r.s, &r.sel, [xa, ya], z, r.weight, a.mu, &exec)?
    else {
        return Ok(());
    };
    // Nothing binned: a mistake in the request, not a grey diagram.
    if ph.binned[0] == 0.0 {
        return fail(empty_reason(a, &ph, &cols));
    }
    let wrote = write(a, &r, &ph, &cols)?;
    if !ctx.quiet {
        summary(a, &r, &ph, &cols, &wrote);
    }
    Ok(())
}

/// The bins `NX,NY` (or one number for both).
fn bins(a: &PhaseArgs) -> AnyResult<(usize, usize)> {
    match a.bins[..] {
        [n] => Ok((n, n)),
        [nx, ny] => Ok((nx, ny)),
        _ => fail(format!(
            "--bins needs NX,NY or one number, got {} values",
            a.bins.len()
        )),
    }
}

/// The cells to bin: the sphere --radius around --center (found over the
/// whole output for a method), or every cell.
fn selection(a: &PhaseArgs, s: &Snapshot, u: &Units, exec: &Exec) -> AnyResult<Selection> {
    let region = match &a.radius {
        None if a.center.is_some() => {
            return fail("--center selects nothing without --radius (the sphere around it)")
        }
        None => None,
        Some(r) => {
            let c = resolve_center(s, a.center.as_deref(), &a.range_unit, exec)?;
            let r = positive_length(r, "--radius", &a.range_unit, u)?;
            Some(Region::Sphere {
                centre: c.map(|x| x / u.boxlen),
                radius: r / u.boxlen,
            })
        }
    };
    Ok(Selection {
        lmax: a.lmax,
        region,
        files: None,
    })
}

/// Checks the flags and resolves the request (the centre included).
fn request(a: &PhaseArgs, exec: &Exec) -> AnyResult<Request> {
    let cmap = Cmap::of(&a.cmap)?;
    let (nx, ny) = bins(a)?;
    for p in &a.out {
        match p.extension().and_then(|e| e.to_str()) {
            Some("npy" | "png") => {}
            _ => {
                return fail(format!(
                    "--out {}: expected a .npy or .png file",
                    p.display()
                ))
            }
        }
    }
    let weight = weight_of(&a.weight)?;
    let s = open(&a.output)?;
    let u = Units::from_info(&s.info);
    let sel = selection(a, &s, &u, exec)?;
    let nvars = 2 + usize::from(a.z.is_some());
    if a.unit.len() > 1 && a.unit.len() != nvars {
        return fail(format!(
            "--unit: {} units for {nvars} variables",
            a.unit.len()
        ));
    }
    let unit = |k: usize| match a.unit.len() {
        0 => None,
        1 => Some(a.unit[0].clone()),
        _ => a.unit.get(k).cloned(),
    };
    let axis = |k: usize, var: &str, lin: bool, range, bins| -> AnyResult<PhaseAxisRequest> {
        Ok(PhaseAxisRequest {
            var: var.to_string(),
            unit: unit(k),
            lin,
            range: pair(range, if k == 0 { "xrange" } else { "yrange" })?,
            bins,
        })
    };
    let axes = [
        axis(0, &a.x, a.xlin, &a.xrange, nx)?,
        axis(1, &a.y, a.ylin, &a.yrange, ny)?,
    ];
    Ok(Request {
        cmap,
        nx,
        ny,
        weight,
        s,
        sel,
        axes,
        z_unit: unit(2),
    })
}

/// Writes the `.npy`, `.png` and JSON files asked for; their names.
fn write(
    a: &PhaseArgs,
    r: &Request,
    ph: &amrkit_kernels::phase::Phase,
    cols: &[Column],
) -> AnyResult<Vec<String>> {
    let mut j = ph.to_json();
    describe_units(&mut j, cols, a.mu);
    j["output"] = r.s.dir.display().to_string().into();
    let mut wrote = Vec::new();
    for p in &a.out {
        if p.extension().is_some_and(|e| e == "npy") {
            write_npy(p, r.ny, r.nx, &ph.values)?;
        } else {
            let fig = figure(a, r, ph, cols);
            let img = draw_phase(&fig)?;
            write_rgb(p, img.w, img.h, &img.px, &[("Title", &fig.title)])?;
        }
        wrote.push(p.display().to_string());
    }
    if let Some(f) = &a.json {
        write_atomic(f, serde_json::to_string_pretty(&j)?.as_bytes())?;
        wrote.push(f.display().to_string());
    }
    Ok(wrote)
}

/// The figure of the diagram: labelled axes, the colour bar's quantity.
fn figure(
    a: &PhaseArgs,
    r: &Request,
    ph: &amrkit_kernels::phase::Phase,
    cols: &[Column],
) -> PhaseFigure {
    let lab = |c: &Column| {
        if c.var == "temperature" {
            format!("temperature [K] (µ = {})", a.mu)
        } else {
            format!("{} [{}]", c.var, c.unit)
        }
    };
    let z_label = match (&a.z, cols.get(2)) {
        (Some(_), Some(c)) => match a.weight.as_str() {
            "none" => format!("mean of {}", lab(c)),
            w => format!("{w}-weighted mean of {}", lab(c)),
        },
        _ => match a.weight.as_str() {
            "none" => "cells per bin".to_string(),
            "volume" => "volume per bin [code]".to_string(),
            _ => "mass per bin [code]".to_string(),
        },
    };
    PhaseFigure {
        title: format!("{} against {}", a.y, a.x),
        caption: output_caption(&r.s),
        x_label: lab(&cols[0]),
        y_label: lab(&cols[1]),
        z_label,
        x_edges: ph.axes[0].edges.clone(),
        y_edges: ph.axes[1].edges.clone(),
        x_log: ph.axes[0].scale == Scale::Log,
        y_log: ph.axes[1].scale == Scale::Log,
        values: ph.values.clone(),
        counts: ph.counts.clone(),
        vmin: a.vmin,
        vmax: a.vmax,
        cmap: r.cmap,
    }
}

/// What was binned, left out and dropped, and what was written.
fn summary(
    a: &PhaseArgs,
    r: &Request,
    ph: &amrkit_kernels::phase::Phase,
    cols: &[Column],
    wrote: &[String],
) {
    println!(
        "{} cells in {}×{} bins (mass {:.6e} code); {} outside the ranges (mass {:.6e}); {} dropped",
        ph.binned[0], r.nx, r.ny, ph.binned[1], ph.outside[0], ph.outside[1], ph.dropped[0]
    );
    for (k, which) in [(2, "x"), (3, "y")] {
        if ph.dropped[k] > 0.0 {
            let c = &cols[k - 2];
            println!(
                "dropped {} cells whose {} is not positive (or not finite) from the log {which} axis (--{which}lin keeps them)",
                ph.dropped[k], c.var
            );
        }
    }
    if cols.iter().any(|c| c.var == "temperature") {
        println!("temperature = µ·(P/ρ)·m_H/k_B with µ = {}", a.mu);
    }
    println!("wrote {}", wrote.join(", "));
}

/// Why no cell reached a bin, naming the flags that emptied the diagram:
/// the sphere (--center/--radius, --lmax) selected no cell, or every cell
/// fell outside --xrange/--yrange, or had a non-positive value on a log
/// axis.
fn empty_reason(a: &PhaseArgs, ph: &amrkit_kernels::phase::Phase, cols: &[Column]) -> String {
    let out = a.output.display();
    let (outside, dropped) = (ph.outside[0], ph.dropped[0]);
    if outside == 0.0 && dropped == 0.0 {
        return format!(
            "{out}: no leaf cell has its centre in the region given (--center, --radius): widen it, or check --range-unit"
        );
    }
    let mut why = Vec::new();
    if outside > 0.0 {
        let given: Vec<String> = [("--xrange", &a.xrange), ("--yrange", &a.yrange)]
            .iter()
            .filter_map(|(flag, r)| {
                let v: Vec<String> = r.as_ref()?.iter().map(|x| format!("{x:e}")).collect();
                Some(format!("{flag} {}", v.join(",")))
            })
            .collect();
        why.push(format!("{outside} fall outside {}", given.join(" ")));
    }
    for (k, which) in [(2, "x"), (3, "y")] {
        if ph.dropped[k] > 0.0 {
            why.push(format!(
                "{} have {} not positive (or not finite) on the log {which} axis (--{which}lin keeps them)",
                ph.dropped[k], cols[k - 2].var
            ));
        }
    }
    if why.is_empty() && dropped > 0.0 {
        why.push(format!("{dropped} have a value that is not finite"));
    }
    format!(
        "{out}: the phase diagram is empty: of the {} cells selected, {}",
        outside + dropped,
        why.join("; ")
    )
}
