//! A RAMSES output folder: what it holds and where its files are.

use crate::cpu::{read_cpu_cells, CellRequest, CpuCells, CpuFiles, FileBytes};
use crate::descriptor::{parse_descriptor, Field};
use crate::error::{io_err, Error, Result};
use crate::fortran::Records;
use crate::info::Info;
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
}

/// A file's bytes, memory-mapped: no copy, and no fresh pages to zero.
fn map_file(path: &Path) -> Result<memmap2::Mmap> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    // SAFETY: the map is read-only and lives only for one CPU read. If
    // another process truncates the file meanwhile, reads of the lost pages
    // fault (SIGBUS); RAMSES never rewrites finished outputs, and that is
    // the accepted contract of every memory-mapped reader (yt, osyris).
    unsafe { memmap2::Mmap::map(&f) }.map_err(|e| io_err(path, e))
}

/// Reads just enough of the start of a file for its header records.
fn read_head(path: &Path, bytes: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut buf = Vec::new();
    f.take(bytes as u64)
        .read_to_end(&mut buf)
        .map_err(|e| io_err(path, e))?;
    Ok(buf)
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
        snap.has_particles = snap.file("part", 1).is_file();
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

    /// Reads the leaf cells of CPU `icpu` (1-based).
    pub fn read_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuCells> {
        let amr_path = self.file("amr", icpu);
        let amr = map_file(&amr_path)?;
        let hydro_path = self.file("hydro", icpu);
        let hydro = if req.hydro_vars.is_empty() {
            None
        } else {
            Some(map_file(&hydro_path)?)
        };
        let grav_path = self.file("grav", icpu);
        let grav = if req.grav_vars.is_empty() {
            None
        } else {
            Some(map_file(&grav_path)?)
        };
        let cells = read_cpu_cells(
            &CpuFiles {
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
            },
            req,
        )?;
        Ok(cells)
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
