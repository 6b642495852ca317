//! fs
pub mod fcntl;
pub mod open;
pub mod proc;
pub mod vfs;
