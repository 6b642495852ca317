//! `fs/`: the virtual file system and the /proc renderers.
pub mod proc;
