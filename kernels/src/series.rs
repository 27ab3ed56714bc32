//! Time series over many snapshots (`amrkit series`), as a pipeline on the
//! pool: a **read** stage (open the output, load the cells' density and
//! pressure and the stars' masses: I/O and decoding, few threads) feeds an
//! **analysis** stage (gas mass, volume-weighted mean density,
//! mass-weighted mean temperature: compute, the rest of the pool), which
//! feeds the caller's writer in output order.
//!
//! Reading snapshot `i + 1` overlaps the analysis of snapshot `i`, and the
//! cell tables alive at once are bounded by the pipeline: at most
//! `capacity` snapshots are between the source and the writer (being read,
//! waiting, or being analysed; the analysis drops its table before its row
//! moves on). A snapshot that fails (unreadable, a missing variable) becomes
//! an error in its own row; the others carry on.
//!
//! [`read`] and [`analyse`] are public so that benchmarks can run the same
//! work stage by stage.

use crate::cosmology::cosmic_time;
use crate::derive::derived;
use crate::report::MYR_S;
use crate::sums::{field_stats, total_mass};
use crate::units::{Units, MSOL};
use crate::{load_cells, load_particles, CellTable, Exec, Quantity, Result, Selection};
use amrkit_io::Snapshot;
use amrkit_pool::pipeline::{Flow, Pipeline, Report, Stage};
use amrkit_pool::Pool;
use std::path::PathBuf;

/// One snapshot read into memory: what the analysis stage needs.
pub struct Loaded {
    /// The opened output.
    pub snap: Snapshot,
    /// Leaf cells with `density` and `pressure`.
    pub cells: CellTable,
    /// Total mass of star particles (family 2), code units; 0 without
    /// particles.
    pub stellar_mass: f64,
}

/// One row of the series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The info file's `time` (code units).
    pub time_code: f64,
    /// Code time in Myr; on cosmological runs the age of the universe at
    /// the snapshot's expansion factor (as `amrkit info`'s `age_myr`).
    pub time_myr: f64,
    /// Gas mass, code units.
    pub gas_mass: f64,
    /// Stellar mass, code units.
    pub stellar_mass: f64,
    /// Volume-weighted mean density, code units.
    pub mean_density: f64,
    /// Mass-weighted mean temperature, K.
    pub mean_temperature_k: f64,
}

/// What the code units of one snapshot's row are in physical units, for
/// tables and plots: `None` on a run without physical units (`unit_l`,
/// `unit_d` and `unit_t` all 1, such as a test problem), whose masses and
/// times only exist in code units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowUnits {
    /// Solar masses per code mass (`unit_d·unit_l³` g over yt's solar
    /// mass [`MSOL`]).
    pub msun_per_code_mass: f64,
    /// g/cm³ per code density (`unit_d`).
    pub gcm3_per_code_density: f64,
}

impl RowUnits {
    /// The units of the output in `dir`, from its info file (the output is
    /// opened, not read: a series' writer calls this once per row).
    pub fn of(dir: &std::path::Path) -> Result<Option<RowUnits>> {
        let snap = Snapshot::open(dir)?;
        let u = Units::from_info(&snap.info);
        if [u.unit_l, u.unit_d, u.unit_t] == [1.0; 3] {
            return Ok(None);
        }
        Ok(Some(RowUnits {
            msun_per_code_mass: u.cgs(Quantity::Mass) / MSOL,
            gcm3_per_code_density: u.cgs(Quantity::Density),
        }))
    }
}

/// The read stage's work on one output folder.
pub fn read(dir: &std::path::Path, exec: &Exec) -> Result<Loaded> {
    let snap = Snapshot::open(dir)?;
    let cells = load_cells(
        &snap,
        &Selection::default(),
        &["density", "pressure"],
        &[],
        exec,
    )?;
    let stellar_mass = if snap.has_particles {
        let p = load_particles(&snap, &Selection::default(), &["mass", "family"], exec)?;
        let (m, f) = (p.reals("mass")?, p.families()?);
        // `+ 0.0`: an empty f64 sum is -0.0, printed "-0".
        (0..p.len())
            .filter(|&k| f[k] == 2)
            .map(|k| m[k])
            .sum::<f64>()
            + 0.0
    } else {
        0.0
    };
    Ok(Loaded {
        snap,
        cells,
        stellar_mass,
    })
}

/// The analysis stage's work on one loaded snapshot.
pub fn analyse(l: &Loaded, exec: &Exec) -> Result<Row> {
    let t = &l.cells;
    let gas = total_mass(t, exec)?;
    let rho = field_stats(t, t.column("density")?, exec)?;
    let temp = field_stats(t, &derived(t, "temperature", exec)?, exec)?;
    let u = t.units;
    let time_myr = match cosmic_time(&l.snap.info).age_s {
        Some(age) => age / MYR_S,
        None => l.snap.info.time * u.factor(Quantity::Time, "Myr")?,
    };
    Ok(Row {
        time_code: l.snap.info.time,
        time_myr,
        gas_mass: gas,
        stellar_mass: l.stellar_mass,
        mean_density: rho.volume_weighted_mean,
        mean_temperature_k: temp.mass_weighted_mean * u.factor(Quantity::Temperature, "K")?,
    })
}

/// How the series pipeline runs.
#[derive(Clone, Copy, Debug)]
pub struct SeriesOptions {
    /// Snapshots read at once (default 1; at most `capacity`).
    pub read_workers: usize,
    /// `max_threads` of each read (default: a quarter of the pool, at
    /// least 1: reading is mostly waiting on files and decoding records).
    pub read_threads: Option<usize>,
    /// `max_threads` of the analysis (default: the whole pool).
    pub analysis_threads: Option<usize>,
    /// Snapshots in memory at once, read or being read, waiting or being
    /// analysed (default 2: the next one is read while one is analysed; 1
    /// reads and analyses in turn). Peak memory is `capacity` cell tables
    /// plus what does not depend on the snapshot count.
    pub capacity: usize,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            read_workers: 1,
            read_threads: None,
            analysis_threads: None,
            capacity: 2,
        }
    }
}

/// Runs the series over `dirs` on `pool`: `sink(i, row)` is called for
/// every folder, in order, with its row or the error (as text) that stopped
/// it. Returns the pipeline's report.
pub fn series(
    pool: &Pool,
    dirs: Vec<PathBuf>,
    opts: SeriesOptions,
    mut sink: impl FnMut(usize, std::result::Result<Row, String>) + Send,
) -> Report {
    let threads = pool.num_threads();
    let read_threads = opts.read_threads.unwrap_or((threads / 4).max(1));
    let capacity = opts.capacity.max(1);
    let mut analysis = Stage::new().capacity(capacity);
    if let Some(k) = opts.analysis_threads {
        analysis = analysis.max_threads(k);
    }
    // Inside a stage, `Exec::default()` runs on the current pool under the
    // stage's cap (and sizes its splitting to it).
    Pipeline::on(pool, dirs)
        .stage_with(
            Stage::new()
                .workers(opts.read_workers.clamp(1, capacity))
                .max_threads(read_threads),
            |dir| read(&dir, &Exec::default()).map_err(|e| e.to_string()),
        )
        .stage_with(analysis, |l| {
            analyse(&l, &Exec::default()).map_err(|e| e.to_string())
        })
        .capacity(1)
        // Every snapshot admitted counts until its row reaches the writer:
        // this, not the channels, is what bounds the tables in memory.
        .max_in_flight(capacity)
        .for_each(|i, r| {
            sink(i, r);
            Flow::Continue
        })
}
