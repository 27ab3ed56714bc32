//! The 8 header records of a particle file.

use super::fmt_err;
use crate::error::Result;
use crate::fortran::{decode, Records};
use std::path::Path;

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
