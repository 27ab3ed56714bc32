//! `amrkit slice`: point samples of variables on a plane of any
//! orientation (the leaf cell holding each pixel centre), to `.npy` and/or
//! `.png`, each with a `<file>.json` sidecar of the view.

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::{fail, AnyResult};
use crate::render::labels::{log_by_default, map_quantity, output_caption, MapKind};
use crate::render::map::{length_unit, write_map_axes, write_sidecar, MapStyle};
use crate::view_flags::{
    check_outs, frame_title, image_axes, place_extent, selection_with_center, view_args, ViewFlags,
};
use amrkit_kernels::derive::quantity_of;
use amrkit_kernels::request::{axis_of, open};
use amrkit_kernels::slice::slice;
use amrkit_kernels::view_request::resolve_view;
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
    /// Colour the PNG by log10 of the values (the default for density,
    /// pressure, temperature and mass).
    #[arg(long)]
    pub log: bool,
    /// Colour the PNG linearly, also for density, pressure, temperature.
    #[arg(long, conflicts_with = "log")]
    pub lin: bool,
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
    let va = view_args(&a.view, axis, centre, a.res, &a.sel, &u)?;
    let r = resolve_view(&s, &va, Some(&sel), &exec)?;
    // The region options' cells only when a region is given.
    let cells = if a.sel.radius.is_some()
        || a.sel.xrange.is_some()
        || a.sel.yrange.is_some()
        || a.sel.zrange.is_some()
    {
        sel
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
            log: a.log || (!a.lin && log_by_default(v)),
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
