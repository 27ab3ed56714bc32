//! `amrkit-io`: reading RAMSES outputs.
//!
//! The file layer knows nothing of threads: it offers per-CPU-file
//! operations ([`Snapshot::read_cpu`], [`cpu::read_cpu_cells`] on bytes in
//! memory) that `amrkit-kernels` runs in parallel. Every malformed input
//! gives an [`Error`] naming the file, the record or line, and what was
//! expected.
//!
//! Reading: info files, descriptors (v0, v1), the AMR, hydro and gravity
//! files of 1D, 2D and 3D outputs, boundary regions included (two-phase: [`cpu::scan_cpu`] then
//! [`cpu::read_cpu_into`] into caller-owned slices), flat or in
//! `group_GGGGG` folders ([`FileLayout`]), particles (from the descriptor,
//! or inferred from the record lengths and `header_` tokens), sinks (CSV),
//! and the Hilbert choice of CPU files for a region ([`hilbert`]).
//!
//! RAMSES-RT: the `rt_NNNNN.outCCCCC` variables by their descriptor names
//! (read like hydro variables) and `info_rt_NNNNN.txt` ([`rt`]).
//!
//! PHEW clump tables (`clump_NNNNN.txtCCCCC`, [`clumps`]).
//!
//! Writing: synthetic RAMSES outputs for tests and demos ([`synth`]; 1D/2D
//! and padded coarse grids: [`synth::nd`]) and VTK XML files ([`vtk`]).

#![warn(missing_docs)]

pub mod atomic;
pub mod clumps;
pub mod cpu;
pub mod descriptor;
mod error;
pub mod fortran;
pub mod hilbert;
pub mod info;
mod oct;
pub mod pages;
pub mod particles;
mod pread;
pub mod rt;
pub mod sink;
mod snapshot;
pub mod synth;
pub mod vtk;

pub use cpu::{CellGroup, CellRequest, CellSlices, CpuCells, CpuScan, Slab, VarKind};
pub use error::{Error, Result};
pub use info::Info;
pub use particles::{family_code, family_name, PartColumn, PartColumnMut, PartLayout};
pub use sink::Sinks;
pub use snapshot::{FileLayout, PartScan, Snapshot};
pub use synth::{SynthPlan, SynthSpec};
