//! Units: code units of a RAMSES output → cgs → named units.
//!
//! Temperature: RAMSES stores pressure and density, which give T/µ only
//! (`p/ρ · mH/kB`, the `scale_T2` of RAMSES). amrkit's `K` assumes a
//! mean molecular weight µ = 0.6 (fully ionised primordial gas, the
//! default of many RAMSES analyses); `K/mu` gives T/µ with no assumption,
//! as amr2map does. Mera uses µ = 1/0.76 ≈ 1.32 (neutral hydrogen only):
//! compare with `K/mu` × µ.
//!
//! Physical constants are yt's (yt 4.4 takes them from unyt 3.0, file
//! `unyt/_physical_ratios.py`), derived from unyt's figures the way unyt
//! derives them, so that amrkit's numbers in named units agree with yt's to
//! rounding. `docs/units.md` lists each with its source.

use crate::error::{KernelError, Result};
pub use crate::quantity::Quantity;
use amrkit_io::Info;

/// unyt's `mpc_per_m`: megaparsecs per metre, the figure unyt's parsec
/// comes from.
const MPC_PER_M: f64 = 3.240_779_29e-23;
/// unyt's `amu_kg` (atomic mass unit), in g.
const AMU: f64 = 1.660_538_921e-24;
/// Hydrogen atom mass, g: unyt's `mass_hydrogen_kg` = 1.007947 amu, the
/// `mh` (`mass_hydrogen_cgs`) that yt's RAMSES frontend uses for the
/// temperature (`p/ρ · mh/kB`) and the hydrogen number density.
pub const M_H: f64 = 1.007_947 * AMU;
/// Proton mass, g (unyt's `mass_proton_kg`; `mp` in yt).
pub const M_P: f64 = 1.672_623_110e-24;
/// Boltzmann constant, erg/K (unyt's `boltzmann_constant_J_per_K`).
pub const K_B: f64 = 1.380_648_8e-16;
/// Newton's constant, cm³ g⁻¹ s⁻² (unyt's `newton_mks`).
pub const G: f64 = 6.674_08e-8;
/// Hydrogen mass fraction used for nH.
pub const X_H: f64 = 0.76;
/// Mean molecular weight assumed by `K`.
pub const MU: f64 = 0.6;
/// Solar mass, g (unyt's `mass_sun_kg`, Mamajek 2012).
pub const MSOL: f64 = 1.988_415_86e33;
/// Parsec, cm: unyt's `1 / (mpc_per_m / mpc_per_pc)` metres.
pub const PC: f64 = 100.0 / (MPC_PER_M / 1e-6);
/// Kiloparsec, cm (unyt's SI prefix on the parsec).
pub const KPC: f64 = 1e3 * PC;
/// Megaparsec, cm.
pub const MPC: f64 = 1e6 * PC;
/// Astronomical unit, cm (unyt's `1 / au_per_m` metres).
pub const AU: f64 = 100.0 / 6.684_587_12e-12;
/// Year, s (Julian; unyt's `sec_per_year`).
pub const YR: f64 = 3.155_76e7;
/// Megayear, s.
pub const MYR: f64 = 1e6 * YR;

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
            // T/µ in K per code unit of P/ρ (a code velocity²),
            // `(unit_l/unit_t)²·m_H/k_B`: the one definition
            // (`temperature::kelvin_per_code` reads it here).
            Quantity::Temperature => v * v * M_H / K_B,
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
    /// An unknown unit is refused with the list of those valid for `q`.
    pub fn factor(&self, q: Quantity, unit: &str) -> Result<f64> {
        if unit == "code" || unit.is_empty() {
            return Ok(1.0);
        }
        let cgs = self.cgs(q);
        if let Some(&(_, pcs, per_h)) = COMOVING.iter().find(|c| c.0 == unit) {
            if q != Quantity::Length {
                return Err(self.unknown(q, unit));
            }
            let Some(c) = self.comoving else {
                return Err(KernelError::Invalid(format!(
                    "comoving unit `{unit}` needs a cosmological output (this one has aexp = 1 and H0 = 1)"
                )));
            };
            // unit_l is proper: comoving = proper / a; per h: × h.
            let h = if per_h { c.h } else { 1.0 };
            return Ok(cgs / (c.aexp * pcs * PC / h));
        }
        NAMED
            .iter()
            .find(|(nq, names, _)| *nq == q && names.contains(&unit))
            .map(|(_, _, f)| f(self, cgs))
            .ok_or_else(|| self.unknown(q, unit))
    }

    /// The unit names `factor` takes for `q` here: `code`, the named ones,
    /// and for lengths of a cosmological output the comoving ones.
    pub fn unit_names(&self, q: Quantity) -> Vec<&'static str> {
        let mut v = vec!["code"];
        v.extend(
            NAMED
                .iter()
                .filter(|(nq, _, _)| *nq == q)
                .flat_map(|(_, names, _)| names.iter().copied()),
        );
        if q == Quantity::Length && self.comoving.is_some() {
            v.extend(COMOVING.iter().map(|c| c.0));
        }
        v
    }

    /// Checks that `unit` names a unit of `q` (as [`factor`](Self::factor)).
    pub fn check_unit(&self, q: Quantity, unit: &str) -> Result<()> {
        self.factor(q, unit).map(|_| ())
    }

    fn unknown(&self, q: Quantity, unit: &str) -> KernelError {
        KernelError::Unit {
            quantity: q,
            unit: unit.to_string(),
            valid: self.unit_names(q).join(", "),
        }
    }
}

/// A named unit: its quantity, its names, and the factor from code units
/// of the quantity to it, given the output's units and one code unit of
/// the quantity in cgs.
type Named = (Quantity, &'static [&'static str], fn(&Units, f64) -> f64);

/// Every named unit but the comoving lengths ([`COMOVING`]).
const NAMED: &[Named] = &[
    (Quantity::Length, &["box"], |u, _| 1.0 / u.boxlen),
    (Quantity::Length, &["cm"], |_, c| c),
    (Quantity::Length, &["m"], |_, c| c / 1e2),
    (Quantity::Length, &["km"], |_, c| c / 1e5),
    (Quantity::Length, &["au"], |_, c| c / AU),
    (Quantity::Length, &["pc"], |_, c| c / PC),
    (Quantity::Length, &["kpc"], |_, c| c / KPC),
    (Quantity::Length, &["Mpc"], |_, c| c / MPC),
    (Quantity::Mass, &["g"], |_, c| c),
    (Quantity::Mass, &["kg"], |_, c| c / 1e3),
    (Quantity::Mass, &["Msol", "Msun"], |_, c| c / MSOL),
    (Quantity::Density, &["g/cm^3", "g/cm3"], |_, c| c),
    (Quantity::Density, &["kg/m^3"], |_, c| c / 1e-3),
    (Quantity::Density, &["Msol/pc^3"], |_, c| {
        c / (MSOL / PC.powi(3))
    }),
    (Quantity::Density, &["Msol/kpc^3"], |_, c| {
        c / (MSOL / KPC.powi(3))
    }),
    (Quantity::Density, &["nH", "cm^-3"], |u, _| {
        u.unit_d * X_H / M_H
    }),
    (Quantity::NumberDensity, &["nH", "cm^-3"], |u, _| {
        u.unit_d * X_H / M_H
    }),
    (Quantity::Velocity, &["cm/s"], |_, c| c),
    (Quantity::Velocity, &["m/s"], |_, c| c / 1e2),
    (Quantity::Velocity, &["km/s"], |_, c| c / 1e5),
    (Quantity::Time, &["s"], |_, c| c),
    (Quantity::Time, &["yr"], |_, c| c / YR),
    (Quantity::Time, &["Myr"], |_, c| c / MYR),
    (Quantity::Time, &["Gyr"], |_, c| c / (1e9 * YR)),
    (
        Quantity::Pressure,
        &["Ba", "dyn/cm^2", "erg/cm^3"],
        |_, c| c,
    ),
    (Quantity::Pressure, &["K/cm^3"], |_, c| c / K_B),
    (Quantity::Temperature, &["K"], |_, c| c * MU),
    (Quantity::Temperature, &["K/mu"], |_, c| c),
    (Quantity::SurfaceDensity, &["g/cm^2"], |_, c| c),
    (Quantity::SurfaceDensity, &["Msol/pc^2"], |_, c| {
        c / (MSOL / PC.powi(2))
    }),
    (Quantity::SurfaceDensity, &["Msol/kpc^2"], |_, c| {
        c / (MSOL / KPC.powi(2))
    }),
    (Quantity::Potential, &["cm^2/s^2", "erg/g"], |_, c| c),
    (Quantity::Potential, &["km^2/s^2"], |_, c| c / 1e10),
    (Quantity::Acceleration, &["cm/s^2"], |_, c| c),
];

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
