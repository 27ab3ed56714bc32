//! Kernel results as Python objects: maps as NumPy arrays (no copy), JSON
//! values as dicts.

use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Maps as NumPy: one 2-D array, or a dict of them by variable.
pub(crate) fn maps_to_py(
    py: Python<'_>,
    maps: amrkit_kernels::project::Maps,
    single: bool,
) -> PyResult<Py<PyAny>> {
    let (ny, nx) = (maps.ny, maps.nx);
    let d = PyDict::new(py);
    let mut last = None;
    for (name, m) in maps.maps {
        let a = Array2::from_shape_vec((ny, nx), m)
            .map_err(|e| PyRuntimeError::new_err(format!("amrkit: map shape: {e}")))?;
        let a = PyArray2::from_owned_array(py, a).into_any();
        if single {
            last = Some(a);
        } else {
            d.set_item(name, a)?;
        }
    }
    match last {
        Some(a) => Ok(a.unbind()),
        None => Ok(d.into_any().unbind()),
    }
}

/// A JSON value as Python objects (via the `json` module: floats round
/// trip exactly).
pub(crate) fn from_json(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(v)
        .map_err(|e| PyRuntimeError::new_err(format!("amrkit: JSON: {e}")))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// Maps along an axis as NumPy: one array (`single`), or a dict of them by
/// variable; 2-D arrays `map[j, i]`, or 1-D ones for a 1D output's
/// profiles (`profile`).
pub(crate) fn axis_maps_to_py(
    py: Python<'_>,
    maps: amrkit_kernels::project::Maps,
    single: bool,
    profile: bool,
) -> PyResult<Py<PyAny>> {
    let (ny, nx) = (maps.ny, maps.nx);
    let mut arrays = Vec::with_capacity(maps.maps.len());
    for (name, m) in maps.maps {
        if profile {
            arrays.push((name, PyArray1::from_vec(py, m).into_any()));
            continue;
        }
        let a = Array2::from_shape_vec((ny, nx), m)
            .map_err(|e| PyRuntimeError::new_err(format!("amrkit: map shape: {e}")))?;
        arrays.push((name, PyArray2::from_owned_array(py, a).into_any()));
    }
    if single {
        let (_, a) = arrays
            .pop()
            .ok_or_else(|| PyRuntimeError::new_err("amrkit: no map"))?;
        return Ok(a.into_any().unbind());
    }
    let d = PyDict::new(py);
    for (name, a) in arrays {
        d.set_item(name, a)?;
    }
    Ok(d.into_any().unbind())
}
