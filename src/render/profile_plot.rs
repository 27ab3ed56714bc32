//! The profile figure: one panel per variable, the mean per bin as a line
//! with markers at the bin centres (geometric centres of log bins), the
//! weighted standard deviation as a shaded band, log–log axes where the
//! values allow (a variable with a non-positive mean gets a linear y
//! axis), axes labelled with quantity and unit. Empty bins leave a gap.

use super::chart::{
    axis_labels, draw_titles, drawing_error, finite_range, lin_axis, log_axis, padded,
    register_font, Rgb, TickLabels, FONT, LIN_TICKS,
};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One panel.
pub struct ProfilePanel {
    /// y-axis label, e.g. `density [g/cm^3]`.
    pub label: String,
    /// Mean per bin (NaN: empty).
    pub mean: Vec<f64>,
    /// Standard deviation per bin.
    pub std: Vec<f64>,
}

/// A whole figure.
pub struct ProfileFigure {
    /// Title over the panels.
    pub title: String,
    /// The line under the title: the output and its time.
    pub caption: String,
    /// x-axis label, e.g. `r [kpc]`.
    pub x_label: String,
    /// The bin edges in the x unit.
    pub edges: Vec<f64>,
    /// Whether the bins (and the x axis) are logarithmic.
    pub log_x: bool,
    /// What the band shows, e.g. `mass-weighted mean ± std`.
    pub legend: String,
    /// The panels, top to bottom.
    pub panels: Vec<ProfilePanel>,
}

const W: u32 = 900;
const PANEL_H: u32 = 380;
const TITLE_H: u32 = 66;
const LINE: RGBColor = RGBColor(31, 90, 170);

/// Draws `fig` (900 pixels wide, 380 per panel under a 66-pixel title).
pub fn draw_profile(fig: &ProfileFigure) -> Result<Rgb, String> {
    register_font();
    let n = fig.edges.len().saturating_sub(1);
    if n == 0 || fig.panels.is_empty() {
        return Err("a profile figure needs at least one bin and one variable".into());
    }
    let centres: Vec<f64> = (0..n)
        .map(|k| {
            let (a, b) = (fig.edges[k], fig.edges[k + 1]);
            if fig.log_x && a > 0.0 {
                (a * b).sqrt()
            } else {
                0.5 * (a + b)
            }
        })
        .collect();
    let h = TITLE_H + PANEL_H * fig.panels.len() as u32;
    let mut px = vec![255u8; (W * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut px, (W, h)).into_drawing_area();
        let err = |e| drawing_error("profile", e);
        root.fill(&WHITE).map_err(err)?;
        let (top, rest) = root.split_vertically(TITLE_H);
        draw_titles(&top, W, &fig.title, &fig.caption)?;
        let areas = rest.split_evenly((fig.panels.len(), 1));
        let (x0, x1) = (fig.edges[0], fig.edges[n]);
        let log_x = fig.log_x && x0 > 0.0;
        for (i, (panel, area)) in fig.panels.iter().zip(&areas).enumerate() {
            let log_y = panel.mean.iter().any(|m| m.is_finite())
                && panel.mean.iter().all(|m| !m.is_finite() || *m > 0.0);
            let band = |sign: f64| {
                panel
                    .mean
                    .iter()
                    .zip(&panel.std)
                    .map(move |(m, s)| m + sign * s)
            };
            let (lo, hi) = finite_range(
                panel
                    .mean
                    .iter()
                    .copied()
                    .chain(band(1.0))
                    .chain(band(-1.0)),
                log_y,
            )
            .unwrap_or((1.0, 10.0));
            // On a log axis a band reaching towards zero is cut a decade
            // below the smallest mean, so that it does not squash the means.
            let lo = match finite_range(panel.mean.iter().copied(), log_y) {
                Some((m, _)) if log_y => lo.max(m / 10.0),
                _ => lo,
            };
            let (y0, y1) = padded(lo, hi, log_y);
            let p = Panel {
                labels: [axis_labels(x0, x1, log_x), axis_labels(y0, y1, log_y)],
                centres: &centres,
                panel,
                x_label: &fig.x_label,
                legend: &fig.legend,
                floor: y0,
                legend_here: i == 0,
            };
            match (log_x, log_y) {
                (true, true) => p.draw(area, log_axis(x0, x1), log_axis(y0, y1)),
                (true, false) => p.draw(area, log_axis(x0, x1), lin_axis(y0, y1, LIN_TICKS).0),
                (false, true) => p.draw(area, lin_axis(x0, x1, LIN_TICKS).0, log_axis(y0, y1)),
                (false, false) => p.draw(
                    area,
                    lin_axis(x0, x1, LIN_TICKS).0,
                    lin_axis(y0, y1, LIN_TICKS).0,
                ),
            }?;
        }
        root.present().map_err(err)?;
    }
    Ok(Rgb {
        w: W as usize,
        h: h as usize,
        px,
    })
}

/// One panel being drawn.
struct Panel<'a> {
    /// Tick labels of the x and y axes.
    labels: [TickLabels; 2],
    centres: &'a [f64],
    panel: &'a ProfilePanel,
    x_label: &'a str,
    legend: &'a str,
    /// The bottom of the y axis (where a band below it is cut).
    floor: f64,
    /// Whether this panel shows the legend.
    legend_here: bool,
}

impl Panel<'_> {
    fn draw<X, Y>(&self, area: &DrawingArea<BitMapBackend, Shift>, x: X, y: Y) -> Result<(), String>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let err = |e| drawing_error("profile panel", e);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(48)
            .y_label_area_size(84)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .y_desc(&self.panel.label)
            .x_label_formatter(&self.labels[0])
            .y_label_formatter(&self.labels[1])
            .x_labels(12)
            .y_labels(12)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .set_all_tick_mark_size(6)
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(205, 205, 205))
            .draw()
            .map_err(err)?;
        let (mean, std) = (&self.panel.mean, &self.panel.std);
        // Runs of non-empty bins: each gets its band, line and markers.
        let n = mean.len();
        let mut k = 0;
        let mut first = true;
        while k < n {
            if !mean[k].is_finite() {
                k += 1;
                continue;
            }
            let start = k;
            while k < n && mean[k].is_finite() {
                k += 1;
            }
            let run = start..k;
            let upper: Vec<(f64, f64)> = run
                .clone()
                .map(|i| (self.centres[i], mean[i] + std[i]))
                .collect();
            let lower: Vec<(f64, f64)> = run
                .clone()
                .rev()
                .map(|i| (self.centres[i], (mean[i] - std[i]).max(self.floor)))
                .collect();
            let outline: Vec<(f64, f64)> = upper.into_iter().chain(lower).collect();
            chart
                .draw_series(std::iter::once(Polygon::new(outline, LINE.mix(0.18))))
                .map_err(err)?;
            let pts: Vec<(f64, f64)> = run.map(|i| (self.centres[i], mean[i])).collect();
            let line = chart
                .draw_series(LineSeries::new(pts.clone(), LINE.stroke_width(2)))
                .map_err(err)?;
            if first {
                line.label(self.legend).legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], LINE.stroke_width(2))
                });
                first = false;
            }
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, LINE.filled())))
                .map_err(err)?;
        }
        if !self.legend_here {
            return Ok(());
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(panels: usize) -> ProfileFigure {
        let edges: Vec<f64> = (0..=16).map(|k| 0.01 * 2f64.powi(k / 2)).collect();
        let mean: Vec<f64> = (0..16)
            .map(|k| {
                if k == 5 {
                    f64::NAN
                } else {
                    100.0 / (k as f64 + 1.0)
                }
            })
            .collect();
        ProfileFigure {
            title: "test profile".into(),
            caption: "sim/output_00001, t = 1 Myr".into(),
            x_label: "r [kpc]".into(),
            edges,
            log_x: true,
            legend: "mass-weighted mean ± std".into(),
            panels: (0..panels)
                .map(|_| ProfilePanel {
                    label: "density [g/cm^3]".into(),
                    mean: mean.clone(),
                    std: mean.iter().map(|m| 0.2 * m).collect(),
                })
                .collect(),
        }
    }

    /// Pixels of `img` in rows `r0..r1` that are not white.
    fn ink(img: &Rgb, r0: usize, r1: usize) -> usize {
        img.px[r0 * img.w * 3..r1 * img.w * 3]
            .chunks(3)
            .filter(|p| p.iter().any(|&c| c < 200))
            .count()
    }

    #[test]
    fn panels_stack_and_text_is_drawn_with_the_bundled_font() {
        let img = draw_profile(&figure(2)).unwrap();
        assert_eq!((img.w, img.h), (900, 66 + 2 * 380));
        // The title band has text, and each panel has its line and axes.
        assert!(ink(&img, 0, 66) > 200, "title text");
        assert!(ink(&img, 66, 446) > 2000 && ink(&img, 446, 826) > 2000);
        // The line colour appears (markers and line).
        let blue = img.px.chunks(3).filter(|p| p == &[31, 90, 170]).count();
        assert!(blue > 500, "{blue} line pixels");
    }

    #[test]
    fn an_empty_figure_is_refused() {
        let mut f = figure(1);
        f.panels.clear();
        assert!(draw_profile(&f).unwrap_err().contains("at least one"));
    }
}
