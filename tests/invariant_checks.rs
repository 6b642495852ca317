//! `check_invariants` is made of named checks (page caches, page tables,
//! frames, swap, counters, files and System V). Each must catch a break of
//! what it names, and name itself, so that a failing property test says
//! which rule broke: here each is broken once, on a machine holding every
//! kind of page (a POSIX shm file, an anonymous page swapped out, a System V
//! segment attached), and only that check must report.

use sim::fs::vfs::o;
use sim::glibc::shm_open;
use sim::invariants::Check;
use sim::ipc::util::{IPC_CREAT, IPC_PRIVATE};
use sim::kernel::{Config, Kernel, Pid};
use sim::mm::madvise::madv;
use sim::mm::mmap::{map, prot};
use sim::mm::page::PAGE_SIZE;

const RW: u32 = prot::READ | prot::WRITE;

/// The machine, its process, and the pfn of the shm file's first page.
fn machine() -> (Kernel, Pid, u32) {
    let mut k = Kernel::new(Config {
        ram_bytes: 64 << 20,
        swap_bytes: 16 << 20,
        ..Config::default()
    });
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/x", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 8192).unwrap();
    let p = k.mmap(a, 0, 2 * PAGE_SIZE, RW, map::SHARED, fd, 0).unwrap();
    k.write_user(a, p, b"shared").unwrap();
    let anon = k
        .mmap(
            a,
            0,
            2 * PAGE_SIZE,
            RW,
            map::PRIVATE | map::ANONYMOUS,
            -1,
            0,
        )
        .unwrap();
    k.fill_user(a, anon, b'x', 2 * PAGE_SIZE).unwrap();
    k.madvise(a, anon, PAGE_SIZE, madv::PAGEOUT).unwrap();
    let id = k
        .shmget(a, IPC_PRIVATE, PAGE_SIZE, IPC_CREAT | 0o600)
        .unwrap();
    let at = k.shmat(a, id, 0, 0).unwrap();
    k.write_user(a, at, b"sysv").unwrap();
    k.check_invariants().expect("the machine starts sound");
    let sb = k.stat(a, "/dev/shm/x").unwrap();
    let pfn = match k.find_get_entry(sb.ino, 0) {
        Some(sim::mm::filemap::CacheEntry::Page(pfn)) => pfn,
        other => panic!("the shm page is in the cache: {other:?}"),
    };
    (k, a, pfn)
}

/// Breaks `k` with `corrupt`, then asserts that `which` alone reports.
fn only(which: Check, corrupt: impl FnOnce(&mut Kernel, Pid, u32)) {
    let (mut k, pid, pfn) = machine();
    corrupt(&mut k, pid, pfn);
    let report = k.check_invariants().expect_err("the break is caught");
    let tag = format!("[{}] ", which.name());
    for line in report.lines() {
        assert!(line.starts_with(&tag), "{which:?} alone reports:\n{report}");
    }
    assert!(k.check(which).is_err(), "{which:?} run alone catches it");
    for other in Check::ALL.into_iter().filter(|&c| c != which) {
        assert_eq!(k.check(other), Ok(()), "{other:?} is not {which:?}");
    }
}

#[test]
fn page_caches_catch_a_wrong_nrpages() {
    only(Check::PageCaches, |k, _, _| {
        let inode = k.inodes.values_mut().find(|i| i.mapping.nrpages > 0);
        inode.expect("a cached file").mapping.nrpages += 1;
    });
}

#[test]
fn page_tables_catch_a_wrong_rss_counter() {
    only(Check::PageTables, |k, pid, _| {
        k.tasks.get_mut(&pid).unwrap().mm.rss[0] += 1;
    });
}

#[test]
fn frames_catch_a_wrong_refcount() {
    only(Check::Frames, |k, _, pfn| {
        k.mem.page_mut(pfn).refcount += 1;
    });
}

#[test]
fn swap_catches_a_wrong_inuse_count() {
    only(Check::Swap, |k, _, _| {
        k.swap[0].inuse_pages += 1;
    });
}

#[test]
fn counters_catch_a_wrong_nr_shmem() {
    only(Check::Counters, |k, _, _| {
        k.vmstat.nr_shmem += 1;
    });
}

#[test]
fn files_catch_a_wrong_i_count() {
    only(Check::FilesAndIpc, |k, _, _| {
        k.inodes.values_mut().next().unwrap().i_count += 1;
    });
}
