//! Issue #2: the kernel model against a plain reference model, as a state
//! machine.
//!
//! A few processes (2 to 4, made by `spawn` and `fork`) run random sequences
//! of file calls on `/dev/shm` (tmpfs) and `/tmp` (the disk), `mmap` of
//! shared and private, file and anonymous memory, `munmap`, `mprotect`,
//! `msync`, `madvise`, loads and stores at random offsets inside (and now and
//! then outside) their mappings, `fork`, `exit` and `drop_caches`. Memory is
//! large (64 MiB, no swap): nothing is ever reclaimed, so the reference can
//! say exactly what each call returns.
//!
//! The reference keeps, per file (by identity: it outlives its name while it
//! is open or mapped), its bytes as a `Vec`; per process, its descriptors
//! (open file descriptions are shared by `fork`, with their offset) and a page
//! table of its own: each mapped page is a page of a shared file, a page of a
//! private file mapping (with its private copy once written), or private
//! anonymous memory. Shared anonymous memory is a file of its own.
//!
//! After every step: `check_invariants()` holds, the live processes are the
//! same, and every result agrees with the reference: the return value or
//! errno, the signal (with its `si_code` and address) that ended a process,
//! and every byte read through `read`/`pread` or through a mapping.
//!
//! Bytes a mapping stores past the end of the file, inside the last partial
//! page, are "unknown" (`None`) in the reference: such a store must succeed
//! and must not change the file's size or what `read(2)` returns past EOF,
//! but whether the bytes survive is filesystem- and moment-dependent on a
//! real kernel (ext4 zeroes the tail of the page straddling `i_size` at each
//! writeback, which the flusher may start at any time; tmpfs keeps it;
//! neither zeroes it when the file grows again). Any value is accepted for
//! them until they are overwritten, the file shrinks (the new tail is zeroed)
//! or, on the disk, `fsync` or `msync(MS_SYNC)` writes the page back (the
//! tail is zeroed then).
//!
//! Linux quirks the state machine asserts: `O_RDONLY|O_TRUNC` truncates;
//! `pwrite` on an `O_APPEND` descriptor appends whatever the offset (and
//! leaves the file offset alone).
//!
//! Left out on purpose (the kernel's answer is not certain enough to
//! assert, or the case is not what this suite is about):
//! - `ftruncate` to the same size, for the tail past EOF: 4.14
//!   `shmem_setattr` probably zeroes it on tmpfs (`newsize <= oldsize`), and
//!   ext4 may through `truncate_pagecache`; the tail stays "unknown";
//! - `PROT_WRITE` without `PROT_READ` (x86 cannot map write-only pages, so
//!   a load may or may not fault depending on the PTE; not asserted);
//! - `MAP_FIXED`, `mremap`, `O_EXCL` without `O_CREAT`, `MS_INVALIDATE`,
//!   locked memory, permission errors (all processes run as the same user and
//!   create files 0600), a full tmpfs (`/dev/shm` is 32 MiB here), and
//!   address-space exhaustion.

use proptest::prelude::*;
use sim::errno::{Errno, Fault, SigCode, Signal};
use sim::fs::vfs::o;
use sim::glibc::{shm_open, shm_unlink};
use sim::kernel::{Config, ExitStatus, Kernel, Pid, FIRST_PID, MMAP_BASE};
use sim::mm::madvise::madv;
use sim::mm::mmap::{map, ms, prot};
use std::collections::BTreeMap;

const PAGE: u64 = 4096;
const P: usize = PAGE as usize;
const MAX_PROCS: usize = 4;
const BAD_FD: i32 = 1000;
const NAMES: [&str; 4] = ["/dev/shm/a", "/dev/shm/b", "/tmp/c", "/tmp/d"];

/// Cases of the main property (`PROPTEST_CASES` overrides).
const CASES: u32 = 96;
/// Longest op sequence.
const MAX_OPS: usize = 60;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn round_up(n: u64) -> u64 {
    n.div_ceil(PAGE) * PAGE
}

/// Distinctive, never-zero bytes: a lost store never reads back as its data.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((seed as usize * 131 + i * 7) % 255 + 1) as u8)
        .collect()
}

// ---------------------------------------------------------------------------
// The operations.
// ---------------------------------------------------------------------------

/// Processes, descriptors and mappings are chosen by index (modulo what
/// exists when the op runs), so that any sequence is meaningful and shrinks.
#[derive(Clone, Debug)]
enum Op {
    Spawn,
    Fork(u8),
    Exit(u8),
    Open {
        p: u8,
        name: u8,
        acc: u8,
        creat: bool,
        excl: bool,
        trunc: bool,
        append: bool,
        glibc: bool,
    },
    Close {
        p: u8,
        fd: u8,
    },
    Unlink {
        p: u8,
        name: u8,
        glibc: bool,
    },
    Ftruncate {
        p: u8,
        fd: u8,
        len: u64,
    },
    Write {
        p: u8,
        fd: u8,
        len: u16,
        seed: u8,
    },
    Pwrite {
        p: u8,
        fd: u8,
        off: u64,
        len: u16,
        seed: u8,
    },
    Read {
        p: u8,
        fd: u8,
        len: u16,
    },
    Pread {
        p: u8,
        fd: u8,
        off: u64,
        len: u16,
    },
    Lseek {
        p: u8,
        fd: u8,
        off: u64,
        from_end: bool,
    },
    Fsync {
        p: u8,
        fd: u8,
    },
    Mmap {
        p: u8,
        /// `None`: anonymous; `Some(sel)`: the descriptor chosen by `sel`.
        fd: Option<u8>,
        shared: bool,
        pages: u8,
        sub: u16,
        off_pages: u8,
        prot: u8,
        /// 0: a good call; 1: length 0; 2: unaligned offset; 3: no map type.
        bad: u8,
    },
    Munmap {
        p: u8,
        r: u8,
        first: u8,
        n: u8,
    },
    Mprotect {
        p: u8,
        r: u8,
        first: u8,
        n: u8,
        prot: u8,
    },
    Msync {
        p: u8,
        r: u8,
        first: u8,
        n: u8,
        flags: u8,
    },
    Madvise {
        p: u8,
        r: u8,
        first: u8,
        n: u8,
        advice: u8,
    },
    Store {
        p: u8,
        r: u8,
        off: u32,
        len: u16,
        seed: u8,
    },
    Load {
        p: u8,
        r: u8,
        off: u32,
        len: u16,
    },
    /// A load or store far from any mapping: SIGSEGV.
    Wild {
        p: u8,
        write: bool,
        which: u8,
    },
    DropCaches,
}

fn file_len() -> impl Strategy<Value = u64> {
    (0u64..=6, prop_oneof![Just(0u64), 1u64..PAGE]).prop_map(|(pages, sub)| {
        if sub == 0 {
            pages * PAGE
        } else {
            (pages * PAGE).saturating_sub(PAGE) + sub
        }
    })
}

fn op() -> impl Strategy<Value = Op> {
    let b = any::<u8>;
    prop_oneof![
        2 => Just(Op::Spawn),
        3 => b().prop_map(Op::Fork),
        2 => b().prop_map(Op::Exit),
        12 => (b(), 0u8..4, 0u8..3, 0u8..8, 0u8..4, 0u8..4, any::<bool>())
            .prop_map(|(p, name, acc, creat, trunc, append, glibc)| Op::Open {
                p,
                name,
                acc,
                // Mostly O_CREAT, so that files exist; O_EXCL only with it.
                creat: creat != 0,
                excl: creat == 1,
                trunc: trunc == 0,
                append: append == 0,
                glibc,
            }),
        3 => (b(), b()).prop_map(|(p, fd)| Op::Close { p, fd }),
        2 => (b(), 0u8..4, any::<bool>()).prop_map(|(p, name, glibc)| Op::Unlink { p, name, glibc }),
        6 => (b(), b(), file_len()).prop_map(|(p, fd, len)| Op::Ftruncate { p, fd, len }),
        5 => (b(), b(), 0u16..6000, b()).prop_map(|(p, fd, len, seed)| Op::Write { p, fd, len, seed }),
        6 => (b(), b(), 0u64..5 * PAGE, 1u16..6000, b())
            .prop_map(|(p, fd, off, len, seed)| Op::Pwrite { p, fd, off, len, seed }),
        3 => (b(), b(), 0u16..9000).prop_map(|(p, fd, len)| Op::Read { p, fd, len }),
        4 => (b(), b(), 0u64..7 * PAGE, 0u16..9000)
            .prop_map(|(p, fd, off, len)| Op::Pread { p, fd, off, len }),
        2 => (b(), b(), 0u64..3 * PAGE, any::<bool>())
            .prop_map(|(p, fd, off, from_end)| Op::Lseek { p, fd, off, from_end }),
        1 => (b(), b()).prop_map(|(p, fd)| Op::Fsync { p, fd }),
        14 => (
            b(),
            prop::option::weighted(0.7, b()),
            any::<bool>(),
            1u8..=6,
            prop_oneof![3 => Just(0u16), 1 => 1u16..4096],
            0u8..=2,
            prop_oneof![1 => Just(0u8), 2 => Just(1u8), 6 => Just(2u8)],
            prop_oneof![12 => Just(0u8), 1 => 1u8..=3],
        )
            .prop_map(|(p, fd, shared, pages, sub, off_pages, prot, bad)| Op::Mmap {
                p,
                fd,
                shared,
                pages,
                sub,
                off_pages,
                prot,
                bad,
            }),
        4 => (b(), b(), b(), b()).prop_map(|(p, r, first, n)| Op::Munmap { p, r, first, n }),
        3 => (b(), b(), b(), b(), 0u8..3)
            .prop_map(|(p, r, first, n, prot)| Op::Mprotect { p, r, first, n, prot }),
        2 => (b(), b(), b(), b(), 0u8..4)
            .prop_map(|(p, r, first, n, flags)| Op::Msync { p, r, first, n, flags }),
        4 => (b(), b(), b(), b(), 0u8..3)
            .prop_map(|(p, r, first, n, advice)| Op::Madvise { p, r, first, n, advice }),
        20 => (b(), b(), any::<u32>(), prop_oneof![3 => 1u16..64, 1 => 1u16..9000], b())
            .prop_map(|(p, r, off, len, seed)| Op::Store { p, r, off, len, seed }),
        14 => (b(), b(), any::<u32>(), prop_oneof![3 => 1u16..64, 1 => 1u16..9000])
            .prop_map(|(p, r, off, len)| Op::Load { p, r, off, len }),
        1 => (b(), any::<bool>(), 0u8..3).prop_map(|(p, write, which)| Op::Wild { p, write, which }),
        1 => Just(Op::DropCaches),
    ]
}

// ---------------------------------------------------------------------------
// The reference model.
// ---------------------------------------------------------------------------

/// A byte the reference knows (`Some`) or accepts any value for (`None`).
type Bytes = Vec<Option<u8>>;

/// A file: its size and its bytes up to the end of its last page (the tail
/// past `size` is what a mapping of the last page sees).
#[derive(Clone, Debug)]
struct Obj {
    /// On the disk (`/tmp`): written back by `fsync` and `msync(MS_SYNC)`.
    disk: bool,
    size: u64,
    data: Bytes,
}

impl Obj {
    fn new(disk: bool, size: u64) -> Obj {
        Obj {
            disk,
            size,
            data: vec![Some(0); round_up(size) as usize],
        }
    }

    fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE)
    }

    /// A new size. Shrinking zeroes the new tail (`truncate_inode_pages_range`
    /// / `shmem_undo_range` zero the partial page); growing keeps whatever
    /// the old tail held and adds zeroes.
    fn resize(&mut self, new: u64) {
        if new < self.size {
            self.data.truncate(round_up(new) as usize);
            for b in &mut self.data[new as usize..] {
                *b = Some(0);
            }
        } else {
            self.data.resize(round_up(new) as usize, Some(0));
        }
        self.size = new;
    }

    /// Writeback of a disk file's last page zeroes its part past EOF
    /// (`ext4_bio_write_page`, `block_write_full_page`).
    fn written_back(&mut self) {
        if self.disk {
            let size = self.size as usize;
            self.data[size..].fill(Some(0));
        }
    }

    fn page(&self, idx: u64) -> Bytes {
        let at = idx as usize * P;
        self.data[at..at + P].to_vec()
    }

    /// What `read(2)` returns: nothing past EOF.
    fn read(&self, pos: u64, count: u64) -> Bytes {
        if pos >= self.size {
            return Vec::new();
        }
        let end = self.size.min(pos + count);
        self.data[pos as usize..end as usize].to_vec()
    }
}

#[derive(Clone, Debug)]
enum Back {
    /// A page of a shared mapping of a file (or of shared anonymous memory).
    Shared { obj: usize, idx: u64 },
    /// A page of a private file mapping: the file's page until written, then
    /// a private copy.
    PrivFile {
        obj: usize,
        idx: u64,
        cow: Option<Bytes>,
    },
    /// Private anonymous memory (`None`: never written, zeroes).
    Anon(Option<Bytes>),
}

#[derive(Clone, Debug)]
struct RPte {
    prot: u32,
    /// `VM_MAYWRITE` (shared mappings of read-only descriptors lack it).
    maywrite: bool,
    back: Back,
}

#[derive(Clone, Debug)]
struct Proc {
    pid: Pid,
    /// fd -> open file description.
    fds: BTreeMap<i32, usize>,
    /// Virtual page number -> page.
    ptes: BTreeMap<u64, RPte>,
    /// Ranges `mmap` returned (start, pages), while some page is still mapped:
    /// where the memory ops aim.
    regions: Vec<(u64, u64)>,
}

#[derive(Clone, Debug)]
struct Ofd {
    obj: usize,
    acc: u32,
    append: bool,
    pos: u64,
}

impl Ofd {
    fn readable(&self) -> bool {
        self.acc != o::WRONLY
    }
    fn writable(&self) -> bool {
        self.acc != o::RDONLY
    }
}

#[derive(Default)]
struct Ref {
    objs: Vec<Obj>,
    names: BTreeMap<&'static str, usize>,
    ofds: Vec<Ofd>,
    procs: Vec<Proc>,
    next_pid: Pid,
}

type Sig = (Signal, SigCode);
const SEGV_MAPERR: Sig = (Signal::SIGSEGV, SigCode::SEGV_MAPERR);
const SEGV_ACCERR: Sig = (Signal::SIGSEGV, SigCode::SEGV_ACCERR);
const BUS: Sig = (Signal::SIGBUS, SigCode::BUS_ADRERR);

impl Ref {
    /// Truncation (or growth) of a file; shrinking also drops the private
    /// copies made from pages past the new end (`unmap_mapping_range(..,
    /// even_cows = 1)`).
    fn truncate(&mut self, obj: usize, new: u64) {
        let old = self.objs[obj].size;
        self.objs[obj].resize(new);
        if new < old {
            let pages = self.objs[obj].pages();
            for p in &mut self.procs {
                for pte in p.ptes.values_mut() {
                    if let Back::PrivFile { obj: o, idx, cow } = &mut pte.back {
                        if *o == obj && *idx >= pages {
                            *cow = None;
                        }
                    }
                }
            }
        }
    }

    /// `write(2)` at `pos`: extends the file (growth never drops anything).
    fn file_write(&mut self, obj: usize, pos: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let end = pos + data.len() as u64;
        let o = &mut self.objs[obj];
        if end > o.size {
            o.resize(end);
        }
        for (i, &b) in data.iter().enumerate() {
            o.data[pos as usize + i] = Some(b);
        }
    }

    /// MADV_REMOVE of one page: a hole.
    fn punch(&mut self, obj: usize, idx: u64) {
        let o = &mut self.objs[obj];
        if idx < o.pages() {
            let at = idx as usize * P;
            o.data[at..at + P].fill(Some(0));
        }
    }

    /// Would an access to page `vpn` of process `pi` fault, and how?
    fn access(&self, pi: usize, vpn: u64, write: bool) -> Result<(), Sig> {
        let Some(pte) = self.procs[pi].ptes.get(&vpn) else {
            return Err(SEGV_MAPERR);
        };
        if (write && pte.prot & prot::WRITE == 0) || (!write && pte.prot == prot::NONE) {
            return Err(SEGV_ACCERR);
        }
        match &pte.back {
            Back::Shared { obj, idx } if *idx >= self.objs[*obj].pages() => Err(BUS),
            Back::PrivFile {
                obj,
                idx,
                cow: None,
            } if *idx >= self.objs[*obj].pages() => Err(BUS),
            _ => Ok(()),
        }
    }

    fn load(&self, pi: usize, vpn: u64, off: usize, n: usize) -> Bytes {
        let pte = &self.procs[pi].ptes[&vpn];
        match &pte.back {
            Back::Shared { obj, idx }
            | Back::PrivFile {
                obj,
                idx,
                cow: None,
            } => {
                let at = *idx as usize * P + off;
                self.objs[*obj].data[at..at + n].to_vec()
            }
            Back::PrivFile { cow: Some(c), .. } | Back::Anon(Some(c)) => c[off..off + n].to_vec(),
            Back::Anon(None) => vec![Some(0); n],
        }
    }

    fn store(&mut self, pi: usize, vpn: u64, off: usize, src: &[u8]) {
        let Ref { objs, procs, .. } = self;
        let pte = procs[pi].ptes.get_mut(&vpn).expect("checked by access");
        match &mut pte.back {
            Back::Shared { obj, idx } => {
                let o = &mut objs[*obj];
                for (i, &b) in src.iter().enumerate() {
                    let at = *idx as usize * P + off + i;
                    // Past EOF in the last page: not part of the file.
                    o.data[at] = if (at as u64) < o.size { Some(b) } else { None };
                }
            }
            Back::PrivFile { obj, idx, cow } => {
                let c = cow.get_or_insert_with(|| objs[*obj].page(*idx));
                for (i, &b) in src.iter().enumerate() {
                    c[off + i] = Some(b);
                }
            }
            Back::Anon(d) => {
                let c = d.get_or_insert_with(|| vec![Some(0); P]);
                for (i, &b) in src.iter().enumerate() {
                    c[off + i] = Some(b);
                }
            }
        }
    }

    fn lowest_free_fd(&self, pi: usize) -> i32 {
        let mut fd = 3;
        while self.procs[pi].fds.contains_key(&fd) {
            fd += 1;
        }
        fd
    }

    /// The descriptor `sel` names: one of the process's, or now and then a
    /// bad one.
    fn pick_fd(&self, pi: usize, sel: u8) -> i32 {
        let fds: Vec<i32> = self.procs[pi].fds.keys().copied().collect();
        if fds.is_empty() || sel % 10 == 9 {
            BAD_FD
        } else {
            fds[sel as usize % fds.len()]
        }
    }

    fn ofd(&self, pi: usize, fd: i32) -> Option<&Ofd> {
        self.procs[pi].fds.get(&fd).map(|&i| &self.ofds[i])
    }

    /// The page range `(first vpn, pages)` an op aims at inside a region;
    /// it may run one page past the region's end.
    fn range(&self, pi: usize, r: u8, first: u8, n: u8) -> Option<(u64, u64)> {
        let regions = &self.procs[pi].regions;
        if regions.is_empty() {
            return None;
        }
        let (start, pages) = regions[r as usize % regions.len()];
        let first = first as u64 % pages;
        let n = 1 + n as u64 % (pages - first + 1);
        Some((start / PAGE + first, n))
    }

    fn prune_regions(&mut self, pi: usize) {
        let p = &mut self.procs[pi];
        let ptes = &p.ptes;
        p.regions
            .retain(|&(s, n)| ptes.range(s / PAGE..s / PAGE + n).next().is_some());
    }
}

// ---------------------------------------------------------------------------
// The harness: one kernel, one reference.
// ---------------------------------------------------------------------------

struct Harness {
    k: Kernel,
    r: Ref,
    /// The trace of each step, when recording (the determinism property).
    log: Option<Vec<String>>,
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}

fn same_bytes(got: &[u8], want: &[Option<u8>]) -> Result<(), String> {
    ensure!(
        got.len() == want.len(),
        "read {} bytes, expected {}",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if let Some(w) = w {
            ensure!(g == w, "byte {i}: got {g:#04x}, expected {w:#04x}");
        }
    }
    Ok(())
}

fn same<T: PartialEq + std::fmt::Debug>(got: T, want: T, what: &str) -> Result<(), String> {
    ensure!(got == want, "{what}: got {got:?}, expected {want:?}");
    Ok(())
}

impl Harness {
    fn new(record: bool) -> Harness {
        let k = Kernel::new(Config {
            ram_bytes: 64 << 20,
            swap_bytes: 0,
            ..Config::default()
        });
        let mut h = Harness {
            k,
            r: Ref {
                next_pid: FIRST_PID,
                ..Ref::default()
            },
            log: record.then(Vec::new),
        };
        for (pi, path) in ["/dev/shm/a", "/tmp/c"].into_iter().enumerate() {
            h.spawn().expect("boot");
            let open = Op::Open {
                p: pi as u8,
                name: NAMES.iter().position(|&n| n == path).unwrap() as u8,
                acc: 2,
                creat: true,
                excl: false,
                trunc: false,
                append: false,
                glibc: false,
            };
            h.apply(&open).expect("boot");
            let size = Op::Ftruncate {
                p: pi as u8,
                fd: 0,
                len: 3 * PAGE - 100 * pi as u64,
            };
            h.apply(&size).expect("boot");
            // p0: its file mapped shared and private; p1: its file mapped
            // private, and private anonymous memory.
            for (fd, shared) in [(Some(0), pi == 0), (Some(0).filter(|_| pi == 0), false)] {
                let map = Op::Mmap {
                    p: pi as u8,
                    fd,
                    shared,
                    pages: 3,
                    sub: 0,
                    off_pages: 0,
                    prot: 2,
                    bad: 0,
                };
                h.apply(&map).expect("boot");
            }
        }
        h.k.take_trace();
        h
    }

    fn spawn(&mut self) -> Result<(), String> {
        if self.r.procs.len() >= MAX_PROCS {
            return Ok(());
        }
        let pid = self.k.spawn(&format!("p{}", self.r.next_pid));
        same(pid, self.r.next_pid, "spawn pid")?;
        self.r.next_pid += 1;
        self.r.procs.push(Proc {
            pid,
            fds: BTreeMap::new(),
            ptes: BTreeMap::new(),
            regions: Vec::new(),
        });
        Ok(())
    }

    /// Runs one op on both models and compares; then the invariants.
    fn step(&mut self, op: &Op) -> Result<(), String> {
        self.apply(op)?;
        if let Err(e) = self.k.check_invariants() {
            return Err(format!("kernel invariants broken:\n{e}"));
        }
        let live: Vec<Pid> = self.k.tasks.keys().collect();
        let mut want: Vec<Pid> = self.r.procs.iter().map(|p| p.pid).collect();
        want.sort_unstable();
        same(live, want, "live processes")?;
        let trace = self.k.take_trace();
        if let Some(log) = &mut self.log {
            log.push(format!("{op:?}\n{trace:?}"));
        }
        Ok(())
    }

    /// A fault ended process `pi`: the kernel must say so, and the
    /// reference forgets it.
    fn died(&mut self, pi: usize, fault: Fault, want: (Sig, u64)) -> Result<(), String> {
        same(
            ((fault.signal, fault.code), fault.addr),
            want,
            "fault (signal, si_code), si_addr",
        )?;
        let pid = self.r.procs[pi].pid;
        same(
            self.k.exited.get(&pid).copied(),
            Some(ExitStatus::Signaled(fault.signal)),
            "exit status",
        )?;
        self.r.procs.remove(pi);
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), String> {
        let needs = match op {
            Op::Spawn | Op::DropCaches => None,
            Op::Fork(p) | Op::Exit(p) => Some(*p),
            Op::Open { p, .. }
            | Op::Close { p, .. }
            | Op::Unlink { p, .. }
            | Op::Ftruncate { p, .. }
            | Op::Write { p, .. }
            | Op::Pwrite { p, .. }
            | Op::Read { p, .. }
            | Op::Pread { p, .. }
            | Op::Lseek { p, .. }
            | Op::Fsync { p, .. }
            | Op::Mmap { p, .. }
            | Op::Munmap { p, .. }
            | Op::Mprotect { p, .. }
            | Op::Msync { p, .. }
            | Op::Madvise { p, .. }
            | Op::Store { p, .. }
            | Op::Load { p, .. }
            | Op::Wild { p, .. } => Some(*p),
        };
        let fd_op = matches!(
            op,
            Op::Close { .. }
                | Op::Ftruncate { .. }
                | Op::Write { .. }
                | Op::Pwrite { .. }
                | Op::Read { .. }
                | Op::Pread { .. }
                | Op::Lseek { .. }
                | Op::Fsync { .. }
                | Op::Mmap { fd: Some(_), .. }
        );
        let mem_op = matches!(
            op,
            Op::Munmap { .. }
                | Op::Mprotect { .. }
                | Op::Msync { .. }
                | Op::Madvise { .. }
                | Op::Store { .. }
                | Op::Load { .. }
        );
        // Ops on descriptors go to a process that has some, ops on memory to
        // one that has mappings; with none, the op does nothing (EBADF and
        // SIGSEGV are tested with a bad descriptor and wild addresses).
        let pi = match needs {
            None => 0,
            Some(_) if self.r.procs.is_empty() => return self.spawn(),
            Some(p) => {
                let fit: Vec<usize> = (0..self.r.procs.len())
                    .filter(|&i| {
                        let q = &self.r.procs[i];
                        (!fd_op || !q.fds.is_empty()) && (!mem_op || !q.regions.is_empty())
                    })
                    .collect();
                if fit.is_empty() {
                    return Ok(());
                }
                fit[p as usize % fit.len()]
            }
        };
        let pid = self.r.procs.get(pi).map_or(0, |p| p.pid);
        match *op {
            Op::Spawn => self.spawn(),
            Op::DropCaches => {
                self.k.drop_caches();
                Ok(())
            }
            Op::Fork(_) => {
                if self.r.procs.len() >= MAX_PROCS {
                    return Ok(());
                }
                let child = self.k.fork(pid, &format!("c{}", self.r.next_pid));
                same(child, Ok(self.r.next_pid), "fork")?;
                let mut c = self.r.procs[pi].clone();
                c.pid = self.r.next_pid;
                self.r.next_pid += 1;
                self.r.procs.push(c);
                Ok(())
            }
            Op::Exit(_) => {
                same(self.k.exit(pid, 0), Ok(0), "exit")?;
                same(
                    self.k.exited.get(&pid).copied(),
                    Some(ExitStatus::Exited(0)),
                    "exit status",
                )?;
                self.r.procs.remove(pi);
                Ok(())
            }
            Op::Open {
                name,
                acc,
                creat,
                excl,
                trunc,
                append,
                glibc,
                ..
            } => {
                let path = NAMES[name as usize % NAMES.len()];
                let acc = [o::RDONLY, o::WRONLY, o::RDWR][acc as usize % 3];
                // O_TRUNC truncates whatever the access mode (Linux).
                let mut flags = acc;
                for (on, bit) in [
                    (creat, o::CREAT),
                    (excl, o::EXCL),
                    (trunc, o::TRUNC),
                    (append, o::APPEND),
                ] {
                    if on {
                        flags |= bit;
                    }
                }
                let existing = self.r.names.get(path).copied();
                let want = match existing {
                    Some(_) if creat && excl => Err(Errno::EEXIST),
                    None if !creat => Err(Errno::ENOENT),
                    _ => Ok(self.r.lowest_free_fd(pi)),
                };
                let got = match path.strip_prefix("/dev/shm") {
                    Some(shm_name) if glibc => shm_open(&mut self.k, pid, shm_name, flags, 0o600),
                    _ => self.k.open(pid, path, flags, 0o600),
                };
                same(got, want, &format!("open({path:?}, {flags:#o})"))?;
                let Ok(fd) = got else { return Ok(()) };
                let obj = match existing {
                    Some(obj) => obj,
                    None => {
                        self.r.objs.push(Obj::new(path.starts_with("/tmp/"), 0));
                        self.r.names.insert(path, self.r.objs.len() - 1);
                        self.r.objs.len() - 1
                    }
                };
                if trunc {
                    self.r.truncate(obj, 0);
                }
                self.r.ofds.push(Ofd {
                    obj,
                    acc,
                    append,
                    pos: 0,
                });
                let ofd = self.r.ofds.len() - 1;
                self.r.procs[pi].fds.insert(fd, ofd);
                Ok(())
            }
            Op::Close { fd, .. } => {
                let fd = self.r.pick_fd(pi, fd);
                let known = self.r.procs[pi].fds.remove(&fd).is_some();
                let want = if known { Ok(0) } else { Err(Errno::EBADF) };
                same(self.k.close(pid, fd), want, "close")
            }
            Op::Unlink { name, glibc, .. } => {
                let path = NAMES[name as usize % NAMES.len()];
                let known = self.r.names.remove(path).is_some();
                let want = if known { Ok(0) } else { Err(Errno::ENOENT) };
                let got = match path.strip_prefix("/dev/shm") {
                    Some(shm_name) if glibc => shm_unlink(&mut self.k, pid, shm_name),
                    _ => self.k.unlink(pid, path),
                };
                same(got, want, &format!("unlink({path:?})"))
            }
            Op::Ftruncate { fd, len, .. } => {
                let fd = self.r.pick_fd(pi, fd);
                let ofd = self.r.ofd(pi, fd).cloned();
                let want = match &ofd {
                    None => Err(Errno::EBADF),
                    Some(f) if !f.writable() => Err(Errno::EINVAL),
                    Some(_) => Ok(0),
                };
                same(self.k.ftruncate(pid, fd, len as i64), want, "ftruncate")?;
                if let (Ok(_), Some(f)) = (want, ofd) {
                    self.r.truncate(f.obj, len);
                }
                Ok(())
            }
            Op::Write { fd, len, seed, .. } => {
                let fd = self.r.pick_fd(pi, fd);
                let data = pattern(seed, len as usize);
                let Some(&ofdi) = self.r.procs[pi].fds.get(&fd) else {
                    return same(self.k.write(pid, fd, &data), Err(Errno::EBADF), "write");
                };
                let f = self.r.ofds[ofdi].clone();
                if !f.writable() {
                    return same(self.k.write(pid, fd, &data), Err(Errno::EBADF), "write");
                }
                let pos = if f.append {
                    self.r.objs[f.obj].size
                } else {
                    f.pos
                };
                same(self.k.write(pid, fd, &data), Ok(len as u64), "write")?;
                self.r.file_write(f.obj, pos, &data);
                self.r.ofds[ofdi].pos = pos + len as u64;
                Ok(())
            }
            Op::Pwrite {
                fd, off, len, seed, ..
            } => {
                let fd = self.r.pick_fd(pi, fd);
                let data = pattern(seed, len as usize);
                let ofd = self.r.ofd(pi, fd).cloned();
                let want = match &ofd {
                    Some(f) if f.writable() => Ok(len as u64),
                    _ => Err(Errno::EBADF),
                };
                same(self.k.pwrite(pid, fd, &data, off as i64), want, "pwrite")?;
                if let (Ok(_), Some(f)) = (want, ofd) {
                    // Linux's pwrite bug: O_APPEND appends, whatever the offset.
                    let pos = if f.append {
                        self.r.objs[f.obj].size
                    } else {
                        off
                    };
                    self.r.file_write(f.obj, pos, &data);
                }
                Ok(())
            }
            Op::Read { fd, len, .. } => {
                let fd = self.r.pick_fd(pi, fd);
                let Some(&ofdi) = self.r.procs[pi].fds.get(&fd) else {
                    return same(self.k.read(pid, fd, len as u64), Err(Errno::EBADF), "read");
                };
                let f = self.r.ofds[ofdi].clone();
                if !f.readable() {
                    return same(self.k.read(pid, fd, len as u64), Err(Errno::EBADF), "read");
                }
                let want = self.r.objs[f.obj].read(f.pos, len as u64);
                let got = self
                    .k
                    .read(pid, fd, len as u64)
                    .map_err(|e| format!("read: {e}"))?;
                same_bytes(&got, &want).map_err(|e| format!("read at {}: {e}", f.pos))?;
                self.r.ofds[ofdi].pos += got.len() as u64;
                Ok(())
            }
            Op::Pread { fd, off, len, .. } => {
                let fd = self.r.pick_fd(pi, fd);
                let got = self.k.pread(pid, fd, len as u64, off as i64);
                match self.r.ofd(pi, fd) {
                    Some(f) if f.readable() => {
                        let want = self.r.objs[f.obj].read(off, len as u64);
                        let got = got.map_err(|e| format!("pread: {e}"))?;
                        same_bytes(&got, &want).map_err(|e| format!("pread at {off}: {e}"))
                    }
                    _ => same(got.map(|_| ()), Err(Errno::EBADF), "pread"),
                }
            }
            Op::Lseek {
                fd, off, from_end, ..
            } => {
                let fd = self.r.pick_fd(pi, fd);
                let got = self
                    .k
                    .lseek(pid, fd, off as i64, if from_end { 2 } else { 0 });
                let Some(&ofdi) = self.r.procs[pi].fds.get(&fd) else {
                    return same(got, Err(Errno::EBADF), "lseek");
                };
                let base = if from_end {
                    self.r.objs[self.r.ofds[ofdi].obj].size
                } else {
                    0
                };
                same(got, Ok((base + off) as i64), "lseek")?;
                self.r.ofds[ofdi].pos = base + off;
                Ok(())
            }
            Op::Fsync { fd, .. } => {
                let fd = self.r.pick_fd(pi, fd);
                let obj = self.r.ofd(pi, fd).map(|f| f.obj);
                let want = if obj.is_some() {
                    Ok(0)
                } else {
                    Err(Errno::EBADF)
                };
                same(self.k.fsync(pid, fd), want, "fsync")?;
                if let Some(obj) = obj {
                    self.r.objs[obj].written_back();
                }
                Ok(())
            }
            Op::Mmap {
                fd: fd_sel,
                shared,
                pages,
                sub,
                off_pages,
                prot: pr,
                bad,
                ..
            } => self.mmap(pi, fd_sel, shared, pages, sub, off_pages, pr, bad),
            Op::Munmap { r, first, n, .. } => {
                let Some((vpn, n)) = self.r.range(pi, r, first, n) else {
                    return Ok(());
                };
                same(self.k.munmap(pid, vpn * PAGE, n * PAGE), Ok(0), "munmap")?;
                let p = &mut self.r.procs[pi];
                for v in vpn..vpn + n {
                    p.ptes.remove(&v);
                }
                self.r.prune_regions(pi);
                Ok(())
            }
            Op::Mprotect {
                r,
                first,
                n,
                prot: pr,
                ..
            } => {
                let Some((vpn, n)) = self.r.range(pi, r, first, n) else {
                    return Ok(());
                };
                let newprot = [prot::NONE, prot::READ, prot::READ | prot::WRITE][pr as usize % 3];
                // VMA by VMA in address order: a hole is ENOMEM, a VMA that
                // may not become writable is EACCES; the VMAs before it keep
                // their change.
                let mut want = Ok(0);
                for v in vpn..vpn + n {
                    let Some(pte) = self.r.procs[pi].ptes.get_mut(&v) else {
                        want = Err(Errno::ENOMEM);
                        break;
                    };
                    if newprot & prot::WRITE != 0 && !pte.maywrite {
                        want = Err(Errno::EACCES);
                        break;
                    }
                    pte.prot = newprot;
                }
                same(
                    self.k.mprotect(pid, vpn * PAGE, n * PAGE, newprot),
                    want,
                    "mprotect",
                )
            }
            Op::Msync {
                r, first, n, flags, ..
            } => {
                let Some((vpn, n)) = self.r.range(pi, r, first, n) else {
                    return Ok(());
                };
                let flags = [ms::ASYNC, ms::SYNC, 0, ms::ASYNC | ms::SYNC][flags as usize % 4];
                let hole = (vpn..vpn + n).any(|v| !self.r.procs[pi].ptes.contains_key(&v));
                let want = if flags == ms::ASYNC | ms::SYNC {
                    Err(Errno::EINVAL)
                } else if hole {
                    Err(Errno::ENOMEM)
                } else {
                    Ok(0)
                };
                same(
                    self.k.msync(pid, vpn * PAGE, n * PAGE, flags),
                    want,
                    "msync",
                )?;
                if flags == ms::SYNC {
                    // The last page of a disk file, through a VM_SHARED
                    // mapping (a shared mapping of a read-only descriptor is
                    // not one), is written back.
                    let mut tails = Vec::new();
                    for pte in self.r.procs[pi].ptes.range(vpn..vpn + n).map(|(_, p)| p) {
                        if let Back::Shared { obj, idx } = pte.back {
                            if pte.maywrite && idx == self.r.objs[obj].size / PAGE {
                                tails.push(obj);
                            }
                        }
                    }
                    for obj in tails {
                        self.r.objs[obj].written_back();
                    }
                }
                Ok(())
            }
            Op::Madvise {
                r,
                first,
                n,
                advice,
                ..
            } => {
                let Some((vpn, n)) = self.r.range(pi, r, first, n) else {
                    return Ok(());
                };
                let advice = [madv::DONTNEED, madv::REMOVE, madv::WILLNEED][advice as usize % 3];
                let want = self.madvise_ref(pi, vpn, n, advice);
                same(
                    self.k.madvise(pid, vpn * PAGE, n * PAGE, advice),
                    want,
                    "madvise",
                )
            }
            Op::Store {
                r, off, len, seed, ..
            } => {
                let Some(addr) = self.aim(pi, r, off, true) else {
                    return Ok(());
                };
                let data = pattern(seed, len as usize);
                let got = self.k.write_user(pid, addr, &data);
                self.check_access(pi, addr, true, &data, got.map(|_| Vec::new()))
            }
            Op::Load { r, off, len, .. } => {
                let Some(addr) = self.aim(pi, r, off, false) else {
                    return Ok(());
                };
                let got = self.k.read_user(pid, addr, len as u64);
                self.check_access(pi, addr, false, &vec![0; len as usize], got)
            }
            Op::Wild { write, which, .. } => {
                let addr = [0x10000, MMAP_BASE, 0][which as usize % 3];
                let got = if write {
                    self.k.write_user(pid, addr, b"x").map(|_| Vec::new())
                } else {
                    self.k.read_user(pid, addr, 1)
                };
                self.check_access(pi, addr, write, b"x", got)
            }
        }
    }

    /// An address in one of the process's mapped pages (mostly one the
    /// access may touch), or now and then anywhere in (or a little past) one
    /// of its regions; `None` when it has no mapping.
    fn aim(&self, pi: usize, r: u8, off: u32, write: bool) -> Option<u64> {
        let p = &self.r.procs[pi];
        if p.regions.is_empty() {
            return None;
        }
        if r % 16 == 15 {
            let (start, pages) = p.regions[(r / 16) as usize % p.regions.len()];
            return Some(start + off as u64 % (pages * PAGE + 64));
        }
        let good: Vec<u64> = p
            .ptes
            .keys()
            .copied()
            .filter(|&v| self.r.access(pi, v, write).is_ok())
            .collect();
        let all: Vec<u64> = p.ptes.keys().copied().collect();
        let pick = if !r.is_multiple_of(4) && !good.is_empty() {
            &good
        } else {
            &all
        };
        let vpn = pick[off as usize % pick.len()];
        Some(vpn * PAGE + (off as u64 * 0x9e37 + r as u64) % PAGE)
    }

    /// Walks the access page by page as the kernel model does (and as a
    /// `memcpy` would), checking each piece against the reference and
    /// applying stores, up to the first fault, which ends the process.
    fn check_access(
        &mut self,
        pi: usize,
        addr: u64,
        write: bool,
        data: &[u8],
        got: Result<Vec<u8>, Fault>,
    ) -> Result<(), String> {
        let len = data.len() as u64;
        let mut want: Bytes = Vec::new();
        let mut fault = None;
        let mut done = 0u64;
        while done < len {
            let at = addr + done;
            let off = (at % PAGE) as usize;
            let n = (PAGE - off as u64).min(len - done) as usize;
            let vpn = at / PAGE;
            if let Err(sig) = self.r.access(pi, vpn, write) {
                fault = Some((sig, at));
                break;
            }
            if write {
                self.r
                    .store(pi, vpn, off, &data[done as usize..done as usize + n]);
            } else {
                want.extend(self.r.load(pi, vpn, off, n));
            }
            done += n as u64;
        }
        let what = if write { "store" } else { "load" };
        match (got, fault) {
            (Ok(bytes), None) => {
                if !write {
                    same_bytes(&bytes, &want).map_err(|e| format!("{what} at {addr:#x}: {e}"))?;
                }
                Ok(())
            }
            (Err(f), Some(w)) => self.died(pi, f, w),
            (got, want) => Err(format!(
                "{what} of {len} bytes at {addr:#x}: got {:?}, expected fault {want:?}",
                got.map(|_| ())
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn mmap(
        &mut self,
        pi: usize,
        fd_sel: Option<u8>,
        shared: bool,
        pages: u8,
        sub: u16,
        off_pages: u8,
        pr: u8,
        bad: u8,
    ) -> Result<(), String> {
        let pid = self.r.procs[pi].pid;
        let pages = pages as u64;
        let newprot = [prot::NONE, prot::READ, prot::READ | prot::WRITE][pr as usize % 3];
        let len = if bad == 1 {
            0
        } else {
            pages * PAGE - sub as u64
        };
        let mut flags = if shared { map::SHARED } else { map::PRIVATE };
        if fd_sel.is_none() {
            flags |= map::ANONYMOUS;
        }
        if bad == 3 {
            flags &= !map::TYPE;
        }
        let fd = fd_sel.map_or(-1, |s| self.r.pick_fd(pi, s));
        let mut off = if fd_sel.is_some() {
            off_pages as u64 * PAGE
        } else {
            0
        };
        if bad == 2 {
            off += 512;
        }
        let ofd = self.r.ofd(pi, fd).cloned();
        let want: Result<(), Errno> = if bad == 2 {
            Err(Errno::EINVAL)
        } else if fd_sel.is_some() && ofd.is_none() {
            Err(Errno::EBADF)
        } else if bad == 1 || bad == 3 {
            Err(Errno::EINVAL)
        } else {
            match &ofd {
                Some(f) if shared && newprot & prot::WRITE != 0 && !f.writable() => {
                    Err(Errno::EACCES)
                }
                Some(f) if !f.readable() => Err(Errno::EACCES),
                _ => Ok(()),
            }
        };
        let got = self.k.mmap(pid, 0, len, newprot, flags, fd, off as i64);
        let what =
            format!("mmap(len {len:#x}, prot {newprot}, flags {flags:#x}, fd {fd}, off {off:#x})");
        let addr = match (got, want) {
            (Ok(addr), Ok(())) => addr,
            (Err(e), Err(w)) if e == w => return Ok(()),
            (got, want) => return Err(format!("{what}: got {got:?}, expected {want:?}")),
        };
        ensure!(addr % PAGE == 0, "{what}: unaligned address {addr:#x}");
        let vpn = addr / PAGE;
        ensure!(
            self.r.procs[pi]
                .ptes
                .range(vpn..vpn + pages)
                .next()
                .is_none(),
            "{what}: {addr:#x} overlaps a live mapping"
        );
        let shm_obj = (fd_sel.is_none() && shared).then(|| {
            self.r.objs.push(Obj::new(false, pages * PAGE));
            self.r.objs.len() - 1
        });
        for i in 0..pages {
            let idx = off / PAGE + i;
            let (maywrite, back) = match (&ofd, shm_obj) {
                (_, Some(obj)) => (true, Back::Shared { obj, idx: i }),
                (None, None) => (true, Back::Anon(None)),
                (Some(f), _) if shared => (f.writable(), Back::Shared { obj: f.obj, idx }),
                (Some(f), _) => (
                    true,
                    Back::PrivFile {
                        obj: f.obj,
                        idx,
                        cow: None,
                    },
                ),
            };
            self.r.procs[pi].ptes.insert(
                vpn + i,
                RPte {
                    prot: newprot,
                    maywrite,
                    back,
                },
            );
        }
        self.r.procs[pi].regions.push((addr, pages));
        Ok(())
    }

    /// The reference's `madvise`: VMA by VMA (page by page: a VMA is uniform),
    /// holes noted and skipped (ENOMEM at the end), the first VMA that
    /// refuses ends the call with its error.
    fn madvise_ref(&mut self, pi: usize, vpn: u64, n: u64, advice: i32) -> Result<i32, Errno> {
        let mut hole = false;
        for v in vpn..vpn + n {
            let Some(pte) = self.r.procs[pi].ptes.get_mut(&v) else {
                hole = true;
                continue;
            };
            match advice {
                madv::DONTNEED => match &mut pte.back {
                    Back::Anon(d) => *d = None,
                    Back::PrivFile { cow, .. } => *cow = None,
                    Back::Shared { .. } => {}
                },
                madv::REMOVE => match pte.back {
                    Back::Anon(_) => return Err(Errno::EINVAL),
                    Back::Shared { obj, idx } if pte.maywrite && pte.prot & prot::WRITE != 0 => {
                        self.r.punch(obj, idx)
                    }
                    _ => return Err(Errno::EACCES),
                },
                _ => {}
            }
        }
        if hole {
            Err(Errno::ENOMEM)
        } else {
            Ok(0)
        }
    }

    /// At the end of a case: every readable page of every process, and every
    /// readable open file, read whole.
    fn audit(&mut self) -> Result<(), String> {
        for pi in 0..self.r.procs.len() {
            let pid = self.r.procs[pi].pid;
            let vpns: Vec<u64> = self.r.procs[pi].ptes.keys().copied().collect();
            for vpn in vpns {
                if self.r.access(pi, vpn, false).is_err() {
                    continue;
                }
                let want = self.r.load(pi, vpn, 0, P);
                let got = self
                    .k
                    .read_user(pid, vpn * PAGE, PAGE)
                    .map_err(|f| format!("audit load of {:#x}: {f}", vpn * PAGE))?;
                same_bytes(&got, &want).map_err(|e| format!("audit of {:#x}: {e}", vpn * PAGE))?;
            }
            let fds: Vec<(i32, usize)> = self.r.procs[pi]
                .fds
                .iter()
                .map(|(&fd, &i)| (fd, i))
                .collect();
            for (fd, ofdi) in fds {
                let f = &self.r.ofds[ofdi];
                if !f.readable() {
                    continue;
                }
                let want = self.r.objs[f.obj].read(0, u64::MAX / 2);
                let got = self
                    .k
                    .pread(pid, fd, 1 << 20, 0)
                    .map_err(|e| format!("audit pread: {e}"))?;
                same_bytes(&got, &want).map_err(|e| format!("audit pread of fd {fd}: {e}"))?;
            }
        }
        if let Err(e) = self.k.check_invariants() {
            return Err(format!("kernel invariants broken after the audit:\n{e}"));
        }
        Ok(())
    }
}

/// Runs a sequence; on failure, says which step and how.
fn run(ops: &[Op], record: bool) -> Result<Harness, String> {
    let mut h = Harness::new(record);
    for (i, op) in ops.iter().enumerate() {
        h.step(op).map_err(|e| format!("step {i}: {op:?}\n  {e}"))?;
    }
    h.audit().map_err(|e| format!("final audit: {e}"))?;
    Ok(h)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(CASES),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    })]

    /// Every result, errno, signal and byte agrees with the reference, and
    /// the kernel's invariants hold after every step.
    #[test]
    fn kernel_agrees_with_the_reference(ops in prop::collection::vec(op(), 1..=MAX_OPS)) {
        if let Err(e) = run(&ops, false) {
            return Err(TestCaseError::fail(e));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(CASES).div_ceil(4),
        ..ProptestConfig::default()
    })]

    /// The same calls on two fresh machines: the same traces, step by step,
    /// and the same processes and counters at the end.
    #[test]
    fn same_calls_same_traces_and_state(ops in prop::collection::vec(op(), 1..=40)) {
        let state = |h: &Harness| format!("{:?}", (&h.k.tasks, &h.k.vmstat));
        let a = run(&ops, true).map_err(TestCaseError::fail)?;
        let b = run(&ops, true).map_err(TestCaseError::fail)?;
        let (la, lb) = (a.log.as_ref().unwrap(), b.log.as_ref().unwrap());
        prop_assert_eq!(la.len(), lb.len());
        for (i, (x, y)) in la.iter().zip(lb).enumerate() {
            prop_assert_eq!(x, y, "trace of step {} differs", i);
        }
        prop_assert_eq!(state(&a), state(&b));
    }
}

// ---------------------------------------------------------------------------
// Where the model and Linux differed (found while writing the properties;
// fixed in 16819cd). Each test states what a real 4.14 kernel does.
// ---------------------------------------------------------------------------

fn machine() -> Kernel {
    Kernel::new(Config::default())
}

/// `open(O_RDONLY|O_TRUNC)` truncates on Linux: `build_open_flags` adds
/// `MAY_WRITE` for `O_TRUNC`, and `do_last` calls `handle_truncate` whenever
/// `O_TRUNC` is set on a regular file, whatever the access mode.
#[test]
fn o_rdonly_o_trunc_truncates_on_linux() {
    let mut k = machine();
    let a = k.spawn("a");
    let fd = k.open(a, "/tmp/t", o::CREAT | o::RDWR, 0o600).unwrap();
    k.write(a, fd, b"data").unwrap();
    let ro = k.open(a, "/tmp/t", o::RDONLY | o::TRUNC, 0).unwrap();
    assert_eq!(k.fstat(a, ro).unwrap().size, 0);
}

/// `pwrite` on an `O_APPEND` descriptor appends on Linux, whatever the
/// offset (`generic_write_checks`: `if (iocb->ki_flags & IOCB_APPEND)
/// iocb->ki_pos = i_size_read(inode)`; man 2 pwrite, BUGS).
#[test]
fn pwrite_on_o_append_fd_appends_on_linux() {
    let mut k = machine();
    let a = k.spawn("a");
    let fd = k
        .open(a, "/dev/shm/ap", o::CREAT | o::RDWR | o::APPEND, 0o600)
        .unwrap();
    k.write(a, fd, b"abc").unwrap();
    k.pwrite(a, fd, b"Z", 0).unwrap();
    assert_eq!(k.pread(a, fd, 10, 0).unwrap(), b"abcZ");
    assert_eq!(
        k.lseek(a, fd, 0, 1),
        Ok(3),
        "pwrite leaves the offset alone"
    );
}

/// ext4 zeroes the part of the page straddling `i_size` that lies past it at
/// every writeback (`ext4_bio_write_page`: "The page straddles i_size. It
/// must be zeroed out on each and every writepage invocation because it may
/// be mmapped"), so bytes stored there through a mapping are gone after
/// `msync(MS_SYNC)`, and do not reappear when the file grows.
#[test]
fn msync_zeroes_the_tail_of_the_page_straddling_eof_on_ext4() {
    let mut k = machine();
    let a = k.spawn("a");
    let fd = k.open(a, "/tmp/tail", o::CREAT | o::RDWR, 0o600).unwrap();
    k.write(a, fd, &[b'.'; 100]).unwrap();
    let p = k
        .mmap(a, 0, PAGE, prot::READ | prot::WRITE, map::SHARED, fd, 0)
        .unwrap();
    k.write_user(a, p + 200, b"past EOF").unwrap();
    k.msync(a, p, PAGE, ms::SYNC).unwrap();
    assert_eq!(k.read_user(a, p + 200, 8).unwrap(), [0; 8]);
    k.munmap(a, p, PAGE).unwrap();
    k.drop_caches();
    k.ftruncate(a, fd, 300).unwrap();
    assert_eq!(k.pread(a, fd, 8, 200).unwrap(), [0; 8]);
}
