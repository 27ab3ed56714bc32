//! What `info`, `stats`, `clumps` and the units report, as typed structs:
//! the CLI renders its text from the fields (a misspelt field does not
//! compile), and [`InfoReport::to_json`] / [`StatsReport::to_json`] /
//! [`ClumpsReport::to_json`] / [`UnitsReport::to_json`] give the JSON that
//! `--json` prints and the Python package hands back as dicts, so all
//! show the same numbers. The stats report is in its own file
//! (`report/stats.rs`).

use crate::cosmology::cosmic_time;
use crate::error::Result;
use crate::temperature::{kelvin_per_code, DEFAULT_MU};
use crate::units::{Quantity, Units, YR};
use amrkit_io::rt::{PhotonGroup, RtInfo, RtInfoLayout};
use amrkit_io::{FileLayout, Snapshot};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

mod stats;
pub use stats::{
    CountMass, MassUnit, StatsReport, StatsUnits, TableOf, VariableStats, VariableTable,
};

/// Seconds in a megayear (Julian years, as the unit `Myr`).
pub const MYR_S: f64 = 1e6 * YR;

/// Bytes of the files directly in `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Which components an output has.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentFlags {
    /// Hydro files with variables.
    pub hydro: bool,
    /// Gravity files with variables.
    pub gravity: bool,
    /// Particle files.
    pub particles: bool,
    /// A sink file.
    pub sinks: bool,
    /// RAMSES-RT files.
    pub rt: bool,
}

/// The facts `info` shows: time, box, levels, layout, variables,
/// particles, sinks, size on disk (code units unless the name says).
#[derive(Clone, Debug, PartialEq)]
pub struct InfoReport {
    /// The output folder.
    pub output: String,
    /// CPU files.
    pub ncpu: usize,
    /// Dimensions (1, 2 or 3).
    pub ndim: usize,
    /// The box in coarse cells of `boxlen` each, per dimension.
    pub box_coarse_cells: Vec<usize>,
    /// Coarse grid (`nx`, `ny`, `nz`), per dimension.
    pub coarse_grid: Vec<usize>,
    /// Coarsest level.
    pub levelmin: u32,
    /// Deepest level.
    pub levelmax: u32,
    /// The code time (super-comoving conformal time on cosmological runs).
    pub time_code: f64,
    /// The time a user compares with yt's `current_time`: the code time in
    /// Myr, except on cosmological runs (the age of the universe at aexp,
    /// when defined).
    pub time_myr: Option<f64>,
    /// Box size in code lengths.
    pub boxlen_code: f64,
    /// Box size in kpc.
    pub boxlen_kpc: f64,
    /// Box size in Mpc.
    pub boxlen_mpc: f64,
    /// Comoving box size in cMpc/h (cosmological runs).
    pub boxlen_cmpc_h: Option<f64>,
    /// Whether the run is cosmological.
    pub cosmological: bool,
    /// Expansion factor.
    pub aexp: f64,
    /// Redshift.
    pub redshift: f64,
    /// Age of the universe at aexp, Myr.
    pub age_myr: Option<f64>,
    /// Lookback time to aexp, Myr.
    pub lookback_myr: Option<f64>,
    /// H0, km/s/Mpc.
    pub h0: f64,
    /// Ω_m.
    pub omega_m: f64,
    /// Ω_Λ.
    pub omega_l: f64,
    /// Ω_k.
    pub omega_k: f64,
    /// `unit_l` (cm), `unit_d` (g/cm³), `unit_t` (s).
    pub units: [f64; 3],
    /// The adiabatic index of the hydro files' header (`None` without
    /// hydro files).
    pub gamma: Option<f64>,
    /// Whether the run has no physical units (`unit_l = unit_d = unit_t =
    /// 1`): times and lengths are then given in code units only.
    pub unitless: bool,
    /// Where the CPU files sit.
    pub file_layout: FileLayout,
    /// Domain ordering (`hilbert`, …).
    pub ordering: String,
    /// Which components the output has.
    pub components: ComponentFlags,
    /// Hydro variable names.
    pub hydro_variables: Vec<String>,
    /// Gravity variable names.
    pub gravity_variables: Vec<String>,
    /// RAMSES-RT variable names.
    pub rt_variables: Vec<String>,
    /// Particle field names.
    pub particle_fields: Vec<String>,
    /// Particles per family (from the particle header; families with some).
    pub particles_per_family: BTreeMap<String, u64>,
    /// Sinks in the sink file.
    pub sinks: usize,
    /// Bytes of the output's files.
    pub disk_bytes: u64,
    /// Why the particle files cannot be read, if they cannot.
    pub particles_error: Option<String>,
    /// Why the RAMSES-RT files cannot be read, if they cannot.
    pub rt_error: Option<String>,
    /// `info_rt_NNNNN.txt`, when the output has one.
    pub rt: Option<RtReport>,
}

/// One photon group of [`RtReport`].
#[derive(Clone, Debug, PartialEq)]
pub struct RtGroupReport {
    /// Group number (1-based).
    pub group: usize,
    /// Its variables (`photon_flux_GG…`).
    pub variables: Vec<String>,
    /// The group's photons, as RAMSES-RT gives them.
    pub photons: PhotonGroup,
}

/// `info_rt_NNNNN.txt`: counts, units (cgs per code unit of the rt
/// variables), the reduced speed of light (one value, or one per level
/// from `levelmin`) and the photon groups.
#[derive(Clone, Debug, PartialEq)]
pub struct RtReport {
    /// The file.
    pub file: String,
    /// How it gives the reduced speed of light.
    pub layout: RtInfoLayout,
    /// `nRTvar`.
    pub nrtvar: usize,
    /// Photon groups.
    pub ngroups: usize,
    /// Ions.
    pub nions: usize,
    /// Hydro variable of the first ion.
    pub iions: usize,
    /// Hydrogen mass fraction.
    pub x_fraction: f64,
    /// Helium mass fraction.
    pub y_fraction: f64,
    /// Photons cm⁻³ per code unit.
    pub unit_np: f64,
    /// Photons cm⁻² s⁻¹ per code unit.
    pub unit_pf: f64,
    /// Reduced speed of light (fraction of c).
    pub rt_c_frac: Vec<f64>,
    /// The photon groups.
    pub groups: Vec<RtGroupReport>,
}

impl InfoReport {
    /// What `info` reports on `s`.
    pub fn of(s: &Snapshot) -> Result<InfoReport> {
        let u = Units::from_info(&s.info);
        let myr = u.factor(Quantity::Time, "Myr")?;
        let ct = cosmic_time(&s.info);
        let mut parts = BTreeMap::new();
        if let Some(h) = s.part_header_text()? {
            for (name, c) in h.counts {
                if c > 0 {
                    parts.insert(name, c);
                }
            }
        }
        let cosmological = s.info.is_cosmological();
        Ok(InfoReport {
            output: s.dir.display().to_string(),
            ncpu: s.info.ncpu,
            ndim: s.info.ndim,
            box_coarse_cells: s.info.extent[..s.info.ndim].to_vec(),
            coarse_grid: s.info.coarse_grid[..s.info.ndim].to_vec(),
            levelmin: s.info.levelmin,
            levelmax: s.info.levelmax,
            time_code: s.info.time,
            time_myr: if cosmological {
                ct.age_s.map(|t| t / MYR_S)
            } else {
                Some(s.info.time * myr)
            },
            boxlen_code: s.info.boxlen,
            boxlen_kpc: s.info.boxlen * u.factor(Quantity::Length, "kpc")?,
            boxlen_mpc: s.info.boxlen * u.factor(Quantity::Length, "Mpc")?,
            boxlen_cmpc_h: u
                .comoving
                .map(|_| u.factor(Quantity::Length, "cMpc/h"))
                .transpose()?
                .map(|f| f * s.info.boxlen),
            cosmological,
            aexp: ct.aexp,
            redshift: ct.redshift,
            age_myr: ct.age_s.map(|t| t / MYR_S),
            lookback_myr: ct.lookback_s.map(|t| t / MYR_S),
            h0: s.info.h0,
            omega_m: s.info.omega_m,
            omega_l: s.info.omega_l,
            omega_k: s.info.omega_k,
            units: [u.unit_l, u.unit_d, u.unit_t],
            gamma: hydro_gamma(s),
            unitless: [u.unit_l, u.unit_d, u.unit_t] == [1.0; 3],
            file_layout: s.layout.clone(),
            ordering: match &s.info.ordering {
                amrkit_io::info::Ordering::Hilbert { .. } => "hilbert".to_string(),
                amrkit_io::info::Ordering::Other(o) => o.clone(),
            },
            components: ComponentFlags {
                hydro: !s.hydro_fields.is_empty(),
                gravity: !s.grav_fields.is_empty(),
                particles: s.has_particles,
                sinks: s.has_sinks,
                rt: s.has_rt(),
            },
            hydro_variables: s.hydro_fields.iter().map(|f| f.name.clone()).collect(),
            gravity_variables: s.grav_fields.clone(),
            rt_variables: s.rt_fields.iter().map(|f| f.name.clone()).collect(),
            particle_fields: s
                .part_layout
                .as_ref()
                .map(|l| l.fields.iter().map(|f| f.name.clone()).collect())
                .unwrap_or_default(),
            particles_per_family: parts,
            sinks: s.sinks()?.len(),
            disk_bytes: s.folders().iter().map(|d| dir_bytes(d)).sum(),
            particles_error: s.particle_problem().map(|e| e.to_string()),
            rt_error: s.rt_problem().map(|e| e.to_string()),
            rt: s.rt_info.as_ref().map(|rt| RtReport::of(rt, s)),
        })
    }

    /// As `info --json` prints it.
    pub fn to_json(&self) -> Value {
        let mut j = json!({
            "output": self.output,
            "ncpu": self.ncpu,
            "ndim": self.ndim,
            "box_coarse_cells": self.box_coarse_cells,
            "coarse_grid": self.coarse_grid,
            "levelmin": self.levelmin,
            "levelmax": self.levelmax,
            "time_code": self.time_code,
            "time_myr": self.time_myr,
            "boxlen_code": self.boxlen_code,
            "boxlen_kpc": self.boxlen_kpc,
            "boxlen_mpc": self.boxlen_mpc,
            "boxlen_cmpc_h": self.boxlen_cmpc_h,
            "cosmological": self.cosmological,
            "aexp": self.aexp,
            "redshift": self.redshift,
            "age_myr": self.age_myr,
            "lookback_myr": self.lookback_myr,
            "h0": self.h0,
            "omega_m": self.omega_m,
            "omega_l": self.omega_l,
            "omega_k": self.omega_k,
            "units": {"unit_l_cm": self.units[0], "unit_d_g_cm3": self.units[1], "unit_t_s": self.units[2]},
            "unitless": self.unitless,
            "gamma": self.gamma,
            "file_layout": match self.file_layout {
                FileLayout::Flat => json!({"kind": "flat"}),
                FileLayout::Groups { size, count } => json!({"kind": "groups", "group_size": size, "groups": count}),
            },
            "ordering": self.ordering,
            "components": {
                "hydro": self.components.hydro,
                "gravity": self.components.gravity,
                "particles": self.components.particles,
                "sinks": self.components.sinks,
                "rt": self.components.rt,
            },
            "hydro_variables": self.hydro_variables,
            "gravity_variables": self.gravity_variables,
            "rt_variables": self.rt_variables,
            "particle_fields": self.particle_fields,
            "particles_per_family": self.particles_per_family,
            "sinks": self.sinks,
            "disk_bytes": self.disk_bytes,
        });
        if let Some(e) = &self.particles_error {
            j["particles_error"] = json!(e);
        }
        if let Some(e) = &self.rt_error {
            j["rt_error"] = json!(e);
        }
        if let Some(rt) = &self.rt {
            j["rt"] = rt.to_json();
        }
        j
    }
}

impl RtReport {
    /// The report of `rt`, the RAMSES-RT description of `s`.
    pub fn of(rt: &RtInfo, s: &Snapshot) -> RtReport {
        let groups = rt
            .groups
            .iter()
            .enumerate()
            .map(|(g, p)| {
                let prefix = format!("photon_flux_{:02}", g + 1);
                RtGroupReport {
                    group: g + 1,
                    variables: s
                        .rt_fields
                        .iter()
                        .filter(|f| f.name.starts_with(&prefix))
                        .map(|f| f.name.clone())
                        .collect(),
                    photons: p.clone(),
                }
            })
            .collect();
        RtReport {
            file: rt.path.display().to_string(),
            layout: rt.layout,
            nrtvar: rt.nrtvar,
            ngroups: rt.ngroups,
            nions: rt.nions,
            iions: rt.iions,
            x_fraction: rt.x_fraction,
            y_fraction: rt.y_fraction,
            unit_np: rt.unit_np,
            unit_pf: rt.unit_pf,
            rt_c_frac: rt.rt_c_frac.clone(),
            groups,
        }
    }

    /// As `info --json` shows it (its `rt` object).
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let p = &g.photons;
                json!({
                    "group": g.group,
                    "variables": g.variables,
                    "egy_ev": p.egy_ev,
                    "l0_ev": p.l0_ev,
                    "l1_ev": p.l1_ev,
                    "csn_cm2": p.csn_cm2,
                    "cse_cm2": p.cse_cm2,
                })
            })
            .collect();
        json!({
            "file": self.file,
            "layout": match self.layout {
                RtInfoLayout::SingleLightSpeed => "rt_c_frac: one value",
                RtInfoLayout::PerLevelLightSpeed => "rt_c_frac: one value per level (ramses-2025.05)",
            },
            "nrtvar": self.nrtvar,
            "ngroups": self.ngroups,
            "nions": self.nions,
            "iions": self.iions,
            "x_fraction": self.x_fraction,
            "y_fraction": self.y_fraction,
            "unit_np": self.unit_np,
            "unit_pf": self.unit_pf,
            "rt_c_frac": self.rt_c_frac,
            "groups": groups,
        })
    }
}

/// One clump of [`ClumpsReport`]: its values, one per column of the
/// files, and the CPU file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ClumpRow {
    /// One value per [`ClumpsReport::columns`].
    pub values: Vec<f64>,
    /// The CPU file (1-based).
    pub cpu: usize,
}

/// The PHEW clump table (`clump_NNNNN.txtCCCCC`) by decreasing mass, in
/// code units.
#[derive(Clone, Debug, PartialEq)]
pub struct ClumpsReport {
    /// The output folder.
    pub output: String,
    /// Clump files read.
    pub n_files: usize,
    /// Clumps in all the files.
    pub n_clumps: usize,
    /// Mass of all the clumps.
    pub total_mass: f64,
    /// Column names of the files.
    pub columns: Vec<String>,
    /// Whether each column holds integers.
    pub integer: Vec<bool>,
    /// The clumps shown, by decreasing mass.
    pub rows: Vec<ClumpRow>,
}

impl ClumpsReport {
    /// The clumps of `s` by decreasing mass, the `top` most massive when
    /// given.
    pub fn of(s: &Snapshot, top: Option<usize>) -> Result<ClumpsReport> {
        let t = s.clumps()?;
        let order = t.by_mass();
        let shown = top.unwrap_or(order.len()).min(order.len());
        let rows = order[..shown]
            .iter()
            .map(|&k| ClumpRow {
                values: t.clumps[k].values.clone(),
                cpu: t.clumps[k].cpu,
            })
            .collect();
        Ok(ClumpsReport {
            output: s.dir.display().to_string(),
            n_files: t.files.len(),
            n_clumps: t.clumps.len(),
            total_mass: t.total_mass(),
            columns: t.columns.clone(),
            integer: t.integer.clone(),
            rows,
        })
    }

    /// A column's number, by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// As `clumps --json` prints it: every column of the files (integers
    /// as integers) and the CPU of each clump.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|c| {
                let mut o = Map::new();
                for ((name, &v), &int) in self.columns.iter().zip(&c.values).zip(&self.integer) {
                    o.insert(name.clone(), if int { json!(v as i64) } else { json!(v) });
                }
                o.insert("cpu".into(), json!(c.cpu));
                Value::Object(o)
            })
            .collect();
        json!({
            "output": self.output,
            "units": "code",
            "n_files": self.n_files,
            "n_clumps": self.n_clumps,
            "total_mass": self.total_mass,
            "columns": self.columns,
            "clumps": rows,
        })
    }
}

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

/// `gamma` from the header of CPU 1's hydro file: its sixth Fortran record
/// (after ncpu, nvar, ndim, nlevelmax, nboundary), a real of 4 or 8 bytes.
/// Only the header is read. `None` when the file or the record is not
/// there.
pub fn hydro_gamma(s: &Snapshot) -> Option<f64> {
    use std::io::Read;
    if s.hydro_fields.is_empty() {
        return None;
    }
    let path = s.cpu_dir(1).join(format!("hydro_{:05}.out00001", s.iout));
    let mut head = Vec::with_capacity(128);
    std::fs::File::open(path)
        .ok()?
        .take(128)
        .read_to_end(&mut head)
        .ok()?;
    let mut at = 0;
    for record in 0..6 {
        let n = u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?) as usize;
        let data = head.get(at + 4..at + 4 + n)?;
        if record == 5 {
            return match n {
                8 => Some(f64::from_le_bytes(data.try_into().ok()?)),
                4 => Some(f32::from_le_bytes(data.try_into().ok()?) as f64),
                _ => None,
            };
        }
        at += n + 8;
    }
    None
}
