//! What the host kernel showed: `compare`'s verdicts for each scenario,
//! in `book/src/gen/host/STEM.md`.
//!
//! These depend on the host (its kernel, whether it has swap, whether the
//! run is root), so unlike the rest of the book they are not remade by
//! every `shmsim book` nor compared by the check: `shmsim book --real`
//! takes them, as root on Linux, and each page says on which kernel it was
//! taken. Without `--real` a page is kept as it was taken; a scenario that
//! never had one gets a page that says so.

use super::Bundled;
use sim::compare::{StepComparison, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The page of `stem`'s verdicts.
pub fn path(stem: &str) -> String {
    format!("book/src/gen/host/{stem}.md")
}

/// The page of a scenario whose verdicts were never taken.
pub fn not_taken() -> String {
    "*Not yet taken on a real kernel: `sudo shmsim book --real` (Linux, as root) runs \
     `compare` on every scenario and writes this page.*\n"
        .to_string()
}

/// Whether `rel` (a file in `book/src/gen/host/`) belongs to a scenario
/// that still exists.
pub fn is_kept(root: &Path, rel: &str) -> bool {
    rel.strip_prefix("book/src/gen/host/")
        .and_then(|n| n.strip_suffix(".md"))
        .is_some_and(|stem| root.join(format!("scenarios/{stem}.toml")).is_file())
}

/// The verdicts as the page shows them: the tally, the steps where an
/// observable differs or cannot be observed, and the allowed differences
/// counted by observable (their reasons are in the divergences chapter).
pub fn page(kernel: &str, steps: &[StepComparison]) -> String {
    let (agree, total) = sim::compare::tally(steps);
    let mut p = String::new();
    let _ = writeln!(
        p,
        "Taken on Linux {kernel} (x86_64) by `sudo shmsim book --real`: \
         **{agree} of {total}** comparable observables agree.\n"
    );
    let mut listing = String::new();
    let mut allowed: BTreeMap<&str, usize> = BTreeMap::new();
    for s in steps {
        let mut lines = String::new();
        for c in &s.observables {
            match &c.verdict {
                Verdict::Differ => {
                    let _ = writeln!(
                        lines,
                        "    DIFFER  {}  sim {}  real {}",
                        c.name, c.sim, c.real
                    );
                }
                Verdict::NotObservable(why) => {
                    let _ = writeln!(lines, "    n/a     {}  {why}", c.name);
                }
                Verdict::Allowed(_) => *allowed.entry(c.name.as_str()).or_default() += 1,
                Verdict::Agree | Verdict::SimOnly => {}
            }
        }
        if !lines.is_empty() {
            let who = s.proc.as_deref().unwrap_or("machine");
            let _ = writeln!(listing, "[{}] {who}: {}\n{lines}", s.step, s.do_);
        }
    }
    if listing.is_empty() {
        let _ = writeln!(
            p,
            "Every observable the host can see agreed at every step.\n"
        );
    } else {
        let _ = writeln!(p, "```text\n{}```\n", listing.trim_end().to_string() + "\n");
    }
    if !allowed.is_empty() {
        let v: Vec<String> = allowed
            .iter()
            .map(|(n, k)| format!("`{n}` at {k} step{}", if *k == 1 { "" } else { "s" }))
            .collect();
        let _ = writeln!(
            p,
            "Allowed to differ (the host's other programs move these machine-wide counters): {}.",
            v.join(", ")
        );
    }
    p
}

/// Plays every scenario on the model and on this host and writes its page;
/// returns the pages written, or why it could not.
#[cfg(target_os = "linux")]
pub fn take(root: &Path, all: &[Bundled]) -> Result<Vec<String>, String> {
    if euid() != Some(0) {
        return Err(
            "run it as root (sudo): the host's swap entries and page frames are \
                    visible in /proc/PID/pagemap to root only, and the pages must be \
                    comparable from one host to the next"
                .into(),
        );
    }
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_err(|e| format!("/proc/sys/kernel/osrelease: {e}"))?;
    let mut written = Vec::new();
    for b in all {
        let cfg = sim::runner::config_of(&b.scenario);
        let backend = sim::real::RealBackend::new(&cfg, sim::real::RealOptions::default())
            .map_err(|e| format!("{}: {e}", b.scenario.file))?;
        let model = sim::kernel::Kernel::new(cfg);
        let steps = sim::compare::compare(
            &b.scenario,
            model,
            backend,
            sim::compare::DEFAULT_TOLERANCE_KB,
        );
        let rel = path(&b.stem);
        let file = root.join(&rel);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&file, page(kernel.trim(), &steps)).map_err(|e| format!("{rel}: {e}"))?;
        written.push(rel);
    }
    Ok(written)
}

/// The effective uid, from `/proc/self/status` (`Uid: real effective ...`).
#[cfg(target_os = "linux")]
fn euid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Real runs need Linux.
#[cfg(not(target_os = "linux"))]
pub fn take(_: &Path, _: &[Bundled]) -> Result<Vec<String>, String> {
    Err(sim::compare::REAL_NEEDS_LINUX.to_string())
}
