//! The timeline: a scenario played once, walked forward and back at will.
//!
//! As Python Tutor records a whole run first and rr goes back by restoring
//! the nearest checkpoint and replaying forward, the timeline keeps every
//! step's [`StepOutcome`] once played, and a copy of the model every
//! [`CHECKPOINT_EVERY`] steps (farther apart when the copies would cost
//! more than [`CHECKPOINT_BUDGET`]), and after every step that made the
//! kernel work hard ([`EXPENSIVE_STEP`] calls or more: a memset of 84 GiB)
//! while those copies fit [`EXPENSIVE_BUDGET`], so that no back-step
//! replays one: on the seed's 124 GiB machine, a step back from the end
//! restores the copy after the 84 GiB memset instead of replaying it.
//! The copies are whole: a copy that shared what did not change (its
//! frames' sections, nodes and page tables behind `Rc`, copied on write)
//! was tried and made every fault 20% dearer. Going to any step
//! restores the checkpoint at or before it and replays the steps between,
//! so going back one step or ten thousand costs the same. The model is
//! deterministic, so a replayed step is the step first played, byte for
//! byte.

use sim::kernel::Kernel;
use sim::runner::{Run, StepOutcome};
use sim::scenario::Scenario;

/// The fewest steps between two kept copies of the model.
pub const CHECKPOINT_EVERY: usize = 64;

/// What the kept copies may cost together, in bytes of model memory: a
/// long scenario on a big machine keeps fewer, farther apart.
pub const CHECKPOINT_BUDGET: usize = 512 << 20;

/// A step whose kernel calls (each call of a folded run counted) are at
/// least this many is followed by a checkpoint of its own.
pub const EXPENSIVE_STEP: u64 = 100_000;

/// What the copies after expensive steps may cost together, in bytes of
/// model memory (the seed's machine after its last memset: 0.8 GB).
pub const EXPENSIVE_BUDGET: usize = 2 << 30;

/// A scenario's steps, played on the model, with the model at one of them.
pub struct Timeline<'s> {
    scenario: &'s Scenario,
    /// The outcome of every step played so far (index 0 is step 1).
    outcomes: Vec<StepOutcome>,
    /// The run after `k * every` steps, for each k reached.
    checkpoints: Vec<Run<'s>>,
    /// The run after an expensive step, by the steps done, ascending.
    after_expensive: Vec<Run<'s>>,
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
            after_expensive: Vec::new(),
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
        let regular = &self.checkpoints[k];
        let nearest = self
            .after_expensive
            .iter()
            .rev()
            .find(|r| r.done() <= n)
            .filter(|r| r.done() > regular.done())
            .unwrap_or(regular);
        if n < pos || nearest.done() > pos {
            self.cur = nearest.clone();
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
        let o_calls: u64 = o.trace.iter().map(|e| u64::from(e.repeat) + 1).sum();
        if done > self.outcomes.len() {
            self.outcomes.push(o);
        }
        let spent: usize = self
            .after_expensive
            .iter()
            .map(|r| r.kernel().model_bytes())
            .sum();
        let expensive = o_calls >= EXPENSIVE_STEP
            && self.after_expensive.last().is_none_or(|r| r.done() < done)
            && spent + self.cur.kernel().model_bytes() <= EXPENSIVE_BUDGET;
        if expensive {
            self.after_expensive.push(self.cur.clone());
        }
        if done.is_multiple_of(self.every) && done / self.every == self.checkpoints.len() {
            self.checkpoints.push(self.cur.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two memsets of 512 MiB of fresh pages (131,072 faults each) between
    /// small steps, and one over pages mapped already (no fault at all).
    const BIG: &str = r#"title = "two big steps"
procs = ["w"]
[machine]
ram = "2 GiB"
swap = "0"
[[step]]
proc = "w"
do = "p = mmap(NULL, 536870912, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"
[[step]]
proc = "w"
do = "memset(p, 'a', 536870912)"
[[step]]
proc = "w"
do = "n = p[4096]"
[[step]]
proc = "w"
do = "q = mmap(NULL, 536870912, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"
[[step]]
proc = "w"
do = "memset(q, 'b', 536870912)"
[[step]]
proc = "w"
do = "memset(p, 'c', 536870912)"
"#;

    #[test]
    fn a_back_step_restores_the_checkpoint_after_the_expensive_step_before_it() {
        let sc = sim::scenario::load_str("big.toml", BIG).expect("loads");
        let state = |t: &Timeline| sim::transcript::state_text(&sim::transcript::dump(t.kernel()));
        let mut t = Timeline::new(&sc);
        t.goto(6);
        let after: Vec<usize> = t.after_expensive.iter().map(Run::done).collect();
        assert_eq!(after, [2, 5], "a checkpoint after each memset that faults");
        let at_6 = state(&t);
        t.goto(3);
        assert_eq!(t.pos(), 3);
        // Step 3 was replayed from the checkpoint after step 2: the model is
        // the one first played, and going forward again gives step 6 again.
        let mut fresh = Run::new(&sc);
        for _ in 0..3 {
            fresh.step();
        }
        let fresh = sim::transcript::state_text(&sim::transcript::dump(fresh.kernel()));
        assert_eq!(state(&t), fresh);
        t.goto(6);
        assert_eq!(state(&t), at_6);
        assert_eq!(t.after_expensive.len(), 2, "no checkpoint taken twice");
    }
}
