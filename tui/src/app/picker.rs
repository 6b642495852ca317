//! The scenario picker (`shmsim tui` without a file), and the screen a
//! scenario that does not load shows instead of the app.

use super::theme::{Class, Theme};
use super::ui::truncate;
use crate::bundled::{self, BUNDLED};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// One bundled scenario as the picker lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its name (`01-posix-producer-consumer`).
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// Its topic: the name without its number, in words.
    pub topic: String,
    /// Its number of steps.
    pub steps: usize,
}

/// Every bundled scenario.
pub fn entries() -> Vec<Entry> {
    BUNDLED
        .iter()
        .map(|(file, text)| {
            let name = file.trim_end_matches(".toml");
            let loaded = sim::scenario::load_str(file, text);
            let topic = name
                .split_once('-')
                .map_or(name, |(_, t)| t)
                .replace('-', " ");
            Entry {
                name,
                title: loaded.as_ref().map_or_else(
                    |_| "(does not load: shmsim check it)".into(),
                    |s| s.title.value.clone(),
                ),
                topic,
                steps: loaded.map_or(0, |s| s.steps.len()),
            }
        })
        .collect()
}

/// What the picker asks of the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Nothing yet.
    None,
    /// Open this scenario.
    Open(&'static str),
    /// Quit.
    Quit,
}

/// The picker's state.
pub struct Picker {
    /// The scenarios.
    pub entries: Vec<Entry>,
    /// The selected one.
    pub selected: usize,
    /// The list's inner area in the last draw, and its first row.
    area: std::cell::Cell<(Rect, usize)>,
}

impl Default for Picker {
    fn default() -> Self {
        Picker {
            entries: entries(),
            selected: 0,
            area: std::cell::Cell::new((Rect::default(), 0)),
        }
    }
}

impl Picker {
    /// Handles a key.
    pub fn key(&mut self, k: KeyEvent) -> Choice {
        let n = self.entries.len();
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Choice::Quit,
            KeyCode::Char('q') | KeyCode::Esc => Choice::Quit,
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
                Choice::None
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = self.selected.saturating_sub(1);
                Choice::None
            }
            KeyCode::Home => {
                self.selected = 0;
                Choice::None
            }
            KeyCode::End => {
                self.selected = n.saturating_sub(1);
                Choice::None
            }
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => self
                .entries
                .get(self.selected)
                .map_or(Choice::None, |e| Choice::Open(e.name)),
            _ => Choice::None,
        }
    }

    /// Handles the mouse: a click selects, a second click opens.
    pub fn mouse(&mut self, m: MouseEvent) -> Choice {
        let (area, first) = self.area.get();
        if !matches!(m.kind, MouseEventKind::Down(MouseButton::Left))
            || !area.contains(Position::new(m.column, m.row))
        {
            return Choice::None;
        }
        let i = first + usize::from(m.row - area.y);
        if i >= self.entries.len() {
            return Choice::None;
        }
        if i == self.selected {
            return Choice::Open(self.entries[i].name);
        }
        self.selected = i;
        Choice::None
    }

    /// Draws the list.
    pub fn draw(&self, f: &mut Frame, th: &Theme) {
        let area = f.area();
        let b = Block::default().borders(Borders::ALL).title(Span::styled(
            " shmsim · choose a scenario (↑↓ Enter, q quits) ",
            th.style(Class::Title),
        ));
        let inner = b.inner(area);
        f.render_widget(b, area);
        let h = inner.height as usize;
        let first = self.selected.saturating_sub(h.saturating_sub(1));
        self.area.set((inner, first));
        let w = inner.width as usize;
        let lines: Vec<Line> = self
            .entries
            .iter()
            .enumerate()
            .skip(first)
            .take(h)
            .map(|(i, e)| {
                let mark = if i == self.selected { "▶" } else { " " };
                let head = format!("{mark} {:<3}", e.name.split('-').next().unwrap_or(""));
                let tail = format!("  {} · {} steps", e.topic, e.steps);
                let title_w = w.saturating_sub(head.chars().count() + tail.chars().count());
                let class = if i == self.selected {
                    Class::Current
                } else {
                    Class::Text
                };
                Line::from(vec![
                    Span::styled(head, th.style(class)),
                    Span::styled(truncate(&e.title, title_w), th.style(class)),
                    Span::styled(
                        tail,
                        th.style(if i == self.selected {
                            Class::Current
                        } else {
                            Class::Dim
                        }),
                    ),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// The screen of a scenario that does not load: its diagnostics, as
/// `shmsim check` prints them.
pub fn draw_broken(f: &mut Frame, th: &Theme, err: &bundled::LoadError, watching: bool) {
    let area = f.area();
    let title = if watching {
        format!(" {} does not load: fix it and save (q quits) ", err.name)
    } else {
        format!(" {} does not load (q quits) ", err.name)
    };
    let b = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, th.style(Class::Bad)));
    let inner = b.inner(area);
    f.render_widget(b, area);
    // Laid out as `shmsim check` prints them (the caret under the column
    // it names): long lines are cut where the pane ends, never re-flowed.
    let lines: Vec<Line> = err
        .render(false)
        .lines()
        .flat_map(|l| cut_lines(l, inner.width as usize))
        .map(|l| Line::styled(l, th.style(Class::Text)))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// `line` in pieces of `w` columns, its spaces kept.
fn cut_lines(line: &str, w: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(w.max(1)).map(|c| c.iter().collect()).collect()
}
