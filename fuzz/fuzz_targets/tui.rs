//! The classroom TUI's app state driven by arbitrary keys, clicks, resizes
//! and play ticks, drawn after each event as the event loop draws, on a
//! bundled scenario or a structured one (`shmsim_fuzz::Plan`). A real run
//! (the `r` key) is left out: the `real` target covers it.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shmsim_fuzz::{Mode, Plan};
use shmsim_tui::app::keys::{action, mouse_click, Action};
use shmsim_tui::app::views::ViewKind;
use shmsim_tui::app::{render, App, Flow, Options};

#[derive(Arbitrary, Debug)]
enum Event {
    Char(char),
    Ctrl(u8),
    Named(u8),
    Resize(u16, u16),
    Click(u16, u16),
    Tick,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// A bundled scenario (1..=20), or the plan below.
    bundled: u8,
    plan: Plan,
    quizzes: bool,
    start: u8,
    view: u8,
    events: Vec<Event>,
}

const NAMED: &[KeyCode] = &[
    KeyCode::Enter,
    KeyCode::Esc,
    KeyCode::Tab,
    KeyCode::BackTab,
    KeyCode::Left,
    KeyCode::Right,
    KeyCode::Up,
    KeyCode::Down,
    KeyCode::Home,
    KeyCode::End,
    KeyCode::PageUp,
    KeyCode::PageDown,
    KeyCode::Backspace,
    KeyCode::Delete,
    KeyCode::F(1),
];

fuzz_target!(|input: Input| {
    let owned;
    let s = match shmsim_tui::bundled::find(&format!("{:02}", input.bundled % 24)) {
        Some((name, text)) if input.bundled < 200 => sim::scenario::load_str(name, text),
        _ => {
            owned = input.plan.scenario(Mode::Model, 24);
            sim::scenario::load_str("tui.toml", &owned)
        }
    };
    let Ok(s) = s else { return };
    let views = [ViewKind::Cache, ViewKind::Mm];
    let opts = Options {
        step: input.start as usize,
        view: views[input.view as usize % views.len()],
        quizzes: input.quizzes,
        ..Options::default()
    };
    let mut app = App::new(&s, &opts);
    let (mut w, mut h) = (120u16, 40u16);
    render(&app, w, h);
    for ev in input.events.iter().take(64) {
        let key = match *ev {
            Event::Char(c) => Some(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            Event::Ctrl(c) => Some(KeyEvent::new(
                KeyCode::Char((b'a' + c % 26) as char),
                KeyModifiers::CONTROL,
            )),
            Event::Named(i) => Some(KeyEvent::new(
                NAMED[i as usize % NAMED.len()],
                KeyModifiers::NONE,
            )),
            Event::Resize(nw, nh) => {
                (w, h) = (nw % 320, nh % 120);
                None
            }
            Event::Click(x, y) => {
                if app.mouse(mouse_click(x % (w + 2), y % (h + 2))) == Flow::Quit {
                    return;
                }
                None
            }
            Event::Tick => {
                app.tick();
                None
            }
        };
        if let Some(k) = key {
            if action(k, app.mode()) == Some(Action::ToggleReal) {
                continue;
            }
            if app.key(k) == Flow::Quit {
                return;
            }
        }
        assert!(
            app.pos() <= s.steps.len(),
            "pos {} of {}",
            app.pos(),
            s.steps.len()
        );
        render(&app, w, h);
    }
});
