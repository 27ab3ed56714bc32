//! The positioned-read path of a CPU's files.
//!
//! [`Snapshot`](crate::Snapshot) reads a CPU's files with a few `pread`s
//! of the byte ranges a request needs, into one reused buffer per thread,
//! instead of mapping each file: no `mmap`/`munmap` per file (each unmap
//! of a file touched by one thread of a multi-threaded process flushes the
//! TLBs of the others), no page faults, and no contention on the process's
//! map lock. With thousands of CPU files these per-file costs dominated
//! the reads (issue 15). Each file is opened once per read, advised
//! `POSIX_FADV_RANDOM` (no read-ahead: a `pread` fetches exactly the pages
//! it covers from storage), and ranges whose pages touch are merged into
//! one read, so no page is read that no range needs.
//!
//! Of the amr file only these are read: the header records before `headl`
//! (the first page), the markers around `headl` and `taill` (tables of
//! `ncpu × nlevelmax` values that the cell walk does not need), `numbl`
//! with the records after it up to `bound_key`'s leading marker (one
//! read), `bound_key`'s trailing marker and the coarse records, and per
//! level the own domain's `xg` and `son` records. `numbl` is folded into
//! per-level sums around the own domain as it is decoded. Of a hydro,
//! gravity or rt file: its header (the first page) and per level the own
//! block's `(ilevel, ncache)` pair and the records of the requested
//! variables. A requested record whose every cell is selected and whose
//! reals are f64 in the machine's byte order is read by `preadv` straight
//! into its output column (its markers into the buffer, then checked):
//! the values are copied once, by the kernel. The `xg` and `son` records
//! are decoded where the cell walk uses them, not copied into vectors.
//!
//! Every check of the reference walk over the whole file (`walk.rs`) is
//! made here too, on what is read, and some more (every `xg` and variable
//! record must have the header's width). When one fails, or the file does
//! not have the layout assumed (a header longer than a page, bisection
//! ordering, a large coarse grid), these functions return `None` and the
//! caller runs the reference walk on a map of the file, which accepts the
//! file or names the problem (file, record and expectation).

use super::header::physical_box;
use super::header::{read_amr_head, AmrHead};
use super::offsets::{amr_blocks, amr_body_len, rec_len, var_blocks, LevelCounts, XG};
use super::request::CellRequest;
use super::scan::{CpuScan, LevelScan};
use super::select::{select_level, Grid};
use super::vars::{decode_record, read_var_head, request_slots, var_body_len, VarKind};
use crate::error::Result;
use crate::fortran::{self, decode_all, RawReals, RealWidth, Records};
use crate::pread::{with_buf, PFile, PAGE};
use std::cell::Cell;
use std::path::Path;

thread_local! {
    /// Reads on this thread that fell back to the reference walk.
    static FALLBACKS: Cell<usize> = const { Cell::new(0) };
}

/// Bytes of records read through the buffer in one go before they are
/// decoded (a variable file's level is read in groups of cell indices of
/// about this size, so that the decode finds them in the core's cache).
const GROUP: usize = 256 << 10;

/// How many file reads on the calling thread fell back to the reference
/// walk over a map of the whole file (a test hook: the valid outputs of
/// the test data must take the positioned path).
pub fn fallbacks() -> usize {
    FALLBACKS.with(|f| f.get())
}

fn note_fallback() {
    FALLBACKS.with(|f| f.set(f.get() + 1));
}

/// `Err(_)` to `None`: the reference walk names the problem.
macro_rules! ok {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(_) => return Ok(None),
        }
    };
}

/// `Ok(None)` passed on, other results unwrapped.
macro_rules! some {
    ($e:expr) => {
        match $e? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

/// The non-negative record marker at `at`, in the file's byte order.
fn marker(data: &[u8], at: usize, be: bool) -> Option<usize> {
    usize::try_from(fortran::marker(data, at, be)?).ok()
}

/// `(sum, nonzero, OR of all)` of `values`: a branch-free loop the
/// compiler vectorises.
#[inline(always)]
fn fold_counts(values: &[i32]) -> (i64, i64, i32) {
    let (mut sum, mut nonzero, mut signs) = (0i64, 0i64, 0i32);
    for &v in values {
        sum += v as i64;
        nonzero += (v != 0) as i64;
        signs |= v;
    }
    (sum, nonzero, signs)
}

/// [`fold_counts`] compiled for AVX2 (wide sign extension; the baseline
/// x86-64 build has none, and this loop runs over every `numbl` table:
/// 537 MB for 4,096 CPU files).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fold_counts_avx2(values: &[i32]) -> (i64, i64, i32) {
    fold_counts(values)
}

/// `(sum, nonzero)` of the int32 counts in `bytes`; `None` if one is
/// negative.
fn sum_counts(bytes: &[u8], be: bool) -> Option<(usize, usize)> {
    let native = be == cfg!(target_endian = "big");
    let (sum, nonzero, signs) = match bytemuck::try_cast_slice::<u8, i32>(bytes) {
        // The usual case: the counts follow two 4-byte markers in a buffer
        // from the allocator, aligned, in the machine's byte order.
        Ok(values) if native => {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                return finish(unsafe { fold_counts_avx2(values) });
            }
            fold_counts(values)
        }
        _ => {
            let v: Vec<i32> = decode_all(bytes, be).collect();
            fold_counts(&v)
        }
    };
    finish((sum, nonzero, signs))
}

/// `(sum, nonzero)`, or `None` when a value was negative.
fn finish((sum, nonzero, signs): (i64, i64, i32)) -> Option<(usize, usize)> {
    (signs >= 0).then_some((sum as usize, nonzero as usize))
}

/// Per level, the oct counts around domain `icpu`, from the raw `numbl`
/// record (`ncpu × nlevelmax` int32, CPU fastest) and `numbb` (boundary
/// domains, after the real ones), without building the table.
fn level_counts(
    numbl: &[u8],
    numbb: &[i32],
    ncpu: usize,
    nboundary: usize,
    nlevelmax: usize,
    icpu: usize,
    be: bool,
) -> Option<Vec<LevelCounts>> {
    let mut out = Vec::with_capacity(nlevelmax);
    for l in 0..nlevelmax {
        let row = &numbl[4 * l * ncpu..4 * (l + 1) * ncpu];
        let before = sum_counts(&row[..4 * (icpu - 1)], be)?;
        let (own, _) = sum_counts(&row[4 * (icpu - 1)..4 * icpu], be)?;
        let mut after = sum_counts(&row[4 * icpu..], be)?;
        for &v in &numbb[l * nboundary..(l + 1) * nboundary] {
            let v = usize::try_from(v).ok()?;
            after.0 += v;
            after.1 += (v > 0) as usize;
        }
        out.push(LevelCounts { before, own, after });
    }
    Some(out)
}

/// [`scan_amr_bytes`](super::scan_amr_bytes) by positioned reads of the
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
            grid
        ));
    }
    Ok(Some(level))
}

/// [`read_var_bytes`](super::read_var_bytes) by positioned reads of the
/// ranges it needs: `Some(gamma)` when done, `None` when the reference
/// walk must decide (`cols` may then hold some values already; the
/// reference walk writes them all).
pub(crate) fn read_var_file(
    path: &Path,
    scan: &CpuScan,
    kind: VarKind,
    wanted: &[usize],
    cols: &mut [&mut [f64]],
) -> Result<Option<Option<f64>>> {
    let f = PFile::open(path)?;
    let out = with_buf(|buf| read_var_in(&f, path, scan, kind, wanted, cols, buf))?;
    if out.is_none() {
        note_fallback();
    }
    Ok(out)
}

fn read_var_in(
    f: &PFile,
    path: &Path,
    scan: &CpuScan,
    kind: VarKind,
    wanted: &[usize],
    cols: &mut [&mut [f64]],
    buf: &mut Vec<u8>,
) -> Result<Option<Option<f64>>> {
    let h = &scan.header;
    let a = some!(f.read(path, 0, PAGE.min(f.len), buf));
    let mut r = ok!(Records::new(path, a));
    let (nvar, w, gamma) = ok!(read_var_head(&mut r, path, h, kind));
    let be = r.is_big_endian();
    let body_at = r.offset();
    if f.len != body_at + var_body_len(scan, nvar, w) {
        return Ok(None);
    }
    let slot = ok!(request_slots(path, wanted, nvar, kind.what()));
    // (file variable, column), in file order.
    let order: Vec<(usize, usize)> = slot
        .iter()
        .enumerate()
        .filter(|(_, &c)| c != usize::MAX)
        .map(|(v, &c)| (v, c))
        .collect();
    let ndom = h.ncpu + h.nboundary;
    let twotondim = 1usize << h.ndim;
    let icpu = scan.icpu;
    // Records whose every cell is selected and whose reals are f64 in the
    // machine's byte order are read straight into their column.
    let native = w == 8 && be == cfg!(target_endian = "big");
    let mut at = body_at;
    let mut k = 0;
    let mut ranges = Vec::new();
    for (l, (lev, c)) in scan.levels.iter().zip(&scan.counts).enumerate() {
        if lev.count > 0 {
            let level = VarLevel {
                k,
                ilevel: l + 1,
                twotondim,
                pair_at: at + var_blocks(c.before, icpu - 1, nvar, w, twotondim).0,
                nvar,
                w,
                be,
                native,
                order: &order,
            };
            some!(read_level_vars(
                f,
                path,
                &level,
                lev,
                cols,
                &mut ranges,
                buf
            ));
            k += lev.count;
        }
        at += var_blocks(c.total(), ndom, nvar, w, twotondim).0;
    }
    Ok(Some(gamma))
}

/// One level of a variable file as the positioned read needs it.
struct VarLevel<'o> {
    ilevel: usize,
    /// Cells per oct.
    twotondim: usize,
    /// Byte offset of the own block's `(ilevel, ncache)` pair.
    pair_at: usize,
    nvar: usize,
    /// Bytes per real.
    w: usize,
    be: bool,
    /// Whether the reals are f64 in the machine's byte order (records with
    /// every cell selected are then read straight into their column).
    native: bool,
    /// (file variable, column) of the requested variables, in file order.
    order: &'o [(usize, usize)],
    /// The level's first cell in the output columns.
    k: usize,
}

/// Reads the requested records of the own block of one level into the
/// columns `cols` from cell `k` on (the level's selected cells), checking
/// its `(ilevel, ncache)` pair and every record's markers. `None` when the
/// reference walk must decide.
fn read_level_vars(
    f: &PFile,
    path: &Path,
    v: &VarLevel,
    lev: &LevelScan,
    cols: &mut [&mut [f64]],
    ranges: &mut Vec<(usize, usize)>,
    buf: &mut Vec<u8>,
) -> Result<Option<()>> {
    let VarLevel {
        ilevel,
        twotondim,
        pair_at,
        nvar,
        w,
        be,
        native,
        order,
        k,
    } = *v;
    let n = lev.ncache;
    let data_at = pair_at + 2 * rec_len(1, 4);
    let rl = rec_len(n, w);
    let mut parts_of = cut_by_cell(cols, k, lev, twotondim);
    // The pair and the first variable record's marker, then the
    // requested records of the cells with selected cells, read in
    // groups of whole cell indices of at most `GROUP` bytes through
    // the buffer, each decoded before the next is read: the bytes
    // the kernel just copied are decoded while in the core's cache.
    let mut first = true;
    let mut ind = 0;
    while ind < twotondim {
        ranges.clear();
        let mut direct: Vec<Option<&mut [u8]>> = Vec::new();
        if first {
            ranges.push((pair_at, data_at + 4));
            direct.push(None);
        }
        let mut via_buf = 0;
        let group_start = ind;
        while ind < twotondim && (ind == group_start || via_buf < GROUP) {
            let here = lev.per_ind[ind];
            if here > 0 {
                for &(v, col) in order {
                    let s = data_at + (ind * nvar + v) * rl;
                    ranges.push((s, s + rl));
                    let straight = native && here == n;
                    if !straight {
                        via_buf += rl;
                    }
                    direct.push(straight.then(|| {
                        bytemuck::cast_slice_mut(std::mem::take(&mut parts_of[col][ind]))
                    }));
                }
            }
            ind += 1;
        }
        if ranges.is_empty() {
            continue;
        }
        let parts = some!(f.read_ranges_into(path, ranges, &mut direct, buf));
        let mut p = 0;
        if first {
            first = false;
            let mut r = Records::window(path, parts[0], be);
            let got_level = ok!(r.i32("ilevel"));
            let ncache = ok!(r.i32("ncache"));
            if usize::try_from(got_level) != Ok(ilevel) || usize::try_from(ncache) != Ok(n) {
                return Ok(None);
            }
            ok!(r.expect_len("cell variable", n * w));
            p = 1;
        }
        for (gi, &here) in lev.per_ind.iter().enumerate().take(ind).skip(group_start) {
            if here == 0 {
                continue;
            }
            for &(_, col) in order {
                let part = parts[p];
                p += 1;
                if native && here == n {
                    // Read into the column already: both markers
                    // must give the body's length.
                    let body = n * w;
                    if marker(part, 0, be) != Some(body) || marker(part, 4 + body, be) != Some(body)
                    {
                        return Ok(None);
                    }
                    continue;
                }
                let mut r = Records::window(path, part, be);
                let width = ok!(decode_record(&mut r, lev, gi, parts_of[col][gi]));
                if width.bytes() != w {
                    return Ok(None);
                }
            }
        }
    }
    Ok(Some(()))
}

/// The cells `k..k + lev.count` of each column (one level's selected
/// cells), cut by cell index: `[col][ind]` holds cell `ind`'s.
fn cut_by_cell<'c>(
    cols: &'c mut [&mut [f64]],
    k: usize,
    lev: &LevelScan,
    twotondim: usize,
) -> Vec<[&'c mut [f64]; 8]> {
    cols.iter_mut()
        .map(|col| {
            let mut rest = &mut col[k..k + lev.count];
            std::array::from_fn(|ind| {
                let here = if ind < twotondim { lev.per_ind[ind] } else { 0 };
                let (head, tail) = std::mem::take(&mut rest).split_at_mut(here);
                rest = tail;
                head
            })
        })
        .collect()
}
