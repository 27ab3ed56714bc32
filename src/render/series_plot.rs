//! The plot `amrkit series --png` writes: gas and stellar mass against
//! time.

use super::canvas::{write_rgb, Axes, Canvas};
use std::path::Path;

/// A plot of gas (blue) and stellar (orange) mass against code time, each
/// scaled to its own maximum, with axes, tick labels and a legend.
pub fn plot_series(path: &Path, points: &[(f64, f64, f64)]) -> amrkit_io::Result<()> {
    let (t0, t1) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (t0, t1) = if t1 > t0 {
        (t0, t1)
    } else {
        (t0 - 0.5, t0 + 0.5)
    };
    let axes = Axes {
        scale: 1,
        x: (t0, t1, "time [code]".into()),
        y: (0.0, 1.0, "mass / max".into()),
    };
    let (left, top, pw, ph) = (axes.left_margin(), 40usize, 456usize, 280usize);
    let mut c = Canvas::new(left + pw + 24, top + ph + axes.bottom_margin());
    c.text(left, 12, "gas and stellar mass against time", 1, false);
    axes.draw(&mut c, left, top, pw, ph);
    let series = [("gas", [30u8, 80, 200]), ("stars", [230, 120, 20])];
    for (n, (name, colour)) in series.iter().enumerate() {
        let lx = left + pw - 120 + 64 * n;
        c.fill(lx, 12, lx + 8, 20, *colour);
        c.text(lx + 12, 12, name, 1, false);
        let value = |p: &(f64, f64, f64)| if n == 0 { p.1 } else { p.2 };
        let max = points.iter().map(value).fold(0.0, f64::max);
        for p in points {
            let f = if max > 0.0 { value(p) / max } else { 0.0 };
            let (x, y) = (axes.xpix(p.0, left, pw), axes.ypix(f, top, ph));
            c.fill(
                x.saturating_sub(2),
                y.saturating_sub(2),
                x + 3,
                y + 3,
                *colour,
            );
        }
    }
    let (w, h, img) = c.into_rgb();
    write_rgb(
        path,
        w,
        h,
        &img,
        &[(
            "Title",
            "gas (blue) and stellar (orange) mass against time, each scaled to its maximum",
        )],
    )
}
