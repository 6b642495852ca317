//! Why: the kernel functions of a step that changed one observable.
//!
//! The model charges every change of what an observable reads (a counter,
//! a PTE, a page-cache slot, a segment's attach count) to the innermost
//! kernel function open at that moment (`sim::trace::Trace::touch`); the
//! runner gives each [`sim::runner::Change`] the functions behind it.

pub use sim::runner::Cause;
use sim::runner::StepOutcome;

/// The causes of change `i` of step `o`, in the order the step ran them.
pub fn causes(o: &StepOutcome, i: usize) -> &[Cause] {
    o.changes.get(i).map_or(&[], |c| c.why.as_slice())
}
