//! Binned figures: `Snapshot.profile` (radial or cylindrical) and
//! `Snapshot.phase` (phase diagrams).

use crate::args::{Bins, CenterArg, Names};
use crate::call::{capped, run};
use crate::convert::from_json;
use crate::errors::to_py;
use crate::opened::PySnapshot;
use amrkit_kernels::binned_request::{
    describe_units, length_in_code, phase_output, profile_output, Column, PhaseAxisRequest,
    ProfileRequest,
};
use amrkit_kernels::phase::Phase;
use amrkit_kernels::profile::{Profile, ProfileSpec, Shape, Spacing};
use amrkit_kernels::request::weight_of;
use amrkit_kernels::{view_request, Region, Selection};
use amrkit_kernels::{KernelError, Units};
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// The shortest side of the box (code units).
pub(crate) fn box_side(u: &Units) -> f64 {
    (0..u.ndim.max(1))
        .map(|d| u.extent[d] as f64 * u.boxlen)
        .fold(f64::INFINITY, f64::min)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn profile(
    this: &PySnapshot,
    py: Python<'_>,
    vars: Names,
    weight: String,
    center: Option<CenterArg>,
    radius: Option<f64>,
    rmin: Option<f64>,
    bins: usize,
    log: bool,
    cylindrical: bool,
    normal: Option<Vec<f64>>,
    height: Option<f64>,
    cumulative: bool,
    unit: Option<Names>,
    mu: f64,
    range_unit: String,
    lmax: Option<u32>,
    max_threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let u = Units::from_info(&this.snap.info);
    let prep = || -> Result<_, KernelError> {
        let one = |a: Option<f64>| a.map(|v| length_in_code(v, &range_unit, &u)).transpose();
        let center = center.map(|c| c.resolve(&range_unit, &u)).transpose()?;
        let mut spec = ProfileSpec::new([0.0; 3], 1.0);
        spec.weight = weight_of(&weight)?;
        spec.rmin = one(rmin)?;
        spec.bins = bins;
        spec.spacing = if log { Spacing::Log } else { Spacing::Lin };
        if cylindrical {
            let normal = match normal.as_deref() {
                None => [0.0, 0.0, 1.0],
                Some(&[x, y, z]) => [x, y, z],
                Some(v) => {
                    return Err(KernelError::Invalid(format!(
                        "normal needs 3 values, got {}",
                        v.len()
                    )))
                }
            };
            let height = one(height)?.unwrap_or_else(|| box_side(&u));
            spec.shape = Shape::Cylinder { normal, height };
        }
        Ok((center, spec, one(radius)?))
    };
    let (center, spec, radius) = prep().map_err(|e| to_py(py, e))?;
    let names = vars.into_vec();
    let units = unit.map(Names::into_vec).unwrap_or_default();
    let snap = Arc::clone(&this.snap);
    let (p, cols) = run(py, move |exec| {
        let exec = capped(exec, max_threads);
        let c = view_request::resolve_center(&snap, center, None, None, &exec)?;
        let req = ProfileRequest {
            vars: names,
            units,
            center: c,
            radius,
            spec,
            mu,
            lmax,
        };
        profile_output(&snap, &req, &exec)
    })?;
    profile_to_py(py, &p, &cols, mu, cumulative)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn phase(
    this: &PySnapshot,
    py: Python<'_>,
    x: String,
    y: String,
    z: Option<String>,
    weight: String,
    bins: Bins,
    xrange: Option<Vec<f64>>,
    yrange: Option<Vec<f64>>,
    xlin: bool,
    ylin: bool,
    unit: Option<Names>,
    mu: f64,
    center: Option<CenterArg>,
    radius: Option<f64>,
    range_unit: String,
    lmax: Option<u32>,
    max_threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let u = Units::from_info(&this.snap.info);
    let prep = || -> Result<_, KernelError> {
        let (nx, ny) = bins.pair()?;
        let pair = |r: Option<Vec<f64>>, what: &str| match r.as_deref() {
            None => Ok(None),
            Some(&[a, b]) => Ok(Some([a, b])),
            Some(v) => Err(KernelError::Invalid(format!(
                "{what} needs two values a,b, got {}",
                v.len()
            ))),
        };
        let units = unit.map(Names::into_vec).unwrap_or_default();
        let nvars = 2 + usize::from(z.is_some());
        if units.len() > 1 && units.len() != nvars {
            return Err(KernelError::Invalid(format!(
                "unit: {} units for {nvars} variables",
                units.len()
            )));
        }
        let unit_of = |k: usize| match units.len() {
            0 => None,
            1 => Some(units[0].clone()),
            _ => units.get(k).cloned(),
        };
        let xa = PhaseAxisRequest {
            var: x,
            unit: unit_of(0),
            lin: xlin,
            range: pair(xrange, "xrange")?,
            bins: nx,
        };
        let ya = PhaseAxisRequest {
            var: y,
            unit: unit_of(1),
            lin: ylin,
            range: pair(yrange, "yrange")?,
            bins: ny,
        };
        let radius = radius
            .map(|r| length_in_code(r, &range_unit, &u))
            .transpose()?;
        if center.is_some() && radius.is_none() {
            return Err(KernelError::Invalid(
                "center selects nothing without radius (the sphere around it)".into(),
            ));
        }
        let center = center.map(|c| c.resolve(&range_unit, &u)).transpose()?;
        Ok((xa, ya, unit_of(2), weight_of(&weight)?, center, radius))
    };
    let (xa, ya, zu, weight, center, radius) = prep().map_err(|e| to_py(py, e))?;
    let snap = Arc::clone(&this.snap);
    let (ph, cols) = run(py, move |exec| {
        let exec = capped(exec, max_threads);
        let region = match radius {
            None => None,
            Some(r) => {
                let c = view_request::resolve_center(&snap, center, None, None, &exec)?;
                let b = snap.info.boxlen;
                Some(Region::Sphere {
                    centre: c.map(|x| x / b),
                    radius: r / b,
                })
            }
        };
        let sel = Selection {
            lmax,
            region,
            files: None,
        };
        let z = z.as_deref().map(|z| (z, zu.as_deref()));
        phase_output(&snap, &sel, [&xa, &ya], z, weight, mu, &exec)
    })?;
    phase_to_py(py, &ph, &cols, mu)
}

/// A phase diagram as the dict `Snapshot.phase` returns: its JSON (with
/// the units of `cols` and `mu`), `values` and `counts` as 2-D arrays
/// `[j, i]`, and the edges.
fn phase_to_py(py: Python<'_>, ph: &Phase, cols: &[Column], mu: f64) -> PyResult<Py<PyAny>> {
    let mut j = ph.to_json();
    describe_units(&mut j, cols, mu);
    let d = from_json(py, &j)?;
    let d = d.bind(py).cast::<PyDict>()?.clone();
    let (nx, ny) = (ph.axes[0].bins, ph.axes[1].bins);
    let shape = |v: Vec<f64>| {
        Array2::from_shape_vec((ny, nx), v)
            .map_err(|e| PyRuntimeError::new_err(format!("amrkit: phase shape: {e}")))
    };
    d.set_item(
        "values",
        PyArray2::from_owned_array(py, shape(ph.values.clone())?),
    )?;
    let counts = Array2::from_shape_vec((ny, nx), ph.counts.clone())
        .map_err(|e| PyRuntimeError::new_err(format!("amrkit: phase shape: {e}")))?;
    d.set_item("counts", PyArray2::from_owned_array(py, counts))?;
    d.set_item("x_edges", PyArray1::from_vec(py, ph.axes[0].edges.clone()))?;
    d.set_item("y_edges", PyArray1::from_vec(py, ph.axes[1].edges.clone()))?;
    Ok(d.into_any().unbind())
}

/// A profile as the dict `Snapshot.profile` returns: its JSON (with the
/// units of `cols` and `mu`), the edges and every per-bin figure as 1-D
/// arrays (`cumulative`: with the cumulative means).
fn profile_to_py(
    py: Python<'_>,
    p: &Profile,
    cols: &[Column],
    mu: f64,
    cumulative: bool,
) -> PyResult<Py<PyAny>> {
    let mut j = p.to_json(cumulative);
    describe_units(&mut j, cols, mu);
    let d = from_json(py, &j)?;
    let d = d.bind(py).cast::<PyDict>()?.clone();
    d.set_item("edges", PyArray1::from_vec(py, p.edges.clone()))?;
    let b = d
        .get_item("bins")?
        .ok_or_else(|| PyRuntimeError::new_err("no bins"))?;
    let b = b.cast::<PyDict>()?;
    b.set_item("count", PyArray1::from_vec(py, p.count.clone()))?;
    b.set_item("weight", PyArray1::from_vec(py, p.weight.clone()))?;
    b.set_item("mass", PyArray1::from_vec(py, p.mass.clone()))?;
    b.set_item(
        "mass_enclosed",
        PyArray1::from_vec(py, p.mass_enclosed.clone()),
    )?;
    for v in &p.vars {
        let o = PyDict::new(py);
        o.set_item("mean", PyArray1::from_vec(py, v.mean.clone()))?;
        o.set_item("std", PyArray1::from_vec(py, v.std.clone()))?;
        if cumulative {
            o.set_item(
                "cumulative_mean",
                PyArray1::from_vec(py, v.cumulative_mean.clone()),
            )?;
        }
        b.set_item(&v.name, o)?;
    }
    Ok(d.into_any().unbind())
}
