//! What `info` shows about an output, typed: the header facts, the
//! components found, the particle counts, the size on disk and the
//! RAMSES-RT description ([`RtReport`]).

use super::rt::RtReport;
use crate::cosmology::cosmic_time;
use crate::error::Result;
use crate::units::{Quantity, Units, MYR as MYR_S};
use amrkit_io::{FileLayout, Snapshot};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

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

/// `gamma` from the header of CPU 1's hydro file: its sixth Fortran record
/// (after ncpu, nvar, ndim, nlevelmax, nboundary), a real of 4 or 8 bytes.
/// Only the header is read. `None` when the file or the record is not
/// there.
fn hydro_gamma(s: &Snapshot) -> Option<f64> {
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
