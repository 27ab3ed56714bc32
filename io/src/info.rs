//! `info_NNNNN.txt`: run parameters, units and the domain key table, parsed
//! by key (not by line number, so extra keys in forks do not shift values).

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How the domain decomposition orders cells.
#[derive(Clone, Debug, PartialEq)]
pub enum Ordering {
    /// Hilbert ordering; `bound_keys[i]..bound_keys[i+1]` is domain `i+1`'s
    /// key range, as printed in the info file (about 16 significant digits).
    Hilbert {
        /// `ndomain + 1` bounds.
        bound_keys: Vec<f64>,
    },
    /// Any other ordering (bisection, planar, …), by name.
    Other(String),
}

/// The contents of `info_NNNNN.txt`.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    /// Number of CPU files per component.
    pub ncpu: usize,
    /// Number of dimensions.
    pub ndim: usize,
    /// Coarsest level.
    pub levelmin: u32,
    /// Deepest level allowed by the run (not necessarily present).
    pub levelmax: u32,
    /// Per-rank oct capacity.
    pub ngridmax: usize,
    /// Coarse steps taken.
    pub nstep_coarse: u64,
    /// Box size in code length units.
    pub boxlen: f64,
    /// Code time (conformal time for cosmological runs).
    pub time: f64,
    /// Expansion factor (1 for non-cosmological runs).
    pub aexp: f64,
    /// Hubble constant in km/s/Mpc (1 for non-cosmological runs).
    pub h0: f64,
    /// Ω_m.
    pub omega_m: f64,
    /// Ω_Λ.
    pub omega_l: f64,
    /// Ω_k.
    pub omega_k: f64,
    /// Ω_b.
    pub omega_b: f64,
    /// One code length in cm.
    pub unit_l: f64,
    /// One code density in g/cm³.
    pub unit_d: f64,
    /// One code time in s.
    pub unit_t: f64,
    /// Domain ordering.
    pub ordering: Ordering,
    /// Every `key = value` line, for keys not named above.
    pub extra: BTreeMap<String, String>,
    /// Coarse cells of the physical box per axis (1 beyond `ndim`): the
    /// box spans `extent[d]·boxlen` code lengths along axis `d`. Not in the
    /// info file: [`crate::Snapshot::open`] sets it from the amr header's
    /// coarse `cpu_map`; [`Info::parse`] leaves `[1, 1, 1]`.
    pub extent: [usize; 3],
    /// The coarse grid `nx, ny, nz`, boundary cells included (from the amr
    /// header, like `extent`; `[1, 1, 1]` from [`Info::parse`]).
    pub coarse_grid: [usize; 3],
}

impl Info {
    /// Whether the run is cosmological (expansion factor other than 1, or
    /// a Hubble constant other than the non-cosmological placeholder 1).
    pub fn is_cosmological(&self) -> bool {
        self.aexp != 1.0 || self.h0 != 1.0
    }

    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Info> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::error::io_err(path, e))?;
        Info::parse(path, &text)
    }

    /// Parses the text of an info file (`path` is used in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Info> {
        let lines = KeyLines::of(path, text);
        let ncpu = lines.int("ncpu")? as usize;
        if ncpu == 0 {
            return Err(lines.err(lines.get("ncpu")?.0, "ncpu is 0".into()));
        }
        // Every key first, so a missing one is reported as such.
        let mut info = Info {
            ncpu,
            ndim: lines.int("ndim")? as usize,
            levelmin: lines.int("levelmin")? as u32,
            levelmax: lines.int("levelmax")? as u32,
            ngridmax: lines.int("ngridmax")? as usize,
            nstep_coarse: lines.int("nstep_coarse")?,
            boxlen: lines.real("boxlen")?,
            time: lines.real("time")?,
            aexp: lines.real("aexp")?,
            h0: lines.real("H0")?,
            omega_m: lines.real("omega_m")?,
            omega_l: lines.real("omega_l")?,
            omega_k: lines.real("omega_k")?,
            omega_b: lines.real("omega_b")?,
            unit_l: lines.real("unit_l")?,
            unit_d: lines.real("unit_d")?,
            unit_t: lines.real("unit_t")?,
            ordering: Ordering::Other(String::new()),
            extra: lines
                .values
                .iter()
                .filter(|(k, _)| !KNOWN_KEYS.contains(&k.as_str()))
                .map(|(k, (_, v))| (k.clone(), v.clone()))
                .collect(),
            extent: [1, 1, 1],
            coarse_grid: [1, 1, 1],
        };
        info.ordering = match lines.ordering_name.as_deref() {
            None => return Err(lines.err(0, "no `ordering type=` line".into())),
            Some("hilbert") => Ordering::Hilbert {
                bound_keys: lines.hilbert_keys(ncpu)?,
            },
            Some(other) => Ordering::Other(other.to_string()),
        };
        Ok(info)
    }
}

/// The keys [`Info`] has a field for (the others go to `extra`).
const KNOWN_KEYS: [&str; 17] = [
    "ncpu",
    "ndim",
    "levelmin",
    "levelmax",
    "ngridmax",
    "nstep_coarse",
    "boxlen",
    "time",
    "aexp",
    "H0",
    "omega_m",
    "omega_l",
    "omega_k",
    "omega_b",
    "unit_l",
    "unit_d",
    "unit_t",
];

/// The `key = value` lines of an info file up to its `ordering type=`
/// line, and where its domain table starts.
struct KeyLines<'a> {
    /// The file (for messages).
    path: &'a Path,
    /// Its text.
    text: &'a str,
    /// Value and 1-based line of every key.
    values: BTreeMap<String, (usize, String)>,
    /// The name after `ordering type=`.
    ordering_name: Option<String>,
    /// The 0-based line after the ordering line.
    table_start: usize,
}

impl<'a> KeyLines<'a> {
    /// Collects the keys of `text`, stopping at the ordering line.
    fn of(path: &'a Path, text: &'a str) -> KeyLines<'a> {
        let mut values = BTreeMap::new();
        let mut ordering_name = None;
        let mut table_start = 0;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("ordering type=") {
                ordering_name = Some(rest.trim().to_string());
                table_start = i + 1;
                break;
            }
            if let Some((k, v)) = t.split_once('=') {
                values.insert(k.trim().to_string(), (i + 1, v.trim().to_string()));
            }
        }
        KeyLines {
            path,
            text,
            values,
            ordering_name,
            table_start,
        }
    }

    /// An error at 1-based `line` of the file (0: the file as a whole).
    fn err(&self, line: usize, problem: String) -> Error {
        Error::Text {
            path: PathBuf::from(self.path),
            line,
            problem,
        }
    }

    /// The line and value of `key`, or an error naming it.
    fn get(&self, key: &str) -> Result<&(usize, String)> {
        self.values
            .get(key)
            .ok_or_else(|| self.err(0, format!("no `{key} = …` line: not a RAMSES info file?")))
    }

    /// `key` as a non-negative integer.
    fn int(&self, key: &str) -> Result<u64> {
        let (line, v) = self.get(key)?;
        v.parse::<u64>().map_err(|_| {
            self.err(
                *line,
                format!("`{key}` is {v:?}, expected a non-negative integer"),
            )
        })
    }

    /// `key` as a real (Fortran notation accepted).
    fn real(&self, key: &str) -> Result<f64> {
        let (line, v) = self.get(key)?;
        parse_fortran_real(v)
            .ok_or_else(|| self.err(*line, format!("`{key}` is {v:?}, expected a real number")))
    }

    /// The Hilbert domain table after the ordering line: a `DOMAIN ind_min
    /// ind_max` header, then one line per domain `1..=ncpu`; the
    /// `ncpu + 1` bound keys.
    fn hilbert_keys(&self, ncpu: usize) -> Result<Vec<f64>> {
        let start = self.table_start;
        let mut keys = Vec::with_capacity(ncpu + 1);
        let mut lines = self.text.lines().enumerate().skip(start);
        match lines.next() {
            Some((_, l)) if l.contains("DOMAIN") => {}
            other => {
                return Err(self.err(
                    start + 1,
                    format!(
                        "expected the `DOMAIN ind_min ind_max` header, found {:?}",
                        other.map(|o| o.1)
                    ),
                ))
            }
        }
        for d in 1..=ncpu {
            let Some((ln, l)) = lines.next() else {
                return Err(self.err(0, format!("domain table ends before domain {d} of {ncpu}")));
            };
            let f: Vec<&str> = l.split_whitespace().collect();
            let parsed = (f.len() == 3).then(|| {
                (
                    f[0].parse::<usize>().ok(),
                    parse_fortran_real(f[1]),
                    parse_fortran_real(f[2]),
                )
            });
            match parsed {
                Some((Some(idx), Some(lo), Some(hi))) if idx == d => {
                    if d == 1 {
                        keys.push(lo);
                    }
                    keys.push(hi);
                }
                _ => {
                    return Err(self.err(
                        ln + 1,
                        format!("expected `{d} ind_min ind_max` for domain {d}, found {l:?}"),
                    ))
                }
            }
        }
        Ok(keys)
    }
}

/// Parses a Fortran real (`0.1E+01`, `1.0D-03`, `1.0-100` with the exponent
/// letter dropped for three-digit exponents).
pub(crate) fn parse_fortran_real(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return Some(v);
    }
    let t = s.replace(['D', 'd'], "E");
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    // `0.1234-100`: a sign after the mantissa without an exponent letter.
    let b = t.as_bytes();
    let k = (1..b.len())
        .rev()
        .find(|&i| (b[i] == b'-' || b[i] == b'+') && b[i - 1].is_ascii_digit())?;
    format!("{}E{}", &t[..k], &t[k..]).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_reals() {
        assert_eq!(parse_fortran_real("0.100000000000000E+03"), Some(100.0));
        assert_eq!(parse_fortran_real("1.5D-02"), Some(0.015));
        assert_eq!(parse_fortran_real("0.25-100"), Some(0.25e-100));
        assert_eq!(parse_fortran_real("abc"), None);
    }

    #[test]
    fn missing_key_is_named() {
        let e = Info::parse(
            Path::new("info_00001.txt"),
            "ncpu = 2\nordering type=hilbert\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("info_00001.txt") && e.contains("ndim"), "{e}");
    }
}
