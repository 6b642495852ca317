//! `shmsim tui` on a real terminal (tmux): keys reach it, the screen reads
//! as it should, and the terminal is given back as it was after a quit, a
//! SIGTERM, a SIGHUP and a panic: out of the alternate screen, cursor shown,
//! mouse reporting off, and the line discipline cooked again (`stty`).
//!
//! Needs tmux; CI installs it (`.ci/run`). Elsewhere, without tmux, each
//! test says so and passes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_shmsim");

struct Tmux {
    socket: String,
    dir: PathBuf,
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install tmux for the terminal tests"
        );
        eprintln!("tmux is not installed: the real-terminal tests are skipped");
    }
    ok
}

impl Tmux {
    /// Starts `args` of shmsim in a detached tmux of `w` x `h`; afterwards
    /// the shell records the exit code and `stty -a`, and stays.
    fn start(name: &str, args: &str, env: &str, w: u16, h: u16) -> Tmux {
        let dir = std::env::temp_dir().join(format!("shmsim-tmux-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp folder");
        let d = dir.display();
        let script = format!(
            "sh -c 'echo $$ > {d}/pid; exec env {env} {BIN} {args}'; echo EXIT=$? > {d}/exit; \
             stty -a > {d}/stty; sleep 60"
        );
        let t = Tmux {
            socket: format!("shmsim-test-{name}-{}", std::process::id()),
            dir,
        };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .arg(script)
            .status()
            .expect("tmux runs");
        assert!(ok.success());
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c.env("TERM", "xterm-256color");
        c
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", k]).status().expect("send-keys");
            sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        let o = self
            .cmd(&["capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn flag(&self, f: &str) -> String {
        let o = self
            .cmd(&["display-message", "-p", &format!("#{{{f}}}")])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// Waits until `what` holds, 10 s at most.
    fn wait(&self, what: &str, f: impl Fn(&Tmux) -> bool) {
        let t0 = Instant::now();
        while !f(self) {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}; the screen:\n{}",
                self.screen()
            );
            sleep(Duration::from_millis(100));
        }
    }

    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(name)).ok()
    }

    fn pid(&self) -> i32 {
        self.wait("the pid", |t| t.file("pid").is_some());
        self.file("pid")
            .and_then(|p| p.trim().parse().ok())
            .expect("a pid")
    }

    /// After shmsim ended: its exit code, and the terminal given back.
    fn ended(&self) -> String {
        self.wait("shmsim to end", |t| {
            t.file("stty").is_some_and(|s| !s.is_empty())
        });
        let stty = self.file("stty").unwrap_or_default();
        assert!(
            stty.contains(" icanon") && stty.contains(" echo"),
            "the terminal is left raw:\n{stty}"
        );
        assert_eq!(
            self.flag("alternate_on"),
            "0",
            "still on the alternate screen"
        );
        assert_eq!(self.flag("cursor_flag"), "1", "the cursor is hidden");
        assert_eq!(self.flag("mouse_any_flag"), "0", "mouse reporting left on");
        self.file("exit").unwrap_or_default().trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn kill(pid: i32, sig: &str) {
    Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs");
}

fn wait_for_tui(t: &Tmux, what: &str) {
    t.wait(what, |t| t.screen().contains(what));
}

#[test]
fn keys_step_and_q_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    let t = Tmux::start("keys", "tui 12-shmem-swap-out-and-in", "", 120, 40);
    wait_for_tui(&t, "Before the first step");
    t.keys(&["l", "l", "l"]);
    wait_for_tui(&t, "Step 3 of 15");
    assert_eq!(t.flag("alternate_on"), "1");
    t.keys(&["h"]);
    wait_for_tui(&t, "Step 2 of 15");
    t.keys(&["m"]);
    wait_for_tui(&t, "┌ mm");
    t.keys(&["?"]);
    wait_for_tui(&t, "Keys (? or Esc closes)");
    t.keys(&["?", "q"]);
    assert_eq!(t.ended(), "EXIT=0");
}

#[test]
fn a_small_window_says_how_big_it_must_be_and_the_picker_opens() {
    if !have_tmux() {
        return;
    }
    let t = Tmux::start("small", "tui", "", 40, 10);
    wait_for_tui(&t, "choose a scenario");
    t.keys(&["Enter"]);
    wait_for_tui(&t, "at least");
    t.keys(&["C-c"]);
    assert_eq!(t.ended(), "EXIT=0");
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    if !have_tmux() {
        return;
    }
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let t = Tmux::start(&format!("sig{sig}"), "tui 01", "", 100, 30);
        wait_for_tui(&t, "Before the first step");
        kill(t.pid(), sig);
        assert_eq!(t.ended(), format!("EXIT={code}"), "after SIG{sig}");
    }
}

#[test]
fn a_terminal_that_goes_away_ends_the_tui() {
    if !have_tmux() {
        return;
    }
    // The tmux server killed under it: its terminal's reads return 0 for
    // ever. It must end (it spun at 100% CPU in crossterm's read loop).
    let t = Tmux::start("hangup", "tui 01", "", 100, 30);
    wait_for_tui(&t, "Before the first step");
    let pid = t.pid();
    t.cmd(&["kill-server"]).status().expect("kill-server");
    let running = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| !r.trim_start().starts_with('Z'))
        })
    };
    let t0 = Instant::now();
    while running() && t0.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(100));
    }
    let still = running();
    if still {
        kill(pid, "KILL");
    }
    assert!(!still, "the TUI went on after its terminal went away");
}

#[test]
fn a_panic_restores_the_terminal_and_prints_its_message() {
    if !have_tmux() {
        return;
    }
    let t = Tmux::start("panic", "tui 01", "SHMSIM_TUI_PANIC=1", 100, 30);
    assert_eq!(t.ended(), "EXIT=101");
    assert!(t.screen().contains("a forced panic"), "{}", t.screen());
}

#[test]
fn a_broken_file_shows_its_diagnostics_and_watch_reloads_it_fixed() {
    if !have_tmux() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("shmsim-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let file = dir.join("mine.toml");
    let good = include_str!("../../scenarios/01-posix-producer-consumer.toml");
    std::fs::write(&file, good.replacen("[[step]]", "[[stepp]]", 1)).expect("written");
    let t = Tmux::start(
        "watch",
        &format!("tui {} --watch --step 2", file.display()),
        "",
        120,
        40,
    );
    wait_for_tui(&t, "does not load");
    assert!(
        t.screen().contains("mine.toml:"),
        "file:line:col expected:\n{}",
        t.screen()
    );
    sleep(Duration::from_millis(1100));
    std::fs::write(&file, good).expect("written");
    wait_for_tui(&t, "Step 2 of");
    t.keys(&["q"]);
    assert_eq!(t.ended(), "EXIT=0");
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
