//! The `info_rt_NNNNN.txt` part of `info`: RAMSES-RT counts, units and
//! photon groups, as read from the file.

use amrkit_io::rt::{PhotonGroup, RtInfo, RtInfoLayout};
use amrkit_io::Snapshot;
use serde_json::{json, Value};

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
