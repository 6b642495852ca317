//! shmsim's front ends over the `sim` library: the bundled scenarios and the
//! classroom TUI ([`app`]). The `shmsim` binary (`src/main.rs`) is the
//! command line over both.

pub mod app;
pub mod book;
pub mod bundled;
