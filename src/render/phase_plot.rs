//! The phase-diagram figure: the 2-D histogram as coloured bins on its own
//! axes (log where the diagram's axes are log), tick labels in the
//! variables' units, a colour bar labelled with the quantity and its unit,
//! empty bins in a neutral grey that no colour map uses.

use super::chart::{
    axis_labels, draw_titles, drawing_error, finite_range, lin_axis, log_axis, register_font, Cmap,
    Rgb, TickLabels, FONT, LIN_TICKS,
};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A phase diagram to draw.
pub struct PhaseFigure {
    /// Title.
    pub title: String,
    /// The line under the title: the output and its time.
    pub caption: String,
    /// x-axis label with unit.
    pub x_label: String,
    /// y-axis label with unit.
    pub y_label: String,
    /// Colour-bar label with unit.
    pub z_label: String,
    /// x edges (raw values, `nx + 1`).
    pub x_edges: Vec<f64>,
    /// y edges (`ny + 1`).
    pub y_edges: Vec<f64>,
    /// Log x axis.
    pub x_log: bool,
    /// Log y axis.
    pub y_log: bool,
    /// `H[j·nx + i]`.
    pub values: Vec<f64>,
    /// Cells per bin (0: empty, drawn grey).
    pub counts: Vec<u64>,
    /// Lower end of the colour scale (default: the smallest value of a
    /// non-empty bin, positive ones for a log scale).
    pub vmin: Option<f64>,
    /// Upper end.
    pub vmax: Option<f64>,
    /// Colour map.
    pub cmap: Cmap,
}

/// Empty bins.
const EMPTY: RGBColor = RGBColor(214, 214, 214);
const W: u32 = 900;
const H: u32 = 780;
const TITLE_H: u32 = 66;
const BAR_W: u32 = 150;

/// The colour scale: `[lo, hi]`, log or not.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Scale {
    /// Where `v` sits on the scale, 0 to 1 (clamped by the colour map).
    fn at(&self, v: f64) -> f64 {
        if self.log {
            (v.max(f64::MIN_POSITIVE).log10() - self.lo.log10()) / (self.hi / self.lo).log10()
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// The colour scale of `fig`: log when every non-empty bin is positive.
fn scale_of(fig: &PhaseFigure) -> Result<Scale, String> {
    let filled = || {
        fig.values
            .iter()
            .zip(&fig.counts)
            .filter(|(_, &c)| c > 0)
            .map(|(&v, _)| v)
    };
    let log = filled().all(|v| !v.is_finite() || v > 0.0) && fig.vmin.is_none_or(|v| v > 0.0);
    let (lo, hi) = finite_range(filled(), log).unwrap_or((1.0, 10.0));
    let (lo, hi) = (fig.vmin.unwrap_or(lo), fig.vmax.unwrap_or(hi));
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(format!("--vmin {lo} must not exceed --vmax {hi}"));
    }
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else if log {
        (lo / 2.0, hi * 2.0)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    Ok(Scale { lo, hi, log })
}

/// Draws `fig` (900 × 780 pixels).
pub fn draw_phase(fig: &PhaseFigure) -> Result<Rgb, String> {
    register_font();
    let (nx, ny) = (fig.x_edges.len() - 1, fig.y_edges.len() - 1);
    if nx == 0 || ny == 0 || fig.values.len() != nx * ny || fig.counts.len() != nx * ny {
        return Err(format!(
            "a phase figure of {nx}×{ny} bins needs {} values and counts",
            nx * ny
        ));
    }
    let scale = scale_of(fig)?;
    let mut px = vec![255u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut px, (W, H)).into_drawing_area();
        let err = |e| drawing_error("phase diagram", e);
        root.fill(&WHITE).map_err(err)?;
        let (top, root) = root.split_vertically(TITLE_H);
        draw_titles(&top, W, &fig.title, &fig.caption)?;
        let (main, bar) = root.split_horizontally(W - BAR_W);
        let (x0, x1) = (fig.x_edges[0], fig.x_edges[nx]);
        let (y0, y1) = (fig.y_edges[0], fig.y_edges[ny]);
        let m = Image {
            fig,
            scale,
            labels: [
                axis_labels(x0, x1, fig.x_log),
                axis_labels(y0, y1, fig.y_log),
            ],
        };
        match (fig.x_log, fig.y_log) {
            (true, true) => m.draw(&main, log_axis(x0, x1), log_axis(y0, y1)),
            (true, false) => m.draw(&main, log_axis(x0, x1), lin_axis(y0, y1, LIN_TICKS).0),
            (false, true) => m.draw(&main, lin_axis(x0, x1, LIN_TICKS).0, log_axis(y0, y1)),
            (false, false) => m.draw(
                &main,
                lin_axis(x0, x1, LIN_TICKS).0,
                lin_axis(y0, y1, LIN_TICKS).0,
            ),
        }?;
        if scale.log {
            colour_bar(&bar, fig, scale, log_axis(scale.lo, scale.hi))
        } else {
            colour_bar(&bar, fig, scale, lin_axis(scale.lo, scale.hi, LIN_TICKS).0)
        }?;
        root.present().map_err(err)?;
    }
    Ok(Rgb {
        w: W as usize,
        h: H as usize,
        px,
    })
}

/// The histogram panel being drawn.
struct Image<'a> {
    fig: &'a PhaseFigure,
    scale: Scale,
    /// Tick labels of the x and y axes.
    labels: [TickLabels; 2],
}

impl Image<'_> {
    fn draw<X, Y>(&self, area: &DrawingArea<BitMapBackend, Shift>, x: X, y: Y) -> Result<(), String>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let err = |e| drawing_error("phase diagram", e);
        let fig = self.fig;
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(84)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        let nx = fig.x_edges.len() - 1;
        let bins = (0..fig.values.len()).map(|b| {
            let (i, j) = (b % nx, b / nx);
            let c = if fig.counts[b] == 0 || !fig.values[b].is_finite() {
                EMPTY
            } else {
                fig.cmap.colour(self.scale.at(fig.values[b]))
            };
            Rectangle::new(
                [
                    (fig.x_edges[i], fig.y_edges[j]),
                    (fig.x_edges[i + 1], fig.y_edges[j + 1]),
                ],
                c.filled(),
            )
        });
        chart.draw_series(bins).map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&fig.x_label)
            .y_desc(&fig.y_label)
            .x_label_formatter(&self.labels[0])
            .y_label_formatter(&self.labels[1])
            .x_labels(12)
            .y_labels(12)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .set_all_tick_mark_size(6)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// The colour bar: the map along `y` (the scale's range), labelled with
/// the quantity and its unit.
fn colour_bar<Y>(
    area: &DrawingArea<BitMapBackend, Shift>,
    fig: &PhaseFigure,
    scale: Scale,
    y: Y,
) -> Result<(), String>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let err = |e| drawing_error("colour bar", e);
    let mut chart = ChartBuilder::on(area)
        .margin_top(14)
        .margin_bottom(66)
        .margin_right(4)
        .y_label_area_size(0)
        .right_y_label_area_size(96)
        .build_cartesian_2d(0.0..1.0, y)
        .map_err(err)?;
    let steps = 256;
    let at = |s: f64| {
        if scale.log {
            scale.lo * (scale.hi / scale.lo).powf(s)
        } else {
            scale.lo + s * (scale.hi - scale.lo)
        }
    };
    chart
        .draw_series((0..steps).map(|k| {
            let (a, b) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
            Rectangle::new([(0.0, at(a)), (1.0, at(b))], fig.cmap.colour(a).filled())
        }))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(&fig.z_label)
        .y_label_formatter(&axis_labels(scale.lo, scale.hi, scale.log))
        .y_labels(10)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .set_all_tick_mark_size(6)
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4×2 diagram whose bin (i, j) holds 10^(i + 4j), bin (1, 0) empty.
    fn figure() -> PhaseFigure {
        let values: Vec<f64> = (0..8).map(|b| 10f64.powi(b % 4 + 4 * (b / 4))).collect();
        let mut counts = vec![1u64; 8];
        counts[1] = 0;
        PhaseFigure {
            title: "test".into(),
            caption: "sim/output_00001, t = 1 Myr".into(),
            x_label: "density [g/cm^3]".into(),
            y_label: "temperature [K]".into(),
            z_label: "mass [Msol]".into(),
            x_edges: vec![1.0, 10.0, 100.0, 1e3, 1e4],
            y_edges: vec![0.0, 1.0, 2.0],
            x_log: true,
            y_log: false,
            values,
            counts,
            vmin: None,
            vmax: None,
            cmap: Cmap::Gray,
        }
    }

    fn pixel(img: &Rgb, x: usize, y: usize) -> [u8; 3] {
        let o = (y * img.w + x) * 3;
        [img.px[o], img.px[o + 1], img.px[o + 2]]
    }

    /// The pixel at the centre of bin (i, j) of `figure()`: the panel's
    /// plot area spans x 14+84 .. 750-14, y 66 (title) + 14 .. 780-14-52.
    fn bin_pixel(img: &Rgb, i: usize, j: usize) -> [u8; 3] {
        let (x0, x1) = (98.0, 736.0);
        let (y0, y1) = (714.0, 80.0);
        let x = x0 + (i as f64 + 0.5) / 4.0 * (x1 - x0);
        let y = y0 + (j as f64 + 0.5) / 2.0 * (y1 - y0);
        pixel(img, x as usize, y as usize)
    }

    #[test]
    fn empty_bins_are_grey_and_values_follow_the_log_colour_scale() {
        let img = draw_phase(&figure()).unwrap();
        assert_eq!(bin_pixel(&img, 1, 0), [214, 214, 214], "empty bin");
        // Gray map, log scale 1 .. 1e7: bin (0, 0) black, (3, 1) white,
        // (0, 1) = 1e4 at 4/7 of the way.
        assert_eq!(bin_pixel(&img, 0, 0), [0, 0, 0]);
        assert_eq!(bin_pixel(&img, 3, 1), [255, 255, 255]);
        let mid = bin_pixel(&img, 0, 1)[0] as f64;
        assert!((mid - 255.0 * 4.0 / 7.0).abs() <= 2.0, "{mid}");
    }

    #[test]
    fn vmin_and_vmax_clamp_the_colours() {
        let mut f = figure();
        f.vmin = Some(1e4);
        f.vmax = Some(1e5);
        let img = draw_phase(&f).unwrap();
        assert_eq!(bin_pixel(&img, 2, 0), [0, 0, 0], "below vmin");
        assert_eq!(bin_pixel(&img, 1, 1), [255, 255, 255], "at vmax");
        f.vmin = Some(1e6);
        assert!(draw_phase(&f).unwrap_err().contains("--vmin"));
    }
}
