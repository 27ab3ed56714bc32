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
//! Every check of the reference walk over the whole file (`cpu.rs`) is
//! made here too, on what is read, and some more (every `xg` and variable
//! record must have the header's width). When one fails, or the file does
//! not have the layout assumed (a header longer than a page, bisection
//! ordering, a large coarse grid), these functions return `None` and the
//! caller runs the reference walk on a map of the file, which accepts the
//! file or names the problem (file, record and expectation).

use super::{
    amr_blocks, amr_body_len, decode_record, physical_box, read_amr_head, read_var_head, rec_len,
    request_slots, select_level, var_blocks, var_body_len, CellRequest, CpuScan, Grid, LevelCounts,
    LevelScan, RawReals, ScanHeader, VarKind, XG,
};
use crate::error::{io_err, Result};
use crate::fortran::RealWidth;
use crate::fortran::Records;
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::path::Path;

/// Page size that reads are merged by.
const PAGE: usize = 4096;

/// Bytes of records read through the buffer in one go before they are
/// decoded (a variable file's level is read in groups of cell indices of
/// about this size, so that the decode finds them in the core's cache).
const GROUP: usize = 256 << 10;

/// A read buffer larger than this is freed after use, not kept.
const MAX_KEPT: usize = 16 << 20;

thread_local! {
    /// Reads on this thread that fell back to the reference walk.
    static FALLBACKS: Cell<usize> = const { Cell::new(0) };
    /// The read buffer of this thread.
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// How many file reads on the calling thread fell back to the reference
/// walk over a map of the whole file (a test hook: the valid outputs of
/// the test data must take the positioned path).
pub fn fallbacks() -> usize {
    FALLBACKS.with(|f| f.get())
}

fn note_fallback() {
    FALLBACKS.with(|f| f.set(f.get() + 1));
}

/// Runs `f` with this thread's read buffer (a fresh one if it is in use).
fn with_buf<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    BUF.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            let out = f(&mut buf);
            if buf.len() > MAX_KEPT {
                *buf = Vec::new();
            }
            out
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// An open file read by position.
struct PFile {
    file: File,
    len: usize,
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

impl PFile {
    fn open(path: &Path) -> Result<PFile> {
        let file = File::open(path).map_err(|e| io_err(path, e))?;
        let len = file.metadata().map_err(|e| io_err(path, e))?.len() as usize;
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: a valid descriptor owned by `file`; advice only (where
            // it is refused, reads are still correct, with read-ahead).
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
        }
        Ok(PFile { file, len })
    }

    /// Bytes `at..at + n` (which must lie in the file) into `buf`.
    fn read<'b>(
        &self,
        path: &Path,
        at: usize,
        n: usize,
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<&'b [u8]>> {
        Ok(self
            .read_ranges(path, &[(at, at + n)], buf)?
            .map(|mut v| v.remove(0)))
    }

    /// The byte ranges `ranges` (sorted by start, each inside the file),
    /// one slice each. Ranges whose pages overlap or touch are read in one
    /// `pread`, the bytes between them included: those lie on pages a
    /// range needs, so no other page is read. `None` when a range is not
    /// inside the file or the file got shorter.
    fn read_ranges<'b>(
        &self,
        path: &Path,
        ranges: &[(usize, usize)],
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<Vec<&'b [u8]>>> {
        self.read_ranges_into(path, ranges, &mut [], buf)
    }

    /// [`PFile::read_ranges`], where range `i` may name a destination
    /// `direct[i]` for its bytes between its first and last 4 (a record's
    /// body, between its markers): those bytes go there straight from the
    /// page cache (one vectored read per run, no copy through `buf`), and
    /// the range's slice then holds only its two markers where they are
    /// (the bytes between are stale). `direct` is empty or one entry per
    /// range; a destination must be exactly the body's length and its
    /// body overlap no other range (else `None`).
    fn read_ranges_into<'b>(
        &self,
        path: &Path,
        ranges: &[(usize, usize)],
        direct: &mut [Option<&mut [u8]>],
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<Vec<&'b [u8]>>> {
        // (start, end, offset in buf, first range, end of its ranges) of
        // each read.
        let mut runs: Vec<(usize, usize, usize, usize, usize)> = Vec::with_capacity(ranges.len());
        let mut total = 0;
        for (i, &(s, e)) in ranges.iter().enumerate() {
            if s >= e || e > self.len {
                return Ok(None);
            }
            if let Some(last) = runs.last_mut() {
                if s < last.0 {
                    return Ok(None);
                }
                if s / PAGE <= (last.1 - 1) / PAGE + 1 {
                    if e > last.1 {
                        total += e - last.1;
                        last.1 = e;
                    }
                    last.4 = i + 1;
                    continue;
                }
            }
            runs.push((s, e, total, i, i + 1));
            total += e - s;
        }
        if buf.len() < total {
            buf.resize(total, 0);
        }
        let mut rest: &mut [u8] = &mut buf[..total];
        let mut iov: Vec<std::io::IoSliceMut> = Vec::new();
        for &(rs, re, _, first, end) in &runs {
            // The run's bytes in file order: into `buf` (at the run's
            // offset, as if read whole), except the direct bodies.
            iov.clear();
            let mut at = rs; // file offset up to which `iov` reaches
            let mut reach = rs; // end of the ranges seen so far
            for (i, &(s, e)) in ranges.iter().enumerate().take(end).skip(first) {
                if s < at {
                    // Starts inside a direct body.
                    return Ok(None);
                }
                if let Some(dst) = direct.get_mut(i).and_then(Option::take) {
                    if e - s < 8 || dst.len() != e - s - 8 || reach > s + 4 {
                        return Ok(None);
                    }
                    let (scratch, tail) = std::mem::take(&mut rest).split_at_mut(s + 4 - at);
                    let (_, tail) = tail.split_at_mut(dst.len());
                    rest = tail;
                    iov.push(std::io::IoSliceMut::new(scratch));
                    iov.push(std::io::IoSliceMut::new(dst));
                    at = e - 4;
                }
                reach = reach.max(e);
            }
            let (scratch, tail) = std::mem::take(&mut rest).split_at_mut(re - at);
            rest = tail;
            iov.push(std::io::IoSliceMut::new(scratch));
            match read_vectored_exact_at(&self.file, &mut iov, rs as u64) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(err) => return Err(io_err(path, err)),
            }
        }
        drop(iov);
        let buf: &'b [u8] = buf;
        let mut out = Vec::with_capacity(ranges.len());
        let mut ri = 0;
        for &(s, e) in ranges {
            loop {
                let Some(&(rs, re, ..)) = runs.get(ri) else {
                    return Ok(None);
                };
                if rs <= s && e <= re {
                    break;
                }
                ri += 1;
            }
            let (rs, _, o, ..) = runs[ri];
            out.push(&buf[o + (s - rs)..o + (e - rs)]);
        }
        Ok(Some(out))
    }
}

/// Fills `bufs` in order from the file's bytes at `at` on (`preadv`, in
/// batches of at most `IOV_MAX` slices, repeated after short reads).
#[cfg(target_os = "linux")]
fn read_vectored_exact_at(
    file: &File,
    mut bufs: &mut [std::io::IoSliceMut],
    mut at: u64,
) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    const IOV_MAX: usize = 1024;
    while bufs.iter().any(|b| !b.is_empty()) {
        let k = bufs.len().min(IOV_MAX);
        // SAFETY: `IoSliceMut` is ABI-compatible with `iovec` on Unix; the
        // first `k` slices are valid, writable and not aliased for the
        // call (they borrow `bufs` mutably); the descriptor is `file`'s.
        let got = unsafe {
            libc::preadv(
                file.as_raw_fd(),
                bufs.as_ptr() as *const libc::iovec,
                k as libc::c_int,
                at as libc::off_t,
            )
        };
        if got < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        at += got as u64;
        std::io::IoSliceMut::advance_slices(&mut bufs, got as usize);
    }
    Ok(())
}

/// [`read_vectored_exact_at`] one slice at a time.
#[cfg(not(target_os = "linux"))]
fn read_vectored_exact_at(
    file: &File,
    bufs: &mut [std::io::IoSliceMut],
    mut at: u64,
) -> std::io::Result<()> {
    for b in bufs.iter_mut() {
        read_exact_at(file, b, at)?;
        at += b.len() as u64;
    }
    Ok(())
}

#[cfg(all(unix, not(target_os = "linux")))]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_exact_at(_file: &File, _buf: &mut [u8], _at: u64) -> std::io::Result<()> {
    // No positioned reads here: every file takes the reference walk.
    Err(std::io::ErrorKind::UnexpectedEof.into())
}

/// The non-negative record marker at `at`, in the file's byte order.
fn marker(data: &[u8], at: usize, be: bool) -> Option<usize> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    let v = if be {
        i32::from_be_bytes(b)
    } else {
        i32::from_le_bytes(b)
    };
    usize::try_from(v).ok()
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
            let v: Vec<i32> = bytes
                .chunks_exact(4)
                .map(|c| {
                    let b = [c[0], c[1], c[2], c[3]];
                    if be {
                        i32::from_be_bytes(b)
                    } else {
                        i32::from_le_bytes(b)
                    }
                })
                .collect();
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
    let w = head.real_width;
    if f.len != body_at + amr_body_len(&counts, w, ndim) {
        return Ok(None);
    }
    let grid = Grid::new(ndim, coarse_lo, extent);
    let lmax = (req.lmax as usize).min(nlevelmax);
    let twotondim = 1usize << ndim;
    let mut levels = Vec::with_capacity(lmax);
    let mut at = body_at;
    for (l, c) in counts.iter().take(lmax).enumerate() {
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
                l + 1,
                lmax,
                &xg[..ndim],
                &son[..twotondim],
                be,
                req.region.as_ref(),
                &grid
            ));
        }
        levels.push(level);
        at += amr_blocks(c.total(), w, ndim).0;
    }
    Ok(Some(CpuScan {
        icpu,
        header: ScanHeader {
            ncpu,
            ndim,
            nlevelmax,
            nboundary,
            real_width: w,
        },
        levels,
        counts,
    }))
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
            let n = lev.ncache;
            let pair_at = at + var_blocks(c.before, icpu - 1, nvar, w, twotondim).0;
            let data_at = pair_at + 2 * rec_len(1, 4);
            let rl = rec_len(n, w);
            // Each requested column's cells of this level, cut by cell
            // index.
            let mut parts_of: Vec<[&mut [f64]; 8]> = cols
                .iter_mut()
                .map(|col| {
                    let mut rest = &mut col[k..k + lev.count];
                    std::array::from_fn(|ind| {
                        let here = if ind < twotondim { lev.per_ind[ind] } else { 0 };
                        let (head, tail) = std::mem::take(&mut rest).split_at_mut(here);
                        rest = tail;
                        head
                    })
                })
                .collect();
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
                        for &(v, col) in &order {
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
                let parts = some!(f.read_ranges_into(path, &ranges, &mut direct, buf));
                let mut p = 0;
                if first {
                    first = false;
                    let mut r = Records::window(path, parts[0], be);
                    let ilevel = ok!(r.i32("ilevel"));
                    let ncache = ok!(r.i32("ncache"));
                    if usize::try_from(ilevel) != Ok(l + 1) || usize::try_from(ncache) != Ok(n) {
                        return Ok(None);
                    }
                    ok!(r.expect_len("cell variable", n * w));
                    p = 1;
                }
                for (gi, &here) in lev.per_ind.iter().enumerate().take(ind).skip(group_start) {
                    if here == 0 {
                        continue;
                    }
                    for &(_, col) in &order {
                        let part = parts[p];
                        p += 1;
                        if native && here == n {
                            // Read into the column already: both markers
                            // must give the body's length.
                            let body = n * w;
                            if marker(part, 0, be) != Some(body)
                                || marker(part, 4 + body, be) != Some(body)
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
            k += lev.count;
        }
        at += var_blocks(c.total(), ndom, nvar, w, twotondim).0;
    }
    Ok(Some(gamma))
}

/// Runs `f` on the first `n` bytes of the file at `path` (all of it if it
/// is shorter), read by position: a header, without read-ahead.
pub(crate) fn with_head<T>(path: &Path, n: usize, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
    with_head_len(path, n, |head, _| f(head))
}

/// [`with_head`], also passing `f` the file's length (the head is the
/// whole file when that is at most `n`).
pub(crate) fn with_head_len<T>(
    path: &Path,
    n: usize,
    f: impl FnOnce(&[u8], usize) -> T,
) -> Result<T> {
    let file = PFile::open(path)?;
    with_buf(|buf| {
        let n = n.min(file.len);
        if n == 0 {
            return Ok(f(&[], file.len));
        }
        match file.read(path, 0, n, buf)? {
            Some(head) => Ok(f(head, file.len)),
            // The file got shorter meanwhile: read what is left.
            None => Ok(f(&[], usize::MAX)),
        }
    })
}

/// Runs `f` on the whole file at `path`, read by position into this
/// thread's buffer, when it is at most `max` bytes; else hands `arg`
/// back (`Err`), for the caller to map the file.
pub(crate) fn with_whole<T, U>(
    path: &Path,
    max: usize,
    arg: U,
    f: impl FnOnce(&[u8], U) -> T,
) -> Result<std::result::Result<T, U>> {
    let file = PFile::open(path)?;
    if file.len > max {
        return Ok(Err(arg));
    }
    with_buf(|buf| {
        if file.len == 0 {
            return Ok(Ok(f(&[], arg)));
        }
        match file.read(path, 0, file.len, buf)? {
            Some(data) => Ok(Ok(f(data, arg))),
            None => Ok(Err(arg)),
        }
    })
}
