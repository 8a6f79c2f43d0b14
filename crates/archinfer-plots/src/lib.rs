//! # archinfer-plots
//!
//! The PNG charts of archinfer's evaluations, drawn with [plotters](https://docs.rs/plotters)
//! and a system TrueType font (pure Rust, no system libraries): a grid of scatter panels
//! (predicted against actual accuracy per held-out task), labelled series (task embeddings,
//! any-time curves) and a line with ±std whiskers (Spearman against the number of tasks).
//! The numbers come from `archinfer-eval`; this crate only draws them, so the facade crate
//! does not depend on plotters.
//!
//! ```no_run
//! let series = vec![("proposal".to_string(), vec![(1.0, 0.4), (2.0, 0.3), (3.0, 0.25)])];
//! if archinfer_plots::init_font() {
//!     archinfer_plots::lines("anytime.png".as_ref(), "regret against K", &series, "K", "regret", true)?;
//! }
//! # Ok::<(), archinfer_plots::PlotError>(())
//! ```

use plotters::prelude::*;

/// What can go wrong drawing a chart.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// plotters failed: the file cannot be written, or a font is missing.
    #[error("{path}: {message}")]
    Draw {
        /// The PNG file.
        path: String,
        /// What plotters said.
        message: String,
    },
    /// A chart asked for with nothing to draw.
    #[error("{0}: nothing to draw")]
    Empty(String),
}

/// Result alias of this crate.
pub type Result<T, E = PlotError> = std::result::Result<T, E>;

/// Turns plotters' drawing errors into [`PlotError::Draw`] naming `path`.
fn draw<E: std::fmt::Display>(path: &std::path::Path) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError::Draw { path: path.display().to_string(), message: e.to_string() }
}

const FONT_PATHS: [&str; 3] = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf", "/Library/Fonts/Arial.ttf"];

/// Registers a sans-serif font from `$ARCHINFER_FONT` or a usual system path, once per process;
/// false if none is found.
pub fn init_font() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(register_font)
}

fn register_font() -> bool {
    let candidates = std::env::var("ARCHINFER_FONT").into_iter().chain(FONT_PATHS.iter().map(|s| s.to_string()));
    for path in candidates {
        if let Ok(bytes) = std::fs::read(&path) {
            // plotters keeps fonts for the life of the program.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                return true;
            }
        }
    }
    false
}

/// The padded range of `v`; `0 .. 1` without finite values (an empty chart).
fn range(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let lo = v.clone().filter(|x| x.is_finite()).fold(f64::INFINITY, f64::min);
    let hi = v.filter(|x| x.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

/// One panel of a grid: title and `(x, y)` points.
pub struct Panel {
    /// Caption.
    pub title: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
}

/// A grid of scatter panels sharing axis names, `cols` panels a row.
///
/// # Errors
/// [`PlotError::Empty`] without panels; [`PlotError::Draw`] when plotters fails.
pub fn scatter_grid(path: &std::path::Path, panels: &[Panel], x_desc: &str, y_desc: &str, cols: usize) -> Result<()> {
    if panels.is_empty() {
        return Err(PlotError::Empty(path.display().to_string()));
    }
    let cols = cols.clamp(1, panels.len());
    let rows = panels.len().div_ceil(cols);
    let root = BitMapBackend::new(path, (340 * cols as u32, 300 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(draw(path))?;
    for (area, p) in root.split_evenly((rows, cols)).iter().zip(panels) {
        let (x0, x1) = range(p.points.iter().map(|q| q.0));
        let (y0, y1) = range(p.points.iter().map(|q| q.1));
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, ("sans-serif", 15))
            .margin(6)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw(path))?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).x_labels(5).y_labels(5).draw().map_err(draw(path))?;
        chart.draw_series(p.points.iter().map(|&(x, y)| Circle::new((x, y), 2, BLUE.mix(0.5).filled()))).map_err(draw(path))?;
    }
    root.present().map_err(draw(path))?;
    Ok(())
}

/// A chart of one figure.
type Chart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// A chart over `x` × `y` filling `root`, with its caption (text, size) and axis names drawn.
fn chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    path: &std::path::Path,
    caption: (&str, u32),
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    (x_desc, y_desc): (&str, &str),
) -> Result<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(root)
        .caption(caption.0, ("sans-serif", caption.1))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(x, y)
        .map_err(draw(path))?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(draw(path))?;
    Ok(chart)
}

/// A line with points and ±std whiskers: `(x, mean, std)`.
///
/// # Errors
/// [`PlotError::Draw`] when plotters fails (a file that cannot be written, no font).
pub fn line_with_std(path: &std::path::Path, title: &str, pts: &[(f64, f64, f64)], x_desc: &str, y_desc: &str) -> Result<()> {
    let root = BitMapBackend::new(path, (800, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(draw(path))?;
    let (x0, x1) = range(pts.iter().map(|p| p.0));
    let (y0, y1) = range(pts.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]).collect::<Vec<_>>().into_iter());
    let mut chart = chart(&root, path, (title, 18), x0..x1, y0..y1, (x_desc, y_desc))?;
    chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), &BLUE)).map_err(draw(path))?;
    chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, BLUE.filled()))).map_err(draw(path))?;
    chart.draw_series(pts.iter().map(|p| PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], BLUE))).map_err(draw(path))?;
    root.present().map_err(draw(path))?;
    Ok(())
}

/// Several labelled series on one chart: lines with markers (any-time curves) when `connect`,
/// else point clouds with room on the right for the legend.
///
/// # Errors
/// [`PlotError::Draw`] when plotters fails (a file that cannot be written, no font).
pub fn lines(path: &std::path::Path, title: &str, series: &[(String, Vec<(f64, f64)>)], x_desc: &str, y_desc: &str, connect: bool) -> Result<()> {
    let root = BitMapBackend::new(path, if connect { (900, 600) } else { (1000, 720) }).into_drawing_area();
    root.fill(&WHITE).map_err(draw(path))?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)).collect::<Vec<_>>().into_iter());
    let (y0, y1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)).collect::<Vec<_>>().into_iter());
    let x1 = if connect { x1 } else { x1 + (x1 - x0) * 0.45 };
    let mut chart = chart(&root, path, (title, 20), x0..x1, y0..y1, (x_desc, y_desc))?;
    let radius = if connect { 3 } else { 4 };
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let drawn = chart.draw_series(pts.iter().map(move |&(x, y)| Circle::new((x, y), radius, color.filled()))).map_err(draw(path))?.label(name.as_str());
        if connect {
            drawn.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            chart.draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2))).map_err(draw(path))?;
        } else {
            drawn.legend(move |(x, y)| Circle::new((x, y), 4, color.filled()));
        }
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).label_font(("sans-serif", 13)).draw().map_err(draw(path))?;
    root.present().map_err(draw(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ranges_pad_five_percent_and_at_least_a_thousandth() {
        let (lo, hi) = range([0.0, 10.0].into_iter());
        approx::assert_abs_diff_eq!(lo, -0.5, epsilon = 1e-12);
        approx::assert_abs_diff_eq!(hi, 10.5, epsilon = 1e-12);
        let (lo, hi) = range([2.0].into_iter());
        approx::assert_abs_diff_eq!(lo, 1.999, epsilon = 1e-12);
        approx::assert_abs_diff_eq!(hi, 2.001, epsilon = 1e-12);
        assert_eq!(range(std::iter::empty()), (0.0, 1.0), "no points: an empty chart, not infinite axes");
        assert_eq!(range([f64::NAN, 1.0].into_iter()).0, 1.0 - 1e-3);
    }

    #[test]
    fn every_chart_is_a_png() {
        if !init_font() {
            eprintln!("skipped: no TTF font (set ARCHINFER_FONT)");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let pts = vec![(0.0, 1.0), (1.0, 0.5), (2.0, 0.8)];
        let series = vec![("a".to_string(), pts.clone()), ("b".to_string(), vec![(0.5, 0.2)])];
        let files = [tmp.path().join("grid.png"), tmp.path().join("lines.png"), tmp.path().join("clouds.png"), tmp.path().join("std.png")];
        scatter_grid(&files[0], &[Panel { title: "t".into(), points: pts.clone() }, Panel { title: "u".into(), points: pts }], "x", "y", 2).unwrap();
        lines(&files[1], "lines", &series, "x", "y", true).unwrap();
        lines(&files[2], "clouds", &series, "x", "y", false).unwrap();
        line_with_std(&files[3], "std", &[(1.0, 0.5, 0.1), (2.0, 0.6, 0.05)], "x", "y").unwrap();
        for f in &files {
            assert_eq!(&std::fs::read(f).unwrap()[..4], b"\x89PNG", "{}", f.display());
        }
        assert!(matches!(scatter_grid(&files[0], &[], "x", "y", 0), Err(PlotError::Empty(_))));
        lines(&files[1], "no points", &[("a".to_string(), Vec::new())], "x", "y", true).unwrap();
        let e = lines(&tmp.path().join("no/such/dir/x.png"), "t", &series, "x", "y", true).unwrap_err();
        assert!(e.to_string().contains("no/such/dir"), "{e}");
    }
}
