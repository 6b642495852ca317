//! Two runs of one scenario, observable by observable.
//!
//! Not a kernel file. `shmsim compare` plays a scenario on the kernel model
//! and on the host kernel (`crate::real`), step by step, and sets each
//! observable of the contract side by side: it **agrees**, **differs**, is
//! **sim only** (no process can see it), is **not observable here** (and why),
//! or is a known, **allowed** divergence (with the kernel's reason). Any two
//! backends can be compared: the tests compare the model with itself in its
//! two page-cache encodings.

use crate::backend::{Backend, Reading};
use crate::runner::{Run, StepOutcome};
use crate::scenario::calls::{Returns, Scope};
use crate::scenario::{Scenario, Step};
use serde::Serialize;
use std::fmt::Write;

/// How one observable compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "why", rename_all = "snake_case")]
pub enum Verdict {
    /// Both sides read the same (within the tolerance, for machine-wide counters).
    Agree,
    /// They read differently.
    Differ,
    /// Only the simulator can see it.
    SimOnly,
    /// One side cannot observe it, and why.
    NotObservable(String),
    /// They differ in a way the allowlist explains.
    Allowed(String),
}

/// One observable of one step.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Its name (`ret`, `pte.ptr@producer`, `meminfo.Shmem`).
    pub name: String,
    /// What the first run (the model) shows.
    pub sim: String,
    /// What the second run (the host) shows.
    pub real: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// One step of both runs.
#[derive(Clone, Debug, Serialize)]
pub struct StepComparison {
    /// 1-based step number.
    pub step: usize,
    /// The process.
    pub proc: Option<String>,
    /// The statement.
    #[serde(rename = "do")]
    pub do_: String,
    /// Every observable, compared.
    pub observables: Vec<Comparison>,
}

/// A known divergence between the model and the host kernel.
#[derive(Clone, Copy, Debug)]
pub struct Allowance {
    /// Observable names it covers: an exact name, or a prefix ending in `*`.
    pub observable: &'static str,
    /// The kernel's reason.
    pub reason: &'static str,
}

/// The divergences the comparison accepts, each with its reason. The book's
/// chapter "Where the model differs from your kernel" explains them.
pub const ALLOWLIST: &[Allowance] = &[
    Allowance {
        observable: "meminfo.MemFree",
        reason: "the host's free memory moves with everything else it runs; the model's only with the scenario",
    },
    Allowance {
        observable: "meminfo.AnonPages",
        reason: "a real run's processes are forks of shmsim itself (no exec): their copy-on-write pages, and the host's own programs, move this machine-wide counter by hundreds of kB",
    },
    Allowance {
        observable: "meminfo.Mapped",
        reason: "a real run's processes map shmsim's own binary and libraries, and the host's programs map theirs: this machine-wide counter moves by hundreds of kB",
    },
    Allowance {
        observable: "meminfo.Cached",
        reason: "the host's page cache also holds the files its own programs read while the scenario runs",
    },
    Allowance {
        observable: "meminfo.Dirty",
        reason: "the host's dirty pages are every program's on every file system, and its flusher threads write them back on their own clock (dirty_expire_centisecs), in the middle of a run",
    },
    Allowance {
        observable: "meminfo.Writeback",
        reason: "pages are under writeback on the host for as long as its disk takes, a moment no step can catch; the model's writeback completes within the call",
    },
];

/// What a front end says of the real side where it cannot be had at all
/// (`sim::real` exists on Linux only).
pub const REAL_NEEDS_LINUX: &str =
    "real runs need Linux: they play the scenario on the host kernel";

/// What `compare` accepts as the same machine-wide counter: the host's noise.
pub const DEFAULT_TOLERANCE_KB: i64 = 32;

fn parse_kb(s: &str) -> Option<i64> {
    s.strip_suffix(" kB")
        .and_then(|n| n.trim_start_matches('+').parse().ok())
}

fn allowed(name: &str) -> Option<&'static str> {
    let bare = name.split('@').next().unwrap_or(name);
    ALLOWLIST
        .iter()
        .find(|a| match a.observable.strip_suffix('*') {
            Some(prefix) => bare.starts_with(prefix),
            None => bare == a.observable,
        })
        .map(|a| a.reason)
}

fn verdict(name: &str, sim: &str, real: &str, tolerance_kb: i64) -> Verdict {
    if let Some(why) = real
        .strip_prefix("(not observable here: ")
        .and_then(|r| r.strip_suffix(')'))
    {
        return Verdict::NotObservable(why.to_string());
    }
    if let Some(why) = sim
        .strip_prefix("(not observable here: ")
        .and_then(|r| r.strip_suffix(')'))
    {
        return Verdict::NotObservable(why.to_string());
    }
    if real == "(sim only)" || name.starts_with("cache.") || name.starts_with("slot.") {
        return if sim == real {
            Verdict::Agree
        } else {
            Verdict::SimOnly
        };
    }
    // System V keys compare by what they name: private (0) or not.
    if name.starts_with("shm.") && name.split('@').next().is_some_and(|n| n.ends_with(".key")) {
        return if (sim == "0") == (real == "0") {
            Verdict::Agree
        } else {
            Verdict::Differ
        };
    }
    // An allowed observable is allowed whether or not the host's noise made
    // it agree this time, so that the counts are the same from run to run.
    if let Some(reason) = allowed(name) {
        return Verdict::Allowed(reason.to_string());
    }
    let same = sim == real
        || (name.starts_with("meminfo.") || name.starts_with("df."))
            && matches!((parse_kb(sim), parse_kb(real)), (Some(a), Some(b)) if (a - b).abs() <= tolerance_kb);
    if same {
        Verdict::Agree
    } else {
        Verdict::Differ
    }
}

/// The result of a call, compared by what it names where the kernel chooses
/// the number (a System V id or key, a pid, an address).
fn result_of(o: &StepOutcome, returns: Option<Returns>) -> String {
    let r = &o.result;
    if let Some(sig) = r.signal {
        return format!("killed by {}", sig.name());
    }
    if let Some(e) = r.errno {
        return format!("-1 {}", e.name());
    }
    match (r.ret, returns) {
        (
            Some(_),
            Some(
                Returns::ShmId
                | Returns::Key
                | Returns::Child
                | Returns::Mapping
                | Returns::Pointer,
            ),
        ) => "ok".into(),
        (Some(v), _) => v.to_string(),
        (None, _) => "none".into(),
    }
}

/// Compares two runs of one scenario a step at a time, as their readings
/// arrive: `compare` plays both runs at once; the TUI plays the model on its
/// own timeline and the host in [`crate::real::arm`], and hands each pair of
/// outcomes to the same `Comparer`, so both say the same of every step.
///
/// Once the two runs can no longer be the same machine (after a step only
/// the model could run: `reclaim`, `sysctl`, `drop_caches`; after the
/// model's OOM killer ended a process in its small memory; or from the start
/// when the scenario sizes `/dev/shm` and the host's cannot be sized the
/// same), a difference is reported as not observable here, with that reason
/// ([`Comparer::apart`]), rather than as the model's error. When one machine
/// has swap and the other none, only the observables that depend on swap
/// ([`depends_on_swap`]) are set apart, and only after a step that can swap
/// (`madvise(MADV_PAGEOUT)`, or a step whose model trace swapped a page out).
/// Swap never sets a call's result (`result`, `out`) apart: the same call
/// must answer the same on both machines. Only a step the host never ran,
/// the model's OOM killer, or a `/dev/shm` the host could not size the
/// same make the machines different enough for a result to differ.
#[derive(Clone, Debug)]
pub struct Comparer {
    apart: Option<String>,
    /// One machine has swap and the other none: why, once a step could swap.
    swap_differs: Option<String>,
    swapped: Option<String>,
    tolerance_kb: i64,
}

/// The kernel functions whose presence in a step's trace means the model
/// moved a page to swap.
const SWAP_OUT: &[&str] = &["add_to_swap", "shmem_writepage", "swap_writepage"];

/// Whether observable `name` reads differently once pages went to swap on
/// one machine and stayed in RAM on the other: the page tables and
/// residency (`pte`, `core`), the sizes a mapping or segment has in RAM or
/// in swap (`smaps.*.Rss`, `Pss`, `Swap`, `Shared_*`, `Private_*`,
/// `shm.*.rss`, `shm.*.swap`) and the machine-wide memory counters. Not a
/// call's result, a file's data (`data`: swapped data is still data), `df`
/// (swapped tmpfs blocks stay used), or a segment's size, perms and pids.
pub fn depends_on_swap(name: &str) -> bool {
    let bare = name.split('@').next().unwrap_or(name);
    let (family, rest) = bare.split_once('.').unwrap_or((bare, ""));
    match family {
        "pte" | "core" | "smaps" | "cache" | "slot" => true,
        "shm" => rest.ends_with(".rss") || rest.ends_with(".swap"),
        "meminfo" => true,
        _ => false,
    }
}

impl Comparer {
    /// A comparison of two runs of `scenario` whose machines read
    /// `sim_swap_total` and `real_swap_total` for `SwapTotal` (in kB, as
    /// [`Backend::meminfo`] gives it) before the first step. Machine-wide
    /// counters within `tolerance_kb` of each other agree. A scenario that
    /// sizes `/dev/shm` is taken to run on a host `/dev/shm` of another size
    /// ([`Comparer::of_runs`] looks).
    pub fn new(
        scenario: &Scenario,
        sim_swap_total: &Reading,
        real_swap_total: &Reading,
        tolerance_kb: i64,
    ) -> Comparer {
        let apart: Option<String> = scenario.machine.dev_shm.as_ref().map(|d| {
            format!(
                "the scenario sizes /dev/shm ({} kB); the host's is its own",
                d.value / 1024
            )
        });
        // Swap on one machine and none on the other: what reclaim does differs.
        let swap_total = |r: &Reading| r.value().and_then(|v| v.parse::<u64>().ok());
        let swap_differs = match (
            swap_total(sim_swap_total),
            swap_total(real_swap_total),
            real_swap_total,
        ) {
            (Some(s), Some(r), _) if (s == 0) != (r == 0) => Some(format!(
                "the scenario's machine has {s} kB of swap, the host {r} kB"
            )),
            (Some(s), None, Reading::NotObservable(why)) if s > 0 => Some(why.clone()),
            _ => None,
        };
        Comparer {
            apart,
            swap_differs,
            swapped: None,
            tolerance_kb,
        }
    }

    /// A comparison of two runs that have both started (their processes
    /// spawned, nothing stepped yet).
    pub fn of_runs<A: Backend, B: Backend>(
        scenario: &Scenario,
        sim: &mut Run<'_, A>,
        real: &mut Run<'_, B>,
        tolerance_kb: i64,
    ) -> Comparer {
        let sim_swap = sim.backend.meminfo("SwapTotal");
        let real_swap = real.backend.meminfo("SwapTotal");
        let mut c = Comparer::new(scenario, &sim_swap, &real_swap, tolerance_kb);
        // A real run that gave the scenario a /dev/shm of its size compares.
        let (a, b) = (
            sim.backend.df_size_kb("/dev/shm"),
            real.backend.df_size_kb("/dev/shm"),
        );
        if scenario.machine.dev_shm.is_some() && a.value().is_some() && a == b {
            c.apart = None;
        }
        c
    }

    /// Why the two runs are no longer the same machine (from which step on,
    /// differences are not observable here), if they are not.
    pub fn apart(&self) -> Option<&str> {
        self.apart.as_deref()
    }

    /// Compares one step, `step` of the scenario, as the first run (`sim`)
    /// and the second (`real`) played it. Steps must be given in order, each
    /// once: what a step does to the runs (a sim-only step, the model's OOM
    /// killer) decides how the later ones compare.
    pub fn step(&mut self, step: &Step, sim: &StepOutcome, real: &StepOutcome) -> StepComparison {
        let (x, y) = (sim, real);
        let tolerance_kb = self.tolerance_kb;
        let returns = step.call.map(|c| c.returns);
        let scope = step.call.map(|c| c.scope);
        let mut obs = Vec::new();
        let (rx, ry) = (result_of(x, returns), result_of(y, returns));
        let sim_only_step = y.out.starts_with("(sim only");
        let result_verdict = if sim_only_step {
            Verdict::SimOnly
        } else {
            verdict("result", &rx, &ry, 0)
        };
        obs.push(Comparison {
            name: "result".into(),
            verdict: result_verdict,
            sim: rx,
            real: ry,
        });
        // Look steps print the whole host (other files, times, pids), and
        // sim-only calls print a note: their output is not compared.
        if !sim_only_step && scope != Some(Scope::Look) {
            obs.push(Comparison {
                name: "out".into(),
                verdict: verdict("out", &x.out, &y.out, 0),
                sim: x.out.clone(),
                real: y.out.clone(),
            });
        }
        let mut names: Vec<&String> = x.observables.keys().chain(y.observables.keys()).collect();
        names.sort();
        names.dedup();
        for n in names {
            let sx = x
                .observables
                .get(n)
                .cloned()
                .unwrap_or_else(|| "none".into());
            let sy = y
                .observables
                .get(n)
                .cloned()
                .unwrap_or_else(|| "none".into());
            obs.push(Comparison {
                name: n.clone(),
                verdict: verdict(n, &sx, &sy, tolerance_kb),
                sim: sx,
                real: sy,
            });
        }
        if self.apart.is_none() && sim_only_step {
            self.apart = Some(format!("step {} ({}) ran only in the model", x.step, x.do_));
        }
        if self.swapped.is_none() && can_swap(step, x) {
            self.swapped = self
                .swap_differs
                .as_ref()
                .map(|why| format!("step {} ({}) can swap, and {why}", x.step, x.do_));
        }
        // The model's machine ran out of memory in this step (its OOM
        // killer reported), the host, with memory of its own size, did not:
        // from here on the two machines hold different processes.
        if self.apart.is_none() && !x.dmesg.is_empty() && y.dmesg.is_empty() {
            self.apart = Some(format!(
                "the model's memory ran out at step {}; the host's did not",
                x.step
            ));
        }
        for c in &mut obs {
            if c.verdict != Verdict::Differ {
                continue;
            }
            let why = match (&self.apart, &self.swapped) {
                (Some(why), _) => why,
                (None, Some(why)) if depends_on_swap(&c.name) => why,
                _ => continue,
            };
            c.verdict = Verdict::NotObservable(why.clone());
        }
        StepComparison {
            step: x.step,
            proc: x.proc.clone(),
            do_: x.do_.clone(),
            observables: obs,
        }
    }
}

/// Whether a step can move pages to swap: `madvise(MADV_PAGEOUT)`, or a
/// step whose model trace swapped a page out (reclaim under pressure).
fn can_swap(step: &Step, sim: &StepOutcome) -> bool {
    let pageout =
        step.call.is_some_and(|c| c.name == "madvise") && sim.do_.contains("MADV_PAGEOUT");
    pageout || sim.trace.iter().any(|e| SWAP_OUT.contains(&e.func))
}

/// Plays `scenario` on both backends, step by step, and compares (with a
/// [`Comparer`]).
pub fn compare<A: Backend, B: Backend>(
    scenario: &Scenario,
    sim: A,
    real: B,
    tolerance_kb: i64,
) -> Vec<StepComparison> {
    let mut a = Run::with_backend(scenario, sim);
    let mut b = Run::with_backend(scenario, real);
    let mut comparer = Comparer::of_runs(scenario, &mut a, &mut b, tolerance_kb);
    let mut out = Vec::new();
    for step in &scenario.steps {
        let (Some(x), Some(y)) = (a.step(), b.step()) else {
            break;
        };
        out.push(comparer.step(step, &x, &y));
    }
    out
}

/// Counts: (agree, comparable). Comparable = agree + differ.
pub fn tally(steps: &[StepComparison]) -> (usize, usize) {
    let all = steps.iter().flat_map(|s| &s.observables);
    let agree = all.clone().filter(|c| c.verdict == Verdict::Agree).count();
    let differ = all.filter(|c| c.verdict == Verdict::Differ).count();
    (agree, agree + differ)
}

/// A reason printed once at the end of [`text`]: its kind, its words, and
/// the observables (without `@proc`) it was given for.
struct Reason<'a> {
    kind: &'static str,
    why: &'a str,
    names: Vec<&'a str>,
}

/// The number (from 1) of the reason `why` of kind `kind`, noting `name`.
fn reason_number<'a>(
    reasons: &mut Vec<Reason<'a>>,
    kind: &'static str,
    why: &'a str,
    name: &'a str,
) -> usize {
    let bare = name.split('@').next().unwrap_or(name);
    let i = match reasons.iter().position(|r| r.kind == kind && r.why == why) {
        Some(i) => i,
        None => {
            reasons.push(Reason {
                kind,
                why,
                names: Vec::new(),
            });
            reasons.len() - 1
        }
    };
    if !reasons[i].names.contains(&bare) {
        reasons[i].names.push(bare);
    }
    i + 1
}

/// The comparison as text: each step, each observable with its verdict,
/// then `N of M observables agree` and what was not counted. Steps where
/// everything agrees are printed in one line unless `verbose`. The reason
/// of an "allowed" or "n/a" verdict is printed once, at the end, and each
/// such line points to it by number (`[1]`); allowed observables are shown
/// per step only when `verbose`.
pub fn text(steps: &[StepComparison], verbose: bool) -> String {
    let mut out = String::new();
    let mut reasons: Vec<Reason> = Vec::new();
    for s in steps {
        let _ = writeln!(
            out,
            "[{}] {}: {}",
            s.step,
            s.proc.as_deref().unwrap_or("machine"),
            s.do_
        );
        let w = s
            .observables
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for c in &s.observables {
            let (tag, detail) = match &c.verdict {
                Verdict::Agree if !verbose => continue,
                Verdict::Agree => ("agree", c.sim.clone()),
                Verdict::Differ => ("DIFFER", format!("sim {}  real {}", c.sim, c.real)),
                Verdict::SimOnly if !verbose => continue,
                Verdict::SimOnly => ("sim only", c.sim.clone()),
                Verdict::NotObservable(why) => {
                    let n = reason_number(&mut reasons, "not observable here", why, &c.name);
                    ("n/a", format!("[{n}]"))
                }
                Verdict::Allowed(why) => {
                    let n = reason_number(&mut reasons, "allowed", why, &c.name);
                    if !verbose {
                        continue;
                    }
                    ("allowed", format!("sim {}  real {}  [{n}]", c.sim, c.real))
                }
            };
            let _ = writeln!(out, "    {tag:<8} {:<w$}  {detail}", c.name);
        }
    }
    let (agree, total) = tally(steps);
    let _ = writeln!(out, "\n{agree} of {total} observables agree");
    let count = |f: fn(&Verdict) -> bool| {
        steps
            .iter()
            .flat_map(|s| &s.observables)
            .filter(|c| f(&c.verdict))
            .count()
    };
    let _ = writeln!(
        out,
        "not counted: {} not observable here, {} allowed, {} sim only",
        count(|v| matches!(v, Verdict::NotObservable(_))),
        count(|v| matches!(v, Verdict::Allowed(_))),
        count(|v| *v == Verdict::SimOnly),
    );
    for (i, r) in reasons.iter().enumerate() {
        let _ = writeln!(out, "[{}] {}: {}", i + 1, r.kind, r.why);
        let _ = writeln!(out, "    for {}", r.names.join(", "));
    }
    out
}
