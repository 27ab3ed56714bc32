//! `amrkit project`: maps of variables projected along an axis, to `.npy`
//! and/or `.png` (distributed under MPI).

use crate::args::{MapColourArgs, SelArgs};
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::ranks::agree;
use crate::render::labels::{map_quantity, output_caption, MapKind};
use crate::render::map::{length_unit, write_map, write_map_axes, write_sidecar, MapStyle};
use crate::view_flags::{
    check_outs, frame_title, image_axes, place_extent, positive_length, selection_with_center,
    view_args, ViewFlags,
};
use amrkit_io::Snapshot;
use amrkit_kernels::center::Center;
use amrkit_kernels::derive::quantity_of;
use amrkit_kernels::offaxis::{project_view_streaming, ViewSpec};
use amrkit_kernels::project::{Maps, ProjSpec, Weight};
use amrkit_kernels::request::{axis_of, check_axis, open, proj_spec, weight_of};
use amrkit_kernels::view::{Basis, View};
use amrkit_kernels::view_request::resolve_view;
use amrkit_kernels::Selection;
use amrkit_kernels::{Exec, Quantity, Units};
use clap::Args;
use std::path::PathBuf;

/// `amrkit project`.
#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Variables, comma-separated (RAMSES or derived names).
    #[arg(long, value_delimiter = ',', required = true)]
    pub var: Vec<String>,
    /// Line of sight: x, y or z (default z; not with --normal, --face-on,
    /// --edge-on).
    #[arg(long)]
    pub axis: Option<String>,
    /// Pixels per side (default 256).
    #[arg(long)]
    pub res: Option<usize>,
    /// Pixel size instead of --res: a length (0.1pc, 0.01box; a bare
    /// number in --unit when given, else in --range-unit).
    #[arg(long, conflicts_with = "res", allow_hyphen_values = true)]
    pub pixel_size: Option<String>,
    /// Unit of --pixel-size, and of the map values when given for them.
    #[arg(long)]
    pub unit: Option<String>,
    /// Weight: mass, volume or none.
    #[arg(long, default_value = "none")]
    pub weight: String,
    #[command(flatten)]
    pub sel: SelArgs,
    #[command(flatten)]
    pub view: ViewFlags,
    #[command(flatten)]
    pub colour: MapColourArgs,
    /// Output files (.npy and/or .png), one per variable, or a folder.
    #[arg(long, value_delimiter = ',', required = true)]
    pub out: Vec<PathBuf>,
}

impl ProjectArgs {
    /// The line of sight named by --axis (z when not given).
    fn axis_name(&self) -> &str {
        self.axis.as_deref().unwrap_or("z")
    }
}

/// Projects on every process; rank 0 writes the maps. With view options
/// (or a centre method), the exact projection along the view, on rank 0.
pub fn run(ctx: &Ctx, a: &ProjectArgs) -> AnyResult<()> {
    a.colour.check(&a.var)?;
    let method = a
        .sel
        .center
        .as_deref()
        .is_some_and(|c| Center::parse(c).is_ok_and(|c| matches!(c, Center::Method(_))));
    if a.view.any() || method {
        if !ctx.comm.is_root() {
            return Ok(());
        }
        return run_view(ctx, a);
    }
    let Setup {
        s,
        sel,
        axis,
        weight,
        res,
    } = agree(ctx.comm, setup(a))?;
    let u = Units::from_info(&s.info);
    let exec = Exec {
        max_threads: a.sel.max_threads,
        ..ctx.exec
    };
    let vars: Vec<&str> = a.var.iter().map(String::as_str).collect();
    let spec = proj_spec(&u, &sel, axis, res, &vars, weight);
    let (to_folder, plan) = plan(a, &s, &u, &vars, weight)?;
    let Some(maps) = amrkit_dist::project_cells(ctx.comm, &s, &sel, &vars, weight, &spec, &exec)?
    else {
        return Ok(());
    };
    if to_folder {
        std::fs::create_dir_all(&a.out[0])?;
    }
    for out in plan {
        let msg = write_one(a, &s, &spec, &maps, out)?;
        if !ctx.quiet {
            println!("wrote {msg} (+ .json)");
        }
    }
    Ok(())
}

/// What every process agrees on before projecting: the output, the
/// selection, the line of sight, the weight and the pixels per side.
struct Setup {
    s: Snapshot,
    sel: Selection,
    axis: usize,
    weight: Weight,
    res: usize,
}

/// Opens the output and reads the options (`--res`, or `--pixel-size`
/// over the window's width; 256 by default).
fn setup(a: &ProjectArgs) -> AnyResult<Setup> {
    let s = open(&a.output)?;
    let u = Units::from_info(&s.info);
    let sel = a.sel.selection(&u)?;
    let axis = axis_of(a.axis_name())?;
    let weight = weight_of(&a.weight)?;
    check_axis(&s, axis)?;
    let spec0 = proj_spec(&u, &sel, axis, 1, &[], weight);
    let (ia, _) = spec0.image_axes();
    let width_box = spec0.range[ia][1] - spec0.range[ia][0];
    let res = match (a.res, a.pixel_size.as_deref()) {
        (Some(r), _) => r,
        (None, Some(px)) => {
            let unit = a.unit.as_deref().unwrap_or(&a.sel.range_unit);
            let code = positive_length(px, "--pixel-size", unit, &u)?;
            let px_box = code * u.box_per("code")?;
            (width_box / px_box).round().max(1.0) as usize
        }
        (None, None) => 256,
    };
    Ok(Setup {
        s,
        sel,
        axis,
        weight,
        res,
    })
}

/// One output file: its path, variable, unit factor and unit name.
struct Planned<'a> {
    path: PathBuf,
    var: &'a str,
    factor: f64,
    unit: String,
}

/// Every output file, its variable and unit, checked before the work;
/// and whether `--out` names a folder (`proj_VAR_AXIS.npy` and `.png` per
/// variable).
fn plan<'a>(
    a: &ProjectArgs,
    s: &Snapshot,
    u: &Units,
    vars: &[&'a str],
    weight: Weight,
) -> AnyResult<(bool, Vec<Planned<'a>>)> {
    let to_folder = a.out.len() == 1 && (a.out[0].is_dir() || a.out[0].extension().is_none());
    let outs: Vec<PathBuf> = if to_folder {
        vars.iter()
            .flat_map(|v| {
                ["npy", "png"].map(|e| a.out[0].join(format!("proj_{v}_{}.{e}", a.axis_name())))
            })
            .collect()
    } else {
        a.out.clone()
    };
    let per_var = outs.len().div_ceil(vars.len()).max(1);
    let mut plan = Vec::with_capacity(outs.len());
    for (k, path) in outs.into_iter().enumerate() {
        let v = vars[(k / per_var).min(vars.len() - 1)];
        let ext = path.extension().and_then(|e| e.to_str());
        if !matches!(ext, Some("npy" | "png")) {
            return fail(format!(
                "{}: output must end in .npy or .png",
                path.display()
            ));
        }
        if ext == Some("png") && s.info.ndim == 1 {
            return fail(format!(
                "{}: a 1D output gives a profile, not an image: write it as .npy",
                path.display()
            ));
        }
        // 1D and 2D maps are averages of the cells over each pixel (the
        // integral over the unit depth): the variable's own quantity.
        let flat = s.info.ndim < 3;
        let q = if weight == Weight::None && v == "density" && !flat {
            Quantity::SurfaceDensity
        } else {
            quantity_of(v)
        };
        let (factor, unit) = match &a.unit {
            Some(_) if weight == Weight::None && q != Quantity::SurfaceDensity && !flat => {
                return fail(format!(
                    "--unit: ∫{v} dl has no named unit here; use --weight mass|volume, or code units"
                ))
            }
            Some(unit) if a.pixel_size.is_none() => (u.factor(q, unit)?, unit.clone()),
            _ => (1.0, "code".to_string()),
        };
        plan.push(Planned {
            path,
            var: v,
            factor,
            unit,
        });
    }
    Ok((to_folder, plan))
}

/// Writes one planned map (and its sidecar); the message to print.
fn write_one(
    a: &ProjectArgs,
    s: &Snapshot,
    spec: &ProjSpec,
    maps: &Maps,
    out: Planned,
) -> AnyResult<String> {
    let u = Units::from_info(&s.info);
    let (v, weight) = (out.var, spec.weight);
    let title = match weight {
        Weight::None if s.info.ndim == 2 => format!("{v} (2D image)"),
        Weight::None if s.info.ndim == 1 => format!("{v} (1D profile)"),
        Weight::None => format!("{v} projected along {}", a.axis_name()),
        Weight::Mass => format!("mass-weighted {v} along {}", a.axis_name()),
        Weight::Volume => format!("volume-weighted {v} along {}", a.axis_name()),
    };
    let kind = if s.info.ndim < 3 {
        MapKind::Value
    } else {
        MapKind::Projection(weight)
    };
    let quantity = map_quantity(kind, v, &out.unit);
    let caption = output_caption(s);
    let style = MapStyle {
        log: a.colour.log(v),
        limits: a.colour.limits(),
        title: &title,
        caption: &caption,
        quantity: &quantity,
        axis: spec.axis,
        units: &u,
    };
    let msg = write_map(&out.path, maps, v, out.factor, &style)?;
    write_sidecar(
        &out.path,
        &axis_view(spec, &u).sidecar(v, &a.weight, &out.unit, length_unit(&u).0),
    )?;
    Ok(msg)
}

/// The view of an axis-aligned projection (its range and pixels), for the
/// sidecar: the depth is null when the range spans the box along the line
/// of sight.
fn axis_view(spec: &ProjSpec, u: &Units) -> View {
    let (a, b) = spec.image_axes();
    let c = spec.axis;
    let r = spec.range;
    let whole = r[c][0] <= 0.0 && r[c][1] >= u.extent[c] as f64;
    View {
        center: std::array::from_fn(|d| (r[d][0] + r[d][1]) / 2.0 * u.boxlen),
        basis: Basis::axis(c),
        width: [
            (r[a][1] - r[a][0]) * u.boxlen,
            (r[b][1] - r[b][0]) * u.boxlen,
        ],
        depth: (!whole).then(|| (r[c][1] - r[c][0]) * u.boxlen),
        pixels: spec.res,
    }
}

/// `project` along a view: `--normal`/`--north`, `--face-on R`,
/// `--edge-on R`, `--width`, `--depth`, or a centre method; the exact
/// off-axis projection read straight from the files.
fn run_view(ctx: &Ctx, a: &ProjectArgs) -> AnyResult<()> {
    let exec = Exec {
        max_threads: a.sel.max_threads,
        ..ctx.exec
    };
    let s = open(&a.output)?;
    let u = Units::from_info(&s.info);
    let weight = weight_of(&a.weight)?;
    let axis = axis_of(a.axis_name())?;
    if a.axis.is_some()
        && (a.view.normal.is_some() || a.view.face_on.is_some() || a.view.edge_on.is_some())
    {
        return fail("--axis goes without --normal, --face-on and --edge-on");
    }
    if a.pixel_size.is_some() {
        return fail("--pixel-size goes with --axis projections; use --res with view options");
    }
    let vars: Vec<&str> = a.var.iter().map(String::as_str).collect();
    check_outs(&a.out, vars.len())?;
    let (sel, centre) = selection_with_center(&s, &a.sel, &exec)?;
    let va = view_args(
        &a.view,
        Some(axis),
        centre,
        a.res.unwrap_or(256),
        &a.sel,
        &u,
    )?;
    let r = resolve_view(&s, &va, Some(&sel), &exec)?;
    let region = a.sel.radius.is_some()
        || a.sel.xrange.is_some()
        || a.sel.yrange.is_some()
        || a.sel.zrange.is_some();
    let cells = if region {
        sel
    } else {
        Selection {
            lmax: a.sel.lmax,
            ..Selection::default()
        }
    };
    let spec = ViewSpec {
        view: r.view,
        vars: a.var.clone(),
        weight,
    };
    let mut maps = project_view_streaming(&s, &cells, &spec, &exec)?;
    place_extent(&mut maps, &r.view, &r.frame);
    let (lu, _) = length_unit(&u);
    let caption = output_caption(&s);
    let per_var = a.out.len().div_ceil(vars.len()).max(1);
    for (k, path) in a.out.iter().enumerate() {
        let v = vars[(k / per_var).min(vars.len() - 1)];
        let q = if weight == Weight::None && v == "density" {
            Quantity::SurfaceDensity
        } else {
            quantity_of(v)
        };
        let (factor, unit) = match &a.unit {
            Some(_) if weight == Weight::None && q != Quantity::SurfaceDensity => {
                return fail(format!(
                    "--unit: ∫{v} dl has no named unit here; use --weight mass|volume, or code units"
                ))
            }
            Some(unit) => (u.factor(q, unit)?, unit.clone()),
            None => (1.0, "code".to_string()),
        };
        let how = match weight {
            Weight::None => format!("{v} projected"),
            Weight::Mass => format!("mass-weighted {v}"),
            Weight::Volume => format!("volume-weighted {v}"),
        };
        let title = format!("{how}, {}", frame_title(&r.frame));
        let quantity = map_quantity(MapKind::Projection(weight), v, &unit);
        let style = MapStyle {
            log: a.colour.log(v),
            limits: a.colour.limits(),
            title: &title,
            caption: &caption,
            quantity: &quantity,
            axis,
            units: &u,
        };
        let msg = write_map_axes(path, &maps, v, factor, &style, image_axes(&r.frame))?;
        write_sidecar(path, &r.view.sidecar(v, &a.weight, &unit, lu))?;
        if !ctx.quiet {
            println!("wrote {msg} (+ .json)");
        }
    }
    Ok(())
}
