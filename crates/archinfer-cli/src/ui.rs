//! What every command renders with: the error type, `outln!`, progress bars, and the output
//! folder and files of an evaluation.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `println!` that ends the process quietly when standard output is closed (`archinfer … |
/// head`), instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}
pub(crate) use outln;

/// An evaluation's output folder: the one given, else `base` for the paper preset (where its
/// results have always been) and `base-PRESET` for any other, so presets never share a folder.
pub(crate) fn default_out(given: Option<PathBuf>, base: &str, preset: archinfer::dvn::DvnPreset) -> PathBuf {
    given.unwrap_or_else(|| match preset {
        archinfer::dvn::DvnPreset::Paper => PathBuf::from(base),
        other => PathBuf::from(format!("{base}-{other}")),
    })
}

/// Progress bar of trainings.
pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what}  {{per_sec}}  ETA {{eta_precise}}  {{msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Writes `table.md` and `summary.json` (`fields` after the command and the machine) to `dir`,
/// and prints the table.
pub(crate) fn write_results(dir: &std::path::Path, table: &str, fields: serde_json::Value) -> Result<(), BoxError> {
    std::fs::write(dir.join("table.md"), table)?;
    std::fs::write(dir.join("summary.json"), serde_json::to_string_pretty(&archinfer::eval::run_summary(fields))?)?;
    outln!("{table}");
    Ok(())
}
