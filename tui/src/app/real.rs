//! The host kernel beside the model: the real arm's column.

use super::App;
use ratatui::text::Line;
use sim::runner::StepOutcome;
use sim::scenario::Scenario;

/// The real arm as the TUI shows it.
pub struct RealPane {
    why: String,
}

impl RealPane {
    /// Starts the same scenario on the host kernel.
    pub fn start(_s: &Scenario, _cap: u64) -> RealPane {
        RealPane {
            why: "not wired yet".into(),
        }
    }

    /// Play the host's run up to step `n`.
    pub fn want(&mut self, _n: usize) {}

    /// Takes in what arrived; true if anything did.
    pub fn poll(&mut self, _model: impl Fn(usize) -> Option<StepOutcome>) -> bool {
        false
    }

    /// The first step after `after` where the host disagrees.
    pub fn next_disagreement(&self, _after: usize) -> Option<usize> {
        None
    }

    /// One word for the title bar.
    pub fn status_word(&self) -> String {
        self.why.clone()
    }

    /// The host's verdicts on step `n`.
    pub fn detail_lines(&self, _app: &App, _n: usize, _w: usize, _out: &mut Vec<Line<'static>>) {}
}
