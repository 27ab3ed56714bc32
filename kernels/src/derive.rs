//! Derived variables (MERA's `getvar`): temperature, speeds, cell mass, …
//! from the loaded columns.
//!
//! All values are in code units; convert with [`Units::factor`](crate::Units::factor) and the
//! [`Quantity`] that [`quantity_of`] names. The sums moved to
//! [`sums`](crate::sums) and the cosmic time to
//! [`cosmology`](crate::cosmology); both are re-exported here at their old
//! paths.

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

pub use crate::cosmology::{cosmic_time, hubble_time_s, particle_ages, CosmicTime, Friedmann};
pub use crate::sums::{
    field_stats, fold_sum, mass_partials, stats_partials, stats_partials_many, sum_blocks,
    total_mass, FieldStats, StatsPartial, SUM_BLOCK,
};
