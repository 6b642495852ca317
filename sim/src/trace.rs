//! The trace: which kernel functions an operation went through, in order.
//!
//! Not a kernel facility (the nearest is ftrace's `function_graph` tracer):
//! every model function that stands for a kernel function records its name and
//! file here, with its nesting depth, so that a transcript or the TUI can show
//! `shmem_fault (mm/shmem.c) -> shmem_getpage_gfp -> ... -> radix_tree_insert
//! (lib/radix-tree.c)`.

use serde::Serialize;
use std::fmt;

/// One kernel function an operation went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// The kernel function, e.g. `"shmem_fault"`.
    pub func: &'static str,
    /// The file that defines it, e.g. `"mm/shmem.c"`.
    pub file: &'static str,
    /// Call depth below the operation's entry point (0 = the entry point).
    pub depth: u16,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:indent$}{} ({})",
            "",
            self.func,
            self.file,
            indent = 2 * self.depth as usize
        )
    }
}

/// A recorder of kernel functions, drained after each operation.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: Vec<TraceEvent>,
    depth: u16,
}

impl Trace {
    /// Records entry into `func` (defined in `file`) at the current depth and
    /// goes one level deeper; pair with [`Trace::leave`].
    pub fn enter(&mut self, func: &'static str, file: &'static str) {
        self.events.push(TraceEvent {
            func,
            file,
            depth: self.depth,
        });
        self.depth += 1;
    }

    /// Leaves the function entered last.
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Records a call to a leaf function (one that calls nothing the trace shows).
    pub fn leaf(&mut self, func: &'static str, file: &'static str) {
        self.events.push(TraceEvent {
            func,
            file,
            depth: self.depth,
        });
    }

    /// Takes the events recorded so far and starts afresh.
    pub fn take(&mut self) -> Vec<TraceEvent> {
        self.depth = 0;
        std::mem::take(&mut self.events)
    }

    /// The events recorded since the last [`Trace::take`].
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }
}
