//! Particle mass deposited on the map (NGP or CIC).

use super::maps::{Maps, Partial};
use super::spec::{check, ProjSpec, Weight};
use super::sums::Sums;
use crate::error::Result;
use crate::exec::Exec;
use crate::load::ParticleTable;

/// A CIC fraction `f` in [0, 1), as 0 or 1 when within `tol` of them.
#[inline]
fn cic_fraction(f: f64, tol: f64) -> f64 {
    if f <= tol {
        0.0
    } else if f >= 1.0 - tol {
        1.0
    } else {
        f
    }
}

/// Particle deposition scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deposit {
    /// Nearest grid point.
    Ngp,
    /// Cloud in cell (bilinear).
    Cic,
}

/// Projects particle mass (surface density, code mass per code area) along
/// `spec.axis` over `spec.range`, keeping families in `families` (all when
/// empty). Particles outside the range deposit nothing; CIC weights that
/// fall off the map edge are dropped.
///
/// Round-off: a CIC fraction (the particle's offset from a pixel centre,
/// in pixels) within the rounding error of its position of 0 or 1, that is
/// within `16 ε (1 + (|x| + |x0|) / w + |u|)` (ε the f64 epsilon, `x` the
/// position and `x0` the map's edge in box units, `w` the pixel width, `u`
/// the position in pixels), is taken as that 0 or 1: a particle at a pixel
/// centre (a lattice of initial conditions, a cloud particle) gives all its
/// mass to that pixel instead of leaving ~1e-16 of it on each neighbour,
/// which a log colour bar would show as pixels 16 to 30 decades below the
/// rest. The weights still sum to 1 for every particle, so the mass is
/// conserved exactly.
pub fn project_particles(
    p: &ParticleTable,
    spec: &ProjSpec,
    scheme: Deposit,
    families: &[i8],
    exec: &Exec,
) -> Result<Maps> {
    check(spec)?;
    let b = p.units.boxlen;
    let pos = p.positions()?;
    let mass = p.reals("mass")?;
    let fam = if families.is_empty() {
        None
    } else {
        Some(p.families()?)
    };
    let (a, bb) = spec.image_axes();
    let [nx, ny] = spec.res;
    let r = spec.range;
    let pw = (r[a][1] - r[a][0]) / nx as f64;
    let ph = (r[bb][1] - r[bb][0]) / ny as f64;
    let area = pw * ph * b * b;
    let n = p.len();
    // Fixed runs of particles (in table order, whatever the thread count),
    // each deposited into a partial over the pixels it touches, the
    // partials folded in order.
    const RUN: usize = 1 << 16;
    let runs: Vec<std::ops::Range<usize>> = (0..n.div_ceil(RUN))
        .map(|r| r * RUN..((r + 1) * RUN).min(n))
        .collect();
    // Calls `put(i, j, weight)` for each map pixel particle `k` deposits into.
    let deposits = |k: usize, put: &mut dyn FnMut(usize, usize, f64)| {
        if fam.is_some_and(|f| !families.contains(&f[k])) {
            return;
        }
        let x: [f64; 3] = std::array::from_fn(|d| pos[d].map_or(0.5, |p| p[k] / b));
        if (0..3).any(|d| x[d] < r[d][0] || x[d] >= r[d][1]) {
            return;
        }
        let u = (x[a] - r[a][0]) / pw;
        let v = (x[bb] - r[bb][0]) / ph;
        let mut at = |i: isize, j: isize, w: f64| {
            if w > 0.0 && i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
                put(i as usize, j as usize, w);
            }
        };
        match scheme {
            Deposit::Ngp => at(u.floor() as isize, v.floor() as isize, 1.0),
            Deposit::Cic => {
                let (fu, fv) = (u - 0.5, v - 0.5);
                let (i, j) = (fu.floor(), fv.floor());
                let rounding = |x: f64, x0: f64, w: f64, u: f64| {
                    16.0 * f64::EPSILON * (1.0 + (x.abs() + x0.abs()) / w + u.abs())
                };
                let du = cic_fraction(fu - i, rounding(x[a], r[a][0], pw, u));
                let dv = cic_fraction(fv - j, rounding(x[bb], r[bb][0], ph, v));
                let (i, j) = (i as isize, j as isize);
                at(i, j, (1.0 - du) * (1.0 - dv));
                at(i + 1, j, du * (1.0 - dv));
                at(i, j + 1, (1.0 - du) * dv);
                at(i + 1, j + 1, du * dv);
            }
        }
    };
    // One mass map, no weight map.
    let mut s = spec.clone();
    s.vars = vec!["mass".into()];
    s.weight = Weight::None;
    let window = 8 * exec.threads();
    let mut sums = Sums::new(&s);
    for win in runs.chunks(window) {
        let parts = exec.par().min_chunk(1).map(win, |run| {
            let (mut i0, mut i1, mut j0, mut j1) = (usize::MAX, 0, usize::MAX, 0);
            for k in run.clone() {
                deposits(k, &mut |i, j, _| {
                    i0 = i0.min(i);
                    i1 = i1.max(i + 1);
                    j0 = j0.min(j);
                    j1 = j1.max(j + 1);
                });
            }
            if i0 >= i1 {
                return Partial::default();
            }
            let (bw, bh) = (i1 - i0, j1 - j0);
            let mut acc = vec![0.0; bw * bh];
            for k in run.clone() {
                let m = mass[k] / area;
                deposits(k, &mut |i, j, w| acc[(j - j0) * bw + (i - i0)] += m * w);
            }
            Partial {
                i0,
                j0,
                nx: bw,
                ny: bh,
                acc: vec![acc],
                w: Vec::new(),
            }
        });
        sums.add(nx, &parts, exec);
    }
    Ok(sums.finish(&s, b))
}
