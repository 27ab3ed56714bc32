//! The units of an output, as the Python package's `units` shows them:
//! the code units in cgs and the factors to the named units.

use crate::error::Result;
use crate::temperature::{kelvin_per_code, DEFAULT_MU};
use crate::units::{Quantity, Units};
use serde_json::{json, Map, Value};

/// The named units [`UnitsReport::code_to`] lists, with the quantity they
/// measure.
const NAMED: [(&str, Quantity); 15] = [
    ("cm", Quantity::Length),
    ("pc", Quantity::Length),
    ("kpc", Quantity::Length),
    ("Mpc", Quantity::Length),
    ("g", Quantity::Mass),
    ("Msol", Quantity::Mass),
    ("s", Quantity::Time),
    ("yr", Quantity::Time),
    ("Myr", Quantity::Time),
    ("g/cm^3", Quantity::Density),
    ("nH", Quantity::NumberDensity),
    ("km/s", Quantity::Velocity),
    ("dyn/cm^2", Quantity::Pressure),
    ("Msol/pc^2", Quantity::SurfaceDensity),
    ("km^2/s^2", Quantity::Potential),
];

/// The quantities [`UnitsReport::code_to_cgs`] lists, by their names in
/// `reference.json`'s `code_to_cgs`.
const QUANTITIES: [(&str, Quantity); 11] = [
    ("length", Quantity::Length),
    ("mass", Quantity::Mass),
    ("time", Quantity::Time),
    ("density", Quantity::Density),
    ("velocity", Quantity::Velocity),
    ("pressure", Quantity::Pressure),
    ("temperature", Quantity::Temperature),
    ("number_density", Quantity::NumberDensity),
    ("surface_density", Quantity::SurfaceDensity),
    ("potential", Quantity::Potential),
    ("acceleration", Quantity::Acceleration),
];

/// The units of an output.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitsReport {
    /// `unit_l`, cm.
    pub unit_l_cm: f64,
    /// `unit_d`, g/cm³.
    pub unit_d_g_cm3: f64,
    /// `unit_t`, s.
    pub unit_t_s: f64,
    /// Box size in code lengths.
    pub boxlen_code: f64,
    /// One code unit of each quantity in cgs (the keys of
    /// `reference.json`'s `code_to_cgs`, plus `temperature`: code
    /// velocity² in K/µ, `number_density`, `surface_density`).
    pub code_to_cgs: Vec<(&'static str, f64)>,
    /// The factor from code units to each named unit (`kpc`, `Msol`, …;
    /// for cosmological runs also `cMpc/h`, `cMpc`, `ckpc/h`). Temperature
    /// (a code P/ρ) has two, both from [`kelvin_per_code`], the one
    /// definition: `K/mu` (T/µ, the same as `code_to_cgs`'s
    /// `temperature`) and `K` (T for the mean molecular weight [`mu`]).
    ///
    /// [`mu`]: UnitsReport::mu
    pub code_to: Vec<(&'static str, f64)>,
    /// The µ of `code_to`'s `K` ([`DEFAULT_MU`]).
    pub mu: f64,
}

impl UnitsReport {
    /// The report of `u`.
    pub fn of(u: &Units) -> Result<UnitsReport> {
        let mut code_to = Vec::new();
        for (n, q) in NAMED {
            code_to.push((n, u.factor(q, n)?));
        }
        let t_over_mu = kelvin_per_code(u);
        code_to.push(("K", t_over_mu * DEFAULT_MU));
        code_to.push(("K/mu", t_over_mu));
        if u.comoving.is_some() {
            for n in ["cMpc/h", "cMpc", "ckpc/h"] {
                code_to.push((n, u.factor(Quantity::Length, n)?));
            }
        }
        Ok(UnitsReport {
            unit_l_cm: u.unit_l,
            unit_d_g_cm3: u.unit_d,
            unit_t_s: u.unit_t,
            boxlen_code: u.boxlen,
            code_to_cgs: QUANTITIES.iter().map(|&(n, q)| (n, u.cgs(q))).collect(),
            code_to,
            mu: DEFAULT_MU,
        })
    }

    /// As the Python package's `units` shows it.
    pub fn to_json(&self) -> Value {
        let object = |v: &[(&str, f64)]| -> Map<String, Value> {
            v.iter().map(|&(n, x)| (n.to_string(), json!(x))).collect()
        };
        json!({
            "unit_l_cm": self.unit_l_cm,
            "unit_d_g_cm3": self.unit_d_g_cm3,
            "unit_t_s": self.unit_t_s,
            "boxlen_code": self.boxlen_code,
            "code_to_cgs": object(&self.code_to_cgs),
            "code_to": object(&self.code_to),
            "mu": self.mu,
        })
    }
}
