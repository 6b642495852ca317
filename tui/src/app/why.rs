//! Why: the kernel functions of a step that changed one observable.

use sim::runner::StepOutcome;

/// One kernel function that changed an observable, and how many times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// The function.
    pub func: &'static str,
    /// Its file.
    pub file: &'static str,
    /// How many times it changed it in this step.
    pub count: u64,
}

/// The causes of change `i` of step `o`, in the order the step ran them.
pub fn causes(_o: &StepOutcome, _i: usize) -> Vec<Cause> {
    Vec::new()
}
