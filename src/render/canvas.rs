//! Drawing on an RGB image: the canvas (pixels, rectangles, frames, 8×8
//! bitmap text of the public-domain `font8x8` font), round axis ticks and
//! labelled axes shared by maps and plots, and the PNG file writer.

use amrkit_io::atomic::write_with;
use std::path::Path;

/// Colour of text, ticks and frames.
pub const INK: [u8; 3] = [0, 0, 0];

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
pub fn text_len(s: &str, scale: usize) -> usize {
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
