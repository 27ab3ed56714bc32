//! The selected cells of one level of the own domain: the leaves (inside
//! the region), from the `son` and `xg` records, and each selected oct's
//! integer origin on the level grid.

use super::request::Slab;
use super::scan::LevelScan;
use crate::error::{inconsistent, Result};
use crate::fortran::{decode, with_reals, RawReals};
use crate::oct::cell_bits;
use std::path::Path;

/// The coarse geometry the cell walk needs: dimensions, the padding of
/// boundary cells to subtract from `xg`, and the physical box's size, all
/// in coarse cells.
#[derive(Clone, Copy, Debug)]
pub(super) struct Grid {
    pub(super) ndim: usize,
    pub(super) shift: [f64; 3],
    pub(super) extent: [f64; 3],
}

impl Grid {
    pub(super) fn new(ndim: usize, coarse_lo: [usize; 3], extent: [usize; 3]) -> Grid {
        Grid {
            ndim,
            shift: coarse_lo.map(|v| v as f64),
            extent: extent.map(|v| v as f64),
        }
    }
}

/// Integer cell coordinates of the 2^ndim cells of an oct whose centre is
/// `xg` (coarse units, padding included) at `ilevel`, or an error if the
/// centre is off the grid or outside the physical box. Along the axes
/// beyond ndim the caller passes the level's cell size, which maps to 0
/// (shift 0, extent 1), so that all three axes take the same straight-line
/// code, unrolled, as in 3D.
pub(super) fn oct_origin(
    xg: [f64; 3],
    ilevel: usize,
    g: &Grid,
    top: &[f64; 3],
    path: &Path,
) -> Result<[u32; 3]> {
    let scale = (1u64 << ilevel) as f64; // cells per coarse cell at this level
    let mut c = [0u32; 3];
    for d in 0..3 {
        let (o, good) = axis_origin(xg[d], g.shift[d], scale, top[d]);
        if !good {
            return Err(inconsistent(
                path,
                format!(
                    "level {ilevel} oct centre {} (axis {d}) is not on the level grid (expected an odd multiple of 2^-{ilevel} in ({}, {}))",
                    xg[d],
                    g.shift[d],
                    g.shift[d] + g.extent[d]
                ),
            ));
        }
        c[d] = o;
    }
    Ok(c)
}

/// One axis of [`oct_origin`]: the integer origin of the oct whose centre
/// is `x` (coarse units) at `scale` cells per coarse cell, and whether the
/// centre is on the level grid inside `(shift, shift + top / scale)`.
/// Without a branch, so that [`origin_axis`] runs it over a whole level.
#[inline(always)]
pub(super) fn axis_origin(x: f64, shift: f64, scale: f64, top: f64) -> (u32, bool) {
    // Oct centres sit at odd multiples of the cell size.
    let u = (x - shift) * scale;
    // Round to nearest by adding and subtracting 1.5 × 2^52 (below 2^51 the
    // sum's ulp is 1, and its low mantissa bits are the integer):
    // `f64::round` is a libm call on baseline x86-64 and a saturating
    // `as u64` costs a dozen instructions. NaN, infinite, negative and huge
    // values fail the checks (written so that NaN fails).
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let t = u + ROUNDER;
    let odd = t - ROUNDER;
    let k = t.to_bits() & ((1 << 51) - 1);
    let good = ((u - odd).abs() <= 1e-6) & (odd >= 1.0) & (odd < top) & (k % 2 == 1);
    ((k.min(u32::MAX as u64) as u32).wrapping_sub(1), good)
}

/// The leaf flags of cell `ind` of every oct from its `son` record (raw
/// int32 in the file's byte order; 0: a leaf) into bit `ind` of `mask`,
/// every cell when `all` (the request's last level). A loop without
/// branches, for each byte order.
pub(super) fn leaf_mask<const BE: bool>(mask: &mut [u8], son: &[u8], ind: usize, all: bool) {
    let (son, _) = son.as_chunks::<4>();
    for (m, &b) in mask.iter_mut().zip(son) {
        let sn: i32 = decode(b, BE);
        *m |= ((all | (sn == 0)) as u8) << ind;
    }
}

/// Each byte value with its bit `i` moved to bit `8i`.
pub(super) const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let mut i = 0;
        while i < 8 {
            t[m] |= (((m >> i) & 1) as u64) << (8 * i);
            i += 1;
        }
        m += 1;
    }
    t
};

/// How many octs have each bit of `mask` set: the 8 counts at once, each
/// bit spread to a byte of a u64 and the bytes summed (flushed before
/// they can overflow).
pub(super) fn bit_counts(mask: &[u8]) -> [usize; 8] {
    let mut out = [0usize; 8];
    for chunk in mask.chunks(255) {
        let mut acc = 0u64;
        for &m in chunk {
            acc += SPREAD[m as usize];
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o += ((acc >> (8 * i)) & 0xff) as usize;
        }
    }
    out
}

/// The selected cells of one level of the own domain, from its oct centres
/// `xg` (ndim records of `n` reals) and `son` records (2^ndim records of
/// `n` int32, in the file's byte order `be`), with each selected oct's
/// integer origin.
#[allow(clippy::too_many_arguments)]
pub(super) fn select_level(
    path: &Path,
    ilevel: usize,
    lmax: usize,
    xg: &[RawReals],
    son: &[&[u8]],
    be: bool,
    region: Option<&([f64; 3], [f64; 3])>,
    slab: Option<&Slab>,
    grid: &Grid,
) -> Result<LevelScan> {
    let ndim = grid.ndim;
    let twotondim = 1usize << ndim;
    let n = son.first().map_or(0, |s| s.len() / 4);
    let mut level = LevelScan {
        ncache: n,
        ..LevelScan::default()
    };
    // `mask[j]` bit `ind`: cell `ind` of oct `j` is selected.
    let mut mask = vec![0u8; n];
    let dx = 0.5f64.powi(ilevel as i32);
    let leaves_here = ilevel == lmax;
    for (ind, &rec) in son.iter().enumerate().take(twotondim) {
        let b = cell_bits(ind);
        match region {
            // No region: the leaves, in a loop without branches.
            None if be => leaf_mask::<true>(&mut mask, rec, ind, leaves_here),
            None => leaf_mask::<false>(&mut mask, rec, ind, leaves_here),
            Some((lo, hi)) => {
                for (j, &c) in rec.as_chunks::<4>().0.iter().enumerate() {
                    let sn: i32 = decode(c, be);
                    if sn != 0 && !leaves_here {
                        continue;
                    }
                    // Axes beyond ndim: the cell spans the unit depth.
                    let inside = (0..ndim).all(|d| {
                        let c = xg[d].get(j) - grid.shift[d] + (b[d] as f64 - 0.5) * dx;
                        c >= lo[d] && c < hi[d]
                    });
                    if inside {
                        mask[j] |= 1 << ind;
                    }
                }
            }
        }
    }
    if let Some(slab) = slab {
        keep_near_slab(&mut mask, xg, slab, dx, grid);
    }
    level.per_ind = bit_counts(&mask);
    level.count = level.per_ind.iter().sum();
    if level.count == 0 {
        return Ok(level);
    }
    // The index lists of the partly selected cell indices.
    let partial: usize = level.per_ind.iter().filter(|&&c| c < n).sum();
    level.sel = vec![0; partial];
    let mut at = 0;
    for ind in 0..twotondim {
        let here = level.per_ind[ind];
        level.sel_at[ind] = at;
        if here < n {
            let sel = &mut level.sel[at..at + here];
            compact(&mask, ind, here, |k, j| sel[k] = j as u32);
            at += here;
        }
    }
    // Each oct's integer origin once (not once per selected cell), axis by
    // axis in a loop without branches; only the octs with a selected cell
    // must be on the grid. Axes beyond ndim: origin 0 (what `oct_origin`
    // gives for the level's cell size there).
    let top = grid.extent.map(|e| e * (1u64 << ilevel) as f64);
    let scale = (1u64 << ilevel) as f64;
    let mut on_grid = true;
    for d in 0..3 {
        let mut col = vec![0u32; n];
        if d < ndim {
            let (shift, top) = (grid.shift[d], top[d]);
            on_grid &= with_reals!(xg[d].width, xg[d].be, |N, get| {
                origin_axis::<N>(xg[d].rec, get, &mask, shift, scale, top, &mut col)
            });
        }
        level.origin[d] = col;
    }
    if !on_grid {
        // Some selected oct is off the grid: the per-oct check names it.
        for (j, &m) in mask.iter().enumerate() {
            if m != 0 {
                let x = std::array::from_fn(|d| if d < ndim { xg[d].get(j) } else { dx });
                oct_origin(x, ilevel, grid, &top, path)?;
            }
        }
        // Not reached: both checks are `axis_origin`.
        return Err(inconsistent(
            path,
            format!("level {ilevel}: an oct centre is not on the level grid"),
        ));
    }
    Ok(level)
}

/// Clears the bits of `mask` of the cells that cannot meet `slab` (see
/// [`Slab`]): an oct whose whole cube is too far goes at once, else each
/// of its selected cells is tested. Axes beyond `ndim` do not count.
fn keep_near_slab(mask: &mut [u8], xg: &[RawReals], slab: &Slab, dx: f64, grid: &Grid) {
    let ndim = grid.ndim;
    let n = slab.normal;
    let l1: f64 = n[..ndim].iter().map(|v| v.abs()).sum();
    // A cell meets the slab when its centre is within `reach`; an oct's
    // centre is `dx / 2` per axis from its cells'.
    let reach = slab.half + 0.5 * dx * l1 + 1e-9 * dx;
    let oct_reach = reach + 0.5 * dx * l1;
    for (j, m) in mask.iter_mut().enumerate() {
        if *m == 0 {
            continue;
        }
        let mut s = -slab.offset;
        for d in 0..ndim {
            s += n[d] * (xg[d].get(j) - grid.shift[d]);
        }
        if s.abs() > oct_reach {
            *m = 0;
            continue;
        }
        let mut keep = 0u8;
        for ind in 0..(1usize << ndim) {
            if *m & (1 << ind) == 0 {
                continue;
            }
            let b = cell_bits(ind);
            let mut c = s;
            for d in 0..ndim {
                c += n[d] * (b[d] as f64 - 0.5) * dx;
            }
            if c.abs() <= reach {
                keep |= 1 << ind;
            }
        }
        *m = keep;
    }
}

/// [`axis_origin`] for every oct of a level, into `out`: `false` when an
/// oct with a selected cell (`mask` not 0) is off the grid (the caller then
/// finds it with `oct_origin`, which names it).
#[inline(always)]
pub(super) fn origin_axis<const N: usize>(
    rec: &[u8],
    get: fn([u8; N]) -> f64,
    mask: &[u8],
    shift: f64,
    scale: f64,
    top: f64,
    out: &mut [u32],
) -> bool {
    let mut ok = true;
    let (vals, _) = rec.as_chunks::<N>();
    for ((o, &b), &m) in out.iter_mut().zip(vals).zip(mask) {
        let (origin, good) = axis_origin(get(b), shift, scale, top);
        ok &= good | (m == 0);
        *o = origin;
    }
    ok
}

/// Calls `put(k, j)` for the octs `j` whose cell `ind` is selected (bit
/// `ind` of `mask[j]`), `k` counting them from 0, for a destination of
/// `len` values (the number selected). Without a branch per oct: every
/// oct is put at the next free place (an unselected one is overwritten by
/// the next put), clamped to the last place, which is put again at the
/// end from the last selected oct.
#[inline(always)]
pub(super) fn compact(mask: &[u8], ind: usize, len: usize, mut put: impl FnMut(usize, usize)) {
    let Some(last) = len.checked_sub(1) else {
        return;
    };
    let mut k = 0;
    for (j, &m) in mask.iter().enumerate() {
        put(k.min(last), j);
        k += ((m >> ind) & 1) as usize;
    }
    if let Some(j) = mask.iter().rposition(|&m| (m >> ind) & 1 != 0) {
        put(last, j);
    }
}
