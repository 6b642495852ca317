//! `shmsim tui`: the picker, the app, and `--watch` reloads, on a real
//! terminal that is given back as it was whatever happens.

use super::picker::{self, Choice, Picker};
use super::term::{self, Exit, Watch};
use super::theme::Theme;
use super::{App, Options};
use crate::bundled::{self, LoadError};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyModifiers};
use ratatui::Terminal;
use std::io;
use std::path::Path;
use std::time::Duration;

/// Runs the TUI on the terminal; returns the process's exit code.
pub fn launch(file: Option<String>, opts: Options, watch: bool) -> u8 {
    term::install_handlers();
    let result = term::setup().and_then(|()| {
        let mut t = Terminal::new(CrosstermBackend::new(io::stdout()))
            .map_err(|e| io::Error::other(e.to_string()))?;
        session(&mut t, file, opts, watch)
    });
    term::restore();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("shmsim tui: the terminal failed: {e}");
            1
        }
    }
}

/// What a screen of the session ends with.
enum End {
    Quit(u8),
    Again,
}

fn ended(exit: Exit) -> u8 {
    match exit {
        Exit::Signal(s) => 128u8.saturating_add(s as u8),
        _ => 0,
    }
}

fn session<B: Backend>(
    t: &mut Terminal<B>,
    mut file: Option<String>,
    mut opts: Options,
    watch: bool,
) -> io::Result<u8> {
    let th = Theme::new(opts.theme);
    let name = match file.take() {
        Some(f) => f,
        None => match pick(t, &th)? {
            Some(n) => n.to_string(),
            None => return Ok(0),
        },
    };
    let path = Path::new(&name);
    let mut watcher = (watch && path.exists()).then(|| Watch::new(path));
    let mut scenario = loop {
        match bundled::load(&name) {
            Ok(s) => break s,
            Err(e) => match broken(t, &th, &e, watcher.as_mut())? {
                End::Quit(code) => return Ok(code.max(2)),
                End::Again => continue,
            },
        }
    };
    loop {
        let (next, carried) = {
            let mut app = App::new(&scenario, &opts);
            let next = loop {
                match term::run(t, &mut app, watcher.as_mut())? {
                    Exit::Reload => match bundled::load(&name) {
                        Ok(s) => break s,
                        Err(e) => app.diagnostics = Some(e.render(false)),
                    },
                    exit => return Ok(ended(exit)),
                }
            };
            let carried = Options {
                step: app.pos(),
                view: app.view,
                quizzes: app.quizzes,
                real: app.real.is_some(),
                ..opts.clone()
            };
            (next, carried)
        };
        scenario = next;
        opts = carried;
    }
}

/// Waits for a key or a signal, `TICK` at most; true when one says quit.
fn quit_key() -> io::Result<Option<Event>> {
    if event::poll(Duration::from_millis(50))? {
        return event::read().map(Some);
    }
    Ok(None)
}

fn is_quit(e: &Event) -> bool {
    matches!(e, Event::Key(k) if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc)
        || k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL))
}

/// The picker, until a scenario is chosen (its name) or the user quits.
fn pick<B: Backend>(t: &mut Terminal<B>, th: &Theme) -> io::Result<Option<&'static str>> {
    let mut p = Picker::default();
    loop {
        t.draw(|f| p.draw(f, th))
            .map_err(|e| io::Error::other(e.to_string()))?;
        if term::signalled().is_some() {
            return Ok(None);
        }
        let choice = match quit_key()? {
            Some(Event::Key(k)) => p.key(k),
            Some(Event::Mouse(m)) => p.mouse(m),
            _ => Choice::None,
        };
        match choice {
            Choice::Open(n) => return Ok(Some(n)),
            Choice::Quit => return Ok(None),
            Choice::None => {}
        }
    }
}

/// A file that does not load: its diagnostics until it is fixed (with
/// `--watch`) or the user quits.
fn broken<B: Backend>(
    t: &mut Terminal<B>,
    th: &Theme,
    err: &LoadError,
    mut watcher: Option<&mut Watch>,
) -> io::Result<End> {
    loop {
        t.draw(|f| picker::draw_broken(f, th, err, watcher.is_some()))
            .map_err(|e| io::Error::other(e.to_string()))?;
        if let Some(sig) = term::signalled() {
            return Ok(End::Quit(ended(Exit::Signal(sig))));
        }
        if quit_key()?.is_some_and(|e| is_quit(&e)) {
            return Ok(End::Quit(2));
        }
        if watcher.as_mut().is_some_and(|w| w.changed()) {
            return Ok(End::Again);
        }
    }
}
