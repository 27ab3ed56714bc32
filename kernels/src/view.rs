//! A view: where a map looks from, and which pixels it has.
//!
//! A view is a centre `c`, an orthonormal right-handed basis `(e1, e2, n)`
//! (image x, image y, line of sight; `e1 × e2 = n`), a window `W × H`, an
//! optional depth `D` along `n` (the slab `|s| ≤ D/2` around `c`; `None`:
//! unlimited) and `N × M` pixels. Pixel `(i, j)` (`map[j·N + i]`) is the
//! rectangle of side `W/N × H/M` centred at
//! `c + ((i+½)/N − ½)·W·e1 + ((j+½)/M − ½)·H·e2`.
//!
//! Everything is in code units: the box spans `[0, extent[d]·boxlen]`.
//! Slices ([`crate::slice`]) sample the plane through `c` normal to `n`;
//! off-axis projections ([`crate::offaxis`]) integrate over each pixel's
//! prism. Both pick the CPU files their view can touch here
//! ([`View::cpus`]), from the Hilbert keys as [`crate::load`] does for a
//! box.

use crate::error::{KernelError, Result};
use crate::select::{Region, Selection};
use crate::units::Units;
use amrkit_io::Snapshot;

/// A 3-vector.
pub type Vec3 = [f64; 3];

fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

fn scale(a: Vec3, k: f64) -> Vec3 {
    a.map(|v| v * k)
}

/// The orthonormal right-handed basis `(e1, e2, n)` of a map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Basis {
    /// Image x.
    pub e1: Vec3,
    /// Image y.
    pub e2: Vec3,
    /// Line of sight.
    pub n: Vec3,
}

const X: Vec3 = [1.0, 0.0, 0.0];
const Y: Vec3 = [0.0, 1.0, 0.0];
const Z: Vec3 = [0.0, 0.0, 1.0];

/// `v / |v|`, or an error naming `what` when `v` is zero or not finite.
fn unit(v: Vec3, what: &str) -> Result<Vec3> {
    let l = norm(v);
    if !(v.iter().all(|x| x.is_finite()) && l > 0.0 && l.is_finite()) {
        return Err(KernelError::Invalid(format!(
            "{what} must be a non-zero finite vector, got ({}, {}, {})",
            v[0], v[1], v[2]
        )));
    }
    Ok(scale(v, 1.0 / l))
}

impl Basis {
    /// The axis-aligned basis of `--axis` (0 = x, 1 = y, 2 = z), with the
    /// image axes of [`crate::project`]: along x (y, z), along y (z, x),
    /// along z (x, y).
    pub fn axis(axis: usize) -> Basis {
        match axis {
            0 => Basis { e1: Y, e2: Z, n: X },
            1 => Basis { e1: Z, e2: X, n: Y },
            _ => Basis { e1: X, e2: Y, n: Z },
        }
    }

    /// The basis of `--normal n [--north u]`: `e2` is `u` (default: the
    /// box's y axis, or z when `|n·ŷ| > 0.99`) projected on the image
    /// plane and normalised, `e1 = e2 × n`.
    pub fn from_normal(normal: Vec3, north: Option<Vec3>) -> Result<Basis> {
        let n = unit(normal, "--normal")?;
        let up = match north {
            Some(u) => unit(u, "--north")?,
            None if dot(n, Y).abs() > 0.99 => Z,
            None => Y,
        };
        let p = [
            up[0] - dot(up, n) * n[0],
            up[1] - dot(up, n) * n[1],
            up[2] - dot(up, n) * n[2],
        ];
        if norm(p) < 1e-9 {
            return Err(KernelError::Invalid(format!(
                "--north ({}, {}, {}) is parallel to the normal ({}, {}, {}): no image y axis",
                up[0], up[1], up[2], n[0], n[1], n[2]
            )));
        }
        let e2 = scale(p, 1.0 / norm(p));
        let e1 = cross(e2, n);
        Ok(Basis { e1, e2, n })
    }

    /// Face-on (pynbody's `faceon` frame): `n = L̂`, `e2` from the box's y
    /// axis as in [`Basis::from_normal`].
    pub fn face_on(l_hat: Vec3) -> Result<Basis> {
        Basis::from_normal(l_hat, None)
    }

    /// Edge-on (pynbody's `sideon` frame): `e2 = L̂`, `n = normalise(x̂ ×
    /// L̂)` (`ẑ × L̂` when `|L̂·x̂| > 0.99`), `e1 = e2 × n`.
    pub fn edge_on(l_hat: Vec3) -> Result<Basis> {
        let e2 = unit(l_hat, "L̂")?;
        let a = if dot(e2, X).abs() > 0.99 { Z } else { X };
        let n = unit(cross(a, e2), "the edge-on line of sight")?;
        let e1 = cross(e2, n);
        Ok(Basis { e1, e2, n })
    }
}

/// A map's view (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    /// Centre (code units).
    pub center: Vec3,
    /// The basis.
    pub basis: Basis,
    /// Window `[W, H]` (code units).
    pub width: [f64; 2],
    /// Depth along `n` (code units); `None`: unlimited.
    pub depth: Option<f64>,
    /// Pixels `[N, M]` along `e1` and `e2`.
    pub pixels: [usize; 2],
}

impl View {
    /// The default view of an output along `basis`: the box centre, a
    /// window of the box length (the longest side) square, unlimited depth.
    pub fn whole_box(units: &Units, basis: Basis, res: usize) -> View {
        let len = (0..3)
            .map(|d| units.extent[d] as f64 * units.boxlen)
            .fold(0.0, f64::max);
        View {
            center: std::array::from_fn(|d| units.extent[d] as f64 * units.boxlen / 2.0),
            basis,
            width: [len, len],
            depth: None,
            pixels: [res, res],
        }
    }

    /// Pixel sides `[W/N, H/M]`.
    pub fn pixel_size(&self) -> [f64; 2] {
        [
            self.width[0] / self.pixels[0] as f64,
            self.width[1] / self.pixels[1] as f64,
        ]
    }

    /// The image coordinates `(a, b)` of pixel `(i, j)`'s centre relative
    /// to the view centre: `((i+½)/N − ½)·W`, `((j+½)/M − ½)·H`.
    #[inline]
    pub fn pixel_offset(&self, i: usize, j: usize) -> [f64; 2] {
        [
            ((i as f64 + 0.5) / self.pixels[0] as f64 - 0.5) * self.width[0],
            ((j as f64 + 0.5) / self.pixels[1] as f64 - 0.5) * self.width[1],
        ]
    }

    /// The centre of pixel `(i, j)`: `c + a·e1 + b·e2`, with `(a, b)` of
    /// [`View::pixel_offset`], added in that order per axis.
    #[inline]
    pub fn pixel_centre(&self, i: usize, j: usize) -> Vec3 {
        let [a, b] = self.pixel_offset(i, j);
        let (e1, e2) = (self.basis.e1, self.basis.e2);
        std::array::from_fn(|d| self.center[d] + a * e1[d] + b * e2[d])
    }

    /// Checks the view against an output: pixels ≥ 1, positive finite
    /// window and depth, a centre inside the box.
    pub fn check(&self, units: &Units) -> Result<()> {
        if self.pixels[0] == 0 || self.pixels[1] == 0 {
            return Err(KernelError::Invalid(format!(
                "a map needs at least one pixel per side, got {}×{}",
                self.pixels[0], self.pixels[1]
            )));
        }
        if !self.width.iter().all(|w| *w > 0.0 && w.is_finite()) {
            return Err(KernelError::Invalid(format!(
                "--width must be positive and finite, got {}×{} (code units)",
                self.width[0], self.width[1]
            )));
        }
        if let Some(d) = self.depth {
            if !(d > 0.0 && d.is_finite()) {
                return Err(KernelError::Invalid(format!(
                    "--depth must be positive and finite, got {d} (code units)"
                )));
            }
        }
        crate::center::check_inside(units, self.center)
    }

    /// The view's box `c + [−W/2, W/2]·e1 + [−H/2, H/2]·e2 + [−D/2, D/2]·n`
    /// (`D` = `depth`, or twice the box diagonal when unlimited: every
    /// point of the box then lies in the slab) as a bounding box in box
    /// units, widened by `pad` box units and clipped to the box.
    fn bounds_box(&self, units: &Units, pad: f64) -> ([f64; 3], [f64; 3]) {
        let b = units.boxlen;
        let ext = units.extent.map(|e| e as f64);
        let diag = (ext[0] * ext[0] + ext[1] * ext[1] + ext[2] * ext[2]).sqrt() * b;
        let half = [
            self.width[0] / 2.0,
            self.width[1] / 2.0,
            self.depth.map_or(2.0 * diag, |d| d / 2.0),
        ];
        let axes = [self.basis.e1, self.basis.e2, self.basis.n];
        let mut lo = [0.0; 3];
        let mut hi = [0.0; 3];
        for d in 0..3 {
            let r: f64 = (0..3).map(|k| half[k] * axes[k][d].abs()).sum();
            lo[d] = ((self.center[d] - r) / b - pad).max(0.0);
            hi[d] = ((self.center[d] + r) / b + pad).min(ext[d]);
        }
        (lo, hi)
    }

    /// The selection of cells to read for this view when the caller gives
    /// no region: the cells whose centre lies within half the largest leaf
    /// of the view's box with half-depth `half_depth` (code units; `None`:
    /// the view's own), at `lmax`. The geometry then decides exactly.
    pub fn selection(
        &self,
        units: &Units,
        levelmin: u32,
        lmax: Option<u32>,
        half_depth: Option<f64>,
    ) -> Selection {
        let coarsest = lmax.map_or(levelmin, |l| l.min(levelmin));
        let pad = 0.5f64.powi(coarsest as i32);
        let mut v = *self;
        if let Some(h) = half_depth {
            v.depth = Some(2.0 * h);
        }
        let (lo, hi) = v.bounds_box(units, pad);
        Selection {
            lmax,
            region: Some(Region::Box { lo, hi }),
            files: None,
        }
    }

    /// The CPU files (1-based, in order) that can hold leaves meeting the
    /// view's box with the half-depth `half_depth` (code units; `Some(0)`
    /// for a slice's plane, `None` for the view's own depth). With
    /// Hilbert ordering, a walk of the key tree keeps the cubes that come
    /// within `2^-levelmin` of the box (the distance from any point of a
    /// leaf to its oct's centre, which decides the oct's file) and marks
    /// the files their key ranges touch; other orderings take the files of
    /// the view's bounding box ([`Snapshot::cpus_for_region`]).
    pub fn cpus(&self, snap: &Snapshot, half_depth: Option<f64>) -> Result<Vec<usize>> {
        let units = Units::from_info(&snap.info);
        let mut v = *self;
        if let Some(h) = half_depth {
            v.depth = Some(2.0 * h);
        }
        let keyed = snap.info.ndim == 3 && snap.info.coarse_grid == [1, 1, 1];
        let keys = if keyed { snap.bound_keys()? } else { None };
        let Some(keys) = keys else {
            let (lo, hi) = v.bounds_box(&units, 0.0);
            return Ok(snap.cpus_for_region(lo, hi)?);
        };
        Ok(hilbert_walk(
            &keys,
            snap.info.levelmax,
            snap.info.levelmin,
            &v,
            units.boxlen,
        ))
    }

    /// The JSON sidecar of a map (`<file>.json`): the view in code units,
    /// then what the map shows.
    pub fn sidecar(
        &self,
        variable: &str,
        weight: &str,
        unit: &str,
        length_unit: &str,
    ) -> serde_json::Value {
        serde_json::json!({
            "center": self.center,
            "e1": self.basis.e1,
            "e2": self.basis.e2,
            "normal": self.basis.n,
            "width": self.width,
            "depth": self.depth,
            "pixels": self.pixels,
            "variable": variable,
            "weight": weight,
            "unit": unit,
            "length_unit": length_unit,
        })
    }
}

/// Half-widths of a view's box along `(e1, e2, n)` in box units (`∞`
/// along `n` when the depth is unlimited).
fn half_widths(v: &View, boxlen: f64) -> [f64; 3] {
    [
        v.width[0] / 2.0 / boxlen,
        v.width[1] / 2.0 / boxlen,
        v.depth.map_or(f64::INFINITY, |d| d / 2.0 / boxlen),
    ]
}

/// The Hilbert-keyed CPU choice of [`View::cpus`] (box units inside).
fn hilbert_walk(keys: &[u128], levelmax: u32, levelmin: u32, v: &View, boxlen: f64) -> Vec<usize> {
    let ncpu = keys.len().saturating_sub(1);
    let mut hit = vec![false; ncpu];
    let bits = levelmax + 1;
    let pad = 0.5f64.powi(levelmin as i32);
    let axes = [v.basis.e1, v.basis.e2, v.basis.n];
    let l1 = axes.map(|a| a[0].abs() + a[1].abs() + a[2].abs());
    let half = half_widths(v, boxlen);
    let c = v.center.map(|x| x / boxlen);
    // Cubes at this depth are marked whole: a coarse cell (or half of one)
    // is as fine as the `2^-levelmin` widening makes worth it.
    let stop = (levelmin + 1).min(bits);
    let mut stack = vec![(0u32, [0u64; 3], 0u128)];
    while let Some((level, cube, key)) = stack.pop() {
        let size = 0.5f64.powi(level as i32);
        let mid: Vec3 = std::array::from_fn(|d| (cube[d] as f64 + 0.5) * size - c[d]);
        // The cube's extent along each view axis, widened by `pad` per box
        // axis, against the view's half-width along it.
        let meets = (0..3).all(|k| {
            let s = dot(mid, axes[k]).abs();
            s <= half[k] + (0.5 * size + pad) * l1[k]
        });
        if !meets {
            continue;
        }
        // The files whose key ranges meet the cube's, `keys[d] < k1 &&
        // keys[d + 1] > k0`, are `lo..hi` (the keys ascend): two binary
        // searches, not a test of every file. A cube none of whose files
        // is new cannot add one below it (its children's ranges are
        // inside its own): the walk stops there, and the files chosen are
        // those of the whole walk.
        let shift = 3 * (bits - level);
        let (k0, k1) = (key << shift, (key + 1) << shift);
        let hi = keys[..ncpu].partition_point(|&x| x < k1);
        let lo = keys[1..].partition_point(|&x| x <= k0);
        if lo >= hi || hit[lo..hi].iter().all(|&h| h) {
            continue;
        }
        if level >= stop {
            hit[lo..hi].fill(true);
            continue;
        }
        for child in 0..8u64 {
            let b = [(child >> 2) & 1, (child >> 1) & 1, child & 1];
            let cc = [2 * cube[0] + b[0], 2 * cube[1] + b[1], 2 * cube[2] + b[2]];
            let ck = amrkit_io::hilbert::key3d(cc[0], cc[1], cc[2], level + 1);
            stack.push((level + 1, cc, ck));
        }
    }
    hit.iter()
        .enumerate()
        .filter_map(|(d, &h)| h.then_some(d + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Vec3, b: Vec3) -> bool {
        (0..3).all(|d| (a[d] - b[d]).abs() < 1e-15)
    }

    #[test]
    fn normals_with_norths_are_the_axis_bases() {
        assert_eq!(Basis::from_normal(Z, None).unwrap(), Basis::axis(2));
        assert_eq!(Basis::from_normal(X, Some(Z)).unwrap(), Basis::axis(0));
        assert_eq!(Basis::from_normal(Y, Some(X)).unwrap(), Basis::axis(1));
        for a in 0..3 {
            let b = Basis::axis(a);
            assert!(close(cross(b.e1, b.e2), b.n));
        }
    }

    #[test]
    fn bases_are_orthonormal_and_right_handed() {
        for n in [[1.0, 2.0, 3.0], [0.0, 1.0, 0.001], [-3.0, 0.5, -0.2]] {
            for b in [
                Basis::from_normal(n, None).unwrap(),
                Basis::edge_on(n).unwrap(),
                Basis::from_normal(n, Some([0.3, -1.0, 2.0])).unwrap(),
            ] {
                assert!(close(cross(b.e1, b.e2), b.n), "{b:?}");
                assert!((norm(b.e1) - 1.0).abs() < 1e-15 && dot(b.e1, b.e2).abs() < 1e-15);
            }
            let e = Basis::edge_on(n).unwrap();
            assert!(close(e.e2, scale(n, 1.0 / norm(n))));
        }
    }

    #[test]
    fn bad_normals_and_norths_are_one_line_errors() {
        for (n, u) in [
            ([0.0; 3], None),
            ([f64::NAN, 0.0, 1.0], None),
            ([0.0, 0.0, 1.0], Some([0.0, 0.0, -2.0])),
            ([1.0, 0.0, 0.0], Some([0.0, 0.0, 0.0])),
        ] {
            let e = Basis::from_normal(n, u).unwrap_err().to_string();
            assert!(!e.contains('\n') && (e.contains("--n")), "{e}");
        }
    }
}
