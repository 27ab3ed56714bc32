//! The positioned scan of an amr file: the header records, `numbl`
//! folded per level, the coarse grid, and per level the own domain's
//! `xg` and `son` records, read by a few `pread`s.

use super::counts::level_counts;
use super::{marker, note_fallback};
use crate::cpu::header::physical_box;
use crate::cpu::header::{read_amr_head, AmrHead};
use crate::cpu::offsets::{amr_blocks, amr_body_len, rec_len, LevelCounts, XG};
use crate::cpu::request::CellRequest;
use crate::cpu::scan::{CpuScan, LevelScan};
use crate::cpu::select::{select_level, Grid};
use crate::error::Result;
use crate::fortran::{RawReals, RealWidth, Records};
use crate::pread::{with_buf, PFile, PAGE};
use std::path::Path;

/// [`scan_amr_bytes`](crate::cpu::scan_amr_bytes) by positioned reads of the
/// ranges it needs; `None` when the reference walk must decide.
pub(crate) fn scan_amr(path: &Path, icpu: usize, req: &CellRequest) -> Result<Option<CpuScan>> {
    let f = PFile::open(path)?;
    let out = with_buf(|buf| scan_amr_in(&f, path, icpu, req, buf))?;
    if out.is_none() {
        note_fallback();
    }
    Ok(out)
}

fn scan_amr_in(
    f: &PFile,
    path: &Path,
    icpu: usize,
    req: &CellRequest,
    buf: &mut Vec<u8>,
) -> Result<Option<CpuScan>> {
    let AmrLayout {
        head,
        be,
        counts,
        grid,
        body_at,
    } = some!(amr_layout(f, path, icpu, buf));
    let (w, ndim) = (head.real_width, head.ndim);
    let lmax = (req.lmax as usize).min(head.nlevelmax);
    let mut levels = Vec::with_capacity(lmax);
    let mut at = body_at;
    for (l, c) in counts.iter().take(lmax).enumerate() {
        let own = OwnLevel {
            at,
            counts: c,
            ilevel: l + 1,
            lmax,
            be,
            w,
        };
        levels.push(some!(scan_own_level(f, path, &own, &head, req, &grid, buf)));
        at += amr_blocks(c.total(), w, ndim).0;
    }
    Ok(Some(CpuScan {
        icpu,
        header: head,
        levels,
        counts,
    }))
}

/// What the amr file's header gives the positioned scan: the first
/// records, the byte order, the oct counts around the own domain, the
/// coarse geometry and where the tree body starts.
struct AmrLayout {
    head: AmrHead,
    be: bool,
    counts: Vec<LevelCounts>,
    grid: Grid,
    body_at: usize,
}

/// Reads the amr header of CPU `icpu` by positioned reads: the records
/// before `headl` (the first page), the markers around `headl` and
/// `taill`, `numbl` up to `bound_key`'s leading marker, and the coarse
/// records. `None` when the reference walk must decide.
fn amr_layout(f: &PFile, path: &Path, icpu: usize, buf: &mut Vec<u8>) -> Result<Option<AmrLayout>> {
    // Records 1 to 19, before `headl`: within the first page unless the
    // run lists hundreds of output times.
    let a = some!(f.read(path, 0, PAGE.min(f.len), buf));
    let mut r = ok!(Records::new(path, a));
    let head = ok!(read_amr_head(&mut r, path));
    let be = r.is_big_endian();
    let (ncpu, ndim, nlevelmax, nboundary) = (head.ncpu, head.ndim, head.nlevelmax, head.nboundary);
    if icpu == 0 || icpu > ncpu {
        return Ok(None);
    }
    // `headl` and `taill`: stepped over by their markers (their trailing
    // marker and the next leading one sit side by side).
    let headl_at = r.offset();
    let Some(headl) = marker(a, headl_at, be) else {
        return Ok(None);
    };
    let m_at = headl_at + 4 + headl;
    let m = some!(f.read(path, m_at, 8, buf));
    let (Some(headl_tail), Some(taill)) = (marker(m, 0, be), marker(m, 4, be)) else {
        return Ok(None);
    };
    if headl_tail != headl {
        return Ok(None);
    }
    // From `taill`'s trailing marker: numbl, numbtot (10 × nlevelmax),
    // the boundary tables, `headf, …` (5 int32), `ordering` (128
    // characters) and `bound_key`'s leading marker; read to the end of the
    // last page (no page more), so that a slightly different layout still
    // fits.
    let b_at = m_at + 8 + taill;
    let boundary = if nboundary > 0 {
        3 * (4 * nboundary * nlevelmax + 8)
    } else {
        0
    };
    let b_len = 4 + (4 * ncpu * nlevelmax + 8) + (40 * nlevelmax + 8) + boundary + 28 + 136 + 4;
    let b_end = (b_at + b_len).div_ceil(PAGE) * PAGE;
    let b = some!(f.read(path, b_at, b_end.min(f.len).saturating_sub(b_at), buf));
    if marker(b, 0, be) != Some(taill) {
        return Ok(None);
    }
    let b = &b[4..];
    let mut r = Records::window(path, b, be);
    let numbl = ok!(r.fixed("numbl", ncpu * nlevelmax, 4));
    ok!(r.skip("numbtot"));
    let numbb = if nboundary > 0 {
        ok!(r.skip("headb"));
        ok!(r.skip("tailb"));
        ok!(r.i32s("numbb", Some(nboundary * nlevelmax)))
    } else {
        Vec::new()
    };
    ok!(r.skip("headf, tailf, numbf, used_mem, used_mem_tot"));
    let ordering = ok!(r.next("ordering"));
    if String::from_utf8_lossy(ordering).trim() == "bisection" {
        // The bisection tables follow: the reference walk reads them.
        return Ok(None);
    }
    let keys_rel = r.offset();
    let Some(keys) = marker(b, keys_rel, be) else {
        return Ok(None);
    };
    if keys != 8 * (ncpu + 1) && keys != 16 * (ncpu + 1) {
        return Ok(None);
    }
    let Some(counts) = level_counts(numbl, &numbb, ncpu, nboundary, nlevelmax, icpu, be) else {
        return Ok(None);
    };
    // `bound_key` is not needed for the cells (only file 1's, for regions):
    // its trailing marker, then the coarse son, flag1 and cpu_map records.
    let c_at = b_at + 4 + keys_rel + 4 + keys;
    let ncoarse: usize = head.nx.iter().product();
    if ncoarse > 1 << 16 {
        return Ok(None);
    }
    let c = some!(f.read(path, c_at, 4 + 3 * (4 * ncoarse + 8), buf));
    if marker(c, 0, be) != Some(keys) {
        return Ok(None);
    }
    let mut r = Records::window(path, &c[4..], be);
    ok!(r.skip("coarse son"));
    ok!(r.skip("coarse flag1"));
    let cpu_map = ok!(r.i32s("coarse cpu_map", Some(ncoarse)));
    let (coarse_lo, extent) = ok!(physical_box(path, head.nx, &cpu_map, ncpu));
    let body_at = c_at + 4 + r.offset();
    if f.len != body_at + amr_body_len(&counts, head.real_width, ndim) {
        return Ok(None);
    }
    Ok(Some(AmrLayout {
        head,
        be,
        counts,
        grid: Grid::new(ndim, coarse_lo, extent),
        body_at,
    }))
}

/// Where one level's blocks start in the amr file and what the scan of
/// its own block needs.
struct OwnLevel<'c> {
    /// Byte offset of the level's first block.
    at: usize,
    counts: &'c LevelCounts,
    ilevel: usize,
    lmax: usize,
    be: bool,
    /// Bytes per real.
    w: usize,
}

/// The selected cells of the own block of one level: its `xg` and `son`
/// records read by position and decoded where the cell walk uses them.
/// `None` when the reference walk must decide.
fn scan_own_level(
    f: &PFile,
    path: &Path,
    own: &OwnLevel,
    head: &AmrHead,
    req: &CellRequest,
    grid: &Grid,
    buf: &mut Vec<u8>,
) -> Result<Option<LevelScan>> {
    let OwnLevel {
        at,
        counts: c,
        ilevel,
        lmax,
        be,
        w,
    } = *own;
    let ndim = head.ndim;
    let twotondim = 1usize << ndim;
    let n = c.own;
    let mut level = LevelScan::default();
    if n > 0 {
        // The own block: ind_grid, next, prev, xg × ndim, father,
        // nbor × 2·ndim, son × 2^ndim, …: xg and son are read.
        let xg_at = at + amr_blocks(c.before, w, ndim).0 + 3 * rec_len(n, 4);
        let xg_end = xg_at + ndim * rec_len(n, w);
        let son_at = xg_end + (1 + 2 * ndim) * rec_len(n, 4);
        let son_end = son_at + twotondim * rec_len(n, 4);
        let parts = some!(f.read_ranges(path, &[(xg_at, xg_end), (son_at, son_end)], buf));
        // The records are decoded where the cell walk uses them, not
        // copied into vectors.
        let mut r = Records::window(path, parts[0], be);
        let mut xg = [RawReals::new(&[], RealWidth::F64, be); 3];
        for (x, name) in xg.iter_mut().zip(&XG[..ndim]) {
            ok!(r.expect_len(name, n * w));
            let (rec, width) = ok!(r.real_record(name, n));
            *x = RawReals::new(rec, width, be);
        }
        let mut r = Records::window(path, parts[1], be);
        let mut son: [&[u8]; 8] = [&[]; 8];
        for s in &mut son[..twotondim] {
            *s = ok!(r.i32_record("son", Some(n)));
        }
        level = ok!(select_level(
            path,
            ilevel,
            lmax,
            &xg[..ndim],
            &son[..twotondim],
            be,
            req.region.as_ref(),
            req.slab.as_ref(),
            grid
        ));
    }
    Ok(Some(level))
}
