//! Fortran records of the synthetic binary files: a writer of
//! little-endian records into a temporary file renamed when complete, and
//! the record sequences both synthetic writers share (the amr header and
//! tables, an oct block, the particle file).

use crate::atomic::tmp_path;
use crate::error::{io_err, Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Little-endian Fortran records into a buffered temporary file, renamed to
/// the final name by [`RecWriter::finish`] (dropped unfinished: removed).
pub(super) struct RecWriter {
    out: std::io::BufWriter<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    buf: Vec<u8>,
    done: bool,
}

impl RecWriter {
    pub(super) fn create(path: &Path) -> Result<RecWriter> {
        let tmp = tmp_path(path);
        let f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        Ok(RecWriter {
            out: std::io::BufWriter::with_capacity(1 << 20, f),
            tmp,
            path: path.to_path_buf(),
            buf: Vec::new(),
            done: false,
        })
    }

    pub(super) fn bytes(&mut self, payload: &[u8]) -> Result<()> {
        let n = i32::try_from(payload.len()).map_err(|_| Error::Unsupported {
            path: self.path.clone(),
            problem: format!("record of {} bytes exceeds 2 GiB", payload.len()),
        })?;
        let m = n.to_le_bytes();
        let r = (|| {
            self.out.write_all(&m)?;
            self.out.write_all(payload)?;
            self.out.write_all(&m)
        })();
        r.map_err(|e| io_err(&self.tmp, e))
    }

    /// One record of values given as their little-endian bytes.
    fn values<const N: usize>(&mut self, v: impl Iterator<Item = [u8; N]>) -> Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend(v.flatten());
        let r = self.bytes(&buf);
        self.buf = buf;
        r
    }

    pub(super) fn i32s(&mut self, v: &[i32]) -> Result<()> {
        self.values(v.iter().map(|x| x.to_le_bytes()))
    }

    pub(super) fn f64s(&mut self, v: &[f64]) -> Result<()> {
        self.values(v.iter().map(|x| x.to_le_bytes()))
    }

    pub(super) fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| io_err(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| io_err(&self.path, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for RecWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The amr file's header records before the `headl` table (records 1 to
/// 19), with the values a synthetic output varies; the rest (one output
/// time, time steps of 1e-3, a non-cosmological run) are fixed.
pub(super) struct AmrHeadRecords {
    pub ncpu: usize,
    pub ndim: usize,
    /// Coarse cells per axis (boundary cells included).
    pub nx: [usize; 3],
    pub nlevelmax: usize,
    pub ngridmax: usize,
    pub nboundary: usize,
    /// Octs of the file's own domain.
    pub ngrid_current: usize,
    /// The `boxlen` record: the whole box in code lengths.
    pub boxlen: f64,
    pub time: f64,
    /// `boxlen_ini` in the cosmology record.
    pub boxlen_ini: f64,
}

/// The tables after the header: per level and domain, the first and last
/// oct numbers and the oct counts (`ncpu × nlevelmax`, domain fastest),
/// the same for the boundary regions, the ordering and its domain bounds,
/// and the coarse grid's `son` and `cpu_map` (its `flag1` is 0).
pub(super) struct AmrTables<'a> {
    pub headl: &'a [i32],
    pub taill: &'a [i32],
    pub numbl: &'a [i32],
    /// `10 × nlevelmax` statistics, only the octs per level filled in.
    pub numbtot: &'a [i32],
    /// `headb`, `tailb` and `numbb` of the boundary regions (all three the
    /// counts), when there are any.
    pub numbb: Option<&'a [i32]>,
    pub ordering: &'a str,
    pub bounds: &'a [f64],
    pub coarse_son: &'a [i32],
    pub coarse_cpu_map: &'a [i32],
}

/// One block of octs in an amr file: the per-oct records of the octs of
/// one domain at one level (`nbor` and `flag1` written as zeros).
pub(super) struct OctBlock {
    pub ind_grid: Vec<i32>,
    pub next: Vec<i32>,
    pub prev: Vec<i32>,
    /// One record of oct centres per axis, ndim of them.
    pub xg: Vec<Vec<f64>>,
    pub father: Vec<i32>,
    /// One record per cell of the oct (2^ndim).
    pub son: Vec<Vec<i32>>,
    /// One record per cell of the oct (2^ndim).
    pub cpu_map: Vec<Vec<i32>>,
}

impl RecWriter {
    /// Writes the amr header records 1 to 19.
    pub(super) fn amr_head(&mut self, h: &AmrHeadRecords) -> Result<()> {
        let nl = h.nlevelmax;
        self.i32s(&[h.ncpu as i32])?;
        self.i32s(&[h.ndim as i32])?;
        self.i32s(&h.nx.map(|v| v as i32))?;
        self.i32s(&[nl as i32])?;
        self.i32s(&[h.ngridmax as i32])?;
        self.i32s(&[h.nboundary as i32])?;
        self.i32s(&[h.ngrid_current as i32])?;
        self.f64s(&[h.boxlen])?;
        self.i32s(&[1, 1, 1])?; // noutput, iout, ifout
        self.f64s(&[h.time])?; // tout
        self.f64s(&[1.0])?; // aout
        self.f64s(&[h.time])?;
        self.f64s(&vec![1e-3; nl])?; // dtold
        self.f64s(&vec![1e-3; nl])?; // dtnew
        self.i32s(&[10, 10])?; // nstep, nstep_coarse
        self.f64s(&[0.0, 0.0, 0.0])?; // einit, mass_tot_0, rho_tot
        self.f64s(&[1.0, 0.0, 0.0, 0.045, 1.0, 1.0, h.boxlen_ini])?;
        self.f64s(&[1.0, 0.0, 1.0, 0.0, 0.0])?; // aexp … epot_tot_old
        self.f64s(&[0.0]) // mass_sph
    }

    /// Writes the tables between the amr header and the tree body.
    pub(super) fn amr_tables(&mut self, t: &AmrTables) -> Result<()> {
        self.i32s(t.headl)?;
        self.i32s(t.taill)?;
        self.i32s(t.numbl)?;
        self.i32s(t.numbtot)?;
        if let Some(numbb) = t.numbb {
            self.i32s(numbb)?; // headb
            self.i32s(numbb)?; // tailb
            self.i32s(numbb)?;
        }
        self.i32s(&[0; 5])?; // headf, tailf, numbf, used_mem, used_mem_tot
        let mut ordering = [b' '; 128];
        ordering[..t.ordering.len()].copy_from_slice(t.ordering.as_bytes());
        self.bytes(&ordering)?;
        self.f64s(t.bounds)?;
        self.i32s(t.coarse_son)?;
        self.i32s(&vec![0; t.coarse_son.len()])?; // coarse flag1
        self.i32s(t.coarse_cpu_map)
    }

    /// Writes one oct block: `ind_grid`, `next`, `prev`, `xg`, `father`,
    /// `nbor`, `son`, `cpu_map`, `flag1`.
    pub(super) fn oct_block(&mut self, b: &OctBlock) -> Result<()> {
        let n = b.ind_grid.len();
        self.i32s(&b.ind_grid)?;
        self.i32s(&b.next)?;
        self.i32s(&b.prev)?;
        for x in &b.xg {
            self.f64s(x)?;
        }
        self.i32s(&b.father)?;
        let zeros = vec![0; n];
        for _ in 0..2 * b.xg.len() {
            self.i32s(&zeros)?; // nbor (not needed by readers)
        }
        for s in &b.son {
            self.i32s(s)?;
        }
        for c in &b.cpu_map {
            self.i32s(c)?;
        }
        for _ in 0..b.son.len() {
            self.i32s(&zeros)?; // flag1
        }
        Ok(())
    }

    /// Writes the header of a hydro, gravity or rt file: `ncpu`, `nvar`,
    /// `ndim` (not in gravity files), `nlevelmax`, `nboundary`, `gamma`
    /// (not in gravity files).
    pub(super) fn var_head(
        &mut self,
        ncpu: usize,
        nvar: usize,
        ndim: Option<usize>,
        nlevelmax: usize,
        nboundary: usize,
        gamma: Option<f64>,
    ) -> Result<()> {
        self.i32s(&[ncpu as i32])?;
        self.i32s(&[nvar as i32])?;
        if let Some(ndim) = ndim {
            self.i32s(&[ndim as i32])?;
        }
        self.i32s(&[nlevelmax as i32])?;
        self.i32s(&[nboundary as i32])?;
        if let Some(gamma) = gamma {
            self.f64s(&[gamma])?;
        }
        Ok(())
    }
}

/// A particle file's content: `ndim` position and velocity columns, then
/// mass, identity, level, family, tag (0) and, when given, birth time.
pub(super) struct PartRecords {
    pub ncpu: usize,
    pub ndim: usize,
    /// The header's `nstar_tot` and `mstar_tot`.
    pub nstar_tot: i32,
    pub mstar_tot: f64,
    pub pos: Vec<Vec<f64>>,
    pub vel: Vec<Vec<f64>>,
    pub mass: Vec<f64>,
    pub id: Vec<i32>,
    pub level: Vec<i32>,
    pub family: Vec<u8>,
    pub birth: Option<Vec<f64>>,
}

/// Writes the particle file `path`.
pub(super) fn write_part(path: &Path, p: &PartRecords) -> Result<()> {
    let n = p.mass.len();
    let mut w = RecWriter::create(path)?;
    w.i32s(&[p.ncpu as i32])?;
    w.i32s(&[p.ndim as i32])?;
    w.i32s(&[n as i32])?;
    w.i32s(&[1, 2, 3, 4])?; // localseed
    w.i32s(&[p.nstar_tot])?;
    w.f64s(&[p.mstar_tot])?;
    w.f64s(&[0.0])?; // mstar_lost
    w.i32s(&[0])?; // nsink
    for x in p.pos.iter().chain(&p.vel) {
        w.f64s(x)?;
    }
    w.f64s(&p.mass)?;
    w.i32s(&p.id)?;
    w.i32s(&p.level)?;
    w.bytes(&p.family)?;
    w.bytes(&vec![0u8; n])?; // tag
    if let Some(birth) = &p.birth {
        w.f64s(birth)?;
    }
    w.finish()
}
