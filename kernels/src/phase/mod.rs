//! Phase diagrams: 2-D histograms of two cell variables.
//!
//! The definition, stated once:
//!
//! * Each axis has a transform `T`: `log10` (log axis) or the identity
//!   (lin axis), a range `[a, b]` of raw values of the variable (default:
//!   its finite extrema over the cells, positive ones for a log axis) and
//!   `N` bins; `ta = T(a)`, `tb = T(b)`. A cell with value `v`, `t = T(v)`,
//!   is in bin `i = floor((t − ta)/(tb − ta)·N)`, and in bin `N − 1` when
//!   `t = tb`. Cells with `t < ta` or `t > tb` are left out and counted
//!   ("outside"); cells whose value is not finite, or not positive on a log
//!   axis, are left out and counted apart ("dropped").
//! * Edges (raw values): `T⁻¹(ta + k(tb − ta)/N)`, the first and last
//!   being `a` and `b`.
//! * `H[j, i]` (`j` along y, `i` along x): without a z variable the sum of
//!   the weight over the cells of the bin — the mass by default, the volume
//!   dx^ndim, or the number of cells for weight `none`; empty bins are 0.
//!   With a z variable the weighted mean Σw·z/Σw (NaN when empty).
//!
//! Sums are taken per block of one CPU file ([`sum_blocks`]), each as a
//! sparse list of the bins its cells touch (in bin order, each bin summed
//! in cell order), and folded in block order: the same bits for any
//! thread count or split of the files, and at most one block's worth of
//! numbers per block in memory. Every sum is compensated
//! ([`Compensated`](crate::profile::compensated::Compensated)), in the block and in the fold: exact to a few ulps of
//! the bin's Σ|x| however many cells it holds.
//!
//! Speed without changing a bin: a log axis does not take a `log10` per
//! cell. Its raw edges `E_k = 10^(ta + k(tb − ta)/N)` are known, and a
//! table over the bit patterns of the value ([`BitsIndex`]) finds `k` with
//! `E_k ≤ v < E_{k+1}`. When `v` is at least [`GUARD`] (relative) inside
//! that interval, the formula's rounding (a few ulps of `t`, far below
//! 1e-9) cannot move it out of bin `k`, and `k` is the answer; a value
//! within [`GUARD`] of an edge (or of the range's ends) takes the formula
//! itself. So every cell gets exactly the bin `floor((log10 v − ta)/(tb −
//! ta)·N)` evaluated as written — the test checks the two paths agree on
//! values an ulp either side of every edge. `floor` of the non-negative
//! quotient is taken as a truncation (the same number, without a call).

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::profile::lookup::BitsIndex;
use crate::project::Weight;
use crate::sums::sum_blocks;
use crate::table::CellTable;
use serde_json::{json, Value};

pub mod fold;
pub mod partial;

pub use fold::PhaseFold;
pub use partial::{phase_partials, PhasePartial};

/// How far (relative) from a raw edge a value must be for a log axis to
/// bin it by comparison instead of by the formula: a million times the
/// formula's rounding, a thousandth of the 1e-9 band the definition
/// allows either way.
pub const GUARD: f64 = 1e-9;

/// Axis scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Bins uniform in log10 of the value.
    Log,
    /// Bins uniform in the value.
    Lin,
}

/// One axis as asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisSpec {
    /// The variable (a column of the table).
    pub var: String,
    /// Scale.
    pub scale: Scale,
    /// Raw-value range `[a, b]`; `None`: the extrema.
    pub range: Option<[f64; 2]>,
    /// Bins.
    pub bins: usize,
}

/// What phase diagram to make.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseSpec {
    /// x axis.
    pub x: AxisSpec,
    /// y axis.
    pub y: AxisSpec,
    /// The variable averaged per bin; `None`: the weight summed.
    pub z: Option<String>,
    /// Weight of the means (without `z`: what is summed).
    pub weight: Weight,
}

/// Whether a variable is positive by nature, so that its axis is log by
/// default (density, pressure, temperatures, masses, sizes, speeds).
pub fn positive_by_nature(var: &str) -> bool {
    matches!(
        var,
        "density"
            | "pressure"
            | "temperature"
            | "temperature_over_mu"
            | "mass"
            | "volume"
            | "cell_size"
            | "nH"
            | "sound_speed"
            | "velocity_magnitude"
    )
}

fn invalid<T>(msg: String) -> Result<T> {
    Err(KernelError::Invalid(msg))
}

/// Where a value falls on an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Bin `i`.
    Bin(usize),
    /// Outside the range.
    Outside,
    /// Not finite, or not positive on a log axis.
    Dropped,
}

/// An axis with its range known.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The variable.
    pub var: String,
    /// Scale.
    pub scale: Scale,
    /// `ta = T(a)`.
    pub ta: f64,
    /// `tb = T(b)`.
    pub tb: f64,
    /// Bins.
    pub bins: usize,
    /// Raw-value edges (`bins + 1`).
    pub edges: Vec<f64>,
    /// Log axes: the comparison path (see [`GUARD`]).
    fast: Option<LogIndex>,
}

/// The comparison path of a log axis: the edges' bit-pattern table and
/// per bin the values binned without the formula.
#[derive(Clone, Debug, PartialEq)]
struct LogIndex {
    index: BitsIndex,
    /// Per bin `k`: `[E_k·(1 + GUARD), E_{k+1}·(1 − GUARD))`.
    sure: Vec<[f64; 2]>,
    /// Values below this are below the range, above `above` beyond it.
    below: f64,
    above: f64,
}

impl LogIndex {
    fn new(edges: &[f64]) -> Option<LogIndex> {
        let index = BitsIndex::new(edges)?;
        let sure = edges
            .windows(2)
            .map(|e| [e[0] * (1.0 + GUARD), e[1] * (1.0 - GUARD)])
            .collect();
        Some(LogIndex {
            index,
            sure,
            below: edges[0] * (1.0 - GUARD),
            above: edges[edges.len() - 1] * (1.0 + GUARD),
        })
    }

    /// The slot of a positive finite `v` when it is clear without the
    /// formula; `None` near an edge or an end of the range.
    #[inline]
    fn slot(&self, edges: &[f64], v: f64) -> Option<Slot> {
        if v < self.below || v > self.above {
            return Some(Slot::Outside);
        }
        // The ends themselves: `log10` of the same number gives `ta` (bin
        // 0) or `tb` (bin N − 1) exactly — sedov3d's ambient gas sits
        // there.
        let n = edges.len() - 1;
        if v == edges[0] {
            return Some(Slot::Bin(0));
        }
        if v == edges[n] {
            return Some(Slot::Bin(n - 1));
        }
        if v < edges[0] || v > edges[n] {
            return None;
        }
        let k = self.index.bin(edges, v);
        let [lo, hi] = self.sure[k];
        (v >= lo && v < hi).then_some(Slot::Bin(k))
    }
}

impl Axis {
    /// The axis of `spec` with the raw range `[a, b]` (`which` names it in
    /// messages: `x` or `y`).
    pub fn new(spec: &AxisSpec, [a, b]: [f64; 2], which: &str) -> Result<Axis> {
        let n = spec.bins;
        if n == 0 {
            return invalid(format!(
                "--bins: the {which} axis needs at least 1 bin, got 0"
            ));
        }
        if !(a.is_finite() && b.is_finite() && a < b) {
            return invalid(format!(
                "--{which}range needs two finite increasing values, got {a},{b}{}",
                if a == b {
                    format!(" (every {} is {a}: give a range)", spec.var)
                } else {
                    String::new()
                }
            ));
        }
        if spec.scale == Scale::Log && a <= 0.0 {
            return invalid(format!(
                "--{which}range {a},{b} on a log axis: the range must be positive (or use --{which}lin)"
            ));
        }
        let (ta, tb) = match spec.scale {
            Scale::Log => (a.log10(), b.log10()),
            Scale::Lin => (a, b),
        };
        let mut edges: Vec<f64> = (0..=n)
            .map(|k| {
                let t = ta + k as f64 * (tb - ta) / n as f64;
                match spec.scale {
                    Scale::Log => 10f64.powf(t),
                    Scale::Lin => t,
                }
            })
            .collect();
        edges[0] = a;
        edges[n] = b;
        let fast = match spec.scale {
            Scale::Log => LogIndex::new(&edges),
            Scale::Lin => None,
        };
        Ok(Axis {
            var: spec.var.clone(),
            scale: spec.scale,
            ta,
            tb,
            bins: n,
            edges,
            fast,
        })
    }

    /// The slot of value `v`.
    #[inline]
    pub fn slot(&self, v: f64) -> Slot {
        if let (Some(fast), true) = (&self.fast, v > 0.0 && v.is_finite()) {
            if let Some(s) = fast.slot(&self.edges, v) {
                return s;
            }
        }
        self.slot_by_formula(v)
    }

    /// The slot of value `v` by the definition's formula, evaluated as
    /// written (what [`slot`](Self::slot) gives, more slowly on log axes).
    #[inline]
    pub fn slot_by_formula(&self, v: f64) -> Slot {
        if !v.is_finite() {
            return Slot::Dropped;
        }
        let t = match self.scale {
            Scale::Log if v > 0.0 => v.log10(),
            Scale::Log => return Slot::Dropped,
            Scale::Lin => v,
        };
        if t < self.ta || t > self.tb {
            return Slot::Outside;
        }
        // floor of a non-negative number: the truncation `as` does.
        let i = (t - self.ta) / (self.tb - self.ta) * self.bins as f64;
        Slot::Bin((i as usize).min(self.bins - 1))
    }
}

/// Whether a value counts towards an axis's default range.
#[inline]
fn usable(scale: Scale, v: f64) -> bool {
    v.is_finite() && (scale == Scale::Lin || v > 0.0)
}

/// The default ranges: the usable extrema of each axis's variable over
/// the cells of `t` (`None`: no usable value). Min and max are exact, so
/// any order of blocks gives the same numbers, and the extrema of shares
/// of the files combine with [`combine_extrema`].
pub fn extrema(t: &CellTable, spec: &PhaseSpec, exec: &Exec) -> Result<[Option<[f64; 2]>; 2]> {
    let cols = [t.column(&spec.x.var)?, t.column(&spec.y.var)?];
    let scales = [spec.x.scale, spec.y.scale];
    let blocks = sum_blocks(t);
    let parts: Vec<[[f64; 2]; 2]> = exec.par().min_chunk(1).map(&blocks, |r| {
        std::array::from_fn(|a| {
            r.clone()
                .map(|k| cols[a][k])
                .filter(|&v| usable(scales[a], v))
                // Comparisons, not f64::min/max: the values are finite.
                .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], v| {
                    [if v < lo { v } else { lo }, if v > hi { v } else { hi }]
                })
        })
    });
    Ok(std::array::from_fn(|a| {
        let m = parts
            .iter()
            .fold([f64::INFINITY, f64::NEG_INFINITY], |m, p| {
                [m[0].min(p[a][0]), m[1].max(p[a][1])]
            });
        (m[0] <= m[1]).then_some(m)
    }))
}

/// The extrema of two shares of the cells, as those of all of them.
pub fn combine_extrema(
    a: [Option<[f64; 2]>; 2],
    b: [Option<[f64; 2]>; 2],
) -> [Option<[f64; 2]>; 2] {
    std::array::from_fn(|k| match (a[k], b[k]) {
        (Some(x), Some(y)) => Some([x[0].min(y[0]), x[1].max(y[1])]),
        (x, y) => x.or(y),
    })
}

/// The axes of `spec` for the cells of `t`: given ranges, or the
/// extrema. Fails clearly on an empty selection, on an axis with no
/// usable value (all non-positive on a log axis) and on a single-valued
/// one.
pub fn axes(t: &CellTable, spec: &PhaseSpec, exec: &Exec) -> Result<[Axis; 2]> {
    let ext = extrema(t, spec, exec)?;
    axes_from(spec, ext, t.len())
}

/// The axes of `spec` given the extrema `ext` of its `cells` cells.
pub fn axes_from(spec: &PhaseSpec, ext: [Option<[f64; 2]>; 2], cells: usize) -> Result<[Axis; 2]> {
    if cells == 0 {
        return invalid("empty selection: no cells to bin".into());
    }
    let mut out = Vec::with_capacity(2);
    for (a, (s, which)) in [(&spec.x, "x"), (&spec.y, "y")].into_iter().enumerate() {
        let range = match (s.range, ext[a]) {
            (Some(r), _) => r,
            (None, Some(r)) => r,
            (None, None) => {
                return invalid(format!(
                    "no cell has a {} {} for the {which} axis ({} cells{})",
                    if s.scale == Scale::Log {
                        "positive finite"
                    } else {
                        "finite"
                    },
                    s.var,
                    cells,
                    if s.scale == Scale::Log {
                        format!(", all dropped from the log axis: use --{which}lin")
                    } else {
                        String::new()
                    }
                ))
            }
        };
        out.push(Axis::new(s, range, which)?);
    }
    let y = out.pop().expect("two axes");
    let x = out.pop().expect("two axes");
    Ok([x, y])
}

/// A phase diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// What was asked for.
    pub spec: PhaseSpec,
    /// The x and y axes (ranges and edges).
    pub axes: [Axis; 2],
    /// `H[j·nx + i]`: Σw without z, the weighted mean of z with it.
    pub values: Vec<f64>,
    /// Cells per bin.
    pub counts: Vec<u64>,
    /// Σw per bin.
    pub weights: Vec<f64>,
    /// Cells and mass in the bins.
    pub binned: [f64; 2],
    /// Cells and mass outside the ranges.
    pub outside: [f64; 2],
    /// Cells and mass dropped; cells dropped for x and for y.
    pub dropped: [f64; 4],
}

impl Phase {
    /// The diagram the partials of every block, folded in order, give.
    pub fn fold(spec: &PhaseSpec, axes: &[Axis; 2], parts: &[PhasePartial]) -> Phase {
        let mut f = PhaseFold::new(axes);
        for p in parts {
            f.add(p);
        }
        f.finish(spec, axes)
    }

    /// The JSON form: edges, counts in and outside the range, the cells
    /// dropped, and the settings (the diagram itself goes to `.npy`).
    pub fn to_json(&self) -> Value {
        let axis = |a: &Axis| {
            json!({
                "var": a.var,
                "scale": match a.scale { Scale::Log => "log", Scale::Lin => "lin" },
                "range": [a.edges[0], a.edges[a.bins]],
                "bins": a.bins,
                "edges": a.edges,
            })
        };
        json!({
            "x": axis(&self.axes[0]),
            "y": axis(&self.axes[1]),
            "z": self.spec.z,
            "weight": match self.spec.weight { Weight::Mass => "mass", Weight::Volume => "volume", Weight::None => "none" },
            "values": if self.spec.z.is_some() { "weighted mean of z per bin (NaN when empty)" } else { "sum of the weight per bin" },
            "layout": "H[j, i]: j along y, i along x",
            "cells_in_range": self.binned[0] as u64,
            "mass_in_range": self.binned[1],
            "cells_outside_range": self.outside[0] as u64,
            "mass_outside_range": self.outside[1],
            "cells_dropped": self.dropped[0] as u64,
            "mass_dropped": self.dropped[1],
            "cells_dropped_x": self.dropped[2] as u64,
            "cells_dropped_y": self.dropped[3] as u64,
        })
    }
}

/// The phase diagram of `spec` over the cells of `t` (its variables as
/// columns, with `density`).
pub fn phase(t: &CellTable, spec: &PhaseSpec, exec: &Exec) -> Result<Phase> {
    t.column("density")?;
    if let Some(z) = &spec.z {
        t.column(z)?;
    }
    let axes = axes(t, spec, exec)?;
    let parts = phase_partials(t, spec, &axes, exec)?;
    Ok(Phase::fold(spec, &axes, &parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(scale: Scale, a: f64, b: f64, n: usize) -> Axis {
        let s = AxisSpec {
            var: "v".into(),
            scale,
            range: None,
            bins: n,
        };
        Axis::new(&s, [a, b], "x").unwrap()
    }

    #[test]
    fn bin_index_formula_with_the_top_in_the_last_bin() {
        let a = axis(Scale::Lin, 0.0, 4.0, 4);
        assert_eq!(a.slot(0.0), Slot::Bin(0));
        assert_eq!(a.slot(0.999), Slot::Bin(0));
        assert_eq!(a.slot(1.0), Slot::Bin(1));
        assert_eq!(a.slot(4.0), Slot::Bin(3));
        assert_eq!(a.slot(4.0001), Slot::Outside);
        assert_eq!(a.slot(-1e-300), Slot::Outside);
        assert_eq!(a.slot(f64::NAN), Slot::Dropped);
        let l = axis(Scale::Log, 1.0, 1e4, 4);
        assert_eq!(l.slot(1.0), Slot::Bin(0));
        assert_eq!(l.slot(50.0), Slot::Bin(1));
        assert_eq!(l.slot(1e4), Slot::Bin(3));
        assert_eq!(l.slot(0.0), Slot::Dropped);
        assert_eq!(l.slot(-3.0), Slot::Dropped);
        assert_eq!((l.edges[0], l.edges[4]), (1.0, 1e4));
    }

    #[test]
    fn the_comparison_path_gives_the_formula_bin_next_to_every_edge() {
        // Values a few ulps either side of every raw edge (where a bin by
        // comparison and the formula's bin differ about half the time), at
        // GUARD either side, and between the edges: the slot must be the
        // formula's, bit for bit the definition.
        let mut near_edge = 0;
        for (a, b, n) in [
            (1e-3, 7.5e4, 128),
            (2.0, 3.0, 7),
            (1e-30, 1e30, 1000),
            (0.7, 0.7 * (1.0 + 1e-11), 5),
            (123.0, 4567.0, 1),
        ] {
            let ax = axis(Scale::Log, a, b, n);
            assert!(ax.fast.is_some(), "{a} {b} {n}");
            let mut values = Vec::new();
            for e in &ax.edges {
                for d in -4i64..=4 {
                    values.push(f64::from_bits((e.to_bits() as i64 + d) as u64));
                }
                values.extend([e * (1.0 - GUARD), e * (1.0 + GUARD)]);
                values.extend([e * (1.0 - 2.0 * GUARD), e * (1.0 + 2.0 * GUARD)]);
            }
            for k in 0..=4000 {
                values.push(a * (b / a).powf(k as f64 / 4000.0 * 1.2 - 0.1));
            }
            for v in values {
                let by_formula = ax.slot_by_formula(v);
                assert_eq!(ax.slot(v), by_formula, "{v:e} on {a}..{b}/{n}");
                let compared = match ax.edges.iter().rposition(|&e| e <= v) {
                    Some(k) if k < n => Slot::Bin(k),
                    _ => by_formula,
                };
                near_edge += usize::from(compared != by_formula);
            }
        }
        // The values next to the edges do tell the two rules apart.
        assert!(near_edge > 10, "{near_edge}");
    }

    #[test]
    fn bad_axes_are_one_clear_error_each() {
        let s = |scale| AxisSpec {
            var: "density".into(),
            scale,
            range: None,
            bins: 8,
        };
        let e = Axis::new(&s(Scale::Log), [0.0, 1.0], "x").unwrap_err();
        assert!(e.to_string().contains("must be positive"), "{e}");
        let e = Axis::new(&s(Scale::Lin), [2.0, 2.0], "y").unwrap_err();
        assert!(e.to_string().contains("every density is 2"), "{e}");
        let mut z = s(Scale::Lin);
        z.bins = 0;
        let e = Axis::new(&z, [0.0, 1.0], "x").unwrap_err();
        assert!(e.to_string().contains("at least 1 bin"), "{e}");
    }
}
