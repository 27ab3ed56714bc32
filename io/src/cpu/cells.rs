//! The output columns of a read (owned, [`CpuCells`], or the caller's
//! slices, [`CellSlices`]) and how phase two fills them.

use super::request::CellRequest;
use super::scan::CpuScan;
use super::vars::VarKind;
use crate::error::{inconsistent, Result};
use crate::oct::cell_bits;
use std::path::Path;

/// Leaf cells of one CPU, as columns. Cell `k` has level `level[k]` and
/// integer coordinates `(ix[k], iy[k], iz[k])` on the grid of that level,
/// so its centre is `((ix + ½)·dx, …)` with `dx = boxlen·2^-level`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CpuCells {
    /// Level of each cell.
    pub level: Vec<u8>,
    /// Integer x coordinate on the cell's level grid.
    pub ix: Vec<u32>,
    /// Integer y coordinate.
    pub iy: Vec<u32>,
    /// Integer z coordinate.
    pub iz: Vec<u32>,
    /// One column per requested hydro variable, in request order.
    pub hydro: Vec<Vec<f64>>,
    /// One column per requested gravity variable, in request order.
    pub grav: Vec<Vec<f64>>,
    /// One column per requested rt variable, in request order.
    pub rt: Vec<Vec<f64>>,
    /// `gamma` from the hydro header, when a hydro file was read.
    pub gamma: Option<f64>,
}

impl CpuCells {
    /// Number of leaf cells.
    pub fn len(&self) -> usize {
        self.level.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.level.is_empty()
    }
}

/// Output columns owned by the caller, each exactly [`CpuScan::len`] long.
pub struct CellSlices<'a> {
    /// Level of each cell.
    pub level: &'a mut [u8],
    /// Integer x coordinate on the cell's level grid.
    pub ix: &'a mut [u32],
    /// Integer y coordinate.
    pub iy: &'a mut [u32],
    /// Integer z coordinate.
    pub iz: &'a mut [u32],
    /// One slice per requested hydro variable, in request order.
    pub hydro: Vec<&'a mut [f64]>,
    /// One slice per requested gravity variable, in request order.
    pub grav: Vec<&'a mut [f64]>,
    /// One slice per requested rt variable, in request order.
    pub rt: Vec<&'a mut [f64]>,
}

/// Checks that the caller's slices match the scan and the request.
pub(crate) fn check_slices(
    path: &Path,
    scan: &CpuScan,
    req: &CellRequest,
    out: &CellSlices,
) -> Result<()> {
    let n = scan.len();
    let CellSlices {
        level,
        ix,
        iy,
        iz,
        hydro,
        grav,
        rt,
    } = out;
    if level.len() != n
        || ix.len() != n
        || iy.len() != n
        || iz.len() != n
        || hydro.len() != req.hydro_vars.len()
        || grav.len() != req.grav_vars.len()
        || rt.len() != req.rt_vars.len()
        || hydro
            .iter()
            .chain(grav.iter())
            .chain(rt.iter())
            .any(|s| s.len() != n)
    {
        return Err(inconsistent(
            path,
            format!("output slices do not match the scan ({n} cells, {} hydro, {} gravity and {} rt columns requested)", req.hydro_vars.len(), req.grav_vars.len(), req.rt_vars.len()),
        ));
    }
    Ok(())
}

/// Writes the level and integer coordinates of the scan's selected cells,
/// in table order (level, then cell index within the oct, then oct).
pub(crate) fn fill_cells(
    scan: &CpuScan,
    level: &mut [u8],
    ix: &mut [u32],
    iy: &mut [u32],
    iz: &mut [u32],
) {
    let twotondim = 1usize << scan.header.ndim;
    let mut k = 0;
    for (l, lev) in scan.levels.iter().enumerate() {
        if lev.count == 0 {
            continue;
        }
        let ilevel = (l + 1) as u8;
        let n = lev.ncache;
        for ind in 0..twotondim {
            let b = cell_bits(ind);
            let here = lev.per_ind[ind];
            if here == 0 {
                continue;
            }
            level[k..k + here].fill(ilevel);
            for (d, col) in [&mut *ix, &mut *iy, &mut *iz].into_iter().enumerate() {
                let (col, origin) = (&mut col[k..k + here], &lev.origin[d]);
                if here == n {
                    // Every cell selected: a straight loop over the octs.
                    for (x, o) in col.iter_mut().zip(origin) {
                        *x = o + b[d];
                    }
                } else {
                    for (x, &j) in col.iter_mut().zip(lev.sel_of(ind)) {
                        *x = origin[j as usize] + b[d];
                    }
                }
            }
            k += here;
        }
    }
}

/// Phase two's common part (for [`read_cpu_into`](crate::cpu::read_cpu_into) and
/// `Snapshot::read_cpu_into`): checks the slices against the scan, writes
/// the cells' levels and coordinates, and calls `read_kind` for each kind of
/// variable the request names, returning `gamma` from the first file that
/// gives one (the hydro header).
pub(crate) fn fill_cpu_slices(
    amr_path: &Path,
    scan: &CpuScan,
    req: &CellRequest,
    out: CellSlices,
    mut read_kind: impl FnMut(VarKind, &[usize], &mut [&mut [f64]]) -> Result<Option<f64>>,
) -> Result<Option<f64>> {
    check_slices(amr_path, scan, req, &out)?;
    let CellSlices {
        level,
        ix,
        iy,
        iz,
        mut hydro,
        mut grav,
        mut rt,
    } = out;
    fill_cells(scan, level, ix, iy, iz);
    let mut gamma = None;
    for (kind, wanted, cols) in [
        (VarKind::Hydro, &req.hydro_vars, &mut hydro),
        (VarKind::Grav, &req.grav_vars, &mut grav),
        (VarKind::Rt, &req.rt_vars, &mut rt),
    ] {
        if !wanted.is_empty() {
            gamma = gamma.or(read_kind(kind, wanted, cols)?);
        }
    }
    Ok(gamma)
}

impl CpuCells {
    /// Zeroed columns for the cells of `scan` and the variables of `req`.
    pub(crate) fn for_scan(scan: &CpuScan, req: &CellRequest) -> CpuCells {
        let n = scan.len();
        CpuCells {
            level: vec![0; n],
            ix: vec![0; n],
            iy: vec![0; n],
            iz: vec![0; n],
            // One zeroed allocation per column (a `vec![column; k]` clone
            // would copy the first column into the others page by page).
            hydro: (0..req.hydro_vars.len()).map(|_| vec![0.0; n]).collect(),
            grav: (0..req.grav_vars.len()).map(|_| vec![0.0; n]).collect(),
            rt: (0..req.rt_vars.len()).map(|_| vec![0.0; n]).collect(),
            gamma: None,
        }
    }

    /// The columns as the slices [`read_cpu_into`](crate::cpu::read_cpu_into) writes.
    pub(crate) fn slices(&mut self) -> CellSlices<'_> {
        CellSlices {
            level: &mut self.level,
            ix: &mut self.ix,
            iy: &mut self.iy,
            iz: &mut self.iz,
            hydro: self.hydro.iter_mut().map(|c| c.as_mut_slice()).collect(),
            grav: self.grav.iter_mut().map(|c| c.as_mut_slice()).collect(),
            rt: self.rt.iter_mut().map(|c| c.as_mut_slice()).collect(),
        }
    }
}
