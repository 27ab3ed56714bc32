//! What the plotted figures (profiles, phase diagrams) share: `plotters`
//! drawing into an RGB buffer, text in DejaVu Sans (bundled by the
//! `dejavu` crate, so no system font is ever looked up), number labels,
//! and the colour maps.

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

/// A label for a tick of a log axis spanning `decades`: only the
/// powers of ten (and their 2 and 5 multiples on a short axis) are
/// labelled, so that the minor ticks do not crowd.
pub fn log_number(v: f64, decades: f64) -> String {
    if v.is_nan() || v <= 0.0 {
        return String::new();
    }
    let m = v / 10f64.powf(v.log10().floor());
    let near = |x: f64| (m - x).abs() < 1e-6 * x || (m - 10.0 * x).abs() < 1e-5 * x;
    if near(1.0) || (decades < 2.5 && (near(2.0) || near(5.0))) {
        number(v)
    } else {
        String::new()
    }
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
