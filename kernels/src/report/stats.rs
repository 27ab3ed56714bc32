//! What `stats` reports, as a typed struct: the CLI renders its table from
//! the fields, [`StatsReport::to_json`] gives what `stats --json` prints and
//! the Python package hands back as a dict.
//!
//! The JSON is the struct serialised into a [`serde_json::Value`], whose
//! objects keep their keys sorted: the field order below does not reach the
//! output. Optional parts that are `None` are left out (not `null`), and a
//! figure that is not finite becomes `null`.

use crate::sums::FieldStats;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One variable's figures over the selected leaf cells, in the unit its
/// entry of [`StatsUnits`] names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariableStats {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Σ q·V / Σ V.
    pub volume_weighted_mean: f64,
    /// Σ q·m / Σ m.
    pub mass_weighted_mean: f64,
    /// Cells whose value is NaN or ±∞.
    pub non_finite: u64,
}

impl VariableStats {
    /// The figures of `st`, times `f` (a unit conversion factor).
    pub fn scaled(st: &FieldStats, f: f64) -> VariableStats {
        VariableStats {
            min: st.min * f,
            max: st.max * f,
            volume_weighted_mean: st.volume_weighted_mean * f,
            mass_weighted_mean: st.mass_weighted_mean * f,
            non_finite: st.non_finite,
        }
    }
}

/// Variables' figures by variable name (sorted by name).
pub type VariableTable = BTreeMap<String, VariableStats>;

/// A count of objects and their mass.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CountMass {
    /// How many.
    pub count: u64,
    /// Their total mass.
    pub total_mass: f64,
}

/// The unit of a `total_mass` figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MassUnit {
    /// `code` or a named unit (`Msol`).
    pub total_mass: String,
}

/// The unit of every figure of a [`StatsReport`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsUnits {
    /// Of the gas mass.
    pub total_mass: String,
    /// Of each hydro variable.
    pub hydro: BTreeMap<String, String>,
    /// Of each gravity variable (outputs with gravity variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gravity: Option<BTreeMap<String, String>>,
    /// Of each RAMSES-RT variable (when they were read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt: Option<BTreeMap<String, String>>,
    /// Of the sinks' mass (outputs with sinks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sinks: Option<MassUnit>,
    /// Of the particles' mass (outputs with particles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub particles: Option<MassUnit>,
}

/// The figures `stats` reports: leaf cells per level, gas mass, the
/// figures of every hydro, gravity and RAMSES-RT variable, sinks and
/// particles per family; particles or rt files that could not be read
/// leave their reason instead.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsReport {
    /// The output folder.
    pub output: String,
    /// The unit of each figure.
    pub units: StatsUnits,
    /// Dimensions (1, 2 or 3).
    pub ndim: usize,
    /// Leaf cells per level, levels with some (the key is the level
    /// number as text, as the JSON's object has it).
    pub leaf_cells_per_level: BTreeMap<String, u64>,
    /// All leaf cells of the selection.
    pub n_leaf_total: u64,
    /// Gas mass: Σ ρ·V.
    pub total_mass: f64,
    /// Hydro variables.
    pub hydro: VariableTable,
    /// Gravity variables (outputs with some).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gravity: Option<VariableTable>,
    /// RAMSES-RT variables (outputs with rt files that could be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt: Option<VariableTable>,
    /// Why the rt files could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_error: Option<String>,
    /// Sinks inside the selection (outputs with a sink file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sinks: Option<CountMass>,
    /// Particles per family (`all` when they have no family field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub particles: Option<BTreeMap<String, CountMass>>,
    /// Why the particle files could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub particles_error: Option<String>,
}

impl StatsReport {
    /// The report as the JSON `stats --json` prints (keys sorted,
    /// non-finite figures `null`).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a StatsReport has string keys only")
    }

    /// The hydro, gravity and rt tables that the report has, in that
    /// order.
    pub fn tables(&self) -> Vec<TableOf<'_>> {
        let mut v = vec![TableOf {
            name: "hydro",
            table: &self.hydro,
            units: Some(&self.units.hydro),
        }];
        if let Some(g) = &self.gravity {
            v.push(TableOf {
                name: "gravity",
                table: g,
                units: self.units.gravity.as_ref(),
            });
        }
        if let Some(r) = &self.rt {
            v.push(TableOf {
                name: "rt",
                table: r,
                units: self.units.rt.as_ref(),
            });
        }
        v
    }
}

/// One table of a [`StatsReport`] with its name and units.
pub struct TableOf<'a> {
    /// `hydro`, `gravity` or `rt`.
    pub name: &'static str,
    /// The variables' figures.
    pub table: &'a VariableTable,
    /// The unit of each variable.
    pub units: Option<&'a BTreeMap<String, String>>,
}
