//! `amrkit-dist`: one output's CPU files shared between processes
//! (`mpirun -n N amrkit …`), with results bit for bit those of one process.
//!
//! - **The split.** The files a selection needs (its region is applied
//!   first) are cut into contiguous blocks in their Hilbert order, one per
//!   process, balanced by their size on disk (the AMR, hydro and gravity
//!   files of each CPU): neighbouring domains stay on one process.
//! - **The sums.** The kernels take every sum per block of one file and
//!   fold the block sums in file order ([`amrkit_kernels::derive`],
//!   [`amrkit_kernels::project`]). Each process computes its blocks'
//!   partial sums; rank 0 gathers them in rank order (= file order) and
//!   folds them as one process would. No reduction whose order depends on
//!   the number of processes.
//! - **Failure.** Every process sends rank 0 either its part or its
//!   error; rank 0 broadcasts the verdict, so every process returns the
//!   same error (the first in file order), and only rank 0 prints it and
//!   writes files. No process waits for one that has given up.
//!
//! Without the `mpi` feature only [`Single`] exists: the plain binary
//! runs the same code as a group of one.

#![warn(missing_docs)]

pub mod binned;
pub mod comm;
pub mod wire;

#[cfg(feature = "mpi")]
pub use comm::Mpi;
pub use comm::{launched_by_mpi, Comm, Single};

use amrkit_io::particles::PartColumn;
use amrkit_io::Snapshot;
use amrkit_kernels::export::{ExportReport, VtkOptions};
use amrkit_kernels::load::cpus_for_region;
use amrkit_kernels::project::{
    fold_partials, project_cells_streaming, project_partials, Maps, ProjSpec, Weight,
};
use amrkit_kernels::report::StatsReport;
use amrkit_kernels::request::{cells_for, export_output_vtk};
use amrkit_kernels::series::{Row, SeriesOptions};
use amrkit_kernels::summary::{
    particle_sums, stats_from_parts, stats_parts, stats_report, stats_rt, FamilySums, StatsParts,
};
use amrkit_kernels::{load_particles, Exec, KernelError, ParticleTable, Selection, Units};
use std::path::{Path, PathBuf};
use wire::{Reader, Writer};

/// Errors as the one line the CLI prints.
pub type Result<T> = std::result::Result<T, String>;

/// Contiguous blocks `[lo, hi)` of `costs.len()` items for `n` processes,
/// balanced by cost: block `r` ends at the first item where the running
/// cost reaches `r + 1` n-ths of the total (blocks may be empty when a few
/// items dominate, or when there are more processes than items).
pub fn balanced_blocks(costs: &[u64], n: usize) -> Vec<[usize; 2]> {
    let n = n.max(1);
    let total: u128 = costs.iter().map(|&c| c as u128).sum();
    let mut cuts = vec![0usize];
    let mut acc: u128 = 0;
    let mut k = 0;
    for r in 1..n {
        let want = total * r as u128;
        while k < costs.len() && (acc * n as u128) < want {
            acc += costs[k] as u128;
            k += 1;
        }
        cuts.push(k);
    }
    cuts.push(costs.len());
    cuts.windows(2).map(|w| [w[0], w[1]]).collect()
}

/// The cost of reading CPU file `icpu`: the bytes of its AMR, hydro and
/// gravity files (0 for those missing: their read fails on its process).
fn file_cost(s: &Snapshot, icpu: usize) -> u64 {
    ["amr", "hydro", "grav"]
        .iter()
        .filter_map(|k| std::fs::metadata(s.file(k, icpu)).ok())
        .map(|m| m.len())
        .sum::<u64>()
        .max(1)
}

/// This process's share of the selection: `sel` with
/// [`Selection::files`] set to its block (unchanged for a group of one).
pub fn share(comm: &dyn Comm, s: &Snapshot, sel: &Selection) -> Result<Selection> {
    if comm.size() == 1 {
        return Ok(*sel);
    }
    let cpus = cpus_for_region(s, sel).map_err(|e| e.to_string())?;
    let costs: Vec<u64> = cpus.iter().map(|&c| file_cost(s, c)).collect();
    let blocks = balanced_blocks(&costs, comm.size());
    Ok(Selection {
        files: Some(blocks[comm.rank()]),
        ..*sel
    })
}

/// Sends this process's `local` result (its message, or its error) to
/// rank 0, which answers every process with the verdict: `Ok(Some(every
/// message, in rank order))` on rank 0, `Ok(None)` on the others, or, on
/// every process, the first error in rank order.
pub fn gather_checked(comm: &dyn Comm, local: Result<Vec<u8>>) -> Result<Option<Vec<Vec<u8>>>> {
    let mut w = Writer::default();
    match &local {
        Ok(b) => {
            w.u64(0);
            w.buf.extend_from_slice(b);
        }
        Err(e) => {
            w.u64(1);
            w.str(e);
        }
    }
    drop(local);
    let all = comm.gather(&w.buf);
    drop(w);
    // `AMRKIT_DIST_TRACE=1`: rank 0 reports the bytes it received (what
    // docs/scaling.md counts as the traffic between ranks).
    if let Some(all) = all
        .as_ref()
        .filter(|_| std::env::var_os("AMRKIT_DIST_TRACE").is_some())
    {
        let sizes: Vec<usize> = all.iter().map(Vec::len).collect();
        eprintln!(
            "amrkit-dist: rank 0 gathered {} bytes {sizes:?}",
            sizes.iter().sum::<usize>()
        );
    }
    // Rank 0 reads every message; the verdict is empty (all well) or the
    // first error.
    let mut verdict = Vec::new();
    let mut bodies = Vec::new();
    if let Some(all) = all {
        for m in all {
            let mut r = Reader::new(&m);
            let tag = r.u64();
            match tag {
                Ok(0) => bodies.push(m[8..].to_vec()),
                Ok(1) if verdict.is_empty() => {
                    verdict = r.str().unwrap_or_else(|e| e).into_bytes();
                }
                Ok(1) => {}
                _ if verdict.is_empty() => verdict = wire::malformed().into_bytes(),
                _ => {}
            }
        }
    }
    let verdict = comm.broadcast(verdict);
    if !verdict.is_empty() {
        return Err(String::from_utf8_lossy(&verdict).into_owned());
    }
    Ok(comm.is_root().then_some(bodies))
}

/// `stats`: on rank 0 the [`StatsReport`] of the whole selection (the same
/// as one process's [`stats_report`]); `None` on the others.
pub fn stats(
    comm: &dyn Comm,
    s: &Snapshot,
    sel: &Selection,
    unit: Option<&str>,
    exec: &Exec,
) -> Result<Option<StatsReport>> {
    if comm.size() == 1 {
        return stats_report(s, sel, unit, exec)
            .map(Some)
            .map_err(|e| e.to_string());
    }
    let local = (|| -> Result<Vec<u8>> {
        let mine = share(comm, s, sel)?;
        let parts = stats_parts(s, &mine, exec).map_err(|e| e.to_string())?;
        let mut w = Writer::default();
        wire::put_stats(&mut w, &parts);
        if s.has_particles {
            put_family_sums(&mut w, particle_sums(s, &mine, exec));
        }
        Ok(w.buf)
    })();
    let Some(all) = gather_checked(comm, local)? else {
        return Ok(None);
    };
    let mut parts = Vec::new();
    let mut sums = Vec::new();
    for m in &all {
        let mut r = Reader::new(m);
        parts.push(wire::get_stats(&mut r)?);
        if s.has_particles {
            sums.push(get_family_sums(&mut r)?);
        }
        r.done()?;
    }
    let parts = StatsParts::concat(parts);
    // The processes' per-file sums in rank (so file) order: the list one
    // process makes; the first error, if any.
    let particles = s.has_particles.then(|| {
        sums.into_iter()
            .try_fold(Vec::new(), |mut all, p| {
                all.extend(p?);
                Ok(all)
            })
            .map_err(KernelError::Invalid)
    });
    // RAMSES-RT figures: read by rank 0 alone, over the whole selection
    // (the same sums as one process's).
    let rt = stats_rt(s, sel, unit, exec);
    stats_from_parts(s, sel, unit, &parts, particles, rt)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// A process's per-file particle sums of `stats` (or the error that
/// stopped reading them).
fn put_family_sums(w: &mut Writer, p: amrkit_kernels::Result<Vec<FamilySums>>) {
    match p {
        Ok(files) => {
            w.u64(0);
            w.u64(files.len() as u64);
            for f in &files {
                w.u64(f.len() as u64);
                for (name, &(count, mass)) in f {
                    w.str(name);
                    w.u64(count);
                    w.f64(mass);
                }
            }
        }
        Err(e) => {
            w.u64(1);
            w.str(&e.to_string());
        }
    }
}

fn get_family_sums(r: &mut Reader) -> Result<std::result::Result<Vec<FamilySums>, String>> {
    Ok(match r.u64()? {
        0 => {
            let mut files = Vec::new();
            for _ in 0..r.u64()? {
                let mut f = FamilySums::new();
                for _ in 0..r.u64()? {
                    let name = r.str()?;
                    f.insert(name, (r.u64()?, r.f64()?));
                }
                files.push(f);
            }
            Ok(files)
        }
        1 => Err(r.str()?),
        _ => return Err(wire::malformed()),
    })
}

/// A process's particles (or the error that stopped reading them).
fn put_particles(w: &mut Writer, p: amrkit_kernels::Result<ParticleTable>) {
    match p {
        Ok(p) => {
            w.u64(0);
            wire::put_columns(w, &p.names, &p.columns);
        }
        Err(e) => {
            w.u64(1);
            w.str(&e.to_string());
        }
    }
}

type Columns = std::result::Result<(Vec<String>, Vec<PartColumn>), String>;

fn get_particles(r: &mut Reader) -> Result<Columns> {
    Ok(match r.u64()? {
        0 => Ok(wire::get_columns(r)?),
        1 => Err(r.str()?),
        _ => return Err(wire::malformed()),
    })
}

/// The processes' particles, in rank order, as one table (the first
/// error, if any).
fn join_particles(s: &Snapshot, tables: Vec<Columns>) -> amrkit_kernels::Result<ParticleTable> {
    let mut out: Option<ParticleTable> = None;
    for t in tables {
        let (names, cols) = t.map_err(KernelError::Invalid)?;
        match &mut out {
            None => {
                out = Some(ParticleTable {
                    units: Units::from_info(&s.info),
                    names,
                    columns: cols,
                })
            }
            Some(all) => {
                if all.names != names {
                    return Err(KernelError::Invalid(wire::malformed()));
                }
                for (a, c) in all.columns.iter_mut().zip(cols) {
                    match (a, c) {
                        (PartColumn::F64(a), PartColumn::F64(c)) => a.extend(c),
                        (PartColumn::I64(a), PartColumn::I64(c)) => a.extend(c),
                        (PartColumn::I8(a), PartColumn::I8(c)) => a.extend(c),
                        _ => return Err(KernelError::Invalid(wire::malformed())),
                    }
                }
            }
        }
    }
    out.ok_or_else(|| KernelError::Invalid("no process sent particles".into()))
}

/// The selection's particles (fields `fields`, all when empty), read by
/// every process from its share of the files and gathered on rank 0 in
/// file order: the table one process reads. `None` on the others.
pub fn particles(
    comm: &dyn Comm,
    s: &Snapshot,
    sel: &Selection,
    fields: &[&str],
    exec: &Exec,
) -> Result<Option<ParticleTable>> {
    if comm.size() == 1 {
        return load_particles(s, sel, fields, exec)
            .map(Some)
            .map_err(|e| e.to_string());
    }
    let local = (|| -> Result<Vec<u8>> {
        let mine = share(comm, s, sel)?;
        let p = load_particles(s, &mine, fields, exec).map_err(|e| e.to_string())?;
        let mut w = Writer::default();
        put_particles(&mut w, Ok(p));
        Ok(w.buf)
    })();
    let Some(all) = gather_checked(comm, local)? else {
        return Ok(None);
    };
    let mut tables = Vec::new();
    for m in &all {
        let mut r = Reader::new(m);
        tables.push(get_particles(&mut r)?);
        r.done()?;
    }
    join_particles(s, tables)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `project`: on rank 0 the maps of the selection's cells (variables
/// loaded or derived, as [`cells_for`] makes them); `None` on the others.
/// A box region reads every cell that overlaps it
/// ([`Selection::with_overlapping_cells`]: the projection is the integral
/// over the box `spec.range`). Each process sends the partials of its
/// files' runs of cells.
pub fn project_cells(
    comm: &dyn Comm,
    s: &Snapshot,
    sel: &Selection,
    vars: &[&str],
    weight: Weight,
    spec: &ProjSpec,
    exec: &Exec,
) -> Result<Option<Maps>> {
    if comm.size() == 1 {
        // A CPU file at a time (bounded memory), bit for bit `project` of
        // the whole table.
        let mut spec = spec.clone();
        spec.vars = vars.iter().map(|v| v.to_string()).collect();
        spec.weight = weight;
        return project_cells_streaming(s, sel, &spec, exec)
            .map(Some)
            .map_err(|e| e.to_string());
    }
    let sel = &sel.with_overlapping_cells(&s.info);
    let local = (|| -> Result<Vec<u8>> {
        let mine = share(comm, s, sel)?;
        let t = cells_for(s, &mine, vars, weight, exec).map_err(|e| e.to_string())?;
        let parts = project_partials(&t, spec, exec).map_err(|e| e.to_string())?;
        drop(t);
        let mut w = Writer::default();
        wire::put_partials(&mut w, &parts);
        Ok(w.buf)
    })();
    let Some(all) = gather_checked(comm, local)? else {
        return Ok(None);
    };
    let mut parts = Vec::new();
    for m in &all {
        let mut r = Reader::new(m);
        parts.extend(wire::get_partials(&mut r)?);
        r.done()?;
    }
    fold_partials(spec, s.info.boxlen, &parts, exec)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `<prefix>` with `_rankRRRR` after its file name: one process's pieces.
fn rank_prefix(prefix: &Path, rank: usize) -> PathBuf {
    let name = prefix.file_name().unwrap_or_default().to_string_lossy();
    prefix.with_file_name(format!("{name}_rank{rank:04}"))
}

/// `export-vtk` of the cells: each process writes the `.vtu` pieces of its
/// share (`<prefix>_rankRRRR_level_LL.vtu`; a group of one writes
/// `<prefix>_level_LL.vtu` as the plain binary does), rank 0 the
/// `<prefix>.vtm` index over all of them. When any process fails, every
/// process removes what it wrote. Rank 0 gets the report over all
/// processes (its `files`: every piece, the `.vtm` last).
pub fn export_vtk(
    comm: &dyn Comm,
    s: &Snapshot,
    sel: &Selection,
    opts: &VtkOptions,
    prefix: &Path,
    exec: &Exec,
) -> Result<Option<ExportReport>> {
    if comm.size() == 1 {
        return export_output_vtk(s, sel, opts, prefix, exec)
            .map(Some)
            .map_err(|e| e.to_string());
    }
    let mut written: Vec<PathBuf> = Vec::new();
    let local = (|| -> Result<Vec<u8>> {
        let mine = share(comm, s, sel)?;
        let mut rep = export_output_vtk(s, &mine, opts, &rank_prefix(prefix, comm.rank()), exec)
            .map_err(|e| e.to_string())?;
        // This process's own index is not needed: rank 0 writes one for all.
        if let Some(vtm) = rep.files.pop() {
            let _ = std::fs::remove_file(vtm);
        }
        written = rep.files.clone();
        let mut w = Writer::default();
        w.u64(rep.cells as u64);
        w.u64(rep.points as u64);
        w.u64(rep.bytes);
        w.usize(rep.files.len());
        for f in &rep.files {
            w.str(&f.to_string_lossy());
        }
        Ok(w.buf)
    })();
    let all = match gather_checked(comm, local) {
        Ok(all) => all,
        Err(e) => {
            for f in &written {
                let _ = std::fs::remove_file(f);
            }
            return Err(e);
        }
    };
    let Some(all) = all else {
        return Ok(None);
    };
    let mut rep = ExportReport::default();
    let mut blocks = Vec::new();
    for (rank, m) in all.iter().enumerate() {
        let mut r = Reader::new(m);
        rep.cells += r.usize()?;
        rep.points += r.usize()?;
        rep.bytes += r.u64()?;
        for _ in 0..r.usize()? {
            let f = PathBuf::from(r.str()?);
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let level = name
                .rsplit_once("_level_")
                .map_or(name.as_str(), |(_, l)| l)
                .trim_end_matches(".vtu")
                .to_string();
            blocks.push((format!("rank{rank:04}_level_{level}"), PathBuf::from(name)));
            rep.files.push(f);
        }
        r.done()?;
    }
    let dir = prefix.parent().unwrap_or(Path::new(""));
    let stem = prefix.file_name().unwrap_or_default().to_string_lossy();
    let vtm = dir.join(format!("{stem}.vtm"));
    rep.bytes += amrkit_io::vtk::write_vtm(&vtm, &blocks).map_err(|e| e.to_string())?;
    rep.files.push(vtm);
    Ok(Some(rep))
}

/// `series`: the simulation's outputs are cut into contiguous blocks, one
/// per process; each process runs the pipeline on its own and rank 0
/// gathers the rows in output order (each row is computed as one process
/// computes it). `None` on the other processes.
pub fn series(
    comm: &dyn Comm,
    pool: &amrkit_pool::Pool,
    dirs: Vec<PathBuf>,
    opts: SeriesOptions,
) -> Result<Option<Vec<std::result::Result<Row, String>>>> {
    let n = dirs.len();
    let [lo, hi] = balanced_blocks(&vec![1; n], comm.size())[comm.rank()];
    let mine: Vec<PathBuf> = dirs[lo..hi].to_vec();
    let mut rows: Vec<std::result::Result<Row, String>> =
        vec![Err("not processed".into()); hi - lo];
    amrkit_kernels::series::series(pool, mine, opts, |i, r| rows[i] = r);
    if comm.size() == 1 {
        return Ok(Some(rows));
    }
    let mut w = Writer::default();
    w.usize(rows.len());
    for r in &rows {
        match r {
            Ok(v) => {
                w.u64(0);
                for x in [
                    v.time_code,
                    v.time_myr,
                    v.gas_mass,
                    v.stellar_mass,
                    v.mean_density,
                    v.mean_temperature_k,
                ] {
                    w.f64(x);
                }
            }
            Err(e) => {
                w.u64(1);
                w.str(e);
            }
        }
    }
    let Some(all) = gather_checked(comm, Ok(w.buf))? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(n);
    for m in &all {
        let mut r = Reader::new(m);
        for _ in 0..r.usize()? {
            out.push(match r.u64()? {
                0 => Ok(Row {
                    time_code: r.f64()?,
                    time_myr: r.f64()?,
                    gas_mass: r.f64()?,
                    stellar_mass: r.f64()?,
                    mean_density: r.f64()?,
                    mean_temperature_k: r.f64()?,
                }),
                1 => Err(r.str()?),
                _ => return Err(wire::malformed()),
            });
        }
        r.done()?;
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_contiguous_cover_everything_and_balance_cost() {
        let costs = [5, 1, 1, 1, 1, 1, 5, 1];
        for n in 1..=6 {
            let b = balanced_blocks(&costs, n);
            assert_eq!(b.len(), n);
            assert_eq!(b[0][0], 0);
            assert_eq!(b[n - 1][1], costs.len());
            for w in b.windows(2) {
                assert_eq!(w[0][1], w[1][0]);
            }
        }
        assert_eq!(balanced_blocks(&costs, 2), vec![[0, 4], [4, 8]]);
        assert_eq!(
            balanced_blocks(&[1, 1, 1, 1], 4),
            vec![[0, 1], [1, 2], [2, 3], [3, 4]]
        );
        // More processes than files: the last ones get none.
        assert_eq!(balanced_blocks(&[1, 1], 3), vec![[0, 1], [1, 2], [2, 2]]);
    }
}
