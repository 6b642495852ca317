//! Diagnostics: where in a scenario file something is wrong, and how to say it
//! the way rustc does.
//!
//! Did-you-mean distances are `strsim`'s (optimal string alignment). The
//! rendering is ours, not `annotate-snippets`' (0.12.18, the crate rustc and
//! cargo render with): given each diagnostic as a report of a title, the
//! line as a `Snippet` with its path and `line_start`, one primary
//! annotation and a `Level::HELP` message, it draws carets, labels and help
//! exactly as the fixtures in tests/malformed say, but not these:
//!
//! - The `-->` line. The crate indents it by the gutter's width, as rustc
//!   does; our fixtures put it one column in whatever the width. Fixture 04:
//!   ours ` --> tests/malformed/04-misspelled-constant.toml:13:28`, the
//!   crate's `  --> tests/malformed/04-misspelled-constant.toml:13:28`;
//!   20 of the fixtures have a line number of two digits. The width is one
//!   per report (`max_line_num_len`) and no renderer option sets it; an
//!   `Origin` element ahead of the snippet puts the snippet under ` ::: `.
//!   Without a snippet (a file that cannot be read) the crate draws no gutter
//!   at all (`--> f:1:1`).
//! - A span after more than 20 columns of indentation: the crate cuts the
//!   line's start (`13 | ...                   do = ...`), ours shows it.
//! - An empty line is `7 |` there, `7 | ` here; a column past a line's `\r`
//!   is the crate's count of the line without it.
//! - Tabs and control characters in a headline, and bidi controls or ZWJ in
//!   the line, are replaced there and kept (or shown as U+FFFD) here.
//!
//! Rewriting its output line by line to undo these would be more code than
//! the renderer below, and more fragile.

use std::fmt::Write as _;

/// A byte range `start..end`, either in a scenario file or in one step's `do`
/// string (the AST of a statement is spanned in its `do` string;
/// [`super::Step::file_span`] maps such a span back to the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

/// One error in a scenario file, placed by line and column.
///
/// `line` and `col` are 1-based; `col` and `span_len` count characters (not
/// bytes). Where the error is inside a step's `do` string, the position
/// points into that string in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub span_len: usize,
    /// The headline: `unknown constant `O_CRAET``.
    pub message: String,
    /// What the carets under the source say.
    pub label: String,
    pub help: Option<String>,
    /// Byte offset in the file (for ordering; the position above is derived from it).
    pub offset: usize,
}

impl Diagnostic {
    /// A diagnostic at the file span `span` of `src`.
    pub fn at(
        file: &str,
        src: &str,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Diagnostic {
        let start = clamp_to_char(src, span.start.min(src.len()));
        let end = clamp_to_char(src, span.end.min(src.len()).max(start));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = src[..start].matches('\n').count() + 1;
        let col = src[line_start..start].chars().count() + 1;
        let span_len = src[start..end].chars().count();
        Diagnostic {
            file: file.to_string(),
            line,
            col,
            span_len,
            message: message.into(),
            label: label.into(),
            help,
            offset: start,
        }
    }
}

/// The line starts of a file, for finding the line of many offsets without
/// counting newlines from the top each time (a 100,000-step file has 300,000
/// lines).
pub struct Lines(Vec<usize>);

impl Lines {
    pub fn of(src: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines(starts)
    }

    /// The 1-based line holding byte `offset`, as [`Diagnostic::at`] gives it.
    pub fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset)
    }
}

fn clamp_to_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders diagnostics as rustc does (without colour when `color` is false):
///
/// ```text
/// error: unknown constant `O_CRAET`
///  --> scenarios/01-posix.toml:12:28
///    |
/// 12 | do = 'fd = shm_open("/OS", O_CRAET | O_RDWR, 0666)'
///    |                            ^^^^^^^ not a constant or a name bound earlier in `producer`
///    |
///    = help: did you mean `O_CREAT`?
/// ```
///
/// Diagnostics are separated by a blank line. `src` is the file's text (for a
/// file that is not UTF-8, its lossy decoding).
pub fn render_diagnostics(diags: &[Diagnostic], src: &str, color: bool) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_one(&mut out, d, src, color);
    }
    out
}

struct Style {
    error: &'static str,
    bold: &'static str,
    blue: &'static str,
    reset: &'static str,
}

fn render_one(out: &mut String, d: &Diagnostic, src: &str, color: bool) {
    let s = if color {
        Style {
            error: "\x1b[1;31m",
            bold: "\x1b[1m",
            blue: "\x1b[1;34m",
            reset: "\x1b[0m",
        }
    } else {
        Style {
            error: "",
            bold: "",
            blue: "",
            reset: "",
        }
    };
    let _ = writeln!(
        out,
        "{}error{}{}: {}{}",
        s.error, s.reset, s.bold, d.message, s.reset
    );
    let _ = writeln!(
        out,
        " {}-->{} {}:{}:{}",
        s.blue, s.reset, d.file, d.line, d.col
    );
    let num = d.line.to_string();
    let pad = " ".repeat(num.len());
    // A diagnostic about the file as a whole (it cannot be read) has no snippet.
    let whole_file = d.label.is_empty() && d.span_len == 0;
    let Some(text) = src.split('\n').nth(d.line - 1).filter(|_| !whole_file) else {
        if let Some(h) = &d.help {
            let _ = writeln!(
                out,
                "{pad} {}={} {}help{}: {h}",
                s.blue, s.reset, s.bold, s.reset
            );
        }
        return;
    };
    let text = text.strip_suffix('\r').unwrap_or(text);
    let _ = writeln!(out, "{pad} {}|{}", s.blue, s.reset);
    // Tabs become four spaces; wide characters take two columns.
    let mut shown = String::new();
    let mut before = 0; // display columns before the span
    let mut under = 0; // display columns under the span
    for (i, c) in text.chars().enumerate() {
        let w = if c == '\t' {
            shown.push_str("    ");
            4
        } else if c.is_control() {
            shown.push('\u{fffd}');
            1
        } else {
            shown.push(c);
            char_width(c)
        };
        if i + 1 < d.col {
            before += w;
        } else if i + 1 < d.col + d.span_len {
            under += w;
        }
    }
    let _ = writeln!(out, "{}{num} |{} {shown}", s.blue, s.reset);
    let carets = "^".repeat(under.max(1));
    let label = if d.label.is_empty() {
        String::new()
    } else {
        format!(" {}", d.label)
    };
    let _ = writeln!(
        out,
        "{pad} {}|{} {}{}{carets}{label}{}",
        s.blue,
        s.reset,
        " ".repeat(before),
        s.error,
        s.reset
    );
    if let Some(h) = &d.help {
        let _ = writeln!(out, "{pad} {}|{}", s.blue, s.reset);
        let _ = writeln!(
            out,
            "{pad} {}={} {}help{}: {h}",
            s.blue, s.reset, s.bold, s.reset
        );
    }
}

/// Display width of a character in a terminal: 2 for East Asian wide
/// characters and most emoji, 0 for combining marks, else 1.
fn char_width(c: char) -> usize {
    let u = c as u32;
    if (0x300..=0x36f).contains(&u) || (0x200b..=0x200f).contains(&u) {
        return 0;
    }
    let wide = matches!(u,
        0x1100..=0x115f | 0x2e80..=0x303e | 0x3041..=0x33ff | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff | 0xa000..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6 | 0x1f300..=0x1f64f
        | 0x1f900..=0x1f9ff | 0x20000..=0x3fffd);
    if wide {
        2
    } else {
        1
    }
}

/// The candidate closest to `word`, if one is close enough to be a typo: a
/// case-insensitive match first, else the smallest edit distance within a
/// third of the word's length (at least 1), counted in edits of optimal string
/// alignment (insertions, deletions, substitutions and swaps of two neighbours
/// each cost 1, so that `O_CRAET` is one edit from `O_CREAT`). Ties go to the
/// earlier candidate.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let cands: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = cands
        .iter()
        .find(|c| **c != word && c.eq_ignore_ascii_case(word))
    {
        return Some(c.to_string());
    }
    let len = word.chars().count();
    let limit = (len / 3).max(1);
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in cands {
        // The distance is at least the difference in length: a candidate
        // that cannot come within the limit is not measured (measuring is
        // quadratic, and a fuzzer's 4,000-letter name met every constant).
        if c == word || c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = strsim::osa_distance(&lower, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `did_you_mean` without skipping the candidates too long or too short.
    fn did_you_mean_measuring_all(word: &str, cands: &[&str]) -> Option<String> {
        if let Some(c) = cands
            .iter()
            .find(|c| **c != word && c.eq_ignore_ascii_case(word))
        {
            return Some(c.to_string());
        }
        let limit = (word.chars().count() / 3).max(1);
        let mut best: Option<(usize, &str)> = None;
        for &c in cands {
            let d = strsim::osa_distance(&word.to_ascii_lowercase(), &c.to_ascii_lowercase());
            if c != word && d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
        best.map(|(_, c)| c.to_string())
    }

    #[test]
    fn skipping_by_length_suggests_what_measuring_all_does() {
        let cands: Vec<&str> = crate::scenario::consts::CONSTANTS
            .iter()
            .map(|c| c.name)
            .collect();
        let mut words = vec![String::new(), "x".repeat(500), "é".repeat(40)];
        for c in &cands {
            let mut w = c.to_string();
            w.pop();
            words.push(w.clone());
            w.push_str("XY");
            words.push(w.clone());
            words.push(format!("{w}{w}"));
            words.push(c.to_lowercase());
            words.push(c.chars().rev().collect());
        }
        for w in &words {
            assert_eq!(
                did_you_mean(w, cands.iter().copied()),
                did_you_mean_measuring_all(w, &cands),
                "{w}"
            );
        }
    }

    #[test]
    fn lines_agree_with_a_diagnostic_at_every_offset() {
        let src = "a\n\nbé\r\nc\n";
        let lines = Lines::of(src);
        for at in 0..=src.len() {
            let d = Diagnostic::at("f", src, Span::new(at, at), "", "", None);
            assert_eq!(lines.line(at), d.line, "offset {at}");
        }
    }

    #[test]
    fn renders_like_rustc() {
        let mut src = String::new();
        for _ in 0..11 {
            src.push_str("# line\n");
        }
        src.push_str("do = 'fd = shm_open(\"/OS\", O_CRAET | O_RDWR, 0666)'\n");
        let at = src.find("O_CRAET").unwrap();
        let d = Diagnostic::at(
            "scenarios/01-posix.toml",
            &src,
            Span::new(at, at + 7),
            "unknown constant `O_CRAET`",
            "not a constant or a name bound earlier in `producer`",
            Some("did you mean `O_CREAT`?".into()),
        );
        assert_eq!((d.line, d.col, d.span_len), (12, 28, 7));
        let want = "error: unknown constant `O_CRAET`
 --> scenarios/01-posix.toml:12:28
   |
12 | do = 'fd = shm_open(\"/OS\", O_CRAET | O_RDWR, 0666)'
   |                            ^^^^^^^ not a constant or a name bound earlier in `producer`
   |
   = help: did you mean `O_CREAT`?
";
        assert_eq!(render_diagnostics(&[d], &src, false), want);
    }

    #[test]
    fn tabs_and_wide_characters_keep_carets_aligned() {
        let src = "\tx = \"共享\", y";
        let at = src.find('y').unwrap();
        let d = Diagnostic::at("f", src, Span::new(at, at + 1), "m", "here", None);
        assert_eq!(d.col, 12);
        let shown = render_diagnostics(&[d], src, false);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[3], "1 |     x = \"共享\", y");
        // 4 columns for the tab, 2 for each wide character.
        assert_eq!(
            lines[4],
            format!("  | {}^ here", " ".repeat(4 + 4 + 1 + 4 + 1 + 2))
        );
    }

    #[test]
    fn columns_count_characters() {
        let src = "say = \"é\"; x = 1\n";
        let at = src.find('x').unwrap();
        let d = Diagnostic::at("f", src, Span::new(at, at + 1), "m", "l", None);
        assert_eq!(d.col, 12);
    }

    #[test]
    fn suggestions() {
        let c = ["O_CREAT", "O_EXCL", "O_RDWR"];
        assert_eq!(did_you_mean("O_CRAET", c), Some("O_CREAT".into()));
        assert_eq!(did_you_mean("o_creat", c), Some("O_CREAT".into()));
        assert_eq!(did_you_mean("banana", c), None);
        // Optimal string alignment: a swap of two neighbours is one edit.
        assert_eq!(strsim::osa_distance("titel", "title"), 1);
        assert_eq!(
            did_you_mean("titel", ["title", "about"]),
            Some("title".into())
        );
    }
}
