//! Opening an output folder: its number, its text-file folders and group
//! layout, `info_NNNNN.txt` checked against the first amr header, and the
//! variables and particle layout of its components (an unreadable particle
//! or rt component is kept as its error, so the cells can still be read).

use super::groups::{find_in, group_folders, group_layout, group_name};
use super::mapped::{map_file, read_head, Access};
use super::{FileLayout, Snapshot};
use crate::cpu::read_amr_header;
use crate::descriptor::{parse_descriptor, Field};
use crate::error::{io_err, Error, Result};
use crate::fortran::Records;
use crate::info::Info;
use crate::particles::read_layout;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The output number of a folder named `output_NNNNN`.
fn output_number(dir: &Path) -> Option<u32> {
    let name = dir.file_name()?.to_str()?;
    let digits = name.strip_prefix("output_")?;
    (digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The output number of a folder holding exactly one `info_NNNNN.txt`
/// (directly or in `group_00001/`): an output folder under another name.
fn info_number(dir: &Path) -> Option<u32> {
    let numbers = |d: PathBuf| -> Vec<u32> {
        std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let digits = name.to_str()?.strip_prefix("info_")?.strip_suffix(".txt")?;
                (digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| digits.parse().ok())
                    .flatten()
            })
            .collect()
    };
    let mut found = numbers(dir.to_path_buf());
    if found.is_empty() {
        found = numbers(dir.join("group_00001"));
    }
    match found[..] {
        [n] => Some(n),
        _ => None,
    }
}

impl Snapshot {
    /// Opens an output folder: `output_NNNNN/`, or a folder of another
    /// name that holds one `info_NNNNN.txt`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Snapshot> {
        let dir = dir.as_ref();
        let iout = output_number_of(dir)?;
        let groups = group_folders(dir)?;
        let search = text_folders(dir, iout, &groups);
        let (info, info_path) = read_info(dir, iout, &search)?;
        let layout = if search.len() == 1 {
            FileLayout::Flat
        } else {
            group_layout(dir, iout, info.ncpu, &groups)?
        };
        let mut snap = Snapshot {
            dir: dir.to_path_buf(),
            iout,
            layout,
            search,
            part_problem: None,
            rt_problem: None,
            rt_fields: Vec::new(),
            rt_info: None,
            info,
            hydro_fields: Vec::new(),
            grav_fields: Vec::new(),
            has_particles: false,
            part_layout: None,
            has_sinks: false,
        };
        snap.read_coarse_geometry(&info_path)?;
        snap.hydro_fields = snap.hydro_names()?;
        snap.grav_fields = snap.grav_names()?;
        snap.open_particles();
        let rt1 = snap.file("rt", 1);
        if rt1.is_file() {
            // Like the particles: an unreadable rt component is kept as its
            // error, and the rest of the output can still be read.
            if let Err(e) = snap.open_rt(&rt1) {
                snap.rt_problem = Some(Arc::new(e));
            }
        }
        snap.has_sinks = snap.sink_file().is_file();
        Ok(snap)
    }

    /// The coarse geometry (physical box inside the boundary cells) from
    /// the first amr header, checked against the info file `info_path`.
    fn read_coarse_geometry(&mut self, info_path: &Path) -> Result<()> {
        let amr1 = self.file("amr", 1);
        let h = {
            let amr = map_file(&amr1, Access::Sparse)?;
            let mut r = Records::new(&amr1, &amr)?;
            read_amr_header(&mut r, &amr1)?
        };
        if h.head.ndim != self.info.ndim || h.head.ncpu != self.info.ncpu {
            return Err(Error::Inconsistent {
                path: amr1,
                problem: format!(
                    "header has ndim = {}, ncpu = {}, but {} says ndim = {}, ncpu = {}",
                    h.head.ndim,
                    h.head.ncpu,
                    info_path.display(),
                    self.info.ndim,
                    self.info.ncpu
                ),
            });
        }
        self.info.extent = h.extent;
        self.info.coarse_grid = h.head.nx;
        Ok(())
    }

    /// The hydro variables: the descriptor's (as many as the hydro header's
    /// `nvar`), else the solver's default names; none without hydro files.
    fn hydro_names(&self) -> Result<Vec<Field>> {
        let hydro1 = self.file("hydro", 1);
        if !hydro1.is_file() {
            return Ok(Vec::new());
        }
        let desc = self.text_file("hydro_file_descriptor.txt");
        let head = read_head(&hydro1, 64)?;
        let mut r = Records::new(&hydro1, &head)?;
        r.skip("ncpu")?;
        let nvar = r.i32("nvar")?.max(0) as usize;
        if !desc.is_file() {
            return Ok(default_hydro_names(nvar, self.info.ndim));
        }
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
        Ok(fields)
    }

    /// The gravity variables, named from the header's `nvar`: ndim
    /// accelerations, after the potential when there is one; none without
    /// gravity files.
    fn grav_names(&self) -> Result<Vec<String>> {
        let grav1 = self.file("grav", 1);
        if !grav1.is_file() {
            return Ok(Vec::new());
        }
        let head = read_head(&grav1, 64)?;
        let mut r = Records::new(&grav1, &head)?;
        r.skip("ncpu")?;
        let nvar = r.i32("nvar")?.max(0) as usize;
        let ndim = self.info.ndim;
        let acc = ["acceleration_x", "acceleration_y", "acceleration_z"][..ndim]
            .iter()
            .map(|s| s.to_string());
        Ok(match nvar {
            n if n == ndim + 1 => std::iter::once("potential".to_string())
                .chain(acc)
                .collect(),
            n if n == ndim => acc.collect(),
            n => (1..=n).map(|i| format!("grav_var_{i}")).collect(),
        })
    }

    /// Whether there are particle files, and their layout. An unreadable
    /// particle layout is kept as the particles' error: the cells can
    /// still be read.
    fn open_particles(&mut self) {
        self.has_particles = self.file("part", 1).is_file();
        if !self.has_particles {
            return;
        }
        let desc = self.text_file("part_file_descriptor.txt");
        let header = self.text_file(&format!("header_{:05}.txt", self.iout));
        let files: Vec<PathBuf> = (1..=self.info.ncpu).map(|c| self.file("part", c)).collect();
        match read_layout(&desc, &files, &header) {
            Ok(l) => self.part_layout = Some(l),
            Err(e) => self.part_problem = Some(Arc::new(e)),
        }
    }

    /// The rt variables (descriptor, or RAMSES's names from `nrtvar`) and
    /// `info_rt_NNNNN.txt`, checked against the header of `rt1`.
    fn open_rt(&mut self, rt1: &Path) -> Result<()> {
        let head = read_head(rt1, 64)?;
        let mut r = Records::new(rt1, &head)?;
        r.skip("ncpu")?;
        let at = r.offset();
        let nrtvar = r.i32("nrtvar")?;
        let nrtvar = usize::try_from(nrtvar)
            .map_err(|_| r.consumed_error("nrtvar", at, format!("is {nrtvar}, expected ≥ 0")))?;
        let desc = self.text_file("rt_file_descriptor.txt");
        self.rt_fields = if desc.is_file() {
            let text = std::fs::read_to_string(&desc).map_err(|e| io_err(&desc, e))?;
            parse_descriptor(&desc, &text)?
        } else {
            crate::rt::default_rt_names(nrtvar, self.info.ndim).ok_or_else(|| {
                Error::Inconsistent {
                    path: rt1.to_path_buf(),
                    problem: format!(
                        "record 2 (nrtvar) is {nrtvar}, not a whole number of photon groups of 1 + ndim = {} variables, and there is no rt_file_descriptor.txt to name them",
                        1 + self.info.ndim
                    ),
                }
            })?
        };
        if self.rt_fields.len() != nrtvar {
            return Err(Error::Inconsistent {
                path: desc,
                problem: format!(
                    "lists {} variables, but record 2 (nrtvar) of {} is {nrtvar}",
                    self.rt_fields.len(),
                    rt1.display()
                ),
            });
        }
        let name = format!("info_rt_{:05}.txt", self.iout);
        let info = crate::rt::RtInfo::read(&self.text_file(&name))?;
        if info.nrtvar != nrtvar {
            return Err(Error::Inconsistent {
                path: info.path.clone(),
                problem: format!(
                    "nRTvar = {}, but record 2 (nrtvar) of {} is {nrtvar}",
                    info.nrtvar,
                    rt1.display()
                ),
            });
        }
        self.rt_info = Some(info);
        Ok(())
    }
}

/// The output number of `dir`: from its name `output_NNNNN`, else from its
/// one info file; an error when `dir` is not a folder or is neither.
fn output_number_of(dir: &Path) -> Result<u32> {
    if !dir.is_dir() {
        return Err(Error::Inconsistent {
            path: dir.to_path_buf(),
            problem: if dir.exists() {
                "not a folder: pass a RAMSES output folder `output_NNNNN`".into()
            } else {
                "no such folder: pass a RAMSES output folder `output_NNNNN`, or a simulation folder holding them".into()
            },
        });
    }
    // (From Rust, `Snapshot::open_output(simulation_dir, N)` opens
    // output N of a simulation folder.)
    // A renamed output folder: the number of its one info file.
    output_number(dir)
        .or_else(|| info_number(dir))
        .ok_or_else(|| Error::Inconsistent {
            path: dir.to_path_buf(),
            problem: "is not an `output_NNNNN` folder and holds none: pass a RAMSES output folder, or the simulation folder holding them".into(),
        })
}

/// The folders searched for text files: the output folder first, then the
/// group folders in order (RAMSES's rank 1 writes them into its own group).
fn text_folders(dir: &Path, iout: u32, groups: &[usize]) -> Vec<PathBuf> {
    let flat_amr = dir.join(format!("amr_{iout:05}.out00001"));
    if groups.is_empty() || flat_amr.is_file() {
        vec![dir.to_path_buf()]
    } else {
        std::iter::once(dir.to_path_buf())
            .chain(groups.iter().map(|g| dir.join(group_name(*g))))
            .collect()
    }
}

/// `info_NNNNN.txt` (found in `search`), read and its `ndim` checked, with
/// its path.
fn read_info(dir: &Path, iout: u32, search: &[PathBuf]) -> Result<(Info, PathBuf)> {
    let info_name = format!("info_{iout:05}.txt");
    let info_path = find_in(search, &info_name).ok_or_else(|| Error::Inconsistent {
        path: dir.to_path_buf(),
        problem: if search.len() > 1 {
            format!("no {info_name} in the output folder or in its group_XXXXX folders")
        } else {
            format!("no {info_name}: not a RAMSES output folder?")
        },
    })?;
    let info = Info::read(&info_path)?;
    if !(1..=3).contains(&info.ndim) {
        return Err(Error::Inconsistent {
            path: info_path,
            problem: format!("ndim = {}, expected 1, 2 or 3", info.ndim),
        });
    }
    Ok((info, info_path))
}

/// Names of the hydro solver's variables when no descriptor exists:
/// density, ndim velocities, pressure, then passive scalars.
fn default_hydro_names(nvar: usize, ndim: usize) -> Vec<Field> {
    let mut base = vec!["density".to_string()];
    base.extend(
        ["velocity_x", "velocity_y", "velocity_z"][..ndim]
            .iter()
            .map(|s| s.to_string()),
    );
    base.push("pressure".into());
    let nb = base.len();
    (0..nvar)
        .map(|i| Field {
            name: base
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("scalar_{:02}", i - nb)),
            kind: None,
        })
        .collect()
}
