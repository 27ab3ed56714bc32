//! Sums and weighted means over cells (MERA's `msum`), as block partial
//! sums: every CPU file's cells are cut into fixed blocks, each block gives
//! a few numbers, and folding the blocks in table order gives the result.
//! The blocks depend only on each file's own cells, so the result is bit
//! for bit the same for any thread count and any sharing of the files
//! between processes.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::CellTable;

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
    let blocks = sum_blocks(t);
    Ok(exec.par().min_chunk(1).map(&blocks, |r| {
        let mut a = StatsPartial::EMPTY;
        for k in r.clone() {
            let q = values[k];
            let dv = t.volume(k);
            let dm = rho[k] * dv;
            a.min = a.min.min(q);
            a.max = a.max.max(q);
            a.qv += q * dv;
            a.v += dv;
            a.qm += q * dm;
            a.m += dm;
            a.nonfinite += f64::from(u8::from(!q.is_finite()));
        }
        a
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
    let blocks = sum_blocks(t);
    Ok(exec.par().min_chunk(1).map(&blocks, |r| {
        r.clone().fold(0.0, |s, k| s + rho[k] * t.volume(k))
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
