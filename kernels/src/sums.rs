//! Sums and weighted means over cells (MERA's `msum`), as block partial
//! sums: every CPU file's cells are cut into fixed blocks, each block gives
//! a few numbers, and folding the blocks in table order gives the result.
//! The blocks depend only on each file's own cells, so the result is bit
//! for bit the same for any thread count and any sharing of the files
//! between processes.
//!
//! # Inside a block: several accumulators in a fixed order
//!
//! One running sum per figure makes every `+` wait for the previous one
//! (a chain of dependent additions, four cycles each: issue 30 found 41 %
//! of `stats` in such a chain). A block is summed instead in [`LANES`]
//! interleaved lanes — the cell at offset `i` of the block goes to lane
//! `i % LANES`, each lane summed in cell order — and the lanes are then
//! added as `(l0 + l1) + (l2 + l3)`. The order depends only on the block,
//! never on threads or processes, so the result is still the same bits
//! everywhere; it differs from a left-to-right sum of the block by
//! rounding only (and from the figures before this change by as much).
//!
//! # Reducing a block of CPU files at a time (bounded memory)
//!
//! A reduction never needs every column at once: [`reduce_files`] reads
//! the selection's CPU files one per task (each on one worker, with the
//! variables the reduction names), hands each file's [`CellTable`] to the
//! reduction and drops it; only the reduction's per-file results are kept,
//! in file order. Peak memory is one file's columns per running worker
//! plus those results. Because [`sum_blocks`] of one file's table are the
//! blocks that file has in a table of every file, a reduction whose result
//! per file is the vector of its per-block partials (like
//! [`stats_partials`], [`mass_partials`]) gets, after concatenating the
//! files' vectors in file order, exactly the partials of the whole table:
//! folding them gives the same bits as before, for any thread count, and
//! under MPI (each process concatenates its share; rank 0 concatenates the
//! processes').
//!
//! To move a kernel onto it (slice, profile, phase, …): (1) write its
//! per-file step as `Fn(&CellTable, &Exec) -> Result<R>` over
//! [`sum_blocks`] (or its own runs cut per file, as `project` does),
//! returning small partials; (2) call [`reduce_files`] with the variables
//! it reads ([`Components`]); (3) fold the per-file results in order. The
//! `Exec` given to the step is capped at one thread: the parallelism is
//! over files.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{cpus_for, load_components_reusing, CellTable, Components};
use crate::select::Selection;
use amrkit_io::Snapshot;

/// Min, max and means of one variable over the cells.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FieldStats {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Σ q·V / Σ V.
    pub volume_weighted_mean: f64,
    /// Σ q·m / Σ m (m = ρ·V).
    pub mass_weighted_mean: f64,
    /// Σ V (code units).
    pub volume: f64,
    /// Σ m (code units).
    pub mass: f64,
    /// Cells whose value is NaN or ±∞. The minimum and maximum skip NaN
    /// (an ∞ is its own extreme); a NaN makes both means NaN.
    pub non_finite: u64,
}

/// Cells per block of the sums: each CPU file's cells are cut into blocks
/// of this many (the last one shorter), counted from the file's first cell.
pub const SUM_BLOCK: usize = 1 << 14;

/// The blocks the sums are taken over: every file's cells
/// ([`CellTable::file_ranges`]) in runs of [`SUM_BLOCK`], in table order.
/// They depend only on each file's own cells, so a process that reads some
/// of the files gets the same blocks for them as a process that reads all.
pub fn sum_blocks(t: &CellTable) -> Vec<std::ops::Range<usize>> {
    let mut v = Vec::new();
    for (_, r) in t.file_ranges() {
        let mut at = r.start;
        while at < r.end {
            let end = (at + SUM_BLOCK).min(r.end);
            v.push(at..end);
            at = end;
        }
    }
    v
}

/// Partial sums of [`field_stats`] over one block of cells: a few numbers
/// that one process can send to another. Folding the blocks' partials in
/// order ([`StatsPartial::fold`]) gives the statistics, bit for bit the
/// same however the blocks were shared out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatsPartial {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Σ q·V.
    pub qv: f64,
    /// Σ V.
    pub v: f64,
    /// Σ q·m.
    pub qm: f64,
    /// Σ m.
    pub m: f64,
    /// Cells whose value is NaN or ±∞ (a count, kept as f64 — exact below
    /// 2^53 — so that the partial is seven numbers).
    pub nonfinite: f64,
}

impl StatsPartial {
    /// Nothing summed yet.
    pub const EMPTY: StatsPartial = StatsPartial {
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        qv: 0.0,
        v: 0.0,
        qm: 0.0,
        m: 0.0,
        nonfinite: 0.0,
    };

    /// The seven numbers, in field order.
    pub fn to_array(self) -> [f64; 7] {
        [
            self.min,
            self.max,
            self.qv,
            self.v,
            self.qm,
            self.m,
            self.nonfinite,
        ]
    }

    /// From [`to_array`](Self::to_array)'s numbers.
    pub fn from_array(a: [f64; 7]) -> Self {
        StatsPartial {
            min: a[0],
            max: a[1],
            qv: a[2],
            v: a[3],
            qm: a[4],
            m: a[5],
            nonfinite: a[6],
        }
    }

    /// The partials added one after the other, in order.
    pub fn fold(parts: &[StatsPartial]) -> StatsPartial {
        parts.iter().fold(StatsPartial::EMPTY, |a, b| StatsPartial {
            min: a.min.min(b.min),
            max: a.max.max(b.max),
            qv: a.qv + b.qv,
            v: a.v + b.v,
            qm: a.qm + b.qm,
            m: a.m + b.m,
            nonfinite: a.nonfinite + b.nonfinite,
        })
    }

    /// The statistics these sums give.
    pub fn stats(self) -> FieldStats {
        FieldStats {
            min: self.min,
            max: self.max,
            volume_weighted_mean: self.qv / self.v,
            mass_weighted_mean: self.qm / self.m,
            volume: self.v,
            mass: self.m,
            non_finite: self.nonfinite as u64,
        }
    }
}

/// Independent accumulators per block (see the module doc).
pub const LANES: usize = 4;

/// Code volume of a cell of each level (as [`CellTable::volume`] gives it).
fn volumes(t: &CellTable) -> [f64; 64] {
    level_volumes(&t.units)
}

/// Code volume of a cell of each level in an output of `units`.
pub(crate) fn level_volumes(units: &crate::units::Units) -> [f64; 64] {
    std::array::from_fn(|l| {
        let d = 1.0 / (1u64 << l) as f64 * units.boxlen;
        match units.ndim {
            1 => d,
            2 => d * d,
            _ => d * d * d,
        }
    })
}

/// The lanes of a block added in their fixed order.
#[inline]
pub(crate) fn lanes_sum(l: [f64; LANES]) -> f64 {
    (l[0] + l[1]) + (l[2] + l[3])
}

/// Σ V and Σ ρ·V of one block, in lanes: the `v` and `m` of every
/// variable's [`StatsPartial`] of the block (they do not depend on the
/// variable, so a block computes them once for all its variables).
pub(crate) fn block_volume_mass(rho: &[f64], level: &[u8], vol: &[f64; 64]) -> (f64, f64) {
    let (mut v, mut m) = ([0.0; LANES], [0.0; LANES]);
    let n = rho.len().min(level.len());
    let whole = n / LANES * LANES;
    for (rc, lc) in rho[..whole]
        .chunks_exact(LANES)
        .zip(level[..whole].chunks_exact(LANES))
    {
        for i in 0..LANES {
            let dv = vol[lc[i] as usize & 63];
            v[i] += dv;
            m[i] += rc[i] * dv;
        }
    }
    for k in whole..n {
        let dv = vol[level[k] as usize & 63];
        v[k - whole] += dv;
        m[k - whole] += rho[k] * dv;
    }
    (lanes_sum(v), lanes_sum(m))
}

/// The variable's part of the [`StatsPartial`] of one block — `min`,
/// `max`, `qv`, `qm`, `nonfinite` — from values `q`, densities `rho` and
/// levels `level` of its cells, `vol` the cell volume per level (`v` and
/// `m` come from [`block_volume_mass`]). The minimum and maximum skip NaN
/// (`q < min` is false for a NaN), as `f64::min` does, in branch-free
/// compares the compiler keeps in registers: four figures of four lanes
/// fit the vector registers without spilling, which seven did not.
///
/// The non-finite count is not accumulated per cell: a NaN or ±∞ value
/// makes its lane of Σ q·V non-finite (V is positive and finite, and a
/// non-finite term keeps a sum non-finite), so when every lane of Σ q·V
/// is finite the block has none; otherwise (a non-finite value, or a
/// product that overflowed) the block is counted cell by cell.
pub(crate) fn block_moments(q: &[f64], rho: &[f64], level: &[u8], vol: &[f64; 64]) -> StatsPartial {
    let mut mn = [f64::INFINITY; LANES];
    let mut mx = [f64::NEG_INFINITY; LANES];
    let (mut qv, mut qm) = ([0.0; LANES], [0.0; LANES]);
    #[inline(always)]
    fn add(l: (&mut f64, &mut f64, &mut f64, &mut f64), q: f64, r: f64, dv: f64) {
        let (mn, mx, qv, qm) = l;
        *mn = if q < *mn { q } else { *mn };
        *mx = if q > *mx { q } else { *mx };
        *qv += q * dv;
        *qm += q * (r * dv);
    }
    let n = q.len().min(rho.len()).min(level.len());
    let (q, rho, level) = (&q[..n], &rho[..n], &level[..n]);
    let whole = n / LANES * LANES;
    for ((qc, rc), lc) in q[..whole]
        .chunks_exact(LANES)
        .zip(rho[..whole].chunks_exact(LANES))
        .zip(level[..whole].chunks_exact(LANES))
    {
        for i in 0..LANES {
            let l = (&mut mn[i], &mut mx[i], &mut qv[i], &mut qm[i]);
            add(l, qc[i], rc[i], vol[lc[i] as usize & 63]);
        }
    }
    for k in whole..n {
        let i = k - whole;
        let l = (&mut mn[i], &mut mx[i], &mut qv[i], &mut qm[i]);
        add(l, q[k], rho[k], vol[level[k] as usize & 63]);
    }
    let nonfinite = if qv.iter().all(|s| s.is_finite()) {
        0.0
    } else {
        q.iter().filter(|x| !x.is_finite()).count() as f64
    };
    let pick = |l: [f64; LANES], f: fn(f64, f64) -> f64| f(f(l[0], l[1]), f(l[2], l[3]));
    StatsPartial {
        min: pick(mn, f64::min),
        max: pick(mx, f64::max),
        qv: lanes_sum(qv),
        v: 0.0,
        qm: lanes_sum(qm),
        m: 0.0,
        nonfinite,
    }
}

/// The [`StatsPartial`] of every block of [`sum_blocks`], in order, for
/// `values` (one per cell of `t`; needs `density` in `t`).
pub fn stats_partials(t: &CellTable, values: &[f64], exec: &Exec) -> Result<Vec<StatsPartial>> {
    let mut all = stats_partials_many(t, &[values], exec)?;
    Ok(all.pop().unwrap_or_default())
}

/// [`stats_partials`] of several variables at once (`columns[k]` one value
/// per cell of `t`): per variable, the partial of every block, in order.
/// Each block's Σ V and Σ ρ·V are summed once for all the variables; the
/// figures are the same bits as [`stats_partials`] of each variable.
pub fn stats_partials_many(
    t: &CellTable,
    columns: &[&[f64]],
    exec: &Exec,
) -> Result<Vec<Vec<StatsPartial>>> {
    let rho = t.column("density")?;
    if let Some(bad) = columns.iter().find(|c| c.len() != t.len()) {
        return Err(KernelError::Invalid(format!(
            "{} values for {} cells",
            bad.len(),
            t.len()
        )));
    }
    let vol = volumes(t);
    let blocks = sum_blocks(t);
    let per_block: Vec<Vec<StatsPartial>> = exec.par().min_chunk(1).map(&blocks, |r| {
        let (rho, level) = (&rho[r.clone()], &t.level[r.clone()]);
        let (v, m) = block_volume_mass(rho, level, &vol);
        columns
            .iter()
            .map(|c| StatsPartial {
                v,
                m,
                ..block_moments(&c[r.clone()], rho, level, &vol)
            })
            .collect()
    });
    Ok((0..columns.len())
        .map(|k| per_block.iter().map(|b| b[k]).collect())
        .collect())
}

/// Statistics of `values` (one per cell of `t`), weighted by cell volume
/// and by cell mass (needs `density` in `t`): the fold of
/// [`stats_partials`].
pub fn field_stats(t: &CellTable, values: &[f64], exec: &Exec) -> Result<FieldStats> {
    Ok(StatsPartial::fold(&stats_partials(t, values, exec)?).stats())
}

/// Σ ρ·V of every block of [`sum_blocks`], in order.
pub fn mass_partials(t: &CellTable, exec: &Exec) -> Result<Vec<f64>> {
    let rho = t.column("density")?;
    let vol = volumes(t);
    let blocks = sum_blocks(t);
    Ok(exec.par().min_chunk(1).map(&blocks, |r| {
        block_volume_mass(&rho[r.clone()], &t.level[r.clone()], &vol).1
    }))
}

/// Partial sums (e.g. of [`mass_partials`]) added one after the other.
pub fn fold_sum(parts: &[f64]) -> f64 {
    parts.iter().fold(0.0, |a, b| a + b)
}

/// Total gas mass in code units (MERA's `msum`): the fold of
/// [`mass_partials`].
pub fn total_mass(t: &CellTable, exec: &Exec) -> Result<f64> {
    Ok(fold_sum(&mass_partials(t, exec)?))
}

/// Runs `reduce` on the cells of each CPU file of the selection (those of
/// [`cpus_for`]), loaded with the variables `c`, one file per task, and
/// returns the results in file order (see the module doc). A table is
/// refilled by the next file once its file is reduced (its memory reused,
/// not faulted in again), so at most one file's columns per worker are
/// alive; `reduce` gets an [`Exec`] capped at one thread.
/// Progress: `what`, one unit per file; a cancel stops between files.
pub fn reduce_files<R, F>(
    snap: &Snapshot,
    sel: &Selection,
    c: &Components,
    what: &str,
    exec: &Exec,
    reduce: F,
) -> Result<Vec<R>>
where
    R: Send,
    F: Fn(&CellTable, &Exec) -> Result<R> + Sync,
{
    let cpus = cpus_for(snap, sel)?;
    exec.check()?;
    exec.start(what, cpus.len() as u64);
    let spares = std::sync::Mutex::new(Vec::new());
    let out = reduce_some(snap, &cpus, sel, c, exec, &spares, |t, one| reduce(t, one));
    exec.finish();
    exec.check()?;
    out.into_iter().collect()
}

/// [`reduce_files`] for reductions whose per-file results are not small
/// (a phase diagram's sparse bins): the files are reduced a window of a
/// few per worker at a time, and each window's results are handed to
/// `fold` in file order before the next window starts, so only a window's
/// results are ever held. `reduce` may add columns to the table it gets
/// (derived variables, unit conversions); their allocations are reused by
/// the next file like the loaded ones.
pub fn reduce_files_folding<R, F, G>(
    snap: &Snapshot,
    sel: &Selection,
    c: &Components,
    what: &str,
    exec: &Exec,
    reduce: F,
    mut fold: G,
) -> Result<()>
where
    R: Send,
    F: Fn(&mut CellTable, &Exec) -> Result<R> + Sync,
    G: FnMut(R) -> Result<()>,
{
    let cpus = cpus_for(snap, sel)?;
    exec.check()?;
    exec.start(what, cpus.len() as u64);
    let spares = std::sync::Mutex::new(Vec::new());
    let window = 2 * exec.threads().max(1);
    let mut done = Ok(());
    for win in cpus.chunks(window) {
        let out = reduce_some(snap, win, sel, c, exec, &spares, &reduce);
        done = out.into_iter().try_for_each(|r| fold(r?));
        if done.is_err() {
            break;
        }
    }
    exec.finish();
    exec.check()?;
    done
}

/// `reduce` over the CPU files `cpus`, one per task, each loaded into a
/// table of `spares` when one is free (see [`reduce_files`]).
fn reduce_some<R, F>(
    snap: &Snapshot,
    cpus: &[usize],
    sel: &Selection,
    c: &Components,
    exec: &Exec,
    spares: &std::sync::Mutex<Vec<CellTable>>,
    reduce: F,
) -> Vec<Result<R>>
where
    R: Send,
    F: Fn(&mut CellTable, &Exec) -> Result<R> + Sync,
{
    let one = Exec {
        max_threads: Some(1),
        progress: None,
        ..*exec
    };
    exec.par().min_chunk(1).map(cpus, |&icpu| {
        exec.check()?;
        let spare = spares.lock().map_or(None, |mut v| v.pop());
        let mut t = load_components_reusing(snap, Some(&[icpu]), sel, c, &one, spare)?;
        let r = reduce(&mut t, &one);
        if let Ok(mut v) = spares.lock() {
            v.push(t);
        }
        exec.advance(1);
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition of a block's partial written plainly: cell `i` of the
    /// block in lane `i % 4`, lanes summed in cell order and then added as
    /// `(l0 + l1) + (l2 + l3)`; the non-finite cells counted one by one.
    fn reference(q: &[f64], rho: &[f64], level: &[u8], vol: &[f64; 64]) -> StatsPartial {
        let lanes = |f: &dyn Fn(usize) -> f64| {
            let mut l = [0.0; LANES];
            for i in 0..q.len() {
                l[i % LANES] += f(i);
            }
            (l[0] + l[1]) + (l[2] + l[3])
        };
        let dv = |i: usize| vol[level[i] as usize];
        StatsPartial {
            min: q.iter().fold(f64::INFINITY, |a, &b| a.min(b)),
            max: q.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b)),
            qv: lanes(&|i| q[i] * dv(i)),
            v: lanes(&dv),
            qm: lanes(&|i| q[i] * (rho[i] * dv(i))),
            m: lanes(&|i| rho[i] * dv(i)),
            nonfinite: q.iter().filter(|x| !x.is_finite()).count() as f64,
        }
    }

    fn same_bits(a: StatsPartial, b: StatsPartial) -> bool {
        let (a, b) = (a.to_array(), b.to_array());
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// `block_moments` and `block_volume_mass` give the reference's bits,
    /// including blocks whose Σ q·V is non-finite without a non-finite
    /// value (overflow: the count must stay 0) and blocks with NaN, +∞, or
    /// +∞ and −∞ in one lane (the count must see every one).
    #[test]
    fn block_partials_are_the_definition() {
        let vol: [f64; 64] = std::array::from_fn(|l| 0.5f64.powi(3 * l as i32));
        let n = 1003;
        let level: Vec<u8> = (0..n).map(|i| (i * 7 % 5) as u8).collect();
        let rho: Vec<f64> = (0..n)
            .map(|i| 1.0 + (i as f64 * 0.37).sin().abs())
            .collect();
        let plain: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).cos() * 1e3).collect();
        let mut cases = vec![plain.clone()];
        let mut with = |edits: &[(usize, f64)]| {
            let mut q = plain.clone();
            for &(i, x) in edits {
                q[i] = x;
            }
            cases.push(q);
        };
        with(&[(5, f64::NAN)]);
        with(&[(0, f64::INFINITY), (4, f64::NEG_INFINITY), (9, f64::NAN)]);
        with(&[(1, 1.7e308), (5, 1.7e308), (9, 1.7e308)]);
        with(&[(n - 1, f64::NEG_INFINITY)]);
        for q in &cases {
            for len in [0, 1, 3, 4, 7, n] {
                let (q, r, l) = (&q[..len], &rho[..len], &level[..len]);
                let (v, m) = block_volume_mass(r, l, &vol);
                let got = StatsPartial {
                    v,
                    m,
                    ..block_moments(q, r, l, &vol)
                };
                let want = reference(q, r, l, &vol);
                assert!(same_bits(got, want), "len {len}: {got:?} != {want:?}");
            }
        }
    }
}
