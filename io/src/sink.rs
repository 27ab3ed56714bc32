//! Sinks from `sink_NNNNN.csv`: two comment lines (column names, then their
//! units as powers of m, l, t), then one row per sink.

use crate::error::{Error, Result};
use std::path::Path;

/// The sinks of one output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sinks {
    /// Column names (`id`, `msink`, `x`, …).
    pub columns: Vec<String>,
    /// Unit of each column as RAMSES prints it (`1`, `m`, `l t**-1`, …).
    pub units: Vec<String>,
    /// One row per sink, one value per column, code units.
    pub rows: Vec<Vec<f64>>,
}

impl Sinks {
    /// Number of sinks.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The values of a column by name.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r[i]).collect())
    }

    /// Parses the text of a sink CSV file.
    pub fn parse(path: &Path, text: &str) -> Result<Sinks> {
        let err = |line: usize, problem: String| Error::Text {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let mut out = Sinks::default();
        let header = |l: &str| -> Vec<String> {
            l.trim()
                .trim_start_matches('#')
                .split(',')
                .map(|s| s.trim().to_string())
                .collect()
        };
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with('#') {
                if out.columns.is_empty() {
                    out.columns = header(t);
                } else if out.units.is_empty() {
                    out.units = header(t);
                }
                continue;
            }
            if out.columns.is_empty() {
                return Err(err(
                    i + 1,
                    "data before the `# id,msink,…` column line".into(),
                ));
            }
            let row: Vec<f64> = t
                .split(',')
                .map(|v| {
                    let v = v.trim();
                    v.parse::<f64>()
                        .map_err(|_| err(i + 1, format!("{v:?} is not a number")))
                })
                .collect::<Result<_>>()?;
            if row.len() != out.columns.len() {
                return Err(err(
                    i + 1,
                    format!(
                        "{} values, expected {} (one per column)",
                        row.len(),
                        out.columns.len()
                    ),
                ));
            }
            out.rows.push(row);
        }
        Ok(out)
    }

    /// Reads a sink CSV file.
    pub fn read(path: &Path) -> Result<Sinks> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::error::io_err(path, e))?;
        Sinks::parse(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_units_and_rows() {
        let t = " # id,msink,x\n # 1,m,l\n  1, 2.5E+00, 5.0E-01\n  2, 1.0, 0.25\n";
        let s = Sinks::parse(Path::new("s.csv"), t).unwrap();
        assert_eq!(s.columns, ["id", "msink", "x"]);
        assert_eq!(s.units, ["1", "m", "l"]);
        assert_eq!(s.column("msink").unwrap(), vec![2.5, 1.0]);
        let e = Sinks::parse(Path::new("s.csv"), " # id,x\n 1, 2, 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.csv: line 2") && e.contains("expected 2"),
            "{e}"
        );
    }
}
