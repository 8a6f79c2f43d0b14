//! PNG plots of the evaluation (plotters, pure-Rust font rendering with a system TTF font).

use plotters::prelude::*;

use crate::BoxError;

const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// Registers a sans-serif font from `$ARCHINFER_FONT` or a usual system path; false if none.
pub fn init_font() -> bool {
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

fn range(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let lo = v.clone().fold(f64::INFINITY, f64::min);
    let hi = v.fold(f64::NEG_INFINITY, f64::max);
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

/// A grid of scatter panels sharing axis names.
pub fn scatter_grid(path: &std::path::Path, panels: &[Panel], x_desc: &str, y_desc: &str, cols: usize) -> Result<(), BoxError> {
    let rows = panels.len().div_ceil(cols.max(1));
    let root = BitMapBackend::new(path, (340 * cols as u32, 300 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for (area, p) in root.split_evenly((rows, cols)).iter().zip(panels) {
        let (x0, x1) = range(p.points.iter().map(|q| q.0));
        let (y0, y1) = range(p.points.iter().map(|q| q.1));
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, ("sans-serif", 15))
            .margin(6)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).x_labels(5).y_labels(5).draw()?;
        chart.draw_series(p.points.iter().map(|&(x, y)| Circle::new((x, y), 2, BLUE.mix(0.5).filled())))?;
    }
    root.present()?;
    Ok(())
}

/// Several labelled point clouds on one chart.
pub fn clusters(path: &std::path::Path, title: &str, series: &[(String, Vec<(f64, f64)>)], x_desc: &str, y_desc: &str) -> Result<(), BoxError> {
    let root = BitMapBackend::new(path, (1000, 720)).into_drawing_area();
    root.fill(&WHITE)?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)).collect::<Vec<_>>().into_iter());
    let (y0, y1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)).collect::<Vec<_>>().into_iter());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(x0..x1 + (x1 - x0) * 0.45, y0..y1)?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(pts.iter().map(move |&(x, y)| Circle::new((x, y), 4, color.filled())))?
            .label(name.as_str())
            .legend(move |(x, y)| Circle::new((x, y), 4, color.filled()));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).label_font(("sans-serif", 13)).draw()?;
    root.present()?;
    Ok(())
}

/// A line with points and ±std whiskers: `(x, mean, std)`.
pub fn line_with_std(path: &std::path::Path, title: &str, pts: &[(f64, f64, f64)], x_desc: &str, y_desc: &str) -> Result<(), BoxError> {
    let root = BitMapBackend::new(path, (800, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let (x0, x1) = range(pts.iter().map(|p| p.0));
    let (y0, y1) = range(pts.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]).collect::<Vec<_>>().into_iter());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
    chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), &BLUE))?;
    chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, BLUE.filled())))?;
    chart.draw_series(pts.iter().map(|p| PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], BLUE)))?;
    root.present()?;
    Ok(())
}

/// Several labelled lines with markers on one chart (any-time curves).
pub fn lines(path: &std::path::Path, title: &str, series: &[(String, Vec<(f64, f64)>)], x_desc: &str, y_desc: &str) -> Result<(), BoxError> {
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let (x0, x1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)).collect::<Vec<_>>().into_iter());
    let (y0, y1) = range(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)).collect::<Vec<_>>().into_iter());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(pts.iter().map(move |&(x, y)| Circle::new((x, y), 3, color.filled())))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).label_font(("sans-serif", 13)).draw()?;
    root.present()?;
    Ok(())
}
