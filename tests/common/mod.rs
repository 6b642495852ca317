//! What several suites share: the bundled scenarios, and (Linux) what a
//! real run made and the check that none of it is left.

/// Used by the one-case-per-scenario suites only.
#[allow(dead_code)]
pub mod cases;
/// Used by the real-run suites only.
#[cfg(target_os = "linux")]
#[allow(dead_code)]
pub mod real;
/// Used by the TUI suites only.
#[allow(dead_code)]
pub mod tui;

use std::path::PathBuf;

/// Every `scenarios/*.toml` with its text, sorted by path.
pub fn bundled() -> Vec<(PathBuf, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut v: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a readable scenario");
            (p, text)
        })
        .collect();
    v.sort();
    v
}
