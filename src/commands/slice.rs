//! `amrkit slice`: point samples of variables on a plane of any
//! orientation (the leaf cell holding each pixel centre), to `.npy` and/or
//! `.png`, each with a `<file>.json` sidecar of the view.

use crate::args::{MapColourArgs, SelArgs};
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::render::labels::{map_quantity, output_caption, MapKind};
use crate::render::map::{length_unit, write_map_axes, write_sidecar, MapStyle};
use crate::view_flags::{
    check_outs, frame_title, image_axes, place_extent, selection_with_center, view_args, ViewFlags,
};
use amrkit_kernels::center::Center;
use amrkit_kernels::derive::quantity_of;
use amrkit_kernels::request::{axis_of, open};
use amrkit_kernels::select::{Region, Selection};
use amrkit_kernels::slice::slice;
use amrkit_kernels::view::Basis;
use amrkit_kernels::view_request::{resolve_view, Orientation, ViewArgs};
use amrkit_kernels::{Exec, Units};
use clap::Args;
use std::path::PathBuf;

/// `amrkit slice`.
#[derive(Args, Debug)]
pub struct SliceArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Variables, comma-separated (RAMSES or derived names).
    #[arg(long, value_delimiter = ',', required = true)]
    pub var: Vec<String>,
    /// Plane normal to an axis: x, y or z (default z; see --normal).
    #[arg(long)]
    pub axis: Option<String>,
    #[command(flatten)]
    pub view: ViewFlags,
    /// Pixels along the image x axis (image y follows the window's shape).
    #[arg(long, default_value_t = 512)]
    pub res: usize,
    /// Unit of the values (e.g. g/cm^3, K, km/s); default code units.
    #[arg(long)]
    pub unit: Option<String>,
    #[command(flatten)]
    pub sel: SelArgs,
    #[command(flatten)]
    pub colour: MapColourArgs,
    /// Output files (.npy and/or .png), one or two per variable in order.
    #[arg(long, value_delimiter = ',', required = true)]
    pub out: Vec<PathBuf>,
}

/// Slices on this process (rank 0) and writes the maps and sidecars.
pub fn run(ctx: &Ctx, a: &SliceArgs) -> AnyResult<()> {
    let exec = Exec {
        max_threads: a.sel.max_threads,
        ..ctx.exec
    };
    let s = open(&a.output)?;
    let u = Units::from_info(&s.info);
    a.colour.check(&a.var)?;
    let axis = a.axis.as_deref().map(axis_of).transpose()?;
    if axis.is_some()
        && (a.view.normal.is_some() || a.view.face_on.is_some() || a.view.edge_on.is_some())
    {
        return fail("--axis goes without --normal, --face-on and --edge-on");
    }
    // Flags a slice has no use for are refused, not silently ignored.
    if a.view.depth.is_some() {
        return fail("--depth is a projection's slab; a slice is the plane through the centre");
    }
    if !a.view.particles.is_empty() && a.view.face_on.is_none() && a.view.edge_on.is_none() {
        return fail("--particles adds to L for --face-on/--edge-on; give one of them or drop it");
    }
    let vars: Vec<&str> = a.var.iter().map(String::as_str).collect();
    check_outs(&a.out, vars.len())?;
    let (sel, centre) = selection_with_center(&s, &a.sel, &exec)?;
    let mut va = view_args(&a.view, axis, centre, a.res, &a.sel, &u)?;
    let region_given = a.sel.radius.is_some()
        || a.sel.xrange.is_some()
        || a.sel.yrange.is_some()
        || a.sel.zrange.is_some();
    if region_given && a.view.width.is_none() {
        window_of_region(&mut va, &sel, centre, &u)?;
    }
    let r = resolve_view(&s, &va, Some(&sel), &exec)?;
    // The region options' cells only when a region is given; for box
    // ranges every cell overlapping the box, so that each pixel of the
    // window finds the leaf holding it (the centre rule would leave the
    // pixels over cells that straddle the box's faces empty).
    let cells = if region_given {
        sel.with_overlapping_cells(&s.info)
    } else {
        amrkit_kernels::Selection {
            lmax: a.sel.lmax,
            ..Default::default()
        }
    };
    let mut maps = slice(&s, &cells, &r.view, &vars, &exec)?;
    place_extent(&mut maps, &r.view, &r.frame);
    let (lu, _) = length_unit(&u);
    let per_var = a.out.len().div_ceil(vars.len()).max(1);
    for (k, path) in a.out.iter().enumerate() {
        let v = vars[(k / per_var).min(vars.len() - 1)];
        let (factor, unit) = match &a.unit {
            Some(unit) => (u.factor(quantity_of(v), unit)?, unit.clone()),
            None => (1.0, "code".to_string()),
        };
        let title = format!("{v} slice, {}", frame_title(&r.frame));
        let quantity = map_quantity(MapKind::Value, v, &unit);
        let style = MapStyle {
            log: a.colour.log(v),
            limits: a.colour.limits(),
            title: &title,
            caption: &output_caption(&s),
            quantity: &quantity,
            axis: axis.unwrap_or(2),
            units: &u,
        };
        let names = image_axes(&r.frame);
        let msg = write_map_axes(path, &maps, v, factor, &style, names)?;
        write_sidecar(path, &r.view.sidecar(v, "none", &unit, lu))?;
        if !ctx.quiet {
            println!("wrote {msg} (+ .json)");
        }
    }
    Ok(())
}

/// Without `--width`, the image window follows the region, as a zoom
/// (yt's `SlicePlot(..., center, width)` with the region's centre and
/// size): an axis slice over `--xrange/--yrange` (a box) shows that box's
/// face across the image axes, a slice of any orientation with `--radius`
/// the square `2R` around the centre. `--zrange` alone (along the normal)
/// keeps the whole-box window. Box ranges on a slice that is not along an
/// axis are refused: their window is not a rectangle of the image.
fn window_of_region(
    va: &mut ViewArgs,
    sel: &Selection,
    centre: Option<[f64; 3]>,
    u: &Units,
) -> AnyResult<()> {
    let code = |v: [f64; 3]| v.map(|x| x * u.boxlen);
    let c = centre.unwrap_or_else(|| code(u.extent.map(|n| 0.5 * n as f64)));
    match (sel.region, &va.orientation) {
        (Some(Region::Sphere { centre, radius }), _) => {
            va.center = Some(Center::At(code(centre)));
            va.width = Some([2.0 * radius * u.boxlen; 2]);
        }
        (Some(Region::Box { lo, hi }), Orientation::Axis(k)) => {
            let b = Basis::axis(*k);
            let along = |e: [f64; 3]| (0..3).find(|&d| e[d] == 1.0).unwrap_or(0);
            let (i, j) = (along(b.e1), along(b.e2));
            let (lo, hi) = (code(lo), code(hi));
            // Only --zrange (along the normal): the box's whole face.
            if (hi[i] - lo[i], hi[j] - lo[j])
                == (u.extent[i] as f64 * u.boxlen, u.extent[j] as f64 * u.boxlen)
            {
                return Ok(());
            }
            let mut at = c;
            at[i] = 0.5 * (lo[i] + hi[i]);
            at[j] = 0.5 * (lo[j] + hi[j]);
            va.center = Some(Center::At(at));
            va.width = Some([hi[i] - lo[i], hi[j] - lo[j]]);
        }
        (Some(Region::Box { .. }), _) => {
            return fail(
                "--xrange/--yrange/--zrange set the window of an axis slice only; with --normal, --face-on or --edge-on give --width (and --radius to restrict the cells)",
            )
        }
        _ => {}
    }
    Ok(())
}
