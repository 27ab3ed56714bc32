//! The map's geometry, and where one cell lands on it.

use super::spec::ProjSpec;
use crate::load::CellTable;

/// Where one cell lands on the map.
pub(super) struct Footprint {
    /// Its extent along the image axes, clipped to the range.
    pub(super) u: [f64; 2],
    pub(super) v: [f64; 2],
    /// The pixels it touches: columns `i0..i1`, rows `j0..j1`.
    pub(super) i: [usize; 2],
    pub(super) j: [usize; 2],
    /// Path length through it (code units).
    pub(super) dl: f64,
}

/// The map's geometry, from a spec and the table's units.
pub(super) struct Geometry {
    pub(super) a: usize,
    pub(super) b: usize,
    pub(super) c: usize,
    pub(super) nx: usize,
    pub(super) ny: usize,
    pub(super) range: [[f64; 2]; 3],
    pub(super) pw: f64,
    pub(super) ph: f64,
    pub(super) boxlen: f64,
    pub(super) ndim: usize,
}

impl Geometry {
    pub(super) fn new(spec: &ProjSpec, units: &crate::Units) -> Geometry {
        let (a, b) = spec.image_axes();
        let [nx, ny] = spec.res;
        Geometry {
            a,
            b,
            c: spec.axis,
            nx,
            ny,
            range: spec.range,
            pw: (spec.range[a][1] - spec.range[a][0]) / nx as f64,
            ph: (spec.range[b][1] - spec.range[b][0]) / ny as f64,
            boxlen: units.boxlen,
            ndim: units.ndim,
        }
    }

    /// Pixel columns `[i0, i1)` and rows `[j0, j1)` that contain the
    /// footprint of every cell of `range`; `None` when none can touch the map.
    pub(super) fn pixel_box(
        &self,
        t: &CellTable,
        range: std::ops::Range<usize>,
    ) -> Option<[usize; 4]> {
        let (a, b) = (self.a, self.b);
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for k in range {
            let dx = t.dx_box(k);
            let c = [t.ix[k], t.iy[k], t.iz[k]];
            for (s, d) in [a, b].into_iter().enumerate() {
                if d < self.ndim {
                    let l = c[d] as f64 * dx;
                    lo[s] = lo[s].min(l);
                    hi[s] = hi[s].max(l + dx);
                } else {
                    lo[s] = lo[s].min(self.range[d][0]);
                    hi[s] = hi[s].max(self.range[d][1]);
                }
            }
        }
        let (a0, a1) = (self.range[a][0], self.range[a][1]);
        let (b0, b1) = (self.range[b][0], self.range[b][1]);
        let (u0, u1) = (lo[0].max(a0), hi[0].min(a1));
        let (v0, v1) = (lo[1].max(b0), hi[1].min(b1));
        if !(u0 < u1 && v0 < v1) {
            return None;
        }
        // As `footprint` rounds.
        let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
        let (i0, i1) = (
            ((u0 - a0) / self.pw) as usize,
            ceil((u1 - a0) / self.pw).min(self.nx),
        );
        let (j0, j1) = (
            ((v0 - b0) / self.ph) as usize,
            ceil((v1 - b0) / self.ph).min(self.ny),
        );
        (i0 < i1 && j0 < j1).then_some([i0, i1, j0, j1])
    }

    /// The footprint of cell `k`, `None` when it adds nothing to the map.
    #[inline(always)]
    pub(super) fn footprint(&self, t: &CellTable, k: usize) -> Option<Footprint> {
        let (a, b, c) = (self.a, self.b, self.c);
        let (a0, a1) = (self.range[a][0], self.range[a][1]);
        let (b0, b1) = (self.range[b][0], self.range[b][1]);
        let (c0, c1) = (self.range[c][0], self.range[c][1]);
        let dx = t.dx_box(k);
        let lo = [
            t.ix[k] as f64 * dx,
            t.iy[k] as f64 * dx,
            t.iz[k] as f64 * dx,
        ];
        // Cell extent per axis; in 1D and 2D a cell spans the whole range
        // along the axes the run does not have.
        let span = |d: usize, r0: f64, r1: f64| {
            if d < self.ndim {
                (lo[d], lo[d] + dx)
            } else {
                (r0, r1)
            }
        };
        // Path length through the cell within the line-of-sight range; one
        // code length (the unit depth) along an axis the run does not have,
        // so a 2D map along z is the area average of the cells per pixel.
        let dl = if c < self.ndim {
            let dl = (lo[c] + dx).min(c1) - lo[c].max(c0);
            if dl <= 0.0 {
                return None;
            }
            dl * self.boxlen
        } else {
            1.0
        };
        let (sa0, sa1) = span(a, a0, a1);
        let (sb0, sb1) = span(b, b0, b1);
        let (u0, u1) = (sa0.max(a0), sa1.min(a1));
        let (v0, v1) = (sb0.max(b0), sb1.min(b1));
        if u0 >= u1 || v0 >= v1 {
            return None;
        }
        // Pixel spans; the arguments are ≥ 0, so casts floor them (libm's
        // floor and ceil are calls on baseline x86-64).
        let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
        let i0 = ((u0 - a0) / self.pw) as usize;
        let i1 = ceil((u1 - a0) / self.pw).min(self.nx);
        let j0 = ((v0 - b0) / self.ph) as usize;
        let j1 = ceil((v1 - b0) / self.ph).min(self.ny);
        Some(Footprint {
            u: [u0, u1],
            v: [v0, v1],
            i: [i0, i1],
            j: [j0, j1],
            dl,
        })
    }
}
