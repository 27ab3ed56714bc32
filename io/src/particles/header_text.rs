//! `header_NNNNN.txt`: particle counts per family and the "Particle
//! fields" tokens.

use crate::error::{Error, Result};
use std::path::Path;

/// Particle counts and field tokens from `header_NNNNN.txt`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartHeaderText {
    /// `(family or category, count)` in file order. New format: one line
    /// per family; old format: `total`, `DM`, `star`, `sink`.
    pub counts: Vec<(String, u64)>,
    /// Tokens of the "Particle fields" line (new format).
    pub field_tokens: Vec<String>,
}

/// Parses `header_NNNNN.txt`, either format.
pub fn parse_part_header_text(path: &Path, text: &str) -> Result<PartHeaderText> {
    let err = |line: usize, problem: String| Error::Text {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let mut out = PartHeaderText::default();
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.first().map(|l| l.trim()).unwrap_or("");
    if first.starts_with('#') && first.contains("Family") {
        let mut i = 1;
        while i < lines.len() {
            let t = lines[i].trim();
            if t.starts_with("Particle fields") {
                if let Some(tok) = lines.get(i + 1) {
                    out.field_tokens = tok.split_whitespace().map(String::from).collect();
                }
                break;
            }
            let mut parts = t.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(name), Some(count), None) => {
                    let c = count.parse().map_err(|_| {
                        err(
                            i + 1,
                            format!("count {count:?} for {name} is not an integer"),
                        )
                    })?;
                    out.counts.push((name.to_string(), c));
                }
                (None, _, _) => {}
                _ => return Err(err(i + 1, format!("expected `family count`, found {t:?}"))),
            }
            i += 1;
        }
        Ok(out)
    } else if first.starts_with("Total number of particles") {
        let keys = ["total", "DM", "star", "sink"];
        for (k, (i, pair)) in lines.chunks(2).enumerate().enumerate() {
            if k == keys.len() || pair.len() < 2 {
                break;
            }
            let v = pair[1].trim();
            let c = v
                .parse()
                .map_err(|_| err(2 * i + 2, format!("expected an integer count, found {v:?}")))?;
            out.counts.push((keys[k].to_string(), c));
        }
        Ok(out)
    } else {
        Err(err(
            1,
            format!("expected `# Family Count` or `Total number of particles`, found {first:?}"),
        ))
    }
}
