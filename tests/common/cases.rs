//! What the one-case-per-scenario suites share (`errno_conformance`,
//! `maps_and_pages`): loading a case's text, and listing the expectations
//! that did not hold.

use sim::runner::StepOutcome;
use sim::scenario::{load_str, Scenario};

/// The case `name` loaded from `text` (kept for the whole test, as the
/// runs borrow it); a case that does not load fails with its diagnostics.
pub fn load(name: &str, text: &str) -> &'static Scenario {
    let s = load_str(&format!("{name}.toml"), text)
        .unwrap_or_else(|d| panic!("{name}: the case does not load: {d:?}\n{text}"));
    Box::leak(Box::new(s))
}

/// Every expectation that did not hold, one line each.
pub fn broken(out: &[StepOutcome]) -> Vec<String> {
    out.iter()
        .flat_map(|o| {
            o.checks.iter().filter(|c| !c.ok).map(move |c| {
                format!(
                    "step {} `{}`: {} expected {:?}, saw {:?}",
                    o.step, o.do_, c.observable, c.expected, c.seen
                )
            })
        })
        .collect()
}
