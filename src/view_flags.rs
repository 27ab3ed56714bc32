//! The flags that orient a map (`slice`, `project`): `--normal`,
//! `--north`, `--face-on R`, `--edge-on R`, `--width W[,H]`, `--depth D`,
//! `--particles` (families added to the gas for `L`), and `--center` as a
//! method or a point. They resolve to a kernels `ViewArgs` (lengths in code
//! units), which `amrkit_kernels::view_request` turns into a view, as the
//! Python package does.

use crate::args::SelArgs;
use crate::error::{fail, AnyResult};
use amrkit_io::Snapshot;
use amrkit_kernels::center::{Center, Method};
use amrkit_kernels::request::{parse_length, parse_lengths};
use amrkit_kernels::view_request::{resolve_center, Orientation, ViewArgs};
use amrkit_kernels::{Exec, Selection, Units};
use clap::Args;

/// View options.
#[derive(Args, Clone, Debug, Default)]
pub struct ViewFlags {
    /// Line of sight nx,ny,nz (any length; image y from --north).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, num_args = 1)]
    pub normal: Option<Vec<f64>>,
    /// Image y direction ux,uy,uz, projected on the image plane (default
    /// the box's y axis, or z when the normal is within 8° of y).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub north: Option<Vec<f64>>,
    /// Face-on: line of sight along the spin axis L̂ of the gas (and
    /// --particles) within R of the centre (a length: 5kpc, or in
    /// --range-unit).
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub face_on: Option<String>,
    /// Edge-on: image y along L̂ within R of the centre.
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub edge_on: Option<String>,
    /// Window W or W,H (lengths; default the box length, or for an axis
    /// slice the region of --xrange/--yrange/--radius).
    #[arg(long, value_name = "W[,H]", allow_hyphen_values = true)]
    pub width: Option<String>,
    /// Depth of the slab along the line of sight (default unlimited).
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub depth: Option<String>,
    /// Particle families added to the gas for L (face-on, edge-on).
    #[arg(long, value_delimiter = ',')]
    pub particles: Vec<String>,
}

impl ViewFlags {
    /// Whether any option asks for a view other than the axis-aligned
    /// whole map.
    pub fn any(&self) -> bool {
        self.normal.is_some()
            || self.north.is_some()
            || self.face_on.is_some()
            || self.edge_on.is_some()
            || self.width.is_some()
            || self.depth.is_some()
    }
}

/// A length `10kpc`, `0.3box`, or a bare number in `default_unit`, in
/// code units (the common length rule, `amrkit_kernels::request`).
pub fn length(s: &str, default_unit: &str, units: &Units) -> AnyResult<f64> {
    let code = parse_length(s, default_unit, units)?;
    if !code.is_finite() {
        return fail(format!("{s:?} is not a finite length"));
    }
    Ok(code)
}

/// A length as [`length`] that must be positive: `flag` names it in the
/// error (`--depth must be positive, got -1`).
pub fn positive_length(s: &str, flag: &str, default_unit: &str, units: &Units) -> AnyResult<f64> {
    let code = length(s, default_unit, units)?;
    if code > 0.0 {
        Ok(code)
    } else {
        fail(format!("{flag} must be positive, got {}", s.trim()))
    }
}

fn vec3(v: &[f64], flag: &str) -> AnyResult<[f64; 3]> {
    match v {
        [x, y, z] => Ok([*x, *y, *z]),
        _ => fail(format!(
            "--{flag} needs three components x,y,z, got {}",
            v.len()
        )),
    }
}

/// The centre of `--center` for a view or a centre computation: a method,
/// a point (the common length rule: bare numbers in --range-unit; in code
/// units here), or none.
pub fn center_of(sel: &SelArgs, units: &Units) -> AnyResult<Option<Center>> {
    let Some(c) = sel.center.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if let Ok(m) = Method::parse(c) {
        return Ok(Some(Center::Method(m)));
    }
    match parse_lengths(c, &sel.range_unit, units)?[..] {
        [x, y, z] => Ok(Some(Center::At([x, y, z]))),
        ref v => fail(format!(
            "--center must be densest, com, ssc or three coordinates x,y,z, got {} values ({c:?})",
            v.len()
        )),
    }
}

/// The selection of the region options with `--center` resolved first (a
/// method is computed over the whole output, or over the box ranges when
/// given), and the centre in code units.
pub fn selection_with_center(
    snap: &Snapshot,
    sel: &SelArgs,
    exec: &Exec,
) -> AnyResult<(Selection, Option<[f64; 3]>)> {
    let u = Units::from_info(&snap.info);
    let Some(center) = center_of(sel, &u)? else {
        return Ok((sel.selection(&u)?, None));
    };
    let ranges = match center {
        Center::Method(_) => {
            let mut plain = sel.clone();
            plain.center = None;
            plain.radius = None;
            Some(plain.selection(&u)?)
        }
        Center::At(_) => None,
    };
    let c = resolve_center(snap, Some(center), ranges.as_ref(), sel.lmax, exec)?;
    let mut at = sel.clone();
    // In code units with their unit written, so no --range-unit applies
    // ({:?} prints each number so that it reads back to the same bits).
    at.center = Some(format!("{:?},{:?},{:?}code", c[0], c[1], c[2]));
    Ok((at.selection(&u)?, Some(c)))
}

/// The kernels' view arguments of these flags: the orientation (exactly
/// one of `axis`, --normal, --face-on, --edge-on), the centre found (or
/// given) already, the window, depth and pixels.
pub fn view_args(
    f: &ViewFlags,
    axis: Option<usize>,
    center: Option<[f64; 3]>,
    res: usize,
    sel: &SelArgs,
    units: &Units,
) -> AnyResult<ViewArgs> {
    let unit = sel.range_unit.as_str();
    let given = [f.normal.is_some(), f.face_on.is_some(), f.edge_on.is_some()];
    if given.iter().filter(|&&b| b).count() > 1 {
        return fail("give one of --normal, --face-on and --edge-on");
    }
    if f.north.is_some() && f.normal.is_none() {
        return fail("--north goes with --normal");
    }
    let orientation = if let Some(n) = &f.normal {
        Orientation::Normal {
            normal: vec3(n, "normal")?,
            north: f.north.as_deref().map(|u| vec3(u, "north")).transpose()?,
        }
    } else if let Some(r) = &f.face_on {
        Orientation::FaceOn(positive_length(r, "--face-on", unit, units)?)
    } else if let Some(r) = &f.edge_on {
        Orientation::EdgeOn(positive_length(r, "--edge-on", unit, units)?)
    } else {
        Orientation::Axis(axis.unwrap_or(2))
    };
    let width = match &f.width {
        None => None,
        Some(w) => match parse_lengths(w, unit, units)?[..] {
            [a] => Some([a, a]),
            [a, b] => Some([a, b]),
            _ => return fail(format!("--width takes W or W,H, got {w:?}")),
        },
    };
    if width.is_some_and(|w| !(w[0] > 0.0 && w[1] > 0.0)) {
        let w = f.width.as_deref().unwrap_or_default();
        return fail(format!("--width must be positive, got {}", w.trim()));
    }
    let depth = f
        .depth
        .as_deref()
        .map(|d| positive_length(d, "--depth", unit, units))
        .transpose()?;
    Ok(ViewArgs {
        center: center.map(Center::At),
        orientation,
        width,
        depth,
        res,
        particles: f.particles.clone(),
        lmax: sel.lmax,
    })
}

/// `--method` of `amrkit center`.
pub fn method_of(s: &str) -> AnyResult<Method> {
    Ok(Method::parse(s)?)
}

/// For an axis view, the maps' extent in box coordinates (code units)
/// instead of relative to the centre, so that the PNG's axes read x, y, z.
pub fn place_extent(
    maps: &mut amrkit_kernels::project::Maps,
    view: &amrkit_kernels::view::View,
    frame: &str,
) {
    if !matches!(frame, "x" | "y" | "z") {
        return;
    }
    let along = |e: [f64; 3]| (0..3).find(|&d| e[d] == 1.0);
    if let (Some(a), Some(b)) = (along(view.basis.e1), along(view.basis.e2)) {
        let (ca, cb) = (view.center[a], view.center[b]);
        maps.extent = [
            ca + maps.extent[0],
            ca + maps.extent[1],
            cb + maps.extent[2],
            cb + maps.extent[3],
        ];
    }
}

/// Every output ends in .npy or .png, one or two per variable.
pub fn check_outs(outs: &[std::path::PathBuf], nvars: usize) -> AnyResult<()> {
    for p in outs {
        if !matches!(p.extension().and_then(|e| e.to_str()), Some("npy" | "png")) {
            return fail(format!("{}: output must end in .npy or .png", p.display()));
        }
    }
    if outs.len() < nvars {
        return fail(format!(
            "--out: {} files for {nvars} variables (one .npy and/or .png per variable, in order)",
            outs.len()
        ));
    }
    Ok(())
}

/// The title's account of the frame.
pub fn frame_title(frame: &str) -> String {
    match frame {
        "x" | "y" | "z" => format!("along {frame}"),
        f => f.to_string(),
    }
}

/// Image axis names: the box axes of an axis view, else the image
/// coordinates (relative to the centre).
pub fn image_axes(frame: &str) -> [&'static str; 2] {
    match frame {
        "x" => ["y", "z"],
        "y" => ["z", "x"],
        "z" => ["x", "y"],
        _ => ["image x - centre", "image y - centre"],
    }
}
