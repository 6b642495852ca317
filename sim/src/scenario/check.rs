//! Checking a scenario before anything runs: processes, the names each
//! process has bound at each step, calls and their arguments, and the names
//! `expect` uses. Steps are checked in order, as they will run; every error
//! is collected.

use super::ast::*;
use super::calls::{self, ArgKind, CallSig, Param, Returns, Scope, SYSCTLS};
use super::consts::{constant, Constant, Family, CONSTANTS};
use super::diag::{did_you_mean, Lines, Span};
use super::expect::{ExpectValue, Expectation, Observable, ShmField};
use super::schema::{Cx, RawScenario, RawStep};
use super::tree::StrMap;
use super::{Scenario, Spanned, Step};
use crate::syscalls::Command;
use std::collections::BTreeMap;

/// A struct a `shmctl` call fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructKind {
    /// `struct shmid_ds` (`IPC_STAT`, `SHM_STAT`, `SHM_STAT_ANY`; passed back by `IPC_SET`).
    ShmidDs,
    /// `struct shminfo` (`IPC_INFO`).
    ShmInfo,
    /// `struct shm_info` (`SHM_INFO`).
    ShmInfoUsage,
    /// `struct stat` (`fstat`, `stat`).
    Stat,
}

impl StructKind {
    /// `sizeof` on x86_64 (glibc's layouts).
    pub fn size(self) -> i64 {
        match self {
            StructKind::ShmidDs => 112,
            StructKind::ShmInfo => 72,
            StructKind::ShmInfoUsage => 48,
            StructKind::Stat => 144,
        }
    }
    pub fn c_name(self) -> &'static str {
        match self {
            StructKind::ShmidDs => "struct shmid_ds",
            StructKind::ShmInfo => "struct shminfo",
            StructKind::ShmInfoUsage => "struct shm_info",
            StructKind::Stat => "struct stat",
        }
    }
    /// The fields that can be read, dotted from the struct.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            StructKind::ShmidDs => &[
                "shm_perm.key",
                "shm_perm.uid",
                "shm_perm.gid",
                "shm_perm.cuid",
                "shm_perm.cgid",
                "shm_perm.mode",
                "shm_segsz",
                "shm_atime",
                "shm_dtime",
                "shm_ctime",
                "shm_cpid",
                "shm_lpid",
                "shm_nattch",
            ],
            StructKind::ShmInfo => &["shmmax", "shmmin", "shmmni", "shmseg", "shmall"],
            StructKind::ShmInfoUsage => &[
                "used_ids",
                "shm_tot",
                "shm_rss",
                "shm_swp",
                "swap_attempts",
                "swap_successes",
            ],
            StructKind::Stat => STAT_FIELDS,
        }
    }
    /// The fields `IPC_SET` changes, the only ones a statement may set.
    pub fn settable(self) -> &'static [&'static str] {
        match self {
            StructKind::ShmidDs => &["shm_perm.uid", "shm_perm.gid", "shm_perm.mode"],
            _ => &[],
        }
    }
}

/// The fields of `struct stat` a statement may read.
pub const STAT_FIELDS: &[&str] = &[
    "st_dev",
    "st_ino",
    "st_mode",
    "st_nlink",
    "st_uid",
    "st_gid",
    "st_size",
    "st_blksize",
    "st_blocks",
    "st_mtime",
];

/// What a name bound in a process holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Int,
    Fd,
    /// The start of a mapping made by `mmap` or `shmat`.
    Mapping,
    /// A pointer computed from one (`q = p + 8`, `memcpy`'s result).
    Pointer,
    ShmId,
    Key,
    /// A `char name[]` (`name = "/OS"`).
    Str,
    Struct(StructKind),
    /// Bound by a step that has an error; accepted anywhere so that one
    /// error is reported once.
    Unknown,
}

impl NameKind {
    pub fn describe(self) -> &'static str {
        match self {
            NameKind::Int => "an integer",
            NameKind::Fd => "a file descriptor",
            NameKind::Mapping => "a mapping",
            NameKind::Pointer => "a pointer",
            NameKind::ShmId => "a System V shm id",
            NameKind::Key => "a System V key",
            NameKind::Str => "a string",
            NameKind::Struct(StructKind::ShmidDs) => "a struct shmid_ds",
            NameKind::Struct(StructKind::ShmInfo) => "a struct shminfo",
            NameKind::Struct(StructKind::ShmInfoUsage) => "a struct shm_info",
            NameKind::Struct(StructKind::Stat) => "a struct stat",
            NameKind::Unknown => "a value",
        }
    }
}

/// A process of the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub name: String,
    /// The process whose `fork` created it; `None` for those of `procs`.
    pub parent: Option<String>,
    /// The step (0-based) whose `fork` created it.
    pub created_at: Option<usize>,
    /// The step (0-based) whose `exit` ended it.
    pub exited_at: Option<usize>,
}

#[derive(Clone, Debug)]
struct Binding {
    kind: NameKind,
    /// The step (0-based) that bound it.
    step: usize,
    /// The call that bound it, for messages.
    by: String,
    /// The string a `name = "..."` bound, as far as the checker knows it
    /// (for `sizeof(name)` and `strlen(name)` at check time).
    text: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
struct Proc {
    info: ProcInfo,
    alive: bool,
    env: BTreeMap<String, Binding>,
    pending_fds: usize,
}

/// The type of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Ptr,
    Str,
    Struct(StructKind),
    /// Unknown because of an error already reported, or a name of unknown kind.
    Any,
}

impl Ty {
    fn describe(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Ptr => "a pointer",
            Ty::Str => "a string",
            Ty::Struct(StructKind::ShmidDs) => "a struct shmid_ds",
            Ty::Struct(StructKind::ShmInfo) => "a struct shminfo",
            Ty::Struct(StructKind::ShmInfoUsage) => "a struct shm_info",
            Ty::Struct(StructKind::Stat) => "a struct stat",
            Ty::Any => "a value",
        }
    }
}

/// What a step does to the processes, applied after its checks.
#[derive(Default)]
struct Effects {
    bind: Option<(String, NameKind)>,
    /// The string `bind` holds, when it is known.
    bind_text: Option<Vec<u8>>,
    extra: Vec<(String, NameKind)>,
    fork: Option<String>,
    exit: bool,
    send_to: Option<usize>,
    recv: bool,
}

/// The step being checked.
struct At<'s> {
    index: usize,
    map: &'s StrMap,
    /// The process whose names are in scope.
    proc: Option<usize>,
}

struct Checker<'c, 'a> {
    cx: &'c mut Cx<'a>,
    procs: Vec<Proc>,
    /// Process name -> the step (0-based) whose `fork` creates it, for every fork in the file.
    forks: BTreeMap<String, usize>,
    /// (process, name) -> the steps that bind it, for every step in the file.
    binds: BTreeMap<(String, String), Vec<usize>>,
    /// Line of each step's header, for messages.
    step_lines: Vec<usize>,
}

pub fn check(cx: &mut Cx, raw: RawScenario) -> Option<Scenario> {
    let mut forks = BTreeMap::new();
    let mut binds: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let mut step_lines = Vec::new();
    let lines = Lines::of(cx.src);
    for s in &raw.steps {
        step_lines.push(lines.line(s.span.start.min(cx.src.len())));
        let (Some(stmt), Some(p)) = (&s.stmt, &s.proc) else {
            continue;
        };
        if let Some(n) = stmt.kind.binds() {
            binds
                .entry((p.value.clone(), n.name.clone()))
                .or_default()
                .push(s.index);
        }
        if let StmtKind::Assign { name, call } = &stmt.kind {
            if call.name.name == "fork" {
                forks.entry(name.name.clone()).or_insert(s.index);
            }
        }
    }
    let procs = raw
        .procs
        .iter()
        .map(|p| Proc {
            info: ProcInfo {
                name: p.value.clone(),
                parent: None,
                created_at: None,
                exited_at: None,
            },
            alive: true,
            env: BTreeMap::new(),
            pending_fds: 0,
        })
        .collect();
    let mut ch = Checker {
        cx,
        procs,
        forks,
        binds,
        step_lines,
    };
    let mut steps = Vec::new();
    let mut complete = true;
    for rs in raw.steps {
        match ch.step(rs) {
            Some(s) => steps.push(s),
            None => complete = false,
        }
    }
    let title = raw.title?;
    if !complete {
        return None;
    }
    Some(Scenario {
        file: ch.cx.file.to_string(),
        source: ch.cx.src.to_string(),
        title,
        about: raw.about,
        procs: raw.procs,
        machine: raw.machine,
        steps,
        processes: ch.procs.into_iter().map(|p| p.info).collect(),
    })
}

fn is_constant_like(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Checker<'_, '_> {
    fn err(
        &mut self,
        at: &At,
        span: Span,
        msg: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        let fs = at.map.file_span(span);
        self.cx.error(fs, msg, label, help);
    }

    fn proc_index(&self, name: &str) -> Option<usize> {
        self.procs.iter().position(|p| p.info.name == name)
    }

    fn all_proc_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.procs.iter().map(|p| p.info.name.clone()).collect();
        for f in self.forks.keys() {
            if !v.contains(f) {
                v.push(f.clone());
            }
        }
        v
    }

    fn line_of_step(&self, i: usize) -> usize {
        self.step_lines.get(i).copied().unwrap_or(0)
    }

    fn step_ref(&self, i: usize) -> String {
        format!("step {}, line {}", i + 1, self.line_of_step(i))
    }

    /// What an argument of the wrong kind is, for a label: the binding of a
    /// bare name, else its type.
    fn found(&self, at: &At, e: &Expr, t: Ty) -> String {
        match e
            .as_name()
            .and_then(|n| self.binding(at, n).map(|b| (n, b)))
        {
            Some((n, b)) => format!(
                "`{n}` is {} (bound by {} at {})",
                b.kind.describe(),
                b.by,
                self.step_ref(b.step)
            ),
            None => format!("{} here", t.describe()),
        }
    }

    /// Why process `name` cannot make or receive anything at step `now`, if it cannot.
    fn proc_problem(&self, name: &str, now: usize) -> Option<(String, String, Option<String>)> {
        match self.proc_index(name) {
            Some(i) if self.procs[i].alive => None,
            Some(i) => {
                let at = self.procs[i].info.exited_at.unwrap_or(0);
                Some((
                    format!("process `{name}` has exited"),
                    format!("`{name}` called exit() at {}", self.step_ref(at)),
                    Some("a process that has exited makes no more steps".into()),
                ))
            }
            None => match self.forks.get(name) {
                Some(&f) if f >= now => Some((
                    format!("process `{name}` does not exist yet"),
                    format!("created by `{name} = fork()` at {}", self.step_ref(f)),
                    None,
                )),
                Some(&f) => Some((
                    format!("process `{name}` was never created"),
                    format!("the `{name} = fork()` of {} has an error", self.step_ref(f)),
                    None,
                )),
                _ => {
                    let names = self.all_proc_names();
                    let help = match did_you_mean(name, names.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if names.is_empty() => {
                            "list the processes at the top: `procs = [\"producer\", \"consumer\"]`"
                                .into()
                        }
                        None => format!("processes: {}", names.join(", ")),
                    };
                    Some((
                        format!("unknown process `{name}`"),
                        "not in `procs` and not created by an earlier `fork()`".into(),
                        Some(help),
                    ))
                }
            },
        }
    }

    fn step(&mut self, rs: RawStep) -> Option<Step> {
        let map = &rs.do_map;
        // The process that makes the step.
        let mut proc_ok = !rs.proc_bad;
        let mut proc: Option<usize> = None;
        if let Some(p) = &rs.proc {
            if let Some((m, l, h)) = self.proc_problem(&p.value, rs.index) {
                self.cx.error(p.span, m, l, h);
                proc_ok = false;
            } else {
                proc = self.proc_index(&p.value);
            }
        }
        let sig = rs
            .stmt
            .as_ref()
            .and_then(|s| s.kind.call())
            .and_then(|c| calls::call(&c.name.name));
        let scope = match rs.stmt.as_ref().map(|s| &s.kind) {
            Some(StmtKind::Call(_) | StmtKind::Assign { .. }) => sig.map(|s| s.scope),
            Some(_) => Some(Scope::Process),
            None => None,
        };
        let at = At {
            index: rs.index,
            map,
            proc,
        };
        // Whether to check the statement, and with which process's names.
        let mut check_in: Option<Option<usize>> = if proc_ok { Some(proc) } else { None };
        let mut env_known = proc_ok;
        match (scope, &rs.proc) {
            (Some(Scope::Machine | Scope::Look), Some(p)) => {
                let name = sig.map_or("this call", |s| s.name);
                let what = if scope == Some(Scope::Machine) {
                    "machine-wide"
                } else {
                    "a look step"
                };
                self.cx.error(
                    p.span,
                    format!("`{name}` is {what}: it takes no `proc`"),
                    "no process makes this step",
                    Some(format!("remove `proc = \"{}\"`", p.value)),
                );
                check_in = Some(None);
            }
            (Some(Scope::Process), None) if !rs.proc_bad => {
                let stmt = rs
                    .stmt
                    .as_ref()
                    .map(|s| (s.span, s.kind.call().map(|c| c.name.span)));
                let span = stmt.map_or(Span::new(0, 0), |(s, c)| c.unwrap_or(s));
                let what = match sig {
                    Some(s) => format!(
                        "`{}` is made by a process, but this step has no `proc`",
                        s.name
                    ),
                    None => {
                        "this statement is made by a process, but this step has no `proc`".into()
                    }
                };
                let names: Vec<String> = self
                    .procs
                    .iter()
                    .filter(|p| p.alive)
                    .map(|p| p.info.name.clone())
                    .collect();
                let help = match names.first() {
                    Some(n) => format!(
                        "add `proc = \"{n}\"` (or another process: {})",
                        names.join(", ")
                    ),
                    None => "add `proc = \"NAME\"` and list the process in `procs`".into(),
                };
                self.err(&at, span, what, "made by which process?", Some(help));
                check_in = None;
                env_known = false;
            }
            _ => {}
        }

        let mut fx = Effects::default();
        match (&rs.stmt, check_in) {
            (Some(stmt), Some(p)) => {
                let at = At {
                    index: rs.index,
                    map,
                    proc: p,
                };
                self.stmt(&at, stmt, sig, &mut fx);
            }
            (Some(stmt), None) => {
                if let Some(n) = stmt.kind.binds() {
                    fx.bind = Some((n.name.clone(), NameKind::Unknown));
                }
            }
            (None, _) => {
                // The statement did not parse: keep the name it seems to bind,
                // so that later steps do not report it as unknown.
                if let Some(n) = rs.do_.as_ref().and_then(|d| leading_binding(&d.value)) {
                    fx.bind = Some((n, NameKind::Unknown));
                }
            }
        }
        // Apply the step.
        if let (Some(pi), true) = (proc, proc_ok) {
            if scope == Some(Scope::Process) || scope.is_none() {
                self.apply(pi, rs.index, &rs, fx);
            }
        }
        // Expectations see the names as the step left them.
        let env_proc = match (scope, rs.stmt.as_ref()) {
            (Some(Scope::Look), Some(stmt)) => stmt
                .kind
                .call()
                .and_then(|c| c.args.first())
                .and_then(proc_arg_name)
                .and_then(|n| self.proc_index(&n))
                .filter(|&i| self.procs[i].alive),
            _ if proc_ok => proc,
            _ => None,
        };
        let env_known = env_known && (rs.stmt.is_some() || rs.proc.is_none());
        if let Some(e) = &rs.expect {
            self.expect(&rs, e, env_proc, env_known, scope);
        }

        let (stmt, do_) = (rs.stmt?, rs.do_?);
        Some(Step {
            index: rs.index,
            span: rs.span,
            proc: rs.proc,
            do_,
            call: sig,
            stmt,
            say: rs.say,
            expect: rs.expect,
            quiz: rs.quiz,
            do_map: rs.do_map,
        })
    }

    fn apply(&mut self, pi: usize, index: usize, rs: &RawStep, fx: Effects) {
        let by = match rs.stmt.as_ref().map(|s| &s.kind) {
            Some(StmtKind::Call(c) | StmtKind::Assign { call: c, .. }) => {
                format!("{}()", c.name.name)
            }
            Some(StmtKind::Load { .. }) => "a load".to_string(),
            _ => "an assignment".to_string(),
        };
        if let Some((name, kind)) = fx.bind {
            self.procs[pi].env.insert(
                name,
                Binding {
                    kind,
                    step: index,
                    by: by.clone(),
                    text: fx.bind_text,
                },
            );
        }
        for (name, kind) in fx.extra {
            self.procs[pi].env.insert(
                name,
                Binding {
                    kind,
                    step: index,
                    by: by.clone(),
                    text: None,
                },
            );
        }
        if let Some(to) = fx.send_to {
            self.procs[to].pending_fds += 1;
        }
        if fx.recv {
            self.procs[pi].pending_fds = self.procs[pi].pending_fds.saturating_sub(1);
        }
        if let Some(child) = fx.fork {
            let mut env = self.procs[pi].env.clone();
            if let Some(b) = env.get_mut(&child) {
                b.kind = NameKind::Int;
            }
            let parent = self.procs[pi].info.name.clone();
            self.procs.push(Proc {
                info: ProcInfo {
                    name: child,
                    parent: Some(parent),
                    created_at: Some(index),
                    exited_at: None,
                },
                alive: true,
                env,
                pending_fds: 0,
            });
        }
        if fx.exit {
            let p = &mut self.procs[pi];
            p.alive = false;
            p.info.exited_at = Some(index);
            p.env.clear();
        }
    }

    // ---- statements -------------------------------------------------------

    fn stmt(&mut self, at: &At, stmt: &Stmt, sig: Option<&'static CallSig>, fx: &mut Effects) {
        match &stmt.kind {
            StmtKind::Call(call) => {
                if let Some(sig) = self.call(at, call, sig, fx) {
                    if sig.returns == Returns::Child {
                        self.err(
                            at,
                            call.span,
                            "`fork()` needs a name for the child",
                            "the child process has no name",
                            Some(
                                "write `child = fork()`; the child is then the process `child`"
                                    .into(),
                            ),
                        );
                    }
                }
            }
            StmtKind::Assign { name, call } => {
                let ok_name = self.bindable(at, name);
                let kind = match self.call(at, call, sig, fx) {
                    Some(sig) => match sig.returns {
                        Returns::Int => NameKind::Int,
                        Returns::Fd => NameKind::Fd,
                        Returns::Mapping => NameKind::Mapping,
                        Returns::Pointer => NameKind::Pointer,
                        Returns::ShmId => NameKind::ShmId,
                        Returns::Key => NameKind::Key,
                        Returns::Child => {
                            if ok_name {
                                self.fork_name(at, name, fx);
                            }
                            NameKind::Int
                        }
                        Returns::Nothing => {
                            let why = match sig.scope {
                                Scope::Process => format!("`{}` does not return", sig.name),
                                Scope::Machine => format!(
                                    "`{}` is machine-wide: no process gets its result",
                                    sig.name
                                ),
                                Scope::Look => format!(
                                    "`{}` is a look step: it prints, and returns nothing",
                                    sig.name
                                ),
                            };
                            self.err(
                                at,
                                name.span,
                                format!(
                                    "`{}` cannot be bound to the result of `{}`",
                                    name.name, sig.name
                                ),
                                why,
                                Some(format!("write `{}` on its own", sig.usage())),
                            );
                            NameKind::Unknown
                        }
                    },
                    None => NameKind::Unknown,
                };
                if ok_name {
                    fx.bind = Some((name.name.clone(), kind));
                }
            }
            StmtKind::Let { name, value } => {
                let ok_name = self.bindable(at, name);
                let kind = match &value.kind {
                    ExprKind::AddrOf(_) => {
                        self.err(
                            at,
                            value.span,
                            "`&` only passes a struct buffer to `shmctl`",
                            "not here",
                            None,
                        );
                        NameKind::Unknown
                    }
                    _ => match self.ty(at, value) {
                        Ty::Int => NameKind::Int,
                        Ty::Ptr => NameKind::Pointer,
                        Ty::Str => {
                            fx.bind_text = self.const_str(at, value);
                            NameKind::Str
                        }
                        Ty::Struct(k) => {
                            self.err(
                                at,
                                value.span,
                                format!("cannot copy {}", k.c_name()),
                                "a struct",
                                Some("read its fields instead: `n = buf.shm_nattch`".into()),
                            );
                            NameKind::Unknown
                        }
                        Ty::Any => NameKind::Unknown,
                    },
                };
                if ok_name {
                    fx.bind = Some((name.name.clone(), kind));
                }
            }
            StmtKind::Store { place, value } => {
                self.place(at, place);
                match self.ty(at, value) {
                    Ty::Int | Ty::Any => {}
                    Ty::Str => self.err(
                        at,
                        value.span,
                        "a store writes one byte, not a string",
                        "a string",
                        Some("copy a string with `memcpy(p, \"text\", n)`; store a byte as `p[i] = 'x'`".into()),
                    ),
                    t => self.err(at, value.span, format!("a store writes one byte, not {}", t.describe()), t.describe(), None),
                }
            }
            StmtKind::Load { name, place } => {
                let ok_name = self.bindable(at, name);
                self.place(at, place);
                if ok_name {
                    fx.bind = Some((name.name.clone(), NameKind::Int));
                }
            }
            StmtKind::SetField { target, value } => {
                let kind = self.field_path(at, target);
                if let Some(k) = kind {
                    let dotted = target.dotted();
                    if !k.settable().contains(&dotted.as_str())
                        && k.fields().contains(&dotted.as_str())
                    {
                        let help = if k.settable().is_empty() {
                            format!("{} is only read", k.c_name())
                        } else {
                            format!("IPC_SET changes only {}", k.settable().join(", "))
                        };
                        self.err(
                            at,
                            target.span,
                            format!("`{dotted}` cannot be set"),
                            "read-only field",
                            Some(help),
                        );
                    }
                }
                match self.ty(at, value) {
                    Ty::Int | Ty::Any => {}
                    t => self.err(
                        at,
                        value.span,
                        format!("a field holds an integer, not {}", t.describe()),
                        t.describe(),
                        None,
                    ),
                }
            }
        }
    }

    /// Whether `name` may be bound (it is not a constant).
    fn bindable(&mut self, at: &At, name: &Ident) -> bool {
        if constant(&name.name).is_some() {
            self.err(
                at,
                name.span,
                format!("cannot bind `{}`: it is a constant", name.name),
                "a constant",
                Some("choose another name".into()),
            );
            return false;
        }
        true
    }

    fn fork_name(&mut self, at: &At, name: &Ident, fx: &mut Effects) {
        if let Some(i) = self.proc_index(&name.name) {
            let when = match self.procs[i].info.created_at {
                Some(s) => format!("created at {}", self.step_ref(s)),
                None => "listed in `procs`".into(),
            };
            self.err(
                at,
                name.span,
                format!("a process named `{}` already exists", name.name),
                when,
                Some(
                    "`child = fork()` names the new process `child`; choose a name no process has"
                        .into(),
                ),
            );
            return;
        }
        if !super::schema::valid_proc_name(&name.name) {
            return;
        }
        fx.fork = Some(name.name.clone());
    }

    fn place(&mut self, at: &At, place: &Place) {
        match self.ty(at, &place.base) {
            Ty::Ptr | Ty::Any => {}
            Ty::Int if self.const_eval(at, &place.base) == Some(0) => {}
            t => self.err(
                at,
                place.base.span,
                format!("`[]` indexes a pointer, not {}", t.describe()),
                t.describe(),
                Some("index a name bound by `mmap` or `shmat`: `p[0]`".into()),
            ),
        }
        match self.ty(at, &place.index) {
            Ty::Int | Ty::Any => {}
            t => self.err(
                at,
                place.index.span,
                format!("an index is an integer, not {}", t.describe()),
                t.describe(),
                None,
            ),
        }
    }

    /// Checks a call; returns its signature when the call exists.
    fn call(
        &mut self,
        at: &At,
        call: &Call,
        sig: Option<&'static CallSig>,
        fx: &mut Effects,
    ) -> Option<&'static CallSig> {
        let Some(sig) = sig else {
            let help = if let Some(i) = calls::instead_of(&call.name.name) {
                Some(format!(
                    "the statement language has no `{}`: {i}",
                    call.name.name
                ))
            } else {
                did_you_mean(&call.name.name, calls::CALLS.iter().map(|c| c.name))
                    .map(|s| format!("did you mean `{s}`?"))
            };
            self.err(
                at,
                call.name.span,
                format!("unknown call `{}`", call.name.name),
                "not a call of the statement language",
                help,
            );
            return None;
        };
        let n = call.args.len();
        let max = sig.params.len();
        if n < sig.required || (n > max && !sig.variadic) {
            let want = if sig.required == max {
                plural(max, "argument", "arguments")
            } else {
                format!("{} to {max} arguments", sig.required)
            };
            let want = if sig.variadic {
                format!("at least {}", plural(sig.required, "argument", "arguments"))
            } else {
                want
            };
            let span = if n > max {
                call.args[max].span.to(call.args[n - 1].span)
            } else {
                call.span
            };
            let label = if n > max {
                plural(n - max, "extra argument", "extra arguments")
            } else {
                format!("{} given", plural(n, "argument", "arguments"))
            };
            self.err(
                at,
                span,
                format!(
                    "`{}` takes {want}, but {} given",
                    sig.name,
                    if n == 1 {
                        "1 was".to_string()
                    } else {
                        format!("{n} were")
                    }
                ),
                label,
                Some(format!("`{}`", sig.usage())),
            );
            // Still check the arguments that line up.
        }
        for (i, (arg, param)) in call.args.iter().zip(sig.params.iter()).enumerate() {
            let before = self.cx.errors();
            self.arg(at, sig, param, arg, call, fx);
            match sig.sys.command() {
                Some(c) if c.param == i && self.cx.errors() == before => {
                    self.command(at, sig, c, arg);
                }
                _ => {}
            }
        }
        match sig.name {
            "printf" => {
                if let Some(fmt) = call.args.first() {
                    if let ExprKind::Str(s) = &fmt.kind {
                        self.printf(at, s, fmt.span, &call.args[1..]);
                    }
                }
            }
            // open(path, flags) with O_CREAT has no mode to give the new file.
            "open" if n == 2 => {
                if let Some(flags) = self.const_eval(at, &call.args[1]) {
                    let creat = constant("O_CREAT").map_or(0, |c| c.value);
                    if flags & creat != 0 {
                        self.err(
                            at,
                            call.span,
                            "`open` with O_CREAT needs a mode",
                            "the file it creates gets no permission bits",
                            Some("add the mode: `open(path, flags, 0644)`".into()),
                        );
                    }
                }
            }
            "exit" => fx.exit = true,
            // write(fd, s, n) reads n bytes of s: no further than its NUL.
            "write" if n == 3 => {
                let bytes = self.const_str(at, &call.args[1]);
                let count = self.const_eval(at, &call.args[2]);
                if let (Some(b), Some(count)) = (bytes, count) {
                    let size = b.len() as i64 + 1;
                    if !(0..=size).contains(&count) {
                        let shown = if count < 0 {
                            format!("{count} is {} as a size_t", count as u64)
                        } else {
                            format!("{count} bytes")
                        };
                        self.err(
                            at,
                            call.args[2].span,
                            "`write` would read past the end of the string",
                            format!("{shown}, but the string has {size} (sizeof, with its NUL)"),
                            Some(format!("write at most sizeof(s) = {size} bytes; `strlen(s)` leaves the NUL out")),
                        );
                    }
                }
            }
            "recv_fd" => {
                if let Some(pi) = at.proc {
                    if self.procs[pi].pending_fds == 0 {
                        let me = self.procs[pi].info.name.clone();
                        self.err(
                            at,
                            call.span,
                            format!("nothing was sent to `{me}` to receive"),
                            "no fd is waiting",
                            Some(format!("an earlier step of another process must call `send_fd(\"{me}\", fd)`")),
                        );
                    }
                }
                fx.recv = true;
            }
            _ => {}
        }
        Some(sig)
    }

    fn arg(
        &mut self,
        at: &At,
        sig: &CallSig,
        param: &Param,
        e: &Expr,
        call: &Call,
        fx: &mut Effects,
    ) {
        let takes = |what: &str| format!("`{}` of `{}` takes {what}", param.name, sig.name);
        if let ExprKind::AddrOf(_) = &e.kind {
            if !matches!(param.kind, ArgKind::ShmBuf | ArgKind::StatBuf) {
                self.err(
                    at,
                    e.span,
                    "`&` only passes a struct buffer to `shmctl`, `fstat` and `stat`",
                    "not here",
                    None,
                );
                return;
            }
        }
        match param.kind {
            ArgKind::Int(families) => match self.ty(at, e) {
                Ty::Int | Ty::Any => self.families(at, sig, param, e, families),
                t => self.err(at, e.span, takes("an integer"), self.found(at, e, t), None),
            },
            ArgKind::Fd | ArgKind::ShmId | ArgKind::Key => {
                let (want, ok_kinds, fam): (&str, &[NameKind], &[Family]) = match param.kind {
                    ArgKind::Fd => ("a file descriptor", &[NameKind::Fd, NameKind::Int], &[]),
                    ArgKind::ShmId => ("a System V shm id", &[NameKind::ShmId, NameKind::Int], &[]),
                    _ => (
                        "a System V key",
                        &[NameKind::Key, NameKind::Int],
                        &[Family::IpcKey],
                    ),
                };
                if let Some(b) = e.as_name().and_then(|n| self.binding(at, n)) {
                    if !ok_kinds.contains(&b.kind) && b.kind != NameKind::Unknown {
                        let name = e.as_name().unwrap_or("");
                        let label = format!(
                            "`{name}` is {} (bound by {} at {})",
                            b.kind.describe(),
                            b.by,
                            self.step_ref(b.step)
                        );
                        self.err(at, e.span, takes(want), label, None);
                        return;
                    }
                }
                match self.ty(at, e) {
                    Ty::Int | Ty::Any => self.families(at, sig, param, e, fam),
                    t => self.err(at, e.span, takes(want), self.found(at, e, t), None),
                }
            }
            ArgKind::Ptr => match self.ty(at, e) {
                Ty::Ptr | Ty::Any => {}
                Ty::Int if self.const_eval(at, e) == Some(0) => {}
                t => self.err(
                    at,
                    e.span,
                    takes("a pointer into a mapping"),
                    self.found(at, e, t),
                    Some("a pointer is a name bound by `mmap` or `shmat`, `p + n`, or NULL".into()),
                ),
            },
            ArgKind::Hint => match self.ty(at, e) {
                Ty::Ptr | Ty::Int | Ty::Any => {}
                t => self.err(
                    at,
                    e.span,
                    takes("an address (usually NULL)"),
                    self.found(at, e, t),
                    None,
                ),
            },
            ArgKind::Path | ArgKind::Data => {
                let want = if param.kind == ArgKind::Path {
                    "a path string"
                } else {
                    "a string"
                };
                match self.ty(at, e) {
                    Ty::Str | Ty::Any => {}
                    t => {
                        self.err(
                            at,
                            e.span,
                            takes(want),
                            self.found(at, e, t),
                            Some("a string literal `\"...\"` or a name bound to one".into()),
                        );
                        return;
                    }
                }
                if sig.scope == Scope::Look {
                    if let ExprKind::Str(s) = &e.kind {
                        self.look_path(at, sig, s, e.span);
                    }
                }
            }
            ArgKind::Src => match self.ty(at, e) {
                Ty::Str | Ty::Ptr | Ty::Any => {}
                t => self.err(
                    at,
                    e.span,
                    takes("a string or a pointer"),
                    self.found(at, e, t),
                    None,
                ),
            },
            ArgKind::Format => {
                if !matches!(e.kind, ExprKind::Str(_)) {
                    let t = self.ty(at, e);
                    self.err(at, e.span, takes("a string literal"), self.found(at, e, t), Some("the format is checked against the arguments, so write it out: `printf(\"%s\", p)`".into()));
                }
            }
            ArgKind::Proc => {
                let Some(name) = proc_arg_name(e) else {
                    self.err(
                        at,
                        e.span,
                        takes("a process name"),
                        "not a process name",
                        Some("write the process as a string: `\"consumer\"`".into()),
                    );
                    return;
                };
                if let Some((m, l, h)) = self.proc_problem(&name, at.index) {
                    self.err(at, e.span, m, l, h);
                    return;
                }
                if sig.name == "send_fd" {
                    fx.send_to = self.proc_index(&name);
                }
            }
            ArgKind::ProcPtr => {
                // Resolved in the process named by the first argument.
                let Some(pi) = call
                    .args
                    .first()
                    .and_then(proc_arg_name)
                    .and_then(|n| self.proc_index(&n))
                    .filter(|&i| self.procs[i].alive)
                else {
                    return;
                };
                let sub = At {
                    index: at.index,
                    map: at.map,
                    proc: Some(pi),
                };
                match self.ty(&sub, e) {
                    Ty::Ptr | Ty::Any => {}
                    t => self.err(
                        at,
                        e.span,
                        takes("a mapping of that process"),
                        self.found(&sub, e, t),
                        None,
                    ),
                }
            }
            ArgKind::ShmBuf => self.shm_buf(at, call, e, fx),
            ArgKind::StatBuf => self.stat_buf(at, e, fx),
            ArgKind::Sysctl => match &e.kind {
                ExprKind::Str(s) if SYSCTLS.contains(&s.text().as_str()) => {}
                ExprKind::Str(s) => {
                    let t = s.text();
                    let help = match did_you_mean(&t, SYSCTLS.iter().copied()) {
                        Some(d) => format!("did you mean \"{d}\"?"),
                        None => format!("the simulator models: {}", SYSCTLS.join(", ")),
                    };
                    self.err(
                        at,
                        e.span,
                        format!("unknown sysctl `{t}`"),
                        "not a sysctl the simulator models",
                        Some(help),
                    );
                }
                _ => self.err(
                    at,
                    e.span,
                    takes("a sysctl name string"),
                    "not a string literal",
                    Some("write `sysctl(\"kernel.shmmax\", 4096)`".into()),
                ),
            },
            ArgKind::ToolArgs => match &e.kind {
                ExprKind::Str(s) => self.tool_check(at, sig, &s.text(), e.span),
                _ => {
                    let t = self.ty(at, e);
                    let found = self.found(at, e, t);
                    self.err(
                        at,
                        e.span,
                        format!("`{}` takes its command line as a string literal", sig.name),
                        found,
                        Some(format!("write `{}(\"{}\")`", sig.name, tool_example(sig))),
                    );
                }
            },
        }
    }

    fn look_path(&mut self, at: &At, sig: &CallSig, s: &StrLit, span: Span) {
        let t = s.text();
        if !t.starts_with('/') {
            self.err(
                at,
                span,
                format!("`{}` takes an absolute path", sig.name),
                "not starting with `/`",
                Some(format!("write `{}(\"{}\")`", sig.name, tool_example(sig))),
            );
            return;
        }
        self.tool_check(at, sig, &t, span);
    }

    /// A parameter that names a command ([`Command`]): a constant, and
    /// one the model keeps.
    fn command(&mut self, at: &At, sig: &CallSig, c: Command, e: &Expr) {
        let param = sig.params[c.param].name;
        match self.const_eval(at, e) {
            None => self.err(
                at,
                e.span,
                format!("`{param}` of `{}` must be a constant", sig.name),
                "known only when the step runs",
                Some(format!(
                    "the command decides what the other arguments mean: name it, as in `{}`",
                    c.example
                )),
            ),
            Some(v) => {
                if let Err(r) = (c.modelled)(v) {
                    self.err(at, e.span, r.message, r.label, Some(r.help));
                }
            }
        }
    }

    /// A look step's argument, checked the way its tool parses it (the
    /// declaration's [`ToolCheck`](crate::syscalls::ToolCheck)).
    fn tool_check(&mut self, at: &At, sig: &CallSig, arg: &str, span: Span) {
        if let Some(Err(r)) = sig.sys.check().map(|c| (c.arg)(arg)) {
            self.err(at, span, r.message, r.label, Some(r.help));
        }
    }

    /// `fstat`'s and `stat`'s buffer: `&name`, which the call fills.
    fn stat_buf(&mut self, at: &At, e: &Expr, fx: &mut Effects) {
        let ExprKind::AddrOf(name) = &e.kind else {
            if !matches!(self.ty(at, e), Ty::Any) {
                self.err(
                    at,
                    e.span,
                    "the call fills a struct stat",
                    "not a struct buffer",
                    Some(
                        "pass a struct by address: `fstat(fd, &st)`; then read `st.st_size`".into(),
                    ),
                );
            }
            return;
        };
        self.fill_struct_buf(at, name, StructKind::Stat, fx);
    }

    /// `&name` as a buffer the call fills with a `kind`: binds `name` to it,
    /// or checks that it holds one already.
    fn fill_struct_buf(&mut self, at: &At, name: &Ident, kind: StructKind, fx: &mut Effects) {
        match self.binding(at, &name.name) {
            Some(b) if b.kind == NameKind::Struct(kind) || b.kind == NameKind::Unknown => {}
            Some(b) => {
                let label = format!(
                    "`{}` is {} (bound by {} at {})",
                    name.name,
                    b.kind.describe(),
                    b.by,
                    self.step_ref(b.step)
                );
                self.err(
                    at,
                    name.span,
                    format!("`{}` cannot hold {}", name.name, kind.c_name()),
                    label,
                    Some("a struct buffer needs a name of its own".into()),
                );
            }
            None if constant(&name.name).is_some() => self.err(
                at,
                name.span,
                format!("cannot bind `{}`: it is a constant", name.name),
                "a constant",
                None,
            ),
            None => fx.extra.push((name.name.clone(), NameKind::Struct(kind))),
        }
    }

    /// `shmctl`'s buffer, as its command says.
    fn shm_buf(&mut self, at: &At, call: &Call, e: &Expr, fx: &mut Effects) {
        let cmd = call.args.get(1).and_then(|c| self.const_eval(at, c));
        let cname = |v: i64| {
            CONSTANTS
                .iter()
                .find(|c| c.family == Family::IpcCmd && c.value == v)
                .map_or("this command", |c| c.name)
        };
        // (what the command does with the buffer, the struct)
        let (mode, kind) = match cmd {
            Some(2 | 13 | 15) => ("fills", StructKind::ShmidDs),
            Some(1) => ("reads", StructKind::ShmidDs),
            Some(3) => ("fills", StructKind::ShmInfo),
            Some(14) => ("fills", StructKind::ShmInfoUsage),
            Some(0 | 11 | 12) => ("ignores", StructKind::ShmidDs),
            // A command shmctl does not know (`IPC_INFO | 0600`): the kernel
            // answers EINVAL before it looks at the buffer, so nothing here
            // can be said about it.
            Some(_) => return,
            None => ("fills", StructKind::ShmidDs),
        };
        match &e.kind {
            ExprKind::AddrOf(name) => {
                let bound = self.binding(at, &name.name);
                match mode {
                    "fills" => self.fill_struct_buf(at, name, kind, fx),
                    "reads" => match bound {
                        Some(b)
                            if b.kind == NameKind::Struct(kind) || b.kind == NameKind::Unknown => {}
                        _ => {
                            let c = cmd.map_or("IPC_SET", cname);
                            self.err(
                                at,
                                name.span,
                                format!("`{c}` needs a {} filled earlier", kind.c_name()),
                                format!("`{}` holds no {}", name.name, kind.c_name()),
                                Some(format!("fill it first with `shmctl(id, IPC_STAT, &{})`, then set its fields", name.name)),
                            );
                        }
                    },
                    _ => {}
                }
            }
            _ => {
                let null = matches!(self.ty(at, e), Ty::Int | Ty::Ptr | Ty::Any)
                    && self.const_eval(at, e) == Some(0);
                if mode == "ignores" && null {
                    return;
                }
                let c = cmd.map_or("this command", cname);
                if mode == "ignores" {
                    self.err(
                        at,
                        e.span,
                        format!("`{c}` takes NULL as its buffer"),
                        "not NULL",
                        Some("write `shmctl(id, IPC_RMID, NULL)`".into()),
                    );
                } else if !matches!(self.ty(at, e), Ty::Any) {
                    let var = if kind == StructKind::ShmidDs {
                        "buf"
                    } else {
                        "info"
                    };
                    self.err(
                        at,
                        e.span,
                        format!("`{c}` {mode} a {}", kind.c_name()),
                        "not a struct buffer",
                        Some(format!("pass a struct by address: `shmctl(id, {c}, &{var})`; then read `{var}`'s fields")),
                    );
                }
            }
        }
    }

    /// Reports constants of the wrong family in an integer argument.
    fn families(&mut self, at: &At, sig: &CallSig, param: &Param, e: &Expr, families: &[Family]) {
        if families.is_empty() {
            return;
        }
        let mut found: Vec<(&'static Constant, Span)> = Vec::new();
        self.constants_in(at, e, &mut found);
        for (c, span) in found {
            if c.family == Family::Value || families.contains(&c.family) {
                continue;
            }
            let want: Vec<&str> = families.iter().map(|f| f.describe()).collect();
            let examples: Vec<&str> = CONSTANTS
                .iter()
                .filter(|k| families.contains(&k.family))
                .map(|k| k.name)
                .take(8)
                .collect();
            self.err(
                at,
                span,
                format!(
                    "`{}` is {}, but `{}` of `{}` takes {}",
                    c.name,
                    c.family.describe(),
                    param.name,
                    sig.name,
                    want.join(" or ")
                ),
                "wrong kind of constant",
                Some(format!("`{}` takes {}", param.name, examples.join(", "))),
            );
        }
    }

    fn constants_in(&self, at: &At, e: &Expr, out: &mut Vec<(&'static Constant, Span)>) {
        match &e.kind {
            ExprKind::Name(n) if self.binding(at, n).is_none() => {
                if let Some(c) = constant(n) {
                    out.push((c, e.span));
                }
            }
            ExprKind::Neg(x) | ExprKind::Not(x) | ExprKind::Cast { expr: x, .. } => {
                self.constants_in(at, x, out)
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.constants_in(at, lhs, out);
                self.constants_in(at, rhs, out);
            }
            _ => {}
        }
    }

    // ---- printf -----------------------------------------------------------

    fn printf(&mut self, at: &At, fmt: &StrLit, fmt_span: Span, args: &[Expr]) {
        let b = &fmt.bytes;
        let mut convs: Vec<(u8, Span)> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            if b.get(i) == Some(&b'%') {
                i += 1;
                continue;
            }
            while i < b.len() && b"-+ #0".contains(&b[i]) {
                i += 1;
            }
            let mut star = false;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'*' || b[i] == b'.') {
                star |= b[i] == b'*';
                i += 1;
            }
            while i < b.len() && b"hlzjt".contains(&b[i]) {
                i += 1;
            }
            let Some(&c) = b.get(i) else {
                self.err(
                    at,
                    fmt.span_of(start, b.len()),
                    "incomplete conversion at the end of the format",
                    "a `%` with no conversion",
                    Some("write `%%` for a percent sign".into()),
                );
                return;
            };
            i += 1;
            let span = fmt.span_of(start, i);
            if star {
                self.err(
                    at,
                    span,
                    "`*` widths are not supported",
                    "takes its width from an argument",
                    Some("write the width as a number: `%10s`".into()),
                );
                return;
            }
            if !b"diuxXocsp".contains(&c) {
                let shown = String::from_utf8_lossy(&b[start..i]).into_owned();
                self.err(
                    at,
                    span,
                    format!("unknown conversion `{shown}`"),
                    "not a printf conversion here",
                    Some("conversions: %s %c %d %i %u %x %X %o %p (with l, ll, z, h), and %% for `%`".into()),
                );
                return;
            }
            convs.push((c, span));
        }
        if convs.len() != args.len() {
            let msg = format!(
                "the format has {} but {} given",
                plural(convs.len(), "conversion", "conversions"),
                if args.len() == 1 {
                    "1 argument was".to_string()
                } else {
                    format!("{} arguments were", args.len())
                }
            );
            if args.len() > convs.len() {
                let span = args[convs.len()].span.to(args[args.len() - 1].span);
                self.err(at, span, msg, "no conversion for this", None);
            } else {
                let span = convs[args.len()].1;
                let _ = fmt_span;
                self.err(at, span, msg, "no argument for this conversion", None);
            }
        }
        for ((c, cspan), a) in convs.iter().zip(args) {
            let t = self.ty(at, a);
            let ok = match c {
                b's' => matches!(t, Ty::Str | Ty::Ptr | Ty::Any),
                b'p' => matches!(t, Ty::Ptr | Ty::Any) || self.const_eval(at, a) == Some(0),
                _ => matches!(t, Ty::Int | Ty::Any),
            };
            if !ok {
                let want = match c {
                    b's' => "a string or a pointer",
                    b'p' => "a pointer",
                    b'c' => "a character (an integer)",
                    _ => "an integer",
                };
                let _ = cspan;
                self.err(
                    at,
                    a.span,
                    format!(
                        "`%{}` prints {want}, but this is {}",
                        *c as char,
                        t.describe()
                    ),
                    self.found(at, a, t),
                    None,
                );
            }
        }
    }

    // ---- expressions ------------------------------------------------------

    fn binding(&self, at: &At, name: &str) -> Option<Binding> {
        let pi = at.proc?;
        self.procs.get(pi)?.env.get(name).cloned()
    }

    /// The value of an expression made of literals and constants only.
    fn const_eval(&self, at: &At, e: &Expr) -> Option<i64> {
        match &e.kind {
            ExprKind::Int(v) => Some(*v),
            ExprKind::Char(c) => Some(i64::from(*c)),
            ExprKind::Name(n) if self.binding(at, n).is_none() => constant(n).map(|c| c.value),
            ExprKind::Neg(x) => self.const_eval(at, x).map(i64::wrapping_neg),
            ExprKind::Not(x) => self.const_eval(at, x).map(|v| !v),
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.const_eval(at, lhs)?, self.const_eval(at, rhs)?);
                if matches!(op, BinOp::Shl | BinOp::Shr) && !(0..64).contains(&b) {
                    return None;
                }
                op.apply(a, b)
            }
            ExprKind::Cast { ty, expr } => self.const_eval(at, expr).map(|v| ty.ty.convert(v)),
            ExprKind::Sizeof(x) => self.sizeof_value(at, x),
            ExprKind::SizeofType(t) => t.ty.size(),
            ExprKind::Strlen(x) => self
                .const_str(at, x)
                .map(|b| b.iter().position(|&c| c == 0).unwrap_or(b.len()) as i64),
            _ => None,
        }
    }

    /// The bytes of a string expression known at check time: a literal, or
    /// a name bound to one.
    fn const_str(&self, at: &At, e: &Expr) -> Option<Vec<u8>> {
        match &e.kind {
            ExprKind::Str(s) => Some(s.bytes.clone()),
            ExprKind::Name(n) => self.binding(at, n).and_then(|b| b.text),
            _ => None,
        }
    }

    /// `sizeof e` when the checker knows it: a string's length + 1, a
    /// pointer's 8, a struct's x86_64 size.
    fn sizeof_value(&self, at: &At, e: &Expr) -> Option<i64> {
        if let Some(b) = self.const_str(at, e) {
            return Some(b.len() as i64 + 1);
        }
        match &e.kind {
            ExprKind::Name(n) => match self.binding(at, n)?.kind {
                NameKind::Mapping | NameKind::Pointer => Some(8),
                NameKind::Struct(k) => Some(k.size()),
                _ => None,
            },
            ExprKind::Cast { ty, .. } => ty.ty.size(),
            _ => None,
        }
    }

    fn ty(&mut self, at: &At, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Char(_) => Ty::Int,
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Name(n) => {
                if let Some(b) = self.binding(at, n) {
                    return match b.kind {
                        NameKind::Int | NameKind::Fd | NameKind::ShmId | NameKind::Key => Ty::Int,
                        NameKind::Mapping | NameKind::Pointer => Ty::Ptr,
                        NameKind::Str => Ty::Str,
                        NameKind::Struct(k) => Ty::Struct(k),
                        NameKind::Unknown => Ty::Any,
                    };
                }
                if constant(n).is_some() {
                    return Ty::Int;
                }
                self.unknown_name(at, n, e.span);
                Ty::Any
            }
            ExprKind::Not(x) => match self.ty(at, x) {
                Ty::Int => Ty::Int,
                Ty::Any => Ty::Any,
                t => {
                    self.err(
                        at,
                        e.span,
                        format!("`~` needs an integer, not {}", t.describe()),
                        t.describe(),
                        None,
                    );
                    Ty::Any
                }
            },
            ExprKind::Neg(x) => match self.ty(at, x) {
                Ty::Int => Ty::Int,
                Ty::Any => Ty::Any,
                t => {
                    self.err(
                        at,
                        e.span,
                        format!("cannot negate {}", t.describe()),
                        t.describe(),
                        None,
                    );
                    Ty::Any
                }
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.ty(at, lhs), self.ty(at, rhs));
                if a == Ty::Int && b == Ty::Int && !self.int_op(at, *op, lhs, rhs) {
                    return Ty::Any;
                }
                match (op, a, b) {
                    (_, Ty::Any, _) | (_, _, Ty::Any) => Ty::Any,
                    (_, Ty::Int, Ty::Int) => Ty::Int,
                    (BinOp::Add, Ty::Ptr, Ty::Int)
                    | (BinOp::Add, Ty::Int, Ty::Ptr)
                    | (BinOp::Sub, Ty::Ptr, Ty::Int) => Ty::Ptr,
                    (_, Ty::Ptr, Ty::Ptr) if *op == BinOp::Sub => {
                        self.err(
                            at,
                            e.span,
                            "pointer differences are not supported",
                            "pointer - pointer",
                            Some("write the distance as a number".into()),
                        );
                        Ty::Any
                    }
                    (_, Ty::Ptr, _) | (_, _, Ty::Ptr) => {
                        self.err(
                            at,
                            e.span,
                            format!("`{}` does not apply to a pointer", op.symbol()),
                            "pointer arithmetic",
                            Some("pointers move by `p + n` and `p - n`".into()),
                        );
                        Ty::Any
                    }
                    (_, x, y) => {
                        let bad = if !matches!(x, Ty::Int) {
                            (lhs, x)
                        } else {
                            (rhs, y)
                        };
                        self.err(
                            at,
                            bad.0.span,
                            format!("`{}` needs integers, not {}", op.symbol(), bad.1.describe()),
                            bad.1.describe(),
                            None,
                        );
                        Ty::Any
                    }
                }
            }
            ExprKind::AddrOf(_) => {
                self.err(
                    at,
                    e.span,
                    "`&` only passes a struct buffer to `shmctl`",
                    "not here",
                    None,
                );
                Ty::Any
            }
            ExprKind::Cast { ty, expr } => self.cast(at, ty, expr),
            ExprKind::Sizeof(x) => match self.ty(at, x) {
                Ty::Any => Ty::Any,
                Ty::Str | Ty::Ptr | Ty::Struct(_) => Ty::Int,
                Ty::Int if matches!(x.kind, ExprKind::Cast { .. }) => Ty::Int,
                Ty::Int => {
                    self.err(
                        at,
                        x.span,
                        "`sizeof` of an integer value",
                        "its C type is not known here",
                        Some("names hold values, not C types: write the type, `sizeof(int)` or `sizeof(long)`".into()),
                    );
                    Ty::Any
                }
            },
            ExprKind::SizeofType(t) => match (&t.ty, t.ty.size()) {
                (_, Some(_)) => Ty::Int,
                (CType::Struct(n), None) => {
                    let names = STRUCT_SIZES.iter().map(|(n, _)| *n);
                    let help = match did_you_mean(n, names) {
                        Some(d) => format!("did you mean `struct {d}`?"),
                        None => format!(
                            "structs: {}",
                            STRUCT_SIZES
                                .iter()
                                .map(|(n, _)| format!("struct {n}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    self.err(
                        at,
                        t.span,
                        format!("unknown struct `{n}`"),
                        "no such struct here",
                        Some(help),
                    );
                    Ty::Any
                }
                _ => {
                    self.err(
                        at,
                        t.span,
                        "`sizeof(void)` is not C",
                        "void has no size",
                        Some("a pointer is `sizeof(void *)`".into()),
                    );
                    Ty::Any
                }
            },
            ExprKind::Strlen(x) => match self.ty(at, x) {
                Ty::Str => Ty::Int,
                Ty::Any => Ty::Any,
                Ty::Ptr => {
                    self.err(
                        at,
                        x.span,
                        "`strlen` of a pointer would read memory inside an expression",
                        self.found(at, x, Ty::Ptr),
                        Some("`strlen` takes a string literal or a name bound to one: `msg = \"...\"`, then `strlen(msg)`".into()),
                    );
                    Ty::Any
                }
                t => {
                    self.err(
                        at,
                        x.span,
                        format!("`strlen` takes a string, not {}", t.describe()),
                        self.found(at, x, t),
                        None,
                    );
                    Ty::Any
                }
            },
            ExprKind::Field(path) => match self.field_path(at, path) {
                Some(_) => Ty::Int,
                None => Ty::Any,
            },
            ExprKind::Index(_) => {
                self.err(
                    at,
                    e.span,
                    "a memory access inside an expression",
                    "reads memory",
                    Some("read it in a step of its own: `c = p[i]`".into()),
                );
                Ty::Any
            }
        }
    }

    /// Checks `a op b` of two integers where C would trap or the result is
    /// not what the CPU gives; false (with a diagnostic) if it is refused.
    fn int_op(&mut self, at: &At, op: BinOp, lhs: &Expr, rhs: &Expr) -> bool {
        let Some(b) = self.const_eval(at, rhs) else {
            return true;
        };
        match op {
            BinOp::Div | BinOp::Mod if b == 0 => {
                self.err(
                    at,
                    rhs.span,
                    "division by zero",
                    format!("this divisor is 0: `{}` by zero raises SIGFPE", op.symbol()),
                    None,
                );
                false
            }
            BinOp::Div | BinOp::Mod if b == -1 && self.const_eval(at, lhs) == Some(i64::MIN) => {
                self.err(
                    at,
                    lhs.span.to(rhs.span),
                    "integer overflow in division",
                    "LONG_MIN / -1 does not fit in a long: x86 raises SIGFPE",
                    None,
                );
                false
            }
            BinOp::Shl | BinOp::Shr if !(0..64).contains(&b) => {
                let dir = if op == BinOp::Shl { "left" } else { "right" };
                let msg = if b < 0 {
                    format!("{dir} shift count is negative")
                } else {
                    format!("{dir} shift count >= width of type")
                };
                self.err(
                    at,
                    rhs.span,
                    msg,
                    format!("{b}: a 64-bit value shifts by 0 to 63"),
                    Some(
                        "x86 would mask the count to its low 6 bits; write the count you mean"
                            .into(),
                    ),
                );
                false
            }
            _ => true,
        }
    }

    /// `(type) e`.
    fn cast(&mut self, at: &At, ty: &TypeName, e: &Expr) -> Ty {
        let t = self.ty(at, e);
        let bad = |what: &str| format!("cannot cast {what} to `{}`", ty.text);
        match (&ty.ty, t) {
            (CType::Void, _) => {
                self.err(
                    at,
                    ty.span,
                    "a cast to `void` discards the value",
                    "no value left",
                    Some("a pointer is `(void *)`".into()),
                );
                Ty::Any
            }
            (CType::Struct(_), _) => {
                self.err(
                    at,
                    ty.span,
                    bad("a value"),
                    "a struct is not a scalar",
                    Some("a pointer to one is `(struct shmid_ds *)`".into()),
                );
                Ty::Any
            }
            (_, Ty::Any) => Ty::Any,
            (CType::Ptr, Ty::Int | Ty::Ptr) => Ty::Ptr,
            (CType::Int { .. }, Ty::Int | Ty::Ptr) => Ty::Int,
            (_, Ty::Str) => {
                self.err(
                    at,
                    e.span,
                    bad("a string"),
                    "a string here",
                    Some("a string has no address in a mapping: copy it there with `memcpy(p, \"...\", n)`, then cast `p`".into()),
                );
                Ty::Any
            }
            (_, t) => {
                self.err(at, e.span, bad(t.describe()), t.describe(), None);
                Ty::Any
            }
        }
    }

    /// Checks `root.field...`; returns the struct kind when the root is a struct.
    fn field_path(&mut self, at: &At, path: &FieldPath) -> Option<StructKind> {
        let root = &path.root;
        let Some(b) = self.binding(at, &root.name) else {
            if constant(&root.name).is_some() {
                self.err(
                    at,
                    root.span,
                    format!("`{}` is a constant and has no fields", root.name),
                    "a constant",
                    None,
                );
            } else {
                self.unknown_name(at, &root.name, root.span);
            }
            return None;
        };
        let kind = match b.kind {
            NameKind::Struct(k) => k,
            NameKind::Unknown => return None,
            other => {
                self.err(
                    at,
                    root.span,
                    format!("`{}` has no fields", root.name),
                    format!("`{}` is {}", root.name, other.describe()),
                    Some("fields belong to a struct filled by `shmctl(id, IPC_STAT, &buf)`".into()),
                );
                return None;
            }
        };
        let dotted = path.dotted();
        if !kind.fields().contains(&dotted.as_str()) {
            let span = path.fields[0]
                .span
                .to(path.fields[path.fields.len() - 1].span);
            let help = match did_you_mean(&dotted, kind.fields().iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("fields: {}", kind.fields().join(", ")),
            };
            self.err(
                at,
                span,
                format!("no field `{dotted}` in {}", kind.c_name()),
                "unknown field",
                Some(help),
            );
            return None;
        }
        Some(kind)
    }

    fn unknown_name(&mut self, at: &At, name: &str, span: Span) {
        let constant_like = is_constant_like(name);
        let what = if constant_like { "constant" } else { "name" };
        let Some(pi) = at.proc else {
            let help = did_you_mean(name, CONSTANTS.iter().map(|c| c.name))
                .map(|s| format!("did you mean `{s}`?"));
            self.err(
                at,
                span,
                format!("unknown {what} `{name}`"),
                "not a constant (a machine-wide or look step has no names)",
                help,
            );
            return;
        };
        let pname = self.procs[pi].info.name.clone();
        let env: Vec<String> = self.procs[pi].env.keys().cloned().collect();
        let mut help = did_you_mean(
            name,
            env.iter()
                .map(String::as_str)
                .chain(CONSTANTS.iter().map(|c| c.name)),
        )
        .map(|s| format!("did you mean `{s}`?"));
        if help.is_none() {
            if let Some(later) = self
                .binds
                .get(&(pname.clone(), name.to_string()))
                .and_then(|v| v.iter().find(|&&s| s > at.index))
            {
                help = Some(format!(
                    "`{name}` is bound later, at {}",
                    self.step_ref(*later)
                ));
            } else if let Some(other) = self
                .procs
                .iter()
                .find(|p| p.info.name != pname && p.env.contains_key(name))
            {
                help = Some(format!(
                    "`{name}` is bound in `{}`, not in `{pname}`: names are per process",
                    other.info.name
                ));
            }
        }
        self.err(
            at,
            span,
            format!("unknown {what} `{name}`"),
            format!("not a constant or a name bound earlier in `{pname}`"),
            help,
        );
    }

    // ---- expect -----------------------------------------------------------

    fn expect(
        &mut self,
        rs: &RawStep,
        e: &Spanned<Vec<Expectation>>,
        env: Option<usize>,
        env_known: bool,
        scope: Option<Scope>,
    ) {
        for x in &e.value {
            let observable = match &x.observable {
                Observable::Page(inner, _) => inner.as_ref(),
                o => o,
            };
            let name = match observable {
                Observable::Signal => {
                    if rs.proc.is_none() && scope != Some(Scope::Process) {
                        self.cx.error(
                            x.key_span,
                            "`signal` is delivered to a process, but this step has none",
                            "no process",
                            None,
                        );
                    }
                    None
                }
                Observable::Status(_) => {
                    if rs.proc.is_none() {
                        self.cx.error(
                            x.key_span,
                            "`status` is a process's /proc/PID/status, but this step has no `proc`",
                            "no process",
                            Some("read it in a step of the process: proc = \"NAME\"".into()),
                        );
                    }
                    None
                }
                Observable::Pte(n)
                | Observable::Core(n)
                | Observable::Smaps(n, _)
                | Observable::Maps(n) => Some((n, NameKind::Mapping)),
                Observable::Cache(n) | Observable::Slot(n, _) | Observable::Data(n)
                    if !n.starts_with('/') =>
                {
                    Some((n, NameKind::Mapping))
                }
                Observable::Shm(n, _) => Some((n, NameKind::ShmId)),
                _ => None,
            };
            if let Some((n, want)) = name {
                self.expect_name(rs, x, n, want, env, env_known);
            }
            match (&x.observable, &x.value) {
                (
                    Observable::Shm(_, Some(ShmField::Cpid | ShmField::Lpid)),
                    ExpectValue::Proc(p),
                ) => {
                    let names = self.all_proc_names();
                    if !names.contains(p) {
                        let help = did_you_mean(p, names.iter().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?"));
                        self.cx.error(
                            x.value_span,
                            format!("unknown process `{p}`"),
                            "pids are compared as process names",
                            help,
                        );
                    }
                }
                (Observable::Shm(_, Some(ShmField::Key)), ExpectValue::KeyName(k))
                    if k != "IPC_PRIVATE" =>
                {
                    if let (Some(pi), true) = (env, env_known) {
                        let ok = self.procs[pi]
                            .env
                            .get(k)
                            .is_some_and(|b| matches!(b.kind, NameKind::Key | NameKind::Unknown));
                        if !ok {
                            self.cx.error(
                                x.value_span,
                                format!("`{k}` is not a key of `{}`", self.procs[pi].info.name),
                                "not IPC_PRIVATE or a name bound by ftok",
                                None,
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn expect_name(
        &mut self,
        rs: &RawStep,
        x: &Expectation,
        n: &str,
        want: NameKind,
        env: Option<usize>,
        env_known: bool,
    ) {
        let span = x.name_span.unwrap_or(x.key_span);
        let Some(pi) = env else {
            if env_known {
                self.cx.error(
                    span,
                    format!(
                        "`{}` names a {} of a process, but this step has no `proc`",
                        x.observable,
                        if want == NameKind::Mapping {
                            "mapping"
                        } else {
                            "segment id"
                        }
                    ),
                    "whose name?",
                    Some(
                        "put this expectation on a step of the process that bound the name".into(),
                    ),
                );
            }
            return;
        };
        if !env_known {
            return;
        }
        let pname = self.procs[pi].info.name.clone();
        match self.procs[pi].env.get(n).cloned() {
            None => {
                let cands: Vec<String> = self.procs[pi]
                    .env
                    .iter()
                    .filter(|(_, b)| b.kind == want)
                    .map(|(k, _)| k.clone())
                    .collect();
                let help = did_you_mean(n, cands.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                let what = if want == NameKind::Mapping {
                    "mapping"
                } else {
                    "segment id"
                };
                self.cx.error(
                    span,
                    format!("unknown {what} `{n}`"),
                    format!("not a name bound in `{pname}` by this step or an earlier one"),
                    help,
                );
            }
            Some(b) if b.kind == want || b.kind == NameKind::Unknown => {}
            Some(b) => {
                let (what, help) = if want == NameKind::Mapping {
                    (
                        "a mapping",
                        if b.kind == NameKind::Pointer {
                            "observables name the mapping itself: the name `mmap` or `shmat` bound"
                        } else {
                            "a mapping is a name bound by `mmap` or `shmat`"
                        },
                    )
                } else {
                    (
                        "a System V shm id",
                        "a segment is named by the id `shmget` bound: `id = shmget(...)`",
                    )
                };
                let _ = rs;
                self.cx.error(
                    span,
                    format!("`{n}` is not {what}"),
                    format!(
                        "`{n}` is {} (bound by {} at {})",
                        b.kind.describe(),
                        b.by,
                        self.step_ref(b.step)
                    ),
                    Some(help.into()),
                );
            }
        }
    }
}

/// An argument a look step's tool takes, for the help.
fn tool_example(sig: &CallSig) -> &'static str {
    sig.sys.check().map_or("/dev/shm", |c| c.example)
}

/// The name a statement that did not parse seems to bind: `name = ...`.
fn leading_binding(src: &str) -> Option<String> {
    let t = src.trim_start();
    let end = t
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(t.len());
    let (name, rest) = t.split_at(end);
    let rest = rest.trim_start();
    let starts_ok = name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic());
    (starts_ok && rest.starts_with('=') && !rest.starts_with("==")).then(|| name.to_string())
}

/// The process an argument names: `"consumer"` or bare `consumer`.
fn proc_arg_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Str(s) => Some(s.text()),
        ExprKind::Name(n) => Some(n.clone()),
        _ => None,
    }
}
