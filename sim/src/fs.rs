//! fs
pub mod fcntl;
pub mod namei;
pub mod open;
pub mod proc;
pub mod vfs;
