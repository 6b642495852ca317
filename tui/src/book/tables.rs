//! The reference tables the code knows: the calls of the statement
//! language (`sim::scenario::calls`), its constants (`consts`), the
//! observables (`expect`) and the divergences `compare` allows.

use super::{file, Output};
use sim::compare::ALLOWLIST;
use sim::scenario::calls::{Scope, Sys, CALLS, PROC_FILES, SYSCTLS};
use sim::scenario::consts::{Family, CONSTANTS, ERRNO_NAMES, SIGNAL_NAMES};
use sim::scenario::expect::{MeminfoField, ShmField, SmapsField, StatusField};
use std::fmt::Write;

/// Every table, as files in `book/src/gen/`.
pub fn all() -> Vec<Output> {
    vec![
        file("book/src/gen/calls.md", calls()),
        file("book/src/gen/constants.md", constants()),
        file("book/src/gen/observables.md", observables()),
        file("book/src/gen/allowlist.md", allowlist()),
    ]
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn code_list(names: &[&str]) -> String {
    let v: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    v.join(", ")
}

fn calls() -> String {
    let mut p = String::from(
        "| group | call | as C declares it | made by | errnos |\n| --- | --- | --- | --- | --- |\n",
    );
    for c in CALLS {
        let by = match c.scope {
            Scope::Process => "a process (`proc`)",
            // The shell's `rm` runs on the run's own /dev/shm in real runs.
            Scope::Machine if c.sys == Sys::rm => "the machine (no `proc`; as root)",
            Scope::Machine => "the machine (no `proc`; sim only in real runs)",
            Scope::Look => "a look step (no `proc`, no side effect)",
        };
        let errnos: Vec<&str> = c.errnos.iter().map(|e| e.name()).collect();
        let _ = writeln!(
            p,
            "| {} | `{}` | `{}` | {by} | {} |",
            c.group,
            cell(&c.usage()),
            cell(c.proto),
            code_list(&errnos)
        );
    }
    let _ = writeln!(
        p,
        "\n`sysctl` sets {}; `cat` renders {} the way the kernel does (any other absolute path is a file whose bytes it prints).",
        code_list(SYSCTLS),
        code_list(PROC_FILES)
    );
    p
}

const FAMILIES: &[Family] = &[
    Family::Open,
    Family::Mode,
    Family::Prot,
    Family::Map,
    Family::Msync,
    Family::Mremap,
    Family::Mcl,
    Family::Madv,
    Family::IpcFlag,
    Family::IpcKey,
    Family::IpcCmd,
    Family::Shmat,
    Family::Seek,
    Family::Rlimit,
    Family::Fcntl,
    Family::FdFlag,
    Family::Seal,
    Family::Memfd,
    Family::Value,
];

fn constants() -> String {
    let mut p = String::from("| where it goes | constants (x86_64 values) |\n| --- | --- |\n");
    for &fam in FAMILIES {
        let v: Vec<String> = CONSTANTS
            .iter()
            .filter(|c| c.family == fam)
            .map(|c| {
                if matches!(fam, Family::Open | Family::Mode | Family::IpcFlag) {
                    format!("`{}` = {:#o}", c.name, c.value)
                } else if c.value > 0xffff {
                    format!("`{}` = {:#x}", c.name, c.value)
                } else {
                    format!("`{}` = {}", c.name, c.value)
                }
            })
            .collect();
        let _ = writeln!(p, "| {} | {} |", fam.describe(), v.join(", "));
    }
    let _ = writeln!(
        p,
        "\n`expect = {{ errno = \"...\" }}` takes any of the {} errno names of x86_64 Linux, \
         `signal` any of the {} signal names ({}, ...).",
        ERRNO_NAMES.len(),
        SIGNAL_NAMES.len(),
        code_list(&SIGNAL_NAMES[..4])
    );
    p
}

fn observables() -> String {
    let rows: &[(&str, &str, String)] = &[
        (
            "`ret`, `errno`, `signal`",
            "the call's result",
            "`3`, `\"EEXIST\"`, `\"SIGSEGV\"`".into(),
        ),
        (
            "`out`",
            "what `printf`, `read`, `c = p[i]` or a look step printed",
            "text".into(),
        ),
        (
            "`pte.NAME`",
            "per page of mapping NAME: `P` present, `s` swap entry, `-` none",
            "`\"PP-s\"`".into(),
        ),
        (
            "`core.NAME`",
            "per page of mapping NAME: `mincore` residency",
            "`\"1100\"`".into(),
        ),
        (
            "`data.PATH`",
            "per page of a tmpfs file: `d` data (RAM or swap), `-` hole",
            "`\"dd-\"`".into(),
        ),
        (
            "`smaps.NAME.FIELD`",
            "the mapping's `/proc/PID/smaps` line",
            code_list(SmapsField::NAMES),
        ),
        (
            "`shm.NAME.FIELD`",
            "the segment's `/proc/sysvipc/shm` column (`shm.NAME` alone only with `\"none\"`)",
            code_list(ShmField::NAMES),
        ),
        (
            "`meminfo.FIELD`",
            "change since the scenario began, `\"+8 kB\"`",
            code_list(MeminfoField::NAMES),
        ),
        (
            "`status.FIELD`",
            "the step's process's `/proc/PID/status` line, `\"8 kB\"`",
            code_list(StatusField::NAMES),
        ),
        (
            "`df.PATH`",
            "blocks used on that tmpfs by the scenario's files",
            "`\"8 kB\"`".into(),
        ),
        (
            "`cache.PATH`",
            "sim only: per page index, `P` page, `x` exceptional entry, `-` empty",
            "`\"Px-\"`".into(),
        ),
        (
            "`slot.PATH.N`",
            "sim only: the raw word in slot N, with its decoding",
            "`\"0x6\"`".into(),
        ),
        (
            "`maps.NAME`",
            "the permissions `/proc/PID/maps` prints for the mapping (read when expected)",
            "`\"rw-s\"`, `\"r--p\"`, `\"---p\"`".into(),
        ),
        (
            "`pte.NAME[N]`, `core.NAME[N]`, `data.PATH[N]`, `cache.PATH[N]`",
            "page N of a per-page string (a quoted key: `\"pte.p[3]\"`)",
            "`\"P\"`, `\"1\"`, `\"d\"`".into(),
        ),
    ];
    let mut p = String::from("| name | what | values or fields |\n| --- | --- | --- |\n");
    for (n, what, v) in rows {
        let _ = writeln!(p, "| {n} | {what} | {} |", cell(v));
    }
    p
}

fn allowlist() -> String {
    let mut p = String::from("| observable | why it may differ on the host |\n| --- | --- |\n");
    for a in ALLOWLIST {
        let _ = writeln!(p, "| `{}` | {} |", a.observable, cell(a.reason));
    }
    let _ = writeln!(
        p,
        "\nMachine-wide counters (`meminfo`, `df`) also agree within {} kB \
         (`compare --tolerance`): the host's own programs move them.",
        sim::compare::DEFAULT_TOLERANCE_KB
    );
    p
}
