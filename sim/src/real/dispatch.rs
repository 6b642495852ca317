//! A call of the call table on the host: one generic implementation of each
//! property a declaration in [`crate::syscalls`] can have ([`Real`], the
//! kinds of its parameters, its result, its `guard`), none of which names a
//! call.
//!
//! Not a kernel file. The order is the same for every call:
//!
//! ```text
//!   caps -> facts the model would change (does the file exist?) -> the model
//!   -> refusals (the worker's own memory, another's segment) -> host arguments
//!   (paths, names, keys, flags) -> the worker's libc call -> what the run now
//!   owns (ranges, segments, keys)
//! ```

use super::{host, mp, page_up, remove_range, RealBackend, PAGE};
use super::{IPC_CREAT, IPC_EXCL, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_SHARED_VALIDATE, MAP_TYPE};
use super::{O_CREAT, O_EXCL};
use crate::errno::{Errno, SysResult};
use crate::kernel::Pid;
use crate::scenario::calls::{ArgKind, Returns};
use crate::syscalls::{Args, Real, Ret, Sys};

impl RealBackend {
    /// A call of the call table: the model first (its answer is the
    /// compare's other side), then the worker's libc call, with the
    /// scenario's paths made the run folder's, its keys and ids the run's,
    /// and the worker's own memory kept out of reach.
    pub(super) fn table_call(&mut self, pid: Pid, sys: Sys, args: &Args) -> SysResult<Ret> {
        self.over_cap(sys, args)?;
        let named = self.shm_names(sys, args);
        let existed = self.existed(sys, &named);
        let model_args = self.model_args(sys, args);
        let model = sys.on_kernel(&mut self.model, mp(&self.workers, pid), &model_args);
        self.refused(pid, sys, args)?;
        let mut args = named?;
        let at = model.as_ref().and_then(|r| r.as_ref().ok()).map(Ret::int);
        self.host_args(pid, sys, &mut args, existed, at)?;
        let detached = self.attached_at(pid, sys, &args);
        if sys.real().contains(&Real::Remaps) {
            let model = model.map(|r| r.map(|m| m.int()));
            return self.mremap(pid, model, args).map(Ret::Int);
        }
        let r = self.host_call(pid, sys, args.clone());
        if let Ok(v) = r.as_ref().map(Ret::int) {
            self.owned_now(pid, sys, &args, v, detached);
            self.learnt(sys, v, at);
        }
        r
    }

    /// `Real::Cap`, `Real::CapOff`: sizes a real run may not use.
    fn over_cap(&mut self, sys: Sys, args: &Args) -> SysResult<()> {
        for r in sys.real() {
            let (n, e) = match *r {
                Real::Cap(i, e) => (args.u64(i), e),
                Real::CapOff(i, e) => (args.int(i).max(0) as u64, e),
                Real::CapEnd { off, data, errno } => {
                    let end = args.int(off).max(0) as u64;
                    (end.saturating_add(args.bytes(data).len() as u64), errno)
                }
                _ => continue,
            };
            if self.too_big(sys.name(), n) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// `Real::ShmName`: the arguments with each POSIX shm name made the
    /// path glibc opens (`/dev/shm/NAME`), or the name's error.
    fn shm_names(&self, sys: Sys, args: &Args) -> SysResult<Args> {
        let mut args = args.clone();
        for r in sys.real() {
            if let Real::ShmName(i, e) = *r {
                let path = crate::glibc::shm_get_name(&args.text(i)).map_err(|x| e.unwrap_or(x))?;
                if let Some(s) = args.strs.get_mut(i) {
                    *s = Some(path.into_bytes());
                }
            }
        }
        Ok(args)
    }

    /// `Real::Opens`: did the model have the file before the call?
    fn existed(&self, sys: Sys, named: &SysResult<Args>) -> bool {
        let Ok(a) = named else { return false };
        sys.real().iter().any(|r| match *r {
            Real::Opens { path, .. } => self.model_has(&a.text(path)),
            _ => false,
        })
    }

    /// The model's arguments: its own keys (those `ftok` gave on the host
    /// stand for the model's) and its own segment ids.
    fn model_args(&self, sys: Sys, args: &Args) -> Args {
        let mut a = args.clone();
        for (i, prm) in sys.sig().params.iter().enumerate() {
            let Some(v) = a.ints.get_mut(i) else { break };
            match prm.kind {
                ArgKind::Key if *v != 0 => {
                    *v = i64::from(
                        self.key_model
                            .get(&(*v as i32))
                            .copied()
                            .unwrap_or(*v as i32),
                    );
                }
                ArgKind::ShmId => *v = i64::from(super::model_id(&self.ids, *v as i32)),
                _ => {}
            }
        }
        a
    }

    /// What a real run refuses after the model: a range of the worker's own
    /// memory (`guard`, with a note), a segment that is not the run's
    /// (`EINVAL`, as if it did not exist).
    fn refused(&mut self, pid: Pid, sys: Sys, args: &Args) -> SysResult<()> {
        if let Some((at, len)) = sys.guard() {
            let (addr, len) = (args.u64(at), args.u64(len));
            if len > 0 && self.foreign(pid, addr, len).is_some() {
                self.note(format!(
                    "{}({addr:#x}, {len}) refused: the worker's own memory",
                    sys.name()
                ));
                return Err(Errno::EPERM);
            }
        }
        for (i, prm) in sys.sig().params.iter().enumerate() {
            if prm.kind == ArgKind::ShmId && !self.ours(args.i32(i)) {
                return Err(Errno::EINVAL);
            }
        }
        Ok(())
    }

    /// The host's arguments: paths in the run folder (`Real::Opens` keeps
    /// `/dev/zero` and adds `O_EXCL`), an attach at the model's address
    /// (`Real::Attaches`).
    fn host_args(
        &mut self,
        pid: Pid,
        sys: Sys,
        args: &mut Args,
        existed: bool,
        model: Option<i64>,
    ) -> SysResult<()> {
        for (i, prm) in sys.sig().params.iter().enumerate() {
            if prm.kind != ArgKind::Path {
                continue;
            }
            let path = args.text(i);
            let zero = sys
                .real()
                .iter()
                .any(|r| matches!(*r, Real::Opens { path: p, .. } if p == i))
                && crate::fs::vfs::normalize_path(&path).is_ok_and(|n| n == "/dev/zero");
            let hp = if zero {
                b"/dev/zero".to_vec()
            } else {
                self.host_bytes(&path)?
            };
            if let Some(s) = args.strs.get_mut(i) {
                *s = Some(hp);
            }
        }
        for r in sys.real() {
            match *r {
                Real::Opens { flags, .. } if !existed && args.u32(flags) & O_CREAT != 0 => {
                    args.ints[flags] |= i64::from(O_EXCL);
                }
                Real::MapsAt { addr, len, flags } => {
                    let at = model.map_or(args.u64(addr), |a| a as u64);
                    let fl =
                        self.map_flags(pid, at, args.u64(len), args.u32(flags), model.is_some());
                    args.ints[addr] = at as i64;
                    args.ints[flags] = i64::from(fl);
                }
                Real::Attaches { id, addr, flags } => {
                    let at = model.map_or(args.u64(addr), |a| a as u64);
                    args.ints.resize(args.ints.len().max(3), 0);
                    args.ints[addr] = at as i64;
                    args.ints[flags] =
                        i64::from(self.shmat_flags(pid, args.i32(id), at, args.i32(flags)));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `Real::MapsAt`: the flags of a real mmap at `at`, the model's address
    /// when it `mapped`. `MAP_SHARED_VALIDATE` refuses `MAP_FIXED_NOREPLACE`
    /// (it is not in `LEGACY_MAP_MASK`): the address goes as a hint, which
    /// the host takes when it is free. `MAP_FIXED` may only replace what
    /// the scenario itself mapped.
    fn map_flags(&self, pid: Pid, at: u64, len: u64, flags: u32, mapped: bool) -> u32 {
        let mut fl = if mapped && flags & MAP_TYPE != MAP_SHARED_VALIDATE {
            flags | MAP_FIXED_NOREPLACE
        } else {
            flags
        };
        if fl & MAP_FIXED != 0 {
            fl &= !MAP_FIXED;
            if self.foreign(pid, at, len).is_none() {
                fl = (fl & !MAP_FIXED_NOREPLACE) | MAP_FIXED;
            } else {
                fl |= MAP_FIXED_NOREPLACE;
            }
        }
        fl
    }

    /// `Real::Detaches`: the range of the segment the host attached at the
    /// address, before the call detaches it.
    fn attached_at(&self, pid: Pid, sys: Sys, args: &Args) -> Option<(u64, u64)> {
        let i = sys.real().iter().find_map(|r| match *r {
            Real::Detaches(i) => Some(i),
            _ => None,
        })?;
        host::maps(pid as i32)
            .into_iter()
            .find(|m| m.start == args.u64(i) && m.path.starts_with("/SYSV"))
            .map(|m| (m.start, m.end))
    }

    /// The worker's libc call; `Real::IpcGet` finds the host key first.
    fn host_call(&mut self, pid: Pid, sys: Sys, args: Args) -> SysResult<Ret> {
        let get = sys.real().iter().find_map(|r| match *r {
            Real::IpcGet { key, flags } => Some((key, flags)),
            _ => None,
        });
        match get {
            Some((key, flags)) if args.i32(key) != 0 => {
                self.ipc_get(pid, sys, args, key, flags).map(Ret::Int)
            }
            _ => self.sys_ret(pid, super::Req::Sys { sys, args }),
        }
    }

    /// `Real::IpcGet` of a key that is not `IPC_PRIVATE`.
    fn ipc_get(
        &mut self,
        pid: Pid,
        sys: Sys,
        mut args: Args,
        key: usize,
        flags: usize,
    ) -> SysResult<i64> {
        let (scenario_key, fl) = (args.i32(key), args.i32(flags));
        for _ in 0..8 {
            let hk = self.host_key(scenario_key);
            args.ints[key] = i64::from(hk);
            let row = host::sysvipc_rows().into_iter().find(|r| r.key == hk);
            match row {
                Some(row) if self.ours(row.id) => {
                    args.ints[flags] = i64::from(fl);
                    return self.sys(pid, super::Req::Sys { sys, args });
                }
                // Someone else's segment has that key: take another.
                Some(_) => {
                    self.fresh_key(scenario_key);
                }
                // No segment of the run has it: the host says ENOENT too,
                // and nothing outside the run is looked up.
                None if fl & IPC_CREAT == 0 => return Err(Errno::ENOENT),
                None => {
                    args.ints[flags] = i64::from(fl | IPC_EXCL);
                    match self.sys(
                        pid,
                        super::Req::Sys {
                            sys,
                            args: args.clone(),
                        },
                    ) {
                        Err(Errno::EEXIST) => {
                            self.fresh_key(scenario_key);
                        }
                        other => return other,
                    }
                }
            }
        }
        Err(Errno::ENOSPC)
    }

    /// What the run owns after a successful call: `Real::Unmaps` and
    /// `Real::Detaches` take ranges away, `Real::Attaches` adds one, a
    /// `ShmId` result is a segment of the run's.
    fn owned_now(&mut self, pid: Pid, sys: Sys, args: &Args, v: i64, detached: Option<(u64, u64)>) {
        for r in sys.real() {
            match *r {
                Real::Unmaps(a, l) => {
                    let (a, l) = (args.u64(a), args.u64(l));
                    if let Some(w) = self.workers.get_mut(&pid) {
                        remove_range(&mut w.owned, a, a.saturating_add(page_up(l)));
                    }
                }
                Real::Detaches(_) => {
                    if let (Some((a, b)), Some(w)) = (detached, self.workers.get_mut(&pid)) {
                        remove_range(&mut w.owned, a, b);
                    }
                }
                Real::MapsAt { len, .. } => self.own(pid, v as u64, args.u64(len)),
                Real::Attaches { id, .. } => {
                    let size = host::sysvipc_rows()
                        .into_iter()
                        .find(|x| x.id == args.i32(id))
                        .map_or(PAGE, |x| x.size);
                    self.own(pid, v as u64, size);
                }
                _ => {}
            }
        }
        if sys.sig().returns == Returns::ShmId && !self.ours(v as i32) {
            let row = host::sysvipc_rows().into_iter().find(|x| x.id == v as i32);
            let mine = row
                .as_ref()
                .is_some_and(|x| self.workers.contains_key(&(x.cpid as Pid)));
            if mine {
                let k = row.map_or(0, |x| x.key);
                let g = &mut *self.guard();
                g.segments.insert(v as i32, k);
                g.note(&format!("seg {} {k}", v as i32));
            }
        }
    }

    /// What the host's answer stands for in the model: a key (`ftok`'s) for
    /// the model's key, a segment id for the model's id.
    fn learnt(&mut self, sys: Sys, v: i64, model: Option<i64>) {
        let Some(m) = model else { return };
        match sys.sig().returns {
            Returns::Key => {
                self.key_model.insert(v as i32, m as i32);
            }
            Returns::ShmId => {
                self.ids.insert(v as i32, m as i32);
            }
            _ => {}
        }
    }
}
