//! Structured scenarios for the fuzz targets `play`, `real` and `tui`.
//!
//! The fuzzer's bytes become a [`Plan`] (through `arbitrary`): a machine and
//! a sequence of [`Op`]s. [`Plan::scenario`] writes it out as a scenario file,
//! call by call from the language's own table ([`sim::scenario::calls::CALLS`])
//! and constants ([`sim::scenario::consts::CONSTANTS`]), so that a call or a
//! constant added to the language is fuzzed without touching this file.
//!
//! The writer keeps track of what the checker does (which process is alive,
//! which names it has bound and of what kind, what `send_fd` queued), so
//! nearly every plan is a scenario the checker accepts: the numbers, sizes,
//! offsets, flags and names inside are hostile, not the shape. Plans the
//! checker still refuses are fine (a diagnostic, never a panic) but test
//! less; `tests` below measures how many load.

use arbitrary::{Arbitrary, Unstructured};
use sim::scenario::calls::{ArgKind, CallSig, Returns, Scope, CALLS, PROC_FILES, SYSCTLS};
use sim::scenario::consts::{Family, CONSTANTS};
use std::fmt::Write;

/// Numbers that find edges: page boundaries, sign and width limits.
pub const HOSTILE: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "4095",
    "4096",
    "4097",
    "8191",
    "8192",
    "12288",
    "65536",
    "1048576",
    "0x7fffffff",
    "0x80000000",
    "0xffffffff",
    "0x100000000",
    "0xffffffffffff",
    "0x7ffffffff000",
    "0x800000000000",
    "-4096",
    "-4097",
    "1099511627776",
    "9223372036854775807",
    "-9223372036854775807",
    "0xffffffffffffffff",
    "0x8000000000000000",
    "0777",
    "07777",
    "'A'",
    "PAGE_SIZE",
];

/// Paths: the two filesystems, glibc's shm name rules, and names that
/// try to leave a real run's confinement.
pub const PATHS: &[&str] = &[
    "/dev/shm/a",
    "/dev/shm/b",
    "/tmp/c",
    "/tmp/d",
    "/OS",
    "OS",
    "//x",
    "/a/b",
    "",
    "/",
    "/dev/shm",
    "/dev/shm/",
    "/tmp",
    "/tmp/../etc/passwd",
    "../../etc/passwd",
    "/dev/shm/../../etc/shadow",
    "/proc/self/mem",
    "/proc/self/maps",
    "/proc/meminfo",
    "/etc/passwd",
    "/tmp/fileXXXXXX",
    "/dev/shm/shmXXXXXX",
    "XXXXXX",
    "notes.txt",
    ".",
    "..",
    "/dev/shm/.",
    "/dev/null",
];

/// Bytes to write and store.
pub const DATA: &[&str] = &[
    "",
    "x",
    "hello",
    "Studying Operating Systems Is Fun!",
    "a\\nb",
    "\\0\\0",
    "\\x41\\x42",
    "tab\\there",
    "\\\\",
    "\\\"",
];

/// A machine: indexes into small tables of sizes the checker accepts (and
/// a few it refuses, to reach those diagnostics too).
#[derive(Arbitrary, Debug, Clone)]
pub struct MachinePick {
    ram: u8,
    swap: u8,
    dev_shm: u8,
    kernel: u8,
    index: u8,
}

const RAMS: &[&str] = &["4 MiB", "16 MiB", "64 MiB", "8 MiB", "1 MiB", "128 kB"];
const SWAPS: &[&str] = &["0", "4 MiB", "16 MiB", "64 kB"];
const SHMS: &[&str] = &["", "1 MiB", "64 kB", "8 MiB", "4096"];
const KERNELS: &[&str] = &["", "4.14", "4.17", "4.20", "5.4", "5.16", "6.1"];

/// A number written into a statement.
#[derive(Arbitrary, Debug, Clone)]
pub enum Num {
    /// One of [`HOSTILE`].
    Hostile(u8),
    /// A small count.
    Small(u8),
    /// A number of pages.
    Pages(u8),
    /// Anything.
    Raw(i64),
    /// An expression: `a + b`, `a * b`, `-(a)`.
    Sum(Box<Num>, Box<Num>),
    Product(Box<Num>, Box<Num>),
    Neg(Box<Num>),
}

impl Num {
    fn write(&self, out: &mut String, depth: u8) {
        match self {
            Num::Hostile(i) => out.push_str(HOSTILE[*i as usize % HOSTILE.len()]),
            Num::Small(n) => {
                let _ = write!(out, "{n}");
            }
            Num::Pages(n) => {
                let _ = write!(out, "{}", u64::from(*n % 40) * 4096);
            }
            Num::Raw(n) => {
                let _ = write!(out, "{n}");
            }
            Num::Sum(a, b) | Num::Product(a, b) if depth < 3 => {
                out.push('(');
                a.write(out, depth + 1);
                out.push_str(if matches!(self, Num::Sum(..)) {
                    " + "
                } else {
                    " * "
                });
                b.write(out, depth + 1);
                out.push(')');
            }
            Num::Neg(a) if depth < 3 => {
                out.push_str("-(");
                a.write(out, depth + 1);
                out.push(')');
            }
            _ => out.push('0'),
        }
    }

    /// The number as a `tame` one: small and page-sized, for real runs that
    /// must stay under the memory cap.
    fn write_tame(&self, out: &mut String) {
        let n = match self {
            Num::Hostile(i) => [0u64, 1, 4095, 4096, 4097, 8192, 12288][*i as usize % 7],
            Num::Small(n) => u64::from(*n),
            Num::Pages(n) => u64::from(*n % 16) * 4096,
            Num::Raw(n) => n.unsigned_abs() % (1 << 16),
            _ => 4096,
        };
        let _ = write!(out, "{n}");
    }
}

/// An integer argument of a constant family.
#[derive(Arbitrary, Debug, Clone)]
pub enum IntArg {
    /// A number.
    Num(Num),
    /// Up to three constants of the argument's families, or'ed.
    Flags(u8, u8, u8, u8),
    /// Constants or'ed with a number (mode bits, stray bits).
    Mixed(u8, Num),
}

/// Which bound name an argument uses, or a literal instead.
#[derive(Arbitrary, Debug, Clone)]
pub enum Pick {
    /// The `n`-th name of the right kind (modulo how many there are).
    Name(u8),
    /// A pointer name plus or minus an offset.
    Offset(u8, bool, Num),
    /// A literal number (an fd or id nobody holds) or `NULL`.
    Literal(Num),
    /// A string from the tables, or a name bound to one.
    Str(u8),
}

/// One step of a plan.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// A call of [`CALLS`]: which one, which process, whether its result is
    /// bound, and the raw material of its arguments.
    Call {
        call: u8,
        proc: u8,
        bind: bool,
        args: [Arg; 6],
    },
    /// `p[i] = v`.
    Store {
        proc: u8,
        ptr: u8,
        at: Num,
        value: Num,
    },
    /// `c = p[i]`.
    Load { proc: u8, ptr: u8, at: Num },
    /// `name = value`: a C local (a string, a number or a pointer).
    Local { proc: u8, what: Pick, num: Num },
    /// `buf.shm_perm.mode = v` on a buffer IPC_STAT filled.
    SetField { proc: u8, buf: u8, value: Num },
}

/// The raw material of one argument, read as the argument's kind needs.
#[derive(Arbitrary, Debug, Clone)]
pub struct Arg {
    pick: Pick,
    int: IntArg,
}

/// A whole scenario.
#[derive(Arbitrary, Debug, Clone)]
pub struct Plan {
    pub machine: MachinePick,
    pub procs: u8,
    pub ops: Vec<Op>,
}

/// What the writer knows of one process, as the checker will.
#[derive(Clone, Debug, Default)]
struct Proc {
    name: String,
    alive: bool,
    fds: Vec<String>,
    maps: Vec<String>,
    ids: Vec<String>,
    keys: Vec<String>,
    strs: Vec<String>,
    ints: Vec<String>,
    stat_bufs: Vec<String>,
    queued: usize,
}

/// How hostile the numbers may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Anything (the model).
    Model,
    /// Sizes under the memory cap, no machine-wide steps and no look steps
    /// (they read the whole host), no `ls`/`cat` of host paths: what a real
    /// run can compare with the model.
    Real,
}

/// Writes TOML basic-string text.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pick<'a>(v: &'a [String], i: u8) -> Option<&'a String> {
    if v.is_empty() {
        None
    } else {
        Some(&v[i as usize % v.len()])
    }
}

/// Constants of the families (any constant when `families` is empty).
fn consts_of(families: &[Family]) -> Vec<&'static str> {
    CONSTANTS
        .iter()
        .filter(|c| {
            families.is_empty() || families.contains(&c.family) || c.family == Family::Value
        })
        .map(|c| c.name)
        .collect()
}

struct Writer {
    mode: Mode,
    procs: Vec<Proc>,
    next_name: usize,
    steps: String,
    count: usize,
}

impl Writer {
    fn fresh(&mut self, stem: &str) -> String {
        self.next_name += 1;
        format!("{stem}{}", self.next_name)
    }

    fn alive(&self, i: u8) -> Option<usize> {
        let alive: Vec<usize> = (0..self.procs.len())
            .filter(|&p| self.procs[p].alive)
            .collect();
        if alive.is_empty() {
            None
        } else {
            Some(alive[i as usize % alive.len()])
        }
    }

    fn step(&mut self, proc: Option<usize>, stmt: &str) {
        self.steps.push_str("\n[[step]]\n");
        if let Some(p) = proc {
            let _ = writeln!(self.steps, "proc = {}", toml_str(&self.procs[p].name));
        }
        let _ = writeln!(self.steps, "do = {}", toml_str(stmt));
        self.count += 1;
    }

    fn num(&self, n: &Num, out: &mut String) {
        match self.mode {
            Mode::Model => n.write(out, 0),
            Mode::Real => n.write_tame(out),
        }
    }

    fn int(&self, a: &IntArg, families: &[Family], out: &mut String) {
        match a {
            IntArg::Num(n) => self.num(n, out),
            IntArg::Flags(k, x, y, z) => {
                let cs = consts_of(families);
                let k = 1 + *k as usize % 3;
                for (i, c) in [x, y, z].iter().take(k).enumerate() {
                    if i > 0 {
                        out.push_str(" | ");
                    }
                    out.push_str(cs[**c as usize % cs.len()]);
                }
            }
            IntArg::Mixed(c, n) => {
                let cs = consts_of(families);
                out.push_str(cs[*c as usize % cs.len()]);
                out.push_str(" | ");
                match self.mode {
                    Mode::Model => n.write(out, 0),
                    // Mode bits only: stray flag bits are the model's to test.
                    Mode::Real => out.push_str("0600"),
                }
            }
        }
    }

    fn string(&self, p: &Proc, i: u8, table: &[&str]) -> String {
        if i >= 200 {
            if let Some(s) = pick(&p.strs, i) {
                return s.clone();
            }
        }
        format!("\"{}\"", table[i as usize % table.len()])
    }

    fn ptr(&self, p: &Proc, a: &Arg, out: &mut String) -> bool {
        match &a.pick {
            Pick::Name(i) | Pick::Str(i) => match pick(&p.maps, *i) {
                Some(m) => out.push_str(m),
                None => out.push_str("NULL"),
            },
            Pick::Offset(i, plus, n) => match pick(&p.maps, *i) {
                Some(m) => {
                    out.push_str(m);
                    out.push_str(if *plus { " + " } else { " - " });
                    self.num(n, out);
                }
                None => out.push_str("NULL"),
            },
            Pick::Literal(_) => out.push_str("NULL"),
        }
        true
    }

    /// Writes one argument; false when the kind cannot be written here.
    fn arg(&self, proc: usize, sig: &CallSig, k: usize, a: &Arg, out: &mut String) -> bool {
        let p = &self.procs[proc];
        let literal = |out: &mut String| match &a.pick {
            Pick::Literal(n) => self.num(n, out),
            _ => self.int(&a.int, &[], out),
        };
        match sig.params[k].kind {
            ArgKind::Int(f) => self.int(&a.int, f, out),
            ArgKind::Fd => match (&a.pick, pick(&p.fds, 0)) {
                (Pick::Name(i), Some(_)) | (Pick::Str(i), Some(_)) => {
                    out.push_str(pick(&p.fds, *i).expect("non-empty"))
                }
                _ => literal(out),
            },
            ArgKind::ShmId => match (&a.pick, pick(&p.ids, 0)) {
                (Pick::Name(i), Some(_)) | (Pick::Str(i), Some(_)) => {
                    out.push_str(pick(&p.ids, *i).expect("non-empty"))
                }
                _ => literal(out),
            },
            ArgKind::Key => match (&a.pick, pick(&p.keys, 0)) {
                (Pick::Name(i), Some(_)) => out.push_str(pick(&p.keys, *i).expect("non-empty")),
                (Pick::Str(_), _) => out.push_str("IPC_PRIVATE"),
                (Pick::Literal(Num::Small(n)), _) => {
                    let _ = write!(out, "0x{:x}", 0x1234 + u32::from(*n % 4));
                }
                _ => literal(out),
            },
            ArgKind::Ptr => return self.ptr(p, a, out),
            ArgKind::Hint => match &a.pick {
                Pick::Literal(n) if self.mode == Mode::Model => self.num(n, out),
                _ if self.mode == Mode::Real => out.push_str("NULL"),
                _ => return self.ptr(p, a, out),
            },
            ArgKind::Path => {
                let i = match &a.pick {
                    Pick::Str(i) | Pick::Name(i) => *i,
                    _ => 0,
                };
                out.push_str(&self.string(p, i, PATHS))
            }
            ArgKind::Data => {
                let i = match &a.pick {
                    Pick::Str(i) | Pick::Name(i) => *i,
                    _ => 2,
                };
                out.push_str(&self.string(p, i, DATA))
            }
            ArgKind::Src => match &a.pick {
                Pick::Name(i) if !p.maps.is_empty() => {
                    out.push_str(pick(&p.maps, *i).expect("non-empty"))
                }
                Pick::Str(i) | Pick::Name(i) => out.push_str(&self.string(p, *i, DATA)),
                _ => out.push_str("\"hello\""),
            },
            ArgKind::Format => {
                // printf: the format and the arguments it asks for.
                match (&a.pick, pick(&p.maps, 0)) {
                    (Pick::Name(i), Some(_)) => {
                        let _ = write!(out, "\"%s\", {}", pick(&p.maps, *i).expect("non-empty"));
                    }
                    (Pick::Offset(i, _, n), Some(_)) => {
                        let _ = write!(out, "\"%.*s\", ");
                        self.num(n, out);
                        let _ = write!(out, ", {}", pick(&p.maps, *i).expect("non-empty"));
                    }
                    (Pick::Literal(n), _) => {
                        out.push_str("\"%d %x\\n\", ");
                        self.num(n, out);
                        out.push_str(", ");
                        self.num(n, out);
                    }
                    _ => out.push_str("\"plain\\n\""),
                }
            }
            ArgKind::Proc => {
                let i = match &a.pick {
                    Pick::Name(i) | Pick::Str(i) => *i,
                    _ => 0,
                };
                match self.alive(i) {
                    Some(q) => {
                        let _ = write!(out, "\"{}\"", self.procs[q].name);
                    }
                    None => return false,
                }
            }
            ArgKind::ProcPtr => {
                // smaps(proc, mapping): a mapping of the process named first.
                return match pick(&p.maps, 0) {
                    Some(m) => {
                        out.push_str(m);
                        true
                    }
                    None => false,
                };
            }
            ArgKind::ShmBuf => match &a.pick {
                Pick::Literal(_) => out.push_str("NULL"),
                Pick::Name(i) if !p.stat_bufs.is_empty() => {
                    let _ = write!(out, "&{}", pick(&p.stat_bufs, *i).expect("non-empty"));
                }
                _ => out.push_str("&buf"),
            },
            // fstat's and stat's buffer: the one name they bind.
            ArgKind::StatBuf => out.push_str("&st"),
            ArgKind::Sysctl => {
                let i = match &a.pick {
                    Pick::Name(i) | Pick::Str(i) => *i,
                    _ => 0,
                };
                let _ = write!(out, "\"{}\"", SYSCTLS[i as usize % SYSCTLS.len()]);
            }
            ArgKind::ToolArgs => {
                let i = match &a.pick {
                    Pick::Name(i) | Pick::Str(i) => *i as usize,
                    _ => 0,
                };
                let opts: &[&str] = match sig.name {
                    "free" => &["", "-k", "-h -w", "-m", "-b", "-g", "--si -h"],
                    "ipcs" => &["-m", "-u", "-a", "-m -i 0", "-m -i 1"],
                    "df" => &["/dev/shm", "-h /dev/shm", "-k /tmp", "-h"],
                    "ls" => &["/dev/shm", "-l /dev/shm", "/tmp", "-la /dev/shm"],
                    _ => &[""],
                };
                let _ = write!(out, "\"{}\"", opts[i % opts.len()]);
            }
        }
        let _ = (sig, literal);
        true
    }

    fn call(&mut self, op: &Op) {
        let Op::Call {
            call,
            proc,
            bind,
            args,
        } = op
        else {
            return;
        };
        let sig = &CALLS[*call as usize % CALLS.len()];
        if self.mode == Mode::Real && sig.scope != Scope::Process {
            return;
        }
        let p = match sig.scope {
            Scope::Process => match self.alive(*proc) {
                Some(p) => Some(p),
                None => return,
            },
            _ => None,
        };
        // The process whose names the arguments use: for look steps, the one
        // `pmap`/`smaps` name (the first argument), else the first alive.
        let names_of = match p {
            Some(p) => p,
            None => match self.alive(match &args[0].pick {
                Pick::Name(i) | Pick::Str(i) => *i,
                _ => 0,
            }) {
                Some(q) => q,
                None if sig
                    .params
                    .iter()
                    .all(|p| !matches!(p.kind, ArgKind::Proc | ArgKind::ProcPtr)) =>
                {
                    usize::MAX
                }
                None => return,
            },
        };
        match sig.name {
            "recv_fd" if p.is_some_and(|p| self.procs[p].queued == 0) => return,
            "cat" if self.mode == Mode::Real => return,
            _ => {}
        }
        let mut text = String::new();
        let bound = match sig.returns {
            Returns::Nothing => None,
            Returns::Child => Some(self.fresh("kid")),
            _ if *bind || sig.returns == Returns::Fd || sig.returns == Returns::Mapping => {
                Some(self.fresh(match sig.returns {
                    Returns::Fd => "fd",
                    Returns::Mapping | Returns::Pointer => "m",
                    Returns::ShmId => "id",
                    Returns::Key => "key",
                    _ => "n",
                }))
            }
            _ => None,
        };
        if let Some(b) = &bound {
            let _ = write!(text, "{b} = ");
        }
        text.push_str(sig.name);
        text.push('(');
        // How many arguments: the required ones, and the optional ones the
        // raw material asks for.
        let n = sig.params.len().min(6);
        let take = if n > sig.required && matches!(args[5].pick, Pick::Literal(_)) {
            n
        } else {
            sig.required.min(n)
        };
        let mut stat_buf = None;
        for (k, a) in args.iter().enumerate().take(take) {
            if k > 0 {
                text.push_str(", ");
            }
            if names_of == usize::MAX {
                // A look step with no process to take names from.
                match sig.params[k].kind {
                    ArgKind::ToolArgs | ArgKind::Path | ArgKind::Sysctl | ArgKind::Int(_) => {}
                    _ => return,
                }
                let dummy = self.procs.len();
                self.procs.push(Proc::default());
                let ok = self.arg(dummy, sig, k, a, &mut text);
                self.procs.pop();
                if !ok {
                    return;
                }
                continue;
            }
            if sig.params[k].kind == ArgKind::ShmBuf && text.ends_with("&") {
                // unreachable: ShmBuf writes its own `&`
            }
            if !self.arg(names_of, sig, k, a, &mut text) {
                return;
            }
            if sig.params[k].kind == ArgKind::ShmBuf && text.ends_with("&buf") {
                let fresh = self.fresh("buf");
                text.truncate(text.len() - 3);
                text.push_str(&fresh);
                stat_buf = Some(fresh);
            }
        }
        if sig.name == "cat" && names_of == usize::MAX && text.ends_with("(") {
            return;
        }
        text.push(')');
        if sig.name == "cat" {
            // cat takes /proc files or absolute paths.
            let i = match &args[0].pick {
                Pick::Str(i) | Pick::Name(i) => *i as usize,
                _ => 0,
            };
            text = format!("cat(\"{}\")", PROC_FILES[i % PROC_FILES.len()]);
        }
        self.step(p, &text);
        // What the checker now knows.
        let Some(p) = p else { return };
        if let Some(b) = stat_buf {
            if text.contains("IPC_STAT") || text.contains("SHM_STAT") {
                self.procs[p].stat_bufs.push(b);
            }
        }
        match sig.name {
            "exit" => {
                self.procs[p].alive = false;
                return;
            }
            "recv_fd" => self.procs[p].queued -= 1,
            "send_fd" => {
                let to = text
                    .split('"')
                    .nth(1)
                    .and_then(|n| self.procs.iter().position(|q| q.name == n));
                if let Some(q) = to {
                    self.procs[q].queued += 1;
                }
            }
            _ => {}
        }
        let Some(b) = bound else { return };
        let me = &mut self.procs[p];
        match sig.returns {
            Returns::Fd => me.fds.push(b),
            Returns::Mapping | Returns::Pointer => me.maps.push(b),
            Returns::ShmId => me.ids.push(b),
            Returns::Key => me.keys.push(b),
            Returns::Int => me.ints.push(b),
            Returns::Child => {
                let mut child = me.clone();
                child.name = b;
                child.queued = 0;
                child.stat_bufs.clear();
                self.procs.push(child);
            }
            Returns::Nothing => {}
        }
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::Call { .. } => self.call(op),
            Op::Store {
                proc,
                ptr,
                at,
                value,
            } => {
                let Some(p) = self.alive(*proc) else { return };
                let Some(m) = pick(&self.procs[p].maps, *ptr).cloned() else {
                    return;
                };
                let mut t = format!("{m}[");
                self.num(at, &mut t);
                t.push_str("] = ");
                self.num(value, &mut t);
                self.step(Some(p), &t);
            }
            Op::Load { proc, ptr, at } => {
                let Some(p) = self.alive(*proc) else { return };
                let Some(m) = pick(&self.procs[p].maps, *ptr).cloned() else {
                    return;
                };
                let c = self.fresh("c");
                let mut t = format!("{c} = {m}[");
                self.num(at, &mut t);
                t.push(']');
                self.step(Some(p), &t);
                self.procs[p].ints.push(c);
            }
            Op::Local { proc, what, num } => {
                let Some(p) = self.alive(*proc) else { return };
                match what {
                    Pick::Str(i) => {
                        let s = self.fresh("s");
                        let v = PATHS[*i as usize % PATHS.len()];
                        self.step(Some(p), &format!("{s} = \"{v}\""));
                        self.procs[p].strs.push(s);
                    }
                    Pick::Offset(i, plus, n) => {
                        let Some(m) = pick(&self.procs[p].maps, *i).cloned() else {
                            return;
                        };
                        let q = self.fresh("q");
                        let mut t = format!("{q} = {m} {} ", if *plus { "+" } else { "-" });
                        self.num(n, &mut t);
                        self.step(Some(p), &t);
                        self.procs[p].maps.push(q);
                    }
                    _ => {
                        let v = self.fresh("v");
                        let mut t = format!("{v} = ");
                        self.num(num, &mut t);
                        self.step(Some(p), &t);
                        self.procs[p].ints.push(v);
                    }
                }
            }
            Op::SetField { proc, buf, value } => {
                let Some(p) = self.alive(*proc) else { return };
                let Some(b) = pick(&self.procs[p].stat_bufs, *buf).cloned() else {
                    return;
                };
                let mut t = format!("{b}.shm_perm.mode = ");
                self.num(value, &mut t);
                self.step(Some(p), &t);
            }
        }
    }
}

impl Plan {
    /// The plan as a scenario file, at most `max_steps` steps.
    pub fn scenario(&self, mode: Mode, max_steps: usize) -> String {
        let m = &self.machine;
        let mut out = String::from("title = \"fuzz\"\n");
        let nprocs = 1 + self.procs as usize % 3;
        let names: Vec<String> = (0..nprocs).map(|i| format!("p{i}")).collect();
        let _ = writeln!(
            out,
            "procs = [{}]",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        out.push_str("\n[machine]\n");
        let (ram, swap) = match mode {
            Mode::Model => (
                RAMS[m.ram as usize % RAMS.len()],
                SWAPS[m.swap as usize % SWAPS.len()],
            ),
            Mode::Real => ("16 MiB", "0"),
        };
        let _ = writeln!(out, "ram = \"{ram}\"\nswap = \"{swap}\"");
        let shm = SHMS[m.dev_shm as usize % SHMS.len()];
        if !shm.is_empty() && mode == Mode::Model {
            let _ = writeln!(out, "dev_shm = \"{shm}\"");
        }
        let kernel = KERNELS[m.kernel as usize % KERNELS.len()];
        if !kernel.is_empty() {
            let _ = writeln!(out, "kernel = \"{kernel}\"");
        }
        if m.index % 4 == 1 && mode == Mode::Model {
            out.push_str("index = \"xarray\"\n");
        }
        let mut w = Writer {
            mode,
            procs: names
                .into_iter()
                .map(|name| Proc {
                    name,
                    alive: true,
                    ..Proc::default()
                })
                .collect(),
            next_name: 0,
            steps: String::new(),
            count: 0,
        };
        for op in &self.ops {
            if w.count >= max_steps {
                break;
            }
            w.op(op);
        }
        out.push_str(&w.steps);
        out
    }

    /// A plan from raw bytes (for tests and for turning a crash back into a plan).
    pub fn from_bytes(data: &[u8]) -> Option<Plan> {
        Plan::arbitrary_take_rest(Unstructured::new(data)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Most plans are scenarios the checker accepts (else the fuzzer would
    /// spend its time on diagnostics, which `load` already covers).
    #[test]
    fn most_plans_load() {
        let mut seed = 0x2545f4914f6cdd1du64;
        let (mut ok, mut all, mut steps) = (0, 0, 0);
        let mut first_errors = Vec::new();
        for _ in 0..400 {
            let bytes: Vec<u8> = (0..600)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let Some(plan) = Plan::from_bytes(&bytes) else {
                continue;
            };
            for mode in [Mode::Model, Mode::Real] {
                let src = plan.scenario(mode, 40);
                all += 1;
                match sim::scenario::load_str("plan.toml", &src) {
                    Ok(s) => {
                        ok += 1;
                        steps += s.steps.len();
                    }
                    Err(d) if first_errors.len() < 12 => {
                        first_errors.push(sim::scenario::render_diagnostics(&d, &src, false))
                    }
                    Err(_) => {}
                }
            }
        }
        eprintln!("{ok}/{all} plans load, {steps} steps");
        for e in &first_errors {
            eprintln!("{e}");
        }
        assert!(ok * 10 >= all * 8, "{ok}/{all} plans load");
    }
}
