//! The hydro, gravity and rt files: their headers, checked against the
//! amr file's, and the decode of one variable record into the selected
//! cells.

use super::header::count;
use super::header::AmrHead;
use super::offsets::var_blocks;
use super::scan::{CpuScan, LevelScan};
use crate::error::{inconsistent, Result};
use crate::fortran::{with_reals, RealWidth, Records};
use std::path::Path;

/// The per-CPU files that hold cell variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    /// `hydro_`: header `ncpu, nvar, ndim, nlevelmax, nboundary, gamma`.
    Hydro,
    /// `grav_`: header `ncpu, nvar, nlevelmax, nboundary`.
    Grav,
    /// RAMSES-RT's `rt_`: the hydro header (`nrtvar` for `nvar`).
    Rt,
}

impl VarKind {
    /// The component, as messages name it.
    pub(crate) fn what(self) -> &'static str {
        match self {
            VarKind::Hydro => "hydro",
            VarKind::Grav => "gravity",
            VarKind::Rt => "rt",
        }
    }

    /// The file name's prefix.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            VarKind::Hydro => "hydro",
            VarKind::Grav => "grav",
            VarKind::Rt => "rt",
        }
    }
}

/// Reads the integer header of a hydro file (`ncpu, nvar, ndim, nlevelmax,
/// nboundary`; `with_ndim`) or a grav file (no `ndim`), checks it against
/// the AMR header and returns `nvar`. Leaves `r` after `nboundary`.
pub(super) fn read_var_header(
    r: &mut Records,
    path: &Path,
    h: &AmrHead,
    with_ndim: bool,
) -> Result<usize> {
    let ncpu = count(path, "ncpu", r.i32("ncpu")?)?;
    let nvar = count(path, "nvar", r.i32("nvar")?)?;
    let ndim = if with_ndim {
        count(path, "ndim", r.i32("ndim")?)?
    } else {
        h.ndim
    };
    let nlevelmax = count(path, "nlevelmax", r.i32("nlevelmax")?)?;
    let nboundary = count(path, "nboundary", r.i32("nboundary")?)?;
    if (ncpu, ndim, nlevelmax, nboundary) != (h.ncpu, h.ndim, h.nlevelmax, h.nboundary) {
        return Err(inconsistent(
            path,
            format!(
                "header (ncpu, ndim, nlevelmax, nboundary) = ({ncpu}, {ndim}, {nlevelmax}, {nboundary}), but the amr file has ({}, {}, {}, {})",
                h.ncpu, h.ndim, h.nlevelmax, h.nboundary
            ),
        ));
    }
    Ok(nvar)
}

/// The header of a hydro, gravity or rt file, checked against the amr
/// file's: `nvar`, the width of the reals, and (hydro) `gamma`. Hydro and
/// rt files give the width by their `gamma` record; gravity files have no
/// real in the header and store `dp` values, as the amr file.
pub(super) fn read_var_head(
    r: &mut Records,
    path: &Path,
    h: &AmrHead,
    kind: VarKind,
) -> Result<(usize, usize, Option<f64>)> {
    let nvar = read_var_header(r, path, h, kind != VarKind::Grav)?;
    if kind == VarKind::Grav {
        return Ok((nvar, h.real_width, None));
    }
    let mut gamma = 0.0;
    let w = r.reals_with("gamma", 1, |_, x| gamma = x)?.bytes();
    Ok((nvar, w, (kind == VarKind::Hydro).then_some(gamma)))
}

/// Bytes of the body of a hydro, gravity or rt file that the oct counts
/// imply.
pub(super) fn var_body_len(scan: &CpuScan, nvar: usize, w: usize) -> usize {
    let h = &scan.header;
    let ndom = h.ncpu + h.nboundary;
    scan.counts
        .iter()
        .map(|c| var_blocks(c.total(), ndom, nvar, w, 1 << h.ndim).0)
        .sum()
}

/// Checks the requested variable indices against `nvar` and returns each
/// file variable's position in the request (`usize::MAX`: not requested).
pub(super) fn request_slots(
    path: &Path,
    wanted: &[usize],
    nvar: usize,
    what: &str,
) -> Result<Vec<usize>> {
    if let Some(&bad) = wanted.iter().find(|&&v| v >= nvar) {
        return Err(inconsistent(
            path,
            format!(
                "{what} variable {} requested, but the file holds {nvar}",
                bad + 1,
            ),
        ));
    }
    let mut slot = vec![usize::MAX; nvar];
    for (c, &v) in wanted.iter().enumerate() {
        slot[v] = c;
    }
    Ok(slot)
}

/// Decodes the next record (one variable of cell `ind` of every oct of
/// `lev`) into `dst`, keeping the selected cells: the whole record as a
/// slice when every cell is selected. Returns the width of its reals.
pub(super) fn decode_record(
    r: &mut Records,
    lev: &LevelScan,
    ind: usize,
    dst: &mut [f64],
) -> Result<RealWidth> {
    let n = lev.ncache;
    if dst.len() == n {
        // Every cell selected (leaves of a fully refined level, no
        // region): decode the record as a slice.
        return r.reals_into("cell variable", dst);
    }
    let (rec, width) = r.real_record("cell variable", n)?;
    let sel = lev.sel_of(ind);
    debug_assert_eq!(sel.len(), dst.len());
    // A loop per byte order and width, so that the decode is inlined.
    with_reals!(width, r.is_big_endian(), |N, get| {
        gather::<N>(rec, get, sel, dst)
    });
    Ok(width)
}

/// `dst[k] = value sel[k] of rec` (reals of `N` bytes decoded by `get`).
#[inline(always)]
pub(super) fn gather<const N: usize>(
    rec: &[u8],
    get: fn([u8; N]) -> f64,
    sel: &[u32],
    dst: &mut [f64],
) {
    let (vals, _) = rec.as_chunks::<N>();
    for (d, &j) in dst.iter_mut().zip(sel) {
        *d = get(vals[j as usize]);
    }
}
