//! Drawing: a pure function of the [`App`]'s state.
//!
//! ```text
//! ┌ shmsim · title ──────────────────────────────────── step 4 of 8 ┐
//! │ Program               │ Step 4 · producer                        │
//! │   1 producer fd = ... │ memcpy(ptr, "...", 34)  = 0x7dfffffff000 │
//! │ ▶ 4 producer memcpy   │ narration, the kernel's call tree,       │
//! │   5 consumer ...      │ what changed (and why), the host kernel  │
//! ├ cache  mm  frames  swap  sysv  counters ─────────────────────────┤
//! │ the view's picture (two side by side on a wide screen)           │
//! └ → next  ← back  g go to  Tab view  w why  r host  ? help  q quit ┘
//! ```
//!
//! Every meaning has a glyph or a word as well as a colour (`▶` the
//! current step, `*` a change, `x` an exceptional entry), so the `mono`
//! theme and a colour-blind student read the same screen.

use super::calltree;
use super::keys::{self, Action};
use super::theme::Class;
use super::views::ViewKind;
use super::App;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use sim::runner::StepOutcome;

/// The smallest screen the TUI draws on; below it, it says how big the
/// window must be.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// From this width on, two views stand side by side.
pub const SIDE_BY_SIDE: u16 = 160;

/// Where the last draw put things, for the mouse (as bottom does).
#[derive(Clone, Debug, Default)]
pub struct Areas {
    /// The program pane's inner area.
    pub program: Rect,
    /// The step shown on the program pane's first line.
    pub program_first: usize,
    /// Each view tab.
    pub tabs: Vec<(Rect, ViewKind)>,
    /// The front view's inner area.
    pub view: Rect,
    /// The front view's width (for its picture) and height (for paging).
    pub view_width: u16,
    /// The front view's height.
    pub view_height: u16,
    /// The step's details as last drawn: the first line shown, how many
    /// fit, and where each of their sections starts (for `J` and `K`).
    pub detail_skip: usize,
    pub detail_height: usize,
    pub detail_sections: Vec<usize>,
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        too_small(f, area);
        return;
    }
    let [title, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let top_h = (body.height / 2).max(6);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(body);
    let prog_w = (top.width * 9 / 20).clamp(28, 72);
    let [prog, detail] =
        Layout::horizontal([Constraint::Length(prog_w), Constraint::Min(0)]).areas(top);
    title_bar(f, app, title);
    program(f, app, prog);
    details(f, app, detail);
    views(f, app, bottom);
    status_bar(f, app, status);
    if let Some(d) = &app.diagnostics {
        overlay_text(f, app, area, "this file has errors: fix it and save", d);
    }
    if app.help {
        help(f, app, area);
    }
}

fn st(app: &App, c: Class) -> Style {
    app.theme.style(c)
}

fn too_small(f: &mut Frame, area: Rect) {
    let msg = format!(
        "shmsim needs a window of at least {}x{}; this one is {}x{}. Make it bigger, or press q.",
        MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
    );
    let lines: Vec<Line> = wrap(&msg, area.width.max(1) as usize)
        .into_iter()
        .map(Line::from)
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

fn title_bar(f: &mut Frame, app: &App, area: Rect) {
    let s = app.scenario();
    let mut right = format!("step {} of {}", app.pos(), app.tl.len());
    let quizzes = app.quiz_count();
    if quizzes > 0 {
        if app.quizzes {
            let (r, a) = app.score();
            if a == 0 {
                right.push_str(&format!(
                    " · {quizzes} quiz{}",
                    if quizzes == 1 { "" } else { "zes" }
                ));
            } else {
                right.push_str(&format!(" · quiz {r} of {a} right"));
            }
        } else {
            right.push_str(" · quizzes off");
        }
    }
    if let Some(r) = &app.real {
        right.push_str(&format!(" · host: {}", r.status_word()));
    }
    if app.playing.is_some() {
        right.push_str(" · playing");
    }
    let room = (area.width as usize).saturating_sub(width(&right) + 2);
    let left = truncate(&format!(" shmsim · {} ", s.title.value), room);
    let pad = (area.width as usize).saturating_sub(width(&left) + width(&right) + 1);
    let line = Line::from(vec![
        Span::styled(truncate(&left, area.width as usize), st(app, Class::Title)),
        Span::raw(" ".repeat(pad)),
        Span::styled(right, st(app, Class::Text)),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn block<'a>(app: &App, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), st(app, Class::Title)))
}

/// What a call returned, as C would show it, and how to draw it (nothing
/// for a statement that makes no call, like `name = "OS"`, or a look step,
/// which is a tool run from the shell, not a call).
pub fn result_text(app: &App, o: &StepOutcome) -> (String, Class) {
    let r = &o.result;
    let is_call = app
        .scenario()
        .steps
        .get(o.step.wrapping_sub(1))
        .and_then(|s| s.call)
        .is_some_and(|c| c.scope != sim::scenario::calls::Scope::Look);
    if !is_call && r.signal.is_none() && r.errno.is_none() {
        return (String::new(), Class::Text);
    }
    match (r.signal, r.errno, r.ret) {
        (Some(sig), _, _) => (sig.name().to_string(), Class::Bad),
        (None, Some(e), ret) => (format!("{} {}", ret.unwrap_or(-1), e.name()), Class::Bad),
        (None, None, Some(v)) if v > 0xffff => (format!("= {v:#x}"), Class::Good),
        (None, None, Some(v)) => (format!("= {v}"), Class::Good),
        (None, None, None) => (String::new(), Class::Text),
    }
}

/// A step's result as the Program pane has room for it beside the
/// statement: whole, or, in a narrow pane, a value elided as `= …` (the
/// step's pane shows it whole) rather than cut into another number (`= 0…`
/// of an address reads as 0); an error or a signal is never elided, the
/// statement gives way to it down to a few columns.
fn fit_result(result: String, class: Class, line_w: usize) -> String {
    let failed = class == Class::Bad;
    let min_stmt = if failed { 6 } else { 12 }.min(line_w);
    if result.is_empty() || width(&result) + 1 + min_stmt <= line_w {
        return result;
    }
    if failed || class == Class::Warn {
        truncate(&result, line_w.saturating_sub(min_stmt + 1))
    } else {
        "= …".to_string()
    }
}

fn program(f: &mut Frame, app: &App, area: Rect) {
    let b = block(app, "Program");
    let inner = b.inner(area);
    f.render_widget(b, area);
    let steps = &app.scenario().steps;
    let h = inner.height as usize;
    let cur = app.pos();
    // Keep the current step in view, a third of the way down.
    let first = cur
        .saturating_sub(1)
        .saturating_sub(h / 3)
        .min(steps.len().saturating_sub(h));
    let procw = app
        .scenario()
        .processes
        .iter()
        .map(|p| width(&p.name))
        .chain(
            steps
                .iter()
                .filter(|s| s.proc.is_none())
                .map(|_| width("machine")),
        )
        .max()
        .unwrap_or(0)
        .min(10);
    let numw = steps.len().to_string().len();
    let mut lines = Vec::new();
    if cur == 0 {
        lines.push(Line::styled(
            format!("▶ {:>numw$} (before the first step)", 0),
            st(app, Class::Current),
        ));
    }
    for (i, step) in steps.iter().enumerate().skip(first).take(h) {
        let n = i + 1;
        let who = step.proc.as_ref().map_or("machine", |p| p.value.as_str());
        let mark = if n == cur { "▶" } else { " " };
        let head = format!("{mark} {n:>numw$} {:<procw$} ", truncate(who, procw));
        let mut spans = Vec::new();
        let base = if n == cur {
            Class::Current
        } else if n > cur {
            Class::Dim
        } else {
            Class::Text
        };
        let (result, rclass) = match app.tl.outcome(n) {
            Some(_) if n <= cur && app.quiz_hides(n) => ("= ?".to_string(), Class::Warn),
            Some(o) if n <= cur => result_text(app, o),
            _ => (String::new(), Class::Text),
        };
        let line_w = (inner.width as usize).saturating_sub(width(&head));
        let result = fit_result(result, rclass, line_w);
        // A column between the statement and its result, or the border.
        let room = line_w.saturating_sub(width(&result) + 1);
        let stmt = truncate(&step.do_.value, room);
        let pad = room.saturating_sub(width(&stmt)) + usize::from(!result.is_empty());
        spans.push(Span::styled(head, st(app, base)));
        spans.push(Span::styled(stmt, st(app, base)));
        spans.push(Span::styled(" ".repeat(pad), st(app, base)));
        spans.push(Span::styled(result, st(app, rclass)));
        lines.push(Line::from(spans));
    }
    lines.truncate(h);
    app.areas.borrow_mut().program = inner;
    app.areas.borrow_mut().program_first = if cur == 0 {
        first.wrapping_sub(1)
    } else {
        first
    };
    f.render_widget(Paragraph::new(lines), inner);
}

fn details(f: &mut Frame, app: &App, area: Rect) {
    let title = match app.pos() {
        0 => "Before the first step".to_string(),
        n => format!("Step {n} of {}", app.tl.len()),
    };
    let inner = block(app, &title).inner(area);
    let lines = detail_lines(app, inner.width as usize);
    let h = inner.height as usize;
    let max = lines.len().saturating_sub(h);
    // A change selected for "why" is brought into view with its causes.
    let selected = lines
        .iter()
        .position(|l| l.spans.first().is_some_and(|s| s.content.starts_with("▶ ")));
    let skip = match selected {
        Some(i)
            if app.why.is_some() && (i < app.detail_scroll || i + 3 > app.detail_scroll + h) =>
        {
            i.saturating_sub(h / 3)
        }
        _ => app.detail_scroll,
    }
    .min(max);
    let heads = section_heads(&lines);
    {
        let mut a = app.areas.borrow_mut();
        a.detail_skip = skip;
        a.detail_height = h;
        a.detail_sections = section_starts(&heads);
    }
    let mut b = block(app, &title);
    if let Some(more) = more_below(lines.len(), &heads, skip + h) {
        b = b.title_bottom(Span::styled(more, st(app, Class::Key)).into_right_aligned_line());
    }
    if skip > 0 {
        b = b.title(
            Span::styled(format!(" ↑ {skip} "), st(app, Class::Key)).into_right_aligned_line(),
        );
    }
    f.render_widget(b, area);
    let shown: Vec<Line> = lines.into_iter().skip(skip).collect();
    f.render_widget(Paragraph::new(shown), inner);
}

/// The headings of the details: what the bottom border names when they are
/// out of sight, so that a short screen still says there is more to see.
const SECTIONS: [(&str, &str); 6] = [
    ("printed:", "printed"),
    ("changed:", "changed"),
    ("✓ expect", "expect"),
    ("✗ expect", "expect"),
    ("kernel:", "kernel"),
    ("host kernel:", "host"),
];

/// The lines of the details that name their section ("changed:", each
/// "✓ expect ..."), with the section's name.
fn section_heads(lines: &[Line]) -> Vec<(usize, &'static str)> {
    let name_of = |l: &Line| {
        let first = l.spans.first().map_or("", |s| s.content.as_ref());
        SECTIONS
            .iter()
            .find(|(head, _)| first.starts_with(head))
            .map(|&(_, name)| name)
    };
    let named = lines.iter().enumerate();
    named.filter_map(|(i, l)| Some((i, name_of(l)?))).collect()
}

/// Where each section starts (for `J` and `K`): the first of a run of
/// lines of one section, so that the expectations are one stop, not one
/// per line.
fn section_starts(heads: &[(usize, &str)]) -> Vec<usize> {
    let mut starts = Vec::new();
    for (k, &(i, name)) in heads.iter().enumerate() {
        let continues = k > 0 && heads[k - 1] == (i.wrapping_sub(1), name);
        if !continues {
            starts.push(i);
        }
    }
    starts
}

/// " ↓ 12 more: changed, kernel · J " when lines from `from` on are hidden.
fn more_below(len: usize, heads: &[(usize, &str)], from: usize) -> Option<String> {
    let hidden = len.checked_sub(from).filter(|&n| n > 0)?;
    let mut names: Vec<&str> = Vec::new();
    for &(_, n) in heads.iter().filter(|&&(i, _)| i >= from) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let what = if names.is_empty() {
        String::new()
    } else {
        format!(": {}", names.join(", "))
    };
    Some(format!(" ↓ {hidden} more{what} · J "))
}

/// The step's details, top to bottom: what ran and what it returned, the
/// quiz, the narration, what it printed, what changed (and why), the
/// expectations, the kernel's call tree, and the host kernel's verdicts.
pub fn detail_lines(app: &App, w: usize) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    let n = app.pos();
    if n == 0 {
        about_lines(app, w, &mut out);
        return out;
    }
    let Some(o) = app.tl.outcome(n) else {
        return out;
    };
    let who = o.proc.clone().unwrap_or_else(|| "machine".into());
    let hidden = app.quiz_hides(n);
    let stmt = format!("{who}: {}", o.do_);
    let bold = st(app, Class::Text).add_modifier(Modifier::BOLD);
    for (i, l) in wrap(&stmt, w).into_iter().enumerate() {
        let l = if i == 0 { l } else { format!("  {l}") };
        out.push(Line::styled(l, bold));
    }
    if !hidden {
        let (text, class) = result_text(app, o);
        if !text.is_empty() {
            out.push(Line::styled(format!("  {text}"), st(app, class)));
        }
    }
    if let Some(q) = &o.quiz {
        if app.quizzes {
            quiz_lines(app, n, q, w, &mut out);
            if hidden {
                return out;
            }
        }
    }
    result_detail(app, o, w, &mut out);
    if let Some(say) = &o.say {
        out.push(Line::default());
        for l in wrap(&reflow(say), w) {
            out.push(Line::styled(l, st(app, Class::Text)));
        }
    }
    if !o.out.is_empty() {
        out.push(Line::default());
        out.push(Line::styled("printed:", st(app, Class::Title)));
        for l in o.out.trim_end_matches('\n').lines() {
            out.push(Line::styled(format!("| {l}"), st(app, Class::Text)));
        }
    }
    for d in &o.dmesg {
        out.push(Line::styled(format!("dmesg: {d}"), st(app, Class::Bad)));
    }
    change_lines(app, o, w, &mut out);
    check_lines(app, o, &mut out);
    trace_lines(app, o, &mut out);
    if let Some(r) = &app.real {
        r.detail_lines(app, n, w, &mut out);
    }
    out
}

fn about_lines(app: &App, w: usize, out: &mut Vec<Line<'static>>) {
    let s = app.scenario();
    out.push(Line::styled(s.title.value.clone(), st(app, Class::Title)));
    if let Some(a) = &s.about {
        for l in wrap(&reflow(&a.value), w) {
            out.push(Line::styled(l, st(app, Class::Text)));
        }
    }
    out.push(Line::default());
    out.push(Line::from(vec![
        Span::styled("Press ", st(app, Class::Text)),
        Span::styled(keys::keys_of(Action::Next).to_string(), st(app, Class::Key)),
        Span::styled(" to play the first step.", st(app, Class::Text)),
    ]));
}

fn result_detail(app: &App, o: &StepOutcome, w: usize, out: &mut Vec<Line<'static>>) {
    let r = &o.result;
    let text = match (r.signal, r.errno) {
        (Some(sig), _) => format!(
            "{who} was killed by {} ({}), as the shell would report.",
            sig.name(),
            signal_text(sig.name()),
            who = o.proc.as_deref().unwrap_or("the process")
        ),
        (None, Some(e)) => format!("returned -1, errno = {} ({})", e.name(), e.strerror()),
        _ => return,
    };
    for l in wrap(&text, w) {
        out.push(Line::styled(l, st(app, Class::Bad)));
    }
}

fn signal_text(name: &str) -> &'static str {
    sim::errno::Signal::from_name(name).map_or("a fatal signal", |s| s.text())
}

fn quiz_lines(
    app: &App,
    n: usize,
    q: &sim::runner::QuizView,
    w: usize,
    out: &mut Vec<Line<'static>>,
) {
    out.push(Line::default());
    for l in wrap(&format!("Quiz: {}", q.ask), w) {
        out.push(Line::styled(
            l,
            st(app, Class::Warn).add_modifier(Modifier::BOLD),
        ));
    }
    let answer = app.answers.get(&n);
    for (i, c) in q.choices.iter().enumerate() {
        let k = i + 1;
        let (mark, class) = match answer {
            Some(_) if k == q.answer => ("✓", Class::Good),
            Some(a) if a.chosen == k => ("✗", Class::Bad),
            _ => (" ", Class::Text),
        };
        let lead0 = format!("  {mark} {k}) ");
        for (j, l) in wrap(c, w.saturating_sub(width(&lead0)))
            .into_iter()
            .enumerate()
        {
            let lead = if j == 0 {
                lead0.clone()
            } else {
                " ".repeat(width(&lead0))
            };
            out.push(Line::styled(format!("{lead}{l}"), st(app, class)));
        }
    }
    match answer {
        None => out.push(Line::from(vec![
            Span::styled("Answer with ", st(app, Class::Text)),
            Span::styled(format!("1-{}", q.choices.len()), st(app, Class::Key)),
            Span::styled(" to see the step.", st(app, Class::Text)),
        ])),
        Some(a) if a.right => out.push(Line::styled(
            format!("Right: {}) is correct.", q.answer),
            st(app, Class::Good).add_modifier(Modifier::BOLD),
        )),
        Some(_) => out.push(Line::styled(
            format!("Not quite: the answer is {}).", q.answer),
            st(app, Class::Bad),
        )),
    }
}

fn trace_lines(app: &App, o: &StepOutcome, out: &mut Vec<Line<'static>>) {
    if o.trace.is_empty() {
        return;
    }
    out.push(Line::default());
    out.push(Line::styled("kernel:", st(app, Class::Title)));
    let forest = calltree::build(&o.trace);
    for t in calltree::lines(&forest) {
        let mut spans = vec![
            Span::raw("  ".repeat(t.depth + 1)),
            Span::styled(t.func.to_string(), st(app, Class::Func)),
        ];
        if let Some(file) = t.file {
            spans.push(Span::styled(format!(" ({file})"), st(app, Class::File)));
        }
        if t.count > 1 {
            spans.push(Span::styled(format!(" x {}", t.count), st(app, Class::Key)));
        }
        out.push(Line::from(spans));
    }
}

/// The changes worth showing, with their indexes in the step's list: a
/// new observable that reads empty (a new mapping's `0 kB`) is left out,
/// as the transcript leaves it out.
pub fn visible_changes(o: &StepOutcome) -> Vec<usize> {
    (0..o.changes.len())
        .filter(|&i| {
            let c = &o.changes[i];
            !(c.before == "none" && matches!(c.after.as_str(), "0 kB" | "+0 kB" | "0" | ""))
        })
        .collect()
}

fn change_lines(app: &App, o: &StepOutcome, w: usize, out: &mut Vec<Line<'static>>) {
    let shown = visible_changes(o);
    if shown.is_empty() {
        return;
    }
    out.push(Line::default());
    out.push(Line::from(vec![
        Span::styled("changed:", st(app, Class::Title)),
        Span::styled(
            format!(
                "  ({} selects one and says why)",
                keys::keys_of(Action::WhyNext)
            ),
            st(app, Class::Dim),
        ),
    ]));
    for i in shown {
        let c = &o.changes[i];
        let selected = app.why == Some(i);
        let mark = if selected { "▶" } else { "*" };
        let host = app
            .real
            .as_ref()
            .and_then(|r| r.reading(app.pos(), &c.name));
        let host = match host {
            Some((_, sim::compare::Verdict::Agree)) => "  host ✓".to_string(),
            Some((v, sim::compare::Verdict::Differ)) => format!("  host ✗ {}", show(v)),
            Some((_, sim::compare::Verdict::NotObservable(_))) => "  host ?".to_string(),
            Some((_, sim::compare::Verdict::Allowed(_))) => "  host ~".to_string(),
            _ => String::new(),
        };
        let text = format!(
            "{mark} {}: {} → {}{host}",
            c.name,
            show(&c.before),
            show(&c.after)
        );
        let style = if selected {
            st(app, Class::Current)
        } else {
            app.theme.changed(Class::Text)
        };
        for (j, l) in wrap(&text, w).into_iter().enumerate() {
            let l = if j == 0 { l } else { format!("    {l}") };
            out.push(Line::styled(l, style));
        }
        if selected {
            why_lines(app, o, i, w, out);
        }
    }
}

/// The kernel functions of the step that changed change `i`.
fn why_lines(app: &App, o: &StepOutcome, i: usize, w: usize, out: &mut Vec<Line<'static>>) {
    let causes = super::why::causes(o, i);
    if causes.is_empty() {
        out.push(Line::styled(
            "    why: no kernel function of this step is recorded as changing it".to_string(),
            st(app, Class::Dim),
        ));
        return;
    }
    for (k, c) in causes.iter().enumerate() {
        let lead = if k == 0 { "    why: " } else { "         " };
        let times = if c.count > 1 {
            format!(" x {}", c.count)
        } else {
            String::new()
        };
        let mut spans = vec![
            Span::styled(lead.to_string(), st(app, Class::Title)),
            Span::styled(c.func.to_string(), st(app, Class::Func)),
            Span::styled(format!(" ({})", c.file), st(app, Class::File)),
            Span::styled(times, st(app, Class::Key)),
        ];
        if width(lead) + c.func.len() + c.file.len() + 3 > w {
            spans.truncate(2);
        }
        out.push(Line::from(spans));
    }
}

fn check_lines(app: &App, o: &StepOutcome, out: &mut Vec<Line<'static>>) {
    if o.checks.is_empty() {
        return;
    }
    out.push(Line::default());
    for c in &o.checks {
        if c.ok {
            out.push(Line::styled(
                format!("✓ expect {} = {}", c.observable, show(&c.expected)),
                st(app, Class::Good),
            ));
        } else {
            out.push(Line::styled(
                format!(
                    "✗ expect {} = {}, but it is {}",
                    c.observable,
                    show(&c.expected),
                    show(&c.seen)
                ),
                st(app, Class::Bad),
            ));
        }
    }
}

/// A value as the details show it: a long per-page string folded.
pub fn show(v: &str) -> String {
    if v.is_empty() {
        return "\"\"".into();
    }
    if v.len() <= 48 {
        return v.to_string();
    }
    fold_runs(v)
}

/// `PPPP----` as `P x4 - x4`, for long per-page strings.
pub fn fold_runs(v: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        let mut n = 1;
        while chars.peek() == Some(&c) {
            chars.next();
            n += 1;
        }
        out.push(if n > 3 {
            format!("{c} x{n}")
        } else {
            c.to_string().repeat(n)
        });
    }
    out.join(" ")
}

fn views(f: &mut Frame, app: &App, area: Rect) {
    let two = area.width >= SIDE_BY_SIDE;
    let [tabs, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    tab_bar(f, app, tabs);
    if two {
        let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(rest);
        view_pane(f, app, app.view, a, true);
        view_pane(f, app, app.side_view, b, false);
    } else {
        view_pane(f, app, app.view, rest, true);
    }
}

fn tab_bar(f: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    let mut tabs = Vec::new();
    let mut x = area.x;
    for v in ViewKind::ALL {
        let key = keys::keys_of(Action::View(v));
        let label = format!(" {key}:{} ", v.name());
        let class = if v == app.view {
            Class::Current
        } else {
            Class::Text
        };
        let w = width(&label) as u16;
        tabs.push((
            Rect::new(x, area.y, w.min(area.right().saturating_sub(x)), 1),
            v,
        ));
        x = x.saturating_add(w + 1);
        spans.push(Span::styled(label, st(app, class)));
        spans.push(Span::raw(" "));
    }
    app.areas.borrow_mut().tabs = tabs;
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn view_pane(f: &mut Frame, app: &App, kind: ViewKind, area: Rect, front: bool) {
    let inner_w = area.width.saturating_sub(2);
    let pic = app.picture(kind, inner_w);
    let h = area.height.saturating_sub(2) as usize;
    let total = pic.lines.len();
    let scroll = app
        .scroll
        .get(&kind)
        .copied()
        .unwrap_or(0)
        .min(total.saturating_sub(1));
    let title = if total > h {
        format!(
            "{} · lines {}-{} of {total}",
            kind.name(),
            scroll + 1,
            (scroll + h).min(total)
        )
    } else {
        kind.name().to_string()
    };
    let b = block(app, &title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if front {
        let mut a = app.areas.borrow_mut();
        a.view = inner;
        a.view_width = inner.width;
        a.view_height = inner.height;
    }
    let lines: Vec<Line> = pic.lines.iter().skip(scroll).take(h).cloned().collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn status_bar(f: &mut Frame, app: &App, area: Rect) {
    let line = if let Some(p) = &app.prompt {
        Line::from(vec![
            Span::styled(" go to step: ", st(app, Class::Title)),
            Span::styled(format!("{p}_"), st(app, Class::Key)),
            Span::styled(
                format!("  (0-{}, Enter to go, Esc to cancel)", app.tl.len()),
                st(app, Class::Text),
            ),
        ])
    } else if let Some(m) = &app.message {
        Line::styled(format!(" {m}"), st(app, Class::Warn))
    } else {
        hints(app)
    };
    f.render_widget(Paragraph::new(line), area);
}

fn hints(app: &App) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let list: &[(Action, &str)] = if app.quiz_pending() {
        &[
            (Action::Answer(0), "answer"),
            (Action::Prev, "back"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    } else {
        &[
            (Action::Next, "next"),
            (Action::Prev, "back"),
            (Action::GotoPrompt, "go to"),
            (Action::NextView, "view"),
            (Action::NextMark, "next mark"),
            (Action::WhyNext, "why"),
            (Action::ToggleReal, "host"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    };
    for (a, what) in list {
        let k = keys::keys_of(*a);
        let k = k.split(' ').next().unwrap_or(k);
        spans.push(Span::styled(k.to_string(), st(app, Class::Key)));
        spans.push(Span::styled(format!(" {what}  "), st(app, Class::Text)));
    }
    Line::from(spans)
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn help(f: &mut Frame, app: &App, area: Rect) {
    let rows: Vec<(String, String, bool)> = keys::help()
        .into_iter()
        .flat_map(|(group, rows)| {
            std::iter::once((group.to_string(), String::new(), true)).chain(
                rows.into_iter()
                    .map(|(k, what)| (k.to_string(), what.to_string(), false)),
            )
        })
        .chain(std::iter::once((
            "mouse".to_string(),
            "click a step or a tab; the wheel scrolls".to_string(),
            false,
        )))
        .collect();
    // One column if it fits the height, else two side by side.
    let cols: u16 = if rows.len() + 2 > area.height as usize {
        2
    } else {
        1
    };
    let per = rows.len().div_ceil(usize::from(cols));
    let col_w = if cols == 1 {
        60
    } else {
        (area.width.saturating_sub(3) / 2).min(60)
    };
    let r = centered(area, (col_w + 1) * cols + 2, per as u16 + 2);
    f.render_widget(Clear, r);
    let b = block(app, "Keys (? or Esc closes)");
    let inner = b.inner(r);
    f.render_widget(b, r);
    let areas =
        Layout::horizontal(vec![Constraint::Length(col_w + 1); usize::from(cols)]).split(inner);
    for (c, chunk) in rows.chunks(per).enumerate() {
        let lines: Vec<Line> = chunk
            .iter()
            .map(|(k, what, group)| {
                if *group {
                    return Line::styled(k.clone(), st(app, Class::Title));
                }
                let what = truncate(what, (col_w as usize).saturating_sub(16));
                Line::from(vec![
                    Span::styled(format!("  {k:<13} "), st(app, Class::Key)),
                    Span::styled(what, st(app, Class::Text)),
                ])
            })
            .collect();
        if let Some(a) = areas.get(c) {
            f.render_widget(Paragraph::new(lines), *a);
        }
    }
}

fn overlay_text(f: &mut Frame, app: &App, area: Rect, title: &str, text: &str) {
    let w = area.width.saturating_sub(4);
    let lines: Vec<Line> = text
        .lines()
        .flat_map(|l| wrap(l, w.saturating_sub(2) as usize))
        .map(|l| Line::styled(l, st(app, Class::Text)))
        .collect();
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = Rect::new(area.x + 2, area.y + 1, w, h);
    f.render_widget(Clear, r);
    let b = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), st(app, Class::Bad)));
    f.render_widget(Paragraph::new(lines).block(b), r);
}

/// Prose as TOML holds it (lines broken where the author's editor broke
/// them) as paragraphs: single line breaks become spaces, blank lines stay.
/// Lines that start with spaces (a listing) are kept as they are.
pub fn reflow(text: &str) -> String {
    let mut out = String::new();
    let mut prev_blank = true;
    for line in text.trim_end().lines() {
        let blank = line.trim().is_empty();
        let verbatim = line.starts_with("  ") || line.starts_with('-') || line.starts_with('|');
        if blank {
            out.push_str("\n\n");
        } else if prev_blank {
            out.push_str(line.trim_end());
        } else if verbatim {
            out.push('\n');
            out.push_str(line.trim_end());
        } else {
            out.push(' ');
            out.push_str(line.trim());
        }
        prev_blank = blank;
    }
    out.trim_start_matches('\n').to_string()
}

/// The display width of `s` (one column a char: the TUI draws no wide chars).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `w` columns, with `…` where it was cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Words of `text` in lines of at most `w` columns (a word longer than a
/// line is cut); blank lines kept.
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_string();
            while width(&word) > w {
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(w).collect();
                word = word.chars().skip(w).collect();
                out.push(head);
            }
            if !line.is_empty() && width(&line) + 1 + width(&word) > w {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) && out.len() > 1 {
        out.pop();
    }
    out
}
