//! The two-phase read of one particle file: its count, then the wanted
//! fields into caller-owned columns.

use super::{fmt_err, read_part_header, PartColumnMut, PartKind, PartLayout};
use crate::error::Result;
use crate::fortran::{decode_all, reals_to, RealWidth, Records};
use std::path::Path;

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
