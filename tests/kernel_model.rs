//! What a student reading the seeds would check, on the kernel model directly:
//! each test is one claim of the seeds or of KERNEL-NOTES section 9, asserted
//! through what a process can observe (results, errnos, signals, bytes) and
//! the counters `/proc/meminfo` shows. The kernel invariants are checked
//! after every scenario.

use sim::errno::{Errno, Signal};
use sim::fs::vfs::o;
use sim::glibc::{ftok, shm_open, shm_unlink};
use sim::kernel::{Config, Kernel, Pid, Pte};
use sim::mm::filemap::CacheEntry;
use sim::mm::madvise::madv;
use sim::mm::mmap::{map, ms, prot};
use sim::mm::page::PAGE_SIZE;

const RW: u32 = prot::READ | prot::WRITE;

fn machine(swap_mib: u64) -> Kernel {
    Kernel::new(Config {
        ram_bytes: 64 << 20,
        swap_bytes: swap_mib << 20,
        ..Config::default()
    })
}

fn ok(k: &Kernel) {
    if let Err(e) = k.check_invariants() {
        panic!("kernel invariants broken:\n{e}");
    }
}

/// `pte.NAME` as the contract spells it: `P`, `s` or `-` per page.
fn ptes(k: &Kernel, pid: Pid, addr: u64, pages: u64) -> String {
    (0..pages)
        .map(|i| match k.tasks[&pid].mm.pte(addr + i * PAGE_SIZE) {
            Some(Pte::Present { .. }) => 'P',
            Some(Pte::Swap(_)) => 's',
            None => '-',
        })
        .collect()
}

/// `cache.PATH`: `P`, `x` or `-` per page index.
fn cache(k: &Kernel, ino: u32, pages: u64) -> String {
    (0..pages)
        .map(|i| match k.find_get_entry(ino, i) {
            Some(CacheEntry::Page(_)) => 'P',
            Some(CacheEntry::Swap(_)) => 'x',
            None => '-',
        })
        .collect()
}

fn ino_of(k: &mut Kernel, pid: Pid, path: &str) -> u32 {
    k.stat(pid, path).unwrap().ino
}

#[test]
fn posix_producer_consumer_share_one_page() {
    let mut k = machine(0);
    let prod = k.spawn("producer");
    let cons = k.spawn("consumer");
    let fd = shm_open(&mut k, prod, "/OS", o::CREAT | o::RDWR, 0o666).unwrap();
    assert_eq!(fd, 3, "the first descriptor after 0, 1 and 2");
    k.ftruncate(prod, fd, 4096).unwrap();
    let p = k.mmap(prod, 0, 4096, RW, map::SHARED, fd, 0).unwrap();
    let shmem0 = k.vmstat.nr_shmem;
    k.write_user(prod, p, b"Studying Operating Systems Is Fun!")
        .unwrap();
    assert_eq!(k.vmstat.nr_shmem - shmem0, 1, "Shmem +4 kB");
    let fd2 = shm_open(&mut k, cons, "/OS", o::RDONLY, 0o666).unwrap();
    let c = k
        .mmap(cons, 0, 4096, prot::READ, map::SHARED, fd2, 0)
        .unwrap();
    assert_eq!(
        k.read_user_cstr(cons, c, 4096).unwrap(),
        b"Studying Operating Systems Is Fun!"
    );
    // shm_open is open(2) on /dev/shm: the object is a tmpfs file, mode under umask 022.
    let st = k.stat(prod, "/dev/shm/OS").unwrap();
    assert_eq!(st.mode & 0o777, 0o644);
    assert_eq!(st.size, 4096);
    assert_eq!(k.sbs[k.inodes[&st.ino].sb].fstype, "tmpfs");
    shm_unlink(&mut k, cons, "/OS").unwrap();
    assert_eq!(
        shm_open(&mut k, cons, "/OS", o::RDONLY, 0),
        Err(Errno::ENOENT)
    );
    ok(&k);
}

#[test]
fn unlinked_object_lives_until_last_mapping_and_fd_are_gone() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "x", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 8192).unwrap();
    let p = k.mmap(a, 0, 8192, RW, map::SHARED, fd, 0).unwrap();
    k.write_user(a, p, b"still here").unwrap();
    k.write_user(a, p + 4096, b"!").unwrap();
    let (shmem, used) = (k.vmstat.nr_shmem, k.sbs[1].used_blocks);
    shm_unlink(&mut k, a, "x").unwrap();
    assert_eq!(k.read_user(a, p, 10).unwrap(), b"still here");
    assert_eq!(
        (k.vmstat.nr_shmem, k.sbs[1].used_blocks),
        (shmem, used),
        "rm frees nothing yet"
    );
    k.close(a, fd).unwrap();
    assert_eq!(k.vmstat.nr_shmem, shmem, "still mapped");
    k.munmap(a, p, 8192).unwrap();
    assert_eq!(
        k.vmstat.nr_shmem,
        shmem - 2,
        "last reference gone: Shmem falls"
    );
    assert_eq!(k.sbs[1].used_blocks, used - 2, "df falls too");
    ok(&k);
}

#[test]
fn fork_shares_map_shared_anonymous_and_child_faults_its_own_ptes() {
    let mut k = machine(0);
    let parent = k.spawn("parent");
    let p = k
        .mmap(parent, 0, 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(parent, p, b"hi").unwrap();
    let child = k.fork(parent, "child").unwrap();
    assert_eq!(
        ptes(&k, child, p, 1),
        "-",
        "page tables of shared mappings are not copied"
    );
    k.write_user(child, p, b"yo").unwrap();
    assert_eq!(k.read_user(parent, p, 2).unwrap(), b"yo");
    assert_eq!(
        k.vmstat.nr_shmem, 1,
        "shared anonymous memory counts as Shmem"
    );
    assert_eq!(k.vmstat.nr_anon_mapped, 0, "and not as AnonPages");
    ok(&k);
}

#[test]
fn fork_makes_private_memory_copy_on_write() {
    let mut k = machine(0);
    let parent = k.spawn("parent");
    let p = k
        .mmap(parent, 0, 4096, RW, map::PRIVATE | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(parent, p, b"mine").unwrap();
    let child = k.fork(parent, "child").unwrap();
    assert_eq!(ptes(&k, child, p, 1), "P", "private PTEs are copied");
    assert_eq!(k.vmstat.nr_anon_mapped, 1, "one page, two mappers");
    k.write_user(child, p, b"ours").unwrap();
    assert_eq!(k.read_user(parent, p, 4).unwrap(), b"mine");
    assert_eq!(k.read_user(child, p, 4).unwrap(), b"ours");
    assert_eq!(k.vmstat.nr_anon_mapped, 2, "the write copied the page");
    ok(&k);
}

#[test]
fn munmap_then_touch_is_sigsegv_and_ends_the_process() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 4096, RW, map::PRIVATE | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(a, p, b"x").unwrap();
    k.munmap(a, p, 4096).unwrap();
    let f = k.read_user(a, p, 1).unwrap_err();
    assert_eq!(f.signal, Signal::SIGSEGV);
    assert!(!k.tasks.contains_key(&a), "the process is gone");
    ok(&k);
}

#[test]
fn writing_a_read_only_mapping_is_sigsegv_accerr() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 4096, prot::READ, map::PRIVATE | map::ANONYMOUS, -1, 0)
        .unwrap();
    assert_eq!(k.read_user(a, p, 1).unwrap(), [0]);
    assert_eq!(ptes(&k, a, p, 1), "P", "a read maps the zero page");
    assert_eq!(k.vmstat.nr_anon_mapped, 0, "the zero page is not AnonPages");
    let f = k.write_user(a, p, b"x").unwrap_err();
    assert_eq!(
        (f.signal, f.code),
        (Signal::SIGSEGV, sim::errno::SigCode::SEGV_ACCERR)
    );
    ok(&k);
}

#[test]
fn file_shared_vs_private_and_writeback() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let fd = k.open(a, "/tmp/data", o::CREAT | o::RDWR, 0o644).unwrap();
    k.write(a, fd, &[b'.'; 8192]).unwrap();
    k.fsync(a, fd).unwrap();
    let s = k.mmap(a, 0, 8192, RW, map::SHARED, fd, 0).unwrap();
    let p = k.mmap(a, 0, 8192, RW, map::PRIVATE, fd, 0).unwrap();
    k.write_user(a, s, b"shared").unwrap();
    k.write_user(a, p + 4096, b"private").unwrap();
    assert_eq!(
        k.pread(a, fd, 6, 0).unwrap(),
        b"shared",
        "MAP_SHARED writes reach the file"
    );
    assert_eq!(
        k.pread(a, fd, 7, 4096).unwrap(),
        b".......",
        "MAP_PRIVATE writes do not"
    );
    assert_eq!(
        k.read_user(a, p, 6).unwrap(),
        b"shared",
        "a private mapping sees the file until it writes"
    );
    assert_eq!(k.vmstat.nr_file_dirty, 1);
    k.msync(a, s, 8192, ms::SYNC).unwrap();
    assert_eq!(k.vmstat.nr_file_dirty, 0, "msync wrote it back");
    k.munmap(a, s, 8192).unwrap();
    k.munmap(a, p, 8192).unwrap();
    k.drop_caches();
    assert_eq!(
        k.pread(a, fd, 6, 0).unwrap(),
        b"shared",
        "read back from the disk"
    );
    assert!(k.vmstat.pgpgin > 0);
    ok(&k);
}

#[test]
fn read_of_a_hole_allocates_nothing_but_a_read_fault_does() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/hole", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 4 * 4096).unwrap();
    assert_eq!(k.pread(a, fd, 4096, 0).unwrap(), vec![0; 4096]);
    assert_eq!(k.vmstat.nr_shmem, 0, "read(2) copies ZERO_PAGE");
    let p = k
        .mmap(a, 0, 4 * 4096, prot::READ, map::SHARED, fd, 0)
        .unwrap();
    k.read_user(a, p, 1).unwrap();
    assert_eq!(k.vmstat.nr_shmem, 1, "shmem_fault allocates a zeroed page");
    let ino = ino_of(&mut k, a, "/dev/shm/hole");
    assert_eq!(cache(&k, ino, 4), "P---");
    ok(&k);
}

#[test]
fn fault_around_maps_only_cached_pages_in_the_aligned_window() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/fa", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 20 * 4096).unwrap();
    for i in [0u64, 3, 15, 16] {
        k.pwrite(a, fd, b"d", (i * 4096) as i64).unwrap();
    }
    let p = k
        .mmap(a, 0, 20 * 4096, prot::READ, map::SHARED, fd, 0)
        .unwrap();
    k.read_user(a, p + 3 * 4096, 1).unwrap();
    // The 64 KiB window around the fault is aligned on the virtual address;
    // where that start falls before the VMA, it is clipped to the VMA's start
    // and the 16 pages run from there (4.14 `do_fault_around`: `end_pgoff =
    // min3(.., start_pgoff + nr_pages - 1)`; 6.x: `from_pte + nr_pages`).
    let window_start = ((p + 3 * 4096) & !0xffff).max(p);
    let expect: String = (0..20u64)
        .map(|i| {
            let a = p + i * 4096;
            let in_window = a >= window_start && a < window_start + 0x10000;
            if in_window && [0, 3, 15, 16].contains(&i) {
                'P'
            } else {
                '-'
            }
        })
        .collect();
    assert_eq!(ptes(&k, a, p, 20), expect);
    let w = k.mmap(a, 0, 20 * 4096, RW, map::SHARED, fd, 0).unwrap();
    k.write_user(a, w + 3 * 4096, b"w").unwrap();
    assert_eq!(
        ptes(&k, a, w, 20),
        "---P----------------",
        "a write fault maps only its page"
    );
    ok(&k);
}

#[test]
fn past_the_end_of_a_file_is_sigbus_but_the_last_partial_page_is_fine() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/short", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 100).unwrap();
    let p = k.mmap(a, 0, 8192, RW, map::SHARED, fd, 0).unwrap();
    k.write_user(a, p + 200, b"ok").unwrap();
    let f = k.write_user(a, p + 4096, b"x").unwrap_err();
    assert_eq!(f.signal, Signal::SIGBUS);
    ok(&k);
}

#[test]
fn errnos_of_misused_mmap_ftruncate_and_write() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/e", o::CREAT | o::RDWR, 0o644).unwrap();
    k.ftruncate(a, fd, 4096).unwrap();
    let ro = shm_open(&mut k, a, "/e", o::RDONLY, 0).unwrap();
    let wo = k.open(a, "/dev/shm/e", o::WRONLY, 0).unwrap();
    assert_eq!(
        k.mmap(a, 0, 4096, RW, map::SHARED, ro, 0),
        Err(Errno::EACCES)
    );
    assert_eq!(
        k.mmap(a, 0, 4096, RW, map::SHARED, wo, 0),
        Err(Errno::EACCES)
    );
    assert_eq!(
        k.mmap(a, 0, 4096, prot::READ, map::PRIVATE, wo, 0),
        Err(Errno::EACCES)
    );
    assert_eq!(k.ftruncate(a, ro, 0), Err(Errno::EINVAL));
    assert_eq!(k.write(a, ro, b"x"), Err(Errno::EBADF));
    assert_eq!(
        k.mmap(a, 0, 0, prot::READ, map::SHARED, fd, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        k.mmap(a, 0, 4096, prot::READ, map::SHARED, fd, 100),
        Err(Errno::EINVAL)
    );
    assert_eq!(k.mmap(a, 0, 4096, prot::READ, 0, fd, 0), Err(Errno::EINVAL));
    assert_eq!(
        k.mmap(a, 0, 4096, prot::READ, map::SHARED, -1, 0),
        Err(Errno::EBADF)
    );
    let dir = k.open(a, "/tmp", o::RDONLY, 0).unwrap();
    assert_eq!(
        k.mmap(a, 0, 4096, prot::READ, map::SHARED, dir, 0),
        Err(Errno::ENODEV)
    );
    assert_eq!(k.munmap(a, 4095, 4096), Err(Errno::EINVAL));
    assert_eq!(k.close(a, 99), Err(Errno::EBADF));
    assert_eq!(
        shm_open(&mut k, a, "/e", o::CREAT | o::EXCL | o::RDWR, 0o600),
        Err(Errno::EEXIST)
    );
    for bad in ["bad/name", "", "/", "/.", "/.."] {
        assert_eq!(
            shm_open(&mut k, a, bad, o::CREAT | o::RDWR, 0o600),
            Err(Errno::EINVAL),
            "{bad:?}"
        );
    }
    assert_eq!(shm_unlink(&mut k, a, "/missing"), Err(Errno::ENOENT));
    assert_eq!(shm_unlink(&mut k, a, "bad/name"), Err(Errno::ENOENT));
    ok(&k);
}

#[test]
fn a_full_tmpfs_is_enospc_for_write_and_sigbus_for_a_fault() {
    let mut k = Kernel::new(Config {
        ram_bytes: 64 << 20,
        dev_shm_bytes: Some(8192),
        ..Config::default()
    });
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/full", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 4 * 4096).unwrap();
    assert_eq!(k.write(a, fd, &[1; 8192]).unwrap(), 8192);
    assert_eq!(k.write(a, fd, b"more"), Err(Errno::ENOSPC));
    let st = k.statfs(a, "/dev/shm").unwrap();
    assert_eq!((st.blocks, st.bfree), (2, 0));
    let p = k.mmap(a, 0, 4 * 4096, RW, map::SHARED, fd, 0).unwrap();
    assert_eq!(
        k.write_user(a, p + 3 * 4096, b"x").unwrap_err().signal,
        Signal::SIGBUS
    );
    ok(&k);
}

#[test]
fn shmem_swap_out_leaves_an_exceptional_entry_and_an_empty_pte() {
    let mut k = machine(32);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/swap", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 4 * 4096).unwrap();
    let p = k.mmap(a, 0, 4 * 4096, RW, map::SHARED, fd, 0).unwrap();
    for i in 0..3 {
        k.write_user(a, p + i * 4096, format!("page {i}").as_bytes())
            .unwrap();
    }
    let ino = ino_of(&mut k, a, "/dev/shm/swap");
    k.madvise(a, p, 4 * 4096, madv::PAGEOUT).unwrap();
    assert_eq!(ptes(&k, a, p, 4), "----", "shmem PTEs are cleared");
    assert_eq!(cache(&k, ino, 4), "xxx-", "the slots hold swap entries");
    assert_eq!(
        (k.vmstat.nr_shmem, k.vmstat.nr_swapcache),
        (0, 3),
        "pages wait in the swap cache"
    );
    let Some(CacheEntry::Swap(e)) = k.find_get_entry(ino, 0) else {
        unreachable!()
    };
    let word = k.inodes[&ino]
        .mapping
        .i_pages
        .lookup(0)
        .map(|e| sim::klib::radix_tree::RadixItem::raw_word(&e, k.cfg.encoding))
        .unwrap();
    assert_eq!(word, e.val << 2 | 2, "the slot word is swp << 2 | 2");
    k.reclaim(64);
    assert_eq!(k.vmstat.nr_swapcache, 0, "a later pass frees them");
    assert_eq!(
        k.read_user_cstr(a, p + 4096, 100).unwrap(),
        b"page 1",
        "swap-in"
    );
    assert_eq!(cache(&k, ino, 4), "xPx-");
    assert_eq!(
        k.swap_count(e),
        1,
        "slot 0 still referenced by its exceptional entry"
    );
    assert_eq!(
        k.pread(a, fd, 6, 2 * 4096).unwrap(),
        b"page 2",
        "pread swaps in without mapping"
    );
    assert_eq!(ptes(&k, a, p, 4), "-P--");
    ok(&k);
}

#[test]
fn anonymous_vs_shmem_vs_file_reclaim() {
    let mut k = machine(32);
    let a = k.spawn("a");
    let anon = k
        .mmap(a, 0, 4096, RW, map::PRIVATE | map::ANONYMOUS, -1, 0)
        .unwrap();
    let shm = k
        .mmap(a, 0, 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    let fd = k.open(a, "/tmp/f", o::CREAT | o::RDWR, 0o644).unwrap();
    k.write(a, fd, &[b'f'; 4096]).unwrap();
    k.fsync(a, fd).unwrap();
    let file = k.mmap(a, 0, 4096, prot::READ, map::SHARED, fd, 0).unwrap();
    k.write_user(a, anon, b"anon").unwrap();
    k.write_user(a, shm, b"shmem").unwrap();
    k.read_user(a, file, 1).unwrap();
    for addr in [anon, shm, file] {
        k.madvise(a, addr, 4096, madv::PAGEOUT).unwrap();
    }
    k.reclaim(64);
    assert!(
        matches!(k.tasks[&a].mm.pte(anon), Some(Pte::Swap(_))),
        "anonymous: the PTE holds the swap entry"
    );
    assert_eq!(k.tasks[&a].mm.pte(shm), None, "shmem: the PTE is empty");
    assert_eq!(k.tasks[&a].mm.pte(file), None, "file: the PTE is empty");
    let f_ino = ino_of(&mut k, a, "/tmp/f");
    assert_eq!(
        cache(&k, f_ino, 1),
        "-",
        "file: nothing but its data on disk"
    );
    assert_eq!(k.read_user(a, anon, 4).unwrap(), b"anon");
    assert_eq!(k.read_user(a, shm, 5).unwrap(), b"shmem");
    assert_eq!(k.read_user(a, file, 1).unwrap(), b"f");
    assert!(
        k.vmstat.pgmajfault >= 3,
        "each came back through a major fault"
    );
    ok(&k);
}

#[test]
fn no_swap_pageout_unmaps_shmem_but_keeps_it_cached() {
    let mut k = machine(0);
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 2 * 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(a, p, b"kept").unwrap();
    k.write_user(a, p + 4096, b"too").unwrap();
    k.madvise(a, p, 2 * 4096, madv::PAGEOUT).unwrap();
    assert_eq!(ptes(&k, a, p, 2), "--");
    assert_eq!(k.vmstat.nr_shmem, 2, "still in the page cache");
    k.read_user(a, p, 1).unwrap();
    assert_eq!(ptes(&k, a, p, 2), "PP", "fault-around maps both back");
    ok(&k);
}

#[test]
fn pageout_skips_pages_another_process_maps() {
    let mut k = machine(32);
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(a, p, b"both").unwrap();
    let b = k.fork(a, "b").unwrap();
    k.read_user(b, p, 1).unwrap();
    k.madvise(a, p, 4096, madv::PAGEOUT).unwrap();
    assert_eq!(ptes(&k, a, p, 1), "P");
    assert_eq!(k.vmstat.nr_swapcache, 0);
    ok(&k);
}

#[test]
fn clean_read_faulted_shmem_page_is_dropped_back_to_a_hole() {
    let mut k = machine(32);
    let a = k.spawn("a");
    let fd = shm_open(&mut k, a, "/clean", o::CREAT | o::RDWR, 0o600).unwrap();
    k.ftruncate(a, fd, 4096).unwrap();
    let p = k.mmap(a, 0, 4096, prot::READ, map::SHARED, fd, 0).unwrap();
    k.read_user(a, p, 1).unwrap();
    k.madvise(a, p, 4096, madv::PAGEOUT).unwrap();
    let ino = ino_of(&mut k, a, "/dev/shm/clean");
    assert_eq!(cache(&k, ino, 1), "-");
    assert_eq!(k.nr_swap_pages(), k.total_swap_pages(), "no swap slot used");
    ok(&k);
}

#[test]
fn anonymous_swap_in_keeps_its_swap_cache_copy() {
    let mut k = machine(32);
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 3 * 4096, RW, map::PRIVATE | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(a, p, b"one").unwrap();
    k.write_user(a, p + 4096, b"two").unwrap();
    k.read_user(a, p + 2 * 4096, 1).unwrap();
    k.madvise(a, p, 3 * 4096, madv::PAGEOUT).unwrap();
    assert_eq!(
        ptes(&k, a, p, 3),
        "ssP",
        "written pages get swap PTEs; the zero page stays"
    );
    assert_eq!(k.vmstat.nr_anon_mapped, 0);
    k.reclaim(64);
    assert_eq!(k.read_user(a, p + 4096, 3).unwrap(), b"two");
    assert_eq!(
        k.vmstat.nr_swapcache, 1,
        "swap is not half full: the copy is kept"
    );
    ok(&k);
}

#[test]
fn system_v_writer_and_reader_with_kernel_persistence() {
    let mut k = machine(0);
    let writer = k.spawn("testwrite");
    let key = ftok(&mut k, writer, "/home/student", b'a' as i32).unwrap();
    let id = k.shmget(writer, key, 4096, 0o1000 | 0o666).unwrap();
    let p = k.shmat(writer, id, 0, 0).unwrap();
    for i in 0..10u64 {
        k.write_user(writer, p + i * 16, format!("record {i}\0").as_bytes())
            .unwrap();
    }
    k.shmdt(writer, p).unwrap();
    k.exit(writer, 0).unwrap();
    assert_eq!(k.shm_ids.in_use, 1, "the segment outlives its creator");
    let reader = k.spawn("testread");
    let key2 = ftok(&mut k, reader, "/home/student", b'a' as i32).unwrap();
    assert_eq!(key2, key);
    let id2 = k.shmget(reader, key2, 0, 0).unwrap();
    assert_eq!(id2, id);
    let q = k.shmat(reader, id2, 0, 0).unwrap();
    for i in 0..10u64 {
        assert_eq!(
            k.read_user_cstr(reader, q + i * 16, 16).unwrap(),
            format!("record {i}").as_bytes()
        );
    }
    ok(&k);
}

#[test]
fn determinism_same_calls_same_state_and_trace() {
    fn run() -> String {
        let mut k = machine(8);
        let a = k.spawn("a");
        let fd = shm_open(&mut k, a, "/d", o::CREAT | o::RDWR, 0o600).unwrap();
        k.ftruncate(a, fd, 16 * 4096).unwrap();
        let p = k.mmap(a, 0, 16 * 4096, RW, map::SHARED, fd, 0).unwrap();
        let b = k.fork(a, "b").unwrap();
        for i in 0..16 {
            k.write_user(if i % 2 == 0 { a } else { b }, p + i * 4096, b"x")
                .unwrap();
        }
        k.madvise(a, p, 16 * 4096, madv::PAGEOUT).unwrap();
        k.reclaim(8);
        format!("{:?}\n{:?}\n{:?}", k.take_trace(), k.tasks, k.vmstat)
    }
    assert_eq!(run(), run());
}

#[test]
fn swapoff_brings_every_page_back_and_fails_with_enomem_when_it_cannot() {
    let mut k = Kernel::new(Config {
        ram_bytes: 64 * 4096,
        swap_bytes: 64 * 4096,
        ..Config::default()
    });
    let a = k.spawn("a");
    let anon = k
        .mmap(a, 0, 8 * 4096, RW, map::PRIVATE | map::ANONYMOUS, -1, 0)
        .unwrap();
    let shm = k
        .mmap(a, 0, 8 * 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    for i in 0..8 {
        k.write_user(a, anon + i * 4096, format!("anon {i}").as_bytes())
            .unwrap();
        k.write_user(a, shm + i * 4096, format!("shm {i}").as_bytes())
            .unwrap();
    }
    // After fork the anonymous pages are mapped twice (copy-on-write), the
    // shared ones once: kswapd's reclaim swaps both kinds.
    let b = k.fork(a, "b").unwrap();
    k.reclaim(64);
    assert!(
        k.nr_swap_pages() < k.total_swap_pages(),
        "something is in swap"
    );
    k.swapoff("/swapfile").unwrap();
    assert_eq!(k.total_swap_pages(), 0);
    assert_eq!(k.vmstat.nr_swapcache, 0);
    for i in 0..8 {
        assert_eq!(
            k.read_user(a, anon + i * 4096, 6).unwrap(),
            format!("anon {i}").as_bytes()
        );
        assert_eq!(
            k.read_user(b, shm + i * 4096, 5).unwrap(),
            format!("shm {i}").as_bytes()
        );
    }
    ok(&k);
    assert_eq!(k.swapoff("/swapfile"), Err(Errno::EINVAL), "already off");

    // More in swap than RAM can hold: swapoff cannot finish.
    let mut k = Kernel::new(Config {
        ram_bytes: 32 * 4096,
        swap_bytes: 128 * 4096,
        ..Config::default()
    });
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 64 * 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    for i in 0..64 {
        k.write_user(a, p + i * 4096, b"x").unwrap();
    }
    assert_eq!(k.swapoff("/swapfile"), Err(Errno::ENOMEM));
    assert!(k.total_swap_pages() > 0, "the area stays on");
    for i in 0..64 {
        assert_eq!(k.read_user(a, p + i * 4096, 1).unwrap(), b"x");
    }
    ok(&k);
}

#[test]
fn proc_renderers_show_the_models_state() {
    use sim::fs::proc::{render_maps, render_meminfo};
    use sim::tools::df::{render_df, DfOpts};
    use sim::tools::free::{render_free, FreeOpts};
    let mut k = machine(0);
    let a = k.spawn("a");
    let p = k
        .mmap(a, 0, 4096, RW, map::SHARED | map::ANONYMOUS, -1, 0)
        .unwrap();
    k.write_user(a, p, b"x").unwrap();
    let fd = shm_open(&mut k, a, "/OS", o::CREAT | o::RDWR, 0o666).unwrap();
    k.write(a, fd, &[1; 8192]).unwrap();
    let maps = render_maps(&k.vma_views(a).unwrap());
    let line = maps.lines().next().unwrap();
    assert!(
        line.starts_with(&format!("{:08x}-{:08x} rw-s 00000000 00:05 ", p, p + 4096)),
        "{maps}"
    );
    assert!(line.ends_with(" /dev/zero (deleted)"), "{maps}");
    let meminfo = render_meminfo(&k.meminfo_view());
    assert!(
        meminfo.contains("\nShmem:                12 kB\n"),
        "{meminfo}"
    );
    let free = render_free(&k.meminfo_view(), &FreeOpts::parse("-k").unwrap());
    let mem = free.lines().nth(1).unwrap();
    assert!(
        mem.split_whitespace().nth(4) == Some("12"),
        "shared = Shmem: {free}"
    );
    let df = render_df(
        &[k.statfs_view(&k.sbs[1].clone())],
        &DfOpts::parse("").unwrap(),
    );
    assert!(
        df.lines().nth(1).unwrap().contains("tmpfs") && df.contains(" 8 "),
        "{df}"
    );
    let (entries, total) = k.ls_view("/dev/shm").unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].name.as_str(), entries[0].size, total),
        ("OS", 8192, 8)
    );
    assert_eq!(k.pte_string(a, p, 4096), "P");
    assert_eq!(k.core_string(a, p, 4096), "1");
    ok(&k);
}
