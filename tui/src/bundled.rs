//! The scenarios shipped in `scenarios/`, embedded in the binary so that
//! `shmsim tui 01-posix-producer-consumer` works from anywhere.

use sim::scenario::{self, Diagnostic, Scenario};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// A bundled scenario whose name is `name`, `name.toml`, or starts with `name-`.
pub fn find(name: &str) -> Option<(&'static str, &'static str)> {
    let stem = name.trim_end_matches(".toml");
    BUNDLED
        .iter()
        .find(|(n, _)| n.trim_end_matches(".toml") == stem)
        .or_else(|| {
            BUNDLED
                .iter()
                .find(|(n, _)| n.starts_with(&format!("{stem}-")))
        })
        .copied()
}

/// A scenario that failed to load: its name, its source and what is wrong.
#[derive(Clone, Debug)]
pub struct LoadError {
    /// The file as the user named it (`scenarios/01-...toml` for a bundled one).
    pub name: String,
    /// Its text (empty if it could not be read).
    pub source: String,
    /// The diagnostics, each with its line and column.
    pub diags: Vec<Diagnostic>,
}

impl LoadError {
    /// The diagnostics as `check` prints them (rustc style, file:line:col).
    pub fn render(&self, color: bool) -> String {
        let n = self.diags.len();
        format!(
            "{}{}: {n} error{} found; nothing was run\n",
            scenario::render_diagnostics(&self.diags, &self.source, color),
            self.name,
            if n == 1 { "" } else { "s" }
        )
    }
}

/// Loads a file, or a bundled scenario by name when no such file exists.
pub fn load(arg: &str) -> Result<Scenario, LoadError> {
    let path = Path::new(arg);
    if path.exists() || find(arg).is_none() {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        scenario::load_file(path).map_err(|diags| LoadError {
            name: arg.to_string(),
            source,
            diags,
        })
    } else {
        let (n, text) = find(arg).expect("checked");
        let name = format!("scenarios/{n}");
        scenario::load_str(&name, text).map_err(|diags| LoadError {
            name,
            source: text.to_string(),
            diags,
        })
    }
}
