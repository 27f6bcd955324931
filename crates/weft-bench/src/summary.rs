//! The table a benchmark prints after criterion: the mean time of two
//! functions of each criterion group measured in this run, and their ratio.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One line of the summary: a criterion group and the two functions compared.
pub struct Row {
    /// What the row shows.
    pub label: String,
    /// The criterion group.
    pub group: String,
    /// The function measured for the first column.
    pub weft: &'static str,
    /// The function it is compared with.
    pub peer: &'static str,
}

/// Prints the table of means measured in this run (estimates criterion
/// wrote before `started` are from an earlier run and are not shown).
pub fn print_summary(rows: &[Row], started: SystemTime, title: &str, columns: (&str, &str)) {
    let Some(dir) = criterion_dir(&rows[0].group) else {
        println!("\nno criterion estimates found (test mode or nothing measured)");
        return;
    };
    let mean = |group: &str, function: &str| {
        read_mean(
            &dir.join(group).join(function).join("new/estimates.json"),
            started,
        )
    };
    println!("\n{title}\n");
    println!(
        "{:<42} {:>12} {:>12} {:>8}",
        "workload", columns.0, columns.1, "ratio"
    );
    for row in rows {
        let weft = mean(&row.group, row.weft);
        let peer = mean(&row.group, row.peer);
        let ratio = match (weft, peer) {
            (Some(w), Some(p)) => format!("{:.2}", w / p),
            _ => "-".to_string(),
        };
        println!(
            "{:<42} {:>12} {:>12} {:>8}",
            row.label,
            format_ns(weft),
            format_ns(peer),
            ratio
        );
    }
}

/// Criterion's output directory: `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`,
/// or the `criterion` directory in the nearest ancestor of this executable
/// (the target directory) that holds results for `group`.
fn criterion_dir(group: &str) -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .map(|dir| dir.join("criterion"))
        .find(|dir| dir.join(group).is_dir())
}

/// The mean point estimate in nanoseconds from a criterion `estimates.json`
/// written since `since`.
fn read_mean(path: &Path, since: SystemTime) -> Option<f64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let json = std::fs::read_to_string(path).ok()?;
    let mean = &json[json.find("\"mean\"")?..];
    let value = &mean[mean.find("\"point_estimate\"")? + "\"point_estimate\"".len()..];
    let value = value.trim_start().strip_prefix(':')?.trim_start();
    let end = value.find([',', '}']).unwrap_or(value.len());
    value[..end].trim().parse().ok()
}

/// Formats nanoseconds with a readable unit, or "-" when not measured.
fn format_ns(ns: Option<f64>) -> String {
    match ns {
        None => "-".to_string(),
        Some(ns) if ns >= 1e9 => format!("{:.3} s", ns / 1e9),
        Some(ns) if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        Some(ns) if ns >= 1e3 => format!("{:.3} µs", ns / 1e3),
        Some(ns) => format!("{ns:.1} ns"),
    }
}
