//! Which cells a profile selects, and at what distance: the centre, the
//! minimum image along periodic axes, the cylinder's axis and height. The
//! selection (cells with `r ≤ R`) is found once, with each cell's
//! distance, and serves both the smallest-cell rule for `r0` and the
//! binning.

use super::{invalid, ProfileSpec, Shape};
use crate::error::Result;
use crate::exec::Exec;
use crate::sums::SUM_BLOCK;
use crate::table::CellTable;

/// Distances of points from the centre, as the spec defines them.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    center: [f64; 3],
    period: [Option<f64>; 3],
    /// Unit axis and half height of a cylinder.
    axis: Option<([f64; 3], f64)>,
}

impl Geometry {
    /// The geometry of `spec` (checks the cylinder's axis and height).
    pub fn of(spec: &ProfileSpec) -> Result<Geometry> {
        let axis = match spec.shape {
            Shape::Sphere => None,
            Shape::Cylinder { normal, height } => {
                let len =
                    (normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]).sqrt();
                if !(len > 0.0 && len.is_finite()) {
                    return invalid(format!(
                        "--normal must be a non-zero vector, got {normal:?}"
                    ));
                }
                if !(height > 0.0 && height.is_finite()) {
                    return invalid(format!("--height must be positive, got {height}"));
                }
                Some((normal.map(|v| v / len), 0.5 * height))
            }
        };
        Ok(Geometry {
            center: spec.center,
            period: spec.period,
            axis,
        })
    }

    /// `x − c`, the minimum image along periodic axes.
    #[inline]
    pub fn separation(&self, x: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|d| {
            let s = x[d] - self.center[d];
            match self.period[d] {
                Some(l) if s > 0.5 * l => s - l,
                Some(l) if s < -0.5 * l => s + l,
                _ => s,
            }
        })
    }

    /// The distance that bins the point `x` (code units); `None` for a
    /// cylinder when `x` is beyond its half height.
    #[inline]
    pub fn distance(&self, x: [f64; 3]) -> Option<f64> {
        let s = self.separation(x);
        match self.axis {
            None => Some((s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt()),
            Some((n, half)) => {
                let along = s[0] * n[0] + s[1] * n[1] + s[2] * n[2];
                if along.abs() > half {
                    return None;
                }
                let p: [f64; 3] = std::array::from_fn(|d| s[d] - along * n[d]);
                Some((p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt())
            }
        }
    }
}

/// Cell sizes (box units) and volumes (code units) per level, as
/// [`CellTable::dx_box`] and [`CellTable::volume`] compute them: lookups
/// instead of a conversion and a division per cell.
pub(crate) struct LevelSizes {
    dx: [f64; 64],
    volume: [f64; 64],
}

impl LevelSizes {
    /// The sizes of the levels of `t`'s box.
    pub(crate) fn of(t: &CellTable) -> Self {
        let dx: [f64; 64] = std::array::from_fn(|l| 1.0 / (1u64 << l) as f64);
        let volume = dx.map(|dx| {
            let d = dx * t.units.boxlen;
            match t.units.ndim {
                1 => d,
                2 => d * d,
                _ => d * d * d,
            }
        });
        LevelSizes { dx, volume }
    }

    /// `t.dx_box(k)`.
    #[inline]
    pub(crate) fn dx_box(&self, t: &CellTable, k: usize) -> f64 {
        match self.dx.get(t.level[k] as usize) {
            Some(&dx) => dx,
            None => t.dx_box(k),
        }
    }

    /// `t.volume(k)`.
    #[inline]
    pub(crate) fn volume(&self, t: &CellTable, k: usize) -> f64 {
        match self.volume.get(t.level[k] as usize) {
            Some(&v) => v,
            None => t.volume(k),
        }
    }

    /// `t.centre_box(k)`, the same operations.
    #[inline]
    pub(crate) fn centre_box(&self, t: &CellTable, k: usize) -> [f64; 3] {
        let dx = self.dx_box(t, k);
        let c = [
            (t.ix[k] as f64 + 0.5) * dx,
            (t.iy[k] as f64 + 0.5) * dx,
            (t.iz[k] as f64 + 0.5) * dx,
        ];
        match t.units.ndim {
            1 => [c[0], 0.5, 0.5],
            2 => [c[0], c[1], 0.5],
            _ => c,
        }
    }
}

/// Selected `(cell, r)` of a run of cells.
type Cells = Vec<(usize, f64)>;

/// The selected cells of a table (`r ≤ R`) with their distances, run by
/// run of the table's cells, and the deepest level among them.
#[derive(Clone, Debug, Default)]
pub struct Selected {
    /// Per run of [`SUM_BLOCK`] table cells of one CPU file (in table
    /// order): the file's index in the table and `(cell, r)` of the run's
    /// selected cells, in table order.
    pub runs: Vec<(usize, Cells)>,
    /// The deepest level of a selected cell (`None`: nothing selected).
    pub deepest: Option<u8>,
    /// The box length (code units).
    boxlen: f64,
}

impl Selected {
    /// The cells of `t` within `radius` of the geometry's centre (in
    /// parallel over runs of [`SUM_BLOCK`] cells of one file).
    pub fn of(t: &CellTable, geo: &Geometry, radius: f64, exec: &Exec) -> Selected {
        let b = t.units.boxlen;
        let sizes = LevelSizes::of(t);
        let mut runs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (f, (_, r)) in t.file_ranges().into_iter().enumerate() {
            let mut at = r.start;
            while at < r.end {
                let end = (at + SUM_BLOCK).min(r.end);
                runs.push((f, at..end));
                at = end;
            }
        }
        let found: Vec<(Cells, Option<u8>)> = exec.par().min_chunk(1).map(&runs, |(_, r)| {
            let mut cells = Vec::with_capacity(r.len());
            let mut deepest = None;
            for k in r.clone() {
                let x = sizes.centre_box(t, k).map(|v| v * b);
                if let Some(d) = geo.distance(x).filter(|&d| d <= radius) {
                    cells.push((k, d));
                    deepest = deepest.max(Some(t.level[k]));
                }
            }
            (cells, deepest)
        });
        let deepest = found.iter().filter_map(|f| f.1).max();
        Selected {
            runs: runs
                .iter()
                .zip(found)
                .map(|((f, _), (c, _))| (*f, c))
                .collect(),
            deepest,
            boxlen: b,
        }
    }

    /// The blocks the sums are taken over: every file's selected cells in
    /// runs of [`SUM_BLOCK`], counted from the file's first selected cell
    /// (so they depend only on the file's selected cells, not on how many
    /// unselected cells were read around them), each as the pieces of the
    /// table runs it spans — no copy.
    pub fn blocks(&self) -> Vec<Vec<&[(usize, f64)]>> {
        let mut blocks = Vec::new();
        let mut file = None;
        let mut open: (Vec<&[(usize, f64)]>, usize) = (Vec::new(), 0);
        for (f, cells) in &self.runs {
            if file != Some(*f) && open.1 > 0 {
                blocks.push(std::mem::take(&mut open.0));
                open.1 = 0;
            }
            file = Some(*f);
            let mut rest = &cells[..];
            while !rest.is_empty() {
                let take = (SUM_BLOCK - open.1).min(rest.len());
                open.0.push(&rest[..take]);
                open.1 += take;
                rest = &rest[take..];
                if open.1 == SUM_BLOCK {
                    blocks.push(std::mem::take(&mut open.0));
                    open.1 = 0;
                }
            }
        }
        if open.1 > 0 {
            blocks.push(open.0);
        }
        blocks
    }

    /// The smallest leaf cell size (code units) among the selected cells;
    /// `None` when there are none. Min is exact, so any split gives the
    /// same number.
    pub fn smallest_cell(&self) -> Option<f64> {
        self.deepest.map(|l| self.boxlen / (1u64 << l) as f64)
    }

    /// Selected cells in all.
    pub fn len(&self) -> usize {
        self.runs.iter().map(|r| r.1.len()).sum()
    }

    /// Whether no cell is selected.
    pub fn is_empty(&self) -> bool {
        self.deepest.is_none()
    }
}

/// The deepest level of a cell of `t` within `radius` of the geometry's
/// centre (the cells [`Selected::of`] selects, by the same comparisons);
/// `None` when there is none. Reads only positions and levels, so the
/// default first edge `r0` of a profile can be found from the amr files
/// alone, a CPU file at a time (a maximum: any split gives the same).
pub fn deepest_selected(t: &CellTable, geo: &Geometry, radius: f64) -> Option<u8> {
    let b = t.units.boxlen;
    let sizes = LevelSizes::of(t);
    let mut deepest = None;
    for k in 0..t.len() {
        // Only a deeper cell can change the answer.
        if deepest.is_some_and(|d| t.level[k] <= d) {
            continue;
        }
        let x = sizes.centre_box(t, k).map(|v| v * b);
        if geo.distance(x).is_some_and(|d| d <= radius) {
            deepest = Some(t.level[k]);
        }
    }
    deepest
}

/// The smallest leaf cell size (code units) among the cells within
/// `radius` of the geometry's centre; `None` when there are none.
pub fn smallest_cell(t: &CellTable, geo: &Geometry, radius: f64, exec: &Exec) -> Option<f64> {
    Selected::of(t, geo, radius, exec).smallest_cell()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_image_and_cylinder_distances() {
        let mut spec = ProfileSpec::new([0.05, 0.5, 0.5], 0.3);
        spec.period = [Some(1.0), Some(1.0), None];
        let g = Geometry::of(&spec).unwrap();
        let d = g.distance([0.95, 0.5, 0.5]).unwrap();
        assert!((d - 0.1).abs() < 1e-15, "{d}");
        spec.shape = Shape::Cylinder {
            normal: [0.0, 0.0, 2.0],
            height: 0.2,
        };
        let g = Geometry::of(&spec).unwrap();
        assert_eq!(g.distance([0.05, 0.5, 0.65]), None);
        let d = g.distance([0.05, 0.8, 0.59]).unwrap();
        assert!((d - 0.3).abs() < 1e-15, "{d}");
    }
}
