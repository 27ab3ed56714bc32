//! From a front end's request to the cells a profile or a phase diagram
//! bins: which cells to read around a centre (periodic spheres near a
//! face read the whole box), and each variable as a column in the unit
//! asked for — temperatures always in K with the stated µ
//! ([`crate::temperature`]), other variables in code units unless a named
//! unit (or `auto`) is given. The CLI and the Python package both call
//! these, so they bin the same numbers.

pub use crate::binned_columns::{is_temperature, BinnedColumns, Column};
use crate::binned_files::{
    phase_cells_check, phase_extent, phase_partials_files, profile_partials_files, profile_r0,
};
use crate::center::{Center, Method};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::load_components;
use crate::phase::{axes_from, positive_by_nature, AxisSpec, Phase, PhaseFold, PhaseSpec, Scale};
use crate::profile::{periods, Profile, ProfileFold, ProfilePlan, ProfileSpec, Shape};
use crate::project::Weight;
use crate::select::{Region, Selection};
use crate::table::CellTable;
use crate::units::Units;
use amrkit_io::Snapshot;

/// Loads the cells of `sel` with `density` (code units, for masses) and a
/// column per variable of `vars` in its unit (see [`BinnedColumns`]),
/// every column at once — for callers that want the table; the profile
/// and the phase diagram of an output reduce a file at a time instead.
pub fn binned_cells(
    s: &Snapshot,
    sel: &Selection,
    vars: &[&str],
    units: &[String],
    mu: f64,
    exec: &Exec,
) -> Result<(CellTable, Vec<Column>)> {
    let b = BinnedColumns::new(s, vars, units, mu)?;
    let mut t = load_components(s, None, sel, &b.components(s)?, exec)?;
    b.add_to(&mut t, exec)?;
    Ok((t, b.cols))
}

/// The region to read for a profile around `center` (code units) of
/// radius `radius`: the bounding box of the sphere (or cylinder), padded
/// by 1e-9 of the radius, in box units — or the whole box (`None`) when
/// that box leaves the domain along a periodic axis, where the minimum
/// image brings in cells from the other side, or when it covers more than
/// a quarter of the domain (reading a region costs more per cell than
/// reading everything). Either way the profile is the same bits: its sums
/// run over the selected cells only.
pub fn profile_region(
    u: &Units,
    center: [f64; 3],
    radius: f64,
    shape: Shape,
    period: [Option<f64>; 3],
) -> Option<Region> {
    let b = u.boxlen;
    let half: [f64; 3] = match shape {
        Shape::Sphere => [radius; 3],
        Shape::Cylinder { normal, height } => {
            let len = normal.iter().map(|v| v * v).sum::<f64>().sqrt();
            std::array::from_fn(|d| {
                let n = normal[d] / len;
                radius * (1.0 - n * n).max(0.0).sqrt() + 0.5 * height * n.abs()
            })
        }
    };
    let pad = 1e-9 * radius;
    let lo: [f64; 3] = std::array::from_fn(|d| (center[d] - half[d] - pad) / b);
    let hi: [f64; 3] = std::array::from_fn(|d| (center[d] + half[d] + pad) / b);
    let leaves = (0..3).any(|d| period[d].is_some() && (lo[d] < 0.0 || hi[d] > u.extent[d] as f64));
    let fraction: f64 = (0..u.ndim.max(1))
        .map(|d| ((hi[d].min(u.extent[d] as f64) - lo[d].max(0.0)) / u.extent[d] as f64).max(0.0))
        .product();
    (!leaves && fraction <= 0.25).then_some(Region::Box { lo, hi })
}

/// A profile as the front ends ask for it (lengths and the centre in code
/// units: converting them is the caller's job).
#[derive(Clone, Debug)]
pub struct ProfileRequest {
    /// Variables.
    pub vars: Vec<String>,
    /// Units: none, one for all, or one per variable (see [`binned_cells`]).
    pub units: Vec<String>,
    /// The centre.
    pub center: [f64; 3],
    /// `R`; `None`: half the shortest side of the box.
    pub radius: Option<f64>,
    /// The spec's other settings (its centre and radius are replaced).
    pub spec: ProfileSpec,
    /// µ of `temperature`.
    pub mu: f64,
    /// Deepest level read.
    pub lmax: Option<u32>,
}

/// The profile of an output: the cells around the centre read (with the
/// box's periodic axes) a CPU file at a time, the variables in their
/// units, binned (see [`crate::binned_files`]).
pub fn profile_output(
    s: &Snapshot,
    req: &ProfileRequest,
    exec: &Exec,
) -> Result<(Profile, Vec<Column>)> {
    let (spec, sel) = profile_setup(s, req)?;
    let vars: Vec<&str> = req.vars.iter().map(String::as_str).collect();
    let b = BinnedColumns::new(s, &vars, &req.units, req.mu)?;
    let plan = ProfilePlan::new(&spec, profile_r0(s, &sel, &spec, exec)?)?;
    let mut fold = ProfileFold::new(plan.edges.bins(), vars.len());
    profile_partials_files(s, &sel, &plan, &b, exec, |parts| {
        parts.iter().for_each(|p| fold.add(p));
        Ok(())
    })?;
    let mut p = Profile::from_sums(&plan, &b.names(), &fold.finish())?;
    name_profile(&mut p, &b.cols);
    Ok((p, b.cols))
}

/// The variables of a profile under the names asked for (the table's
/// columns carry their units).
pub fn name_profile(p: &mut Profile, cols: &[Column]) {
    for (vp, c) in p.vars.iter_mut().zip(cols) {
        vp.name = c.var.clone();
    }
}

/// The spec of a request (centre, radius, the box's periodic axes) and
/// the selection to read for it (see [`profile_region`]).
pub fn profile_setup(s: &Snapshot, req: &ProfileRequest) -> Result<(ProfileSpec, Selection)> {
    let u = Units::from_info(&s.info);
    let side = (0..u.ndim.max(1))
        .map(|d| u.extent[d] as f64 * u.boxlen)
        .fold(f64::INFINITY, f64::min);
    let mut spec = req.spec.clone();
    spec.center = req.center;
    spec.radius = req.radius.unwrap_or(0.5 * side);
    spec.period = periods(&s.info);
    if !(spec.radius > 0.0 && spec.radius.is_finite()) {
        return Err(KernelError::Invalid(format!(
            "--radius must be positive, got {}",
            spec.radius
        )));
    }
    let sel = Selection {
        lmax: req.lmax,
        region: profile_region(&u, spec.center, spec.radius, spec.shape, spec.period),
        files: None,
    };
    Ok((spec, sel))
}

/// One axis of a phase diagram as asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseAxisRequest {
    /// The variable.
    pub var: String,
    /// Its unit (`None`: code units, K for temperatures).
    pub unit: Option<String>,
    /// Force a linear axis (else log for variables positive by nature).
    pub lin: bool,
    /// Raw range in the unit.
    pub range: Option<[f64; 2]>,
    /// Bins.
    pub bins: usize,
}

/// The variables a phase diagram bins (x, y, then z) and their units.
pub fn phase_vars<'a>(
    axes: [&'a PhaseAxisRequest; 2],
    z: Option<(&'a str, Option<&str>)>,
) -> (Vec<&'a str>, Vec<String>) {
    let mut vars: Vec<&str> = vec![&axes[0].var, &axes[1].var];
    let mut units: Vec<String> = axes
        .iter()
        .map(|a| a.unit.clone().unwrap_or_else(|| "code".into()))
        .collect();
    if let Some((zv, zu)) = z {
        vars.push(zv);
        units.push(zu.unwrap_or("code").into());
    }
    // Temperatures ignore `code` (they are in K).
    let units = units
        .into_iter()
        .zip(&vars)
        .map(|(u, v)| {
            if is_temperature(v) && u == "code" {
                "K".into()
            } else {
                u
            }
        })
        .collect();
    (vars, units)
}

/// The kernel's spec for the columns `cols` of [`binned_cells`]: log axes
/// for variables positive by nature unless asked for linear ones.
pub fn phase_spec(axes: [&PhaseAxisRequest; 2], cols: &[Column], weight: Weight) -> PhaseSpec {
    let axis = |a: &PhaseAxisRequest, c: &Column| AxisSpec {
        var: c.column.clone(),
        scale: if a.lin || !positive_by_nature(&a.var) {
            Scale::Lin
        } else {
            Scale::Log
        },
        range: a.range,
        bins: a.bins,
    };
    PhaseSpec {
        x: axis(axes[0], &cols[0]),
        y: axis(axes[1], &cols[1]),
        z: cols.get(2).map(|c| c.column.clone()),
        weight,
    }
}

/// The variables of a phase diagram under the names asked for.
pub fn name_phase(ph: &mut Phase, cols: &[Column]) {
    ph.axes[0].var = cols[0].var.clone();
    ph.axes[1].var = cols[1].var.clone();
    ph.spec.x.var = cols[0].var.clone();
    ph.spec.y.var = cols[1].var.clone();
    ph.spec.z = cols.get(2).map(|c| c.var.clone());
}

/// A phase diagram of an output's selection: `x`, `y` and the optional
/// `z` (with its unit) binned with `weight`, a CPU file at a time (see
/// [`crate::binned_files`]).
pub fn phase_output(
    s: &Snapshot,
    sel: &Selection,
    axes: [&PhaseAxisRequest; 2],
    z: Option<(&str, Option<&str>)>,
    weight: Weight,
    mu: f64,
    exec: &Exec,
) -> Result<(Phase, Vec<Column>)> {
    let (vars, units) = phase_vars(axes, z);
    let b = BinnedColumns::new(s, &vars, &units, mu)?;
    let spec = phase_spec(axes, &b.cols, weight);
    let xy = BinnedColumns::new(s, &vars[..2], &units[..2], mu)?;
    // Without a first pass the cell count is checked after the binning.
    let (cells, ext) = phase_extent(s, sel, &spec, &xy, exec)?.unwrap_or((1, [None, None]));
    let ax = axes_from(&spec, ext, cells)?;
    let mut fold = PhaseFold::new(&ax);
    phase_partials_files(s, sel, &spec, &ax, &b, exec, |parts| {
        parts.iter().for_each(|p| fold.add(p));
        Ok(())
    })?;
    let mut ph = fold.finish(&spec, &ax);
    phase_cells_check(ph.binned[0] + ph.outside[0] + ph.dropped[0])?;
    name_phase(&mut ph, &b.cols);
    Ok((ph, b.cols))
}

/// Adds to a profile's or phase diagram's JSON what its numbers are in:
/// `units` (variable → unit), `length_unit` (`code`: edges, centre and
/// radius are code lengths) and, when `temperature` is binned, `mu`.
pub fn describe_units(j: &mut serde_json::Value, cols: &[Column], mu: f64) {
    let units: serde_json::Map<String, serde_json::Value> = cols
        .iter()
        .map(|c| (c.var.clone(), serde_json::Value::from(c.unit.clone())))
        .collect();
    j["units"] = serde_json::Value::Object(units);
    j["length_unit"] = "code".into();
    if cols.iter().any(|c| c.var == "temperature") {
        j["mu"] = mu.into();
    }
}

/// A length given as a bare number in `unit` (`code`, `kpc`, …), in code
/// units.
pub fn length_in_code(v: f64, unit: &str, u: &Units) -> Result<f64> {
    Ok(v / u.factor(crate::units::Quantity::Length, unit)?)
}

/// The centre of a request in code units, through the centring module
/// (`crate::center`, never a second implementation): the box centre
/// (`None`), coordinates `x,y,z` by the common length rule (bare numbers
/// in `range_unit`, or with a unit: `0.5,0.5,0.5box`; checked to lie in the box), or a method (`densest`, `com`, `ssc`) run over the gas leaves of
/// the whole output before any sphere is cut around the result.
pub fn resolve_center(
    s: &Snapshot,
    center: Option<&str>,
    range_unit: &str,
    exec: &Exec,
) -> Result<[f64; 3]> {
    let u = Units::from_info(&s.info);
    let parsed = match center.map(str::trim) {
        None => None,
        Some(text) => Some(match Method::parse(text) {
            Ok(m) => Center::Method(m),
            Err(_) => match crate::request::parse_lengths(text, range_unit, &u)?[..] {
                [x, y, z] => Center::At([x, y, z]),
                ref v => {
                    return Err(KernelError::Invalid(format!(
                        "--center must be densest, com, ssc or three coordinates x,y,z, got {} values ({text:?})",
                        v.len()
                    )))
                }
            },
        }),
    };
    crate::view_request::resolve_center(s, parsed, None, None, exec)
}
