//! Maps of a view: `Snapshot.project` (along an axis, or the exact
//! off-axis projection), `Snapshot.slice`, and `Snapshot.center`.

use crate::args::{code_center, CenterArg, Floats, Names, OneOrMany, RegionKw};
use crate::call::{capped, run};
use crate::convert::{axis_maps_to_py, from_json, maps_to_py};
use crate::errors::to_py;
use crate::opened::PySnapshot;
use amrkit_io::Snapshot;
use amrkit_kernels::center::Center;
use amrkit_kernels::project::{project as project_maps, Weight};
use amrkit_kernels::request::{axis_of, cells_for, check_axis, proj_spec, weight_of, RegionArgs};
use amrkit_kernels::Exec;
use amrkit_kernels::Selection;
use amrkit_kernels::{KernelError, Units};
use pyo3::prelude::*;
use std::sync::Arc;

/// The view options of `slice` and `project` (lengths in `range_unit`).
pub(crate) struct ViewOpts {
    axis: Option<String>,
    normal: Option<Vec<f64>>,
    north: Option<Vec<f64>>,
    face_on: Option<f64>,
    edge_on: Option<f64>,
    width: Option<Vec<f64>>,
    depth: Option<f64>,
    particles: Vec<String>,
}

impl ViewOpts {
    pub(crate) fn any(&self) -> bool {
        self.normal.is_some()
            || self.north.is_some()
            || self.face_on.is_some()
            || self.edge_on.is_some()
            || self.width.is_some()
            || self.depth.is_some()
    }
}

pub(crate) fn vec3(v: &[f64], what: &str) -> Result<[f64; 3], KernelError> {
    match v {
        [x, y, z] => Ok([*x, *y, *z]),
        _ => Err(KernelError::Invalid(format!(
            "{what} needs three components, got {}",
            v.len()
        ))),
    }
}

/// Resolves a view as the CLI does (`--center` method first, over the
/// whole output or the box ranges; then the orientation) and maps it:
/// a slice, or the exact projection along the view, read from the files.
#[allow(clippy::too_many_arguments)]
pub(crate) fn view_maps(
    snap: &Snapshot,
    vars: &[String],
    slice_only: bool,
    weight: Weight,
    res: usize,
    lmax: Option<u32>,
    center: Option<Center>,
    mut region: RegionArgs,
    o: &ViewOpts,
    exec: &Exec,
) -> Result<amrkit_kernels::project::Maps, KernelError> {
    use amrkit_kernels::view_request::{resolve_center, resolve_view, Orientation, ViewArgs};
    let u = Units::from_info(&snap.info);
    let unit = region.range_unit.clone().unwrap_or_else(|| "code".into());
    let per_code = u.factor(amrkit_kernels::Quantity::Length, &unit)?;
    let code = |x: f64| x / per_code;
    let centre = center;
    let has_region = region.radius.is_some()
        || region.xrange.is_some()
        || region.yrange.is_some()
        || region.zrange.is_some();
    let c = match centre {
        None => None,
        Some(Center::At(p)) => Some(p),
        Some(m) => {
            let mut plain = region.clone();
            plain.radius = None;
            let ranges = plain.selection(lmax, &u)?;
            Some(resolve_center(snap, Some(m), Some(&ranges), lmax, exec)?)
        }
    };
    if let Some(c) = c {
        region.center = Some(code_center(c));
    }
    let sel = region.selection(lmax, &u)?;
    if o.axis.is_some() && (o.normal.is_some() || o.face_on.is_some() || o.edge_on.is_some()) {
        return Err(KernelError::Invalid(
            "axis goes without normal, face_on and edge_on".into(),
        ));
    }
    let n_given = [o.normal.is_some(), o.face_on.is_some(), o.edge_on.is_some()];
    if n_given.iter().filter(|&&b| b).count() > 1 {
        return Err(KernelError::Invalid(
            "give one of normal, face_on and edge_on".into(),
        ));
    }
    let orientation = if let Some(n) = &o.normal {
        Orientation::Normal {
            normal: vec3(n, "normal")?,
            north: o.north.as_deref().map(|v| vec3(v, "north")).transpose()?,
        }
    } else if let Some(r) = o.face_on {
        Orientation::FaceOn(code(r))
    } else if let Some(r) = o.edge_on {
        Orientation::EdgeOn(code(r))
    } else {
        Orientation::Axis(axis_of(o.axis.as_deref().unwrap_or("z"))?)
    };
    let width = match o.width.as_deref() {
        None => None,
        Some([w]) => Some([code(*w), code(*w)]),
        Some([w, h]) => Some([code(*w), code(*h)]),
        Some(v) => {
            return Err(KernelError::Invalid(format!(
                "width takes W or [W, H], got {} values",
                v.len()
            )))
        }
    };
    let va = ViewArgs {
        center: c.map(Center::At),
        orientation,
        width,
        depth: o.depth.map(code),
        res,
        particles: o.particles.clone(),
        lmax,
    };
    let r = resolve_view(snap, &va, Some(&sel), exec)?;
    let cells = if has_region {
        sel
    } else {
        Selection {
            lmax,
            ..Selection::default()
        }
    };
    let refs: Vec<&str> = vars.iter().map(String::as_str).collect();
    if slice_only {
        amrkit_kernels::slice::slice(snap, &cells, &r.view, &refs, exec)
    } else {
        let spec = amrkit_kernels::offaxis::ViewSpec {
            view: r.view,
            vars: vars.to_vec(),
            weight,
        };
        amrkit_kernels::offaxis::project_view_streaming(snap, &cells, &spec, exec)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn project(
    this: &PySnapshot,
    py: Python<'_>,
    vars: Names,
    axis: String,
    res: usize,
    weight: Option<String>,
    lmax: Option<u32>,
    max_threads: Option<usize>,
    center: Option<CenterArg>,
    normal: Option<Vec<f64>>,
    north: Option<Vec<f64>>,
    face_on: Option<f64>,
    edge_on: Option<f64>,
    width: Option<Floats>,
    depth: Option<f64>,
    particles: Option<Names>,
    region: RegionKw,
) -> PyResult<Py<PyAny>> {
    let range_unit = region.range_unit.clone();
    let single = matches!(vars, OneOrMany::One(_));
    let names = vars.into_vec();
    let opts = ViewOpts {
        axis: (axis != "z").then(|| axis.clone()),
        normal,
        north,
        face_on,
        edge_on,
        width: width.map(Floats::into_vec),
        depth,
        particles: particles.map(Names::into_vec).unwrap_or_default(),
    };
    let u = Units::from_info(&this.snap.info);
    let center = center
        .map(|c| c.resolve(&range_unit, &u))
        .transpose()
        .map_err(|e| to_py(py, e))?;
    let mut region = region.args().map_err(|e| to_py(py, e))?;
    match center {
        Some(Center::At(p)) if !opts.any() => region.center = Some(code_center(p)),
        None if !opts.any() => {}
        c => {
            let weight =
                weight_of(weight.as_deref().unwrap_or("none")).map_err(|e| to_py(py, e))?;
            let snap = Arc::clone(&this.snap);
            let maps = run(py, move |exec| {
                let exec = capped(exec, max_threads);
                view_maps(
                    &snap, &names, false, weight, res, lmax, c, region, &opts, &exec,
                )
            })?;
            return maps_to_py(py, maps, single);
        }
    }
    let prep = || -> Result<_, KernelError> {
        let sel = this.selection(lmax, &region)?;
        let axis = axis_of(&axis)?;
        check_axis(&this.snap, axis)?;
        let weight = weight_of(weight.as_deref().unwrap_or("none"))?;
        if res == 0 {
            return Err(KernelError::Invalid("res must be at least 1".into()));
        }
        if names.is_empty() {
            return Err(KernelError::Invalid("no variable to project".into()));
        }
        Ok((sel, axis, weight))
    };
    let (sel, axis, weight) = prep().map_err(|e| to_py(py, e))?;
    let snap = Arc::clone(&this.snap);
    let maps = run(py, move |exec| {
        let exec = capped(exec, max_threads);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        // Every cell the window overlaps: the map is the integral over it.
        let cover = sel.with_overlapping_cells(&snap.info);
        let t = cells_for(&snap, &cover, &refs, weight, &exec)?;
        let spec = proj_spec(
            &Units::from_info(&snap.info),
            &sel,
            axis,
            res,
            &refs,
            weight,
        );
        project_maps(&t, &spec, &exec)
    })?;
    // A 1D output gives a profile: a 1-D array, as the CLI's .npy.
    axis_maps_to_py(py, maps, single, this.snap.info.ndim == 1)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn slice(
    this: &PySnapshot,
    py: Python<'_>,
    vars: Names,
    normal: Option<Vec<f64>>,
    center: Option<CenterArg>,
    width: Option<Floats>,
    res: usize,
    axis: Option<String>,
    north: Option<Vec<f64>>,
    face_on: Option<f64>,
    edge_on: Option<f64>,
    particles: Option<Names>,
    lmax: Option<u32>,
    max_threads: Option<usize>,
    region: RegionKw,
) -> PyResult<Py<PyAny>> {
    let range_unit = region.range_unit.clone();
    let single = matches!(vars, OneOrMany::One(_));
    let names = vars.into_vec();
    let opts = ViewOpts {
        axis,
        normal,
        north,
        face_on,
        edge_on,
        width: width.map(Floats::into_vec),
        depth: None,
        particles: particles.map(Names::into_vec).unwrap_or_default(),
    };
    let u = Units::from_info(&this.snap.info);
    let center = center
        .map(|c| c.resolve(&range_unit, &u))
        .transpose()
        .map_err(|e| to_py(py, e))?;
    let region = region.args().map_err(|e| to_py(py, e))?;
    let snap = Arc::clone(&this.snap);
    let maps = run(py, move |exec| {
        let exec = capped(exec, max_threads);
        view_maps(
            &snap,
            &names,
            true,
            Weight::None,
            res,
            lmax,
            center,
            region,
            &opts,
            &exec,
        )
    })?;
    maps_to_py(py, maps, single)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn center(
    this: &PySnapshot,
    py: Python<'_>,
    method: String,
    radius: Option<f64>,
    particles: Option<Names>,
    lmax: Option<u32>,
    max_threads: Option<usize>,
    range_unit: String,
) -> PyResult<Py<PyAny>> {
    let snap = Arc::clone(&this.snap);
    let families = particles.map(Names::into_vec).unwrap_or_default();
    let j = run(py, move |exec| {
        let exec = capped(exec, max_threads);
        let u = Units::from_info(&snap.info);
        let m = amrkit_kernels::center::Method::parse(&method)?;
        let per_code = u.factor(amrkit_kernels::Quantity::Length, &range_unit)?;
        let r = radius.map(|r| r / per_code);
        // The CLI's length unit for the "units" object.
        let kpc = u
            .factor(amrkit_kernels::Quantity::Length, "kpc")
            .unwrap_or(0.0);
        let boxkpc = u.boxlen * kpc;
        let lu = if boxkpc >= 1e3 {
            "Mpc"
        } else if boxkpc >= 1.0 {
            "kpc"
        } else if boxkpc >= 1e-6 {
            "pc"
        } else {
            "code"
        };
        amrkit_kernels::view_request::center_report(&snap, m, r, &families, None, lmax, lu, &exec)
    })?;
    from_json(py, &j)
}
