//! PNG maps as a reader of a paper expects them: the colour map with a
//! frame, axes with tick marks and labels in physical units, a title, and
//! a colour bar with its scale, range and unit. Text is drawn with the
//! public-domain 8×8 bitmap font of the `font8x8` crate (ASCII), scaled
//! ×2 on maps wider than 512 pixels. The title, extent and colour range
//! are also stored in the PNG's text chunks, with `amrkit:map` giving the
//! pixel box of the map itself (`left top width height`). NaN pixels have
//! a colour of their own and, on log maps, pixels at or below zero (or
//! round-off: under 1e-12 of the largest value) are black; a legend under
//! the colour bar names each kind the map holds, and the bar spans the
//! other values only.

use super::canvas::{text_len, tick_label, ticks, write_rgb, Axes, Canvas, INK};
use std::path::Path;

/// Colour-map anchors (a perceptually ordered dark-blue → yellow ramp).
const RAMP: [[f64; 3]; 6] = [
    [0.05, 0.03, 0.20],
    [0.25, 0.10, 0.50],
    [0.55, 0.15, 0.50],
    [0.85, 0.35, 0.30],
    [0.98, 0.65, 0.15],
    [0.99, 0.95, 0.55],
];

fn colour(t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    std::array::from_fn(|c| ((RAMP[i][c] * (1.0 - f) + RAMP[i + 1][c] * f) * 255.0).round() as u8)
}

/// What a map shows and where it lies.
pub struct MapLabel<'a> {
    /// Drawn above the map, e.g. `density projected along z`.
    pub title: &'a str,
    /// The mapped quantity with its unit, e.g. `density [Msol/pc^2]`; the
    /// colour bar's label (prefixed with `log10 ` on log maps).
    pub quantity: &'a str,
    /// Names of the horizontal and vertical image axes, e.g. `["x", "y"]`.
    pub axes: [&'a str; 2],
    /// Unit of the axes, e.g. `kpc`.
    pub unit: &'a str,
    /// `[left, right, bottom, top]` of the map in that unit.
    pub extent: [f64; 4],
    /// Extra notes for the text chunk.
    pub comment: &'a str,
}

/// The colour of NaN pixels (named in the colour bar's legend): a green
/// that the ramp does not hold.
const NAN_COLOUR: [u8; 3] = [0, 200, 80];

/// Positive values below this fraction of a log map's largest value are
/// round-off (e.g. sums of contributions that cancel): drawn as zero, and
/// kept out of the colour bar's range, which then spans at most 12 decades.
const ROUND_OFF: f64 = 1e-12;

/// What a pixel shows.
#[derive(Clone, Copy, PartialEq)]
enum Pixel {
    /// A value on the colour bar (log10 of it on log maps).
    Value(f64),
    /// NaN (or ±∞) in the map.
    NaN,
    /// Zero, negative or round-off on a log map.
    Zero,
}

/// The pixels and the colour bar's range (`lo > hi` when no value is
/// finite).
fn scaled(map: &[f64], log: bool) -> (Vec<Pixel>, f64, f64) {
    let top = map
        .iter()
        .filter(|v| v.is_finite())
        .fold(0f64, |m, &v| m.max(v));
    let px: Vec<Pixel> = map
        .iter()
        .map(|&v| match (log, v.is_finite(), v > ROUND_OFF * top) {
            (_, false, _) => Pixel::NaN,
            (false, true, _) => Pixel::Value(v),
            (true, true, true) => Pixel::Value(v.log10()),
            (true, true, false) => Pixel::Zero,
        })
        .collect();
    let (lo, hi) = px
        .iter()
        .filter_map(|p| match *p {
            Pixel::Value(v) => Some(v),
            _ => None,
        })
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    (px, lo, hi)
}

/// The legend under the colour bar at `(x, y)`: a swatch and its name per
/// kind of pixel that is not on the bar and that the map holds.
fn draw_legend(c: &mut Canvas, x: usize, y: usize, entries: &[([u8; 3], &str)], s: usize) {
    let ch = 8 * s;
    for (k, (col, name)) in entries.iter().enumerate() {
        let y0 = y + k * (ch + ch / 2);
        c.fill(x, y0, x + ch, y0 + ch, *col);
        c.frame(x, y0, x + ch, y0 + ch);
        c.text(x + ch + ch / 2, y0, name, s, false);
    }
}

/// The title centred at the top of an image `right` pixels wide, cut to
/// its width (glyph scale `s`).
fn draw_title(c: &mut Canvas, title: &str, right: usize, s: usize) {
    let ch = 8 * s;
    let pad = ch / 2;
    let fit = (right - 2 * pad) / ch;
    let title: String = title.chars().take(fit).collect();
    let tx = (right / 2).saturating_sub(text_len(&title, s) / 2);
    c.text(tx, pad, &title, s, false);
}

/// Writes `map` (`nx × ny`, row `j` is y) as a PNG with the y axis up,
/// `log10` scaling if asked, axes, labels and a colour bar. Returns the
/// image size.
pub fn write_map_png(
    path: &Path,
    map: &[f64],
    nx: usize,
    ny: usize,
    log: bool,
    label: &MapLabel,
) -> amrkit_io::Result<(u32, u32)> {
    let (px, lo, hi) = scaled(map, log);
    let count = |k: Pixel| px.iter().filter(|&&p| p == k).count();
    let (nans, zeros) = (count(Pixel::NaN), count(Pixel::Zero));
    let mut legend: Vec<([u8; 3], &str)> = Vec::new();
    if nans > 0 {
        legend.push((NAN_COLOUR, "NaN"));
    }
    if zeros > 0 {
        legend.push((INK, "<= 0"));
    }
    let span = if hi > lo { hi - lo } else { 1.0 };

    // Layout, in units of the glyph size.
    let s = if nx.max(ny) > 512 { 2 } else { 1 };
    let ch = 8 * s;
    let pad = ch / 2;
    let tick = ch / 2;
    let [e0, e1, e2, e3] = label.extent;
    let axes = Axes {
        scale: s,
        x: (e0, e1, format!("{} [{}]", label.axes[0], label.unit)),
        y: (e2, e3, format!("{} [{}]", label.axes[1], label.unit)),
    };
    let (bt, bstep) = if hi >= lo {
        ticks(lo, hi, 5)
    } else {
        (vec![], 0.0)
    };
    let blabels: Vec<String> = bt.iter().map(|&v| tick_label(v, bstep)).collect();
    let widest = |l: &[String]| l.iter().map(|t| text_len(t, s)).max().unwrap_or(0);
    let left = axes.left_margin();
    let top = pad + ch + pad;
    let bar_x = left + nx + 2 * ch;
    let bar_w = (nx / 24).max(2 * ch);
    let legend_w = legend
        .iter()
        .map(|(_, t)| 2 * ch + text_len(t, s))
        .max()
        .unwrap_or(0);
    let right = (bar_x + bar_w + tick + pad / 2 + widest(&blabels) + pad + ch + pad)
        .max(bar_x + legend_w + pad + ch + pad);
    let bottom = top + ny + axes.bottom_margin();
    let mut c = Canvas::new(right, bottom);

    // The map, y up, and the colour bar, low values at the bottom.
    for j in 0..ny {
        let row = top + ny - 1 - j;
        for i in 0..nx {
            let col = match px[j * nx + i] {
                Pixel::Value(v) => colour((v - lo) / span),
                Pixel::NaN => NAN_COLOUR,
                Pixel::Zero => INK,
            };
            c.put(left + i, row, col);
        }
    }
    for r in 0..ny {
        let col = colour(1.0 - r as f64 / (ny.max(2) - 1) as f64);
        c.fill(bar_x, top + r, bar_x + bar_w, top + r + 1, col);
    }
    axes.draw(&mut c, left, top, nx, ny);
    c.frame(bar_x, top, bar_x + bar_w, top + ny);
    draw_legend(&mut c, bar_x, top + ny + ch, &legend, s);

    // Colour bar ticks and label.
    let bpix = |v: f64| {
        top + ((hi - v) / span * (ny.max(2) - 1) as f64)
            .round()
            .clamp(0.0, ny as f64 - 1.0) as usize
    };
    for (&v, t) in bt.iter().zip(&blabels) {
        let y = bpix(v);
        c.fill(bar_x + bar_w + 1, y, bar_x + bar_w + 1 + tick, y + 1, INK);
        c.text(
            bar_x + bar_w + 1 + tick + pad / 2,
            y.saturating_sub(ch / 2),
            t,
            s,
            false,
        );
    }
    let qname = if log {
        format!("log10 {}", label.quantity)
    } else {
        label.quantity.to_string()
    };
    let qb = (top + ny / 2 + text_len(&qname, s) / 2).min(bottom - 1);
    c.text(right - pad - ch, qb, &qname, s, true);

    draw_title(&mut c, label.title, right, s);

    let scale = if log { "log10 " } else { "" };
    let mut comment = format!(
        "{}; colour bar {scale}[{lo:.6e}, {hi:.6e}] bottom to top",
        label.comment
    );
    if nans > 0 {
        comment += &format!("; {nans} NaN pixels in green (legend: NaN)");
    }
    if zeros > 0 {
        comment += &format!(
            "; {zeros} pixels at or below {ROUND_OFF:e} of the largest value (zero, negative or round-off) in black (legend: <= 0)"
        );
    }
    let mapbox = format!("{left} {top} {nx} {ny}");
    let (w, h, img) = c.into_rgb();
    write_rgb(
        path,
        w,
        h,
        &img,
        &[
            ("Title", label.title),
            ("Comment", &comment),
            ("amrkit:map", &mapbox),
        ],
    )?;
    Ok((w as u32, h as u32))
}
