//! Leaf cells of one CPU file set (`amr_`, and optionally `hydro_`,
//! `grav_` and RAMSES-RT's `rt_`), read from bytes in memory.
//!
//! The AMR file is walked level by level and domain by domain; only the
//! blocks of the file's own domain are decoded. Every block's length
//! follows from its oct count in the AMR header (`numbl`), so the ghost
//! blocks of other domains, and the records of a block that a request does
//! not need, are stepped over by computed jumps and never read: their
//! pages are not fetched from storage (bytes read follow the request, not
//! the file size). What is jumped over is checked: each file must end
//! exactly where the counts say, and every landing point's record marker
//! (and, in hydro, gravity and rt files, the `(ilevel, ncache)` pair of
//! each own block that is read) must match.
//!
//! A read has two phases: [`scan_cpu`] reads the amr file only (header,
//! own `xg` and `son` records) and keeps the selected cells' levels and
//! coordinates; [`read_cpu_into`] writes those and decodes the requested
//! variables from the other files. The functions here walk files held in
//! memory: the reference walk. [`Snapshot`](crate::Snapshot) reads files
//! by a few positioned reads of the needed ranges instead ([`positioned`]; each
//! file opened once per read), and falls back to this walk on a map of
//! the file when those find something unexpected. The hydro,
//! gravity and rt files store each block cell-major: for each of the
//! 2^ndim cells, one record per variable. RAMSES-RT's `rt_` files have the
//! hydro files' header (`ncpu, nrtvar, ndim, nlevelmax, nboundary,
//! gamma`) and are read by the same code.
//!
//! 1D, 2D and 3D outputs are read (`ndim` from the amr header: octs of
//! 2^ndim cells, ndim `xg` records, 2·ndim `nbor` records). The coarse grid
//! may be `nx × ny × nz` with boundary regions: the physical box is the
//! block of coarse cells with a non-zero `cpu_map`, and positions are
//! shifted so that it starts at 0. Box units are coarse cells (one coarse
//! cell is the info file's `boxlen` in code units); a level-ℓ cell is
//! 2^-ℓ of a coarse cell along each of the ndim axes.

//!
//! The files: `request.rs` (what to read, from which files), `header.rs`
//! (the amr header), `offsets.rs` (record and block lengths from the oct
//! counts), `scan.rs` (phase one's result), `select.rs` (a level's selected
//! cells and their coordinates), `vars.rs` (the variable files' headers and
//! records), `cells.rs` (the output columns), `walk.rs` (the reference walk
//! over files in memory) and `positioned/` (positioned reads). This file
//! holds the two-phase API over files in memory.

use crate::error::{inconsistent, Result};

pub(crate) mod cells;
mod header;
mod offsets;
pub mod positioned;
mod request;
mod scan;
mod select;
pub(crate) mod vars;
pub(crate) mod walk;

#[cfg(test)]
mod tests;

pub use cells::{CellSlices, CpuCells};
pub use header::{read_amr_header, AmrHead, AmrHeader, DomainBox};
pub use positioned::CellGroup;
pub use request::{CellRequest, CpuFiles, FileBytes, Slab};
pub use scan::CpuScan;
pub use vars::VarKind;

use cells::fill_cpu_slices;
use walk::{read_var_bytes, scan_amr_bytes};

/// Phase one: scans the amr file of one CPU for `req` (its `lmax` and
/// `region`; the variable lists are not needed yet, nor the other files).
pub fn scan_cpu(files: &CpuFiles, req: &CellRequest) -> Result<CpuScan> {
    scan_amr_bytes(files.amr.path, files.amr.data, files.icpu, req)
}

/// Phase two: writes the selected cells of one CPU into `out`, whose
/// slices must all be `scan.len()` long (and one per requested variable):
/// their levels and coordinates from the scan, their variables from the
/// hydro, gravity and rt files of `files` (the amr file is not read
/// again). Returns `gamma` from the hydro header when hydro variables
/// were read.
pub fn read_cpu_into(
    files: &CpuFiles,
    scan: &CpuScan,
    req: &CellRequest,
    out: CellSlices,
) -> Result<Option<f64>> {
    fill_cpu_slices(files.amr.path, scan, req, out, |kind, wanted, cols| {
        let file = match kind {
            VarKind::Hydro => files.hydro,
            VarKind::Grav => files.grav,
            VarKind::Rt => files.rt,
        };
        let Some(f) = file else {
            return Err(inconsistent(
                files.amr.path,
                format!(
                    "{} variables requested, but no {} file was given",
                    kind.what(),
                    kind.prefix()
                ),
            ));
        };
        read_var_bytes(f.path, f.data, scan, kind, wanted, cols)
    })
}

/// Reads the selected leaf cells of one CPU into fresh columns: a
/// [`scan_cpu`] followed by [`read_cpu_into`].
pub fn read_cpu_cells(files: &CpuFiles, req: &CellRequest) -> Result<CpuCells> {
    let scan = scan_cpu(files, req)?;
    let mut out = CpuCells::for_scan(&scan, req);
    out.gamma = read_cpu_into(files, &scan, req, out.slices())?;
    Ok(out)
}
