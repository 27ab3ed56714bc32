//! PNG maps as a paper shows them, drawn with plotters in DejaVu Sans (as
//! the profile and phase figures): the map in a frame whose sides keep
//! the window's physical aspect ratio, axes in a physical length unit with
//! round ticks, a title and a caption (the output and its time), and a
//! colour bar with ticks and the quantity's label. The figure's size
//! depends on the window's shape only, never on the map's pixel count:
//! each figure pixel shows the map pixel under its centre.
//!
//! NaN pixels are grey and, on log maps, pixels at or below zero (or
//! round-off: under 1e-12 of the largest value) are white; a legend under
//! the colour bar names each kind the map holds, and the bar spans the
//! other values only. The title, extent and colour range are also stored
//! in the PNG's text chunks, with `amrkit:map` giving the pixel box of the
//! map in the image (`left top width height`).

use super::chart::{draw_titles, fitting_size, Cmap};
use super::chart::{drawing_error, lin_axis, log_ticks, number, register_font, tick_label, ticks};
use super::chart::{Rgb, FONT};
use super::png_file::write_rgb;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// What a map shows and where it lies.
pub struct MapLabel<'a> {
    /// The title, e.g. `density projected along z`.
    pub title: &'a str,
    /// The line under the title: the output and its time.
    pub caption: &'a str,
    /// The colour bar's label: the quantity with its unit.
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

/// How values become colours: log10 or linear, and the colour bar's ends
/// when given (`[vmin, vmax]`, in the map's values; else the range of the
/// values drawn). Values beyond an end take that end's colour.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scale {
    /// log10 colour scale.
    pub log: bool,
    /// The colour bar's lower and upper ends.
    pub limits: [Option<f64>; 2],
}

impl Scale {
    /// The ends `[vmin, vmax]` checked: finite, positive on a log scale,
    /// the lower below the upper.
    pub fn check(&self) -> Result<(), String> {
        for (v, name) in self.limits.iter().zip(["--vmin", "--vmax"]) {
            match *v {
                Some(x) if !x.is_finite() => return Err(format!("{name} {x} is not a number")),
                Some(x) if self.log && x <= 0.0 => {
                    return Err(format!(
                        "{name} {x}: a log colour scale needs positive ends (or use --lin)"
                    ))
                }
                _ => {}
            }
        }
        match self.limits {
            [Some(a), Some(b)] if a >= b => Err(format!("--vmin {a} must be below --vmax {b}")),
            _ => Ok(()),
        }
    }

    /// The colour bar's range (log10 on a log scale) from the drawn values'
    /// `(lo, hi)` and the ends asked for.
    fn bar(&self, lo: f64, hi: f64) -> (f64, f64) {
        let f = |v: f64| if self.log { v.log10() } else { v };
        let lo = self.limits[0].map_or(lo, f);
        let hi = self.limits[1].map_or(hi, f);
        // One end given beyond the values' other end: a bar one unit wide.
        match self.limits {
            [Some(_), None] if hi <= lo => (lo, lo + 1.0),
            [None, Some(_)] if hi <= lo => (hi - 1.0, hi),
            _ => (lo, hi),
        }
    }
}

/// The colour map of maps.
const CMAP: Cmap = Cmap::Viridis;
/// NaN pixels: a grey that viridis does not hold.
pub const NAN_COLOUR: RGBColor = RGBColor(170, 170, 170);
/// Pixels at or below zero on a log map.
pub const ZERO_COLOUR: RGBColor = RGBColor(255, 255, 255);

/// Positive values below this fraction of a log map's largest value are
/// round-off (e.g. sums of contributions that cancel): drawn as zero, and
/// kept out of the colour bar's range, which then spans at most 12 decades.
const ROUND_OFF: f64 = 1e-12;

/// Layout, in figure pixels: room left of the map (y ticks and name),
/// above it (title and caption), below it (x ticks and name, legend), the
/// gap to the colour bar, its width, the room for its tick labels and for
/// its label, and the figure's smallest width.
const LEFT: u32 = 96;
const TOP: u32 = 70;
const BOTTOM: u32 = 62;
const BAR_GAP: u32 = 22;
const BAR_W: u32 = 22;
const BAR_LABELS: u32 = 72;
const BAR_DESC: u32 = 40;
const MIN_W: u32 = 760;

/// The size of the map's box for a window `aspect` (width / height) wide:
/// 560 pixels square, a wide window up to 760 wide, a tall one up to 640
/// high, the other side following the aspect ratio.
pub fn map_box(aspect: f64) -> (u32, u32) {
    let a = if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        1.0
    };
    let (w, h) = if a >= 1.0 {
        let w = (420.0 * a).clamp(560.0, 760.0);
        (w, w / a)
    } else {
        let h = (420.0 / a).clamp(560.0, 640.0);
        (h * a, h)
    };
    (w.round().max(1.0) as u32, h.round().max(1.0) as u32)
}

/// The figure's size and the map box's top-left corner for a map box of
/// `pw × ph`.
fn layout(pw: u32, ph: u32) -> (u32, u32, u32, u32) {
    let needed = LEFT + pw + BAR_GAP + BAR_W + BAR_LABELS + BAR_DESC;
    let w = needed.max(MIN_W);
    let left = LEFT + (w - needed) / 2;
    (w, TOP + ph + BOTTOM, left, TOP)
}

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

/// A drawn map figure and what its text chunks say of it.
pub struct MapFigure {
    /// The image.
    pub img: Rgb,
    /// The map's box in the image: left, top, width, height.
    pub map_box: [u32; 4],
    /// The colour bar's range (log10 on log maps), bottom to top.
    pub range: (f64, f64),
    /// NaN pixels and pixels at or below zero (log maps) in the map.
    pub nans: usize,
    /// Pixels at or below zero (or round-off) on a log map.
    pub zeros: usize,
}

/// Draws `map` (`nx × ny`, row `j` is y, drawn y up), log10-scaled if
/// asked, as a figure of a size set by the extent's aspect ratio only.
pub fn draw_map(
    map: &[f64],
    nx: usize,
    ny: usize,
    scale: Scale,
    label: &MapLabel,
) -> Result<MapFigure, String> {
    if nx == 0 || ny == 0 || map.len() != nx * ny {
        return Err(format!("a {nx}×{ny} map needs {} values", nx * ny));
    }
    scale.check()?;
    register_font();
    let log = scale.log;
    let (px, lo, hi) = scaled(map, log);
    let (lo, hi) = if lo <= hi || scale.limits != [None, None] {
        scale.bar(lo, hi)
    } else {
        (lo, hi)
    };
    let count = |k: Pixel| px.iter().filter(|&&p| p == k).count();
    let (nans, zeros) = (count(Pixel::NaN), count(Pixel::Zero));
    // The bar's range: a single value is given room around it.
    let (blo, bhi) = if hi > lo {
        (lo, hi)
    } else if hi == lo {
        (lo - 0.5, hi + 0.5)
    } else {
        (0.0, 1.0)
    };
    let [e0, e1, e2, e3] = label.extent;
    let (pw, ph) = map_box((e1 - e0).abs() / (e3 - e2).abs());
    let (w, h, left, top) = layout(pw, ph);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let err = |e| drawing_error("map", e);
        root.fill(&WHITE).map_err(err)?;
        let colour = |p: Pixel| match p {
            Pixel::Value(v) => CMAP.colour((v - blo) / (bhi - blo)),
            Pixel::NaN => NAN_COLOUR,
            Pixel::Zero => ZERO_COLOUR,
        };
        // The map: each figure pixel takes the map pixel under its centre.
        for y in 0..ph {
            let j = ny - 1 - ((y as f64 + 0.5) / ph as f64 * ny as f64) as usize;
            for x in 0..pw {
                let i = ((x as f64 + 0.5) / pw as f64 * nx as f64) as usize;
                let c = colour(px[j * nx + i.min(nx - 1)]);
                root.draw_pixel(((left + x) as i32, (top + y) as i32), &c)
                    .map_err(err)?;
            }
        }
        let frame = [(left, top), (pw, ph)];
        draw_axes(&root, frame, label)?;
        let bar = [(left + pw + BAR_GAP, top), (BAR_W, ph)];
        for y in 0..ph {
            let c = CMAP.colour(1.0 - (y as f64 + 0.5) / ph as f64);
            for x in 0..BAR_W {
                root.draw_pixel(((bar[0].0 + x) as i32, (top + y) as i32), &c)
                    .map_err(err)?;
            }
        }
        let widest = bar_axis(&root, bar, &bar_ticks(blo, bhi, log))?;
        bar_label(&root, bar, widest, label.quantity)?;
        let mut legend = Vec::new();
        if nans > 0 {
            legend.push((NAN_COLOUR, "NaN (no value)"));
        }
        if zeros > 0 {
            legend.push((ZERO_COLOUR, "≤ 0"));
        }
        draw_legend(&root, (bar[0].0, top + ph + 14), &legend)?;
        draw_titles(&root, w, label.title, label.caption)?;
        root.present().map_err(err)?;
    }
    Ok(MapFigure {
        img: Rgb {
            w: w as usize,
            h: h as usize,
            px: buf,
        },
        map_box: [left, top, pw, ph],
        range: (lo, hi),
        nans,
        zeros,
    })
}

/// The map's axes around the box `frame` (corner, size): round ticks in
/// the extent's unit, each axis named with its unit, and a frame.
fn draw_axes(
    root: &DrawingArea<BitMapBackend, Shift>,
    frame: [(u32, u32); 2],
    label: &MapLabel,
) -> Result<(), String> {
    let err = |e| drawing_error("map axes", e);
    let [(left, top), (pw, ph)] = frame;
    let [e0, e1, e2, e3] = label.extent;
    // About one tick per 100 pixels across, 80 up.
    let (nxt, nyt) = (
        (pw / 100).clamp(2, 7) as usize,
        (ph / 80).clamp(2, 7) as usize,
    );
    let (xa, xstep) = lin_axis(e0, e1, nxt);
    let (ya, ystep) = lin_axis(e2, e3, nyt);
    // The y label area as wide as its widest tick label needs, so that the
    // axis name sits next to the labels.
    let tick_style = TextStyle::from((FONT, 14).into_font());
    let widest = ticks(e2, e3, nyt)
        .0
        .iter()
        .filter_map(|&v| {
            root.estimate_text_size(&tick_label(v, ystep), &tick_style)
                .ok()
        })
        .map(|(w, _)| w)
        .max()
        .unwrap_or(0);
    let (yl, xl) = ((widest + 36).min(LEFT - 6), BOTTOM - 14);
    let area = root
        .clone()
        .shrink(((left - yl) as i32, top as i32), (yl + pw, ph + xl));
    let mut chart = ChartBuilder::on(&area)
        .x_label_area_size(xl)
        .y_label_area_size(yl)
        .build_cartesian_2d(xa, ya)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!("{} [{}]", label.axes[0], label.unit))
        .y_desc(format!("{} [{}]", label.axes[1], label.unit))
        .x_label_formatter(&|v| tick_label(*v, xstep))
        .y_label_formatter(&|v| tick_label(*v, ystep))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .set_all_tick_mark_size(6)
        .draw()
        .map_err(err)?;
    chart
        .plotting_area()
        .strip_coord_spec()
        .draw(&Rectangle::new(
            [(0, 0), (pw as i32 - 1, ph as i32 - 1)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    Ok(())
}

/// A colour bar tick: where it sits (0 at the bottom, 1 at the top), its
/// label (empty for a minor tick).
type BarTick = (f64, String);

/// The colour bar's ticks for the range `[lo, hi]` (log10 values on a log
/// bar): labelled ticks at round values, minor ones between them on a log
/// bar.
fn bar_ticks(lo: f64, hi: f64, log: bool) -> Vec<BarTick> {
    let at = |v: f64| (v - lo) / (hi - lo);
    if log {
        let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
        let (bold, all) = log_ticks(a, b);
        let minor = all
            .into_iter()
            .filter(|v| !bold.contains(v))
            .map(|v| (at(v.log10()), String::new()));
        // Round values of a linear axis (under a decade) are labelled to
        // their step, powers and their multiples as numbers.
        let (lin, step) = ticks(a, b, 5);
        let label = |v: f64| {
            if bold == lin {
                tick_label(v, step)
            } else {
                number(v)
            }
        };
        bold.iter()
            .map(|&v| (at(v.log10()), label(v)))
            .chain(minor)
            .collect()
    } else {
        let (t, step) = ticks(lo, hi, 6);
        t.into_iter()
            .map(|v| (at(v), tick_label(v, step)))
            .collect()
    }
}

/// The colour bar `bar` (corner, size): its frame, tick marks and labels
/// on its right. Returns the width of the widest label.
fn bar_axis(
    root: &DrawingArea<BitMapBackend, Shift>,
    bar: [(u32, u32); 2],
    ticks: &[BarTick],
) -> Result<u32, String> {
    let err = |e| drawing_error("colour bar", e);
    let [(x0, y0), (bw, bh)] = bar;
    let (x0, y0, bw, bh) = (x0 as i32, y0 as i32, bw as i32, bh as i32);
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + bw - 1, y0 + bh - 1)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let mut widest = 0;
    for (t, text) in ticks {
        let y = y0 + bh - 1 - (t * (bh - 1) as f64).round() as i32;
        let len = if text.is_empty() { 3 } else { 6 };
        let mark = PathElement::new(vec![(x0 + bw, y), (x0 + bw + len, y)], BLACK);
        root.draw(&mark).map_err(err)?;
        if !text.is_empty() {
            root.draw_text(text, &style, (x0 + bw + 9, y))
                .map_err(err)?;
            let (w, _) = root.estimate_text_size(text, &style).map_err(err)?;
            widest = widest.max(w);
        }
    }
    Ok(widest)
}

/// The colour bar's label, reading upwards right of its tick labels
/// (`widest`: their width), shrunk to about the bar's height, on two lines
/// (quantity, unit) if it must.
fn bar_label(
    root: &DrawingArea<BitMapBackend, Shift>,
    bar: [(u32, u32); 2],
    widest: u32,
    text: &str,
) -> Result<(), String> {
    let err = |e| drawing_error("colour bar label", e);
    let [(x0, y0), (bw, bh)] = bar;
    let x = x0 + bw + 9 + widest.min(BAR_LABELS) + 10;
    let y = (y0 + bh / 2) as i32;
    let room = bh + 40;
    let one = fitting_size(root, text, room, 16, 12);
    let fits = root
        .estimate_text_size(text, &TextStyle::from((FONT, one).into_font()))
        .is_ok_and(|(tw, _)| tw <= room);
    let lines: Vec<&str> = match text.rfind(" [") {
        Some(k) if !fits => vec![&text[..k], &text[k + 1..]],
        _ => vec![text],
    };
    let size = lines
        .iter()
        .map(|l| fitting_size(root, l, room, 16, 9))
        .min()
        .unwrap_or(12);
    for (k, line) in lines.iter().enumerate() {
        let style = TextStyle::from((FONT, size).into_font())
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let xk = (x + k as u32 * (size + 4)) as i32;
        root.draw_text(line, &style, (xk, y)).map_err(err)?;
    }
    Ok(())
}

/// The legend: a framed swatch and its name per entry, from `(x, y)` down.
fn draw_legend(
    root: &DrawingArea<BitMapBackend, Shift>,
    (x, y): (u32, u32),
    entries: &[(RGBColor, &str)],
) -> Result<(), String> {
    let err = |e| drawing_error("map legend", e);
    for (k, (c, name)) in entries.iter().enumerate() {
        let (x, y) = (x as i32, (y + 20 * k as u32) as i32);
        root.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], c.filled()))
            .map_err(err)?;
        root.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], BLACK))
            .map_err(err)?;
        let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw_text(name, &style, (x + 20, y + 7)).map_err(err)?;
    }
    Ok(())
}

/// Writes `map` (`nx × ny`, row `j` is y) as a PNG figure ([`draw_map`])
/// with its text chunks. Returns the image size.
pub fn write_map_png(
    path: &Path,
    map: &[f64],
    nx: usize,
    ny: usize,
    scale: Scale,
    label: &MapLabel,
) -> Result<(u32, u32), String> {
    let fig = draw_map(map, nx, ny, scale, label)?;
    let (lo, hi) = fig.range;
    let scale = if scale.log { "log10 " } else { "" };
    let mut comment = format!(
        "{}; colour bar {scale}[{lo:.6e}, {hi:.6e}] bottom to top",
        label.comment
    );
    if fig.nans > 0 {
        comment += &format!("; {} NaN pixels in grey (legend: NaN)", fig.nans);
    }
    if fig.zeros > 0 {
        comment += &format!(
            "; {} pixels at or below {ROUND_OFF:e} of the largest value (zero, negative or round-off) in white (legend: <= 0)",
            fig.zeros
        );
    }
    let [l, t, w, h] = fig.map_box;
    let mapbox = format!("{l} {t} {w} {h}");
    let img = &fig.img;
    write_rgb(
        path,
        img.w,
        img.h,
        &img.px,
        &[
            ("Title", label.title),
            ("Comment", &comment),
            ("amrkit:map", &mapbox),
        ],
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((img.w as u32, img.h as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: Scale = Scale {
        log: true,
        limits: [None, None],
    };

    fn label(extent: [f64; 4]) -> MapLabel<'static> {
        MapLabel {
            title: "density projected along z",
            caption: "sim/output_00001, t = 1 Myr",
            quantity: "projected density (surface density) [g cm⁻²]",
            axes: ["x", "y"],
            unit: "kpc",
            extent,
            comment: "",
        }
    }

    #[test]
    fn the_figure_size_depends_on_the_window_not_the_pixels() {
        let l = label([0.0, 2.0, 0.0, 1.0]);
        let sizes: Vec<(usize, usize)> = [8usize, 64, 300]
            .iter()
            .map(|&n| {
                let m: Vec<f64> = (0..n * n).map(|k| 1.0 + k as f64).collect();
                let f = draw_map(&m, n, n, LOG, &l).unwrap();
                (f.img.w, f.img.h)
            })
            .collect();
        assert!(sizes.iter().all(|&s| s == sizes[0]), "{sizes:?}");
    }

    #[test]
    fn the_map_box_keeps_the_aspect_ratio() {
        for aspect in [1.0, 3.0, 0.25, 1.3] {
            let (w, h) = map_box(aspect);
            assert!(
                (w as f64 / h as f64 / aspect - 1.0).abs() < 0.01,
                "{aspect}: {w}×{h}"
            );
        }
    }

    #[test]
    fn values_beyond_the_ends_take_the_end_colours() {
        // 1, 10, 100, 1000 with the bar set to [10, 100]: 1 is drawn as
        // 10, 1000 as 100, and the bar spans log10 [1, 2].
        let m = vec![1.0, 10.0, 100.0, 1000.0];
        let scale = Scale {
            log: true,
            limits: [Some(10.0), Some(100.0)],
        };
        let f = draw_map(&m, 2, 2, scale, &label([0.0, 1.0, 0.0, 1.0])).unwrap();
        assert_eq!(f.range, (1.0, 2.0));
        let [l, t, w, h] = f.map_box.map(|v| v as usize);
        let at = |i: usize, j: usize| {
            let (x, y) = (l + (2 * i + 1) * w / 4, t + h - 1 - (2 * j + 1) * h / 4);
            let o = (y * f.img.w + x) * 3;
            RGBColor(f.img.px[o], f.img.px[o + 1], f.img.px[o + 2])
        };
        assert_eq!((at(0, 0), at(1, 0)), (CMAP.colour(0.0), CMAP.colour(0.0)));
        assert_eq!((at(0, 1), at(1, 1)), (CMAP.colour(1.0), CMAP.colour(1.0)));
        // One end alone: the other from the values.
        let lin = Scale {
            log: false,
            limits: [None, Some(500.0)],
        };
        let f = draw_map(&m, 2, 2, lin, &label([0.0, 1.0, 0.0, 1.0])).unwrap();
        assert_eq!(f.range, (1.0, 500.0));
        for bad in [
            [Some(0.0), None],
            [Some(5.0), Some(5.0)],
            [Some(f64::NAN), None],
        ] {
            let s = Scale {
                log: true,
                limits: bad,
            };
            assert!(
                draw_map(&m, 2, 2, s, &label([0.0, 1.0, 0.0, 1.0])).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn nan_and_zero_pixels_have_their_own_colours() {
        let mut m = vec![1.0, 10.0, 100.0, 0.0];
        m[2] = f64::NAN;
        let f = draw_map(&m, 2, 2, LOG, &label([0.0, 1.0, 0.0, 1.0])).unwrap();
        let [l, t, w, h] = f.map_box.map(|v| v as usize);
        let at = |i: usize, j: usize| {
            let (x, y) = (l + (2 * i + 1) * w / 4, t + h - 1 - (2 * j + 1) * h / 4);
            let o = (y * f.img.w + x) * 3;
            RGBColor(f.img.px[o], f.img.px[o + 1], f.img.px[o + 2])
        };
        assert_eq!(at(0, 1), NAN_COLOUR);
        assert_eq!(at(1, 1), ZERO_COLOUR);
        assert_eq!(at(0, 0), CMAP.colour(0.0));
        assert_eq!(at(1, 0), CMAP.colour(1.0));
        assert_eq!((f.nans, f.zeros), (1, 1));
    }
}
