//! VTK export of cells (one `.vtu` per level plus a `.vtm` index) and of
//! particles (a `.vtu` of vertex cells). MERA's `export_vtk`. Cells are
//! hexahedra in 3D, quads in the z = 0 plane in 2D and line segments on
//! the x axis in 1D.
//!
//! Size: cells of a level share their corner points (each lattice point
//! is written once per level), and point coordinates are Float32 whenever
//! every coordinate of the level is exactly representable in f32 (always
//! the case for boxlen = 2^k, and for boxlen·i·2^-level with few significant
//! bits), else Float64. MERA writes 8 unshared Float64 points per cell
//! (192 bytes). Measured with `amrkit export-vtk OUT --scalars density
//! --out x`: 1.06 points per cell on the demo output (2 855 091 cells,
//! 3 013 895 points) and 1.14 on sedov3d and gravity, all Float32, so about
//! 13–14 bytes of points per cell; the whole file is then 95 bytes per cell
//! with one scalar (270.3 MB for the demo), mostly the 64-byte Int64
//! connectivity.
//!
//! Speed: nothing array-sized is copied on the way to the disk. Scalars
//! are gathered level by level while the file is written (through the
//! writer's small reused buffer), coordinates and the constant arrays are
//! produced on the fly, and only the connectivity (computed in parallel)
//! is materialised. With zlib, the 1 MiB blocks of every array of a level
//! are compressed in parallel.

use crate::derive::derived;
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{CellTable, ParticleTable};
use amrkit_io::vtk::{
    write_points_vtu, write_vtm, write_vtu, zlib_block, zlib_blocks, Array, Counting, Fill, Source,
    UnstructuredGrid, Values,
};
use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct VtkOptions {
    /// Cell scalars (loaded or derived names).
    pub scalars: Vec<String>,
    /// Write log10 of the scalars (named `log10_<name>`).
    pub log10: bool,
    /// A vector built from three columns, e.g. `velocity` from
    /// `velocity_x/y/z`: `(name, [x, y, z])`.
    pub vector: Option<(String, [String; 3])>,
    /// Coarsest level to write.
    pub lmin: Option<u8>,
    /// Deepest level to write.
    pub lmax: Option<u8>,
    /// zlib-compress the arrays.
    pub zlib: bool,
}

impl VtkOptions {
    /// The vector `name` built from the columns `name_x`, `name_y`,
    /// `name_z` (e.g. `velocity`), for [`VtkOptions::vector`].
    pub fn vector_of(name: &str) -> Option<(String, [String; 3])> {
        Some((
            name.to_string(),
            ["x", "y", "z"].map(|c| format!("{name}_{c}")),
        ))
    }
}

impl VtkOptions {
    /// The names of the cell arrays these options write: each scalar (its
    /// `log10_` name with `log10`), then the vector.
    pub fn array_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .scalars
            .iter()
            .map(|s| {
                if self.log10 {
                    format!("log10_{s}")
                } else {
                    s.clone()
                }
            })
            .collect();
        v.extend(self.vector.iter().map(|(n, _)| n.clone()));
        v
    }

    /// Refuses options that would write two arrays of one name (a VTK
    /// reader keeps only one of them): a scalar named twice, or a scalar
    /// named as the vector (`--scalars photon_flux_01 --vector
    /// photon_flux_01`).
    pub fn check(&self) -> Result<()> {
        let names = self.array_names();
        for (k, n) in names.iter().enumerate() {
            if names[..k].contains(n) {
                let vector = self.vector.as_ref().is_some_and(|(v, _)| v == n);
                return Err(KernelError::Invalid(if vector {
                    format!(
                        "--scalars {n} and --vector {n} would write two arrays named `{n}` (VTK keeps one): drop one of them, or give --log (the scalar becomes log10_{n})"
                    )
                } else {
                    format!("--scalars names `{n}` twice (VTK keeps one array of a name)")
                }));
            }
        }
        Ok(())
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default)]
pub struct ExportReport {
    /// Every file written, the `.vtm` last.
    pub files: Vec<PathBuf>,
    /// Bytes written in all.
    pub bytes: u64,
    /// Cells written.
    pub cells: usize,
    /// Points written.
    pub points: usize,
}

/// Levels up to this use a dense bitmap to find shared corners; deeper
/// levels sort the corner keys. At most 10: dense keys must fit in u32.
const DENSE_MAX_LEVEL: u8 = 10;

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
fn cell_shape(ndim: usize) -> (&'static [[u32; 3]], u8) {
    match ndim {
        1 => (&HEX[..2], 3), // VTK_LINE
        2 => (&HEX[..4], 9), // VTK_QUAD
        _ => (&HEX[..], 12), // VTK_HEXAHEDRON
    }
}

/// Unique corner points of the cells `idx` of one level, and for each cell
/// its corner point indices in VTK order (8, 4 or 2 per cell by ndim).
fn corners(
    t: &CellTable,
    idx: &[usize],
    level: u8,
    dense_max: u8,
    exec: &Exec,
) -> (Vec<[u32; 3]>, Vec<i64>) {
    let dense_max = dense_max.min(DENSE_MAX_LEVEL);
    let (shape, _) = cell_shape(t.units.ndim);
    let nc = shape.len();
    // Lattice points per axis: one along the axes the run does not have.
    let nd: [u64; 3] = std::array::from_fn(|d| {
        if d < t.units.ndim {
            ((t.units.extent[d] as u64) << level) + 1
        } else {
            1
        }
    });
    let (ny, nz) = (nd[1], nd[2]);
    let key = |k: usize, c: [u32; 3]| {
        ((t.ix[k] + c[0]) as u64 * ny + (t.iy[k] + c[1]) as u64) * nz + (t.iz[k] + c[2]) as u64
    };
    let unkey = |q: u64| {
        [
            (q / (ny * nz)) as u32,
            ((q / nz) % ny) as u32,
            (q % nz) as u32,
        ]
    };
    // The connectivity is the biggest array of the file (8 Int64 per cell
    // in 3D): filled in parallel, in chunks of cells, once the points are
    // known.
    let mut conn = vec![0i64; nc * idx.len()];
    let fill = |conn: &mut [i64], index: &(dyn Fn(u64) -> i64 + Sync)| {
        const CHUNK: usize = 1 << 14;
        let mut jobs: Vec<(&[usize], &mut [i64])> =
            idx.chunks(CHUNK).zip(conn.chunks_mut(nc * CHUNK)).collect();
        exec.par()
            .min_chunk(1)
            .for_each_mut(&mut jobs, |(cells, out)| {
                for (&k, o) in cells.iter().zip(out.chunks_exact_mut(nc)) {
                    for (c, slot) in shape.iter().zip(o) {
                        *slot = index(key(k, *c));
                    }
                }
            });
    };
    let lattice = nd[0] * ny * nz;
    if level <= dense_max && lattice < 1 << 32 {
        // One bit per lattice point (n³ ≤ 1025³ bits, 135 MB at level 10
        // in 3D).
        // Marking runs in parallel: `fetch_or` with `Relaxed` order, since
        // only the final bits matter and the end of the parallel call
        // orders every marking before the reads below.
        let words = lattice.div_ceil(64) as usize;
        let marks: Vec<AtomicU64> = (0..words).map(|_| AtomicU64::new(0)).collect();
        exec.par().for_each_chunk(0..idx.len(), |r| {
            for &k in &idx[r] {
                for &c in shape {
                    let q = key(k, c);
                    marks[(q / 64) as usize].fetch_or(1 << (q % 64), Ordering::Relaxed);
                }
            }
        });
        let bits: Vec<u64> = marks.into_iter().map(AtomicU64::into_inner).collect();
        // rank[w]: points before word w. Points are then listed in key
        // order, in parallel over runs of words (each run knows where its
        // points start from the ranks).
        let mut rank = Vec::with_capacity(words + 1);
        let mut r = 0u32;
        for &b in &bits {
            rank.push(r);
            r += b.count_ones();
        }
        rank.push(r);
        let mut points = vec![[0u32; 3]; r as usize];
        {
            const RUN: usize = 1 << 12;
            let mut jobs: Vec<(usize, &mut [[u32; 3]])> = Vec::new();
            let mut rest: &mut [[u32; 3]] = &mut points;
            for w0 in (0..words).step_by(RUN) {
                let w1 = (w0 + RUN).min(words);
                let (head, tail) =
                    std::mem::take(&mut rest).split_at_mut((rank[w1] - rank[w0]) as usize);
                rest = tail;
                jobs.push((w0, head));
            }
            // Keys fit in u32 on dense levels (lattice < 2^32): cheap
            // divisions.
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
        }
        fill(&mut conn, &|q| {
            let (w, b) = ((q / 64) as usize, q % 64);
            let below = bits[w] & ((1u64 << b) - 1);
            (rank[w] + below.count_ones()) as i64
        });
        (points, conn)
    } else {
        let mut keys: Vec<u64> = idx
            .iter()
            .flat_map(|&k| shape.iter().map(move |&c| key(k, c)))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        fill(&mut conn, &|q| {
            keys.binary_search(&q).expect("corner present") as i64
        });
        (keys.into_iter().map(unkey).collect(), conn)
    }
}

/// Exports cells to `<prefix>_level_LL.vtu` files and `<prefix>.vtm`.
pub fn export_vtk(
    t: &CellTable,
    opts: &VtkOptions,
    prefix: &Path,
    exec: &Exec,
) -> Result<ExportReport> {
    export_vtk_with(t, opts, prefix, exec, DENSE_MAX_LEVEL)
}

/// [`export_vtk`] with the dense-bitmap level limit as a parameter (tests
/// use it to check both corner-sharing paths).
pub fn export_vtk_with(
    t: &CellTable,
    opts: &VtkOptions,
    prefix: &Path,
    exec: &Exec,
    dense_max: u8,
) -> Result<ExportReport> {
    opts.check()?;
    // Loaded columns are borrowed, derived ones computed once.
    let scalars: Vec<(String, Cow<[f64]>)> = opts
        .scalars
        .iter()
        .map(|s| {
            let v = match t.column(s) {
                Ok(c) => Cow::Borrowed(c),
                Err(_) => Cow::Owned(derived(t, s, exec)?),
            };
            let name = if opts.log10 {
                format!("log10_{s}")
            } else {
                s.clone()
            };
            Ok((name, v))
        })
        .collect::<Result<_>>()?;
    // In 1D and 2D the components the run does not have are zero.
    let zeros = vec![0.0; if t.units.ndim < 3 { t.len() } else { 0 }];
    let component = |d: usize, name: &str| -> Result<&[f64]> {
        if d >= t.units.ndim && t.column(name).is_err() {
            Ok(&zeros)
        } else {
            t.column(name)
        }
    };
    let vector = match &opts.vector {
        Some((name, c)) => Some((
            name.clone(),
            [
                component(0, &c[0])?,
                component(1, &c[1])?,
                component(2, &c[2])?,
            ],
        )),
        None => None,
    };
    let dir = prefix
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| KernelError::Write {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let stem = prefix
        .file_name()
        .ok_or_else(|| KernelError::Invalid(format!("{}: not a file prefix", prefix.display())))?
        .to_string_lossy()
        .into_owned();
    let mut by_level: Vec<Vec<usize>> =
        vec![Vec::new(); 1 + t.level.iter().copied().max().unwrap_or(0) as usize];
    for (k, &l) in t.level.iter().enumerate() {
        if opts.lmin.is_none_or(|m| l >= m) && opts.lmax.is_none_or(|m| l <= m) {
            by_level[l as usize].push(k);
        }
    }
    let mut report = ExportReport::default();
    let mut blocks = Vec::new();
    let (shape, cell_type) = cell_shape(t.units.ndim);
    let corners_per_cell = shape.len() as _;
    exec.start("export", t.len() as u64);
    let levels: Vec<u8> = (0..by_level.len())
        .filter(|&l| !by_level[l].is_empty())
        .map(|l| l as u8)
        .collect();
    let shared = |l: u8| corners(t, &by_level[l as usize], l, dense_max, exec);
    let mut next = levels.first().map(|&l| shared(l));
    for (i, &level) in levels.iter().enumerate() {
        let idx = &by_level[level as usize];
        let (pts, conn) = next.take().expect("corners of this level");
        let h = t.units.boxlen / (1u64 << level) as f64;
        let lattice = Src::Lattice {
            pts: &pts,
            h,
            f32: exact_f32(&pts, h, exec),
        };
        let mut arrays: Vec<(String, usize, Src)> = vec![
            (String::new(), 3, lattice),
            ("connectivity".into(), 1, Src::Slice(Values::I64(&conn))),
            (
                "offsets".into(),
                1,
                Src::Counting(Counting {
                    n: idx.len(),
                    step: corners_per_cell,
                    first: corners_per_cell,
                }),
            ),
            (
                "types".into(),
                1,
                Src::Fill(Fill {
                    n: idx.len(),
                    value: cell_type,
                }),
            ),
            (
                "level".into(),
                1,
                Src::Fill(Fill {
                    n: idx.len(),
                    value: level,
                }),
            ),
        ];
        for (name, v) in &scalars {
            let log10 = opts.log10;
            arrays.push((name.clone(), 1, Src::Gather { v, idx, log10 }));
        }
        if let Some((name, c)) = &vector {
            arrays.push((name.clone(), 3, Src::Interleave { c: *c, idx }));
        }
        let mut arrays = into_arrays(arrays, opts.zlib, exec).into_iter();
        let points = arrays.next().expect("points");
        let cells = [
            arrays.next().expect("connectivity"),
            arrays.next().expect("offsets"),
            arrays.next().expect("types"),
        ];
        let name = format!("{stem}_level_{level:02}.vtu");
        let path = dir.join(&name);
        let g = UnstructuredGrid {
            n_points: pts.len(),
            n_cells: idx.len(),
            points,
            cells,
            cell_data: arrays.collect(),
            point_data: Vec::new(),
        };
        // Overlap: the corners of the next level are found (on the other
        // workers) while this level's file is written.
        enum Step {
            Wrote(amrkit_io::Result<u64>),
            Found(Option<(Vec<[u32; 3]>, Vec<i64>)>),
        }
        let steps = exec.par().min_chunk(1).map_range(0..2, |j| match j {
            0 => Step::Wrote(write_vtu(&path, &g)),
            _ => Step::Found(levels.get(i + 1).map(|&l| shared(l))),
        });
        for step in steps {
            match step {
                Step::Wrote(bytes) => report.bytes += bytes?,
                Step::Found(found) => next = found,
            }
        }
        report.cells += idx.len();
        report.points += pts.len();
        report.files.push(path);
        blocks.push((format!("level_{level:02}"), PathBuf::from(name)));
        exec.advance(idx.len() as u64);
    }
    exec.finish();
    let vtm = dir.join(format!("{stem}.vtm"));
    report.bytes += write_vtm(&vtm, &blocks)?;
    report.files.push(vtm);
    Ok(report)
}

/// Whether every coordinate `i·h` of the points is exact in `f32`.
fn exact_f32(pts: &[[u32; 3]], h: f64, exec: &Exec) -> bool {
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
enum Src<'a> {
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
fn into_arrays<'a>(
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

/// Exports particles as a `.vtu` of vertices with every real field (and
/// `family`, `identity` when loaded) as point data.
pub fn export_particles_vtk(
    p: &ParticleTable,
    path: &Path,
    zlib: bool,
    exec: &Exec,
) -> Result<ExportReport> {
    let (x, y, z) = (
        p.reals("position_x")?,
        p.reals("position_y")?,
        p.reals("position_z")?,
    );
    let all: Vec<usize> = (0..p.len()).collect();
    let i8s: Vec<Vec<i32>> = p
        .columns
        .iter()
        .map(|c| match c {
            amrkit_io::PartColumn::I8(v) => v.iter().map(|&b| b as i32).collect(),
            _ => Vec::new(),
        })
        .collect();
    let arrays: Vec<(String, usize, Src)> = p
        .names
        .iter()
        .zip(&p.columns)
        .zip(&i8s)
        .map(|((name, c), wide)| {
            let v = match c {
                amrkit_io::PartColumn::F64(v) => Values::F64(v),
                amrkit_io::PartColumn::I64(v) => Values::I64(v),
                amrkit_io::PartColumn::I8(_) => Values::I32(wide),
            };
            (name.clone(), 1, Src::Slice(v))
        })
        .collect();
    let data = into_arrays(arrays, zlib, exec);
    let pts = Src::Interleave {
        c: [x, y, z],
        idx: &all,
    };
    let bytes = write_points_vtu(path, pts, data, zlib)?;
    Ok(ExportReport {
        files: vec![path.to_path_buf()],
        bytes,
        cells: p.len(),
        points: p.len(),
    })
}
