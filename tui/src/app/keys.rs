//! Keys: one table maps each key to an [`Action`] and says what it does.
//!
//! The same table handles the keys and writes the help overlay (`?`) and
//! the status line's hints, as gitui's command lists and yazi's keymap do,
//! so the help can never drift from the keys.

use super::views::ViewKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Something the user asks of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Go to the next step.
    Next,
    /// Go to the previous step.
    Prev,
    /// Go before the first step.
    First,
    /// Go to the last step.
    Last,
    /// Start typing a step number to go to.
    GotoPrompt,
    /// Play the steps one after another, or stop.
    PlayPause,
    /// Play faster.
    Faster,
    /// Play slower.
    Slower,
    /// Show the next view.
    NextView,
    /// Show the previous view.
    PrevView,
    /// Show this view.
    View(ViewKind),
    /// Scroll the view down a line.
    ScrollDown,
    /// Scroll the view up a line.
    ScrollUp,
    /// Scroll the view down a page.
    PageDown,
    /// Scroll the view up a page.
    PageUp,
    /// Jump to the view's next changed or exceptional entry.
    NextMark,
    /// Jump to the view's previous changed or exceptional entry.
    PrevMark,
    /// Scroll the step's details down.
    DetailDown,
    /// Scroll the step's details up.
    DetailUp,
    /// Select the next changed observable (and show why it changed).
    WhyNext,
    /// Select the previous changed observable.
    WhyPrev,
    /// Run the same steps on the host kernel beside the model, or stop.
    ToggleReal,
    /// Go to the next step where the host and the model disagree.
    NextDisagreement,
    /// Ask quizzes, or not (a demonstration).
    ToggleQuiz,
    /// Answer the quiz with choice N (from 1).
    Answer(u8),
    /// Show or hide the help.
    Help,
    /// Close an overlay (help, prompt); quit when none is open.
    Back,
    /// Quit.
    Quit,
}

/// When a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Stepping through the scenario.
    Normal,
    /// A quiz waits for an answer.
    Quiz,
    /// The help overlay is open.
    Help,
}

/// One row of the key table.
pub struct Binding {
    /// The keys, as the help shows them.
    pub keys: &'static str,
    /// What they match.
    pub codes: &'static [KeyCode],
    /// The action.
    pub action: Action,
    /// What it does, for the help.
    pub help: &'static str,
    /// The group the help lists it under.
    pub group: &'static str,
}

const fn b(
    group: &'static str,
    keys: &'static str,
    codes: &'static [KeyCode],
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        codes,
        action,
        help,
        group,
    }
}

use KeyCode::{
    BackTab, Backspace, Char, Down, End, Enter, Esc, Home, Left, PageDown as PgDn, PageUp as PgUp,
    Right, Tab, Up,
};

/// Every binding, in the order the help lists them.
pub const BINDINGS: &[Binding] = &[
    b(
        "step",
        "→ l space",
        &[Right, Char('l'), Char(' ')],
        Action::Next,
        "next step",
    ),
    b(
        "step",
        "← h backspace",
        &[Left, Char('h'), Backspace],
        Action::Prev,
        "previous step",
    ),
    b(
        "step",
        "Home",
        &[Home],
        Action::First,
        "before the first step",
    ),
    b(
        "step",
        "End G",
        &[End, Char('G')],
        Action::Last,
        "the last step",
    ),
    b(
        "step",
        "g",
        &[Char('g')],
        Action::GotoPrompt,
        "go to step N (type N, Enter)",
    ),
    b("step", "p", &[Char('p')], Action::PlayPause, "play / pause"),
    b(
        "step",
        "+",
        &[Char('+'), Char('=')],
        Action::Faster,
        "play faster",
    ),
    b("step", "-", &[Char('-')], Action::Slower, "play slower"),
    b("view", "Tab", &[Tab], Action::NextView, "next view"),
    b(
        "view",
        "Shift-Tab",
        &[BackTab],
        Action::PrevView,
        "previous view",
    ),
    b(
        "view",
        "c",
        &[Char('c')],
        Action::View(ViewKind::Cache),
        "page cache tree",
    ),
    b(
        "view",
        "m",
        &[Char('m')],
        Action::View(ViewKind::Mm),
        "mappings and page tables",
    ),
    b(
        "view",
        "f",
        &[Char('f')],
        Action::View(ViewKind::Frames),
        "physical frames, LRU",
    ),
    b(
        "view",
        "s",
        &[Char('s')],
        Action::View(ViewKind::Swap),
        "swap area, swap cache",
    ),
    b(
        "view",
        "v",
        &[Char('v')],
        Action::View(ViewKind::Sysv),
        "System V segments",
    ),
    b(
        "view",
        "i",
        &[Char('i')],
        Action::View(ViewKind::Counters),
        "meminfo, free, df, ipcs",
    ),
    b(
        "view",
        "↓ j",
        &[Down, Char('j')],
        Action::ScrollDown,
        "scroll the view down",
    ),
    b(
        "view",
        "↑ k",
        &[Up, Char('k')],
        Action::ScrollUp,
        "scroll the view up",
    ),
    b(
        "view",
        "PgDn",
        &[PgDn],
        Action::PageDown,
        "scroll the view a page down",
    ),
    b(
        "view",
        "PgUp",
        &[PgUp],
        Action::PageUp,
        "scroll the view a page up",
    ),
    b(
        "view",
        "n",
        &[Char('n')],
        Action::NextMark,
        "next change or exceptional entry",
    ),
    b(
        "view",
        "N",
        &[Char('N')],
        Action::PrevMark,
        "previous change or exceptional entry",
    ),
    b(
        "step",
        "J",
        &[Char('J')],
        Action::DetailDown,
        "step details: next section (changed, kernel, ...)",
    ),
    b(
        "step",
        "K",
        &[Char('K')],
        Action::DetailUp,
        "step details: previous section",
    ),
    b(
        "why",
        "w",
        &[Char('w')],
        Action::WhyNext,
        "why: next changed value",
    ),
    b(
        "why",
        "W",
        &[Char('W')],
        Action::WhyPrev,
        "why: previous changed value",
    ),
    b(
        "real",
        "r",
        &[Char('r')],
        Action::ToggleReal,
        "run beside the host kernel",
    ),
    b(
        "real",
        "d",
        &[Char('d')],
        Action::NextDisagreement,
        "next disagreement with the host",
    ),
    b(
        "quiz",
        "z",
        &[Char('z')],
        Action::ToggleQuiz,
        "quizzes on / off",
    ),
    b("quiz", "1-9", &[], Action::Answer(0), "answer the quiz"),
    b("app", "?", &[Char('?')], Action::Help, "this help"),
    b(
        "app",
        "Esc",
        &[Esc],
        Action::Back,
        "close help / prompt, else quit",
    ),
    b("app", "q Ctrl-C", &[Char('q')], Action::Quit, "quit"),
];

/// The action for `key` in `mode`, if any.
pub fn action(key: KeyEvent, mode: Mode) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c') {
        return Some(Action::Quit);
    }
    if mode == Mode::Help {
        return match key.code {
            Char('?') | Esc | Char('q') | Enter => Some(Action::Help),
            _ => None,
        };
    }
    if let Char(d @ '1'..='9') = key.code {
        if mode == Mode::Quiz {
            return Some(Action::Answer(d as u8 - b'0'));
        }
    }
    BINDINGS
        .iter()
        .find(|b| b.codes.contains(&key.code))
        .map(|b| b.action)
}

/// The help, grouped: (group, [(keys, what)]).
pub fn help() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut groups: Vec<(&'static str, Vec<(&'static str, &'static str)>)> = Vec::new();
    for b in BINDINGS {
        match groups.iter_mut().find(|(g, _)| *g == b.group) {
            Some((_, rows)) => rows.push((b.keys, b.help)),
            None => groups.push((b.group, vec![(b.keys, b.help)])),
        }
    }
    groups
}

/// The keys bound to `action`, as the help writes them.
pub fn keys_of(action: Action) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .map_or("", |b| b.keys)
}

/// A key script: keys separated by spaces, as a test or `shmsim frame
/// --keys` writes them: `l`, `space`, `Enter`, `Esc`, `Tab`, `BackTab`,
/// `Left`, `Right`, `Up`, `Down`, `Home`, `End`, `PgUp`, `PgDn`,
/// `Backspace`, `C-c` (Ctrl with a letter), or any single character.
pub fn script(s: &str) -> Result<Vec<KeyEvent>, String> {
    s.split_whitespace().map(script_key).collect()
}

fn script_key(word: &str) -> Result<KeyEvent, String> {
    let plain = |code| Ok(KeyEvent::new(code, KeyModifiers::NONE));
    match word {
        "space" => plain(Char(' ')),
        "Enter" => plain(Enter),
        "Esc" => plain(Esc),
        "Tab" => plain(Tab),
        "BackTab" => Ok(KeyEvent::new(BackTab, KeyModifiers::SHIFT)),
        "Left" => plain(Left),
        "Right" => plain(Right),
        "Up" => plain(Up),
        "Down" => plain(Down),
        "Home" => plain(Home),
        "End" => plain(End),
        "PgUp" => plain(PgUp),
        "PgDn" => plain(PgDn),
        "Backspace" => plain(Backspace),
        _ => {
            let mut chars = word.chars();
            match (chars.next(), chars.next(), chars.next(), chars.next()) {
                (Some(c), None, _, _) => plain(Char(c)),
                (Some('C'), Some('-'), Some(c), None) => {
                    Ok(KeyEvent::new(Char(c), KeyModifiers::CONTROL))
                }
                _ => Err(format!(
                    "{word:?} is not a key: write one character, a name (Enter, Esc, Tab, Left, ...) or C-x"
                )),
            }
        }
    }
}

/// A left click at a cell, as crossterm delivers it (for tests and scripts).
pub fn mouse_click(column: u16, row: u16) -> ratatui::crossterm::event::MouseEvent {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

/// The key table as Markdown, for the book (`book/src/tui.md` holds it
/// between generated-file markers; `tests/tui_book.rs` checks it).
pub fn markdown() -> String {
    let mut out = String::from("| keys | what they do |\n| --- | --- |\n");
    for (group, rows) in help() {
        for (k, what) in rows {
            out.push_str(&format!("| {group}: `{k}` | {what} |\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for c in b.codes {
                assert!(!seen.contains(c), "{c:?} is bound twice");
                seen.push(*c);
            }
        }
    }

    #[test]
    fn every_view_has_a_key() {
        for v in ViewKind::ALL {
            assert!(!keys_of(Action::View(v)).is_empty(), "{v:?}");
        }
    }
}
