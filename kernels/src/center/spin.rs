//! The bulk velocity and angular momentum of the matter within a sphere:
//! of a table ([`spin`]), or of the files of an output a CPU file at a
//! time in two passes ([`spin_files`]: the mass and momentum, then `L`
//! about the bulk velocity), gas and particles, with the same bits.

use super::{file_sums, fold_blocks, pos};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{CellTable, ParticleTable};

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

/// The particle fields [`spin`] reads.
pub const SPIN_PARTICLE_FIELDS: [&str; 8] = [
    "position_x",
    "position_y",
    "position_z",
    "velocity_x",
    "velocity_y",
    "velocity_z",
    "mass",
    "family",
];

/// Where the particles added to the gas come from.
#[derive(Clone, Copy)]
enum Particles<'a> {
    /// None: the gas alone.
    None,
    /// A table ([`ParticleSet`]).
    Table(ParticleSet<'a>),
    /// The particle files of the selection ([`SPIN_PARTICLE_FIELDS`] of
    /// one file per worker, a window of files at a time), and the family
    /// codes kept (all when empty).
    Files(
        &'a amrkit_io::Snapshot,
        &'a crate::select::Selection,
        &'a [i8],
    ),
}

/// Adds `f(m, x, v)` of the particles of `p` kept (of the families
/// `fams`, all when empty) within `r` of `c` to `s`, in table order, and
/// counts them in `n`.
fn add_particles<const K: usize>(
    (p, fams): ParticleSet,
    (c, r): ([f64; 3], f64),
    f: &impl Fn(f64, [f64; 3], [f64; 3]) -> [f64; K],
    (s, n): (&mut [f64; K], &mut usize),
) -> Result<()> {
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
        *n += 1;
    }
    Ok(())
}

/// Sums over the particles kept within the sphere, in table order (the
/// files' particles one file after the other, in file order): `f(m, x,
/// v)` added up, and how many particles that is.
fn particle_sums<const K: usize>(
    parts: Particles,
    sphere: ([f64; 3], f64),
    exec: &Exec,
    f: impl Fn(f64, [f64; 3], [f64; 3]) -> [f64; K],
) -> Result<([f64; K], usize)> {
    let mut s = [0.0; K];
    let mut n = 0;
    match parts {
        Particles::None => {}
        Particles::Table(set) => add_particles(set, sphere, &f, (&mut s, &mut n))?,
        Particles::Files(snap, sel, fams) => {
            let all = crate::load::cpus_for(snap, sel)?.len();
            let [lo, hi] = sel.files.unwrap_or([0, all]);
            let one = Exec {
                max_threads: Some(1),
                progress: None,
                ..*exec
            };
            let files: Vec<usize> = (lo..hi).collect();
            for window in files.chunks(2 * exec.threads().max(1)) {
                exec.check()?;
                let tables = exec.par().min_chunk(1).map(window, |&k| {
                    let file = crate::select::Selection {
                        files: Some([k, k + 1]),
                        ..*sel
                    };
                    crate::load::load_particles(snap, &file, &SPIN_PARTICLE_FIELDS, &one)
                });
                for p in tables {
                    add_particles((&p?, fams), sphere, &f, (&mut s, &mut n))?;
                }
            }
        }
    }
    Ok((s, n))
}

/// The radius of a sphere of [`spin`]: positive and finite.
fn check_radius(radius: f64) -> Result<()> {
    if radius > 0.0 && radius.is_finite() {
        Ok(())
    } else {
        Err(KernelError::Invalid(format!(
            "the radius must be positive and finite, got {radius}"
        )))
    }
}

/// The centre of cell `k` when it lies within `√r2` of `c`.
#[inline]
fn within(t: &CellTable, k: usize, c: [f64; 3], r2: f64) -> Option<[f64; 3]> {
    let x = pos(t, k);
    let d2 = (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2) + (x[2] - c[2]).powi(2);
    (d2 <= r2).then_some(x)
}

/// The density and velocity columns [`spin`] reads.
fn mass_velocity(t: &CellTable) -> Result<(&[f64], [&[f64]; 3])> {
    Ok((
        t.column("density")?,
        [
            t.column("velocity_x")?,
            t.column("velocity_y")?,
            t.column("velocity_z")?,
        ],
    ))
}

/// `[Σ m, Σ m v]` of the gas leaves of `t` within `r` of `c` (blocks of
/// one file folded in file order), and how many cells that is.
fn gas_momentum(t: &CellTable, c: [f64; 3], r: f64, exec: &Exec) -> Result<([f64; 4], usize)> {
    let (rho, vel) = mass_velocity(t)?;
    let r2 = r * r;
    Ok(file_sums::<4>(t, exec, |k| {
        within(t, k, c, r2)?;
        let m = rho[k] * t.volume(k);
        Some([m, m * vel[0][k], m * vel[1][k], m * vel[2][k]])
    }))
}

/// `Σ m (x − c) × (v − vb)` of the gas leaves of `t` within `r` of `c`
/// (blocks of one file folded in file order).
fn gas_angular(t: &CellTable, c: [f64; 3], r: f64, vb: [f64; 3], exec: &Exec) -> Result<[f64; 3]> {
    let (rho, vel) = mass_velocity(t)?;
    let r2 = r * r;
    Ok(file_sums::<3>(t, exec, |k| {
        let x = within(t, k, c, r2)?;
        let m = rho[k] * t.volume(k);
        let d = [x[0] - c[0], x[1] - c[1], x[2] - c[2]];
        let u = [vel[0][k] - vb[0], vel[1][k] - vb[1], vel[2][k] - vb[2]];
        let l = cross(d, u);
        Some([m * l[0], m * l[1], m * l[2]])
    })
    .0)
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
    check_radius(radius)?;
    let parts = parts.map_or(Particles::None, Particles::Table);
    spin_from(
        parts,
        (center, radius),
        exec,
        || gas_momentum(t, center, radius, exec),
        |vb| gas_angular(t, center, radius, vb, exec),
    )
}

/// [`spin`] of the gas leaves of the files of `sel` (which should hold
/// the sphere), a CPU file at a time: two passes over the files, the
/// first for the mass and momentum, the second for `L` about the bulk
/// velocity the first gives. Each file's sums are the block it has in a
/// table of every file, folded in file order: the bits of [`spin`] on
/// that table. The particles of `families` (`None`: the gas alone;
/// empty: every family) are read the same way, a file per worker a window
/// of files at a time, and added in file order: the bits of [`spin`] with
/// the table of the selection's particles. Peak memory: a file's levels,
/// positions, density and velocities, or its particles, per worker.
pub fn spin_files(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    families: Option<&[i8]>,
    center: [f64; 3],
    radius: f64,
    exec: &Exec,
) -> Result<Spin> {
    use crate::sums::reduce_files;
    check_radius(radius)?;
    let comps = crate::load::Components {
        hydro: vec!["density", "velocity_x", "velocity_y", "velocity_z"],
        ..Default::default()
    };
    let (c, r) = (center, radius);
    let parts = families.map_or(Particles::None, |f| Particles::Files(snap, sel, f));
    spin_from(
        parts,
        (center, radius),
        exec,
        || {
            let per_file = reduce_files(snap, sel, &comps, "spin", exec, |t, one| {
                gas_momentum(t, c, r, one)
            })?;
            let n = per_file.iter().map(|f| f.1).sum();
            Ok((fold_blocks(per_file.into_iter().map(|f| f.0)), n))
        },
        |vb| {
            let per_file = reduce_files(snap, sel, &comps, "spin", exec, |t, one| {
                gas_angular(t, c, r, vb, one)
            })?;
            Ok(fold_blocks(per_file))
        },
    )
}

/// The [`Spin`] from the gas sums (`momentum`: `[Σ m, Σ m v]` and the
/// cells; `angular`: `Σ m (x − c) × (v − vb)` given `vb`), the particles'
/// added to them.
fn spin_from(
    parts: Particles,
    (c, radius): ([f64; 3], f64),
    exec: &Exec,
    momentum: impl FnOnce() -> Result<([f64; 4], usize)>,
    angular: impl FnOnce([f64; 3]) -> Result<[f64; 3]>,
) -> Result<Spin> {
    let (g, cells) = momentum()?;
    let (pb, np) = particle_sums::<4>(parts, (c, radius), exec, |m, _, v| {
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
    let gl = angular(vb)?;
    let (pl, _) = particle_sums::<3>(parts, (c, radius), exec, |m, x, v| {
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
