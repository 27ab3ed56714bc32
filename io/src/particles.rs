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
use crate::fortran::{decode, decode_all, reals_to, RealWidth, Records};
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
        4 => decode::<i32, 4>(rec.try_into().expect("4"), be) as i64,
        8 => decode::<i64, 8>(rec.try_into().expect("8"), be),
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
    // Positions, velocities, mass, id, level.
    let base = 2 * ndim + 3;
    let mut lens = Vec::new();
    while !r.at_end() {
        lens.push(r.next("particle field")?.len());
    }
    let lost = "no part_file_descriptor.txt to say which fields the particle files hold";
    // Bytes per particle of each record.
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
                format!("{lost}: field record {} is {l} bytes, not a whole number of bytes for each of {n} particles", i + 1),
            ));
        }
    }
    if lens.len() < base {
        return Err(fmt_err(
            path,
            format!(
                "{lost}, and the file holds {} field records; RAMSES writes at least {base} in {ndim}D ({ndim} positions, {ndim} velocities, mass, id, level)",
                lens.len()
            ),
        ));
    }
    // The fields, with the record's storage slot.
    let mut fields: Vec<(String, Slot)> = Vec::new();
    let header_tokens = tokens.filter(|(_, t)| !t.is_empty());
    if let Some((hpath, toks)) = header_tokens {
        for t in toks {
            fields.extend(token_fields(t, ndim));
        }
        if fields.len() != lens.len() {
            return Err(fmt_err(
                path,
                format!(
                    "{lost}; the \"Particle fields\" line of {} ({}) names {} fields, but the file holds {} field records",
                    hpath.display(),
                    toks.join(" "),
                    fields.len(),
                    lens.len()
                ),
            ));
        }
    } else {
        let xyz = ["x", "y", "z"];
        let names = (xyz[..ndim].iter().map(|a| format!("position_{a}")))
            .chain(xyz[..ndim].iter().map(|a| format!("velocity_{a}")))
            .chain(std::iter::once("mass".to_string()));
        fields.extend(names.map(|n| (n, Slot::Real)));
        fields.push(("identity".into(), Slot::Id));
        fields.push(("levelp".into(), Slot::Int32));
        let rest = &per[base..];
        // Family and tag: one byte per particle (with no particles, the
        // record count decides: 11 or more is the current format).
        let families = if n > 0 {
            rest.len() >= 2 && rest[0] == Some(1) && rest[1] == Some(1)
        } else {
            rest.len() >= 2
        };
        if families {
            fields.push(("family".into(), Slot::Byte));
            fields.push(("tag".into(), Slot::Byte));
        }
        let extra = rest.len() - if families { 2 } else { 0 };
        let named: &[&str] = match (families, extra) {
            (_, 0) => &[],
            (false, 1) => &["birth_time"],
            (false, 2) => &["birth_time", "metallicity"],
            (true, 3) => &["potential", "birth_time", "metallicity"],
            (true, 1 | 2) => {
                return Err(fmt_err(
                    path,
                    format!(
                        "{lost}, and {} gives no \"Particle fields\" line: after family and tag come {extra} more field record{}, which could be the potential (OUTPUT_PARTICLE_POTENTIAL), the birth time or the metallicity; ambiguous, so not guessed (restore part_file_descriptor.txt)",
                        tokens.map_or("header_NNNNN.txt".to_string(), |(h, _)| {
                            let name = h.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                            if h.is_file() { name } else { format!("{name} (missing)") }
                        }),
                        if extra == 1 { "" } else { "s" }
                    ),
                ))
            }
            (f, k) => {
                return Err(fmt_err(
                    path,
                    format!(
                        "{lost}: {} field records after the level{}, more than RAMSES writes ({})",
                        k + if f { 2 } else { 0 },
                        if f { " (family, tag and others)" } else { "" },
                        if f {
                            "family, tag, [potential], [birth time], [metallicity]"
                        } else {
                            "[birth time], [metallicity]"
                        }
                    ),
                ))
            }
        };
        fields.extend(named.iter().map(|n| (n.to_string(), Slot::Real)));
    }
    // The real width: that of the positions, the same for every real.
    let real_width = per[0];
    let mut out = Vec::with_capacity(fields.len());
    for (i, ((name, slot), p)) in fields.into_iter().zip(&per).enumerate() {
        let kind = match (slot, *p) {
            (Slot::Byte, None | Some(1)) => Some(PartKind::I8),
            (Slot::Real, None) => Some(PartKind::F64),
            (Slot::Id | Slot::Int32, None) => Some(PartKind::I32),
            (Slot::Real, Some(8)) if real_width == Some(8) => Some(PartKind::F64),
            (Slot::Real, Some(4)) if real_width == Some(4) => Some(PartKind::F32),
            (Slot::Id, Some(8)) => Some(PartKind::I64),
            (Slot::Id | Slot::Int32, Some(4)) => Some(PartKind::I32),
            _ => None,
        };
        let Some(kind) = kind else {
            let want = match slot {
                Slot::Real => match real_width {
                    Some(w @ (4 | 8)) if i > 0 => format!("{w} bytes (the width of the positions)"),
                    _ => "4 or 8 bytes".to_string(),
                },
                Slot::Id => "4 or 8 bytes".into(),
                Slot::Int32 => "4 bytes".into(),
                Slot::Byte => "1 byte".into(),
            };
            return Err(fmt_err(
                path,
                format!(
                    "{lost}: field record {} ({name}) is {} bytes for {n} particles, expected {want} each",
                    i + 1,
                    lens[i]
                ),
            ));
        };
        out.push(PartField { name, kind });
    }
    Ok(PartLayout {
        fields: out,
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
                reals_to(rec, RealWidth::F64, be, o)
            }
            (PartColumnMut::F64(o), PartKind::F32) if o.len() == n => {
                reals_to(rec, RealWidth::F32, be, o)
            }
            (PartColumnMut::I64(o), PartKind::I64) if o.len() == n => {
                for (d, v) in o.iter_mut().zip(decode_all::<i64, 8>(rec, be)) {
                    *d = v;
                }
            }
            (PartColumnMut::I64(o), PartKind::I32) if o.len() == n => {
                for (d, v) in o.iter_mut().zip(decode_all::<i32, 4>(rec, be)) {
                    *d = v as i64;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A particle file: the 8 header records, then one record per field
    /// of `npart` values of `sizes[i]` bytes (value `i` everywhere).
    fn part_file(npart: usize, sizes: &[usize]) -> Vec<u8> {
        let mut b = Vec::new();
        let mut rec = |payload: &[u8]| {
            b.extend((payload.len() as i32).to_le_bytes());
            b.extend(payload);
            b.extend((payload.len() as i32).to_le_bytes());
        };
        rec(&1i32.to_le_bytes());
        rec(&3i32.to_le_bytes());
        rec(&(npart as i32).to_le_bytes());
        rec(&[0u8; 16]);
        rec(&0i32.to_le_bytes());
        rec(&0f64.to_le_bytes());
        rec(&0f64.to_le_bytes());
        rec(&0i32.to_le_bytes());
        for (i, &sz) in sizes.iter().enumerate() {
            rec(&vec![i as u8; npart * sz]);
        }
        b
    }

    fn infer(npart: usize, sizes: &[usize], tokens: Option<&str>) -> Result<PartLayout> {
        let data = part_file(npart, sizes);
        let toks: Vec<String> = tokens
            .map(|t| t.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        let h = Path::new("header_00001.txt");
        infer_layout(Path::new("part_00001.out00001"), &data, Some((h, &toks)))
    }

    fn names_kinds(l: &PartLayout) -> Vec<(&str, PartKind)> {
        l.fields.iter().map(|f| (f.name.as_str(), f.kind)).collect()
    }

    const BASE8: [usize; 9] = [8, 8, 8, 8, 8, 8, 8, 4, 4];

    #[test]
    fn current_format_without_extras_needs_no_header() {
        let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1]).collect();
        let l = infer(7, &sizes, None).unwrap();
        assert!(!l.from_descriptor);
        let nk = names_kinds(&l);
        assert_eq!(nk.len(), 11);
        assert_eq!(nk[7], ("identity", PartKind::I32));
        assert_eq!(nk[8], ("levelp", PartKind::I32));
        assert_eq!(nk[9], ("family", PartKind::I8));
        assert_eq!(nk[10], ("tag", PartKind::I8));
        // The layout reads the file back.
        let data = part_file(7, &sizes);
        let mut fam = vec![0i8; 7];
        read_particles_into(
            Path::new("p"),
            &data,
            &l,
            &[9],
            vec![PartColumnMut::I8(&mut fam)],
        )
        .unwrap();
        assert_eq!(fam, vec![9i8; 7]);
    }

    #[test]
    fn long_ids_and_single_precision() {
        // LONGINT: 8-byte ids.
        let sizes: Vec<usize> = [8, 8, 8, 8, 8, 8, 8, 8, 4, 1, 1, 8, 8, 8].to_vec();
        let l = infer(5, &sizes, None).unwrap();
        let nk = names_kinds(&l);
        assert_eq!(nk[7], ("identity", PartKind::I64));
        assert_eq!(
            &nk[11..],
            &[
                ("potential", PartKind::F64),
                ("birth_time", PartKind::F64),
                ("metallicity", PartKind::F64)
            ]
        );
        // NPRE=4: every real is 4 bytes.
        let sizes = [4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 1];
        let l = infer(5, &sizes, None).unwrap();
        assert!(l.fields[..7].iter().all(|f| f.kind == PartKind::F32));
    }

    #[test]
    fn old_format_names_birth_time_then_metallicity() {
        for (extra, want) in [
            (0, vec![]),
            (1, vec!["birth_time"]),
            (2, vec!["birth_time", "metallicity"]),
        ] {
            let sizes: Vec<usize> = BASE8.iter().copied().chain(vec![8; extra]).collect();
            let l = infer(3, &sizes, None).unwrap();
            let names: Vec<&str> = l.fields[9..].iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, want);
            assert!(l.index("family").is_none());
        }
    }

    #[test]
    fn one_or_two_extra_reals_need_the_header_tokens() {
        for extra in [1, 2] {
            let sizes: Vec<usize> = BASE8
                .iter()
                .copied()
                .chain([1, 1])
                .chain(vec![8; extra])
                .collect();
            let e = infer(4, &sizes, None).unwrap_err().to_string();
            assert!(
                e.contains("part_00001.out00001")
                    && e.contains("ambiguous")
                    && e.contains("header_00001.txt"),
                "{e}"
            );
        }
        // With the header's token line the same records are named.
        let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1, 8]).collect();
        let l = infer(4, &sizes, Some("pos vel mass iord level family tag tform")).unwrap();
        assert_eq!(l.fields[11].name, "birth_time");
        let l = infer(4, &sizes, Some("pos vel mass iord level family tag phi")).unwrap();
        assert_eq!(l.fields[11].name, "potential");
        let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1, 8, 8]).collect();
        let l = infer(
            4,
            &sizes,
            Some("pos vel mass iord level family tag tform metal"),
        )
        .unwrap();
        assert_eq!(l.fields[12].name, "metallicity");
        // Tokens that disagree with the records are refused.
        let e = infer(4, &sizes, Some("pos vel mass iord level family tag tform"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("names 12 fields") && e.contains("13 field records"),
            "{e}"
        );
        let e = infer(
            4,
            &sizes,
            Some("pos vel mass iord level tform metal family tag"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("field record 10 (birth_time) is 4 bytes for 4 particles"),
            "{e}"
        );
    }

    #[test]
    fn impossible_records_are_refused_with_the_record() {
        // Ids of 2 bytes.
        let e = infer(6, &[8, 8, 8, 8, 8, 8, 8, 2, 4, 1, 1], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("field record 8 (identity) is 12 bytes for 6 particles, expected 4 or 8"),
            "{e}"
        );
        // Mass in single precision, positions in double.
        let e = infer(6, &[8, 8, 8, 8, 8, 8, 4, 4, 4], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("field record 7 (mass)") && e.contains("width of the positions"),
            "{e}"
        );
        // A record that is not a whole number of bytes per particle.
        let mut data = part_file(3, &BASE8);
        let n = data.len();
        data.truncate(n - 4 - 12 - 4);
        data.extend(11i32.to_le_bytes());
        data.extend([0u8; 11]);
        data.extend(11i32.to_le_bytes());
        let e = infer_layout(Path::new("p1"), &data, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("field record 9 is 11 bytes") && e.contains("3 particles"),
            "{e}"
        );
        // Too few and too many records.
        let e = infer(2, &[8; 5], None).unwrap_err().to_string();
        assert!(
            e.contains("5 field records") && e.contains("at least 9"),
            "{e}"
        );
        let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1, 8, 8, 8, 8]).collect();
        let e = infer(2, &sizes, None).unwrap_err().to_string();
        assert!(e.contains("more than RAMSES writes"), "{e}");
    }

    #[test]
    fn files_without_particles_give_a_layout_by_record_count() {
        let l = infer(0, &[8, 8, 8, 8, 8, 8, 8, 4, 4, 1, 1], None).unwrap();
        assert_eq!(l.fields.len(), 11);
        assert_eq!(l.fields[9].name, "family");
    }
}
