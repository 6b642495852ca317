//! The classroom TUI: play a scenario step by step, forward and back, with
//! pictures of the kernel's structures, beside the real kernel.
//!
//! Shaped like gitui and ratatui's own examples: the app is a plain state
//! ([`App`]) changed only by [`Action`]s; keys map to actions through one
//! table ([`keys`]) that also writes the help; drawing ([`ui`]) is a pure
//! function of the state, so tests drive the whole app without a terminal
//! and `shmsim frame` prints exactly what the TUI would draw.
//!
//! ```text
//!   key/mouse --keys::action--> Action --App::apply--> App --ui::draw--> Frame
//!                                           |
//!                              Timeline (model, checkpoints), views, quiz, real arm
//! ```

pub mod calltree;
pub mod keys;
pub mod launch;
pub mod picker;
pub mod real;
pub mod svg;
pub mod term;
pub mod theme;
pub mod timeline;
pub mod ui;
pub mod views;
pub mod why;

use keys::{Action, Mode};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;
use real::RealPane;
use sim::runner::StepOutcome;
use sim::scenario::Scenario;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;
use theme::{Theme, ThemeName};
use timeline::Timeline;
use views::{Picture, ViewKind};

/// How the app starts (the command line's options).
#[derive(Clone, Debug)]
pub struct Options {
    /// The step to open at (0 = before the first).
    pub step: usize,
    /// The view to show first.
    pub view: ViewKind,
    /// The theme.
    pub theme: ThemeName,
    /// Ask the scenario's quizzes (off for a demonstration).
    pub quizzes: bool,
    /// Run the steps on the host kernel too.
    pub real: bool,
    /// The memory cap of a real run, in bytes.
    pub memory_cap: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            step: 0,
            view: ViewKind::Cache,
            theme: ThemeName::Dark,
            quizzes: true,
            real: false,
            memory_cap: 256 << 20,
        }
    }
}

/// The answer a student gave to a step's quiz.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The choice (from 1).
    pub chosen: usize,
    /// Was it the right one?
    pub right: bool,
}

/// What the event loop should do after an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Leave the TUI.
    Quit,
}

/// Speeds of play, in milliseconds per step.
pub const SPEEDS_MS: [u64; 6] = [4000, 2000, 1000, 500, 250, 100];

/// The views of the model at one step, built once and kept.
#[derive(Default)]
struct ViewCache {
    /// The step the views below belong to.
    pos: usize,
    /// The views at `pos`, by kind.
    now: BTreeMap<ViewKind, views::AnyView>,
    /// The views at `pos - 1` (to mark what changed).
    before: BTreeMap<ViewKind, views::AnyView>,
    /// Drawn pictures: (kind, width) -> picture.
    pictures: BTreeMap<(ViewKind, u16), Picture>,
}

/// The whole state of the TUI.
pub struct App<'s> {
    /// The scenario, played on the model.
    pub tl: Timeline<'s>,
    /// The step the user is on (0 = before the first).
    pos: usize,
    /// The theme.
    pub theme: Theme,
    /// The view in front.
    pub view: ViewKind,
    /// The view shown beside it on a wide screen (the one chosen before).
    pub side_view: ViewKind,
    /// Each view's scroll offset, in lines.
    pub scroll: BTreeMap<ViewKind, usize>,
    /// The step details' scroll offset.
    pub detail_scroll: usize,
    /// The changed observable selected for "why", by its index in the step's changes.
    pub why: Option<usize>,
    /// Whether quizzes are asked.
    pub quizzes: bool,
    /// Answers given, by step.
    pub answers: BTreeMap<usize, Answer>,
    /// The help overlay is open.
    pub help: bool,
    /// The step number being typed after `g`.
    pub prompt: Option<String>,
    /// Playing: the index into [`SPEEDS_MS`]; `None` when paused.
    pub playing: Option<usize>,
    /// The speed play resumes at.
    pub speed: usize,
    /// A line for the status bar (what the last action said).
    pub message: Option<String>,
    /// The current file's problems, when `--watch` reloaded a broken file.
    pub diagnostics: Option<String>,
    /// The host kernel beside the model.
    pub real: Option<RealPane>,
    /// The memory cap for a real run.
    pub memory_cap: u64,
    cache: RefCell<ViewCache>,
    /// Where the last draw put things, for the mouse.
    pub areas: RefCell<ui::Areas>,
}

impl<'s> App<'s> {
    /// The app on `scenario`, at `opts.step`.
    pub fn new(scenario: &'s Scenario, opts: &Options) -> App<'s> {
        let mut app = App {
            tl: Timeline::new(scenario),
            pos: 0,
            theme: Theme::new(opts.theme),
            view: opts.view,
            side_view: if opts.view == ViewKind::Mm {
                ViewKind::Cache
            } else {
                ViewKind::Mm
            },
            scroll: BTreeMap::new(),
            detail_scroll: 0,
            why: None,
            quizzes: opts.quizzes,
            answers: BTreeMap::new(),
            help: false,
            prompt: None,
            playing: None,
            speed: 2,
            message: None,
            diagnostics: None,
            real: None,
            memory_cap: opts.memory_cap,
            cache: RefCell::default(),
            areas: RefCell::default(),
        };
        if opts.real {
            app.real = Some(RealPane::start(scenario, opts.memory_cap));
        }
        app.goto(opts.step);
        app.sync_views();
        app
    }

    /// The scenario.
    pub fn scenario(&self) -> &'s Scenario {
        self.tl.scenario()
    }

    /// The step the app is on (0 = before the first).
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The outcome of the current step, if it has one.
    pub fn outcome(&self) -> Option<&StepOutcome> {
        self.tl.outcome(self.pos())
    }

    /// Is the current step's quiz waiting for an answer?
    pub fn quiz_pending(&self) -> bool {
        self.quiz_hides(self.pos())
    }

    /// Does step `n`'s quiz hide its result (asked, not yet answered)?
    pub fn quiz_hides(&self, n: usize) -> bool {
        self.quizzes
            && !self.answers.contains_key(&n)
            && self
                .tl
                .scenario()
                .steps
                .get(n.wrapping_sub(1))
                .is_some_and(|s| s.quiz.is_some())
    }

    /// The quiz score: (right, asked).
    pub fn score(&self) -> (usize, usize) {
        let right = self.answers.values().filter(|a| a.right).count();
        (right, self.answers.len())
    }

    /// The number of quizzes in the scenario.
    pub fn quiz_count(&self) -> usize {
        self.scenario()
            .steps
            .iter()
            .filter(|s| s.quiz.is_some())
            .count()
    }

    /// Which keys apply now.
    pub fn mode(&self) -> Mode {
        if self.help {
            Mode::Help
        } else if self.quiz_pending() {
            Mode::Quiz
        } else {
            Mode::Normal
        }
    }

    /// How long to wait before the next step plays, when playing.
    pub fn play_interval(&self) -> Option<Duration> {
        self.playing.map(|i| Duration::from_millis(SPEEDS_MS[i]))
    }

    /// Goes to step `n`: the model, the views and the details follow.
    pub fn goto(&mut self, n: usize) {
        let n = n.min(self.tl.len());
        if n != self.pos() {
            self.detail_scroll = 0;
            self.why = None;
        }
        self.pos = n;
        self.tl.goto(n);
        if let Some(r) = &mut self.real {
            r.want(n);
        }
    }

    /// Plays the next step (when playing); stops at the end or at a quiz.
    pub fn tick(&mut self) {
        if self.playing.is_none() {
            return;
        }
        if self.pos() >= self.tl.len() || self.quiz_pending() {
            self.playing = None;
            return;
        }
        self.goto(self.pos() + 1);
        if self.quiz_pending() {
            self.playing = None;
        }
        self.sync_views();
    }

    /// Takes in what the real arm has sent; true if anything arrived.
    pub fn poll_real(&mut self) -> bool {
        let tl = &self.tl;
        match &mut self.real {
            Some(r) => r.poll(tl.scenario(), |n| tl.outcome(n)),
            None => false,
        }
    }

    /// Applies `action`.
    pub fn apply(&mut self, action: Action) -> Flow {
        if !matches!(action, Action::Help | Action::Quit | Action::Back) {
            self.message = None;
        }
        match action {
            Action::Quit => return Flow::Quit,
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.prompt.is_some() {
                    self.prompt = None;
                } else if self.why.is_some() {
                    self.why = None;
                } else {
                    return Flow::Quit;
                }
            }
            Action::Help => self.help = !self.help,
            Action::Next => self.step_forward(),
            Action::Prev => self.goto(self.pos().saturating_sub(1)),
            Action::First => self.goto(0),
            Action::Last => self.goto(self.tl.len()),
            Action::GotoPrompt => self.prompt = Some(String::new()),
            Action::PlayPause => {
                self.playing = match self.playing {
                    Some(_) => None,
                    None => Some(self.speed),
                }
            }
            Action::Faster => self.set_speed(self.speed + 1),
            Action::Slower => self.set_speed(self.speed.saturating_sub(1)),
            Action::NextView => self.show_view(cycle(self.view, 1)),
            Action::PrevView => self.show_view(cycle(self.view, ViewKind::ALL.len() - 1)),
            Action::View(v) => self.show_view(v),
            Action::ScrollDown => self.scroll_by(1),
            Action::ScrollUp => self.scroll_by(-1),
            Action::PageDown => self.scroll_by(self.page() as isize),
            Action::PageUp => self.scroll_by(-(self.page() as isize)),
            Action::NextMark => self.jump_mark(true),
            Action::PrevMark => self.jump_mark(false),
            Action::DetailDown => self.detail_scroll = self.detail_jump(true),
            Action::DetailUp => self.detail_scroll = self.detail_jump(false),
            Action::WhyNext => self.select_why(true),
            Action::WhyPrev => self.select_why(false),
            Action::ToggleReal => self.toggle_real(),
            Action::NextDisagreement => self.next_disagreement(),
            Action::ToggleQuiz => {
                self.quizzes = !self.quizzes;
                self.message = Some(format!(
                    "quizzes {}",
                    if self.quizzes { "on" } else { "off" }
                ));
            }
            Action::Answer(c) => self.answer(usize::from(c)),
        }
        self.sync_views();
        Flow::Continue
    }

    /// Handles a key: the prompt's first, then the key table's.
    pub fn key(&mut self, key: KeyEvent) -> Flow {
        if key.kind == KeyEventKind::Release {
            return Flow::Continue;
        }
        if self.prompt.is_some() && !self.help {
            match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() => self.prompt_key(Some(c), false),
                KeyCode::Backspace => self.prompt_key(None, false),
                KeyCode::Enter => self.prompt_key(None, true),
                KeyCode::Esc => self.prompt = None,
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Flow::Quit
                }
                _ => {}
            }
            return Flow::Continue;
        }
        match keys::action(key, self.mode()) {
            Some(a) => self.apply(a),
            None => Flow::Continue,
        }
    }

    /// Handles the mouse: a click on a step goes to it, a click on a tab
    /// shows its view, the wheel scrolls the view under it.
    pub fn mouse(&mut self, m: MouseEvent) -> Flow {
        let areas = self.areas.borrow().clone();
        let at = Position::new(m.column, m.row);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some((_, v)) = areas.tabs.iter().find(|(r, _)| r.contains(at)) {
                    return self.apply(Action::View(*v));
                }
                if areas.program.contains(at) {
                    let n = areas
                        .program_first
                        .wrapping_add(usize::from(m.row - areas.program.y) + 1);
                    if n <= self.tl.len() && !self.help {
                        self.goto(n);
                        self.sync_views();
                    }
                }
            }
            MouseEventKind::ScrollDown if areas.view.contains(at) => {
                return self.apply(Action::ScrollDown)
            }
            MouseEventKind::ScrollUp if areas.view.contains(at) => {
                return self.apply(Action::ScrollUp)
            }
            _ => {}
        }
        Flow::Continue
    }

    /// A key typed while the `g` prompt is open: digits, Backspace, Enter.
    pub fn prompt_key(&mut self, c: Option<char>, enter: bool) {
        let Some(p) = &mut self.prompt else {
            return;
        };
        if enter {
            let n = p.parse::<usize>().ok();
            self.prompt = None;
            match n {
                Some(n) if n <= self.tl.len() => {
                    self.goto(n);
                    self.sync_views();
                }
                _ => {
                    self.message = Some(format!("steps go from 0 to {}", self.tl.len()));
                }
            }
            return;
        }
        match c {
            Some(d) if d.is_ascii_digit() && p.len() < 9 => p.push(d),
            None => {
                p.pop();
            }
            _ => {}
        }
    }

    fn step_forward(&mut self) {
        if self.quiz_pending() {
            let n = self
                .outcome()
                .and_then(|o| o.quiz.as_ref())
                .map_or(0, |q| q.choices.len());
            self.message = Some(format!(
                "answer the quiz first (1-{n}), or press {} to turn quizzes off",
                keys::keys_of(Action::ToggleQuiz)
            ));
            return;
        }
        if self.pos() >= self.tl.len() {
            let (right, asked) = self.score();
            self.message = Some(if self.quiz_count() > 0 && self.quizzes {
                format!("the end: {right} of {asked} quizzes right")
            } else {
                "the end of the scenario".into()
            });
            return;
        }
        self.goto(self.pos() + 1);
    }

    fn set_speed(&mut self, s: usize) {
        self.speed = s.min(SPEEDS_MS.len() - 1);
        if self.playing.is_some() {
            self.playing = Some(self.speed);
        }
        self.message = Some(format!("one step every {} ms", SPEEDS_MS[self.speed]));
    }

    fn show_view(&mut self, v: ViewKind) {
        if v != self.view {
            self.side_view = self.view;
            self.view = v;
        }
    }

    fn answer(&mut self, chosen: usize) {
        let n = self.pos();
        let Some(q) = self
            .scenario()
            .steps
            .get(n.wrapping_sub(1))
            .and_then(|s| s.quiz.as_ref())
        else {
            return;
        };
        if chosen == 0 || chosen > q.choices.len() {
            self.message = Some(format!("choose 1 to {}", q.choices.len()));
            return;
        }
        let right = chosen == q.answer.value;
        self.answers.insert(n, Answer { chosen, right });
    }

    fn select_why(&mut self, forward: bool) {
        let shown = self.outcome().map(ui::visible_changes).unwrap_or_default();
        let n = shown.len();
        if n == 0 || self.quiz_pending() {
            self.message = Some("nothing changed in this step".into());
            self.why = None;
            return;
        }
        let at = self.why.and_then(|w| shown.iter().position(|&i| i == w));
        let k = match (at, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        self.why = Some(shown[k]);
    }

    fn toggle_real(&mut self) {
        if self.real.take().is_some() {
            self.message = Some("the host kernel's run ended and was cleaned up".into());
            return;
        }
        let mut r = RealPane::start(self.scenario(), self.memory_cap);
        r.want(self.pos());
        self.real = Some(r);
    }

    fn next_disagreement(&mut self) {
        let Some(r) = &self.real else {
            self.message = Some("press r to run beside the host kernel first".into());
            return;
        };
        match r.next_disagreement(self.pos()) {
            Some(n) => self.goto(n),
            None => {
                self.message = Some("no disagreement after this step (so far)".into());
            }
        }
    }

    fn scroll_by(&mut self, d: isize) {
        let max = self.picture_len(self.view).saturating_sub(1);
        let s = self.scroll.entry(self.view).or_insert(0);
        *s = s.saturating_add_signed(d).min(max);
    }

    /// Where `J` (down) or `K` (up) takes the step's details: to the next
    /// (previous) section's heading, or a page on where there is none, so
    /// that "changed:" is one key away on a short screen.
    fn detail_jump(&self, down: bool) -> usize {
        let a = self.areas.borrow();
        let (at, page) = (a.detail_skip, a.detail_height.saturating_sub(1).max(1));
        if down {
            let next = a.detail_sections.iter().copied().find(|&i| i > at);
            next.unwrap_or(at + page)
        } else {
            let prev = a.detail_sections.iter().rev().copied().find(|&i| i < at);
            prev.unwrap_or(at.saturating_sub(page))
        }
    }

    fn page(&self) -> usize {
        usize::from(self.areas.borrow().view_height.max(2)) - 1
    }

    fn jump_mark(&mut self, forward: bool) {
        let width = self.areas.borrow().view_width;
        let cur = self.scroll.get(&self.view).copied().unwrap_or(0);
        let target = {
            let pic = self.picture(self.view, width);
            let lines = pic.marks.iter().map(|m| m.line);
            if forward {
                lines.filter(|&l| l > cur).min()
            } else {
                lines.filter(|&l| l < cur).max()
            }
        };
        match target {
            Some(l) => {
                self.scroll.insert(self.view, l);
            }
            None => self.message = Some("no more changes or exceptional entries".into()),
        }
    }

    fn picture_len(&self, kind: ViewKind) -> usize {
        let width = self.areas.borrow().view_width;
        self.picture(kind, width).lines.len()
    }

    /// The step whose state the views show: the one before a pending quiz.
    pub fn shown_pos(&self) -> usize {
        if self.quiz_pending() {
            self.pos() - 1
        } else {
            self.pos()
        }
    }

    /// The picture of view `kind` at the shown step, `width` columns wide
    /// (drawn once per step, kind and width).
    pub fn picture(&self, kind: ViewKind, width: u16) -> std::cell::Ref<'_, Picture> {
        let mut c = self.cache.borrow_mut();
        if !c.pictures.contains_key(&(kind, width)) {
            let pic = match c.now.get(&kind) {
                Some(now) => views::picture(kind, now, c.before.get(&kind), &self.theme, width),
                None => Picture::default(),
            };
            c.pictures.insert((kind, width), pic);
        }
        drop(c);
        std::cell::Ref::map(self.cache.borrow(), |c| &c.pictures[&(kind, width)])
    }

    /// Builds the views on screen (the front one and the side one) at the
    /// shown step, and at the step before it to mark what changed. Moving
    /// one step forward builds only the new step's.
    pub fn sync_views(&mut self) {
        let pos = self.shown_pos();
        let kinds = [self.view, self.side_view];
        let c = self.cache.get_mut();
        let mut kept = false;
        if c.pos != pos {
            let now = std::mem::take(&mut c.now);
            let untouched = self.tl.outcome(pos).is_some_and(|o| o.kernel_untouched);
            c.before = if pos == c.pos + 1 {
                now
            } else {
                BTreeMap::new()
            };
            if pos == c.pos + 1 && untouched {
                // The step left the machine as it was: so are its views.
                c.now = c.before.clone();
                kept = true;
            }
            c.pictures.clear();
            c.pos = pos;
        }
        let want_before: Vec<ViewKind> = kinds
            .into_iter()
            .filter(|k| pos > 0 && !c.before.contains_key(k))
            .collect();
        let want_now: Vec<ViewKind> = kinds
            .into_iter()
            .filter(|k| !c.now.contains_key(k))
            .collect();
        for (at, want, before) in [
            (pos.wrapping_sub(1), want_before, true),
            (pos, want_now, false),
        ] {
            if want.is_empty() {
                continue;
            }
            self.tl.goto(at);
            let c = self.cache.get_mut();
            let touches = self.tl.outcome(pos).and_then(|o| o.touches.as_ref());
            for k in want {
                let kernel = self.tl.kernel();
                let v = match (before, c.before.get(&k), touches) {
                    // One step on from a view at the step before: patched.
                    (false, Some(b), Some(t)) => {
                        let v = views::after(k, b, kernel, t);
                        debug_assert!(
                            v == views::build(k, kernel),
                            "invariant: the {} view patched by step {pos}'s touches is the view built afresh",
                            k.name()
                        );
                        v
                    }
                    _ => views::build(k, kernel),
                };
                let map = if before { &mut c.before } else { &mut c.now };
                map.insert(k, v);
                c.pictures.retain(|(kind, _), _| *kind != k);
            }
        }
        if cfg!(debug_assertions) && kept {
            self.tl.goto(pos);
            for (k, v) in &self.cache.get_mut().now {
                assert!(
                    *v == views::build(*k, self.tl.kernel()),
                    "invariant: the {} view kept over a step that touched nothing is the view built afresh",
                    k.name()
                );
            }
        }
        self.tl.goto(self.pos);
    }
}

/// The view `by` places after `v` in tab order.
fn cycle(v: ViewKind, by: usize) -> ViewKind {
    let i = ViewKind::ALL.iter().position(|&x| x == v).unwrap_or(0);
    ViewKind::ALL[(i + by) % ViewKind::ALL.len()]
}

/// Draws `app` on a `width` x `height` screen without a terminal: exactly
/// what the TUI shows (`shmsim frame`, the book, the snapshot tests).
pub fn render(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut t = ratatui::Terminal::new(backend).expect("a TestBackend never fails");
    t.draw(|f| ui::draw(f, app))
        .expect("a TestBackend never fails");
    t.backend().buffer().clone()
}
