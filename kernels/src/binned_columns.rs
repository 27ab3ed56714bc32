//! The columns a profile or a phase diagram bins, made from what is read:
//! `density` (code units, for masses) and each variable in the unit asked
//! for — temperatures in K with the stated µ ([`crate::temperature`]),
//! other variables in code units unless a named unit (or `auto`) is given.
//! Made once per request, applied to every table read (the whole
//! selection, or a CPU file at a time: [`crate::binned_files`]).

use crate::columns::{add_derived, files_to_read};
use crate::derive::quantity_of;
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{components, Components};
use crate::summary::auto_unit;
use crate::table::CellTable;
use crate::temperature::{temperature, temperature_over_mu};
use crate::units::Units;
use crate::weight::Weight;
use amrkit_io::Snapshot;

/// A variable as binned.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The variable's name (as asked for).
    pub var: String,
    /// The table column holding its values in `unit`.
    pub column: String,
    /// The unit of the values (`code`, `K`, `g/cm^3`, …).
    pub unit: String,
}

/// Whether `var` is one of the temperatures (in K).
pub fn is_temperature(var: &str) -> bool {
    matches!(var, "temperature" | "temperature_over_mu")
}

/// The unit `var`'s values get for the request `unit` (`None` or `code`:
/// code units; `auto`: the quantity's usual named unit); temperatures are
/// in K whatever is asked, other than `K`.
fn unit_of(var: &str, unit: Option<&str>) -> Result<String> {
    if is_temperature(var) {
        return match unit {
            None | Some("K" | "auto") => Ok("K".into()),
            Some(u) => Err(KernelError::Invalid(format!(
                "--unit {u} for {var}: temperatures are in K (µ for `temperature` from --mu)"
            ))),
        };
    }
    Ok(match unit {
        None | Some("code") => "code".into(),
        Some("auto") => auto_unit(quantity_of(var)).into(),
        Some(u) => u.into(),
    })
}

/// How a binned column is made from the columns read (or derived).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Make {
    /// `temperature` in K: µ·(p/ρ)·m_H/k_B.
    Temperature,
    /// `temperature_over_mu` in K.
    TemperatureOverMu,
    /// The variable's code values times this factor.
    Scaled(f64),
}

/// What a profile or a phase diagram reads and how it makes its columns:
/// `density` (code units, for masses) and a column per variable in its
/// unit. Made once per request (every unit checked before a file is
/// read), then applied to each table read ([`add_to`](Self::add_to)) —
/// the whole selection at once, or one CPU file at a time: every column
/// is made cell by cell, so both give the same values.
#[derive(Clone, Debug)]
pub struct BinnedColumns {
    /// The variables as binned, in the order asked for.
    pub cols: Vec<Column>,
    /// What [`cells_for`](crate::columns::cells_for) reads and derives:
    /// the variables, `pressure` for a temperature, `density`.
    read: Vec<String>,
    /// Per column: made from another (`None`: read or derived as is).
    make: Vec<Option<Make>>,
    mu: f64,
}

impl BinnedColumns {
    /// The columns of `vars` in `units` (empty: code units, K for
    /// temperatures; one unit for every variable, or one per variable);
    /// `mu` is the mean molecular weight of `temperature`.
    pub fn new(s: &Snapshot, vars: &[&str], units: &[String], mu: f64) -> Result<BinnedColumns> {
        if !(mu > 0.0 && mu.is_finite()) {
            return Err(KernelError::Invalid(format!(
                "--mu must be a positive number, got {mu}"
            )));
        }
        if units.len() > 1 && units.len() != vars.len() {
            return Err(KernelError::Invalid(format!(
                "--unit: {} units for {} variables (give one, or one per variable)",
                units.len(),
                vars.len()
            )));
        }
        let unit_for = |k: usize| units.get(if units.len() == 1 { 0 } else { k });
        let mut read: Vec<String> = vec!["density".into()];
        for v in vars {
            read.push(if is_temperature(v) { "pressure" } else { v }.into());
        }
        read.dedup();
        // Unknown names fail first, before any unit is looked at.
        let names: Vec<&str> = read.iter().map(String::as_str).collect();
        components(s, &files_to_read(s, &names, Weight::Mass)?)?;
        let u = Units::from_info(&s.info);
        let (mut cols, mut make) = (Vec::new(), Vec::new());
        for (k, v) in vars.iter().enumerate() {
            let unit = unit_of(v, unit_for(k).map(String::as_str))?;
            // Code units: the read (or derived) column itself, no copy.
            let column = if unit == "code" && !is_temperature(v) {
                v.to_string()
            } else {
                format!("{v} [{unit}]")
            };
            make.push(match *v {
                _ if column == *v => None,
                "temperature" => Some(Make::Temperature),
                "temperature_over_mu" => Some(Make::TemperatureOverMu),
                _ => Some(Make::Scaled(u.factor(quantity_of(v), &unit)?)),
            });
            cols.push(Column {
                var: v.to_string(),
                column,
                unit,
            });
        }
        Ok(BinnedColumns {
            cols,
            read,
            make,
            mu,
        })
    }

    /// The variables read from the files.
    pub fn components<'a>(&'a self, s: &'a Snapshot) -> Result<Components<'a>> {
        let read: Vec<&str> = self.read.iter().map(String::as_str).collect();
        components(s, &files_to_read(s, &read, Weight::Mass)?)
    }

    /// The table column of each variable.
    pub fn names(&self) -> Vec<&str> {
        self.cols.iter().map(|c| c.column.as_str()).collect()
    }

    /// Adds the derived and converted columns to `t`, read with
    /// [`components`](Self::components).
    pub fn add_to(&self, t: &mut CellTable, exec: &Exec) -> Result<()> {
        let read: Vec<&str> = self.read.iter().map(String::as_str).collect();
        add_derived(t, &read, exec)?;
        let u = t.units;
        for (c, make) in self.cols.iter().zip(&self.make) {
            let Some(make) = make else { continue };
            if t.column(&c.column).is_ok() {
                continue;
            }
            let values = match make {
                Make::Temperature | Make::TemperatureOverMu => {
                    let (rho, p) = (t.column("density")?, t.column("pressure")?);
                    if *make == Make::Temperature {
                        temperature(&u, rho, p, self.mu, exec)
                    } else {
                        temperature_over_mu(&u, rho, p, exec)
                    }
                }
                Make::Scaled(f) => t.column(&c.var)?.iter().map(|x| x * f).collect(),
            };
            t.names.push(c.column.clone());
            t.columns.push(values);
        }
        Ok(())
    }
}
