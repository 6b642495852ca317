//! The real arm: a scenario played on the host kernel on a thread of its
//! own, as far as a front end asks, without ever blocking it.
//!
//! Not a kernel file. The TUI plays a scenario on the model step by step,
//! forward and back; with `--real` it also wants each step played on the
//! host. A [`RealArm`] owns a [`Run`] on a [`RealBackend`] in its own thread:
//!
//! ```text
//!   TUI --want(n)--> [commands] --> arm thread: Run<RealBackend>.step() until n done
//!   TUI <--poll()--- [events]   <-- Ready, Step(outcome), Finished | Unavailable | Failed
//!        <--notify()-- (optional: called after each event, to wake the event loop)
//! ```
//!
//! The arm only moves forward (a real run cannot be taken back): going back
//! in the TUI shows the readings already taken, which the TUI records from
//! the events. Compare a step's two outcomes with
//! [`crate::compare::Comparer`], built from the model's `SwapTotal` and the
//! one [`ArmEvent::Ready`] carries.
//!
//! A front end's loop, in short:
//!
//! ```no_run
//! use sim::backend::Backend;
//! use sim::compare::{Comparer, DEFAULT_TOLERANCE_KB};
//! use sim::real::arm::{ArmEvent, RealArm};
//! use sim::real::RealOptions;
//! use sim::runner::Run;
//!
//! let path = std::path::Path::new("scenarios/01-posix-producer-consumer.toml");
//! let s = sim::scenario::load_file(path).unwrap();
//! let mut model = Run::new(&s);
//! let sim_swap = model.backend.meminfo("SwapTotal");
//! let sim_steps: Vec<_> = model.run_all(); // the TUI's own timeline
//! // The notifier would wake the TUI's event loop (here: nothing).
//! let mut arm = RealArm::start_notifying(s.clone(), RealOptions::default(), Some(Box::new(|| {})));
//! let mut comparer = None;
//! let mut column = Vec::new(); // readings taken, kept for going back
//! arm.want(1); // the user advanced to step 1
//! loop {
//!     for e in arm.poll() {
//!         match e {
//!             ArmEvent::Ready { swap_total, .. } => {
//!                 comparer = Some(Comparer::new(&s, &sim_swap, &swap_total, DEFAULT_TOLERANCE_KB));
//!             }
//!             ArmEvent::Step { outcome, .. } => {
//!                 let i = outcome.step - 1;
//!                 if let Some(c) = comparer.as_mut() {
//!                     column.push(c.step(&s.steps[i], &sim_steps[i], &outcome));
//!                 }
//!             }
//!             ArmEvent::Finished | ArmEvent::Unavailable(_) | ArmEvent::Failed(_) => return,
//!         }
//!     }
//!     # break;
//! }
//! ```
//!
//! Cleanup: the run is the arm thread's, and [`RealBackend`]'s guard holds
//! whatever it creates, so everything `shmsim real` promises holds here too:
//! - the scenario's last step played: the run is dropped (cleaned up) before
//!   [`ArmEvent::Finished`] is sent;
//! - [`RealArm`] dropped (the TUI quits, or unwinds from a panic): the thread
//!   is told to stop between two steps and joined; if a step is stuck (a
//!   worker that does not answer) the run is cleaned up from the dropping
//!   thread (its workers killed, which ends the step), then joined again,
//!   each wait bounded;
//! - a panic in the arm thread: the panic hook cleans the runs that thread
//!   owns, the unwinding drops the run, and [`ArmEvent::Failed`] says why;
//! - SIGINT, SIGTERM, SIGHUP: the handlers of `guard.rs` (installed by
//!   [`RealArm::start`], before the thread starts) clean every run of the
//!   process, whichever thread owns it, then end the process by the signal;
//! - SIGKILL: the workers die with the arm thread (`PR_SET_PDEATHSIG`) and
//!   the next real run sweeps the run folder and segments.

use super::{guard, RealBackend, RealOptions, NO_SWAP};
use crate::backend::{Backend, Reading};
use crate::runner::{config_of, Run, StepOutcome};
use crate::scenario::Scenario;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the arm reports, in this order: one `Ready` or `Unavailable`, then
/// one `Step` per step played, then `Finished` (or `Failed` at any point).
/// After `Finished`, `Unavailable` or `Failed` nothing more comes.
#[derive(Clone, Debug)]
pub enum ArmEvent {
    /// The run started on the host: its processes exist, no step is played.
    Ready {
        /// The host's `SwapTotal` (kB), for [`crate::compare::Comparer::new`].
        swap_total: Reading,
        /// Does the run have root (see [`RealBackend::is_root`])?
        root: bool,
        /// Does the host have swap?
        swap: bool,
        /// The run's private folder (the scenario's `/`).
        run_dir: PathBuf,
        /// The run's private folder on /dev/shm.
        shm_dir: PathBuf,
        /// What the column should say of this host (not root, no swap) and
        /// what the run already refused.
        notes: Vec<String>,
    },
    /// One step played on the host.
    Step {
        /// What the step did and what was observed after it (`outcome.step`
        /// is its 1-based number).
        outcome: Box<StepOutcome>,
        /// What the run refused or could not do during this step.
        notes: Vec<String>,
    },
    /// Every step is played and the run is cleaned up.
    Finished,
    /// The host cannot play the scenario (no tmpfs /dev/shm, the machine is
    /// larger than the memory cap, a process could not be started): the
    /// reason, as the column shows it. Nothing of the run is left.
    Unavailable(String),
    /// The arm failed (a panic in its thread): why. Nothing of the run is left.
    Failed(String),
}

/// What the TUI tells the arm thread.
enum Command {
    /// Play steps until this many are done.
    Want(usize),
    /// Stop now (between two steps); the run is cleaned up.
    Stop,
}

/// A notifier called after each event is sent (from the arm thread).
pub type Notify = Box<dyn Fn() + Send + 'static>;

/// How long `Drop` waits for the arm thread to stop by itself, and then
/// again after cleaning up its run by force.
const STOP_WAIT: Duration = Duration::from_secs(3);
const FORCED_WAIT: Duration = Duration::from_secs(2);

/// A scenario being played on the host kernel in a thread of its own.
pub struct RealArm {
    commands: Option<Sender<Command>>,
    events: Receiver<ArmEvent>,
    thread: Option<JoinHandle<()>>,
    /// The run's guard once it exists (for the forced cleanup in `Drop`).
    guard: Arc<Mutex<Option<Arc<Mutex<guard::Guard>>>>>,
    wanted: usize,
    steps: usize,
}

impl std::fmt::Debug for RealArm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealArm")
            .field("wanted", &self.wanted)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl RealArm {
    /// Starts the arm: the thread prepares the run and starts the
    /// scenario's processes, then waits for [`RealArm::want`]. Never fails:
    /// a run that cannot start is an [`ArmEvent::Unavailable`].
    pub fn start(scenario: Scenario, opts: RealOptions) -> RealArm {
        RealArm::start_notifying(scenario, opts, None)
    }

    /// As [`RealArm::start`], and calls `notify` after each event is sent
    /// (from the arm thread; it must not block), so that a front end can
    /// wake up and [`RealArm::poll`] instead of polling on a timer. (Only
    /// an `Unavailable` for a thread that could not be started at all comes
    /// without a call: poll once after starting.)
    pub fn start_notifying(
        scenario: Scenario,
        opts: RealOptions,
        notify: Option<Notify>,
    ) -> RealArm {
        // The signal handlers first, so that a signal while the run starts
        // finds them in place.
        guard::install_handlers();
        let (ctx, crx) = mpsc::channel();
        let (etx, erx) = mpsc::channel();
        let slot = Arc::new(Mutex::new(None));
        let thread_emitter = Emitter {
            tx: etx.clone(),
            notify: std::cell::RefCell::new(notify),
        };
        let thread_slot = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("shmsim-real-arm".into())
            .spawn(move || {
                let body = std::panic::AssertUnwindSafe(|| {
                    play(&scenario, opts, &crx, &thread_emitter, &thread_slot)
                });
                if let Err(p) = std::panic::catch_unwind(body) {
                    let why = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".into());
                    thread_emitter.send(ArmEvent::Failed(format!("the real arm panicked: {why}")));
                }
            });
        let thread = match spawned {
            Ok(t) => Some(t),
            Err(e) => {
                // Said without the notifier (it went with the thread that
                // could not start): the front end polls after starting.
                let _ = etx.send(ArmEvent::Unavailable(format!(
                    "cannot start the real arm's thread: {e}"
                )));
                None
            }
        };
        RealArm {
            commands: Some(ctx),
            events: erx,
            thread,
            guard: slot,
            wanted: 0,
            steps: 0,
        }
    }

    /// Plays steps until `upto` are done (counting from the start; never
    /// goes back: a smaller `upto` than before asks for nothing).
    pub fn want(&mut self, upto: usize) {
        if upto <= self.wanted {
            return;
        }
        self.wanted = upto;
        if let Some(c) = &self.commands {
            // A thread that has ended has said why in an event.
            let _ = c.send(Command::Want(upto));
        }
    }

    /// How many steps have been asked for so far.
    pub fn wanted(&self) -> usize {
        self.wanted
    }

    /// How many steps [`RealArm::poll`] has handed out so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The events that have arrived since the last call (never blocks).
    pub fn poll(&mut self) -> Vec<ArmEvent> {
        let mut v = Vec::new();
        loop {
            match self.events.try_recv() {
                Ok(e) => {
                    if matches!(e, ArmEvent::Step { .. }) {
                        self.steps += 1;
                    }
                    v.push(e);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return v,
            }
        }
    }

    /// Waits at most `timeout` for the next event (for tests and batch use;
    /// a TUI uses [`RealArm::poll`]).
    pub fn wait(&mut self, timeout: Duration) -> Option<ArmEvent> {
        let e = self.events.recv_timeout(timeout).ok()?;
        if matches!(e, ArmEvent::Step { .. }) {
            self.steps += 1;
        }
        Some(e)
    }
}

impl Drop for RealArm {
    fn drop(&mut self) {
        if let Some(c) = self.commands.take() {
            let _ = c.send(Command::Stop);
        }
        let Some(thread) = self.thread.take() else {
            return;
        };
        if !wait_for(&thread, STOP_WAIT) {
            // A step is stuck: kill the run's workers (that ends the step).
            let g = self.guard.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(g) = g {
                g.lock().unwrap_or_else(|e| e.into_inner()).cleanup();
            }
            if !wait_for(&thread, FORCED_WAIT) {
                return; // Detached; its run is already cleaned up.
            }
        }
        let _ = thread.join();
    }
}

/// Waits until `t` has ended, at most `d`.
fn wait_for(t: &JoinHandle<()>, d: Duration) -> bool {
    let until = Instant::now() + d;
    while !t.is_finished() {
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// Sends events and wakes the front end.
struct Emitter {
    tx: Sender<ArmEvent>,
    /// Taken away if it panics: the panic then ends the run as any panic
    /// of the arm thread does, and the `Failed` that follows comes without it.
    notify: std::cell::RefCell<Option<Notify>>,
}

impl Emitter {
    fn send(&self, e: ArmEvent) {
        // The receiver is gone when the arm is being dropped: nobody to tell.
        if self.tx.send(e).is_err() {
            return;
        }
        let called = match &*self.notify.borrow() {
            Some(n) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(n)),
            None => Ok(()),
        };
        if let Err(p) = called {
            self.notify.borrow_mut().take();
            std::panic::resume_unwind(p);
        }
    }
}

/// The arm thread: prepare, start, then play as far as asked.
fn play(
    scenario: &Scenario,
    opts: RealOptions,
    commands: &Receiver<Command>,
    out: &Emitter,
    slot: &Mutex<Option<Arc<Mutex<guard::Guard>>>>,
) {
    let backend = match RealBackend::new(&config_of(scenario), opts) {
        Ok(b) => b,
        Err(why) => return out.send(ArmEvent::Unavailable(why)),
    };
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&backend.guard));
    let mut run = Run::with_backend(scenario, backend);
    let mut notes: Vec<String> = run.backend.notes().to_vec();
    if let Some(n) = notes
        .iter()
        .find(|n| n.starts_with("cannot start a process"))
    {
        let why = n.clone();
        drop(run);
        return out.send(ArmEvent::Unavailable(why));
    }
    let mut seen = notes.len();
    if !run.backend.is_root() {
        notes.insert(
            0,
            "not root: a mapping's file (data.*), a fresh meminfo and the scenario's uid need it; \
             those read as not observable or approximate"
                .into(),
        );
    }
    if !run.backend.host_has_swap() {
        notes.insert(0, NO_SWAP.to_string());
    }
    let swap_total = run.backend.meminfo("SwapTotal");
    out.send(ArmEvent::Ready {
        swap_total,
        root: run.backend.is_root(),
        swap: run.backend.host_has_swap(),
        run_dir: run.backend.run_dir().to_path_buf(),
        shm_dir: run.backend.shm_dir().to_path_buf(),
        notes,
    });
    let total = scenario.steps.len();
    let mut want = 0;
    loop {
        if run.done() >= total {
            drop(run);
            return out.send(ArmEvent::Finished);
        }
        // Between two steps: what the front end said, without waiting while
        // there is work to do.
        let cmd = if run.done() < want {
            match commands.try_recv() {
                Ok(c) => Some(c),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => Some(Command::Stop),
            }
        } else {
            match commands.recv_timeout(Duration::from_secs(3600)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => Some(Command::Stop),
            }
        };
        match cmd {
            Some(Command::Stop) => return, // `run` drops here: cleaned up.
            Some(Command::Want(n)) => want = want.max(n),
            None => {}
        }
        if run.done() < want {
            let Some(o) = run.step() else {
                continue; // At the end: the loop's head finishes.
            };
            let all = run.backend.notes();
            let new = all.get(seen..).unwrap_or_default().to_vec();
            seen = all.len();
            out.send(ArmEvent::Step {
                outcome: Box::new(o),
                notes: new,
            });
        }
    }
}
