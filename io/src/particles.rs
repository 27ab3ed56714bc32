//! Particles: `part_NNNNN.outCCCCC`, its descriptor, `header_NNNNN.txt`.
//!
//! A particle file is an 8-record header followed by one record per field,
//! each holding `npart` values. Which fields exist depends on how RAMSES
//! was built, so the layout comes from `part_file_descriptor.txt` when it
//! exists, and otherwise from the record lengths of the old (pre-2018)
//! format: x, y, z, vx, vy, vz, mass, id, level, then optionally birth time
//! and metallicity. Every record's length is checked against the layout.

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

/// The header records of a particle file.
#[derive(Clone, Debug, PartialEq)]
pub struct PartHeader {
    /// Number of CPU files.
    pub ncpu: usize,
    /// Dimensions.
    pub ndim: usize,
    /// Particles in this file.
    pub npart: usize,
    /// Stars in the whole run.
    pub nstar_tot: i64,
    /// Mass of all stars formed.
    pub mstar_tot: f64,
    /// Mass lost by stars.
    pub mstar_lost: f64,
    /// Sinks in the run.
    pub nsink: i64,
}

/// Name of a RAMSES particle family code (`pm_commons.f90`).
pub fn family_name(code: i8) -> &'static str {
    match code {
        1 => "DM",
        2 => "star",
        3 => "cloud",
        4 => "debris",
        5 => "other",
        0 => "gas_tracer",
        -1 => "DM_tracer",
        -2 => "star_tracer",
        -3 => "cloud_tracer",
        -4 => "debris_tracer",
        -5 => "other_tracer",
        127 => "undefined",
        _ => "unknown",
    }
}

/// The family code of a name accepted by [`family_name`].
pub fn family_code(name: &str) -> Option<i8> {
    (-5..=5)
        .chain([127])
        .find(|&c| family_name(c).eq_ignore_ascii_case(name))
}

fn fmt_err(path: &Path, problem: String) -> Error {
    Error::Inconsistent {
        path: path.to_path_buf(),
        problem,
    }
}

/// Reads the 8 header records, leaving `r` at the first field record. The
/// `localseed` record is skipped by its marker: its length varies with
/// `MC_tracer`.
pub fn read_part_header(r: &mut Records, path: &Path) -> Result<PartHeader> {
    let nonneg = |what: &str, v: i32| {
        usize::try_from(v).map_err(|_| fmt_err(path, format!("{what} is {v}, expected ≥ 0")))
    };
    let ncpu = nonneg("ncpu", r.i32("ncpu")?)?;
    let ndim = nonneg("ndim", r.i32("ndim")?)?;
    let npart = nonneg("npart", r.i32("npart")?)?;
    r.skip("localseed")?;
    let at = r.offset();
    let rec = r.next("nstar_tot")?;
    let be = r.is_big_endian();
    let nstar_tot = match rec.len() {
        4 => {
            let b: [u8; 4] = rec.try_into().expect("4");
            (if be {
                i32::from_be_bytes(b)
            } else {
                i32::from_le_bytes(b)
            }) as i64
        }
        8 => {
            let b: [u8; 8] = rec.try_into().expect("8");
            if be {
                i64::from_be_bytes(b)
            } else {
                i64::from_le_bytes(b)
            }
        }
        n => {
            return Err(r.consumed_error(
                "nstar_tot",
                at,
                format!("record is {n} bytes, expected 4 or 8 (one integer)"),
            ))
        }
    };
    let mstar_tot = r.reals("mstar_tot", 1)?[0];
    let mstar_lost = r.reals("mstar_lost", 1)?[0];
    let nsink = r.i32("nsink")? as i64;
    Ok(PartHeader {
        ncpu,
        ndim,
        npart,
        nstar_tot,
        mstar_tot,
        mstar_lost,
        nsink,
    })
}

/// The layout of an output's particle files: from `part_file_descriptor.txt`
/// when `descriptor` holds its text, else guessed from the records of one
/// particle file (`sample`, the bytes of `sample_path`) in the old format.
pub fn part_layout(
    descriptor: Option<(&Path, &str)>,
    sample_path: &Path,
    sample: &[u8],
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
    // Old format: guess each record's type from its length.
    let mut r = Records::new(sample_path, sample)?;
    let h = read_part_header(&mut r, sample_path)?;
    let mut lens = Vec::new();
    while !r.at_end() {
        lens.push(r.next("particle field")?.len());
    }
    let names = [
        "position_x",
        "position_y",
        "position_z",
        "velocity_x",
        "velocity_y",
        "velocity_z",
        "mass",
        "identity",
        "levelp",
        "birth_time",
        "metallicity",
    ];
    if !(9..=11).contains(&lens.len()) {
        return Err(fmt_err(
            sample_path,
            format!(
                "no part_file_descriptor.txt, and the file holds {} field records; the old format has 9 to 11 (x, y, z, vx, vy, vz, mass, id, level, [birth, metal])",
                lens.len()
            ),
        ));
    }
    let mut fields = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let per = len.checked_div(h.npart).unwrap_or(0);
        let is_int = i == 7 || i == 8;
        let kind = match (is_int, per, h.npart) {
            (_, _, 0) => {
                if is_int {
                    PartKind::I32
                } else {
                    PartKind::F64
                }
            }
            (true, 4, _) => PartKind::I32,
            (true, 8, _) => PartKind::I64,
            (false, 8, _) => PartKind::F64,
            (false, 4, _) => PartKind::F32,
            _ => {
                return Err(fmt_err(
                    sample_path,
                    format!(
                    "field record {} ({}) is {len} bytes for {} particles, not 4 or 8 bytes each",
                    i + 1,
                    names[i],
                    h.npart
                ),
                ))
            }
        };
        fields.push(PartField {
            name: names[i].to_string(),
            kind,
        });
    }
    Ok(PartLayout {
        fields,
        from_descriptor: false,
    })
}

/// A caller-owned output column for one particle field.
pub enum PartColumnMut<'a> {
    /// For real fields.
    F64(&'a mut [f64]),
    /// For integer fields (ids, levels).
    I64(&'a mut [i64]),
    /// For byte fields (family, tag).
    I8(&'a mut [i8]),
}

/// An owned particle column.
#[derive(Clone, Debug, PartialEq)]
pub enum PartColumn {
    /// Real values.
    F64(Vec<f64>),
    /// Integer values.
    I64(Vec<i64>),
    /// Byte values.
    I8(Vec<i8>),
}

impl PartColumn {
    /// A zeroed column of `n` values of `kind`.
    pub fn zeros(kind: ColumnKind, n: usize) -> PartColumn {
        match kind {
            ColumnKind::F64 => PartColumn::F64(vec![0.0; n]),
            ColumnKind::I64 => PartColumn::I64(vec![0; n]),
            ColumnKind::I8 => PartColumn::I8(vec![0; n]),
        }
    }

    /// A mutable view for [`read_particles_into`].
    pub fn as_mut(&mut self) -> PartColumnMut<'_> {
        match self {
            PartColumn::F64(v) => PartColumnMut::F64(v),
            PartColumn::I64(v) => PartColumnMut::I64(v),
            PartColumn::I8(v) => PartColumnMut::I8(v),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            PartColumn::F64(v) => v.len(),
            PartColumn::I64(v) => v.len(),
            PartColumn::I8(v) => v.len(),
        }
    }

    /// Whether the column is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` as f64 (ids above 2^53 round).
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            PartColumn::F64(v) => v[i],
            PartColumn::I64(v) => v[i] as f64,
            PartColumn::I8(v) => v[i] as f64,
        }
    }
}

/// Phase one for particles: the number of particles in a file.
pub fn part_count(path: &Path, data: &[u8]) -> Result<usize> {
    let mut r = Records::new(path, data)?;
    Ok(read_part_header(&mut r, path)?.npart)
}

/// Phase two: reads the fields `wanted` (indices into `layout`) of one
/// particle file into `out` (one column per wanted field, each exactly
/// `npart` long and of the field's [`PartKind::column`] kind).
pub fn read_particles_into(
    path: &Path,
    data: &[u8],
    layout: &PartLayout,
    wanted: &[usize],
    mut out: Vec<PartColumnMut>,
) -> Result<()> {
    let mut r = Records::new(path, data)?;
    let h = read_part_header(&mut r, path)?;
    let n = h.npart;
    if out.len() != wanted.len() {
        return Err(fmt_err(
            path,
            format!(
                "{} output columns for {} wanted fields",
                out.len(),
                wanted.len()
            ),
        ));
    }
    let mut slot = vec![usize::MAX; layout.fields.len()];
    for (c, &f) in wanted.iter().enumerate() {
        if f >= layout.fields.len() {
            return Err(fmt_err(
                path,
                format!(
                    "field {} requested, the layout has {}",
                    f + 1,
                    layout.fields.len()
                ),
            ));
        }
        slot[f] = c;
    }
    let be = r.is_big_endian();
    for (i, field) in layout.fields.iter().enumerate() {
        let what = format!("particle field {} ({})", i + 1, field.name);
        let rec = r.fixed(&what, n, field.kind.size())?;
        let c = slot[i];
        if c == usize::MAX {
            continue;
        }
        let bad_len = |got: usize| {
            fmt_err(
                path,
                format!(
                    "output column for {} holds {got} values, expected {n}",
                    field.name
                ),
            )
        };
        match (&mut out[c], field.kind) {
            (PartColumnMut::F64(o), PartKind::F64) if o.len() == n => {
                for (d, b) in o.iter_mut().zip(rec.chunks_exact(8)) {
                    let b: [u8; 8] = b.try_into().expect("8");
                    *d = if be {
                        f64::from_be_bytes(b)
                    } else {
                        f64::from_le_bytes(b)
                    };
                }
            }
            (PartColumnMut::F64(o), PartKind::F32) if o.len() == n => {
                for (d, b) in o.iter_mut().zip(rec.chunks_exact(4)) {
                    let b: [u8; 4] = b.try_into().expect("4");
                    *d = (if be {
                        f32::from_be_bytes(b)
                    } else {
                        f32::from_le_bytes(b)
                    }) as f64;
                }
            }
            (PartColumnMut::I64(o), PartKind::I64) if o.len() == n => {
                for (d, b) in o.iter_mut().zip(rec.chunks_exact(8)) {
                    let b: [u8; 8] = b.try_into().expect("8");
                    *d = if be {
                        i64::from_be_bytes(b)
                    } else {
                        i64::from_le_bytes(b)
                    };
                }
            }
            (PartColumnMut::I64(o), PartKind::I32) if o.len() == n => {
                for (d, b) in o.iter_mut().zip(rec.chunks_exact(4)) {
                    let b: [u8; 4] = b.try_into().expect("4");
                    *d = (if be {
                        i32::from_be_bytes(b)
                    } else {
                        i32::from_le_bytes(b)
                    }) as i64;
                }
            }
            (PartColumnMut::I8(o), PartKind::I8) if o.len() == n => {
                for (d, &b) in o.iter_mut().zip(rec) {
                    *d = b as i8;
                }
            }
            (PartColumnMut::F64(o), _) => return Err(bad_len(o.len())),
            (PartColumnMut::I64(o), _) => return Err(bad_len(o.len())),
            (PartColumnMut::I8(o), _) => return Err(bad_len(o.len())),
        }
    }
    if !r.at_end() {
        return Err(fmt_err(
            path,
            format!(
                "{} bytes follow the {} fields the layout lists (descriptor disagrees with the file)",
                data.len() - r.offset(),
                layout.fields.len()
            ),
        ));
    }
    Ok(())
}

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

/// Reads an output's particle layout (the descriptor `desc` when it
/// exists, else a guess from the records of CPU file 1).
pub fn read_layout(desc: &Path, part1: &Path) -> Result<PartLayout> {
    if desc.is_file() {
        let text = std::fs::read_to_string(desc).map_err(|e| io_err(desc, e))?;
        part_layout(Some((desc, &text)), part1, &[])
    } else {
        let data = std::fs::read(part1).map_err(|e| io_err(part1, e))?;
        part_layout(None, part1, &data)
    }
}
