//! `amrkit-io`: reading RAMSES outputs.
//!
//! The file layer knows nothing of threads: it offers per-CPU-file
//! operations ([`Snapshot::read_cpu`], [`cpu::read_cpu_cells`] on bytes in
//! memory) that `amrkit-kernels` runs in parallel. Every malformed input
//! gives an [`Error`] naming the file, the record or line, and what was
//! expected.
//!
//! Status: info files, hydro descriptors (v0, v1), and the AMR, hydro and
//! gravity files of 3D outputs are read. Particles, sinks, Hilbert CPU
//! selection, the snapshot writer and VTK output are not written yet.

#![warn(missing_docs)]

pub mod cpu;
pub mod descriptor;
mod error;
pub mod fortran;
pub mod info;
mod snapshot;

pub use cpu::{CellRequest, CpuCells};
pub use error::{Error, Result};
pub use info::Info;
pub use snapshot::Snapshot;
