//! The trace: which kernel functions an operation went through, in order.
//!
//! Not a kernel facility (the nearest is ftrace's `function_graph` tracer):
//! every model function that stands for a kernel function records its name and
//! file here, with its nesting depth, so that a transcript or the TUI can show
//! `shmem_fault (mm/shmem.c) -> shmem_getpage_gfp -> ... -> radix_tree_insert
//! (lib/radix-tree.c)`.

use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-and-rotate hasher (the Firefox/rustc "Fx" hash) for the
/// model's small integer keys (the trace's records, `page->private` by pfn):
/// SipHash, the standard one, cost a fifth of a fault's time in the trace.
/// Keys come from the model, never from an adversary.
#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed by [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// One kernel function an operation went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// The kernel function, e.g. `"shmem_fault"`.
    pub func: &'static str,
    /// The file that defines it, e.g. `"mm/shmem.c"`.
    pub file: &'static str,
    /// Call depth below the operation's entry point (0 = the entry point).
    pub depth: u16,
    /// How many more times this call, with every call under it (the events
    /// after it deeper than `depth`), ran again right after, identically:
    /// a `memset` over 786,432 pages is one fault's events with `repeat`
    /// 786,431. [`expanded`] gives the trace one event per call again.
    #[serde(skip_serializing_if = "is_zero")]
    pub repeat: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:indent$}{} ({})",
            "",
            self.func,
            self.file,
            indent = 2 * self.depth as usize
        )
    }
}

impl TraceEvent {
    /// Is this the call of `func` (of `file`) at `depth`, named by the same
    /// literals (address and length)?
    #[inline(always)]
    fn is(&self, depth: u16, func: &'static str, file: &'static str) -> bool {
        self.depth == depth && std::ptr::eq(self.func, func) && std::ptr::eq(self.file, file)
    }
}

/// Are two events the same call at the same depth? Names are compared by
/// address first: the model names each function with one literal.
fn same_call(a: &TraceEvent, b: &TraceEvent) -> bool {
    let same = |x: &'static str, y: &'static str| std::ptr::eq(x, y) || x == y;
    a.depth == b.depth && same(a.func, b.func) && same(a.file, b.file)
}

/// The events of a trace one per call, each repeated call unfolded (the
/// trace as ftrace's `function_graph` would list it), without allocating
/// the unfolded list.
pub fn expanded(trace: &[TraceEvent]) -> impl Iterator<Item = TraceEvent> + '_ {
    Expanded {
        trace,
        stack: vec![Frame {
            start: 0,
            next: 0,
            end: trace.len(),
            left: 0,
            repeating: false,
        }],
    }
}

/// A range of events being played, `left` more times after this one.
struct Frame {
    start: usize,
    next: usize,
    end: usize,
    left: u32,
    /// The range is one call repeated: its first event's `repeat` is this
    /// frame's doing.
    repeating: bool,
}

struct Expanded<'a> {
    trace: &'a [TraceEvent],
    stack: Vec<Frame>,
}

impl Iterator for Expanded<'_> {
    type Item = TraceEvent;

    fn next(&mut self) -> Option<TraceEvent> {
        loop {
            let top = self.stack.last_mut()?;
            if top.next == top.end {
                if top.left > 0 {
                    top.left -= 1;
                    top.next = top.start;
                } else {
                    self.stack.pop();
                }
                continue;
            }
            let i = top.next;
            let e = self.trace[i];
            if e.repeat > 0 && !(top.repeating && i == top.start) {
                let end = i
                    + 1
                    + self.trace[i + 1..]
                        .iter()
                        .take_while(|x| x.depth > e.depth)
                        .count();
                top.next = end;
                self.stack.push(Frame {
                    start: i,
                    next: i,
                    end,
                    left: e.repeat,
                    repeating: true,
                });
                continue;
            }
            top.next = i + 1;
            return Some(TraceEvent { repeat: 0, ..e });
        }
    }
}

/// Up to this many identical calls in a row are listed one by one when a
/// trace is printed (as the bundled scenarios' transcripts list a 16-page
/// `memset`); a longer run of a call with calls under it prints once, in
/// brackets, with its count: `[__delete_from_page_cache (mm/filemap.c) ->
/// radix_tree_delete (lib/radix-tree.c)] x786432`.
pub const LISTED_REPEATS: u64 = 16;

/// What a printer of a folded trace meets, in order (see [`printed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Printed {
    /// A call with nothing under it, made `times` times in a row.
    Call(TraceEvent, u64),
    /// A run of `times` identical calls with calls under them begins here;
    /// one of them follows, up to the matching [`Printed::End`].
    Begin(u16, u64),
    /// The run begun by the last open [`Printed::Begin`] ends.
    End(u16, u64),
}

/// The trace as a printer walks it: runs of a call with calls under it
/// listed one by one up to [`LISTED_REPEATS`] (and at depth 0, where each
/// call is a line of its own, never), longer ones once between
/// [`Printed::Begin`] and [`Printed::End`]; a call with nothing under it
/// comes with its count. The cost is what the folded trace holds, never
/// the number of calls it stands for.
pub fn printed(trace: &[TraceEvent]) -> Vec<Printed> {
    let mut out = Vec::new();
    print_range(trace, &mut out);
    out
}

/// The end of the call that begins at `i`: the first event after it that
/// is not deeper.
fn call_end(trace: &[TraceEvent], i: usize) -> usize {
    let d = trace[i].depth;
    i + 1 + trace[i + 1..].iter().take_while(|x| x.depth > d).count()
}

fn print_range(trace: &[TraceEvent], out: &mut Vec<Printed>) {
    let mut i = 0;
    while i < trace.len() {
        let e = trace[i];
        let end = call_end(trace, i);
        let times = u64::from(e.repeat) + 1;
        let once = TraceEvent { repeat: 0, ..e };
        if end == i + 1 {
            out.push(Printed::Call(once, times));
        } else if times == 1 {
            out.push(Printed::Call(once, 1));
            print_range(&trace[i + 1..end], out);
        } else if e.depth > 0 && times <= LISTED_REPEATS {
            let mut body = vec![once];
            body.extend_from_slice(&trace[i + 1..end]);
            for _ in 0..times {
                print_range(&body, out);
            }
        } else {
            // An entry point right after a call of the same function with
            // nothing under it: a printer joins the first run to that call
            // (`f x2 -> ...`), so it is listed on its own.
            let joins = i > 0 && same_call(&trace[i - 1], &once);
            let mut times = times;
            if joins {
                out.push(Printed::Call(once, 1));
                print_range(&trace[i + 1..end], out);
                times -= 1;
            }
            out.push(Printed::Begin(e.depth, times));
            out.push(Printed::Call(once, 1));
            print_range(&trace[i + 1..end], out);
            out.push(Printed::End(e.depth, times));
        }
        i = end;
    }
}

/// A recorder of kernel functions, drained after each operation.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: Vec<TraceEvent>,
    depth: u16,
    /// Indices in `events` of the functions entered and not yet left.
    open: Vec<u32>,
    /// Per depth, where the last call finished at that depth began, while
    /// nothing else has been recorded since: the call a new identical one
    /// folds into.
    last_call: Vec<Option<u32>>,
    /// What the functions changed, aggregated (see [`Trace::touch`]).
    touches: Vec<TouchRecord>,
    /// The last record of each (function, file, key), by the addresses of
    /// the function's and file's names.
    last_record: FxHashMap<(usize, usize, TouchKey), usize>,
    /// Per record, the record the touch after it went to last time, and
    /// whether a newer record of its (function, file, key) has replaced it:
    /// a fault over the next page touches the same records in the same
    /// order as the fault before it, so the next record is predicted without
    /// hashing (see [`Trace::touch`]).
    next_touch: Vec<Follow>,
    /// The record the last touch went to.
    last_touched: Option<usize>,
    /// No prediction: every touch looks its record up, and every call is
    /// recorded before it is folded (see [`Trace::set_plain`]).
    plain: bool,
    /// A call being matched against the identical calls before it without
    /// being recorded (see [`Trace::enter`]).
    replay: Option<Replay>,
    /// Moves on whenever `events` changes other than by a replayed call
    /// ending (which adds one to its template's head only).
    generation: u64,
    /// A template found fit to replay (`(head, generation)`): while nothing
    /// else has changed, the next call like it needs no new look at it.
    fit: Option<(usize, u64)>,
    /// The touches of the last replayed call, to be followed by the next
    /// (see [`Script`]).
    script: Script,
    /// Moves on whenever a touch record is made or the records are taken:
    /// a script is followed only while no record has come in between.
    records_made: u64,
}

/// The touches a replayed call made, in order, each with the template
/// event that made it and the record it went to. The next replay of the
/// same template makes the same touches (a fault over the next page): each
/// is checked against the script's next one, same event, same key, pages
/// next to the record's, and goes to that record straight away, which is
/// what [`Trace::touch`]'s look-up would have found (no record has been
/// made since). The first touch that differs ends the following, and it
/// and the rest of the call are looked up as usual.
#[derive(Clone, Debug, Default)]
struct Script {
    steps: Vec<(u32, u64, usize)>,
    /// The replay the script was written by: `(head, generation,
    /// records_made)` when it ended.
    of: Option<(usize, u64, u64)>,
    /// The next step to follow, while following.
    at: Option<usize>,
    /// Writing the script of the replay under way, which began when
    /// `records_made` was this: a script during which a record was made
    /// (one replacing another of its function and key, whose pages were
    /// not next to the touch's) is not followed.
    writing: Option<u64>,
}

/// A call under way that has so far been the same as the last call at its
/// depth (the template, `events[head..end]`, which has folded at least
/// once, with no repeats inside it): its events are compared as they come
/// instead of recorded, and when it ends the template's count goes up by
/// one, which is what recording it and folding it in [`Trace::finished`]
/// would have done. On the first difference the part matched so far is
/// recorded after all ([`Trace::unreplay`]), and recording goes on as usual.
#[derive(Clone, Copy, Debug)]
struct Replay {
    head: usize,
    end: usize,
    /// The template event the next enter or leaf must match.
    next: usize,
}

/// What [`Trace::touch`] learned about one record.
#[derive(Clone, Copy, Debug, Default)]
struct Follow {
    next: Option<usize>,
    replaced: bool,
}

/// A machine-wide counter an observable is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Counter {
    /// `NR_FILE_PAGES` (meminfo `Cached`, with the swap cache).
    FilePages,
    /// `NR_SHMEM` (meminfo `Shmem`).
    Shmem,
    /// `NR_ANON_MAPPED` (meminfo `AnonPages`).
    AnonMapped,
    /// `NR_FILE_MAPPED` (meminfo `Mapped`).
    FileMapped,
    /// Pages in the swap cache (meminfo `SwapCached`).
    SwapCache,
    /// Free frames (meminfo `MemFree`).
    FreePages,
    /// Swap slots in use (meminfo `SwapUsed`): a `swap_map` entry leaving or
    /// returning to 0.
    SwapSlots,
    /// `NR_FILE_DIRTY` (meminfo `Dirty`).
    FileDirty,
    /// A VMA locked or unlocked (meminfo `Mlocked`, with the PTEs of
    /// locked VMAs).
    Mlock,
}

/// One change of observable-relevant state, as the model makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch {
    /// A counter moved.
    Counter(Counter),
    /// The PTE of page `vpn` (virtual page number) of `pid` was set or cleared.
    Pte {
        /// The process.
        pid: u32,
        /// The virtual page number.
        vpn: u64,
    },
    /// A VMA of `pid` over pages `[start, end)` was made, changed or removed.
    Vma {
        /// The process.
        pid: u32,
        /// The first virtual page number.
        start: u64,
        /// One past the last virtual page number.
        end: u64,
    },
    /// Slot `index` of inode `ino`'s page cache changed.
    Cache {
        /// The inode.
        ino: u32,
        /// The page index.
        index: u64,
    },
    /// Inode `ino` was made, named, unnamed, resized or evicted.
    Inode {
        /// The inode.
        ino: u32,
    },
    /// System V segment `id` changed (made, attached, detached, destroyed,
    /// its permissions set) or its id was handed to a caller by key.
    Shm {
        /// The shm id.
        id: i32,
    },
    /// Process `pid` ended: its names (and their observables) go.
    Task {
        /// The process.
        pid: u32,
    },
    /// The blocks used on super block `sb` changed (`df`).
    Df {
        /// The super block's index.
        sb: usize,
    },
}

/// What a [`TouchRecord`] is about, without the page it touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TouchKey {
    /// A counter.
    Counter(Counter),
    /// PTEs of a process (`lo..=hi` virtual page numbers).
    Ptes(u32),
    /// VMAs of a process (`lo..=hi` virtual page numbers).
    Vmas(u32),
    /// Page-cache slots of an inode (`lo..=hi` page indices).
    Cache(u32),
    /// An inode's existence, name or size.
    Inode(u32),
    /// A System V segment.
    Shm(i32),
    /// A process's life.
    Task(u32),
    /// A file system's used blocks.
    Df(usize),
}

impl TouchKey {
    /// The key as one word, to compare at once: its kind in the top byte,
    /// its number below (a counter's, an inode's, a process's, ...).
    #[inline]
    fn word(self) -> u64 {
        let (kind, n): (u64, u64) = match self {
            TouchKey::Counter(c) => (0, c as u64),
            TouchKey::Ptes(pid) => (1, u64::from(pid)),
            TouchKey::Vmas(pid) => (2, u64::from(pid)),
            TouchKey::Cache(ino) => (3, u64::from(ino)),
            TouchKey::Inode(ino) => (4, u64::from(ino)),
            TouchKey::Shm(id) => (5, u64::from(id as u32)),
            TouchKey::Task(pid) => (6, u64::from(pid)),
            TouchKey::Df(sb) => (7, sb as u64 & ((1 << 56) - 1)),
        };
        kind << 56 | n
    }
}

impl Touch {
    /// The key and the page range of the touch.
    #[inline]
    fn key(self) -> (TouchKey, u64, u64) {
        match self {
            Touch::Counter(c) => (TouchKey::Counter(c), 0, 0),
            Touch::Pte { pid, vpn } => (TouchKey::Ptes(pid), vpn, vpn),
            Touch::Vma { pid, start, end } => {
                (TouchKey::Vmas(pid), start, end.saturating_sub(1).max(start))
            }
            Touch::Cache { ino, index } => (TouchKey::Cache(ino), index, index),
            Touch::Inode { ino } => (TouchKey::Inode(ino), 0, 0),
            Touch::Shm { id } => (TouchKey::Shm(id), 0, 0),
            Touch::Task { pid } => (TouchKey::Task(pid), 0, 0),
            Touch::Df { sb } => (TouchKey::Df(sb), 0, 0),
        }
    }
}

/// Touches of one key by one kernel function, aggregated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TouchRecord {
    /// What was touched.
    pub key: TouchKey,
    /// The kernel function whose body made the change.
    pub func: &'static str,
    /// The file that defines it.
    pub file: &'static str,
    /// How many touches this record stands for.
    pub count: u64,
    /// The lowest page (virtual page number or page index) touched.
    pub lo: u64,
    /// The highest page touched.
    pub hi: u64,
}

impl TouchRecord {
    /// Does the record touch pages `[lo, hi]`?
    pub fn overlaps(&self, lo: u64, hi: u64) -> bool {
        self.lo <= hi && lo <= self.hi
    }
}

/// Every touch of an operation, in the order the functions first made them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Touches {
    /// The records.
    pub records: Vec<TouchRecord>,
}

/// The event of a touch made outside any kernel function.
const HARDWARE: u32 = u32::MAX;

impl Trace {
    /// Records entry into `func` (defined in `file`) at the current depth and
    /// goes one level deeper; pair with [`Trace::leave`].
    #[inline(always)]
    pub fn enter(&mut self, func: &'static str, file: &'static str) {
        if let Some(i) = self.replayed(func, file) {
            self.open.push(i as u32);
            self.depth += 1;
            return;
        }
        self.enter_recorded(func, file);
    }

    /// [`Trace::enter`] of a call that is recorded.
    #[inline(never)]
    fn enter_recorded(&mut self, func: &'static str, file: &'static str) {
        self.generation += 1;
        self.open.push(self.events.len() as u32);
        self.events.push(TraceEvent {
            func,
            file,
            depth: self.depth,
            repeat: 0,
        });
        self.depth += 1;
        // Calls below this one start afresh.
        self.last_call.truncate(usize::from(self.depth));
    }

    /// Leaves the function entered last.
    #[inline(always)]
    pub fn leave(&mut self) {
        // The common case: a replayed call ends where its template's did.
        if let (Some(r), Some(&j)) = (&self.replay, self.open.last()) {
            let (head, j) = (r.head, j as usize);
            if let Some(d) = self.events.get(j).map(|e| e.depth) {
                if r.next == r.end || self.events.get(r.next).is_some_and(|e| e.depth <= d) {
                    self.open.pop();
                    self.depth = self.depth.saturating_sub(1);
                    if j == head {
                        self.replayed_call_ended();
                    }
                    return;
                }
            }
        }
        self.leave_slow();
    }

    /// [`Trace::leave`] past its common case.
    #[inline(never)]
    fn leave_slow(&mut self) {
        if let (Some(r), Some(&j)) = (self.replay, self.open.last()) {
            let j = j as usize;
            let d = self.events[j].depth;
            // The call may end here if the template's did: nothing more
            // under it follows there.
            if r.next == r.end || self.events[r.next].depth <= d {
                self.open.pop();
                self.depth = self.depth.saturating_sub(1);
                if j == r.head {
                    self.replayed_call_ended();
                }
                return;
            }
            self.unreplay();
        }
        self.depth = self.depth.saturating_sub(1);
        if let Some(start) = self.open.pop() {
            self.finished(start);
        }
    }

    /// Records a call to a leaf function (one that calls nothing the trace shows).
    #[inline(always)]
    pub fn leaf(&mut self, func: &'static str, file: &'static str) {
        // The common case: the template's next event, with nothing under
        // it there.
        if let Some(r) = &mut self.replay {
            let i = r.next;
            if let Some(e) = self
                .events
                .get(i)
                .filter(|e| i < r.end && e.is(self.depth, func, file))
            {
                let next = i + 1;
                if next == r.end || self.events.get(next).is_some_and(|x| x.depth <= e.depth) {
                    r.next = next;
                    if i == r.head {
                        self.replayed_call_ended();
                    }
                    return;
                }
            }
        }
        self.leaf_slow(func, file);
    }

    /// [`Trace::leaf`] past its common case.
    #[inline(never)]
    fn leaf_slow(&mut self, func: &'static str, file: &'static str) {
        if let Some(i) = self.replayed(func, file) {
            // A leaf ends at once: as the template's call did if nothing
            // under it follows there; else it is recorded with the part
            // matched before it.
            if let Some(r) = self.replay {
                if r.next < r.end && self.events[r.next].depth > self.events[i].depth {
                    self.unreplay();
                } else if i == r.head {
                    self.replayed_call_ended();
                }
            }
            return;
        }
        self.leaf_recorded(func, file);
    }

    /// The call whose events begin at `start` has finished: it folds into
    /// the call just before it at its depth when the two are the same.
    fn finished(&mut self, start: u32) {
        self.generation += 1;
        let d = usize::from(self.events[start as usize].depth);
        if self.last_call.len() <= d {
            self.last_call.resize(d + 1, None);
        }
        self.last_call.truncate(d + 1);
        let (s, e) = (start as usize, self.events.len());
        if let Some(prev) = self.last_call[d].map(|p| p as usize) {
            let same = e - s == s - prev
                && same_call(&self.events[prev], &self.events[s])
                && self.events[prev + 1..s]
                    .iter()
                    .zip(&self.events[s + 1..e])
                    .all(|(a, b)| same_call(a, b) && a.repeat == b.repeat);
            if same && self.events[prev].repeat < u32::MAX {
                self.events.truncate(s);
                self.events[prev].repeat += 1;
                return;
            }
        }
        self.last_call[d] = Some(start);
    }

    /// A call of `func` at the current depth is entered (or is a leaf): if
    /// it is the template's next event, the index of that event, matched
    /// without recording it. A call that begins where a folded one ended
    /// starts a replay of it; a call that differs from the template ends
    /// the replay ([`Trace::unreplay`]) and is recorded.
    #[inline(always)]
    fn replayed(&mut self, func: &'static str, file: &'static str) -> Option<usize> {
        // The common case first, inlined into every caller: the replay
        // goes on, the names the same literals.
        if let Some(r) = &mut self.replay {
            let i = r.next;
            if i < r.end
                && self
                    .events
                    .get(i)
                    .is_some_and(|e| e.is(self.depth, func, file))
            {
                r.next = i + 1;
                return Some(i);
            }
        }
        self.replayed_slow(func, file)
    }

    #[inline(never)]
    fn replayed_slow(&mut self, func: &'static str, file: &'static str) -> Option<usize> {
        let at = TraceEvent {
            func,
            file,
            depth: self.depth,
            repeat: 0,
        };
        if let Some(r) = &mut self.replay {
            let i = r.next;
            if i < r.end && same_call(&self.events[i], &at) {
                r.next += 1;
                return Some(i);
            }
            self.unreplay();
            return None;
        }
        let head = self.last_call.get(usize::from(self.depth)).copied()??;
        let head = head as usize;
        let e = self.events[head];
        if self.plain || e.repeat == 0 || e.repeat == u32::MAX || !same_call(&e, &at) {
            return None;
        }
        // The template must be the last thing recorded, and hold no repeats.
        let end = self.events.len();
        if self.fit != Some((head, self.generation)) {
            let body = &self.events[head + 1..end];
            if body.iter().any(|x| x.repeat != 0 || x.depth <= e.depth) {
                return None;
            }
            self.fit = Some((head, self.generation));
        }
        self.replay = Some(Replay {
            head,
            end,
            next: head + 1,
        });
        let follow = self.script.of == Some((head, self.generation, self.records_made));
        self.script.at = follow.then_some(0);
        self.script.writing = (!follow).then_some(self.records_made);
        if !follow {
            self.script.steps.clear();
        }
        Some(head)
    }

    /// The replayed call ended as the template did: it is one more of it.
    #[inline(never)]
    fn replayed_call_ended(&mut self) {
        let r = self.replay.take().expect("a replay under way");
        let script = &mut self.script;
        let whole =
            script.writing == Some(self.records_made) || script.at == Some(script.steps.len());
        script.of = whole.then_some((r.head, self.generation, self.records_made));
        (script.at, script.writing) = (None, None);
        self.events[r.head].repeat += 1;
        self.last_call
            .truncate(usize::from(self.events[r.head].depth) + 1);
    }

    /// The call under way differs from the template after all: records
    /// the part of it matched so far, as [`Trace::enter`], [`Trace::leaf`]
    /// and [`Trace::leave`] would have recorded it, so that the state is
    /// what it would have been had it never been replayed.
    #[cold]
    #[inline(never)]
    fn unreplay(&mut self) {
        let Some(r) = self.replay.take() else {
            return;
        };
        self.script = Script::default();
        let open = self.open.len();
        let depth = self.depth;
        // The calls of the replay still open, outermost first.
        let mut still_open: Vec<usize> = Vec::new();
        while let Some(&j) = self.open.last() {
            if (j as usize) < r.head || (j as usize) >= r.end {
                break;
            }
            still_open.push(j as usize);
            self.open.pop();
        }
        still_open.reverse();
        self.depth = self.events[r.head].depth;
        let mut stack: Vec<usize> = Vec::new();
        for i in r.head..r.next {
            let e = self.events[i];
            while stack
                .last()
                .is_some_and(|&j| self.events[j].depth >= e.depth)
            {
                stack.pop();
                self.leave_recorded();
            }
            if still_open.contains(&i) || i + 1 < r.next && self.events[i + 1].depth > e.depth {
                stack.push(i);
                self.enter_recorded(e.func, e.file);
            } else {
                self.leaf_recorded(e.func, e.file);
            }
        }
        while stack.len() > still_open.len() {
            stack.pop();
            self.leave_recorded();
        }
        debug_assert_eq!(self.open.len(), open);
        debug_assert_eq!(self.depth, depth);
    }

    /// [`Trace::leave`] of a call that was recorded.
    fn leave_recorded(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if let Some(start) = self.open.pop() {
            self.finished(start);
        }
    }

    /// [`Trace::leaf`] of a call that is recorded.
    #[inline(never)]
    fn leaf_recorded(&mut self, func: &'static str, file: &'static str) {
        self.generation += 1;
        let start = self.events.len() as u32;
        self.events.push(TraceEvent {
            func,
            file,
            depth: self.depth,
            repeat: 0,
        });
        self.finished(start);
    }

    /// Takes the events recorded so far and starts afresh (dropping the
    /// touches not taken: take them first, with [`Trace::take_touches`]).
    pub fn take(&mut self) -> Vec<TraceEvent> {
        self.unreplay();
        self.replay = None;
        self.depth = 0;
        self.open.clear();
        self.touches.clear();
        self.last_record.clear();
        self.next_touch.clear();
        self.last_touched = None;
        self.last_call.clear();
        self.generation += 1;
        self.fit = None;
        std::mem::take(&mut self.events)
    }

    /// Records that the function running now (the innermost one entered,
    /// else the last one recorded) changed `what`. Touches of one key by one
    /// function over pages next to each other are aggregated into one
    /// record, in O(1), however many calls of the function made them.
    #[inline(always)]
    pub fn touch(&mut self, what: Touch) {
        let (key, lo, hi) = what.key();
        if let Some(at) = self.script.at {
            if self.followed(at, key.word(), lo, hi) {
                return;
            }
        }
        self.touch_key(key, lo, hi);
    }

    /// [`Trace::touch`] of pages `lo..=hi` of `key`, looked up.
    #[inline(never)]
    fn touch_key(&mut self, key: TouchKey, lo: u64, hi: u64) {
        let record = self.touch_looked_up(key, lo, hi);
        if self.script.writing.is_some() {
            let event = self.open.last().copied().unwrap_or(HARDWARE);
            self.script.steps.push((event, key.word(), record));
        }
    }

    /// The touch is step `at` of the script (the same template event, the
    /// same key, pages next to its record's), and has been made so; else
    /// the following ends.
    #[inline(always)]
    fn followed(&mut self, at: usize, key: u64, lo: u64, hi: u64) -> bool {
        if let (Some(&event), Some(&(e, k, i))) = (self.open.last(), self.script.steps.get(at)) {
            if e == event && k == key {
                if let Some(r) = self.touches.get_mut(i) {
                    if lo <= r.hi.saturating_add(1) && r.lo <= hi.saturating_add(1) {
                        r.count += 1;
                        r.lo = r.lo.min(lo);
                        r.hi = r.hi.max(hi);
                        self.script.at = Some(at + 1);
                        return true;
                    }
                }
            }
        }
        self.script.at = None;
        false
    }

    /// [`Trace::touch_key`] by look-up; returns the record it went to.
    fn touch_looked_up(&mut self, key: TouchKey, lo: u64, hi: u64) -> usize {
        // With no kernel function at all, the change is the hardware's (the
        // MMU setting a PTE's accessed or dirty bit on a plain load or store).
        let event = self
            .open
            .last()
            .copied()
            .or_else(|| self.events.len().checked_sub(1).map(|i| i as u32))
            .unwrap_or(HARDWARE);
        let (func, file) = match self.events.get(event as usize) {
            Some(ev) => (ev.func, ev.file),
            None => ("the MMU", "hardware"),
        };
        let id = (func.as_ptr() as usize, file.as_ptr() as usize, key);
        let last = self
            .predicted(func, file, key)
            .or_else(|| self.last_record.get(&id).copied());
        if let Some(i) = last {
            self.went_to(i);
            // One record per run of pages next to each other (a fault after
            // a fault over a mapping), so that a record's range names no
            // page the function did not touch in between.
            let r = &mut self.touches[i];
            if lo <= r.hi.saturating_add(1) && r.lo <= hi.saturating_add(1) {
                r.count += 1;
                r.lo = r.lo.min(lo);
                r.hi = r.hi.max(hi);
                return i;
            }
            self.next_touch[i].replaced = true;
        }
        self.records_made += 1;
        let new = self.touches.len();
        self.last_record.insert(id, new);
        self.next_touch.push(Follow::default());
        self.went_to(new);
        self.touches.push(TouchRecord {
            key,
            func,
            file,
            count: 1,
            lo,
            hi,
        });
        new
    }

    /// The touch under way went to record `i`: what the next touch after
    /// the last one is predicted to go to.
    fn went_to(&mut self, i: usize) {
        if let Some(prev) = self.last_touched {
            self.next_touch[prev].next = Some(i);
        }
        self.last_touched = Some(i);
    }

    /// Turns the prediction of [`Trace::touch`] off (on: `false`), for the
    /// property tests that it changes nothing.
    pub fn set_plain(&mut self, plain: bool) {
        self.plain = plain;
    }

    /// The last record of (`func`, `file`, `key`), if it is the one the
    /// touch after the last one went to last time: what the hash map would
    /// say, found by comparing one record.
    fn predicted(&self, func: &'static str, file: &'static str, key: TouchKey) -> Option<usize> {
        if self.plain {
            return None;
        }
        let i = self.next_touch[self.last_touched?].next?;
        let (r, f) = (&self.touches[i], self.next_touch[i]);
        let same = !f.replaced
            && r.key == key
            && std::ptr::eq(r.func.as_ptr(), func.as_ptr())
            && std::ptr::eq(r.file.as_ptr(), file.as_ptr());
        same.then_some(i)
    }

    /// Takes the touches recorded so far.
    pub fn take_touches(&mut self) -> Touches {
        self.records_made += 1;
        self.last_record.clear();
        self.next_touch.clear();
        self.last_touched = None;
        Touches {
            records: std::mem::take(&mut self.touches),
        }
    }

    /// The events recorded since the last [`Trace::take`].
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }
}

/// A trace recorded from generated operations, for the property tests of
/// the trace and of its printing: `(0, f, file)` enters `f`, `(1, ..)`
/// leaves the innermost open call (if any), anything else is a leaf call.
#[cfg(test)]
pub(crate) fn played(
    ops: impl IntoIterator<Item = (u8, &'static str, &'static str)>,
) -> Vec<TraceEvent> {
    let (mut t, mut depth) = (Trace::default(), 0);
    for (op, func, file) in ops {
        match op {
            0 => {
                t.enter(func, file);
                depth += 1;
            }
            1 if depth > 0 => {
                t.leave();
                depth -= 1;
            }
            _ => t.leaf(func, file),
        }
    }
    t.take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the trace held before calls were folded: one event per call.
    #[derive(Default)]
    struct Flat {
        events: Vec<TraceEvent>,
        depth: u16,
    }

    const FUNCS: [&str; 3] = ["shmem_fault", "radix_tree_insert", "set_page_dirty"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Folding loses nothing: the folded trace, unfolded, is every call.
        #[test]
        fn folded_calls_unfold_to_every_call(ops in prop::collection::vec((0u8..3, 0usize..3), 0..200)) {
            let (mut t, mut flat) = (Trace::default(), Flat::default());
            for (op, f) in ops {
                let func = FUNCS[f];
                let ev = TraceEvent { func, file: "mm/x.c", depth: flat.depth, repeat: 0 };
                match op {
                    0 => {
                        t.enter(func, "mm/x.c");
                        flat.events.push(ev);
                        flat.depth += 1;
                    }
                    1 if flat.depth > 0 => {
                        t.leave();
                        flat.depth -= 1;
                    }
                    _ => {
                        t.leaf(func, "mm/x.c");
                        flat.events.push(ev);
                    }
                }
            }
            let folded = t.take();
            prop_assert!(folded.len() <= flat.events.len());
            let unfolded: Vec<TraceEvent> = expanded(&folded).collect();
            prop_assert_eq!(unfolded, flat.events);
        }
    }

    /// A trace recorded from random enter/leave/leaf operations, folded.
    fn recorded(ops: &[(u8, usize)]) -> Vec<TraceEvent> {
        played(ops.iter().map(|&(op, f)| (op, FUNCS[f], "mm/x.c")))
    }

    /// [`printed`] unfolded: each counted call and each bracketed run
    /// played as many times as it says.
    fn unprinted(p: &[Printed]) -> Vec<TraceEvent> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                Printed::Call(e, n) => out.extend((0..n).map(|_| e)),
                Printed::Begin(..) => {
                    let mut level = 0;
                    let end = (i..p.len())
                        .find(|&j| {
                            match p[j] {
                                Printed::Begin(..) => level += 1,
                                Printed::End(..) => level -= 1,
                                Printed::Call(..) => {}
                            }
                            level == 0
                        })
                        .expect("every Begin has its End");
                    let Printed::Begin(_, n) = p[i] else {
                        unreachable!()
                    };
                    let body = unprinted(&p[i + 1..end]);
                    for _ in 0..n {
                        out.extend_from_slice(&body);
                    }
                    i = end;
                }
                Printed::End(..) => {}
            }
            i += 1;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn printed_unfolds_to_every_call(
            ops in prop::collection::vec((0u8..3, 0usize..3), 0..300),
            reps in 1usize..40,
        ) {
            // Repeat the whole pattern so that long runs occur.
            let ops: Vec<_> = std::iter::repeat_n(ops, reps).flatten().collect();
            let folded = recorded(&ops);
            let p = printed(&folded);
            prop_assert!(p.iter().all(|x| !matches!(x, Printed::Begin(d, n) if *d > 0 && *n <= LISTED_REPEATS)));
            prop_assert_eq!(unprinted(&p), expanded(&folded).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_long_run_of_calls_with_callees_prints_once() {
        let mut t = Trace::default();
        t.enter("shmem_undo_range", "mm/shmem.c");
        for _ in 0..786_432 {
            t.enter("__delete_from_page_cache", "mm/filemap.c");
            t.leaf("radix_tree_delete", "lib/radix-tree.c");
            t.leave();
        }
        t.leave();
        let p = printed(&t.take());
        assert_eq!(p.len(), 5, "{p:?}");
        assert_eq!(p[1], Printed::Begin(1, 786_432));
    }

    #[test]
    fn a_loop_of_identical_calls_is_stored_once() {
        let mut t = Trace::default();
        for _ in 0..786_432 {
            t.enter("__do_page_fault", "arch/x86/mm/fault.c");
            t.leaf("find_lock_entry", "mm/filemap.c");
            t.leaf("radix_tree_insert", "lib/radix-tree.c");
            t.leave();
        }
        let ev = t.take();
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0].repeat, 786_431);
        assert_eq!(expanded(&ev).count(), 3 * 786_432);
    }

    #[test]
    fn touches_aggregate_per_key_and_function() {
        let mut t = Trace::default();
        t.enter("zap_pte_range", "mm/memory.c");
        for vpn in 10..1010 {
            t.touch(Touch::Pte { pid: 7, vpn });
            t.touch(Touch::Counter(Counter::FileMapped));
        }
        t.leave();
        t.enter("shmem_undo_range", "mm/shmem.c");
        t.touch(Touch::Counter(Counter::FileMapped));
        t.leave();
        let r = t.take_touches().records;
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(
            (r[0].key, r[0].count, r[0].lo, r[0].hi),
            (TouchKey::Ptes(7), 1000, 10, 1009)
        );
        assert_eq!((r[1].func, r[1].count), ("zap_pte_range", 1000));
        assert_eq!((r[2].func, r[2].file), ("shmem_undo_range", "mm/shmem.c"));
    }

    #[test]
    fn a_touch_goes_to_the_innermost_open_function() {
        let mut t = Trace::default();
        t.enter("shmem_fault", "mm/shmem.c");
        t.leaf("find_lock_entry", "mm/filemap.c");
        t.touch(Touch::Cache { ino: 3, index: 0 });
        t.leave();
        t.touch(Touch::Inode { ino: 3 });
        let r = t.take_touches().records;
        assert_eq!(r[0].func, "shmem_fault");
        // With nothing open, the last function recorded.
        assert_eq!(r[1].func, "find_lock_entry");
        assert!(Trace::default().take_touches().records.is_empty());
        // With no function at all, the hardware.
        let mut t = Trace::default();
        t.touch(Touch::Pte { pid: 1, vpn: 2 });
        let r = t.take_touches().records;
        assert_eq!((r[0].func, r[0].file), ("the MMU", "hardware"));
    }

    /// What [`Trace::touch`] records, found the slow way: the last record
    /// of the same (function, file, key), by a scan from the end.
    fn touched_by_scan(ops: &[(usize, u8, u64)]) -> Vec<TouchRecord> {
        let mut out: Vec<TouchRecord> = Vec::new();
        for &(f, k, page) in ops {
            let (func, file) = TOUCHERS[f];
            let (key, lo, hi) = touch_of(k, page).key();
            let last = out
                .iter_mut()
                .rev()
                .find(|r| r.key == key && r.func == func && r.file == file);
            match last {
                Some(r) if lo <= r.hi.saturating_add(1) && r.lo <= hi.saturating_add(1) => {
                    r.count += 1;
                    r.lo = r.lo.min(lo);
                    r.hi = r.hi.max(hi);
                }
                _ => out.push(TouchRecord {
                    key,
                    func,
                    file,
                    count: 1,
                    lo,
                    hi,
                }),
            }
        }
        out
    }

    const TOUCHERS: [(&str, &str); 3] = [
        ("shmem_fault", "mm/shmem.c"),
        ("radix_tree_insert", "lib/radix-tree.c"),
        ("zap_pte_range", "mm/memory.c"),
    ];

    fn touch_of(k: u8, page: u64) -> Touch {
        match k % 4 {
            0 => Touch::Counter(Counter::Shmem),
            1 => Touch::Counter(Counter::FilePages),
            2 => Touch::Pte { pid: 1, vpn: page },
            _ => Touch::Cache {
                ino: 2,
                index: page,
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The predicted record of a touch is the one the hash map (and a
        /// scan) would find: loops of identical faults, broken loops, pages
        /// out of order.
        #[test]
        fn touches_are_recorded_as_a_scan_would(
            body in prop::collection::vec((0usize..3, any::<u8>(), 0u64..4), 1..6),
            rounds in 1u64..40,
            noise in prop::collection::vec((0usize..3, any::<u8>(), 0u64..200), 0..20),
        ) {
            // A loop over pages (each round the next page), then noise.
            let mut ops = Vec::new();
            for r in 0..rounds {
                ops.extend(body.iter().map(|&(f, k, d)| (f, k, r * 4 + d)));
            }
            ops.extend(noise);
            let mut t = Trace::default();
            for &(f, k, page) in &ops {
                t.leaf(TOUCHERS[f].0, TOUCHERS[f].1);
                t.touch(touch_of(k, page));
            }
            prop_assert_eq!(t.take_touches().records, touched_by_scan(&ops));
        }

        /// Replaying a call like the folded one before it (the default)
        /// leaves what recording every call and folding it leaves (plain):
        /// the same events and the same touches, for loops of calls that
        /// break off anywhere (an extra call, a missing one, a call that
        /// ends early or late), and for a trace taken in the middle of one.
        #[test]
        fn replayed_calls_leave_what_recorded_calls_leave(
            head in 0usize..3,
            inner in prop::collection::vec((0u8..3, 0usize..3, any::<u8>()), 0..6),
            rounds in 1usize..8,
            breaks in prop::collection::vec((0usize..100, 0u8..4, 0usize..3, any::<u8>()), 0..4),
            unbalanced in any::<bool>(),
        ) {
            // One call of `head` with leaves, touches and calls under it,
            // made `rounds` times over the next pages, with `breaks` (an
            // enter, a leave, a leaf or a touch) put in anywhere.
            let mut body = vec![(0, head, 0)];
            for &(kind, f, k) in &inner {
                match kind {
                    0 => body.push((2, f, k)),
                    1 => body.push((3, f, k)),
                    _ => body.extend([(0, f, k), (2, (f + 1) % 3, k), (1, f, k)]),
                }
            }
            body.push((1, head, 0));
            let mut ops: Vec<(u8, usize, u8)> = Vec::new();
            for r in 0..rounds {
                ops.extend(body.iter().map(|&(op, f, k)| (op, f, k.wrapping_add(r as u8))));
            }
            for (at, op, f, k) in breaks {
                let at = at % (ops.len() + 1);
                ops.insert(at, (op, f, k));
            }
            let play = |plain: bool| {
                let mut t = Trace::default();
                t.set_plain(plain);
                let mut depth = 0;
                for &(op, f, k) in &ops {
                    let func = FUNCS[f];
                    match op {
                        0 => {
                            t.enter(func, "mm/x.c");
                            depth += 1;
                        }
                        1 if depth > 0 => {
                            t.leave();
                            depth -= 1;
                        }
                        1 | 2 => t.leaf(func, "mm/x.c"),
                        _ => t.touch(touch_of(k, u64::from(k % 8))),
                    }
                }
                if !unbalanced {
                    for _ in 0..depth {
                        t.leave();
                    }
                }
                let touches = t.take_touches();
                (t.take(), touches)
            };
            prop_assert_eq!(play(false), play(true));
        }

        /// A call made again and again over the next pages, whose touches
        /// follow the script of the one before: the same records as with no
        /// script and no replay, when a call touches one key at pages apart
        /// (the second touch makes a record of its own), when the pages of
        /// one round are not next to the last round's, and when a round
        /// touches less or more.
        #[test]
        fn scripted_touches_go_where_looked_up_touches_go(
            touches in prop::collection::vec((0u8..4, 0u64..6), 1..6),
            step in 0u64..4,
            rounds in 2u64..12,
            odd in prop::collection::vec((0u64..12, any::<bool>()), 0..3),
        ) {
            let play = |plain: bool| {
                let mut t = Trace::default();
                t.set_plain(plain);
                for r in 0..rounds {
                    t.enter("f", "mm/x.c");
                    t.enter("g", "mm/x.c");
                    for (j, &(k, d)) in touches.iter().enumerate() {
                        let skip = odd.iter().any(|&(at, _)| at == r && j == 0);
                        if !skip {
                            t.touch(touch_of(k, r * step + d));
                        }
                    }
                    if odd.iter().any(|&(at, more)| at == r && more) {
                        t.touch(touch_of(2, 1000 + r));
                    }
                    t.leave();
                    t.leaf("h", "mm/x.c");
                    t.leave();
                }
                let touches = t.take_touches();
                (t.take(), touches)
            };
            prop_assert_eq!(play(false), play(true));
        }
    }
}
