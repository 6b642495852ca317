//! fs
pub mod open;
pub mod proc;
pub mod vfs;
