//! `ipc/`: System V inter-process communication (shared memory only).
pub mod proc;
pub mod shm;
pub mod util;
