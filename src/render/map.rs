//! A map to a file: `.npy` (the values) or `.png` (drawn with axes in
//! physical units and a colour bar), chosen by the file's extension.

use super::map_png::{write_map_png, MapLabel, Scale};
use super::npy::{write_npy_1d, write_npy_scaled};
use crate::error::{fail, AnyResult};
use amrkit_kernels::project::{Maps, ProjSpec, Weight};
use amrkit_kernels::{Quantity, Units};
use std::path::Path;

/// How a map is drawn in a PNG.
pub struct MapStyle<'a> {
    /// log10 colour scale.
    pub log: bool,
    /// The colour bar's ends (`--vmin`, `--vmax`), in the map's unit.
    pub limits: [Option<f64>; 2],
    /// Title above the map.
    pub title: &'a str,
    /// The line under the title: the output and its time
    /// ([`super::labels::output_caption`]).
    pub caption: &'a str,
    /// The colour bar's label: what a pixel is, with its unit
    /// ([`super::labels::map_quantity`]).
    pub quantity: &'a str,
    /// Projection axis (0, 1, 2): names the image axes.
    pub axis: usize,
    /// Units of the output: the axes are labelled in pc, kpc or Mpc.
    pub units: &'a Units,
}

/// The unit the axes of a map are labelled in, and code lengths per unit:
/// Mpc, kpc or pc by the box size, or code lengths when the output has no
/// physical length unit (box under 10^-3 pc).
pub fn length_unit(u: &Units) -> (&'static str, f64) {
    let kpc = u.factor(Quantity::Length, "kpc").unwrap_or(0.0);
    let boxkpc = u.boxlen * kpc;
    if boxkpc >= 1e3 {
        ("Mpc", kpc / 1e3)
    } else if boxkpc >= 1.0 {
        ("kpc", kpc)
    } else if boxkpc >= 1e-6 {
        ("pc", kpc * 1e3)
    } else {
        ("code length", 1.0)
    }
}

/// Names of the horizontal and vertical image axes of a projection.
pub fn image_axis_names(axis: usize) -> [&'static str; 2] {
    let (a, b) = ProjSpec::whole_box(axis, 1, &[], Weight::None).image_axes();
    [["x", "y", "z"][a], ["x", "y", "z"][b]]
}

/// Writes one map (`factor` × the code-unit map `name`) to `path`: `.npy`
/// or `.png` by extension.
pub fn write_map(
    path: &Path,
    maps: &Maps,
    name: &str,
    factor: f64,
    style: &MapStyle,
) -> AnyResult<String> {
    write_map_axes(
        path,
        maps,
        name,
        factor,
        style,
        image_axis_names(style.axis),
    )
}

/// Writes the sidecar `<path>.json` of a map: its view (code units) and
/// what it shows (written to a temporary file, then renamed).
pub fn write_sidecar(path: &Path, sidecar: &serde_json::Value) -> AnyResult<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".json");
    let target = std::path::PathBuf::from(name);
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let text = serde_json::to_string_pretty(sidecar)?;
    std::fs::write(&tmp, text + "\n").map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    Ok(())
}

/// [`write_map`] with the image axes named `axes` (e.g. the image
/// coordinates of an oblique view, whose extent is relative to its centre).
pub fn write_map_axes(
    path: &Path,
    maps: &Maps,
    name: &str,
    factor: f64,
    style: &MapStyle,
    axes: [&str; 2],
) -> AnyResult<String> {
    let raw = maps.get(name).ok_or("no map")?;
    let m = || -> Vec<f64> { raw.iter().map(|v| v * factor).collect() };
    let profile = style.units.ndim == 1;
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") if profile => {
            write_npy_1d(path, &m())?;
            Ok(format!(
                "{} ({} float64, a 1D profile)",
                path.display(),
                maps.nx
            ))
        }
        Some("png") if profile => fail(format!(
            "{}: a 1D output gives a profile, not an image: write it as .npy",
            path.display()
        )),
        Some("npy") => {
            write_npy_scaled(path, maps.ny, maps.nx, raw, factor)?;
            Ok(format!(
                "{} ({}×{} float64)",
                path.display(),
                maps.ny,
                maps.nx
            ))
        }
        Some("png") => {
            let (unit, per) = length_unit(style.units);
            let extent = maps.extent.map(|e| e * per);
            let comment = format!(
                "extent [{}, {}] × [{}, {}] {unit}",
                extent[0], extent[1], extent[2], extent[3]
            );
            let (w, h) = write_map_png(
                path,
                &m(),
                maps.nx,
                maps.ny,
                Scale {
                    log: style.log,
                    limits: style.limits,
                },
                &MapLabel {
                    title: style.title,
                    caption: style.caption,
                    quantity: style.quantity,
                    axes,
                    unit,
                    extent,
                    comment: &comment,
                },
            )?;
            Ok(format!("{} ({w}×{h} PNG)", path.display()))
        }
        _ => fail(format!(
            "{}: output must end in .npy or .png",
            path.display()
        )),
    }
}
