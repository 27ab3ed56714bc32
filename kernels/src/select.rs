//! What part of an output to load: a deepest level and a region.
//!
//! Regions are kept in box units (coarse cells: `[0, 1]` per axis for one
//! coarse cell, `[0, n]` for `n` along an axis). Constructors take
//! code units or named physical units around a centre, so the unit choice
//! is always explicit.
//!
//! Two rules pick cells. Loading and statistics keep a cell when its
//! centre lies in the region (yt's rule for its data objects). A
//! projection over a box (a window and a depth slab) is the integral of
//! the leaf field over that prism, so it needs every cell that overlaps
//! the box, clipped by the projection itself:
//! [`Selection::with_overlapping_cells`] gives the selection that reads
//! them.

use crate::error::Result;
use crate::units::Units;

/// A region of the box, in box units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Region {
    /// `[lo, hi)` per axis.
    Box {
        /// Lower corner.
        lo: [f64; 3],
        /// Upper corner.
        hi: [f64; 3],
    },
    /// Points within `radius` of `centre`.
    Sphere {
        /// Centre.
        centre: [f64; 3],
        /// Radius.
        radius: f64,
    },
    /// A cylinder along `axis` (0, 1, 2): within `radius` of the axis
    /// through `centre`, and within `half_height` of `centre` along it.
    Cylinder {
        /// Centre.
        centre: [f64; 3],
        /// Radius.
        radius: f64,
        /// Half its height.
        half_height: f64,
        /// Its axis.
        axis: usize,
    },
}

impl Region {
    /// A box given by ranges in `unit` relative to `centre` (box units),
    /// e.g. `[-10, 10]` kpc around the box centre. `None` ranges span the
    /// whole box along that axis.
    pub fn ranges(
        units: &Units,
        centre: [f64; 3],
        ranges: [Option<[f64; 2]>; 3],
        unit: &str,
    ) -> Result<Region> {
        let to_box = units.box_per(unit)?;
        // An axis without a range spans the box: `[0, n]` for a box of `n`
        // coarse cells along it (box units are coarse cells).
        let mut lo = [0.0; 3];
        let mut hi = units.extent.map(|n| n as f64);
        for d in 0..3 {
            if let Some([a, b]) = ranges[d] {
                lo[d] = centre[d] + a * to_box;
                hi[d] = centre[d] + b * to_box;
            }
        }
        Ok(Region::Box { lo, hi })
    }

    /// A sphere of `radius` in `unit` around `centre` (box units).
    pub fn sphere(units: &Units, centre: [f64; 3], radius: f64, unit: &str) -> Result<Region> {
        let to_box = units.box_per(unit)?;
        Ok(Region::Sphere {
            centre,
            radius: radius * to_box,
        })
    }

    /// The bounding box, clipped to a box of `extent` coarse cells per
    /// axis (`[0, extent[d]]`; `info.extent`, `[1, 1, 1]` for most runs).
    pub fn bounds(&self, extent: [usize; 3]) -> ([f64; 3], [f64; 3]) {
        let (lo, hi) = match *self {
            Region::Box { lo, hi } => (lo, hi),
            Region::Sphere { centre, radius } => {
                (centre.map(|c| c - radius), centre.map(|c| c + radius))
            }
            Region::Cylinder {
                centre,
                radius,
                half_height,
                axis,
            } => {
                let mut lo = centre.map(|c| c - radius);
                let mut hi = centre.map(|c| c + radius);
                lo[axis] = centre[axis] - half_height;
                hi[axis] = centre[axis] + half_height;
                (lo, hi)
            }
        };
        let clip = |v: [f64; 3]| std::array::from_fn(|d| v[d].clamp(0.0, extent[d] as f64));
        (clip(lo), clip(hi))
    }

    /// Whether the shape needs a test beyond its bounding box.
    pub fn is_box(&self) -> bool {
        matches!(self, Region::Box { .. })
    }

    /// Whether the point `x` (box units) is inside.
    pub fn contains(&self, x: [f64; 3]) -> bool {
        match *self {
            Region::Box { lo, hi } => (0..3).all(|d| x[d] >= lo[d] && x[d] < hi[d]),
            Region::Sphere { centre, radius } => {
                (0..3).map(|d| (x[d] - centre[d]).powi(2)).sum::<f64>() <= radius * radius
            }
            Region::Cylinder {
                centre,
                radius,
                half_height,
                axis,
            } => {
                let r2: f64 = (0..3)
                    .filter(|&d| d != axis)
                    .map(|d| (x[d] - centre[d]).powi(2))
                    .sum();
                r2 <= radius * radius && (x[axis] - centre[axis]).abs() <= half_height
            }
        }
    }
}

/// What to load.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Selection {
    /// Deepest level (cells there count as leaves); `None`: the run's
    /// `levelmax`.
    pub lmax: Option<u32>,
    /// Region; `None`: the whole box.
    pub region: Option<Region>,
    /// Only the files `[lo, hi)` of those the region needs, counted in
    /// their (Hilbert) order: one process's share when several split an
    /// output between them. `None`: all of them.
    pub files: Option<[usize; 2]>,
}

impl Selection {
    /// The selection that reads every leaf cell overlapping this
    /// selection's box (the centre rule on the box grown by half the
    /// largest leaf cell along each axis the run has), for projections over
    /// a window or a slab. It reads some cells that only touch the box or
    /// lie just outside it; the projection clips every cell to the box, so
    /// they add nothing. Spheres and cylinders, and no region, are kept as
    /// they are.
    ///
    /// Leaves lie at levels `levelmin..=levelmax` (RAMSES refines every
    /// cell above `levelmin`), or at `lmax` when that is coarser, so the
    /// largest leaf spans `2^-min(levelmin, lmax)` box units.
    pub fn with_overlapping_cells(&self, info: &amrkit_io::Info) -> Selection {
        let Some(Region::Box { lo, hi }) = self.region else {
            return *self;
        };
        let coarsest = info.levelmin.min(self.lmax.unwrap_or(info.levelmax));
        let half = 0.5 / (1u64 << coarsest.min(62)) as f64;
        let grown = |v: [f64; 3], s: f64| -> [f64; 3] {
            std::array::from_fn(|d| if d < info.ndim { v[d] + s * half } else { v[d] })
        };
        Selection {
            region: Some(Region::Box {
                lo: grown(lo, -1.0),
                hi: grown(hi, 1.0),
            }),
            ..*self
        }
    }
}
