//! `mm/`: memory management.
pub mod swapops;
