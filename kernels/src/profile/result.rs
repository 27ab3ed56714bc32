//! A profile as the front ends see it: per bin the counts, weights,
//! masses, enclosed masses and per variable the weighted mean, standard
//! deviation and cumulative mean, made from the folded sums; and its JSON
//! and CSV forms.

use super::compensated::Compensated;
use super::partial::{ProfilePartial, ProfilePlan};
use super::{empty, invalid, ProfileSpec, Shape, Spacing};
use crate::error::Result;
use crate::project::Weight;
use serde_json::{json, Value};

/// The profile of one variable.
#[derive(Clone, Debug, PartialEq)]
pub struct VarProfile {
    /// The variable.
    pub name: String,
    /// Σwf/Σw per bin (NaN when empty).
    pub mean: Vec<f64>,
    /// √(Σw(f − mean)²/Σw) per bin (NaN when empty).
    pub std: Vec<f64>,
    /// Σwf/Σw over the cells with `r < e_{k+1}` (inside `r0` included).
    pub cumulative_mean: Vec<f64>,
}

/// Count and mass of a group of cells.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    /// Cells.
    pub count: u64,
    /// Σm (code units).
    pub mass: f64,
}

/// A profile: the spec, its edges and the per-bin results.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// What was asked for (`rmin` as used).
    pub spec: ProfileSpec,
    /// `e_0 … e_N` (code units).
    pub edges: Vec<f64>,
    /// Cells per bin.
    pub count: Vec<u64>,
    /// Σw per bin.
    pub weight: Vec<f64>,
    /// Σm per bin.
    pub mass: Vec<f64>,
    /// Mass of the selected cells with `r < e_{k+1}`.
    pub mass_enclosed: Vec<f64>,
    /// One per variable.
    pub vars: Vec<VarProfile>,
    /// Selected cells with `r < r0`.
    pub inside: Tally,
    /// Selected cells with `r = R`.
    pub beyond: Tally,
    /// Every selected cell (= bins + inside + beyond).
    pub selected: Tally,
}

impl Profile {
    /// The profile that folded sums give.
    pub fn from_sums(plan: &ProfilePlan, vars: &[&str], sums: &ProfilePartial) -> Result<Profile> {
        let n = plan.edges.bins();
        if sums.rows() != n + 2 || sums.nvars != vars.len() {
            return invalid(format!(
                "profile sums of {} rows and {} variables for {} bins and {} variables",
                sums.rows(),
                sums.nvars,
                n,
                vars.len()
            ));
        }
        let tally = |i: usize| Tally {
            count: sums.row(i)[0] as u64,
            mass: sums.row(i)[2],
        };
        let (inside, beyond) = (tally(n), tally(n + 1));
        // Running totals over the bins are compensated too: the enclosed
        // mass and the cumulative means stay exact to a few ulps.
        let mut total = Compensated::default();
        total.add(inside.mass);
        let mut count = inside.count + beyond.count;
        for i in 0..n {
            count += sums.row(i)[0] as u64;
            total.add(sums.row(i)[2]);
        }
        total.add(beyond.mass);
        let selected = Tally {
            count,
            mass: total.value(),
        };
        if selected.count == 0 {
            return Err(empty(&plan.spec));
        }
        let mut enclosed = Compensated::default();
        enclosed.add(inside.mass);
        let mass_enclosed = (0..n)
            .map(|i| {
                enclosed.add(sums.row(i)[2]);
                enclosed.value()
            })
            .collect();
        let profiles = vars
            .iter()
            .enumerate()
            .map(|(v, name)| {
                let (s, m) = (3 + 2 * v, 4 + 2 * v);
                let stat = |i: usize, f: &dyn Fn(&[f64]) -> f64| {
                    let row = sums.row(i);
                    if row[0] == 0.0 {
                        f64::NAN
                    } else {
                        f(row)
                    }
                };
                let (mut cw, mut cwf) = (Compensated::default(), Compensated::default());
                cw.add(sums.row(n)[1]);
                cwf.add(sums.row(n)[s]);
                VarProfile {
                    name: name.to_string(),
                    mean: (0..n).map(|i| stat(i, &|r| r[s] / r[1])).collect(),
                    std: (0..n).map(|i| stat(i, &|r| (r[m] / r[1]).sqrt())).collect(),
                    cumulative_mean: (0..n)
                        .map(|i| {
                            cw.add(sums.row(i)[1]);
                            cwf.add(sums.row(i)[s]);
                            cwf.value() / cw.value()
                        })
                        .collect(),
                }
            })
            .collect();
        let mut spec = plan.spec.clone();
        spec.rmin = Some(plan.edges.edges[0]);
        Ok(Profile {
            spec,
            edges: plan.edges.edges.clone(),
            count: (0..n).map(|i| sums.row(i)[0] as u64).collect(),
            weight: (0..n).map(|i| sums.row(i)[1]).collect(),
            mass: (0..n).map(|i| sums.row(i)[2]).collect(),
            mass_enclosed,
            vars: profiles,
            inside,
            beyond,
            selected,
        })
    }

    /// The JSON form: `{"edges", "center", "bins": {"count", "weight",
    /// "mass", "mass_enclosed", "<var>": {"mean", "std"[,
    /// "cumulative_mean"]}}}` plus the settings; NaN is `null`.
    pub fn to_json(&self, cumulative: bool) -> Value {
        let nums = |v: &[f64]| -> Value {
            Value::Array(
                v.iter()
                    .map(|&x| if x.is_finite() { json!(x) } else { Value::Null })
                    .collect(),
            )
        };
        let mut bins = serde_json::Map::new();
        bins.insert("count".into(), json!(self.count));
        bins.insert("weight".into(), nums(&self.weight));
        bins.insert("mass".into(), nums(&self.mass));
        bins.insert("mass_enclosed".into(), nums(&self.mass_enclosed));
        for v in &self.vars {
            let mut o = serde_json::Map::new();
            o.insert("mean".into(), nums(&v.mean));
            o.insert("std".into(), nums(&v.std));
            if cumulative {
                o.insert("cumulative_mean".into(), nums(&v.cumulative_mean));
            }
            bins.insert(v.name.clone(), Value::Object(o));
        }
        let s = &self.spec;
        let shape = match s.shape {
            Shape::Sphere => json!({"kind": "sphere"}),
            Shape::Cylinder { normal, height } => {
                json!({"kind": "cylinder", "normal": normal, "height": height})
            }
        };
        json!({
            "edges": nums(&self.edges),
            "center": s.center,
            "bins": bins,
            "settings": {
                "radius": s.radius,
                "rmin": self.edges[0],
                "nbins": self.count.len(),
                "spacing": match s.spacing { Spacing::Log => "log", Spacing::Lin => "lin" },
                "weight": match s.weight { Weight::Mass => "mass", Weight::Volume => "volume", Weight::None => "none" },
                "shape": shape,
                "periodic": s.period.map(|p| p.is_some()),
                "cumulative": cumulative,
            },
            "selected": {"count": self.selected.count, "mass": self.selected.mass},
            "inside_rmin": {"count": self.inside.count, "mass": self.inside.mass},
            "on_radius": {"count": self.beyond.count, "mass": self.beyond.mass},
        })
    }
}

impl Profile {
    /// A CSV table, one line per bin: `r_lo,r_hi,count,weight,mass,
    /// mass_enclosed`, then `<var>_mean,<var>_std` per variable (and
    /// `<var>_cumulative_mean` with `cumulative`); empty bins have empty
    /// means. Numbers are written so that they read back to the same bits.
    pub fn to_csv(&self, cumulative: bool) -> String {
        let mut out = String::from("r_lo,r_hi,count,weight,mass,mass_enclosed");
        for v in &self.vars {
            out.push_str(&format!(",{0}_mean,{0}_std", v.name));
            if cumulative {
                out.push_str(&format!(",{}_cumulative_mean", v.name));
            }
        }
        out.push('\n');
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x:?}")
            } else {
                String::new()
            }
        };
        for k in 0..self.count.len() {
            out.push_str(&format!(
                "{},{},{},{},{},{}",
                num(self.edges[k]),
                num(self.edges[k + 1]),
                self.count[k],
                num(self.weight[k]),
                num(self.mass[k]),
                num(self.mass_enclosed[k])
            ));
            for v in &self.vars {
                out.push_str(&format!(",{},{}", num(v.mean[k]), num(v.std[k])));
                if cumulative {
                    out.push_str(&format!(",{}", num(v.cumulative_mean[k])));
                }
            }
            out.push('\n');
        }
        out
    }
}
