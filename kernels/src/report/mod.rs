//! What `info`, `stats`, `clumps` and the units report, as typed structs:
//! the CLI renders its text from the fields (a misspelt field does not
//! compile), and [`InfoReport::to_json`] / [`StatsReport::to_json`] /
//! [`ClumpsReport::to_json`] / [`UnitsReport::to_json`] give the JSON that
//! `--json` prints and the Python package hands back as dicts, so all
//! show the same numbers. One file per report; `info`'s RAMSES-RT part
//! has its own.

mod clumps;
mod info;
mod rt;
mod stats;
mod units;

pub use clumps::{ClumpRow, ClumpsReport};
pub use info::{ComponentFlags, InfoReport};
pub use rt::{RtGroupReport, RtReport};
pub use stats::{
    CountMass, MassUnit, StatsReport, StatsUnits, TableOf, VariableStats, VariableTable,
};
pub use units::UnitsReport;

/// Seconds in a megayear (Julian years, as the unit `Myr`).
pub const MYR_S: f64 = crate::units::MYR;
