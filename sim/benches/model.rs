//! `cargo bench -p shmsim-sim`: how fast the model runs beside the host
//! kernel, and how much memory it spends per simulated page.
//!
//! A plain harness (no criterion, to keep builds lean on two cores): each
//! figure is the best of five timed runs of a fixed workload. Where a time is
//! involved the figure that matters is a ratio measured in the same run: the
//! host kernel's own fault (a trap, an allocation, a 4 KiB clear) against the
//! model's, played as a scenario step is played (the runner, the trace, the
//! observables and all). Memory is counted by a counting allocator: every
//! live heap byte the model holds, not an estimate.

use sim::kernel::{Config, Kernel};
use sim::mm::madvise::madv;
use sim::mm::mmap::{map, prot};
use sim::mm::page::PAGE_SIZE;
use sim::runner::Run;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The system allocator, counting the bytes live on the heap.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most bytes live at once since [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged; the counter only
// adds and subtracts the sizes of the blocks handed out and returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        grew(new);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn best_of<F: FnMut() -> (u64, Duration)>(mut f: F) -> (u64, Duration) {
    let mut best = (0, Duration::MAX);
    for _ in 0..5 {
        let (ops, d) = f();
        if d < best.1 {
            best = (ops, d);
        }
    }
    best
}

fn timed<F: FnOnce() -> u64>(f: F) -> (u64, Duration) {
    let t = Instant::now();
    let ops = black_box(f());
    (ops, t.elapsed())
}

fn per_op((ops, d): (u64, Duration)) -> f64 {
    d.as_secs_f64() * 1e9 / ops as f64
}

fn report(name: &str, m: (u64, Duration), unit: &str) -> f64 {
    let ns = per_op(m);
    println!(
        "{name:<52} {:>12.0} {unit}/s  ({ns:>7.1} ns each; {} in {:.2} ms)",
        1e9 / ns,
        m.0,
        m.1.as_secs_f64() * 1e3
    );
    ns
}

fn ratio(what: &str, host_ns: f64, model_ns: f64) {
    let r = host_ns / model_ns;
    if r >= 1.0 {
        println!("  => {what}: the model is {r:.1}x cheaper than the host (target: 20x)");
    } else {
        println!(
            "  => {what}: the model is {:.1}x dearer than the host (target: 20x cheaper)",
            1.0 / r
        );
    }
}

/// The host kernel, measured with real calls.
#[cfg(target_os = "linux")]
mod host {
    use super::*;

    const PAGES: usize = 16384;

    /// Maps `PAGES` pages (`MAP_SHARED` of a memfd, or private anonymous
    /// memory), touches each page once with a store, and unmaps.
    fn touch_each(shared: bool) -> (u64, Duration) {
        let len = PAGES * PAGE_SIZE as usize;
        // SAFETY: plain calls on a memfd and a mapping this function owns;
        // every store is inside the mapping, which is unmapped before return.
        unsafe {
            let (fd, flags) = if shared {
                let fd = libc::memfd_create(c"shmsim-bench".as_ptr(), 0);
                assert!(fd >= 0 && libc::ftruncate(fd, len as libc::off_t) == 0);
                (fd, libc::MAP_SHARED)
            } else {
                (-1, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS)
            };
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd,
                0,
            ) as *mut u8;
            assert!(p as isize != -1, "mmap");
            let t = Instant::now();
            for i in 0..PAGES {
                std::ptr::write_volatile(p.add(i * PAGE_SIZE as usize), b'x');
            }
            let d = t.elapsed();
            libc::munmap(p.cast(), len);
            if fd >= 0 {
                libc::close(fd);
            }
            (PAGES as u64, d)
        }
    }

    /// A shmem write fault (`shmem_fault` -> `shmem_getpage_gfp`, a new page).
    pub fn shmem_write_faults() -> (u64, Duration) {
        touch_each(true)
    }

    /// An anonymous write fault (`do_anonymous_page`).
    pub fn anon_write_faults() -> (u64, Duration) {
        touch_each(false)
    }

    /// Why a swap round trip cannot be measured here, if it cannot.
    pub fn no_swap() -> Option<String> {
        let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
        (swaps.lines().count() < 2)
            .then(|| "the host has no swap area (/proc/swaps lists none), so MADV_PAGEOUT cannot swap anonymous pages out".into())
    }

    /// `MADV_PAGEOUT` of written anonymous pages, then a store to each
    /// (`do_swap_page`): one swap-out and swap-in round trip per page.
    pub fn pageout_round_trips() -> (u64, Duration) {
        let len = PAGES * PAGE_SIZE as usize;
        // SAFETY: as in `touch_each`: a private mapping this function owns.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            ) as *mut u8;
            assert!(p as isize != -1, "mmap");
            for i in 0..PAGES {
                std::ptr::write_volatile(p.add(i * PAGE_SIZE as usize), i as u8 | 1);
            }
            let t = Instant::now();
            libc::madvise(p.cast(), len, libc::MADV_PAGEOUT);
            for i in 0..PAGES {
                std::ptr::write_volatile(p.add(i * PAGE_SIZE as usize), b'y');
            }
            let d = t.elapsed();
            libc::munmap(p.cast(), len);
            (PAGES as u64, d)
        }
    }
}

/// The model, played as a scenario is: each measured step goes through the
/// runner (the call, its trace, its touches, the observables after it).
mod model {
    use super::*;

    pub const PAGES: u64 = 16384;

    fn scenario(machine: &str, map: &str, timed: &[&str]) -> String {
        let len = PAGES * PAGE_SIZE;
        let mut s = format!("title = \"bench\"\nprocs = [\"w\"]\n[machine]\n{machine}\n");
        let mut step = |d: &str| {
            s.push_str(&format!("[[step]]\nproc = \"w\"\ndo = '''{d}'''\n"));
        };
        if map == "shmem" {
            step("fd = shm_open(\"/bench\", O_CREAT | O_RDWR, 0600)");
            step(&format!("ftruncate(fd, {len})"));
            step(&format!(
                "p = mmap(NULL, {len}, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
            ));
        } else {
            step(&format!(
                "p = mmap(NULL, {len}, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"
            ));
        }
        for t in timed {
            step(&t.replace("LEN", &len.to_string()));
        }
        s
    }

    /// Plays every step but the last `timed`, then times those.
    fn play(src: &str, timed: usize) -> (u64, Duration) {
        let sc = sim::scenario::load_str("bench.toml", src).expect("the bench scenario parses");
        let mut run = Run::new(&sc);
        for _ in 0..sc.steps.len() - timed {
            run.step().expect("a set-up step");
        }
        let t = Instant::now();
        for _ in 0..timed {
            black_box(run.step().expect("a timed step"));
        }
        (PAGES, t.elapsed())
    }

    pub fn shmem_write_faults() -> (u64, Duration) {
        play(
            &scenario("ram = \"256 MiB\"", "shmem", &["memset(p, 'x', LEN)"]),
            1,
        )
    }

    pub fn anon_write_faults() -> (u64, Duration) {
        play(
            &scenario("ram = \"256 MiB\"", "anon", &["memset(p, 'x', LEN)"]),
            1,
        )
    }

    pub fn pageout_round_trips() -> (u64, Duration) {
        let src = scenario(
            "ram = \"256 MiB\"\nswap = \"256 MiB\"",
            "anon",
            &[
                "memset(p, 'x', LEN)",
                "madvise(p, LEN, MADV_PAGEOUT)",
                "memset(p, 'y', LEN)",
            ],
        );
        play(&src, 2)
    }

    /// Live heap bytes of a booted machine of `ram` with its runner.
    pub fn idle(ram: &str) -> usize {
        let src = format!("title = \"idle\"\nprocs = [\"w\"]\n[machine]\nram = \"{ram}\"\nswap = \"0\"\n[[step]]\ndo = 'free(\"-g\")'\n");
        let sc = sim::scenario::load_str("idle.toml", &src).expect("parses");
        let before = live();
        let run = Run::new(&sc);
        let bytes = live() - before;
        drop(black_box(run));
        bytes
    }

    /// Live heap bytes per page that a `memset` of `gib` GiB of a mapped
    /// /dev/shm file adds to a 124 GiB machine: (state only, with the
    /// step's outcome kept as a transcript keeps it).
    pub fn per_touched_page(gib: u64) -> (f64, f64) {
        let len = gib * GIB;
        let src = format!(
            "title = \"t\"\nprocs = [\"w\"]\n[machine]\nram = \"124 GiB\"\nswap = \"0\"\ndev_shm = \"100 GiB\"\n\
             [[step]]\nproc = \"w\"\ndo = 'fd = shm_open(\"/big\", O_CREAT | O_RDWR, 0600)'\n\
             [[step]]\nproc = \"w\"\ndo = \"ftruncate(fd, {len})\"\n\
             [[step]]\nproc = \"w\"\ndo = \"p = mmap(NULL, {len}, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)\"\n\
             [[step]]\nproc = \"w\"\ndo = \"memset(p, 'x', {len})\"\n"
        );
        let sc = sim::scenario::load_str("touch.toml", &src).expect("parses");
        let mut run = Run::new(&sc);
        for _ in 0..3 {
            run.step();
        }
        let before = live();
        let out = run.step().expect("the memset");
        let with_outcome = live() - before;
        drop(out);
        let state = live() - before;
        let pages = (len / PAGE_SIZE) as f64;
        (state as f64 / pages, with_outcome as f64 / pages)
    }
}

/// Scenario 22, the seed's 124 GiB machine with 90 GiB of /dev/shm files
/// (`sim/benches/22-the-seeds-124-gib-machine.toml`), played as `check`
/// plays it: the time, and the most heap bytes live at once. Its
/// expectations must all hold.
fn seed_machine() -> (Duration, usize) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/22-the-seeds-124-gib-machine.toml");
    let sc = sim::scenario::load_file(&path).expect("scenario 22 loads");
    reset_peak();
    let before = live();
    let t = Instant::now();
    let mut run = Run::new(&sc);
    let failed = run
        .run_all()
        .iter()
        .flat_map(|o| o.checks.iter().filter(|c| !c.ok))
        .count();
    let d = t.elapsed();
    assert_eq!(failed, 0, "scenario 22's expectations hold");
    drop(black_box(run));
    (d, PEAK.load(Ordering::Relaxed) - before)
}

/// Write faults on fresh anonymous memory through the kernel API alone.
fn anon_write_faults_api() -> (u64, Duration) {
    timed(|| {
        let mut k = Kernel::new(Config {
            ram_bytes: 256 * MIB,
            ..Config::default()
        });
        let p = k.spawn("bench");
        let pages = 16384;
        let a = k
            .mmap(
                p,
                0,
                pages * PAGE_SIZE,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS,
                -1,
                0,
            )
            .unwrap();
        for i in 0..pages {
            k.write_user(p, a + i * PAGE_SIZE, b"x").unwrap();
        }
        pages
    })
}

/// Read faults on a shmem file (`shmem_fault` + fault-around), from two processes.
fn shmem_read_faults_api() -> (u64, Duration) {
    timed(|| {
        let mut k = Kernel::new(Config {
            ram_bytes: 256 * MIB,
            ..Config::default()
        });
        let p = k.spawn("bench");
        let q = k.spawn("peer");
        let pages = 16384;
        let fd = sim::glibc::shm_open(&mut k, p, "/bench", 0o102, 0o600).unwrap();
        k.ftruncate(p, fd, (pages * PAGE_SIZE) as i64).unwrap();
        let fd2 = sim::glibc::shm_open(&mut k, q, "/bench", 0o2, 0).unwrap();
        let a = k
            .mmap(p, 0, pages * PAGE_SIZE, prot::READ, map::SHARED, fd, 0)
            .unwrap();
        let b = k
            .mmap(q, 0, pages * PAGE_SIZE, prot::READ, map::SHARED, fd2, 0)
            .unwrap();
        for i in 0..pages {
            k.read_user(p, a + i * PAGE_SIZE, 1).unwrap();
            k.read_user(q, b + i * PAGE_SIZE, 1).unwrap();
        }
        2 * pages
    })
}

/// Reclaim of written shmem pages to swap, then swap-in of each by a read.
fn reclaim_and_swapin_api() -> ((u64, Duration), (u64, Duration)) {
    let mut best_r = Duration::MAX;
    let mut best_s = Duration::MAX;
    let pages = 8192;
    for _ in 0..5 {
        let mut k = Kernel::new(Config {
            ram_bytes: 256 * MIB,
            swap_bytes: 256 * MIB,
            ..Config::default()
        });
        let p = k.spawn("bench");
        let a = k
            .mmap(
                p,
                0,
                pages * PAGE_SIZE,
                prot::READ | prot::WRITE,
                map::SHARED | map::ANONYMOUS,
                -1,
                0,
            )
            .unwrap();
        for i in 0..pages {
            k.write_user(p, a + i * PAGE_SIZE, &i.to_le_bytes())
                .unwrap();
        }
        let t = Instant::now();
        k.madvise(p, a, pages * PAGE_SIZE, madv::PAGEOUT).unwrap();
        let freed = k.reclaim(pages);
        best_r = best_r.min(t.elapsed());
        assert!(freed >= pages / 2, "reclaim freed {freed}");
        let t = Instant::now();
        for i in 0..pages {
            k.read_user(p, a + i * PAGE_SIZE, 8).unwrap();
        }
        best_s = best_s.min(t.elapsed());
    }
    ((pages, best_r), (pages, best_s))
}

/// Is the section `name` to run? `cargo bench -p shmsim-sim -- faults`
/// runs only the sections whose name holds one of the words given (the
/// sections: `faults`, `api`, `seed`, `memory`); none given runs them all.
fn wanted(name: &str) -> bool {
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    words.is_empty() || words.iter().any(|w| name.contains(w.as_str()))
}

fn main() {
    println!("shmsim model benchmarks (best of 5), beside the host kernel in the same run");
    #[cfg(target_os = "linux")]
    if wanted("faults") {
        let host = report(
            "host: shmem write fault (memfd MAP_SHARED, a store)",
            best_of(host::shmem_write_faults),
            "faults",
        );
        let model = report(
            "model: shmem write fault (a memset step)",
            best_of(model::shmem_write_faults),
            "faults",
        );
        ratio("shmem write fault", host, model);
        let host = report(
            "host: anonymous write fault (a store)",
            best_of(host::anon_write_faults),
            "faults",
        );
        let model = report(
            "model: anonymous write fault (a memset step)",
            best_of(model::anon_write_faults),
            "faults",
        );
        ratio("anonymous write fault", host, model);
        let model = report(
            "model: MADV_PAGEOUT + re-fault round trip (2 steps)",
            best_of(model::pageout_round_trips),
            "pages",
        );
        match host::no_swap() {
            Some(why) => println!("  => swap round trip: host skipped: {why}"),
            None => {
                let host = report(
                    "host: MADV_PAGEOUT + re-fault round trip",
                    best_of(host::pageout_round_trips),
                    "pages",
                );
                ratio("swap round trip", host, model);
            }
        }
    }
    if wanted("api") {
        api();
    }
    if wanted("seed") {
        let (d, peak) = seed_machine();
        println!(
            "{:<52} {:>10.1} s, peak {:.0} MB (target: a few seconds, under 1 GiB)",
            "scenario 22: the seed's 124 GiB machine (check)",
            d.as_secs_f64(),
            peak as f64 / 1e6
        );
    }
    if wanted("memory") {
        memory();
    }
}

/// The model's own API, without the runner.
fn api() {
    report(
        "model API: anonymous write faults (write_user)",
        best_of(anon_write_faults_api),
        "faults",
    );
    report(
        "model API: shmem read faults (2 mappers)",
        best_of(shmem_read_faults_api),
        "faults",
    );
    let (r, s) = reclaim_and_swapin_api();
    report("model API: shmem pages reclaimed to swap", r, "pages");
    report("model API: shmem swap-ins (read_user)", s, "pages");
}

/// Live heap bytes of an idle machine and per touched page.
fn memory() {
    let idle = model::idle("124 GiB");
    println!(
        "{:<52} {:>12.1} MB (target: under 20 MB)",
        "memory: idle 124 GiB machine (kernel + runner)",
        idle as f64 / 1e6
    );
    let (state, kept) = model::per_touched_page(1);
    println!(
        "{:<52} {state:>12.1} bytes/page (target: 32; the kernel's struct page: 64)",
        "memory: per page of a memset 1 GiB /dev/shm mapping"
    );
    println!(
        "{:<52} {kept:>12.1} bytes/page (with the step's outcome kept)",
        ""
    );
    println!(
        "{:<52} {:>12} bytes",
        "  struct page (sim::mm::page::Page)",
        std::mem::size_of::<sim::mm::page::Page>()
    );
}
