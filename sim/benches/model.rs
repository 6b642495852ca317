//! `cargo bench -p shmsim-sim`: how fast the model runs and how much memory it
//! spends per simulated page.
//!
//! A plain harness (no criterion, to keep builds lean on two cores): each
//! figure is the best of five timed runs of a fixed workload, printed as
//! operations per second. Figures vary with the machine; the workloads do not.

use sim::kernel::{Config, Kernel};
use sim::mm::madvise::madv;
use sim::mm::mmap::{map, prot};
use sim::mm::page::PAGE_SIZE;
use std::hint::black_box;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

fn best_of<F: FnMut() -> u64>(mut f: F) -> (u64, Duration) {
    let mut best = Duration::MAX;
    let mut ops = 0;
    for _ in 0..5 {
        let t = Instant::now();
        ops = black_box(f());
        best = best.min(t.elapsed());
    }
    (ops, best)
}

fn report(name: &str, (ops, d): (u64, Duration), unit: &str) {
    let rate = ops as f64 / d.as_secs_f64();
    println!(
        "{name:<44} {rate:>14.0} {unit}/s   ({ops} in {:.2} ms)",
        d.as_secs_f64() * 1e3
    );
}

/// Write faults on fresh anonymous memory: `do_anonymous_page`.
fn anon_write_faults() -> u64 {
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
}

/// Read faults on a shmem file (`shmem_fault` + fault-around), from two processes.
fn shmem_read_faults() -> u64 {
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
}

/// Reclaim of written shmem pages to swap, then swap-in of each by a read.
fn reclaim_and_swapin() -> (u64, Duration, u64, Duration) {
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
    (pages, best_r, pages, best_s)
}

fn main() {
    println!("shmsim model benchmarks (best of 5)");
    report(
        "anonymous write faults (do_anonymous_page)",
        best_of(anon_write_faults),
        "faults",
    );
    report(
        "shmem read faults (shmem_fault, 2 mappers)",
        best_of(shmem_read_faults),
        "faults",
    );
    let (r, rd, s, sd) = reclaim_and_swapin();
    report("shmem pages reclaimed to swap", (r, rd), "pages");
    report("shmem swap-ins (read of a swapped page)", (s, sd), "pages");

    // Memory: bytes of model per simulated page, for a machine whose every
    // frame holds written data, and for an idle one.
    let k = Kernel::new(Config {
        ram_bytes: 64 * MIB,
        ..Config::default()
    });
    let frames = k.mem.nr_pages() as usize;
    println!(
        "{:<44} {:>14} bytes/page (struct page: {} bytes; the kernel's: 64)",
        "model memory per page, idle",
        k.model_bytes() / frames,
        std::mem::size_of::<sim::mm::page::Page>()
    );
    let mut k = Kernel::new(Config {
        ram_bytes: 64 * MIB,
        ..Config::default()
    });
    let p = k.spawn("bench");
    let pages = (frames as u64) * 3 / 4;
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
        k.fill_user(p, a + i * PAGE_SIZE, b'a', PAGE_SIZE).unwrap();
    }
    println!(
        "{:<44} {:>14} bytes/page (memset pages stay compact)",
        "model memory per page, 3/4 memset",
        k.model_bytes() / frames
    );
    for i in 0..pages {
        k.write_user(p, a + i * PAGE_SIZE + 7, b"distinct").unwrap();
    }
    println!(
        "{:<44} {:>14} bytes/page (pages written in detail hold 4 KiB)",
        "model memory per page, 3/4 written",
        k.model_bytes() / frames
    );
}
