//! A RAMSES output folder: what it holds and where its files are.

use crate::cpu::{
    read_amr_header, read_cpu_cells, read_cpu_into, scan_cpu, CellRequest, CellSlices, CpuCells,
    CpuFiles, CpuScan, FileBytes,
};
use crate::descriptor::{parse_descriptor, Field};
use crate::error::{io_err, Error, Result};
use crate::fortran::Records;
use crate::info::Info;
use crate::particles::{
    part_count, read_layout, read_particles_into, ColumnKind, PartColumn, PartLayout,
};
use crate::sink::Sinks;
use std::path::{Path, PathBuf};

/// An opened `output_NNNNN/` folder.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The output folder.
    pub dir: PathBuf,
    /// The output number NNNNN.
    pub iout: u32,
    /// `info_NNNNN.txt`.
    pub info: Info,
    /// Hydro variables in file order (empty without hydro files).
    pub hydro_fields: Vec<Field>,
    /// Gravity variables in file order (empty without grav files).
    pub grav_fields: Vec<String>,
    /// Whether `part_NNNNN.out00001` exists.
    pub has_particles: bool,
    /// Particle fields, when there are particle files.
    pub part_layout: Option<PartLayout>,
    /// Whether `sink_NNNNN.csv` exists.
    pub has_sinks: bool,
}

/// How a mapped file will be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Most of the file is decoded (particle columns): every page is mapped
    /// up front (`MAP_POPULATE`), one pass instead of a fault per page.
    Whole,
    /// Only some records are read (cell files: the own domain's blocks and
    /// the requested variables, located by computed offsets). The map is
    /// advised `MADV_RANDOM`, so a fault fetches the page it needs and no
    /// read-ahead around it: bytes read from storage follow the request.
    /// Pages already cached are still mapped in batches by the kernel's
    /// fault-around, so warm reads pay few faults.
    Sparse,
}

/// A file's bytes, memory-mapped: no copy, and no fresh pages to zero.
fn map_file(path: &Path, access: Access) -> Result<memmap2::Mmap> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    // SAFETY: the map is read-only and lives only for one CPU read. If
    // another process truncates the file meanwhile, reads of the lost pages
    // fault (SIGBUS); RAMSES never rewrites finished outputs, and that is
    // the accepted contract of every memory-mapped reader (yt, osyris).
    let mut opts = memmap2::MmapOptions::new();
    if access == Access::Whole {
        opts.populate();
    }
    let map = unsafe { opts.map(&f) }.map_err(|e| io_err(path, e))?;
    #[cfg(unix)]
    if access == Access::Sparse && !map.is_empty() {
        // Advice only: where it is refused, reads are still correct (with
        // the kernel's default read-ahead).
        let _ = map.advise(memmap2::Advice::Random);
    }
    Ok(map)
}

/// Reads just enough of the start of a file for its header records: the
/// first page, through a random-access map (a plain `read` would start the
/// kernel's read-ahead of the file).
fn read_head(path: &Path, bytes: usize) -> Result<Vec<u8>> {
    let map = map_file(path, Access::Sparse)?;
    Ok(map[..bytes.min(map.len())].to_vec())
}

/// The output number of a folder named `output_NNNNN`.
fn output_number(dir: &Path) -> Option<u32> {
    let name = dir.file_name()?.to_str()?;
    let digits = name.strip_prefix("output_")?;
    (digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

impl Snapshot {
    /// Opens an `output_NNNNN/` folder.
    pub fn open(dir: impl AsRef<Path>) -> Result<Snapshot> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(Error::Text {
                path: dir.to_path_buf(),
                line: 0,
                problem: "no such folder (expected a RAMSES output folder `output_NNNNN`)".into(),
            });
        }
        let Some(iout) = output_number(dir) else {
            return Err(Error::Text {
                path: dir.to_path_buf(),
                line: 0,
                problem: "not named `output_NNNNN`; pass the output folder itself, or use Snapshot::open_output(simulation_dir, N)".into(),
            });
        };
        if dir.join("group_00001").is_dir() {
            return Err(Error::Unsupported {
                path: dir.to_path_buf(),
                problem: "files are in group_XXXXX subfolders (IOGROUPSIZEREP); not read yet"
                    .into(),
            });
        }
        let info = Info::read(&dir.join(format!("info_{iout:05}.txt")))?;
        if info.ndim != 3 {
            return Err(Error::Unsupported {
                path: dir.join(format!("info_{iout:05}.txt")),
                problem: format!("ndim = {}; amrkit reads 3D outputs only", info.ndim),
            });
        }
        let mut snap = Snapshot {
            dir: dir.to_path_buf(),
            iout,
            info,
            hydro_fields: Vec::new(),
            grav_fields: Vec::new(),
            has_particles: false,
            part_layout: None,
            has_sinks: false,
        };
        let hydro1 = snap.file("hydro", 1);
        if hydro1.is_file() {
            let desc = dir.join("hydro_file_descriptor.txt");
            let head = read_head(&hydro1, 64)?;
            let mut r = Records::new(&hydro1, &head)?;
            r.skip("ncpu")?;
            let nvar = r.i32("nvar")?.max(0) as usize;
            snap.hydro_fields = if desc.is_file() {
                let text = std::fs::read_to_string(&desc).map_err(|e| io_err(&desc, e))?;
                let fields = parse_descriptor(&desc, &text)?;
                if fields.len() != nvar {
                    return Err(Error::Inconsistent {
                        path: desc,
                        problem: format!(
                            "lists {} variables, but {} holds nvar = {nvar}",
                            fields.len(),
                            hydro1.display()
                        ),
                    });
                }
                fields
            } else {
                default_hydro_names(nvar)
            };
        }
        let grav1 = snap.file("grav", 1);
        if grav1.is_file() {
            let head = read_head(&grav1, 64)?;
            let mut r = Records::new(&grav1, &head)?;
            r.skip("ncpu")?;
            let nvar = r.i32("nvar")?.max(0) as usize;
            snap.grav_fields = match nvar {
                4 => vec![
                    "potential".into(),
                    "acceleration_x".into(),
                    "acceleration_y".into(),
                    "acceleration_z".into(),
                ],
                3 => vec![
                    "acceleration_x".into(),
                    "acceleration_y".into(),
                    "acceleration_z".into(),
                ],
                n => (1..=n).map(|i| format!("grav_var_{i}")).collect(),
            };
        }
        let part1 = snap.file("part", 1);
        snap.has_particles = part1.is_file();
        if snap.has_particles {
            snap.part_layout = Some(read_layout(dir, &part1)?);
        }
        snap.has_sinks = snap.sink_file().is_file();
        Ok(snap)
    }

    /// Opens output `n` of a simulation folder (`<dir>/output_0000n`).
    pub fn open_output(sim_dir: impl AsRef<Path>, n: u32) -> Result<Snapshot> {
        Snapshot::open(sim_dir.as_ref().join(format!("output_{n:05}")))
    }

    /// Path of a per-CPU file of component `kind` (`amr`, `hydro`, `grav`,
    /// `part`).
    pub fn file(&self, kind: &str, icpu: usize) -> PathBuf {
        self.dir
            .join(format!("{kind}_{:05}.out{icpu:05}", self.iout))
    }

    /// Index of a hydro variable by its RAMSES name.
    pub fn hydro_index(&self, name: &str) -> Option<usize> {
        self.hydro_fields.iter().position(|f| f.name == name)
    }

    /// Index of a gravity variable by name.
    pub fn grav_index(&self, name: &str) -> Option<usize> {
        self.grav_fields.iter().position(|f| f == name)
    }

    /// Maps the files of CPU `icpu` that `req` needs and runs `f` on them.
    fn with_cpu_files<T>(
        &self,
        icpu: usize,
        req: &CellRequest,
        f: impl FnOnce(&CpuFiles) -> Result<T>,
    ) -> Result<T> {
        if icpu == 0 || icpu > self.info.ncpu {
            return Err(Error::Inconsistent {
                path: self.dir.clone(),
                problem: format!(
                    "CPU {icpu} requested, the output has 1..={}",
                    self.info.ncpu
                ),
            });
        }
        let amr_path = self.file("amr", icpu);
        let amr = map_file(&amr_path, Access::Sparse)?;
        let hydro_path = self.file("hydro", icpu);
        let hydro = if req.hydro_vars.is_empty() {
            None
        } else {
            Some(map_file(&hydro_path, Access::Sparse)?)
        };
        let grav_path = self.file("grav", icpu);
        let grav = if req.grav_vars.is_empty() {
            None
        } else {
            Some(map_file(&grav_path, Access::Sparse)?)
        };
        f(&CpuFiles {
            icpu,
            amr: FileBytes {
                path: &amr_path,
                data: &amr,
            },
            hydro: hydro.as_deref().map(|data| FileBytes {
                path: &hydro_path,
                data,
            }),
            grav: grav.as_deref().map(|data| FileBytes {
                path: &grav_path,
                data,
            }),
        })
    }

    /// Reads the leaf cells of CPU `icpu` (1-based) into fresh columns.
    pub fn read_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuCells> {
        self.with_cpu_files(icpu, req, |files| read_cpu_cells(files, req))
    }

    /// Phase one of a two-phase read: counts the cells of CPU `icpu` that
    /// `req` selects and notes where their blocks are.
    pub fn scan_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuScan> {
        self.with_cpu_files(icpu, req, |files| scan_cpu(files, req))
    }

    /// Phase two: decodes the cells found by `scan` into caller-owned
    /// slices of exactly `scan.len()` values each.
    pub fn read_cpu_into(&self, scan: &CpuScan, req: &CellRequest, out: CellSlices) -> Result<()> {
        self.with_cpu_files(scan.icpu, req, |files| read_cpu_into(files, scan, req, out))
    }

    /// The exact Hilbert bound keys (`ncpu + 1` values) from the header of
    /// `amr_NNNNN.out00001`, or `None` when the ordering is not Hilbert.
    pub fn bound_keys(&self) -> Result<Option<Vec<u128>>> {
        if !matches!(self.info.ordering, crate::info::Ordering::Hilbert { .. }) {
            return Ok(None);
        }
        let path = self.file("amr", 1);
        let amr = map_file(&path, Access::Sparse)?;
        let mut r = Records::new(&path, &amr)?;
        Ok(read_amr_header(&mut r, &path)?.bound_keys)
    }

    /// The CPU files (1-based) that can hold cells or particles in the box
    /// `[lo, hi]` (box units): every CPU unless the ordering is Hilbert.
    /// A superset; filter by position afterwards.
    pub fn cpus_for_region(&self, lo: [f64; 3], hi: [f64; 3]) -> Result<Vec<usize>> {
        match self.bound_keys()? {
            Some(keys) => Ok(crate::hilbert::cpus_for_region(
                &keys,
                self.info.levelmax,
                self.info.levelmin,
                lo,
                hi,
            )),
            None => Ok((1..=self.info.ncpu).collect()),
        }
    }

    /// The particle layout, or an error naming the missing files.
    pub fn particle_layout(&self) -> Result<&PartLayout> {
        self.part_layout
            .as_ref()
            .ok_or_else(|| Error::Inconsistent {
                path: self.file("part", 1),
                problem: "no particle files in this output".into(),
            })
    }

    /// Phase one for particles: how many particles CPU `icpu` holds.
    pub fn part_count(&self, icpu: usize) -> Result<usize> {
        let path = self.file("part", icpu);
        let data = map_file(&path, Access::Sparse)?;
        part_count(&path, &data)
    }

    /// Phase two: the fields `wanted` (layout indices) of CPU `icpu` into
    /// caller-owned columns of [`Snapshot::part_count`] values each.
    pub fn read_particles_into(
        &self,
        icpu: usize,
        wanted: &[usize],
        out: Vec<crate::particles::PartColumnMut>,
    ) -> Result<()> {
        let layout = self.particle_layout()?;
        let path = self.file("part", icpu);
        let data = map_file(&path, Access::Whole)?;
        read_particles_into(&path, &data, layout, wanted, out)
    }

    /// The fields `wanted` of CPU `icpu`, as fresh columns.
    pub fn read_particles(&self, icpu: usize, wanted: &[usize]) -> Result<Vec<PartColumn>> {
        let layout = self.particle_layout()?;
        let path = self.file("part", icpu);
        let data = map_file(&path, Access::Whole)?;
        let n = part_count(&path, &data)?;
        let mut cols: Vec<PartColumn> = wanted
            .iter()
            .map(|&f| {
                let kind = layout
                    .fields
                    .get(f)
                    .map(|f| f.kind.column())
                    .unwrap_or(ColumnKind::F64);
                PartColumn::zeros(kind, n)
            })
            .collect();
        let out = cols.iter_mut().map(|c| c.as_mut()).collect();
        read_particles_into(&path, &data, layout, wanted, out)?;
        Ok(cols)
    }

    /// `sink_NNNNN.csv`.
    pub fn sink_file(&self) -> PathBuf {
        self.dir.join(format!("sink_{:05}.csv", self.iout))
    }

    /// The sinks (empty when the output has no sink file).
    pub fn sinks(&self) -> Result<Sinks> {
        let p = self.sink_file();
        if p.is_file() {
            Sinks::read(&p)
        } else {
            Ok(Sinks::default())
        }
    }

    /// `header_NNNNN.txt`, parsed, when present.
    pub fn part_header_text(&self) -> Result<Option<crate::particles::PartHeaderText>> {
        let p = self.dir.join(format!("header_{:05}.txt", self.iout));
        if !p.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| io_err(&p, e))?;
        crate::particles::parse_part_header_text(&p, &text).map(Some)
    }
}

/// Names of the hydro solver's variables when no descriptor exists (3D).
fn default_hydro_names(nvar: usize) -> Vec<Field> {
    let base = [
        "density",
        "velocity_x",
        "velocity_y",
        "velocity_z",
        "pressure",
    ];
    (0..nvar)
        .map(|i| Field {
            name: base
                .get(i)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("scalar_{:02}", i - 4)),
            kind: None,
        })
        .collect()
}
