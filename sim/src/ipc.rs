//! `ipc/`: System V inter-process communication (shared memory only).
pub mod shm;
pub mod util;
