//! `amrkit-kernels`: analysis of RAMSES outputs on the amrkit pool.
//!
//! Joins `amrkit-io` (per-file reads and writes) and `amrkit-pool`
//! (`max_threads`-capped parallel calls): [`load`] (MERA's `gethydro`,
//! `getgravity`, `getparticles`) into the tables of [`table`], [`derive`](mod@derive)
//! (derived variables), [`sums`] (sums and weighted means per block),
//! [`cosmology`] (cosmic time, stellar ages), [`project`] (projections of
//! cells and particles), [`export`] (VTK), and the reports both front ends
//! print ([`report`], [`summary`]). Every kernel takes an [`Exec`]: the
//! pool, a `max_threads` cap and a progress observer.

#![warn(missing_docs)]

pub mod binned_columns;
pub mod binned_files;
pub mod binned_request;
pub mod center;
pub mod columns;
pub mod cosmology;
pub mod derive;
mod error;
pub mod exec;
pub mod export;
pub mod lengths;
pub mod load;
pub mod offaxis;
pub mod phase;
pub mod profile;
pub mod project;
mod quantity;
pub mod report;
pub mod request;
pub mod select;
pub mod series;
pub mod slice;
mod stats_stream;
pub mod summary;
pub mod sums;
pub mod table;
pub mod temperature;
pub mod units;
pub mod view;
pub mod view_request;
pub mod weight;

pub use error::{KernelError, Result};
pub use exec::{Exec, Progress};
pub use load::{
    load_cells, load_components, load_gravity, load_hydro, load_particles, load_rt, CellTable,
    Components, ParticleTable,
};
pub use select::{Region, Selection};
pub use units::{Quantity, Units};

/// The README's examples (which use both the pool and the reader),
/// compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
