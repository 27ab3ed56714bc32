//! From a caller's request (names and numbers, as the CLI and the Python
//! package take them) to kernel inputs: which output, which region, which
//! axis and weight, which columns a list of variables needs.
//!
//! Both front ends call these, so that `amrkit project OUT --var T` and
//! `amrkit.open(OUT).project("T")` resolve the same way and fail with the
//! same one-line messages.

use crate::derive::{derived, DERIVED};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::export::{export_vtk, ExportReport, VtkOptions};
use crate::load::{components, load_components, CellTable, Components};
use crate::project::{ProjSpec, Weight};
use crate::select::{Region, Selection};
use crate::units::Units;
use amrkit_io::Snapshot;
use std::path::{Path, PathBuf};

fn invalid<T>(msg: String) -> Result<T> {
    Err(KernelError::Invalid(msg))
}

/// The `output_NNNNN` folders of a simulation folder, by number.
pub fn outputs(sim: &Path) -> Result<Vec<(u32, PathBuf)>> {
    let mut outs: Vec<(u32, PathBuf)> = std::fs::read_dir(sim)
        .map_err(|source| amrkit_io::Error::Io {
            path: sim.to_path_buf(),
            source,
        })?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let n = e
                .file_name()
                .to_string_lossy()
                .strip_prefix("output_")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    outs.sort();
    Ok(outs)
}

/// Opens an output folder, or a simulation folder's last output.
pub fn open(path: &Path) -> Result<Snapshot> {
    let is_output = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("output_"));
    if !is_output && path.is_dir() {
        if let Some((_, last)) = outputs(path)?.pop() {
            return Ok(Snapshot::open(last)?);
        }
    }
    Ok(Snapshot::open(path)?)
}

/// A region as the front ends take it: a centre in box units and ranges
/// or a radius relative to it, in `range_unit`.
#[derive(Clone, Debug, Default)]
pub struct RegionArgs {
    /// Centre of the ranges, box units (default the box centre).
    pub center: Option<Vec<f64>>,
    /// x range relative to the centre.
    pub xrange: Option<Vec<f64>>,
    /// y range.
    pub yrange: Option<Vec<f64>>,
    /// z range.
    pub zrange: Option<Vec<f64>>,
    /// Sphere radius around the centre.
    pub radius: Option<f64>,
    /// Unit of the ranges and the radius (`code` when `None`).
    pub range_unit: Option<String>,
}

impl RegionArgs {
    /// The selection these arguments describe, with a deepest level.
    pub fn selection(&self, lmax: Option<u32>, units: &Units) -> Result<Selection> {
        let centre = match &self.center {
            Some(c) if c.len() == 3 => [c[0], c[1], c[2]],
            Some(c) => return invalid(format!("--center needs 3 values, got {}", c.len())),
            // The box centre: box units are coarse cells, so `n / 2` along
            // an axis of `n` of them.
            None => units.extent.map(|n| n as f64 / 2.0),
        };
        let pair = |r: &Option<Vec<f64>>, n: &str| -> Result<Option<[f64; 2]>> {
            match r {
                None => Ok(None),
                Some(v) if v.len() == 2 && v[0] < v[1] => Ok(Some([v[0], v[1]])),
                Some(v) => invalid(format!("--{n} needs two increasing values a,b, got {v:?}")),
            }
        };
        let ranges = [
            pair(&self.xrange, "xrange")?,
            pair(&self.yrange, "yrange")?,
            pair(&self.zrange, "zrange")?,
        ];
        let unit = self.range_unit.as_deref().unwrap_or("code");
        let region = if let Some(r) = self.radius {
            Some(Region::sphere(units, centre, r, unit)?)
        } else if ranges.iter().any(Option::is_some) {
            Some(Region::ranges(units, centre, ranges, unit)?)
        } else {
            None
        };
        Ok(Selection {
            lmax,
            region,
            files: None,
        })
    }
}

/// The line of sight by name: `x`, `y` or `z`.
pub fn axis_of(s: &str) -> Result<usize> {
    match s {
        "x" => Ok(0),
        "y" => Ok(1),
        "z" => Ok(2),
        _ => invalid(format!("--axis must be x, y or z, got {s:?}")),
    }
}

/// The weighting by name: `none`, `mass` or `volume`.
pub fn weight_of(s: &str) -> Result<Weight> {
    match s {
        "none" => Ok(Weight::None),
        "mass" => Ok(Weight::Mass),
        "volume" => Ok(Weight::Volume),
        w => invalid(format!("--weight must be mass, volume or none, got {w:?}")),
    }
}

/// The projection spec of a selection: its bounding box (or the whole box).
pub fn proj_spec(
    u: &Units,
    sel: &Selection,
    axis: usize,
    res: usize,
    vars: &[&str],
    weight: Weight,
) -> ProjSpec {
    let mut spec = ProjSpec::whole_box(axis, res, vars, weight);
    spec.range = std::array::from_fn(|d| [0.0, u.extent[d] as f64]);
    // A box of unequal sides (several coarse cells along one axis): square
    // pixels, `res` along the first image axis.
    let (ia, ib) = spec.image_axes();
    if u.extent[ia] != u.extent[ib] && sel.region.is_none() {
        let rows = res as f64 * u.extent[ib] as f64 / u.extent[ia] as f64;
        spec.res[1] = (rows.round() as usize).max(1);
    }
    if let Some(r) = sel.region {
        let (lo, hi) = r.bounds(u.extent);
        spec.range = std::array::from_fn(|d| [lo[d], hi[d]]);
    }
    if u.ndim == 1 {
        // A profile along x: one row.
        spec.res[1] = 1;
    }
    spec
}

/// 1D and 2D outputs are projected along z only: a 2D map is the image of
/// the x-y plane, a 1D one the profile along x.
pub fn check_axis(s: &Snapshot, axis: usize) -> Result<()> {
    if s.info.ndim < 3 && axis != 2 {
        return invalid(format!(
            "{}: a {}D output is projected along z only (--axis z: {})",
            s.dir.display(),
            s.info.ndim,
            if s.info.ndim == 2 {
                "the image of its x-y plane"
            } else {
                "its profile along x"
            }
        ));
    }
    Ok(())
}

/// Whether `v` is a variable the output's files hold (hydro, gravity or
/// RAMSES-RT; an rt name also when the rt files cannot be read, so that
/// loading it reports why).
fn in_files(s: &Snapshot, v: &str) -> bool {
    s.hydro_index(v).is_some()
        || s.grav_index(v).is_some()
        || s.rt_index(v).is_some()
        || s.rt_variable_problem(v).is_some()
}

/// Loads the cells with every variable of `vars` as a column: loaded
/// (hydro, gravity, RAMSES-RT) or derived from the hydro variables
/// (`temperature`, `mass`, …); with `density` as well for a mass weight.
/// The table may hold more columns than asked for (what derived ones were
/// made from).
pub fn cells_for(
    s: &Snapshot,
    sel: &Selection,
    vars: &[&str],
    weight: Weight,
    exec: &Exec,
) -> Result<CellTable> {
    let hydro_names: Vec<&str> = s.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    let mut load: Vec<&str> = Vec::new();
    for v in vars {
        if !in_files(s, v) && !DERIVED.contains(v) {
            // Every name the output has, the rt ones included.
            let mut all: Vec<&str> = hydro_names.clone();
            all.extend(s.grav_fields.iter().map(String::as_str));
            all.extend(s.rt_fields.iter().map(|f| f.name.as_str()));
            all.extend(DERIVED);
            return Err(KernelError::NoVariable {
                name: v.to_string(),
                available: all.join(", "),
            });
        }
        if in_files(s, v) {
            load.push(v);
        } else {
            load.extend(hydro_names.iter().copied());
        }
    }
    if weight == Weight::Mass {
        load.push("density");
    }
    load.sort_unstable();
    load.dedup();
    let c = components(s, &load)?;
    let mut t = load_components(s, None, sel, &c, exec)?;
    for v in vars {
        if t.column(v).is_err() {
            let col = derived(&t, v, exec)?;
            t.names.push(v.to_string());
            t.columns.push(col);
        }
    }
    Ok(t)
}

/// `export-vtk` of an output: every hydro variable is loaded (so that
/// derived scalars can be made), and the gravity and RAMSES-RT variables
/// the scalars and the vector name, then written as [`export_vtk`] does.
pub fn export_output_vtk(
    s: &Snapshot,
    sel: &Selection,
    opts: &VtkOptions,
    prefix: &Path,
    exec: &Exec,
) -> Result<ExportReport> {
    let mut load: Vec<&str> = s.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    let vector = opts.vector.iter().flat_map(|(_, c)| c.iter());
    for v in opts.scalars.iter().chain(vector) {
        if in_files(s, v) && !load.contains(&v.as_str()) {
            load.push(v);
        }
    }
    let c: Components = components(s, &load)?;
    let t = load_components(s, None, sel, &c, exec)?;
    export_vtk(&t, opts, prefix, exec)
}

/// Family codes by name (`DM`, `star`, `cloud`, …).
pub fn family_codes(names: &[String]) -> Result<Vec<i8>> {
    names
        .iter()
        .map(|f| {
            amrkit_io::family_code(f).ok_or_else(|| {
                KernelError::Invalid(format!(
                    "unknown family {f:?} (DM, star, cloud, debris, other, …)"
                ))
            })
        })
        .collect()
}

/// Fails, naming the folder, when the output has no particle files.
pub fn require_particles(s: &Snapshot) -> Result<()> {
    if s.has_particles {
        Ok(())
    } else {
        Err(amrkit_io::Error::Inconsistent {
            path: s.dir.clone(),
            problem: "no particle files".into(),
        }
        .into())
    }
}
