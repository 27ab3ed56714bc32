//! PNG maps: a colour map over the pixels with a colour bar on the right.
//! The value range, units and extent go into the PNG's text chunks
//! (`Title`, `Comment`) and are printed by the commands that write maps.

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

fn colour(t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    std::array::from_fn(|c| ((RAMP[i][c] * (1.0 - f) + RAMP[i + 1][c] * f) * 255.0).round() as u8)
}

/// What a map shows, for the PNG's text chunks.
pub struct MapLabel<'a> {
    /// e.g. `density (weight none), g/cm^2`.
    pub title: &'a str,
    /// Extent and other notes.
    pub comment: &'a str,
}

/// Writes `map` (`nx × ny`, row `j` is y) as a PNG with the y axis up,
/// `log10` scaling if asked, and a colour bar. Returns the image size.
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
        .map(|&v| {
            if log {
                if v > 0.0 {
                    v.log10()
                } else {
                    f64::NAN
                }
            } else {
                v
            }
        })
        .collect();
    let (lo, hi) = vals
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let bar = (nx / 16).max(8);
    let gap = (bar / 2).max(4);
    let (w, h) = (nx + gap + bar, ny);
    let mut img = vec![255u8; w * h * 3];
    for j in 0..ny {
        let row = ny - 1 - j; // y up
        for i in 0..nx {
            let v = vals[j * nx + i];
            let c = if v.is_finite() {
                colour((v - lo) / span)
            } else {
                [0, 0, 0]
            };
            img[(row * w + i) * 3..][..3].copy_from_slice(&c);
        }
    }
    for row in 0..h {
        let c = colour(1.0 - row as f64 / (h.max(2) - 1) as f64);
        for i in nx + gap..w {
            img[(row * w + i) * 3..][..3].copy_from_slice(&c);
        }
    }
    let scale = if log { "log10 " } else { "" };
    let comment = format!(
        "{}; colour bar {scale}[{lo:.6e}, {hi:.6e}] bottom to top",
        label.comment
    );
    write_rgb(
        path,
        w,
        h,
        &img,
        &[("Title", label.title), ("Comment", &comment)],
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
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
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
