//! The timeline: a scenario played once, walked forward and back at will.
//!
//! As Python Tutor records a whole run first and rr goes back by restoring
//! the nearest checkpoint and replaying forward, the timeline keeps every
//! step's [`StepOutcome`] once played, and a copy of the model every
//! [`CHECKPOINT_EVERY`] steps (farther apart when the copies would cost
//! more than [`CHECKPOINT_BUDGET`]). Going to any step restores the
//! checkpoint at or before it and replays the steps between, so going back
//! one step or ten thousand costs the same. The model is deterministic,
//! so a replayed step is the step first played, byte for byte.

use sim::kernel::Kernel;
use sim::runner::{Run, StepOutcome};
use sim::scenario::Scenario;

/// The fewest steps between two kept copies of the model.
pub const CHECKPOINT_EVERY: usize = 64;

/// What the kept copies may cost together, in bytes of model memory: a
/// long scenario on a big machine keeps fewer, farther apart.
pub const CHECKPOINT_BUDGET: usize = 512 << 20;

/// A scenario's steps, played on the model, with the model at one of them.
pub struct Timeline<'s> {
    scenario: &'s Scenario,
    /// The outcome of every step played so far (index 0 is step 1).
    outcomes: Vec<StepOutcome>,
    /// The run after `k * every` steps, for each k reached.
    checkpoints: Vec<Run<'s>>,
    /// The run at the step the user is on.
    cur: Run<'s>,
    /// Steps between two checkpoints.
    every: usize,
}

impl<'s> Timeline<'s> {
    /// The scenario's machine booted, before its first step.
    pub fn new(scenario: &'s Scenario) -> Timeline<'s> {
        let cur = Run::new(scenario);
        let copies = CHECKPOINT_BUDGET / cur.kernel().model_bytes().max(1);
        let every = scenario
            .steps
            .len()
            .div_ceil(copies.max(1))
            .max(CHECKPOINT_EVERY);
        Timeline {
            scenario,
            outcomes: Vec::new(),
            checkpoints: vec![cur.clone()],
            cur,
            every,
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &'s Scenario {
        self.scenario
    }

    /// The number of steps in the scenario.
    pub fn len(&self) -> usize {
        self.scenario.steps.len()
    }

    /// Does the scenario have no steps?
    pub fn is_empty(&self) -> bool {
        self.scenario.steps.is_empty()
    }

    /// The step the model is at: 0 before the first, `len()` after the last.
    pub fn pos(&self) -> usize {
        self.cur.done()
    }

    /// The model at the current step.
    pub fn kernel(&self) -> &Kernel {
        self.cur.kernel()
    }

    /// The outcome of step `n` (1-based), if it has been played.
    pub fn outcome(&self, n: usize) -> Option<&StepOutcome> {
        n.checked_sub(1).and_then(|i| self.outcomes.get(i))
    }

    /// How many steps have been played at least once.
    pub fn played(&self) -> usize {
        self.outcomes.len()
    }

    /// Moves the model to step `n` (clamped to the scenario), replaying from
    /// the nearest checkpoint when `n` is not just ahead.
    pub fn goto(&mut self, n: usize) {
        let n = n.min(self.len());
        let pos = self.pos();
        let k = (n / self.every).min(self.checkpoints.len() - 1);
        if n < pos || k * self.every > pos {
            self.cur = self.checkpoints[k].clone();
        }
        while self.pos() < n {
            self.advance();
        }
    }

    /// Plays one step on the current run, recording what is new.
    fn advance(&mut self) {
        let Some(o) = self.cur.step() else {
            return;
        };
        let done = self.cur.done();
        if done > self.outcomes.len() {
            self.outcomes.push(o);
        }
        if done.is_multiple_of(self.every) && done / self.every == self.checkpoints.len() {
            self.checkpoints.push(self.cur.clone());
        }
    }
}
