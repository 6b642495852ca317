//! What the TUI suites share.

use super::bundled;

/// The bundled scenario whose file name starts with `prefix` (`"12-"`), loaded.
pub fn scenario(prefix: &str) -> sim::scenario::Scenario {
    let (p, t) = bundled()
        .into_iter()
        .find(|(p, _)| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no bundled scenario {prefix}"));
    sim::scenario::load_str(&p.to_string_lossy(), &t).expect("a bundled scenario loads")
}
