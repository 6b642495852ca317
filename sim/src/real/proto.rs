//! The private channel between the driver and a worker.
//!
//! A `SOCK_STREAM` Unix socket pair. Every message is one frame:
//! `[len: u32 LE][tag: u8][payload]`, `len` counting the tag and the payload.
//! Tags: `J` a JSON request or reply, `R` "ready" (the worker's pid, sent once
//! when a worker starts), `F` a fault (written by the worker's SIGSEGV/SIGBUS
//! handler just before the signal kills it: signo, si_code, si_addr). A frame
//! may carry one descriptor (`SCM_RIGHTS`), sent with its first byte.

use crate::syscalls::{Args, Sys};
use serde::{Deserialize, Serialize};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// The descriptor number of the channel in every worker: just above the
/// 1024 descriptors (0-1023) that `RLIMIT_NOFILE` leaves a scenario, as in
/// the model, so the scenario's fd numbers, and the open that fails with
/// `EMFILE`, match the model's. The worker's soft limit is 1025.
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
    Open {
        path: Vec<u8>,
        flags: i32,
        mode: u32,
    },
    Ftruncate {
        fd: i32,
        len: i64,
    },
    Read {
        fd: i32,
        n: u64,
    },
    Pread {
        fd: i32,
        n: u64,
        off: i64,
    },
    Write {
        fd: i32,
        data: Vec<u8>,
    },
    Pwrite {
        fd: i32,
        data: Vec<u8>,
        off: i64,
    },
    Unlink {
        path: Vec<u8>,
    },
    /// `mkstemp(3)` of glibc on a (rewritten) template; replies `Mkstemp`.
    Mkstemp {
        template: Vec<u8>,
    },
    /// `ftok(3)` as glibc computes it.
    Ftok {
        path: Vec<u8>,
        id: i32,
    },
    Fstat {
        fd: i32,
    },
    Stat {
        path: Vec<u8>,
    },
    Mmap {
        addr: u64,
        len: u64,
        prot: i32,
        flags: i32,
        fd: i32,
        off: i64,
    },
    Munmap {
        addr: u64,
        len: u64,
    },
    Mincore {
        addr: u64,
        len: u64,
    },
    Shmget {
        key: i32,
        size: u64,
        flags: i32,
    },
    Shmat {
        id: i32,
        addr: u64,
        flags: i32,
    },
    Shmdt {
        addr: u64,
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
    /// A `struct stat`: `st_dev`'s major and minor, `st_ino`, `st_mode`,
    /// `st_nlink`, `st_uid`, `st_gid`, `st_size`, `st_blocks`, `st_mtime`.
    Stat([i64; 10]),
}

fn cmsg_space() -> usize {
    // SAFETY: CMSG_SPACE is a pure computation.
    unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize }
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
    let mut sent = 0usize;
    let mut cbuf = vec![0u8; cmsg_space()];
    while sent < buf.len() {
        let mut iov = libc::iovec {
            iov_base: buf[sent..].as_ptr() as *mut libc::c_void,
            iov_len: buf.len() - sent,
        };
        // SAFETY: msghdr is plain data; every pointer it holds outlives the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let (0, Some(p)) = (sent, pass) {
            msg.msg_control = cbuf.as_mut_ptr().cast();
            msg.msg_controllen = cbuf.len() as _;
            // SAFETY: the control buffer has room for one cmsg holding one fd.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
                std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>(), p);
            }
        }
        // SAFETY: msg describes valid buffers.
        let n = unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        sent += n as usize;
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
    let mut got = 0usize;
    let mut cbuf = vec![0u8; cmsg_space() * 4];
    while got < buf.len() {
        let mut iov = libc::iovec {
            iov_base: buf[got..].as_mut_ptr().cast(),
            iov_len: buf.len() - got,
        };
        // SAFETY: as in send_frame.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = cbuf.len() as _;
        let flags = if cloexec { libc::MSG_CMSG_CLOEXEC } else { 0 };
        // SAFETY: msg describes valid buffers.
        let n = unsafe { libc::recvmsg(fd, &mut msg, flags) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // SAFETY: walking the control messages the kernel wrote.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                    let data = libc::CMSG_DATA(c).cast::<RawFd>();
                    let hdr = libc::CMSG_LEN(0) as usize;
                    let count = ((*c).cmsg_len as usize - hdr) / std::mem::size_of::<RawFd>();
                    for i in 0..count {
                        let f = std::ptr::read_unaligned(data.add(i));
                        fds.push(OwnedFd::from_raw_fd(f));
                    }
                }
                c = libc::CMSG_NXTHDR(&msg, c);
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
