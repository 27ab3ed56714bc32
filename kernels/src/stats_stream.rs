//! `stats`' block partials taken while each CPU file is read, a group of
//! cells at a time, without the file's columns.
//!
//! Why: reducing a table of one file per worker (issue 30) still wrote
//! every column of the file (tens of MB a worker, faulted in on first use)
//! and read it all back for the sums, through memory: a third of `stats`
//! on a 1.6 GB output. Here the reader hands over each group of cells it
//! has just decoded ([`Snapshot::stream_cpu`]: at most 256 KiB of records,
//! still in the core's cache) and the sums take it at once; of the file
//! only its densities are kept (the mass weights of the gravity variables,
//! whose file comes after the hydro file).
//!
//! The figures are the same bits as [`stats_partials_many`] on the file's
//! table. Groups come in table order (level, cell index, oct), each cell
//! goes to lane `k % LANES` of block `k / SUM_BLOCK`, `k` its index in the
//! file — the lane and the block the table gives it, since blocks start at
//! multiples of `SUM_BLOCK` — every lane adds its cells in order with the
//! same operations (the cell volume is the table's per-level value), and a
//! block is closed where the table's ends. The non-finite count: a NaN or
//! ±∞ value leaves its lane of Σ q·V non-finite for good, so the groups
//! that end with every lane finite hold none, and counting the values of
//! the groups after which some lane is not finite counts every one of them
//! whenever the table's rule (count when some lane is not finite) counts.
//!
//! [`stats_partials_many`]: crate::sums::stats_partials_many

use crate::error::Result;
use crate::exec::Exec;
use crate::load::{cell_request, cpus_for, load_components_reusing, Components};
use crate::select::Selection;
use crate::summary::StatsParts;
use crate::sums::{lanes_sum, level_volumes, StatsPartial, LANES, SUM_BLOCK};
use crate::table::CellTable;
use crate::units::Units;
use amrkit_io::{CellGroup, CellRequest, CpuScan, Snapshot, VarKind};
use std::sync::Mutex;

/// One variable's figures over the cells of the current block so far.
#[derive(Clone, Copy)]
struct Lanes {
    mn: [f64; LANES],
    mx: [f64; LANES],
    qv: [f64; LANES],
    qm: [f64; LANES],
    /// Non-finite values of the groups after which a lane of Σ q·V was
    /// not finite.
    nonfinite: f64,
}

impl Lanes {
    const EMPTY: Lanes = Lanes {
        mn: [f64::INFINITY; LANES],
        mx: [f64::NEG_INFINITY; LANES],
        qv: [0.0; LANES],
        qm: [0.0; LANES],
        nonfinite: 0.0,
    };

    /// Cells of one block in order, values `q`, densities `rho`, volume
    /// `dv` each, the first one in lane `lane`.
    fn add(&mut self, lane: usize, q: &[f64], rho: &[f64], dv: f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { self.add_avx2(lane, q, rho, dv) };
            return;
        }
        self.add_any(lane, q, rho, dv);
    }

    /// [`Lanes::add`] compiled for AVX2: the four lanes of each figure in
    /// one register (the baseline x86-64 build has two-wide vectors). The
    /// same operations on each lane, so the same bits (no fused
    /// multiply-add: Rust never contracts `a * b + c`).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_avx2(&mut self, lane: usize, q: &[f64], rho: &[f64], dv: f64) {
        self.add_any(lane, q, rho, dv);
    }

    #[inline(always)]
    fn add_any(&mut self, lane: usize, q: &[f64], rho: &[f64], dv: f64) {
        // On copies the compiler keeps in registers (as `block_moments`).
        let (mut mn, mut mx, mut qv, mut qm) = (self.mn, self.mx, self.qv, self.qm);
        #[inline(always)]
        fn one(l: (&mut f64, &mut f64, &mut f64, &mut f64), q: f64, r: f64, dv: f64) {
            let (mn, mx, qv, qm) = l;
            *mn = if q < *mn { q } else { *mn };
            *mx = if q > *mx { q } else { *mx };
            *qv += q * dv;
            *qm += q * (r * dv);
        }
        let n = q.len().min(rho.len());
        let (q, rho) = (&q[..n], &rho[..n]);
        let head = ((LANES - lane % LANES) % LANES).min(n);
        for k in 0..head {
            let i = lane + k;
            one(
                (&mut mn[i], &mut mx[i], &mut qv[i], &mut qm[i]),
                q[k],
                rho[k],
                dv,
            );
        }
        let (qb, rb) = (&q[head..], &rho[head..]);
        let whole = qb.len() / LANES * LANES;
        for (qc, rc) in qb[..whole]
            .chunks_exact(LANES)
            .zip(rb[..whole].chunks_exact(LANES))
        {
            for i in 0..LANES {
                one(
                    (&mut mn[i], &mut mx[i], &mut qv[i], &mut qm[i]),
                    qc[i],
                    rc[i],
                    dv,
                );
            }
        }
        for k in whole..qb.len() {
            let i = k - whole;
            one(
                (&mut mn[i], &mut mx[i], &mut qv[i], &mut qm[i]),
                qb[k],
                rb[k],
                dv,
            );
        }
        (self.mn, self.mx, self.qv, self.qm) = (mn, mx, qv, qm);
        if !qv.iter().all(|s| s.is_finite()) {
            self.nonfinite += q.iter().filter(|x| !x.is_finite()).count() as f64;
        }
    }

    /// The block's partial (its `v` and `m` are the block's volume lanes').
    fn partial(&self, v: f64, m: f64) -> StatsPartial {
        let pick = |l: [f64; LANES], f: fn(f64, f64) -> f64| f(f(l[0], l[1]), f(l[2], l[3]));
        let finite = self.qv.iter().all(|s| s.is_finite());
        StatsPartial {
            min: pick(self.mn, f64::min),
            max: pick(self.mx, f64::max),
            qv: lanes_sum(self.qv),
            v,
            qm: lanes_sum(self.qm),
            m,
            nonfinite: if finite { 0.0 } else { self.nonfinite },
        }
    }
}

/// Σ V and Σ ρ·V of the current block so far, in lanes.
#[derive(Clone, Copy, Default)]
struct VolumeLanes {
    v: [f64; LANES],
    m: [f64; LANES],
}

impl VolumeLanes {
    /// As [`Lanes::add`], for the densities alone.
    fn add(&mut self, lane: usize, rho: &[f64], dv: f64) {
        let (mut v, mut m) = (self.v, self.m);
        let head = ((LANES - lane % LANES) % LANES).min(rho.len());
        for (k, &r) in rho[..head].iter().enumerate() {
            v[lane + k] += dv;
            m[lane + k] += r * dv;
        }
        let rest = &rho[head..];
        let whole = rest.len() / LANES * LANES;
        for rc in rest[..whole].chunks_exact(LANES) {
            for i in 0..LANES {
                v[i] += dv;
                m[i] += rc[i] * dv;
            }
        }
        for (i, &r) in rest[whole..].iter().enumerate() {
            v[i] += dv;
            m[i] += r * dv;
        }
        (self.v, self.m) = (v, m);
    }
}

/// Calls `f(offset, len, new_block)` for each piece of the cells
/// `first..first + len` of a file that lies in one block, in order;
/// `new_block` when the piece starts a block after the first.
fn by_block(first: usize, len: usize, mut f: impl FnMut(usize, usize, bool)) {
    let mut at = first;
    while at < first + len {
        let end = (first + len).min((at / SUM_BLOCK + 1) * SUM_BLOCK);
        f(at - first, end - at, at > 0 && at.is_multiple_of(SUM_BLOCK));
        at = end;
    }
}

/// The block partials of one file being summed.
struct FileSums {
    /// Per variable: the partials of the blocks closed, the current
    /// block's lanes, the cells taken so far.
    done: Vec<Vec<StatsPartial>>,
    lanes: Vec<Lanes>,
    taken: Vec<usize>,
    /// Per block closed: (Σ V, Σ ρ·V); the current block's lanes; cells.
    volumes: Vec<(f64, f64)>,
    vol: VolumeLanes,
    vol_taken: usize,
}

impl FileSums {
    fn new(nvars: usize) -> FileSums {
        FileSums {
            done: vec![Vec::new(); nvars],
            lanes: vec![Lanes::EMPTY; nvars],
            taken: vec![0; nvars],
            volumes: Vec::new(),
            vol: VolumeLanes::default(),
            vol_taken: 0,
        }
    }

    /// Cells `first..` of variable `j` (values `q`, densities `rho`).
    fn take(&mut self, j: usize, first: usize, q: &[f64], rho: &[f64], dv: f64) {
        debug_assert_eq!(first, self.taken[j]);
        let (done, lanes) = (&mut self.done[j], &mut self.lanes[j]);
        by_block(first, q.len(), |at, n, new| {
            if new {
                done.push(lanes.partial(0.0, 0.0));
                *lanes = Lanes::EMPTY;
            }
            lanes.add((first + at) % LANES, &q[at..at + n], &rho[at..at + n], dv);
        });
        self.taken[j] = first + q.len();
    }

    /// The densities of cells `first..`.
    fn take_volumes(&mut self, first: usize, rho: &[f64], dv: f64) {
        debug_assert_eq!(first, self.vol_taken);
        let (volumes, vol) = (&mut self.volumes, &mut self.vol);
        by_block(first, rho.len(), |at, n, new| {
            if new {
                volumes.push((lanes_sum(vol.v), lanes_sum(vol.m)));
                *vol = VolumeLanes::default();
            }
            vol.add((first + at) % LANES, &rho[at..at + n], dv);
        });
        self.vol_taken = first + rho.len();
    }

    /// The file's parts, or `None` unless every variable and the volumes
    /// took exactly the file's `n` cells.
    fn finish(mut self, n: usize, cells_per_level: Vec<u64>) -> Option<StatsParts> {
        if self.vol_taken != n || self.taken.iter().any(|&t| t != n) {
            return None;
        }
        if n > 0 {
            self.volumes
                .push((lanes_sum(self.vol.v), lanes_sum(self.vol.m)));
            for (d, l) in self.done.iter_mut().zip(&self.lanes) {
                d.push(l.partial(0.0, 0.0));
            }
        }
        for d in &mut self.done {
            for (p, &(v, m)) in d.iter_mut().zip(&self.volumes) {
                (p.v, p.m) = (v, m);
            }
        }
        Some(StatsParts {
            cells_per_level,
            mass: self.volumes.iter().map(|&(_, m)| m).collect(),
            vars: self.done,
        })
    }
}

/// A worker's memory, reused file after file: the reader's group columns
/// and the file's densities.
#[derive(Default)]
struct Work {
    scratch: Vec<Vec<f64>>,
    rho: Vec<f64>,
}

/// Which of the request's columns the sums read.
#[derive(Clone, Copy)]
pub(crate) struct StatsColumns {
    /// The first `hydro` hydro columns are reported, then every gravity
    /// column.
    pub(crate) hydro: usize,
    pub(crate) grav: usize,
    /// The hydro column of the density.
    pub(crate) rho: usize,
}

/// Leaf cells per level as [`CellTable::cells_per_level`] counts them
/// (index 0 is level 0; up to the deepest level with cells).
fn cells_per_level(scan: &CpuScan) -> Vec<u64> {
    let per = scan.per_level();
    let top = per.iter().rposition(|&n| n > 0).map_or(0, |i| i + 1);
    let mut n = vec![0u64; top + 1];
    for l in 1..=top {
        n[l] = per[l - 1] as u64;
    }
    n
}

/// The [`StatsParts`] of one scanned file, summed as it is read; `None`
/// when the file must be read whole (the reader cannot stream it).
fn file_parts(
    snap: &Snapshot,
    scan: &CpuScan,
    req: &CellRequest,
    cols: StatsColumns,
    vol: &[f64; 64],
    w: &mut Work,
) -> Result<Option<StatsParts>> {
    let n = scan.len();
    let mut sums = FileSums::new(cols.hydro + cols.grav);
    let Work { scratch, rho } = w;
    // Every cell's density is written by the hydro groups before the
    // gravity groups read it (a file whose groups do not cover its cells
    // in order is not summed here), so the previous file's values need
    // no zeroing.
    if rho.len() < n {
        rho.resize(n, 0.0);
    }
    // Groups cover the file's cells in order; one that does not (never
    // seen: it would be a reader bug) sends the file to the table path.
    let mut in_order = true;
    let streamed = snap.stream_cpu(scan, req, scratch, |kind, g: CellGroup| {
        let dv = vol[usize::from(g.level & 63)];
        let cells = g.first..g.first + g.len;
        let next = match kind {
            VarKind::Hydro => Some(sums.vol_taken),
            VarKind::Grav => sums.taken.get(cols.hydro).copied(),
            VarKind::Rt => return, // not asked for
        };
        if !in_order || next.is_some_and(|t| t != g.first) || cells.end > n {
            in_order = false;
            return;
        }
        match kind {
            VarKind::Hydro => {
                let r = &g.columns[cols.rho][..g.len];
                sums.take_volumes(g.first, r, dv);
                rho[cells].copy_from_slice(r);
                for j in 0..cols.hydro {
                    sums.take(j, g.first, &g.columns[j][..g.len], r, dv);
                }
            }
            VarKind::Grav => {
                for j in 0..cols.grav {
                    let q = &g.columns[j][..g.len];
                    sums.take(cols.hydro + j, g.first, q, &rho[cells.clone()], dv);
                }
            }
            VarKind::Rt => {}
        }
    })?;
    Ok(streamed
        .filter(|_| in_order)
        .and_then(|_| sums.finish(n, cells_per_level(scan))))
}

/// The [`StatsParts`] of each CPU file of `sel` (its region a box, or
/// none), in file order, one file per task: summed as the file is read
/// when the reader can stream it, else by `whole` on the file's table.
/// Progress: `stats`, one unit per file; a cancel stops between files.
pub(crate) fn stats_files<F>(
    snap: &Snapshot,
    sel: &Selection,
    c: &Components,
    cols: StatsColumns,
    exec: &Exec,
    whole: F,
) -> Result<Vec<StatsParts>>
where
    F: Fn(&CellTable, &Exec) -> Result<StatsParts> + Sync,
{
    debug_assert!(sel.region.is_none_or(|r| r.is_box()));
    let req = cell_request(snap, sel, c, None)?;
    let cpus = cpus_for(snap, sel)?;
    let vol = level_volumes(&Units::from_info(&snap.info));
    let one = Exec {
        max_threads: Some(1),
        progress: None,
        ..*exec
    };
    exec.check()?;
    exec.start("stats", cpus.len() as u64);
    let works = Mutex::new(Vec::<Work>::new());
    let out: Vec<Result<StatsParts>> = exec.par().min_chunk(1).map(&cpus, |&icpu| {
        exec.check()?;
        let mut w = works
            .lock()
            .map_or(None, |mut v| v.pop())
            .unwrap_or_default();
        let scan = snap.scan_cpu(icpu, &req)?;
        let parts = match file_parts(snap, &scan, &req, cols, &vol, &mut w)? {
            Some(p) => p,
            None => {
                let t = load_components_reusing(snap, Some(&[icpu]), sel, c, &one, None)?;
                whole(&t, &one)?
            }
        };
        if let Ok(mut v) = works.lock() {
            v.push(w);
        }
        exec.advance(1);
        Ok(parts)
    });
    exec.finish();
    exec.check()?;
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sums::{block_moments, block_volume_mass};
    use proptest::prelude::*;

    /// A value no sum ignores: NaN, ±∞, or one whose products overflow.
    fn special() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(1e308),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A file's cells fed in groups of any sizes and levels give every
        /// block the bits the table's `block_moments` and
        /// `block_volume_mass` give it (min, max, sums, the non-finite
        /// count), and close the blocks where the table's end.
        #[test]
        fn groups_sum_as_the_table_s_blocks(
            groups in prop::collection::vec((1usize..6000, 1u8..12), 1..30),
            values in prop::collection::vec((-1e3f64..1e3, 0.0f64..5.0), 3 * SUM_BLOCK),
            specials in prop::collection::vec((0usize..3 * SUM_BLOCK, special()), 0..4),
        ) {
            let vol = level_volumes(&Units {
                boxlen: 3.0,
                ..Units::default()
            });
            let mut level = Vec::new();
            for &(n, l) in &groups {
                level.extend(std::iter::repeat_n(l, n));
            }
            level.truncate(values.len());
            let mut q: Vec<f64> = values[..level.len()].iter().map(|c| c.0).collect();
            let rho: Vec<f64> = values[..level.len()].iter().map(|c| c.1).collect();
            for &(at, x) in &specials {
                if at < q.len() {
                    q[at] = x;
                }
            }
            let mut sums = FileSums::new(1);
            let mut at = 0;
            for &(n, l) in &groups {
                let end = (at + n).min(q.len());
                let dv = vol[usize::from(l)];
                sums.take_volumes(at, &rho[at..end], dv);
                sums.take(0, at, &q[at..end], &rho[at..end], dv);
                at = end;
            }
            let got = sums.finish(q.len(), vec![0]).unwrap();
            let blocks: Vec<_> = (0..q.len())
                .step_by(SUM_BLOCK)
                .map(|s| s..(s + SUM_BLOCK).min(q.len()))
                .collect();
            prop_assert_eq!(got.vars[0].len(), blocks.len());
            for (b, r) in blocks.into_iter().enumerate() {
                let (v, m) = block_volume_mass(&rho[r.clone()], &level[r.clone()], &vol);
                let want = StatsPartial {
                    v,
                    m,
                    ..block_moments(&q[r.clone()], &rho[r.clone()], &level[r], &vol)
                };
                // Bits, every NaN as one (the sign of a NaN from ∞ − ∞ depends
                // on which operand the machine code puts first).
                let bits = |p: &StatsPartial| {
                    p.to_array().map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() })
                };
                prop_assert_eq!(bits(&got.vars[0][b]), bits(&want), "block {}", b);
                prop_assert_eq!(got.mass[b].to_bits(), m.to_bits());
            }
        }
    }
}
