//! The classroom TUI: play a scenario step by step, forward and back, with
//! pictures of the kernel's structures, beside the real kernel.
//!
//! Shaped like gitui and ratatui's own examples: the app is a plain state
//! ([`App`]) changed only by [`Action`]s; keys map to actions through one
//! table ([`keys`]) that also writes the help; drawing ([`ui`]) is a pure
//! function of the state, so tests drive the whole app without a terminal
//! and `shmsim frame` prints exactly what the TUI would draw.

pub mod theme;
pub mod views;
