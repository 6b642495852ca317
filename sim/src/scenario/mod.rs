//! The scenario language (`../shared/SCENARIOS.md`): loading a scenario file,
//! parsing the statement of each step, and checking the whole file before
//! anything runs.
//!
//! ```text
//!  file.toml ──toml──▶ tree (every key and value spanned)
//!                        │ schema: known keys, types, sizes, quiz
//!                        ▼
//!                      steps ──lexer+parser──▶ Stmt (spans into `do`)
//!                        │ check: processes, names, calls, arguments, expect
//!                        ▼
//!              Ok(Scenario)  or  Err(Vec<Diagnostic>)  (every error of the file)
//! ```
//!
//! Nothing here runs a step: the kernel model does that with the checked
//! [`Scenario`]. Nothing here panics on any input either: every problem is a
//! [`Diagnostic`] that points into the file (into the `do` string where the
//! problem is inside it) and renders like rustc's ([`render_diagnostics`]).
//!
//! # The statement language, as implemented
//!
//! The contract's forms, plus the few a C reader expects (each marked *ext*):
//!
//! | form | meaning |
//! | --- | --- |
//! | `call(args)` | a call; see [`calls::CALLS`] for every call and its arguments |
//! | `name = call(args)` | binds `name` in the process to the result |
//! | `p[i] = v` | stores the byte `v` at `p + i` |
//! | `c = p[i]` | loads the byte at `p + i` into `c` (and `out`) |
//! | `name = value` *ext* | a C local: `size = 4 * PAGE_SIZE`, `name = "/OS"` (a `char name[]`), `q = p + 8` |
//! | `buf.shm_perm.mode = 0600` *ext* | sets a field of a struct filled by `shmctl(.., IPC_STAT, &buf)` |
//!
//! A trailing `;` is allowed. Calls do not nest (`f(g(x))` is an error that
//! says to bind `g(x)` first), and a memory access `p[i]` is always a step of
//! its own, so that each step touches memory in exactly one place.
//!
//! Values: integers in C notation (`4096`, `0x1000`, octal `0666`), `'c'`,
//! `"strings"` with C escapes, the constants of [`consts::CONSTANTS`] (x86_64
//! Linux values), names bound earlier in the same process, `| + - *` with C
//! precedence, unary `-`, parentheses, and pointer arithmetic `p + n`, `p - n`.
//!
//! ## System V `shmctl` buffers
//!
//! `shmctl` takes its buffer the C way, with `&`:
//!
//! - `shmctl(id, IPC_STAT, &buf)` (also `SHM_STAT`, `SHM_STAT_ANY`) binds `buf`
//!   to a `struct shmid_ds` whose fields read as in C:
//!   `printf("%d", buf.shm_nattch)`, `buf.shm_segsz`, `buf.shm_cpid`,
//!   `buf.shm_lpid`, `buf.shm_perm.mode`, `buf.shm_perm.uid`, ...
//! - `buf.shm_perm.mode = 0600` then `shmctl(id, IPC_SET, &buf)`: `IPC_SET`
//!   needs a `buf` filled by an earlier `IPC_STAT`; it changes `shm_perm.uid`,
//!   `shm_perm.gid` and `shm_perm.mode`, the only fields that can be set.
//! - `shmctl(id, IPC_RMID, NULL)` (`SHM_LOCK`, `SHM_UNLOCK` alike) takes `NULL`,
//!   `0`, or any `&name`, which it leaves alone.
//! - `shmctl(0, IPC_INFO, &info)` binds a `struct shminfo` (`info.shmmax`,
//!   `shmmin`, `shmmni`, `shmseg`, `shmall`); `shmctl(0, SHM_INFO, &info)` a
//!   `struct shm_info` (`used_ids`, `shm_tot`, `shm_rss`, `shm_swp`,
//!   `swap_attempts`, `swap_successes`).
//!
//! ## Processes and names
//!
//! Names are per process, like C locals. `child = fork()` creates the
//! process `child` (a name no other process has), whose names are a copy of
//! its parent's (there `child` is 0; in the parent it is the child's pid);
//! later steps may use `proc = "child"`. After `exit(status)` a process and its
//! names are gone: no later step may be made by it, name it in `send_fd`,
//! `pmap` or `smaps`. `send_fd("other", fd)` queues `fd` for `other`, and
//! `fd = recv_fd()` there takes the oldest queued one; a `recv_fd` with nothing
//! queued is an error. A process may be named by a string (`pmap("consumer")`)
//! or bare (`pmap(consumer)`).

//!
//! # Decisions where the contract is silent
//!
//! - **Keys.** Unknown keys are errors at every level (top, `[machine]`,
//!   `[[step]]`, `quiz`), with the allowed keys and a did-you-mean. `title` is
//!   required; `about`, `procs` (default: none), `[machine]` and the steps are
//!   optional. A process name starts with a letter or `_` and holds letters,
//!   digits, `_`, `-`, `.`.
//! - **Sizes** (`[machine]`, and sizes in `expect`) are a whole number with an
//!   optional unit, any case: `B`/`bytes`, `k`/`kB`/`KiB`, `M`/`MB`/`MiB`,
//!   `G`/`GB`/`GiB`, all binary as `/proc/meminfo` means "kB"; a bare number
//!   (or a TOML integer) is bytes. `ram`, `swap` and `dev_shm` must be whole
//!   pages; `ram` and `dev_shm` cannot be 0; `swap = "0"` is no swap.
//!   Defaults: `ram` 64 MiB, `swap` none, `dev_shm` half of `ram`, `index`
//!   radix, `uid` 1000.
//! - **Quiz** `answer` counts from 1, as the TUI numbers the choices; a quiz
//!   has at least two choices.
//! - **`expect`**: see [`expect`] for each observable's value
//!   form. Paths in keys are quoted segments (`data."/dev/shm/OS"`). NAME must
//!   be bound in the step's process by that step or an earlier one (for
//!   `pmap`/`smaps` look steps, in the process they name); `pte`, `core`,
//!   `smaps` (and `cache`/`data`/`slot` given a NAME) need a mapping made by
//!   `mmap`/`shmat`, `shm` a `shmget` id. `shm.NAME.perms` is a string of
//!   octal digits (`"600"`), since a TOML integer would be decimal.
//! - **Look steps** take the tool's command line as one string, checked the
//!   way the tool parses it (`free("-h -w")`, `df("-h /dev/shm")`,
//!   `ipcs("-m -i 3")`); `cat` shows `/proc/meminfo`, `/proc/sysvipc/shm`,
//!   `/proc/swaps`, `/proc/sys/kernel/shm{max,all,mni}` or any absolute path.
//!   `sysctl` knows `kernel.shmmax`, `kernel.shmall`, `kernel.shmmni`,
//!   `kernel.shm_rmid_forced`, `vm.swappiness`.
//! - **Statically refused**, though C would compile them: nested calls, a
//!   memory access inside an expression, a constant of the wrong family
//!   (`mmap(.., O_RDWR, ..)`), `open` with `O_CREAT` and no mode, `fork()`
//!   with no name for the child, `recv_fd()` with nothing sent, a pointer
//!   where an integer belongs and the reverse, a name of one handle kind
//!   where another is expected (`close(ptr)`, `shmat(fd, ..)`). Anything the
//!   kernel answers with an errno (`close(42)`, a bad `mkstemp` template) is
//!   left to run.
//! - **Diagnostics** are sorted by position in the file; lines and columns
//!   count from 1, columns in characters; a tab shows as four columns.

pub mod ast;
pub mod calls;
mod check;
pub mod consts;
pub(crate) mod diag;
pub mod expect;
pub mod json_schema;
pub mod lexer;
pub mod parser;
mod schema;
pub mod size;
mod tree;

pub use ast::Stmt;
pub use calls::CallSig;
pub use check::{NameKind, ProcInfo, StructKind};
pub use diag::{render_diagnostics, Diagnostic, Span};
pub use expect::{CmpOp, ExpectValue, Expectation, MeminfoField, Observable, ShmField, SmapsField};
pub use schema::parse_size;

use std::ops::Deref;
use std::path::Path;

/// A value and the byte span in the file it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A loaded and checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file name as given to [`load_file`] / [`load_str`] (used in diagnostics).
    pub file: String,
    /// The file's text, for diagnostics found later (when a step runs).
    pub source: String,
    pub title: Spanned<String>,
    pub about: Option<Spanned<String>>,
    /// The processes that exist at step 0 (`procs`).
    pub procs: Vec<Spanned<String>>,
    pub machine: Machine,
    pub steps: Vec<Step>,
    /// Every process of the scenario, those of `procs` first, then those
    /// `fork` creates, in step order.
    pub processes: Vec<ProcInfo>,
}

impl Scenario {
    /// A diagnostic at a file span of this scenario (for errors found when it runs).
    pub fn diagnostic(
        &self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Diagnostic {
        Diagnostic::at(&self.file, &self.source, span, message, label, help)
    }
}

/// The page-cache index encoding the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IndexKind {
    /// The 4.14 radix tree: a swap entry in a slot is `swp << 2 | 2`.
    #[default]
    Radix,
    /// The 4.20+ XArray: a swap entry in a slot is `swp << 1 | 1`.
    Xarray,
}

/// `[machine]`: every key optional. Sizes are in bytes, whole pages.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    pub ram: Option<Spanned<u64>>,
    pub swap: Option<Spanned<u64>>,
    pub dev_shm: Option<Spanned<u64>>,
    pub index: Option<Spanned<IndexKind>>,
    pub uid: Option<Spanned<u32>>,
    /// The kernel release whose answers the model gives (`kernel = "4.17"`).
    pub kernel: Option<Spanned<crate::kernel::Release>>,
}

/// The size of a page: 4 KiB on x86_64.
pub const PAGE_SIZE: u64 = 4096;

impl Machine {
    /// Simulated RAM; 64 MiB when not given.
    pub fn ram_bytes(&self) -> u64 {
        self.ram.as_ref().map_or(64 << 20, |s| s.value)
    }
    /// Swap; none (0) when not given.
    pub fn swap_bytes(&self) -> u64 {
        self.swap.as_ref().map_or(0, |s| s.value)
    }
    /// The `size=` of the /dev/shm tmpfs; half of RAM when not given (the
    /// kernel's default for tmpfs), rounded down to whole pages.
    pub fn dev_shm_bytes(&self) -> u64 {
        self.dev_shm
            .as_ref()
            .map_or(self.ram_bytes() / 2 / PAGE_SIZE * PAGE_SIZE, |s| s.value)
    }
    /// The page-cache index; when not given, the one of the release: the
    /// radix tree before 4.20, the XArray since.
    pub fn index(&self) -> IndexKind {
        match &self.index {
            Some(s) => s.value,
            None if self.kernel().at_least(4, 20) => IndexKind::Xarray,
            None => IndexKind::Radix,
        }
    }
    /// The kernel release; 4.14 when not given.
    pub fn kernel(&self) -> crate::kernel::Release {
        self.kernel
            .as_ref()
            .map_or_else(Default::default, |s| s.value)
    }
    /// The uid processes run as; 1000 when not given.
    pub fn uid(&self) -> u32 {
        self.uid.as_ref().map_or(1000, |s| s.value)
    }
}

/// One `[[step]]`, checked.
#[derive(Clone, Debug)]
pub struct Step {
    /// 0-based position in the file.
    pub index: usize,
    /// The span of the step's table (its `[[step]]` header).
    pub span: Span,
    /// The process that makes the call; `None` for machine-wide and look steps.
    pub proc: Option<Spanned<String>>,
    /// The statement as written (the TOML key is `do`).
    pub do_: Spanned<String>,
    /// The parsed statement; its spans are byte ranges in `do_`.
    pub stmt: Stmt,
    /// The call the statement makes (for `call(..)` and `name = call(..)`).
    pub call: Option<&'static CallSig>,
    pub say: Option<Spanned<String>>,
    pub expect: Option<Spanned<Vec<Expectation>>>,
    pub quiz: Option<Quiz>,
    do_map: tree::StrMap,
}

impl Step {
    /// The file span of a span inside this step's `do` string (exact for
    /// literal strings and escape-free basic strings).
    pub fn file_span(&self, do_span: Span) -> Span {
        self.do_map.file_span(do_span)
    }
}

/// A step's `quiz`, asked before the step's result is revealed.
#[derive(Clone, Debug)]
pub struct Quiz {
    pub ask: Spanned<String>,
    pub choices: Vec<Spanned<String>>,
    /// The right choice, counted from 1 as the TUI numbers them (so
    /// `answer = 1` is the first choice).
    pub answer: Spanned<usize>,
    pub span: Span,
}

impl Quiz {
    /// The right choice as an index into `choices`.
    pub fn answer_index(&self) -> usize {
        self.answer.value - 1
    }
}

/// Loads and checks the scenario file at `path`. A file that cannot be read,
/// or is not UTF-8, is a diagnostic too.
pub fn load_file(path: &Path) -> Result<Scenario, Vec<Diagnostic>> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(&name, &bytes),
        Err(e) => Err(vec![Diagnostic {
            file: name.clone(),
            line: 1,
            col: 1,
            span_len: 0,
            message: format!("cannot read `{name}`: {e}"),
            label: String::new(),
            help: None,
            offset: 0,
        }]),
    }
}

/// Loads and checks a scenario from bytes that should be UTF-8 text.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Scenario, Vec<Diagnostic>> {
    match std::str::from_utf8(bytes) {
        Ok(src) => load_str(name, src),
        Err(e) => {
            let lossy = String::from_utf8_lossy(bytes);
            let good = &bytes[..e.valid_up_to()];
            let good = std::str::from_utf8(good).unwrap_or("");
            // The lossy text agrees with the bytes up to the first bad byte.
            let at = good.len();
            Err(vec![Diagnostic::at(
                name,
                &lossy,
                Span::new(at, at + 1),
                "the file is not valid UTF-8",
                "invalid UTF-8 here",
                Some("a scenario is a UTF-8 text file".into()),
            )])
        }
    }
}

/// Loads and checks a scenario from its text; `name` is the file name that
/// diagnostics show. Returns every error of the file at once.
pub fn load_str(name: &str, src: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut cx = schema::Cx::new(name, src);
    let root = match tree::parse(src) {
        Ok(root) => root,
        Err(e) => return Err(vec![schema::toml_error(name, src, &e)]),
    };
    let raw = schema::read_scenario(&mut cx, &root);
    let checked = check::check(&mut cx, raw);
    let mut diags = cx.into_diagnostics();
    match checked {
        Some(s) if diags.is_empty() => Ok(s),
        _ => {
            diags.sort_by_key(|d| d.offset);
            Err(diags)
        }
    }
}
