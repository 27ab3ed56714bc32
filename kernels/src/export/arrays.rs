//! The arrays of an export file as sources the VTK writer pulls from:
//! nothing array-sized is copied on the way to the disk. Lattice points,
//! gathered scalars and interleaved vectors are produced while the file
//! is written; with zlib, every block of every array is compressed as its
//! own parallel job.

use crate::exec::Exec;
use amrkit_io::vtk::{zlib_block, zlib_blocks, Array, Counting, Fill, Source, Values};
use std::ops::Range;

/// Whether every coordinate `i·h` of the points is exact in `f32`.
pub(super) fn exact_f32(pts: &[[u32; 3]], h: f64, exec: &Exec) -> bool {
    exec.par().reduce(
        0..pts.len(),
        || true,
        |ok, k| {
            ok && pts[k]
                .iter()
                .all(|&i| (i as f64 * h) as f32 as f64 == i as f64 * h)
        },
        |a, b| a && b,
    )
}

/// The values of one array of a level file, produced while it is written.
pub(super) enum Src<'a> {
    /// A slice written as is.
    Slice(Values<'a>),
    /// Lattice points `(i, j, k)·h`, three components each.
    Lattice {
        pts: &'a [[u32; 3]],
        h: f64,
        f32: bool,
    },
    /// `v[idx[i]]` (or its log10).
    Gather {
        v: &'a [f64],
        idx: &'a [usize],
        log10: bool,
    },
    /// `c[i % 3][idx[i / 3]]`: three columns as one 3-component array.
    Interleave { c: [&'a [f64]; 3], idx: &'a [usize] },
    /// An arithmetic sequence.
    Counting(Counting),
    /// One value repeated.
    Fill(Fill),
}

impl Source for Src<'_> {
    fn vtk_type(&self) -> &'static str {
        match self {
            Src::Slice(v) => v.vtk_type(),
            Src::Lattice { f32: true, .. } => "Float32",
            Src::Lattice { .. } | Src::Gather { .. } | Src::Interleave { .. } => "Float64",
            Src::Counting(c) => c.vtk_type(),
            Src::Fill(f) => f.vtk_type(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Src::Slice(v) => v.len(),
            Src::Lattice { pts, .. } => 3 * pts.len(),
            Src::Gather { idx, .. } => idx.len(),
            Src::Interleave { idx, .. } => 3 * idx.len(),
            Src::Counting(c) => c.len(),
            Src::Fill(f) => f.len(),
        }
    }

    fn value_size(&self) -> usize {
        match self {
            Src::Slice(v) => v.value_size(),
            Src::Lattice { f32: true, .. } => 4,
            Src::Lattice { .. } | Src::Gather { .. } | Src::Interleave { .. } => 8,
            Src::Counting(c) => c.value_size(),
            Src::Fill(f) => f.value_size(),
        }
    }

    fn put(&self, r: Range<usize>, out: &mut Vec<u8>) {
        match self {
            Src::Slice(v) => v.put(r, out),
            Src::Lattice { pts, h, f32 } => {
                for i in r {
                    let x = pts[i / 3][i % 3] as f64 * h;
                    if *f32 {
                        out.extend((x as f32).to_le_bytes());
                    } else {
                        out.extend(x.to_le_bytes());
                    }
                }
            }
            Src::Gather { v, idx, log10 } => {
                for &k in &idx[r] {
                    let x = if *log10 { v[k].log10() } else { v[k] };
                    out.extend(x.to_le_bytes());
                }
            }
            Src::Interleave { c, idx } => {
                for i in r {
                    out.extend(c[i % 3][idx[i / 3]].to_le_bytes());
                }
            }
            Src::Counting(c) => c.put(r, out),
            Src::Fill(f) => f.put(r, out),
        }
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Src::Slice(v) => v.as_bytes(),
            _ => None,
        }
    }
}

/// Turns `(name, components, source)` into file arrays: streamed as they
/// are, or, with zlib, compressed now with every block of every array as
/// its own parallel job.
pub(super) fn into_arrays<'a>(
    arrays: Vec<(String, usize, Src<'a>)>,
    zlib: bool,
    exec: &Exec,
) -> Vec<Array<'a>> {
    if !zlib {
        return arrays
            .into_iter()
            .map(|(name, comps, src)| Array::new(&name, comps, src, false))
            .collect();
    }
    let jobs: Vec<(usize, usize)> = arrays
        .iter()
        .enumerate()
        .flat_map(|(a, (_, _, src))| (0..zlib_blocks(src)).map(move |b| (a, b)))
        .collect();
    let mut blocks = exec
        .par()
        .min_chunk(1)
        .map(&jobs, |&(a, b)| zlib_block(&arrays[a].2, b))
        .into_iter();
    arrays
        .iter()
        .map(|(name, comps, src)| {
            let mine = blocks.by_ref().take(zlib_blocks(src)).collect();
            Array::compressed(name, *comps, src, mine)
        })
        .collect()
}
