//! PNG maps as a reader of a paper expects them: the colour map with a
//! frame, axes with tick marks and labels in physical units, a title, and
//! a colour bar with its scale, range and unit. Text is drawn with the
//! public-domain 8×8 bitmap font of the `font8x8` crate (ASCII), scaled
//! ×2 on maps wider than 512 pixels. The title, extent and colour range
//! are also stored in the PNG's text chunks, with `amrkit:map` giving the
//! pixel box of the map itself (`left top width height`).

use amrkit_io::atomic::{write_atomic, write_with};
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

/// Colour of text, ticks and frames.
const INK: [u8; 3] = [0, 0, 0];

fn colour(t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    std::array::from_fn(|c| ((RAMP[i][c] * (1.0 - f) + RAMP[i + 1][c] * f) * 255.0).round() as u8)
}

/// An RGB image being drawn on, rows top to bottom.
pub struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    /// A white `w × h` image.
    pub fn new(w: usize, h: usize) -> Self {
        Canvas {
            w,
            h,
            px: vec![255; w * h * 3],
        }
    }

    /// Sets one pixel (ignored outside the image).
    pub fn put(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.w && y < self.h {
            self.px[(y * self.w + x) * 3..][..3].copy_from_slice(&c);
        }
    }

    /// Fills the rectangle `[x0, x1) × [y0, y1)`.
    pub fn fill(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for y in y0..y1.min(self.h) {
            for x in x0..x1.min(self.w) {
                self.put(x, y, c);
            }
        }
    }

    /// A one-pixel frame just outside the rectangle `[x0, x1) × [y0, y1)`.
    pub fn frame(&mut self, x0: usize, y0: usize, x1: usize, y1: usize) {
        let (l, t) = (x0.saturating_sub(1), y0.saturating_sub(1));
        self.fill(l, t, x1 + 1, y0, INK);
        self.fill(l, y1, x1 + 1, y1 + 1, INK);
        self.fill(l, t, x0, y1 + 1, INK);
        self.fill(x1, t, x1 + 1, y1 + 1, INK);
    }

    /// Draws `s` with 8×8 glyphs scaled by `scale`. Horizontal text has its
    /// top-left corner at `(x, y)`; with `up` the text reads bottom to top
    /// and `(x, y)` is its bottom-left corner.
    pub fn text(&mut self, x: usize, y: usize, s: &str, scale: usize, up: bool) {
        for (n, ch) in s.chars().enumerate() {
            let g = font8x8::legacy::BASIC_LEGACY[if ch.is_ascii() {
                ch as usize
            } else {
                b'?' as usize
            }];
            for (r, bits) in g.iter().enumerate() {
                for c in 0..8 {
                    if bits >> c & 1 == 0 {
                        continue;
                    }
                    let along = (n * 8 + c) * scale; // along the text
                    let across = r * scale; // down the glyph
                    for dy in 0..scale {
                        for dx in 0..scale {
                            if up {
                                if let Some(yy) = y.checked_sub(along + dx) {
                                    self.put(x + across + dy, yy, INK);
                                }
                            } else {
                                self.put(x + along + dx, y + across + dy, INK);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Bytes, rows top to bottom.
    pub fn into_rgb(self) -> (usize, usize, Vec<u8>) {
        (self.w, self.h, self.px)
    }
}

/// Width of `s` drawn at `scale`.
fn text_len(s: &str, scale: usize) -> usize {
    s.chars().count() * 8 * scale
}

/// Round tick values (1, 2 or 5 × 10^k apart) inside `[lo, hi]`, about
/// `target` of them, and their spacing.
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
    ((first..=last).map(|i| i as f64 * step).collect(), step)
}

/// A tick label: as many decimals as the spacing needs, or a short
/// exponent form for very large or small values.
pub fn tick_label(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let decimals = if step > 0.0 {
        (-step.log10().floor()).max(0.0) as usize
    } else {
        3
    };
    format!("{v:.decimals$}")
}

/// Labelled axes around a plot box: frame, tick marks, tick labels and
/// axis names (the y name reads bottom to top), shared by maps and plots.
pub struct Axes {
    /// Glyph scale.
    pub scale: usize,
    /// x range (left to right) and name.
    pub x: (f64, f64, String),
    /// y range (bottom to top) and name.
    pub y: (f64, f64, String),
}

impl Axes {
    fn ch(&self) -> usize {
        8 * self.scale
    }

    /// Gap between text and ticks, and tick length.
    fn pad(&self) -> usize {
        self.ch() / 2
    }

    fn y_labels(&self) -> (Vec<f64>, Vec<String>) {
        let (t, step) = ticks(self.y.0, self.y.1, 5);
        let l = t.iter().map(|&v| tick_label(v, step)).collect();
        (t, l)
    }

    /// Room needed left of the box: y name, tick labels, ticks.
    pub fn left_margin(&self) -> usize {
        let (_, l) = self.y_labels();
        let widest = l.iter().map(|t| text_len(t, self.scale)).max().unwrap_or(0);
        self.pad() + self.ch() + self.pad() + widest + self.pad() / 2 + self.pad()
    }

    /// Room needed below the box: ticks, tick labels, x name.
    pub fn bottom_margin(&self) -> usize {
        self.pad() + self.pad() / 2 + self.ch() + self.pad() + self.ch() + self.pad()
    }

    /// Horizontal pixel of `v` in a box of width `w` starting at `left`.
    pub fn xpix(&self, v: f64, left: usize, w: usize) -> usize {
        left + ((v - self.x.0) / (self.x.1 - self.x.0) * w as f64)
            .round()
            .clamp(0.0, w as f64 - 1.0) as usize
    }

    /// Vertical pixel of `v` in a box of height `h` starting at `top`.
    pub fn ypix(&self, v: f64, top: usize, h: usize) -> usize {
        top + h
            - 1
            - ((v - self.y.0) / (self.y.1 - self.y.0) * h as f64)
                .round()
                .clamp(0.0, h as f64 - 1.0) as usize
    }

    /// Draws the frame and axes around the box `[left, left + w) × [top,
    /// top + h)`; the margins must be at least [`Axes::left_margin`] and
    /// [`Axes::bottom_margin`].
    pub fn draw(&self, c: &mut Canvas, left: usize, top: usize, w: usize, h: usize) {
        let (s, ch, pad) = (self.scale, self.ch(), self.pad());
        c.frame(left, top, left + w, top + h);
        let (xt, xstep) = ticks(self.x.0, self.x.1, 5);
        for &v in &xt {
            let x = self.xpix(v, left, w);
            c.fill(x, top + h + 1, x + 1, top + h + 1 + pad, INK);
            let t = tick_label(v, xstep);
            let x0 = x.saturating_sub(text_len(&t, s) / 2);
            c.text(x0, top + h + 1 + pad + pad / 2, &t, s, false);
        }
        let (yt, ylabels) = self.y_labels();
        for (&v, t) in yt.iter().zip(&ylabels) {
            let y = self.ypix(v, top, h);
            c.fill(left - 1 - pad, y, left - 1, y + 1, INK);
            let x0 = left - 1 - pad - pad / 2 - text_len(t, s);
            c.text(x0, y.saturating_sub(ch / 2), t, s, false);
        }
        let xl = (left + w / 2).saturating_sub(text_len(&self.x.2, s) / 2);
        c.text(
            xl,
            top + h + self.bottom_margin() - pad - ch,
            &self.x.2,
            s,
            false,
        );
        let yb = top + h / 2 + text_len(&self.y.2, s) / 2;
        c.text(left - self.left_margin() + pad, yb, &self.y.2, s, true);
    }
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
    let vals: Vec<f64> = map
        .iter()
        .map(|&v| match (log, v > 0.0) {
            (false, _) => v,
            (true, true) => v.log10(),
            (true, false) => f64::NAN,
        })
        .collect();
    let (lo, hi) = vals
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
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
    let right = bar_x + bar_w + tick + pad / 2 + widest(&blabels) + pad + ch + pad;
    let bottom = top + ny + axes.bottom_margin();
    let mut c = Canvas::new(right, bottom);

    // The map, y up, and the colour bar, low values at the bottom.
    for j in 0..ny {
        let row = top + ny - 1 - j;
        for i in 0..nx {
            let v = vals[j * nx + i];
            let col = if v.is_finite() {
                colour((v - lo) / span)
            } else {
                INK
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

    // Title, cut to the image width.
    let fit = (right - 2 * pad) / ch;
    let title: String = label.title.chars().take(fit).collect();
    let tx = (right / 2).saturating_sub(text_len(&title, s) / 2);
    c.text(tx, pad, &title, s, false);

    let scale = if log { "log10 " } else { "" };
    let comment = format!(
        "{}; colour bar {scale}[{lo:.6e}, {hi:.6e}] bottom to top",
        label.comment
    );
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

/// Writes an 8-bit RGB image (`w × h`, rows top to bottom) with text
/// chunks, through a temporary file.
pub fn write_rgb(
    path: &Path,
    w: usize,
    h: usize,
    img: &[u8],
    text: &[(&str, &str)],
) -> amrkit_io::Result<()> {
    write_with(path, |out| {
        let mut enc = png::Encoder::new(out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        for (k, v) in text {
            enc.add_text_chunk(k.to_string(), v.to_string())
                .map_err(std::io::Error::other)?;
        }
        let mut wr = enc.write_header().map_err(std::io::Error::other)?;
        wr.write_image_data(img).map_err(std::io::Error::other)?;
        wr.finish().map_err(std::io::Error::other)
    })
}

/// Writes a 2D float64 `.npy` (C order, `rows × cols`) via a temporary name.
pub fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f64]) -> amrkit_io::Result<()> {
    write_npy_shape(path, &format!("({rows}, {cols})"), data)
}

/// Writes a 1D float64 array (a profile) as a `.npy` file of shape `(n,)`.
pub fn write_npy_1d(path: &Path, data: &[f64]) -> amrkit_io::Result<()> {
    write_npy_shape(path, &format!("({},)", data.len()), data)
}

fn write_npy_shape(path: &Path, shape: &str, data: &[f64]) -> amrkit_io::Result<()> {
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n', padded to 64.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.next_multiple_of(64) - total));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 8 * data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    write_atomic(path, &out)
}
