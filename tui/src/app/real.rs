//! The host kernel beside the model: the real arm's column.
//!
//! A [`RealPane`] owns a `sim::real::arm::RealArm` (the same steps played on
//! the host kernel, on a thread of its own, confined and cleaned up as
//! `shmsim real` is) and a `sim::compare::Comparer`. The app asks it to
//! follow the user forward (`want`); its readings arrive while the screen
//! stays live (`poll`) and are kept, so going back shows the readings
//! already taken. Each observable is then agree, differ (both values), not
//! observable (and why), allowed (and why) or sim only, as `compare` says.

use super::theme::Class;
use super::ui::{show, truncate, wrap};
use super::App;
use ratatui::text::{Line, Span};
use sim::compare::{StepComparison, Verdict};
use sim::runner::StepOutcome;
use sim::scenario::Scenario;
use std::collections::BTreeMap;

/// Where the host's run is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Starting its processes.
    Starting,
    /// Playing (or waiting for the user to go further).
    Running,
    /// Every step played, the run cleaned up.
    Finished,
    /// The host cannot play it, and why.
    Unavailable(String),
    /// The run broke, and how (what it created is removed).
    Failed(String),
}

/// The real arm as the TUI shows it.
pub struct RealPane {
    #[cfg(target_os = "linux")]
    arm: Option<sim::real::arm::RealArm>,
    #[cfg(target_os = "linux")]
    comparer: Option<sim::compare::Comparer>,
    #[cfg(target_os = "linux")]
    sim_swap: sim::backend::Reading,
    /// The host's readings not yet compared (the model's step not played).
    #[cfg(target_os = "linux")]
    pending: BTreeMap<usize, Box<StepOutcome>>,
    state: State,
    /// What the host said of the run (no swap, not root, refusals).
    notes: Vec<String>,
    /// The comparisons taken, by step.
    steps: BTreeMap<usize, StepComparison>,
    wanted: usize,
}

impl RealPane {
    /// Starts the same scenario on the host kernel.
    #[cfg(target_os = "linux")]
    pub fn start(s: &Scenario, memory_cap: u64) -> RealPane {
        use sim::backend::Backend;
        let opts = sim::real::RealOptions {
            memory_cap,
            ..sim::real::RealOptions::default()
        };
        let sim_swap = sim::kernel::Kernel::new(sim::runner::config_of(s)).meminfo("SwapTotal");
        RealPane {
            arm: Some(sim::real::arm::RealArm::start(s.clone(), opts)),
            comparer: None,
            sim_swap,
            pending: BTreeMap::new(),
            state: State::Starting,
            notes: Vec::new(),
            steps: BTreeMap::new(),
            wanted: 0,
        }
    }

    /// Without Linux there is no host kernel to run on.
    #[cfg(not(target_os = "linux"))]
    pub fn start(_s: &Scenario, _memory_cap: u64) -> RealPane {
        RealPane {
            state: State::Unavailable(sim::compare::REAL_NEEDS_LINUX.into()),
            notes: Vec::new(),
            steps: BTreeMap::new(),
            wanted: 0,
        }
    }

    /// Where the run is.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Play the host's run up to step `n` (it never goes back).
    pub fn want(&mut self, n: usize) {
        self.wanted = self.wanted.max(n);
        #[cfg(target_os = "linux")]
        if let Some(a) = &mut self.arm {
            a.want(n);
        }
    }

    /// Takes in what arrived, comparing each host step with the model's
    /// (`model(n)`); true if anything did.
    #[cfg(target_os = "linux")]
    pub fn poll<'a>(
        &mut self,
        s: &Scenario,
        model: impl Fn(usize) -> Option<&'a StepOutcome>,
    ) -> bool {
        use sim::real::arm::ArmEvent;
        let Some(arm) = &mut self.arm else {
            return false;
        };
        let events = arm.poll();
        let any = !events.is_empty();
        for e in events {
            match e {
                ArmEvent::Ready {
                    swap_total, notes, ..
                } => {
                    self.comparer = Some(sim::compare::Comparer::new(
                        s,
                        &self.sim_swap,
                        &swap_total,
                        sim::compare::DEFAULT_TOLERANCE_KB,
                    ));
                    self.notes.extend(notes);
                    self.state = State::Running;
                }
                ArmEvent::Step { outcome, notes } => {
                    self.notes.extend(notes);
                    self.pending.insert(outcome.step, outcome);
                }
                ArmEvent::Finished => self.state = State::Finished,
                ArmEvent::Unavailable(why) => self.state = State::Unavailable(why),
                ArmEvent::Failed(why) => self.state = State::Failed(why),
            }
        }
        self.compare_pending(s, model);
        any
    }

    /// Without Linux nothing ever arrives.
    #[cfg(not(target_os = "linux"))]
    pub fn poll<'a>(
        &mut self,
        _s: &Scenario,
        _model: impl Fn(usize) -> Option<&'a StepOutcome>,
    ) -> bool {
        false
    }

    /// Compares the host's steps, in order, as far as the model has played.
    #[cfg(target_os = "linux")]
    fn compare_pending<'a>(
        &mut self,
        s: &Scenario,
        model: impl Fn(usize) -> Option<&'a StepOutcome>,
    ) {
        let Some(c) = &mut self.comparer else {
            return;
        };
        while let Some((&n, _)) = self.pending.first_key_value() {
            let (Some(sim), Some(step)) = (model(n), s.steps.get(n - 1)) else {
                return;
            };
            let real = self.pending.remove(&n).expect("just seen");
            self.steps.insert(n, c.step(step, sim, &real));
        }
    }

    /// The comparison of step `n`, once the host has played it.
    pub fn step(&self, n: usize) -> Option<&StepComparison> {
        self.steps.get(&n)
    }

    /// The first step after `after` where the host and the model disagree.
    pub fn next_disagreement(&self, after: usize) -> Option<usize> {
        self.steps
            .range(after + 1..)
            .find(|(_, c)| c.observables.iter().any(|o| o.verdict == Verdict::Differ))
            .map(|(&n, _)| n)
    }

    /// A few words for the title bar.
    pub fn status_word(&self) -> String {
        match &self.state {
            State::Starting => "starting".into(),
            State::Running if self.steps.len() < self.wanted => {
                format!("running {}/{}", self.steps.len(), self.wanted)
            }
            State::Running => format!("{} steps", self.steps.len()),
            State::Finished => "done".into(),
            State::Unavailable(_) => "not available".into(),
            State::Failed(_) => "failed".into(),
        }
    }

    /// The host's verdicts on step `n`, for the step's details.
    pub fn detail_lines(&self, app: &App, n: usize, w: usize, out: &mut Vec<Line<'static>>) {
        let st = |c| app.theme.style(c);
        out.push(Line::default());
        out.push(Line::styled("host kernel:", st(Class::Title)));
        let say = |out: &mut Vec<Line<'static>>, text: &str, class| {
            for l in wrap(text, w.saturating_sub(2)) {
                out.push(Line::styled(format!("  {l}"), st(class)));
            }
        };
        match (&self.state, self.steps.get(&n)) {
            (State::Unavailable(why), _) => {
                return say(out, &format!("not available: {why}"), Class::Warn)
            }
            (State::Failed(why), None) => {
                return say(out, &format!("the run failed: {why}"), Class::Bad)
            }
            (_, None) => return say(out, &format!("running step {n} on the host…"), Class::Warn),
            (_, Some(c)) => self.verdict_lines(app, c, w, out),
        }
        if n == 1 || self.steps.keys().next() == Some(&n) {
            for note in &self.notes {
                say(out, &format!("note: {note}"), Class::Dim);
            }
        }
    }

    fn verdict_lines(&self, app: &App, c: &StepComparison, w: usize, out: &mut Vec<Line<'static>>) {
        let st = |c| app.theme.style(c);
        let count =
            |f: fn(&Verdict) -> bool| c.observables.iter().filter(|o| f(&o.verdict)).count();
        let agree = count(|v| *v == Verdict::Agree);
        let differ = count(|v| *v == Verdict::Differ);
        let na = count(|v| matches!(v, Verdict::NotObservable(_)));
        let allowed = count(|v| matches!(v, Verdict::Allowed(_)));
        let sim_only = count(|v| *v == Verdict::SimOnly);
        out.push(Line::from(vec![
            Span::styled(format!("  ✓ {agree} agree"), st(Class::Good)),
            Span::styled(
                format!("  ✗ {differ} differ"),
                st(if differ > 0 { Class::Bad } else { Class::Text }),
            ),
            Span::styled(
                format!("  ~ {allowed} allowed  ? {na} not observable  · {sim_only} sim only"),
                st(Class::Text),
            ),
        ]));
        let mut reasons: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for o in &c.observables {
            match &o.verdict {
                Verdict::Differ => {
                    let t = format!(
                        "✗ {}: model {}, host {}",
                        o.name,
                        show(&o.sim),
                        show(&o.real)
                    );
                    for (i, l) in wrap(&t, w.saturating_sub(2)).into_iter().enumerate() {
                        let lead = if i == 0 { "  " } else { "      " };
                        out.push(Line::styled(format!("{lead}{l}"), st(Class::Bad)));
                    }
                }
                Verdict::NotObservable(why) | Verdict::Allowed(why) => {
                    reasons.entry(why.clone()).or_default().push(&o.name);
                }
                _ => {}
            }
        }
        for (why, names) in reasons {
            let list = truncate(&names.join(", "), w.saturating_sub(8));
            for l in wrap(&format!("? {why}: {list}"), w.saturating_sub(2)) {
                out.push(Line::styled(format!("  {l}"), st(Class::Warn)));
            }
        }
    }

    /// The host's reading of observable `name` at step `n`, with its verdict.
    pub fn reading(&self, n: usize, name: &str) -> Option<(&str, &Verdict)> {
        self.steps
            .get(&n)?
            .observables
            .iter()
            .find(|o| o.name == name)
            .map(|o| (o.real.as_str(), &o.verdict))
    }
}
