//! A step's trace as the call tree it is, with repeated calls folded.
//!
//! The trace is ftrace's `function_graph` flattened: each event a function
//! at a depth. The tree puts each call under its caller; identical calls made
//! one after another (a `memset` faulting 786,432 pages) become one node
//! with a count, whatever function they come from. The fold happens while
//! the tree is built, so a huge step costs one node per distinct call.

use sim::trace::TraceEvent;

/// One call in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallNode {
    /// The kernel function.
    pub func: &'static str,
    /// The file that defines it.
    pub file: &'static str,
    /// How many times this same call (with the same callees) ran in a row.
    pub count: u64,
    /// What it called, in order.
    pub children: Vec<CallNode>,
}

impl CallNode {
    fn new(e: &TraceEvent) -> CallNode {
        CallNode {
            func: e.func,
            file: e.file,
            count: 1,
            children: Vec::new(),
        }
    }

    /// The same call: same function, same callees, same counts.
    fn same_call(&self, other: &CallNode) -> bool {
        self.func == other.func && self.file == other.file && self.children == other.children
    }
}

/// Appends `node` to `siblings`, folding it into the last one when it is the
/// same call.
fn push_folded(siblings: &mut Vec<CallNode>, node: CallNode) {
    match siblings.last_mut() {
        Some(last) if last.same_call(&node) => last.count += node.count,
        _ => siblings.push(node),
    }
}

/// The trace as a forest of calls (the entry points at the top), built
/// from the folded trace: a call the trace stores once with its repeat
/// count is one node with that count, so a huge step costs what the
/// trace holds, not the calls it stands for.
pub fn build(trace: &[TraceEvent]) -> Vec<CallNode> {
    let mut nodes = Vec::new();
    let mut i = 0;
    while i < trace.len() {
        let e = &trace[i];
        let end = i
            + 1
            + trace[i + 1..]
                .iter()
                .take_while(|x| x.depth > e.depth)
                .count();
        let node = CallNode {
            count: u64::from(e.repeat) + 1,
            children: build(&trace[i + 1..end]),
            ..CallNode::new(e)
        };
        push_folded(&mut nodes, node);
        i = end;
    }
    nodes
}

/// One line of the drawn tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLine {
    /// Nesting depth (0 = an entry point).
    pub depth: usize,
    /// The function.
    pub func: &'static str,
    /// Its file, when it differs from its caller's.
    pub file: Option<&'static str>,
    /// How many times it ran in a row (1 = once).
    pub count: u64,
}

/// The forest as lines, depth first, each file named where it changes.
pub fn lines(forest: &[CallNode]) -> Vec<TreeLine> {
    let mut out = Vec::new();
    walk(forest, 0, "", &mut out);
    out
}

fn walk(nodes: &[CallNode], depth: usize, parent_file: &str, out: &mut Vec<TreeLine>) {
    for n in nodes {
        out.push(TreeLine {
            depth,
            func: n.func,
            file: (n.file != parent_file).then_some(n.file),
            count: n.count,
        });
        walk(&n.children, depth + 1, n.file, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(func: &'static str, depth: u16) -> TraceEvent {
        TraceEvent {
            func,
            file: if func.starts_with("shmem") {
                "mm/shmem.c"
            } else {
                "mm/memory.c"
            },
            depth,
            repeat: 0,
        }
    }

    #[test]
    fn nests_calls_and_folds_identical_runs() {
        let mut t = Vec::new();
        for _ in 0..3 {
            t.extend([
                ev("handle_mm_fault", 0),
                ev("shmem_fault", 1),
                ev("alloc_set_pte", 2),
            ]);
        }
        t.push(ev("handle_mm_fault", 0));
        t.push(ev("do_wp_page", 1));
        let f = build(&t);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].count, 3);
        assert_eq!(f[0].children[0].func, "shmem_fault");
        assert_eq!(f[1].children[0].func, "do_wp_page");
        let l = lines(&f);
        assert_eq!(l[1].file, Some("mm/shmem.c"));
        assert_eq!(l[2].file, Some("mm/memory.c"));
        assert_eq!(l.len(), 5);
    }

    #[test]
    fn a_depth_that_jumps_never_panics() {
        let f = build(&[ev("a", 3), ev("b", 0), ev("c", 9)]);
        assert_eq!(lines(&f).len(), 3);
    }
}
