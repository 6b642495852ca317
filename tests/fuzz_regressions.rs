//! Every input `cargo fuzz` (fuzz/, issue #13) found to break the model, as
//! a named test that failed before its fix.

mod common;

use common::cases::load;
use sim::runner::Run;

/// Found by `play` (an out-of-memory, 4 GiB and growing): the smaps
/// observables kept one part per page table of each VMA's address range,
/// so a 64 TiB `PROT_NONE` reservation (legal: it commits nothing) cost 32
/// million parts on every step. Now only page tables holding a PTE have a
/// part, and the step costs what the mapping holds.
#[test]
fn smaps_of_a_64_tib_prot_none_reservation_costs_its_ptes_not_its_size() {
    let src = r#"title = "a 64 TiB reservation"
procs = ["a"]

[[step]]
proc = "a"
do = "p = mmap(NULL, 0x400000000000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)"

[[step]]
proc = "a"
do = "q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)"

[[step]]
proc = "a"
do = "memcpy(q, \"x\", 1)"

[[step]]
proc = "a"
do = "munmap(p, 0x400000000000)"
"#;
    let mut run = Run::new(load("reserve", src));
    let mut steps = 0;
    while let Some(out) = run.step() {
        assert_eq!(
            out.result.errno, None,
            "step {}: {:?}",
            out.step, out.result
        );
        run.kernel().check_invariants().unwrap();
        steps += 1;
    }
    assert_eq!(steps, 4);
}

/// Found by `play` twice (out of memory at 2 GiB, 3 Dec): a `pwrite` at an
/// offset near 2^48 makes a sparse memfd of 256 TiB, and a `read` (or
/// `pread`) of 2^60 bytes then built a buffer of all of it. A scenario's
/// read buffer is at most `READ_BUFFER_MAX` (64 MiB), as the real worker's
/// is: the read returns that many bytes of the hole.
#[test]
fn a_huge_read_of_a_huge_sparse_file_reads_one_buffer() {
    for read in [
        "n = read(fd, 2025524810614137957)",
        "n = pread(fd, 2025524810614137957, 0)",
    ] {
        let src = format!(
            r#"title = "a huge read"
procs = ["a"]

[machine]
ram = "128 kB"
swap = "64 kB"

[[step]]
proc = "a"
do = 'fd = memfd_create("tab", 0)'

[[step]]
proc = "a"
do = 'pwrite(fd, "hello", 0xffffffffffff)'

[[step]]
proc = "a"
do = '{read}'
"#
        );
        let out = Run::new(load("huge-read", &src)).run_all();
        assert_eq!(out[1].result.ret, Some(5), "{:?}", out[1].result);
        assert_eq!(
            out[2].result.ret,
            Some(sim::syscalls::READ_BUFFER_MAX as i64),
            "{read}: {:?}",
            out[2].result
        );
    }
}

/// Found by `statement` (a panic): `df("-Bی")`, a block size whose unit is
/// not ASCII, was cut one byte in, inside `ی`. Now the checker refuses it
/// as coreutils' df does, naming the argument.
#[test]
fn a_df_block_size_in_another_script_is_a_diagnostic() {
    let src = r#"title = "df in another script"

[[step]]
do = 'df("-Bی")'
"#;
    let diags = sim::scenario::load_str("df-unit.toml", src).expect_err("refused");
    let text = format!("{diags:?}");
    assert!(text.contains("invalid -B argument"), "{text}");
}
