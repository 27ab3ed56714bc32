//! What the plotted figures (profiles, phase diagrams) share: `plotters`
//! drawing into an RGB buffer, text in DejaVu Sans (bundled by the
//! `dejavu` crate, so no system font is ever looked up), number labels,
//! and the colour maps.

use plotters::coord::combinators::{BindKeyPoints, IntoLogRange, LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::{BlackWhite, ColorMap, ViridisRGB, VulcanoHSL};
use plotters::style::text_anchor::{HPos, Pos, VPos};
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

/// A short label for a number on a log axis: plain decimals from 10^-3
/// to 10^4 (trailing zeros dropped), else `m×10ⁿ` with superscript digits
/// (`10ⁿ` alone for a power of ten).
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.00e5 → 10⁵, 2.50e-4 → 2.5×10⁻⁴
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let power = format!("10{}", superscript(e));
        return match m {
            "1" => power,
            "-1" => format!("−{power}"),
            _ => format!("{}×{power}", m.replace('-', "−")),
        };
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('-', "−")
}

/// `text` (digits and minus signs) in superscript characters.
pub fn superscript(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            c => c,
        })
        .collect()
}

/// Round ticks of a linear axis: multiples of a step of 1, 2 or 5 × 10^k
/// inside `[lo, hi]`, about `target` of them, and the step. Each tick is
/// `k · step` for an integer `k`, so 0 is exactly 0.
pub fn ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return (if lo.is_finite() { vec![lo] } else { vec![] }, 0.0);
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    ((first..=last).map(|k| k as f64 * step).collect(), step)
}

/// The label of tick `v` on an axis whose ticks are `step` apart, written
/// to the precision of the step: a value within 10^-6 steps of zero is
/// `0`; steps from 10^-3 to 10^4 give plain decimals (as many as the step
/// needs), others `m×10ⁿ` with as many digits of `m` as the step needs.
pub fn tick_label(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 || (step > 0.0 && v.abs() < 1e-6 * step) {
        return "0".into();
    }
    let step_exp = if step > 0.0 {
        step.log10().floor() as i32
    } else {
        v.abs().log10().floor() as i32 - 3
    };
    if (-3..5).contains(&step_exp) {
        let decimals = (-step_exp).max(0) as usize;
        return format!("{v:.decimals$}").replace('-', "−");
    }
    let exp = v.abs().log10().floor() as i32;
    let digits = (exp - step_exp).max(0) as usize;
    let s = format!("{v:.digits$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let power = format!("10{}", superscript(e));
    match m {
        "1" => power,
        "-1" => format!("−{power}"),
        _ => format!("{}×{power}", m.replace('-', "−")),
    }
}

/// A linear axis with its own ticks ([`ticks`]): plotters' linear axes
/// place theirs by adding steps, which leaves round-off such as −5.55e−17
/// where 0 belongs.
pub struct LinAxis {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for LinAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// A linear axis from `lo` to `hi` with round ticks (about `target`), and
/// the step between them (for [`tick_label`]).
pub fn lin_axis(lo: f64, hi: f64, target: usize) -> (LinAxis, f64) {
    let (ticks, step) = ticks(lo, hi, target);
    let inner: RangedCoordf64 = (lo..hi).into();
    (LinAxis { inner, ticks }, step)
}

/// The ticks of a log axis from `lo` to `hi` (both positive): the powers
/// of ten inside it (with their 2 and 5 multiples when it spans under 2.5
/// decades, or every multiple when it holds fewer than two powers; every
/// second, third, … power over many decades), and the minor ticks at every
/// multiple; under a decade with fewer than three such ticks, the round
/// ticks of a linear axis ([`ticks`]).
pub fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
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
    if decades < 1.0 && bold.len() < 3 {
        // Under a decade: the round values of a linear axis.
        let (lin, _) = ticks(lo, hi, 5);
        let lin: Vec<f64> = lin.into_iter().filter(|&v| v > 0.0).collect();
        if lin.len() > bold.len() {
            return (lin.clone(), lin);
        }
    }
    let step = bold.len().div_ceil(10).max(1);
    let bold: Vec<f64> = bold.into_iter().step_by(step).collect();
    (bold, all)
}

/// How an axis writes its tick labels.
pub type TickLabels = Box<dyn Fn(&f64) -> String>;

/// About this many ticks on a linear axis of a plot.
pub const LIN_TICKS: usize = 8;

/// The tick labels of an axis from `lo` to `hi`: [`number`] on a log
/// axis, [`tick_label`] to the step of [`lin_axis`]`(lo, hi, LIN_TICKS)`
/// on a linear one.
pub fn axis_labels(lo: f64, hi: f64, log: bool) -> TickLabels {
    if log {
        Box::new(|v| number(*v))
    } else {
        let (_, step) = ticks(lo, hi, LIN_TICKS);
        Box::new(move |v| tick_label(*v, step))
    }
}

/// A log axis from `lo` to `hi` (both positive) with the ticks of
/// [`log_ticks`] (plotters' own log ticks repeat some values).
pub fn log_axis(lo: f64, hi: f64) -> WithKeyPoints<LogCoord<f64>> {
    let (bold, all) = log_ticks(lo, hi);
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

/// The largest font size from `max` down to `min` at which `text` is at
/// most `room` pixels long (`min` when none is).
pub fn fitting_size(
    area: &DrawingArea<BitMapBackend, Shift>,
    text: &str,
    room: u32,
    max: u32,
    min: u32,
) -> u32 {
    (min..=max)
        .rev()
        .find(|&s| {
            area.estimate_text_size(text, &TextStyle::from((FONT, s).into_font()))
                .is_ok_and(|(tw, _)| tw <= room)
        })
        .unwrap_or(min)
}

/// The title and, under it, the caption, each centred and shrunk to fit
/// the figure's width.
pub fn draw_titles(
    area: &DrawingArea<BitMapBackend, Shift>,
    w: u32,
    title: &str,
    caption: &str,
) -> Result<(), String> {
    let err = |e| drawing_error("map title", e);
    let centre = Pos::new(HPos::Center, VPos::Top);
    let s = fitting_size(area, title, w - 24, 21, 10);
    let style = TextStyle::from((FONT, s).into_font()).pos(centre);
    area.draw_text(title, &style, ((w / 2) as i32, 10))
        .map_err(err)?;
    let s = fitting_size(area, caption, w - 24, 15, 9);
    let style = TextStyle::from((FONT, s).into_font())
        .color(&RGBColor(70, 70, 70))
        .pos(centre);
    area.draw_text(caption, &style, ((w / 2) as i32, 40))
        .map_err(err)
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
        assert_eq!(number(1e5), "10⁵");
        assert_eq!(number(2.5e-4), "2.5×10⁻⁴");
        assert_eq!(number(-0.125), "−0.125");
    }

    #[test]
    fn tick_labels_follow_the_step() {
        // A tick at round-off from zero of a 0..1 axis is 0 (the phase
        // colour bar used to show −5.55e−17).
        let (t, step) = ticks(0.0, 1.0, 5);
        assert_eq!(step, 0.2);
        assert_eq!(tick_label(1e-17, step), "0");
        assert_eq!(tick_label(-5.55e-17, step), "0");
        let labels: Vec<String> = t.iter().map(|&v| tick_label(v, step)).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        // The precision of the step, not of the value.
        assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick_label(-2.0, 0.5), "−2.0");
        assert_eq!(tick_label(250.0, 50.0), "250");
        // Very small and very large steps: m×10ⁿ.
        assert_eq!(tick_label(4e-5, 2e-5), "4×10⁻⁵");
        assert_eq!(tick_label(1.2e-4, 2e-5), "1.2×10⁻⁴");
        assert_eq!(tick_label(1.5e6, 5e5), "1.5×10⁶");
        assert_eq!(tick_label(1e6, 5e5), "1.0×10⁶");
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
