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
use crate::trace::TraceEvent;
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
/// joined with `->` and each file named where it changes.
pub fn trace_lines(trace: &[TraceEvent]) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut file = "";
    let mut last: Option<(&str, u16)> = None;
    let mut repeat = 0;
    let mut cur = String::new();
    let flush_repeat = |cur: &mut String, repeat: usize| {
        if repeat > 1 {
            let _ = write!(cur, " x{repeat}");
        }
    };
    for e in crate::trace::expanded(trace) {
        if last == Some((e.func, e.depth)) {
            repeat += 1;
            continue;
        }
        flush_repeat(&mut cur, repeat);
        repeat = 1;
        if e.depth == 0 && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
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
    flush_repeat(&mut cur, repeat);
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
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
    for line in collapse_repeats(trace_lines(&o.trace)) {
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

/// Runs of the same call chain (a `memset` faulting page after page) as
/// one line with a count.
fn collapse_repeats(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some((last, n)) if *last == l => *n += 1,
            _ => out.push((l, 1)),
        }
    }
    out.into_iter()
        .map(|(l, n)| if n > 1 { format!("{l}  (x{n})") } else { l })
        .collect()
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
                        let mut pages = BTreeMap::new();
                        for (vpn, pte) in t.mm.ptes.range(v.start / PAGE_SIZE..v.end / PAGE_SIZE) {
                            let d = match pte {
                                Pte::Present {
                                    pfn,
                                    write,
                                    dirty,
                                    young,
                                } => format!(
                                    "pfn {pfn:#x}{}{}{}{}",
                                    if pfn == k.mem.zero_pfn {
                                        " (zero page)"
                                    } else {
                                        ""
                                    },
                                    if write { " rw" } else { " ro" },
                                    if dirty { " dirty" } else { "" },
                                    if young { " young" } else { "" }
                                ),
                                Pte::Swap(e) => format!(
                                    "swap type {} offset {:#x}",
                                    enc.swp_type(e),
                                    enc.swp_offset(e)
                                ),
                            };
                            pages.insert(format!("{:#x}", vpn * PAGE_SIZE), d);
                        }
                        VmaDump {
                            maps,
                            ptes: k.pte_string(t.pid, v.start, v.end - v.start),
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
            slots: i
                .mapping
                .i_pages
                .iter()
                .map(|(index, e)| {
                    let word = format!(
                        "{:#x}",
                        crate::klib::radix_tree::RadixItem::raw_word(&e, enc)
                    );
                    match e {
                        CacheEntry::Page(pfn) => SlotDump {
                            index,
                            kind: "page",
                            word,
                            pfn: Some(pfn),
                            swap_type: None,
                            swap_offset: None,
                        },
                        CacheEntry::Swap(s) => SlotDump {
                            index,
                            kind: "swap",
                            word,
                            pfn: None,
                            swap_type: Some(enc.swp_type(s)),
                            swap_offset: Some(enc.swp_offset(s)),
                        },
                    }
                })
                .collect(),
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
            let _ = writeln!(out, "  slot {:>4}: {:>18}  {what}", s.index, s.word);
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
