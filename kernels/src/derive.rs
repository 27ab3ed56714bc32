//! Derived variables, sums and weighted means (MERA's `getvar`, `msum`).
//!
//! All values are in code units; convert with [`Units::factor`](crate::Units::factor) and the
//! [`Quantity`] that [`quantity_of`] names. Sums run on the pool as a
//! fixed-chunk tree reduction, so a result is bit-for-bit the same for a
//! given thread count.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::CellTable;
use crate::units::Quantity;

/// The quantity a variable measures (RAMSES names and derived names).
pub fn quantity_of(name: &str) -> Quantity {
    match name {
        "density" => Quantity::Density,
        "pressure" => Quantity::Pressure,
        "mass" => Quantity::Mass,
        "volume" => Quantity::Dimensionless,
        "cell_size" | "x" | "y" | "z" => Quantity::Length,
        "temperature" => Quantity::Temperature,
        "nH" => Quantity::NumberDensity,
        "potential" => Quantity::Potential,
        n if n.starts_with("velocity") || n == "sound_speed" => Quantity::Velocity,
        n if n.starts_with("acceleration") => Quantity::Acceleration,
        _ => Quantity::Dimensionless,
    }
}

/// Names [`derived`] computes.
pub const DERIVED: [&str; 10] = [
    "mass",
    "volume",
    "cell_size",
    "x",
    "y",
    "z",
    "temperature",
    "sound_speed",
    "velocity_magnitude",
    "nH",
];

/// A loaded or derived variable, per cell, in code units:
/// `mass` (ρ·V), `volume`, `cell_size`, `x`/`y`/`z` (centres), `temperature`
/// (p/ρ, code velocity²; `K` converts with µ = 0.6), `sound_speed`
/// (√(γp/ρ)), `velocity_magnitude`, `nH` (ρ; the `nH` unit converts).
pub fn derived(t: &CellTable, name: &str, exec: &Exec) -> Result<Vec<f64>> {
    if let Ok(c) = t.column(name) {
        return Ok(c.to_vec());
    }
    let b = t.units.boxlen;
    let n = t.len();
    let out = match name {
        "volume" => exec.par().map_range(0..n, |k| t.volume(k)),
        "cell_size" => exec.par().map_range(0..n, |k| t.dx_box(k) * b),
        "x" | "y" | "z" => {
            let d = (name.as_bytes()[0] - b'x') as usize;
            exec.par().map_range(0..n, |k| t.centre_box(k)[d] * b)
        }
        "mass" => {
            let rho = t.column("density")?;
            exec.par().map_range(0..n, |k| rho[k] * t.volume(k))
        }
        "nH" => t.column("density")?.to_vec(),
        "temperature" => {
            let (rho, p) = (t.column("density")?, t.column("pressure")?);
            exec.par().map_range(0..n, |k| p[k] / rho[k])
        }
        "sound_speed" => {
            let (rho, p) = (t.column("density")?, t.column("pressure")?);
            let g = t
                .gamma
                .ok_or_else(|| KernelError::Invalid("no gamma: hydro not loaded".into()))?;
            exec.par().map_range(0..n, |k| (g * p[k] / rho[k]).sqrt())
        }
        "velocity_magnitude" => {
            let v: Vec<&[f64]> = ["velocity_x", "velocity_y", "velocity_z"]
                .iter()
                .map(|c| t.column(c))
                .collect::<Result<_>>()?;
            exec.par().map_range(0..n, |k| {
                (v[0][k] * v[0][k] + v[1][k] * v[1][k] + v[2][k] * v[2][k]).sqrt()
            })
        }
        _ => {
            return Err(KernelError::NoVariable {
                name: name.into(),
                available: format!("{}, {}", t.names.join(", "), DERIVED.join(", ")),
            })
        }
    };
    Ok(out)
}

/// Min, max and means of one variable over the cells.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FieldStats {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Σ q·V / Σ V.
    pub volume_weighted_mean: f64,
    /// Σ q·m / Σ m (m = ρ·V).
    pub mass_weighted_mean: f64,
    /// Σ V (code units).
    pub volume: f64,
    /// Σ m (code units).
    pub mass: f64,
}

#[derive(Clone, Copy)]
struct Acc {
    min: f64,
    max: f64,
    qv: f64,
    v: f64,
    qm: f64,
    m: f64,
}

/// Statistics of `values` (one per cell of `t`), weighted by cell volume
/// and by cell mass (needs `density` in `t`).
pub fn field_stats(t: &CellTable, values: &[f64], exec: &Exec) -> Result<FieldStats> {
    let rho = t.column("density")?;
    let id = || Acc {
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        qv: 0.0,
        v: 0.0,
        qm: 0.0,
        m: 0.0,
    };
    let a = exec.par().min_chunk(1 << 14).reduce(
        0..t.len(),
        id,
        |mut a, k| {
            let q = values[k];
            let dv = t.volume(k);
            let dm = rho[k] * dv;
            a.min = a.min.min(q);
            a.max = a.max.max(q);
            a.qv += q * dv;
            a.v += dv;
            a.qm += q * dm;
            a.m += dm;
            a
        },
        |a, b| Acc {
            min: a.min.min(b.min),
            max: a.max.max(b.max),
            qv: a.qv + b.qv,
            v: a.v + b.v,
            qm: a.qm + b.qm,
            m: a.m + b.m,
        },
    );
    Ok(FieldStats {
        min: a.min,
        max: a.max,
        volume_weighted_mean: a.qv / a.v,
        mass_weighted_mean: a.qm / a.m,
        volume: a.v,
        mass: a.m,
    })
}

/// Total gas mass in code units (MERA's `msum`).
pub fn total_mass(t: &CellTable, exec: &Exec) -> Result<f64> {
    let rho = t.column("density")?;
    Ok(exec.par().min_chunk(1 << 14).reduce(
        0..t.len(),
        || 0.0,
        |s, k| s + rho[k] * t.volume(k),
        |a, b| a + b,
    ))
}

/// Particle ages in code time at the output's time: `time − birth_time`
/// for non-cosmological runs. Cosmological runs store conformal birth
/// times, which need Friedmann tables; they are refused with an error
/// rather than answered wrongly.
pub fn particle_ages(birth: &[f64], time: f64, cosmological: bool) -> Result<Vec<f64>> {
    if cosmological {
        return Err(KernelError::Invalid(
            "particle ages of cosmological runs need conformal-time tables, not implemented".into(),
        ));
    }
    Ok(birth.iter().map(|b| time - b).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_time_since_birth_and_cosmological_runs_are_refused() {
        assert_eq!(
            particle_ages(&[0.0, 0.25], 1.0, false).unwrap(),
            vec![1.0, 0.75]
        );
        assert!(particle_ages(&[0.1], 1.0, true).is_err());
    }
}
