//! Names hold C's values (issue #10, part 1): what `name = call(...)` leaves
//! in `name` is what the C variable would hold, later steps use that value,
//! a name bound to a mapping that was unmapped no longer names it, and a
//! process that has ended makes no more calls.

use sim::runner::{Run, StepOutcome};

/// Plays `steps` (TOML `[[step]]` tables) by processes `procs`.
fn play(procs: &[&str], steps: &str) -> Vec<StepOutcome> {
    let list: Vec<String> = procs.iter().map(|p| format!("{p:?}")).collect();
    let src = format!(
        "title = \"c values\"\nprocs = [{}]\n[machine]\nram = \"64 MiB\"\nswap = \"0\"\n{steps}",
        list.join(", ")
    );
    let s = sim::scenario::load_str("c-values.toml", &src).unwrap_or_else(|d| {
        panic!(
            "does not load:\n{}",
            sim::scenario::render_diagnostics(&d, &src, false)
        )
    });
    Run::new(&s).run_all()
}

fn step(proc_: &str, do_: &str) -> String {
    format!("[[step]]\nproc = {proc_:?}\ndo = {do_:?}\n")
}

fn steps(proc_: &str, list: &[&str]) -> String {
    list.iter().map(|d| step(proc_, d)).collect()
}

/// The `out` of the step whose statement is `do_`.
fn out_of<'a>(o: &'a [StepOutcome], do_: &str) -> &'a str {
    &o.iter().find(|s| s.do_ == do_).expect("the step").out
}

#[test]
fn write_lseek_and_read_results_are_the_integers_they_return() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#,
                r#"n = write(fd, "abcdef")"#,
                r#"printf("%d", n)"#,
                "off = lseek(fd, 2, SEEK_SET)",
                r#"printf("%d", off)"#,
                "m = read(fd, 10)",
                r#"printf("%d", m)"#,
                "r = close(fd)",
                r#"printf("%d", r)"#,
            ],
        ),
    );
    assert_eq!(out_of(&o, r#"printf("%d", n)"#), "6");
    assert_eq!(out_of(&o, r#"printf("%d", off)"#), "2");
    assert_eq!(out_of(&o, r#"printf("%d", m)"#), "4");
    assert_eq!(out_of(&o, r#"printf("%d", r)"#), "0");
}

#[test]
fn shmctl_shm_stat_binds_the_id_it_returns() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "first = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)",
                "id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)",
                "r = shmctl(1, SHM_STAT, &ds)",
                r#"printf("%d %d", r, id)"#,
            ],
        ),
    );
    let stat = &o[2];
    assert_eq!(stat.result.errno, None, "{stat:?}");
    let printed = out_of(&o, r#"printf("%d %d", r, id)"#);
    let (r, id) = printed.split_once(' ').expect("two numbers");
    assert_eq!(r, id, "SHM_STAT returns the segment's id");
    assert_ne!(r, "0");
}

#[test]
fn a_failed_open_binds_minus_one_and_a_read_of_it_is_ebadf() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"fd = open("/missing", O_RDONLY)"#,
                r#"printf("%d", fd)"#,
                "read(fd, 10)",
            ],
        ),
    );
    assert_eq!(o[0].result.errno.map(|e| e.name()), Some("ENOENT"));
    assert_eq!(out_of(&o, r#"printf("%d", fd)"#), "-1");
    let read = &o[2];
    assert_eq!(
        (read.result.ret, read.result.errno.map(|e| e.name())),
        (Some(-1), Some("EBADF")),
        "read(-1, ...) fails with EBADF, not a read of fd 0"
    );
}

#[test]
fn a_failed_mmap_is_map_failed_and_a_failed_shmat_is_void_star_minus_one() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, 42, 0)",
                r#"printf("%p", p)"#,
                "q = shmat(12345, NULL, 0)",
                r#"printf("%p", q)"#,
            ],
        ),
    );
    assert_eq!(o[0].result.errno.map(|e| e.name()), Some("EBADF"));
    assert_eq!(out_of(&o, r#"printf("%p", p)"#), "0xffffffffffffffff");
    assert!(o[2].result.errno.is_some(), "{:?}", o[2]);
    assert_eq!(out_of(&o, r#"printf("%p", q)"#), "0xffffffffffffffff");
    // No observable of a mapping that was never made.
    assert!(!o[3].observables.keys().any(|k| k.starts_with("pte.")));
}

#[test]
fn a_name_of_an_unmapped_mapping_reads_none_even_when_a_new_mapping_takes_its_place() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "p[0] = 'x'",
                "munmap(p, 4096)",
                "q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "q[0] = 'y'",
            ],
        ),
    );
    let last = o.last().expect("steps");
    assert_eq!(
        o[3].result.ret, o[0].result.ret,
        "the new mapping takes the old addresses"
    );
    assert_eq!(last.observables["pte.q@a"], "P");
    assert_eq!(
        last.observables.get("pte.p@a"),
        None,
        "pte.p names the unmapped mapping, not q's pages: {:?}",
        last.observables
    );
    let unmapped = &o[2];
    assert!(
        unmapped
            .changes
            .iter()
            .any(|c| c.name == "pte.p@a" && c.after == "none"),
        "{:?}",
        unmapped.changes
    );
}

#[test]
fn the_pointer_still_holds_its_address_after_munmap_as_in_c() {
    // p[0] after a new mapping took p's addresses writes q's page, as in C.
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "munmap(p, 4096)",
                "q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "p[0] = 'z'",
                "c = q[0]",
                r#"printf("%c", c)"#,
            ],
        ),
    );
    assert_eq!(o[3].result.signal, None);
    assert_eq!(o.last().expect("steps").out, "z");
}

#[test]
fn a_partial_munmap_keeps_the_name_of_what_is_left() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "memset(p, 'x', 8192)",
                "munmap(p + 4096, 4096)",
            ],
        ),
    );
    assert_eq!(o.last().expect("steps").observables["pte.p@a"], "P-");
}

#[test]
fn shmdt_ends_the_name_of_the_attachment() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)",
                "p = shmat(id, NULL, 0)",
                "p[0] = 'x'",
                "shmdt(p)",
            ],
        ),
    );
    assert_eq!(o[2].observables["pte.p@a"], "P");
    assert_eq!(o[3].observables.get("pte.p@a"), None);
}

#[test]
fn a_step_of_a_process_a_fault_ended_does_not_run() {
    let mut s = steps(
        "a",
        &[
            "p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
            "p[0] = 'x'",
        ],
    );
    s.push_str(&step("a", r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#));
    let o = play(&["a"], &s);
    assert_eq!(o[1].result.signal.map(|s| s.name()), Some("SIGSEGV"));
    let after = &o[2];
    assert_eq!(
        (after.result.ret, after.result.errno),
        (None, None),
        "no call is made, so there is no result and no errno (not ESRCH)"
    );
    assert_eq!(
        after.not_run.as_deref(),
        Some("`a` was killed by SIGSEGV at step 2: a process that has ended runs no more code")
    );
    let text = sim::transcript::step_text(after, sim::transcript::Style::new(false));
    assert!(
        text.contains("not run: `a` was killed by SIGSEGV at step 2"),
        "{text}"
    );
    assert!(!text.contains("ESRCH"), "{text}");
}

#[test]
fn a_step_after_exit_is_a_checker_error_at_its_proc() {
    let src = "title = \"t\"\nprocs = [\"a\"]\n[[step]]\nproc = \"a\"\ndo = \"exit(0)\"\n\
               [[step]]\nproc = \"a\"\ndo = 'printf(\"%d\", 1)'\n";
    let d = sim::scenario::load_str("exited.toml", src).expect_err("a checker error");
    let text = sim::scenario::render_diagnostics(&d, src, false);
    assert!(text.contains("error: process `a` has exited"), "{text}");
    assert!(text.contains("--> exited.toml:7:8"), "{text}");
    assert!(text.contains("`a` called exit() at step 1"), "{text}");
}

// ---- C expressions: / % & << >>, casts, sizeof, strlen, write(fd, s, n) ----

/// The `out` of each `printf` step, in order.
fn printed(o: &[StepOutcome]) -> Vec<&str> {
    o.iter()
        .filter(|s| s.do_.starts_with("printf"))
        .map(|s| s.out.as_str())
        .collect()
}

#[test]
fn division_and_modulo_truncate_toward_zero_as_c_does() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"printf("%d %d %d %d", 7 / 2, -7 / 2, 7 % 3, -7 % 3)"#,
                r#"printf("%d", 4096 / PAGE_SIZE * 3 % 2)"#,
            ],
        ),
    );
    assert_eq!(printed(&o), ["3 -3 1 -1", "1"]);
}

#[test]
fn shifts_and_bitwise_and_have_c_precedence() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                // `+` binds tighter than `<<`, `<<` than `&`, `&` than `|`.
                r#"printf("%d", 1 << 2 + 1)"#,
                r#"printf("%d", 6 & 3 | 8)"#,
                r#"printf("%d", 0xff & 0x0f << 4)"#,
                r#"printf("%d %d", 256 >> 4, -16 >> 2)"#,
                r#"printf("%x", (PROT_READ | PROT_WRITE) & ~1)"#,
                r#"printf("%d", 5 ^ 3 | 8)"#,
            ],
        ),
    );
    assert_eq!(printed(&o), ["8", "10", "240", "16 -4", "2", "14"]);
}

#[test]
fn overflow_wraps_as_a_64_bit_long() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"printf("%d", 9223372036854775807 + 1)"#,
                r#"printf("%d", 0x4000000000000000 * 4)"#,
                r#"printf("%d", 1 << 63)"#,
            ],
        ),
    );
    assert_eq!(
        printed(&o),
        ["-9223372036854775808", "0", "-9223372036854775808"]
    );
}

#[test]
fn a_shift_count_known_only_at_run_time_is_masked_as_x86_masks_it() {
    let o = play(
        &["a"],
        &steps("a", &["c = 65", r#"printf("%d %d", 1 << c, 256 >> c)"#]),
    );
    assert_eq!(printed(&o), ["2 128"]);
}

#[test]
fn a_division_by_zero_at_run_time_is_sigfpe_and_the_process_runs_no_more() {
    let o = play(
        &["a"],
        &steps("a", &["z = 0", "n = 10 / z", r#"printf("%d", n)"#]),
    );
    let div = &o[1];
    assert_eq!(div.result.signal, Some(sim::errno::Signal::SIGFPE));
    assert_eq!((div.result.ret, div.result.errno), (None, None));
    assert_eq!(
        o[2].not_run.as_deref(),
        Some("`a` was killed by SIGFPE at step 2: a process that has ended runs no more code")
    );
    let text = sim::transcript::step_text(div, sim::transcript::Style::new(false));
    assert!(text.contains("killed by SIGFPE"), "{text}");
}

#[test]
fn a_modulo_by_zero_in_a_call_argument_kills_before_the_call_is_made() {
    let o = play(
        &["a", "b"],
        &[
            step("a", r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#),
            step("a", "z = 0"),
            step("a", r#"write(fd, "abc", 3 % z)"#),
            step("b", r#"fd = open("/tmp/f", O_RDONLY)"#),
            step("b", "n = read(fd, 10)"),
        ]
        .concat(),
    );
    assert_eq!(o[2].result.signal.map(|s| s.name()), Some("SIGFPE"));
    assert!(
        !o[2]
            .trace
            .iter()
            .any(|t| format!("{t:?}").contains("vfs_write")),
        "{:?}",
        o[2].trace
    );
    assert_eq!(o[4].result.ret, Some(0), "nothing was written");
}

#[test]
fn sigfpe_is_signal_8_floating_point_exception() {
    let s = sim::errno::Signal::SIGFPE;
    assert_eq!((s.number(), s.name()), (8, "SIGFPE"));
    assert_eq!(s.text(), "Floating point exception");
    assert_eq!(sim::errno::Signal::from_name("SIGFPE"), Some(s));
}

#[test]
fn sizeof_a_string_counts_its_nul_and_strlen_does_not() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"msg = "hello""#,
                r#"printf("%d %d", sizeof(msg), strlen(msg))"#,
                r#"printf("%d %d %d", sizeof("ab"), sizeof "", strlen("a\0b"))"#,
                r#"printf("%d", sizeof("a\0b"))"#,
            ],
        ),
    );
    assert_eq!(printed(&o), ["6 5", "3 1 1", "4"]);
}

#[test]
fn strlen_is_an_integer_wherever_one_is_expected() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"msg = "Studying Operating Systems Is Fun!""#,
                "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                "memcpy(p, msg, strlen(msg) + 1)",
                r#"printf("%s", p)"#,
                "n = strlen(msg)",
                r#"printf("%d", n)"#,
            ],
        ),
    );
    assert_eq!(printed(&o), ["Studying Operating Systems Is Fun!", "34"]);
}

#[test]
fn sizeof_a_struct_a_pointer_and_a_type_is_the_x86_64_size() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)",
                "shmctl(id, IPC_STAT, &ds)",
                "p = shmat(id, NULL, 0)",
                r#"printf("%d %d %d", sizeof(ds), sizeof(struct shmid_ds), sizeof p)"#,
                r#"printf("%d %d %d %d", sizeof(int), sizeof(long), sizeof(char), sizeof(void *))"#,
                "shmctl(0, IPC_INFO, &info)",
                r#"printf("%d", sizeof(info))"#,
            ],
        ),
    );
    assert_eq!(printed(&o), ["112 112 8", "4 8 1 8", "72"]);
}

#[test]
fn a_number_cast_to_a_pointer_is_an_address() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                "p = mmap((void *) 0x7f0000000000, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)",
                r#"printf("%p", p)"#,
                "q = (char *) p + 1",
                "q[0] = 'x'",
                "c = p[1]",
                r#"printf("%c", c)"#,
                "r = munmap((void *) 4097, 4096)",
                "r = munmap((void *) 4096, 4096)",
            ],
        ),
    );
    assert_eq!(o[0].result.errno, None, "{:?}", o[0].result);
    assert_eq!(printed(&o), ["0x7f0000000000", "x"]);
    assert_eq!(
        o[6].result.errno.map(|e| e.name()),
        Some("EINVAL"),
        "an address that is not page aligned"
    );
    assert_eq!(
        (o[7].result.ret, o[7].result.errno),
        (Some(0), None),
        "munmap of an aligned range that nothing maps succeeds, as on Linux"
    );
}

#[test]
fn integer_casts_truncate_as_c_converts() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"printf("%d %d %d", (int) 4294967297, (unsigned char) -1, (char) 200)"#,
                r#"printf("%d", (long) (void *) -1)"#,
                r#"printf("%p", (void *) -1)"#,
            ],
        ),
    );
    assert_eq!(printed(&o), ["1 255 -56", "-1", "0xffffffffffffffff"]);
}

#[test]
fn write_with_a_count_writes_exactly_that_many_bytes_nuls_included() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#,
                r#"n = write(fd, "a\0b", 3)"#,
                r#"m = write(fd, "cd", sizeof("cd"))"#,
                r#"k = write(fd, "xyz", 1)"#,
                "lseek(fd, 0, SEEK_SET)",
                "r = read(fd, 100)",
            ],
        ),
    );
    assert_eq!(
        (o[1].result.ret, o[2].result.ret, o[3].result.ret),
        (Some(3), Some(3), Some(1))
    );
    assert_eq!(o[5].out, "a\\0bcd\\0x");
}

#[test]
fn write_without_a_count_writes_strlen_bytes() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#,
                r#"n = write(fd, "ab\0cd")"#,
                "r = pread(fd, 100, 0)",
            ],
        ),
    );
    assert_eq!(o[1].result.ret, Some(2));
    assert_eq!(o[2].out, "ab");
}

#[test]
fn write_with_a_count_past_the_string_known_only_at_run_time_is_efault() {
    let o = play(
        &["a"],
        &steps(
            "a",
            &[
                r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#,
                "k = 10",
                r#"n = write(fd, "abc", k)"#,
                r#"printf("%d", n)"#,
            ],
        ),
    );
    assert_eq!(o[2].result.errno.map(|e| e.name()), Some("EFAULT"));
    assert_eq!(printed(&o), ["-1"]);
}

// ---- expect with C comparisons ----

fn step_expecting(proc_: &str, do_: &str, expect: &str) -> String {
    format!("[[step]]\nproc = {proc_:?}\ndo = {do_:?}\nexpect = {{ {expect} }}\n")
}

/// (expected, seen, ok) of the one check of step `i`.
fn check_of(o: &[StepOutcome], i: usize) -> (String, String, bool) {
    let c = &o[i].checks[0];
    (c.expected.clone(), c.seen.clone(), c.ok)
}

#[test]
fn expect_compares_ret_with_a_c_operator() {
    let o = play(
        &["a"],
        &[
            step_expecting(
                "a",
                r#"fd = open("/tmp/f", O_CREAT | O_RDWR, 0600)"#,
                r#"ret = ">= 0""#,
            ),
            step_expecting("a", r#"g = open("/tmp/f", O_RDONLY)"#, r#"ret = "< 0""#),
            step_expecting(
                "a",
                r#"n = write(fd, "abc")"#,
                r#"ret = "== strlen(\"abc\")""#,
            ),
            step_expecting("a", "close(fd)", r#"ret = "!= -1""#),
            step_expecting("a", "close(fd)", r#"ret = "<= -1""#),
            step_expecting("a", "close(99)", r#"ret = "> -1""#),
        ]
        .concat(),
    );
    assert_eq!(check_of(&o, 0), (">= 0".into(), "3".into(), true));
    assert_eq!(check_of(&o, 1), ("< 0".into(), "4".into(), false));
    assert_eq!(check_of(&o, 2), ("== 3".into(), "3".into(), true));
    assert_eq!(check_of(&o, 3), ("!= -1".into(), "0".into(), true));
    assert_eq!(check_of(&o, 4), ("<= -1".into(), "-1".into(), true));
    assert_eq!(check_of(&o, 5), ("> -1".into(), "-1".into(), false));
}

#[test]
fn expect_compares_a_pointer_with_map_failed_and_void_star_minus_one() {
    let o = play(
        &["a"],
        &[
            step_expecting(
                "a",
                "p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0)",
                r#"ret = "!= MAP_FAILED""#,
            ),
            step_expecting(
                "a",
                "q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, 42, 0)",
                r#"ret = "== (void *) -1""#,
            ),
            step_expecting("a", "r = shmat(12345, NULL, 0)", r#"ret = "(void *) -1""#),
            step_expecting("a", "s = shmat(12345, NULL, 0)", r#"ret = "MAP_FAILED""#),
        ]
        .concat(),
    );
    for i in 0..4 {
        assert!(check_of(&o, i).2, "{i}: {:?}", check_of(&o, i));
    }
    assert_eq!(check_of(&o, 1).0, "== -1");
}

#[test]
fn expect_compares_sizes_counts_and_meminfo_changes() {
    let o = play(
        &["a"],
        &[
            step("a", "id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600)"),
            step_expecting("a", "p = shmat(id, NULL, 0)", r#"shm.id.nattch = ">= 1""#),
            step_expecting("a", "p[0] = 'x'", r#"smaps.p.Rss = "> 0 kB""#),
            step_expecting("a", "p[4096] = 'y'", r#"meminfo.Shmem = ">= +8 kB""#),
            step_expecting("a", "c = p[0]", r#"shm.id.rss = "< 8 kB""#),
        ]
        .concat(),
    );
    assert_eq!(check_of(&o, 1), (">= 1".into(), "1".into(), true));
    assert_eq!(check_of(&o, 2), ("> 0 kB".into(), "4 kB".into(), true));
    assert_eq!(check_of(&o, 3), (">= +8 kB".into(), "+8 kB".into(), true));
    assert!(!check_of(&o, 4).2, "{:?}", check_of(&o, 4));
}

#[test]
fn an_out_that_starts_like_an_operator_is_still_the_text() {
    let o = play(
        &["a"],
        &step_expecting("a", r#"printf("%s", "> 1")"#, r#"out = "> 1""#),
    );
    assert_eq!(check_of(&o, 0), ("> 1".into(), "> 1".into(), true));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..proptest::prelude::ProptestConfig::default() })]

    /// Any arithmetic of hostile values, constant or bound at run time,
    /// loads with diagnostics or plays: a value, or SIGFPE; never a panic.
    #[test]
    fn hostile_arithmetic_never_panics(
        operands in proptest::collection::vec(
            proptest::sample::select(vec![
                "z", "m", "k", "n1", "0", "1", "-1", "63", "64", "65", "-64",
                "9223372036854775807", "(-9223372036854775807 - 1)", "sizeof(s)",
                "strlen(s)", "(int) m", "(unsigned char) n1", "(long) (void *) -1", "~z",
            ]),
            1..6,
        ),
        ops in proptest::collection::vec(
            proptest::sample::select(vec!["/", "%", "<<", ">>", "&", "|", "^", "+", "-", "*"]),
            5,
        ),
    ) {
        let mut e = String::from(operands[0]);
        for (i, x) in operands[1..].iter().enumerate() {
            e.push_str(&format!(" {} {x}", ops[i]));
        }
        let list = [
            "z = 0".to_string(),
            "m = -9223372036854775807 - 1".to_string(),
            "k = 64".to_string(),
            "n1 = -1".to_string(),
            r#"s = "ab""#.to_string(),
            format!(r#"printf("%d", {e})"#),
            format!("v = {e}"),
        ];
        let src = format!(
            "title = \"fuzz\"\nprocs = [\"a\"]\n{}",
            list.iter().map(|d| step("a", d)).collect::<String>()
        );
        if let Ok(s) = sim::scenario::load_str("fuzz.toml", &src) {
            let o = Run::new(&s).run_all();
            let p = &o[5];
            proptest::prop_assert!(
                p.result.signal.is_none() || p.result.signal == Some(sim::errno::Signal::SIGFPE),
                "{e}: {:?}",
                p.result
            );
        }
    }
}
