//! The runner: plays a checked [`Scenario`] on the kernel model, step by step.
//!
//! Not a kernel file. Each step's statement becomes the system calls and
//! memory accesses a C program would make; the runner records what the call
//! returned (a value, an errno, or the signal that ended the process), what it
//! printed, the kernel functions it went through, the observables of the
//! contract after it, what changed, and whether each `expect` held.
//!
//! ```text
//!   Scenario --step--> Run::step --calls--> Kernel --> StepOutcome
//!                        names per process       (ret/errno/signal, out, trace,
//!                        (C locals)               observables, changes, checks)
//! ```
//!
//! The same scenario always gives the same outcomes, byte for byte.

use crate::backend::{Backend, FileRef, Reading};
use crate::errno::{Errno, Fault, Signal};
use crate::fs::proc as render;
use crate::ipc::shm::{ShmInfo, ShmidDs};
use crate::ipc::util::{IPC_INFO, IPC_SET, IPC_STAT};
use crate::kernel::{Config, Kernel, Pid};
use crate::mm::swapops::{Encoding, Era};
use crate::observe::{fold_pages, nth_page, same_pages, SmapsParts};
use crate::scenario::ast::{CType, Call, Expr, ExprKind, StmtKind};
use crate::scenario::calls::ArgKind;
use crate::scenario::{
    consts, ExpectValue, Expectation, IndexKind, MeminfoField, Observable, Scenario, ShmField,
    SmapsField, Step,
};
use crate::syscalls::{Args, Len, Out, Ret, ShellArgs, ShellOut, Sys, Unmap};
use crate::trace::{Counter, TouchKey, TouchRecord, Touches, TraceEvent};
use serde::Serialize;
use std::collections::BTreeMap;

/// A value a name holds in a process (a C local).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A file descriptor.
    Fd(i32),
    /// The start of a mapping and its length (`mmap`, `shmat`).
    Mapping {
        /// Start address.
        addr: u64,
        /// Length in bytes.
        len: u64,
    },
    /// A pointer (into a mapping, or anywhere).
    Ptr(u64),
    /// A System V shm id.
    ShmId(i32),
    /// A System V key.
    Key(i32),
    /// A `char name[]`.
    Str(Vec<u8>),
    /// A struct filled by `shmctl`, field -> value.
    Struct(BTreeMap<String, i64>),
}

impl Value {
    fn as_int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Fd(f) => *f as i64,
            Value::Mapping { addr, .. } | Value::Ptr(addr) => *addr as i64,
            Value::ShmId(i) | Value::Key(i) => *i as i64,
            Value::Str(_) | Value::Struct(_) => 0,
        }
    }
}

/// How a call ended, as C sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallResult {
    /// The return value (`-1` with an errno; none when a signal ended the process).
    pub ret: Option<i64>,
    /// `errno`, when the call failed.
    pub errno: Option<Errno>,
    /// The signal that ended the process.
    pub signal: Option<Signal>,
}

/// One `expect` checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The observable, by its contract name (`pte.ptr`).
    pub observable: String,
    /// What the scenario expected.
    pub expected: String,
    /// What the model showed.
    pub seen: String,
    /// Whether it did not fail: it holds, or it cannot be checked here.
    pub ok: bool,
    /// Why it could not be checked on this backend (a sim-only observable
    /// on the host, one the host cannot show): then it neither holds nor
    /// fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_here: Option<String>,
}

impl Check {
    /// Did it hold (not merely not fail)?
    pub fn held(&self) -> bool {
        self.ok && self.not_here.is_none()
    }
}

/// An observable that changed in a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Its name (`pte.ptr@producer`, `meminfo.Shmem`).
    pub name: String,
    /// Before the step (`"none"` if it did not exist).
    pub before: String,
    /// After the step.
    pub after: String,
    /// The kernel functions of the step that changed it, in trace order
    /// (empty on a backend that cannot know, such as the real host).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<Cause>,
}

/// A kernel function that changed an observable in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// The kernel function, e.g. `"shmem_add_to_page_cache"`.
    pub func: &'static str,
    /// The file that defines it, e.g. `"mm/shmem.c"`.
    pub file: &'static str,
    /// How many times it touched what the observable is made of.
    pub count: u64,
}

/// Everything one step did.
#[derive(Clone, Debug, Serialize)]
pub struct StepOutcome {
    /// 1-based step number.
    pub step: usize,
    /// The process that made the call (none for machine-wide and look steps).
    pub proc: Option<String>,
    /// The statement.
    #[serde(rename = "do")]
    pub do_: String,
    /// The call's result.
    #[serde(flatten)]
    pub result: CallResult,
    /// What it printed (`printf`, `read`, a load, a look step).
    pub out: String,
    /// The narration.
    pub say: Option<String>,
    /// The kernel functions it went through.
    pub trace: Vec<TraceEvent>,
    /// The observables after the step (per-process ones as `NAME@proc`).
    pub observables: BTreeMap<String, String>,
    /// What changed.
    pub changes: Vec<Change>,
    /// The step's expectations, checked.
    pub checks: Vec<Check>,
    /// Kernel log lines the step produced (the OOM killer).
    pub dmesg: Vec<String>,
    /// The step's quiz: the question, the choices, and the right one (from 1).
    pub quiz: Option<QuizView>,
    /// The step changed nothing in the kernel's tables: no kernel function
    /// ran and the MMU set no bit (a load or store of a page mapped and
    /// dirty already, a `printf` of a local). A front end's pictures of the
    /// machine stand as they were.
    #[serde(skip)]
    pub kernel_untouched: bool,
    /// Every change the step made to the kernel's tables, when the backend
    /// records them all (the model): a front end patches its pictures by
    /// them instead of reading the machine afresh.
    #[serde(skip)]
    pub touches: Option<Touches>,
    /// Why the step did not run: its process had already ended (a fault or
    /// the OOM killer at run time, which the checker cannot know). As in C,
    /// a process that has ended runs no more code: no call, no result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
}

/// A quiz as the transcript and the TUI show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuizView {
    /// The question.
    pub ask: String,
    /// The choices.
    pub choices: Vec<String>,
    /// The right choice, counting from 1.
    pub answer: usize,
}

impl StepOutcome {
    /// Did every expectation hold?
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

#[derive(Clone, Debug, Default)]
struct ProcState {
    /// Its pid while it lives.
    pid: Option<Pid>,
    /// Its pid, kept after it ends (to name it in `shm.NAME.lpid`).
    was: Pid,
    names: BTreeMap<String, Value>,
    /// How it ended, once it has: "was killed by SIGSEGV at step 5".
    ended: Option<String>,
}

/// A scenario being played on a backend (the kernel model by default).
#[derive(Clone)]
pub struct Run<'s, B: Backend = Kernel> {
    /// What the scenario runs on.
    pub backend: B,
    scenario: &'s Scenario,
    procs: BTreeMap<String, ProcState>,
    order: Vec<String>,
    next: usize,
    base: BTreeMap<&'static str, Option<i64>>,
    base_df: Option<i64>,
    prev: BTreeMap<String, String>,
    /// The inode each file observable (`cache.PATH`, `pte.NAME@proc`...)
    /// was last seen to name: the `why` of a file that is gone.
    inos: BTreeMap<String, u32>,
    /// The per-page observables of the last step, kept until a step touches
    /// what they are made of (see [`Kept`]).
    kept: BTreeMap<String, Kept>,
    /// Every observable read afresh after every step, none kept (see
    /// [`Run::plain`]).
    plain: bool,
}

/// A group of observables read together (`pte.p@app`, the `smaps.p.*@app`
/// fields, `cache./dev/shm/big`), kept from the step that read them.
///
/// Reading a per-page observable walks every page it covers; a step of a
/// class's scenario changes a few pages or none. So a group is read again
/// only when a touch of the step (see [`crate::trace::Touch`]) covers one of
/// its subjects, or its name now names something else; otherwise the values
/// of the last step stand. With debug assertions on (every test run), each
/// kept value is checked against a fresh reading, so a missing touch is a
/// failing test, not a wrong value on the screen.
#[derive(Clone, Debug)]
struct Kept {
    /// What the name named when read (a mapping, or a file's inode).
    of: Named,
    /// What the values are made of.
    subjects: Vec<Subject>,
    /// The observables, by name.
    values: Vec<(String, String)>,
    /// What they were summed from, for a group read by parts.
    parts: Option<SmapsParts>,
}

/// What a kept group's name named when it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    /// A mapping of a process (`pte`, `core`, `smaps`).
    Mapping { pid: Pid, addr: u64, len: u64 },
    /// A file, by inode (`data`, `cache`).
    File(Option<u32>),
}

/// The machine a scenario asks for.
pub fn config_of(s: &Scenario) -> Config {
    let m = &s.machine;
    Config {
        ram_bytes: m.ram_bytes(),
        swap_bytes: m.swap_bytes(),
        dev_shm_bytes: m.dev_shm.as_ref().map(|d| d.value),
        encoding: Encoding {
            era: match m.index() {
                IndexKind::Radix => Era::Radix,
                IndexKind::Xarray => Era::XArray,
            },
            ..Encoding::default()
        },
        uid: m.uid(),
        gid: m.uid(),
        release: m.kernel(),
        ..Config::default()
    }
}

const MEMINFO: &[MeminfoField] = MeminfoField::ALL;

impl<'s> Run<'s, Kernel> {
    /// Boots the scenario's machine in the model and starts its processes.
    pub fn new(scenario: &'s Scenario) -> Run<'s, Kernel> {
        Run::with_backend(scenario, Kernel::new(config_of(scenario)))
    }

    /// A run with every fast path off: the kernel's ([`Kernel::set_plain`])
    /// and the runner's (every observable read afresh after every step,
    /// none kept from the last). It must print what [`Run::new`] prints,
    /// byte for byte: only slower.
    pub fn plain(scenario: &'s Scenario) -> Run<'s, Kernel> {
        let mut k = Kernel::new(config_of(scenario));
        k.set_plain(true);
        let mut run = Run::with_backend(scenario, k);
        run.plain = true;
        run
    }

    /// The kernel model the scenario runs on.
    pub fn kernel(&self) -> &Kernel {
        &self.backend
    }
}

fn reading_int(r: &Reading) -> Option<i64> {
    r.value().and_then(|v| v.parse().ok())
}

/// A machine-wide reading as its change since the scenario began, or what
/// the backend said instead of a number.
fn since(r: Reading, base: Option<i64>, show: impl Fn(i64) -> String) -> String {
    match (reading_int(&r), base) {
        (Some(now), Some(base)) => show(now - base),
        _ => show_reading(r),
    }
}

/// Why a reading is no value here (the inverse of [`show_reading`]).
fn unobservable(seen: &str) -> Option<String> {
    if seen == "(sim only)" {
        return Some("sim only: no process can see it".into());
    }
    seen.strip_prefix("(not observable here: ")
        .and_then(|r| r.strip_suffix(')'))
        .map(|why| format!("not observable here: {why}"))
}

/// Page `n` of a per-page string (`"PP-s"`): its one character, `"none"`
/// past the end or when the object is gone; a reading that is not a value
/// (`"(sim only)"`) is passed on whole.
fn page_of(whole: &str, n: u64) -> String {
    if whole.starts_with('(') {
        return whole.to_string();
    }
    nth_page(whole, n).map_or_else(|| "none".into(), String::from)
}

fn show_reading(r: Reading) -> String {
    match r {
        Reading::Value(v) => v,
        Reading::SimOnly => "(sim only)".into(),
        Reading::NotObservable(why) => format!("(not observable here: {why})"),
    }
}

fn sim_only(out: &mut String) -> CallResult {
    out.push_str("(sim only: not done on a shared host)");
    CallResult::default()
}

impl<'s, B: Backend> Run<'s, B> {
    /// Starts the scenario's processes on `backend`.
    pub fn with_backend(scenario: &'s Scenario, mut backend: B) -> Run<'s, B> {
        let mut procs = BTreeMap::new();
        let mut order = Vec::new();
        for p in &scenario.procs {
            let pid = backend.spawn(&p.value);
            procs.insert(
                p.value.clone(),
                ProcState {
                    pid: Some(pid),
                    was: pid,
                    names: BTreeMap::new(),
                    ended: None,
                },
            );
            order.push(p.value.clone());
        }
        backend.take_touches();
        backend.take_trace();
        backend.take_dmesg();
        let base = MEMINFO
            .iter()
            .map(|f| (f.name(), reading_int(&backend.meminfo(f.name()))))
            .collect();
        let base_df = reading_int(&backend.df_used_kb("/dev/shm"));
        let mut run = Run {
            backend,
            scenario,
            procs,
            order,
            next: 0,
            base,
            base_df,
            prev: BTreeMap::new(),
            inos: BTreeMap::new(),
            kept: BTreeMap::new(),
            plain: false,
        };
        run.prev = run.observables(None);
        run.learn_inodes();
        run
    }

    /// Steps played so far.
    pub fn done(&self) -> usize {
        self.next
    }

    /// Plays every remaining step.
    pub fn run_all(&mut self) -> Vec<StepOutcome> {
        std::iter::from_fn(|| self.step()).collect()
    }

    /// Plays the next step; `None` at the end.
    pub fn step(&mut self) -> Option<StepOutcome> {
        let step = self.scenario.steps.get(self.next)?;
        self.next += 1;
        let mut out = String::new();
        let not_run = self.not_run(step);
        let result = match not_run {
            Some(_) => CallResult::default(),
            None => self.exec(step, &mut out),
        };
        let touches = self.backend.take_touches();
        let trace = self.backend.take_trace();
        let kernel_untouched =
            self.backend.touches_complete() && trace.is_empty() && touches.records.is_empty();
        let dmesg = self.backend.take_dmesg();
        self.reap();
        let complete = (self.backend.touches_complete() && !self.plain).then_some(&touches);
        let observables = self.observables(complete);
        let mut changes = diff(&self.prev, &observables);
        self.prev = observables.clone();
        if !touches.records.is_empty() {
            self.learn_inodes();
            for c in &mut changes {
                c.why = self.why(&c.name, &touches);
            }
        }
        let checks = match &step.expect {
            Some(e) => e
                .value
                .iter()
                .map(|x| self.check(step, x, &result, &out))
                .collect(),
            None => Vec::new(),
        };
        Some(StepOutcome {
            step: step.index + 1,
            proc: step.proc.as_ref().map(|p| p.value.clone()),
            do_: step.do_.value.clone(),
            result,
            out,
            say: step.say.as_ref().map(|s| s.value.clone()),
            trace,
            observables,
            changes,
            checks,
            dmesg,
            quiz: step.quiz.as_ref().map(|q| QuizView {
                ask: q.ask.value.clone(),
                choices: q.choices.iter().map(|c| c.value.clone()).collect(),
                answer: q.answer.value,
            }),
            kernel_untouched,
            touches: complete.cloned(),
            not_run,
        })
    }

    /// Remembers the inode each file observable names now.
    fn learn_inodes(&mut self) {
        let mut found = Vec::new();
        for name in self.prev.keys() {
            if let Some(file) = self.file_of_observable(name) {
                if let Some(ino) = self.backend.file_inode(&file) {
                    found.push((name.clone(), ino));
                }
            }
        }
        self.inos.extend(found);
    }

    /// The file an observable is about: `cache.PATH`, `data.PATH`, or the
    /// mapping of `core.NAME@proc`.
    fn file_of_observable(&self, name: &str) -> Option<FileRef> {
        let (family, rest) = name.split_once('.')?;
        match family {
            "cache" | "data" => Some(self.file_of(None, rest)),
            "core" => {
                let (n, p) = rest.split_once('@')?;
                let st = self.procs.get(p)?;
                match (st.pid, st.names.get(n)) {
                    (Some(pid), Some(Value::Mapping { addr, .. })) => {
                        Some(FileRef::Mapping(pid, *addr))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The kernel functions of the step that changed observable `name`.
    fn why(&mut self, name: &str, touches: &Touches) -> Vec<Cause> {
        let subjects = self.subjects(name);
        let mut causes: Vec<Cause> = Vec::new();
        for r in &touches.records {
            if !subjects.iter().any(|s| s.covers(r)) {
                continue;
            }
            match causes
                .iter_mut()
                .find(|c| c.func == r.func && c.file == r.file)
            {
                Some(c) => c.count += r.count,
                None => causes.push(Cause {
                    func: r.func,
                    file: r.file,
                    count: r.count,
                }),
            }
        }
        causes
    }

    /// What observable `name` is made of, as touch keys, with the file it
    /// reads as the step before last saw it (the `why` of a file now gone).
    fn subjects(&mut self, name: &str) -> Vec<Subject> {
        let ino = match name.split_once('.') {
            Some(("pte" | "core" | "smaps", rest)) => {
                let (base, p) = rest.split_once('@').unwrap_or((rest, ""));
                let n = base.split('.').next().unwrap_or(base);
                self.inos.get(&format!("core.{n}@{p}")).copied()
            }
            _ => self.inos.get(name).copied(),
        };
        self.subjects_of(name, ino)
    }

    /// What observable `name` is made of, as touch keys; `ino` is the file
    /// it reads (a `cache`/`data` file, or the mapping's file).
    fn subjects_of(&mut self, name: &str, ino: Option<u32>) -> Vec<Subject> {
        let (base, pname) = match name.split_once('@') {
            Some((b, p)) => (b, Some(p)),
            None => (name, None),
        };
        let Some((family, rest)) = base.split_once('.') else {
            return Vec::new();
        };
        let mut s = Vec::new();
        let st = pname.and_then(|p| self.procs.get(p));
        if let Some(st) = st {
            s.push(Subject::all(TouchKey::Task(st.was)));
        }
        let file = |s: &mut Vec<Subject>, ino: Option<u32>| {
            if let Some(ino) = ino {
                s.push(Subject::all(TouchKey::Cache(ino)));
                s.push(Subject::all(TouchKey::Inode(ino)));
            }
        };
        match family {
            "meminfo" => {
                s.extend(
                    meminfo_counters(rest)
                        .iter()
                        .map(|&c| Subject::all(TouchKey::Counter(c))),
                );
                // A page mapped in a locked VMA is mlocked: any PTE can move it.
                if rest == "Mlocked" {
                    s.push(Subject::AnyPtes);
                }
            }
            "df" => s.push(Subject::all(TouchKey::Df(crate::fs::vfs::SB_DEV_SHM))),
            "cache" | "data" => file(&mut s, ino),
            "pte" | "core" | "smaps" => {
                let (n, field) = rest.split_once('.').unwrap_or((rest, ""));
                let Some(st) = st else { return s };
                let pid = st.was;
                match st.names.get(n) {
                    Some(Value::Mapping { addr, len }) => {
                        let hi = addr.saturating_add((*len).max(1) - 1) / 4096;
                        let lo = addr / 4096;
                        s.push(Subject::range(TouchKey::Ptes(pid), lo, hi));
                        s.push(Subject::range(TouchKey::Vmas(pid), lo, hi));
                    }
                    // A name whose mapping went (`munmap`, `shmdt`): what
                    // unmapped its first page.
                    Some(Value::Ptr(addr)) => {
                        s.push(Subject::range(
                            TouchKey::Vmas(pid),
                            addr / 4096,
                            addr / 4096,
                        ));
                    }
                    _ => {}
                }
                // mincore and smaps (`Swap`) also read the mapped file's cache.
                if family != "pte" {
                    file(&mut s, ino);
                }
                if family == "core" {
                    s.push(Subject::all(TouchKey::Counter(Counter::SwapCache)));
                }
                // A page's map count moves with any process's PTEs.
                if ["Pss", "Shared", "Private"]
                    .iter()
                    .any(|f| field.starts_with(f))
                {
                    s.push(Subject::AnyPtes);
                }
            }
            "shm" => {
                let (n, field) = rest.split_once('.').unwrap_or((rest, ""));
                if let Some(Value::ShmId(id)) = st.and_then(|st| st.names.get(n)) {
                    s.push(Subject::all(TouchKey::Shm(*id)));
                    if field == "rss" || field == "swap" {
                        let ino = self.backend.shm_inode(*id);
                        file(&mut s, ino);
                    }
                }
            }
            _ => {}
        }
        s
    }

    /// Processes the OOM killer ended lose their names.
    fn reap(&mut self) {
        let step = self.next;
        for st in self.procs.values_mut() {
            if st.pid.is_some_and(|p| !self.backend.alive(p)) {
                st.pid = None;
                st.ended
                    .get_or_insert_with(|| format!("was killed at step {step}"));
            }
        }
    }

    /// Why `step` cannot run: its process has ended. The checker refuses a
    /// step after `exit()`; a process that a fault or the OOM killer ended
    /// at run time runs no more code either, as in C.
    fn not_run(&self, step: &Step) -> Option<String> {
        let name = &step.proc.as_ref()?.value;
        let st = self.procs.get(name)?;
        if st.pid.is_some() {
            return None;
        }
        let how = st.ended.as_deref().unwrap_or("has ended");
        Some(format!(
            "`{name}` {how}: a process that has ended runs no more code"
        ))
    }

    /// Marks process `pname` as ended at this step, and how.
    fn end(&mut self, pname: &str, how: String) {
        if let Some(p) = self.procs.get_mut(pname) {
            p.pid = None;
            p.names.clear();
            p.ended = Some(format!("{how} at step {}", self.next));
        }
    }

    fn pid_of(&self, name: &str) -> Option<Pid> {
        self.procs.get(name).and_then(|p| p.pid)
    }

    fn eval(&self, proc_: Option<&str>, e: &Expr) -> Value {
        match &e.kind {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Char(c) => Value::Int(*c as i64),
            ExprKind::Str(s) => Value::Str(s.bytes.clone()),
            ExprKind::Name(n) => {
                if let Some(v) = proc_
                    .and_then(|p| self.procs.get(p))
                    .and_then(|p| p.names.get(n))
                {
                    return v.clone();
                }
                if let Some(c) = consts::constant(n) {
                    return Value::Int(c.value);
                }
                // A process named bare (`pmap(consumer)`).
                Value::Str(n.as_bytes().to_vec())
            }
            ExprKind::Neg(x) => Value::Int(self.eval(proc_, x).as_int().wrapping_neg()),
            ExprKind::Not(x) => Value::Int(!self.eval(proc_, x).as_int()),
            ExprKind::Binary { op, lhs, rhs } => {
                use crate::scenario::ast::BinOp;
                let (l, r) = (self.eval(proc_, lhs), self.eval(proc_, rhs));
                let (a, b) = (l.as_int(), r.as_int());
                // A division that traps never gets here (see `traps`).
                let v = op.apply(a, b).unwrap_or(0);
                let pointer = matches!(l, Value::Mapping { .. } | Value::Ptr(_))
                    || matches!(r, Value::Mapping { .. } | Value::Ptr(_)) && *op == BinOp::Add;
                if pointer && matches!(op, BinOp::Add | BinOp::Sub) {
                    Value::Ptr(v as u64)
                } else {
                    Value::Int(v)
                }
            }
            ExprKind::Cast { ty, expr } => {
                let v = self.eval(proc_, expr).as_int();
                match ty.ty {
                    CType::Ptr => Value::Ptr(v as u64),
                    _ => Value::Int(ty.ty.convert(v)),
                }
            }
            ExprKind::Sizeof(x) => Value::Int(match (&x.kind, self.eval(proc_, x)) {
                (ExprKind::Cast { ty, .. }, _) => ty.ty.size().unwrap_or(0),
                (_, Value::Str(b)) => b.len() as i64 + 1,
                (_, Value::Struct(f)) => struct_size(&f),
                _ => 8,
            }),
            ExprKind::SizeofType(t) => Value::Int(t.ty.size().unwrap_or(0)),
            ExprKind::Strlen(x) => Value::Int(match self.eval(proc_, x) {
                Value::Str(b) => b.iter().position(|&c| c == 0).unwrap_or(b.len()) as i64,
                _ => 0,
            }),
            ExprKind::AddrOf(id) => Value::Str(id.name.as_bytes().to_vec()),
            ExprKind::Field(path) => {
                let root = proc_
                    .and_then(|p| self.procs.get(p))
                    .and_then(|p| p.names.get(&path.root.name));
                match root {
                    Some(Value::Struct(fields)) => {
                        Value::Int(fields.get(&path.dotted()).copied().unwrap_or(0))
                    }
                    _ => Value::Int(0),
                }
            }
            ExprKind::Index(_) => Value::Int(0),
        }
    }

    /// Does evaluating `e` trap, as x86's `idiv` does on a zero divisor (or
    /// `LONG_MIN / -1`)? C evaluates a statement's operands before it calls
    /// or stores, so such a statement ends with `SIGFPE` and does nothing else.
    fn traps(&self, proc_: Option<&str>, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs } => {
                if self.traps(proc_, lhs) || self.traps(proc_, rhs) {
                    return true;
                }
                let (a, b) = (
                    self.eval(proc_, lhs).as_int(),
                    self.eval(proc_, rhs).as_int(),
                );
                op.apply(a, b).is_none()
            }
            ExprKind::Neg(x) | ExprKind::Not(x) | ExprKind::Sizeof(x) | ExprKind::Strlen(x) => {
                self.traps(proc_, x)
            }
            ExprKind::Cast { expr, .. } => self.traps(proc_, expr),
            ExprKind::Index(p) => self.traps(proc_, &p.base) || self.traps(proc_, &p.index),
            _ => false,
        }
    }

    /// The expressions a statement evaluates.
    fn operands(stmt: &StmtKind) -> Vec<&Expr> {
        match stmt {
            StmtKind::Call(c) | StmtKind::Assign { call: c, .. } => c.args.iter().collect(),
            StmtKind::Let { value, .. } => vec![value],
            StmtKind::Store { place, value } => vec![&place.base, &place.index, value],
            StmtKind::Load { place, .. } => vec![&place.base, &place.index],
            StmtKind::SetField { value, .. } => vec![value],
        }
    }

    /// The arguments of a call of the call table: every one's integer, and
    /// the bytes of its paths and data.
    fn args_of(&self, proc_: Option<&str>, sys: Sys, a: &[Expr], ints: Vec<i64>) -> Args {
        let strs = a
            .iter()
            .zip(sys.sig().params)
            .map(|(e, prm)| {
                matches!(prm.kind, ArgKind::Path | ArgKind::Data).then(|| self.bytes_of(proc_, e))
            })
            .collect();
        Args { ints, strs }
    }

    /// A struct a table call filled: the `&name` given for its parameter
    /// of kind `StatBuf` holds it.
    fn fill(&mut self, pname: &str, sys: Sys, a: &[Expr], ret: &Ret) {
        let Ret::Stat(st) = ret else { return };
        for (e, prm) in a.iter().zip(sys.sig().params) {
            if let (ArgKind::StatBuf, ExprKind::AddrOf(b)) = (prm.kind, &e.kind) {
                self.bind(pname, &b.name, Value::Struct(stat_fields(st)));
            }
        }
    }

    /// What a table call's success value `v` binds a name to, as its
    /// declaration's result says.
    fn bound_by(&mut self, sys: Sys, args: &Args, v: i64) -> Option<Value> {
        use crate::scenario::calls::Returns;
        match sys.sig().returns {
            Returns::Fd => Some(Value::Fd(v as i32)),
            Returns::Key => Some(Value::Key(v as i32)),
            Returns::ShmId => Some(Value::ShmId(v as i32)),
            Returns::Mapping => {
                let len = match sys.maps()? {
                    Len::Arg(i) => args.u64(i),
                    Len::Segment(i) => self.backend.shm_row(args.i32(i)).map_or(0, |r| r.size),
                };
                Some(Value::Mapping {
                    addr: v as u64,
                    len,
                })
            }
            _ => None,
        }
    }

    fn bytes_of(&self, proc_: Option<&str>, e: &Expr) -> Vec<u8> {
        match self.eval(proc_, e) {
            Value::Str(b) => b,
            v => v.as_int().to_string().into_bytes(),
        }
    }

    fn text_of(&self, proc_: Option<&str>, e: &Expr) -> String {
        String::from_utf8_lossy(&self.bytes_of(proc_, e)).into_owned()
    }

    fn bind(&mut self, proc_: &str, name: &str, v: Value) {
        if let Some(p) = self.procs.get_mut(proc_) {
            p.names.insert(name.to_string(), v);
        }
    }

    /// Runs one step's statement.
    fn exec(&mut self, step: &Step, out: &mut String) -> CallResult {
        let proc_ = step.proc.as_ref().map(|p| p.value.clone());
        let Some(pname) = proc_.as_deref() else {
            let call = step
                .stmt
                .kind
                .call()
                .expect("the checker gives machine steps a call");
            return self.machine_call(call, out);
        };
        let Some(pid) = self.pid_of(pname) else {
            // `step` does not run the steps of an ended process.
            return CallResult::default();
        };
        if Self::operands(&step.stmt.kind)
            .into_iter()
            .any(|e| self.traps(Some(pname), e))
        {
            let f = Fault {
                signal: Signal::SIGFPE,
                code: crate::errno::SigCode::FPE_INTDIV,
                addr: 0,
            };
            self.backend.trap(pid, f);
            return self.killed(pname, f);
        }
        match &step.stmt.kind {
            StmtKind::Call(call) => self.call(pname, pid, call, None, out),
            StmtKind::Assign { name, call } => self.call(pname, pid, call, Some(&name.name), out),
            StmtKind::Let { name, value } => {
                let v = self.eval(Some(pname), value);
                let ret = v.as_int();
                self.bind(pname, &name.name, v);
                CallResult {
                    ret: Some(ret),
                    ..CallResult::default()
                }
            }
            StmtKind::Store { place, value } => {
                let addr = self
                    .eval(Some(pname), &place.base)
                    .as_int()
                    .wrapping_add(self.eval(Some(pname), &place.index).as_int());
                let byte = self.eval(Some(pname), value).as_int() as u8;
                match self.backend.write_user(pid, addr as u64, &[byte]) {
                    Ok(()) => CallResult {
                        ret: Some(byte as i64),
                        ..CallResult::default()
                    },
                    Err(f) => self.killed(pname, f),
                }
            }
            StmtKind::Load { name, place } => {
                let addr = self
                    .eval(Some(pname), &place.base)
                    .as_int()
                    .wrapping_add(self.eval(Some(pname), &place.index).as_int());
                match self.backend.read_user(pid, addr as u64, 1) {
                    Ok(b) => {
                        out.push_str(&show_bytes(&b));
                        self.bind(pname, &name.name, Value::Int(b[0] as i64));
                        CallResult {
                            ret: Some(b[0] as i64),
                            ..CallResult::default()
                        }
                    }
                    Err(f) => self.killed(pname, f),
                }
            }
            StmtKind::SetField { target, value } => {
                let v = self.eval(Some(pname), value).as_int();
                if let Some(Value::Struct(fields)) = self
                    .procs
                    .get_mut(pname)
                    .and_then(|p| p.names.get_mut(&target.root.name))
                {
                    fields.insert(target.dotted(), v);
                }
                CallResult {
                    ret: Some(v),
                    ..CallResult::default()
                }
            }
        }
    }

    fn killed(&mut self, pname: &str, f: Fault) -> CallResult {
        self.end(pname, format!("was killed by {}", f.signal.name()));
        CallResult {
            ret: None,
            errno: None,
            signal: Some(f.signal),
        }
    }

    fn sys<T>(r: Result<T, Errno>, ok: impl FnOnce(T) -> i64) -> CallResult {
        match r {
            Ok(v) => CallResult {
                ret: Some(ok(v)),
                ..CallResult::default()
            },
            Err(e) => CallResult {
                ret: Some(-1),
                errno: Some(e),
                signal: None,
            },
        }
    }

    #[allow(clippy::too_many_lines)]
    fn call(
        &mut self,
        pname: &str,
        pid: Pid,
        call: &Call,
        bind: Option<&str>,
        out: &mut String,
    ) -> CallResult {
        let p = Some(pname);
        let a = &call.args;
        let ints: Vec<i64> = a.iter().map(|e| self.eval(p, e).as_int()).collect();
        let int = |i: usize| -> i64 { ints.get(i).copied().unwrap_or(0) };
        let name = call.name.name.as_str();
        let mut bound: Option<Value> = None;
        let sys = Sys::named(name).filter(|s| s.is_generic());
        let r = match name {
            // A call of the call table: its arguments, evaluated, are all it needs.
            _ if sys.is_some() => {
                let sys = sys.expect("matched");
                let args = self.args_of(p, sys, a, ints.clone());
                let r = match counted(sys, a.len(), args) {
                    Ok(args) => {
                        let r = self.backend.syscall(pid, sys, &args);
                        let r = r.map(|ret| {
                            self.fill(pname, sys, a, &ret);
                            printed(sys, ret, out)
                        });
                        bound = r.as_ref().ok().and_then(|&v| self.bound_by(sys, &args, v));
                        r
                    }
                    Err(e) => Err(e),
                };
                Self::sys(r, |v| v)
            }
            "mkstemp" => {
                let template = self.text_of(p, &a[0]);
                let r = self.backend.mkstemp(pid, &template);
                if let (Ok((_, path)), Some(n)) = (&r, a[0].as_name()) {
                    if matches!(self.procs[pname].names.get(n), Some(Value::Str(_))) {
                        self.bind(pname, n, Value::Str(path.clone().into_bytes()));
                    }
                }
                bound = r.as_ref().ok().map(|(fd, _)| Value::Fd(*fd));
                Self::sys(r, |(fd, _)| fd as i64)
            }
            "shmctl" => self.shmctl(pname, pid, call),
            "memcpy" => {
                let dst = int(0) as u64;
                let n = int(2) as u64;
                let r = match self.eval(p, &a[1]) {
                    // A literal: its bytes and NUL, then zeroes (written page
                    // by page, so a huge n faults at the end of the mapping).
                    Value::Str(mut b) => {
                        b.push(0);
                        b.truncate(n as usize);
                        let rest = n - b.len() as u64;
                        self.backend.write_user(pid, dst, &b).and_then(|()| {
                            if rest > 0 {
                                self.backend.fill_user(
                                    pid,
                                    dst.wrapping_add(b.len() as u64),
                                    0,
                                    rest,
                                )
                            } else {
                                Ok(())
                            }
                        })
                    }
                    v => self
                        .backend
                        .read_user(pid, v.as_int() as u64, n)
                        .and_then(|b| self.backend.write_user(pid, dst, &b)),
                };
                match r {
                    Ok(()) => {
                        bound = Some(Value::Ptr(dst));
                        CallResult {
                            ret: Some(dst as i64),
                            ..CallResult::default()
                        }
                    }
                    Err(f) => return self.killed(pname, f),
                }
            }
            "memset" => {
                let dst = int(0) as u64;
                match self
                    .backend
                    .fill_user(pid, dst, int(1) as u8, int(2) as u64)
                {
                    Ok(()) => {
                        bound = Some(Value::Ptr(dst));
                        CallResult {
                            ret: Some(dst as i64),
                            ..CallResult::default()
                        }
                    }
                    Err(f) => return self.killed(pname, f),
                }
            }
            "printf" => match self.printf(pname, pid, call) {
                Ok(text) => {
                    out.push_str(&text);
                    CallResult {
                        ret: Some(text.len() as i64),
                        ..CallResult::default()
                    }
                }
                Err(f) => return self.killed(pname, f),
            },
            "fork" => {
                let child_name = bind.unwrap_or("child").to_string();
                let r = self.backend.fork(pid, &child_name);
                if let Ok(child) = r {
                    let mut names = self.procs[pname].names.clone();
                    names.insert(child_name.clone(), Value::Int(0));
                    self.procs.insert(
                        child_name.clone(),
                        ProcState {
                            pid: Some(child),
                            was: child,
                            names,
                            ended: None,
                        },
                    );
                    self.order.push(child_name);
                    bound = Some(Value::Int(child as i64));
                }
                Self::sys(r, |c| c as i64)
            }
            "exit" => {
                let r = self.backend.exit(pid, int(0) as i32);
                self.end(pname, "called exit()".into());
                return CallResult {
                    ret: r.ok().map(|_| int(0)),
                    ..CallResult::default()
                };
            }
            "send_fd" => {
                let to = self.text_of(p, &a[0]);
                match self.pid_of(&to) {
                    Some(to) => {
                        Self::sys(self.backend.send_fd(pid, to, int(1) as i32), |v| v as i64)
                    }
                    // The peer's end of the socket pair is closed.
                    None => Self::sys::<i32>(Err(Errno::EPIPE), |v| v as i64),
                }
            }
            "recv_fd" => {
                let r = self.backend.recv_fd(pid);
                bound = r.ok().map(Value::Fd);
                Self::sys(r, |fd| fd as i64)
            }
            other => unreachable!("the checker admits only known calls, not {other}"),
        };
        if r.errno.is_none() {
            self.forget_unmapped(pname, Sys::named(name), &ints, bound.as_ref());
        }
        if let Some(n) = bind {
            self.bind(pname, n, c_value(name, &r, bound));
        }
        r
    }

    /// A name bound to a mapping that a call unmapped (`munmap`, `shmdt`,
    /// `MAP_FIXED` or `SHM_REMAP` over it, `mremap` away from it) no longer
    /// names a mapping: it is then the pointer C's variable still holds, so
    /// `p[0]` goes where the address goes, but `pte.p` and the other
    /// observables of the mapping read `"none"`, even once a new mapping
    /// takes the same addresses.
    fn forget_unmapped(
        &mut self,
        pname: &str,
        sys: Option<Sys>,
        ints: &[i64],
        new: Option<&Value>,
    ) {
        let (Some(st), Some(how)) = (self.procs.get_mut(pname), sys.and_then(Sys::unmaps)) else {
            return;
        };
        let gone = unmapped_by(how, ints, new, &st.names);
        for v in st.names.values_mut() {
            if let Value::Mapping { addr, len } = *v {
                let (a, b) = page_range(addr, len);
                if gone.iter().any(|&(lo, hi)| lo <= a && b <= hi) {
                    *v = Value::Ptr(addr);
                }
            }
        }
    }

    fn shmctl(&mut self, pname: &str, pid: Pid, call: &Call) -> CallResult {
        let p = Some(pname);
        let id = self.eval(p, &call.args[0]).as_int() as i32;
        let cmd = self.eval(p, &call.args[1]).as_int() as i32;
        let buf = call.args.get(2).and_then(|e| match &e.kind {
            ExprKind::AddrOf(n) => Some(n.name.clone()),
            _ => None,
        });
        let set = if cmd == IPC_SET {
            match buf.as_ref().and_then(|b| self.procs[pname].names.get(b)) {
                Some(Value::Struct(f)) => Some((
                    f.get("shm_perm.uid").copied().unwrap_or(0) as u32,
                    f.get("shm_perm.gid").copied().unwrap_or(0) as u32,
                    f.get("shm_perm.mode").copied().unwrap_or(0) as u32,
                )),
                _ => None,
            }
        } else {
            None
        };
        let r = self.backend.shmctl(pid, id, cmd, set);
        if let (Ok(res), Some(b)) = (&r, buf) {
            let fields = match (&res.ds, &res.info) {
                (Some(ds), _) => Some(shmid_ds_fields(ds)),
                (_, Some(info)) => Some(shminfo_fields(info)),
                _ => None,
            };
            if let Some(f) = fields {
                if cmd == IPC_STAT || cmd == IPC_INFO || res.ds.is_some() || res.info.is_some() {
                    self.bind(pname, &b, Value::Struct(f));
                }
            }
        }
        Self::sys(r, |res| res.ret)
    }

    fn printf(&mut self, pname: &str, pid: Pid, call: &Call) -> Result<String, Fault> {
        let p = Some(pname);
        let fmt = self.bytes_of(p, &call.args[0]);
        let mut args = call.args[1..].iter();
        let mut s = String::new();
        let mut i = 0;
        while i < fmt.len() {
            let c = fmt[i];
            if c != b'%' {
                s.push(c as char);
                i += 1;
                continue;
            }
            i += 1;
            // Length modifiers (`%ld`, `%lu`, `%lx`) change nothing here.
            while i < fmt.len() && fmt[i] == b'l' {
                i += 1;
            }
            let Some(&conv) = fmt.get(i) else { break };
            i += 1;
            if conv == b'%' {
                s.push('%');
                continue;
            }
            let Some(arg) = args.next() else { break };
            let v = self.eval(p, arg);
            match conv {
                b's' => match v {
                    Value::Str(b) => s.push_str(&String::from_utf8_lossy(&b)),
                    v => match self.backend.read_user_cstr(pid, v.as_int() as u64, 1 << 20) {
                        Ok(b) => s.push_str(&String::from_utf8_lossy(&b)),
                        Err(f) => {
                            self.killed(pname, f);
                            return Err(f);
                        }
                    },
                },
                b'c' => s.push(v.as_int() as u8 as char),
                b'd' | b'i' => s.push_str(&v.as_int().to_string()),
                b'u' => s.push_str(&(v.as_int() as u64).to_string()),
                b'x' => s.push_str(&format!("{:x}", v.as_int())),
                b'o' => s.push_str(&format!("{:o}", v.as_int())),
                b'p' => s.push_str(&format!("{:#x}", v.as_int())),
                _ => {}
            }
        }
        Ok(s)
    }

    /// A machine or look step: the call's declared shell functions on the
    /// backend ([`Backend::shell`]), with the arguments its parameters'
    /// kinds say how to evaluate.
    fn machine_call(&mut self, call: &Call, out: &mut String) -> CallResult {
        let sys = Sys::named(&call.name.name)
            .filter(|s| s.is_shell())
            .expect("the checker gives machine steps a shell step's call");
        let done = match self.shell_args(sys, &call.args) {
            Ok(a) => self.backend.shell(sys, &a),
            Err(text) => ShellOut::Printed { text, status: 1 },
        };
        match done {
            ShellOut::Ret(r) => Self::sys(Ok(r), |r| r),
            ShellOut::Errno(e) => Self::sys(Err::<i64, _>(e), |r| r),
            ShellOut::Printed { text, status } => {
                out.push_str(&text);
                Self::sys(Ok(status), |r| r)
            }
            ShellOut::SimOnly => sim_only(out),
        }
    }

    /// A shell step's arguments: every one as text and as an integer; a
    /// `Proc` argument resolved to its process (a tool's "no such process"
    /// when it has none) and a `ProcPtr` evaluated in that process's scope.
    fn shell_args(&self, sys: Sys, args: &[Expr]) -> Result<ShellArgs, String> {
        let kinds: Vec<ArgKind> = sys.sig().params.iter().map(|p| p.kind).collect();
        let kind = |i: usize| kinds.get(i).copied();
        let mut proc_ = None;
        for (i, e) in args.iter().enumerate() {
            if kind(i) == Some(ArgKind::Proc) {
                let who = self.text_of(None, e);
                let pid = self
                    .pid_of(&who)
                    .ok_or_else(|| format!("{}: {who}: no such process\n", sys.name()))?;
                proc_ = Some((pid, who));
            }
        }
        let scope = |i: usize| match kind(i) {
            Some(ArgKind::ProcPtr) => proc_.as_ref().map(|(_, who): &(Pid, String)| who.as_str()),
            _ => None,
        };
        Ok(ShellArgs {
            texts: args.iter().map(|e| self.text_of(None, e)).collect(),
            ints: args
                .iter()
                .enumerate()
                .map(|(i, e)| self.eval(scope(i), e).as_int())
                .collect(),
            proc_,
        })
    }

    /// Every observable now: per-process ones as `KIND.NAME@proc`. With the
    /// step's touches (from a backend whose touches are complete), the
    /// per-page groups the step did not touch are the last step's values.
    fn observables(&mut self, touches: Option<&Touches>) -> BTreeMap<String, String> {
        let mut o = self.read_observables(touches);
        if cfg!(debug_assertions) && touches.is_some() {
            let fresh = self.read_observables(None);
            for (name, v) in &o {
                assert_eq!(
                    Some(v),
                    fresh.get(name),
                    "invariant: observable {name} kept from the last step differs from a fresh \
                     reading; a change of what it is made of records no trace::Touch"
                );
            }
            assert_eq!(
                o.len(),
                fresh.len(),
                "invariant: kept observables cover the same names"
            );
            o = fresh;
        }
        o
    }

    fn read_observables(&mut self, touches: Option<&Touches>) -> BTreeMap<String, String> {
        let mut o = BTreeMap::new();
        let mut kept = BTreeMap::new();
        let (mappings, segments) = self.bound_names();
        for (pname, pid, n, addr, len) in mappings {
            let of = Named::Mapping { pid, addr, len };
            let (shown, more) = crate::backend::observed_pages(len.div_ceil(4096));
            let shown_len = len.min(shown * 4096);
            let group = format!("pte.{n}@{pname}");
            self.keep(&mut kept, touches, group, of, |b| {
                let v = fold_pages(&(show_reading(b.pte(pid, addr, shown_len)) + &more));
                vec![(format!("pte.{n}@{pname}"), v)]
            });
            let group = format!("core.{n}@{pname}");
            self.keep(&mut kept, touches, group, of, |b| {
                let v = fold_pages(&(show_reading(b.core(pid, addr, shown_len)) + &more));
                vec![(format!("core.{n}@{pname}"), v)]
            });
            // The group's name stands for its widest subject (`Pss`).
            let group = format!("smaps.{n}.Pss@{pname}");
            self.keep_parts(&mut kept, touches, group, of, |b, old| {
                let (s, parts) = match b.smaps_parts(pid, addr, old) {
                    Some(Ok(parts)) => (Ok(parts.total()), Some(parts)),
                    Some(Err(e)) => (Err(e), None),
                    None => (b.smaps(pid, addr), None),
                };
                let values = match s {
                    Ok(s) => SmapsField::ALL
                        .iter()
                        .map(|f| {
                            let name = format!("smaps.{n}.{}@{pname}", f.name());
                            (name, size_kb(smaps_field(&s, *f)))
                        })
                        .collect(),
                    Err(_) => Vec::new(),
                };
                (values, parts)
            });
        }
        for (pname, n, id) in segments {
            for f in ShmField::ALL {
                o.insert(
                    format!("shm.{n}.{}@{pname}", f.name()),
                    self.shm_field(id, *f),
                );
            }
        }
        for f in MEMINFO {
            let v = since(
                self.backend.meminfo(f.name()),
                self.base[f.name()],
                signed_kb,
            );
            o.insert(format!("meminfo.{}", f.name()), v);
        }
        let df = since(self.backend.df_used_kb("/dev/shm"), self.base_df, |d| {
            size_kb(d.max(0) as u64)
        });
        o.insert("df./dev/shm".into(), df);
        for path in self.backend.shmem_files() {
            let file = FileRef::Path(path.clone());
            self.keep_file(&mut kept, touches, format!("data.{path}"), &file, |b| {
                fold_pages(&show_reading(b.data(&file)))
            });
            self.keep_file(&mut kept, touches, format!("cache.{path}"), &file, |b| {
                fold_pages(&show_reading(b.cache(&file)))
            });
        }
        for key in self.backend.segment_keys() {
            let file = FileRef::Segment(key);
            let name = format!("cache./SYSV{:08x}", key as u32);
            self.keep_file(&mut kept, touches, name, &file, |b| {
                fold_pages(&show_reading(b.cache(&file)))
            });
        }
        for k in kept.values() {
            o.extend(k.values.iter().cloned());
        }
        if touches.is_some() {
            self.kept = kept;
        }
        o
    }

    /// The names bound to mappings and to System V segments, by process.
    #[allow(clippy::type_complexity)]
    fn bound_names(
        &self,
    ) -> (
        Vec<(String, Pid, String, u64, u64)>,
        Vec<(String, String, i32)>,
    ) {
        let (mut mappings, mut segments) = (Vec::new(), Vec::new());
        for pname in &self.order {
            let st = &self.procs[pname];
            let Some(pid) = st.pid else { continue };
            for (n, v) in &st.names {
                match v {
                    Value::Mapping { addr, len } => {
                        mappings.push((pname.clone(), pid, n.clone(), *addr, *len))
                    }
                    Value::ShmId(id) => segments.push((pname.clone(), n.clone(), *id)),
                    _ => {}
                }
            }
        }
        (mappings, segments)
    }

    /// A file's one-value group: `data.PATH` or `cache.PATH`.
    fn keep_file(
        &mut self,
        kept: &mut BTreeMap<String, Kept>,
        touches: Option<&Touches>,
        name: String,
        file: &FileRef,
        read: impl FnOnce(&mut B) -> String,
    ) {
        let of = Named::File(self.backend.file_inode(file));
        let key = name.clone();
        self.keep(kept, touches, key, of, |b| vec![(name, read(b))]);
    }

    /// Group `group` as the last step read it, if the step's `touches`
    /// cover none of its subjects and it names what it named; else read
    /// afresh with `read`.
    fn keep(
        &mut self,
        kept: &mut BTreeMap<String, Kept>,
        touches: Option<&Touches>,
        group: String,
        of: Named,
        read: impl FnOnce(&mut B) -> Vec<(String, String)>,
    ) {
        self.keep_parts(kept, touches, group, of, |b, _| (read(b), None));
    }

    /// As [`Run::keep`], for a group read by parts (smaps by page table):
    /// `read` gets the parts the last step read, with this step's touches,
    /// to read again only the parts touched.
    fn keep_parts(
        &mut self,
        kept: &mut BTreeMap<String, Kept>,
        touches: Option<&Touches>,
        group: String,
        of: Named,
        read: impl FnOnce(
            &mut B,
            Option<(&SmapsParts, &Touches)>,
        ) -> (Vec<(String, String)>, Option<SmapsParts>),
    ) {
        let mut old_parts = None;
        if let (Some(t), Some(k)) = (touches, self.kept.get(&group)) {
            let touched = || {
                t.records
                    .iter()
                    .any(|r| k.subjects.iter().any(|s| s.covers(r)))
            };
            if k.of == of && !touched() {
                let k = self.kept.remove(&group).expect("just found");
                kept.insert(group, k);
                return;
            }
            if k.of == of {
                old_parts = self.kept.remove(&group).and_then(|k| k.parts);
            }
        }
        let old = old_parts.as_ref().zip(touches);
        let (values, parts) = read(&mut self.backend, old);
        let ino = match of {
            Named::File(ino) => ino,
            Named::Mapping { pid, addr, .. } => {
                self.backend.file_inode(&FileRef::Mapping(pid, addr))
            }
        };
        let subjects = self.subjects_of(&group, ino);
        kept.insert(
            group,
            Kept {
                of,
                subjects,
                values,
                parts,
            },
        );
    }

    fn shm_field(&mut self, id: i32, f: ShmField) -> String {
        let Some(row) = self.backend.shm_row(id) else {
            return "none".into();
        };
        let name_of = |pid: Pid| -> String {
            if pid == 0 {
                return "0".into();
            }
            self.procs
                .iter()
                .find(|(_, st)| st.was == pid)
                .map_or_else(|| pid.to_string(), |(n, _)| n.clone())
        };
        match f {
            // In bytes, as /proc/sysvipc/shm prints it.
            ShmField::Size => row.size.to_string(),
            ShmField::Nattch => row.nattch.to_string(),
            ShmField::Rss => size_kb(row.rss / 1024),
            ShmField::Swap => size_kb(row.swap / 1024),
            ShmField::Perms => format!("{:o}", row.perms),
            ShmField::Cpid => name_of(row.cpid),
            ShmField::Lpid => name_of(row.lpid),
            ShmField::Key => row.key.to_string(),
        }
    }

    fn check(&mut self, step: &Step, x: &Expectation, r: &CallResult, out: &str) -> Check {
        let pname = step.proc.as_ref().map(|p| p.value.as_str());
        let observable = x.observable.to_string();
        let (seen, ok) = self.seen(pname, &x.observable, &x.value, r, out);
        let not_here = unobservable(&seen);
        let ok = ok || not_here.is_some();
        let mut expected = show_expect(&x.value);
        match (&x.observable, &x.value) {
            (Observable::Meminfo(_), ExpectValue::Bytes(b)) => expected = signed_kb(b / 1024),
            (Observable::Meminfo(_), ExpectValue::Compare(op, inner)) => {
                if let ExpectValue::Bytes(b) = **inner {
                    expected = format!("{} {}", op.symbol(), signed_kb(b / 1024));
                }
            }
            _ => {}
        }
        Check {
            observable,
            expected,
            seen,
            ok,
            not_here,
        }
    }

    fn seen(
        &mut self,
        pname: Option<&str>,
        obs: &Observable,
        want: &ExpectValue,
        r: &CallResult,
        out: &str,
    ) -> (String, bool) {
        let proc_key = |n: &str| pname.map(|p| format!("{n}@{p}"));
        let now = self.prev.clone();
        let lookup = |key: Option<String>| {
            key.and_then(|k| now.get(&k).cloned())
                .unwrap_or_else(|| "none".into())
        };
        let seen = match obs {
            Observable::Ret => r.ret.map_or("none".into(), |v| v.to_string()),
            Observable::Errno => r.errno.map_or("0".into(), |e| e.name().to_string()),
            Observable::Signal => r.signal.map_or("none".into(), |s| s.name().to_string()),
            Observable::Out => out.to_string(),
            Observable::Pte(n) => lookup(proc_key(&format!("pte.{n}"))),
            Observable::Core(n) => lookup(proc_key(&format!("core.{n}"))),
            Observable::Smaps(n, f) => lookup(proc_key(&format!("smaps.{n}.{}", f.name()))),
            Observable::Shm(n, f) => {
                let id = pname
                    .and_then(|p| self.procs.get(p))
                    .and_then(|st| st.names.get(n))
                    .cloned();
                match (id, f) {
                    (Some(Value::ShmId(id)), Some(f)) => self.shm_field(id, *f),
                    (Some(Value::ShmId(id)), None) => {
                        if self.backend.shm_row(id).is_some() {
                            format!("segment {id}")
                        } else {
                            "none".into()
                        }
                    }
                    _ => "none".into(),
                }
            }
            Observable::Meminfo(f) => now
                .get(&format!("meminfo.{}", f.name()))
                .cloned()
                .unwrap_or_default(),
            Observable::Status(f) => match pname.and_then(|p| self.pid_of(p)) {
                Some(pid) => match self.backend.status_kb(pid, *f) {
                    Reading::Value(v) => v.parse().map_or(v, size_kb),
                    r => show_reading(r),
                },
                None => "none".into(),
            },
            Observable::Df(path) => {
                let base = if path.starts_with("/dev/shm") {
                    self.base_df
                } else {
                    Some(0)
                };
                since(self.backend.df_used_kb(path), base, |d| {
                    size_kb(d.max(0) as u64)
                })
            }
            Observable::Data(path) => {
                let f = self.file_of(pname, path);
                fold_pages(&show_reading(self.backend.data(&f)))
            }
            Observable::Cache(path) => {
                let f = self.file_of(pname, path);
                fold_pages(&show_reading(self.backend.cache(&f)))
            }
            Observable::Slot(path, n) => {
                let f = self.file_of(pname, path);
                show_reading(self.backend.slot(&f, *n))
            }
            Observable::Maps(n) => {
                let addr =
                    pname
                        .and_then(|p| self.procs.get(p))
                        .and_then(|st| match st.names.get(n) {
                            Some(Value::Mapping { addr, .. }) => Some(*addr),
                            _ => None,
                        });
                match (addr, pname.and_then(|p| self.pid_of(p))) {
                    (Some(addr), Some(pid)) => show_reading(self.backend.maps(pid, addr)),
                    _ => "none".into(),
                }
            }
            Observable::Page(inner, n) => {
                let (whole, _) = self.seen(pname, inner, &ExpectValue::None, r, out);
                page_of(&whole, *n)
            }
        };
        // A per-page string agrees however either side folds its runs.
        let per_page = matches!(
            obs,
            Observable::Pte(_) | Observable::Core(_) | Observable::Data(_) | Observable::Cache(_)
        );
        let ok = agrees(want, &seen, self, pname)
            || matches!(want, ExpectValue::Text(t) if per_page && same_pages(t, &seen));
        (seen, ok)
    }

    /// The file a `data`/`cache`/`slot` observable names: a mapping NAME of
    /// the process, a `/SYSVkey` segment name, or a path.
    fn file_of(&self, pname: Option<&str>, path: &str) -> FileRef {
        let named = pname
            .and_then(|p| self.procs.get(p))
            .and_then(|st| st.names.get(path));
        if let (Some(Value::Mapping { addr, .. }), Some(pid)) =
            (named, pname.and_then(|p| self.pid_of(p)))
        {
            return FileRef::Mapping(pid, *addr);
        }
        if let Some(key) = path
            .strip_prefix("/SYSV")
            .and_then(|k| u32::from_str_radix(k, 16).ok())
        {
            return FileRef::Segment(key as i32);
        }
        FileRef::Path(path.to_string())
    }
}

const MREMAP_FIXED: u32 = crate::mm::mremap::mremap_flags::FIXED;
const MREMAP_DONTUNMAP: u32 = crate::mm::mremap::mremap_flags::DONTUNMAP;

/// `sizeof` of a struct `shmctl` filled, known by its fields.
fn struct_size(fields: &BTreeMap<String, i64>) -> i64 {
    let kind = if fields.contains_key("st_ino") {
        "stat"
    } else if fields.contains_key("shm_segsz") {
        "shmid_ds"
    } else if fields.contains_key("shmmax") {
        "shminfo"
    } else {
        "shm_info"
    };
    CType::Struct(kind.into()).size().unwrap_or(0)
}

fn page_up(x: u64) -> u64 {
    x.saturating_add(4095) & !4095
}

/// The pages `[addr, addr + len)` covers, at least one.
fn page_range(addr: u64, len: u64) -> (u64, u64) {
    (addr, addr.saturating_add(page_up(len.max(1))))
}

/// The address ranges a successful call unmapped (`new` is what it bound).
fn unmapped_by(
    how: Unmap,
    ints: &[i64],
    new: Option<&Value>,
    names: &BTreeMap<String, Value>,
) -> Vec<(u64, u64)> {
    let int = |i: usize| ints.get(i).copied().unwrap_or(0) as u64;
    match (how, new) {
        (Unmap::Range(a, l), _) => vec![page_range(int(a), int(l))],
        (Unmap::RangeIf(a, l, f, bit), _) if int(f) as u32 & bit != 0 => {
            vec![page_range(int(a), int(l))]
        }
        (Unmap::NewIf(f, bit), Some(Value::Mapping { addr, len })) if int(f) as u32 & bit != 0 => {
            vec![page_range(*addr, *len)]
        }
        (Unmap::StartingAt(a), _) => names
            .values()
            .find_map(|v| match v {
                Value::Mapping { addr, len } if *addr == int(a) => Some(page_range(*addr, *len)),
                _ => None,
            })
            .into_iter()
            .collect(),
        (Unmap::Remap, Some(Value::Mapping { addr: to, len })) => {
            let (from, old_len, flags) = (int(0), page_up(int(1)), int(3) as u32);
            let mut gone = Vec::new();
            if *to == from {
                // Shrunk in place: the tail went.
                if old_len > page_up(*len) {
                    gone.push((from + page_up(*len), from + old_len));
                }
                return gone;
            }
            // Moved: the old range went (unless MREMAP_DONTUNMAP kept it),
            // and MREMAP_FIXED replaced what the new one covers.
            if flags & MREMAP_DONTUNMAP == 0 && old_len > 0 {
                gone.push((from, from + old_len));
            }
            if flags & MREMAP_FIXED != 0 {
                gone.push(page_range(*to, *len));
            }
            gone
        }
        _ => Vec::new(),
    }
}

/// A table call's data argument counted by another (its declaration's
/// `counts`, `write(fd, s, n)`): the first `n` bytes of the string and its
/// NUL, `EFAULT` past them (bytes the model does not have); with `n` left
/// out (`given` arguments), `strlen(s)` bytes.
fn counted(sys: Sys, given: usize, mut args: Args) -> Result<Args, Errno> {
    let Some((s, n)) = sys.counts() else {
        return Ok(args);
    };
    let Some(Some(data)) = args.strs.get_mut(s) else {
        return Ok(args);
    };
    if given > n {
        data.push(0);
        let n = args.ints.get(n).copied().unwrap_or(0) as u64;
        if n > data.len() as u64 {
            return Err(Errno::EFAULT);
        }
        data.truncate(n as usize);
    } else {
        let len = data.iter().position(|&c| c == 0).unwrap_or(data.len());
        data.truncate(len);
    }
    Ok(args)
}

/// What a table call prints to `out` (its declaration's `out`), and its C
/// return value.
fn printed(sys: Sys, ret: Ret, out: &mut String) -> i64 {
    match (sys.out(), ret) {
        (Some(Out::Read), Ret::Bytes(b)) => {
            out.push_str(&show_bytes(&b));
            b.len() as i64
        }
        (Some(Out::Residency), Ret::Bytes(v)) => {
            out.extend(v.iter().map(|&b| if b & 1 != 0 { '1' } else { '0' }));
            0
        }
        (_, ret) => ret.int(),
    }
}

/// What `name = call(...)` leaves in `name`, as C would: the call's return
/// value (`bound` says what kind of value it is), `-1` when it failed, or
/// `MAP_FAILED` (`(void *) -1`) for a failed `mmap` or `shmat`.
fn c_value(call: &str, r: &CallResult, bound: Option<Value>) -> Value {
    use crate::scenario::calls::Returns;
    let ret = r.ret.unwrap_or(-1);
    if r.errno.is_none() {
        return bound.unwrap_or(Value::Int(ret));
    }
    match crate::scenario::calls::call(call).map(|c| c.returns) {
        Some(Returns::Mapping | Returns::Pointer) => Value::Ptr(ret as u64),
        Some(Returns::Fd) => Value::Fd(ret as i32),
        Some(Returns::ShmId) => Value::ShmId(ret as i32),
        Some(Returns::Key) => Value::Key(ret as i32),
        _ => Value::Int(ret),
    }
}

fn smaps_field(s: &render::SmapsView, f: SmapsField) -> u64 {
    match f {
        SmapsField::Rss => s.rss_kb,
        SmapsField::Pss => s.pss >> (10 + render::PSS_SHIFT),
        SmapsField::SharedClean => s.shared_clean_kb,
        SmapsField::SharedDirty => s.shared_dirty_kb,
        SmapsField::PrivateClean => s.private_clean_kb,
        SmapsField::PrivateDirty => s.private_dirty_kb,
        SmapsField::Swap => s.swap_kb,
    }
}

/// A `struct stat` as C sees it (`st_dev` encoded as glibc's `makedev`).
fn stat_fields(st: &crate::fs::vfs::Stat) -> BTreeMap<String, i64> {
    let (major, minor) = (i64::from(st.dev.0), i64::from(st.dev.1));
    let dev = ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & !0xff) << 12);
    [
        ("st_dev", dev),
        ("st_ino", i64::from(st.ino)),
        ("st_mode", i64::from(st.mode)),
        ("st_nlink", i64::from(st.nlink)),
        ("st_uid", i64::from(st.uid)),
        ("st_gid", i64::from(st.gid)),
        ("st_size", st.size as i64),
        ("st_blksize", 4096),
        ("st_blocks", st.blocks as i64),
        ("st_mtime", st.mtime),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn shmid_ds_fields(ds: &ShmidDs) -> BTreeMap<String, i64> {
    [
        ("shm_perm.key", ds.key as i64),
        ("shm_perm.uid", ds.uid as i64),
        ("shm_perm.gid", ds.gid as i64),
        ("shm_perm.cuid", ds.cuid as i64),
        ("shm_perm.cgid", ds.cgid as i64),
        ("shm_perm.mode", ds.mode as i64),
        ("shm_segsz", ds.shm_segsz as i64),
        ("shm_atime", ds.shm_atime),
        ("shm_dtime", ds.shm_dtime),
        ("shm_ctime", ds.shm_ctime),
        ("shm_cpid", ds.shm_cpid as i64),
        ("shm_lpid", ds.shm_lpid as i64),
        ("shm_nattch", ds.shm_nattch as i64),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn shminfo_fields(info: &ShmInfo) -> BTreeMap<String, i64> {
    let pairs: Vec<(&str, i64)> = match info {
        ShmInfo::Limits {
            shmmax,
            shmmin,
            shmmni,
            shmseg,
            shmall,
        } => vec![
            ("shmmax", *shmmax as i64),
            ("shmmin", *shmmin as i64),
            ("shmmni", *shmmni as i64),
            ("shmseg", *shmseg as i64),
            ("shmall", *shmall as i64),
        ],
        ShmInfo::Usage {
            used_ids,
            shm_tot,
            shm_rss,
            shm_swp,
        } => vec![
            ("used_ids", *used_ids as i64),
            ("shm_tot", *shm_tot as i64),
            ("shm_rss", *shm_rss as i64),
            ("shm_swp", *shm_swp as i64),
            ("swap_attempts", 0),
            ("swap_successes", 0),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// `"12 kB"`.
pub fn size_kb(kb: u64) -> String {
    crate::scenario::size::render_size_kb(kb as i64, false)
}

/// `"+4 kB"`.
pub fn signed_kb(kb: i64) -> String {
    crate::scenario::size::render_size_kb(kb, true)
}

fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        (b as char).to_string()
    } else {
        format!("\\x{b:02x}")
    }
}

/// Bytes as `out` shows them: text, with other bytes escaped as C would write them.
pub fn show_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|&c| match c {
            b'\n' => "\n".to_string(),
            b'\t' => "\t".to_string(),
            0 => "\\0".to_string(),
            c => show_byte(c),
        })
        .collect()
}

fn show_expect(v: &ExpectValue) -> String {
    match v {
        ExpectValue::Compare(op, inner) => format!("{} {}", op.symbol(), show_expect(inner)),
        ExpectValue::None => "none".into(),
        ExpectValue::Int(i) => i.to_string(),
        ExpectValue::Text(t) => t.clone(),
        ExpectValue::Bytes(b) => {
            if b % 1024 == 0 {
                format!("{} kB", b / 1024)
            } else {
                format!("{b} bytes")
            }
        }
        ExpectValue::Errno(e) => e.clone(),
        ExpectValue::Signal(s) => s.clone(),
        ExpectValue::Proc(p) => p.clone(),
        ExpectValue::Perms(p) => format!("{p:o}"),
        ExpectValue::KeyName(k) => k.clone(),
    }
}

/// A C integer literal: `0x48d2`, `0`, `17`.
fn parse_word(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Reads `"12 kB"`, `"+4 kB"`, `"-4 kB"` back into bytes.
fn parse_kb(s: &str) -> Option<i64> {
    let n = s.strip_suffix(" kB")?;
    n.trim_start_matches('+')
        .parse::<i64>()
        .ok()
        .map(|v| v * 1024)
}

fn agrees<B: Backend>(want: &ExpectValue, seen: &str, run: &Run<B>, pname: Option<&str>) -> bool {
    match want {
        ExpectValue::Compare(op, inner) => {
            let (seen, want) = match **inner {
                ExpectValue::Int(i) => (seen.parse::<i64>().ok().or_else(|| parse_kb(seen)), i),
                ExpectValue::Bytes(b) => (parse_kb(seen).or_else(|| seen.parse::<i64>().ok()), b),
                _ => (None, 0),
            };
            seen.is_some_and(|s| op.holds(s, want))
        }
        ExpectValue::None => seen == "none",
        ExpectValue::Int(i) => seen.parse::<i64>().ok() == Some(*i) || parse_kb(seen) == Some(*i),
        ExpectValue::Text(t) => {
            // A slot's word is compared by its first token, as a number
            // (`"0"` and `"0x0 (empty)"` agree).
            let first = seen.split(' ').next().unwrap_or_default();
            seen == t
                || first == t
                || matches!((parse_word(first), parse_word(t)), (Some(a), Some(b)) if a == b)
        }
        ExpectValue::Bytes(b) => parse_kb(seen).or_else(|| seen.parse::<i64>().ok()) == Some(*b),
        ExpectValue::Errno(e) => seen == e,
        ExpectValue::Signal(s) => seen == s,
        ExpectValue::Proc(p) => seen == p,
        ExpectValue::Perms(p) => u32::from_str_radix(seen, 8).ok() == Some(*p),
        ExpectValue::KeyName(name) => {
            let key = match name.as_str() {
                "IPC_PRIVATE" => Some(0),
                n => match pname
                    .and_then(|p| run.procs.get(p))
                    .and_then(|st| st.names.get(n))
                {
                    Some(v) => Some(v.as_int()),
                    None => consts::constant(n).map(|c| c.value),
                },
            };
            key.is_some_and(|k| seen.parse::<i64>().ok() == Some(k))
        }
    }
}

fn diff(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<Change> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let b = before.get(k).cloned().unwrap_or_else(|| "none".into());
            let a = after.get(k).cloned().unwrap_or_else(|| "none".into());
            (a != b).then(|| Change {
                name: k.clone(),
                before: b,
                after: a,
                why: Vec::new(),
            })
        })
        .collect()
}

/// Part of what an observable is made of: touches of one key, over a page
/// range.
#[derive(Clone, Copy, Debug)]
enum Subject {
    /// Touches of `key` over pages `lo..=hi`.
    Key { key: TouchKey, lo: u64, hi: u64 },
    /// The PTEs of any process.
    AnyPtes,
}

impl Subject {
    fn all(key: TouchKey) -> Subject {
        Subject::range(key, 0, u64::MAX)
    }

    fn range(key: TouchKey, lo: u64, hi: u64) -> Subject {
        Subject::Key { key, lo, hi }
    }

    fn covers(&self, r: &TouchRecord) -> bool {
        match *self {
            Subject::Key { key, lo, hi } => r.key == key && r.overlaps(lo, hi),
            Subject::AnyPtes => matches!(r.key, TouchKey::Ptes(_)),
        }
    }
}

/// The counters a `/proc/meminfo` field is made of.
fn meminfo_counters(field: &str) -> &'static [Counter] {
    match field {
        "Shmem" => &[Counter::Shmem],
        // Cached = NR_FILE_PAGES - swap cache (fs/proc/meminfo.c).
        "Cached" => &[Counter::FilePages, Counter::SwapCache],
        "SwapCached" => &[Counter::SwapCache],
        "AnonPages" => &[Counter::AnonMapped],
        "Mapped" => &[Counter::FileMapped],
        "SwapUsed" => &[Counter::SwapSlots],
        "MemFree" => &[Counter::FreePages],
        "Dirty" => &[Counter::FileDirty],
        "Mlocked" => &[Counter::Mlock],
        _ => &[],
    }
}

/// Plays a whole scenario.
pub fn run(scenario: &Scenario) -> Vec<StepOutcome> {
    Run::new(scenario).run_all()
}
