//! From a caller's view options (as the CLI and the Python package take
//! them) to a [`View`]: the centre (a point, or `densest`/`com`/`ssc`
//! found in the data), the orientation (`axis`, `normal` + `north`,
//! face-on or edge-on about the angular momentum within a radius), the
//! window, the depth and the pixels.
//!
//! Both front ends call [`resolve_view`] and [`center_report`], so that
//! `amrkit project --face-on 5kpc` and `s.project(face_on=(5, "kpc"))`
//! find the same centre and `L̂` with the same bits. Lengths here are in
//! code units: converting the user's units is the front end's job.

use crate::center::{check_inside, find_center_files, spin_files, Center, Method, Spin};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::request::family_codes;
use crate::select::{Region, Selection};
use crate::units::Units;
use crate::view::{Basis, View};
use amrkit_io::Snapshot;

/// How the view is oriented.
#[derive(Clone, Debug, PartialEq)]
pub enum Orientation {
    /// Along a box axis (0, 1, 2).
    Axis(usize),
    /// Along `normal`, image y from `north` (default: the box's y axis).
    Normal {
        /// Line of sight.
        normal: [f64; 3],
        /// Image y direction (projected on the image plane).
        north: Option<[f64; 3]>,
    },
    /// Line of sight along `L̂` within `radius` (code units) of the centre.
    FaceOn(f64),
    /// Image y along `L̂` within `radius` of the centre.
    EdgeOn(f64),
}

/// A view as the front ends take it (lengths in code units).
#[derive(Clone, Debug)]
pub struct ViewArgs {
    /// Centre: a point (code units) or a method; `None`: the box centre.
    pub center: Option<Center>,
    /// Orientation.
    pub orientation: Orientation,
    /// Window `[W, H]`; `None`: the box length square.
    pub width: Option<[f64; 2]>,
    /// Depth along the line of sight; `None`: unlimited.
    pub depth: Option<f64>,
    /// Pixels along image x (image y follows the window's aspect ratio).
    pub res: usize,
    /// Particle families (names) added to the gas for `L` (face-on and
    /// edge-on); empty: gas only.
    pub particles: Vec<String>,
    /// Deepest level read.
    pub lmax: Option<u32>,
}

/// A resolved view, and what it was found from.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The view.
    pub view: View,
    /// The angular momentum of a face-on or edge-on view.
    pub spin: Option<Spin>,
    /// A short name of the frame for titles: `z`, `normal (…)`,
    /// `face-on`, `edge-on`.
    pub frame: String,
}

/// The box length (the longest side) in code units.
fn box_length(u: &Units) -> f64 {
    (0..3)
        .map(|d| u.extent[d] as f64 * u.boxlen)
        .fold(0.0, f64::max)
}

/// The centre `c` in code units: a given point (checked against the box),
/// or a method run on the gas leaves of the whole output, or of the box
/// ranges of `ranges` (a selection whose region is a box) when given.
pub fn resolve_center(
    snap: &Snapshot,
    center: Option<Center>,
    ranges: Option<&Selection>,
    lmax: Option<u32>,
    exec: &Exec,
) -> Result<[f64; 3]> {
    let u = Units::from_info(&snap.info);
    match center {
        None => Ok(std::array::from_fn(|d| u.extent[d] as f64 * u.boxlen / 2.0)),
        Some(Center::At(c)) => {
            check_inside(&u, c)?;
            Ok(c)
        }
        Some(Center::Method(m)) => {
            let sel = match ranges {
                Some(s) if matches!(s.region, Some(Region::Box { .. })) => Selection { lmax, ..*s },
                _ => Selection {
                    lmax,
                    ..Selection::default()
                },
            };
            find_center_files(snap, &sel, m, exec)
        }
    }
}

/// The bulk velocity and angular momentum within `radius` (code units) of
/// `c`: the gas leaves whose centre lies in the sphere, plus the
/// particles of `families` in it, a CPU file at a time ([`spin_files`]).
pub fn spin_within(
    snap: &Snapshot,
    c: [f64; 3],
    radius: f64,
    families: &[String],
    lmax: Option<u32>,
    exec: &Exec,
) -> Result<Spin> {
    if !(radius > 0.0 && radius.is_finite()) {
        return Err(KernelError::Invalid(format!(
            "the radius must be positive and finite, got {radius} (code units)"
        )));
    }
    let u = Units::from_info(&snap.info);
    let sel = Selection {
        lmax,
        region: Some(Region::Sphere {
            centre: c.map(|x| x / u.boxlen),
            radius: radius / u.boxlen,
        }),
        files: None,
    };
    if families.is_empty() {
        return spin_files(snap, &sel, None, c, radius, exec);
    }
    crate::request::require_particles(snap)?;
    let codes = family_codes(families)?;
    spin_files(snap, &sel, Some(&codes), c, radius, exec)
}

/// `amrkit center` / `s.center()`: the centre by `method`, then the bulk
/// velocity and `L` within `radius` (default half the box length), as the
/// JSON of [`crate::center::center_json`] in `length_unit`.
#[allow(clippy::too_many_arguments)]
pub fn center_report(
    snap: &Snapshot,
    method: Method,
    radius: Option<f64>,
    families: &[String],
    ranges: Option<&Selection>,
    lmax: Option<u32>,
    length_unit: &str,
    exec: &Exec,
) -> Result<serde_json::Value> {
    let u = Units::from_info(&snap.info);
    let c = resolve_center(snap, Some(Center::Method(method)), ranges, lmax, exec)?;
    let r = radius.unwrap_or(0.5 * box_length(&u));
    let s = spin_within(snap, c, r, families, lmax, exec)?;
    crate::center::center_json(method.name(), &s, &u, length_unit)
}

/// Resolves a view: centre, then orientation (face-on and edge-on measure
/// `L` within their radius of the centre), window, depth and pixels.
pub fn resolve_view(
    snap: &Snapshot,
    a: &ViewArgs,
    ranges: Option<&Selection>,
    exec: &Exec,
) -> Result<Resolved> {
    let u = Units::from_info(&snap.info);
    if a.res == 0 {
        return Err(KernelError::Invalid("--res must be at least 1".into()));
    }
    let c = resolve_center(snap, a.center, ranges, a.lmax, exec)?;
    let (basis, spin_used, frame) = match &a.orientation {
        Orientation::Axis(k) if *k < 3 => (Basis::axis(*k), None, ["x", "y", "z"][*k].to_string()),
        Orientation::Axis(k) => {
            return Err(KernelError::Invalid(format!("axis {k} is not 0, 1 or 2")))
        }
        Orientation::Normal { normal, north } => (
            Basis::from_normal(*normal, *north)?,
            None,
            format!(
                "normal ({:.3}, {:.3}, {:.3})",
                normal[0], normal[1], normal[2]
            ),
        ),
        Orientation::FaceOn(r) | Orientation::EdgeOn(r) => {
            let face = matches!(a.orientation, Orientation::FaceOn(_));
            let flag = if face { "--face-on" } else { "--edge-on" };
            let s = spin_within(snap, c, *r, &a.particles, a.lmax, exec)
                .and_then(|s| crate::center::spin_axis(&s).map(|_| s))
                .map_err(|e| KernelError::Invalid(format!("{flag} {r}: {e}")))?;
            let l = s.l_hat;
            let b = if face {
                Basis::face_on(l)?
            } else {
                Basis::edge_on(l)?
            };
            (
                b,
                Some(s),
                if face { "face-on" } else { "edge-on" }.to_string(),
            )
        }
    };
    let len = box_length(&u);
    let width = a.width.unwrap_or([len, len]);
    let ratio = width[1] / width[0];
    let rows = ((a.res as f64 * ratio).round() as usize).max(1);
    let view = View {
        center: c,
        basis,
        width,
        depth: a.depth,
        pixels: [a.res, rows],
    };
    view.check(&u)?;
    Ok(Resolved {
        view,
        spin: spin_used,
        frame,
    })
}
