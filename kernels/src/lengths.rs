//! Lengths as the front ends take them (`10kpc`, `-5,5pc`,
//! `0.5,0.5,0.5box`, a bare number in the caller's default unit) and
//! their conversion to code units: one parser, so that every length
//! option of the CLI and every length argument of the Python package
//! follow the same rule and fail with the same message.

use crate::error::{KernelError, Result};
use crate::units::{Quantity, Units};

fn invalid<T>(msg: String) -> Result<T> {
    Err(KernelError::Invalid(msg))
}

/// Lengths as a caller writes them: one number or several (`a,b,c`), and
/// the unit written right after the last one, if any: `10kpc`,
/// `0.5,0.5,0.5box`, `-5,5pc`, `1e-3 Mpc`. A bare number is in the
/// default unit the caller gives (`--range-unit`, `code` by default: the
/// unit in which the box spans `[0, boxlen]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Lengths {
    /// The numbers, in `unit`.
    pub values: Vec<f64>,
    /// Their unit; `None`: the caller's default.
    pub unit: Option<String>,
}

impl Lengths {
    /// Numbers in the caller's default unit.
    pub fn bare(values: Vec<f64>) -> Lengths {
        Lengths { values, unit: None }
    }

    /// Numbers in `unit`.
    pub fn with_unit(values: Vec<f64>, unit: &str) -> Lengths {
        Lengths {
            values,
            unit: Some(unit.to_string()),
        }
    }

    /// Parses `a[,b…][unit]`: comma-separated numbers, the unit (any text
    /// that is not part of a number) after the last one only.
    pub fn parse(s: &str) -> Result<Lengths> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let mut values = Vec::with_capacity(parts.len());
        let mut unit = None;
        for (k, p) in parts.iter().enumerate() {
            let (num, rest) = p.split_at(number_prefix(p));
            let rest = rest.trim();
            let v: f64 = num.parse().map_err(|_| {
                KernelError::Invalid(format!(
                    "{s:?}: expected a number (then a unit, e.g. 10kpc), got {p:?}"
                ))
            })?;
            if !v.is_finite() {
                return invalid(format!("{s:?}: {p:?} is not a finite number"));
            }
            if !rest.is_empty() {
                if k + 1 < parts.len() {
                    return invalid(format!(
                        "{s:?}: a unit goes after the last value only (e.g. -5,5pc), got {rest:?} after {num:?}"
                    ));
                }
                unit = Some(rest.to_string());
            }
            values.push(v);
        }
        Ok(Lengths { values, unit })
    }

    /// The values in code units: in their own unit, else in `default_unit`.
    /// Unknown unit names are refused with the list of valid ones.
    pub fn to_code(&self, default_unit: &str, units: &Units) -> Result<Vec<f64>> {
        let unit = self.unit.as_deref().unwrap_or(default_unit);
        let per_code = units.factor(Quantity::Length, unit)?;
        Ok(self.values.iter().map(|v| v / per_code).collect())
    }
}

impl std::str::FromStr for Lengths {
    type Err = KernelError;
    fn from_str(s: &str) -> Result<Lengths> {
        Lengths::parse(s)
    }
}

/// The length of the longest prefix of `s` that is a decimal number
/// (sign, digits, point, exponent).
fn number_prefix(s: &str) -> usize {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_end = digits(sign);
    let mut end = int_end;
    let mut any = int_end > sign;
    if end < b.len() && b[end] == b'.' {
        let frac_end = digits(end + 1);
        any |= frac_end > end + 1;
        end = frac_end;
    }
    if !any {
        // No digit: an empty number, which the parse reports.
        return 0;
    }
    // An exponent only when digits follow (`1e3pc`, not the `e` of a unit).
    if end < b.len() && matches!(b[end], b'e' | b'E') {
        let mut j = end + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        let k = digits(j);
        if k > j {
            end = k;
        }
    }
    end
}

/// One length in code units (`10kpc`, `3`: in `default_unit`).
pub fn parse_length(s: &str, default_unit: &str, units: &Units) -> Result<f64> {
    match Lengths::parse(s)?.to_code(default_unit, units)?[..] {
        [v] => Ok(v),
        ref v => invalid(format!(
            "{s:?}: expected one length, got {} values",
            v.len()
        )),
    }
}

/// Comma-separated lengths in code units (`-5,5pc`, `0.5,0.5,0.5box`).
pub fn parse_lengths(s: &str, default_unit: &str, units: &Units) -> Result<Vec<f64>> {
    Lengths::parse(s)?.to_code(default_unit, units)
}
