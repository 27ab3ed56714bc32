//! Centres of an output and the angular momentum about them.
//!
//! One module so that every command (`center`, `project --face-on`,
//! `slice`, profiles, phase diagrams) and the Python package find the same
//! centre with the same bits. Positions are in code units (the box spans
//! `[0, boxlen]` per coarse cell of `extent`); cells are gas leaves taken as
//! points at their centres with mass `ρ·dx³`; nothing wraps periodically.
//!
//! Sums are taken per block of one CPU file ([`CellTable::file_ranges`]) and
//! the blocks are added in file order, so a result depends neither on the
//! thread count nor on how the work is scheduled.
//!
//! Methods:
//! - `densest`: the centre of the leaf of highest density; ties go to the
//!   first in file order (CPU files in table order, then the order of the
//!   cells in the file).
//! - `com`: `Σ m x / Σ m`.
//! - `ssc`: the shrinking sphere of Power et al. (2003), as pynbody runs
//!   it but in f64 throughout: start at `com` with `r₀` half the box
//!   length; at each step keep the cells within `r_k` of the current
//!   centre (the first step at `r₀` itself), move the centre to their
//!   centre of mass, `r_{k+1} = 0.7 r_k`; stop when fewer than 100 cells
//!   are kept, returning the last centre computed from at least 100.
//!
//! # Bounded memory (issue 30)
//!
//! Over the files of an output ([`find_center_files`], [`spin_files`]) no
//! column of every cell is held: each pass reads a CPU file per worker
//! ([`crate::sums::reduce_files`]) and keeps its block's few sums. That
//! gives the table's bits because a cell outside the sphere adds nothing:
//! a block summed over any subset of the file's cells that holds every
//! cell within the sphere, in cell order, is the same block.
//!
//! `ssc` sums a dozen or more spheres: [`shrinking_sphere_files`]
//! (`ssc.rs`) keeps the cells of the last sphere between its passes, up to
//! a budget. `L` ([`spin_files`], `spin.rs`) takes two passes (the bulk
//! velocity, then `L` about it), particles included.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::CellTable;

mod spin;
mod ssc;

pub use spin::{spin, spin_files, ParticleSet, Spin, SPIN_PARTICLE_FIELDS};
pub use ssc::{shrinking_sphere_files, SscRun, SSC_CACHE_CELLS};

/// How a centre is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The centre of the densest leaf cell.
    Densest,
    /// The centre of mass.
    Com,
    /// The shrinking-sphere centre.
    Ssc,
}

impl Method {
    /// The method's name as the CLI takes it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Densest => "densest",
            Method::Com => "com",
            Method::Ssc => "ssc",
        }
    }

    /// A method by name: `densest`, `com` or `ssc`.
    pub fn parse(s: &str) -> Result<Method> {
        match s.trim() {
            "densest" => Ok(Method::Densest),
            "com" => Ok(Method::Com),
            "ssc" => Ok(Method::Ssc),
            other => Err(KernelError::Invalid(format!(
                "--method must be densest, com or ssc, got {other:?}"
            ))),
        }
    }
}

/// A `--center` argument: a method, or a point given by its coordinates
/// in the caller's length unit (converting them is the caller's job).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Center {
    /// Found from the data.
    Method(Method),
    /// Given coordinates (in the caller's length unit).
    At([f64; 3]),
}

impl Center {
    /// Parses `densest`, `com`, `ssc` or `x,y,z` (three finite numbers).
    pub fn parse(s: &str) -> Result<Center> {
        if let Ok(m) = Method::parse(s) {
            return Ok(Center::Method(m));
        }
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || {
            KernelError::Invalid(format!(
                "--center must be densest, com, ssc or three coordinates x,y,z, got {s:?}"
            ))
        };
        if parts.len() != 3 {
            return Err(bad());
        }
        let mut c = [0.0; 3];
        for (v, p) in c.iter_mut().zip(&parts) {
            *v = p.parse::<f64>().map_err(|_| bad())?;
            if !v.is_finite() {
                return Err(bad());
            }
        }
        Ok(Center::At(c))
    }
}

/// Fails with one line when `c` (code units) is not inside the box.
pub fn check_inside(units: &crate::Units, c: [f64; 3]) -> Result<()> {
    let inside = (0..3).all(|d| {
        let hi = units.extent[d] as f64 * units.boxlen;
        c[d].is_finite() && c[d] >= 0.0 && c[d] <= hi
    });
    if inside {
        Ok(())
    } else {
        let hi: Vec<f64> = (0..3)
            .map(|d| units.extent[d] as f64 * units.boxlen)
            .collect();
        Err(KernelError::Invalid(format!(
            "the centre ({}, {}, {}) (code units) is outside the box [0, {}]×[0, {}]×[0, {}]",
            c[0], c[1], c[2], hi[0], hi[1], hi[2]
        )))
    }
}

/// The centre of cell `k` in code units.
#[inline]
fn pos(t: &CellTable, k: usize) -> [f64; 3] {
    let c = t.centre_box(k);
    let b = t.units.boxlen;
    [c[0] * b, c[1] * b, c[2] * b]
}

/// Sums of `K` numbers over the cells for which `f` gives some, per block
/// of one CPU file (in parallel), the blocks added in file order; also the
/// number of cells counted.
fn file_sums<const K: usize>(
    t: &CellTable,
    exec: &Exec,
    f: impl Fn(usize) -> Option<[f64; K]> + Sync,
) -> ([f64; K], usize) {
    let ranges = t.file_ranges();
    let blocks = exec.par().min_chunk(1).map(&ranges, |(_, r)| {
        let mut s = [0.0; K];
        let mut n = 0usize;
        for k in r.clone() {
            if let Some(v) = f(k) {
                for (a, b) in s.iter_mut().zip(v) {
                    *a += b;
                }
                n += 1;
            }
        }
        (s, n)
    });
    let mut s = [0.0; K];
    let mut n = 0;
    for (b, m) in blocks {
        for (a, v) in s.iter_mut().zip(b) {
            *a += v;
        }
        n += m;
    }
    (s, n)
}

/// Whether the point `x` lies outside the sphere of radius `r` about `c`
/// (the one test of the sums: a cell is within when this is false).
#[inline]
fn outside(x: [f64; 3], c: [f64; 3], r: f64) -> bool {
    let d2 = (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2) + (x[2] - c[2]).powi(2);
    d2 > r * r
}

/// Sums `[Σ m, Σ m x, Σ m y, Σ m z]` over the cells within `r` of `c`
/// (all cells when `None`), and how many cells that is.
fn com_sums(
    t: &CellTable,
    rho: &[f64],
    sphere: Option<([f64; 3], f64)>,
    exec: &Exec,
) -> ([f64; 4], usize) {
    file_sums::<4>(t, exec, |k| {
        let x = pos(t, k);
        if sphere.is_some_and(|(c, r)| outside(x, c, r)) {
            return None;
        }
        let m = rho[k] * t.volume(k);
        Some([m, m * x[0], m * x[1], m * x[2]])
    })
}

/// The centre of mass of [`com_sums`]' sums; `None` without mass.
fn com_of(s: [f64; 4]) -> Option<[f64; 3]> {
    (s[0] > 0.0).then(|| [s[1] / s[0], s[2] / s[0], s[3] / s[0]])
}

/// `Σ m x / Σ m` over the cells within `r` of `c` (all cells when `None`),
/// and how many cells that is; `None` when they have no mass.
fn com_within(
    t: &CellTable,
    rho: &[f64],
    sphere: Option<([f64; 3], f64)>,
    exec: &Exec,
) -> (Option<[f64; 3]>, usize) {
    let (s, n) = com_sums(t, rho, sphere, exec);
    (com_of(s), n)
}

/// The first cell of highest density (NaN never wins).
fn densest_cell(rho: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (k, &r) in rho.iter().enumerate() {
        if best.is_none_or(|b| r > rho[b]) && !r.is_nan() {
            best = Some(k);
        }
    }
    best
}

/// The centre of a table of gas leaves by `method` (code units). The
/// table needs a `density` column.
pub fn find_center(t: &CellTable, method: Method, exec: &Exec) -> Result<[f64; 3]> {
    if t.is_empty() {
        return Err(no_cells(method));
    }
    let rho = t.column("density")?;
    let no_mass = || no_mass(method);
    match method {
        Method::Densest => {
            // The first maximum in table (= file) order.
            Ok(pos(t, densest_cell(rho).ok_or_else(no_mass)?))
        }
        Method::Com => com_within(t, rho, None, exec).0.ok_or_else(no_mass),
        Method::Ssc => {
            let mut c = com_within(t, rho, None, exec).0.ok_or_else(no_mass)?;
            let len = (0..3)
                .map(|d| t.units.extent[d] as f64 * t.units.boxlen)
                .fold(0.0, f64::max);
            let mut r = 0.5 * len;
            loop {
                let (next, n) = com_within(t, rho, Some((c, r)), exec);
                match next {
                    Some(nc) if n >= 100 => c = nc,
                    _ => return Ok(c),
                }
                r *= 0.7;
            }
        }
    }
}

/// The centre of the gas leaves of the files of `sel` by `method` (code
/// units), as [`find_center`] finds it on a table of every file, bit for
/// bit, a CPU file at a time (peak memory: a file's levels, positions and
/// densities per worker). `densest` and `com` reduce each file to its first
/// maximum, or its sums — one block per file, as [`find_center`] takes
/// them — folded in file order; `ssc` runs [`shrinking_sphere_files`] with
/// a cache of [`SSC_CACHE_CELLS`] cells.
pub fn find_center_files(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    method: Method,
    exec: &Exec,
) -> Result<[f64; 3]> {
    if method == Method::Ssc {
        return Ok(shrinking_sphere_files(snap, sel, SSC_CACHE_CELLS, exec)?.center);
    }
    // Per file: its cells, its densest cell (density, centre), its sums.
    type FileCentre = (usize, Option<(f64, [f64; 3])>, ([f64; 4], usize));
    let per_file: Vec<FileCentre> =
        crate::sums::reduce_files(snap, sel, &density_only(), "centre", exec, |t, one| {
            let rho = t.column("density")?;
            Ok(match method {
                Method::Densest => {
                    let best = densest_cell(rho);
                    (t.len(), best.map(|k| (rho[k], pos(t, k))), ([0.0; 4], 0))
                }
                _ => (t.len(), None, com_sums(t, rho, None, one)),
            })
        })?;
    if per_file.iter().all(|f| f.0 == 0) {
        return Err(no_cells(method));
    }
    if method == Method::Densest {
        // The first maximum in file order: a later file wins only when
        // strictly denser.
        let mut best: Option<(f64, [f64; 3])> = None;
        for (r, x) in per_file.iter().filter_map(|f| f.1) {
            if best.is_none_or(|b| r > b.0) {
                best = Some((r, x));
            }
        }
        return Ok(best.ok_or_else(|| no_mass(method))?.1);
    }
    let s = fold_blocks(per_file.iter().map(|f| (f.2).0));
    com_of(s).ok_or_else(|| no_mass(method))
}

/// What the centres read: the density (levels and positions come with
/// every load).
fn density_only() -> crate::load::Components<'static> {
    crate::load::Components {
        hydro: vec!["density"],
        ..Default::default()
    }
}

fn no_cells(method: Method) -> KernelError {
    KernelError::Invalid(format!("no cells to find a centre ({}) in", method.name()))
}

fn no_mass(method: Method) -> KernelError {
    KernelError::Invalid(format!(
        "no gas mass to find a centre ({}) from",
        method.name()
    ))
}

/// Per-file block sums added one after the other in file order, from
/// zero, as [`file_sums`] folds its blocks.
fn fold_blocks<const K: usize>(blocks: impl IntoIterator<Item = [f64; K]>) -> [f64; K] {
    let mut s = [0.0; K];
    for b in blocks {
        for (a, v) in s.iter_mut().zip(b) {
            *a += v;
        }
    }
    s
}

/// `L̂` for a face-on or edge-on view: fails with one line when the sphere
/// holds no mass or no angular momentum.
pub fn spin_axis(s: &Spin) -> Result<[f64; 3]> {
    if s.l_hat.iter().all(|v| v.is_finite()) {
        Ok(s.l_hat)
    } else {
        Err(KernelError::Invalid(format!(
            "no angular momentum within {} (code units) of the centre ({}, {}, {}): no face-on or edge-on direction",
            s.radius, s.center[0], s.center[1], s.center[2]
        )))
    }
}

/// The JSON of `amrkit center --json` (and Python's `s.center()`): code
/// units, plus a `units` object with the same in `length_unit`, km/s and
/// `length_unit`·km/s.
pub fn center_json(
    method: &str,
    s: &Spin,
    units: &crate::Units,
    length_unit: &str,
) -> Result<serde_json::Value> {
    use crate::units::Quantity;
    let fl = units.factor(Quantity::Length, length_unit)?;
    let fv = units.factor(Quantity::Velocity, "km/s")?;
    let v3 = |v: [f64; 3], f: f64| serde_json::json!([v[0] * f, v[1] * f, v[2] * f]);
    Ok(serde_json::json!({
        "method": method,
        "center": v3(s.center, 1.0),
        "bulk_velocity": v3(s.bulk_velocity, 1.0),
        "L": v3(s.l, 1.0),
        "L_hat": v3(s.l_hat, 1.0),
        "radius": s.radius,
        "cells": s.cells,
        "units": {
            "length_unit": length_unit,
            "velocity_unit": "km/s",
            "L_unit": format!("{length_unit} km/s"),
            "center": v3(s.center, fl),
            "bulk_velocity": v3(s.bulk_velocity, fv),
            "L": v3(s.l, fl * fv),
            "radius": s.radius * fl,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_methods_and_points() {
        assert_eq!(Center::parse("ssc").unwrap(), Center::Method(Method::Ssc));
        assert_eq!(
            Center::parse("1, 2.5,3").unwrap(),
            Center::At([1.0, 2.5, 3.0])
        );
        for bad in ["", "1,2", "a,b,c", "1,2,inf", "middle"] {
            let e = Center::parse(bad).unwrap_err().to_string();
            assert!(e.contains("--center"), "{bad}: {e}");
        }
    }
}
