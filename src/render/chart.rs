//! What the plotted figures (profiles, phase diagrams) share: `plotters`
//! drawing into an RGB buffer, text in DejaVu Sans (bundled by the
//! `dejavu` crate, so no system font is ever looked up), number labels,
//! and the colour maps.

use plotters::coord::combinators::{BindKeyPoints, IntoLogRange, LogCoord, WithKeyPoints};
use plotters::style::colors::colormaps::{BlackWhite, ColorMap, ViridisRGB, VulcanoHSL};
use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// The font family name the figures ask for.
pub const FONT: &str = "sans-serif";

/// Registers the bundled DejaVu Sans as [`FONT`] (once per process).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu Sans is a valid TrueType font: registering it cannot fail
        // unless the `dejavu` crate's bytes are corrupt; then text is simply
        // missing and plotters reports it at the first draw.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// An 8-bit RGB image, rows top to bottom.
pub struct Rgb {
    /// Width in pixels.
    pub w: usize,
    /// Height in pixels.
    pub h: usize,
    /// `w·h·3` bytes.
    pub px: Vec<u8>,
}

impl std::fmt::Debug for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rgb({}×{})", self.w, self.h)
    }
}

/// A colour map by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmap {
    /// matplotlib's default (perceptually uniform, dark blue → yellow).
    Viridis,
    /// Black → white.
    Gray,
    /// Black → red → yellow.
    Vulcano,
}

impl Cmap {
    /// The names `--cmap` takes.
    pub const NAMES: [&'static str; 3] = ["viridis", "gray", "vulcano"];

    /// The map called `name`.
    pub fn of(name: &str) -> Result<Cmap, String> {
        match name {
            "viridis" => Ok(Cmap::Viridis),
            "gray" | "grey" => Ok(Cmap::Gray),
            "vulcano" => Ok(Cmap::Vulcano),
            _ => Err(format!(
                "--cmap must be one of {}, got {name:?}",
                Cmap::NAMES.join(", ")
            )),
        }
    }

    /// The colour at `t` in `[0, 1]` (clamped).
    pub fn colour(self, t: f64) -> RGBColor {
        let t = t.clamp(0.0, 1.0) as f32;
        match self {
            Cmap::Viridis => ViridisRGB.get_color(t),
            Cmap::Gray => BlackWhite.get_color(t),
            Cmap::Vulcano => {
                let (r, g, b) = plotters::style::Color::rgb(&VulcanoHSL.get_color(t));
                RGBColor(r, g, b)
            }
        }
    }
}

/// A short label for a number on an axis: `10^n` as `1e{n}` beyond
/// 10^±3, plain decimals otherwise, trailing zeros dropped.
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.00e5 → 1e5, 2.50e-4 → 2.5e-4
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{e}");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A log axis from `lo` to `hi` (both positive) with its own ticks:
/// the powers of ten inside it (with their 2 and 5 multiples when it spans
/// under 2.5 decades, or every multiple when it holds fewer than two
/// powers), minor grid at every multiple. (plotters' own log ticks repeat
/// some values.)
pub fn log_axis(lo: f64, hi: f64) -> WithKeyPoints<LogCoord<f64>> {
    let decades = (hi / lo).log10();
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    let multiples = |ms: &[f64]| -> Vec<f64> {
        (k0..=k1)
            .flat_map(|k| ms.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|&v| inside(v))
            .collect()
    };
    let all: Vec<f64> = multiples(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    let mut bold = if decades < 2.5 {
        multiples(&[1.0, 2.0, 5.0])
    } else {
        multiples(&[1.0])
    };
    if bold.len() < 2 {
        bold = all.clone();
    }
    // Many decades: every second, third, … power only.
    let step = bold.len().div_ceil(10).max(1);
    let bold: Vec<f64> = bold.into_iter().step_by(step).collect();
    (lo..hi)
        .log_scale()
        .with_key_points(bold)
        .with_light_points(all)
}

/// Lower and upper bounds of the finite values (positive ones when
/// `positive`), `None` when there are none.
pub fn finite_range(vals: impl Iterator<Item = f64>, positive: bool) -> Option<(f64, f64)> {
    let (lo, hi) = vals
        .filter(|v| v.is_finite() && (!positive || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    (lo <= hi).then_some((lo, hi))
}

/// `(lo, hi)` widened for a plot: ×/÷ a margin on a log axis, ±5% of the
/// span on a linear one; a single value is given a decade or a unit.
pub fn padded(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if log {
        if lo == hi {
            return (lo / 3.0, hi * 3.0);
        }
        let f = (hi / lo).powf(0.05);
        (lo / f, hi * f)
    } else {
        let s = if hi > lo {
            0.05 * (hi - lo)
        } else {
            0.5 * lo.abs().max(1.0)
        };
        (lo - s, hi + s)
    }
}

/// `sim/output_NNNNN` of an output folder (its last two components), for
/// figure titles.
pub fn run_name(dir: &std::path::Path) -> String {
    let parts: Vec<String> = dir
        .components()
        .rev()
        .take(2)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// A plotters error as a message naming what was drawn.
pub fn drawing_error(what: &str, e: impl std::fmt::Display) -> String {
    format!("drawing the {what}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_labels_are_short() {
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(100.0), "100");
        assert_eq!(number(1e5), "1e5");
        assert_eq!(number(2.5e-4), "2.5e-4");
        assert_eq!(number(-0.125), "-0.125");
    }

    #[test]
    fn colour_maps_by_name() {
        assert_eq!(Cmap::of("viridis"), Ok(Cmap::Viridis));
        assert!(Cmap::of("jet")
            .unwrap_err()
            .contains("viridis, gray, vulcano"));
        let (a, b) = (Cmap::Gray.colour(0.0), Cmap::Gray.colour(1.0));
        assert_eq!((a.0, b.0), (0, 255));
    }
}
