//! Themes: what each kind of thing on screen looks like.
//!
//! Widgets never pick colours themselves: they tag each span with a
//! [`Class`] (what it *is*: a page, an exceptional entry, a changed value)
//! and the theme says how that class is drawn. Four themes:
//!
//! - `dark` (the default) and `light`, for a laptop;
//! - `projector`: high contrast, bold where others use colour, no faint text;
//! - `mono` (chosen by `NO_COLOR`): no colour at all, meaning carried by the
//!   glyphs the widgets draw (`x` for an exceptional entry, `*` for a
//!   change) and by bold, underline and reverse video.
//!
//! Every widget draws a glyph or a word for what it means, so no theme relies
//! on colour alone.

use ratatui::style::{Color, Modifier, Style};

/// What a span on screen is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Ordinary text.
    Text,
    /// Text of less weight: later steps, labels, units (never faint in `projector`).
    Dim,
    /// A pane's title, a table's header.
    Title,
    /// The current step, the selected row.
    Current,
    /// A key in the help and the status line.
    Key,
    /// A value that changed in this step.
    Changed,
    /// A result that succeeded, an expectation that held, a right answer.
    Good,
    /// A failed call, a fatal signal, a broken expectation, a wrong answer.
    Bad,
    /// A warning: not observable here, a running real arm.
    Warn,
    /// A kernel function name in the call tree.
    Func,
    /// A kernel source file.
    File,
    /// A page in the page cache, a present PTE.
    Page,
    /// An exceptional (swap) entry in the page cache, a swap PTE.
    Exceptional,
    /// An empty slot, a hole, `pte_none`.
    Hole,
    /// A radix-tree node (or XArray node).
    Node,
    /// A free frame.
    Free,
    /// An anonymous page.
    Anon,
    /// A shmem/tmpfs page.
    Shmem,
    /// A page of an ordinary file.
    FilePage,
    /// A page in the swap cache.
    SwapCache,
    /// The zero page.
    Zero,
    /// A raw word (hex).
    Word,
}

/// The themes a user can choose with `--theme`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ThemeName {
    /// Light text on a dark terminal.
    #[default]
    Dark,
    /// Dark text on a light terminal.
    Light,
    /// High contrast for a projector: bold, no faint text.
    Projector,
    /// No colours (`NO_COLOR`): glyphs and modifiers only.
    Mono,
}

impl ThemeName {
    /// Every theme, by the name `--theme` takes.
    pub const ALL: [(&'static str, ThemeName); 4] = [
        ("dark", ThemeName::Dark),
        ("light", ThemeName::Light),
        ("projector", ThemeName::Projector),
        ("mono", ThemeName::Mono),
    ];

    /// The theme called `name`.
    pub fn parse(name: &str) -> Option<ThemeName> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("dark", |(n, _)| n)
    }
}

/// How each [`Class`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Which theme this is.
    pub name: ThemeName,
}

impl Theme {
    /// The theme `name`.
    pub fn new(name: ThemeName) -> Theme {
        Theme { name }
    }

    /// Does this theme use colour at all?
    pub fn colored(&self) -> bool {
        self.name != ThemeName::Mono
    }

    /// The style of `class`.
    pub fn style(&self, class: Class) -> Style {
        match self.name {
            ThemeName::Dark => dark(class),
            ThemeName::Light => light(class),
            ThemeName::Projector => projector(class),
            ThemeName::Mono => mono(class),
        }
    }

    /// The style of `class`, marked as changed in this step (the class's
    /// own look, underlined and bold, so the change shows in every theme).
    pub fn changed(&self, class: Class) -> Style {
        self.style(class)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
}

fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

fn dark(class: Class) -> Style {
    use Class::*;
    match class {
        Text => Style::new(),
        Dim => fg(Color::Gray),
        Title => fg(Color::Cyan).add_modifier(Modifier::BOLD),
        Current => Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
        Key => fg(Color::Yellow).add_modifier(Modifier::BOLD),
        Changed => fg(Color::Yellow).add_modifier(Modifier::BOLD),
        Good => fg(Color::Green),
        Bad => fg(Color::LightRed).add_modifier(Modifier::BOLD),
        Warn => fg(Color::Yellow),
        Func => fg(Color::LightBlue),
        File => fg(Color::Gray),
        Page => fg(Color::Green),
        Exceptional => Style::new()
            .fg(Color::Black)
            .bg(Color::LightMagenta)
            .add_modifier(Modifier::BOLD),
        Hole => fg(Color::DarkGray),
        Node => fg(Color::Cyan),
        Free => fg(Color::DarkGray),
        Anon => fg(Color::LightYellow),
        Shmem => fg(Color::LightGreen),
        FilePage => fg(Color::LightBlue),
        SwapCache => fg(Color::LightMagenta),
        Zero => fg(Color::White),
        Word => fg(Color::Gray),
    }
}

fn light(class: Class) -> Style {
    use Class::*;
    match class {
        Text => Style::new(),
        Dim => fg(Color::DarkGray),
        Title => fg(Color::Blue).add_modifier(Modifier::BOLD),
        Current => Style::new()
            .fg(Color::White)
            .bg(Color::Blue)
            .add_modifier(Modifier::BOLD),
        Key => fg(Color::Magenta).add_modifier(Modifier::BOLD),
        Changed => fg(Color::Red).add_modifier(Modifier::BOLD),
        Good => fg(Color::Green),
        Bad => fg(Color::Red).add_modifier(Modifier::BOLD),
        Warn => fg(Color::Magenta),
        Func => fg(Color::Blue),
        File => fg(Color::DarkGray),
        Page => fg(Color::Green),
        Exceptional => Style::new()
            .fg(Color::White)
            .bg(Color::Magenta)
            .add_modifier(Modifier::BOLD),
        Hole => fg(Color::DarkGray),
        Node => fg(Color::Blue),
        Free => fg(Color::DarkGray),
        Anon => fg(Color::Rgb(160, 100, 0)),
        Shmem => fg(Color::Green),
        FilePage => fg(Color::Blue),
        SwapCache => fg(Color::Magenta),
        Zero => fg(Color::Black),
        Word => fg(Color::DarkGray),
    }
}

/// High contrast: white and pure colours on black, bold for emphasis,
/// nothing dark grey.
fn projector(class: Class) -> Style {
    use Class::*;
    let bold = |c: Color| fg(c).add_modifier(Modifier::BOLD);
    match class {
        Text | Dim | File | Word | Hole | Free => fg(Color::White),
        Title => bold(Color::White).add_modifier(Modifier::UNDERLINED),
        Current => Style::new()
            .fg(Color::Black)
            .bg(Color::White)
            .add_modifier(Modifier::BOLD),
        Key => bold(Color::Yellow),
        Changed => bold(Color::Yellow),
        Good => bold(Color::Green),
        Bad => bold(Color::Red),
        Warn => bold(Color::Yellow),
        Func => bold(Color::Cyan),
        Page => bold(Color::Green),
        Exceptional => Style::new()
            .fg(Color::Black)
            .bg(Color::Yellow)
            .add_modifier(Modifier::BOLD),
        Node => bold(Color::Cyan),
        Anon => bold(Color::Yellow),
        Shmem => bold(Color::Green),
        FilePage => bold(Color::Cyan),
        SwapCache => bold(Color::Magenta),
        Zero => bold(Color::White),
    }
}

/// No colour: bold, underline and reverse video only.
fn mono(class: Class) -> Style {
    use Class::*;
    let m = |m: Modifier| Style::new().add_modifier(m);
    match class {
        Text | Dim | File | Word | Hole | Free | Page | Anon | Shmem | FilePage | Zero | Good
        | Func | Node => Style::new(),
        Title | Key | Bad | Warn | SwapCache => m(Modifier::BOLD),
        Current | Exceptional => m(Modifier::REVERSED | Modifier::BOLD),
        Changed => m(Modifier::BOLD | Modifier::UNDERLINED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_has_no_colour_and_projector_nothing_faint() {
        let classes = [
            Class::Text,
            Class::Dim,
            Class::Title,
            Class::Current,
            Class::Exceptional,
            Class::Hole,
            Class::Free,
            Class::Changed,
        ];
        for c in classes {
            let s = Theme::new(ThemeName::Mono).style(c);
            assert_eq!((s.fg, s.bg), (None, None), "{c:?} has a colour in mono");
            let p = Theme::new(ThemeName::Projector).style(c);
            assert!(!p.add_modifier.contains(Modifier::DIM), "{c:?} faint");
            assert_ne!(p.fg, Some(Color::DarkGray), "{c:?} dark grey");
        }
        assert!(Theme::new(ThemeName::Mono)
            .style(Class::Exceptional)
            .add_modifier
            .contains(Modifier::REVERSED));
    }
}
