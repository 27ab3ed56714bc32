//! The positioned read of a hydro, gravity or rt file: its header and,
//! per level, the own block's records of the requested variables, in
//! groups of cell indices that fit the core's cache; whole f64 records
//! in the machine's byte order go straight into their output column.
//!
//! The values go either into the caller's columns of the whole file
//! ([`read_var_file`]) or, a group at a time, into small reused columns
//! handed to the caller after each group ([`stream_var_file`]): a
//! reduction then sums each group while the core still holds it, and no
//! column of the whole file is ever written (issue 30: the first touch
//! of those columns and their second pass through memory were a third
//! of `stats`).

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

/// A group of cells a streamed read hands over: cells `first..first +
/// len` of the file's table order (level, cell index, oct), all of level
/// `level` (1-based), the requested variables' values in the first `len`
/// entries of each column, in request order.
#[derive(Clone, Copy, Debug)]
pub struct CellGroup<'a> {
    /// The cells' level (1-based, as RAMSES counts).
    pub level: u8,
    /// The group's first cell in the file's table order.
    pub first: usize,
    /// Cells in the group.
    pub len: usize,
    /// One column per requested variable, in request order (at least
    /// `len` values each; the first `len` are the group's).
    pub columns: &'a [Vec<f64>],
}

/// Where a level's decoded values go.
enum Dest<'d, 'c> {
    /// Into the whole file's columns (cells `k..` of each).
    Columns(&'d mut [&'c mut [f64]]),
    /// Into `scratch`, a group of cell indices at a time, each group then
    /// handed to `on_group`.
    Groups {
        scratch: &'d mut Vec<Vec<f64>>,
        on_group: &'d mut dyn FnMut(CellGroup),
    },
}

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
    let mut dest = Dest::Columns(cols);
    let out = with_buf(|buf| read_var_in(&f, path, scan, kind, wanted, &mut dest, buf))?;
    if out.is_none() {
        note_fallback();
    }
    Ok(out)
}

/// [`read_var_file`] a group of cell indices at a time: the requested
/// variables of each group decoded into `scratch` (one column per
/// variable, grown to the largest group and reused) and handed to
/// `on_group`, groups in table order. `None` when the reference walk must
/// decide; some groups may have been handed over by then.
pub(crate) fn stream_var_file(
    path: &Path,
    scan: &CpuScan,
    kind: VarKind,
    wanted: &[usize],
    scratch: &mut Vec<Vec<f64>>,
    on_group: &mut dyn FnMut(CellGroup),
) -> Result<Option<Option<f64>>> {
    let f = PFile::open(path)?;
    scratch.resize_with(wanted.len(), Vec::new);
    let mut dest = Dest::Groups { scratch, on_group };
    let out = with_buf(|buf| read_var_in(&f, path, scan, kind, wanted, &mut dest, buf))?;
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
    dest: &mut Dest,
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
                dest,
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

/// Reads the requested records of the own block of one level into
/// `dest` (the whole file's columns from cell `k` on, the level's selected
/// cells, or a group at a time), checking its `(ilevel, ncache)` pair and
/// every record's markers. `None` when the reference walk must decide.
fn read_level_vars(
    f: &PFile,
    path: &Path,
    v: &VarLevel,
    lev: &LevelScan,
    dest: &mut Dest,
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
    let streaming = matches!(dest, Dest::Groups { .. });
    // The pair and the first variable record's marker, then the
    // requested records of the cells with selected cells, read in
    // groups of whole cell indices of at most `GROUP` bytes through
    // the buffer (streaming: at most `GROUP` bytes in all), each decoded
    // before the next is read: the bytes the kernel just copied are
    // decoded while in the core's cache.
    let mut first = true;
    let mut ind = 0;
    // The level's selected cells before the group.
    let mut before = 0;
    while ind < twotondim {
        let group_start = ind;
        let mut via_buf = 0;
        while ind < twotondim && (ind == group_start || via_buf < GROUP) {
            let here = lev.per_ind[ind];
            if here > 0 && (streaming || !(native && here == n)) {
                via_buf += rl * order.len();
            }
            ind += 1;
        }
        let group = group_start..ind;
        let cells: usize = lev.per_ind[group.clone()].iter().sum();
        let mut parts_of = match dest {
            Dest::Columns(cols) => cut_group(
                cols.iter_mut()
                    .map(|c| &mut c[k + before..k + before + cells]),
                lev,
                group.clone(),
            ),
            Dest::Groups { scratch, .. } => cut_group(
                scratch.iter_mut().map(|c| {
                    if c.len() < cells {
                        c.resize(cells, 0.0);
                    }
                    &mut c[..cells]
                }),
                lev,
                group.clone(),
            ),
        };
        ranges.clear();
        let mut direct: Vec<Option<&mut [u8]>> = Vec::new();
        if first {
            ranges.push((pair_at, data_at + 4));
            direct.push(None);
        }
        for gi in group.clone() {
            let here = lev.per_ind[gi];
            if here == 0 {
                continue;
            }
            for &(v, col) in order {
                let s = data_at + (gi * nvar + v) * rl;
                ranges.push((s, s + rl));
                let straight = native && here == n;
                direct.push(
                    straight
                        .then(|| bytemuck::cast_slice_mut(std::mem::take(&mut parts_of[col][gi]))),
                );
            }
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
        for gi in group {
            let here = lev.per_ind[gi];
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
        drop(parts);
        drop(direct);
        drop(parts_of);
        if let Dest::Groups { scratch, on_group } = dest {
            if cells > 0 {
                on_group(CellGroup {
                    level: ilevel as u8,
                    first: k + before,
                    len: cells,
                    columns: scratch,
                });
            }
        }
        before += cells;
    }
    Ok(Some(()))
}

/// A group's cells of each column (`cols`, each exactly the group's
/// selected cells), cut by cell index: `[col][ind]` holds cell `ind`'s
/// (empty outside `group`).
fn cut_group<'c>(
    cols: impl Iterator<Item = &'c mut [f64]>,
    lev: &LevelScan,
    group: std::ops::Range<usize>,
) -> Vec<[&'c mut [f64]; 8]> {
    cols.map(|col| {
        let mut rest = col;
        std::array::from_fn(|ind| {
            let here = if group.contains(&ind) {
                lev.per_ind[ind]
            } else {
                0
            };
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(here);
            rest = tail;
            head
        })
    })
    .collect()
}
