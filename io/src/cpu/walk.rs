//! The reference walk: a CPU's files held whole in memory, walked record
//! by record with computed jumps over what the request does not need.
//! [`Snapshot`](crate::Snapshot) falls back to it when the positioned
//! reads find something unexpected; it accepts the file or names the
//! problem.

use super::header::{count, read_amr_header};
use super::offsets::{
    amr_blocks, amr_body_len, check_file_len, rec_len, var_blocks, LevelCounts, XG,
};
use super::request::CellRequest;
use super::scan::{CpuScan, LevelScan};
use super::select::{select_level, Grid};
use super::vars::{decode_record, read_var_head, request_slots, var_body_len, VarKind};
use crate::error::{inconsistent, Result};
use crate::fortran::{RawReals, Records};
use std::path::Path;

/// [`scan_cpu`](crate::cpu::scan_cpu) of the amr file `data` of CPU `icpu`: the reference walk
/// over the whole file in memory.
pub(crate) fn scan_amr_bytes(
    path: &Path,
    data: &[u8],
    icpu: usize,
    req: &CellRequest,
) -> Result<CpuScan> {
    let mut r = Records::new(path, data)?;
    let h = read_amr_header(&mut r, path)?;
    if icpu == 0 || icpu > h.head.ncpu {
        return Err(inconsistent(
            path,
            format!("CPU number {icpu} outside 1..={}", h.head.ncpu),
        ));
    }
    let lmax = (req.lmax as usize).min(h.head.nlevelmax);
    let w = h.head.real_width;
    let grid = Grid::new(h.head.ndim, h.coarse_lo, h.extent);
    let ndim = h.head.ndim;
    let twotondim = 1usize << ndim;
    let counts: Vec<LevelCounts> = h
        .ncache
        .iter()
        .map(|row| LevelCounts::of(row, icpu))
        .collect();
    // The file must end where the oct counts say: this validates every
    // jump below (which step over blocks without reading them) at the cost
    // of arithmetic.
    check_file_len(
        path,
        "amr",
        data.len(),
        h.body_at.0 + amr_body_len(&counts, w, ndim),
    )?;
    let mut levels: Vec<LevelScan> = Vec::with_capacity(lmax);
    for (l, c) in counts.iter().take(lmax).enumerate() {
        let ilevel = l + 1;
        let mut level = LevelScan::default();
        // Ghost octs of the domains before ours: stepped over by their
        // computed length, none of it read.
        let (bytes, records) = amr_blocks(c.before, w, ndim);
        r.jump("ghost oct blocks", bytes, records)?;
        let n = c.own;
        if n > 0 {
            r.jump("ind_grid, next, prev", 3 * rec_len(n, 4), 3)?;
            // Landing check: the first `xg` record must be where the counts
            // put it (then `reals` checks its trailing marker).
            r.expect_len("xg(:,1)", n * w)?;
            let be = r.is_big_endian();
            let xg: Vec<RawReals> = (0..ndim)
                .map(|d| {
                    r.real_record(XG[d], n)
                        .map(|(x, w)| RawReals::new(x, w, be))
                })
                .collect::<Result<_>>()?;
            r.jump("father, nbor", (1 + 2 * ndim) * rec_len(n, 4), 1 + 2 * ndim)?;
            let son: Vec<&[u8]> = (0..twotondim)
                .map(|_| r.i32_record("son", Some(n)))
                .collect::<Result<_>>()?;
            level = select_level(
                path,
                ilevel,
                lmax,
                &xg,
                &son,
                be,
                req.region.as_ref(),
                req.slab.as_ref(),
                &grid,
            )?;
            r.jump(
                "cpu_map, flag1",
                2 * twotondim * rec_len(n, 4),
                2 * twotondim,
            )?;
        }
        let (bytes, records) = amr_blocks(c.after, w, ndim);
        r.jump("ghost oct blocks", bytes, records)?;
        levels.push(level);
    }
    Ok(CpuScan {
        icpu,
        header: h.head,
        levels,
        counts,
    })
}

/// Where the own-domain blocks of a hydro or gravity file are.
pub(super) struct VarScan {
    nvar: usize,
    /// Bytes per value (8, or 4 with `NPRE=4`).
    width: usize,
    /// Per level: byte offset and record index of the block's first
    /// variable record, when cells of the level are read.
    blocks: Vec<Option<(usize, usize)>>,
}

/// Locates the own domain's blocks of a hydro or gravity file from the AMR
/// header's oct counts, without reading the other domains' blocks: every
/// block's length follows from its `ncache`, so the offsets are sums. What
/// is skipped is checked: the file must end where the counts say, and at
/// each own block that is read the `(ilevel, ncache)` pair and the first
/// variable record's marker must match.
pub(super) fn scan_vars(
    r: &mut Records,
    path: &Path,
    file_len: usize,
    scan: &CpuScan,
    nvar: usize,
    w: usize,
    what: &str,
) -> Result<VarScan> {
    let h = &scan.header;
    let ndom = h.ncpu + h.nboundary;
    let twotondim = 1usize << h.ndim;
    let icpu = scan.icpu;
    check_file_len(
        path,
        what,
        file_len,
        r.offset() + var_body_len(scan, nvar, w),
    )?;
    let mut blocks = Vec::with_capacity(scan.levels.len());
    for (l, (level, c)) in scan.levels.iter().zip(&scan.counts).enumerate() {
        let ilevel = l + 1;
        if level.count == 0 {
            // No cell of this level is read: the whole level is stepped
            // over (the file's length checks its size).
            let (bytes, records) = var_blocks(c.total(), ndom, nvar, w, twotondim);
            r.jump(&format!("{what} blocks of level {ilevel}"), bytes, records)?;
            blocks.push(None);
            continue;
        }
        let (bytes, records) = var_blocks(c.before, icpu - 1, nvar, w, twotondim);
        r.jump(
            &format!("{what} blocks of domains before {icpu}"),
            bytes,
            records,
        )?;
        let n = c.own;
        let lev = r.i32("ilevel")?;
        if lev as usize != ilevel {
            return Err(inconsistent(
                path,
                format!("{what} block for domain {icpu} says level {lev}, expected {ilevel}"),
            ));
        }
        let got = count(path, "ncache", r.i32("ncache")?)?;
        if got != n {
            return Err(inconsistent(
                path,
                format!("{what} level {ilevel} domain {icpu} has {got} octs, the amr file has {n}"),
            ));
        }
        debug_assert_eq!(n, level.ncache);
        r.expect_len("cell variable", n * w)?;
        blocks.push(Some((r.offset(), r.next_index())));
        r.jump(
            "cell variables",
            twotondim * nvar * rec_len(n, w),
            twotondim * nvar,
        )?;
        let (bytes, records) = var_blocks(c.after, ndom - icpu, nvar, w, twotondim);
        r.jump(
            &format!("{what} blocks of domains after {icpu}"),
            bytes,
            records,
        )?;
    }
    Ok(VarScan {
        nvar,
        width: w,
        blocks,
    })
}

/// Decodes the requested variables `wanted` (file indices) of one CPU's
/// hydro, gravity or rt file `data` into `cols` (one per wanted variable,
/// [`CpuScan::len`] values each): the reference walk over the whole file
/// in memory. Returns `gamma` for a hydro file.
pub(crate) fn read_var_bytes(
    path: &Path,
    data: &[u8],
    scan: &CpuScan,
    kind: VarKind,
    wanted: &[usize],
    cols: &mut [&mut [f64]],
) -> Result<Option<f64>> {
    let mut r = Records::new(path, data)?;
    let (nvar, w, gamma) = read_var_head(&mut r, path, &scan.header, kind)?;
    let vs = scan_vars(&mut r, path, data.len(), scan, nvar, w, kind.what())?;
    read_vars(data, path, scan, &vs, wanted, cols, kind.what())?;
    Ok(gamma)
}

pub(super) fn read_vars(
    data: &[u8],
    path: &Path,
    scan: &CpuScan,
    vs: &VarScan,
    wanted: &[usize],
    cols: &mut [&mut [f64]],
    what: &str,
) -> Result<()> {
    let slot = request_slots(path, wanted, vs.nvar, what)?;
    let mut r = Records::new(path, data)?;
    let mut k = 0;
    for (lev, at) in scan.levels.iter().zip(&vs.blocks) {
        if lev.count == 0 {
            continue;
        }
        let Some((offset, index)) = *at else {
            return Err(inconsistent(
                path,
                format!("{what} file has no block for the octs of the amr file"),
            ));
        };
        // A positioned read: jump to the own block, then walk its 8 × nvar
        // records in file order (cell-major, then variable).
        r.seek(offset, index);
        let n = lev.ncache;
        for ind in 0..1usize << scan.header.ndim {
            let here = lev.per_ind[ind];
            for &c in &slot {
                if c == usize::MAX || here == 0 {
                    // Not requested, or no cell of this record selected:
                    // stepped over unread.
                    r.jump("cell variable", rec_len(n, vs.width), 1)?;
                    continue;
                }
                decode_record(&mut r, lev, ind, &mut cols[c][k..k + here])?;
            }
            k += here;
        }
    }
    Ok(())
}
