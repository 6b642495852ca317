//! `pmap PID`: procps-ng 4.0.2 `src/pmap.c` (`one_proc`, `mapping_name`).

use crate::fs::proc::VmaView;
use crate::syscalls::{ShellArgs, ShellOut};
use std::fmt::Write as _;

/// pmap's `mapping_name()`: a System V segment (device major 0 and a name
/// starting `/SYSV`) is `  [ shmid=0x<inode> ]`; any other path is its last
/// component (`OS (deleted)`, `zero (deleted)`); the stack is `  [ stack ]`;
/// everything else, `[heap]` and `[vdso]` included, is `  [ anon ]`.
fn pmap_name(v: &VmaView) -> String {
    if v.dev_major == 0 && v.name.starts_with("/SYSV") {
        return format!("  [ shmid=0x{:x} ]", v.ino);
    }
    if let Some(i) = v.name.rfind('/') {
        let base = &v.name[i + 1..];
        return if base.is_empty() {
            "/".into()
        } else {
            base.into()
        };
    }
    if v.name == "[stack]" {
        "  [ stack ]".into()
    } else {
        "  [ anon ]".into()
    }
}

/// `pmap PID` (procps-ng 4.0.2, default format, 64-bit): `PID:   CMDLINE`,
/// one `%016lx %6luK %s %s` line per VMA (permissions as `rwxs-`, private
/// shown as `-`), and ` total %16luK`. `comm` is what pmap prints after the
/// pid: the process's command line.
pub fn render_pmap(pid: u32, comm: &str, vmas: &[VmaView]) -> String {
    let mut out = format!("{pid}:   {comm}\n");
    let mut total: u64 = 0;
    for v in vmas {
        let size = v.end - v.start;
        total += size;
        let perms: String = [
            if v.read { 'r' } else { '-' },
            if v.write { 'w' } else { '-' },
            if v.exec { 'x' } else { '-' },
            if v.shared { 's' } else { '-' },
            '-',
        ]
        .iter()
        .collect();
        let _ = writeln!(
            out,
            "{:016x} {:>6}K {} {}",
            v.start,
            size >> 10,
            perms,
            pmap_name(v)
        );
    }
    let _ = writeln!(out, " total {:>16}K", total >> 10);
    out
}

/// The look step `pmap(proc)` on the kernel model.
pub fn on_kernel(k: &mut crate::kernel::Kernel, a: &ShellArgs) -> ShellOut {
    ShellOut::printed(
        a.proc_()
            .ok_or_else(|| "pmap: which process?\n".to_string())
            .and_then(|(pid, who)| {
                k.vma_views(pid)
                    .map(|vmas| render_pmap(pid, who, &vmas))
                    .map_err(|e| e.strerror().to_string())
            }),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fs::proc::task_mmu::tests::host_vmas;

    const HOST_PMAP: &str = "\
6751:   ./maps
00005642b5b24000      4K r---- maps
00005642b5b25000      4K r-x-- maps
00005642b5b26000      4K r---- maps
00005642b5b27000      4K r---- maps
00005642b5b28000      4K rw--- maps
00007ff8eab16000     12K rw---   [ anon ]
00007ff8eab19000      4K r--s-   [ shmid=0x2 ]
00007ff8eab1a000      8K rw-s- zero (deleted)
00007ff8eab1c000     12K rw---   [ anon ]
00007ff8eab1f000    152K r---- libc.so.6
00007ff8eab45000   1368K r-x-- libc.so.6
00007ff8eac9b000    332K r---- libc.so.6
00007ff8eacee000     16K r---- libc.so.6
00007ff8eacf2000      8K rw--- libc.so.6
00007ff8eacf4000     52K rw---   [ anon ]
00007ff8ead01000      4K rw-s-   [ shmid=0x2 ]
00007ff8ead02000     16K r--s- shmsim_probe_OS (deleted)
00007ff8ead06000     16K rw-s- shmsim_probe_OS (deleted)
00007ff8ead0a000      8K rw---   [ anon ]
00007ff8ead0c000     16K r----   [ anon ]
00007ff8ead10000      8K r----   [ anon ]
00007ff8ead12000      8K r-x--   [ anon ]
00007ff8ead14000      4K r---- ld-linux-x86-64.so.2
00007ff8ead15000    152K r-x-- ld-linux-x86-64.so.2
00007ff8ead3b000     40K r---- ld-linux-x86-64.so.2
00007ff8ead45000      8K r---- ld-linux-x86-64.so.2
00007ff8ead47000      8K rw--- ld-linux-x86-64.so.2
00007ffcab56f000    132K rw---   [ stack ]
ffffffffff600000      4K --x--   [ anon ]
 total             2408K
";

    #[test]
    fn pmap_matches_the_host_byte_for_byte() {
        assert_eq!(render_pmap(6751, "./maps", &host_vmas()), HOST_PMAP);
    }
}
