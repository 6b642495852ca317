//! Processes: `fork` and `exit`.
//!
//! Mirrors `kernel/fork.c` (`copy_process`, `dup_mm` -> `dup_mmap`,
//! `copy_files`) and `kernel/exit.c` (`do_exit`, `exit_mm` -> `exit_mmap`,
//! `exit_files`).

use crate::errno::SysResult;
use crate::kernel::{ExitStatus, Kernel, Mm, Pid, Task};
use std::collections::BTreeMap;

impl Kernel {
    /// `fork(2)`: a child named `comm` with a copy of the parent's address
    /// space (private pages shared copy-on-write, shared mappings shared, their
    /// PTEs left for the child to fault in) and of its descriptor table (the
    /// same open files). Returns the child's pid.
    pub fn fork(&mut self, pid: Pid, comm: &str) -> SysResult<Pid> {
        self.tick();
        self.trace.enter("_do_fork", "kernel/fork.c");
        let parent = self.task(pid)?.clone();
        let child = self.next_pid;
        self.next_pid += 1;
        self.trace.leaf("copy_files", "kernel/fork.c");
        for &file in parent.fds.values() {
            self.get_file(file);
        }
        self.tasks.insert(
            child,
            Task {
                pid: child,
                comm: comm.to_string(),
                uid: parent.uid,
                gid: parent.gid,
                ruid: parent.ruid,
                suid: parent.suid,
                umask: parent.umask,
                rlim: parent.rlim,
                mm: Mm {
                    mmap_base: parent.mm.mmap_base,
                    ..Mm::default()
                },
                fds: parent.fds.clone(),
                close_on_exec: parent.close_on_exec.clone(),
                parent: Some(pid),
                faults: (0, 0),
            },
        );
        self.trace.enter("dup_mmap", "kernel/fork.c");
        for vma in parent.mm.vmas.values() {
            if let Some(f) = vma.file {
                self.get_file(f);
            }
            if let Some(attach) = vma.shm {
                // dup_mmap runs in the parent: shm_lprid is the parent.
                self.shm_open(attach.shmid, pid);
            }
            // dup_mmap: `tmp->vm_flags &= ~(VM_LOCKED | VM_LOCKONFAULT)`:
            // locks are not inherited.
            let mut copy = vma.clone();
            copy.flags &= !(crate::kernel::vm::LOCKED | crate::kernel::vm::LOCKONFAULT);
            self.tasks
                .get_mut(&child)
                .expect("just created")
                .mm
                .vmas
                .insert(vma.start, copy);
            self.touch_vma(child, vma);
            self.copy_page_range(pid, child, vma);
        }
        self.trace.leave();
        self.trace.leave();
        Ok(child)
    }

    /// `exit(2)`.
    pub fn exit(&mut self, pid: Pid, status: i32) -> SysResult<i32> {
        self.tick();
        self.task(pid)?;
        self.do_exit(pid, ExitStatus::Exited(status));
        Ok(0)
    }

    /// `do_exit`: the address space is torn down (`exit_mmap`: every VMA
    /// unmapped, System V attaches closed), every descriptor closed
    /// (`exit_files`), files in flight to it dropped, and, with
    /// `kernel.shm_rmid_forced`, its orphaned segments removed (`exit_shm`).
    pub(crate) fn do_exit(&mut self, pid: Pid, status: ExitStatus) {
        self.trace.enter("do_exit", "kernel/exit.c");
        self.trace.touch(crate::trace::Touch::Task { pid });
        self.trace.enter("exit_mmap", "mm/mmap.c");
        let starts: Vec<u64> = self.tasks[&pid].mm.vmas.keys().copied().collect();
        for start in starts {
            let vma = self
                .tasks
                .get_mut(&pid)
                .expect("live")
                .mm
                .vmas
                .remove(&start)
                .expect("vma");
            self.zap_page_range(pid, vma.start, vma.end);
            self.remove_vma(pid, vma);
        }
        self.trace.leave();
        self.trace.leaf("exit_files", "kernel/exit.c");
        let fds: BTreeMap<i32, _> =
            std::mem::take(&mut self.tasks.get_mut(&pid).expect("live").fds);
        for file in fds.into_values() {
            self.fput(file);
        }
        for file in self.in_flight.remove(&pid).unwrap_or_default() {
            self.fput(file);
        }
        self.exit_shm(pid);
        self.tasks.remove(&pid);
        self.exited.insert(pid, status);
        self.trace.leave();
    }
}
