//! `hydro_file_descriptor.txt` (versions 0 and 1): variable names and types.

use crate::error::{Error, Result};
use std::path::Path;

/// One variable of a descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// RAMSES name, e.g. `density`, `velocity_x`, `pressure`.
    pub name: String,
    /// Type letter of v1 descriptors (`d` real64, `f` real32, …); `None` in v0.
    pub kind: Option<char>,
}

/// Parses a hydro (or rt) descriptor, either version.
pub fn parse_descriptor(path: &Path, text: &str) -> Result<Vec<Field>> {
    let err = |line: usize, problem: String| Error::Text {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let mut lines = text.lines().enumerate();
    let first = lines.next().map(|(_, l)| l.trim()).unwrap_or("");
    let mut fields = Vec::new();
    if let Some(version) = first.strip_prefix("# version:") {
        let version = version.trim();
        if version != "1" {
            return Err(err(
                1,
                format!("descriptor version {version:?}, expected 1"),
            ));
        }
        for (i, line) in lines {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = t.split(',').map(str::trim).collect();
            if parts.len() != 3 || parts[1].is_empty() || parts[2].chars().count() != 1 {
                return Err(err(
                    i + 1,
                    format!("expected `ivar, name, type`, found {t:?}"),
                ));
            }
            let kind = parts[2].chars().next().expect("one char");
            if !"?bhiqfd".contains(kind) {
                return Err(err(
                    i + 1,
                    format!("type {kind:?} is none of ? b h i q f d"),
                ));
            }
            // `I2` prints `**` from ivar 100 on: trust the line order instead.
            if let Ok(ivar) = parts[0].parse::<usize>() {
                if ivar != fields.len() + 1 {
                    return Err(err(
                        i + 1,
                        format!("variable number {ivar}, expected {}", fields.len() + 1),
                    ));
                }
            }
            fields.push(Field {
                name: parts[1].to_string(),
                kind: Some(kind),
            });
        }
    } else if first.starts_with("nvar") {
        for (i, line) in lines {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let Some((_, name)) = t.split_once(':') else {
                return Err(err(
                    i + 1,
                    format!("expected `variable # i: name`, found {t:?}"),
                ));
            };
            fields.push(Field {
                name: name.trim().to_string(),
                kind: None,
            });
        }
    } else {
        return Err(err(
            1,
            format!("expected `# version:  1` or `nvar = N`, found {first:?}"),
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions() {
        let v1 = "# version:  1\n# ivar, variable_name, variable_type\n 1, density, d\n 2, pressure, f\n";
        let f = parse_descriptor(Path::new("d"), v1).unwrap();
        assert_eq!(
            f[1],
            Field {
                name: "pressure".into(),
                kind: Some('f')
            }
        );
        let v0 = "nvar =        2\nvariable #  1: density\nvariable #  2: velocity_x\n";
        let f = parse_descriptor(Path::new("d"), v0).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, "velocity_x");
        assert!(parse_descriptor(Path::new("d"), "junk").is_err());
    }
}
