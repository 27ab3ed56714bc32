//! Loading cells and particles in parallel over CPU files.
//!
//! Two phases, as `amrkit-io` offers them: every CPU file is scanned (in
//! parallel) to count its selected cells; the final columns are allocated
//! once; each file job then decodes straight into its own disjoint slice of
//! those columns. No per-thread vectors, no concatenation, no copy of the
//! table. Files differ a lot in size, so each file is its own task and idle
//! workers steal them.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::select::Selection;
use crate::units::Units;
use amrkit_io::cpu::{CellRequest, CellSlices, CpuScan};
use amrkit_io::particles::{ColumnKind, PartColumn, PartColumnMut};
use amrkit_io::Snapshot;

/// Leaf cells as columns (struct of arrays). Cell `k` is at level
/// `level[k]` with integer coordinates `(ix, iy, iz)[k]` on that level's
/// grid: its centre is `(i + ½)·2^-level` in box units.
#[derive(Clone, Debug, Default)]
pub struct CellTable {
    /// Units of the output.
    pub units: Units,
    /// Adiabatic index (hydro header), if hydro was read.
    pub gamma: Option<f64>,
    /// Level of each cell.
    pub level: Vec<u8>,
    /// Integer x.
    pub ix: Vec<u32>,
    /// Integer y.
    pub iy: Vec<u32>,
    /// Integer z.
    pub iz: Vec<u32>,
    /// Variable names (RAMSES names), one per column.
    pub names: Vec<String>,
    /// Variable columns.
    pub columns: Vec<Vec<f64>>,
    /// The CPU file (1-based) each run of cells came from, and the run's
    /// length: the table is these runs one after the other, in this order.
    /// Sums ([`derive`](crate::derive), [`project`](crate::project)) are
    /// taken per block of one file and folded in file order, so that they
    /// do not depend on how the work is split (threads, or processes that
    /// each read some of the files). Empty for a table not read from files:
    /// then the whole table counts as one run.
    pub files: Vec<(usize, usize)>,
}

impl CellTable {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.level.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.level.is_empty()
    }

    /// A column by RAMSES name.
    pub fn column(&self, name: &str) -> Result<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.columns[i].as_slice())
            .ok_or_else(|| KernelError::NoVariable {
                name: name.into(),
                available: self.names.join(", "),
            })
    }

    /// Cell size of cell `k` in box units.
    #[inline]
    pub fn dx_box(&self, k: usize) -> f64 {
        1.0 / (1u64 << self.level[k]) as f64
    }

    /// Centre of cell `k` in box units. Along the axes a 1D or 2D run
    /// does not have, cells span the unit depth: their centre is ½ there.
    #[inline]
    pub fn centre_box(&self, k: usize) -> [f64; 3] {
        let dx = self.dx_box(k);
        let c = [
            (self.ix[k] as f64 + 0.5) * dx,
            (self.iy[k] as f64 + 0.5) * dx,
            (self.iz[k] as f64 + 0.5) * dx,
        ];
        match self.units.ndim {
            1 => [c[0], 0.5, 0.5],
            2 => [c[0], c[1], 0.5],
            _ => c,
        }
    }

    /// Volume of cell `k` in code units: dx^ndim (per unit depth in 1D and
    /// 2D).
    #[inline]
    pub fn volume(&self, k: usize) -> f64 {
        let d = self.dx_box(k) * self.units.boxlen;
        // Products, not `powi`: with an exponent unknown at compile time
        // that is a call to `__powidf2` per cell (2% of a `stats` profile).
        match self.units.ndim {
            1 => d,
            2 => d * d,
            _ => d * d * d,
        }
    }

    /// The box in box units: `[0, extent[d]]` per axis (`[0, 1]` along
    /// the axes a 1D or 2D run does not have).
    pub fn box_range(&self) -> [[f64; 2]; 3] {
        std::array::from_fn(|d| [0.0, self.units.extent[d] as f64])
    }

    /// Cells per level (index 0 is level 0).
    pub fn cells_per_level(&self) -> Vec<usize> {
        let mut n = vec![0usize; 1 + self.level.iter().copied().max().unwrap_or(0) as usize];
        for &l in &self.level {
            n[l as usize] += 1;
        }
        n
    }

    /// The cells of each CPU file: `(file, range of cells)`, in table
    /// order (the whole table as file 0 when [`files`](Self::files) is
    /// empty).
    pub fn file_ranges(&self) -> Vec<(usize, std::ops::Range<usize>)> {
        if self.files.is_empty() {
            return vec![(0, 0..self.len())];
        }
        let mut at = 0;
        self.files
            .iter()
            .map(|&(icpu, n)| {
                at += n;
                (icpu, at - n..at)
            })
            .collect()
    }

    /// Keeps only the cells for which `keep(k)` holds (all columns).
    pub fn retain(&mut self, keep: impl Fn(&CellTable, usize) -> bool) {
        let flags: Vec<bool> = (0..self.len()).map(|k| keep(self, k)).collect();
        let ranges = self.file_ranges();
        if !self.files.is_empty() {
            for (f, (_, r)) in self.files.iter_mut().zip(ranges) {
                f.1 = flags[r].iter().filter(|&&b| b).count();
            }
        }
        compact(&mut self.level, &flags);
        compact(&mut self.ix, &flags);
        compact(&mut self.iy, &flags);
        compact(&mut self.iz, &flags);
        for c in &mut self.columns {
            compact(c, &flags);
        }
    }
}

fn lookup(names: &[String], want: &[&str], what: &str) -> Result<Vec<usize>> {
    want.iter()
        .map(|w| {
            names
                .iter()
                .position(|n| n == w)
                .ok_or_else(|| KernelError::NoVariable {
                    name: w.to_string(),
                    available: format!("{what}: {}", names.join(", ")),
                })
        })
        .collect()
}

/// Keeps `v[r]` where `keep[r]`, in order.
fn compact<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
    let mut w = 0;
    for r in 0..v.len() {
        if keep[r] {
            v[w] = v[r];
            w += 1;
        }
    }
    v.truncate(w);
}

/// The CPU files (1-based) that can hold the selection's region, in
/// their order, before [`Selection::files`] takes its share of them.
pub fn cpus_for_region(snap: &Snapshot, sel: &Selection) -> Result<Vec<usize>> {
    match &sel.region {
        None => Ok((1..=snap.info.ncpu).collect()),
        Some(r) => {
            let (lo, hi) = r.bounds(snap.info.extent);
            Ok(snap.cpus_for_region(lo, hi)?)
        }
    }
}

/// The CPU files (1-based) that can hold the selection: those of its
/// region, then its share [`Selection::files`] of them.
pub fn cpus_for(snap: &Snapshot, sel: &Selection) -> Result<Vec<usize>> {
    let all = cpus_for_region(snap, sel)?;
    match sel.files {
        None => Ok(all),
        Some([lo, hi]) if lo <= hi && hi <= all.len() => Ok(all[lo..hi].to_vec()),
        Some([lo, hi]) => Err(KernelError::Invalid(format!(
            "files {lo}..{hi} of a selection that has {} files",
            all.len()
        ))),
    }
}

/// Variable names by the files that hold them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Components<'a> {
    /// Hydro variables (`hydro_` files).
    pub hydro: Vec<&'a str>,
    /// Gravity variables (`grav_` files).
    pub grav: Vec<&'a str>,
    /// RAMSES-RT variables (`rt_` files).
    pub rt: Vec<&'a str>,
}

/// Splits variable names into the output's hydro, gravity and RAMSES-RT
/// variables; a name that is none of them is an error (for an rt variable
/// of an output whose rt files cannot be read: why they cannot).
pub fn components<'a>(snap: &Snapshot, names: &[&'a str]) -> Result<Components<'a>> {
    let mut c = Components::default();
    for &n in names {
        if snap.hydro_fields.iter().any(|f| f.name == n) {
            c.hydro.push(n);
        } else if snap.grav_fields.iter().any(|g| g == n) {
            c.grav.push(n);
        } else if let Some(e) = snap.rt_variable_problem(n) {
            return Err(e.into());
        } else if snap.rt_index(n).is_some() {
            c.rt.push(n);
        } else {
            let mut all: Vec<&str> = snap.hydro_fields.iter().map(|f| f.name.as_str()).collect();
            all.extend(snap.grav_fields.iter().map(String::as_str));
            all.extend(snap.rt_fields.iter().map(|f| f.name.as_str()));
            return Err(KernelError::NoVariable {
                name: n.to_string(),
                available: all.join(", "),
            });
        }
    }
    Ok(c)
}

/// Splits variable names into the output's hydro and gravity variables;
/// a name that is neither is an error ([`components`] takes rt variables
/// as well).
pub fn split_components<'a>(
    snap: &Snapshot,
    names: &[&'a str],
) -> Result<(Vec<&'a str>, Vec<&'a str>)> {
    let c = components(snap, names)?;
    if let Some(n) = c.rt.first() {
        return Err(KernelError::Invalid(format!(
            "{n} is a RAMSES-RT variable: load it with load_components"
        )));
    }
    Ok((c.hydro, c.grav))
}

/// Loads leaf cells with the hydro variables `hydro` and gravity variables
/// `grav` (RAMSES names; see [`Snapshot::hydro_fields`]).
pub fn load_cells(
    snap: &Snapshot,
    sel: &Selection,
    hydro: &[&str],
    grav: &[&str],
    exec: &Exec,
) -> Result<CellTable> {
    load_cells_on(snap, None, sel, hydro, grav, exec)
}

/// [`load_cells`] reading only the CPU files `only` (1-based; the caller
/// has chosen them, e.g. with [`cpus_for`]), e.g. one file at a time for
/// streaming kernels.
pub fn load_cells_on(
    snap: &Snapshot,
    only: Option<&[usize]>,
    sel: &Selection,
    hydro: &[&str],
    grav: &[&str],
    exec: &Exec,
) -> Result<CellTable> {
    let c = Components {
        hydro: hydro.to_vec(),
        grav: grav.to_vec(),
        rt: Vec::new(),
    };
    load_components(snap, only, sel, &c, exec)
}

/// Loads leaf cells with the variables of every component in `c` (hydro,
/// gravity, RAMSES-RT), from the CPU files `only` or those the selection
/// needs. Columns are in the order hydro, gravity, rt.
pub fn load_components(
    snap: &Snapshot,
    only: Option<&[usize]>,
    sel: &Selection,
    c: &Components,
    exec: &Exec,
) -> Result<CellTable> {
    let (hydro, grav, rt) = (&c.hydro[..], &c.grav[..], &c.rt[..]);
    if let Some(e) = rt.iter().find_map(|n| snap.rt_variable_problem(n)) {
        return Err(e.into());
    }
    let hnames: Vec<String> = snap.hydro_fields.iter().map(|f| f.name.clone()).collect();
    let rnames: Vec<String> = snap.rt_fields.iter().map(|f| f.name.clone()).collect();
    let req = CellRequest {
        lmax: sel.lmax.unwrap_or(snap.info.levelmax),
        region: None,
        hydro_vars: lookup(&hnames, hydro, "hydro")?,
        grav_vars: lookup(&snap.grav_fields, grav, "gravity")?,
        rt_vars: lookup(&rnames, rt, "rt")?,
    };
    let cpus = match only {
        Some(only) => only.to_vec(),
        None => cpus_for(snap, sel)?,
    };
    let req = CellRequest {
        region: sel.region.map(|r| r.bounds(snap.info.extent)),
        ..req
    };
    exec.check()?;
    exec.start("scan", cpus.len() as u64);
    let scans: Vec<amrkit_io::Result<CpuScan>> = exec.par().min_chunk(1).map(&cpus, |&icpu| {
        let s = snap.scan_cpu(icpu, &req);
        exec.advance(1);
        s
    });
    exec.finish();
    exec.check()?;
    let scans = scans.into_iter().collect::<amrkit_io::Result<Vec<_>>>()?;
    let total: usize = scans.iter().map(CpuScan::len).sum();
    let (nh, ng, nr) = (req.hydro_vars.len(), req.grav_vars.len(), req.rt_vars.len());
    let mut t = CellTable {
        units: Units::from_info(&snap.info),
        gamma: None,
        level: vec![0; total],
        ix: vec![0; total],
        iy: vec![0; total],
        iz: vec![0; total],
        names: hydro
            .iter()
            .chain(grav)
            .chain(rt)
            .map(|s| s.to_string())
            .collect(),
        // One zeroed allocation per column: `vec![vec![0.0; total]; k]` would
        // clone the first column, copying (and so faulting in) every page of
        // the others on this thread, before the parallel decode; fresh
        // allocations are faulted in by the decoding workers instead, and
        // never through a shared zero page (no copy-on-write TLB flushes).
        columns: (0..nh + ng + nr).map(|_| vec![0.0; total]).collect(),
        files: cpus
            .iter()
            .zip(&scans)
            .map(|(&c, s)| (c, s.len()))
            .collect(),
    };
    {
        // Carve every column into one disjoint slice per CPU file.
        struct Job<'a> {
            scan: &'a CpuScan,
            level: &'a mut [u8],
            ix: &'a mut [u32],
            iy: &'a mut [u32],
            iz: &'a mut [u32],
            vars: Vec<&'a mut [f64]>,
            /// `gamma` from the hydro header, when hydro was read.
            result: amrkit_io::Result<Option<f64>>,
        }
        let mut level: &mut [u8] = &mut t.level;
        let mut ix: &mut [u32] = &mut t.ix;
        let mut iy: &mut [u32] = &mut t.iy;
        let mut iz: &mut [u32] = &mut t.iz;
        let mut vars: Vec<&mut [f64]> = t.columns.iter_mut().map(|c| c.as_mut_slice()).collect();
        let mut jobs = Vec::with_capacity(scans.len());
        for scan in &scans {
            let n = scan.len();
            let (a, rest) = std::mem::take(&mut level).split_at_mut(n);
            level = rest;
            let (bx, rest) = std::mem::take(&mut ix).split_at_mut(n);
            ix = rest;
            let (by, rest) = std::mem::take(&mut iy).split_at_mut(n);
            iy = rest;
            let (bz, rest) = std::mem::take(&mut iz).split_at_mut(n);
            iz = rest;
            let mut mine = Vec::with_capacity(vars.len());
            for v in vars.iter_mut() {
                let (head, rest) = std::mem::take(v).split_at_mut(n);
                *v = rest;
                mine.push(head);
            }
            jobs.push(Job {
                scan,
                level: a,
                ix: bx,
                iy: by,
                iz: bz,
                vars: mine,
                result: Ok(None),
            });
        }
        exec.start("load", total as u64);
        exec.par().min_chunk(1).for_each_mut(&mut jobs, |job| {
            // Cancelled: the files not started yet are skipped.
            if exec.cancelled() {
                return;
            }
            let mut vars = job.vars.iter_mut().map(|s| &mut **s);
            let hydro: Vec<&mut [f64]> = vars.by_ref().take(nh).collect();
            let grav: Vec<&mut [f64]> = vars.by_ref().take(ng).collect();
            let rt: Vec<&mut [f64]> = vars.collect();
            job.result = snap.read_cpu_into(
                job.scan,
                &req,
                CellSlices {
                    level: job.level,
                    ix: job.ix,
                    iy: job.iy,
                    iz: job.iz,
                    hydro,
                    grav,
                    rt,
                },
            );
            exec.advance(job.scan.len() as u64);
        });
        exec.finish();
        exec.check()?;
        for j in jobs {
            t.gamma = t.gamma.or(j.result?);
        }
    }
    if let Some(r) = sel.region.filter(|r| !r.is_box()) {
        t.retain(|t, k| r.contains(t.centre_box(k)));
    }
    Ok(t)
}

/// Loads hydro variables (MERA's `gethydro`). An empty list loads all.
pub fn load_hydro(
    snap: &Snapshot,
    sel: &Selection,
    vars: &[&str],
    exec: &Exec,
) -> Result<CellTable> {
    let all: Vec<&str> = snap.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    load_cells(
        snap,
        sel,
        if vars.is_empty() { &all } else { vars },
        &[],
        exec,
    )
}

/// Loads gravity variables (MERA's `getgravity`). An empty list loads all.
pub fn load_gravity(
    snap: &Snapshot,
    sel: &Selection,
    vars: &[&str],
    exec: &Exec,
) -> Result<CellTable> {
    let all: Vec<&str> = snap.grav_fields.iter().map(String::as_str).collect();
    load_cells(
        snap,
        sel,
        &[],
        if vars.is_empty() { &all } else { vars },
        exec,
    )
}

/// Loads RAMSES-RT variables (`photon_flux_01`, …; the names of
/// [`Snapshot::rt_fields`]). An empty list loads all.
pub fn load_rt(snap: &Snapshot, sel: &Selection, vars: &[&str], exec: &Exec) -> Result<CellTable> {
    snap.rt_info()?;
    let all: Vec<&str> = snap.rt_fields.iter().map(|f| f.name.as_str()).collect();
    let c = Components {
        rt: if vars.is_empty() { all } else { vars.to_vec() },
        ..Components::default()
    };
    load_components(snap, None, sel, &c, exec)
}

/// Particles as columns, one per loaded field (positions in code units).
#[derive(Clone, Debug, Default)]
pub struct ParticleTable {
    /// Units of the output.
    pub units: Units,
    /// Field names.
    pub names: Vec<String>,
    /// Field columns.
    pub columns: Vec<PartColumn>,
}

impl ParticleTable {
    /// Number of particles.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, PartColumn::len)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Result<&PartColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
            .ok_or_else(|| KernelError::NoVariable {
                name: name.into(),
                available: self.names.join(", "),
            })
    }

    /// A real column by name.
    pub fn reals(&self, name: &str) -> Result<&[f64]> {
        match self.column(name)? {
            PartColumn::F64(v) => Ok(v),
            _ => Err(KernelError::Invalid(format!(
                "particle field {name} is not real"
            ))),
        }
    }

    /// The position columns (code units), `None` along the axes a 1D or
    /// 2D run does not have (particles there sit at the middle of the unit
    /// depth).
    pub fn positions(&self) -> Result<[Option<&[f64]>; 3]> {
        let mut out = [None; 3];
        for (d, name) in ["position_x", "position_y", "position_z"]
            .iter()
            .enumerate()
        {
            if d < self.units.ndim {
                out[d] = Some(self.reals(name)?);
            }
        }
        Ok(out)
    }

    /// The family codes (`family` field).
    pub fn families(&self) -> Result<&[i8]> {
        match self.column("family")? {
            PartColumn::I8(v) => Ok(v),
            _ => Err(KernelError::Invalid(
                "particle field family is not int8".into(),
            )),
        }
    }
}

/// Loads particle fields (MERA's `getparticles`). An empty list loads all
/// fields. Positions (`position_*`) are always loaded when a region is set.
pub fn load_particles(
    snap: &Snapshot,
    sel: &Selection,
    fields: &[&str],
    exec: &Exec,
) -> Result<ParticleTable> {
    let layout = snap.particle_layout()?;
    let names: Vec<String> = layout.fields.iter().map(|f| f.name.clone()).collect();
    let mut want: Vec<&str> = if fields.is_empty() {
        names.iter().map(String::as_str).collect()
    } else {
        fields.to_vec()
    };
    if sel.region.is_some() {
        // The positions the run has (ndim of them).
        for p in ["position_x", "position_y", "position_z"] {
            if !want.contains(&p) && names.iter().any(|n| n == p) {
                want.push(p);
            }
        }
    }
    let idx = lookup(&names, &want, "particles")?;
    let cpus = cpus_for(snap, sel)?;
    // Small files come whole with their header: read once, not twice.
    let scans: Vec<amrkit_io::Result<amrkit_io::PartScan>> =
        exec.par().min_chunk(1).map(&cpus, |&i| snap.part_scan(i));
    let scans = scans.into_iter().collect::<amrkit_io::Result<Vec<_>>>()?;
    let counts: Vec<usize> = scans.iter().map(|s| s.count).collect();
    let total: usize = counts.iter().sum();
    let kinds: Vec<ColumnKind> = idx
        .iter()
        .map(|&i| layout.fields[i].kind.column())
        .collect();
    let mut columns: Vec<PartColumn> = kinds.iter().map(|&k| PartColumn::zeros(k, total)).collect();
    {
        struct Job<'a> {
            icpu: usize,
            scan: &'a amrkit_io::PartScan,
            cols: Vec<PartColumnMut<'a>>,
            result: amrkit_io::Result<()>,
        }
        let mut rest: Vec<PartColumnMut> = columns.iter_mut().map(|c| c.as_mut()).collect();
        let mut jobs = Vec::new();
        for ((&icpu, &n), scan) in cpus.iter().zip(&counts).zip(&scans) {
            let mut mine = Vec::new();
            for r in rest.iter_mut() {
                let (head, tail) = match std::mem::replace(r, PartColumnMut::I8(&mut [])) {
                    PartColumnMut::F64(s) => {
                        let (a, b) = s.split_at_mut(n);
                        (PartColumnMut::F64(a), PartColumnMut::F64(b))
                    }
                    PartColumnMut::I64(s) => {
                        let (a, b) = s.split_at_mut(n);
                        (PartColumnMut::I64(a), PartColumnMut::I64(b))
                    }
                    PartColumnMut::I8(s) => {
                        let (a, b) = s.split_at_mut(n);
                        (PartColumnMut::I8(a), PartColumnMut::I8(b))
                    }
                };
                *r = tail;
                mine.push(head);
            }
            jobs.push(Job {
                icpu,
                scan,
                cols: mine,
                result: Ok(()),
            });
        }
        exec.start("particles", cpus.len() as u64);
        exec.check()?;
        exec.par().min_chunk(1).for_each_mut(&mut jobs, |job| {
            if exec.cancelled() {
                return;
            }
            let cols = std::mem::take(&mut job.cols);
            job.result = snap.read_particles_scanned(job.icpu, job.scan, &idx, cols);
            exec.advance(1);
        });
        exec.finish();
        exec.check()?;
        for j in jobs {
            j.result?;
        }
    }
    let mut t = ParticleTable {
        units: Units::from_info(&snap.info),
        names: want.iter().map(|s| s.to_string()).collect(),
        columns,
    };
    if let Some(r) = sel.region {
        let b = snap.info.boxlen;
        let keep: Vec<bool> = {
            let pos = t.positions()?;
            (0..t.len())
                .map(|k| r.contains(std::array::from_fn(|d| pos[d].map_or(0.5, |p| p[k] / b))))
                .collect()
        };
        for c in &mut t.columns {
            match c {
                PartColumn::F64(v) => compact(v, &keep),
                PartColumn::I64(v) => compact(v, &keep),
                PartColumn::I8(v) => compact(v, &keep),
            }
        }
    }
    Ok(t)
}
