//! fs
pub mod proc;
pub mod vfs;
