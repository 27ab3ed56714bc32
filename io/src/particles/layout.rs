//! The fields of an output's particle files ([`PartLayout`]): their
//! storage types, and where the layout is read from (the descriptor, else
//! [`infer_layout`] on one particle file).

use super::{infer_layout, parse_part_header_text};
use crate::descriptor::parse_descriptor;
use crate::error::{io_err, Error, Result};
use crate::fortran::Records;
use std::path::Path;

/// Storage type of a particle field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// `real*8` (`d`).
    F64,
    /// `real*4` (`f`).
    F32,
    /// `integer*4` (`i`).
    I32,
    /// `integer*8` (`q`, `-DLONGINT` ids).
    I64,
    /// `integer*1` (`b`: family, tag).
    I8,
}

impl PartKind {
    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            PartKind::F64 | PartKind::I64 => 8,
            PartKind::F32 | PartKind::I32 => 4,
            PartKind::I8 => 1,
        }
    }

    /// The column type values of this kind are widened to.
    pub fn column(self) -> ColumnKind {
        match self {
            PartKind::F64 | PartKind::F32 => ColumnKind::F64,
            PartKind::I32 | PartKind::I64 => ColumnKind::I64,
            PartKind::I8 => ColumnKind::I8,
        }
    }
}

/// In-memory column types: reals widen to f64, integers to i64, bytes stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// f64.
    F64,
    /// i64.
    I64,
    /// i8.
    I8,
}

/// One field of the particle files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartField {
    /// RAMSES name (`position_x`, `mass`, `identity`, `family`, …).
    pub name: String,
    /// Storage type.
    pub kind: PartKind,
}

/// The fields of an output's particle files, in record order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartLayout {
    /// Fields in file order.
    pub fields: Vec<PartField>,
    /// Whether the layout came from a descriptor (new format).
    pub from_descriptor: bool,
}

impl PartLayout {
    /// Index of a field by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// The layout of an output's particle files: from `part_file_descriptor.txt`
/// when `descriptor` holds its text, else inferred from the records of one
/// particle file (`sample`, the bytes of `sample_path`) by
/// [`infer_layout`], helped by the "Particle fields" tokens of
/// `header_NNNNN.txt` when `tokens` has them.
pub fn part_layout(
    descriptor: Option<(&Path, &str)>,
    sample_path: &Path,
    sample: &[u8],
    tokens: Option<(&Path, &[String])>,
) -> Result<PartLayout> {
    if let Some((path, text)) = descriptor {
        let mut fields = Vec::new();
        for (i, f) in parse_descriptor(path, text)?.into_iter().enumerate() {
            let kind = match f.kind {
                Some('d') => PartKind::F64,
                Some('f') => PartKind::F32,
                Some('i') => PartKind::I32,
                Some('q') => PartKind::I64,
                Some('b') => PartKind::I8,
                other => {
                    return Err(Error::Text {
                        path: path.to_path_buf(),
                        line: i + 3,
                        problem: format!(
                            "field {} has type {other:?}; particle fields must be d, f, i, q or b",
                            f.name
                        ),
                    })
                }
            };
            fields.push(PartField { name: f.name, kind });
        }
        return Ok(PartLayout {
            fields,
            from_descriptor: true,
        });
    }
    infer_layout(sample_path, sample, tokens)
}

/// Reads an output's particle layout: the descriptor `desc` when it
/// exists, else inferred from the first of `part_files` that holds
/// particles (CPU 1 when none does), with the "Particle fields" tokens of
/// the header text file `header` when it has them.
pub fn read_layout(
    desc: &Path,
    part_files: &[std::path::PathBuf],
    header: &Path,
) -> Result<PartLayout> {
    let first = part_files.first().ok_or_else(|| Error::Inconsistent {
        path: desc.to_path_buf(),
        problem: "no particle files to read a layout from".into(),
    })?;
    if desc.is_file() {
        let text = std::fs::read_to_string(desc).map_err(|e| io_err(desc, e))?;
        return part_layout(Some((desc, &text)), first, &[], None);
    }
    let tokens = if header.is_file() {
        let text = std::fs::read_to_string(header).map_err(|e| io_err(header, e))?;
        parse_part_header_text(header, &text)?.field_tokens
    } else {
        Vec::new()
    };
    let mut sample = None;
    for p in part_files {
        let head = {
            use std::io::Read;
            let f = std::fs::File::open(p).map_err(|e| io_err(p, e))?;
            let mut buf = Vec::new();
            f.take(64).read_to_end(&mut buf).map_err(|e| io_err(p, e))?;
            buf
        };
        let mut r = Records::new(p, &head)?;
        r.skip("ncpu")?;
        r.skip("ndim")?;
        if r.i32("npart")? > 0 {
            sample = Some(p);
            break;
        }
    }
    let sample = sample.unwrap_or(first);
    let data = std::fs::read(sample).map_err(|e| io_err(sample, e))?;
    part_layout(None, sample, &data, Some((header, &tokens)))
}
