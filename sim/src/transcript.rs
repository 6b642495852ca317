//! Transcripts: a played scenario as text for a reader, or as JSON Lines
//! for a program, and the complete state dump of the model.
//!
//! Not a kernel file. The text is what `shmsim run` prints and what the
//! golden tests pin; colour is added only when asked (a terminal without
//! `NO_COLOR`).

use crate::kernel::{Kernel, Pte};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::PAGE_SIZE;
use crate::runner::StepOutcome;
use crate::scenario::Scenario;
use crate::trace::{Printed, TraceEvent};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// ANSI styles, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Colour when `on`.
    pub fn new(on: bool) -> Style {
        Style { on }
    }
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
}

fn human_bytes(b: u64) -> String {
    if b == 0 {
        "0".into()
    } else if b.is_multiple_of(1 << 30) {
        format!("{} GiB", b >> 30)
    } else if b.is_multiple_of(1 << 20) {
        format!("{} MiB", b >> 20)
    } else if b.is_multiple_of(1024) {
        format!("{} KiB", b >> 10)
    } else {
        format!("{b} bytes")
    }
}

/// The header of a transcript: title and machine.
pub fn header(s: &Scenario, st: Style) -> String {
    let m = &s.machine;
    let mut out = String::new();
    let _ = writeln!(out, "{}", st.bold(&s.title.value));
    let _ = writeln!(
        out,
        "{}",
        st.dim(&format!(
            "{} · {} steps · ram {} · swap {} · /dev/shm {} · {} index · uid {}",
            s.file,
            s.steps.len(),
            human_bytes(m.ram_bytes()),
            human_bytes(m.swap_bytes()),
            human_bytes(m.dev_shm_bytes()),
            match m.index() {
                crate::scenario::IndexKind::Radix => "radix (4.14)",
                crate::scenario::IndexKind::Xarray => "xarray (4.20+)",
            },
            m.uid()
        ))
    );
    if let Some(about) = &s.about {
        out.push('\n');
        for line in about.value.trim_end().lines() {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// The kernel functions of a step, one call chain per line, nested calls
/// joined with `->` and each file named where it changes. A call made
/// again and again prints once with its count: `zap_pte_range
/// (mm/memory.c) x2` for a call with nothing under it, a line ending
/// `(x1572864)` for an entry point (a fault per page), and, past
/// [`crate::trace::LISTED_REPEATS`], `[a (f) -> b (g)] x786432` for a call
/// with calls under it (unlink's truncate loop). Walks the folded trace:
/// the cost is what the trace holds, not how many calls it stands for.
pub fn trace_lines(trace: &[TraceEvent]) -> Vec<String> {
    let mut lines = ChainLines::default();
    for p in crate::trace::printed(trace) {
        match p {
            Printed::Call(e, n) => lines.call(&e, n),
            Printed::Begin(0, n) => lines.line_begin(n),
            Printed::End(0, _) => lines.line_end(),
            Printed::Begin(..) => lines.bracket("["),
            Printed::End(_, n) => lines.bracket(&format!("] x{n}")),
        }
    }
    lines.finish()
}

/// The lines [`trace_lines`] builds, with how many times each ran.
#[derive(Default)]
struct ChainLines {
    done: Vec<(String, u64)>,
    cur: String,
    /// Times the line being built ran.
    times: u64,
    /// The file named last on the line.
    file: &'static str,
    /// The last call printed, while the next may add to its count.
    last: Option<(&'static str, u16)>,
    /// Calls of `last` in a row so far.
    repeat: u64,
    /// A `[` was just written: the next call needs no arrow.
    opened: bool,
}

impl ChainLines {
    fn flush_repeat(&mut self) {
        if self.repeat > 1 {
            let _ = write!(self.cur, " x{}", self.repeat);
        }
        self.repeat = 0;
    }

    fn call(&mut self, e: &TraceEvent, n: u64) {
        if self.last == Some((e.func, e.depth)) {
            self.repeat += n;
            return;
        }
        self.flush_repeat();
        self.repeat = n;
        if e.depth == 0 && !self.cur.is_empty() {
            self.push_line();
        }
        if !self.cur.is_empty() && !self.opened {
            self.cur.push_str(" -> ");
        }
        self.opened = false;
        self.cur.push_str(e.func);
        if e.file != self.file {
            let _ = write!(self.cur, " ({})", e.file);
            self.file = e.file;
        }
        self.last = Some((e.func, e.depth));
    }

    /// An entry point run `n` times: a line of its own, counted.
    fn line_begin(&mut self, n: u64) {
        self.flush_repeat();
        if !self.cur.is_empty() {
            self.push_line();
        }
        self.last = None;
        self.times = n;
    }

    fn line_end(&mut self) {
        self.flush_repeat();
        self.push_line();
    }

    fn bracket(&mut self, s: &str) {
        self.flush_repeat();
        if s == "[" {
            if !self.cur.is_empty() {
                self.cur.push_str(" -> ");
            }
            self.opened = true;
        }
        self.cur.push_str(s);
        self.last = None;
    }

    fn push_line(&mut self) {
        let line = std::mem::take(&mut self.cur);
        let times = std::mem::replace(&mut self.times, 1).max(1);
        self.file = "";
        self.last = None;
        match self.done.last_mut() {
            Some((last, n)) if *last == line => *n += times,
            _ if line.is_empty() => {}
            _ => self.done.push((line, times)),
        }
    }

    /// The lines, a line run again and again (a `memset` faulting page
    /// after page) once with its count.
    fn finish(mut self) -> Vec<String> {
        self.flush_repeat();
        self.push_line();
        self.done
            .into_iter()
            .map(|(l, n)| if n > 1 { format!("{l}  (x{n})") } else { l })
            .collect()
    }
}

/// One step as text.
pub fn step_text(o: &StepOutcome, st: Style) -> String {
    let mut out = String::new();
    let who = o.proc.as_deref().unwrap_or("machine");
    let _ = writeln!(
        out,
        "{} {} {}",
        st.bold(&format!("[{}]", o.step)),
        st.cyan(&format!("{who}:")),
        st.bold(&o.do_)
    );
    if let Some(q) = &o.quiz {
        let _ = writeln!(out, "    {} {}", st.yellow("quiz:"), q.ask);
        for (i, c) in q.choices.iter().enumerate() {
            let mark = if i + 1 == q.answer {
                st.green("*")
            } else {
                " ".to_string()
            };
            let _ = writeln!(out, "      {mark} {}) {c}", i + 1);
        }
    }
    if let Some(why) = &o.not_run {
        let _ = writeln!(out, "    {} {why}", st.red("not run:"));
    }
    let result = match (&o.result.signal, &o.result.errno, o.result.ret) {
        (Some(sig), _, _) => st.red(&format!("killed by {}", sig.name())),
        (None, Some(e), ret) => st.yellow(&format!(
            "= {} (errno {}: {})",
            ret.unwrap_or(-1),
            e.name(),
            e.strerror()
        )),
        (None, None, Some(ret)) if ret > 0xffff => format!("= {ret:#x}"),
        (None, None, Some(ret)) => format!("= {ret}"),
        (None, None, None) => String::new(),
    };
    if !result.is_empty() {
        let _ = writeln!(out, "    {result}");
    }
    if !o.out.is_empty() {
        for line in o.out.trim_end_matches('\n').lines() {
            let _ = writeln!(out, "    {} {line}", st.dim("|"));
        }
    }
    if let Some(say) = &o.say {
        for line in say.trim_end().lines() {
            let _ = writeln!(out, "    {}", st.dim(line));
        }
    }
    for line in trace_lines(&o.trace) {
        for (i, piece) in wrap_chain(&line, 96).iter().enumerate() {
            let lead = if i == 0 {
                st.dim("kernel:")
            } else {
                "       ".to_string()
            };
            let _ = writeln!(out, "    {lead} {piece}");
        }
    }
    for d in &o.dmesg {
        let _ = writeln!(out, "    {} {d}", st.red("dmesg:"));
    }
    // A process that ended takes its observables with it: one line each.
    // Processes that ended in this step (exit, a fatal signal, the OOM killer).
    let mut gone: Vec<&str> = Vec::new();
    if let Some(p) = o.proc.as_deref() {
        if o.result.signal.is_some() || o.do_.trim_start().starts_with("exit(") {
            gone.push(p);
        }
    }
    for d in &o.dmesg {
        if let Some(name) = d
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(n, _)| n)
        {
            gone.push(name);
        }
    }
    gone.retain(|p| o.changes.iter().filter(|c| ended_of(c) == Some(*p)).count() > 2);
    for p in &gone {
        let n = o.changes.iter().filter(|c| ended_of(c) == Some(*p)).count();
        let _ = writeln!(
            out,
            "    {} {n} observables of {p} -> none",
            st.dim("changed:")
        );
    }
    for c in o.changes.iter().filter(|c| {
        let new_and_empty = c.before == "none" && is_zero(&c.after);
        let of_gone = ended_of(c).is_some_and(|p| gone.contains(&p));
        !(new_and_empty || of_gone)
    }) {
        let _ = writeln!(
            out,
            "    {} {}: {} -> {}",
            st.dim("changed:"),
            c.name,
            show(&c.before),
            show(&c.after)
        );
    }
    for c in &o.checks {
        if let Some(why) = &c.not_here {
            let _ = writeln!(
                out,
                "    {} {} = {} ({why})",
                st.yellow("expect not checked:"),
                c.observable,
                show(&c.expected)
            );
        } else if c.ok {
            // Say what the observable read where it tells more (a slot's decoding).
            let more = match c.seen.strip_prefix(c.expected.as_str()) {
                Some(rest) if rest.starts_with(' ') => rest.to_string(),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "    {} {} = {}{more}",
                st.green("expect ok:"),
                c.observable,
                show(&c.expected)
            );
        } else {
            let _ = writeln!(
                out,
                "    {} {} = {}, but it is {}",
                st.red("expect FAILED:"),
                c.observable,
                show(&c.expected),
                show(&c.seen)
            );
        }
    }
    out
}

/// The process whose observable went to `none` in this change, if any.
fn ended_of(c: &crate::runner::Change) -> Option<&str> {
    if c.after == "none" {
        c.name.split_once('@').map(|(_, p)| p)
    } else {
        None
    }
}

/// A value that says "nothing yet" (a new mapping's smaps fields).
fn is_zero(v: &str) -> bool {
    matches!(v, "0 kB" | "+0 kB")
}

/// Splits a `a -> b -> c` chain into lines of at most `width` characters,
/// breaking before an arrow.
fn wrap_chain(chain: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for (i, part) in chain.split(" -> ").enumerate() {
        let cur = lines.last_mut().expect("one line at least");
        let piece = if i == 0 {
            part.to_string()
        } else {
            format!("-> {part}")
        };
        if !cur.is_empty() && cur.len() + 1 + piece.len() > width {
            lines.push(piece);
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(&piece);
        }
    }
    lines
}

fn show(s: &str) -> String {
    if s.is_empty() {
        "\"\"".into()
    } else {
        s.to_string()
    }
}

/// A whole transcript.
pub fn text(s: &Scenario, outcomes: &[StepOutcome], st: Style) -> String {
    let mut out = header(s, st);
    for o in outcomes {
        out.push('\n');
        out.push_str(&step_text(o, st));
    }
    let failed: usize = outcomes
        .iter()
        .map(|o| o.checks.iter().filter(|c| !c.ok).count())
        .sum();
    let total: usize = outcomes.iter().map(|o| o.checks.len()).sum();
    out.push('\n');
    let summary = format!("{} of {total} expectations hold", total - failed);
    let _ = writeln!(
        out,
        "{}",
        if failed == 0 {
            st.green(&summary)
        } else {
            st.red(&summary)
        }
    );
    out
}

/// The state of the model, complete, for `--json` and `shmsim state`.
#[derive(Clone, Debug, Serialize)]
pub struct StateDump {
    /// Live processes.
    pub processes: Vec<ProcDump>,
    /// Files with pages or entries in their page cache, or a name.
    pub files: Vec<FileDump>,
    /// Swap areas.
    pub swap: Vec<SwapDump>,
    /// The swap cache: swap entry -> pfn.
    pub swap_cache: Vec<SwapCacheDump>,
    /// The System V table.
    pub sysv: Vec<SysvDump>,
    /// `/proc/meminfo`, the fields that matter here, in kB.
    pub meminfo: BTreeMap<String, u64>,
}

/// A process in the dump.
#[derive(Clone, Debug, Serialize)]
pub struct ProcDump {
    /// Name.
    pub name: String,
    /// Pid.
    pub pid: u32,
    /// Its VMAs.
    pub vmas: Vec<VmaDump>,
    /// Open descriptors: fd -> what `/proc/PID/fd` links to.
    pub fds: BTreeMap<i32, String>,
}

/// A VMA in the dump.
#[derive(Clone, Debug, Serialize)]
pub struct VmaDump {
    /// `start-end perms offset dev inode name` as maps prints it.
    pub maps: String,
    /// Per page: `P` present, `s` swap, `-` none.
    pub ptes: String,
    /// The present and swap PTEs: address -> description.
    pub pages: BTreeMap<String, String>,
}

/// A file in the dump.
#[derive(Clone, Debug, Serialize)]
pub struct FileDump {
    /// Path (or `/SYSV...`, `/dev/zero` for files on the internal mount).
    pub path: String,
    /// Inode number.
    pub inode: u32,
    /// `i_size`.
    pub size: u64,
    /// `nlink`.
    pub nlink: u32,
    /// shmem `alloced`/`swapped`, if shmem.
    pub shmem: Option<(u64, u64)>,
    /// The page-cache slots that hold something.
    pub slots: Vec<SlotDump>,
}

/// One page-cache slot.
#[derive(Clone, Debug, Serialize)]
pub struct SlotDump {
    /// Page index.
    pub index: u64,
    /// `page` or `swap`.
    pub kind: &'static str,
    /// The raw word the era stores.
    pub word: String,
    /// pfn, for a page.
    pub pfn: Option<u32>,
    /// Swap type, for an exceptional entry.
    pub swap_type: Option<u32>,
    /// Swap offset, for an exceptional entry.
    pub swap_offset: Option<u64>,
    /// Slots in this run: this one and the next `run - 1` indices, each
    /// holding the next pfn (or swap offset) and the next word. Runs of
    /// [`crate::observe::FOLDED_RUN`] slots or more fold; 1 otherwise.
    #[serde(skip_serializing_if = "is_one")]
    pub run: u64,
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// Runs of `(index, number, what)` where each item is the next index, with
/// the next number and the same `what` (a page after a page of a `memset`):
/// `(first item, run length)`, a run shorter than
/// [`crate::observe::FOLDED_RUN`] as runs of 1, so that a small state
/// dump lists every item as it always has.
fn runs_of<T: PartialEq>(items: impl Iterator<Item = (u64, u64, T)>) -> Vec<((u64, u64, T), u64)> {
    let fold = crate::observe::FOLDED_RUN as u64;
    let mut out = Vec::new();
    let mut it = items.peekable();
    while let Some(first) = it.next() {
        // The items after the first, kept only while the run may still be
        // too short to fold: a run of millions costs no memory.
        let mut run = vec![];
        let mut len = 1u64;
        while let Some(next) = it.next_if(|(i, n, w)| {
            first.0.checked_add(len) == Some(*i)
                && first.1.checked_add(len) == Some(*n)
                && *w == first.2
        }) {
            len += 1;
            if len < fold {
                run.push(next);
            } else {
                run.clear();
            }
        }
        if len >= fold {
            out.push((first, len));
        } else {
            out.push((first, 1));
            out.extend(run.into_iter().map(|x| (x, 1)));
        }
    }
    out
}

/// A value every other one equals: what a run of slots carries along
/// without comparing it (the first slot's entry).
#[derive(Clone, Copy, Debug)]
struct Along<T>(T);

impl<T> PartialEq for Along<T> {
    fn eq(&self, _: &Along<T>) -> bool {
        true
    }
}

/// A swap area.
#[derive(Clone, Debug, Serialize)]
pub struct SwapDump {
    /// Type.
    pub type_: u32,
    /// Path.
    pub path: String,
    /// Pages (without the header).
    pub pages: u64,
    /// Used slots: offset -> count (`SWAP_HAS_CACHE` = 0x40 included).
    pub used: BTreeMap<u64, u8>,
}

/// A swap-cache entry.
#[derive(Clone, Debug, Serialize)]
pub struct SwapCacheDump {
    /// Swap type.
    pub swap_type: u32,
    /// Swap offset.
    pub swap_offset: u64,
    /// The page.
    pub pfn: u32,
}

/// A System V segment.
#[derive(Clone, Debug, Serialize)]
pub struct SysvDump {
    /// shmid.
    pub shmid: i32,
    /// key.
    pub key: i32,
    /// perms (octal digits).
    pub perms: String,
    /// size in bytes.
    pub size: u64,
    /// attaches.
    pub nattch: u64,
    /// The backing file's inode.
    pub inode: u32,
}

/// The complete state of the model, with process names.
pub fn dump(k: &Kernel) -> StateDump {
    let enc = k.cfg.encoding;
    let processes = k
        .tasks
        .values()
        .map(|t| {
            let views = k.vma_views(t.pid).unwrap_or_default();
            let vmas =
                t.mm.vmas
                    .values()
                    .zip(views.iter())
                    .map(|(v, view)| {
                        let maps = crate::fs::proc::render_maps(std::slice::from_ref(view))
                            .trim_end()
                            .to_string();
                        let ptes = t.mm.ptes.range(v.start / PAGE_SIZE..v.end / PAGE_SIZE);
                        let pages = pte_dump(k, ptes);
                        VmaDump {
                            maps,
                            ptes: k.pte_runs(t.pid, v.start, v.end - v.start).folded(""),
                            pages,
                        }
                    })
                    .collect();
            let fds = t
                .fds
                .iter()
                .map(|(&fd, &f)| (fd, k.d_path(k.files[f].ino)))
                .collect();
            ProcDump {
                name: t.comm.clone(),
                pid: t.pid,
                vmas,
                fds,
            }
        })
        .collect();
    let files = k
        .inodes
        .values()
        .filter(|i| i.is_reg() && !matches!(i.kind, crate::fs::vfs::InodeKind::Tty))
        .map(|i| FileDump {
            path: k.d_path(i.ino),
            inode: i.ino,
            size: i.size,
            nlink: i.nlink,
            shmem: i.shmem().map(|s| (s.alloced, s.swapped)),
            slots: slot_dump(k, i),
        })
        .collect();
    let swap = k
        .swap
        .iter()
        .filter(|s| s.writeok)
        .map(|s| SwapDump {
            type_: s.type_,
            path: s.path.clone(),
            pages: s.pages(),
            // The used slots as the swap view finds them (written or
            // cached), not a walk of the whole swap_map.
            used: crate::view::swap::used_offsets(k, s)
                .into_iter()
                .map(|o| (o, s.swap_map[o as usize]))
                .collect(),
        })
        .collect();
    let swap_cache = k
        .swap_cache
        .iter()
        .map(|(&val, &pfn)| {
            let e = crate::mm::swapops::SwpEntry { val };
            SwapCacheDump {
                swap_type: enc.swp_type(e),
                swap_offset: enc.swp_offset(e),
                pfn,
            }
        })
        .collect();
    let sysv = k
        .shm_ids
        .entries
        .values()
        .map(|s| SysvDump {
            shmid: s.perm.id,
            key: s.perm.key,
            perms: format!("{:o}", s.perm.mode),
            size: s.shm_segsz,
            nattch: s.shm_nattch,
            inode: s.ino,
        })
        .collect();
    let m = k.meminfo_view();
    let meminfo = [
        ("MemTotal", m.mem_total),
        ("MemFree", m.mem_free),
        ("MemAvailable", m.mem_available),
        ("Cached", m.cached),
        ("SwapCached", m.swap_cached),
        ("AnonPages", m.anon_pages),
        ("Mapped", m.mapped),
        ("Shmem", m.shmem),
        ("SwapTotal", m.swap_total),
        ("SwapFree", m.swap_free),
        ("Dirty", m.dirty),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    StateDump {
        processes,
        files,
        swap,
        swap_cache,
        sysv,
        meminfo,
    }
}

/// The present and swap PTEs of a VMA, address -> description; a run of
/// pages mapping the next frame (or swap slot) each, alike otherwise, is
/// one entry `"0xSTART-0xLAST"` -> `"pfn 0xA-0xB rw dirty young"`.
fn pte_dump(k: &Kernel, ptes: impl Iterator<Item = (u64, Pte)>) -> BTreeMap<String, String> {
    let enc = k.cfg.encoding;
    // What a run shares, compared without formatting it: the swap type, or
    // the zero page and the bits.
    let items = ptes.map(|(vpn, pte)| match pte {
        Pte::Present {
            pfn,
            write,
            dirty,
            young,
        } => {
            let bits = (pfn == k.mem.zero_pfn, write, dirty, young);
            (vpn, u64::from(pfn), Err(bits))
        }
        Pte::Swap(e) => (vpn, enc.swp_offset(e), Ok(enc.swp_type(e))),
    });
    runs_of(items)
        .into_iter()
        .map(|((vpn, n, kind), len)| {
            let (what, flags) = match kind {
                Ok(swap_type) => (format!("swap type {swap_type} offset "), String::new()),
                Err((zero, write, dirty, young)) => {
                    let flags = format!(
                        "{}{}{}{}",
                        if zero { " (zero page)" } else { "" },
                        if write { " rw" } else { " ro" },
                        if dirty { " dirty" } else { "" },
                        if young { " young" } else { "" }
                    );
                    ("pfn ".to_string(), flags)
                }
            };
            if len == 1 {
                (
                    format!("{:#x}", vpn * PAGE_SIZE),
                    format!("{what}{n:#x}{flags}"),
                )
            } else {
                (
                    format!("{:#x}-{:#x}", vpn * PAGE_SIZE, (vpn + len - 1) * PAGE_SIZE),
                    format!("{what}{n:#x}-{:#x}{flags}", n + len - 1),
                )
            }
        })
        .collect()
}

/// The page-cache slots of a file that hold something; a run of slots
/// holding the next pfn (or swap offset) each is one [`SlotDump`] with its
/// `run`.
fn slot_dump(k: &Kernel, i: &crate::fs::vfs::Inode) -> Vec<SlotDump> {
    let enc = k.cfg.encoding;
    let items = i.mapping.i_pages.iter().map(|(index, e)| match e {
        CacheEntry::Page(pfn) => (index, u64::from(pfn), (None, Along(e))),
        CacheEntry::Swap(s) => (index, enc.swp_offset(s), (Some(enc.swp_type(s)), Along(e))),
    });
    runs_of(items)
        .into_iter()
        .map(|((index, n, (swap_type, Along(e))), run)| {
            let word = format!(
                "{:#x}",
                crate::klib::radix_tree::RadixItem::raw_word(&e, enc)
            );
            SlotDump {
                index,
                kind: if swap_type.is_none() { "page" } else { "swap" },
                word,
                pfn: swap_type.is_none().then_some(n as u32),
                swap_type,
                swap_offset: swap_type.map(|_| n),
                run,
            }
        })
        .collect()
}

/// The state dump as text.
pub fn state_text(d: &StateDump) -> String {
    let mut out = String::new();
    for p in &d.processes {
        let _ = writeln!(out, "process {} (pid {})", p.name, p.pid);
        for (fd, path) in &p.fds {
            if *fd > 2 {
                let _ = writeln!(out, "  fd {fd} -> {path}");
            }
        }
        for v in &p.vmas {
            let _ = writeln!(out, "  {}", v.maps);
            let _ = writeln!(out, "    ptes {}", v.ptes);
            for (a, d) in &v.pages {
                let _ = writeln!(out, "    {a}: {d}");
            }
        }
    }
    for f in &d.files {
        let shmem = f.shmem.map_or(String::new(), |(a, s)| {
            format!(", alloced {a}, swapped {s}")
        });
        let _ = writeln!(
            out,
            "file {} (inode {}, size {}, nlink {}{shmem})",
            f.path, f.inode, f.size, f.nlink
        );
        for s in &f.slots {
            let what = match s.kind {
                "page" => format!("page, pfn {:#x}", s.pfn.unwrap_or(0)),
                _ => format!(
                    "exceptional: swap type {}, offset {:#x}",
                    s.swap_type.unwrap_or(0),
                    s.swap_offset.unwrap_or(0)
                ),
            };
            if s.run > 1 {
                let last = s.index + s.run - 1;
                let _ = writeln!(
                    out,
                    "  slots {}-{last}: {:>18}  {what}, then each the next ({} slots)",
                    s.index, s.word, s.run
                );
            } else {
                let _ = writeln!(out, "  slot {:>4}: {:>18}  {what}", s.index, s.word);
            }
        }
    }
    for s in &d.swap {
        let _ = writeln!(
            out,
            "swap {} {} ({} pages, {} used)",
            s.type_,
            s.path,
            s.pages,
            s.used.len()
        );
        for (o, c) in &s.used {
            let _ = writeln!(out, "  offset {o:#x}: swap_map {c:#04x}");
        }
    }
    for c in &d.swap_cache {
        let _ = writeln!(
            out,
            "swap cache: type {} offset {:#x} -> pfn {:#x}",
            c.swap_type, c.swap_offset, c.pfn
        );
    }
    for s in &d.sysv {
        let _ = writeln!(
            out,
            "sysv shmid {} key {:#010x} perms {} size {} nattch {} (inode {})",
            s.shmid, s.key as u32, s.perms, s.size, s.nattch, s.inode
        );
    }
    let _ = writeln!(
        out,
        "meminfo: {}",
        d.meminfo
            .iter()
            .map(|(n, v)| format!("{n} {v} kB"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out
}

/// One step as a JSON Lines record: `step`, `proc`, `do`, `ret`/`errno`/
/// `signal`, `out`, `trace`, `observables`, `checks`, and `state`.
#[derive(Serialize)]
pub struct JsonStep<'a> {
    #[serde(flatten)]
    outcome: &'a StepOutcome,
    state: StateDump,
}

impl<'a> JsonStep<'a> {
    /// The record for `outcome`, with the state after it.
    pub fn new(outcome: &'a StepOutcome, k: &Kernel) -> JsonStep<'a> {
        JsonStep {
            outcome,
            state: dump(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{expanded, Trace};
    use proptest::prelude::*;

    /// The transcript's lines as they were printed before the trace was
    /// printed folded: every call listed, then identical calls in a row
    /// and identical lines in a row counted. The oracle for traces whose
    /// runs are short.
    fn listed(trace: &[TraceEvent]) -> Vec<String> {
        let (mut lines, mut cur, mut file) = (Vec::<(String, u64)>::new(), String::new(), "");
        let (mut last, mut repeat): (Option<(&str, u16)>, u64) = (None, 0);
        let flush = |cur: &mut String, repeat: u64| {
            if repeat > 1 {
                let _ = write!(cur, " x{repeat}");
            }
        };
        let push = |lines: &mut Vec<(String, u64)>, l: String| match lines.last_mut() {
            Some((last, n)) if *last == l => *n += 1,
            _ => lines.push((l, 1)),
        };
        for e in expanded(trace) {
            if last == Some((e.func, e.depth)) {
                repeat += 1;
                continue;
            }
            flush(&mut cur, repeat);
            repeat = 1;
            if e.depth == 0 && !cur.is_empty() {
                push(&mut lines, std::mem::take(&mut cur));
                file = "";
            }
            if !cur.is_empty() {
                cur.push_str(" -> ");
            }
            cur.push_str(e.func);
            if e.file != file {
                let _ = write!(cur, " ({})", e.file);
                file = e.file;
            }
            last = Some((e.func, e.depth));
        }
        flush(&mut cur, repeat);
        if !cur.is_empty() {
            push(&mut lines, cur);
        }
        lines
            .into_iter()
            .map(|(l, n)| if n > 1 { format!("{l}  (x{n})") } else { l })
            .collect()
    }

    const FUNCS: [(&str, &str); 3] = [
        ("shmem_fault", "mm/shmem.c"),
        ("radix_tree_insert", "lib/radix-tree.c"),
        ("set_page_dirty", "mm/page-writeback.c"),
    ];

    fn record(ops: &[(u8, usize)], reps: usize) -> Vec<TraceEvent> {
        let once = ops.iter().map(|&(op, f)| (op, FUNCS[f].0, FUNCS[f].1));
        crate::trace::played(once.cycle().take(ops.len() * reps))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Where no call with callees runs more than `LISTED_REPEATS` times
        /// in a row below an entry point, the folded printing is the
        /// listed one, byte for byte (the golden transcripts rely on it).
        #[test]
        fn short_runs_print_as_listed(
            ops in prop::collection::vec((0u8..3, 0usize..3), 0..60),
            reps in 1usize..4,
        ) {
            let trace = record(&ops, reps);
            let long = trace.iter().enumerate().any(|(i, e)| {
                let callees = trace.get(i + 1).is_some_and(|n| n.depth > e.depth);
                e.depth > 0 && callees && u64::from(e.repeat) + 1 > crate::trace::LISTED_REPEATS
            });
            prop_assume!(!long);
            prop_assert_eq!(trace_lines(&trace), listed(&trace));
        }
    }

    #[test]
    fn unlinks_truncate_loop_prints_in_one_line() {
        let mut t = Trace::default();
        t.enter("do_unlinkat", "fs/namei.c");
        t.enter("shmem_undo_range", "mm/shmem.c");
        for _ in 0..786_432 {
            t.enter("__delete_from_page_cache", "mm/filemap.c");
            t.leaf("radix_tree_delete", "lib/radix-tree.c");
            t.leave();
        }
        t.leave();
        t.leave();
        for _ in 0..3 {
            t.enter("__do_page_fault", "arch/x86/mm/fault.c");
            t.leaf("shmem_fault", "mm/shmem.c");
            t.leave();
        }
        assert_eq!(
            trace_lines(&t.take()),
            [
                "do_unlinkat (fs/namei.c) -> shmem_undo_range (mm/shmem.c) -> \
                 [__delete_from_page_cache (mm/filemap.c) -> radix_tree_delete (lib/radix-tree.c)] x786432",
                "__do_page_fault (arch/x86/mm/fault.c) -> shmem_fault (mm/shmem.c)  (x3)",
            ]
        );
    }
}
