//! The shell steps of a real run: the machine steps (`reclaim`, `sysctl`,
//! `drop_caches`, `rm`) and the look steps (`free`, `ipcs`, `df`, `cat`,
//! `ls`, `pmap`, `smaps`), each the `host` function its declaration in
//! [`crate::syscalls`] names (`dispatch: shell { kernel: .., host: .. }`).
//!
//! Not a kernel file. No worker makes them: the driver runs the real tool
//! (`LC_ALL=C`, its operands rewritten into the run's folder, its output's
//! host names rewritten back), reads the `/proc` file itself, or, for `rm`,
//! removes the run's own file as root. A look step shows only what the run
//! made (its System V segments, its `/dev/shm` folder); what would change the
//! shared host (`reclaim`, `sysctl`, `drop_caches`) is sim only.

use super::{errno_of, host, RealBackend};
use crate::errno::Errno;
use crate::syscalls::{ShellArgs, ShellOut};
use std::collections::BTreeSet;

/// `reclaim(N)`: sim only, never done on a shared host (and not mirrored
/// either, so that the shadow model keeps following the host).
pub(crate) fn reclaim(_: &mut RealBackend, _: &ShellArgs) -> ShellOut {
    ShellOut::SimOnly
}

/// `sysctl(name, value)`: sim only (see [`reclaim`]).
pub(crate) fn sysctl(_: &mut RealBackend, _: &ShellArgs) -> ShellOut {
    ShellOut::SimOnly
}

/// `drop_caches(1)`: sim only (see [`reclaim`]).
pub(crate) fn drop_caches(_: &mut RealBackend, _: &ShellArgs) -> ShellOut {
    ShellOut::SimOnly
}

/// `rm(PATH)`: the shadow model first, then the host's own `unlink(2)` of
/// the run's path (this driver runs as root, as the shell's `rm` would).
pub(crate) fn rm(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    let path = a.text(0);
    let _ = b.model.rm(path);
    let done = b.host_path(path).and_then(|hp| {
        std::fs::remove_file(hp).map_err(|e| e.raw_os_error().map_or(Errno::EIO, errno_of))
    });
    match done {
        Ok(()) => ShellOut::Ret(0),
        Err(e) => ShellOut::Printed {
            text: crate::fs::namei::rm_message(path, e),
            status: 1,
        },
    }
}

/// `free(OPTIONS)`: the host's `free`.
pub(crate) fn free(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(tool_args(b, a.text(0)).and_then(|args| run_tool(b, "free", &args)))
}

/// `df(ARGS)`: the host's `df`, of the run's `/dev/shm` when no path is given.
pub(crate) fn df(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(tool_args(b, a.text(0)).and_then(|mut args| {
        if !args.iter().any(|w| !w.starts_with('-')) {
            args.push(b.shm_dir.display().to_string());
        }
        run_tool(b, "df", &args)
    }))
}

/// `ls(ARGS)`: the host's `ls` (`-l` unless options are given), of the
/// run's `/dev/shm` when no path is given.
pub(crate) fn ls(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(tool_args(b, a.text(0)).and_then(|mut args| {
        if !args.iter().any(|w| w.starts_with("-l")) && !args.iter().any(|w| w.starts_with('-')) {
            args.insert(0, "-l".into());
        }
        if !args.iter().any(|w| !w.starts_with('-')) {
            args.push(b.shm_dir.display().to_string());
        }
        run_tool(b, "ls", &args)
    }))
}

/// `pmap(proc)`: the host's `pmap` of the worker, its first line naming the
/// scenario's process.
pub(crate) fn pmap(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed((|| {
        let (pid, who) = a.proc_().ok_or("pmap: which process?\n")?;
        let out = run_tool(b, "pmap", &[pid.to_string()])?;
        // The first line names the command: the scenario's process.
        let rest = out.split_once('\n').map_or("", |(_, r)| r);
        Ok(format!("{pid}:   {who}\n{rest}"))
    })())
}

/// `smaps(proc, mapping)`: the block of the worker's `/proc/PID/smaps` that
/// holds the address.
pub(crate) fn smaps(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed((|| {
        let (pid, _) = a.proc_().ok_or("smaps: which process?\n")?;
        let at = a.u64(1);
        host::smaps_block(pid as i32, at)
            .map(|block| b.rewrite_out(&block))
            .ok_or_else(|| format!("smaps: no mapping at {at:#x}\n"))
    })())
}

/// `cat(PATH)`: `/proc/sysvipc/shm` with only the run's segments (keys as
/// the scenario names them), any other `/proc` file as the host has it, and
/// any other path the run's own file.
pub(crate) fn cat(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(cat_file(b, a.text(0).trim()))
}

fn cat_file(b: &RealBackend, path: &str) -> Result<String, String> {
    match path {
        "/proc/sysvipc/shm" => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cat: {path}: {e}\n"))?;
            let ours: BTreeSet<i32> = b.guard().segments.keys().copied().collect();
            let mut out = String::new();
            for (i, l) in text.lines().enumerate() {
                match host::parse_sysvipc_line(l) {
                    Some(r) if ours.contains(&r.id) => {
                        // The key column, as the scenario names it, same width.
                        let key = format!("{:>10}", b.scenario_key(r.key));
                        let rest = &l[l.len().min(10)..];
                        out.push_str(&key);
                        out.push_str(rest);
                        out.push('\n');
                    }
                    None if i == 0 => {
                        out.push_str(l);
                        out.push('\n');
                    }
                    _ => {}
                }
            }
            Ok(out)
        }
        p if p.starts_with("/proc/") => std::fs::read_to_string(p)
            .map(|t| b.rewrite_out(&t))
            .map_err(|e| format!("cat: {p}: {e}\n")),
        p => {
            let hp = b
                .host_path(p)
                .map_err(|e| format!("cat: {p}: {}\n", e.strerror()))?;
            std::fs::read(&hp)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| format!("cat: {p}: {e}\n"))
        }
    }
}

/// `ipcs(OPTIONS)`: the host's `ipcs`, with only the run's segments (keys as
/// the scenario names them); `-u` is machine-wide totals.
pub(crate) fn ipcs(b: &mut RealBackend, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(ipcs_of_run(b, a.text(0)))
}

fn ipcs_of_run(b: &RealBackend, arg: &str) -> Result<String, String> {
    let words: Vec<&str> = arg.split_whitespace().collect();
    let ours: BTreeSet<i32> = b.guard().segments.keys().copied().collect();
    if let Some(i) = words.iter().position(|&w| w == "-i") {
        let id: i32 = words
            .get(i + 1)
            .and_then(|w| w.parse().ok())
            .ok_or("ipcs: option requires an argument -- 'i'\n")?;
        if !ours.contains(&id) {
            return Err(format!("ipcs: id {id} not found\n"));
        }
        return run_tool(b, "ipcs", &["-m".into(), "-i".into(), id.to_string()]);
    }
    let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let out = run_tool(b, "ipcs", &args)?;
    if words.contains(&"-u") {
        return Ok(out); // Machine-wide totals.
    }
    // Only the run's segments (and headers); keys as the scenario names them.
    let mut section_shm = false;
    let mut s = String::new();
    for l in out.lines() {
        if l.starts_with("------") {
            section_shm = l.contains("Shared Memory");
        }
        let w: Vec<&str> = l.split_whitespace().collect();
        let row_id = w
            .first()
            .filter(|k| k.starts_with("0x"))
            .and_then(|_| w.get(1))
            .and_then(|id| id.parse::<i32>().ok());
        match row_id {
            Some(id) if section_shm && !ours.contains(&id) => continue,
            Some(_) if !section_shm => continue,
            _ => {}
        }
        s.push_str(l);
        s.push('\n');
    }
    Ok(s)
}

/// Runs the host's `prog` in the C locale: its output (host names rewritten
/// to the scenario's), or its output and error when it fails.
fn run_tool(b: &RealBackend, prog: &str, args: &[String]) -> Result<String, String> {
    let out = std::process::Command::new(prog)
        .args(args)
        .env("LC_ALL", "C")
        .env("COLUMNS", "200")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{prog}: {e}\n"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(b.rewrite_out(&text))
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(b.rewrite_out(&format!("{text}{err}")))
    }
}

/// Splits a look step's argument into options and operands; operands are
/// rewritten into the run.
fn tool_args(b: &RealBackend, arg: &str) -> Result<Vec<String>, String> {
    arg.split_whitespace()
        .map(|w| {
            if w.starts_with('-') {
                Ok(w.to_string())
            } else {
                b.host_path(w)
                    .map(|p| p.display().to_string())
                    .map_err(|e| format!("{w}: {}\n", e.strerror()))
            }
        })
        .collect()
}
