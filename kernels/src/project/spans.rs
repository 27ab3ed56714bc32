//! Footprints looked up per (level, coordinate) rather than computed per
//! cell.
//!
//! Along each axis a cell's share of the map (the pixels it overlaps and
//! the fraction of each, or its path length through the slab) depends only
//! on its level and its integer coordinate there ([`super::geometry`]). An
//! output has millions of cells but, at the levels a map resolves, only
//! thousands of distinct coordinates per level: computing each factor once,
//! the first time a level is met, leaves the deposit a few loads and
//! multiplies per cell instead of six divisions. The tables hold the very
//! values the per-cell evaluation gives (the same function fills them), so
//! the maps keep their bits. A level with more than [`MAX_POSITIONS`]
//! coordinates inside the window (cells far smaller than a pixel over a
//! wide window) is evaluated cell by cell, as before.

use super::geometry::{Geometry, ImageAxis, SightAxis};
use std::sync::OnceLock;

/// Most coordinates a table of one axis at one level holds (about 1 MB).
pub(super) const MAX_POSITIONS: u64 = 1 << 16;

/// Levels a table can exist for (a cell size `2^-level` of a `u64` shift).
const LEVELS: usize = 64;

/// The pixels a cell overlaps along one image axis: the first one, and the
/// overlap fraction of it and of each following one.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span<'a> {
    pub(super) i0: usize,
    pub(super) f: &'a [f64],
}

/// Where one cell lands: its spans along the image axes (neither empty)
/// and its path length through the slab.
#[derive(Clone, Copy, Debug)]
pub(super) struct Footprint<'a> {
    pub(super) u: Span<'a>,
    pub(super) v: Span<'a>,
    pub(super) dl: f64,
    /// Whether some fractions may be ≤ 0 (pixels the cell does not
    /// cover, skipped); from a table, every fraction is > 0.
    pub(super) checked: bool,
}

/// Room for the fractions of a cell evaluated directly.
#[derive(Default)]
pub(super) struct Scratch {
    u: Vec<f64>,
    v: Vec<f64>,
}

/// The coordinates `first..first + len` a table covers, `len` from its
/// entries. Along an axis the run does not have, one entry serves every
/// coordinate (`step` 0: the index is always 0).
#[derive(Clone, Copy, Debug)]
struct Positions {
    first: u32,
    step: u32,
}

impl Positions {
    /// The coordinates of cells of `level` that can overlap `[r0, r1)`
    /// along a present axis, with one to spare at each end: a cell below
    /// ends at `(pos + 1)·dx ≤ r0 − dx`, one above starts at `pos·dx ≥ r1
    /// + dx` (products by powers of two, exact), and neither overlaps.
    /// `None` when there are more than [`MAX_POSITIONS`].
    fn covering(level: u8, r0: f64, r1: f64) -> Option<(Positions, u32)> {
        let scale = (1u64 << level) as f64;
        let lo = ((r0 * scale).floor() - 1.0).max(0.0);
        let hi = (r1 * scale).ceil() + 1.0;
        if !(hi - lo <= MAX_POSITIONS as f64 && hi <= u32::MAX as f64) {
            return None;
        }
        Some((
            Positions {
                first: lo as u32,
                step: 1,
            },
            (hi - lo) as u32,
        ))
    }

    /// One entry for every coordinate.
    const ANY: Positions = Positions { first: 0, step: 0 };

    /// The entry of coordinate `pos` (out of range when not covered).
    #[inline(always)]
    fn index(self, pos: u32) -> usize {
        pos.wrapping_mul(self.step).wrapping_sub(self.first) as usize
    }
}

/// The spans of one image axis at one level, each without the fractions
/// ≤ 0 that can end it (an edge that rounds onto the next pixel): the
/// deposit skips those pixels, so it needs no test per pixel.
struct AxisTable {
    at: Positions,
    /// Per coordinate: first pixel, start of its fractions, their number
    /// (0: the cell lies outside the window).
    spans: Vec<[u32; 3]>,
    fractions: Vec<f64>,
    /// When every span has at most one pixel (cells no wider than a
    /// pixel): the same spans as one entry each, pixel and fraction side
    /// by side (one load per cell); else empty.
    single: Vec<Pixel>,
}

/// The one pixel of a span along an axis and its fraction; pixel
/// [`Pixel::OUT`] when the cell lies outside the window.
#[derive(Clone, Copy, Debug)]
struct Pixel {
    f: f64,
    i: u32,
}

impl Pixel {
    const OUT: u32 = u32::MAX;
}

impl AxisTable {
    const NONE: AxisTable = AxisTable {
        at: Positions::ANY,
        spans: Vec::new(),
        fractions: Vec::new(),
        single: Vec::new(),
    };

    fn new(axis: &ImageAxis, level: u8) -> Option<AxisTable> {
        let (at, len) = if axis.present {
            Positions::covering(level, axis.r0, axis.r1)?
        } else {
            (Positions::ANY, 1)
        };
        let mut t = AxisTable {
            at,
            spans: Vec::with_capacity(len as usize),
            fractions: Vec::new(),
            single: Vec::new(),
        };
        let mut f = Vec::new();
        for k in 0..len {
            f.clear();
            let i0 = axis.span(level, at.first + k, &mut f);
            let start = t.fractions.len();
            let (skip, keep) = match f.iter().position(|&x| x > 0.0) {
                Some(a) => (a, f.iter().rposition(|&x| x > 0.0).unwrap_or(a) + 1 - a),
                None => (0, 0),
            };
            let kept = &f[skip..skip + keep];
            if kept.iter().any(|&x| x <= 0.0) {
                // A pixel inside a cell it does not cover (pixels narrower
                // than the rounding of their edges): evaluate cell by cell.
                return None;
            }
            t.fractions.extend_from_slice(kept);
            // Pixel indices and fraction counts fit: a map has fewer than
            // 2^32 pixels per side, and a table fewer than 2^32 fractions
            // (≤ MAX_POSITIONS + pixels per side).
            t.spans.push(match i0 {
                Some(i0) if keep > 0 => [(i0 + skip) as u32, start as u32, keep as u32],
                _ => [0, start as u32, 0],
            });
        }
        if t.spans.iter().all(|s| s[2] <= 1) {
            t.single = t
                .spans
                .iter()
                .map(|&[i0, start, n]| match n {
                    0 => Pixel {
                        f: 0.0,
                        i: Pixel::OUT,
                    },
                    _ => Pixel {
                        f: t.fractions[start as usize],
                        i: i0,
                    },
                })
                .collect();
        }
        Some(t)
    }

    #[inline(always)]
    fn get(&self, pos: u32) -> Option<Span<'_>> {
        let &[i0, start, n] = self.spans.get(self.at.index(pos))?;
        if n == 0 {
            return None;
        }
        // SAFETY: `new` pushed every entry with `start + n` at most the
        // length of `fractions` (the fractions it had just appended), and
        // the table is not changed after.
        let f = unsafe {
            self.fractions
                .get_unchecked(start as usize..(start + n) as usize)
        };
        Some(Span { i0: i0 as usize, f })
    }
}

/// The path lengths along the line of sight at one level (−1: none).
struct DepthTable {
    at: Positions,
    dl: Vec<f64>,
}

impl DepthTable {
    fn new(axis: &SightAxis, level: u8) -> Option<DepthTable> {
        let (at, len) = if axis.present {
            Positions::covering(level, axis.c0, axis.c1)?
        } else {
            (Positions::ANY, 1)
        };
        let dl = (0..len)
            .map(|k| axis.depth(level, at.first + k).unwrap_or(-1.0))
            .collect();
        Some(DepthTable { at, dl })
    }

    #[inline(always)]
    fn get(&self, pos: u32) -> Option<f64> {
        // Path lengths are > 0 (or exactly 0 after an underflow of
        // `dl·boxlen`, still deposited as the direct evaluation does).
        self.dl
            .get(self.at.index(pos))
            .copied()
            .filter(|&d| d >= 0.0)
    }
}

/// Every factor of one level.
pub(super) struct LevelTables {
    u: AxisTable,
    v: AxisTable,
    s: DepthTable,
}

impl LevelTables {
    /// Tables where no coordinate lands on the map (for levels a run does
    /// not have).
    pub(super) const NONE: LevelTables = LevelTables {
        u: AxisTable::NONE,
        v: AxisTable::NONE,
        s: DepthTable {
            at: Positions::ANY,
            dl: Vec::new(),
        },
    };

    /// Where a cell of this level at coordinates `pos` (along the first
    /// image axis, the second, the line of sight) lands; `None` when it
    /// adds nothing to the map.
    #[inline(always)]
    pub(super) fn footprint(&self, pos: [u32; 3]) -> Option<Footprint<'_>> {
        let dl = self.s.get(pos[2])?;
        let u = self.u.get(pos[0])?;
        let v = self.v.get(pos[1])?;
        Some(Footprint {
            u,
            v,
            dl,
            checked: false,
        })
    }

    /// When every cell of this level overlaps one pixel at most along
    /// each image axis, and the run has all three axes: its tables as
    /// plain slices, for [`OnePixel::get`].
    #[inline]
    pub(super) fn one_pixel(&self) -> Option<OnePixel<'_>> {
        let (u, v, s) = (&self.u, &self.v, &self.s);
        if u.single.is_empty()
            || v.single.is_empty()
            || [u.at, v.at, s.at].iter().any(|a| a.step != 1)
        {
            return None;
        }
        Some(OnePixel {
            u: &u.single,
            v: &v.single,
            s: &s.dl,
            first: [u.at.first, v.at.first, s.at.first],
        })
    }
}

/// The tables of a level of one-pixel cells ([`LevelTables::one_pixel`]),
/// every axis present (the entry of coordinate `pos` at `pos − first`).
#[derive(Clone, Copy)]
pub(super) struct OnePixel<'a> {
    u: &'a [Pixel],
    v: &'a [Pixel],
    s: &'a [f64],
    first: [u32; 3],
}

impl OnePixel<'_> {
    /// [`LevelTables::footprint`] of a one-pixel cell: the pixel's column
    /// and row, the fraction along each, and the path length (the very
    /// values of the footprint).
    #[inline(always)]
    pub(super) fn get(&self, pos: [u32; 3]) -> Option<([usize; 2], [f64; 2], f64)> {
        let at = |d: usize| pos[d].wrapping_sub(self.first[d]) as usize;
        let dl = *self.s.get(at(2))?;
        let u = *self.u.get(at(0))?;
        let v = *self.v.get(at(1))?;
        // As `DepthTable::get` and `AxisTable::get` reject them.
        if dl < 0.0 || u.i == Pixel::OUT || v.i == Pixel::OUT {
            return None;
        }
        Some(([u.i as usize, v.i as usize], [u.f, v.f], dl))
    }
}

/// The footprints of a projection's cells: tables per level, made the
/// first time a level is met (by whichever thread meets it).
pub(super) struct Spans {
    pub(super) geom: Geometry,
    levels: Vec<OnceLock<Option<LevelTables>>>,
    /// Tables off: every cell evaluated directly (tests compare the two).
    direct: bool,
}

impl Spans {
    pub(super) fn new(geom: Geometry) -> Spans {
        Spans {
            geom,
            levels: (0..LEVELS).map(|_| OnceLock::new()).collect(),
            direct: false,
        }
    }

    /// Without tables: every footprint evaluated cell by cell.
    #[cfg(test)]
    pub(super) fn direct(geom: Geometry) -> Spans {
        Spans {
            direct: true,
            ..Spans::new(geom)
        }
    }

    /// The tables of `level`, made on first use; `None` when the level is
    /// evaluated cell by cell ([`Spans::evaluate`]).
    pub(super) fn tables(&self, level: u8) -> Option<&LevelTables> {
        if self.direct {
            return None;
        }
        self.levels
            .get(level as usize)?
            .get_or_init(|| {
                let g = &self.geom;
                Some(LevelTables {
                    u: AxisTable::new(&g.u, level)?,
                    v: AxisTable::new(&g.v, level)?,
                    s: DepthTable::new(&g.s, level)?,
                })
            })
            .as_ref()
    }

    /// [`LevelTables::footprint`] computed for this cell alone, its
    /// fractions in `scratch`.
    #[inline(never)]
    pub(super) fn evaluate<'a>(
        &self,
        level: u8,
        pos: [u32; 3],
        scratch: &'a mut Scratch,
    ) -> Option<Footprint<'a>> {
        let g = &self.geom;
        let dl = g.s.depth(level, pos[2])?;
        scratch.u.clear();
        scratch.v.clear();
        let i0 = g.u.span(level, pos[0], &mut scratch.u)?;
        let j0 = g.v.span(level, pos[1], &mut scratch.v)?;
        if scratch.u.is_empty() || scratch.v.is_empty() {
            return None;
        }
        Some(Footprint {
            u: Span { i0, f: &scratch.u },
            v: Span {
                i0: j0,
                f: &scratch.v,
            },
            dl,
            checked: true,
        })
    }
}
