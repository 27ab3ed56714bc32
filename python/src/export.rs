//! `Snapshot.export_vtk`: the cells as VTK files.

use crate::args::{Names, RegionKw};
use crate::call::{capped, run};
use crate::errors::to_py;
use crate::opened::PySnapshot;
use amrkit_kernels::export::VtkOptions;
use amrkit_kernels::request::export_output_vtk;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::sync::Arc;

#[allow(clippy::too_many_arguments)]
pub(crate) fn export_vtk(
    this: &PySnapshot,
    py: Python<'_>,
    prefix: PathBuf,
    scalars: Names,
    vector: Option<String>,
    lmin: Option<u8>,
    lmax: Option<u8>,
    log: bool,
    zlib: bool,
    max_threads: Option<usize>,
    region: RegionKw,
) -> PyResult<Py<PyDict>> {
    let region = region.args().map_err(|e| to_py(py, e))?;
    let sel = this
        .selection(lmax.map(u32::from), &region)
        .map_err(|e| to_py(py, e))?;
    let opts = VtkOptions {
        scalars: scalars.into_vec(),
        log10: log,
        vector: vector.as_deref().and_then(VtkOptions::vector_of),
        lmin,
        lmax,
        zlib,
    };
    let snap = Arc::clone(&this.snap);
    let rep = run(py, move |exec| {
        export_output_vtk(&snap, &sel, &opts, &prefix, &capped(exec, max_threads))
    })?;
    let d = PyDict::new(py);
    d.set_item(
        "files",
        PyList::new(py, rep.files.iter().map(|f| f.display().to_string()))?,
    )?;
    d.set_item("bytes", rep.bytes)?;
    d.set_item("cells", rep.cells)?;
    d.set_item("points", rep.points)?;
    Ok(d.unbind())
}
