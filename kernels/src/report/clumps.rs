//! What `clumps` shows: the PHEW clump table of an output by decreasing
//! mass. Here rather than in the CLI so the Python package reports the
//! same table.

use crate::error::Result;
use amrkit_io::Snapshot;
use serde_json::{json, Map, Value};

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
