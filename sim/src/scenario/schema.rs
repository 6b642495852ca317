//! The TOML schema of a scenario: which keys exist where, with which types;
//! sizes; the quiz. Reads the spanned tree into raw steps whose statements
//! are parsed but not yet checked.

use super::diag::{did_you_mean, Diagnostic, Span};
use super::tree::{Key, Node, StrMap, Value};
use super::{ast::Stmt, expect, parser, IndexKind, Machine, Quiz, Spanned, PAGE_SIZE};
use crate::kernel::Release;

/// The diagnostics being collected for one file.
pub struct Cx<'a> {
    pub file: &'a str,
    pub src: &'a str,
    diags: Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    pub fn new(file: &'a str, src: &'a str) -> Cx<'a> {
        Cx {
            file,
            src,
            diags: Vec::new(),
        }
    }

    pub fn error(
        &mut self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        self.diags.push(Diagnostic::at(
            self.file, self.src, span, message, label, help,
        ));
    }

    /// How many errors have been reported so far.
    pub fn errors(&self) -> usize {
        self.diags.len()
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }

    /// The text of a file span.
    pub fn text(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }
}

/// A TOML syntax error as a diagnostic.
pub fn toml_error(file: &str, src: &str, e: &toml_edit::TomlError) -> Diagnostic {
    let span = e
        .span()
        .map_or(Span::new(0, 0), |r| Span::new(r.start, r.end));
    let mut lines = e.message().lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid TOML").to_string();
    let rest: Vec<String> = lines.map(lowercase_first).collect();
    let label = if rest.is_empty() {
        "here".to_string()
    } else {
        rest.join("; ")
    };
    Diagnostic::at(
        file,
        src,
        span,
        format!("TOML syntax: {}", lowercase_first(&first)),
        label,
        None,
    )
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A step read from the file, its statement parsed but not checked.
pub struct RawStep {
    pub index: usize,
    pub span: Span,
    pub proc: Option<Spanned<String>>,
    /// `proc` was given but is not a string (already reported).
    pub proc_bad: bool,
    pub do_: Option<Spanned<String>>,
    pub do_map: StrMap,
    /// `None` when `do` is missing or did not parse (already reported).
    pub stmt: Option<Stmt>,
    pub say: Option<Spanned<String>>,
    pub expect: Option<expect::RawExpect>,
    pub quiz: Option<Quiz>,
}

/// The scenario read from the file, before the statements are checked.
pub struct RawScenario {
    pub title: Option<Spanned<String>>,
    pub about: Option<Spanned<String>>,
    pub procs: Vec<Spanned<String>>,
    pub machine: Machine,
    pub steps: Vec<RawStep>,
}

pub(crate) const TOP_KEYS: &[&str] = &["title", "about", "procs", "machine", "step"];
pub(crate) const MACHINE_KEYS: &[&str] = &["ram", "swap", "dev_shm", "index", "uid", "kernel"];
pub(crate) const STEP_KEYS: &[&str] = &["proc", "do", "say", "expect", "quiz"];
pub(crate) const QUIZ_KEYS: &[&str] = &["ask", "choices", "answer"];

fn span_of(node: &Node, fallback: Span) -> Span {
    node.span.unwrap_or(fallback)
}

fn key_span(key: &Key, fallback: Span) -> Span {
    key.span.unwrap_or(fallback)
}

/// Reports keys of `entries` that are not in `allowed`; `what` names the table.
fn unknown_keys(
    cx: &mut Cx,
    entries: &[(Key, Node)],
    allowed: &[&str],
    what: &str,
    fallback: Span,
) {
    for (k, _) in entries {
        if allowed.contains(&k.name.as_str()) {
            continue;
        }
        let mut help = format!("allowed keys: {}", allowed.join(", "));
        if let Some(s) = did_you_mean(&k.name, allowed.iter().copied()) {
            help = format!("did you mean `{s}`? ({help})");
        } else if what == "the top level" && k.name == "steps" {
            help = "steps are written `[[step]]`".into();
        }
        cx.error(
            key_span(k, fallback),
            format!("unknown key `{}` in {what}", k.name),
            format!("not a key of {what}"),
            Some(help),
        );
    }
}

/// Whether some unknown key of `entries` looks like a misspelling of `key`
/// (already reported, with a suggestion, as an unknown key).
fn misspelled(entries: &[(Key, Node)], key: &str, allowed: &[&str]) -> bool {
    entries.iter().any(|(k, _)| {
        !allowed.contains(&k.name.as_str())
            && did_you_mean(&k.name, allowed.iter().copied()).as_deref() == Some(key)
    })
}

fn get<'n>(entries: &'n [(Key, Node)], name: &str) -> Option<(&'n Key, &'n Node)> {
    entries
        .iter()
        .find(|(k, _)| k.name == name)
        .map(|(k, v)| (k, v))
}

/// A string value, or a type error.
fn string(cx: &mut Cx, node: &Node, what: &str, fallback: Span) -> Option<Spanned<String>> {
    let span = span_of(node, fallback);
    match &node.value {
        Value::String(s) => Some(Spanned::new(s.clone(), span)),
        other => {
            cx.error(
                span,
                format!("{what} must be a string"),
                format!("{} here", other.type_name()),
                None,
            );
            None
        }
    }
}

pub fn read_scenario(cx: &mut Cx, root: &Node) -> RawScenario {
    let root_span = root.span.unwrap_or_default();
    let mut raw = RawScenario {
        title: None,
        about: None,
        procs: Vec::new(),
        machine: Machine::default(),
        steps: Vec::new(),
    };
    let Value::Table(top) = &root.value else {
        return raw;
    };
    unknown_keys(cx, top, TOP_KEYS, "the top level", root_span);
    let start = Span::new(0, 0);
    match get(top, "title") {
        Some((k, v)) => {
            raw.title = string(cx, v, "`title`", key_span(k, start));
            if raw.title.as_ref().is_some_and(|t| t.trim().is_empty()) {
                cx.error(
                    span_of(v, start),
                    "`title` is empty",
                    "an empty title",
                    Some("the TUI and the book list scenarios by title".into()),
                );
            }
        }
        None if misspelled(top, "title", TOP_KEYS) => {}
        None => cx.error(
            start,
            "a scenario needs a `title`",
            "missing `title`",
            Some("start the file with `title = \"...\"`".into()),
        ),
    }
    if let Some((k, v)) = get(top, "about") {
        raw.about = string(cx, v, "`about`", key_span(k, start));
    }
    if let Some((k, v)) = get(top, "procs") {
        raw.procs = read_procs(cx, v, key_span(k, start));
    }
    if let Some((k, v)) = get(top, "machine") {
        raw.machine = read_machine(cx, v, key_span(k, start));
    }
    if let Some((k, v)) = get(top, "step") {
        let ks = key_span(k, start);
        match &v.value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = read_step(cx, i, item, ks) {
                        raw.steps.push(s);
                    }
                }
            }
            Value::Table(_) => cx.error(
                span_of(v, ks),
                "`step` must be an array of tables",
                "a single table",
                Some("write each step as `[[step]]`, with two brackets".into()),
            ),
            other => cx.error(
                span_of(v, ks),
                "`step` must be an array of tables",
                format!("{} here", other.type_name()),
                Some("write each step as `[[step]]`".into()),
            ),
        }
    }
    raw
}

/// Whether `name` can name a process: a C-like identifier (`-` and `.` allowed after the first character).
pub fn valid_proc_name(name: &str) -> bool {
    let mut cs = name.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn read_procs(cx: &mut Cx, v: &Node, fallback: Span) -> Vec<Spanned<String>> {
    let span = span_of(v, fallback);
    let Value::Array(items) = &v.value else {
        cx.error(
            span,
            "`procs` must be an array of process names",
            format!("{} here", v.value.type_name()),
            Some("write `procs = [\"producer\", \"consumer\"]`".into()),
        );
        return Vec::new();
    };
    let mut out: Vec<Spanned<String>> = Vec::new();
    for item in items {
        let Some(name) = string(cx, item, "a process name", span) else {
            continue;
        };
        if !valid_proc_name(&name) {
            cx.error(
                name.span,
                format!("`{}` cannot name a process", name.value.escape_debug()),
                "not a process name",
                Some("a process name starts with a letter or `_` and holds letters, digits, `_`, `-` and `.`".into()),
            );
            continue;
        }
        if let Some(first) = out.iter().find(|p| p.value == name.value) {
            let line = Diagnostic::at(cx.file, cx.src, first.span, "", "", None).line;
            cx.error(
                name.span,
                format!("process `{}` is listed twice", name.value),
                "listed again",
                Some(format!("first listed on line {line}")),
            );
            continue;
        }
        out.push(name);
    }
    out
}

/// Parses a size: a number with an optional unit (`B`/`bytes`, `kB`/`KiB`/`K`,
/// `MiB`/`MB`/`M`, `GiB`/`GB`/`G`, any case; all binary, as `/proc/meminfo`
/// means "kB") and, when `signed`, an optional leading `+` or `-`.
/// Returns the signed byte count.
pub fn parse_size(text: &str, signed: bool) -> Result<i64, String> {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'+') if signed => (false, &t[1..]),
        Some(b'-') if signed => (true, &t[1..]),
        Some(b'+' | b'-') => return Err("a size here has no sign".into()),
        _ => (false, t),
    };
    let digits_end = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    let (num, unit) = body.split_at(digits_end);
    if num.is_empty() {
        return Err(format!("`{t}` is not a size"));
    }
    let unit = unit.trim_start();
    if unit.starts_with('.') || unit.starts_with(',') {
        return Err("sizes are whole numbers".into());
    }
    let mult: i64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" | "byte" | "bytes" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown unit `{unit}`")),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| "the number is too large".to_string())?;
    let bytes = n.checked_mul(mult).ok_or("the size is too large")?;
    Ok(if neg { -bytes } else { bytes })
}

const SIZE_HELP: &str = "write a size as `\"64 MiB\"`, `\"512 kB\"`, `\"4096\"` (bytes); units B, kB, KiB, MiB, GiB are binary";

fn read_machine(cx: &mut Cx, v: &Node, fallback: Span) -> Machine {
    let span = span_of(v, fallback);
    let mut m = Machine::default();
    let Value::Table(entries) = &v.value else {
        cx.error(
            span,
            "`machine` must be a table",
            format!("{} here", v.value.type_name()),
            Some("write `[machine]` on a line of its own, then its keys".into()),
        );
        return m;
    };
    unknown_keys(cx, entries, MACHINE_KEYS, "[machine]", span);
    for (k, v) in entries {
        let ks = key_span(k, span);
        let vs = span_of(v, ks);
        match k.name.as_str() {
            "ram" | "swap" | "dev_shm" => {
                let bytes = match &v.value {
                    Value::String(s) => match parse_size(s, false) {
                        Ok(b) => b,
                        Err(e) => {
                            cx.error(
                                vs,
                                format!("bad size for `{}`: {e}", k.name),
                                "not a size",
                                Some(SIZE_HELP.into()),
                            );
                            continue;
                        }
                    },
                    Value::Integer(i) if *i >= 0 => *i,
                    other => {
                        cx.error(
                            vs,
                            format!("`{}` must be a size", k.name),
                            format!("{} here", other.type_name()),
                            Some(SIZE_HELP.into()),
                        );
                        continue;
                    }
                };
                let bytes = bytes as u64;
                if bytes == 0 && k.name != "swap" {
                    cx.error(vs, format!("`{}` cannot be 0", k.name), "zero", None);
                    continue;
                }
                if !bytes.is_multiple_of(PAGE_SIZE) {
                    let up = bytes.div_ceil(PAGE_SIZE) * PAGE_SIZE / 1024;
                    cx.error(
                        vs,
                        format!("`{}` is not a whole number of pages", k.name),
                        format!("{bytes} bytes"),
                        Some(format!("pages are 4 kB; try \"{up} kB\"")),
                    );
                    continue;
                }
                let s = Some(Spanned::new(bytes, vs));
                match k.name.as_str() {
                    "ram" => m.ram = s,
                    "swap" => m.swap = s,
                    _ => m.dev_shm = s,
                }
            }
            "index" => match &v.value {
                Value::String(s) if s == "radix" => {
                    m.index = Some(Spanned::new(IndexKind::Radix, vs))
                }
                Value::String(s) if s == "xarray" => {
                    m.index = Some(Spanned::new(IndexKind::Xarray, vs))
                }
                other => {
                    let mut help =
                        "`index` is \"radix\" (Linux 4.14) or \"xarray\" (4.20 and later)"
                            .to_string();
                    if let Value::String(s) = other {
                        if let Some(d) = did_you_mean(s, ["radix", "xarray"]) {
                            help = format!("did you mean \"{d}\"? ({help})");
                        }
                    }
                    cx.error(
                        vs,
                        "unknown page-cache index",
                        "not \"radix\" or \"xarray\"",
                        Some(help),
                    );
                }
            },
            "kernel" => {
                if let Some(r) = read_release(cx, v, vs) {
                    m.kernel = Some(Spanned::new(r, vs));
                }
            }
            "uid" => match &v.value {
                Value::Integer(i) if (0..=i64::from(u32::MAX)).contains(i) => {
                    m.uid = Some(Spanned::new(*i as u32, vs));
                }
                other => cx.error(
                    vs,
                    "`uid` must be a user id",
                    match other {
                        Value::Integer(_) => "out of range".to_string(),
                        o => format!("{} here", o.type_name()),
                    },
                    Some("an integer, such as 1000 (0 is root)".into()),
                ),
            },
            _ => {}
        }
    }
    m
}

/// `kernel = "4.17"`: a release the model answers for.
fn read_release(cx: &mut Cx, v: &Node, vs: Span) -> Option<Release> {
    let (old, new) = (Release::OLDEST, Release::NEWEST);
    let help = format!(
        "a release from \"{old}\" to \"{new}\", written MAJOR.MINOR (\"4.14\", \"4.17\", \"6.1\")"
    );
    let found = match &v.value {
        Value::String(s) => match Release::parse(s) {
            Some(r) if (old..=new).contains(&r) => return Some(r),
            Some(_) => "not a release the model answers for".to_string(),
            None => "not MAJOR.MINOR".to_string(),
        },
        other => format!("{} here", other.type_name()),
    };
    cx.error(vs, "unknown kernel release", found, Some(help));
    None
}

fn read_step(cx: &mut Cx, index: usize, node: &Node, fallback: Span) -> Option<RawStep> {
    let span = span_of(node, fallback);
    let Value::Table(entries) = &node.value else {
        cx.error(
            span,
            "a step must be a table",
            format!("{} here", node.value.type_name()),
            None,
        );
        return None;
    };
    unknown_keys(cx, entries, STEP_KEYS, "[[step]]", span);
    let mut step = RawStep {
        index,
        span,
        proc: None,
        proc_bad: false,
        do_: None,
        do_map: StrMap::default(),
        stmt: None,
        say: None,
        expect: None,
        quiz: None,
    };
    if let Some((k, v)) = get(entries, "proc") {
        step.proc = string(cx, v, "`proc`", key_span(k, span));
        step.proc_bad = step.proc.is_none();
    }
    if let Some((k, v)) = get(entries, "say") {
        step.say = string(cx, v, "`say`", key_span(k, span));
    }
    match get(entries, "do") {
        Some((k, v)) => {
            if let Some(d) = string(cx, v, "`do`", key_span(k, span)) {
                step.do_map = StrMap::new(cx.src, d.span, &d.value);
                match parser::parse_stmt(&d.value) {
                    Ok(stmt) => step.stmt = Some(stmt),
                    Err(e) => cx.error(step.do_map.file_span(e.span), e.message, e.label, e.help),
                }
                step.do_ = Some(d);
            }
        }
        None if misspelled(entries, "do", STEP_KEYS) => {}
        None => cx.error(
            span,
            format!("step {} has no `do`", index + 1),
            "this step does nothing",
            Some("every step has one statement: `do = 'fd = open(\"/tmp/f\", O_RDWR)'`".into()),
        ),
    }
    if let Some((k, v)) = get(entries, "expect") {
        step.expect = expect::read(cx, v, key_span(k, span));
    }
    if let Some((k, v)) = get(entries, "quiz") {
        step.quiz = read_quiz(cx, v, key_span(k, span));
    }
    Some(step)
}

fn read_quiz(cx: &mut Cx, v: &Node, fallback: Span) -> Option<Quiz> {
    let span = span_of(v, fallback);
    let Value::Table(entries) = &v.value else {
        cx.error(
            span,
            "`quiz` must be a table",
            format!("{} here", v.value.type_name()),
            Some(
                "write `quiz = { ask = \"...\", choices = [\"...\", \"...\"], answer = 1 }`".into(),
            ),
        );
        return None;
    };
    unknown_keys(cx, entries, QUIZ_KEYS, "`quiz`", span);
    let mut ok = true;
    let ask = match get(entries, "ask") {
        Some((k, v)) => string(cx, v, "`ask`", key_span(k, span)),
        None => {
            cx.error(
                span,
                "the quiz has no `ask`",
                "missing `ask`",
                Some("add `ask = \"the question\"`".into()),
            );
            None
        }
    };
    let mut choices = Vec::new();
    match get(entries, "choices") {
        Some((k, cv)) => {
            let cs = span_of(cv, key_span(k, span));
            match &cv.value {
                Value::Array(items) => {
                    for item in items {
                        match string(cx, item, "a choice", cs) {
                            Some(s) => choices.push(s),
                            None => ok = false,
                        }
                    }
                    if items.len() < 2 {
                        cx.error(
                            cs,
                            "a quiz needs at least two choices",
                            format!(
                                "{} choice{}",
                                items.len(),
                                if items.len() == 1 { "" } else { "s" }
                            ),
                            None,
                        );
                        ok = false;
                    }
                }
                other => {
                    cx.error(
                        cs,
                        "`choices` must be an array of strings",
                        format!("{} here", other.type_name()),
                        None,
                    );
                    ok = false;
                }
            }
        }
        None => {
            cx.error(
                span,
                "the quiz has no `choices`",
                "missing `choices`",
                Some("add `choices = [\"...\", \"...\"]`".into()),
            );
            ok = false;
        }
    }
    let answer = match get(entries, "answer") {
        Some((k, av)) => {
            let as_ = span_of(av, key_span(k, span));
            match &av.value {
                Value::Integer(n) if ok && (*n < 1 || *n as usize > choices.len()) => {
                    cx.error(
                        as_,
                        format!("quiz answer {n} is out of range"),
                        format!("there {} {} choice{}", if choices.len() == 1 { "is" } else { "are" }, choices.len(), if choices.len() == 1 { "" } else { "s" }),
                        Some(format!("answers count from 1: `answer = 1` is the first choice, `answer = {}` the last", choices.len())),
                    );
                    None
                }
                Value::Integer(n) if *n >= 1 => Some(Spanned::new(*n as usize, as_)),
                Value::Integer(_) => None,
                other => {
                    cx.error(
                        as_,
                        "`answer` must be the number of the right choice",
                        format!("{} here", other.type_name()),
                        Some("answers count from 1".into()),
                    );
                    None
                }
            }
        }
        None => {
            cx.error(
                span,
                "the quiz has no `answer`",
                "missing `answer`",
                Some("add `answer = N`, the number of the right choice (from 1)".into()),
            );
            None
        }
    };
    match (ask, answer) {
        (Some(ask), Some(answer)) if ok => Some(Quiz {
            ask,
            choices,
            answer,
            span,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64 MiB", false), Ok(64 << 20));
        assert_eq!(parse_size("12 kB", false), Ok(12 << 10));
        assert_eq!(parse_size("4096", false), Ok(4096));
        assert_eq!(parse_size("0", false), Ok(0));
        assert_eq!(parse_size("1GiB", false), Ok(1 << 30));
        assert_eq!(parse_size("100 bytes", false), Ok(100));
        assert_eq!(parse_size("+4 kB", true), Ok(4096));
        assert_eq!(parse_size("-8 kB", true), Ok(-8192));
        assert!(parse_size("+4 kB", false).is_err());
        assert!(parse_size("64 MiBs", false).is_err());
        assert!(parse_size("1.5 GiB", false).is_err());
        assert!(parse_size("MiB", false).is_err());
        assert!(parse_size("99999999999999 GiB", false).is_err());
    }
}
