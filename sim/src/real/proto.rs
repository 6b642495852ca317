//! The private channel between the driver and a worker.
//!
//! A `SOCK_STREAM` Unix socket pair. Every message is one frame:
//! `[len: u32 LE][tag: u8][payload]`, `len` counting the tag and the payload.
//! Tags: `J` a JSON request or reply, `R` "ready" (the worker's pid, sent once
//! when a worker starts), `F` a fault (written by the worker's SIGSEGV/SIGBUS
//! handler just before the signal kills it: signo, si_code, si_addr). A frame
//! may carry one descriptor (`SCM_RIGHTS`), sent with its first byte.

use crate::syscalls::{Args, Sys};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use serde::{Deserialize, Serialize};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

/// The descriptor number of the channel in every worker: just above the
/// 1024 descriptors (0-1023) that `RLIMIT_NOFILE` leaves a scenario, as in
/// the model, so the scenario's fd numbers, and the open that fails with
/// `EMFILE`, match the model's. The worker's soft limit is 1024: a limit
/// bounds only the descriptors made after it, never one already open.
pub(crate) const CHAN_FD: RawFd = 1024;

/// Frame tags.
pub(crate) const TAG_JSON: u8 = b'J';
pub(crate) const TAG_READY: u8 = b'R';
pub(crate) const TAG_FAULT: u8 = b'F';

/// A request from the driver: one system call or memory access.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Req {
    /// A call of the call table (`crate::syscalls`): the worker makes its
    /// libc call ([`Sys::on_host`]) with these arguments.
    Sys {
        sys: Sys,
        args: Args,
    },
    /// `mkstemp(3)` of glibc on a (rewritten) template; replies `Mkstemp`.
    Mkstemp {
        template: Vec<u8>,
    },
    Mincore {
        addr: u64,
        len: u64,
    },
    /// `shmctl(2)`; `set` is `(uid, gid, mode)` for `IPC_SET`.
    Shmctl {
        id: i32,
        cmd: i32,
        set: Option<(u32, u32, u32)>,
    },
    WriteUser {
        addr: u64,
        data: Vec<u8>,
    },
    FillUser {
        addr: u64,
        byte: u8,
        len: u64,
    },
    ReadUser {
        addr: u64,
        len: u64,
    },
    ReadCstr {
        addr: u64,
        max: u64,
    },
    /// A real fork; the reply carries the driver's end of the child's channel.
    Fork {
        name: String,
    },
    /// `_exit(status)`: no reply.
    Exit {
        status: i32,
    },
    /// Send `fd` back to the driver (`SCM_RIGHTS`), which holds it in flight.
    SendFd {
        fd: i32,
    },
    /// The frame carries a descriptor: install it (lowest free number).
    RecvFd,
    /// Die by `sig` (default action), as a fault the driver would not let
    /// happen on the worker's own memory.
    Die {
        sig: i32,
    },
}

/// `struct shmid_ds`, as a worker read it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Ds {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u32,
    pub segsz: u64,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    pub cpid: i32,
    pub lpid: i32,
    pub nattch: u64,
}

/// A worker's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Rep {
    Int(i64),
    /// `-1` with this errno.
    Err(i32),
    Bytes(Vec<u8>),
    Mkstemp {
        fd: i32,
        path: Vec<u8>,
    },
    Shmctl {
        ret: i64,
        ds: Option<Ds>,
        info: Option<[u64; 5]>,
    },
    /// What a call of the call table gave back, when it is not an integer.
    Ret(crate::syscalls::Ret),
}

/// Sends one frame (and `pass`, if any, with its first byte).
pub(crate) fn send_frame(
    fd: RawFd,
    tag: u8,
    payload: &[u8],
    pass: Option<RawFd>,
) -> io::Result<()> {
    let len = (payload.len() + 1) as u32;
    let mut buf = Vec::with_capacity(payload.len() + 5);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.push(tag);
    buf.extend_from_slice(payload);
    // SAFETY: the caller's descriptors are open for the whole call.
    let (sock, pass) = unsafe {
        (
            BorrowedFd::borrow_raw(fd),
            pass.map(|p| BorrowedFd::borrow_raw(p)),
        )
    };
    let pass: Vec<BorrowedFd> = pass.into_iter().collect();
    let mut sent = 0usize;
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    while sent < buf.len() {
        let mut control = SendAncillaryBuffer::new(&mut space);
        if sent == 0 && !pass.is_empty() {
            control.push(SendAncillaryMessage::ScmRights(&pass));
        }
        let iov = [io::IoSlice::new(&buf[sent..])];
        match rustix::net::sendmsg(sock, &iov, &mut control, SendFlags::NOSIGNAL) {
            Ok(n) => sent += n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes, collecting any descriptors that come
/// with them. `Ok(false)`: end of file before the first byte.
fn recv_exact(
    fd: RawFd,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    cloexec: bool,
) -> io::Result<bool> {
    // SAFETY: the caller's descriptor is open for the whole call.
    let sock = unsafe { BorrowedFd::borrow_raw(fd) };
    let mut got = 0usize;
    let mut space = [MaybeUninit::uninit();
        rustix::cmsg_space!(ScmRights(1), ScmRights(1), ScmRights(1), ScmRights(1))];
    let flags = if cloexec {
        RecvFlags::CMSG_CLOEXEC
    } else {
        RecvFlags::empty()
    };
    while got < buf.len() {
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut iov = [io::IoSliceMut::new(&mut buf[got..])];
        let n = match rustix::net::recvmsg(sock, &mut iov, &mut control, flags) {
            Ok(r) => r.bytes,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        };
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = m {
                fds.extend(rights);
            }
        }
        if n == 0 {
            if got == 0 {
                return Ok(false);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        got += n as usize;
    }
    Ok(true)
}

/// One frame: its tag, its payload and the descriptors it carried; `None`
/// at end of file.
pub(crate) type Frame = (u8, Vec<u8>, Vec<OwnedFd>);

/// Reads one frame.
pub(crate) fn recv_frame(fd: RawFd, cloexec: bool) -> io::Result<Option<Frame>> {
    let mut fds = Vec::new();
    let mut hdr = [0u8; 4];
    if !recv_exact(fd, &mut hdr, &mut fds, cloexec)? {
        return Ok(None);
    }
    let len = u32::from_le_bytes(hdr) as usize;
    if len == 0 || len > (1 << 30) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad frame length",
        ));
    }
    let mut body = vec![0u8; len];
    recv_exact(fd, &mut body, &mut fds, cloexec)?;
    let tag = body[0];
    body.remove(0);
    Ok(Some((tag, body, fds)))
}

/// A fault frame's payload: signo, si_code, si_addr.
pub(crate) fn parse_fault(p: &[u8]) -> Option<(i32, i32, u64)> {
    if p.len() < 16 {
        return None;
    }
    let sig = i32::from_le_bytes(p[0..4].try_into().ok()?);
    let code = i32::from_le_bytes(p[4..8].try_into().ok()?);
    let addr = u64::from_le_bytes(p[8..16].try_into().ok()?);
    Some((sig, code, addr))
}
