//! The figure `amrkit series --png` writes: gas and stellar mass against
//! time, in absolute units (M☉ and Myr when the run has physical units,
//! code units otherwise), drawn with plotters like the profile and phase
//! figures.
//!
//! Both masses share one axis so that they can be compared; it is
//! logarithmic when the gas mass is positive everywhere (stellar masses
//! grow over decades, and are 0 before the first star forms: such points
//! cannot sit on a log axis, are left out and the legend says how many).
//! Each series is a line through its snapshots with a marker at each one,
//! and the two markers differ in shape and fill (hollow circles for gas,
//! filled triangles for stars) so that neither hides the other where the
//! values meet.

use super::chart::{
    drawing_error, finite_range, log_axis, number, padded, register_font, Rgb, FONT,
};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// A whole figure.
pub struct SeriesFigure {
    /// Title over the plot.
    pub title: String,
    /// x-axis label, e.g. `time [Myr]`.
    pub time_label: String,
    /// Unit of the masses, e.g. `Msun` or `code`.
    pub mass_unit: String,
    /// Time of each snapshot, in the x unit.
    pub times: Vec<f64>,
    /// Gas mass of each snapshot.
    pub gas: Vec<f64>,
    /// Stellar mass of each snapshot.
    pub stars: Vec<f64>,
}

const W: u32 = 900;
const H: u32 = 560;
/// Height of the legend row under the title, and the row's centre
/// (from the top of the area under the title).
const LEGEND_BAND: u32 = 26;
const LEGEND_Y: i32 = 14;
const GAS: RGBColor = RGBColor(31, 90, 170);
const STARS: RGBColor = RGBColor(214, 96, 20);

/// Whether `fig`'s mass axis is logarithmic: every gas mass is positive.
pub fn log_masses(fig: &SeriesFigure) -> bool {
    !fig.gas.is_empty() && fig.gas.iter().all(|m| m.is_finite() && *m > 0.0)
}

/// The figure in words, for the PNG's `Description` text chunk: its axes
/// (with their scales) and how each series is drawn.
pub fn describe(fig: &SeriesFigure) -> String {
    let scale = if log_masses(fig) { "log" } else { "linear" };
    format!(
        "x: {} (linear); y: mass [{}] ({scale}); gas mass: blue line, hollow circles; \
         stellar mass: orange line, filled triangles (not drawn where 0 on a log axis)",
        fig.time_label, fig.mass_unit
    )
}

/// Draws `fig` (900 × 560 pixels).
pub fn draw_series(fig: &SeriesFigure) -> Result<Rgb, String> {
    register_font();
    let n = fig.times.len();
    if n == 0 || fig.gas.len() != n || fig.stars.len() != n {
        return Err("a series figure needs at least one snapshot with its masses".into());
    }
    let log_y = log_masses(fig);
    let (t0, t1) = finite_range(fig.times.iter().copied(), false).unwrap_or((0.0, 1.0));
    // One snapshot: the axis runs from 0 to twice its time.
    let (x0, x1) = if t1 == t0 && t0 > 0.0 {
        (0.0, 2.0 * t0)
    } else {
        padded(t0, t1, false)
    };
    let all = fig.gas.iter().chain(&fig.stars).copied();
    let (lo, hi) = finite_range(all, log_y).unwrap_or((1.0, 10.0));
    // A linear mass axis starts at 0 (masses are not negative).
    let (y0, y1) = padded(lo, hi, log_y);
    let y0 = if log_y { y0 } else { y0.min(0.0) };
    let mut px = vec![255u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut px, (W, H)).into_drawing_area();
        let err = |e| drawing_error("series", e);
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .margin(10, 0, 0, 0)
            .titled(&fig.title, (FONT, 22))
            .map_err(err)?;
        if log_y {
            plot(fig, &root, x0..x1, log_axis(y0, y1), true)?;
        } else {
            plot(fig, &root, x0..x1, y0..y1, false)?;
        }
        root.present().map_err(err)?;
    }
    Ok(Rgb {
        w: W as usize,
        h: H as usize,
        px,
    })
}

/// The axes, the two series and the legend.
fn plot<Y>(
    fig: &SeriesFigure,
    root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    x: std::ops::Range<f64>,
    y: Y,
    log_y: bool,
) -> Result<(), String>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let err = |e| drawing_error("series", e);
    let mut chart = ChartBuilder::on(root)
        .margin(14)
        .margin_top(LEGEND_BAND + 8)
        .margin_right(30)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&fig.time_label)
        .y_desc(format!("mass [{}]", fig.mass_unit))
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .x_labels(10)
        .y_labels(12)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;
    // Points that can be drawn: finite, and positive on a log axis.
    let points = |m: &[f64]| -> Vec<(f64, f64)> {
        fig.times
            .iter()
            .zip(m)
            .filter(|(t, v)| t.is_finite() && v.is_finite() && (!log_y || **v > 0.0))
            .map(|(t, v)| (*t, *v))
            .collect()
    };
    let (gas, stars) = (points(&fig.gas), points(&fig.stars));
    let left_out = fig.stars.len() - stars.len();
    let stars_label = match (stars.is_empty(), left_out) {
        (true, _) => "stellar mass (no stars)".to_string(),
        (false, 0) => "stellar mass".to_string(),
        (false, k) => format!(
            "stellar mass ({k} snapshot{} without stars not shown)",
            if k == 1 { "" } else { "s" }
        ),
    };
    // Stars first, so that the gas (hollow circles) stays visible on top.
    chart
        .draw_series(LineSeries::new(stars.clone(), STARS.stroke_width(2)))
        .map_err(err)?;
    chart
        .draw_series(
            stars
                .iter()
                .map(|p| TriangleMarker::new(*p, 6, STARS.filled())),
        )
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(gas.clone(), GAS.stroke_width(2)))
        .map_err(err)?;
    chart
        .draw_series(gas.iter().map(|p| Circle::new(*p, 5, GAS.stroke_width(2))))
        .map_err(err)?;
    // The legend: a row between the title and the plot, where it cannot
    // cover a point.
    let mut x = 110;
    for (label, colour, gas_marker) in [
        ("gas mass", GAS, true),
        (stars_label.as_str(), STARS, false),
    ] {
        let (lx, ly) = (x, LEGEND_Y);
        root.draw(&PathElement::new(
            vec![(lx, ly), (lx + 30, ly)],
            colour.stroke_width(2),
        ))
        .map_err(err)?;
        if gas_marker {
            root.draw(&Circle::new((lx + 15, ly), 5, colour.stroke_width(2)))
        } else {
            root.draw(&TriangleMarker::new((lx + 15, ly), 6, colour.filled()))
        }
        .map_err(err)?;
        root.draw(&Text::new(
            label.to_string(),
            (lx + 38, ly - 9),
            (FONT, 16).into_font().color(&BLACK),
        ))
        .map_err(err)?;
        x += 60 + 9 * label.chars().count() as i32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(stars: Vec<f64>) -> SeriesFigure {
        SeriesFigure {
            title: "test series".into(),
            time_label: "time [Myr]".into(),
            mass_unit: "Msun".into(),
            times: vec![10.0, 20.0, 30.0, 40.0],
            gas: vec![1e9, 9e8, 8e8, 7e8],
            stars,
        }
    }

    fn count(img: &Rgb, c: RGBColor) -> usize {
        img.px.chunks(3).filter(|p| p == &[c.0, c.1, c.2]).count()
    }

    #[test]
    fn both_series_are_drawn_in_their_colours() {
        let img = draw_series(&figure(vec![0.0, 1e6, 1e7, 1e8])).unwrap();
        assert_eq!((img.w, img.h), (900, 560));
        assert!(count(&img, GAS) > 300, "gas pixels");
        assert!(count(&img, STARS) > 300, "star pixels");
    }

    #[test]
    fn log_axis_only_when_every_gas_mass_is_positive() {
        assert!(log_masses(&figure(vec![0.0; 4])));
        let mut f = figure(vec![0.0; 4]);
        f.gas[2] = 0.0;
        assert!(!log_masses(&f));
        // A linear figure still draws.
        draw_series(&f).unwrap();
    }

    #[test]
    fn an_empty_figure_is_refused() {
        let mut f = figure(vec![]);
        f.times.clear();
        f.gas.clear();
        assert!(draw_series(&f).unwrap_err().contains("at least one"));
    }
}
