//! Leaf cells of one CPU file set (`amr_`, and optionally `hydro_`,
//! `grav_` and RAMSES-RT's `rt_`), read from bytes in memory.
//!
//! The AMR file is walked level by level and domain by domain; only the
//! blocks of the file's own domain are decoded. Every block's length
//! follows from its oct count in the AMR header (`numbl`), so the ghost
//! blocks of other domains, and the records of a block that a request does
//! not need, are stepped over by computed jumps and never read: their
//! pages are not fetched from storage (bytes read follow the request, not
//! the file size). What is jumped over is checked: each file must end
//! exactly where the counts say, and every landing point's record marker
//! (and, in hydro, gravity and rt files, the `(ilevel, ncache)` pair of
//! each own block that is read) must match.
//!
//! A read has two phases: [`scan_cpu`] reads the amr file only (header,
//! own `xg` and `son` records) and keeps the selected cells' levels and
//! coordinates; [`read_cpu_into`] writes those and decodes the requested
//! variables from the other files. The functions here walk files held in
//! memory: the reference walk. [`Snapshot`](crate::Snapshot) reads files
//! by a few positioned reads of the needed ranges instead ([`fast`]; each
//! file opened once per read), and falls back to this walk on a map of
//! the file when those find something unexpected. The hydro,
//! gravity and rt files store each block cell-major: for each of the
//! 2^ndim cells, one record per variable. RAMSES-RT's `rt_` files have the
//! hydro files' header (`ncpu, nrtvar, ndim, nlevelmax, nboundary,
//! gamma`) and are read by the same code.
//!
//! 1D, 2D and 3D outputs are read (`ndim` from the amr header: octs of
//! 2^ndim cells, ndim `xg` records, 2·ndim `nbor` records). The coarse grid
//! may be `nx × ny × nz` with boundary regions: the physical box is the
//! block of coarse cells with a non-zero `cpu_map`, and positions are
//! shifted so that it starts at 0. Box units are coarse cells (one coarse
//! cell is the info file's `boxlen` in code units); a level-ℓ cell is
//! 2^-ℓ of a coarse cell along each of the ndim axes.

use crate::error::{Error, Result};
use crate::fortran::{RealWidth, Records};
use std::path::Path;

pub mod fast;

/// Records per non-empty AMR block: ind_grid, next, prev, ndim × xg,
/// father, 2·ndim × nbor, then 2^ndim each of son, cpu_map and flag1 (37
/// in 3D).
fn amr_block_records(ndim: usize) -> usize {
    3 + ndim + 1 + 2 * ndim + 3 * (1 << ndim)
}

/// Records of an AMR block that hold int32 values: ind_grid, next, prev,
/// father, 2·ndim nbor, then 2^ndim each of son, cpu_map and flag1.
fn amr_i32_records(ndim: usize) -> usize {
    3 + 1 + 2 * ndim + 3 * (1 << ndim)
}

/// One binary file: its path (for messages) and its contents.
#[derive(Clone, Copy)]
pub struct FileBytes<'a> {
    /// Where the bytes came from.
    pub path: &'a Path,
    /// The whole file.
    pub data: &'a [u8],
}

/// The files of one CPU (domain).
#[derive(Clone, Copy)]
pub struct CpuFiles<'a> {
    /// 1-based CPU (domain) number.
    pub icpu: usize,
    /// `amr_NNNNN.outCCCCC`.
    pub amr: FileBytes<'a>,
    /// `hydro_NNNNN.outCCCCC`, when hydro variables are wanted.
    pub hydro: Option<FileBytes<'a>>,
    /// `grav_NNNNN.outCCCCC`, when gravity variables are wanted.
    pub grav: Option<FileBytes<'a>>,
    /// `rt_NNNNN.outCCCCC` (RAMSES-RT), when rt variables are wanted.
    pub rt: Option<FileBytes<'a>>,
}

/// What to read.
#[derive(Clone, Debug, Default)]
pub struct CellRequest {
    /// Deepest level to descend to; cells of this level count as leaves.
    pub lmax: u32,
    /// Keep only cells whose centre lies in `[lo, hi)` per axis, in box
    /// units (`[0, 1]`); `None` keeps every leaf.
    pub region: Option<([f64; 3], [f64; 3])>,
    /// Indices (0-based, descriptor order) of the hydro variables to read.
    pub hydro_vars: Vec<usize>,
    /// Indices of the gravity variables to read.
    pub grav_vars: Vec<usize>,
    /// Indices of the RAMSES-RT variables to read (`rt_` files).
    pub rt_vars: Vec<usize>,
}

/// Leaf cells of one CPU, as columns. Cell `k` has level `level[k]` and
/// integer coordinates `(ix[k], iy[k], iz[k])` on the grid of that level,
/// so its centre is `((ix + ½)·dx, …)` with `dx = boxlen·2^-level`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CpuCells {
    /// Level of each cell.
    pub level: Vec<u8>,
    /// Integer x coordinate on the cell's level grid.
    pub ix: Vec<u32>,
    /// Integer y coordinate.
    pub iy: Vec<u32>,
    /// Integer z coordinate.
    pub iz: Vec<u32>,
    /// One column per requested hydro variable, in request order.
    pub hydro: Vec<Vec<f64>>,
    /// One column per requested gravity variable, in request order.
    pub grav: Vec<Vec<f64>>,
    /// One column per requested rt variable, in request order.
    pub rt: Vec<Vec<f64>>,
    /// `gamma` from the hydro header, when a hydro file was read.
    pub gamma: Option<f64>,
}

impl CpuCells {
    /// Number of leaf cells.
    pub fn len(&self) -> usize {
        self.level.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.level.is_empty()
    }
}

/// The parts of the AMR header the reader needs.
#[derive(Clone, Debug)]
pub struct AmrHeader {
    /// Number of CPUs.
    pub ncpu: usize,
    /// Dimensions: 1, 2 or 3.
    pub ndim: usize,
    /// Coarse grid size (boundary cells included).
    pub nx: [usize; 3],
    /// First coarse cell of the physical box per axis (0-based): the
    /// padding of boundary cells before it. 0 for axes ≥ ndim.
    pub coarse_lo: [usize; 3],
    /// Coarse cells of the physical box per axis (those with a non-zero
    /// coarse `cpu_map`); 1 for axes ≥ ndim. Box units span
    /// `[0, extent[d]]`.
    pub extent: [usize; 3],
    /// Levels the run allows.
    pub nlevelmax: usize,
    /// Boundary domains (simple boundaries).
    pub nboundary: usize,
    /// Box length, code units.
    pub boxlen: f64,
    /// Code time.
    pub time: f64,
    /// Octs per (domain, level) in this file: `numbl[ilevel-1][idom-1]`,
    /// boundary domains after the `ncpu` real ones.
    pub ncache: Vec<Vec<usize>>,
    /// Hilbert bound keys (`ndomain + 1` values) as integers, for orderings
    /// other than bisection. 16-byte keys (`-DQUADHILBERT`) are decoded
    /// exactly; 8-byte keys are exact up to 2^53.
    pub bound_keys: Option<Vec<u128>>,
    /// Bytes per real (`dp`: 8, or 4 with `NPRE=4`), from the `boxlen`
    /// record: the width of `xg` in the tree body.
    pub real_width: usize,
    /// Byte offset and record index where the tree body starts.
    pub body_at: (usize, usize),
    /// For bisection ordering: each CPU's domain box `(min, max)` in box
    /// units, from `bisec_cpubox_min`/`_max` (`ncpu × ndim` reals, CPU
    /// index fastest; RAMSES gives them in coarse-cell units, divided here
    /// by `nx`, `ny`, `nz`).
    pub bisection_boxes: Option<Vec<DomainBox>>,
}

/// Bytes of a record of `n` values of `size` bytes, markers included.
fn rec_len(n: usize, size: usize) -> usize {
    n * size + 8
}

/// One level's oct counts seen from one CPU file: the domains before the
/// file's own, its own, and those after; for the others, the sum of their
/// counts and how many are non-zero (a block's length is affine in its
/// count, with a constant for non-empty blocks), so every jump and the
/// file's expected length are a few multiplications.
#[derive(Clone, Copy, Debug, Default)]
struct LevelCounts {
    before: (usize, usize),
    own: usize,
    after: (usize, usize),
}

impl LevelCounts {
    fn of(row: &[usize], icpu: usize) -> LevelCounts {
        let sum = |r: &[usize]| {
            r.iter()
                .fold((0, 0), |(s, z), &n| (s + n, z + (n > 0) as usize))
        };
        LevelCounts {
            before: sum(&row[..icpu - 1]),
            own: row[icpu - 1],
            after: sum(&row[icpu..]),
        }
    }

    /// `(sum, nonzero)` over every domain of the level.
    fn total(&self) -> (usize, usize) {
        (
            self.before.0 + self.own + self.after.0,
            self.before.1 + (self.own > 0) as usize + self.after.1,
        )
    }
}

/// Bytes and records of the AMR blocks of `(sum, nonzero)` octs and blocks
/// in `ndim` dimensions.
fn amr_blocks((sum, nz): (usize, usize), w: usize, ndim: usize) -> (usize, usize) {
    (
        amr_i32_records(ndim) * (4 * sum + 8 * nz) + ndim * (w * sum + 8 * nz),
        amr_block_records(ndim) * nz,
    )
}

/// Bytes and records of the hydro or gravity blocks of `ndom` domains with
/// `(sum, nonzero)` octs and non-empty blocks: every domain has its
/// `(ilevel, ncache)` pair, non-empty ones `twotondim × nvar` records.
fn var_blocks(
    (sum, nz): (usize, usize),
    ndom: usize,
    nvar: usize,
    w: usize,
    twotondim: usize,
) -> (usize, usize) {
    (
        2 * ndom * rec_len(1, 4) + twotondim * nvar * (w * sum + 8 * nz),
        2 * ndom + twotondim * nvar * nz,
    )
}

/// Checks that a file ends where the AMR header's oct counts say its tree
/// body does: a corrupt count would otherwise send the computed jumps into
/// the wrong records.
fn check_file_len(path: &Path, what: &str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        return Ok(());
    }
    Err(inconsistent(
        path,
        format!(
            "{what} file is {len} bytes, but the amr file's oct counts (numbl) imply {expected}: file truncated, corrupt, or from another output"
        ),
    ))
}

/// A bisection domain box: `(min, max)` corners in box units.
pub type DomainBox = ([f64; 3], [f64; 3]);

fn inconsistent(path: &Path, problem: String) -> Error {
    Error::Inconsistent {
        path: path.to_path_buf(),
        problem,
    }
}

fn count(path: &Path, what: &str, v: i32) -> Result<usize> {
    usize::try_from(v).map_err(|_| inconsistent(path, format!("{what} is {v}, expected ≥ 0")))
}

/// The header records before the `headl` table (records 1 to 19).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AmrHead {
    pub(crate) ncpu: usize,
    pub(crate) ndim: usize,
    pub(crate) nx: [usize; 3],
    pub(crate) nlevelmax: usize,
    pub(crate) nboundary: usize,
    pub(crate) boxlen: f64,
    pub(crate) time: f64,
    pub(crate) real_width: usize,
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
    let AmrHead {
        ncpu,
        ndim,
        nx,
        nlevelmax,
        nboundary,
        boxlen,
        time,
        real_width,
    } = read_amr_head(r, path)?;
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
        let at = r.offset();
        let keys = r.next("bound_key")?;
        let n = ncpu + 1;
        let be = r.is_big_endian();
        let decoded: Vec<u128> = if keys.len() == 8 * n {
            keys.chunks_exact(8)
                .map(|c| {
                    let b: [u8; 8] = c.try_into().expect("8 bytes");
                    (if be {
                        f64::from_be_bytes(b)
                    } else {
                        f64::from_le_bytes(b)
                    }) as u128
                })
                .collect()
        } else if keys.len() == 16 * n {
            keys.chunks_exact(16)
                .map(|c| {
                    let b: [u8; 16] = c.try_into().expect("16 bytes");
                    quad_to_u128(if be {
                        u128::from_be_bytes(b)
                    } else {
                        u128::from_le_bytes(b)
                    })
                })
                .collect()
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
        Some(decoded)
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
        ncpu,
        ndim,
        nx,
        coarse_lo,
        extent,
        nlevelmax,
        nboundary,
        boxlen,
        time,
        ncache,
        bound_keys,
        real_width,
        body_at,
        bisection_boxes,
    })
}

/// The physical box of a coarse grid: the coarse cells with a non-zero
/// `cpu_map` (1-based index `1 + i + nx·j + nx·ny·k`) must form one
/// rectangular block, the rest being boundary cells. Returns its first cell
/// and its size per axis.
fn physical_box(
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
fn quad_to_u128(bits: u128) -> u128 {
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

/// One level of the file's own domain: which cells are selected (leaves
/// inside the region) and the integer origin of each oct holding one.
#[derive(Clone, Debug, Default)]
struct LevelScan {
    ncache: usize,
    /// Selected cells per cell index `ind` (over all octs).
    per_ind: [usize; 8],
    /// The octs whose cell `ind` is selected, in order, for each `ind`
    /// with some but not all of them selected (`sel_at[ind]` on; the
    /// others have no list: every oct, or none). Built once per level, so
    /// that each variable and the coordinates are gathered by index
    /// instead of each scanning every oct's selection bits again.
    sel: Vec<u32>,
    sel_at: [usize; 8],
    /// Integer origin of each oct along each axis (see [`oct_origin`]),
    /// one column per axis; meaningful for the octs with a selected cell.
    origin: [Vec<u32>; 3],
    count: usize,
}

impl LevelScan {
    /// The octs whose cell `ind` is selected, when some but not all are.
    #[inline]
    fn sel_of(&self, ind: usize) -> &[u32] {
        &self.sel[self.sel_at[ind]..self.sel_at[ind] + self.per_ind[ind]]
    }
}

/// What the scan keeps of the AMR header: what the variable files are
/// checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScanHeader {
    pub(crate) ncpu: usize,
    pub(crate) ndim: usize,
    pub(crate) nlevelmax: usize,
    pub(crate) nboundary: usize,
    /// Bytes per real of the amr file (`xg`).
    pub(crate) real_width: usize,
}

/// The first phase of a two-phase read of one CPU: the amr file's header
/// and the own domain's oct centres and `son` flags, decoded into the
/// selected leaf cells of each level and their integer coordinates. The
/// amr file is not needed again: [`read_cpu_into`] fills the coordinate
/// columns from the scan and decodes the requested variables from the
/// hydro, gravity and rt files, whose own blocks sit at offsets computed
/// from the per-level oct counts kept here, into slices the caller sized
/// with [`CpuScan::len`].
#[derive(Clone, Debug)]
pub struct CpuScan {
    /// 1-based CPU number.
    pub icpu: usize,
    header: ScanHeader,
    levels: Vec<LevelScan>,
    /// Per level (all `nlevelmax`), the oct counts around the own domain,
    /// shared by the amr, hydro, gravity and rt walks.
    counts: Vec<LevelCounts>,
}

impl CpuScan {
    /// Number of selected leaf cells: the length of every output column.
    pub fn len(&self) -> usize {
        self.levels.iter().map(|l| l.count).sum()
    }

    /// Whether no cell is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Selected cells per level (index 0 is level 1).
    pub fn per_level(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.count).collect()
    }
}

/// Output columns owned by the caller, each exactly [`CpuScan::len`] long.
pub struct CellSlices<'a> {
    /// Level of each cell.
    pub level: &'a mut [u8],
    /// Integer x coordinate on the cell's level grid.
    pub ix: &'a mut [u32],
    /// Integer y coordinate.
    pub iy: &'a mut [u32],
    /// Integer z coordinate.
    pub iz: &'a mut [u32],
    /// One slice per requested hydro variable, in request order.
    pub hydro: Vec<&'a mut [f64]>,
    /// One slice per requested gravity variable, in request order.
    pub grav: Vec<&'a mut [f64]>,
    /// One slice per requested rt variable, in request order.
    pub rt: Vec<&'a mut [f64]>,
}

/// The coarse geometry the cell walk needs: dimensions, the padding of
/// boundary cells to subtract from `xg`, and the physical box's size, all
/// in coarse cells.
#[derive(Clone, Copy, Debug)]
struct Grid {
    ndim: usize,
    shift: [f64; 3],
    extent: [f64; 3],
}

impl Grid {
    fn new(ndim: usize, coarse_lo: [usize; 3], extent: [usize; 3]) -> Grid {
        Grid {
            ndim,
            shift: coarse_lo.map(|v| v as f64),
            extent: extent.map(|v| v as f64),
        }
    }
}
/// Integer cell coordinates of the 2^ndim cells of an oct whose centre is
/// `xg` (coarse units, padding included) at `ilevel`, or an error if the
/// centre is off the grid or outside the physical box. Along the axes
/// beyond ndim the caller passes the level's cell size, which maps to 0
/// (shift 0, extent 1), so that all three axes take the same straight-line
/// code, unrolled, as in 3D.
fn oct_origin(
    xg: [f64; 3],
    ilevel: usize,
    g: &Grid,
    top: &[f64; 3],
    path: &Path,
) -> Result<[u32; 3]> {
    let scale = (1u64 << ilevel) as f64; // cells per coarse cell at this level
    let mut c = [0u32; 3];
    for d in 0..3 {
        let (o, good) = axis_origin(xg[d], g.shift[d], scale, top[d]);
        if !good {
            return Err(inconsistent(
                path,
                format!(
                    "level {ilevel} oct centre {} (axis {d}) is not on the level grid (expected an odd multiple of 2^-{ilevel} in ({}, {}))",
                    xg[d],
                    g.shift[d],
                    g.shift[d] + g.extent[d]
                ),
            ));
        }
        c[d] = o;
    }
    Ok(c)
}

/// One axis of [`oct_origin`]: the integer origin of the oct whose centre
/// is `x` (coarse units) at `scale` cells per coarse cell, and whether the
/// centre is on the level grid inside `(shift, shift + top / scale)`.
/// Without a branch, so that [`origin_axis`] runs it over a whole level.
#[inline(always)]
fn axis_origin(x: f64, shift: f64, scale: f64, top: f64) -> (u32, bool) {
    // Oct centres sit at odd multiples of the cell size.
    let u = (x - shift) * scale;
    // Round to nearest by adding and subtracting 1.5 × 2^52 (below 2^51 the
    // sum's ulp is 1, and its low mantissa bits are the integer):
    // `f64::round` is a libm call on baseline x86-64 and a saturating
    // `as u64` costs a dozen instructions. NaN, infinite, negative and huge
    // values fail the checks (written so that NaN fails).
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let t = u + ROUNDER;
    let odd = t - ROUNDER;
    let k = t.to_bits() & ((1 << 51) - 1);
    let good = ((u - odd).abs() <= 1e-6) & (odd >= 1.0) & (odd < top) & (k % 2 == 1);
    ((k.min(u32::MAX as u64) as u32).wrapping_sub(1), good)
}

/// Names of the `xg` records, per axis.
const XG: [&str; 3] = ["xg(:,1)", "xg(:,2)", "xg(:,3)"];

/// Offsets of cell `ind` within its oct.
fn cell_bits(ind: usize) -> [u32; 3] {
    [
        (ind & 1) as u32,
        ((ind >> 1) & 1) as u32,
        ((ind >> 2) & 1) as u32,
    ]
}

/// Bytes of the amr tree body that the oct counts imply.
fn amr_body_len(counts: &[LevelCounts], w: usize, ndim: usize) -> usize {
    counts
        .iter()
        .map(|c| amr_blocks(c.total(), w, ndim).0)
        .sum()
}

/// One record of reals as read (file byte order, 4 or 8 bytes each),
/// decoded value by value where used: the `xg` records, which the cell
/// walk reads once per selected oct, are not copied into vectors first.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawReals<'a> {
    rec: &'a [u8],
    width: crate::fortran::RealWidth,
    be: bool,
}

impl<'a> RawReals<'a> {
    pub(crate) fn new(rec: &'a [u8], width: crate::fortran::RealWidth, be: bool) -> Self {
        RawReals { rec, width, be }
    }

    /// Value `j` (which must be in the record), widened to f64.
    #[inline(always)]
    fn get(&self, j: usize) -> f64 {
        use crate::fortran::RealWidth;
        match (self.width, self.be) {
            (RealWidth::F64, false) => f64::from_le_bytes(self.bytes(j)),
            (RealWidth::F64, true) => f64::from_be_bytes(self.bytes(j)),
            (RealWidth::F32, false) => f32::from_le_bytes(self.bytes(j)) as f64,
            (RealWidth::F32, true) => f32::from_be_bytes(self.bytes(j)) as f64,
        }
    }

    #[inline(always)]
    pub(crate) fn bytes<const N: usize>(&self, j: usize) -> [u8; N] {
        self.rec[N * j..N * (j + 1)].try_into().expect("N bytes")
    }
}

/// The leaf flags of cell `ind` of every oct from its `son` record (raw
/// int32 in the file's byte order; 0: a leaf) into bit `ind` of `mask`,
/// every cell when `all` (the request's last level). A loop without
/// branches, for each byte order.
fn leaf_mask<const BE: bool>(mask: &mut [u8], son: &[u8], ind: usize, all: bool) {
    let (son, _) = son.as_chunks::<4>();
    for (m, &b) in mask.iter_mut().zip(son) {
        let sn = if BE {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        };
        *m |= ((all | (sn == 0)) as u8) << ind;
    }
}

/// Each byte value with its bit `i` moved to bit `8i`.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let mut i = 0;
        while i < 8 {
            t[m] |= (((m >> i) & 1) as u64) << (8 * i);
            i += 1;
        }
        m += 1;
    }
    t
};

/// How many octs have each bit of `mask` set: the 8 counts at once, each
/// bit spread to a byte of a u64 and the bytes summed (flushed before
/// they can overflow).
fn bit_counts(mask: &[u8]) -> [usize; 8] {
    let mut out = [0usize; 8];
    for chunk in mask.chunks(255) {
        let mut acc = 0u64;
        for &m in chunk {
            acc += SPREAD[m as usize];
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o += ((acc >> (8 * i)) & 0xff) as usize;
        }
    }
    out
}

/// The selected cells of one level of the own domain, from its oct centres
/// `xg` (ndim records of `n` reals) and `son` records (2^ndim records of
/// `n` int32, in the file's byte order `be`), with each selected oct's
/// integer origin.
#[allow(clippy::too_many_arguments)]
fn select_level(
    path: &Path,
    ilevel: usize,
    lmax: usize,
    xg: &[RawReals],
    son: &[&[u8]],
    be: bool,
    region: Option<&([f64; 3], [f64; 3])>,
    grid: &Grid,
) -> Result<LevelScan> {
    let ndim = grid.ndim;
    let twotondim = 1usize << ndim;
    let n = son.first().map_or(0, |s| s.len() / 4);
    let mut level = LevelScan {
        ncache: n,
        ..LevelScan::default()
    };
    // `mask[j]` bit `ind`: cell `ind` of oct `j` is selected.
    let mut mask = vec![0u8; n];
    let dx = 0.5f64.powi(ilevel as i32);
    let leaves_here = ilevel == lmax;
    for (ind, &rec) in son.iter().enumerate().take(twotondim) {
        let b = cell_bits(ind);
        match region {
            // No region: the leaves, in a loop without branches.
            None if be => leaf_mask::<true>(&mut mask, rec, ind, leaves_here),
            None => leaf_mask::<false>(&mut mask, rec, ind, leaves_here),
            Some((lo, hi)) => {
                for (j, c) in rec.as_chunks::<4>().0.iter().enumerate() {
                    let sn = if be {
                        i32::from_be_bytes(*c)
                    } else {
                        i32::from_le_bytes(*c)
                    };
                    if sn != 0 && !leaves_here {
                        continue;
                    }
                    // Axes beyond ndim: the cell spans the unit depth.
                    let inside = (0..ndim).all(|d| {
                        let c = xg[d].get(j) - grid.shift[d] + (b[d] as f64 - 0.5) * dx;
                        c >= lo[d] && c < hi[d]
                    });
                    if inside {
                        mask[j] |= 1 << ind;
                    }
                }
            }
        }
    }
    level.per_ind = bit_counts(&mask);
    level.count = level.per_ind.iter().sum();
    if level.count == 0 {
        return Ok(level);
    }
    // The index lists of the partly selected cell indices.
    let partial: usize = level.per_ind.iter().filter(|&&c| c < n).sum();
    level.sel = vec![0; partial];
    let mut at = 0;
    for ind in 0..twotondim {
        let here = level.per_ind[ind];
        level.sel_at[ind] = at;
        if here < n {
            let sel = &mut level.sel[at..at + here];
            compact(&mask, ind, here, |k, j| sel[k] = j as u32);
            at += here;
        }
    }
    // Each oct's integer origin once (not once per selected cell), axis by
    // axis in a loop without branches; only the octs with a selected cell
    // must be on the grid. Axes beyond ndim: origin 0 (what `oct_origin`
    // gives for the level's cell size there).
    let top = grid.extent.map(|e| e * (1u64 << ilevel) as f64);
    let scale = (1u64 << ilevel) as f64;
    let mut on_grid = true;
    for d in 0..3 {
        let mut col = vec![0u32; n];
        if d < ndim {
            let (shift, top) = (grid.shift[d], top[d]);
            on_grid &= match (xg[d].width, xg[d].be) {
                (RealWidth::F64, false) => {
                    origin_axis::<8>(xg[d].rec, f64_le, &mask, shift, scale, top, &mut col)
                }
                (RealWidth::F64, true) => {
                    origin_axis::<8>(xg[d].rec, f64_be, &mask, shift, scale, top, &mut col)
                }
                (RealWidth::F32, false) => {
                    origin_axis::<4>(xg[d].rec, f32_le, &mask, shift, scale, top, &mut col)
                }
                (RealWidth::F32, true) => {
                    origin_axis::<4>(xg[d].rec, f32_be, &mask, shift, scale, top, &mut col)
                }
            };
        }
        level.origin[d] = col;
    }
    if !on_grid {
        // Some selected oct is off the grid: the per-oct check names it.
        for (j, &m) in mask.iter().enumerate() {
            if m != 0 {
                let x = std::array::from_fn(|d| if d < ndim { xg[d].get(j) } else { dx });
                oct_origin(x, ilevel, grid, &top, path)?;
            }
        }
        // Not reached: both checks are `axis_origin`.
        return Err(inconsistent(
            path,
            format!("level {ilevel}: an oct centre is not on the level grid"),
        ));
    }
    Ok(level)
}

fn f64_le(b: [u8; 8]) -> f64 {
    f64::from_le_bytes(b)
}
fn f64_be(b: [u8; 8]) -> f64 {
    f64::from_be_bytes(b)
}
fn f32_le(b: [u8; 4]) -> f64 {
    f32::from_le_bytes(b) as f64
}
fn f32_be(b: [u8; 4]) -> f64 {
    f32::from_be_bytes(b) as f64
}

/// [`axis_origin`] for every oct of a level, into `out`: `false` when an
/// oct with a selected cell (`mask` not 0) is off the grid (the caller then
/// finds it with `oct_origin`, which names it).
#[inline(always)]
fn origin_axis<const N: usize>(
    rec: &[u8],
    get: fn([u8; N]) -> f64,
    mask: &[u8],
    shift: f64,
    scale: f64,
    top: f64,
    out: &mut [u32],
) -> bool {
    let mut ok = true;
    let (vals, _) = rec.as_chunks::<N>();
    for ((o, &b), &m) in out.iter_mut().zip(vals).zip(mask) {
        let (origin, good) = axis_origin(get(b), shift, scale, top);
        ok &= good | (m == 0);
        *o = origin;
    }
    ok
}

/// Phase one: scans the amr file of one CPU for `req` (its `lmax` and
/// `region`; the variable lists are not needed yet, nor the other files).
pub fn scan_cpu(files: &CpuFiles, req: &CellRequest) -> Result<CpuScan> {
    scan_amr_bytes(files.amr.path, files.amr.data, files.icpu, req)
}

/// [`scan_cpu`] of the amr file `data` of CPU `icpu`: the reference walk
/// over the whole file in memory.
pub(crate) fn scan_amr_bytes(
    path: &Path,
    data: &[u8],
    icpu: usize,
    req: &CellRequest,
) -> Result<CpuScan> {
    let mut r = Records::new(path, data)?;
    let h = read_amr_header(&mut r, path)?;
    if icpu == 0 || icpu > h.ncpu {
        return Err(inconsistent(
            path,
            format!("CPU number {icpu} outside 1..={}", h.ncpu),
        ));
    }
    let lmax = (req.lmax as usize).min(h.nlevelmax);
    let w = h.real_width;
    let grid = Grid::new(h.ndim, h.coarse_lo, h.extent);
    let ndim = h.ndim;
    let twotondim = 1usize << ndim;
    let counts: Vec<LevelCounts> = h
        .ncache
        .iter()
        .map(|row| LevelCounts::of(row, icpu))
        .collect();
    // The file must end where the oct counts say: this validates every
    // jump below (which step over blocks without reading them) at the cost
    // of arithmetic.
    check_file_len(
        path,
        "amr",
        data.len(),
        h.body_at.0 + amr_body_len(&counts, w, ndim),
    )?;
    let mut levels: Vec<LevelScan> = Vec::with_capacity(lmax);
    for (l, c) in counts.iter().take(lmax).enumerate() {
        let ilevel = l + 1;
        let mut level = LevelScan::default();
        // Ghost octs of the domains before ours: stepped over by their
        // computed length, none of it read.
        let (bytes, records) = amr_blocks(c.before, w, ndim);
        r.jump("ghost oct blocks", bytes, records)?;
        let n = c.own;
        if n > 0 {
            r.jump("ind_grid, next, prev", 3 * rec_len(n, 4), 3)?;
            // Landing check: the first `xg` record must be where the counts
            // put it (then `reals` checks its trailing marker).
            r.expect_len("xg(:,1)", n * w)?;
            let be = r.is_big_endian();
            let xg: Vec<RawReals> = (0..ndim)
                .map(|d| {
                    r.real_record(XG[d], n)
                        .map(|(x, w)| RawReals::new(x, w, be))
                })
                .collect::<Result<_>>()?;
            r.jump("father, nbor", (1 + 2 * ndim) * rec_len(n, 4), 1 + 2 * ndim)?;
            let son: Vec<&[u8]> = (0..twotondim)
                .map(|_| r.i32_record("son", Some(n)))
                .collect::<Result<_>>()?;
            level = select_level(
                path,
                ilevel,
                lmax,
                &xg,
                &son,
                be,
                req.region.as_ref(),
                &grid,
            )?;
            r.jump(
                "cpu_map, flag1",
                2 * twotondim * rec_len(n, 4),
                2 * twotondim,
            )?;
        }
        let (bytes, records) = amr_blocks(c.after, w, ndim);
        r.jump("ghost oct blocks", bytes, records)?;
        levels.push(level);
    }
    Ok(CpuScan {
        icpu,
        header: ScanHeader {
            ncpu: h.ncpu,
            ndim,
            nlevelmax: h.nlevelmax,
            nboundary: h.nboundary,
            real_width: w,
        },
        levels,
        counts,
    })
}

/// The per-CPU files that hold cell variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VarKind {
    /// `hydro_`: header `ncpu, nvar, ndim, nlevelmax, nboundary, gamma`.
    Hydro,
    /// `grav_`: header `ncpu, nvar, nlevelmax, nboundary`.
    Grav,
    /// RAMSES-RT's `rt_`: the hydro header (`nrtvar` for `nvar`).
    Rt,
}

impl VarKind {
    /// The component, as messages name it.
    pub(crate) fn what(self) -> &'static str {
        match self {
            VarKind::Hydro => "hydro",
            VarKind::Grav => "gravity",
            VarKind::Rt => "rt",
        }
    }

    /// The file name's prefix.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            VarKind::Hydro => "hydro",
            VarKind::Grav => "grav",
            VarKind::Rt => "rt",
        }
    }
}

/// Reads the integer header of a hydro file (`ncpu, nvar, ndim, nlevelmax,
/// nboundary`; `with_ndim`) or a grav file (no `ndim`), checks it against
/// the AMR header and returns `nvar`. Leaves `r` after `nboundary`.
fn read_var_header(r: &mut Records, path: &Path, h: &ScanHeader, with_ndim: bool) -> Result<usize> {
    let ncpu = count(path, "ncpu", r.i32("ncpu")?)?;
    let nvar = count(path, "nvar", r.i32("nvar")?)?;
    let ndim = if with_ndim {
        count(path, "ndim", r.i32("ndim")?)?
    } else {
        h.ndim
    };
    let nlevelmax = count(path, "nlevelmax", r.i32("nlevelmax")?)?;
    let nboundary = count(path, "nboundary", r.i32("nboundary")?)?;
    if (ncpu, ndim, nlevelmax, nboundary) != (h.ncpu, h.ndim, h.nlevelmax, h.nboundary) {
        return Err(inconsistent(
            path,
            format!(
                "header (ncpu, ndim, nlevelmax, nboundary) = ({ncpu}, {ndim}, {nlevelmax}, {nboundary}), but the amr file has ({}, {}, {}, {})",
                h.ncpu, h.ndim, h.nlevelmax, h.nboundary
            ),
        ));
    }
    Ok(nvar)
}

/// The header of a hydro, gravity or rt file, checked against the amr
/// file's: `nvar`, the width of the reals, and (hydro) `gamma`. Hydro and
/// rt files give the width by their `gamma` record; gravity files have no
/// real in the header and store `dp` values, as the amr file.
fn read_var_head(
    r: &mut Records,
    path: &Path,
    h: &ScanHeader,
    kind: VarKind,
) -> Result<(usize, usize, Option<f64>)> {
    let nvar = read_var_header(r, path, h, kind != VarKind::Grav)?;
    if kind == VarKind::Grav {
        return Ok((nvar, h.real_width, None));
    }
    let mut gamma = 0.0;
    let w = r.reals_with("gamma", 1, |_, x| gamma = x)?.bytes();
    Ok((nvar, w, (kind == VarKind::Hydro).then_some(gamma)))
}

/// Bytes of the body of a hydro, gravity or rt file that the oct counts
/// imply.
fn var_body_len(scan: &CpuScan, nvar: usize, w: usize) -> usize {
    let h = &scan.header;
    let ndom = h.ncpu + h.nboundary;
    scan.counts
        .iter()
        .map(|c| var_blocks(c.total(), ndom, nvar, w, 1 << h.ndim).0)
        .sum()
}

/// Where the own-domain blocks of a hydro or gravity file are.
struct VarScan {
    nvar: usize,
    /// Bytes per value (8, or 4 with `NPRE=4`).
    width: usize,
    /// Per level: byte offset and record index of the block's first
    /// variable record, when cells of the level are read.
    blocks: Vec<Option<(usize, usize)>>,
}

/// Locates the own domain's blocks of a hydro or gravity file from the AMR
/// header's oct counts, without reading the other domains' blocks: every
/// block's length follows from its `ncache`, so the offsets are sums. What
/// is skipped is checked: the file must end where the counts say, and at
/// each own block that is read the `(ilevel, ncache)` pair and the first
/// variable record's marker must match.
fn scan_vars(
    r: &mut Records,
    path: &Path,
    file_len: usize,
    scan: &CpuScan,
    nvar: usize,
    w: usize,
    what: &str,
) -> Result<VarScan> {
    let h = &scan.header;
    let ndom = h.ncpu + h.nboundary;
    let twotondim = 1usize << h.ndim;
    let icpu = scan.icpu;
    check_file_len(
        path,
        what,
        file_len,
        r.offset() + var_body_len(scan, nvar, w),
    )?;
    let mut blocks = Vec::with_capacity(scan.levels.len());
    for (l, (level, c)) in scan.levels.iter().zip(&scan.counts).enumerate() {
        let ilevel = l + 1;
        if level.count == 0 {
            // No cell of this level is read: the whole level is stepped
            // over (the file's length checks its size).
            let (bytes, records) = var_blocks(c.total(), ndom, nvar, w, twotondim);
            r.jump(&format!("{what} blocks of level {ilevel}"), bytes, records)?;
            blocks.push(None);
            continue;
        }
        let (bytes, records) = var_blocks(c.before, icpu - 1, nvar, w, twotondim);
        r.jump(
            &format!("{what} blocks of domains before {icpu}"),
            bytes,
            records,
        )?;
        let n = c.own;
        let lev = r.i32("ilevel")?;
        if lev as usize != ilevel {
            return Err(inconsistent(
                path,
                format!("{what} block for domain {icpu} says level {lev}, expected {ilevel}"),
            ));
        }
        let got = count(path, "ncache", r.i32("ncache")?)?;
        if got != n {
            return Err(inconsistent(
                path,
                format!("{what} level {ilevel} domain {icpu} has {got} octs, the amr file has {n}"),
            ));
        }
        debug_assert_eq!(n, level.ncache);
        r.expect_len("cell variable", n * w)?;
        blocks.push(Some((r.offset(), r.next_index())));
        r.jump(
            "cell variables",
            twotondim * nvar * rec_len(n, w),
            twotondim * nvar,
        )?;
        let (bytes, records) = var_blocks(c.after, ndom - icpu, nvar, w, twotondim);
        r.jump(
            &format!("{what} blocks of domains after {icpu}"),
            bytes,
            records,
        )?;
    }
    Ok(VarScan {
        nvar,
        width: w,
        blocks,
    })
}

/// Decodes the requested variables `wanted` (file indices) of one CPU's
/// hydro, gravity or rt file `data` into `cols` (one per wanted variable,
/// [`CpuScan::len`] values each): the reference walk over the whole file
/// in memory. Returns `gamma` for a hydro file.
pub(crate) fn read_var_bytes(
    path: &Path,
    data: &[u8],
    scan: &CpuScan,
    kind: VarKind,
    wanted: &[usize],
    cols: &mut [&mut [f64]],
) -> Result<Option<f64>> {
    let mut r = Records::new(path, data)?;
    let (nvar, w, gamma) = read_var_head(&mut r, path, &scan.header, kind)?;
    let vs = scan_vars(&mut r, path, data.len(), scan, nvar, w, kind.what())?;
    read_vars(data, path, scan, &vs, wanted, cols, kind.what())?;
    Ok(gamma)
}

/// Checks that the caller's slices match the scan and the request.
pub(crate) fn check_slices(
    path: &Path,
    scan: &CpuScan,
    req: &CellRequest,
    out: &CellSlices,
) -> Result<()> {
    let n = scan.len();
    let CellSlices {
        level,
        ix,
        iy,
        iz,
        hydro,
        grav,
        rt,
    } = out;
    if level.len() != n
        || ix.len() != n
        || iy.len() != n
        || iz.len() != n
        || hydro.len() != req.hydro_vars.len()
        || grav.len() != req.grav_vars.len()
        || rt.len() != req.rt_vars.len()
        || hydro
            .iter()
            .chain(grav.iter())
            .chain(rt.iter())
            .any(|s| s.len() != n)
    {
        return Err(inconsistent(
            path,
            format!("output slices do not match the scan ({n} cells, {} hydro, {} gravity and {} rt columns requested)", req.hydro_vars.len(), req.grav_vars.len(), req.rt_vars.len()),
        ));
    }
    Ok(())
}

/// Writes the level and integer coordinates of the scan's selected cells,
/// in table order (level, then cell index within the oct, then oct).
pub(crate) fn fill_cells(
    scan: &CpuScan,
    level: &mut [u8],
    ix: &mut [u32],
    iy: &mut [u32],
    iz: &mut [u32],
) {
    let twotondim = 1usize << scan.header.ndim;
    let mut k = 0;
    for (l, lev) in scan.levels.iter().enumerate() {
        if lev.count == 0 {
            continue;
        }
        let ilevel = (l + 1) as u8;
        let n = lev.ncache;
        for ind in 0..twotondim {
            let b = cell_bits(ind);
            let here = lev.per_ind[ind];
            if here == 0 {
                continue;
            }
            level[k..k + here].fill(ilevel);
            for (d, col) in [&mut *ix, &mut *iy, &mut *iz].into_iter().enumerate() {
                let (col, origin) = (&mut col[k..k + here], &lev.origin[d]);
                if here == n {
                    // Every cell selected: a straight loop over the octs.
                    for (x, o) in col.iter_mut().zip(origin) {
                        *x = o + b[d];
                    }
                } else {
                    for (x, &j) in col.iter_mut().zip(lev.sel_of(ind)) {
                        *x = origin[j as usize] + b[d];
                    }
                }
            }
            k += here;
        }
    }
}

/// Phase two: writes the selected cells of one CPU into `out`, whose
/// slices must all be `scan.len()` long (and one per requested variable):
/// their levels and coordinates from the scan, their variables from the
/// hydro, gravity and rt files of `files` (the amr file is not read
/// again). Returns `gamma` from the hydro header when hydro variables
/// were read.
pub fn read_cpu_into(
    files: &CpuFiles,
    scan: &CpuScan,
    req: &CellRequest,
    out: CellSlices,
) -> Result<Option<f64>> {
    fill_cpu_slices(files.amr.path, scan, req, out, |kind, wanted, cols| {
        let file = match kind {
            VarKind::Hydro => files.hydro,
            VarKind::Grav => files.grav,
            VarKind::Rt => files.rt,
        };
        let Some(f) = file else {
            return Err(inconsistent(
                files.amr.path,
                format!(
                    "{} variables requested, but no {} file was given",
                    kind.what(),
                    kind.prefix()
                ),
            ));
        };
        read_var_bytes(f.path, f.data, scan, kind, wanted, cols)
    })
}

/// Phase two's common part (for [`read_cpu_into`] and
/// `Snapshot::read_cpu_into`): checks the slices against the scan, writes
/// the cells' levels and coordinates, and calls `read_kind` for each kind of
/// variable the request names, returning `gamma` from the first file that
/// gives one (the hydro header).
pub(crate) fn fill_cpu_slices(
    amr_path: &Path,
    scan: &CpuScan,
    req: &CellRequest,
    out: CellSlices,
    mut read_kind: impl FnMut(VarKind, &[usize], &mut [&mut [f64]]) -> Result<Option<f64>>,
) -> Result<Option<f64>> {
    check_slices(amr_path, scan, req, &out)?;
    let CellSlices {
        level,
        ix,
        iy,
        iz,
        mut hydro,
        mut grav,
        mut rt,
    } = out;
    fill_cells(scan, level, ix, iy, iz);
    let mut gamma = None;
    for (kind, wanted, cols) in [
        (VarKind::Hydro, &req.hydro_vars, &mut hydro),
        (VarKind::Grav, &req.grav_vars, &mut grav),
        (VarKind::Rt, &req.rt_vars, &mut rt),
    ] {
        if !wanted.is_empty() {
            gamma = gamma.or(read_kind(kind, wanted, cols)?);
        }
    }
    Ok(gamma)
}

/// Checks the requested variable indices against `nvar` and returns each
/// file variable's position in the request (`usize::MAX`: not requested).
fn request_slots(path: &Path, wanted: &[usize], nvar: usize, what: &str) -> Result<Vec<usize>> {
    if let Some(&bad) = wanted.iter().find(|&&v| v >= nvar) {
        return Err(inconsistent(
            path,
            format!(
                "{what} variable {} requested, but the file holds {nvar}",
                bad + 1,
            ),
        ));
    }
    let mut slot = vec![usize::MAX; nvar];
    for (c, &v) in wanted.iter().enumerate() {
        slot[v] = c;
    }
    Ok(slot)
}

fn read_vars(
    data: &[u8],
    path: &Path,
    scan: &CpuScan,
    vs: &VarScan,
    wanted: &[usize],
    cols: &mut [&mut [f64]],
    what: &str,
) -> Result<()> {
    let slot = request_slots(path, wanted, vs.nvar, what)?;
    let mut r = Records::new(path, data)?;
    let mut k = 0;
    for (lev, at) in scan.levels.iter().zip(&vs.blocks) {
        if lev.count == 0 {
            continue;
        }
        let Some((offset, index)) = *at else {
            return Err(inconsistent(
                path,
                format!("{what} file has no block for the octs of the amr file"),
            ));
        };
        // A positioned read: jump to the own block, then walk its 8 × nvar
        // records in file order (cell-major, then variable).
        r.seek(offset, index);
        let n = lev.ncache;
        for ind in 0..1usize << scan.header.ndim {
            let here = lev.per_ind[ind];
            for &c in &slot {
                if c == usize::MAX || here == 0 {
                    // Not requested, or no cell of this record selected:
                    // stepped over unread.
                    r.jump("cell variable", rec_len(n, vs.width), 1)?;
                    continue;
                }
                decode_record(&mut r, lev, ind, &mut cols[c][k..k + here])?;
            }
            k += here;
        }
    }
    Ok(())
}

/// Decodes the next record (one variable of cell `ind` of every oct of
/// `lev`) into `dst`, keeping the selected cells: the whole record as a
/// slice when every cell is selected. Returns the width of its reals.
fn decode_record(
    r: &mut Records,
    lev: &LevelScan,
    ind: usize,
    dst: &mut [f64],
) -> Result<crate::fortran::RealWidth> {
    let n = lev.ncache;
    if dst.len() == n {
        // Every cell selected (leaves of a fully refined level, no
        // region): decode the record as a slice.
        return r.reals_into("cell variable", dst);
    }
    let (rec, width) = r.real_record("cell variable", n)?;
    let sel = lev.sel_of(ind);
    debug_assert_eq!(sel.len(), dst.len());
    // A loop per byte order and width, so that the decode is inlined.
    use crate::fortran::RealWidth::{F32, F64};
    match (width, r.is_big_endian()) {
        (F64, false) => gather::<8>(rec, f64_le, sel, dst),
        (F64, true) => gather::<8>(rec, f64_be, sel, dst),
        (F32, false) => gather::<4>(rec, f32_le, sel, dst),
        (F32, true) => gather::<4>(rec, f32_be, sel, dst),
    }
    Ok(width)
}

/// `dst[k] = value sel[k] of rec` (reals of `N` bytes decoded by `get`).
#[inline(always)]
fn gather<const N: usize>(rec: &[u8], get: fn([u8; N]) -> f64, sel: &[u32], dst: &mut [f64]) {
    let (vals, _) = rec.as_chunks::<N>();
    for (d, &j) in dst.iter_mut().zip(sel) {
        *d = get(vals[j as usize]);
    }
}

/// Calls `put(k, j)` for the octs `j` whose cell `ind` is selected (bit
/// `ind` of `mask[j]`), `k` counting them from 0, for a destination of
/// `len` values (the number selected). Without a branch per oct: every
/// oct is put at the next free place (an unselected one is overwritten by
/// the next put), clamped to the last place, which is put again at the
/// end from the last selected oct.
#[inline(always)]
fn compact(mask: &[u8], ind: usize, len: usize, mut put: impl FnMut(usize, usize)) {
    let Some(last) = len.checked_sub(1) else {
        return;
    };
    let mut k = 0;
    for (j, &m) in mask.iter().enumerate() {
        put(k.min(last), j);
        k += ((m >> ind) & 1) as usize;
    }
    if let Some(j) = mask.iter().rposition(|&m| (m >> ind) & 1 != 0) {
        put(last, j);
    }
}

/// Reads the selected leaf cells of one CPU into fresh columns: a
/// [`scan_cpu`] followed by [`read_cpu_into`].
pub fn read_cpu_cells(files: &CpuFiles, req: &CellRequest) -> Result<CpuCells> {
    let scan = scan_cpu(files, req)?;
    let mut out = CpuCells::for_scan(&scan, req);
    out.gamma = read_cpu_into(files, &scan, req, out.slices())?;
    Ok(out)
}

impl CpuCells {
    /// Zeroed columns for the cells of `scan` and the variables of `req`.
    pub(crate) fn for_scan(scan: &CpuScan, req: &CellRequest) -> CpuCells {
        let n = scan.len();
        CpuCells {
            level: vec![0; n],
            ix: vec![0; n],
            iy: vec![0; n],
            iz: vec![0; n],
            // One zeroed allocation per column (a `vec![column; k]` clone
            // would copy the first column into the others page by page).
            hydro: (0..req.hydro_vars.len()).map(|_| vec![0.0; n]).collect(),
            grav: (0..req.grav_vars.len()).map(|_| vec![0.0; n]).collect(),
            rt: (0..req.rt_vars.len()).map(|_| vec![0.0; n]).collect(),
            gamma: None,
        }
    }

    /// The columns as the slices [`read_cpu_into`] writes.
    pub(crate) fn slices(&mut self) -> CellSlices<'_> {
        CellSlices {
            level: &mut self.level,
            ix: &mut self.ix,
            iy: &mut self.iy,
            iz: &mut self.iz,
            hydro: self.hydro.iter_mut().map(|c| c.as_mut_slice()).collect(),
            grav: self.grav.iter_mut().map(|c| c.as_mut_slice()).collect(),
            rt: self.rt.iter_mut().map(|c| c.as_mut_slice()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) for the masks below.
    fn masks(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// `select_level` on a level of `n` octs of a 3D unit grid at level 4
    /// (centres at odd multiples of 1/16), `son` from `masks`: its index
    /// lists, origins and the cells `fill_cells` writes agree with the
    /// per-oct `oct_origin` and the selection bits, for both byte orders
    /// and widths; an off-grid centre of an oct with a selected cell is
    /// named, one of an oct with none is not looked at.
    #[test]
    fn select_level_agrees_with_the_per_oct_checks() {
        let (ilevel, n) = (4usize, 300usize);
        let g = Grid::new(3, [0; 3], [1; 3]);
        let top = [16.0; 3];
        let p = Path::new("amr_00001.out00001");
        let leaf = masks(7, n);
        let centre = |j: usize, d: usize| (2 * ((j * (d + 3) + d) % 8) + 1) as f64 / 16.0;
        for (width, be) in [
            (RealWidth::F64, false),
            (RealWidth::F64, true),
            (RealWidth::F32, false),
            (RealWidth::F32, true),
        ] {
            let enc = |x: f64| -> Vec<u8> {
                match (width, be) {
                    (RealWidth::F64, false) => x.to_le_bytes().to_vec(),
                    (RealWidth::F64, true) => x.to_be_bytes().to_vec(),
                    (RealWidth::F32, false) => (x as f32).to_le_bytes().to_vec(),
                    (RealWidth::F32, true) => (x as f32).to_be_bytes().to_vec(),
                }
            };
            let mut xg: Vec<Vec<u8>> = (0..3)
                .map(|d| (0..n).flat_map(|j| enc(centre(j, d))).collect())
                .collect();
            // son: 0 (a leaf) where the bit of `leaf` is set; oct 5 fully
            // refined (no selected cell).
            let son: Vec<Vec<u8>> = (0..8)
                .map(|ind| {
                    (0..n)
                        .flat_map(|j| {
                            let v: i32 = if j != 5 && leaf[j] >> ind & 1 == 1 {
                                0
                            } else {
                                7
                            };
                            if be {
                                v.to_be_bytes()
                            } else {
                                v.to_le_bytes()
                            }
                        })
                        .collect()
                })
                .collect();
            let run = |xg: &[Vec<u8>]| {
                let raw: Vec<RawReals> = xg.iter().map(|x| RawReals::new(x, width, be)).collect();
                let son: Vec<&[u8]> = son.iter().map(|s| s.as_slice()).collect();
                select_level(p, ilevel, 8, &raw, &son, be, None, &g)
            };
            let lev = run(&xg).unwrap();
            for ind in 0..8 {
                let want: Vec<u32> = (0..n as u32)
                    .filter(|&j| j != 5 && leaf[j as usize] >> ind & 1 == 1)
                    .collect();
                assert_eq!(lev.per_ind[ind], want.len());
                assert_eq!(lev.sel_of(ind), &want[..], "{width:?} be={be} ind={ind}");
            }
            for j in (0..n).filter(|&j| j != 5 && leaf[j] != 0) {
                let x = std::array::from_fn(|d| centre(j, d));
                let o = oct_origin(x, ilevel, &g, &top, p).unwrap();
                assert_eq!(o, std::array::from_fn(|d| lev.origin[d][j]), "oct {j}");
            }
            // The table `fill_cells` writes: cell by cell as the lists say.
            let scan = CpuScan {
                icpu: 1,
                header: ScanHeader {
                    ncpu: 1,
                    ndim: 3,
                    nlevelmax: 8,
                    nboundary: 0,
                    real_width: width.bytes(),
                },
                levels: [vec![LevelScan::default(); 3], vec![lev.clone()]].concat(),
                counts: Vec::new(),
            };
            let m = lev.count;
            let (mut lv, mut ix, mut iy, mut iz) = (vec![0; m], vec![0; m], vec![0; m], vec![0; m]);
            fill_cells(&scan, &mut lv, &mut ix, &mut iy, &mut iz);
            let mut k = 0;
            for ind in 0..8 {
                let b = cell_bits(ind);
                for &j in lev.sel_of(ind) {
                    let j = j as usize;
                    assert_eq!(lv[k], 4);
                    assert_eq!(
                        [ix[k], iy[k], iz[k]],
                        std::array::from_fn(|d| lev.origin[d][j] + b[d])
                    );
                    k += 1;
                }
            }
            assert_eq!(k, m);
            // Off the grid: oct 5 (nothing selected) is not checked, an
            // oct with a selected cell is named.
            let w = width.bytes();
            xg[1][5 * w..6 * w].copy_from_slice(&enc(2.0 / 16.0));
            assert!(run(&xg).is_ok());
            let j = (0..n).find(|&j| j != 5 && leaf[j] != 0).unwrap();
            xg[1][j * w..(j + 1) * w].copy_from_slice(&enc(2.0 / 16.0));
            let err = run(&xg).unwrap_err().to_string();
            assert!(
                err.contains("level 4 oct centre 0.125 (axis 1) is not on the level grid"),
                "{err}"
            );
        }
    }

    #[test]
    fn compact_keeps_the_selected_in_order() {
        for (seed, n) in [(1, 0), (2, 1), (3, 7), (4, 255), (5, 256), (6, 1000)] {
            let mut mask = masks(seed, n);
            if n > 3 {
                // Runs of all-selected and none-selected at the ends.
                mask[0] = 0xff;
                mask[n - 1] = 0;
                mask[n - 2] = 0;
            }
            let counts = bit_counts(&mask);
            for (ind, &count) in counts.iter().enumerate() {
                let want: Vec<usize> = (0..n).filter(|&j| mask[j] >> ind & 1 == 1).collect();
                assert_eq!(count, want.len(), "bit_counts n={n} ind={ind}");
                let mut got = vec![usize::MAX; want.len()];
                compact(&mask, ind, want.len(), |k, j| got[k] = j);
                assert_eq!(got, want, "compact n={n} ind={ind}");
            }
        }
    }

    #[test]
    fn oct_origin_rounds_and_rejects_off_grid_centres() {
        let g = Grid::new(3, [0; 3], [1; 3]);
        let ilevel = 3; // 8 cells per axis; oct centres at odd multiples of 1/8
        let top = [8.0; 3];
        let p = Path::new("amr_00001.out00001");
        let ok = |x: [f64; 3]| oct_origin(x, ilevel, &g, &top, p);
        assert_eq!(ok([1.0 / 8.0, 3.0 / 8.0, 7.0 / 8.0]).unwrap(), [0, 2, 6]);
        // Within 1e-6 cell of the grid point: rounded.
        let e = 1e-7 / 8.0;
        assert_eq!(
            ok([1.0 / 8.0 + e, 3.0 / 8.0 - e, 5.0 / 8.0]).unwrap(),
            [0, 2, 4]
        );
        for bad in [
            2.0 / 8.0,        // an even multiple
            1.0 / 8.0 + 1e-4, // off the grid
            -1.0 / 8.0,       // outside the box
            9.0 / 8.0,        // beyond it
            f64::NAN,
            f64::INFINITY,
            1e300,
        ] {
            let x = [bad, 1.0 / 8.0, 1.0 / 8.0];
            let err = ok(x).expect_err(&format!("{x:?}")).to_string();
            assert!(err.contains("not on the level grid"), "{err}");
        }
    }
}
