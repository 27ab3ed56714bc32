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

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{CellTable, ParticleTable};

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
        if let Some((c, r)) = sphere {
            let d2 = (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2) + (x[2] - c[2]).powi(2);
            if d2 > r * r {
                return None;
            }
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
        return Err(KernelError::Invalid(format!(
            "no cells to find a centre ({}) in",
            method.name()
        )));
    }
    let rho = t.column("density")?;
    let no_mass = || {
        KernelError::Invalid(format!(
            "no gas mass to find a centre ({}) from",
            method.name()
        ))
    };
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
/// bit. `densest` and `com` reduce a CPU file at a time (peak memory: a
/// file's levels, positions and densities per worker): a file's first
/// maximum, or its sums — one block per file, as [`find_center`] takes
/// them — folded in file order. `ssc` passes over the cells again for
/// every sphere (a dozen or more passes), so it reads the levels,
/// positions and densities of every file once (21 bytes a cell) rather
/// than every file once per pass.
pub fn find_center_files(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    method: Method,
    exec: &Exec,
) -> Result<[f64; 3]> {
    let c = crate::load::Components {
        hydro: vec!["density"],
        ..Default::default()
    };
    if method == Method::Ssc {
        let t = crate::load::load_components(snap, None, sel, &c, exec)?;
        return find_center(&t, method, exec);
    }
    // Per file: its cells, its densest cell (density, centre), its sums.
    type FileCentre = (usize, Option<(f64, [f64; 3])>, ([f64; 4], usize));
    let per_file: Vec<FileCentre> =
        crate::sums::reduce_files(snap, sel, &c, "centre", exec, |t, one| {
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
        return Err(KernelError::Invalid(format!(
            "no cells to find a centre ({}) in",
            method.name()
        )));
    }
    let no_mass = || {
        KernelError::Invalid(format!(
            "no gas mass to find a centre ({}) from",
            method.name()
        ))
    };
    if method == Method::Densest {
        // The first maximum in file order: a later file wins only when
        // strictly denser.
        let mut best: Option<(f64, [f64; 3])> = None;
        for (r, x) in per_file.iter().filter_map(|f| f.1) {
            if best.is_none_or(|b| r > b.0) {
                best = Some((r, x));
            }
        }
        return Ok(best.ok_or_else(no_mass)?.1);
    }
    let mut s = [0.0; 4];
    for (_, _, (b, _)) in &per_file {
        for (a, v) in s.iter_mut().zip(b) {
            *a += v;
        }
    }
    com_of(s).ok_or_else(no_mass)
}

/// The angular momentum of the matter within `radius` of `center`.
#[derive(Clone, Debug, PartialEq)]
pub struct Spin {
    /// The centre (code units).
    pub center: [f64; 3],
    /// The sphere's radius (code units).
    pub radius: f64,
    /// Mass-weighted mean velocity within the sphere (code units).
    pub bulk_velocity: [f64; 3],
    /// Specific angular momentum `Σ m (x − c) × (v − v_bulk) / Σ m`.
    pub l: [f64; 3],
    /// `L / |L|`.
    pub l_hat: [f64; 3],
    /// Mass within the sphere (code units).
    pub mass: f64,
    /// Gas cells within the sphere.
    pub cells: usize,
    /// Particles within the sphere (of the families asked for).
    pub particles: usize,
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Particles to add to the gas: the table (positions, velocities and
/// masses loaded) and the family codes kept (all when empty).
pub type ParticleSet<'a> = (&'a ParticleTable, &'a [i8]);

/// Sums over the particles kept within the sphere, in table order:
/// `f(m, x, v)` added up.
fn particle_sums<const K: usize>(
    parts: Option<ParticleSet>,
    c: [f64; 3],
    r: f64,
    f: impl Fn(f64, [f64; 3], [f64; 3]) -> [f64; K],
) -> Result<([f64; K], usize)> {
    let mut s = [0.0; K];
    let mut n = 0;
    let Some((p, fams)) = parts else {
        return Ok((s, n));
    };
    let x = [
        p.reals("position_x")?,
        p.reals("position_y")?,
        p.reals("position_z")?,
    ];
    let v = [
        p.reals("velocity_x")?,
        p.reals("velocity_y")?,
        p.reals("velocity_z")?,
    ];
    let m = p.reals("mass")?;
    let fam = if fams.is_empty() {
        None
    } else {
        Some(p.families()?)
    };
    for k in 0..p.len() {
        if fam.is_some_and(|f| !fams.contains(&f[k])) {
            continue;
        }
        let xk = [x[0][k], x[1][k], x[2][k]];
        let d2 = (xk[0] - c[0]).powi(2) + (xk[1] - c[1]).powi(2) + (xk[2] - c[2]).powi(2);
        if d2 > r * r {
            continue;
        }
        for (a, b) in s.iter_mut().zip(f(m[k], xk, [v[0][k], v[1][k], v[2][k]])) {
            *a += b;
        }
        n += 1;
    }
    Ok((s, n))
}

/// The bulk velocity and specific angular momentum of the gas (and the
/// particles `parts`, when given) within `radius` of `center` (code
/// units). The table needs `density` and `velocity_x/y/z`. Gas sums are
/// folded per file in file order, then the particles' sums are added.
pub fn spin(
    t: &CellTable,
    parts: Option<ParticleSet>,
    center: [f64; 3],
    radius: f64,
    exec: &Exec,
) -> Result<Spin> {
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(KernelError::Invalid(format!(
            "the radius must be positive and finite, got {radius}"
        )));
    }
    let rho = t.column("density")?;
    let vel = [
        t.column("velocity_x")?,
        t.column("velocity_y")?,
        t.column("velocity_z")?,
    ];
    let c = center;
    let r2 = radius * radius;
    let within = |k: usize| {
        let x = pos(t, k);
        let d2 = (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2) + (x[2] - c[2]).powi(2);
        (d2 <= r2).then_some(x)
    };
    let (g, cells) = file_sums::<4>(t, exec, |k| {
        within(k)?;
        let m = rho[k] * t.volume(k);
        Some([m, m * vel[0][k], m * vel[1][k], m * vel[2][k]])
    });
    let (pb, np) = particle_sums::<4>(parts, c, radius, |m, _, v| {
        [m, m * v[0], m * v[1], m * v[2]]
    })?;
    let s: [f64; 4] = std::array::from_fn(|i| g[i] + pb[i]);
    if s[0].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(KernelError::Invalid(format!(
            "no mass within {radius} (code units) of the centre ({}, {}, {})",
            c[0], c[1], c[2]
        )));
    }
    let vb = [s[1] / s[0], s[2] / s[0], s[3] / s[0]];
    let (gl, _) = file_sums::<3>(t, exec, |k| {
        let x = within(k)?;
        let m = rho[k] * t.volume(k);
        let d = [x[0] - c[0], x[1] - c[1], x[2] - c[2]];
        let u = [vel[0][k] - vb[0], vel[1][k] - vb[1], vel[2][k] - vb[2]];
        let l = cross(d, u);
        Some([m * l[0], m * l[1], m * l[2]])
    });
    let (pl, _) = particle_sums::<3>(parts, c, radius, |m, x, v| {
        let d = [x[0] - c[0], x[1] - c[1], x[2] - c[2]];
        let u = [v[0] - vb[0], v[1] - vb[1], v[2] - vb[2]];
        let l = cross(d, u);
        [m * l[0], m * l[1], m * l[2]]
    })?;
    let l: [f64; 3] = std::array::from_fn(|i| (gl[i] + pl[i]) / s[0]);
    let norm = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
    let l_hat = if norm > 0.0 {
        l.map(|v| v / norm)
    } else {
        [f64::NAN; 3]
    };
    Ok(Spin {
        center: c,
        radius,
        bulk_velocity: vb,
        l,
        l_hat,
        mass: s[0],
        cells,
        particles: np,
    })
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
