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
use crate::table::{carve, carve_particles, compact, lookup, per_file};
use crate::units::Units;
use amrkit_io::cpu::{CellRequest, CellSlices, CpuScan};
use amrkit_io::particles::{ColumnKind, PartColumn, PartColumnMut};
use amrkit_io::Snapshot;

pub use crate::table::{CellTable, ParticleTable};
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
    load_components_reusing(snap, only, sel, c, exec, None)
}

/// A column of `n` values in `v`'s allocation when there is one (no
/// fresh pages to fault in), else `n` zeros in a new one. A reused column
/// keeps its previous file's values where they fit (only the growth is
/// zeroed: rewriting them would cost a sixth of a `stats` run); the decode
/// writes every one of the `n` cells its scan counted before anything
/// reads them.
fn zeros<T: Copy>(v: Option<Vec<T>>, n: usize, zero: T) -> Vec<T> {
    match v {
        Some(mut v) => {
            v.truncate(n);
            v.resize(n, zero);
            v
        }
        None => vec![zero; n],
    }
}

/// [`load_components`] into the allocations of `spare`, a table a
/// streaming reduction is done with: a worker that reads file after file
/// refills the same memory instead of faulting in fresh pages for every
/// file (they were half of `stats`' time, issue 30).
pub fn load_components_reusing(
    snap: &Snapshot,
    only: Option<&[usize]>,
    sel: &Selection,
    c: &Components,
    exec: &Exec,
    spare: Option<CellTable>,
) -> Result<CellTable> {
    load_components_near(snap, only, sel, c, exec, spare, None)
}

/// [`load_components_reusing`] of the cells of `sel` that can meet `slab`
/// too (a slice's plane: the reader skips the octs and cells farther from
/// it, before decoding them).
pub fn load_components_near(
    snap: &Snapshot,
    only: Option<&[usize]>,
    sel: &Selection,
    c: &Components,
    exec: &Exec,
    spare: Option<CellTable>,
    slab: Option<amrkit_io::Slab>,
) -> Result<CellTable> {
    let (hydro, grav, rt) = (&c.hydro[..], &c.grav[..], &c.rt[..]);
    let req = cell_request(snap, sel, c, slab)?;
    let cpus = match only {
        Some(only) => only.to_vec(),
        None => cpus_for(snap, sel)?,
    };
    let scans = scan_cells(snap, &cpus, &req, exec)?;
    let total: usize = scans.iter().map(CpuScan::len).sum();
    let nvars = req.hydro_vars.len() + req.grav_vars.len() + req.rt_vars.len();
    let (mut level, mut ix, mut iy, mut iz, mut spare_cols) = match spare {
        Some(t) => (Some(t.level), Some(t.ix), Some(t.iy), Some(t.iz), t.columns),
        None => (None, None, None, None, Vec::new()),
    };
    let mut t = CellTable {
        units: Units::from_info(&snap.info),
        gamma: None,
        level: zeros(level.take(), total, 0),
        ix: zeros(ix.take(), total, 0),
        iy: zeros(iy.take(), total, 0),
        iz: zeros(iz.take(), total, 0),
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
        columns: (0..nvars)
            .map(|_| zeros(spare_cols.pop(), total, 0.0))
            .collect(),
        files: cpus
            .iter()
            .zip(&scans)
            .map(|(&c, s)| (c, s.len()))
            .collect(),
    };
    t.gamma = decode_cells(snap, &req, &scans, &mut t, exec)?;
    if let Some(r) = sel.region.filter(|r| !r.is_box()) {
        t.retain(|t, k| r.contains(t.centre_box(k)));
    }
    Ok(t)
}

/// What the reader is asked for to load the variables `c` of the cells of
/// `sel` (its region's bounding box: a shape that is not a box is cut
/// after the read) that can meet `slab`.
pub(crate) fn cell_request(
    snap: &Snapshot,
    sel: &Selection,
    c: &Components,
    slab: Option<amrkit_io::Slab>,
) -> Result<CellRequest> {
    if let Some(e) = c.rt.iter().find_map(|n| snap.rt_variable_problem(n)) {
        return Err(e.into());
    }
    let hnames: Vec<String> = snap.hydro_fields.iter().map(|f| f.name.clone()).collect();
    let rnames: Vec<String> = snap.rt_fields.iter().map(|f| f.name.clone()).collect();
    Ok(CellRequest {
        lmax: sel.lmax.unwrap_or(snap.info.levelmax),
        region: sel.region.map(|r| r.bounds(snap.info.extent)),
        slab,
        hydro_vars: lookup(&hnames, &c.hydro, "hydro")?,
        grav_vars: lookup(&snap.grav_fields, &c.grav, "gravity")?,
        rt_vars: lookup(&rnames, &c.rt, "rt")?,
    })
}

/// Phase one: every CPU file of `cpus` scanned (in parallel) for the
/// cells `req` selects.
fn scan_cells(
    snap: &Snapshot,
    cpus: &[usize],
    req: &CellRequest,
    exec: &Exec,
) -> Result<Vec<CpuScan>> {
    exec.check()?;
    exec.start("scan", cpus.len() as u64);
    let scans: Vec<amrkit_io::Result<CpuScan>> = exec.par().min_chunk(1).map(cpus, |&icpu| {
        let s = snap.scan_cpu(icpu, req);
        exec.advance(1);
        s
    });
    exec.finish();
    exec.check()?;
    Ok(scans.into_iter().collect::<amrkit_io::Result<Vec<_>>>()?)
}

/// Phase two: each file of `scans` decoded (one task per file, stolen by
/// idle workers) straight into its own slice of `t`'s columns, allocated
/// to the scans' total. Returns `gamma` from the hydro header, when hydro
/// was read.
fn decode_cells(
    snap: &Snapshot,
    req: &CellRequest,
    scans: &[CpuScan],
    t: &mut CellTable,
    exec: &Exec,
) -> Result<Option<f64>> {
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
    let (nh, ng) = (req.hydro_vars.len(), req.grav_vars.len());
    let counts: Vec<usize> = scans.iter().map(CpuScan::len).collect();
    let vars = per_file(
        t.columns.iter_mut().map(|c| carve(c, &counts)).collect(),
        scans.len(),
    );
    let mut jobs: Vec<Job> = scans
        .iter()
        .zip(carve(&mut t.level, &counts))
        .zip(carve(&mut t.ix, &counts))
        .zip(carve(&mut t.iy, &counts))
        .zip(carve(&mut t.iz, &counts))
        .zip(vars)
        .map(|(((((scan, level), ix), iy), iz), vars)| Job {
            scan,
            level,
            ix,
            iy,
            iz,
            vars,
            result: Ok(None),
        })
        .collect();
    exec.start("load", counts.iter().sum::<usize>() as u64);
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
            req,
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
    let mut gamma = None;
    for j in jobs {
        gamma = gamma.or(j.result?);
    }
    Ok(gamma)
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
        let cols = per_file(
            columns
                .iter_mut()
                .map(|c| carve_particles(c.as_mut(), &counts))
                .collect(),
            cpus.len(),
        );
        let mut jobs: Vec<Job> = cpus
            .iter()
            .zip(&scans)
            .zip(cols)
            .map(|((&icpu, scan), cols)| Job {
                icpu,
                scan,
                cols,
                result: Ok(()),
            })
            .collect();
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
