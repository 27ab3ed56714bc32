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
}

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
    let bound_keys = if ordering == "bisection" {
        for what in [
            "bisec_wall",
            "bisec_next",
            "bisec_indx",
            "bisec_cpubox_min",
            "bisec_cpubox_max",
        ] {
            r.skip(what)?;
        }
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

/// The own-domain blocks of one level: oct centres and son flags.
struct LevelBlock {
    ncache: usize,
    /// Oct centres, box units in [0, 1].
    xg: [Vec<f64>; 3],
    /// `leaf[ind][j]`: cell `ind` of oct `j` is a leaf at this `lmax`.
    leaf: [Vec<bool>; TWOTONDIM],
    /// Number of `true` entries in `leaf`.
    leaves: usize,
}

/// Reads the leaf cells of one CPU.
pub fn read_cpu_cells(files: &CpuFiles, req: &CellRequest) -> Result<CpuCells> {
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
    let mut blocks: Vec<LevelBlock> = Vec::with_capacity(lmax);
    let mut out = CpuCells::default();
    for ilevel in 1..=lmax {
        let mut block = None;
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
            let xg = [
                r.reals("xg(:,1)", ncache)?,
                r.reals("xg(:,2)", ncache)?,
                r.reals("xg(:,3)", ncache)?,
            ];
            r.skip("father")?;
            for _ in 0..6 {
                r.skip("nbor")?;
            }
            let mut leaf: [Vec<bool>; TWOTONDIM] = Default::default();
            for l in leaf.iter_mut() {
                let son = r.i32s("son", Some(ncache))?;
                *l = son.iter().map(|&s| s == 0 || ilevel == lmax).collect();
            }
            for _ in 0..2 * TWOTONDIM {
                r.skip("cpu_map / flag1")?;
            }
            let leaves = leaf.iter().map(|l| l.iter().filter(|&&x| x).count()).sum();
            block = Some(LevelBlock {
                ncache,
                xg,
                leaf,
                leaves,
            });
        }
        let block = block.unwrap_or(LevelBlock {
            ncache: 0,
            xg: Default::default(),
            leaf: Default::default(),
            leaves: 0,
        });
        for c in [&mut out.ix, &mut out.iy, &mut out.iz] {
            c.reserve(block.leaves);
        }
        out.level.reserve(block.leaves);
        push_geometry(&mut out, &block, ilevel, amr_path)?;
        blocks.push(block);
    }

    if let Some(hf) = files.hydro {
        let mut r = Records::new(hf.path, hf.data)?;
        let ncpu = count(hf.path, "ncpu", r.i32("ncpu")?)?;
        let nvar = count(hf.path, "nvar", r.i32("nvar")?)?;
        let ndim = count(hf.path, "ndim", r.i32("ndim")?)?;
        let nlevelmax = count(hf.path, "nlevelmax", r.i32("nlevelmax")?)?;
        let nboundary = count(hf.path, "nboundary", r.i32("nboundary")?)?;
        if (ncpu, ndim, nlevelmax, nboundary) != (h.ncpu, h.ndim, h.nlevelmax, h.nboundary) {
            return Err(inconsistent(
                hf.path,
                format!(
                    "header (ncpu, ndim, nlevelmax, nboundary) = ({ncpu}, {ndim}, {nlevelmax}, {nboundary}), but the amr file has ({}, {}, {}, {})",
                    h.ncpu, h.ndim, h.nlevelmax, h.nboundary
                ),
            ));
        }
        out.gamma = Some(r.reals("gamma", 1)?[0]);
        out.hydro = read_cell_vars(
            &mut r,
            hf.path,
            &h,
            &blocks,
            files.icpu,
            nvar,
            &req.hydro_vars,
            "hydro",
        )?;
    }
    if let Some(gf) = files.grav {
        let mut r = Records::new(gf.path, gf.data)?;
        let ncpu = count(gf.path, "ncpu", r.i32("ncpu")?)?;
        let nvar = count(gf.path, "nvar", r.i32("nvar")?)?;
        let nlevelmax = count(gf.path, "nlevelmax", r.i32("nlevelmax")?)?;
        let nboundary = count(gf.path, "nboundary", r.i32("nboundary")?)?;
        if (ncpu, nlevelmax, nboundary) != (h.ncpu, h.nlevelmax, h.nboundary) {
            return Err(inconsistent(
                gf.path,
                format!(
                    "header (ncpu, nlevelmax, nboundary) = ({ncpu}, {nlevelmax}, {nboundary}), but the amr file has ({}, {}, {})",
                    h.ncpu, h.nlevelmax, h.nboundary
                ),
            ));
        }
        out.grav = read_cell_vars(
            &mut r,
            gf.path,
            &h,
            &blocks,
            files.icpu,
            nvar,
            &req.grav_vars,
            "gravity",
        )?;
    }
    Ok(out)
}

fn push_geometry(out: &mut CpuCells, b: &LevelBlock, ilevel: usize, path: &Path) -> Result<()> {
    let scale = (1u64 << ilevel) as f64; // cells per box length at this level
    for ind in 0..TWOTONDIM {
        let bits = [ind & 1, (ind >> 1) & 1, (ind >> 2) & 1];
        for j in 0..b.ncache {
            if !b.leaf[ind][j] {
                continue;
            }
            let mut c = [0u32; 3];
            for d in 0..3 {
                // Oct centres sit at odd multiples of the cell size.
                let u = b.xg[d][j] * scale;
                let odd = u.round();
                if (u - odd).abs() > 1e-6 || odd < 1.0 || odd >= scale || odd as u64 % 2 != 1 {
                    return Err(inconsistent(
                        path,
                        format!("level {ilevel} oct centre {} is not on the level grid (expected an odd multiple of 2^-{ilevel} in (0, 1))", b.xg[d][j]),
                    ));
                }
                c[d] = (odd as u32 - 1) + bits[d] as u32;
            }
            out.level.push(ilevel as u8);
            out.ix.push(c[0]);
            out.iy.push(c[1]);
            out.iz.push(c[2]);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read_cell_vars(
    r: &mut Records,
    path: &Path,
    h: &AmrHeader,
    blocks: &[LevelBlock],
    icpu: usize,
    nvar: usize,
    wanted: &[usize],
    what: &str,
) -> Result<Vec<Vec<f64>>> {
    if let Some(&bad) = wanted.iter().find(|&&v| v >= nvar) {
        return Err(inconsistent(
            path,
            format!(
                "{what} variable {} requested, but the file holds {nvar}",
                bad + 1
            ),
        ));
    }
    // Position of each variable in the request (usize::MAX: not wanted).
    let mut slot = vec![usize::MAX; nvar];
    for (k, &v) in wanted.iter().enumerate() {
        slot[v] = k;
    }
    let leaves: usize = blocks.iter().map(|b| b.leaves).sum();
    let mut cols: Vec<Vec<f64>> = (0..wanted.len())
        .map(|_| Vec::with_capacity(leaves))
        .collect();
    let ndom = h.ncpu + h.nboundary;
    for (l, block) in blocks.iter().enumerate() {
        let ilevel = l + 1;
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
            if idom != icpu {
                for _ in 0..TWOTONDIM * nvar {
                    r.skip_reals("ghost cell variable", n)?;
                }
                continue;
            }
            for ind in 0..TWOTONDIM {
                let leaf = &block.leaf[ind];
                for &k in slot.iter() {
                    if k == usize::MAX {
                        r.skip_reals("cell variable", n)?;
                        continue;
                    }
                    let col = &mut cols[k];
                    r.reals_with("cell variable", n, |j, x| {
                        if leaf[j] {
                            col.push(x);
                        }
                    })?;
                }
            }
        }
    }
    Ok(cols)
}
