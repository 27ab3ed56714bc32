//! RAMSES-RT: `info_rt_NNNNN.txt` (the radiation units and photon groups)
//! and the names of the `rt_NNNNN.outCCCCC` variables.
//!
//! The rt files have the hydro files' record layout (header `ncpu, nrtvar,
//! ndim, nlevelmax, nboundary, gamma`; then per level and domain
//! `ilevel, ncache` and, for non-empty blocks, 2^ndim × nrtvar records of
//! `ncache` reals) and are read by [`crate::cpu`] like them. Per photon
//! group `GG` there are `1 + ndim` variables: `photon_flux_GG`, the photon
//! number density times the reduced speed of light (`rt_c · Np`, in flux
//! units), then the flux `photon_flux_GG_x|y|z`. Both times `unit_pf` are
//! photons cm⁻² s⁻¹.
//!
//! `info_rt_` has changed between releases, so it is parsed by key:
//! - up to ramses-2025.01: `rt_c_frac = ` one value;
//! - ramses-2025.05 on: `rt_c_frac = ` one value per level, `levelmin` to
//!   `levelmax` (the reduced speed of light may differ by level);
//! - some versions add `rtprecision = ` among the integer keys.
//!
//! The photon group block (`Photon group properties---…`) gives the energy
//! bounds `groupL0`, `groupL1`, `spec2group` and per group `egy`, `csn`,
//! `cse`.

use crate::descriptor::Field;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One photon group of `info_rt_`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhotonGroup {
    /// Lower energy bound, eV (`groupL0`).
    pub l0_ev: f64,
    /// Upper energy bound, eV (`groupL1`; 0 means no upper bound).
    pub l1_ev: f64,
    /// Mean photon energy, eV (`egy`).
    pub egy_ev: f64,
    /// Number-weighted cross-sections per ion species, cm² (`csn`).
    pub csn_cm2: Vec<f64>,
    /// Energy-weighted cross-sections per ion species, cm² (`cse`).
    pub cse_cm2: Vec<f64>,
}

/// How `info_rt_` gives the reduced speed of light.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtInfoLayout {
    /// One `rt_c_frac` value (RAMSES up to 2025.01).
    SingleLightSpeed,
    /// One `rt_c_frac` value per level from `levelmin` (ramses-2025.05 on).
    PerLevelLightSpeed,
}

/// The contents of `info_rt_NNNNN.txt`.
#[derive(Clone, Debug, PartialEq)]
pub struct RtInfo {
    /// The file it was read from.
    pub path: PathBuf,
    /// RT variables per cell (`nRTvar`: groups × (1 + ndim)).
    pub nrtvar: usize,
    /// Ion species tracked (`nIons`).
    pub nions: usize,
    /// Photon groups (`nGroups`).
    pub ngroups: usize,
    /// 1-based hydro variable index of the first ionisation fraction
    /// (`iIons`).
    pub iions: usize,
    /// Hydrogen mass fraction (`X_fraction`).
    pub x_fraction: f64,
    /// Helium mass fraction (`Y_fraction`).
    pub y_fraction: f64,
    /// Photon number density unit, photons cm⁻³ (`unit_np`).
    pub unit_np: f64,
    /// Photon flux unit, photons cm⁻² s⁻¹ (`unit_pf`): the cgs value of
    /// one code unit of every rt variable.
    pub unit_pf: f64,
    /// Reduced speed of light as a fraction of c (`rt_c_frac`): one value,
    /// or one per level from `levelmin` (see [`RtInfo::layout`]).
    pub rt_c_frac: Vec<f64>,
    /// Which `info_rt_` layout the file has.
    pub layout: RtInfoLayout,
    /// The photon groups (empty when the file has no group block).
    pub groups: Vec<PhotonGroup>,
    /// Photon group of each spectral species (`spec2group`).
    pub spec2group: Vec<i64>,
    /// Every other `key = value` line (`n_star`, `rtprecision`, …).
    pub extra: BTreeMap<String, String>,
}

impl RtInfo {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<RtInfo> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Inconsistent {
            path: path.to_path_buf(),
            problem: match e.kind() {
                std::io::ErrorKind::NotFound => "missing: the rt_ files' units (unit_pf, rt_c_frac) and photon groups come from it".to_string(),
                _ => e.to_string(),
            },
        })?;
        RtInfo::parse(path, &text)
    }

    /// The reduced speed of light (fraction of c) of level `level` of a
    /// run whose coarsest level is `levelmin`.
    pub fn rt_c_frac_at(&self, level: u32, levelmin: u32) -> f64 {
        let i = level.saturating_sub(levelmin) as usize;
        self.rt_c_frac[i.min(self.rt_c_frac.len() - 1)]
    }

    /// Parses the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<RtInfo> {
        let mut t = RtText::scan(path, text)?;
        let ngroups = t.int("nGroups")?;
        let rt_c_frac = t.reals("rt_c_frac")?;
        let layout = if rt_c_frac.len() == 1 {
            RtInfoLayout::SingleLightSpeed
        } else {
            RtInfoLayout::PerLevelLightSpeed
        };
        if !t.groups.is_empty() && t.groups.len() != ngroups {
            return Err(t.err(
                0,
                format!(
                    "the photon group block lists {} groups, but nGroups = {ngroups}",
                    t.groups.len()
                ),
            ));
        }
        t.apply_bounds()?;
        let extra = t
            .keys
            .iter()
            .filter(|(k, _)| !NAMED_KEYS.contains(&k.as_str()))
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect();
        let unit_pf = t.real("unit_pf")?;
        if !(unit_pf.is_finite() && unit_pf > 0.0) {
            return Err(t.err(
                t.keys["unit_pf"].0,
                format!("unit_pf = {unit_pf}, expected a positive number"),
            ));
        }
        Ok(RtInfo {
            path: path.to_path_buf(),
            nrtvar: t.int("nRTvar")?,
            nions: t.int("nIons")?,
            ngroups,
            iions: t.int("iIons")?,
            x_fraction: t.real("X_fraction")?,
            y_fraction: t.real("Y_fraction")?,
            unit_np: t.real("unit_np")?,
            unit_pf,
            rt_c_frac,
            layout,
            groups: t.groups,
            spec2group: t.spec2group,
            extra,
        })
    }
}

/// The keys [`RtInfo`] has a field for (the others go to `extra`).
const NAMED_KEYS: [&str; 9] = [
    "nRTvar",
    "nIons",
    "nGroups",
    "iIons",
    "X_fraction",
    "Y_fraction",
    "unit_np",
    "unit_pf",
    "rt_c_frac",
];

/// The lines of an `info_rt_` file, sorted out: `key = value` lines
/// before the photon group block, and the block's groups.
struct RtText<'a> {
    /// The file (for messages).
    path: &'a Path,
    /// key → (line number, the values after `=`).
    keys: BTreeMap<String, (usize, String)>,
    /// The groups of the block, in order.
    groups: Vec<PhotonGroup>,
    /// `groupL0` and `groupL1`: their line and values.
    bounds: [Option<(usize, Vec<f64>)>; 2],
    /// `spec2group`.
    spec2group: Vec<i64>,
}

impl<'a> RtText<'a> {
    /// Reads every line of `text`.
    fn scan(path: &'a Path, text: &str) -> Result<RtText<'a>> {
        let mut t = RtText {
            path,
            keys: BTreeMap::new(),
            groups: Vec::new(),
            bounds: [None, None],
            spec2group: Vec::new(),
        };
        let mut in_groups = false;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.chars().all(|c| c == '-') {
                continue;
            }
            if line.starts_with("Photon group properties") || line.starts_with("Photon properties")
            {
                in_groups = true;
                continue;
            }
            if in_groups {
                t.group_line(n, line)?;
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            t.keys
                .insert(k.trim().to_string(), (n, v.trim().to_string()));
        }
        Ok(t)
    }

    /// An error at 1-based `line` of the file (0: the file as a whole).
    fn err(&self, line: usize, problem: String) -> Error {
        Error::Text {
            path: self.path.to_path_buf(),
            line,
            problem,
        }
    }

    /// Line `n` (`t`, trimmed) of the photon group block: a `---Group N`
    /// heading, or a property of the groups or of the last group.
    fn group_line(&mut self, n: usize, t: &str) -> Result<()> {
        if let Some(g) = t.strip_prefix("---Group") {
            let g: usize = g
                .trim()
                .parse()
                .map_err(|_| self.err(n, format!("expected `---Group N`, found {t:?}")))?;
            if g != self.groups.len() + 1 {
                return Err(self.err(n, format!("group {g}, expected {}", self.groups.len() + 1)));
            }
            self.groups.push(PhotonGroup::default());
            return Ok(());
        }
        // Lines without `=` (headings a version may add) say nothing.
        let Some((k, v)) = t.split_once('=') else {
            return Ok(());
        };
        // `egy      [eV]`, `csn    [cm^2]`: the name before the unit.
        let k = k.split_whitespace().next().unwrap_or("");
        let reals = || -> Result<Vec<f64>> {
            v.split_whitespace()
                .map(|x| {
                    x.parse::<f64>()
                        .map_err(|_| self.err(n, format!("{k}: {x:?} is not a number")))
                })
                .collect()
        };
        match k {
            "groupL0" => self.bounds[0] = Some((n, reals()?)),
            "groupL1" => self.bounds[1] = Some((n, reals()?)),
            "spec2group" => {
                self.spec2group = v
                    .split_whitespace()
                    .map(|x| {
                        x.parse::<i64>().map_err(|_| {
                            self.err(n, format!("spec2group: {x:?} is not an integer"))
                        })
                    })
                    .collect::<Result<_>>()?
            }
            "egy" | "csn" | "cse" => {
                if self.groups.is_empty() {
                    return Err(self.err(n, format!("{k} before the first `---Group`")));
                }
                let r = reals()?;
                let egy = r.first().copied();
                let g = self.groups.last_mut().expect("checked above");
                match k {
                    "egy" => match egy {
                        Some(e) => g.egy_ev = e,
                        None => return Err(self.err(n, "egy: no value".into())),
                    },
                    "csn" => g.csn_cm2 = r,
                    _ => g.cse_cm2 = r,
                }
            }
            // Lines a later version may add to the block.
            _ => {}
        }
        Ok(())
    }

    /// `k` as a non-negative integer.
    fn int(&self, k: &str) -> Result<usize> {
        let (n, v) = self
            .keys
            .get(k)
            .ok_or_else(|| self.err(0, format!("no `{k} =` line")))?;
        v.parse()
            .map_err(|_| self.err(*n, format!("{k} = {v:?}, expected a non-negative integer")))
    }

    /// `k` as one or more numbers.
    fn reals(&self, k: &str) -> Result<Vec<f64>> {
        let (n, v) = self
            .keys
            .get(k)
            .ok_or_else(|| self.err(0, format!("no `{k} =` line")))?;
        let r: Vec<f64> = v
            .split_whitespace()
            .map(|x| x.parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| self.err(*n, format!("{k} = {v:?}, expected numbers")))?;
        if r.is_empty() {
            return Err(self.err(*n, format!("{k}: no value")));
        }
        Ok(r)
    }

    /// `k` as exactly one number.
    fn real(&self, k: &str) -> Result<f64> {
        let r = self.reals(k)?;
        if r.len() != 1 {
            return Err(self.err(
                self.keys[k].0,
                format!("{k} has {} values, expected 1", r.len()),
            ));
        }
        Ok(r[0])
    }

    /// Gives each group its energy bounds from `groupL0` and `groupL1`
    /// (at least one value per group).
    fn apply_bounds(&mut self) -> Result<()> {
        for b in 0..2 {
            let Some((n, v)) = &self.bounds[b] else {
                continue;
            };
            if v.len() < self.groups.len() {
                return Err(self.err(
                    *n,
                    format!(
                        "groupL{b} has {} values for {} groups",
                        v.len(),
                        self.groups.len()
                    ),
                ));
            }
            for (g, &x) in self.groups.iter_mut().zip(v) {
                if b == 0 {
                    g.l0_ev = x;
                } else {
                    g.l1_ev = x;
                }
            }
        }
        Ok(())
    }
}

/// The rt variable names RAMSES gives `nrtvar` variables in `ndim`
/// dimensions (`photon_flux_GG`, then `photon_flux_GG_x|y|z` per group),
/// for outputs without `rt_file_descriptor.txt`; `None` when `nrtvar` is
/// not a whole number of groups.
pub fn default_rt_names(nrtvar: usize, ndim: usize) -> Option<Vec<Field>> {
    let per = 1 + ndim;
    if !nrtvar.is_multiple_of(per) {
        return None;
    }
    let mut v = Vec::with_capacity(nrtvar);
    for g in 1..=nrtvar / per {
        v.push(format!("photon_flux_{g:02}"));
        for axis in ["x", "y", "z"].iter().take(ndim) {
            v.push(format!("photon_flux_{g:02}_{axis}"));
        }
    }
    Some(
        v.into_iter()
            .map(|name| Field {
                name,
                kind: Some('d'),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "nRTvar       =          8\nnIons        =           3\nnGroups      =           2\niIons        =           6\n\nX_fraction   =   0.760000000000000E+00\nY_fraction   =   0.240000000000000E+00\n\nunit_np      =   0.100000000000000E+01\nunit_pf      =   0.195563583357100E+08\nrt_c_frac    =   0.100000000000000E-01\n\nn_star       =   0.100000000000000E+00\nT2_star      =   0.000000000000000E+00\ng_star       =   0.160000000000000E+01\n\n Photon group properties------------------------------ \n  groupL0  [eV]  =       13.600      24.590\n  groupL1  [eV]  =       24.590       0.000\n  spec2group     =            1           2           2\n  ---Group 1\n  egy      [eV]  =    1.885E+01\n  csn    [cm^2]  =    3.007E-18   0.000E+00   0.000E+00\n  cse    [cm^2]  =    2.781E-18   0.000E+00   0.000E+00\n  ---Group 2\n  egy      [eV]  =    3.508E+01\n  csn    [cm^2]  =    5.687E-19   4.478E-18   0.000E+00\n  cse    [cm^2]  =    5.042E-19   4.130E-18   0.000E+00\n -------------------------------------------------------\n";

    #[test]
    fn both_layouts_and_extra_keys() {
        let p = Path::new("info_rt_00001.txt");
        let old = RtInfo::parse(p, OLD).unwrap();
        assert_eq!(
            (old.nrtvar, old.nions, old.ngroups, old.iions),
            (8, 3, 2, 6)
        );
        assert_eq!(old.rt_c_frac, vec![0.01]);
        assert_eq!(old.layout, RtInfoLayout::SingleLightSpeed);
        assert_eq!(old.unit_pf, 19556358.33571);
        assert_eq!(old.groups.len(), 2);
        assert_eq!(old.groups[1].egy_ev, 35.08);
        assert_eq!(old.groups[1].l0_ev, 24.59);
        assert_eq!(old.groups[0].csn_cm2, vec![3.007e-18, 0.0, 0.0]);
        assert_eq!(old.spec2group, vec![1, 2, 2]);
        let new = OLD
            .replace(
                "rt_c_frac    =   0.100000000000000E-01",
                "rt_c_frac    =   0.100000000000000E-01  0.500000000000000E-02  0.250000000000000E-02",
            )
            .replace("iIons        =           6\n", "iIons        =           6\nrtprecision =          8\n");
        let new = RtInfo::parse(p, &new).unwrap();
        assert_eq!(new.layout, RtInfoLayout::PerLevelLightSpeed);
        assert_eq!(new.rt_c_frac, vec![0.01, 0.005, 0.0025]);
        assert_eq!(new.rt_c_frac_at(4, 3), 0.005);
        assert_eq!(new.rt_c_frac_at(9, 3), 0.0025);
        assert_eq!(new.extra["rtprecision"], "8");
        assert_eq!(new.groups, old.groups);
        // A heading line a fork may add is not a key and says nothing.
        let headed = format!("RT parameters of this run\n{OLD}");
        assert_eq!(RtInfo::parse(p, &headed).unwrap().groups, old.groups);
    }

    #[test]
    fn bad_files_name_the_line() {
        let p = Path::new("info_rt_00001.txt");
        let e = RtInfo::parse(p, &OLD.replace("unit_pf", "unit_xx")).unwrap_err();
        assert!(e.to_string().contains("no `unit_pf =` line"), "{e}");
        let e = RtInfo::parse(p, &OLD.replace("=           2\n", "=         two\n")).unwrap_err();
        assert!(e.to_string().contains("line 3: nGroups"), "{e}");
        let e = RtInfo::parse(p, &OLD.replace("  ---Group 2", "  ---Group 3")).unwrap_err();
        assert!(e.to_string().contains("group 3, expected 2"), "{e}");
    }

    #[test]
    fn default_names() {
        let n: Vec<String> = default_rt_names(8, 3)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(
            n[..5],
            [
                "photon_flux_01",
                "photon_flux_01_x",
                "photon_flux_01_y",
                "photon_flux_01_z",
                "photon_flux_02"
            ]
        );
        assert_eq!(default_rt_names(6, 2).unwrap()[3].name, "photon_flux_02");
        assert!(default_rt_names(7, 3).is_none());
    }
}
