//! The scenario front end, from the outside: malformed files and the exact
//! diagnostics they produce, valid files that must load cleanly, and inputs
//! that must never make the loader panic.
//!
//! Each `tests/malformed/NAME.toml` has a sibling `NAME.expected` holding the
//! diagnostics exactly as `render_diagnostics(.., color = false)` prints them.
//! After a deliberate change to a message, regenerate them with
//! `SHMSIM_BLESS=1 cargo test -p shmsim-suite --test scenario_syntax` and
//! read the diff.

use proptest::prelude::*;
use sim::scenario::{self, calls, load_bytes, load_str, render_diagnostics};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn malformed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed")
}

fn malformed_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(malformed_dir())
        .expect("tests/malformed exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

/// Loads `tests/malformed/NAME.toml` under the name diagnostics show, and
/// renders what it reports.
fn render_malformed(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("readable");
    let name = format!(
        "tests/malformed/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    match load_bytes(&name, &bytes) {
        Ok(_) => String::from("(loaded without diagnostics)\n"),
        Err(diags) => {
            assert!(!diags.is_empty(), "{name}: Err with no diagnostics");
            render_diagnostics(&diags, &String::from_utf8_lossy(&bytes), false)
        }
    }
}

#[test]
fn malformed_scenarios_report_exactly_what_is_expected() {
    let files = malformed_files();
    assert!(
        files.len() >= 15,
        "only {} malformed scenarios in tests/malformed",
        files.len()
    );
    let bless = std::env::var_os("SHMSIM_BLESS").is_some();
    let mut failures = Vec::new();
    for path in &files {
        let got = render_malformed(path);
        assert!(
            got.starts_with("error: "),
            "{}: the file loaded, or rendered oddly:\n{got}",
            path.display()
        );
        let expected_path = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &got).expect("writable");
            continue;
        }
        let want = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} is missing", expected_path.display()));
        if got != want {
            failures.push(format!(
                "== {}\n-- expected:\n{want}-- got:\n{got}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_expected_file_has_its_scenario() {
    for e in std::fs::read_dir(malformed_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "expected") {
            assert!(
                p.with_extension("toml").exists(),
                "{} has no .toml",
                p.display()
            );
        }
    }
}

#[test]
fn colour_rendering_is_the_plain_text_plus_escapes() {
    for path in malformed_files() {
        let bytes = std::fs::read(&path).unwrap();
        let src = String::from_utf8_lossy(&bytes);
        let Err(diags) = load_bytes("f.toml", &bytes) else {
            panic!("{} loaded", path.display())
        };
        let plain = render_diagnostics(&diags, &src, false);
        let colour = render_diagnostics(&diags, &src, true);
        assert!(colour.contains("\x1b["), "no colour for {}", path.display());
        assert_eq!(strip_ansi(&colour), plain, "{}", path.display());
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The example of ../shared/SCENARIOS.md, verbatim.
const CONTRACT_EXAMPLE: &str = r#"title = "POSIX shared memory: producer and consumer"
about = """
The producer creates /OS with shm_open, sizes it, maps it and writes a message.
The consumer maps the same object read-only and prints it.
"""
procs = ["producer", "consumer"]          # processes that exist at step 0

[machine]                                 # every key optional
ram = "64 MiB"                            # simulated physical memory
swap = "32 MiB"                           # swap area; "0" = no swap
dev_shm = "32 MiB"                        # size= of the /dev/shm tmpfs (kernel default: half of ram)
index = "radix"                           # page-cache index: "radix" (entries swp<<2|2) or "xarray" (swp<<1|1)

[[step]]
proc = "producer"
do = 'fd = shm_open("/OS", O_CREAT | O_RDWR, 0666)'
say = "glibc prefixes /dev/shm and calls open() with O_NOFOLLOW | O_CLOEXEC added."
expect = { ret = 3 }

[[step]]
proc = "producer"
do = "ftruncate(fd, 4096)"

[[step]]
proc = "producer"
do = "ptr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"

[[step]]
proc = "producer"
do = 'memcpy(ptr, "Studying Operating Systems Is Fun!", 34)'
expect = { pte.ptr = "P", meminfo.Shmem = "+4 kB" }

[[step]]
proc = "consumer"
do = 'fd = shm_open("/OS", O_RDONLY, 0666)'

[[step]]
proc = "consumer"
do = "ptr = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)"

[[step]]
proc = "consumer"
do = 'printf("%s", ptr)'
expect = { out = "Studying Operating Systems Is Fun!" }

[[step]]
proc = "consumer"
do = 'shm_unlink("/OS")'
"#;

fn load_ok(name: &str, src: &str) -> scenario::Scenario {
    match load_str(name, src) {
        Ok(s) => s,
        Err(d) => panic!(
            "{name} should load cleanly:\n{}",
            render_diagnostics(&d, src, false)
        ),
    }
}

#[test]
fn the_contract_example_loads_as_written() {
    let s = load_ok("contract-example.toml", CONTRACT_EXAMPLE);
    assert_eq!(s.title.value, "POSIX shared memory: producer and consumer");
    assert_eq!(s.steps.len(), 8);
    assert_eq!(s.machine.ram_bytes(), 64 << 20);
    assert_eq!(s.machine.swap_bytes(), 32 << 20);
    assert_eq!(s.machine.dev_shm_bytes(), 32 << 20);
    assert_eq!(s.machine.uid(), 1000);
    assert_eq!(s.machine.index(), scenario::IndexKind::Radix);
    let procs: Vec<&str> = s.procs.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(procs, ["producer", "consumer"]);
    assert_eq!(s.steps[0].call.map(|c| c.name), Some("shm_open"));
    assert_eq!(s.steps[2].call.map(|c| c.name), Some("mmap"));
    let exp = s.steps[3].expect.as_ref().unwrap();
    let names: Vec<String> = exp.value.iter().map(|e| e.observable.to_string()).collect();
    assert_eq!(names, ["pte.ptr", "meminfo.Shmem"]);
    assert_eq!(exp.value[1].value, scenario::ExpectValue::Bytes(4096));
    // A span inside `do` maps back into the file exactly.
    let step = &s.steps[0];
    let call = step.stmt.kind.call().unwrap();
    let flags = step.file_span(call.args[1].span);
    assert_eq!(
        &CONTRACT_EXAMPLE[flags.start..flags.end],
        "O_CREAT | O_RDWR"
    );
}

/// A scenario that makes every call of the contract (and the extensions),
/// with expectations of every kind of observable.
const EVERY_CALL: &str = r#"title = "Every call of the statement language"
about = "Loads cleanly; it exercises the front end, not the model."
procs = ["writer", "reader"]

[machine]
ram = "64 MiB"
swap = "32 MiB"
dev_shm = "16 MiB"
index = "xarray"
uid = 1000

# ---- files
[[step]]
proc = "writer"
do = 'fd = open("/tmp/data", O_CREAT | O_RDWR | O_TRUNC, 0644)'
expect = { ret = 3 }

[[step]]
proc = "writer"
do = 'write(fd, "hello, page cache\n")'
expect = { ret = 18 }

[[step]]
proc = "writer"
do = 'pwrite(fd, "X", 4096)'

[[step]]
proc = "writer"
do = "fsync(fd)"

[[step]]
proc = "writer"
do = "lseek(fd, 0, SEEK_SET)"

[[step]]
proc = "writer"
do = "read(fd, 5)"
expect = { out = "hello" }

[[step]]
proc = "writer"
do = "pread(fd, 4, 7)"
expect = { out = "page", cache."/tmp/data" = "PP" }

[[step]]
proc = "writer"
do = "ftruncate(fd, 2 * PAGE_SIZE)"

[[step]]
proc = "writer"
do = "close(fd)"

[[step]]
proc = "writer"
do = 'unlink("/tmp/data")'

[[step]]
proc = "writer"
do = 'tmpl = "/tmp/plasmaXXXXXX"'

[[step]]
proc = "writer"
do = "tfd = mkstemp(tmpl)"

[[step]]
proc = "writer"
do = "unlink(tmpl);"

# ---- POSIX shm
[[step]]
proc = "writer"
do = 'name = "/OS"'

[[step]]
proc = "writer"
do = "sfd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, S_IRUSR | S_IWUSR)"
say = "glibc adds O_NOFOLLOW | O_CLOEXEC and opens /dev/shm/OS."

[[step]]
proc = "writer"
do = 'shm_open("/OS", O_CREAT | O_EXCL | O_RDWR, 0600)'
expect = { ret = -1, errno = "EEXIST" }

[[step]]
proc = "writer"
do = "ftruncate(sfd, 4 * PAGE_SIZE)"
expect = { data."/dev/shm/OS" = "----", df."/dev/shm" = "0 kB" }

[[step]]
proc = "writer"
do = "ptr = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0)"
expect = { pte.ptr = "----", core.ptr = "0000" }

[[step]]
proc = "writer"
do = 'memcpy(ptr, "Studying Operating Systems Is Fun!", 34)'
expect = { pte.ptr = "P---", meminfo.Shmem = "+4 kB", meminfo.Cached = "+4 kB", cache.ptr = "P---" }
quiz = { ask = "How many pages does this touch?", choices = ["none", "one", "four"], answer = 2 }

[[step]]
proc = "writer"
do = "memset(ptr + PAGE_SIZE, 'x', 16)"

[[step]]
proc = "writer"
do = "ptr[2 * PAGE_SIZE] = 'y'"

[[step]]
proc = "writer"
do = "c = ptr[0]"
expect = { out = "S" }

[[step]]
proc = "writer"
do = 'printf("%s|%c|%d|%x|%p|%ld|%u|%5.2s|100%%\n", ptr, c, 42, 0xff, ptr, -7L, 8, ptr)'

[[step]]
proc = "writer"
do = "msync(ptr, PAGE_SIZE, MS_SYNC | MS_INVALIDATE)"

[[step]]
proc = "writer"
do = "madvise(ptr, 4 * PAGE_SIZE, MADV_PAGEOUT)"
expect = { pte.ptr = "----", meminfo.SwapUsed = "+12 kB", "slot./dev/shm/OS.0" = "0x5 (swap type 0, offset 2)" }

[[step]]
proc = "writer"
do = "madvise(ptr, PAGE_SIZE, MADV_WILLNEED)"

[[step]]
proc = "writer"
do = "madvise(ptr, PAGE_SIZE, MADV_COLD)"

[[step]]
proc = "writer"
do = "madvise(ptr, PAGE_SIZE, MADV_DONTNEED)"

[[step]]
proc = "writer"
do = "madvise(ptr + 3 * PAGE_SIZE, PAGE_SIZE, MADV_REMOVE)"
expect = { data."/dev/shm/OS" = "ddd-" }

[[step]]
proc = "writer"
do = "mprotect(ptr, PAGE_SIZE, PROT_READ)"

[[step]]
proc = "writer"
do = 'send_fd("reader", sfd)'

[[step]]
proc = "reader"
do = "rfd = recv_fd()"

[[step]]
proc = "reader"
do = "rptr = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, rfd, 0)"

[[step]]
proc = "reader"
do = 'printf("%s", rptr)'
expect = { out = "Studying Operating Systems Is Fun!" }

[[step]]
proc = "reader"
do = "munmap(rptr, PAGE_SIZE)"
expect = { pte.rptr = "none" }

[[step]]
proc = "writer"
do = 'shm_unlink("/OS")'

# ---- System V
[[step]]
proc = "writer"
do = 'key = ftok("/tmp", 65)'

[[step]]
proc = "writer"
do = "id = shmget(key, 2 * PAGE_SIZE, IPC_CREAT | IPC_EXCL | 0600)"
expect = { shm.id.nattch = 0, shm.id.size = 8192, shm.id.perms = "600", shm.id.cpid = "writer", shm.id.key = "key" }

[[step]]
proc = "writer"
do = "seg = shmat(id, NULL, 0)"
expect = { shm.id.nattch = 1, shm.id.lpid = "writer" }

[[step]]
proc = "writer"
do = "seg[0] = 'A'"
expect = { shm.id.rss = "4 kB", shm.id.swap = 0, smaps.seg.Rss = "4 kB", smaps.seg.Shared_Dirty = "0 kB" }

[[step]]
proc = "writer"
do = "shmctl(id, IPC_STAT, &buf)"

[[step]]
proc = "writer"
do = 'printf("%d %d %o", buf.shm_nattch, buf.shm_segsz, buf.shm_perm.mode)'
expect = { out = "1 8192 600" }

[[step]]
proc = "writer"
do = "buf.shm_perm.mode = 0640"

[[step]]
proc = "writer"
do = "shmctl(id, IPC_SET, &buf)"
expect = { shm.id.perms = "640" }

[[step]]
proc = "writer"
do = "shmctl(0, IPC_INFO, &info)"

[[step]]
proc = "writer"
do = 'printf("%lu", info.shmmax)'

[[step]]
proc = "writer"
do = "shmctl(0, SHM_INFO, &usage)"

[[step]]
proc = "writer"
do = 'printf("%d", usage.used_ids)'

[[step]]
proc = "reader"
do = 'rkey = ftok("/tmp", 65)'

[[step]]
proc = "reader"
do = "rid = shmget(rkey, 0, 0)"

[[step]]
proc = "reader"
do = "rseg = shmat(rid, NULL, SHM_RDONLY)"

[[step]]
proc = "reader"
do = "ch = rseg[0]"
expect = { out = "A" }

[[step]]
proc = "reader"
do = "shmdt(rseg)"

[[step]]
proc = "writer"
do = "shmdt(seg)"

[[step]]
proc = "writer"
do = "shmctl(id, IPC_RMID, NULL)"
expect = { shm.id = "none" }

# ---- processes
[[step]]
proc = "writer"
do = "anon = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)"

[[step]]
proc = "writer"
do = "child = fork()"

[[step]]
proc = "child"
do = "anon[0] = 'c'"

[[step]]
proc = "child"
do = "exit(0)"

[[step]]
proc = "writer"
do = "v = anon[0]"
expect = { out = "c" }

[[step]]
proc = "writer"
do = "priv = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"

[[step]]
proc = "writer"
do = "priv[0] = 'p'"
expect = { pte.priv = "P", meminfo.AnonPages = "+4 kB" }

# ---- mincore
[[step]]
proc = "writer"
do = "mincore(ptr, 4 * PAGE_SIZE)"
expect = { ret = 0 }

# ---- mremap
[[step]]
proc = "writer"
do = "moved = mremap(priv, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_MAYMOVE)"
expect = { pte.moved = "P-" }

# ---- fstat, stat
[[step]]
proc = "writer"
do = "fstat(sfd, &st)"
expect = { ret = 0 }

[[step]]
proc = "writer"
do = 'stat("/dev/shm/OS", &st)'

[[step]]
proc = "writer"
do = 'printf("%d", st.st_size)'
expect = { out = "16384" }

# ---- memfd, fcntl
[[step]]
proc = "writer"
do = 'mfd = memfd_create("ring", MFD_CLOEXEC | MFD_ALLOW_SEALING)'

[[step]]
proc = "writer"
do = "fcntl(mfd, F_ADD_SEALS, F_SEAL_GROW)"
expect = { ret = 0 }

# ---- users, limits, locks, time
[[step]]
proc = "writer"
do = "old = umask(077)"
expect = { ret = 18 }

[[step]]
proc = "writer"
do = "fchmod(sfd, 0640)"
expect = { ret = 0 }

[[step]]
proc = "writer"
do = "setrlimit(RLIMIT_NOFILE, 64, RLIM_INFINITY)"
expect = { ret = -1, errno = "EPERM" }

[[step]]
proc = "writer"
do = "mlock(ptr, PAGE_SIZE)"
expect = { ret = 0, status.VmLck = "4 kB" }

[[step]]
proc = "writer"
do = "munlock(ptr, PAGE_SIZE)"
expect = { status.VmLck = "0 kB" }

[[step]]
proc = "writer"
do = "mlockall(MCL_FUTURE | MCL_ONFAULT)"

[[step]]
proc = "writer"
do = "munlockall()"

[[step]]
proc = "writer"
do = "seteuid(1000)"

[[step]]
proc = "writer"
do = "setuid(0)"
expect = { ret = -1, errno = "EPERM" }

[[step]]
proc = "writer"
do = "sleep(1)"

# ---- machine-wide
[[step]]
do = "reclaim(16)"
expect = { meminfo.MemFree = "+64 kB" }

[[step]]
do = 'sysctl("kernel.shmmax", 1048576)'

[[step]]
do = "drop_caches(1)"

[[step]]
do = 'rm("/dev/shm/gone")'

# ---- look steps
[[step]]
do = 'free("-k")'

[[step]]
do = 'ipcs("-m")'

[[step]]
do = 'df("/dev/shm")'

[[step]]
do = 'cat("/proc/meminfo")'

[[step]]
do = 'cat("/proc/sysvipc/shm")'

[[step]]
do = 'ls("/dev/shm")'

[[step]]
do = 'pmap("writer")'

[[step]]
do = "smaps(writer, anon)"
expect = { smaps.anon.Rss = "4 kB", smaps.anon.Pss = "4 kB" }

# ---- a fault
[[step]]
proc = "reader"
do = "rptr[0] = 'z'"
expect = { signal = "SIGSEGV" }
"#;

#[test]
fn a_scenario_with_every_call_loads_cleanly() {
    let s = load_ok("every-call.toml", EVERY_CALL);
    let used: BTreeSet<&str> = s
        .steps
        .iter()
        .filter_map(|st| st.call.map(|c| c.name))
        .collect();
    let all: BTreeSet<&str> = calls::CALLS.iter().map(|c| c.name).collect();
    let missing: Vec<&&str> = all.difference(&used).collect();
    assert!(missing.is_empty(), "calls not exercised: {missing:?}");
    // fork created `child`, which exited.
    let child = s.processes.iter().find(|p| p.name == "child").unwrap();
    assert_eq!(child.parent.as_deref(), Some("writer"));
    assert!(child.created_at.is_some() && child.exited_at > child.created_at);
    assert_eq!(s.machine.index(), scenario::IndexKind::Xarray);
    let quiz = s.steps.iter().find_map(|st| st.quiz.as_ref()).unwrap();
    assert_eq!(quiz.choices[quiz.answer_index()].value, "one");
}

#[test]
fn a_file_that_cannot_be_read_is_a_diagnostic() {
    let path = malformed_dir().join("no-such-scenario.toml");
    let Err(d) = scenario::load_file(&path) else {
        panic!("loaded a file that does not exist")
    };
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.starts_with("cannot read `"),
        "{}",
        d[0].message
    );
    assert_eq!((d[0].line, d[0].col), (1, 1));
    let shown = render_diagnostics(&d, "", false);
    assert_eq!(
        shown,
        format!("error: {}\n --> {}:1:1\n", d[0].message, path.display())
    );
}

#[test]
fn machine_defaults() {
    let s = load_ok(
        "defaults.toml",
        "title = \"t\"\n[[step]]\ndo = 'free(\"-k\")'\n",
    );
    assert_eq!(s.machine.ram_bytes(), 64 << 20);
    assert_eq!(s.machine.swap_bytes(), 0);
    assert_eq!(s.machine.dev_shm_bytes(), 32 << 20);
    assert_eq!(s.machine.uid(), 1000);
    let s = load_ok(
        "root.toml",
        "title = \"t\"\n[machine]\nuid = 0\nram = \"1 GiB\"\nswap = \"0\"\n",
    );
    assert_eq!(s.machine.uid(), 0);
    assert_eq!(s.machine.swap_bytes(), 0);
    assert_eq!(s.machine.dev_shm_bytes(), 512 << 20);
}

#[test]
fn errors_point_into_basic_strings_past_escapes() {
    // In a basic string, `\"` is two characters of the file and one of `do`.
    let src = "title = \"t\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = \"fd = open(\\\"/tmp/x\\\", O_RDWRR)\"\n";
    let Err(d) = load_str("f.toml", src) else {
        panic!("loaded")
    };
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].line, d[0].col, d[0].span_len), (5, 29, 7));
    let line = src.lines().nth(4).unwrap();
    assert_eq!(&line[28..35], "O_RDWRR");
}

fn basic_toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn scenario_with_do(stmt: &str, literal: bool) -> String {
    let quoted = if literal && !stmt.contains('\'') && !stmt.chars().any(char::is_control) {
        format!("'{stmt}'")
    } else {
        basic_toml_string(stmt)
    };
    format!(
        "title = \"fuzz\"\nprocs = [\"p\", \"q\"]\n[[step]]\nproc = \"p\"\ndo = 'ptr = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0)'\n[[step]]\nproc = \"p\"\ndo = {quoted}\nexpect = {{ pte.ptr = \"P\" }}\n"
    )
}

/// Renders, and checks every diagnostic's position lies in the file.
fn load_and_render(name: &str, src: &str) {
    if let Err(d) = load_str(name, src) {
        assert!(!d.is_empty());
        let lines = src.split('\n').count();
        for x in &d {
            assert!(x.line >= 1 && x.line <= lines, "{x:?}");
            assert!(x.col >= 1, "{x:?}");
        }
        let _ = render_diagnostics(&d, src, true);
        let _ = render_diagnostics(&d, src, false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_string_as_do_never_panics(stmt in any::<String>(), literal in any::<bool>()) {
        let src = scenario_with_do(&stmt, literal);
        load_and_render("fuzz.toml", &src);
    }

    #[test]
    fn statement_like_strings_never_panic(
        stmt in r#"[a-zA-Z_0-9 ()\[\],=|+*&.;'"\\%/<>~^-]{0,48}"#,
        literal in any::<bool>(),
    ) {
        let _ = scenario::parser::parse_stmt(&stmt);
        load_and_render("fuzz.toml", &scenario_with_do(&stmt, literal));
    }

    #[test]
    fn calls_with_arbitrary_arguments_never_panic(
        call in proptest::sample::select(calls::CALLS.iter().map(|c| c.name).collect::<Vec<_>>()),
        args in proptest::collection::vec(
            r#"(ptr|fd|-1|0|0x10|0666|"/OS"|'x'|NULL|O_CREAT|PROT_READ|&buf|ptr \+ 1|p|"%s %d %q")"#, 0..7),
        bind in any::<bool>(),
    ) {
        let stmt = format!("{}{call}({})", if bind { "x = " } else { "" }, args.join(", "));
        load_and_render("fuzz.toml", &scenario_with_do(&stmt, true));
    }

    #[test]
    fn any_bytes_as_a_file_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        match load_bytes("fuzz.toml", &bytes) {
            Ok(_) => {}
            Err(d) => {
                prop_assert!(!d.is_empty());
                let _ = render_diagnostics(&d, &String::from_utf8_lossy(&bytes), false);
            }
        }
    }

    #[test]
    fn toml_like_files_never_panic(src in r#"(title = "t"\n|procs = \["p"\]\n|\[machine\]\n|ram = "[0-9]{1,3} [kMG]i?B"\n|\[\[step\]\]\n|proc = "p"\n|do = '[a-z_(), "0-9=\[\]]{0,20}'\n|expect = \{ [a-z.]{1,12} = "[A-Za-z0-9 +-]{0,6}" \}\n|quiz = \{ ask = "a", choices = \["x"\], answer = [0-9] \}\n){0,12}"#) {
        load_and_render("fuzz.toml", &src);
    }
}

#[test]
fn toml_errors_are_placed_in_characters() {
    let src = "title = \"共享\" x\n";
    let Err(d) = load_str("f.toml", src) else {
        panic!("loaded")
    };
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.starts_with("TOML syntax: "),
        "{}",
        d[0].message
    );
    // `x` is the 14th character of the line.
    assert_eq!((d[0].line, d[0].col), (1, 14));
}

// ---- C expressions: what the checker refuses, at its line and column ----

/// The diagnostics of a scenario whose process `p` makes `stmts`, one step
/// each (step N's `do` is on line 3 + 3N).
fn diagnostics_of(stmts: &[&str]) -> String {
    let mut src = String::from("title = \"t\"\nprocs = [\"p\"]\n");
    for st in stmts {
        src.push_str(&format!(
            "[[step]]\nproc = \"p\"\ndo = {}\n",
            basic_toml_string(st)
        ));
    }
    match load_str("c.toml", &src) {
        Ok(_) => "(loaded)".into(),
        Err(d) => render_diagnostics(&d, &src, false),
    }
}

const OPEN: &str = r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#;

#[test]
fn a_constant_divisor_of_zero_is_division_by_zero_at_the_divisor() {
    let d = diagnostics_of(&["n = 4096 / (PAGE_SIZE - 4096)"]);
    assert!(
        d.starts_with("error: division by zero\n --> c.toml:5:18\n"),
        "{d}"
    );
    assert!(d.contains("`/` by zero raises SIGFPE"), "{d}");
}

#[test]
fn a_constant_modulo_by_zero_is_division_by_zero() {
    let d = diagnostics_of(&[OPEN, r#"write(fd, "abc", 7 % 0)"#]);
    assert!(
        d.starts_with("error: division by zero\n --> c.toml:8:30\n"),
        "{d}"
    );
}

#[test]
fn long_min_divided_by_minus_one_is_a_diagnostic() {
    let d = diagnostics_of(&["n = (-9223372036854775807 - 1) / -1"]);
    assert!(
        d.starts_with("error: integer overflow in division\n"),
        "{d}"
    );
}

#[test]
fn a_divisor_known_only_at_run_time_is_no_diagnostic() {
    assert_eq!(
        diagnostics_of(&["z = 0", "n = 10 / z", "m = 10 % z"]),
        "(loaded)"
    );
}

#[test]
fn a_constant_shift_count_out_of_0_to_63_is_a_diagnostic() {
    let d = diagnostics_of(&["a = 1 << 64", "b = 1 >> -1", "c = 1 << 63"]);
    assert!(
        d.contains("error: left shift count >= width of type\n --> c.toml:5:16\n"),
        "{d}"
    );
    assert!(
        d.contains("error: right shift count is negative\n --> c.toml:8:16\n"),
        "{d}"
    );
    assert_eq!(d.matches("error:").count(), 2, "{d}");
}

#[test]
fn a_write_count_past_the_end_of_the_string_is_a_diagnostic() {
    let d = diagnostics_of(&[
        OPEN,
        r#"msg = "abc""#,
        "write(fd, msg, sizeof(msg) + 1)",
        "write(fd, msg, sizeof(msg))",
    ]);
    assert!(
        d.starts_with("error: `write` would read past the end of the string\n --> c.toml:11:22\n"),
        "{d}"
    );
    assert!(d.contains("5 bytes, but the string has 4"), "{d}");
    assert_eq!(d.matches("error:").count(), 1, "{d}");
}

#[test]
fn a_negative_write_count_is_a_huge_size_t_past_the_string() {
    let d = diagnostics_of(&[OPEN, r#"write(fd, "abc", -1)"#]);
    assert!(d.contains("-1 is 18446744073709551615 as a size_t"), "{d}");
}

#[test]
fn sizeof_an_integer_name_is_a_diagnostic() {
    let d = diagnostics_of(&[OPEN, "n = sizeof(fd)"]);
    assert!(
        d.starts_with("error: `sizeof` of an integer value\n --> c.toml:8:17\n"),
        "{d}"
    );
}

#[test]
fn strlen_of_a_pointer_is_a_diagnostic() {
    let d = diagnostics_of(&[
        "p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
        "n = strlen(p)",
    ]);
    assert!(
        d.starts_with("error: `strlen` of a pointer would read memory inside an expression\n --> c.toml:8:18\n"),
        "{d}"
    );
}

#[test]
fn strlen_on_its_own_is_a_statement_that_does_nothing() {
    let d = diagnostics_of(&[r#"strlen("abc")"#]);
    assert!(d.starts_with("error: this statement does nothing\n"), "{d}");
    assert_eq!(calls::instead_of("strlen"), None);
    assert_eq!(calls::instead_of("sizeof"), None);
}

#[test]
fn a_cast_to_an_unknown_type_is_a_diagnostic() {
    let d = diagnostics_of(&["n = (unsigned float) 1"]);
    assert!(
        d.starts_with("error: `float` is not a C type here\n --> c.toml:5:21\n"),
        "{d}"
    );
}

#[test]
fn a_number_cast_to_a_pointer_is_accepted_where_a_pointer_is_expected() {
    assert_eq!(
        diagnostics_of(&[
            "r = munmap((void *) 4096, 4096)",
            "id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)",
            "p = shmat(id, (void *) 0x7f0000000000, 0)",
            "q = (char *) p + 1",
            "m = msync((void *) -1, 4096, MS_SYNC)",
        ]),
        "(loaded)"
    );
    let d = diagnostics_of(&["r = munmap(4096, 4096)"]);
    assert!(
        d.starts_with("error: `addr` of `munmap` takes a pointer into a mapping\n"),
        "{d}"
    );
}

#[test]
fn a_comparison_with_something_that_is_not_a_constant_is_a_diagnostic_at_the_value() {
    let src = "title = \"t\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = 'fd = open(\"/tmp/f\", O_RDONLY)'\nexpect = { ret = \">= banana\" }\n";
    let d = render_diagnostics(&load_str("c.toml", src).expect_err("refused"), src, false);
    assert!(
        d.starts_with("error: `ret` compares with a constant C expression: `banana` is not a constant\n --> c.toml:6:18\n"),
        "{d}"
    );
}

#[test]
fn a_size_comparison_needs_a_size() {
    let src = "title = \"t\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = 'p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0)'\nexpect = { smaps.p.Rss = \"> lots\" }\n";
    let d = render_diagnostics(&load_str("c.toml", src).expect_err("refused"), src, false);
    assert!(
        d.starts_with("error: `smaps.p.Rss` compares with a size: "),
        "{d}"
    );
    assert!(d.contains("= help: write `> 8 kB`"), "{d}");
}

#[test]
fn comparisons_load_where_the_contract_has_numbers() {
    let src = "title = \"t\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = 'id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)'\nexpect = { ret = \"!= -1\", shm.id.nattch = \"== 0\", shm.id.size = \">= 4 kB\", meminfo.Shmem = \"<= +0 kB\", df.\"/dev/shm\" = \"< 1 kB\" }\n";
    let s = load_ok("cmp.toml", src);
    let e = &s.steps[0].expect.as_ref().expect("expect").value;
    assert_eq!(
        e[0].value,
        scenario::ExpectValue::Compare(
            scenario::CmpOp::Ne,
            Box::new(scenario::ExpectValue::Int(-1))
        )
    );
    assert_eq!(e.len(), 5);
}

/// `rm` is the shell's, a machine-wide step: a `proc` on it is an error at
/// the `proc` key, and a constant of a new family where another is wanted
/// is reported at its place.
#[test]
fn rm_with_a_proc_is_an_error_at_the_proc() {
    let src = "title = \"t\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = 'rm(\"/dev/shm/a\")'\n";
    let Err(d) = load_str("f.toml", src) else {
        panic!("loaded")
    };
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].message, "`rm` is machine-wide: it takes no `proc`");
    assert_eq!((d[0].line, d[0].col), (4, 8));
}

#[test]
fn a_seal_constant_is_not_an_mmap_flag() {
    let src = "title = \"t\"\nprocs = [\"p\"]\n[[step]]\nproc = \"p\"\ndo = 'm = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | F_SEAL_WRITE, -1, 0)'\n";
    let Err(d) = load_str("f.toml", src) else {
        panic!("loaded")
    };
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("F_SEAL_WRITE"), "{d:?}");
    assert_eq!(d[0].line, 5);
}
