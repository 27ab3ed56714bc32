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
    write_points_vtu, write_vtm, write_vtu, Counting, Fill, UnstructuredGrid, Values,
};
use arrays::{exact_f32, into_arrays, Src};
use corners::{cell_shape, corners, DENSE_MAX_LEVEL};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

mod arrays;
mod corners;

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
    // In 1D and 2D the vector components the run does not have are zero.
    let zeros = vec![0.0; if t.units.ndim < 3 { t.len() } else { 0 }];
    let columns = Columns::of(t, opts, &zeros, exec)?;
    let (dir, stem) = place(prefix)?;
    let by_level = cells_by_level(t, opts);
    let mut report = ExportReport::default();
    let mut blocks = Vec::new();
    exec.start("export", t.len() as u64);
    let levels: Vec<u8> = (0..by_level.len())
        .filter(|&l| !by_level[l].is_empty())
        .map(|l| l as u8)
        .collect();
    let shared = |l: u8| corners(t, &by_level[l as usize], l, dense_max, exec);
    let mut next = levels.first().map(|&l| shared(l));
    for (i, &level) in levels.iter().enumerate() {
        let idx = &by_level[level as usize];
        let found = next.take().expect("corners of this level");
        let name = format!("{stem}_level_{level:02}.vtu");
        let path = dir.join(&name);
        let g = level_grid(t, level, idx, &found, &columns, opts.zlib, exec);
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
        report.points += found.0.len();
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

/// The cell columns an export writes: scalars (loaded columns borrowed,
/// derived ones computed once) and the vector's three components.
struct Columns<'a> {
    /// `(array name, values)`, the name with its `log10_` prefix.
    scalars: Vec<(String, Cow<'a, [f64]>)>,
    /// `(name, [x, y, z])`.
    vector: Option<(String, [&'a [f64]; 3])>,
    /// Write log10 of the scalars.
    log10: bool,
}

impl<'a> Columns<'a> {
    /// The columns `opts` asks for; `zeros` (one per cell) stands for the
    /// components a 1D or 2D run does not have.
    fn of(t: &'a CellTable, opts: &VtkOptions, zeros: &'a [f64], exec: &Exec) -> Result<Self> {
        let scalars = opts
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
        let component = |d: usize, name: &str| -> Result<&'a [f64]> {
            if d >= t.units.ndim && t.column(name).is_err() {
                Ok(zeros)
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
        Ok(Columns {
            scalars,
            vector,
            log10: opts.log10,
        })
    }
}

/// The folder of the export (made if missing) and the file name stem.
fn place(prefix: &Path) -> Result<(&Path, String)> {
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
    Ok((dir, stem))
}

/// The cells to write, by level (within `--lmin`/`--lmax`).
fn cells_by_level(t: &CellTable, opts: &VtkOptions) -> Vec<Vec<usize>> {
    let mut by_level: Vec<Vec<usize>> =
        vec![Vec::new(); 1 + t.level.iter().copied().max().unwrap_or(0) as usize];
    for (k, &l) in t.level.iter().enumerate() {
        if opts.lmin.is_none_or(|m| l >= m) && opts.lmax.is_none_or(|m| l <= m) {
            by_level[l as usize].push(k);
        }
    }
    by_level
}

/// The grid of one level's file: the cells `idx`, their shared corners
/// `(points, connectivity)`, then the level and the columns as cell data.
fn level_grid<'a>(
    t: &CellTable,
    level: u8,
    idx: &'a [usize],
    (pts, conn): &'a (Vec<[u32; 3]>, Vec<i64>),
    columns: &'a Columns,
    zlib: bool,
    exec: &Exec,
) -> UnstructuredGrid<'a> {
    let (shape, cell_type) = cell_shape(t.units.ndim);
    let corners_per_cell = shape.len() as _;
    let h = t.units.boxlen / (1u64 << level) as f64;
    let lattice = Src::Lattice {
        pts,
        h,
        f32: exact_f32(pts, h, exec),
    };
    let mut arrays: Vec<(String, usize, Src)> = vec![
        (String::new(), 3, lattice),
        ("connectivity".into(), 1, Src::Slice(Values::I64(conn))),
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
    for (name, v) in &columns.scalars {
        let log10 = columns.log10;
        arrays.push((name.clone(), 1, Src::Gather { v, idx, log10 }));
    }
    if let Some((name, c)) = &columns.vector {
        arrays.push((name.clone(), 3, Src::Interleave { c: *c, idx }));
    }
    let mut arrays = into_arrays(arrays, zlib, exec).into_iter();
    let points = arrays.next().expect("points");
    let cells = [
        arrays.next().expect("connectivity"),
        arrays.next().expect("offsets"),
        arrays.next().expect("types"),
    ];
    UnstructuredGrid {
        n_points: pts.len(),
        n_cells: idx.len(),
        points,
        cells,
        cell_data: arrays.collect(),
        point_data: Vec::new(),
    }
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
