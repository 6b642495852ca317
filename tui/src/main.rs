//! `shmsim`: watch Linux share memory, step by step.
//!
//! The command line over the `sim` library: it loads scenarios (files, or
//! the bundled ones by name), plays them on the kernel model, and prints
//! transcripts, checks, states, or JSON Lines for programs.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use sim::runner::Run;
use sim::scenario::{self, Scenario};
use sim::transcript::{self, Style};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use shmsim_tui::app::theme::ThemeName;
use shmsim_tui::app::views::ViewKind;
use shmsim_tui::app::{self, launch, App, Options};
use shmsim_tui::bundled::{self, BUNDLED};

const EXAMPLES: &str = "\
Examples:
  shmsim list                                  the bundled scenarios
  shmsim run 01-posix-producer-consumer        play a bundled scenario
  shmsim run my.toml --json | jq .observables  one JSON object per step
  shmsim check scenarios/*.toml                verify every expect
  shmsim real 01                               the same steps on your kernel (Linux)
  shmsim compare scenarios/*.toml              the model beside your kernel
  shmsim state 01 --step 4                     the model after step 4
  shmsim new my-scenario                       start from a template
  shmsim schema > scenarios/shmsim.schema.json the JSON Schema for TOML editors
  shmsim book                                  regenerate the book's listings (in the repository)

Exit codes:
  0  success (check: every expectation holds)
  1  check, run, real: an expectation failed; compare: an observable differs;
     new: the file exists; real/compare: the run was refused
  2  a file is not a valid scenario (or cannot be read)";

/// shmsim: a teaching simulator of how Linux shares memory.
#[derive(Parser)]
#[command(name = "shmsim", version, about, after_help = EXAMPLES)]
struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

/// What the TUI opens on (shared by `tui` and `frame`).
#[derive(clap::Args)]
struct Screen {
    /// The step to open at (0 = before the first).
    #[arg(long, default_value_t = 0)]
    step: usize,
    /// The view in front: cache, mm, frames, swap, sysv or counters.
    #[arg(long, default_value = "cache", value_parser = view_name)]
    view: ViewKind,
    /// dark, light, projector or mono (NO_COLOR chooses mono).
    #[arg(long, value_parser = theme_name)]
    theme: Option<ThemeName>,
    /// Do not ask the quizzes (a demonstration).
    #[arg(long)]
    no_quiz: bool,
}

fn view_name(s: &str) -> Result<ViewKind, String> {
    ViewKind::parse(s).ok_or_else(|| {
        let all: Vec<&str> = ViewKind::ALL.iter().map(|v| v.name()).collect();
        format!("no view {s:?}; the views are {}", all.join(", "))
    })
}

fn theme_name(s: &str) -> Result<ThemeName, String> {
    ThemeName::parse(s).ok_or_else(|| {
        let all: Vec<&str> = ThemeName::ALL.iter().map(|(n, _)| *n).collect();
        format!("no theme {s:?}; the themes are {}", all.join(", "))
    })
}

impl Screen {
    fn options(&self, real: bool, memory_cap: u64) -> Options {
        let theme = self
            .theme
            .unwrap_or(if std::env::var_os("NO_COLOR").is_some() {
                ThemeName::Mono
            } else {
                ThemeName::Dark
            });
        Options {
            step: self.step,
            view: self.view,
            theme,
            quizzes: !self.no_quiz,
            real,
            memory_cap,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FrameFormat {
    Text,
    Svg,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// The classroom TUI: step through a scenario, forward and back, with
    /// pictures of the kernel's structures (without FILE, a picker).
    Tui {
        /// A scenario file, or the name of a bundled one.
        file: Option<String>,
        #[command(flatten)]
        screen: Screen,
        /// Run the same steps on the host kernel beside the model (Linux).
        #[arg(long)]
        real: bool,
        /// Reload the file when it is saved, keeping the step.
        #[arg(long)]
        watch: bool,
        /// The most memory a real run may use, e.g. "512 MiB".
        #[arg(long, default_value = "256 MiB")]
        memory_cap: String,
    },
    /// Print exactly what the TUI would draw at a step, as text or SVG.
    Frame {
        /// A scenario file, or the name of a bundled one.
        file: String,
        #[command(flatten)]
        screen: Screen,
        /// The screen's size, COLSxROWS.
        #[arg(long, default_value = "120x40")]
        size: String,
        /// text or svg.
        #[arg(long, value_enum, default_value_t = FrameFormat::Text)]
        format: FrameFormat,
        /// Keys to press first, as the TUI would get them: "l l 2 w Tab".
        #[arg(long, default_value = "")]
        keys: String,
    },
    /// Play a scenario on the kernel model and print its transcript.
    Run {
        /// A scenario file, or the name of a bundled one.
        file: String,
        /// One JSON object per step (JSON Lines), with the complete state.
        #[arg(long)]
        json: bool,
    },
    /// Play a scenario on the host kernel (Linux): real processes, real calls.
    Real {
        /// A scenario file, or the name of a bundled one.
        file: String,
        /// One JSON object per step (JSON Lines).
        #[arg(long)]
        json: bool,
        /// The most memory the run may use, e.g. "512 MiB".
        #[arg(long, default_value = "256 MiB")]
        memory_cap: String,
    },
    /// Play scenarios on the model and on the host kernel and compare every observable.
    Compare {
        /// Scenario files or bundled names.
        #[arg(required = true)]
        files: Vec<String>,
        /// One JSON object per step.
        #[arg(long)]
        json: bool,
        /// Show the observables that agree too.
        #[arg(long)]
        verbose: bool,
        /// How far machine-wide counters (meminfo, df) may differ, in kB.
        #[arg(long, default_value_t = sim::compare::DEFAULT_TOLERANCE_KB)]
        tolerance: i64,
        /// The most memory a run may use, e.g. "512 MiB".
        #[arg(long, default_value = "256 MiB")]
        memory_cap: String,
    },
    /// Play scenarios and verify every `expect`.
    Check {
        /// Scenario files or bundled names.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Print the model's state after a step.
    State {
        /// A scenario file, or the name of a bundled one.
        file: String,
        /// The step (1-based) after which to stop; 0 = before the first.
        #[arg(long)]
        step: usize,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the bundled scenarios with their titles.
    List,
    /// Write a commented scenario template to start from.
    New {
        /// The new file's name (`.toml` is added).
        name: PathBuf,
    },
    /// Regenerate the book's listings, frames, tables and plots (and the
    /// README's example) from the bundled scenarios.
    Book {
        /// Only say what is stale; write nothing (exit 1 if anything is).
        #[arg(long)]
        check: bool,
        /// Also take what the host kernel shows (`compare`), as root on Linux.
        #[arg(long)]
        real: bool,
    },
    /// Print the JSON Schema of the scenario format (for TOML editors).
    Schema,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let st = Style::new(color);
    match cli.command {
        Command::Tui {
            file,
            screen,
            real,
            watch,
            memory_cap,
        } => {
            let Ok(cap) = sim::scenario::size::parse_size(&memory_cap) else {
                eprintln!("--memory-cap {memory_cap:?}: not a size (try \"512 MiB\")");
                return ExitCode::from(2);
            };
            ExitCode::from(launch::launch(file, screen.options(real, cap), watch))
        }
        Command::Frame {
            file,
            screen,
            size,
            format,
            keys,
        } => frame(&file, &screen, &size, format, &keys),
        Command::Run { file, json } => run(&file, json, st),
        Command::Check { files } => check(&files, st),
        Command::Real {
            file,
            json,
            memory_cap,
        } => real(&file, json, &memory_cap, st),
        Command::Compare {
            files,
            json,
            verbose,
            tolerance,
            memory_cap,
        } => compare(&files, json, verbose, tolerance, &memory_cap),
        Command::State { file, step, json } => state(&file, step, json),
        Command::List => list(),
        Command::New { name } => new(&name),
        Command::Book { check, real } => book(check, real),
        Command::Schema => {
            out(&sim::scenario::json_schema::json_schema_text());
            ExitCode::SUCCESS
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "shmsim", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// Loads a file or a bundled scenario; prints the diagnostics on failure.
fn load(arg: &str) -> Result<Scenario, ExitCode> {
    bundled::load(arg).map_err(|e| {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        eprint!("{}", e.render(color));
        ExitCode::from(2)
    })
}

fn frame(file: &str, screen: &Screen, size: &str, format: FrameFormat, keys: &str) -> ExitCode {
    let Some((w, h)) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
        .filter(|&(w, h)| w > 0 && h > 0)
    else {
        eprintln!("--size {size:?}: give COLSxROWS, e.g. 120x40");
        return ExitCode::from(2);
    };
    let s = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let script = match app::keys::script(keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("--keys: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = screen.options(false, 256 << 20);
    let mut a = App::new(&s, &opts);
    // Draw once first so keys that page or click know the screen's areas.
    app::render(&a, w, h);
    for k in script {
        if a.key(k) == app::Flow::Quit {
            break;
        }
        app::render(&a, w, h);
    }
    let buf = app::render(&a, w, h);
    match format {
        FrameFormat::Text => out(&app::svg::text(&buf)),
        FrameFormat::Svg => out(&app::svg::svg(&buf, opts.theme == ThemeName::Light)),
    }
    ExitCode::SUCCESS
}

fn book(check: bool, real: bool) -> ExitCode {
    let here = std::env::current_dir().unwrap_or_default();
    let Some(root) = shmsim_tui::book::find_root(&here) else {
        eprintln!("shmsim book: run it inside the repository (no book/book.toml and scenarios/ above here)");
        return ExitCode::from(2);
    };
    if check {
        return match shmsim_tui::book::stale(&root) {
            Ok(bad) if bad.is_empty() => ExitCode::SUCCESS,
            Ok(bad) => {
                for b in bad {
                    out(&format!("stale: {b}\n"));
                }
                out(&format!(
                    "regenerate with `{}`\n",
                    shmsim_tui::book::COMMAND
                ));
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("shmsim book: {e}");
                ExitCode::from(2)
            }
        };
    }
    if real {
        let taken = shmsim_tui::book::scenarios(&root)
            .and_then(|all| shmsim_tui::book::host::take(&root, &all));
        match taken {
            Ok(pages) => out(&format!(
                "took the host's verdicts: {} pages\n",
                pages.len()
            )),
            Err(e) => {
                eprintln!("shmsim book --real: {e}");
                return ExitCode::from(1);
            }
        }
    }
    match shmsim_tui::book::write(&root) {
        Ok(changed) => {
            for c in &changed {
                out(&format!("wrote {c}\n"));
            }
            out(&format!("{} files changed\n", changed.len()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shmsim book: {e}");
            ExitCode::from(2)
        }
    }
}

fn out(s: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(s.as_bytes());
}

fn run(file: &str, json: bool, st: Style) -> ExitCode {
    let s = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut r = Run::new(&s);
    if json {
        let mut tally = Tally::default();
        while let Some(o) = r.step() {
            let rec = transcript::JsonStep::new(&o, r.kernel());
            out(&(serde_json::to_string(&rec).expect("the records serialize") + "\n"));
            tally.add(&o);
        }
        return tally.code();
    }
    out(&transcript::header(&s, st));
    let mut tally = Tally::default();
    while let Some(o) = r.step() {
        out("\n");
        out(&transcript::step_text(&o, st));
        tally.add(&o);
    }
    out(&format!("\n{}\n", tally.line("")));
    tally.code()
}

/// Expectations counted over a run: held, failed, and not checkable here.
#[derive(Default)]
struct Tally {
    total: usize,
    held: usize,
    failed: usize,
}

impl Tally {
    fn add(&mut self, o: &sim::runner::StepOutcome) {
        self.total += o.checks.len();
        self.held += o.checks.iter().filter(|c| c.held()).count();
        self.failed += o.checks.iter().filter(|c| !c.ok).count();
    }

    /// `12 of 14 expectations hold[ on this kernel], 1 failed, 1 cannot be checked here`.
    fn line(&self, where_: &str) -> String {
        let unchecked = self.total - self.held - self.failed;
        let mut l = format!("{} of {} expectations hold{where_}", self.held, self.total);
        if self.failed > 0 {
            l += &format!(", {} failed", self.failed);
        }
        if unchecked > 0 {
            l += &format!(", {unchecked} cannot be checked here");
        }
        l
    }

    /// 1 when an expectation failed, as `check` exits.
    fn code(&self) -> ExitCode {
        ExitCode::from(u8::from(self.failed > 0))
    }
}

fn check(files: &[String], _st: Style) -> ExitCode {
    let mut worst = 0u8;
    for f in files {
        let s = match load(f) {
            Ok(s) => s,
            Err(_) => {
                worst = 2;
                continue;
            }
        };
        let outcomes = sim::runner::run(&s);
        let failures: Vec<_> = outcomes
            .iter()
            .flat_map(|o| o.checks.iter().filter(|c| !c.ok).map(move |c| (o.step, c)))
            .collect();
        let total: usize = outcomes.iter().map(|o| o.checks.len()).sum();
        if failures.is_empty() {
            out(&format!("ok    {} ({total} expectations)\n", s.file));
            continue;
        }
        worst = worst.max(1);
        out(&format!(
            "FAIL  {}: {} of {total} expectations failed\n",
            s.file,
            failures.len()
        ));
        let w_obs = failures
            .iter()
            .map(|(_, c)| c.observable.len())
            .max()
            .unwrap_or(0)
            .max(10);
        let w_exp = failures
            .iter()
            .map(|(_, c)| c.expected.len())
            .max()
            .unwrap_or(0)
            .max(8);
        out(&format!(
            "      {:<5} {:<w_obs$}  {:<w_exp$}  seen\n",
            "step", "observable", "expected"
        ));
        for (step, c) in failures {
            out(&format!(
                "      {step:<5} {:<w_obs$}  {:<w_exp$}  {}\n",
                c.observable, c.expected, c.seen
            ));
        }
    }
    ExitCode::from(worst)
}

fn state(file: &str, step: usize, json: bool) -> ExitCode {
    let s = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if step > s.steps.len() {
        eprintln!(
            "{}: --step {step}: the scenario has {} steps",
            s.file,
            s.steps.len()
        );
        return ExitCode::from(2);
    }
    let mut r = Run::new(&s);
    for _ in 0..step {
        r.step();
    }
    let d = transcript::dump(r.kernel());
    if json {
        out(&(serde_json::to_string_pretty(&d).expect("the dump serializes") + "\n"));
    } else {
        out(&format!("after step {step} of {}\n", s.file));
        out(&transcript::state_text(&d));
    }
    ExitCode::SUCCESS
}

fn list() -> ExitCode {
    let w = BUNDLED.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, text) in BUNDLED {
        let title = match scenario::load_str(name, text) {
            Ok(s) => s.title.value.clone(),
            Err(_) => "(does not load: run `shmsim check` on it)".into(),
        };
        out(&format!(
            "{:<w$}  {title}\n",
            name.trim_end_matches(".toml"),
            w = w - 5
        ));
    }
    ExitCode::SUCCESS
}

const TEMPLATE: &str = r#"# A shmsim scenario: one C-like call per step, made by a named process.
# The format: SCENARIOS.md (and the book). Check it with `shmsim check FILE`.
title = "My scenario"
about = """
What this scenario shows, in a sentence or two.
"""
procs = ["writer", "reader"]          # processes that exist at step 0

[machine]                             # every key optional
ram = "64 MiB"
swap = "0"                            # "0" = no swap
# dev_shm = "32 MiB"                  # size= of /dev/shm (default: half of ram)
# index = "radix"                     # or "xarray" (4.20+ encoding)

[[step]]
proc = "writer"
do = 'fd = shm_open("/demo", O_CREAT | O_RDWR, 0600)'
say = "A POSIX shared memory object is a file on the /dev/shm tmpfs."
expect = { ret = 3 }

[[step]]
proc = "writer"
do = "ftruncate(fd, 4096)"

[[step]]
proc = "writer"
do = "p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)"
say = "mmap only reserves addresses: no page is mapped yet."
expect = { pte.p = "-" }

[[step]]
proc = "writer"
do = 'memcpy(p, "hello", 6)'
say = "The first write faults: shmem allocates a page in the file's page cache."
expect = { pte.p = "P", meminfo.Shmem = "+4 kB" }

[[step]]
proc = "reader"
do = 'fd = shm_open("/demo", O_RDONLY, 0)'

[[step]]
proc = "reader"
do = "q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)"

[[step]]
proc = "reader"
do = 'printf("%s", q)'
quiz = { ask = "What does the reader print?", choices = ["nothing", "hello"], answer = 2 }
expect = { out = "hello" }
"#;

fn new(name: &Path) -> ExitCode {
    let path = if name.extension().is_some_and(|e| e == "toml") {
        name.to_path_buf()
    } else {
        name.with_extension("toml")
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    match file.and_then(|mut f| f.write_all(TEMPLATE.as_bytes())) {
        Ok(()) => {
            out(&format!(
                "wrote {}; try: shmsim run {}\n",
                path.display(),
                path.display()
            ));
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "{} exists; shmsim new never overwrites a file",
                path.display()
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", path.display());
            ExitCode::from(1)
        }
    }
}

#[cfg(target_os = "linux")]
fn real_backend(s: &Scenario, cap: &str) -> Result<sim::real::RealBackend, ExitCode> {
    let memory_cap = sim::scenario::size::parse_size(cap).map_err(|e| {
        eprintln!("--memory-cap {cap}: {e}");
        ExitCode::from(2)
    })?;
    let opts = sim::real::RealOptions {
        memory_cap,
        ..sim::real::RealOptions::default()
    };
    sim::real::RealBackend::new(&sim::runner::config_of(s), opts).map_err(|e| {
        eprintln!("{}: {e}", s.file);
        ExitCode::from(1)
    })
}

#[cfg(target_os = "linux")]
fn real(file: &str, json: bool, cap: &str, st: Style) -> ExitCode {
    let s = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let backend = match real_backend(&s, cap) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let mut r = Run::with_backend(&s, backend);
    if !json {
        out(&transcript::header(&s, st));
        out("(played on the host kernel: no kernel functions are shown, and the scenario's \
             narration, which tells what the model does, is left out; cache and slot are sim only)\n");
    }
    let mut tally = Tally::default();
    while let Some(mut o) = r.step() {
        // The narration says what the model does: not the host's words.
        o.say = None;
        if json {
            out(&(serde_json::to_string(&o).expect("outcomes serialize") + "\n"));
        } else {
            out("\n");
            out(&transcript::step_text(&o, st));
        }
        tally.add(&o);
    }
    if !json {
        for n in r.backend.notes() {
            out(&format!("note: {n}\n"));
        }
        out(&format!("\n{}\n", tally.line(" on this kernel")));
    }
    tally.code()
}

#[cfg(target_os = "linux")]
fn compare(files: &[String], json: bool, verbose: bool, tolerance: i64, cap: &str) -> ExitCode {
    let mut worst = 0u8;
    for f in files {
        let s = match load(f) {
            Ok(s) => s,
            Err(_) => {
                worst = 2;
                continue;
            }
        };
        let backend = match real_backend(&s, cap) {
            Ok(b) => b,
            Err(_) => {
                worst = worst.max(1);
                continue;
            }
        };
        let model = sim::kernel::Kernel::new(sim::runner::config_of(&s));
        let steps = sim::compare::compare(&s, model, backend, tolerance);
        let (agree, total) = sim::compare::tally(&steps);
        if json {
            for st in &steps {
                out(&(serde_json::to_string(st).expect("comparisons serialize") + "\n"));
            }
        } else {
            out(&format!("== {}\n", s.file));
            out(&sim::compare::text(&steps, verbose));
        }
        if agree < total {
            worst = worst.max(1);
        }
    }
    ExitCode::from(worst)
}

#[cfg(not(target_os = "linux"))]
fn real(_: &str, _: bool, _: &str, _: Style) -> ExitCode {
    eprintln!("shmsim real needs Linux: it plays the scenario on the host kernel");
    ExitCode::from(2)
}

#[cfg(not(target_os = "linux"))]
fn compare(_: &[String], _: bool, _: bool, _: i64, _: &str) -> ExitCode {
    eprintln!("shmsim compare needs Linux: it plays the scenario on the host kernel");
    ExitCode::from(2)
}
