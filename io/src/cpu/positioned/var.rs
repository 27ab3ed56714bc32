//! The positioned read of a hydro, gravity or rt file: its header and,
//! per level, the own block's records of the requested variables, in
//! groups of cell indices that fit the core's cache; whole f64 records
//! in the machine's byte order go straight into their output column.

use super::{marker, note_fallback};
use crate::cpu::offsets::{rec_len, var_blocks};
use crate::cpu::scan::{CpuScan, LevelScan};
use crate::cpu::vars::{decode_record, read_var_head, request_slots, var_body_len, VarKind};
use crate::error::Result;
use crate::fortran::Records;
use crate::pread::{with_buf, PFile, PAGE};
use std::path::Path;

/// Bytes of records read through the buffer in one go before they are
/// decoded (a variable file's level is read in groups of cell indices of
/// about this size, so that the decode finds them in the core's cache).
const GROUP: usize = 256 << 10;

/// [`read_var_bytes`](crate::cpu::read_var_bytes) by positioned reads of the
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
