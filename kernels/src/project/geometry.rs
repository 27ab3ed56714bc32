//! The map's geometry, and where one cell lands on it, axis by axis.
//!
//! A cell's footprint is a product: along each image axis, the pixels its
//! extent overlaps and the fraction of each pixel's width it covers; along
//! the line of sight, the path length through it inside the slab. Each
//! factor depends only on the cell's level and its integer coordinate along
//! that axis, which is what lets [`super::spans`] compute them once per
//! (level, coordinate) instead of once per cell. The arithmetic here is the
//! definition of the map's bits: a table entry and a direct evaluation run
//! these same functions.

use super::spec::ProjSpec;
use crate::units::Units;

/// Cell size at `level` in box units (a power of two, exact).
#[inline]
pub(super) fn cell_size(level: u8) -> f64 {
    1.0 / (1u64 << level) as f64
}

/// One image axis of the map: box axis `d`, the window `[r0, r1)` along it,
/// `n` pixels of width `pw`.
#[derive(Clone, Copy, Debug)]
pub(super) struct ImageAxis {
    /// Whether the run has this axis (`d < ndim`); when it does not, every
    /// cell spans the whole window along it.
    pub(super) present: bool,
    pub(super) r0: f64,
    pub(super) r1: f64,
    pub(super) pw: f64,
    pub(super) n: usize,
}

impl ImageAxis {
    /// The pixels a cell of `level` at integer coordinate `pos` overlaps
    /// along this axis: the first one, with the overlap fraction of it and
    /// of each following one appended to `f` (possibly none). `None` when
    /// the cell lies outside the window.
    #[inline]
    pub(super) fn span(&self, level: u8, pos: u32, f: &mut Vec<f64>) -> Option<usize> {
        let (r0, r1, pw) = (self.r0, self.r1, self.pw);
        let (s0, s1) = if self.present {
            let dx = cell_size(level);
            let lo = pos as f64 * dx;
            (lo, lo + dx)
        } else {
            (r0, r1)
        };
        let (u0, u1) = (s0.max(r0), s1.min(r1));
        if u0 >= u1 {
            return None;
        }
        // Pixel spans; the arguments are ≥ 0, so casts floor them (libm's
        // floor and ceil are calls on baseline x86-64).
        let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
        let i0 = ((u0 - r0) / pw) as usize;
        let i1 = ceil((u1 - r0) / pw).min(self.n);
        f.extend((i0..i1).map(|i| {
            let p0 = r0 + i as f64 * pw;
            ((p0 + pw).min(u1) - p0.max(u0)) / pw
        }));
        Some(i0)
    }
}

/// The line of sight: box axis `d` and the slab `[c0, c1)` along it.
#[derive(Clone, Copy, Debug)]
pub(super) struct SightAxis {
    pub(super) present: bool,
    pub(super) c0: f64,
    pub(super) c1: f64,
    pub(super) boxlen: f64,
}

impl SightAxis {
    /// Path length (code units) through a cell of `level` at integer
    /// coordinate `pos` inside the slab, `None` when it has none; one code
    /// length (the unit depth) along an axis the run does not have, so a 2D
    /// map along z is the area average of the cells per pixel.
    #[inline]
    pub(super) fn depth(&self, level: u8, pos: u32) -> Option<f64> {
        if !self.present {
            return Some(1.0);
        }
        let dx = cell_size(level);
        let lo = pos as f64 * dx;
        let dl = (lo + dx).min(self.c1) - lo.max(self.c0);
        if dl <= 0.0 {
            None
        } else {
            Some(dl * self.boxlen)
        }
    }
}

/// The map's geometry, from a spec and the table's units.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    /// Box axes of the image axes and of the line of sight.
    pub(super) axes: [usize; 3],
    /// The first image axis (columns), the second (rows).
    pub(super) u: ImageAxis,
    pub(super) v: ImageAxis,
    /// The line of sight.
    pub(super) s: SightAxis,
    pub(super) boxlen: f64,
    pub(super) ndim: usize,
}

impl Geometry {
    pub(super) fn new(spec: &ProjSpec, units: &Units) -> Geometry {
        let (a, b) = spec.image_axes();
        let c = spec.axis;
        let r = spec.range;
        let image = |d: usize, n: usize| ImageAxis {
            present: d < units.ndim,
            r0: r[d][0],
            r1: r[d][1],
            pw: (r[d][1] - r[d][0]) / n as f64,
            n,
        };
        Geometry {
            axes: [a, b, c],
            u: image(a, spec.res[0]),
            v: image(b, spec.res[1]),
            s: SightAxis {
                present: c < units.ndim,
                c0: r[c][0],
                c1: r[c][1],
                boxlen: units.boxlen,
            },
            boxlen: units.boxlen,
            ndim: units.ndim,
        }
    }

    /// Whether tables of `units` give this geometry (the same box length
    /// and dimensions).
    pub(super) fn fits(&self, units: &Units) -> bool {
        self.boxlen == units.boxlen && self.ndim == units.ndim
    }
}
