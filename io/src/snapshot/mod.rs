//! A RAMSES output folder: what it holds and where its files are.
//!
//! [`Snapshot`] is the opened folder. Its methods are grouped by what they
//! reach, one file each: opening and checking the folder (`open.rs`), the
//! `group_GGGGG` layout (`groups.rs`), the cell files (`cells.rs`), the
//! particle files (`particles.rs`), and how files are mapped or read
//! (`mapped.rs`). The small accessors and the text-file companions
//! (sinks, clumps, `header_NNNNN.txt`) stay here.

use crate::descriptor::Field;
use crate::error::{io_err, Error, Result};
use crate::info::Info;
use crate::particles::PartLayout;
use crate::sink::Sinks;
use groups::{find_in, group_name};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod cells;
mod groups;
mod mapped;
mod open;
mod particles;

pub use groups::FileLayout;
pub use particles::PartScan;

/// An opened `output_NNNNN/` folder.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The output folder.
    pub dir: PathBuf,
    /// The output number NNNNN.
    pub iout: u32,
    /// Flat, or in group folders.
    pub layout: FileLayout,
    /// `info_NNNNN.txt`.
    pub info: Info,
    /// Hydro variables in file order (empty without hydro files).
    pub hydro_fields: Vec<Field>,
    /// Gravity variables in file order (empty without grav files).
    pub grav_fields: Vec<String>,
    /// RAMSES-RT variables in file order (`rt_file_descriptor.txt`, or
    /// RAMSES's names from the rt header's `nrtvar`; empty without rt
    /// files).
    pub rt_fields: Vec<Field>,
    /// `info_rt_NNNNN.txt`, when there are rt files and it could be read.
    pub rt_info: Option<crate::rt::RtInfo>,
    /// Whether `part_NNNNN.out00001` exists.
    pub has_particles: bool,
    /// Particle fields, when there are particle files.
    pub part_layout: Option<PartLayout>,
    /// Whether `sink_NNNNN.csv` exists.
    pub has_sinks: bool,
    /// Folders searched for text files, in order.
    search: Vec<PathBuf>,
    /// Why the particle files cannot be read, when they cannot.
    part_problem: Option<Arc<Error>>,
    /// Why the rt files cannot be read, when they cannot.
    rt_problem: Option<Arc<Error>>,
}

impl Snapshot {
    /// Opens output `n` of a simulation folder (`<dir>/output_0000n`).
    pub fn open_output(sim_dir: impl AsRef<Path>, n: u32) -> Result<Snapshot> {
        Snapshot::open(sim_dir.as_ref().join(format!("output_{n:05}")))
    }

    /// The folder holding the per-CPU files of CPU `icpu` (1-based).
    pub fn cpu_dir(&self, icpu: usize) -> PathBuf {
        match self.layout {
            FileLayout::Flat => self.dir.clone(),
            FileLayout::Groups { size, .. } => self
                .dir
                .join(group_name(icpu.saturating_sub(1) / size.max(1) + 1)),
        }
    }

    /// Path of a per-CPU file of component `kind` (`amr`, `hydro`, `grav`,
    /// `rt`, `part`).
    pub fn file(&self, kind: &str, icpu: usize) -> PathBuf {
        self.cpu_dir(icpu)
            .join(format!("{kind}_{:05}.out{icpu:05}", self.iout))
    }

    /// A text file of the output (`info_NNNNN.txt`, descriptors,
    /// `header_NNNNN.txt`, `sink_NNNNN.csv`, …): the first one found in the
    /// output folder or, for group layouts, in the group folders in order;
    /// the path in the output folder itself when there is none.
    pub fn text_file(&self, name: &str) -> PathBuf {
        find_in(&self.search, name).unwrap_or_else(|| self.dir.join(name))
    }

    /// The folders of the output that hold its files: the output folder,
    /// then its group folders.
    pub fn folders(&self) -> &[PathBuf] {
        &self.search
    }

    /// Index of a hydro variable by its RAMSES name.
    pub fn hydro_index(&self, name: &str) -> Option<usize> {
        self.hydro_fields.iter().position(|f| f.name == name)
    }

    /// Index of a gravity variable by name.
    pub fn grav_index(&self, name: &str) -> Option<usize> {
        self.grav_fields.iter().position(|f| f == name)
    }

    /// Index of a RAMSES-RT variable by its descriptor name.
    pub fn rt_index(&self, name: &str) -> Option<usize> {
        self.rt_fields.iter().position(|f| f.name == name)
    }

    /// Whether the output has rt files (readable or not).
    pub fn has_rt(&self) -> bool {
        !self.rt_fields.is_empty() || self.rt_problem.is_some()
    }

    /// Why the rt files cannot be read, when there are rt files and that
    /// is so (a descriptor that disagrees with them, a missing or bad
    /// `info_rt_NNNNN.txt`).
    pub fn rt_problem(&self) -> Option<&Error> {
        self.rt_problem.as_deref()
    }

    /// When `name` is an rt variable (listed by the descriptor, or any
    /// `photon_…` name) of an output whose rt files cannot be read: why.
    pub fn rt_variable_problem(&self, name: &str) -> Option<Error> {
        let e = self.rt_problem.as_ref()?;
        (self.rt_index(name).is_some() || name.starts_with("photon_"))
            .then(|| Error::Shared(e.clone()))
    }

    /// `info_rt_NNNNN.txt`, or why the rt files cannot be read.
    pub fn rt_info(&self) -> Result<&crate::rt::RtInfo> {
        if let Some(e) = &self.rt_problem {
            return Err(Error::Shared(e.clone()));
        }
        self.rt_info.as_ref().ok_or_else(|| Error::Inconsistent {
            path: self.file("rt", 1),
            problem: "missing: this output has no RAMSES-RT files".into(),
        })
    }

    /// `sink_NNNNN.csv`.
    pub fn sink_file(&self) -> PathBuf {
        self.text_file(&format!("sink_{:05}.csv", self.iout))
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

    /// The PHEW clump table of the output: every `clump_NNNNN.txtCCCCC`
    /// (beside CPU `C`'s other files, or in any folder of the output).
    pub fn clumps(&self) -> Result<crate::clumps::ClumpTable> {
        let name = |c: usize| format!("clump_{:05}.txt{c:05}", self.iout);
        crate::clumps::read_clumps(
            self.info.ncpu,
            |c| self.cpu_dir(c).join(name(c)),
            |c| {
                let own = self.cpu_dir(c).join(name(c));
                if own.is_file() {
                    Some(own)
                } else {
                    find_in(&self.search, &name(c))
                }
            },
        )
    }

    /// `header_NNNNN.txt`, parsed, when present.
    pub fn part_header_text(&self) -> Result<Option<crate::particles::PartHeaderText>> {
        let p = self.text_file(&format!("header_{:05}.txt", self.iout));
        if !p.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| io_err(&p, e))?;
        crate::particles::parse_part_header_text(&p, &text).map(Some)
    }
}
