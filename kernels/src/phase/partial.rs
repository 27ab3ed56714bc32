//! The sums a phase diagram is made of: per block of one CPU file, the
//! bins its cells touch (in bin order), each bin's count and compensated
//! Σw, Σw·z and Σm over its cells in cell order; the cells outside the
//! ranges and those dropped.
//!
//! A block accumulates into a dense per-thread scratch of the whole grid
//! (reset bin by bin afterwards, so nothing is cleared that was not
//! touched) and lists the bins it touched; for grids over [`DENSE_BINS`]
//! bins it sorts its cells by bin instead. Either way each bin is summed
//! over its cells in cell order: the same bits.

use super::{Axis, PhaseSpec, Slot};
use crate::error::Result;
use crate::exec::Exec;
use crate::profile::compensated::Compensated;
use crate::profile::geometry::LevelSizes;
use crate::project::Weight;
use crate::sums::sum_blocks;
use crate::table::CellTable;
use std::cell::RefCell;

/// The largest grid (bins) summed in a dense scratch (56 bytes a bin per
/// thread).
pub const DENSE_BINS: usize = 1 << 18;

/// One block's sums: per touched bin (`j·nx + i`, increasing), the count,
/// Σw, Σw·z and Σm; and the totals left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhasePartial {
    /// Touched bins, increasing.
    pub bins: Vec<u32>,
    /// Per touched bin: count, Σw, Σw·z (0 without z), Σm.
    pub sums: Vec<[f64; 4]>,
    /// Cells and mass outside the ranges.
    pub outside: [f64; 2],
    /// Cells and mass dropped (value not finite, or not positive on a log
    /// axis); and the cells dropped for x and for y.
    pub dropped: [f64; 4],
}

/// A bin's running sums: count, Σw, Σw·z, Σm.
#[derive(Clone, Copy, Default)]
struct BinSums {
    count: f64,
    sums: [Compensated; 3],
}

/// Which sums a diagram needs beyond the count and Σm: Σw unless the
/// weight is the mass (then Σw is Σm), Σw·z only with a z variable (0
/// without).
#[derive(Clone, Copy)]
struct Needs {
    weight: bool,
    z: bool,
}

impl BinSums {
    #[inline]
    fn add(&mut self, needs: Needs, w: f64, wz: f64, m: f64) {
        self.count += 1.0;
        if needs.weight {
            self.sums[0].add(w);
        }
        if needs.z {
            self.sums[1].add(wz);
        }
        self.sums[2].add(m);
    }

    fn values(&self, needs: Needs) -> [f64; 4] {
        let m = self.sums[2].value();
        [
            self.count,
            if needs.weight {
                self.sums[0].value()
            } else {
                m
            },
            self.sums[1].value(),
            m,
        ]
    }
}

thread_local! {
    /// A pool thread's dense grid: all zero between blocks.
    static GRID: RefCell<Vec<BinSums>> = const { RefCell::new(Vec::new()) };
}

/// The [`PhasePartial`] of every block of [`sum_blocks`] of `t`, in order.
pub fn phase_partials(
    t: &CellTable,
    spec: &PhaseSpec,
    axes: &[Axis; 2],
    exec: &Exec,
) -> Result<Vec<PhasePartial>> {
    partials_with(t, spec, axes, exec, DENSE_BINS)
}

/// [`phase_partials`], dense below `dense_bins` bins.
pub(crate) fn partials_with(
    t: &CellTable,
    spec: &PhaseSpec,
    axes: &[Axis; 2],
    exec: &Exec,
    dense_bins: usize,
) -> Result<Vec<PhasePartial>> {
    let block = Block {
        t,
        rho: t.column("density")?,
        xs: t.column(&spec.x.var)?,
        ys: t.column(&spec.y.var)?,
        zs: spec.z.as_deref().map(|z| t.column(z)).transpose()?,
        weight: spec.weight,
        axes,
        sizes: LevelSizes::of(t),
        needs: Needs {
            weight: spec.weight != Weight::Mass,
            z: spec.z.is_some(),
        },
    };
    let blocks = sum_blocks(t);
    exec.check()?;
    let dense = axes[0].bins * axes[1].bins <= dense_bins;
    Ok(exec.par().min_chunk(1).map(&blocks, |r| {
        if dense {
            block.dense(r.clone())
        } else {
            block.sorted(r.clone())
        }
    }))
}

/// What a block reads.
struct Block<'a> {
    t: &'a CellTable,
    rho: &'a [f64],
    xs: &'a [f64],
    ys: &'a [f64],
    zs: Option<&'a [f64]>,
    weight: Weight,
    axes: &'a [Axis; 2],
    sizes: LevelSizes,
    needs: Needs,
}

/// The cells left out of a block: outside (count, mass), dropped (count,
/// mass, for x, for y).
#[derive(Default)]
struct LeftOut {
    outside: (f64, Compensated),
    dropped: (f64, Compensated, f64, f64),
}

impl LeftOut {
    fn into(self, p: &mut PhasePartial) {
        p.outside = [self.outside.0, self.outside.1.value()];
        let d = self.dropped;
        p.dropped = [d.0, d.1.value(), d.2, d.3];
    }
}

impl Block<'_> {
    /// Cell `k`'s bin (`j·nx + i`) and its weight, Σw·z term and mass; or
    /// `None` when the cell is left out (counted in `out`).
    #[inline]
    fn place(&self, k: usize, out: &mut LeftOut) -> Option<(usize, f64, f64, f64)> {
        let (sx, sy) = (self.axes[0].slot(self.xs[k]), self.axes[1].slot(self.ys[k]));
        let v = self.sizes.volume(self.t, k);
        let m = self.rho[k] * v;
        match (sx, sy) {
            (Slot::Bin(i), Slot::Bin(j)) => {
                let w = match self.weight {
                    Weight::Mass => m,
                    Weight::Volume => v,
                    Weight::None => 1.0,
                };
                let wz = self.zs.map_or(0.0, |z| w * z[k]);
                Some((j * self.axes[0].bins + i, w, wz, m))
            }
            (Slot::Dropped, _) | (_, Slot::Dropped) => {
                let d = &mut out.dropped;
                d.0 += 1.0;
                d.1.add(m);
                d.2 += f64::from(u8::from(sx == Slot::Dropped));
                d.3 += f64::from(u8::from(sy == Slot::Dropped));
                None
            }
            _ => {
                out.outside.0 += 1.0;
                out.outside.1.add(m);
                None
            }
        }
    }

    /// The block's partial through the thread's dense grid.
    fn dense(&self, r: std::ops::Range<usize>) -> PhasePartial {
        let nb = self.axes[0].bins * self.axes[1].bins;
        GRID.with_borrow_mut(|grid| {
            if grid.len() < nb {
                grid.resize(nb, BinSums::default());
            }
            let mut out = LeftOut::default();
            let mut touched: Vec<u32> = Vec::new();
            for k in r {
                if let Some((b, w, wz, m)) = self.place(k, &mut out) {
                    let g = &mut grid[b];
                    if g.count == 0.0 {
                        touched.push(b as u32);
                    }
                    g.add(self.needs, w, wz, m);
                }
            }
            touched.sort_unstable();
            let mut p = PhasePartial {
                sums: Vec::with_capacity(touched.len()),
                ..PhasePartial::default()
            };
            for &b in &touched {
                let g = &mut grid[b as usize];
                p.sums.push(g.values(self.needs));
                *g = BinSums::default();
            }
            p.bins = touched;
            out.into(&mut p);
            p
        })
    }

    /// The block's partial by sorting its cells by bin.
    fn sorted(&self, r: std::ops::Range<usize>) -> PhasePartial {
        let mut out = LeftOut::default();
        let mut hits: Vec<(u32, usize)> = Vec::with_capacity(r.len());
        for k in r {
            if let Some((b, ..)) = self.place(k, &mut out) {
                hits.push((b as u32, k));
            }
        }
        hits.sort_unstable();
        let mut p = PhasePartial::default();
        let mut run = BinSums::default();
        for (n, &(b, k)) in hits.iter().enumerate() {
            let (_, w, wz, m) = self
                .place(k, &mut LeftOut::default())
                .expect("placed before");
            run.add(self.needs, w, wz, m);
            if hits.get(n + 1).is_none_or(|h| h.0 != b) {
                p.bins.push(b);
                p.sums.push(run.values(self.needs));
                run = BinSums::default();
            }
        }
        out.into(&mut p);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::super::{axes, AxisSpec, Scale};
    use super::*;

    /// A table of `n` level-3 cells with made-up density, x and y.
    fn table(n: usize) -> CellTable {
        let mut t = CellTable {
            level: vec![3; n],
            ix: (0..n as u32).map(|k| k % 8).collect(),
            iy: (0..n as u32).map(|k| (k / 8) % 8).collect(),
            iz: (0..n as u32).map(|k| (k / 64) % 8).collect(),
            ..CellTable::default()
        };
        t.units.ndim = 3;
        t.units.boxlen = 1.0;
        let f = |a: f64| -> Vec<f64> {
            (0..n)
                .map(|k| 1.0 + ((k as f64 * a).sin() + 1.0) * 50.0)
                .collect()
        };
        t.names = vec!["density".into(), "x".into(), "y".into()];
        t.columns = vec![f(0.37), f(1.13), f(2.71)];
        t.files = vec![(1, n / 3), (2, n - n / 3)];
        t
    }

    #[test]
    fn dense_and_sorted_blocks_are_the_same_bits() {
        let t = table(70_000);
        let ax = |v: &str, bins| AxisSpec {
            var: v.into(),
            scale: Scale::Log,
            range: None,
            bins,
        };
        for (z, weight) in [
            (None, Weight::Mass),
            (Some("density".to_string()), Weight::Mass),
            (Some("y".to_string()), Weight::Volume),
        ] {
            let spec = PhaseSpec {
                x: ax("x", 40),
                y: ax("y", 30),
                z,
                weight,
            };
            let exec = Exec::default();
            let a = axes(&t, &spec, &exec).unwrap();
            let dense = partials_with(&t, &spec, &a, &exec, DENSE_BINS).unwrap();
            let sorted = partials_with(&t, &spec, &a, &exec, 0).unwrap();
            assert!(dense.len() > 3);
            let bits = |p: &[PhasePartial]| -> Vec<u64> {
                p.iter()
                    .flat_map(|p| p.sums.iter().flatten().chain(&p.outside).chain(&p.dropped))
                    .map(|v| v.to_bits())
                    .collect()
            };
            assert_eq!(bits(&dense), bits(&sorted));
            let bins = |p: &[PhasePartial]| -> Vec<Vec<u32>> {
                p.iter().map(|p| p.bins.clone()).collect()
            };
            assert_eq!(bins(&dense), bins(&sorted));
        }
    }
}
