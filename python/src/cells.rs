//! `Snapshot.load`: leaf cells as NumPy columns.

use crate::args::{Names, RegionKw};
use crate::call::{capped, run};
use crate::errors::to_py;
use crate::opened::PySnapshot;
use amrkit_kernels::derive;
use amrkit_kernels::load::CellTable;
use amrkit_kernels::project::Weight;
use amrkit_kernels::request::cells_for;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// Takes the column `name` out of a table (no copy).
pub(crate) fn take_column(t: &mut CellTable, name: &str) -> Vec<f64> {
    match t.names.iter().position(|n| n == name) {
        Some(i) => std::mem::take(&mut t.columns[i]),
        None => Vec::new(),
    }
}

pub(crate) fn load(
    this: &PySnapshot,
    py: Python<'_>,
    vars: Option<Names>,
    lmax: Option<u32>,
    max_threads: Option<usize>,
    region: RegionKw,
) -> PyResult<Py<PyDict>> {
    let region = region.args().map_err(|e| to_py(py, e))?;
    let sel = this.selection(lmax, &region).map_err(|e| to_py(py, e))?;
    let snap = Arc::clone(&this.snap);
    let mut names: Vec<String> = match vars {
        Some(v) => v.into_vec(),
        None => snap
            .hydro_fields
            .iter()
            .map(|f| f.name.clone())
            .chain(snap.grav_fields.iter().cloned())
            // RAMSES-RT variables when the rt files can be read (an
            // unreadable rt component fails only when named).
            .chain(
                snap.rt_fields
                    .iter()
                    .filter(|_| snap.rt_problem().is_none())
                    .map(|f| f.name.clone()),
            )
            .collect(),
    };
    // The coordinates come first anyway; each name once.
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| {
        !["x", "y", "z", "level", "dx"].contains(&n.as_str()) && seen.insert(n.clone())
    });
    let columns = run(py, move |exec| {
        let exec = capped(exec, max_threads);
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut t = cells_for(&snap, &sel, &refs, Weight::None, &exec)?;
        let mut out: Vec<(String, Vec<f64>)> = Vec::with_capacity(names.len() + 5);
        // As many coordinates as the output has dimensions.
        for c in ["x", "y", "z"].into_iter().take(snap.info.ndim) {
            out.push((c.to_string(), derive::derived(&t, c, &exec)?));
        }
        // The level is an integer: int32 (one copy of a byte column).
        let level: Vec<i32> = exec.par().map_range(0..t.len(), |k| i32::from(t.level[k]));
        out.push(("dx".into(), derive::derived(&t, "cell_size", &exec)?));
        for n in &names {
            let col = take_column(&mut t, n);
            out.push((n.clone(), col));
        }
        Ok((out, level))
    })?;
    let (columns, level) = columns;
    let d = PyDict::new(py);
    let mut level = Some(level);
    for (name, col) in columns {
        if name == "dx" {
            if let Some(l) = level.take() {
                d.set_item("level", PyArray1::from_vec(py, l))?;
            }
        }
        d.set_item(name, PyArray1::from_vec(py, col))?;
    }
    Ok(d.unbind())
}
