//! The cell files of a [`Snapshot`]: the two-phase read of one CPU's
//! cells, and which CPU files a region needs (Hilbert keys or bisection
//! boxes).

use super::mapped::{map_file, Access};
use super::Snapshot;
use crate::cpu::cells::fill_cpu_slices;
use crate::cpu::vars::VarKind;
use crate::cpu::walk::{read_var_bytes, scan_amr_bytes};
use crate::cpu::{read_amr_header, CellGroup, CellRequest, CellSlices, CpuCells, CpuScan};
use crate::error::{Error, Result};
use crate::fortran::Records;

impl Snapshot {
    /// Reads the leaf cells of CPU `icpu` (1-based) into fresh columns.
    pub fn read_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuCells> {
        let scan = self.scan_cpu(icpu, req)?;
        let mut out = CpuCells::for_scan(&scan, req);
        out.gamma = self.read_cpu_into(&scan, req, out.slices())?;
        Ok(out)
    }

    /// Phase one of a two-phase read: reads the amr file of CPU `icpu`,
    /// counts the cells that `req` selects and notes their coordinates
    /// and where their blocks are in the other files.
    pub fn scan_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuScan> {
        if icpu == 0 || icpu > self.info.ncpu {
            return Err(Error::Inconsistent {
                path: self.dir.clone(),
                problem: format!(
                    "CPU {icpu} requested, the output has 1..={}",
                    self.info.ncpu
                ),
            });
        }
        let path = self.file("amr", icpu);
        if let Some(scan) = crate::cpu::positioned::scan_amr(&path, icpu, req)? {
            return Ok(scan);
        }
        let amr = map_file(&path, Access::Sparse)?;
        scan_amr_bytes(&path, &amr, icpu, req)
    }

    /// Phase two: writes the cells found by `scan` into caller-owned
    /// slices of exactly `scan.len()` values each, decoding the requested
    /// variables from the hydro, gravity and rt files (each opened once;
    /// the amr file is not read again). Returns `gamma` from the hydro
    /// header when hydro variables were read.
    pub fn read_cpu_into(
        &self,
        scan: &CpuScan,
        req: &CellRequest,
        out: CellSlices,
    ) -> Result<Option<f64>> {
        fill_cpu_slices(
            &self.file("amr", scan.icpu),
            scan,
            req,
            out,
            |kind, wanted, cols| {
                if kind == VarKind::Rt {
                    self.rt_info()?;
                }
                let path = self.file(kind.prefix(), scan.icpu);
                match crate::cpu::positioned::read_var_file(&path, scan, kind, wanted, cols)? {
                    Some(g) => Ok(g),
                    None => {
                        let data = map_file(&path, Access::Sparse)?;
                        read_var_bytes(&path, &data, scan, kind, wanted, cols)
                    }
                }
            },
        )
    }

    /// Phase two a group of cells at a time, for reductions that need no
    /// column of the whole file: the requested variables of each kind
    /// (hydro, then gravity, then rt), per level a group of cell indices
    /// at a time (cells in table order, as [`read_cpu_into`] places them),
    /// decoded into `scratch` (reused, one column per variable of the
    /// kind) and handed to `on_group` with their kind. Returns what
    /// [`read_cpu_into`] returns, or `None` when a file does not take the
    /// positioned path (some groups may have been handed over already):
    /// the caller then reads the CPU with [`read_cpu_into`], which reads
    /// the file whole and names any problem.
    ///
    /// [`read_cpu_into`]: Snapshot::read_cpu_into
    pub fn stream_cpu(
        &self,
        scan: &CpuScan,
        req: &CellRequest,
        scratch: &mut Vec<Vec<f64>>,
        mut on_group: impl FnMut(VarKind, CellGroup),
    ) -> Result<Option<Option<f64>>> {
        let mut gamma = None;
        for (kind, wanted) in [
            (VarKind::Hydro, &req.hydro_vars),
            (VarKind::Grav, &req.grav_vars),
            (VarKind::Rt, &req.rt_vars),
        ] {
            if wanted.is_empty() {
                continue;
            }
            if kind == VarKind::Rt {
                self.rt_info()?;
            }
            let path = self.file(kind.prefix(), scan.icpu);
            let mut each = |g: CellGroup| on_group(kind, g);
            match crate::cpu::positioned::stream_var_file(
                &path, scan, kind, wanted, scratch, &mut each,
            )? {
                Some(g) => gamma = gamma.or(g),
                None => return Ok(None),
            }
        }
        Ok(Some(gamma))
    }

    /// The exact Hilbert bound keys (`ncpu + 1` values) from the header of
    /// `amr_NNNNN.out00001`, or `None` when the ordering is not Hilbert.
    pub fn bound_keys(&self) -> Result<Option<Vec<u128>>> {
        if !matches!(self.info.ordering, crate::info::Ordering::Hilbert { .. }) {
            return Ok(None);
        }
        let path = self.file("amr", 1);
        let amr = map_file(&path, Access::Sparse)?;
        let mut r = Records::new(&path, &amr)?;
        Ok(read_amr_header(&mut r, &path)?.bound_keys)
    }

    /// The bisection domain boxes (box units, one `(min, max)` per CPU)
    /// from the header of `amr_NNNNN.out00001`, or `None` when the ordering
    /// is not bisection.
    pub fn bisection_boxes(&self) -> Result<Option<Vec<crate::cpu::DomainBox>>> {
        if !matches!(&self.info.ordering, crate::info::Ordering::Other(o) if o == "bisection") {
            return Ok(None);
        }
        let path = self.file("amr", 1);
        let amr = map_file(&path, Access::Sparse)?;
        let mut r = Records::new(&path, &amr)?;
        match read_amr_header(&mut r, &path)?.bisection_boxes {
            Some(b) => Ok(Some(b)),
            None => Err(Error::Inconsistent {
                path,
                problem: "the info file says `ordering type=bisection`, but this header's ordering record is not `bisection`".into(),
            }),
        }
    }

    /// The CPU files (1-based) that can hold cells or particles in the box
    /// `[lo, hi]` (box units): from the Hilbert keys, or the domain boxes of
    /// bisection ordering, else every CPU. Both assume leaves at levels ≥
    /// levelmin (reads with `lmax < levelmin` should take every CPU). A
    /// superset; filter by position afterwards.
    pub fn cpus_for_region(&self, lo: [f64; 3], hi: [f64; 3]) -> Result<Vec<usize>> {
        // Keys of 1D and 2D runs (hilbert1d/2d) and of padded or larger
        // coarse grids are not checked against `hilbert::cpus_for_region`
        // (no such real output to test with): every CPU (a superset, as the
        // doc says).
        let keyed = self.info.ndim == 3 && self.info.coarse_grid == [1, 1, 1];
        if !keyed {
            if let Some(boxes) = self.bisection_boxes()? {
                return Ok(bisection_cpus(&boxes, self.info.levelmin, lo, hi));
            }
            return Ok((1..=self.info.ncpu).collect());
        }
        if let Some(keys) = self.bound_keys()? {
            return Ok(crate::hilbert::cpus_for_region(
                &keys,
                self.info.levelmax,
                self.info.levelmin,
                lo,
                hi,
            ));
        }
        if let Some(boxes) = self.bisection_boxes()? {
            return Ok(bisection_cpus(&boxes, self.info.levelmin, lo, hi));
        }
        Ok((1..=self.info.ncpu).collect())
    }
}

/// The CPUs whose bisection domain box meets `[lo, hi]` (box units). A
/// leaf's oct belongs to the CPU whose box holds the oct's centre (its
/// father cell's centre), which lies within 2^-levelmin of any point of
/// the leaf: boxes are widened by that much.
fn bisection_cpus(
    boxes: &[crate::cpu::DomainBox],
    levelmin: u32,
    lo: [f64; 3],
    hi: [f64; 3],
) -> Vec<usize> {
    let pad = 0.5f64.powi(levelmin as i32);
    boxes
        .iter()
        .enumerate()
        .filter(|(_, (bl, bh))| (0..3).all(|d| bl[d] <= hi[d] + pad && lo[d] - pad <= bh[d]))
        .map(|(c, _)| c + 1)
        .collect()
}
