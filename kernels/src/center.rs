//! Centres of an output and the angular momentum about them.
//!
//! One module so that every command (`center`, `project --face-on`,
//! `slice`, profiles, phase diagrams) and the Python package find the same
//! centre with the same bits. Positions are in code units (the box spans
//! `[0, boxlen]` per coarse cell of `extent`); cells are gas leaves taken as
//! points at their centres with mass `ρ·dx³`; nothing wraps periodically.
//!
//! Sums are taken per block of one CPU file ([`CellTable::file_ranges`]) and
//! the blocks are added in file order, so a result depends neither on the
//! thread count nor on how the work is scheduled.
//!
//! Methods:
//! - `densest`: the centre of the leaf of highest density; ties go to the
//!   first in file order (CPU files in table order, then the order of the
//!   cells in the file).
//! - `com`: `Σ m x / Σ m`.
//! - `ssc`: the shrinking sphere of Power et al. (2003), as pynbody runs
//!   it but in f64 throughout: start at `com` with `r₀` half the box
//!   length; at each step keep the cells within `r_k` of the current
//!   centre (the first step at `r₀` itself), move the centre to their
//!   centre of mass, `r_{k+1} = 0.7 r_k`; stop when fewer than 100 cells
//!   are kept, returning the last centre computed from at least 100.
//!
//! # Bounded memory (issue 30)
//!
//! Over the files of an output ([`find_center_files`], [`spin_files`]) no
//! column of every cell is held: each pass reads a CPU file per worker
//! ([`crate::sums::reduce_files`]) and keeps its block's few sums. That
//! gives the table's bits because a cell outside the sphere adds nothing:
//! a block summed over any subset of the file's cells that holds every
//! cell within the sphere, in cell order, is the same block.
//!
//! `ssc` sums a dozen or more spheres. Rather than every cell held for all
//! of them (21 bytes a cell, as before: 590 MB for 11.6 M cells) or a pass
//! over the files for each, a pass also keeps the cells it sums (`x, y,
//! z, m`, 32 bytes each, per file in cell order) while they number at
//! most a budget ([`SSC_CACHE_CELLS`] by default: 4 MB), and the next
//! spheres are summed from that cache as long as they lie inside its ball.
//! The centre-of-mass pass keeps every cell when they fit; a sphere's pass
//! keeps the cells within that sphere, which hold the next spheres while
//! the centre moves less than the 30 % the radius shrinks by. Cost: one
//! pass for the centre of mass, then one per sphere with more cells than
//! the budget (about `log(N / budget) / log(1 / 0.7³)` for N cells spread
//! evenly) or outside the cached ball. An output of fewer cells than the
//! budget takes one pass; the shared outputs (0.08–0.29 M cells) take
//! 1 to 4, a synthetic one of 11.6 M cells 10 (16 spheres; with a
//! budget of 0, 17; with 4 M cells, 7). `L` takes two passes (the bulk
//! velocity, then `L` about it), and so do the particles added to it.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{CellTable, ParticleTable};

/// How a centre is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The centre of the densest leaf cell.
    Densest,
    /// The centre of mass.
    Com,
    /// The shrinking-sphere centre.
    Ssc,
}

impl Method {
    /// The method's name as the CLI takes it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Densest => "densest",
            Method::Com => "com",
            Method::Ssc => "ssc",
        }
    }

    /// A method by name: `densest`, `com` or `ssc`.
    pub fn parse(s: &str) -> Result<Method> {
        match s.trim() {
            "densest" => Ok(Method::Densest),
            "com" => Ok(Method::Com),
            "ssc" => Ok(Method::Ssc),
            other => Err(KernelError::Invalid(format!(
                "--method must be densest, com or ssc, got {other:?}"
            ))),
        }
    }
}

/// A `--center` argument: a method, or a point given by its coordinates
/// in the caller's length unit (converting them is the caller's job).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Center {
    /// Found from the data.
    Method(Method),
    /// Given coordinates (in the caller's length unit).
    At([f64; 3]),
}

impl Center {
    /// Parses `densest`, `com`, `ssc` or `x,y,z` (three finite numbers).
    pub fn parse(s: &str) -> Result<Center> {
        if let Ok(m) = Method::parse(s) {
            return Ok(Center::Method(m));
        }
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || {
            KernelError::Invalid(format!(
                "--center must be densest, com, ssc or three coordinates x,y,z, got {s:?}"
            ))
        };
        if parts.len() != 3 {
            return Err(bad());
        }
        let mut c = [0.0; 3];
        for (v, p) in c.iter_mut().zip(&parts) {
            *v = p.parse::<f64>().map_err(|_| bad())?;
            if !v.is_finite() {
                return Err(bad());
            }
        }
        Ok(Center::At(c))
    }
}

/// Fails with one line when `c` (code units) is not inside the box.
pub fn check_inside(units: &crate::Units, c: [f64; 3]) -> Result<()> {
    let inside = (0..3).all(|d| {
        let hi = units.extent[d] as f64 * units.boxlen;
        c[d].is_finite() && c[d] >= 0.0 && c[d] <= hi
    });
    if inside {
        Ok(())
    } else {
        let hi: Vec<f64> = (0..3)
            .map(|d| units.extent[d] as f64 * units.boxlen)
            .collect();
        Err(KernelError::Invalid(format!(
            "the centre ({}, {}, {}) (code units) is outside the box [0, {}]×[0, {}]×[0, {}]",
            c[0], c[1], c[2], hi[0], hi[1], hi[2]
        )))
    }
}

/// The centre of cell `k` in code units.
#[inline]
fn pos(t: &CellTable, k: usize) -> [f64; 3] {
    let c = t.centre_box(k);
    let b = t.units.boxlen;
    [c[0] * b, c[1] * b, c[2] * b]
}

/// Sums of `K` numbers over the cells for which `f` gives some, per block
/// of one CPU file (in parallel), the blocks added in file order; also the
/// number of cells counted.
fn file_sums<const K: usize>(
    t: &CellTable,
    exec: &Exec,
    f: impl Fn(usize) -> Option<[f64; K]> + Sync,
) -> ([f64; K], usize) {
    let ranges = t.file_ranges();
    let blocks = exec.par().min_chunk(1).map(&ranges, |(_, r)| {
        let mut s = [0.0; K];
        let mut n = 0usize;
        for k in r.clone() {
            if let Some(v) = f(k) {
                for (a, b) in s.iter_mut().zip(v) {
                    *a += b;
                }
                n += 1;
            }
        }
        (s, n)
    });
    let mut s = [0.0; K];
    let mut n = 0;
    for (b, m) in blocks {
        for (a, v) in s.iter_mut().zip(b) {
            *a += v;
        }
        n += m;
    }
    (s, n)
}

/// Whether the point `x` lies outside the sphere of radius `r` about `c`
/// (the one test of the sums: a cell is within when this is false).
#[inline]
fn outside(x: [f64; 3], c: [f64; 3], r: f64) -> bool {
    let d2 = (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2) + (x[2] - c[2]).powi(2);
    d2 > r * r
}

/// Sums `[Σ m, Σ m x, Σ m y, Σ m z]` over the cells within `r` of `c`
/// (all cells when `None`), and how many cells that is.
fn com_sums(
    t: &CellTable,
    rho: &[f64],
    sphere: Option<([f64; 3], f64)>,
    exec: &Exec,
) -> ([f64; 4], usize) {
    file_sums::<4>(t, exec, |k| {
        let x = pos(t, k);
        if sphere.is_some_and(|(c, r)| outside(x, c, r)) {
            return None;
        }
        let m = rho[k] * t.volume(k);
        Some([m, m * x[0], m * x[1], m * x[2]])
    })
}

/// The centre of mass of [`com_sums`]' sums; `None` without mass.
fn com_of(s: [f64; 4]) -> Option<[f64; 3]> {
    (s[0] > 0.0).then(|| [s[1] / s[0], s[2] / s[0], s[3] / s[0]])
}

/// `Σ m x / Σ m` over the cells within `r` of `c` (all cells when `None`),
/// and how many cells that is; `None` when they have no mass.
fn com_within(
    t: &CellTable,
    rho: &[f64],
    sphere: Option<([f64; 3], f64)>,
    exec: &Exec,
) -> (Option<[f64; 3]>, usize) {
    let (s, n) = com_sums(t, rho, sphere, exec);
    (com_of(s), n)
}

/// The first cell of highest density (NaN never wins).
fn densest_cell(rho: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (k, &r) in rho.iter().enumerate() {
        if best.is_none_or(|b| r > rho[b]) && !r.is_nan() {
            best = Some(k);
        }
    }
    best
}

/// The centre of a table of gas leaves by `method` (code units). The
/// table needs a `density` column.
pub fn find_center(t: &CellTable, method: Method, exec: &Exec) -> Result<[f64; 3]> {
    if t.is_empty() {
        return Err(no_cells(method));
    }
    let rho = t.column("density")?;
    let no_mass = || no_mass(method);
    match method {
        Method::Densest => {
            // The first maximum in table (= file) order.
            Ok(pos(t, densest_cell(rho).ok_or_else(no_mass)?))
        }
        Method::Com => com_within(t, rho, None, exec).0.ok_or_else(no_mass),
        Method::Ssc => {
            let mut c = com_within(t, rho, None, exec).0.ok_or_else(no_mass)?;
            let len = (0..3)
                .map(|d| t.units.extent[d] as f64 * t.units.boxlen)
                .fold(0.0, f64::max);
            let mut r = 0.5 * len;
            loop {
                let (next, n) = com_within(t, rho, Some((c, r)), exec);
                match next {
                    Some(nc) if n >= 100 => c = nc,
                    _ => return Ok(c),
                }
                r *= 0.7;
            }
        }
    }
}

/// The centre of the gas leaves of the files of `sel` by `method` (code
/// units), as [`find_center`] finds it on a table of every file, bit for
/// bit, a CPU file at a time (peak memory: a file's levels, positions and
/// densities per worker). `densest` and `com` reduce each file to its first
/// maximum, or its sums — one block per file, as [`find_center`] takes
/// them — folded in file order; `ssc` runs [`shrinking_sphere_files`] with
/// a cache of [`SSC_CACHE_CELLS`] cells.
pub fn find_center_files(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    method: Method,
    exec: &Exec,
) -> Result<[f64; 3]> {
    if method == Method::Ssc {
        return Ok(shrinking_sphere_files(snap, sel, SSC_CACHE_CELLS, exec)?.center);
    }
    // Per file: its cells, its densest cell (density, centre), its sums.
    type FileCentre = (usize, Option<(f64, [f64; 3])>, ([f64; 4], usize));
    let per_file: Vec<FileCentre> =
        crate::sums::reduce_files(snap, sel, &density_only(), "centre", exec, |t, one| {
            let rho = t.column("density")?;
            Ok(match method {
                Method::Densest => {
                    let best = densest_cell(rho);
                    (t.len(), best.map(|k| (rho[k], pos(t, k))), ([0.0; 4], 0))
                }
                _ => (t.len(), None, com_sums(t, rho, None, one)),
            })
        })?;
    if per_file.iter().all(|f| f.0 == 0) {
        return Err(no_cells(method));
    }
    if method == Method::Densest {
        // The first maximum in file order: a later file wins only when
        // strictly denser.
        let mut best: Option<(f64, [f64; 3])> = None;
        for (r, x) in per_file.iter().filter_map(|f| f.1) {
            if best.is_none_or(|b| r > b.0) {
                best = Some((r, x));
            }
        }
        return Ok(best.ok_or_else(|| no_mass(method))?.1);
    }
    let s = fold_blocks(per_file.iter().map(|f| (f.2).0));
    com_of(s).ok_or_else(|| no_mass(method))
}

/// What the centres read: the density (levels and positions come with
/// every load).
fn density_only() -> crate::load::Components<'static> {
    crate::load::Components {
        hydro: vec!["density"],
        ..Default::default()
    }
}

fn no_cells(method: Method) -> KernelError {
    KernelError::Invalid(format!("no cells to find a centre ({}) in", method.name()))
}

fn no_mass(method: Method) -> KernelError {
    KernelError::Invalid(format!(
        "no gas mass to find a centre ({}) from",
        method.name()
    ))
}

/// Per-file block sums added one after the other in file order, from
/// zero, as [`file_sums`] folds its blocks.
fn fold_blocks<const K: usize>(blocks: impl IntoIterator<Item = [f64; K]>) -> [f64; K] {
    let mut s = [0.0; K];
    for b in blocks {
        for (a, v) in s.iter_mut().zip(b) {
            *a += v;
        }
    }
    s
}

/// Cells the shrinking sphere keeps between passes by default (32 bytes
/// each: 4 MB). More costs memory and saves a pass now and then (on 11.6 M
/// cells: 10 passes, 8 with 2^20 cells, 7 with 2^22); `memory_bound`
/// runs `--center ssc` in 24 MiB of data, 16 MiB of which it needs.
pub const SSC_CACHE_CELLS: usize = 1 << 17;

/// The most cells reserved from the budget at a time (a chunk of the
/// cache: 128 kB), so that workers touch the shared count once per chunk.
const CHUNK: usize = 4096;

/// How [`shrinking_sphere_files`] found its centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SscRun {
    /// The centre (code units), the bits of [`find_center`]'s `ssc`.
    pub center: [f64; 3],
    /// Passes over the files: the centre of mass, then one per sphere
    /// the cache did not hold (1: the cells fit in the cache).
    pub passes: usize,
    /// Spheres summed from the cache.
    pub from_cache: usize,
    /// Spheres passed over the files while a cache was held (the sphere
    /// left the cache's ball).
    pub misses: usize,
}

/// One file's cells of a ball, `[x, y, z, m]` in cell order, in chunks
/// of at most [`CHUNK`] (no reallocation while collecting).
type FileCells = Vec<Vec<[f64; 4]>>;

/// The cells within a ball `(C, R)` (every cell when `R` is infinite),
/// every file's (in file order).
struct BallCache {
    centre: [f64; 3],
    radius: f64,
    files: Vec<FileCells>,
}

impl BallCache {
    /// Whether every cell within `r` of `c` is in the cache: the sphere
    /// lies inside the ball, `|c − C| + r ≤ R`, with a margin far above
    /// the rounding of the distances (a few units in the last place).
    fn covers(&self, c: [f64; 3], r: f64) -> bool {
        let d = (0..3)
            .map(|k| (c[k] - self.centre[k]).powi(2))
            .sum::<f64>()
            .sqrt();
        d + r <= self.radius * (1.0 - 1e-9)
    }

    /// [`com_sums`] of the sphere from the cached cells: per file, those
    /// within the sphere in cell order (every cell of the file that is
    /// within it), the files' blocks folded in file order.
    fn sums(&self, c: [f64; 3], r: f64, exec: &Exec) -> ([f64; 4], usize) {
        let blocks = exec.par().min_chunk(1).map(&self.files, |chunks| {
            let mut s = [0.0; 4];
            let mut n = 0usize;
            for &[x, y, z, m] in chunks.iter().flatten() {
                if outside([x, y, z], c, r) {
                    continue;
                }
                for (a, b) in s.iter_mut().zip([m, m * x, m * y, m * z]) {
                    *a += b;
                }
                n += 1;
            }
            (s, n)
        });
        let n = blocks.iter().map(|b| b.1).sum();
        (fold_blocks(blocks.into_iter().map(|b| b.0)), n)
    }
}

/// The budget of a collection shared by the workers of a pass: cells
/// reserved so far, and whether the budget was exceeded (then nobody
/// keeps anything).
struct Budget {
    cells: usize,
    used: std::sync::atomic::AtomicUsize,
    over: std::sync::atomic::AtomicBool,
}

impl Budget {
    /// Nothing reserved yet of `cells`.
    fn new(cells: usize) -> Budget {
        Budget {
            cells,
            used: Default::default(),
            over: Default::default(),
        }
    }

    /// Adds a cell to `file`, reserving a chunk when the last one is full;
    /// drops the file's cells once the budget is exceeded.
    fn keep(&self, file: &mut FileCells, cell: [f64; 4]) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.over.load(Relaxed) {
            file.clear();
            return;
        }
        if file.last().is_none_or(|c| c.len() == c.capacity()) {
            // Chunks of 64 cells, doubling up to `CHUNK`: a file with a
            // few cells in the sphere reserves little of the budget.
            let size = file.last().map_or(64, |c| (2 * c.capacity()).min(CHUNK));
            if self.used.fetch_add(size, Relaxed) + size > self.cells {
                self.over.store(true, Relaxed);
                file.clear();
                return;
            }
            file.push(Vec::with_capacity(size));
        }
        if let Some(c) = file.last_mut() {
            c.push(cell);
        }
    }
}

/// `[Σ m, Σ m x, Σ m y, Σ m z]` of a sphere, and its cells.
type ComSums = ([f64; 4], usize);

/// A pass's step on the cells `cells` of one CPU file of `t`: their
/// [`com_sums`] within the sphere (every cell when `None`), added in cell
/// order as [`file_sums`] adds a file's block, and those cells kept while
/// the budget lasts.
fn file_pass(
    t: &CellTable,
    cells: std::ops::Range<usize>,
    sphere: Option<([f64; 3], f64)>,
    budget: &Budget,
) -> Result<(ComSums, FileCells)> {
    let rho = t.column("density")?;
    let mut s = [0.0; 4];
    let mut n = 0usize;
    let mut kept = FileCells::new();
    for k in cells {
        let x = pos(t, k);
        if sphere.is_some_and(|(c, r)| outside(x, c, r)) {
            continue;
        }
        let m = rho[k] * t.volume(k);
        for (a, b) in s.iter_mut().zip([m, m * x[0], m * x[1], m * x[2]]) {
            *a += b;
        }
        n += 1;
        budget.keep(&mut kept, [x[0], x[1], x[2], m]);
    }
    Ok(((s, n), kept))
}

/// One pass over the files for the sphere `(c, r)` (every cell when
/// `None`): [`com_sums`] of every file folded in file order, and the
/// cells within the sphere as a cache when they fit in `budget` cells.
fn sphere_pass(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    sphere: Option<([f64; 3], f64)>,
    budget: usize,
    exec: &Exec,
) -> Result<(ComSums, Option<BallCache>)> {
    let budget = Budget::new(budget);
    let per_file = crate::sums::reduce_files(snap, sel, &density_only(), "ssc", exec, |t, _| {
        file_pass(t, 0..t.len(), sphere, &budget)
    })?;
    let n = per_file.iter().map(|f| (f.0).1).sum();
    let s = fold_blocks(per_file.iter().map(|f| (f.0).0));
    let over = budget.over.load(std::sync::atomic::Ordering::Relaxed);
    let (centre, radius) = sphere.unwrap_or(([0.0; 3], f64::INFINITY));
    let cache = (!over).then(|| BallCache {
        centre,
        radius,
        files: per_file.into_iter().map(|f| f.1).collect(),
    });
    Ok(((s, n), cache))
}

/// The shrinking-sphere centre of the gas leaves of the files of `sel`,
/// the bits of [`find_center`]'s `ssc` on a table of every file, holding
/// at most `cache_cells` cells (32 bytes each) besides a file per worker.
///
/// A pass over the files gives the centre of mass, and keeps every cell
/// as the cache when they fit in `cache_cells`. Each sphere is then
/// summed from the cache when the cache's ball holds it, else by a pass
/// over the files that also collects the sphere's cells as the new cache
/// (dropped when they exceed `cache_cells`). A sphere's sums per file
/// take exactly the file's cells within it, in cell order, whether they
/// come from the files or from a cache holding them all, so every block
/// and the fold of the blocks are the table's bits.
pub fn shrinking_sphere_files(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    cache_cells: usize,
    exec: &Exec,
) -> Result<SscRun> {
    let ((s, n), mut cache) = sphere_pass(snap, sel, None, cache_cells, exec)?;
    if n == 0 {
        return Err(no_cells(Method::Ssc));
    }
    let mut c = com_of(s).ok_or_else(|| no_mass(Method::Ssc))?;
    let units = crate::Units::from_info(&snap.info);
    let len = (0..3)
        .map(|d| units.extent[d] as f64 * units.boxlen)
        .fold(0.0, f64::max);
    let mut r = 0.5 * len;
    let mut run = SscRun {
        center: c,
        passes: 1,
        from_cache: 0,
        misses: 0,
    };
    loop {
        let (s, n) = match cache.as_ref().filter(|b| b.covers(c, r)) {
            Some(b) => {
                run.from_cache += 1;
                b.sums(c, r, exec)
            }
            None => {
                // Freed before the pass collects the next one.
                run.misses += usize::from(cache.take().is_some());
                run.passes += 1;
                let (sums, fresh) = sphere_pass(snap, sel, Some((c, r)), cache_cells, exec)?;
                cache = fresh;
                sums
            }
        };
        match com_of(s) {
            Some(nc) if n >= 100 => c = nc,
            _ => {
                run.center = c;
                return Ok(run);
            }
        }
        r *= 0.7;
    }
}

/// The angular momentum of the matter within `radius` of `center`.
#[derive(Clone, Debug, PartialEq)]
pub struct Spin {
    /// The centre (code units).
    pub center: [f64; 3],
    /// The sphere's radius (code units).
    pub radius: f64,
    /// Mass-weighted mean velocity within the sphere (code units).
    pub bulk_velocity: [f64; 3],
    /// Specific angular momentum `Σ m (x − c) × (v − v_bulk) / Σ m`.
    pub l: [f64; 3],
    /// `L / |L|`.
    pub l_hat: [f64; 3],
    /// Mass within the sphere (code units).
    pub mass: f64,
    /// Gas cells within the sphere.
    pub cells: usize,
    /// Particles within the sphere (of the families asked for).
    pub particles: usize,
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Particles to add to the gas: the table (positions, velocities and
/// masses loaded) and the family codes kept (all when empty).
pub type ParticleSet<'a> = (&'a ParticleTable, &'a [i8]);

/// The particle fields [`spin`] reads.
pub const SPIN_PARTICLE_FIELDS: [&str; 8] = [
    "position_x",
    "position_y",
    "position_z",
    "velocity_x",
    "velocity_y",
    "velocity_z",
    "mass",
    "family",
];

/// Where the particles added to the gas come from.
#[derive(Clone, Copy)]
enum Particles<'a> {
    /// None: the gas alone.
    None,
    /// A table ([`ParticleSet`]).
    Table(ParticleSet<'a>),
    /// The particle files of the selection ([`SPIN_PARTICLE_FIELDS`] of
    /// one file per worker, a window of files at a time), and the family
    /// codes kept (all when empty).
    Files(
        &'a amrkit_io::Snapshot,
        &'a crate::select::Selection,
        &'a [i8],
    ),
}

/// Adds `f(m, x, v)` of the particles of `p` kept (of the families
/// `fams`, all when empty) within `r` of `c` to `s`, in table order, and
/// counts them in `n`.
fn add_particles<const K: usize>(
    (p, fams): ParticleSet,
    (c, r): ([f64; 3], f64),
    f: &impl Fn(f64, [f64; 3], [f64; 3]) -> [f64; K],
    (s, n): (&mut [f64; K], &mut usize),
) -> Result<()> {
    let x = [
        p.reals("position_x")?,
        p.reals("position_y")?,
        p.reals("position_z")?,
    ];
    let v = [
        p.reals("velocity_x")?,
        p.reals("velocity_y")?,
        p.reals("velocity_z")?,
    ];
    let m = p.reals("mass")?;
    let fam = if fams.is_empty() {
        None
    } else {
        Some(p.families()?)
    };
    for k in 0..p.len() {
        if fam.is_some_and(|f| !fams.contains(&f[k])) {
            continue;
        }
        let xk = [x[0][k], x[1][k], x[2][k]];
        let d2 = (xk[0] - c[0]).powi(2) + (xk[1] - c[1]).powi(2) + (xk[2] - c[2]).powi(2);
        if d2 > r * r {
            continue;
        }
        for (a, b) in s.iter_mut().zip(f(m[k], xk, [v[0][k], v[1][k], v[2][k]])) {
            *a += b;
        }
        *n += 1;
    }
    Ok(())
}

/// Sums over the particles kept within the sphere, in table order (the
/// files' particles one file after the other, in file order): `f(m, x,
/// v)` added up, and how many particles that is.
fn particle_sums<const K: usize>(
    parts: Particles,
    sphere: ([f64; 3], f64),
    exec: &Exec,
    f: impl Fn(f64, [f64; 3], [f64; 3]) -> [f64; K],
) -> Result<([f64; K], usize)> {
    let mut s = [0.0; K];
    let mut n = 0;
    match parts {
        Particles::None => {}
        Particles::Table(set) => add_particles(set, sphere, &f, (&mut s, &mut n))?,
        Particles::Files(snap, sel, fams) => {
            let all = crate::load::cpus_for(snap, sel)?.len();
            let [lo, hi] = sel.files.unwrap_or([0, all]);
            let one = Exec {
                max_threads: Some(1),
                progress: None,
                ..*exec
            };
            let files: Vec<usize> = (lo..hi).collect();
            for window in files.chunks(2 * exec.threads().max(1)) {
                exec.check()?;
                let tables = exec.par().min_chunk(1).map(window, |&k| {
                    let file = crate::select::Selection {
                        files: Some([k, k + 1]),
                        ..*sel
                    };
                    crate::load::load_particles(snap, &file, &SPIN_PARTICLE_FIELDS, &one)
                });
                for p in tables {
                    add_particles((&p?, fams), sphere, &f, (&mut s, &mut n))?;
                }
            }
        }
    }
    Ok((s, n))
}

/// The radius of a sphere of [`spin`]: positive and finite.
fn check_radius(radius: f64) -> Result<()> {
    if radius > 0.0 && radius.is_finite() {
        Ok(())
    } else {
        Err(KernelError::Invalid(format!(
            "the radius must be positive and finite, got {radius}"
        )))
    }
}

/// The centre of cell `k` when it lies within `√r2` of `c`.
#[inline]
fn within(t: &CellTable, k: usize, c: [f64; 3], r2: f64) -> Option<[f64; 3]> {
    let x = pos(t, k);
    let d2 = (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2) + (x[2] - c[2]).powi(2);
    (d2 <= r2).then_some(x)
}

/// The density and velocity columns [`spin`] reads.
fn mass_velocity(t: &CellTable) -> Result<(&[f64], [&[f64]; 3])> {
    Ok((
        t.column("density")?,
        [
            t.column("velocity_x")?,
            t.column("velocity_y")?,
            t.column("velocity_z")?,
        ],
    ))
}

/// `[Σ m, Σ m v]` of the gas leaves of `t` within `r` of `c` (blocks of
/// one file folded in file order), and how many cells that is.
fn gas_momentum(t: &CellTable, c: [f64; 3], r: f64, exec: &Exec) -> Result<([f64; 4], usize)> {
    let (rho, vel) = mass_velocity(t)?;
    let r2 = r * r;
    Ok(file_sums::<4>(t, exec, |k| {
        within(t, k, c, r2)?;
        let m = rho[k] * t.volume(k);
        Some([m, m * vel[0][k], m * vel[1][k], m * vel[2][k]])
    }))
}

/// `Σ m (x − c) × (v − vb)` of the gas leaves of `t` within `r` of `c`
/// (blocks of one file folded in file order).
fn gas_angular(t: &CellTable, c: [f64; 3], r: f64, vb: [f64; 3], exec: &Exec) -> Result<[f64; 3]> {
    let (rho, vel) = mass_velocity(t)?;
    let r2 = r * r;
    Ok(file_sums::<3>(t, exec, |k| {
        let x = within(t, k, c, r2)?;
        let m = rho[k] * t.volume(k);
        let d = [x[0] - c[0], x[1] - c[1], x[2] - c[2]];
        let u = [vel[0][k] - vb[0], vel[1][k] - vb[1], vel[2][k] - vb[2]];
        let l = cross(d, u);
        Some([m * l[0], m * l[1], m * l[2]])
    })
    .0)
}

/// The bulk velocity and specific angular momentum of the gas (and the
/// particles `parts`, when given) within `radius` of `center` (code
/// units). The table needs `density` and `velocity_x/y/z`. Gas sums are
/// folded per file in file order, then the particles' sums are added.
pub fn spin(
    t: &CellTable,
    parts: Option<ParticleSet>,
    center: [f64; 3],
    radius: f64,
    exec: &Exec,
) -> Result<Spin> {
    check_radius(radius)?;
    let parts = parts.map_or(Particles::None, Particles::Table);
    spin_from(
        parts,
        (center, radius),
        exec,
        || gas_momentum(t, center, radius, exec),
        |vb| gas_angular(t, center, radius, vb, exec),
    )
}

/// [`spin`] of the gas leaves of the files of `sel` (which should hold
/// the sphere), a CPU file at a time: two passes over the files, the
/// first for the mass and momentum, the second for `L` about the bulk
/// velocity the first gives. Each file's sums are the block it has in a
/// table of every file, folded in file order: the bits of [`spin`] on
/// that table. The particles of `families` (`None`: the gas alone;
/// empty: every family) are read the same way, a file per worker a window
/// of files at a time, and added in file order: the bits of [`spin`] with
/// the table of the selection's particles. Peak memory: a file's levels,
/// positions, density and velocities, or its particles, per worker.
pub fn spin_files(
    snap: &amrkit_io::Snapshot,
    sel: &crate::select::Selection,
    families: Option<&[i8]>,
    center: [f64; 3],
    radius: f64,
    exec: &Exec,
) -> Result<Spin> {
    use crate::sums::reduce_files;
    check_radius(radius)?;
    let comps = crate::load::Components {
        hydro: vec!["density", "velocity_x", "velocity_y", "velocity_z"],
        ..Default::default()
    };
    let (c, r) = (center, radius);
    let parts = families.map_or(Particles::None, |f| Particles::Files(snap, sel, f));
    spin_from(
        parts,
        (center, radius),
        exec,
        || {
            let per_file = reduce_files(snap, sel, &comps, "spin", exec, |t, one| {
                gas_momentum(t, c, r, one)
            })?;
            let n = per_file.iter().map(|f| f.1).sum();
            Ok((fold_blocks(per_file.into_iter().map(|f| f.0)), n))
        },
        |vb| {
            let per_file = reduce_files(snap, sel, &comps, "spin", exec, |t, one| {
                gas_angular(t, c, r, vb, one)
            })?;
            Ok(fold_blocks(per_file))
        },
    )
}

/// The [`Spin`] from the gas sums (`momentum`: `[Σ m, Σ m v]` and the
/// cells; `angular`: `Σ m (x − c) × (v − vb)` given `vb`), the particles'
/// added to them.
fn spin_from(
    parts: Particles,
    (c, radius): ([f64; 3], f64),
    exec: &Exec,
    momentum: impl FnOnce() -> Result<([f64; 4], usize)>,
    angular: impl FnOnce([f64; 3]) -> Result<[f64; 3]>,
) -> Result<Spin> {
    let (g, cells) = momentum()?;
    let (pb, np) = particle_sums::<4>(parts, (c, radius), exec, |m, _, v| {
        [m, m * v[0], m * v[1], m * v[2]]
    })?;
    let s: [f64; 4] = std::array::from_fn(|i| g[i] + pb[i]);
    if s[0].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(KernelError::Invalid(format!(
            "no mass within {radius} (code units) of the centre ({}, {}, {})",
            c[0], c[1], c[2]
        )));
    }
    let vb = [s[1] / s[0], s[2] / s[0], s[3] / s[0]];
    let gl = angular(vb)?;
    let (pl, _) = particle_sums::<3>(parts, (c, radius), exec, |m, x, v| {
        let d = [x[0] - c[0], x[1] - c[1], x[2] - c[2]];
        let u = [v[0] - vb[0], v[1] - vb[1], v[2] - vb[2]];
        let l = cross(d, u);
        [m * l[0], m * l[1], m * l[2]]
    })?;
    let l: [f64; 3] = std::array::from_fn(|i| (gl[i] + pl[i]) / s[0]);
    let norm = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
    let l_hat = if norm > 0.0 {
        l.map(|v| v / norm)
    } else {
        [f64::NAN; 3]
    };
    Ok(Spin {
        center: c,
        radius,
        bulk_velocity: vb,
        l,
        l_hat,
        mass: s[0],
        cells,
        particles: np,
    })
}

/// `L̂` for a face-on or edge-on view: fails with one line when the sphere
/// holds no mass or no angular momentum.
pub fn spin_axis(s: &Spin) -> Result<[f64; 3]> {
    if s.l_hat.iter().all(|v| v.is_finite()) {
        Ok(s.l_hat)
    } else {
        Err(KernelError::Invalid(format!(
            "no angular momentum within {} (code units) of the centre ({}, {}, {}): no face-on or edge-on direction",
            s.radius, s.center[0], s.center[1], s.center[2]
        )))
    }
}

/// The JSON of `amrkit center --json` (and Python's `s.center()`): code
/// units, plus a `units` object with the same in `length_unit`, km/s and
/// `length_unit`·km/s.
pub fn center_json(
    method: &str,
    s: &Spin,
    units: &crate::Units,
    length_unit: &str,
) -> Result<serde_json::Value> {
    use crate::units::Quantity;
    let fl = units.factor(Quantity::Length, length_unit)?;
    let fv = units.factor(Quantity::Velocity, "km/s")?;
    let v3 = |v: [f64; 3], f: f64| serde_json::json!([v[0] * f, v[1] * f, v[2] * f]);
    Ok(serde_json::json!({
        "method": method,
        "center": v3(s.center, 1.0),
        "bulk_velocity": v3(s.bulk_velocity, 1.0),
        "L": v3(s.l, 1.0),
        "L_hat": v3(s.l_hat, 1.0),
        "radius": s.radius,
        "cells": s.cells,
        "units": {
            "length_unit": length_unit,
            "velocity_unit": "km/s",
            "L_unit": format!("{length_unit} km/s"),
            "center": v3(s.center, fl),
            "bulk_velocity": v3(s.bulk_velocity, fv),
            "L": v3(s.l, fl * fv),
            "radius": s.radius * fl,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells of levels 3–6 at pseudo-random places in a box of 2.5, in 7
    /// CPU files.
    fn table() -> CellTable {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut below = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) % n
        };
        let mut t = CellTable {
            units: crate::Units {
                ndim: 3,
                boxlen: 2.5,
                extent: [1; 3],
                ..Default::default()
            },
            names: vec!["density".into()],
            columns: vec![Vec::new()],
            ..Default::default()
        };
        for file in 1..=7 {
            let n = 300 + below(400) as usize;
            for _ in 0..n {
                let l = 3 + below(4) as u8;
                t.level.push(l);
                t.ix.push(below(1 << l) as u32);
                t.iy.push(below(1 << l) as u32);
                t.iz.push(below(1 << l) as u32);
                t.columns[0].push(0.5 + below(1000) as f64 / 9.0);
            }
            t.files.push((file, n));
        }
        t
    }

    /// A cache of the cells within a ball sums every sphere it says it
    /// holds with the bits of the table's sums, including spheres that
    /// nearly touch the ball from inside (a cache that missed a cell, or
    /// took one twice, would change the sums); and it says so of spheres
    /// in every part of the ball.
    #[test]
    fn a_cache_sums_the_spheres_inside_its_ball_as_the_table_does() {
        let t = table();
        let rho = t.column("density").unwrap();
        let exec = Exec::default();
        let (big, small) = (Budget::new(usize::MAX), Budget::new(0));
        let centre = [1.3, 1.1, 1.25];
        for radius in [0.5, 0.8, 0.9375] {
            let mut files = Vec::new();
            for (_, r) in t.file_ranges() {
                let sphere = Some((centre, radius));
                let (sums, kept) = file_pass(&t, r.clone(), sphere, &big).unwrap();
                // The step's sums are the table's block of the file.
                let (_, none) = file_pass(&t, r, sphere, &small).unwrap();
                assert!(none.is_empty());
                assert!(sums.1 == kept.iter().map(Vec::len).sum::<usize>());
                files.push(kept);
            }
            let cache = BallCache {
                centre,
                radius,
                files,
            };
            let (mut inside, mut tested) = (0, 0);
            for i in 0..400 {
                // Centres on a spiral through the ball, radii up to the
                // ball's edge and a little past it.
                let f = i as f64 / 400.0;
                let a = 37.0 * f;
                let d = radius * f;
                let c = [
                    centre[0] + d * a.cos() * (3.0 * a).sin(),
                    centre[1] + d * a.sin() * (3.0 * a).sin(),
                    centre[2] + d * (3.0 * a).cos(),
                ];
                for frac in [0.2, 0.5, 0.9, 0.999_999, 1.000_001, 1.2] {
                    let r = (radius - d) * frac;
                    if r <= 0.0 {
                        continue;
                    }
                    tested += 1;
                    if !cache.covers(c, r) {
                        continue;
                    }
                    inside += 1;
                    let want = com_sums(&t, rho, Some((c, r)), &exec);
                    let got = cache.sums(c, r, &exec);
                    assert_eq!(got.1, want.1, "{c:?} {r}");
                    assert_eq!(got.0.map(f64::to_bits), want.0.map(f64::to_bits));
                }
            }
            assert!(
                inside > tested / 2 && inside < tested,
                "{inside} of {tested}"
            );
        }
    }

    #[test]
    fn parses_methods_and_points() {
        assert_eq!(Center::parse("ssc").unwrap(), Center::Method(Method::Ssc));
        assert_eq!(
            Center::parse("1, 2.5,3").unwrap(),
            Center::At([1.0, 2.5, 3.0])
        );
        for bad in ["", "1,2", "a,b,c", "1,2,inf", "middle"] {
            let e = Center::parse(bad).unwrap_err().to_string();
            assert!(e.contains("--center"), "{bad}: {e}");
        }
    }
}
