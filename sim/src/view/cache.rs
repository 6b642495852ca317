//! Each file's page cache, drawn as the tree it is.
//!
//! Mirrors `struct address_space` (`include/linux/fs.h`: `i_pages`,
//! `nrpages`, `nrexceptional`) and its index: the 4.14 radix tree
//! (`lib/radix-tree.c`: nodes with `shift`, `offset`, `count`,
//! `exceptional`; exceptional swap entries `swp << 2 | 2`) or, in the
//! XArray era, the same nodes with value entries `swp << 1 | 1`
//! (`lib/xarray.c`). Words are written in the era's own encoding.
//!
//! Slots are folded into runs (64 holes, pages with consecutive pfns, swap
//! entries with consecutive offsets), and like leaf nodes in a row (each
//! one run continuing the last) into one row, so a 400 MiB file is a few
//! dozen rows.

use crate::kernel::Kernel;
use crate::klib::radix_tree::{node_addr, NodeView, Slot, SlotEntry};
use crate::mm::filemap::CacheEntry;
use crate::mm::page::Pfn;
use crate::mm::swapops::{page_word, Encoding, Era};
use crate::trace::{TouchKey, Touches};
use serde::Serialize;

/// What a slot word decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Decoded {
    /// `NULL`: a hole.
    Hole,
    /// A `struct page *`: the page of frame `pfn`.
    Page {
        /// The frame.
        pfn: Pfn,
    },
    /// An exceptional (radix) or value (XArray) entry: a swap entry.
    Swap {
        /// `swp_type`.
        type_: u32,
        /// `swp_offset`.
        offset: u64,
    },
    /// An internal entry: a pointer to a child node.
    Node {
        /// The child's allocation serial.
        serial: u64,
        /// Its (fake) address.
        addr: u64,
    },
}

impl Decoded {
    /// The slot `i` places further in a run: pfns, offsets and serials count up.
    pub fn nth(&self, i: u64) -> Decoded {
        match *self {
            Decoded::Hole => Decoded::Hole,
            Decoded::Page { pfn } => Decoded::Page {
                pfn: pfn + i as Pfn,
            },
            Decoded::Swap { type_, offset } => Decoded::Swap {
                type_,
                offset: offset + i,
            },
            Decoded::Node { serial, .. } => Decoded::Node {
                serial: serial + i,
                addr: node_addr(serial + i),
            },
        }
    }

    /// The `cache.PATH` observable's letter: `P`, `x`, `-` (a node: `n`).
    pub fn letter(&self) -> char {
        match self {
            Decoded::Hole => '-',
            Decoded::Page { .. } => 'P',
            Decoded::Swap { .. } => 'x',
            Decoded::Node { .. } => 'n',
        }
    }

    /// The word the era stores for it.
    pub fn word(&self, enc: Encoding) -> u64 {
        match *self {
            Decoded::Hole => 0,
            Decoded::Page { pfn } => page_word(pfn as u64),
            Decoded::Swap { type_, offset } => enc
                .swp_entry(type_, offset)
                .map_or(0, |e| enc.swp_to_radix_entry(e)),
            Decoded::Node { addr, .. } => enc.node_word(addr),
        }
    }
}

/// `count` slots of a node from `slot` on, each continuing the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SlotRun {
    /// The first slot number (0..64).
    pub slot: u8,
    /// Slots in the run (in a folded row of `nodes` nodes, per node).
    pub count: u8,
    /// The first page index under the first slot.
    pub index: u64,
    /// The first slot's raw word.
    pub word: u64,
    /// What it decodes to.
    pub decoded: Decoded,
}

/// A node (`struct radix_tree_node`), or `nodes` like siblings in a row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeRow {
    /// Allocation serial (of the first node of the row).
    pub serial: u64,
    /// Its address.
    pub addr: u64,
    /// `shift`.
    pub shift: u8,
    /// `offset` in the parent (of the first node).
    pub offset: u8,
    /// `count`.
    pub count: u8,
    /// `exceptional`.
    pub exceptional: u8,
    /// Levels above it (0 for the top node).
    pub depth: u32,
    /// The first page index it covers.
    pub first_index: u64,
    /// The last page index the row covers.
    pub last_index: u64,
    /// Like nodes this row stands for (1 unless folded), at consecutive
    /// offsets, each a single run continuing the one before.
    pub nodes: u64,
    /// The last folded node's serial.
    pub last_serial: u64,
    /// The slots (of the first node), folded.
    pub slots: Vec<SlotRun>,
}

/// shmem's per-inode accounting (`shmem_inode_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ShmemCounts {
    /// `alloced`.
    pub alloced: u64,
    /// `swapped`.
    pub swapped: u64,
}

/// One file's page cache.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileCache {
    /// As `d_path` gives it.
    pub path: String,
    /// `i_ino`.
    pub ino: u32,
    /// `i_size`.
    pub size: u64,
    /// `nrpages`.
    pub nrpages: u64,
    /// `nrexceptional`.
    pub nrexceptional: u64,
    /// shmem `alloced`/`swapped`, for a tmpfs or shmem file.
    pub shmem: Option<ShmemCounts>,
    /// `root->rnode` as a word.
    pub root_word: u64,
    /// What the root word decodes to.
    pub root: Decoded,
    /// Node levels (0: no node).
    pub height: u32,
    /// The nodes, depth first, folded.
    pub nodes: Vec<NodeRow>,
    /// Nodes the tree had ever allocated when read: with the node count,
    /// says whether a later reading can keep these rows.
    #[serde(skip)]
    pub nodes_allocated: u64,
}

impl FileCache {
    /// Rows a picture needs: the root, each node row and slot run.
    pub fn rows(&self) -> usize {
        1 + self.nodes.iter().map(|n| 1 + n.slots.len()).sum::<usize>()
    }

    /// The entries unfolded: `(index, decoded)` of every non-empty leaf slot
    /// (or the lone entry in the root), in index order.
    pub fn entries(&self) -> Vec<(u64, Decoded)> {
        if self.height == 0 {
            return match self.root {
                Decoded::Hole => Vec::new(),
                d => vec![(0, d)],
            };
        }
        let mut out = Vec::new();
        for n in self.nodes.iter().filter(|n| n.shift == 0) {
            for j in 0..n.nodes {
                for r in n.slots.iter().filter(|r| r.decoded != Decoded::Hole) {
                    for i in 0..r.count as u64 {
                        let step = j * r.count as u64 + i;
                        out.push((
                            n.first_index + j * 64 + r.slot as u64 + i,
                            r.decoded.nth(step),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Every file with a page cache.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheView {
    /// The index's era.
    pub era: Era,
    /// By inode number.
    pub files: Vec<FileCache>,
}

impl CacheView {
    /// The view of `k`'s page caches.
    pub fn of(k: &Kernel) -> CacheView {
        CacheView {
            era: k.cfg.encoding.era,
            files: k
                .inodes
                .keys()
                .filter_map(|ino| FileCache::of(k, ino))
                .collect(),
        }
    }

    /// Rows a picture needs.
    pub fn rows(&self) -> usize {
        self.files.iter().map(FileCache::rows).sum()
    }

    /// The view after a step that made the changes `touches` records, from
    /// the view before it (`self`): a file whose slots and inode nothing
    /// touched is kept; a file whose nodes are the same ones has only the
    /// leaves over its touched slots read again; any other is read afresh.
    /// Equal to [`CacheView::of`] (the TUI checks it in debug builds).
    pub fn after(&self, k: &Kernel, touches: &Touches) -> CacheView {
        let files = k
            .inodes
            .keys()
            .filter_map(|ino| {
                let old = self.files.iter().find(|f| f.ino == ino);
                let slots: Vec<(u64, u64)> = touches
                    .records
                    .iter()
                    .filter(|r| r.key == TouchKey::Cache(ino))
                    .map(|r| (r.lo, r.hi))
                    .collect();
                let inode = touches
                    .records
                    .iter()
                    .any(|r| r.key == TouchKey::Inode(ino));
                match old {
                    Some(f) if slots.is_empty() && !inode => Some(f.clone()),
                    Some(f) => f.after(k, &slots).or_else(|| FileCache::of(k, ino)),
                    None => FileCache::of(k, ino),
                }
            })
            .collect();
        CacheView {
            era: k.cfg.encoding.era,
            files,
        }
    }
}

impl FileCache {
    /// The page cache of inode `ino`; `None` unless it is a regular file
    /// that is tmpfs/shmem or has something cached.
    pub fn of(k: &Kernel, ino: u32) -> Option<FileCache> {
        let head = FileCache::of_head(k, ino)?;
        let tree = &k.inodes[&ino].mapping.i_pages;
        let enc = k.cfg.encoding;
        let rows = tree.nodes_with_slots();
        let depths = depths(rows.iter().map(|(v, _)| v));
        let nodes = rows
            .iter()
            .zip(depths)
            .map(|((v, slots), d)| node_row(v, slots, d, enc));
        let root = match tree.root() {
            Slot::Node(_) => rows.first().map_or(Decoded::Hole, |(v, _)| Decoded::Node {
                serial: v.serial,
                addr: v.addr,
            }),
            _ => head.root,
        };
        Some(FileCache {
            root,
            nodes: fold_nodes(nodes),
            ..head
        })
    }
}

impl FileCache {
    /// This file's cache after the slots `touched` (`(first, last)` index
    /// ranges) changed, when its tree has the same nodes as when `self` was
    /// read (none allocated, none freed): the rows over touched leaves are
    /// read again, the rest kept. `None` when the nodes changed.
    fn after(&self, k: &Kernel, touched: &[(u64, u64)]) -> Option<FileCache> {
        let fresh_head = FileCache::of_head(k, self.ino)?;
        let tree = &k.inodes.get(&self.ino)?.mapping.i_pages;
        let had: u64 = self.nodes.iter().map(|r| r.nodes).sum();
        if fresh_head.height != self.height
            || fresh_head.nodes_allocated != self.nodes_allocated
            || tree.node_count() as u64 != had
        {
            return None;
        }
        let enc = k.cfg.encoding;
        let hit = |lo: u64, hi: u64| touched.iter().any(|&(a, b)| a <= hi && lo <= b);
        let mut rows: Vec<NodeRow> = Vec::new();
        for r in &self.nodes {
            if r.shift != 0 || !hit(r.first_index, r.last_index) {
                push_row(&mut rows, r.clone());
                continue;
            }
            // A leaf row, maybe folded: leaves hit are read again, the
            // runs of leaves between them kept as parts of the row.
            let mut j = 0;
            while j < r.nodes {
                let first = r.first_index + 64 * j;
                if hit(first, first + 63) {
                    let (v, slots) = tree.leaf_with_slots(first)?;
                    push_row(&mut rows, node_row(&v, &slots, r.depth, enc));
                    j += 1;
                    continue;
                }
                let mut end = j + 1;
                while end < r.nodes && !hit(r.first_index + 64 * end, r.first_index + 64 * end + 63)
                {
                    end += 1;
                }
                push_row(&mut rows, part_of_row(r, j, end, tree, enc)?);
                j = end;
            }
        }
        let root = match tree.root() {
            Slot::Node(_) => rows.first().map_or(Decoded::Hole, |n| Decoded::Node {
                serial: n.serial,
                addr: n.addr,
            }),
            _ => fresh_head.root,
        };
        Some(FileCache {
            root,
            nodes: rows,
            ..fresh_head
        })
    }

    /// Every field but the rows (and a root that is a node, read from them).
    fn of_head(k: &Kernel, ino: u32) -> Option<FileCache> {
        let i = k.inodes.get(&ino)?;
        let m = &i.mapping;
        if !i.is_reg() || (i.shmem().is_none() && m.i_pages.is_empty()) {
            return None;
        }
        let enc = k.cfg.encoding;
        Some(FileCache {
            path: k.d_path(ino),
            ino,
            size: i.size,
            nrpages: m.nrpages,
            nrexceptional: m.nrexceptional,
            shmem: i.shmem().map(|s| ShmemCounts {
                alloced: s.alloced,
                swapped: s.swapped,
            }),
            root_word: m.i_pages.root_word(enc),
            root: match m.i_pages.root() {
                Slot::Item(e) => decode_item(e, enc),
                _ => Decoded::Hole,
            },
            height: m.i_pages.height(),
            nodes: Vec::new(),
            nodes_allocated: m.i_pages.nodes_allocated(),
        })
    }
}

/// Leaves `j..end` of the folded leaf row `r` (each one run continuing the
/// last), as a row of their own; the serials of its first and last leaves
/// are read from the tree.
fn part_of_row(
    r: &NodeRow,
    j: u64,
    end: u64,
    tree: &crate::klib::radix_tree::RadixTree<CacheEntry>,
    enc: Encoding,
) -> Option<NodeRow> {
    if j == 0 && end == r.nodes {
        return Some(r.clone());
    }
    let first_index = r.first_index + 64 * j;
    let serial = if j == 0 {
        r.serial
    } else {
        tree.leaf_with_slots(first_index)?.0.serial
    };
    let last_serial = if end == r.nodes {
        r.last_serial
    } else {
        tree.leaf_with_slots(r.first_index + 64 * (end - 1))?
            .0
            .serial
    };
    let decoded = r.slots[0].decoded.nth(64 * j);
    Some(NodeRow {
        serial,
        addr: node_addr(serial),
        offset: r.offset + j as u8,
        first_index,
        last_index: r.first_index + 64 * end - 1,
        nodes: end - j,
        last_serial,
        slots: vec![SlotRun {
            slot: 0,
            count: 64,
            index: first_index,
            word: decoded.word(enc),
            decoded,
        }],
        ..r.clone()
    })
}

/// Appends row `n`, folding it into the last row when it continues it
/// ([`fold_nodes`], for rows that may be folded already).
fn push_row(out: &mut Vec<NodeRow>, n: NodeRow) {
    if let Some(last) = out.last_mut() {
        if continues(last, &n) {
            last.nodes += n.nodes;
            last.last_serial = n.last_serial;
            last.last_index = n.last_index;
            return;
        }
    }
    out.push(n);
}

/// The depth of each node of a depth-first list (by parent serial).
fn depths<'a>(views: impl Iterator<Item = &'a NodeView>) -> Vec<u32> {
    let mut path: Vec<u64> = Vec::new();
    views
        .map(|v| {
            while let Some(&top) = path.last() {
                if Some(top) == v.parent_serial {
                    break;
                }
                path.pop();
            }
            path.push(v.serial);
            path.len() as u32 - 1
        })
        .collect()
}

fn decode_item(e: CacheEntry, enc: Encoding) -> Decoded {
    match e {
        CacheEntry::Page(pfn) => Decoded::Page { pfn },
        CacheEntry::Swap(s) => Decoded::Swap {
            type_: enc.swp_type(s),
            offset: enc.swp_offset(s),
        },
    }
}

fn node_row(v: &NodeView, slots: &[SlotEntry<CacheEntry>], depth: u32, enc: Encoding) -> NodeRow {
    let decoded = slots.iter().map(|s| match *s {
        SlotEntry::Empty => Decoded::Hole,
        SlotEntry::Item(e) => decode_item(e, enc),
        SlotEntry::Node(serial) => Decoded::Node {
            serial,
            addr: node_addr(serial),
        },
    });
    let runs = super::fold(decoded, |a, n, b| a.nth(n) == *b);
    let mut slot = 0u8;
    let slots = runs
        .into_iter()
        .map(|(d, n)| {
            let run = SlotRun {
                slot,
                count: n as u8,
                index: v.first_index + ((slot as u64) << v.shift),
                word: d.word(enc),
                decoded: d,
            };
            slot += n as u8;
            run
        })
        .collect();
    NodeRow {
        serial: v.serial,
        addr: v.addr,
        shift: v.shift,
        offset: v.offset,
        count: v.count,
        exceptional: v.exceptional,
        depth,
        first_index: v.first_index,
        last_index: v.last_index,
        nodes: 1,
        last_serial: v.serial,
        slots,
    }
}

/// Folds full leaf nodes in a row that each hold one run continuing the last.
fn fold_nodes(rows: impl Iterator<Item = NodeRow>) -> Vec<NodeRow> {
    let mut out: Vec<NodeRow> = Vec::new();
    for n in rows {
        push_row(&mut out, n);
    }
    out
}

fn continues(a: &NodeRow, b: &NodeRow) -> bool {
    let single = |n: &NodeRow| n.shift == 0 && n.slots.len() == 1 && n.slots[0].count == 64;
    single(a)
        && single(b)
        && a.depth == b.depth
        && a.count == b.count
        && a.exceptional == b.exceptional
        && b.offset as u64 == a.offset as u64 + a.nodes
        && a.slots[0].decoded != Decoded::Hole
        && a.slots[0].decoded.nth(64 * a.nodes) == b.slots[0].decoded
}
