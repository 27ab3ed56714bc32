//! The shrinking sphere over the files of an output, in bounded memory
//! (issue 30), with the bits of [`find_center`](super::find_center) on a
//! table of every cell.
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
//! budget of 0, 17; with 4 M cells, 7).

use super::{com_of, density_only, fold_blocks, no_cells, no_mass, outside, pos, Method};
use crate::error::Result;
use crate::exec::Exec;
use crate::load::CellTable;

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
    /// The centre (code units), the bits of [`find_center`](super::find_center)'s `ssc`.
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

    /// [`com_sums`](super::com_sums) of the sphere from the cached cells: per file, those
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
/// [`com_sums`](super::com_sums) within the sphere (every cell when `None`), added in cell
/// order as [`file_sums`](super::file_sums) adds a file's block, and those cells kept while
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
/// `None`): [`com_sums`](super::com_sums) of every file folded in file order, and the
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
/// the bits of [`find_center`](super::find_center)'s `ssc` on a table of every file, holding
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

#[cfg(test)]
mod tests {
    use super::super::com_sums;
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
}
