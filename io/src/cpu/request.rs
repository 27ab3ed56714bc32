//! What a read asks for: the CPU's files and the cells and variables
//! wanted.

use std::path::Path;

/// One binary file: its path (for messages) and its contents.
#[derive(Clone, Copy)]
pub struct FileBytes<'a> {
    /// Where the bytes came from.
    pub path: &'a Path,
    /// The whole file.
    pub data: &'a [u8],
}

/// The files of one CPU (domain).
#[derive(Clone, Copy)]
pub struct CpuFiles<'a> {
    /// 1-based CPU (domain) number.
    pub icpu: usize,
    /// `amr_NNNNN.outCCCCC`.
    pub amr: FileBytes<'a>,
    /// `hydro_NNNNN.outCCCCC`, when hydro variables are wanted.
    pub hydro: Option<FileBytes<'a>>,
    /// `grav_NNNNN.outCCCCC`, when gravity variables are wanted.
    pub grav: Option<FileBytes<'a>>,
    /// `rt_NNNNN.outCCCCC` (RAMSES-RT), when rt variables are wanted.
    pub rt: Option<FileBytes<'a>>,
}

/// The points `x` (box units) with `|normal·x − offset| ≤ half`: a slice's
/// plane when `half` is 0. A read asked for one keeps the cells that can
/// meet it — `|normal·c − offset| ≤ half + ½dx·Σ_d |normal_d|` for a cell
/// of centre `c` and side `dx`, widened by a hair (`1e-9·dx`) so that a
/// point computed on the plane with rounding is never in a cell left out;
/// the caller decides exactly which of them it wants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slab {
    /// The slab's normal (any length: `half` and `offset` are in its units).
    pub normal: [f64; 3],
    /// `normal·x` at the slab's middle.
    pub offset: f64,
    /// Half the slab's thickness along `normal`.
    pub half: f64,
}

/// What to read.
#[derive(Clone, Debug, Default)]
pub struct CellRequest {
    /// Deepest level to descend to; cells of this level count as leaves.
    pub lmax: u32,
    /// Keep only cells whose centre lies in `[lo, hi)` per axis, in box
    /// units (`[0, 1]`); `None` keeps every leaf.
    pub region: Option<([f64; 3], [f64; 3])>,
    /// Keep only cells that can meet this slab (as well as the region).
    pub slab: Option<Slab>,
    /// Indices (0-based, descriptor order) of the hydro variables to read.
    pub hydro_vars: Vec<usize>,
    /// Indices of the gravity variables to read.
    pub grav_vars: Vec<usize>,
    /// Indices of the RAMSES-RT variables to read (`rt_` files).
    pub rt_vars: Vec<usize>,
}
