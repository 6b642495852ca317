//! The terminal: set up, the event loop, and always restored.
//!
//! The terminal is restored on quit, on a panic (a hook restores it before
//! the panic message prints), on SIGINT, SIGTERM and SIGHUP (a flag the loop
//! reads every 50 ms; the loop then returns like a quit, so the real run is
//! cleaned up by its `Drop`), and around Ctrl-Z (restored, SIGTSTP raised;
//! `fg` sets it up again and redraws). As yazi does, the loop drains every
//! pending event and then draws once.

use super::{ui, App, Flow};
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::Terminal;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant, SystemTime};

/// How often the loop looks at signals, the real arm and a watched file.
const TICK: Duration = Duration::from_millis(50);

/// How often a watched file's modification time is read.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// Why the event loop returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A signal asked the TUI to end (its number).
    Signal(i32),
    /// The watched file changed.
    Reload,
}

/// The signal that asked the TUI to end, 0 for none.
static SIGNALLED: AtomicUsize = AtomicUsize::new(0);

/// Installs the SIGINT/SIGTERM/SIGHUP flags and the panic hook, once.
pub fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            let flag = Arc::new(AtomicBool::new(false));
            // The flag is read by the loop; registering only fails for a
            // forbidden signal, which these are not.
            if signal_hook::flag::register(sig, Arc::clone(&flag)).is_ok() {
                std::thread::spawn(move || loop {
                    if flag.swap(false, Ordering::SeqCst) {
                        SIGNALLED.store(sig as usize, Ordering::SeqCst);
                    }
                    std::thread::sleep(TICK);
                });
            }
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Puts the terminal in raw mode on the alternate screen, with the mouse.
pub fn setup() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        event::EnableMouseCapture,
        cursor::Hide
    )
}

/// Gives the terminal back as it was (safe to call twice, and from a panic).
pub fn restore() {
    let _ = execute!(
        io::stdout(),
        event::DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = io::stdout().flush();
}

/// The signal that ended the TUI, if one did.
pub fn signalled() -> Option<i32> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s as i32),
    }
}

/// Waits up to `timeout` for input on the terminal (standard input);
/// false if it hung up (its tmux or ssh session went away). crossterm must
/// not be asked then: the terminal's reads return 0 at once for ever, and
/// its poll and read loop on them without end. Where standard input is not
/// the terminal (crossterm then reads /dev/tty), crossterm waits instead.
fn wait_for_input(timeout: Duration) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use std::io::IsTerminal;
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        event::poll(timeout)?;
        return Ok(true);
    }
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    let t = Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    match poll(&mut fds, Some(&t)) {
        Ok(_) | Err(rustix::io::Errno::INTR) => {}
        Err(e) => return Err(e.into()),
    }
    let gone = PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL;
    Ok(!fds[0].revents().intersects(gone))
}

/// Ctrl-Z: give the terminal back, stop, and set it up again on `fg`.
fn suspend<B: Backend>(terminal: &mut Terminal<B>) -> io::Result<()> {
    restore();
    let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    setup()?;
    terminal
        .clear()
        .map_err(|e| io::Error::other(e.to_string()))
}

/// A watched file's modification time.
fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// What the loop watches for a `--watch` reload.
pub struct Watch {
    path: PathBuf,
    seen: Option<SystemTime>,
    next: Instant,
}

impl Watch {
    /// Watches `path` from its present state.
    pub fn new(path: &Path) -> Watch {
        Watch {
            path: path.to_path_buf(),
            seen: mtime(path),
            next: Instant::now() + WATCH_EVERY,
        }
    }

    /// Has the file been saved since it was last seen?
    pub fn changed(&mut self) -> bool {
        if Instant::now() < self.next {
            return false;
        }
        self.next = Instant::now() + WATCH_EVERY;
        let now = mtime(&self.path);
        if now != self.seen {
            self.seen = now;
            return true;
        }
        false
    }
}

/// Draws and handles events until the user quits, a signal arrives or the
/// watched file changes.
pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut watch: Option<&mut Watch>,
) -> io::Result<Exit> {
    let mut dirty = true;
    let mut next_play = Instant::now();
    let fail_after_draw = std::env::var_os("SHMSIM_TUI_PANIC").is_some();
    loop {
        if dirty {
            terminal
                .draw(|f| ui::draw(f, app))
                .map_err(|e| io::Error::other(e.to_string()))?;
            dirty = false;
            // A forced panic, for the test that the terminal is restored.
            assert!(!fail_after_draw, "SHMSIM_TUI_PANIC is set: a forced panic");
        }
        if let Some(sig) = signalled() {
            return Ok(Exit::Signal(sig));
        }
        let timeout = match app.play_interval() {
            Some(_) => next_play
                .saturating_duration_since(Instant::now())
                .min(TICK),
            None => TICK,
        };
        // What the terminal has, event by event, the hang-up looked for
        // before each (crossterm must never see it).
        let mut wait = timeout;
        loop {
            if !wait_for_input(wait)? {
                return Ok(Exit::Signal(signal_hook::consts::SIGHUP));
            }
            wait = Duration::ZERO;
            if !event::poll(Duration::ZERO)? {
                break;
            }
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    if k.code == KeyCode::Char('z') && k.modifiers.contains(KeyModifiers::CONTROL) {
                        suspend(terminal)?;
                    } else if app.key(k) == Flow::Quit {
                        return Ok(Exit::Quit);
                    }
                }
                Event::Mouse(m) if app.mouse(m) == Flow::Quit => return Ok(Exit::Quit),
                _ => {}
            }
            dirty = true;
        }
        if app.poll_real() {
            dirty = true;
        }
        if let Some(iv) = app.play_interval() {
            if Instant::now() >= next_play {
                app.tick();
                next_play = Instant::now() + iv;
                dirty = true;
            }
        } else {
            next_play = Instant::now() + Duration::from_millis(super::SPEEDS_MS[app.speed]);
        }
        if watch.as_mut().is_some_and(|w| w.changed()) {
            return Ok(Exit::Reload);
        }
    }
}
