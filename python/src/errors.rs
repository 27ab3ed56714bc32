//! The Python exceptions kernel errors become (`amrkit._errors`).

use amrkit_kernels::KernelError;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The Python exception for a kernel error: `amrkit.FileError` (an
/// `OSError`) for what comes from the files, `amrkit.ArgumentError` (a
/// `ValueError`) for bad arguments; both subclass `amrkit.Error`.
pub(crate) fn to_py(py: Python<'_>, e: KernelError) -> PyErr {
    let class = match &e {
        KernelError::Io(_) | KernelError::Write { .. } => "FileError",
        KernelError::Cancelled => return PyKeyboardInterrupt::new_err("cancelled"),
        KernelError::NoVariable { .. } | KernelError::Unit { .. } | KernelError::Invalid(_) => {
            "ArgumentError"
        }
    };
    match py
        .import("amrkit._errors")
        .and_then(|m| m.getattr(class))
        .and_then(|t| t.cast_into::<PyType>().map_err(PyErr::from))
    {
        Ok(t) => PyErr::from_type(t, e.to_string()),
        Err(import_failed) => import_failed,
    }
}
