//! The data of the Python class `amrkit.Snapshot`: the opened output and
//! the selection its methods share. Its methods are in `snapshot.rs`; the
//! modules that do each method's work take this type, so they depend on
//! this file and not on the methods that call them.

use amrkit_io::Snapshot;
use amrkit_kernels::request::RegionArgs;
use amrkit_kernels::{KernelError, Selection, Units};
use pyo3::prelude::*;
use std::sync::Arc;

/// One RAMSES output, opened: what `amrkit.open` returns.
///
/// Every method reads the files it needs on amrkit's thread pool with the
/// GIL released, and returns NumPy arrays that wrap Rust's memory (no
/// copy: `arr.flags.owndata` is False). Values are in code units; see
/// `units` for the factors.
#[pyclass(module = "amrkit", name = "Snapshot", frozen)]
pub(crate) struct PySnapshot {
    pub(crate) snap: Arc<Snapshot>,
}

impl PySnapshot {
    /// The class around an opened output.
    pub(crate) fn new(snap: Snapshot) -> PySnapshot {
        PySnapshot {
            snap: Arc::new(snap),
        }
    }

    /// The selection of `lmax` and a region.
    pub(crate) fn selection(
        &self,
        lmax: Option<u32>,
        region: &RegionArgs,
    ) -> Result<Selection, KernelError> {
        region.selection(lmax, &Units::from_info(&self.snap.info))
    }
}
