//! Leaf cells of one CPU file set (`amr_`, and optionally `hydro_` and
//! `grav_`), read from bytes in memory.
//!
//! The AMR file is walked level by level and domain by domain; only the
//! blocks of the file's own domain are decoded, ghost blocks of other
//! domains are skipped record by record. The hydro and gravity files follow
//! the same loop (their `(ilevel, ncache)` pairs are checked against the AMR
//! file's counts) and store each block cell-major: for each of the 8 cells,
//! one record per variable.

use crate::error::{Error, Result};
use crate::fortran::Records;
use std::path::Path;

/// Records per non-empty AMR block in 3D: ind_grid, next, prev, 3 × xg,
/// father, 6 × nbor, 8 × son, 8 × cpu_map, 8 × flag1.
const AMR_BLOCK_RECORDS: usize = 37;
const TWOTONDIM: usize = 8;

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
    /// Dimensions (3 is supported).
    pub ndim: usize,
    /// Coarse grid size.
    pub nx: [usize; 3],
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
    /// For bisection ordering: each CPU's domain box `(min, max)` in box
    /// units, from `bisec_cpubox_min`/`_max` (`ncpu × ndim` reals, CPU
    /// index fastest; RAMSES gives them in coarse-cell units, divided here
    /// by `nx`, `ny`, `nz`).
    pub bisection_boxes: Option<Vec<DomainBox>>,
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

/// Reads the AMR header, leaving `r` at the first body record.
pub fn read_amr_header(r: &mut Records, path: &Path) -> Result<AmrHeader> {
    let ncpu = count(path, "ncpu", r.i32("ncpu")?)?;
    let ndim = count(path, "ndim", r.i32("ndim")?)?;
    if ndim != 3 {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            problem: format!("ndim = {ndim}; amrkit reads 3D outputs only"),
        });
    }
    let nxyz = r.i32s("nx, ny, nz", Some(3))?;
    let nx = [
        count(path, "nx", nxyz[0])?,
        count(path, "ny", nxyz[1])?,
        count(path, "nz", nxyz[2])?,
    ];
    if nx != [1, 1, 1] {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            problem: format!("coarse grid {nx:?}; amrkit reads runs with nx = ny = nz = 1 only"),
        });
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
    let boxlen = r.reals("boxlen", 1)?[0];
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
    let mut bisection_boxes = None;
    let bound_keys = if ordering == "bisection" {
        for what in ["bisec_wall", "bisec_next", "bisec_indx"] {
            r.skip(what)?;
        }
        let lo = r.reals("bisec_cpubox_min", ncpu * ndim)?;
        let hi = r.reals("bisec_cpubox_max", ncpu * ndim)?;
        let boxes = (0..ncpu)
            .map(|c| {
                let at = |v: &[f64], d: usize| v[c + ncpu * d] / nx[d] as f64;
                (
                    std::array::from_fn(|d| at(&lo, d)),
                    std::array::from_fn(|d| at(&hi, d)),
                )
            })
            .collect();
        bisection_boxes = Some(boxes);
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
    r.skip("coarse son")?;
    r.skip("coarse flag1")?;
    r.skip("coarse cpu_map")?;
    let ndom = ncpu + nboundary;
    let mut ncache = vec![vec![0usize; ndom]; nlevelmax];
    for (l, row) in ncache.iter_mut().enumerate() {
        for (d, slot) in row.iter_mut().enumerate() {
            let v = if d < ncpu {
                numbl[l * ncpu + d]
            } else {
                numbb[l * nboundary + (d - ncpu)]
            };
            *slot = count(path, "numbl", v)?;
        }
    }
    Ok(AmrHeader {
        ncpu,
        ndim,
        nx,
        nlevelmax,
        nboundary,
        boxlen,
        time,
        ncache,
        bound_keys,
        bisection_boxes,
    })
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

/// One level of the file's own domain: where its `xg` records start and
/// which cells are selected (leaves inside the region).
#[derive(Clone, Debug, Default)]
struct LevelScan {
    ncache: usize,
    /// Byte offset and record index of the `xg(:,1)` record.
    xg_at: (usize, usize),
    /// `selected[ind * ncache + j]`: cell `ind` of oct `j` is read.
    selected: Vec<bool>,
    count: usize,
}

/// Where the own-domain blocks of a hydro or gravity file are.
#[derive(Clone, Debug)]
struct VarScan {
    nvar: usize,
    /// Per level: byte offset and record index of the block's first
    /// variable record, when the own domain has octs at that level.
    blocks: Vec<Option<(usize, usize)>>,
}

/// The first phase of a two-phase read of one CPU: a pass over the record
/// markers that decodes only the oct centres and `son` flags, counts the
/// selected leaf cells and records the byte position of every wanted
/// block. [`read_cpu_into`] then decodes just those blocks into slices the
/// caller sized with [`CpuScan::len`].
#[derive(Clone, Debug)]
pub struct CpuScan {
    /// 1-based CPU number.
    pub icpu: usize,
    /// The AMR file's header.
    pub header: AmrHeader,
    /// `gamma` from the hydro header, when a hydro file was scanned.
    pub gamma: Option<f64>,
    levels: Vec<LevelScan>,
    hydro: Option<VarScan>,
    grav: Option<VarScan>,
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
}

/// Integer cell coordinates of the 8 cells of an oct whose centre is `xg`
/// (box units) at `ilevel`, or an error if the centre is off the grid.
fn oct_origin(xg: [f64; 3], ilevel: usize, path: &Path) -> Result<[u32; 3]> {
    let scale = (1u64 << ilevel) as f64; // cells per box length at this level
    let mut c = [0u32; 3];
    for d in 0..3 {
        // Oct centres sit at odd multiples of the cell size.
        let u = xg[d] * scale;
        // Round to nearest by truncating u + ½: `f64::round` is a libm call
        // on baseline x86-64 (5% of a load's profile). Negative, NaN and
        // huge values saturate to 0 or u64::MAX and fail the checks below.
        let odd = (u + 0.5) as u64 as f64;
        if (u - odd).abs() > 1e-6 || odd < 1.0 || odd >= scale || odd as u64 % 2 != 1 {
            return Err(inconsistent(
                path,
                format!(
                    "level {ilevel} oct centre {} is not on the level grid (expected an odd multiple of 2^-{ilevel} in (0, 1))",
                    xg[d]
                ),
            ));
        }
        c[d] = odd as u32 - 1;
    }
    Ok(c)
}

/// Offsets of cell `ind` within its oct.
fn cell_bits(ind: usize) -> [u32; 3] {
    [
        (ind & 1) as u32,
        ((ind >> 1) & 1) as u32,
        ((ind >> 2) & 1) as u32,
    ]
}

/// Phase one: scans the files of one CPU for `req` (its `lmax` and
/// `region`; the variable lists are not needed yet).
pub fn scan_cpu(files: &CpuFiles, req: &CellRequest) -> Result<CpuScan> {
    let amr_path = files.amr.path;
    let mut r = Records::new(amr_path, files.amr.data)?;
    let h = read_amr_header(&mut r, amr_path)?;
    if files.icpu == 0 || files.icpu > h.ncpu {
        return Err(inconsistent(
            amr_path,
            format!("CPU number {} outside 1..={}", files.icpu, h.ncpu),
        ));
    }
    let lmax = (req.lmax as usize).min(h.nlevelmax);
    let ndom = h.ncpu + h.nboundary;
    let mut levels: Vec<LevelScan> = Vec::with_capacity(lmax);
    for ilevel in 1..=lmax {
        let mut level = LevelScan::default();
        for idom in 1..=ndom {
            let ncache = h.ncache[ilevel - 1][idom - 1];
            if ncache == 0 {
                continue;
            }
            if idom != files.icpu {
                for _ in 0..AMR_BLOCK_RECORDS {
                    r.skip("ghost oct block")?;
                }
                continue;
            }
            r.skip("ind_grid")?;
            r.skip("next")?;
            r.skip("prev")?;
            level.ncache = ncache;
            level.xg_at = (r.offset(), r.next_index());
            let xg = [
                r.reals("xg(:,1)", ncache)?,
                r.reals("xg(:,2)", ncache)?,
                r.reals("xg(:,3)", ncache)?,
            ];
            r.skip("father")?;
            for _ in 0..6 {
                r.skip("nbor")?;
            }
            level.selected = vec![false; TWOTONDIM * ncache];
            let dx = 0.5f64.powi(ilevel as i32);
            for ind in 0..TWOTONDIM {
                let son = r.i32s("son", Some(ncache))?;
                let b = cell_bits(ind);
                let sel = &mut level.selected[ind * ncache..(ind + 1) * ncache];
                for j in 0..ncache {
                    if son[j] != 0 && ilevel != lmax {
                        continue;
                    }
                    if let Some((lo, hi)) = &req.region {
                        let inside = (0..3).all(|d| {
                            let c = xg[d][j] + (b[d] as f64 - 0.5) * dx;
                            c >= lo[d] && c < hi[d]
                        });
                        if !inside {
                            continue;
                        }
                    }
                    sel[j] = true;
                    level.count += 1;
                }
            }
            for _ in 0..2 * TWOTONDIM {
                r.skip("cpu_map / flag1")?;
            }
        }
        levels.push(level);
    }
    let mut scan = CpuScan {
        icpu: files.icpu,
        header: h,
        gamma: None,
        levels,
        hydro: None,
        grav: None,
    };
    if let Some(hf) = files.hydro {
        let mut r = Records::new(hf.path, hf.data)?;
        let nvar = read_var_header(&mut r, hf.path, &scan.header, true)?;
        scan.gamma = Some(r.reals("gamma", 1)?[0]);
        scan.hydro = Some(scan_vars(&mut r, hf.path, &scan, nvar, "hydro")?);
    }
    if let Some(gf) = files.grav {
        let mut r = Records::new(gf.path, gf.data)?;
        let nvar = read_var_header(&mut r, gf.path, &scan.header, false)?;
        scan.grav = Some(scan_vars(&mut r, gf.path, &scan, nvar, "gravity")?);
    }
    Ok(scan)
}

/// Reads the integer header of a hydro file (`ncpu, nvar, ndim, nlevelmax,
/// nboundary`; `with_ndim`) or a grav file (no `ndim`), checks it against
/// the AMR header and returns `nvar`. Leaves `r` after `nboundary`.
fn read_var_header(r: &mut Records, path: &Path, h: &AmrHeader, with_ndim: bool) -> Result<usize> {
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

/// Walks the `(ilevel, ncache)` pairs and variable records of a hydro or
/// gravity file, checking them against the AMR file and noting where the
/// own domain's blocks start. Records are stepped over by their markers.
fn scan_vars(
    r: &mut Records,
    path: &Path,
    scan: &CpuScan,
    nvar: usize,
    what: &str,
) -> Result<VarScan> {
    let h = &scan.header;
    let ndom = h.ncpu + h.nboundary;
    let mut blocks = Vec::with_capacity(scan.levels.len());
    for (l, level) in scan.levels.iter().enumerate() {
        let ilevel = l + 1;
        let mut at = None;
        for idom in 1..=ndom {
            let lev = r.i32("ilevel")?;
            if lev as usize != ilevel {
                return Err(inconsistent(
                    path,
                    format!("{what} block for domain {idom} says level {lev}, expected {ilevel}"),
                ));
            }
            let n = count(path, "ncache", r.i32("ncache")?)?;
            let expect = h.ncache[l][idom - 1];
            if n != expect {
                return Err(inconsistent(
                    path,
                    format!("{what} level {ilevel} domain {idom} has {n} octs, the amr file has {expect}"),
                ));
            }
            if n == 0 {
                continue;
            }
            if idom == scan.icpu {
                debug_assert_eq!(n, level.ncache);
                at = Some((r.offset(), r.next_index()));
            }
            for _ in 0..TWOTONDIM * nvar {
                r.skip_reals(
                    if idom == scan.icpu {
                        "cell variable"
                    } else {
                        "ghost cell variable"
                    },
                    n,
                )?;
            }
        }
        blocks.push(at);
    }
    Ok(VarScan { nvar, blocks })
}

/// Phase two: decodes the selected cells of one CPU into `out`, whose
/// slices must all be `scan.len()` long (and one per requested variable).
pub fn read_cpu_into(
    files: &CpuFiles,
    scan: &CpuScan,
    req: &CellRequest,
    out: CellSlices,
) -> Result<()> {
    let n = scan.len();
    let amr_path = files.amr.path;
    let CellSlices {
        level,
        ix,
        iy,
        iz,
        mut hydro,
        mut grav,
    } = out;
    if level.len() != n
        || ix.len() != n
        || iy.len() != n
        || iz.len() != n
        || hydro.len() != req.hydro_vars.len()
        || grav.len() != req.grav_vars.len()
        || hydro.iter().chain(grav.iter()).any(|s| s.len() != n)
    {
        return Err(inconsistent(
            amr_path,
            format!("output slices do not match the scan ({n} cells, {} hydro and {} gravity columns requested)", req.hydro_vars.len(), req.grav_vars.len()),
        ));
    }
    let mut r = Records::new(amr_path, files.amr.data)?;
    let mut k = 0;
    for (l, lev) in scan.levels.iter().enumerate() {
        if lev.count == 0 {
            continue;
        }
        let ilevel = l + 1;
        r.seek(lev.xg_at.0, lev.xg_at.1);
        let xg = [
            r.reals("xg(:,1)", lev.ncache)?,
            r.reals("xg(:,2)", lev.ncache)?,
            r.reals("xg(:,3)", lev.ncache)?,
        ];
        for ind in 0..TWOTONDIM {
            let b = cell_bits(ind);
            let sel = &lev.selected[ind * lev.ncache..(ind + 1) * lev.ncache];
            for (j, _) in sel.iter().enumerate().filter(|(_, &s)| s) {
                let o = oct_origin([xg[0][j], xg[1][j], xg[2][j]], ilevel, amr_path)?;
                level[k] = ilevel as u8;
                ix[k] = o[0] + b[0];
                iy[k] = o[1] + b[1];
                iz[k] = o[2] + b[2];
                k += 1;
            }
        }
    }
    if !req.hydro_vars.is_empty() {
        let (Some(hf), Some(vs)) = (files.hydro, &scan.hydro) else {
            return Err(inconsistent(
                amr_path,
                "hydro variables requested, but no hydro file was scanned".into(),
            ));
        };
        read_vars(
            hf.data,
            hf.path,
            scan,
            vs,
            &req.hydro_vars,
            &mut hydro,
            "hydro",
        )?;
    }
    if !req.grav_vars.is_empty() {
        let (Some(gf), Some(vs)) = (files.grav, &scan.grav) else {
            return Err(inconsistent(
                amr_path,
                "gravity variables requested, but no grav file was scanned".into(),
            ));
        };
        read_vars(
            gf.data,
            gf.path,
            scan,
            vs,
            &req.grav_vars,
            &mut grav,
            "gravity",
        )?;
    }
    Ok(())
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
    if let Some(&bad) = wanted.iter().find(|&&v| v >= vs.nvar) {
        return Err(inconsistent(
            path,
            format!(
                "{what} variable {} requested, but the file holds {}",
                bad + 1,
                vs.nvar
            ),
        ));
    }
    // Position of each file variable in the request (usize::MAX: skip).
    let mut slot = vec![usize::MAX; vs.nvar];
    for (c, &v) in wanted.iter().enumerate() {
        slot[v] = c;
    }
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
        for ind in 0..TWOTONDIM {
            let sel = &lev.selected[ind * n..(ind + 1) * n];
            let mut here = 0;
            for &c in &slot {
                if c == usize::MAX {
                    r.skip("cell variable")?;
                    continue;
                }
                let col = &mut *cols[c];
                let mut kk = k;
                r.reals_with("cell variable", n, |j, x| {
                    if sel[j] {
                        col[kk] = x;
                        kk += 1;
                    }
                })?;
                here = kk - k;
            }
            k += here;
        }
    }
    Ok(())
}

/// Reads the selected leaf cells of one CPU into fresh columns: a
/// [`scan_cpu`] followed by [`read_cpu_into`].
pub fn read_cpu_cells(files: &CpuFiles, req: &CellRequest) -> Result<CpuCells> {
    let scan = scan_cpu(files, req)?;
    let n = scan.len();
    let mut out = CpuCells {
        level: vec![0; n],
        ix: vec![0; n],
        iy: vec![0; n],
        iz: vec![0; n],
        // One zeroed allocation per column (a `vec![column; k]` clone would
        // copy the first column into the others page by page).
        hydro: (0..req.hydro_vars.len()).map(|_| vec![0.0; n]).collect(),
        grav: (0..req.grav_vars.len()).map(|_| vec![0.0; n]).collect(),
        gamma: scan.gamma,
    };
    read_cpu_into(
        files,
        &scan,
        req,
        CellSlices {
            level: &mut out.level,
            ix: &mut out.ix,
            iy: &mut out.iy,
            iz: &mut out.iz,
            hydro: out.hydro.iter_mut().map(|c| c.as_mut_slice()).collect(),
            grav: out.grav.iter_mut().map(|c| c.as_mut_slice()).collect(),
        },
    )?;
    Ok(out)
}
