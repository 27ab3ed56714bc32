//! PHEW clump-finder tables: `clump_NNNNN.txtCCCCC`, one ASCII file per
//! CPU (`pm/clump_merger.f90`). Each starts with a header line naming the
//! columns (`index halo lev parent ncell peak_x peak_y peak_z rho- rho+
//! rho_av mass_cl relevance` in current RAMSES; older versions have fewer),
//! then one line per clump whose peak that CPU owns. Columns are read by
//! their header names, so other column sets parse too; `index` and
//! `mass_cl` must be there.

use crate::error::{io_err, Error, Result};
use crate::info::parse_fortran_real;
use std::path::{Path, PathBuf};

/// Columns that hold integers in RAMSES's clump files.
const INTEGER_COLUMNS: [&str; 5] = ["index", "halo", "lev", "parent", "ncell"];

/// One clump: its values in the table's column order, and the CPU file it
/// came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Clump {
    /// CPU number `C` of the `clump_NNNNN.txtCCCCC` file.
    pub cpu: usize,
    /// Values, one per column (integers are exact: they are below 2^53).
    pub values: Vec<f64>,
}

/// The clumps of every CPU file of an output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClumpTable {
    /// Column names from the header line.
    pub columns: Vec<String>,
    /// Whether each column holds integers.
    pub integer: Vec<bool>,
    /// Clumps in file order (CPU 1 first).
    pub clumps: Vec<Clump>,
    /// The files read, by CPU.
    pub files: Vec<PathBuf>,
}

impl ClumpTable {
    /// Index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value of column `name` for clump `k`.
    pub fn get(&self, k: usize, name: &str) -> Option<f64> {
        Some(self.clumps.get(k)?.values[self.column(name)?])
    }

    /// Sum of `mass_cl` over all clumps (code mass units; 0 for a table
    /// without that column, which [`ClumpTable::parse_file`] never makes).
    pub fn total_mass(&self) -> f64 {
        let Some(m) = self.column("mass_cl") else {
            return 0.0;
        };
        self.clumps.iter().filter_map(|c| c.values.get(m)).sum()
    }

    /// Clump numbers (positions in [`ClumpTable::clumps`]) by decreasing
    /// `mass_cl`, ties by increasing `index` (file order without them).
    pub fn by_mass(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.clumps.len()).collect();
        let key = |k: usize, col: Option<usize>| {
            col.and_then(|c| self.clumps[k].values.get(c).copied())
                .unwrap_or(0.0)
        };
        let (m, i) = (self.column("mass_cl"), self.column("index"));
        order.sort_by(|&a, &b| {
            key(b, m)
                .total_cmp(&key(a, m))
                .then(key(a, i).total_cmp(&key(b, i)))
        });
        order
    }

    /// Reads and appends the clump file of CPU `cpu` at `path`.
    pub fn read_file(&mut self, path: &Path, cpu: usize) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
        self.parse_file(path, cpu, &text)
    }

    /// Parses the text of one clump file (`path` names it in errors).
    pub fn parse_file(&mut self, path: &Path, cpu: usize, text: &str) -> Result<()> {
        let err = |line: usize, problem: String| Error::Text {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((hl, header)) = lines.next() else {
            return Err(err(
                1,
                "empty; expected the header line `index … mass_cl …` (a truncated file?)".into(),
            ));
        };
        let columns: Vec<String> = header.split_whitespace().map(String::from).collect();
        if columns.first().map(String::as_str) != Some("index")
            || !columns.iter().any(|c| c == "mass_cl")
        {
            return Err(err(
                hl + 1,
                format!(
                    "expected a header line naming the columns, starting with `index` and with `mass_cl`, found {:?}",
                    header.trim()
                ),
            ));
        }
        if self.files.is_empty() {
            self.integer = columns
                .iter()
                .map(|c| INTEGER_COLUMNS.contains(&c.as_str()))
                .collect();
            self.columns = columns;
        } else if columns != self.columns {
            return Err(Error::Inconsistent {
                path: path.to_path_buf(),
                problem: format!(
                    "header names columns {:?}, but {} names {:?}",
                    columns,
                    self.files[0].display(),
                    self.columns
                ),
            });
        }
        for (ln, line) in lines {
            let tokens: Vec<&str> = line.split_whitespace().collect();
            if tokens.len() != self.columns.len() {
                return Err(err(
                    ln + 1,
                    format!(
                        "{} values, expected {} (one per column of the header)",
                        tokens.len(),
                        self.columns.len()
                    ),
                ));
            }
            let mut values = Vec::with_capacity(tokens.len());
            for ((tok, name), &int) in tokens.iter().zip(&self.columns).zip(&self.integer) {
                let v = if int {
                    tok.parse::<i64>().ok().map(|i| i as f64)
                } else {
                    parse_fortran_real(tok)
                };
                let Some(v) = v else {
                    return Err(err(
                        ln + 1,
                        format!(
                            "column {name} is {tok:?}, expected {}{}",
                            if int { "an integer" } else { "a real number" },
                            if tok.starts_with('*') {
                                " (Fortran prints asterisks when a value overflows its field)"
                            } else {
                                ""
                            }
                        ),
                    ));
                };
                values.push(v);
            }
            self.clumps.push(Clump { cpu, values });
        }
        self.files.push(path.to_path_buf());
        Ok(())
    }
}

/// Reads the clump files of CPUs `1..=ncpu`; `path_of(c)` gives where the
/// file of CPU `c` should be (`None` when it is in none of the output's
/// folders). Every CPU writes its file, so a missing one is an error
/// unless all are missing, which says the run had no clump finder.
pub fn read_clumps(
    ncpu: usize,
    expected: impl Fn(usize) -> PathBuf,
    path_of: impl Fn(usize) -> Option<PathBuf>,
) -> Result<ClumpTable> {
    let found: Vec<Option<PathBuf>> = (1..=ncpu).map(&path_of).collect();
    if found.iter().all(Option::is_none) {
        return Err(Error::Inconsistent {
            path: expected(1),
            problem: "not found, nor any clump file of the other CPUs: the run did not use the PHEW clump finder (clumpfind=.true.) at this output".into(),
        });
    }
    let mut table = ClumpTable::default();
    for (k, p) in found.iter().enumerate() {
        let cpu = k + 1;
        let Some(p) = p else {
            return Err(Error::Inconsistent {
                path: expected(cpu),
                problem: format!(
                    "missing: every CPU writes its clump file, and {} of the {ncpu} are there",
                    found.iter().filter(|f| f.is_some()).count()
                ),
            });
        };
        table.read_file(p, cpu)?;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "   index  halo   lev   parent      ncell    peak_x             peak_y             peak_z             rho-               rho+               rho_av             mass_cl            relevance   \n";

    fn row(index: i64, mass: f64) -> String {
        format!(
            "{index:>8} {:>8} {:>2} {index:>10} {:>10} {:>18.9E} {:>18.9E} {:>18.9E} {:>18.9E} {:>18.9E} {:>18.9E} {mass:>18.9E} {:>18.9E}\n",
            0, 0, 100, 0.25, 0.5, 0.75, 5.0, 40.0, 20.0, 3.0
        )
    }

    fn parse(files: &[String]) -> Result<ClumpTable> {
        let mut t = ClumpTable::default();
        for (k, text) in files.iter().enumerate() {
            t.parse_file(
                Path::new(&format!("clump_00002.txt{:05}", k + 1)),
                k + 1,
                text,
            )?;
        }
        Ok(t)
    }

    #[test]
    fn files_are_read_by_column_name_and_sorted_by_mass() {
        let t = parse(&[
            format!("{HEADER}{}{}", row(3, 0.1), row(9, 0.3)),
            HEADER.to_string(),
            format!("{HEADER}{}", row(12, 0.2)),
        ])
        .unwrap();
        assert_eq!(t.columns.len(), 13);
        assert_eq!(t.clumps.len(), 3);
        assert_eq!(t.files.len(), 3);
        assert_eq!(t.by_mass(), vec![1, 2, 0]);
        assert_eq!(t.get(2, "index"), Some(12.0));
        assert_eq!(t.clumps[2].cpu, 3);
        assert_eq!(t.get(0, "peak_z"), Some(0.75));
        assert!((t.total_mass() - 0.6).abs() < 1e-15);
        assert!(t.integer[t.column("ncell").unwrap()]);
        assert!(!t.integer[t.column("rho+").unwrap()]);
        // An empty table answers without panicking.
        let empty = ClumpTable::default();
        assert_eq!((empty.total_mass(), empty.by_mass()), (0.0, vec![]));
    }

    #[test]
    fn an_older_column_set_parses_too() {
        let t = parse(&["index lev parent ncell peak_x peak_y peak_z rho- rho+ rho_av mass_cl relevance\n 1 3 1 10 0.1 0.2 0.3 1.0 2.0 1.5 0.01 2.0\n".to_string()]).unwrap();
        assert_eq!(t.column("halo"), None);
        assert_eq!(t.get(0, "mass_cl"), Some(0.01));
    }

    #[test]
    fn bad_files_name_the_file_line_and_expectation() {
        let e = |files: &[String]| parse(files).unwrap_err().to_string();
        let s = e(&[String::new()]);
        assert!(s.contains("clump_00002.txt00001: line 1: empty"), "{s}");
        let s = e(&["1 0 0 1 10 0.1 0.2 0.3 1 2 1 0.1 2\n".to_string()]);
        assert!(s.contains("line 1") && s.contains("header line"), "{s}");
        let mut short = row(1, 0.1);
        short.truncate(short.len() - 20);
        let s = e(&[format!("{HEADER}{short}\n")]);
        assert!(s.contains("line 2: 12 values, expected 13"), "{s}");
        let s = e(&[format!("{HEADER}{}", row(1, 0.1).replacen("100", "1.5", 1))]);
        assert!(
            s.contains("column ncell is \"1.5\", expected an integer"),
            "{s}"
        );
        let bad = row(1, 0.1).replace("4.000000000E1", "******************");
        let s = e(&[format!("{HEADER}{bad}")]);
        assert!(s.contains("column rho+") && s.contains("asterisks"), "{s}");
        let s = e(&[HEADER.to_string(), "index lev mass_cl\n".to_string()]);
        assert!(
            s.contains("clump_00002.txt00002") && s.contains("clump_00002.txt00001"),
            "{s}"
        );
    }

    #[test]
    fn missing_files_are_named() {
        let dir = std::env::temp_dir().join(format!("amrkit-clumps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |c: usize| dir.join(format!("clump_00002.txt{c:05}"));
        let find = |c: usize| Some(path(c)).filter(|p| p.is_file());
        let e = read_clumps(2, path, find).unwrap_err().to_string();
        assert!(
            e.contains("clump_00002.txt00001") && e.contains("clumpfind"),
            "{e}"
        );
        std::fs::write(path(1), format!("{HEADER}{}", row(1, 0.5))).unwrap();
        let e = read_clumps(2, path, find).unwrap_err().to_string();
        assert!(
            e.contains("clump_00002.txt00002: missing") && e.contains("1 of the 2"),
            "{e}"
        );
        std::fs::write(path(2), HEADER).unwrap();
        let t = read_clumps(2, path, find).unwrap();
        assert_eq!(t.clumps.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
