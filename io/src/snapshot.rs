//! A RAMSES output folder: what it holds and where its files are.

use crate::cpu::cells::fill_cpu_slices;
use crate::cpu::vars::VarKind;
use crate::cpu::walk::{read_var_bytes, scan_amr_bytes};
use crate::cpu::{read_amr_header, CellRequest, CellSlices, CpuCells, CpuScan};
use crate::descriptor::{parse_descriptor, Field};
use crate::error::{io_err, Error, Result};
use crate::fortran::Records;
use crate::info::Info;
use crate::particles::{
    part_count, read_layout, read_particles_into, ColumnKind, PartColumn, PartLayout,
};
use crate::pread::{with_head, with_head_len, with_whole};
use crate::sink::Sinks;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the files of an output sit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileLayout {
    /// Every file in the output folder itself.
    Flat,
    /// `IOGROUPSIZEREP`: CPU `c`'s files in `group_GGGGG/` with
    /// `GGGGG = (c-1)/size + 1`; the text files (info, descriptors,
    /// `header_`) where RAMSES's rank 1 wrote them (found by search).
    Groups {
        /// CPUs per group folder (the group size of the run).
        size: usize,
        /// Group folders that hold CPU files: `ceil(ncpu/size)`.
        count: usize,
    },
}

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

/// Reads just enough of the start of a file for its header records, by a
/// positioned read without read-ahead.
fn read_head(path: &Path, bytes: usize) -> Result<Vec<u8>> {
    with_head(path, bytes, |head| head.to_vec())
}

/// Bytes read for a particle file's header: the first page.
const PART_HEAD: usize = 4096;

/// Particle files up to this size are read whole by one positioned read
/// (no map); larger ones are mapped.
const WHOLE_READ: usize = 8 << 20;

/// Phase one of a particle read ([`Snapshot::part_scan`]).
#[derive(Clone, Debug)]
pub struct PartScan {
    /// Particles in the file.
    pub count: usize,
    /// The whole file, when it was small enough to come with the header.
    whole: Option<Vec<u8>>,
}

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
        let Some(iout) = output_number(dir).or_else(|| info_number(dir)) else {
            return Err(Error::Inconsistent {
                path: dir.to_path_buf(),
                problem: "is not an `output_NNNNN` folder and holds none: pass a RAMSES output folder, or the simulation folder holding them".into(),
            });
        };
        let groups = group_folders(dir)?;
        let flat_amr = dir.join(format!("amr_{iout:05}.out00001"));
        // Text files: the output folder first, then the group folders in
        // order (RAMSES's rank 1 writes them into its own group).
        let search: Vec<PathBuf> = if groups.is_empty() || flat_amr.is_file() {
            vec![dir.to_path_buf()]
        } else {
            std::iter::once(dir.to_path_buf())
                .chain(groups.iter().map(|g| dir.join(group_name(*g))))
                .collect()
        };
        let info_name = format!("info_{iout:05}.txt");
        let info_path = find_in(&search, &info_name).ok_or_else(|| Error::Inconsistent {
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
        // The coarse geometry (physical box inside the boundary cells) from
        // the first amr header, checked against the info file.
        let amr1 = snap.file("amr", 1);
        let h = {
            let amr = map_file(&amr1, Access::Sparse)?;
            let mut r = Records::new(&amr1, &amr)?;
            read_amr_header(&mut r, &amr1)?
        };
        if h.head.ndim != snap.info.ndim || h.head.ncpu != snap.info.ncpu {
            return Err(Error::Inconsistent {
                path: amr1,
                problem: format!(
                    "header has ndim = {}, ncpu = {}, but {} says ndim = {}, ncpu = {}",
                    h.head.ndim,
                    h.head.ncpu,
                    info_path.display(),
                    snap.info.ndim,
                    snap.info.ncpu
                ),
            });
        }
        snap.info.extent = h.extent;
        snap.info.coarse_grid = h.head.nx;
        let hydro1 = snap.file("hydro", 1);
        if hydro1.is_file() {
            let desc = snap.text_file("hydro_file_descriptor.txt");
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
                default_hydro_names(nvar, snap.info.ndim)
            };
        }
        let grav1 = snap.file("grav", 1);
        if grav1.is_file() {
            let head = read_head(&grav1, 64)?;
            let mut r = Records::new(&grav1, &head)?;
            r.skip("ncpu")?;
            let nvar = r.i32("nvar")?.max(0) as usize;
            // ndim accelerations, after the potential when there is one.
            let ndim = snap.info.ndim;
            let acc = ["acceleration_x", "acceleration_y", "acceleration_z"][..ndim]
                .iter()
                .map(|s| s.to_string());
            snap.grav_fields = match nvar {
                n if n == ndim + 1 => std::iter::once("potential".to_string())
                    .chain(acc)
                    .collect(),
                n if n == ndim => acc.collect(),
                n => (1..=n).map(|i| format!("grav_var_{i}")).collect(),
            };
        }
        let part1 = snap.file("part", 1);
        snap.has_particles = part1.is_file();
        if snap.has_particles {
            // An unreadable particle layout is kept as the particles'
            // error: the cells can still be read.
            let desc = snap.text_file("part_file_descriptor.txt");
            let header = snap.text_file(&format!("header_{iout:05}.txt"));
            let files: Vec<PathBuf> = (1..=snap.info.ncpu).map(|c| snap.file("part", c)).collect();
            match read_layout(&desc, &files, &header) {
                Ok(l) => snap.part_layout = Some(l),
                Err(e) => snap.part_problem = Some(Arc::new(e)),
            }
        }
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

    /// Reads the leaf cells of CPU `icpu` (1-based) into fresh columns.
    pub fn read_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuCells> {
        let scan = self.scan_cpu(icpu, req)?;
        let mut out = CpuCells::for_scan(&scan, req);
        out.gamma = self.read_cpu_into(&scan, req, out.slices())?;
        Ok(out)
    }

    /// Phase one of a two-phase read: reads the amr file of CPU `icpu`,
    /// counts the cells that `req` selects and notes their coordinates
    /// and where their blocks are in the other files.
    pub fn scan_cpu(&self, icpu: usize, req: &CellRequest) -> Result<CpuScan> {
        if icpu == 0 || icpu > self.info.ncpu {
            return Err(Error::Inconsistent {
                path: self.dir.clone(),
                problem: format!(
                    "CPU {icpu} requested, the output has 1..={}",
                    self.info.ncpu
                ),
            });
        }
        let path = self.file("amr", icpu);
        if let Some(scan) = crate::cpu::positioned::scan_amr(&path, icpu, req)? {
            return Ok(scan);
        }
        let amr = map_file(&path, Access::Sparse)?;
        scan_amr_bytes(&path, &amr, icpu, req)
    }

    /// Phase two: writes the cells found by `scan` into caller-owned
    /// slices of exactly `scan.len()` values each, decoding the requested
    /// variables from the hydro, gravity and rt files (each opened once;
    /// the amr file is not read again). Returns `gamma` from the hydro
    /// header when hydro variables were read.
    pub fn read_cpu_into(
        &self,
        scan: &CpuScan,
        req: &CellRequest,
        out: CellSlices,
    ) -> Result<Option<f64>> {
        fill_cpu_slices(
            &self.file("amr", scan.icpu),
            scan,
            req,
            out,
            |kind, wanted, cols| {
                if kind == VarKind::Rt {
                    self.rt_info()?;
                }
                let path = self.file(kind.prefix(), scan.icpu);
                match crate::cpu::positioned::read_var_file(&path, scan, kind, wanted, cols)? {
                    Some(g) => Ok(g),
                    None => {
                        let data = map_file(&path, Access::Sparse)?;
                        read_var_bytes(&path, &data, scan, kind, wanted, cols)
                    }
                }
            },
        )
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

    /// The bisection domain boxes (box units, one `(min, max)` per CPU)
    /// from the header of `amr_NNNNN.out00001`, or `None` when the ordering
    /// is not bisection.
    pub fn bisection_boxes(&self) -> Result<Option<Vec<crate::cpu::DomainBox>>> {
        if !matches!(&self.info.ordering, crate::info::Ordering::Other(o) if o == "bisection") {
            return Ok(None);
        }
        let path = self.file("amr", 1);
        let amr = map_file(&path, Access::Sparse)?;
        let mut r = Records::new(&path, &amr)?;
        match read_amr_header(&mut r, &path)?.bisection_boxes {
            Some(b) => Ok(Some(b)),
            None => Err(Error::Inconsistent {
                path,
                problem: "the info file says `ordering type=bisection`, but this header's ordering record is not `bisection`".into(),
            }),
        }
    }

    /// The CPU files (1-based) that can hold cells or particles in the box
    /// `[lo, hi]` (box units): from the Hilbert keys, or the domain boxes of
    /// bisection ordering, else every CPU. Both assume leaves at levels ≥
    /// levelmin (reads with `lmax < levelmin` should take every CPU). A
    /// superset; filter by position afterwards.
    pub fn cpus_for_region(&self, lo: [f64; 3], hi: [f64; 3]) -> Result<Vec<usize>> {
        // Keys of 1D and 2D runs (hilbert1d/2d) and of padded or larger
        // coarse grids are not checked against `hilbert::cpus_for_region`
        // (no such real output to test with): every CPU (a superset, as the
        // doc says).
        let keyed = self.info.ndim == 3 && self.info.coarse_grid == [1, 1, 1];
        if !keyed {
            if let Some(boxes) = self.bisection_boxes()? {
                return Ok(bisection_cpus(&boxes, self.info.levelmin, lo, hi));
            }
            return Ok((1..=self.info.ncpu).collect());
        }
        if let Some(keys) = self.bound_keys()? {
            return Ok(crate::hilbert::cpus_for_region(
                &keys,
                self.info.levelmax,
                self.info.levelmin,
                lo,
                hi,
            ));
        }
        if let Some(boxes) = self.bisection_boxes()? {
            return Ok(bisection_cpus(&boxes, self.info.levelmin, lo, hi));
        }
        Ok((1..=self.info.ncpu).collect())
    }

    /// Why the particle files cannot be read (their layout could not be
    /// found), when there are particle files and that is so.
    pub fn particle_problem(&self) -> Option<&Error> {
        self.part_problem.as_deref()
    }

    /// The particle layout, or an error naming the missing files or why
    /// the layout is unknown.
    pub fn particle_layout(&self) -> Result<&PartLayout> {
        if let Some(e) = &self.part_problem {
            return Err(Error::Shared(e.clone()));
        }
        self.part_layout
            .as_ref()
            .ok_or_else(|| Error::Inconsistent {
                path: self.file("part", 1),
                problem: "no particle files in this output".into(),
            })
    }

    /// Phase one for particles: how many particles CPU `icpu` holds (its
    /// header, from the first page; the whole file when the header is
    /// longer or broken, for the error).
    pub fn part_count(&self, icpu: usize) -> Result<usize> {
        let path = self.file("part", icpu);
        if let Ok(n) = with_head(&path, PART_HEAD, |head| part_count(&path, head))? {
            return Ok(n);
        }
        let data = map_file(&path, Access::Sparse)?;
        part_count(&path, &data)
    }

    /// [`Snapshot::part_count`] that keeps the file's bytes when the header
    /// read held all of it (a file of at most a page: with thousands of
    /// CPU files, most hold few particles or none), so that
    /// [`Snapshot::read_particles_scanned`] need not open it again.
    pub fn part_scan(&self, icpu: usize) -> Result<PartScan> {
        let path = self.file("part", icpu);
        let kept = with_head_len(&path, PART_HEAD, |head, len| {
            let whole = len == head.len();
            part_count(&path, head).map(|n| (n, whole.then(|| head.to_vec())))
        })?;
        match kept {
            Ok((count, whole)) => Ok(PartScan { count, whole }),
            Err(_) => {
                let data = map_file(&path, Access::Sparse)?;
                let count = part_count(&path, &data)?;
                Ok(PartScan { count, whole: None })
            }
        }
    }

    /// Phase two after [`Snapshot::part_scan`]: from the kept bytes when
    /// there are some, else as [`Snapshot::read_particles_into`].
    pub fn read_particles_scanned(
        &self,
        icpu: usize,
        scan: &PartScan,
        wanted: &[usize],
        out: Vec<crate::particles::PartColumnMut>,
    ) -> Result<()> {
        match &scan.whole {
            Some(data) => {
                let layout = self.particle_layout()?;
                read_particles_into(&self.file("part", icpu), data, layout, wanted, out)
            }
            None => self.read_particles_into(icpu, wanted, out),
        }
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
        // A whole small file by one positioned read; a large one mapped.
        let out = match with_whole(&path, WHOLE_READ, out, |data, out| {
            read_particles_into(&path, data, layout, wanted, out)
        })? {
            Ok(done) => return done,
            Err(out) => out,
        };
        let data = map_file(&path, Access::Whole)?;
        read_particles_into(&path, &data, layout, wanted, out)
    }

    /// The fields `wanted` of CPU `icpu`, as fresh columns.
    pub fn read_particles(&self, icpu: usize, wanted: &[usize]) -> Result<Vec<PartColumn>> {
        let layout = self.particle_layout()?;
        let path = self.file("part", icpu);
        let read = |data: &[u8]| -> Result<Vec<PartColumn>> {
            let n = part_count(&path, data)?;
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
            read_particles_into(&path, data, layout, wanted, out)?;
            Ok(cols)
        };
        if let Ok(done) = with_whole(&path, WHOLE_READ, (), |data, ()| read(data))? {
            return done;
        }
        let data = map_file(&path, Access::Whole)?;
        read(&data)
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

/// The CPUs whose bisection domain box meets `[lo, hi]` (box units). A
/// leaf's oct belongs to the CPU whose box holds the oct's centre (its
/// father cell's centre), which lies within 2^-levelmin of any point of
/// the leaf: boxes are widened by that much.
fn bisection_cpus(
    boxes: &[crate::cpu::DomainBox],
    levelmin: u32,
    lo: [f64; 3],
    hi: [f64; 3],
) -> Vec<usize> {
    let pad = 0.5f64.powi(levelmin as i32);
    boxes
        .iter()
        .enumerate()
        .filter(|(_, (bl, bh))| (0..3).all(|d| bl[d] <= hi[d] + pad && lo[d] - pad <= bh[d]))
        .map(|(c, _)| c + 1)
        .collect()
}

/// `group_GGGGG`.
fn group_name(g: usize) -> String {
    format!("group_{g:05}")
}

/// The first folder of `search` holding a file `name`.
fn find_in(search: &[PathBuf], name: &str) -> Option<PathBuf> {
    search.iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// Numbers of the `group_GGGGG` subfolders of `dir`, sorted.
fn group_folders(dir: &Path) -> Result<Vec<usize>> {
    let mut groups = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        let name = e.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix("group_")) else {
            continue;
        };
        if digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) && e.path().is_dir() {
            groups.push(digits.parse().expect("5 digits"));
        }
    }
    groups.sort_unstable();
    Ok(groups)
}

/// The CPU numbers `C` of the `amr_NNNNN.outCCCCC` files in `folder`.
fn amr_cpus_in(folder: &Path, iout: u32) -> Result<Vec<usize>> {
    let prefix = format!("amr_{iout:05}.out");
    let mut cpus = Vec::new();
    for e in std::fs::read_dir(folder).map_err(|e| io_err(folder, e))? {
        let e = e.map_err(|e| io_err(folder, e))?;
        let name = e.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        if digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
            cpus.push(digits.parse().unwrap_or(0));
        }
    }
    cpus.sort_unstable();
    Ok(cpus)
}

/// The group layout of an output whose files are in `group_GGGGG`
/// folders: the group size is the number of CPU files in `group_00001`
/// (RAMSES fills groups in rank order, `IOGROUPSIZEREP` ranks each, the last
/// one possibly short), and every group must then hold exactly its CPUs.
fn group_layout(dir: &Path, iout: u32, ncpu: usize, groups: &[usize]) -> Result<FileLayout> {
    let first = dir.join(group_name(1));
    if groups.first() != Some(&1) {
        return Err(Error::Inconsistent {
            path: first,
            problem: "missing: group folders must start at group_00001".into(),
        });
    }
    let size = amr_cpus_in(&first, iout)?.len();
    if size == 0 {
        return Err(Error::Inconsistent {
            path: first,
            problem: format!(
                "holds no amr_{iout:05}.outCCCCC file, so the group size (IOGROUPSIZEREP) is unknown"
            ),
        });
    }
    let count = ncpu.div_ceil(size);
    for g in 1..=groups.last().copied().unwrap_or(1).max(count) {
        let folder = dir.join(group_name(g));
        let want: Vec<usize> = if g <= count {
            ((g - 1) * size + 1..=(g * size).min(ncpu)).collect()
        } else {
            Vec::new()
        };
        let got = if folder.is_dir() {
            amr_cpus_in(&folder, iout)?
        } else {
            Vec::new()
        };
        if got != want {
            let show = |v: &[usize]| match (v.first(), v.last()) {
                (Some(a), Some(b)) if v.len() == b - a + 1 => format!("CPUs {a}..={b}"),
                (Some(_), Some(_)) => format!("CPUs {v:?}"),
                _ => "no CPU files".to_string(),
            };
            return Err(Error::Inconsistent {
                path: folder,
                problem: format!(
                    "holds amr_ files of {}, expected {} (ncpu = {ncpu}, {size} CPUs per group as in group_00001)",
                    show(&got),
                    show(&want)
                ),
            });
        }
    }
    Ok(FileLayout::Groups { size, count })
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
