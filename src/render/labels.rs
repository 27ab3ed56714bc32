//! The words on a figure: what a map's pixel is (its colour-bar label),
//! units written as a paper writes them (`g cm⁻²`, `M☉ pc⁻²`), and the
//! caption naming the output and its time. Kept apart from the drawing so
//! that the exact text can be tested without reading pixels.

use amrkit_io::Snapshot;
use amrkit_kernels::project::Weight;
use amrkit_kernels::units::MYR;
use amrkit_kernels::Units;

/// What a map's pixel holds (see docs/views.md for the definitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    /// A projection of a 3D output, `Σ f·Vol(cell ∩ prism) / area`: the
    /// column `∫ f dl` when unweighted, `∫ w f dl / ∫ w dl` when weighted.
    Projection(Weight),
    /// The value of the cell holding the pixel centre (a slice), or a 1D/2D
    /// output's average over the pixel (the output is its own plane).
    Value,
}

/// A unit as a reader expects it: `code` → `code units`; `a/b^2` →
/// `a b⁻²`; `Msol` → `M☉`; other units as given.
pub fn pretty_unit(unit: &str) -> String {
    if unit == "code" {
        return "code units".into();
    }
    if unit.contains("mu") || unit.contains(' ') {
        return unit.into();
    }
    let mut parts = unit.split('/');
    let num = parts.next().unwrap_or("");
    let mut out: Vec<String> = num
        .split('*')
        .filter(|t| !t.is_empty() && *t != "1")
        .map(|t| factor(t, false))
        .collect();
    for den in parts {
        out.extend(den.split('*').map(|t| factor(t, true)));
    }
    out.join(" ")
}

/// One factor `name^n` of a unit, the exponent negated for a denominator.
fn factor(t: &str, below: bool) -> String {
    let (name, exp) = t.split_once('^').unwrap_or((t, "1"));
    let name = match name {
        "Msol" => "M☉",
        "Lsol" => "L☉",
        n => n,
    };
    let exp = match (below, exp.strip_prefix('-')) {
        (false, _) => exp.to_string(),
        (true, Some(e)) => e.to_string(),
        (true, None) => format!("-{exp}"),
    };
    if exp == "1" {
        name.into()
    } else {
        format!("{name}{}", super::chart::superscript(&exp))
    }
}

/// The colour-bar label of a map of `var` in `unit` (as `--unit` names it,
/// or `code`): what the pixel is and its unit.
pub fn map_quantity(kind: MapKind, var: &str, unit: &str) -> String {
    let unit = pretty_unit(unit);
    match kind {
        MapKind::Projection(Weight::None) if var == "density" => {
            format!("projected density (surface density) [{unit}]")
        }
        MapKind::Projection(Weight::None) => format!("projected {var}, ∫ {var} dl [{unit}]"),
        MapKind::Projection(Weight::Mass) => format!("density-weighted {var} [{unit}]"),
        MapKind::Projection(Weight::Volume) => format!("volume-weighted {var} [{unit}]"),
        MapKind::Value => format!("{var} [{unit}]"),
    }
}

/// Whether maps of `var` are coloured by log10 unless asked otherwise
/// (as yt does): the quantities that are positive by nature.
pub fn log_by_default(var: &str) -> bool {
    matches!(
        var,
        "density" | "pressure" | "temperature" | "temperature_over_mu" | "nH" | "mass"
    )
}

/// The caption under a figure's title: `run/output_NNNNN` and the time —
/// the redshift of a cosmological output, Myr with physical units, else
/// code time.
pub fn output_caption(s: &Snapshot) -> String {
    let name = super::chart::run_name(&s.dir);
    let u = Units::from_info(&s.info);
    let when = if u.comoving.is_some() && s.info.aexp > 0.0 {
        format!("z = {:.3}", 1.0 / s.info.aexp - 1.0)
    } else if super::map::length_unit(&u).0 != "code length" {
        let myr = s.info.time * u.unit_t / MYR;
        format!("t = {} Myr", super::chart::number(sig(myr, 4)))
    } else {
        format!(
            "t = {} (code units)",
            super::chart::number(sig(s.info.time, 4))
        )
    };
    format!("{name}, {when}")
}

/// `v` rounded to `n` significant digits.
fn sig(v: f64, n: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let k = 10f64.powi(n - 1 - v.abs().log10().floor() as i32);
    (v * k).round() / k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_written_with_exponents() {
        assert_eq!(pretty_unit("g/cm^2"), "g cm⁻²");
        assert_eq!(pretty_unit("Msol/pc^2"), "M☉ pc⁻²");
        assert_eq!(pretty_unit("km/s"), "km s⁻¹");
        assert_eq!(pretty_unit("cm^-3"), "cm⁻³");
        assert_eq!(pretty_unit("K"), "K");
        assert_eq!(pretty_unit("code"), "code units");
    }

    /// The colour-bar label says what the pixel is: a column for an
    /// unweighted projection, a weighted mean otherwise, the value for a
    /// slice.
    #[test]
    fn colour_bar_labels_say_what_the_pixel_is() {
        let p = MapKind::Projection;
        assert_eq!(
            map_quantity(p(Weight::None), "density", "g/cm^2"),
            "projected density (surface density) [g cm⁻²]"
        );
        assert_eq!(
            map_quantity(p(Weight::None), "density", "Msol/pc^2"),
            "projected density (surface density) [M☉ pc⁻²]"
        );
        assert_eq!(
            map_quantity(p(Weight::Mass), "temperature", "K"),
            "density-weighted temperature [K]"
        );
        assert_eq!(
            map_quantity(p(Weight::Volume), "velocity_x", "km/s"),
            "volume-weighted velocity_x [km s⁻¹]"
        );
        assert_eq!(
            map_quantity(p(Weight::None), "pressure", "code"),
            "projected pressure, ∫ pressure dl [code units]"
        );
        assert_eq!(
            map_quantity(MapKind::Value, "density", "g/cm^3"),
            "density [g cm⁻³]"
        );
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.030132, 4), 0.03013);
        assert_eq!(sig(123456.0, 4), 123500.0);
    }
}
