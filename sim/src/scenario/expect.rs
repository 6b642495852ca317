//! `expect`: the observables of the contract, by name, and the values they
//! may be compared with.
//!
//! An `expect` table's keys are observable names, dotted as TOML dots them:
//! `{ pte.ptr = "P", meminfo.Shmem = "+4 kB" }`. A path is a quoted key
//! segment: `data."/dev/shm/OS" = "d-"`, `slot."/dev/shm/OS".0 = "0x48d2"`.
//! The key path is joined with `.` and read as one name, so a quoted
//! `"data./dev/shm/OS"` means the same.
//!
//! | observable | value |
//! | --- | --- |
//! | `ret` | an integer, or a constant's name (`"MAP_FAILED"`) |
//! | `errno` | an errno name (`"EEXIST"`) |
//! | `signal` | a signal name (`"SIGSEGV"`) |
//! | `out` | a string |
//! | `pte.NAME` | one letter per page: `P` present, `s` swap entry, `-` none |
//! | `core.NAME` | one digit per page: `1` resident, `0` not |
//! | `data.PATH` | one letter per page: `d` data, `-` hole (PATH: a path, `/SYSVkey`, or a mapping NAME) |
//! | `smaps.NAME.FIELD` | a size, `"8 kB"` |
//! | `shm.NAME.FIELD` | `size`, `rss`, `swap`: bytes or a size; `nattch`: an integer; `perms`: octal digits as a string (`"666"`); `cpid`, `lpid`: a process name; `key`: an integer, `"IPC_PRIVATE"` or a name bound to a key |
//! | `shm.NAME` | only `"none"`: the segment is gone |
//! | `meminfo.FIELD` | a change since the scenario began: `"+8 kB"`, `"-4 kB"`, `"0 kB"` |
//! | `df.PATH` | a size |
//! | `cache.PATH` | one letter per page index: `P` page, `x` exceptional entry, `-` empty (PATH: a path, `/SYSVkey`, or a mapping NAME) |
//! | `slot.PATH.N` | the slot word: `"0x48d2"`, optionally followed by its decoding (PATH as for `cache`) |
//! | `maps.NAME` | the permissions `/proc/PID/maps` prints for the mapping: `"rw-s"`, `"r--p"`, `"---p"` |
//! | `pte.NAME[N]`, `core.NAME[N]`, `data.PATH[N]`, `cache.PATH[N]` | the one character of page N: `"P"`, `"1"`, `"d"` |
//!
//! A page index goes on the key's last segment, which is then quoted:
//! `pte."p[3]" = "P"`, `"pte.p[3]" = "P"`, `data."/dev/shm/OS[2]" = "d"`; a
//! page past the end reads `"none"`.
//!
//! `"none"` (the object no longer exists) is accepted by `pte`, `core`,
//! `data`, `smaps`, `shm`, `cache`, `slot`, `maps` and one page of a page
//! string.
//!
//! A value that is a number (`ret`, `shm.NAME.nattch`, the sizes of `smaps`,
//! `df` and `shm`, the changes of `meminfo`) may also be a C comparison, as a
//! string: an operator `<`, `<=`, `>`, `>=`, `==` or `!=`, then the value as
//! the observable takes it: `ret = ">= 0"`, `ret = "!= MAP_FAILED"`,
//! `ret = "== (void *) -1"`, `smaps.p.Rss = "> 0 kB"`,
//! `meminfo.Shmem = ">= +8 kB"`. `ret` takes a constant C expression, with
//! or without an operator (`ret = "4 * PAGE_SIZE"`).

use super::consts::{constant, ERRNO_NAMES, SIGNAL_NAMES};
use super::diag::{did_you_mean, Span};
use super::schema::{parse_size, Cx};
use super::tree::{Key, Node, Value};
use super::Spanned;
use std::fmt;

macro_rules! field_enum {
    ($(#[$m:meta])* $ty:ident { $($v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $ty { $($v),* }
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$v),*];
            pub const NAMES: &'static [&'static str] = &[$($s),*];
            pub fn name(self) -> &'static str {
                match self { $($ty::$v => $s),* }
            }
            pub fn from_name(s: &str) -> Option<$ty> {
                match s { $($s => Some($ty::$v),)* _ => None }
            }
        }
    };
}

field_enum!(
    /// A field of `/proc/PID/smaps` for one mapping.
    SmapsField {
        Rss = "Rss", Pss = "Pss", SharedClean = "Shared_Clean", SharedDirty = "Shared_Dirty",
        PrivateClean = "Private_Clean", PrivateDirty = "Private_Dirty", Swap = "Swap",
    }
);

field_enum!(
    /// A column of `/proc/sysvipc/shm` for one segment.
    ShmField {
        Size = "size", Nattch = "nattch", Rss = "rss", Swap = "swap", Perms = "perms",
        Cpid = "cpid", Lpid = "lpid", Key = "key",
    }
);

field_enum!(
    /// A line of `/proc/meminfo` (`SwapUsed` is SwapTotal - SwapFree).
    MeminfoField {
        Shmem = "Shmem", Cached = "Cached", SwapCached = "SwapCached", AnonPages = "AnonPages",
        Mapped = "Mapped", SwapUsed = "SwapUsed", MemFree = "MemFree", Dirty = "Dirty",
        Writeback = "Writeback", Mlocked = "Mlocked",
    }
);

field_enum!(
    /// A line of `/proc/PID/status` for the step's process, in kB.
    StatusField {
        VmLck = "VmLck", RssShmem = "RssShmem", VmSwap = "VmSwap",
    }
);

/// An observable, by its contract name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observable {
    Ret,
    Errno,
    Signal,
    Out,
    /// `pte.NAME`
    Pte(String),
    /// `core.NAME`
    Core(String),
    /// `data.PATH`
    Data(String),
    /// `smaps.NAME.FIELD`
    Smaps(String, SmapsField),
    /// `shm.NAME.FIELD`, or `shm.NAME` (only with `"none"`)
    Shm(String, Option<ShmField>),
    /// `meminfo.FIELD`
    Meminfo(MeminfoField),
    /// `status.FIELD` (of the step's process)
    Status(StatusField),
    /// `df.PATH`
    Df(String),
    /// `cache.PATH` (a path, a `/SYSVkey` name, or a mapping NAME)
    Cache(String),
    /// `slot.PATH.N`
    Slot(String, u64),
    /// `maps.NAME`: the mapping's permissions as `/proc/PID/maps` prints them
    Maps(String),
    /// `pte.NAME[N]`, `core.NAME[N]`, `data.PATH[N]`, `cache.PATH[N]`: page N
    /// of a per-page observable
    Page(Box<Observable>, u64),
}

impl Observable {
    /// The characters a per-page observable writes, one per page, and how to
    /// write them; `None` for an observable that is not per page.
    pub fn page_alphabet(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Observable::Pte(_) => Some(("Ps-", "P present, s swap entry, - none")),
            Observable::Core(_) => Some(("01", "1 resident, 0 not")),
            Observable::Data(_) => Some(("d-", "d data, - hole")),
            Observable::Cache(_) => Some(("Px-", "P page, x exceptional (swap) entry, - empty")),
            _ => None,
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Observable::Ret => f.write_str("ret"),
            Observable::Errno => f.write_str("errno"),
            Observable::Signal => f.write_str("signal"),
            Observable::Out => f.write_str("out"),
            Observable::Pte(n) => write!(f, "pte.{n}"),
            Observable::Core(n) => write!(f, "core.{n}"),
            Observable::Data(p) => write!(f, "data.{p}"),
            Observable::Smaps(n, x) => write!(f, "smaps.{n}.{}", x.name()),
            Observable::Shm(n, Some(x)) => write!(f, "shm.{n}.{}", x.name()),
            Observable::Shm(n, None) => write!(f, "shm.{n}"),
            Observable::Meminfo(x) => write!(f, "meminfo.{}", x.name()),
            Observable::Status(x) => write!(f, "status.{}", x.name()),
            Observable::Df(p) => write!(f, "df.{p}"),
            Observable::Cache(p) => write!(f, "cache.{p}"),
            Observable::Slot(p, n) => write!(f, "slot.{p}.{n}"),
            Observable::Maps(n) => write!(f, "maps.{n}"),
            Observable::Page(o, n) => write!(f, "{o}[{n}]"),
        }
    }
}

/// A C comparison operator of an `expect` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
    /// Does `seen op want` hold?
    pub fn holds(self, seen: i64, want: i64) -> bool {
        match self {
            CmpOp::Lt => seen < want,
            CmpOp::Le => seen <= want,
            CmpOp::Gt => seen > want,
            CmpOp::Ge => seen >= want,
            CmpOp::Eq => seen == want,
            CmpOp::Ne => seen != want,
        }
    }
    /// The operator a value starts with, and the rest.
    fn split(s: &str) -> Option<(CmpOp, &str)> {
        let t = s.trim_start();
        let ops = [
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
        ];
        ops.iter()
            .find_map(|(p, op)| t.strip_prefix(p).map(|r| (*op, r.trim())))
    }
}

/// What an observable is expected to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectValue {
    /// `OP value`: a C comparison with a number (an [`ExpectValue::Int`])
    /// or a size (an [`ExpectValue::Bytes`]).
    Compare(CmpOp, Box<ExpectValue>),
    /// The object no longer exists.
    None,
    /// `ret`, `shm.NAME.nattch`, `shm.NAME.key` as a number.
    Int(i64),
    /// `out`; the per-page strings of `pte`, `core`, `data`, `cache`; a slot word.
    Text(String),
    /// A size in bytes: `smaps`, `df`, `shm` sizes. For `meminfo` a signed change.
    Bytes(i64),
    /// An errno name (`errno`).
    Errno(String),
    /// A signal name (`signal`).
    Signal(String),
    /// A process name (`shm.NAME.cpid`, `shm.NAME.lpid`).
    Proc(String),
    /// Permission bits (`shm.NAME.perms`).
    Perms(u32),
    /// A key named by `IPC_PRIVATE` or a name bound to a key (`shm.NAME.key`).
    KeyName(String),
}

/// One `observable = value` of a step's `expect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub observable: Observable,
    pub value: ExpectValue,
    /// The whole key (`pte.ptr`).
    pub key_span: Span,
    /// The NAME or PATH part of the key, where it has one.
    pub name_span: Option<Span>,
    pub value_span: Span,
}

/// The expectations of a step, not yet checked against the process's names.
pub type RawExpect = Spanned<Vec<Expectation>>;

pub(crate) const KINDS: &[&str] = &[
    "ret", "errno", "signal", "out", "pte", "core", "data", "smaps", "shm", "meminfo", "status",
    "df", "cache", "slot", "maps",
];

const OBSERVABLES_HELP: &str = "observables: ret, errno, signal, out, pte.NAME, core.NAME, data.PATH, smaps.NAME.FIELD, shm.NAME.FIELD, meminfo.FIELD, status.FIELD, df.PATH, cache.PATH, slot.PATH.N, maps.NAME; one page: pte.NAME[N], core.NAME[N], data.PATH[N], cache.PATH[N]";

/// A dotted key path joined into one name, remembering where each piece is.
struct Joined {
    text: String,
    /// (start in `text`, the key)
    pieces: Vec<(usize, Key)>,
    fallback: Span,
}

impl Joined {
    /// The file span of bytes `a..b` of the joined name.
    fn span(&self, cx: &Cx, a: usize, b: usize) -> Span {
        let mut out: Option<Span> = None;
        for (start, key) in &self.pieces {
            let end = start + key.name.len();
            if (b <= *start || a >= end) && !(a == b && a == *start) {
                continue;
            }
            let Some(ks) = key.span else { continue };
            // A bare key is its text; a quoted one gets the whole token.
            let s = if cx.text(ks) == key.name {
                let lo = a.max(*start) - start;
                let hi = b.min(end).max(a.max(*start)) - start;
                Span::new(ks.start + lo, ks.start + hi)
            } else {
                ks
            };
            out = Some(out.map_or(s, |o| o.to(s)));
        }
        out.unwrap_or(self.fallback)
    }
    fn all(&self, cx: &Cx) -> Span {
        self.span(cx, 0, self.text.len())
    }
}

/// Reads an `expect` table.
pub fn read(cx: &mut Cx, node: &Node, fallback: Span) -> Option<RawExpect> {
    let span = node.span.unwrap_or(fallback);
    let Value::Table(entries) = &node.value else {
        cx.error(
            span,
            "`expect` must be a table of observables",
            format!("{} here", node.value.type_name()),
            Some("write `expect = { ret = 0 }`".into()),
        );
        return None;
    };
    let mut leaves = Vec::new();
    flatten(entries, &mut Vec::new(), &mut leaves);
    let mut out = Vec::new();
    for (path, value) in leaves {
        let mut text = String::new();
        let mut pieces = Vec::new();
        for k in path {
            if !text.is_empty() {
                text.push('.');
            }
            pieces.push((text.len(), k.clone()));
            text.push_str(&k.name);
        }
        let j = Joined {
            text,
            pieces,
            fallback: span,
        };
        if let Some(e) = read_one(cx, &j, value) {
            out.push(e);
        }
    }
    Some(Spanned::new(out, span))
}

fn flatten<'n>(
    entries: &'n [(Key, Node)],
    path: &mut Vec<&'n Key>,
    out: &mut Vec<(Vec<&'n Key>, &'n Node)>,
) {
    for (k, v) in entries {
        path.push(k);
        match &v.value {
            Value::Table(inner) => flatten(inner, path, out),
            _ => out.push((path.clone(), v)),
        }
        path.pop();
    }
}

fn read_one(cx: &mut Cx, j: &Joined, value: &Node) -> Option<Expectation> {
    let key_span = j.all(cx);
    let value_span = value.span.unwrap_or(key_span);
    let (text, page) = match page_index(cx, j)? {
        Some((at, n)) => (&j.text[..at], Some(n)),
        None => (j.text.as_str(), None),
    };
    let (kind, rest) = match text.find('.') {
        Some(i) => (&text[..i], Some((i + 1, &text[i + 1..]))),
        None => (text, None),
    };
    let kind_span = j.span(cx, 0, kind.len());
    if !KINDS.contains(&kind) {
        let help = match did_you_mean(kind, KINDS.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? ({OBSERVABLES_HELP})"),
            None => OBSERVABLES_HELP.to_string(),
        };
        cx.error(
            kind_span,
            format!("unknown observable `{text}`"),
            "not an observable",
            Some(help),
        );
        return None;
    }
    let mut name_span = None;
    let bad = |cx: &mut Cx, msg: String, label: &str, help: &str| {
        cx.error(key_span, msg, label.to_string(), Some(help.to_string()));
    };
    let observable = match (kind, rest) {
        ("ret", None) => Observable::Ret,
        ("errno", None) => Observable::Errno,
        ("signal", None) => Observable::Signal,
        ("out", None) => Observable::Out,
        ("ret" | "errno" | "signal" | "out", Some(_)) => {
            bad(
                cx,
                format!("`{kind}` takes no name"),
                "unexpected name",
                &format!("write `{kind} = ...`"),
            );
            return None;
        }
        ("maps", Some((at, name))) if is_ident(name) => {
            name_span = Some(j.span(cx, at, text.len()));
            Observable::Maps(name.to_string())
        }
        ("maps", _) => {
            bad(
                cx,
                "`maps` needs the name of a mapping: `maps.NAME`".into(),
                "no mapping name",
                "NAME is a name bound by `mmap` or `shmat` in this step's process, e.g. `maps.ptr`",
            );
            return None;
        }
        ("pte" | "core", Some((at, name))) if is_ident(name) => {
            name_span = Some(j.span(cx, at, text.len()));
            if kind == "pte" {
                Observable::Pte(name.to_string())
            } else {
                Observable::Core(name.to_string())
            }
        }
        ("pte" | "core", _) => {
            bad(
                cx,
                format!("`{kind}` needs the name of a mapping: `{kind}.NAME`"),
                "no mapping name",
                "NAME is a name bound by `mmap` or `shmat` in this step's process, e.g. `pte.ptr`",
            );
            return None;
        }
        ("df", Some((at, path))) if path.starts_with('/') => {
            name_span = Some(j.span(cx, at, text.len()));
            Observable::Df(path.to_string())
        }
        ("data", Some((at, path))) if path.starts_with('/') || is_ident(path) => {
            name_span = Some(j.span(cx, at, text.len()));
            Observable::Data(path.to_string())
        }
        ("data" | "df", _) => {
            bad(
                cx,
                format!("`{kind}` needs a path: `{kind}.\"/dev/shm/NAME\"`"),
                "no path",
                "a path in a TOML key is quoted: data.\"/dev/shm/OS\"",
            );
            return None;
        }
        ("cache", Some((at, target))) if target.starts_with('/') || is_ident(target) => {
            name_span = Some(j.span(cx, at, text.len()));
            Observable::Cache(target.to_string())
        }
        ("cache", _) => {
            bad(
                cx,
                "`cache` needs a path or a mapping name".to_string(),
                "no path or name",
                "write cache.\"/dev/shm/OS\", cache.\"/SYSV00001234\" or cache.ptr",
            );
            return None;
        }
        ("smaps" | "shm" | "slot", Some((at, rest))) => {
            let (name, field) = match rest.rfind('.') {
                Some(i) => (&rest[..i], Some((at + i + 1, &rest[i + 1..]))),
                None => (rest, None),
            };
            let nspan = j.span(cx, at, at + name.len());
            name_span = Some(nspan);
            match (kind, field) {
                ("smaps", Some((fat, f))) if is_ident(name) => match SmapsField::from_name(f) {
                    Some(x) => Observable::Smaps(name.to_string(), x),
                    None => {
                        field_error(
                            cx,
                            j.span(cx, fat, text.len()),
                            "smaps",
                            f,
                            SmapsField::NAMES,
                        );
                        return None;
                    }
                },
                ("smaps", _) => {
                    bad(
                        cx,
                        "`smaps` needs a mapping and a field: `smaps.NAME.FIELD`".into(),
                        "incomplete",
                        &format!("FIELD is one of {}", SmapsField::NAMES.join(", ")),
                    );
                    return None;
                }
                ("shm", Some((fat, f))) if is_ident(name) => match ShmField::from_name(f) {
                    Some(x) => Observable::Shm(name.to_string(), Some(x)),
                    None => {
                        field_error(cx, j.span(cx, fat, text.len()), "shm", f, ShmField::NAMES);
                        return None;
                    }
                },
                ("shm", None) if is_ident(name) => Observable::Shm(name.to_string(), None),
                ("shm", _) => {
                    bad(
                        cx,
                        "`shm` needs a segment id name: `shm.NAME.FIELD`".into(),
                        "not a name",
                        "NAME is a name bound by `shmget`",
                    );
                    return None;
                }
                (_, Some((fat, n)))
                    if !name.is_empty() && (name.starts_with('/') || is_ident(name)) =>
                {
                    match n.parse::<u64>() {
                        Ok(n) => Observable::Slot(name.to_string(), n),
                        Err(_) => {
                            cx.error(
                                j.span(cx, fat, text.len()),
                                format!("`{n}` is not a slot number"),
                                "not a number",
                                Some("write slot.\"/dev/shm/OS\".0".into()),
                            );
                            return None;
                        }
                    }
                }
                _ => {
                    bad(
                        cx,
                        "`slot` needs a path and a slot number: `slot.PATH.N`".into(),
                        "incomplete",
                        "write slot.\"/dev/shm/OS\".0",
                    );
                    return None;
                }
            }
        }
        ("smaps" | "shm" | "slot", None) => {
            let form = match kind {
                "smaps" => "smaps.NAME.FIELD",
                "shm" => "shm.NAME.FIELD",
                _ => "slot.PATH.N",
            };
            bad(
                cx,
                format!("`{kind}` needs more: `{form}`"),
                "incomplete",
                &format!("write `{form}`"),
            );
            return None;
        }
        ("status", Some((at, f))) => match StatusField::from_name(f) {
            Some(x) => Observable::Status(x),
            None => {
                field_error(
                    cx,
                    j.span(cx, at, text.len()),
                    "status",
                    f,
                    StatusField::NAMES,
                );
                return None;
            }
        },
        ("meminfo", Some((at, f))) => match MeminfoField::from_name(f) {
            Some(x) => Observable::Meminfo(x),
            None => {
                field_error(
                    cx,
                    j.span(cx, at, text.len()),
                    "meminfo",
                    f,
                    MeminfoField::NAMES,
                );
                return None;
            }
        },
        ("meminfo" | "status", None) => {
            let names = if kind == "meminfo" {
                MeminfoField::NAMES
            } else {
                StatusField::NAMES
            };
            bad(
                cx,
                format!("`{kind}` needs a field: `{kind}.FIELD`"),
                "no field",
                &format!("FIELD is one of {}", names.join(", ")),
            );
            return None;
        }
        _ => return None,
    };
    let observable = match page {
        None => observable,
        Some(_) if observable.page_alphabet().is_none() => {
            cx.error(
                key_span,
                format!("`{observable}` has no pages to index"),
                "not a per-page observable",
                Some(
                    "only pte.NAME[N], core.NAME[N], data.PATH[N] and cache.PATH[N] name one page"
                        .into(),
                ),
            );
            return None;
        }
        Some(n) => Observable::Page(Box::new(observable), n),
    };
    let value = read_value(cx, &observable, value, value_span)?;
    Some(Expectation {
        observable,
        value,
        key_span,
        name_span,
        value_span,
    })
}

/// A page index `[N]` ending the joined key (`pte.p[3]`): where the `[`
/// is and N; `Ok(None)` without one. A `[` that does not open a decimal
/// index closed by the key's last `]` is an error, reported at the index.
fn page_index(cx: &mut Cx, j: &Joined) -> Option<Option<(usize, u64)>> {
    let text = j.text.as_str();
    let Some(open) = text.rfind('[') else {
        if let Some(close) = text.rfind(']') {
            cx.error(
                j.span(cx, close, text.len()),
                format!("`{text}`: `]` without its `[`"),
                "unmatched `]`",
                Some("one page of a page string is NAME[N], e.g. \"pte.p[3]\" = \"P\"".into()),
            );
            return None;
        }
        return Some(None);
    };
    let digits = text[open + 1..].strip_suffix(']');
    match digits.map(|d| (d, d.parse::<u64>())) {
        Some((d, Ok(n))) if d.bytes().all(|b| b.is_ascii_digit()) => Some(Some((open, n))),
        _ => {
            let shown = &text[open..];
            cx.error(
                j.span(cx, open, text.len()),
                format!("`{shown}` is not a page index"),
                "not [N]",
                Some("a page index is a decimal number in brackets at the end of the key: \"pte.p[3]\" = \"P\"".into()),
            );
            None
        }
    }
}

fn field_error(cx: &mut Cx, span: Span, kind: &str, f: &str, names: &[&str]) {
    let list = names.join(", ");
    let help = match did_you_mean(f, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? (fields: {list})"),
        None => format!("fields: {list}"),
    };
    cx.error(
        span,
        format!("unknown `{kind}` field `{f}`"),
        format!("not a field of `{kind}`"),
        Some(help),
    );
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch == '_' || ch.is_ascii_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

fn read_value(cx: &mut Cx, o: &Observable, v: &Node, span: Span) -> Option<ExpectValue> {
    let none_ok = matches!(
        o,
        Observable::Pte(_)
            | Observable::Core(_)
            | Observable::Data(_)
            | Observable::Smaps(..)
            | Observable::Shm(..)
            | Observable::Cache(_)
            | Observable::Slot(..)
            | Observable::Maps(_)
            | Observable::Page(..)
    );
    if let Value::String(s) = &v.value {
        if s == "none" && none_ok {
            return Some(ExpectValue::None);
        }
        let numeric = matches!(
            o,
            Observable::Ret
                | Observable::Smaps(..)
                | Observable::Df(_)
                | Observable::Status(_)
                | Observable::Meminfo(_)
                | Observable::Shm(
                    _,
                    Some(ShmField::Nattch | ShmField::Size | ShmField::Rss | ShmField::Swap)
                )
        );
        if let (true, Some((op, rest))) = (numeric, CmpOp::split(s)) {
            return read_compare(cx, o, op, rest, span);
        }
    }
    macro_rules! fail {
        ($what:expr, $help:expr $(,)?) => {{
            cx.error(
                span,
                format!("`{o}` expects {}", $what),
                format!("{} here", v.value.type_name()),
                Some(String::from($help)),
            );
            None
        }};
    }
    let pages = |s: &str, alphabet: &str| !s.is_empty() && s.chars().all(|c| alphabet.contains(c));
    match (o, &v.value) {
        (Observable::Ret, Value::Integer(i)) => Some(ExpectValue::Int(*i)),
        (Observable::Ret, Value::String(s)) if constant(s).is_some() => {
            Some(ExpectValue::Int(constant(s).map_or(0, |c| c.value)))
        }
        (Observable::Ret, Value::String(s)) if const_int(s).is_ok() => {
            const_int(s).ok().map(ExpectValue::Int)
        }
        (Observable::Ret, _) => fail!("an integer", "write `ret = 0`, `ret = -1` or `ret = \"MAP_FAILED\"`"),
        (Observable::Errno, Value::String(s)) if ERRNO_NAMES.contains(&s.as_str()) => {
            Some(ExpectValue::Errno(s.clone()))
        }
        (Observable::Errno, Value::String(s)) => {
            let mut help = "an errno name such as \"ENOENT\", \"EEXIST\", \"EINVAL\"".to_string();
            if let Some(d) = did_you_mean(s, ERRNO_NAMES.iter().copied()) {
                help = format!("did you mean \"{d}\"?");
            }
            cx.error(span, format!("unknown errno `{s}`"), "not a Linux errno name", Some(help));
            None
        }
        (Observable::Errno, _) => fail!("an errno name", "write `errno = \"ENOENT\"`"),
        (Observable::Signal, Value::String(s)) if SIGNAL_NAMES.contains(&s.as_str()) => {
            Some(ExpectValue::Signal(s.clone()))
        }
        (Observable::Signal, Value::String(s)) => {
            let mut help = "a signal name such as \"SIGSEGV\" or \"SIGBUS\"".to_string();
            if let Some(d) = did_you_mean(s, SIGNAL_NAMES.iter().copied()) {
                help = format!("did you mean \"{d}\"?");
            }
            cx.error(span, format!("unknown signal `{s}`"), "not a Linux signal name", Some(help));
            None
        }
        (Observable::Signal, _) => fail!("a signal name", "write `signal = \"SIGSEGV\"`"),
        (Observable::Out, Value::String(s)) => Some(ExpectValue::Text(s.clone())),
        (Observable::Out, _) => fail!("a string", "write `out = \"text\"`"),
        (Observable::Pte(_) | Observable::Core(_) | Observable::Data(_) | Observable::Cache(_), Value::String(s)) => {
            let (alphabet, help) = match o {
                Observable::Pte(_) => ("Ps-", "one letter per page: P present, s swap entry, - none (e.g. \"PP-s\")"),
                Observable::Core(_) => ("01", "one digit per page: 1 resident, 0 not (e.g. \"1100\")"),
                Observable::Data(_) => ("d-", "one letter per page: d data, - hole (e.g. \"dd-d\")"),
                _ => ("Px-", "one letter per page index: P page, x exceptional (swap) entry, - empty"),
            };
            if pages(s, alphabet) || crate::observe::is_page_string(s, alphabet) {
                Some(ExpectValue::Text(s.clone()))
            } else {
                cx.error(span, format!("`{o}` cannot read `{s}`"), "not a page string", Some(format!("{help}; or \"none\"")));
                None
            }
        }
        (Observable::Pte(_) | Observable::Core(_) | Observable::Data(_) | Observable::Cache(_), _) => {
            fail!("a string with one character per page", "e.g. \"PP--\"")
        }
        (Observable::Smaps(..) | Observable::Df(_) | Observable::Status(_), Value::String(s)) => match parse_size(s, false) {
            Ok(b) => Some(ExpectValue::Bytes(b)),
            Err(e) => {
                cx.error(span, format!("`{o}` expects a size: {e}"), "not a size", Some("write a size as /proc writes it: \"8 kB\"".into()));
                None
            }
        },
        (Observable::Smaps(..) | Observable::Df(_) | Observable::Status(_), _) => fail!("a size", "write a size as /proc writes it: \"8 kB\""),
        (Observable::Meminfo(_), Value::String(s)) => match parse_size(s, true) {
            Ok(b) => Some(ExpectValue::Bytes(b)),
            Err(e) => {
                cx.error(span, format!("`{o}` expects a change: {e}"), "not a size change", Some("write a change since the scenario began: \"+8 kB\", \"-4 kB\", \"0 kB\"".into()));
                None
            }
        },
        (Observable::Meminfo(_), _) => fail!("a size change", "write a change since the scenario began: \"+8 kB\""),
        (Observable::Shm(_, None), _) => fail!(
            "\"none\" (the segment is gone)",
            "name a field to compare it: shm.NAME.nattch, shm.NAME.size, ...",
        ),
        (Observable::Shm(_, Some(f)), val) => match (f, val) {
            (ShmField::Size | ShmField::Rss | ShmField::Swap, Value::Integer(i)) if *i >= 0 => Some(ExpectValue::Bytes(*i)),
            (ShmField::Size | ShmField::Rss | ShmField::Swap, Value::String(s)) => match parse_size(s, false) {
                Ok(b) => Some(ExpectValue::Bytes(b)),
                Err(e) => {
                    cx.error(span, format!("`{o}` expects a size: {e}"), "not a size", Some("bytes (4096) or a size (\"4 kB\")".into()));
                    None
                }
            },
            (ShmField::Size | ShmField::Rss | ShmField::Swap, _) => fail!("a size", "bytes (4096) or a size (\"4 kB\")"),
            (ShmField::Nattch, Value::Integer(i)) if *i >= 0 => Some(ExpectValue::Int(*i)),
            (ShmField::Nattch, _) => fail!("a count", "write `shm.id.nattch = 2`"),
            (ShmField::Perms, Value::String(s)) if !s.is_empty() && s.len() <= 6 && s.chars().all(|c| ('0'..='7').contains(&c)) => {
                Some(ExpectValue::Perms(u32::from_str_radix(s, 8).unwrap_or(0)))
            }
            (ShmField::Perms, _) => fail!(
                "permission bits as octal digits in a string",
                "write perms as /proc/sysvipc/shm prints them: `perms = \"666\"` (a TOML integer would be decimal)",
            ),
            (ShmField::Cpid | ShmField::Lpid, Value::String(s)) => Some(ExpectValue::Proc(s.clone())),
            (ShmField::Cpid | ShmField::Lpid, _) => fail!("a process name", "pids are compared as process names: `shm.id.cpid = \"producer\"`"),
            (ShmField::Key, Value::Integer(i)) => Some(ExpectValue::Int(*i)),
            (ShmField::Key, Value::String(s)) if is_ident(s) => Some(ExpectValue::KeyName(s.clone())),
            (ShmField::Key, _) => fail!("a key", "an integer, \"IPC_PRIVATE\", or a name bound by ftok"),
        },
        (Observable::Slot(..), Value::String(s)) if slot_word(s) => Some(ExpectValue::Text(s.clone())),
        (Observable::Slot(..), _) => fail!("a slot word", "write the word in hex as the era writes it: \"0x48d2\", optionally followed by its decoding"),
        (Observable::Maps(_), Value::String(s)) if maps_perms(s) => Some(ExpectValue::Text(s.clone())),
        (Observable::Maps(_), _) => fail!(
            "permissions as /proc/PID/maps prints them",
            "four characters: r or -, w or -, x or -, then s (shared) or p (private): \"rw-s\", \"r--p\"",
        ),
        (Observable::Page(inner, _), val) => {
            let (alphabet, what) = inner.page_alphabet().unwrap_or(("", ""));
            match val {
                Value::String(s) if s.chars().count() == 1 && pages(s, alphabet) => Some(ExpectValue::Text(s.clone())),
                _ => fail!("one character", format!("the character of that one page: {what}; or \"none\"")),
            }
        }
    }
}

/// `OP value`: the value as the observable takes it, as a number or a size.
fn read_compare(
    cx: &mut Cx,
    o: &Observable,
    op: CmpOp,
    rest: &str,
    span: Span,
) -> Option<ExpectValue> {
    let sym = op.symbol();
    let inner = match o {
        Observable::Ret | Observable::Shm(_, Some(ShmField::Nattch)) => match const_int(rest) {
            Ok(v) => ExpectValue::Int(v),
            Err(e) => {
                cx.error(
                    span,
                    format!("`{o}` compares with a constant C expression: {e}"),
                    format!("not a value after `{sym}`"),
                    Some(format!("write `{sym} 0`, `{sym} MAP_FAILED`, `{sym} (void *) -1`, `{sym} 4 * PAGE_SIZE`")),
                );
                return None;
            }
        },
        Observable::Smaps(..)
        | Observable::Df(_)
        | Observable::Shm(_, Some(ShmField::Size | ShmField::Rss | ShmField::Swap))
        | Observable::Meminfo(_) => {
            let signed = matches!(o, Observable::Meminfo(_));
            match parse_size(rest, signed) {
                Ok(b) => ExpectValue::Bytes(b),
                Err(e) => {
                    let example = if signed { "+8 kB" } else { "8 kB" };
                    cx.error(
                        span,
                        format!("`{o}` compares with a size: {e}"),
                        format!("not a size after `{sym}`"),
                        Some(format!("write `{sym} {example}`")),
                    );
                    return None;
                }
            }
        }
        _ => return None,
    };
    Some(ExpectValue::Compare(op, Box::new(inner)))
}

/// A constant C expression (`MAP_FAILED`, `(void *) -1`, `4 * PAGE_SIZE`).
fn const_int(s: &str) -> Result<i64, String> {
    let e = super::parser::parse_expr(s).map_err(|e| e.message)?;
    fold(&e).ok_or_else(|| format!("`{}` is not a constant", s.trim()))
}

fn fold(e: &super::ast::Expr) -> Option<i64> {
    use super::ast::ExprKind as E;
    match &e.kind {
        E::Int(v) => Some(*v),
        E::Char(c) => Some(i64::from(*c)),
        E::Name(n) => constant(n).map(|c| c.value),
        E::Neg(x) => fold(x).map(i64::wrapping_neg),
        E::Not(x) => fold(x).map(|v| !v),
        E::Binary { op, lhs, rhs } => op.apply(fold(lhs)?, fold(rhs)?),
        E::Cast { ty, expr } => fold(expr).map(|v| ty.ty.convert(v)),
        E::SizeofType(t) => t.ty.size(),
        E::Sizeof(x) => match &x.kind {
            E::Str(s) => Some(s.bytes.len() as i64 + 1),
            _ => None,
        },
        E::Strlen(x) => match &x.kind {
            E::Str(s) => Some(
                s.bytes
                    .iter()
                    .position(|&c| c == 0)
                    .unwrap_or(s.bytes.len()) as i64,
            ),
            _ => None,
        },
        _ => None,
    }
}

/// `rw-s`: the four permission characters of a maps line.
fn maps_perms(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4
        && matches!(b[0], b'r' | b'-')
        && matches!(b[1], b'w' | b'-')
        && matches!(b[2], b'x' | b'-')
        && matches!(b[3], b's' | b'p')
}

fn slot_word(s: &str) -> bool {
    let word = s.split_whitespace().next().unwrap_or("");
    word == "0"
        || word
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}
