//! Read-only views of the machine, for the classroom TUI and the tests.
//!
//! Not in the kernel: each view is what a picture of one set of the
//! kernel's tables needs, derived from the [`Kernel`](crate::kernel::Kernel)
//! and never written back. Every view is built by `XView::of(&Kernel)` at a
//! cost proportional to what is populated (the page caches, page tables, LRU
//! lists, swap cache and used swap slots), never a walk of every frame of an
//! idle machine, and long runs are folded: 100,000 pages of a `memset` are a
//! few rows, not 100,000. The views of the biggest tables also have
//! `XView::after(&self, &Kernel, &Touches)`: the view one step on, read
//! again only where the step's [`Touches`](crate::trace::Touches) say it
//! changed, so that a fault over a 100,000-page mapping costs a few rows.
//!
//! | view | the kernel's tables it shows |
//! | --- | --- |
//! | [`cache`] | each file's `address_space.i_pages` (`lib/radix-tree.c` or `lib/xarray.c`) |
//! | [`mm`] | each process's `mm_struct`: VMAs and page tables (`mm/memory.c`) |
//! | [`frames`] | `mem_map` by owner and the `lruvec` lists (`mm/page_alloc.c`, `mm/vmscan.c`) |
//! | [`swap`] | `swap_info[]->swap_map` and the swap cache (`mm/swapfile.c`, `mm/swap_state.c`) |
//! | [`sysv`] | `shm_ids`: the `shmid_kernel` table (`ipc/shm.c`) |
//! | [`counters`] | `/proc/meminfo`, `free`, `df /dev/shm`, `ipcs -m` as the tools print them |

pub mod cache;
pub mod counters;
pub mod frames;
pub mod mm;
pub mod swap;
pub mod sysv;

/// Folds `items` into runs: an item joins the last run when `joins(run,
/// len, item)` says it continues it (`len` is the run's length so far).
pub(crate) fn fold<T>(
    items: impl IntoIterator<Item = T>,
    joins: impl Fn(&T, u64, &T) -> bool,
) -> Vec<(T, u64)> {
    let mut runs: Vec<(T, u64)> = Vec::new();
    for item in items {
        match runs.last_mut() {
            Some((first, n)) if joins(first, *n, &item) => *n += 1,
            _ => runs.push((item, 1)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    #[test]
    fn fold_joins_consecutive_values_only() {
        let runs = super::fold([1u64, 2, 3, 7, 8, 3], |a, n, b| *b == a + n);
        assert_eq!(runs, [(1, 3), (7, 2), (3, 1)]);
    }
}
