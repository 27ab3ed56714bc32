//! Gas temperature: the one definition every front end uses.
//!
//! RAMSES stores density and pressure; they give T/µ only:
//! `temperature_over_mu = (P/ρ)·m_H/k_B` in K, equal to yt's
//! `("gas", "temperature_over_mu")`. `temperature = µ·temperature_over_mu`
//! with the mean molecular weight µ the caller states ([`DEFAULT_MU`] =
//! 0.6, fully ionised primordial gas, when it states none; every output
//! that uses a temperature says which µ). The constants are
//! [`units::M_H`](crate::units::M_H) and [`units::K_B`](crate::units::K_B).

use crate::exec::Exec;
use crate::units::{Quantity, Units, MU};

/// µ when the caller gives none.
pub const DEFAULT_MU: f64 = MU;

/// Kelvin per code unit of P/ρ (a code velocity²) for T/µ:
/// `(unit_l/unit_t)²·m_H/k_B`, the cgs value of a code
/// [`Quantity::Temperature`].
pub fn kelvin_per_code(u: &Units) -> f64 {
    u.cgs(Quantity::Temperature)
}

/// T/µ in K of one cell: `(p/ρ)·(unit_l/unit_t)²·m_H/k_B`.
#[inline]
pub fn over_mu(u: &Units, rho: f64, p: f64) -> f64 {
    p / rho * kelvin_per_code(u)
}

/// T/µ in K of every cell (`rho`, `p` in code units).
pub fn temperature_over_mu(u: &Units, rho: &[f64], p: &[f64], exec: &Exec) -> Vec<f64> {
    let f = kelvin_per_code(u);
    exec.par().map_range(0..rho.len(), |k| p[k] / rho[k] * f)
}

/// T in K of every cell for the mean molecular weight `mu`:
/// `µ·(p/ρ)·m_H/k_B`.
pub fn temperature(u: &Units, rho: &[f64], p: &[f64], mu: f64, exec: &Exec) -> Vec<f64> {
    let f = kelvin_per_code(u);
    exec.par()
        .map_range(0..rho.len(), |k| p[k] / rho[k] * f * mu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{K_B, M_H};

    #[test]
    fn kelvin_per_code_is_the_units_temperature_factor() {
        let u = Units {
            unit_l: 3.0857e19,
            unit_d: 1.66e-23,
            unit_t: 9.5006e14,
            ..Units::default()
        };
        let want = (3.0857e19f64 / 9.5006e14).powi(2) * M_H / K_B;
        assert!((kelvin_per_code(&u) - want).abs() <= 1e-15 * want);
        assert_eq!(over_mu(&u, 2.0, 4.0), 2.0 * kelvin_per_code(&u));
        let t = temperature(&u, &[2.0], &[4.0], 0.6, &Exec::default());
        assert_eq!(t, vec![2.0 * kelvin_per_code(&u) * 0.6]);
    }
}
