//! Units: code units of a RAMSES output → cgs → named units.
//!
//! Temperature: RAMSES stores pressure and density, which give T/µ only
//! (`p/ρ · mH/kB`, the `scale_T2` of RAMSES). amrkit's `K` assumes a
//! mean molecular weight µ = 0.6 (fully ionised primordial gas, the
//! default of many RAMSES analyses); `K/mu` gives T/µ with no assumption,
//! as amr2map does. Mera uses µ = 1/0.76 ≈ 1.32 (neutral hydrogen only):
//! compare with `K/mu` × µ.

use crate::error::{KernelError, Result};
use amrkit_io::Info;

/// Proton mass, g.
pub const M_H: f64 = 1.672_621_923_69e-24;
/// Boltzmann constant, erg/K.
pub const K_B: f64 = 1.380_649e-16;
/// Hydrogen mass fraction used for nH.
pub const X_H: f64 = 0.76;
/// Mean molecular weight assumed by `K`.
pub const MU: f64 = 0.6;
/// Solar mass, g.
pub const MSOL: f64 = 1.988_92e33;
/// Parsec, cm.
pub const PC: f64 = 3.085_677_581_282e18;
/// Year, s (Julian).
pub const YR: f64 = 3.155_76e7;

/// What a number measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Length.
    Length,
    /// Mass.
    Mass,
    /// Mass density.
    Density,
    /// Velocity.
    Velocity,
    /// Time.
    Time,
    /// Pressure.
    Pressure,
    /// p/ρ (code velocity²), converted to temperature.
    Temperature,
    /// ρ, converted to hydrogen number density.
    NumberDensity,
    /// ∫ρ dl.
    SurfaceDensity,
    /// Potential (velocity²).
    Potential,
    /// Acceleration.
    Acceleration,
    /// Pure number.
    Dimensionless,
}

/// What comoving units need: the expansion factor of the output and the
/// Hubble parameter h = H0 / (100 km/s/Mpc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comoving {
    /// Expansion factor a.
    pub aexp: f64,
    /// h.
    pub h: f64,
}

/// The comoving length units: name, parsecs per unit (comoving), and
/// whether the unit is per h.
const COMOVING: [(&str, f64, bool); 10] = [
    ("cMpc/h", 1e6, true),
    ("Mpccm/h", 1e6, true),
    ("cMpc", 1e6, false),
    ("Mpccm", 1e6, false),
    ("ckpc/h", 1e3, true),
    ("kpccm/h", 1e3, true),
    ("ckpc", 1e3, false),
    ("kpccm", 1e3, false),
    ("cpc", 1.0, false),
    ("pccm", 1.0, false),
];

/// The unit system of one output. `Default` is all ones (code = cgs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Units {
    /// Code length in cm.
    pub unit_l: f64,
    /// Code density in g/cm³.
    pub unit_d: f64,
    /// Code time in s.
    pub unit_t: f64,
    /// Box size in code lengths (one coarse cell: the box is
    /// `extent[d]·boxlen` along axis `d`).
    pub boxlen: f64,
    /// Dimensions of the run (1, 2 or 3). In 1D and 2D a cell spans the
    /// unit depth (one code length) along the missing axes, so masses are
    /// per code length of depth (2D) or per code area of cross-section (1D),
    /// and a volume is dx^ndim.
    pub ndim: usize,
    /// Coarse cells of the physical box per axis (1 for most runs).
    pub extent: [usize; 3],
    /// For cosmological runs: what comoving lengths need (`unit_l` is a
    /// proper length at the output's expansion factor).
    pub comoving: Option<Comoving>,
}

impl Default for Units {
    fn default() -> Self {
        Units {
            unit_l: 1.0,
            unit_d: 1.0,
            unit_t: 1.0,
            boxlen: 1.0,
            ndim: 3,
            extent: [1, 1, 1],
            comoving: None,
        }
    }
}

impl Units {
    /// From the info file.
    pub fn from_info(info: &Info) -> Units {
        Units {
            unit_l: info.unit_l,
            unit_d: info.unit_d,
            unit_t: info.unit_t,
            boxlen: info.boxlen,
            ndim: info.ndim,
            extent: info.extent,
            comoving: info.is_cosmological().then_some(Comoving {
                aexp: info.aexp,
                h: info.h0 / 100.0,
            }),
        }
    }

    /// One code unit of `q` in cgs.
    pub fn cgs(&self, q: Quantity) -> f64 {
        let v = self.unit_l / self.unit_t;
        match q {
            Quantity::Length => self.unit_l,
            Quantity::Mass => self.unit_d * self.unit_l.powi(3),
            Quantity::Density => self.unit_d,
            Quantity::Velocity => v,
            Quantity::Time => self.unit_t,
            Quantity::Pressure => self.unit_d * v * v,
            // T/µ per code unit of P/ρ: the one definition.
            Quantity::Temperature => crate::temperature::kelvin_per_code(self),
            Quantity::NumberDensity => self.unit_d * X_H / M_H,
            Quantity::SurfaceDensity => self.unit_d * self.unit_l,
            Quantity::Potential => v * v,
            Quantity::Acceleration => self.unit_l / (self.unit_t * self.unit_t),
            Quantity::Dimensionless => 1.0,
        }
    }

    /// Box lengths in one `unit` of length: converts lengths in `unit` to
    /// box units (`[0, 1]` across the box).
    pub fn box_per(&self, unit: &str) -> Result<f64> {
        Ok(self.factor(Quantity::Length, "box")? / self.factor(Quantity::Length, unit)?)
    }

    /// The factor that turns code units of `q` into `unit` (`code` is 1).
    pub fn factor(&self, q: Quantity, unit: &str) -> Result<f64> {
        if unit == "code" || unit.is_empty() {
            return Ok(1.0);
        }
        let cgs = self.cgs(q);
        let per = |u: f64| Ok(cgs / u);
        if let Some(&(_, pcs, per_h)) = COMOVING.iter().find(|c| c.0 == unit) {
            if q != Quantity::Length {
                return Err(KernelError::Unit {
                    quantity: q,
                    unit: unit.to_string(),
                });
            }
            let Some(c) = self.comoving else {
                return Err(KernelError::Invalid(format!(
                    "comoving unit `{unit}` needs a cosmological output (this one has aexp = 1 and H0 = 1)"
                )));
            };
            // unit_l is proper: comoving = proper / a; per h: × h.
            let h = if per_h { c.h } else { 1.0 };
            return per(c.aexp * pcs * PC / h);
        }
        use Quantity::*;
        match (q, unit) {
            (Length, "cm") => per(1.0),
            (Length, "m") => per(1e2),
            (Length, "km") => per(1e5),
            (Length, "au") => per(1.495_978_707e13),
            (Length, "pc") => per(PC),
            (Length, "kpc") => per(1e3 * PC),
            (Length, "Mpc") => per(1e6 * PC),
            (Length, "box") => Ok(1.0 / self.boxlen),
            (Mass, "g") => per(1.0),
            (Mass, "kg") => per(1e3),
            (Mass, "Msol" | "Msun") => per(MSOL),
            (Density, "g/cm^3" | "g/cm3") => per(1.0),
            (Density, "kg/m^3") => per(1e-3),
            (Density, "Msol/pc^3") => per(MSOL / PC.powi(3)),
            (Density, "Msol/kpc^3") => per(MSOL / (1e3 * PC).powi(3)),
            (Density | NumberDensity, "nH" | "cm^-3") => Ok(self.unit_d * X_H / M_H),
            (Velocity, "cm/s") => per(1.0),
            (Velocity, "m/s") => per(1e2),
            (Velocity, "km/s") => per(1e5),
            (Time, "s") => per(1.0),
            (Time, "yr") => per(YR),
            (Time, "Myr") => per(1e6 * YR),
            (Time, "Gyr") => per(1e9 * YR),
            (Pressure, "Ba" | "dyn/cm^2" | "erg/cm^3") => per(1.0),
            (Pressure, "K/cm^3") => per(K_B),
            (Temperature, "K") => Ok(cgs * MU),
            (Temperature, "K/mu") => Ok(cgs),
            (SurfaceDensity, "g/cm^2") => per(1.0),
            (SurfaceDensity, "Msol/pc^2") => per(MSOL / PC.powi(2)),
            (SurfaceDensity, "Msol/kpc^2") => per(MSOL / (1e3 * PC).powi(2)),
            (Potential, "cm^2/s^2" | "erg/g") => per(1.0),
            (Potential, "km^2/s^2") => per(1e10),
            (Acceleration, "cm/s^2") => per(1.0),
            _ => Err(KernelError::Unit {
                quantity: q,
                unit: unit.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_units() {
        let u = Units {
            unit_l: 1e3 * PC,
            unit_d: 1.66e-24,
            unit_t: 1e6 * YR,
            boxlen: 100.0,
            comoving: None,
            ..Units::default()
        };
        assert!((u.factor(Quantity::Length, "kpc").unwrap() - 1.0).abs() < 1e-12);
        assert!((u.factor(Quantity::Time, "Myr").unwrap() - 1.0).abs() < 1e-12);
        assert!((u.factor(Quantity::Length, "box").unwrap() - 0.01).abs() < 1e-15);
        let nh = u.factor(Quantity::Density, "nH").unwrap();
        assert!((nh - 1.66e-24 * 0.76 / M_H).abs() < 1e-12);
        assert!(u.factor(Quantity::Mass, "kpc").is_err());
        let e = u
            .factor(Quantity::Length, "cMpc/h")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cosmological"), "{e}");
    }

    #[test]
    fn comoving_lengths() {
        // A box of 2 proper Mpc at a = 0.25 with h = 0.7: 8 cMpc, 5.6 cMpc/h.
        let u = Units {
            unit_l: 2e6 * PC,
            boxlen: 1.0,
            comoving: Some(Comoving { aexp: 0.25, h: 0.7 }),
            ..Units::default()
        };
        let f = |unit: &str| u.factor(Quantity::Length, unit).unwrap();
        assert!((f("Mpc") - 2.0).abs() < 1e-12);
        assert!((f("cMpc") - 8.0).abs() < 1e-12);
        assert!((f("Mpccm") - 8.0).abs() < 1e-12);
        assert!((f("cMpc/h") - 5.6).abs() < 1e-12);
        assert!((f("ckpc/h") - 5600.0).abs() < 1e-9);
        assert!((u.box_per("cMpc/h").unwrap() - 1.0 / 5.6).abs() < 1e-12);
        assert!(u.factor(Quantity::Mass, "cMpc").is_err());
    }
}
