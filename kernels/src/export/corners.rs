//! The shared corner points of one level's cells. A cell's corners are
//! points of the level's lattice (spacing boxlen·2^-level); neighbouring
//! cells share them, so each point is written once and every cell lists
//! the indices of its corners (the connectivity). Two ways to find the
//! points: a bitmap over the whole lattice where it is small enough
//! (levels up to [`DENSE_MAX_LEVEL`], keys in u32), else a sort of the
//! corner keys. Both list the points in key order, so they give the same
//! file.

use crate::exec::Exec;
use crate::load::CellTable;
use std::sync::atomic::{AtomicU64, Ordering};

/// Levels up to this use a dense bitmap to find shared corners; deeper
/// levels sort the corner keys. At most 10: dense keys must fit in u32.
pub(super) const DENSE_MAX_LEVEL: u8 = 10;

/// Corners of a cell in VTK order: hexahedron (3D), quad (2D), line (1D).
const HEX: [[u32; 3]; 8] = [
    [0, 0, 0],
    [1, 0, 0],
    [1, 1, 0],
    [0, 1, 0],
    [0, 0, 1],
    [1, 0, 1],
    [1, 1, 1],
    [0, 1, 1],
];

/// The corners and the VTK cell type of a cell in `ndim` dimensions.
pub(super) fn cell_shape(ndim: usize) -> (&'static [[u32; 3]], u8) {
    match ndim {
        1 => (&HEX[..2], 3), // VTK_LINE
        2 => (&HEX[..4], 9), // VTK_QUAD
        _ => (&HEX[..], 12), // VTK_HEXAHEDRON
    }
}

/// Unique corner points of the cells `idx` of one level, and for each cell
/// its corner point indices in VTK order (8, 4 or 2 per cell by ndim).
pub(super) fn corners(
    t: &CellTable,
    idx: &[usize],
    level: u8,
    dense_max: u8,
    exec: &Exec,
) -> (Vec<[u32; 3]>, Vec<i64>) {
    let lattice = Lattice::new(t, level);
    if level <= dense_max.min(DENSE_MAX_LEVEL) && lattice.points() < 1 << 32 {
        dense(&lattice, idx, exec)
    } else {
        sorted(&lattice, idx, exec)
    }
}

/// The lattice of one level: point `(i, j, k)` has the key
/// `(i·ny + j)·nz + k`, so keys sort points by x, then y, then z.
struct Lattice<'a> {
    t: &'a CellTable,
    /// The corners of a cell.
    shape: &'static [[u32; 3]],
    /// Points per axis: one along the axes the run does not have.
    n: [u64; 3],
}

impl<'a> Lattice<'a> {
    fn new(t: &'a CellTable, level: u8) -> Self {
        let n = std::array::from_fn(|d| {
            if d < t.units.ndim {
                ((t.units.extent[d] as u64) << level) + 1
            } else {
                1
            }
        });
        Lattice {
            t,
            shape: cell_shape(t.units.ndim).0,
            n,
        }
    }

    /// Points of the whole lattice.
    fn points(&self) -> u64 {
        self.n[0] * self.n[1] * self.n[2]
    }

    /// The key of corner `c` of cell `k`.
    fn key(&self, k: usize, c: [u32; 3]) -> u64 {
        let [_, ny, nz] = self.n;
        let t = self.t;
        ((t.ix[k] + c[0]) as u64 * ny + (t.iy[k] + c[1]) as u64) * nz + (t.iz[k] + c[2]) as u64
    }

    /// The point of key `q`.
    fn point(&self, q: u64) -> [u32; 3] {
        let [_, ny, nz] = self.n;
        [
            (q / (ny * nz)) as u32,
            ((q / nz) % ny) as u32,
            (q % nz) as u32,
        ]
    }
}

/// The connectivity of the cells `idx`, `index` giving the point index of
/// a key. It is the biggest array of the file (8 Int64 per cell in 3D):
/// filled in parallel, in chunks of cells.
fn connectivity(
    lattice: &Lattice,
    idx: &[usize],
    exec: &Exec,
    index: &(dyn Fn(u64) -> i64 + Sync),
) -> Vec<i64> {
    const CHUNK: usize = 1 << 14;
    let shape = lattice.shape;
    let nc = shape.len();
    let mut conn = vec![0i64; nc * idx.len()];
    let mut jobs: Vec<(&[usize], &mut [i64])> =
        idx.chunks(CHUNK).zip(conn.chunks_mut(nc * CHUNK)).collect();
    exec.par()
        .min_chunk(1)
        .for_each_mut(&mut jobs, |(cells, out)| {
            for (&k, o) in cells.iter().zip(out.chunks_exact_mut(nc)) {
                for (c, slot) in shape.iter().zip(o) {
                    *slot = index(lattice.key(k, *c));
                }
            }
        });
    conn
}

/// Corners by a bitmap of the lattice: one bit per lattice point (n³ ≤
/// 1025³ bits, 135 MB at level 10 in 3D), the index of a point being the
/// number of set bits before it.
fn dense(lattice: &Lattice, idx: &[usize], exec: &Exec) -> (Vec<[u32; 3]>, Vec<i64>) {
    let bits = mark(lattice, idx, exec);
    // rank[w]: points before word w.
    let mut rank = Vec::with_capacity(bits.len() + 1);
    let mut r = 0u32;
    for &b in &bits {
        rank.push(r);
        r += b.count_ones();
    }
    rank.push(r);
    let points = list_points(lattice, &bits, &rank, exec);
    let conn = connectivity(lattice, idx, exec, &|q| {
        let (w, b) = ((q / 64) as usize, q % 64);
        let below = bits[w] & ((1u64 << b) - 1);
        (rank[w] + below.count_ones()) as i64
    });
    (points, conn)
}

/// The bitmap of the corners of the cells `idx`. Marking runs in
/// parallel: `fetch_or` with `Relaxed` order, since only the final bits
/// matter and the end of the parallel call orders every marking before
/// the reads that follow.
fn mark(lattice: &Lattice, idx: &[usize], exec: &Exec) -> Vec<u64> {
    let words = lattice.points().div_ceil(64) as usize;
    let marks: Vec<AtomicU64> = (0..words).map(|_| AtomicU64::new(0)).collect();
    exec.par().for_each_chunk(0..idx.len(), |r| {
        for &k in &idx[r] {
            for &c in lattice.shape {
                let q = lattice.key(k, c);
                marks[(q / 64) as usize].fetch_or(1 << (q % 64), Ordering::Relaxed);
            }
        }
    });
    marks.into_iter().map(AtomicU64::into_inner).collect()
}

/// The marked points in key order, listed in parallel over runs of words
/// (each run knows where its points start from the ranks).
fn list_points(lattice: &Lattice, bits: &[u64], rank: &[u32], exec: &Exec) -> Vec<[u32; 3]> {
    const RUN: usize = 1 << 12;
    let words = bits.len();
    let mut points = vec![[0u32; 3]; rank[words] as usize];
    let mut jobs: Vec<(usize, &mut [[u32; 3]])> = Vec::new();
    let mut rest: &mut [[u32; 3]] = &mut points;
    for w0 in (0..words).step_by(RUN) {
        let w1 = (w0 + RUN).min(words);
        let (head, tail) = std::mem::take(&mut rest).split_at_mut((rank[w1] - rank[w0]) as usize);
        rest = tail;
        jobs.push((w0, head));
    }
    // Keys fit in u32 on dense levels (lattice < 2^32): cheap divisions.
    let [_, ny, nz] = lattice.n;
    let (ny32, nz32) = (ny as u32, nz as u32);
    exec.par()
        .min_chunk(1)
        .for_each_mut(&mut jobs, |(w0, out)| {
            let mut at = 0;
            for (w, &b) in bits.iter().enumerate().skip(*w0).take(RUN) {
                let mut m = b;
                while m != 0 {
                    let q = (w * 64) as u32 + m.trailing_zeros();
                    out[at] = [q / (ny32 * nz32), (q / nz32) % ny32, q % nz32];
                    at += 1;
                    m &= m - 1;
                }
            }
        });
    points
}

/// Corners by sorting the keys of every corner of every cell (for levels
/// whose lattice is too big for a bitmap).
fn sorted(lattice: &Lattice, idx: &[usize], exec: &Exec) -> (Vec<[u32; 3]>, Vec<i64>) {
    let mut keys: Vec<u64> = idx
        .iter()
        .flat_map(|&k| lattice.shape.iter().map(move |&c| lattice.key(k, c)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let conn = connectivity(lattice, idx, exec, &|q| {
        keys.binary_search(&q).expect("corner present") as i64
    });
    (keys.into_iter().map(|q| lattice.point(q)).collect(), conn)
}
