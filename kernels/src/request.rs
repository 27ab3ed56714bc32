//! From a caller's request (names and numbers, as the CLI and the Python
//! package take them) to kernel inputs: which output, which region, which
//! axis and weight, which columns a list of variables needs.
//!
//! Both front ends call these, so that `amrkit project OUT --var T` and
//! `amrkit.open(OUT).project("T")` resolve the same way and fail with the
//! same one-line messages.

use crate::columns::in_files;
pub use crate::columns::{add_derived, cells_for, cells_for_on, files_to_read};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::export::{export_vtk, ExportReport, VtkOptions};
pub use crate::lengths::{parse_length, parse_lengths, Lengths};
use crate::load::{components, load_components, Components};
use crate::project::{ProjSpec, Weight};
use crate::select::{Region, Selection};
use crate::units::{Quantity, Units};
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

/// Opens an output: its folder (`output_NNNNN`, or a renamed folder
/// holding one `info_NNNNN.txt`), its `info_NNNNN.txt` file (as yt takes
/// it), or a simulation folder (its last output). A missing
/// `output_NNNNN` of an existing simulation folder is an error listing the
/// outputs there.
pub fn open(path: &Path) -> Result<Snapshot> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.as_deref().unwrap_or("");
    if name.starts_with("info_") && name.ends_with(".txt") {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new("."));
        if path.is_file() {
            return Ok(Snapshot::open(dir)?);
        }
        // A missing info file: say so, and what its folder (or the
        // simulation folder above a missing output folder) holds.
        if !dir.is_dir() {
            return open(dir).and_then(|_| {
                Err(amrkit_io::Error::Inconsistent {
                    path: path.to_path_buf(),
                    problem: "no such file".into(),
                }
                .into())
            });
        }
        return Err(amrkit_io::Error::Inconsistent {
            path: path.to_path_buf(),
            problem: "no such file: pass an output's info_NNNNN.txt, its output_NNNNN folder, or the simulation folder".into(),
        }
        .into());
    }
    let is_output = name.starts_with("output_");
    if !is_output && path.is_dir() {
        if let Some((_, last)) = outputs(path)?.pop() {
            return Ok(Snapshot::open(last)?);
        }
    }
    if is_output && !path.exists() {
        let parent = path.parent().map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        });
        if let Some(sim) = parent.filter(|p| p.is_dir()) {
            let there: Vec<String> = outputs(sim)?.iter().map(|(n, _)| n.to_string()).collect();
            return Err(amrkit_io::Error::Inconsistent {
                path: path.to_path_buf(),
                problem: if there.is_empty() {
                    format!("no such output, and {} holds none", sim.display())
                } else {
                    format!(
                        "no such output; {} holds output{} {}",
                        sim.display(),
                        if there.len() > 1 { "s" } else { "" },
                        there.join(", ")
                    )
                },
            }
            .into());
        }
    }
    Ok(Snapshot::open(path)?)
}

/// The box in code units, `[0, L]` per axis the run has.
fn box_text(units: &Units) -> String {
    let sides: Vec<String> = (0..units.ndim)
        .map(|d| format!("[0, {}]", units.extent[d] as f64 * units.boxlen))
        .collect();
    sides.join(" × ")
}

/// A region as the front ends take it: a centre, and ranges relative to
/// it or a radius around it. Every length follows one rule: a bare number
/// is in `range_unit` (`code` when `None`), and any value may carry its
/// own unit (`10kpc`, `0.5,0.5,0.5box`; see [`Lengths`]).
///
/// Cells are selected by their centre (yt's rule for regions); a
/// projection over the region's box reads every cell overlapping it
/// instead ([`Selection::with_overlapping_cells`]).
#[derive(Clone, Debug, Default)]
pub struct RegionArgs {
    /// Centre of the ranges (default the box centre).
    pub center: Option<Lengths>,
    /// x range relative to the centre.
    pub xrange: Option<Lengths>,
    /// y range.
    pub yrange: Option<Lengths>,
    /// z range.
    pub zrange: Option<Lengths>,
    /// Sphere radius around the centre.
    pub radius: Option<Lengths>,
    /// Unit of the bare numbers (`code` when `None`).
    pub range_unit: Option<String>,
}

impl RegionArgs {
    /// The selection these arguments describe, with a deepest level. A
    /// centre outside the box, or a region that does not meet the box, is
    /// an error that says so.
    pub fn selection(&self, lmax: Option<u32>, units: &Units) -> Result<Selection> {
        let unit = self.range_unit.as_deref().unwrap_or("code");
        // A wrong --range-unit fails even when every value has its own.
        units.check_unit(Quantity::Length, unit)?;
        let code_box: [f64; 3] = units.extent.map(|n| n as f64 * units.boxlen);
        let centre = match &self.center {
            Some(c) => {
                let v = c.to_code(unit, units)?;
                let c: [f64; 3] = match v[..] {
                    [x, y, z] => [x, y, z],
                    _ => return invalid(format!("--center needs 3 values, got {}", v.len())),
                };
                if (0..units.ndim).any(|d| !(0.0..=code_box[d]).contains(&c[d])) {
                    return invalid(format!(
                        "--center {c:?} (code units) is outside the box {} (a bare number is in --range-unit, here `{unit}`; e.g. 0.5,0.5,0.5box is the box centre)",
                        box_text(units)
                    ));
                }
                c.map(|x| x / units.boxlen)
            }
            // The box centre: box units are coarse cells, so `n / 2` along
            // an axis of `n` of them.
            None => units.extent.map(|n| n as f64 / 2.0),
        };
        let pair = |r: &Option<Lengths>, n: &str| -> Result<Option<[f64; 2]>> {
            let Some(r) = r else { return Ok(None) };
            match r.to_code(unit, units)?[..] {
                [a, b] if a < b => Ok(Some([a, b])),
                ref v => invalid(format!("--{n} needs two increasing values a,b, got {v:?}")),
            }
        };
        let ranges = [
            pair(&self.xrange, "xrange")?,
            pair(&self.yrange, "yrange")?,
            pair(&self.zrange, "zrange")?,
        ];
        let region = if let Some(r) = &self.radius {
            let r = match r.to_code(unit, units)?[..] {
                [r] if r > 0.0 => r,
                ref v => return invalid(format!("--radius needs one positive length, got {v:?}")),
            };
            Some(Region::sphere(units, centre, r, "code")?)
        } else if ranges.iter().any(Option::is_some) {
            Some(Region::ranges(units, centre, ranges, "code")?)
        } else {
            None
        };
        // A centre in the box and a positive radius always meet the box;
        // ranges may not.
        if let Some(Region::Box { lo, hi }) = region {
            let (clo, chi) = Region::Box { lo, hi }.bounds(units.extent);
            if (0..units.ndim).any(|d| clo[d] >= chi[d]) {
                return invalid(format!(
                    "the region {:?} to {:?} (code units) lies outside the box {}",
                    lo.map(|x| x * units.boxlen),
                    hi.map(|x| x * units.boxlen),
                    box_text(units)
                ));
            }
        }
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
    // Before reading anything.
    opts.check()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Units {
        Units {
            unit_l: crate::units::PC,
            boxlen: 100.0,
            ..Units::default()
        }
    }

    #[test]
    fn lengths_parse_with_and_without_units() {
        let l = |s: &str| Lengths::parse(s).unwrap();
        assert_eq!(l("10"), Lengths::bare(vec![10.0]));
        assert_eq!(l("10kpc"), Lengths::with_unit(vec![10.0], "kpc"));
        assert_eq!(l(" 1e-3 Mpc"), Lengths::with_unit(vec![1e-3], "Mpc"));
        assert_eq!(l("-5,5pc"), Lengths::with_unit(vec![-5.0, 5.0], "pc"));
        assert_eq!(
            l("0.5,.5,5.box"),
            Lengths::with_unit(vec![0.5, 0.5, 5.0], "box")
        );
        assert_eq!(l("2e1em"), Lengths::with_unit(vec![20.0], "em"));
        assert_eq!(l("+3E+2cm"), Lengths::with_unit(vec![300.0], "cm"));
        for bad in ["", "kpc", "1kpc,2", "1,,2", "nan", "inf", "1e400", "."] {
            assert!(Lengths::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lengths_in_code_units() {
        let u = units();
        assert_eq!(parse_length("10", "code", &u).unwrap(), 10.0);
        assert_eq!(parse_length("0.5box", "code", &u).unwrap(), 50.0);
        assert_eq!(parse_length("0.5", "box", &u).unwrap(), 50.0);
        assert!((parse_length("1kpc", "code", &u).unwrap() - 1e3).abs() < 1e-9);
        assert_eq!(parse_lengths("-5,5", "code", &u).unwrap(), vec![-5.0, 5.0]);
        assert!(parse_length("1,2", "code", &u).is_err());
        let e = parse_length("3furlongs", "code", &u)
            .unwrap_err()
            .to_string();
        assert!(e.contains("furlongs") && e.contains("code, box, cm"), "{e}");
        let e = parse_length("3", "parsec", &u).unwrap_err().to_string();
        assert!(e.contains("parsec") && e.contains("pc, kpc, Mpc"), "{e}");
    }

    #[test]
    fn regions_follow_one_length_rule() {
        let u = units();
        let sel = |r: RegionArgs| r.selection(None, &u);
        let centre = |s: &str| Some(Lengths::parse(s).unwrap());
        let a = sel(RegionArgs {
            center: centre("50,40,30"),
            radius: centre("10"),
            ..RegionArgs::default()
        })
        .unwrap();
        let b = sel(RegionArgs {
            center: centre("0.5,0.4,0.3box"),
            radius: centre("0.1"),
            range_unit: Some("box".into()),
            ..RegionArgs::default()
        })
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.region,
            Some(Region::Sphere {
                centre: [0.5, 0.4, 0.3],
                radius: 0.1
            })
        );
        let e = sel(RegionArgs {
            center: centre("150,40,30"),
            ..RegionArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("outside the box"), "{e}");
        let e = sel(RegionArgs {
            xrange: centre("60,70"),
            ..RegionArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("outside the box"), "{e}");
        let e = sel(RegionArgs {
            radius: centre("1"),
            range_unit: Some("parsec".into()),
            ..RegionArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("parsec"), "{e}");
    }
}
