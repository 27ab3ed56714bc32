//! VTK export of cells (one `.vtu` per level plus a `.vtm` index) and of
//! particles (a `.vtu` of vertex cells). MERA's `export_vtk`.
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
//! Arrays are encoded (and optionally zlib-compressed) in parallel.

use crate::derive::derived;
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{CellTable, ParticleTable};
use amrkit_io::vtk::{
    encode, write_points_vtu, write_vtm, write_vtu, Encoded, UnstructuredGrid, Values,
};
use std::path::{Path, PathBuf};

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
/// levels sort the corner keys.
const DENSE_MAX_LEVEL: u8 = 10;

/// Unique corner points of the cells `idx` of one level, and for each cell
/// its 8 point indices in VTK hexahedron order.
fn corners(t: &CellTable, idx: &[usize], level: u8, dense_max: u8) -> (Vec<[u32; 3]>, Vec<i64>) {
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
    let n = (1u64 << level) + 1;
    let key = |k: usize, c: [u32; 3]| {
        ((t.ix[k] + c[0]) as u64 * n + (t.iy[k] + c[1]) as u64) * n + (t.iz[k] + c[2]) as u64
    };
    let unkey = |q: u64| [(q / (n * n)) as u32, ((q / n) % n) as u32, (q % n) as u32];
    let mut conn = Vec::with_capacity(8 * idx.len());
    if level <= dense_max {
        let words = (n * n * n).div_ceil(64) as usize;
        let mut bits = vec![0u64; words];
        for &k in idx {
            for c in HEX {
                let q = key(k, c);
                bits[(q / 64) as usize] |= 1 << (q % 64);
            }
        }
        let mut rank = Vec::with_capacity(words);
        let mut points = Vec::new();
        let mut r = 0u32;
        for (w, &b) in bits.iter().enumerate() {
            rank.push(r);
            r += b.count_ones();
            let mut m = b;
            while m != 0 {
                let bit = m.trailing_zeros() as u64;
                points.push(unkey(w as u64 * 64 + bit));
                m &= m - 1;
            }
        }
        for &k in idx {
            for c in HEX {
                let q = key(k, c);
                let (w, b) = ((q / 64) as usize, q % 64);
                let below = bits[w] & ((1u64 << b) - 1);
                conn.push((rank[w] + below.count_ones()) as i64);
            }
        }
        (points, conn)
    } else {
        let mut keys: Vec<u64> = idx.iter().flat_map(|&k| HEX.map(|c| key(k, c))).collect();
        keys.sort_unstable();
        keys.dedup();
        for &k in idx {
            for c in HEX {
                conn.push(keys.binary_search(&key(k, c)).expect("corner present") as i64);
            }
        }
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
    let scalars: Vec<(String, Vec<f64>)> = opts
        .scalars
        .iter()
        .map(|s| {
            let mut v = derived(t, s, exec)?;
            let name = if opts.log10 {
                v.iter_mut().for_each(|x| *x = x.log10());
                format!("log10_{s}")
            } else {
                s.clone()
            };
            Ok((name, v))
        })
        .collect::<Result<_>>()?;
    let vector = match &opts.vector {
        Some((name, c)) => Some((
            name.clone(),
            [t.column(&c[0])?, t.column(&c[1])?, t.column(&c[2])?],
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
    let z = opts.zlib;
    exec.start("export", t.len() as u64);
    for (level, idx) in by_level.iter().enumerate() {
        if idx.is_empty() {
            continue;
        }
        let level = level as u8;
        let (pts, conn) = corners(t, idx, level, dense_max);
        let h = t.units.boxlen / (1u64 << level) as f64;
        let coords: Vec<f64> = pts.iter().flat_map(|p| p.map(|i| i as f64 * h)).collect();
        let f32_exact = coords.iter().all(|&c| (c as f32) as f64 == c);
        let coords32: Vec<f32> = if f32_exact {
            coords.iter().map(|&c| c as f32).collect()
        } else {
            Vec::new()
        };
        let offsets: Vec<i64> = (1..=idx.len() as i64).map(|i| 8 * i).collect();
        let types = vec![12u8; idx.len()]; // VTK_HEXAHEDRON
        let levels = vec![level; idx.len()];
        let gathered: Vec<(String, Vec<f64>)> = scalars
            .iter()
            .map(|(n, v)| (n.clone(), idx.iter().map(|&k| v[k]).collect()))
            .collect();
        let vec3: Option<(String, Vec<f64>)> = vector.as_ref().map(|(n, c)| {
            (
                n.clone(),
                idx.iter()
                    .flat_map(|&k| [c[0][k], c[1][k], c[2][k]])
                    .collect(),
            )
        });
        // Every array is one independent encoding job.
        let njobs = 5 + gathered.len() + usize::from(vec3.is_some());
        let encoded: Vec<Encoded> = exec.par().min_chunk(1).map_range(0..njobs, |j| match j {
            0 if f32_exact => encode("", 3, Values::F32(&coords32), z),
            0 => encode("", 3, Values::F64(&coords), z),
            1 => encode("connectivity", 1, Values::I64(&conn), z),
            2 => encode("offsets", 1, Values::I64(&offsets), z),
            3 => encode("types", 1, Values::U8(&types), z),
            4 => encode("level", 1, Values::U8(&levels), z),
            j if j - 5 < gathered.len() => {
                let (n, v) = &gathered[j - 5];
                encode(n, 1, Values::F64(v), z)
            }
            _ => {
                let (n, v) = vec3.as_ref().expect("vector job");
                encode(n, 3, Values::F64(v), z)
            }
        });
        let mut it = encoded.into_iter();
        let points = it.next().expect("points");
        let cells = [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()];
        let cell_data: Vec<Encoded> = it.collect();
        let name = format!("{stem}_level_{level:02}.vtu");
        let path = dir.join(&name);
        let g = UnstructuredGrid {
            n_points: pts.len(),
            n_cells: idx.len(),
            points,
            cells,
            cell_data,
            point_data: Vec::new(),
        };
        report.bytes += write_vtu(&path, &g)?;
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
    let pts: Vec<f64> = (0..p.len()).flat_map(|k| [x[k], y[k], z[k]]).collect();
    let data: Vec<Encoded> = exec.par().min_chunk(1).map_range(0..p.names.len(), |i| {
        let name = &p.names[i];
        match &p.columns[i] {
            amrkit_io::PartColumn::F64(v) => encode(name, 1, Values::F64(v), zlib),
            amrkit_io::PartColumn::I64(v) => encode(name, 1, Values::I64(v), zlib),
            amrkit_io::PartColumn::I8(v) => {
                let u: Vec<i32> = v.iter().map(|&b| b as i32).collect();
                encode(name, 1, Values::I32(&u), zlib)
            }
        }
    });
    let bytes = write_points_vtu(path, &pts, data, zlib)?;
    Ok(ExportReport {
        files: vec![path.to_path_buf()],
        bytes,
        cells: p.len(),
        points: p.len(),
    })
}
