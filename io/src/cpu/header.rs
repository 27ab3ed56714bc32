//! The amr file's header: the run's dimensions, coarse grid, levels and
//! per-domain oct counts, its domain decomposition (Hilbert keys or
//! bisection boxes) and the physical box inside the boundary cells.

use crate::error::{inconsistent, Result};
use crate::fortran::{decode_all, Records};
use std::path::Path;

/// The parts of the AMR header the reader needs: its first records
/// ([`AmrHead`]), then what the tables after them give.
#[derive(Clone, Debug)]
pub struct AmrHeader {
    /// The records before the `headl` table.
    pub head: AmrHead,
    /// First coarse cell of the physical box per axis (0-based): the
    /// padding of boundary cells before it. 0 for axes ≥ ndim.
    pub coarse_lo: [usize; 3],
    /// Coarse cells of the physical box per axis (those with a non-zero
    /// coarse `cpu_map`); 1 for axes ≥ ndim. Box units span
    /// `[0, extent[d]]`.
    pub extent: [usize; 3],
    /// Octs per (domain, level) in this file: `numbl[ilevel-1][idom-1]`,
    /// boundary domains after the `ncpu` real ones.
    pub ncache: Vec<Vec<usize>>,
    /// Hilbert bound keys (`ndomain + 1` values) as integers, for orderings
    /// other than bisection. 16-byte keys (`-DQUADHILBERT`) are decoded
    /// exactly; 8-byte keys are exact up to 2^53.
    pub bound_keys: Option<Vec<u128>>,
    /// Byte offset and record index where the tree body starts.
    pub body_at: (usize, usize),
    /// For bisection ordering: each CPU's domain box `(min, max)` in box
    /// units, from `bisec_cpubox_min`/`_max` (`ncpu × ndim` reals, CPU
    /// index fastest; RAMSES gives them in coarse-cell units, divided here
    /// by `nx`, `ny`, `nz`).
    pub bisection_boxes: Option<Vec<DomainBox>>,
}

/// A bisection domain box: `(min, max)` corners in box units.
pub type DomainBox = ([f64; 3], [f64; 3]);

pub(super) fn count(path: &Path, what: &str, v: i32) -> Result<usize> {
    usize::try_from(v).map_err(|_| inconsistent(path, format!("{what} is {v}, expected ≥ 0")))
}

/// The header records before the `headl` table (records 1 to 19): what
/// the hydro, gravity and rt files' headers are checked against.
#[derive(Clone, Copy, Debug)]
pub struct AmrHead {
    /// Number of CPUs.
    pub ncpu: usize,
    /// Dimensions: 1, 2 or 3.
    pub ndim: usize,
    /// Coarse grid size (boundary cells included).
    pub nx: [usize; 3],
    /// Levels the run allows.
    pub nlevelmax: usize,
    /// Boundary domains (simple boundaries).
    pub nboundary: usize,
    /// Box length, code units.
    pub boxlen: f64,
    /// Code time.
    pub time: f64,
    /// Bytes per real (`dp`: 8, or 4 with `NPRE=4`), from the `boxlen`
    /// record: the width of `xg` in the tree body.
    pub real_width: usize,
}

/// Reads the AMR header records before `headl`, checking them.
pub(crate) fn read_amr_head(r: &mut Records, path: &Path) -> Result<AmrHead> {
    let ncpu = count(path, "ncpu", r.i32("ncpu")?)?;
    let ndim = count(path, "ndim", r.i32("ndim")?)?;
    if !(1..=3).contains(&ndim) {
        return Err(inconsistent(
            path,
            format!("record 2 (ndim) is {ndim}, expected 1, 2 or 3"),
        ));
    }
    let nxyz = r.i32s("nx, ny, nz", Some(3))?;
    let nx = [
        count(path, "nx", nxyz[0])?,
        count(path, "ny", nxyz[1])?,
        count(path, "nz", nxyz[2])?,
    ];
    if nx.iter().any(|&n| n == 0 || n > 1 << 12) || nx[ndim..].iter().any(|&n| n != 1) {
        return Err(inconsistent(
            path,
            format!(
                "record 3 (nx, ny, nz) is {nx:?}, expected 1..=4096 cells per axis and 1 along the axes beyond ndim = {ndim}"
            ),
        ));
    }
    let nlevelmax = count(path, "nlevelmax", r.i32("nlevelmax")?)?;
    if nlevelmax == 0 || nlevelmax > 30 {
        return Err(inconsistent(
            path,
            format!("nlevelmax is {nlevelmax}, expected 1..=30"),
        ));
    }
    r.skip("ngridmax")?;
    let nboundary = count(path, "nboundary", r.i32("nboundary")?)?;
    r.skip("ngrid_current")?;
    let mut boxlen = 0.0;
    let real_width = r.reals_with("boxlen", 1, |_, x| boxlen = x)?.bytes();
    let nout = r.i32s("noutput, iout, ifout", Some(3))?;
    let noutput = count(path, "noutput", nout[0])?;
    r.reals("tout", noutput)?;
    r.reals("aout", noutput)?;
    let time = r.reals("t", 1)?[0];
    r.reals("dtold", nlevelmax)?;
    r.reals("dtnew", nlevelmax)?;
    r.skip("nstep, nstep_coarse")?;
    r.skip("einit, mass_tot_0, rho_tot")?;
    r.skip("omega_m … boxlen_ini")?;
    r.skip("aexp … epot_tot_old")?;
    r.skip("mass_sph")?;
    Ok(AmrHead {
        ncpu,
        ndim,
        nx,
        nlevelmax,
        nboundary,
        boxlen,
        time,
        real_width,
    })
}

/// Reads the AMR header, leaving `r` at the first body record.
pub fn read_amr_header(r: &mut Records, path: &Path) -> Result<AmrHeader> {
    let head = read_amr_head(r, path)?;
    let AmrHead {
        ncpu,
        ndim,
        nx,
        nlevelmax,
        nboundary,
        ..
    } = head;
    r.skip("headl")?;
    r.skip("taill")?;
    let numbl = r.i32s("numbl", Some(ncpu * nlevelmax))?;
    r.skip("numbtot")?;
    let numbb = if nboundary > 0 {
        r.skip("headb")?;
        r.skip("tailb")?;
        r.i32s("numbb", Some(nboundary * nlevelmax))?
    } else {
        Vec::new()
    };
    r.skip("headf, tailf, numbf, used_mem, used_mem_tot")?;
    let ordering = r.next("ordering")?;
    let ordering = String::from_utf8_lossy(ordering).trim().to_string();
    let mut bisec_raw = None;
    let bound_keys = if ordering == "bisection" {
        for what in ["bisec_wall", "bisec_next", "bisec_indx"] {
            r.skip(what)?;
        }
        let lo = r.reals("bisec_cpubox_min", ncpu * ndim)?;
        let hi = r.reals("bisec_cpubox_max", ncpu * ndim)?;
        bisec_raw = Some((lo, hi));
        None
    } else {
        Some(read_bound_keys(r, ncpu + 1)?)
    };
    let ncoarse = nx[0] * nx[1] * nx[2];
    r.skip("coarse son")?;
    r.skip("coarse flag1")?;
    let cpu_map = r.i32s("coarse cpu_map", Some(ncoarse))?;
    let (coarse_lo, extent) = physical_box(path, nx, &cpu_map, ncpu)?;
    // Bisection boxes are in coarse-cell units, boundary padding included:
    // shifted to box units; axes beyond ndim span the unit depth.
    let bisection_boxes = bisec_raw.map(|(lo, hi)| {
        (0..ncpu)
            .map(|c| {
                let at = |v: &[f64], d: usize, deep: f64| {
                    if d < ndim {
                        v[c + ncpu * d] - coarse_lo[d] as f64
                    } else {
                        deep
                    }
                };
                (
                    std::array::from_fn(|d| at(&lo, d, 0.0)),
                    std::array::from_fn(|d| at(&hi, d, 1.0)),
                )
            })
            .collect()
    });
    if let Some(&v) = numbl.iter().chain(&numbb).find(|&&v| v < 0) {
        return Err(inconsistent(
            path,
            format!("an oct count (numbl) is {v}, expected ≥ 0"),
        ));
    }
    let ncache: Vec<Vec<usize>> = (0..nlevelmax)
        .map(|l| {
            let own = numbl[l * ncpu..(l + 1) * ncpu].iter();
            let bnd = numbb[l * nboundary..(l + 1) * nboundary].iter();
            own.chain(bnd).map(|&v| v as usize).collect()
        })
        .collect();
    let body_at = (r.offset(), r.next_index());
    Ok(AmrHeader {
        head,
        coarse_lo,
        extent,
        ncache,
        bound_keys,
        body_at,
        bisection_boxes,
    })
}

/// The `bound_key` record: `n` Hilbert keys of 8 bytes (f64, exact up to
/// 2^53) or 16 bytes (`-DQUADHILBERT`, exact), as integers.
fn read_bound_keys(r: &mut Records, n: usize) -> Result<Vec<u128>> {
    let at = r.offset();
    let keys = r.next("bound_key")?;
    let be = r.is_big_endian();
    let decoded: Vec<u128> = if keys.len() == 8 * n {
        decode_all::<f64, 8>(keys, be).map(|k| k as u128).collect()
    } else if keys.len() == 16 * n {
        decode_all::<u128, 16>(keys, be).map(quad_to_u128).collect()
    } else {
        return Err(r.consumed_error(
            "bound_key",
            at,
            format!(
                "record is {} bytes, expected {} or {} ({n} keys of 8 or 16 bytes)",
                keys.len(),
                8 * n,
                16 * n
            ),
        ));
    };
    Ok(decoded)
}

/// The physical box of a coarse grid: the coarse cells with a non-zero
/// `cpu_map` (1-based index `1 + i + nx·j + nx·ny·k`) must form one
/// rectangular block, the rest being boundary cells. Returns its first cell
/// and its size per axis.
pub(super) fn physical_box(
    path: &Path,
    nx: [usize; 3],
    cpu_map: &[i32],
    ncpu: usize,
) -> Result<([usize; 3], [usize; 3])> {
    let mut lo = nx;
    let mut hi = [0usize; 3];
    let mut active = 0usize;
    for (c, &m) in cpu_map.iter().enumerate() {
        if m < 0 || m as usize > ncpu {
            return Err(inconsistent(
                path,
                format!(
                    "coarse cpu_map has {m} at cell {}, expected 0..={ncpu}",
                    c + 1
                ),
            ));
        }
        if m == 0 {
            continue;
        }
        let ijk = [c % nx[0], (c / nx[0]) % nx[1], c / (nx[0] * nx[1])];
        for d in 0..3 {
            lo[d] = lo[d].min(ijk[d]);
            hi[d] = hi[d].max(ijk[d] + 1);
        }
        active += 1;
    }
    let extent: [usize; 3] = std::array::from_fn(|d| hi[d].saturating_sub(lo[d]));
    if active == 0 || active != extent[0] * extent[1] * extent[2] {
        return Err(inconsistent(
            path,
            format!(
                "coarse cpu_map: {active} of the {}×{}×{} coarse cells are active (non-zero), expected one rectangular block of them (the physical box inside the boundary cells)",
                nx[0], nx[1], nx[2]
            ),
        ));
    }
    Ok((lo, extent))
}

/// The bits of an IEEE binary128 holding a non-negative integer, as an
/// exact u128 (Hilbert keys with `-DQUADHILBERT`).
pub(super) fn quad_to_u128(bits: u128) -> u128 {
    let exp = ((bits >> 112) & 0x7fff) as i32;
    if exp == 0 {
        return 0;
    }
    let mant = (bits & ((1u128 << 112) - 1)) | (1u128 << 112);
    let shift = exp - 16383 - 112;
    if shift >= 0 {
        mant.checked_shl(shift as u32).unwrap_or(u128::MAX)
    } else if shift > -128 {
        mant >> (-shift) as u32
    } else {
        0
    }
}
