//! The particle layout inferred from the record lengths of one file, when
//! an output has no `part_file_descriptor.txt`.

use super::{fmt_err, read_part_header, PartField, PartKind, PartLayout};
use crate::error::Result;
use crate::fortran::Records;
use std::path::Path;

/// What a field of the particle files may be stored as.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    /// A real of the file's real width (4 or 8 bytes).
    Real,
    /// An integer of 4 or 8 bytes (ids).
    Id,
    /// An int32 (levels, tracer parents).
    Int32,
    /// An int8 (family, tag).
    Byte,
}

/// The fields a token of `header_NNNNN.txt`'s "Particle fields" line
/// stands for (RAMSES's `output_header`): `pos`, `vel`, `mass`, `iord`,
/// `level`, `family`, `tag`, `phi`, `tform`, `metal`, and any other token
/// as one field of that name.
fn token_fields(token: &str, ndim: usize) -> Vec<(String, Slot)> {
    let one = |n: &str, s: Slot| vec![(n.to_string(), s)];
    // `pos` and `vel` are ndim records each.
    let xyz = |p: &str| {
        ["x", "y", "z"][..ndim]
            .iter()
            .map(|a| (format!("{p}_{a}"), Slot::Real))
            .collect()
    };
    match token {
        "pos" => xyz("position"),
        "vel" => xyz("velocity"),
        "mass" => one("mass", Slot::Real),
        "iord" => one("identity", Slot::Id),
        "level" => one("levelp", Slot::Int32),
        "family" => one("family", Slot::Byte),
        "tag" => one("tag", Slot::Byte),
        "phi" => one("potential", Slot::Real),
        "tform" => one("birth_time", Slot::Real),
        "metal" => one("metallicity", Slot::Real),
        "partp" => one("partp", Slot::Int32),
        other => one(other, Slot::Real),
    }
}

/// Infers the particle layout from the field record lengths of one file,
/// as yt does when there is no descriptor. With `npart` particles:
///
/// - records 1–7 are x, y, z, vx, vy, vz, mass: reals of 4 or 8 bytes
///   each, one width for all (NPRE);
/// - record 8 is the id (4 bytes, or 8 with LONGINT), record 9 the level
///   (4 bytes);
/// - current RAMSES (families) writes family and tag next, `npart` bytes
///   each; a record of one byte per particle cannot be a real, so their
///   presence is certain;
/// - then optional reals: potential (OUTPUT_PARTICLE_POTENTIAL), birth
///   time (star or sink), metallicity (metal, only with a birth time).
///
/// The optional reals are told apart by the header's token line when
/// `tokens` has it (checked against the records); without it, the old
/// format (no family) has only birth time and metallicity, so 1 or 2 of
/// them are named in that order, while in the new format 1 or 2 extra reals
/// could be a potential as well, which is refused as ambiguous.
pub fn infer_layout(
    path: &Path,
    data: &[u8],
    tokens: Option<(&Path, &[String])>,
) -> Result<PartLayout> {
    let records = FieldRecords::read(path, data)?;
    let header_tokens = tokens.filter(|(_, t)| !t.is_empty());
    let fields = match header_tokens {
        Some((hpath, toks)) => fields_from_tokens(&records, hpath, toks)?,
        None => fields_from_records(&records, tokens.map(|(h, _)| h))?,
    };
    let fields = fields
        .into_iter()
        .enumerate()
        .map(|(i, (name, slot))| {
            let kind = records.kind(i, &name, slot)?;
            Ok(PartField { name, kind })
        })
        .collect::<Result<_>>()?;
    Ok(PartLayout {
        fields,
        from_descriptor: false,
    })
}

/// What the message of every inference error starts with.
const LOST: &str = "no part_file_descriptor.txt to say which fields the particle files hold";

/// The field records of one particle file: their lengths, and the bytes
/// each gives a particle.
struct FieldRecords<'a> {
    /// The file (for messages).
    path: &'a Path,
    /// Particles in the file.
    npart: usize,
    /// Dimensions.
    ndim: usize,
    /// Bytes of each field record.
    lens: Vec<usize>,
    /// Bytes per particle of each record (`None` without particles).
    per: Vec<Option<usize>>,
}

impl<'a> FieldRecords<'a> {
    /// Reads the header and the field records' lengths, checking that each
    /// holds a whole number of bytes per particle and that there are at
    /// least the `2·ndim + 3` records RAMSES always writes.
    fn read(path: &'a Path, data: &[u8]) -> Result<FieldRecords<'a>> {
        let mut r = Records::new(path, data)?;
        let h = read_part_header(&mut r, path)?;
        let n = h.npart;
        if !(1..=3).contains(&h.ndim) {
            return Err(fmt_err(
                path,
                format!("record 2 (ndim) is {}, expected 1, 2 or 3", h.ndim),
            ));
        }
        let ndim = h.ndim;
        let mut lens = Vec::new();
        while !r.at_end() {
            lens.push(r.next("particle field")?.len());
        }
        let per: Vec<Option<usize>> = lens
            .iter()
            .map(|&l| {
                if n == 0 {
                    None
                } else {
                    (l % n == 0).then(|| l / n)
                }
            })
            .collect();
        for (i, (&l, p)) in lens.iter().zip(&per).enumerate() {
            if n > 0 && p.is_none() {
                return Err(fmt_err(
                    path,
                    format!("{LOST}: field record {} is {l} bytes, not a whole number of bytes for each of {n} particles", i + 1),
                ));
            }
        }
        let records = FieldRecords {
            path,
            npart: n,
            ndim,
            lens,
            per,
        };
        let base = records.base();
        if records.lens.len() < base {
            return Err(fmt_err(
                path,
                format!(
                    "{LOST}, and the file holds {} field records; RAMSES writes at least {base} in {ndim}D ({ndim} positions, {ndim} velocities, mass, id, level)",
                    records.lens.len()
                ),
            ));
        }
        Ok(records)
    }

    /// The records always there: positions, velocities, mass, id, level.
    fn base(&self) -> usize {
        2 * self.ndim + 3
    }

    /// The storage type of field `i` (`name`), which may be stored as
    /// `slot`, from its record's bytes per particle; reals must have the
    /// width of the positions.
    fn kind(&self, i: usize, name: &str, slot: Slot) -> Result<PartKind> {
        let real_width = self.per[0];
        let kind = match (slot, self.per[i]) {
            (Slot::Byte, None | Some(1)) => Some(PartKind::I8),
            (Slot::Real, None) => Some(PartKind::F64),
            (Slot::Id | Slot::Int32, None) => Some(PartKind::I32),
            (Slot::Real, Some(8)) if real_width == Some(8) => Some(PartKind::F64),
            (Slot::Real, Some(4)) if real_width == Some(4) => Some(PartKind::F32),
            (Slot::Id, Some(8)) => Some(PartKind::I64),
            (Slot::Id | Slot::Int32, Some(4)) => Some(PartKind::I32),
            _ => None,
        };
        kind.ok_or_else(|| {
            let want = match slot {
                Slot::Real => match real_width {
                    Some(w @ (4 | 8)) if i > 0 => format!("{w} bytes (the width of the positions)"),
                    _ => "4 or 8 bytes".to_string(),
                },
                Slot::Id => "4 or 8 bytes".into(),
                Slot::Int32 => "4 bytes".into(),
                Slot::Byte => "1 byte".into(),
            };
            fmt_err(
                self.path,
                format!(
                    "{LOST}: field record {} ({name}) is {} bytes for {} particles, expected {want} each",
                    i + 1,
                    self.lens[i],
                    self.npart
                ),
            )
        })
    }
}

/// The fields named by the header's "Particle fields" tokens `toks` (of
/// the file `hpath`), which must be as many as the records.
fn fields_from_tokens(
    records: &FieldRecords,
    hpath: &Path,
    toks: &[String],
) -> Result<Vec<(String, Slot)>> {
    let fields: Vec<(String, Slot)> = toks
        .iter()
        .flat_map(|t| token_fields(t, records.ndim))
        .collect();
    if fields.len() != records.lens.len() {
        return Err(fmt_err(
            records.path,
            format!(
                "{LOST}; the \"Particle fields\" line of {} ({}) names {} fields, but the file holds {} field records",
                hpath.display(),
                toks.join(" "),
                fields.len(),
                records.lens.len()
            ),
        ));
    }
    Ok(fields)
}

/// The fields told by the records alone: the base ones, family and tag
/// when the next two records hold a byte per particle, then the optional
/// reals ([`optional_reals`]). `header` is the header text file that gave
/// no tokens (for messages).
fn fields_from_records(
    records: &FieldRecords,
    header: Option<&Path>,
) -> Result<Vec<(String, Slot)>> {
    let ndim = records.ndim;
    let xyz = ["x", "y", "z"];
    let names = (xyz[..ndim].iter().map(|a| format!("position_{a}")))
        .chain(xyz[..ndim].iter().map(|a| format!("velocity_{a}")))
        .chain(std::iter::once("mass".to_string()));
    let mut fields: Vec<(String, Slot)> = names.map(|n| (n, Slot::Real)).collect();
    fields.push(("identity".into(), Slot::Id));
    fields.push(("levelp".into(), Slot::Int32));
    let rest = &records.per[records.base()..];
    // Family and tag: one byte per particle (with no particles, the
    // record count decides: 11 or more is the current format).
    let families = if records.npart > 0 {
        rest.len() >= 2 && rest[0] == Some(1) && rest[1] == Some(1)
    } else {
        rest.len() >= 2
    };
    if families {
        fields.push(("family".into(), Slot::Byte));
        fields.push(("tag".into(), Slot::Byte));
    }
    let extra = rest.len() - if families { 2 } else { 0 };
    let named = optional_reals(records.path, families, extra, header)?;
    fields.extend(named.iter().map(|n| (n.to_string(), Slot::Real)));
    Ok(fields)
}

/// The names of the `extra` real records after the level (and after
/// family and tag when `families`): the old format has only birth time
/// and metallicity; in the new format 1 or 2 extra reals are ambiguous
/// (they could be a potential as well) and refused. `header`: the header
/// text file, for the message.
fn optional_reals(
    path: &Path,
    families: bool,
    extra: usize,
    header: Option<&Path>,
) -> Result<&'static [&'static str]> {
    match (families, extra) {
        (_, 0) => Ok(&[]),
        (false, 1) => Ok(&["birth_time"]),
        (false, 2) => Ok(&["birth_time", "metallicity"]),
        (true, 3) => Ok(&["potential", "birth_time", "metallicity"]),
        (true, 1 | 2) => Err(fmt_err(
            path,
            format!(
                "{LOST}, and {} gives no \"Particle fields\" line: after family and tag come {extra} more field record{}, which could be the potential (OUTPUT_PARTICLE_POTENTIAL), the birth time or the metallicity; ambiguous, so not guessed (restore part_file_descriptor.txt)",
                header.map_or("header_NNNNN.txt".to_string(), |h| {
                    let name = h.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    if h.is_file() { name } else { format!("{name} (missing)") }
                }),
                if extra == 1 { "" } else { "s" }
            ),
        )),
        (f, k) => Err(fmt_err(
            path,
            format!(
                "{LOST}: {} field records after the level{}, more than RAMSES writes ({})",
                k + if f { 2 } else { 0 },
                if f { " (family, tag and others)" } else { "" },
                if f {
                    "family, tag, [potential], [birth time], [metallicity]"
                } else {
                    "[birth time], [metallicity]"
                }
            ),
        )),
    }
}
