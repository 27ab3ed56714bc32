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
    std::array::from_fn(|l| {
        let d = 1.0 / (1u64 << l) as f64 * t.units.boxlen;
        match t.units.ndim {
            1 => d,
            2 => d * d,
            _ => d * d * d,
        }
    })
}

/// The lanes of a block added in their fixed order.
#[inline]
fn lanes_sum(l: [f64; LANES]) -> f64 {
    (l[0] + l[1]) + (l[2] + l[3])
}

/// The [`StatsPartial`] of one block: values `q`, densities `rho` and
/// levels `level` of its cells, `vol` the cell volume per level. The
/// minimum and maximum skip NaN (`q < min` is false for a NaN), as
/// `f64::min` does, in branch-free compares the compiler can keep in
/// registers.
fn block_stats(q: &[f64], rho: &[f64], level: &[u8], vol: &[f64; 64]) -> StatsPartial {
    struct Lanes {
        mn: [f64; LANES],
        mx: [f64; LANES],
        qv: [f64; LANES],
        v: [f64; LANES],
        qm: [f64; LANES],
        m: [f64; LANES],
        nf: [f64; LANES],
    }
    let mut a = Lanes {
        mn: [f64::INFINITY; LANES],
        mx: [f64::NEG_INFINITY; LANES],
        qv: [0.0; LANES],
        v: [0.0; LANES],
        qm: [0.0; LANES],
        m: [0.0; LANES],
        nf: [0.0; LANES],
    };
    #[inline(always)]
    fn add(a: &mut Lanes, i: usize, q: f64, r: f64, dv: f64) {
        let dm = r * dv;
        a.mn[i] = if q < a.mn[i] { q } else { a.mn[i] };
        a.mx[i] = if q > a.mx[i] { q } else { a.mx[i] };
        a.qv[i] += q * dv;
        a.v[i] += dv;
        a.qm[i] += q * dm;
        a.m[i] += dm;
        a.nf[i] += f64::from(u8::from(!q.is_finite()));
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
            add(&mut a, i, qc[i], rc[i], vol[lc[i] as usize & 63]);
        }
    }
    for k in whole..n {
        add(&mut a, k - whole, q[k], rho[k], vol[level[k] as usize & 63]);
    }
    let pick = |l: [f64; LANES], f: fn(f64, f64) -> f64| f(f(l[0], l[1]), f(l[2], l[3]));
    StatsPartial {
        min: pick(a.mn, f64::min),
        max: pick(a.mx, f64::max),
        qv: lanes_sum(a.qv),
        v: lanes_sum(a.v),
        qm: lanes_sum(a.qm),
        m: lanes_sum(a.m),
        nonfinite: lanes_sum(a.nf),
    }
}

/// Σ ρ·V of one block, in lanes.
fn block_mass(rho: &[f64], level: &[u8], vol: &[f64; 64]) -> f64 {
    let mut m = [0.0; LANES];
    let n = rho.len().min(level.len());
    let whole = n / LANES * LANES;
    for (rc, lc) in rho[..whole]
        .chunks_exact(LANES)
        .zip(level[..whole].chunks_exact(LANES))
    {
        for i in 0..LANES {
            m[i] += rc[i] * vol[lc[i] as usize & 63];
        }
    }
    for k in whole..n {
        m[k - whole] += rho[k] * vol[level[k] as usize & 63];
    }
    lanes_sum(m)
}

/// The [`StatsPartial`] of every block of [`sum_blocks`], in order, for
/// `values` (one per cell of `t`; needs `density` in `t`).
pub fn stats_partials(t: &CellTable, values: &[f64], exec: &Exec) -> Result<Vec<StatsPartial>> {
    let rho = t.column("density")?;
    if values.len() != t.len() {
        return Err(KernelError::Invalid(format!(
            "{} values for {} cells",
            values.len(),
            t.len()
        )));
    }
    let vol = volumes(t);
    let blocks = sum_blocks(t);
    Ok(exec.par().min_chunk(1).map(&blocks, |r| {
        block_stats(
            &values[r.clone()],
            &rho[r.clone()],
            &t.level[r.clone()],
            &vol,
        )
    }))
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
        block_mass(&rho[r.clone()], &t.level[r.clone()], &vol)
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
