//! The radix tree: the page cache's index from page offset to page.
//!
//! Mirrors `lib/radix-tree.c` and `include/linux/radix-tree.h` as of Linux
//! 4.14 (the `shift`-based tree with `exceptional` counts, before the XArray
//! of 4.20 replaced it). Each `struct address_space` keeps one: a slot holds
//! a page, an *exceptional* entry (shmem's swap entries, see
//! [`crate::mm::swapops`]), or a pointer to a child node.
//!
//! ```text
//!  radix_tree_root                      indexes 0 ..= 4095: top node of shift 6
//!   rnode ---> [ node shift 6 | count 2 ]           (64 << 6) - 1 = 4095
//!               slot 0 |  slot 1 | ... | slot 63
//!                 |        |
//!                 |        `--> [ node shift 0, offset 1 ]  indexes 64 ..= 127
//!                 |               slot 0: page 64 ...
//!                 `--> [ node shift 0, offset 0 ]           indexes 0 ..= 63
//!                        slot 0: page 0   slot 5: exceptional (swap entry)
//! ```
//!
//! Glossary (kernel names):
//!
//! - **shift**: bits of index below a node; 0 at a leaf. A node of shift `s`
//!   uses index bits `s .. s+6` to pick a slot, and the top node of shift `s`
//!   covers indexes `0 ..= (64 << s) - 1` (`node_maxindex`).
//! - **offset**: a node's slot number in its parent.
//! - **count** / **exceptional**: non-empty slots, and exceptional entries among them.
//! - **rnode**: the root's one slot. A lone item at index 0 lives there with no node.
//! - **tags**: 3 bits per slot (`PAGECACHE_TAG_DIRTY`, `_WRITEBACK`, `_TOWRITE`). A node's
//!   tag bit for a slot is set iff something tagged lives below it; the root keeps one
//!   bit per tag for the whole tree.
//! - **extend** / **shrink**: `radix_tree_extend` pushes a new top node (the old root
//!   goes in its slot 0) until an index fits; `radix_tree_shrink` lifts slot 0 back up
//!   while the top node has a single child there; `delete_node` frees emptied nodes.
//!
//! Each slot is one 8-byte word, as the kernel's `void *` is: 0 for `NULL`, an item's
//! [`RadixItem::pack`]ed word, or an internal entry naming a child node. The model keeps
//! nodes in an arena of its own; a child pointer is a [`NodeId`], the node's place in
//! that arena, stored as `id << 2 | 2` (the XArray's internal-entry tag, which no packed
//! item uses). Each node has an allocation serial, from which [`node_addr`] makes a
//! deterministic fake slab address, so the words a transcript prints are the words the
//! kernel would store (see [`RadixTree::slot_word`]): the word a slot holds in memory is
//! the model's, the word it prints is the kernel's.
//!
//! Invariants ([`RadixTree::check_invariants`]): counts agree with the slots; shift and
//! offset and parent links agree with the shape; tags agree with their subtrees and the
//! root's; the tree is exactly as tall as its largest index needs; no node is empty.

use crate::mm::swapops::Encoding;
use serde::Serialize;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// `RADIX_TREE_MAP_SHIFT` (`lib/radix-tree.c`): index bits per level (4 on
/// `CONFIG_BASE_SMALL`, which the model does not configure).
pub const RADIX_TREE_MAP_SHIFT: u32 = 6;
/// `RADIX_TREE_MAP_SIZE`: slots per node.
pub const RADIX_TREE_MAP_SIZE: usize = 1 << RADIX_TREE_MAP_SHIFT;
/// `RADIX_TREE_MAP_MASK`.
pub const RADIX_TREE_MAP_MASK: u64 = RADIX_TREE_MAP_SIZE as u64 - 1;
/// `RADIX_TREE_MAX_TAGS`.
pub const RADIX_TREE_MAX_TAGS: usize = 3;
/// `RADIX_TREE_MAX_PATH`: `DIV_ROUND_UP(BITS_PER_LONG, RADIX_TREE_MAP_SHIFT)` = 11
/// levels cover a 64-bit index; the top node then has shift 60.
pub const RADIX_TREE_MAX_PATH: u32 = 64_u32.div_ceil(RADIX_TREE_MAP_SHIFT);
/// The largest node shift: `(RADIX_TREE_MAX_PATH - 1) * RADIX_TREE_MAP_SHIFT` = 60.
pub const RADIX_TREE_MAX_SHIFT: u32 = (RADIX_TREE_MAX_PATH - 1) * RADIX_TREE_MAP_SHIFT;

/// `sizeof(struct radix_tree_node)` on 4.14 x86_64: 4 one-byte fields padded
/// to 8, `parent` 8, `root` 8, the `private_list`/`rcu_head` union 16,
/// 64 slots of 8, and `tags[3][1]` 24 = 576 bytes.
pub const RADIX_TREE_NODE_SIZE: u64 = 576;
/// Where the model's fake slab of `radix_tree_node`s starts: an address in the
/// x86_64 direct map (`page_offset_base`, 0xffff888000000000 since 4.20; 4.14
/// used 0xffff880000000000). Only its shape matters: kernel half, aligned.
pub const RADIX_TREE_NODE_SLAB_BASE: u64 = 0xffff_8880_0000_0000;

/// The fake kernel address of the node allocated `serial`-th:
/// `RADIX_TREE_NODE_SLAB_BASE + serial * sizeof(struct radix_tree_node)`.
/// Deterministic, 64-byte aligned (576 = 9 * 64), so its low bits are free
/// for the internal-entry tag.
///
/// ```
/// use sim::klib::radix_tree::node_addr;
/// assert_eq!(node_addr(0), 0xffff_8880_0000_0000);
/// assert_eq!(node_addr(2), 0xffff_8880_0000_0480);
/// ```
pub fn node_addr(serial: u64) -> u64 {
    RADIX_TREE_NODE_SLAB_BASE.wrapping_add(serial.wrapping_mul(RADIX_TREE_NODE_SIZE))
}

/// Page-cache tags (`include/linux/fs.h`: `PAGECACHE_TAG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Tag {
    /// `PAGECACHE_TAG_DIRTY`: the page is dirty.
    Dirty = 0,
    /// `PAGECACHE_TAG_WRITEBACK`: the page is under writeback.
    Writeback = 1,
    /// `PAGECACHE_TAG_TOWRITE`: tagged for a data-integrity sync (`tag_pages_for_writeback`).
    Towrite = 2,
}

impl Tag {
    /// Every tag, in number order.
    pub const ALL: [Tag; RADIX_TREE_MAX_TAGS] = [Tag::Dirty, Tag::Writeback, Tag::Towrite];

    /// The tag's number, as the kernel indexes `tags[]`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The kernel's name: `"PAGECACHE_TAG_DIRTY"`.
    pub fn name(self) -> &'static str {
        match self {
            Tag::Dirty => "PAGECACHE_TAG_DIRTY",
            Tag::Writeback => "PAGECACHE_TAG_WRITEBACK",
            Tag::Towrite => "PAGECACHE_TAG_TOWRITE",
        }
    }
}

/// What the tree stores: pages, or exceptional entries.
pub trait RadixItem: Copy + Eq + fmt::Debug {
    /// `radix_tree_exceptional_entry()`: true for the model's swap entries,
    /// false for pages. Nodes count their exceptional entries.
    fn is_exceptional(&self) -> bool;
    /// The word the kernel would store in the slot: a `struct page` address
    /// ([`crate::mm::swapops::page_word`]) or an encoded swap entry
    /// ([`Encoding::swp_to_radix_entry`]).
    fn raw_word(&self, enc: Encoding) -> u64;
    /// The word the model stores in a slot for the item: never 0 and never
    /// with low bits `10`, which mark the model's child pointers. Only
    /// [`RadixItem::unpack`] reads it.
    fn pack(self) -> u64;
    /// The item [`RadixItem::pack`] made `word` from.
    fn unpack(word: u64) -> Self;
}

/// A node of the tree: the model's `struct radix_tree_node *`, the node's
/// place in its tree's arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

/// The low bits of a slot word that holds a child pointer (the XArray's
/// `xa_is_internal`; 4.14's own tag is 1, see [`Encoding::node_word`] for
/// the word a transcript prints).
const INTERNAL_TAG: u64 = 2;

/// The word the model keeps for `slot`.
#[inline]
fn encode<T: RadixItem>(slot: Slot<T>) -> u64 {
    match slot {
        Slot::Empty => 0,
        Slot::Node(NodeId(i)) => (u64::from(i) << 2) | INTERNAL_TAG,
        Slot::Item(item) => {
            let w = item.pack();
            assert!(
                w != 0 && w & 3 != INTERNAL_TAG,
                "radix tree invariant: a packed item is never NULL nor an internal entry ({w:#x})"
            );
            w
        }
    }
}

/// The slot a word the model keeps stands for.
#[inline]
fn decode<T: RadixItem>(w: u64) -> Slot<T> {
    if w == 0 {
        Slot::Empty
    } else if w & 3 == INTERNAL_TAG {
        Slot::Node(NodeId((w >> 2) as u32))
    } else {
        Slot::Item(T::unpack(w))
    }
}

/// A slot (`void __rcu *slots[]`, or the root's `rnode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Slot<T> {
    /// `NULL`.
    #[default]
    Empty,
    /// A page or an exceptional entry.
    Item(T),
    /// An internal entry: a pointer to a child node.
    Node(NodeId),
}

/// `struct radix_tree_node` (`include/linux/radix-tree.h`, 4.14).
#[derive(Clone, Debug)]
pub struct RadixTreeNode<T> {
    /// Bits of index below this node: 0 at a leaf, then 6, 12, ... 60.
    pub shift: u8,
    /// Slot number in the parent.
    pub offset: u8,
    /// Non-empty slots.
    pub count: u8,
    /// Exceptional entries among the slots.
    pub exceptional: u8,
    /// The parent node; `None` for the top node.
    pub parent: Option<NodeId>,
    /// The slots, one word each (see [`RadixTreeNode::slot`]).
    words: [u64; RADIX_TREE_MAP_SIZE],
    /// `tags[tag]`: bit `k` set iff slot `k` holds something tagged `tag`.
    pub tags: [u64; RADIX_TREE_MAX_TAGS],
    /// Not in the kernel: the allocation serial, for [`node_addr`].
    pub serial: u64,
    item: PhantomData<T>,
}

impl<T: RadixItem> RadixTreeNode<T> {
    /// Slot `k`.
    #[inline]
    pub fn slot(&self, k: usize) -> Slot<T> {
        decode(self.words[k])
    }

    /// Stores `slot` in slot `k`.
    #[inline]
    fn set(&mut self, k: usize, slot: Slot<T>) {
        self.words[k] = encode(slot);
    }

    /// The slots in order.
    pub fn slots(&self) -> impl DoubleEndedIterator<Item = Slot<T>> + '_ {
        self.words.iter().map(|&w| decode(w))
    }
}

/// The tree's nodes by [`NodeId`]: freed places are reused, lowest freed
/// last first, so the arena is no larger than the most nodes the tree held.
#[derive(Clone, Debug)]
struct Arena<T> {
    nodes: Vec<Option<RadixTreeNode<T>>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            nodes: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Arena<T> {
    fn insert(&mut self, node: RadixTreeNode<T>) -> NodeId {
        self.len += 1;
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = Some(node);
                NodeId(i)
            }
            None => {
                let i = u32::try_from(self.nodes.len())
                    .expect("radix tree invariant: fewer than 2^32 nodes");
                // Grown by an eighth, not doubled: a 90 GiB file's 1.4
                // million nodes (560 bytes each, 9 bytes a page) would
                // otherwise leave up to as much again unused.
                if self.nodes.len() == self.nodes.capacity() {
                    self.nodes.reserve_exact(self.nodes.len() / 8 + 4);
                }
                self.nodes.push(Some(node));
                NodeId(i)
            }
        }
    }

    fn remove(&mut self, id: NodeId) {
        let node = self.nodes.get_mut(id.0 as usize).and_then(Option::take);
        assert!(
            node.is_some(),
            "radix tree invariant: a freed node is freed again"
        );
        self.len -= 1;
        self.free.push(id.0);
    }

    fn get(&self, id: NodeId) -> Option<&RadixTreeNode<T>> {
        self.nodes.get(id.0 as usize).and_then(Option::as_ref)
    }

    fn len(&self) -> usize {
        self.len
    }

    fn values(&self) -> impl Iterator<Item = &RadixTreeNode<T>> {
        self.nodes.iter().flatten()
    }
}

impl<T> Index<NodeId> for Arena<T> {
    type Output = RadixTreeNode<T>;

    #[inline]
    fn index(&self, id: NodeId) -> &RadixTreeNode<T> {
        self.nodes[id.0 as usize]
            .as_ref()
            .expect("radix tree invariant: a child pointer names a live node")
    }
}

impl<T> IndexMut<NodeId> for Arena<T> {
    #[inline]
    fn index_mut(&mut self, id: NodeId) -> &mut RadixTreeNode<T> {
        self.nodes[id.0 as usize]
            .as_mut()
            .expect("radix tree invariant: a child pointer names a live node")
    }
}

/// `-EEXIST` from `radix_tree_insert`: the slot is occupied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exists;

impl fmt::Display for Exists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("radix_tree_insert: slot occupied (-EEXIST)")
    }
}

impl std::error::Error for Exists {}

/// A node as the renderers see it: no ids, only serials and index ranges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    /// Allocation serial.
    pub serial: u64,
    /// Fake kernel address ([`node_addr`]).
    pub addr: u64,
    /// `shift`.
    pub shift: u8,
    /// `offset` in the parent.
    pub offset: u8,
    /// `count`.
    pub count: u8,
    /// `exceptional`.
    pub exceptional: u8,
    /// The parent's serial; `None` for the top node.
    pub parent_serial: Option<u64>,
    /// First index the node covers.
    pub first_index: u64,
    /// Last index the node covers.
    pub last_index: u64,
    /// `tags[]`.
    pub tags: [u64; RADIX_TREE_MAX_TAGS],
}

/// A slot as a renderer sees it: no ids, a child named by its serial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotEntry<T> {
    /// `NULL`.
    Empty,
    /// A page or an exceptional entry.
    Item(T),
    /// A child node, by allocation serial (its address is [`node_addr`]).
    Node(u64),
}

/// `struct radix_tree_root` with its nodes: a 4.14 radix tree.
///
/// ```
/// use sim::klib::radix_tree::{RadixItem, RadixTree, Slot, Tag};
/// use sim::mm::swapops::{page_word, Encoding};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// struct Page(u64); // by pfn
/// impl RadixItem for Page {
///     fn is_exceptional(&self) -> bool { false }
///     fn raw_word(&self, _: Encoding) -> u64 { page_word(self.0) }
///     fn pack(self) -> u64 { (self.0 + 1) << 2 }
///     fn unpack(word: u64) -> Self { Page((word >> 2) - 1) }
/// }
///
/// let mut tree = RadixTree::new();
/// tree.insert(0, Page(7)).unwrap();
/// assert_eq!(tree.root(), Slot::Item(Page(7))); // index 0 alone: in rnode, no node
/// tree.insert(64, Page(8)).unwrap();            // radix_tree_extend
/// assert_eq!((tree.height(), tree.maxindex(), tree.nr_nodes()), (2, 4095, 3));
/// tree.tag_set(64, Tag::Dirty);
/// assert!(tree.root_tag_get(Tag::Dirty));
/// assert_eq!(tree.iter().collect::<Vec<_>>(), [(0, Page(7)), (64, Page(8))]);
/// tree.delete(64);                              // delete_node + radix_tree_shrink
/// assert_eq!((tree.height(), tree.nr_nodes()), (0, 0));
/// assert!(!tree.root_tag_get(Tag::Dirty));
/// ```
#[derive(Clone, Debug)]
pub struct RadixTree<T> {
    nodes: Arena<T>,
    /// `root->rnode`.
    rnode: Slot<T>,
    /// The root tags (4.14 keeps them in `root->gfp_mask` above `ROOT_TAG_SHIFT`).
    root_tags: u8,
    /// Items in the tree (not in the kernel; `mapping->nrpages` + `nrexceptional` is).
    nr_items: usize,
    /// The next node's allocation serial.
    next_serial: u64,
}

impl<T> Default for RadixTree<T> {
    fn default() -> Self {
        RadixTree {
            nodes: Arena::default(),
            rnode: Slot::Empty,
            root_tags: 0,
            nr_items: 0,
            next_serial: 0,
        }
    }
}

/// `shift_maxindex()` (`lib/radix-tree.c`): the last index under a top node of
/// `shift`: `(RADIX_TREE_MAP_SIZE << shift) - 1`, all ones once it reaches the word.
fn shift_maxindex(shift: u32) -> u64 {
    if shift + RADIX_TREE_MAP_SHIFT >= 64 {
        u64::MAX
    } else {
        ((RADIX_TREE_MAP_SIZE as u64) << shift) - 1
    }
}

/// The first index under slot `k` of a node of `shift` starting at `base`;
/// `None` past the top of the index space (slots 16..63 of a shift-60 node).
/// An item found by a walk down from the root: its index, the item, and
/// the leaf holding it with the index that leaf's slot 0 covers.
type Found<T> = (u64, T, Option<(NodeId, u64)>);

fn slot_base(base: u64, shift: u32, k: usize) -> Option<u64> {
    let v = u128::from(base) + ((k as u128) << shift);
    u64::try_from(v).ok()
}

/// The height (node levels) a tree whose largest index is `max` must have.
fn height_for(max: u64) -> u32 {
    if max == 0 {
        return 0;
    }
    let mut shift = 0;
    while max > shift_maxindex(shift) {
        shift += RADIX_TREE_MAP_SHIFT;
    }
    shift / RADIX_TREE_MAP_SHIFT + 1
}

fn bit(offset: usize) -> u64 {
    1u64 << offset
}

impl<T: RadixItem> RadixTree<T> {
    /// An empty tree (`RADIX_TREE_INIT` / `INIT_RADIX_TREE`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of items (pages and exceptional entries).
    pub fn len(&self) -> usize {
        self.nr_items
    }

    /// True when the tree holds nothing (`radix_tree_empty`).
    pub fn is_empty(&self) -> bool {
        matches!(self.rnode, Slot::Empty)
    }

    /// Number of allocated nodes.
    pub fn nr_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The root's slot, `root->rnode`.
    pub fn root(&self) -> Slot<T> {
        self.rnode
    }

    /// A node, for read-only walks (`entry_to_node`).
    pub fn node(&self, id: NodeId) -> Option<&RadixTreeNode<T>> {
        self.nodes.get(id)
    }

    /// Node levels: 0 when `rnode` holds an item or nothing, else the top node's
    /// `shift / 6 + 1` (3.x trees kept this as `root->height`).
    pub fn height(&self) -> u32 {
        match self.rnode {
            Slot::Node(id) => u32::from(self.nodes[id].shift) / RADIX_TREE_MAP_SHIFT + 1,
            _ => 0,
        }
    }

    /// The largest index the tree can hold without growing: `node_maxindex()` of the
    /// top node, or 0 without one (`radix_tree_load_root`'s `maxindex`).
    pub fn maxindex(&self) -> u64 {
        self.load_root().1
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_load_root()`: the root entry, the
    /// largest index it covers, and the shift a walk starts from (top shift + 6).
    fn load_root(&self) -> (Slot<T>, u64, u32) {
        match self.rnode {
            Slot::Node(id) => {
                let shift = u32::from(self.nodes[id].shift);
                (
                    self.rnode,
                    shift_maxindex(shift),
                    shift + RADIX_TREE_MAP_SHIFT,
                )
            }
            other => (other, 0, 0),
        }
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_node_alloc()`.
    fn node_alloc(
        &mut self,
        parent: Option<NodeId>,
        shift: u32,
        offset: usize,
        count: u8,
        exceptional: u8,
    ) -> NodeId {
        let serial = self.next_serial;
        self.next_serial += 1;
        self.nodes.insert(RadixTreeNode {
            shift: shift as u8,
            offset: offset as u8,
            count,
            exceptional,
            parent,
            words: [0; RADIX_TREE_MAP_SIZE],
            tags: [0; RADIX_TREE_MAX_TAGS],
            serial,
            item: PhantomData,
        })
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_descend()`: the slot of `node` on
    /// the way to `index`.
    fn descend(&self, id: NodeId, index: u64) -> (usize, Slot<T>) {
        let node = &self.nodes[id];
        let offset = ((index >> node.shift) & RADIX_TREE_MAP_MASK) as usize;
        (offset, node.slot(offset))
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_extend()`: pushes new top nodes,
    /// the old root in each one's slot 0 (with the root tags copied to that
    /// slot), until `index` fits. `shift` is the walk shift of the current root
    /// (from [`Self::load_root`]); returns the new one. An empty tree grows
    /// nothing here: the insert walk allocates its nodes top-down.
    fn extend(&mut self, index: u64, mut shift: u32) -> u32 {
        let mut maxshift = shift;
        while index > shift_maxindex(maxshift) {
            maxshift += RADIX_TREE_MAP_SHIFT;
        }
        if !matches!(self.rnode, Slot::Empty) {
            loop {
                let entry = self.rnode;
                let id = self.node_alloc(None, shift, 0, 1, 0);
                let root_tags = self.root_tags;
                let node = &mut self.nodes[id];
                // Propagate the aggregated tag info to the new child.
                for (tag, word) in node.tags.iter_mut().enumerate() {
                    if root_tags & (1 << tag) != 0 {
                        *word |= 1;
                    }
                }
                match entry {
                    Slot::Item(item) if item.is_exceptional() => node.exceptional = 1,
                    _ => {}
                }
                node.set(0, entry);
                if let Slot::Node(child) = entry {
                    self.nodes[child].parent = Some(id);
                }
                self.rnode = Slot::Node(id);
                shift += RADIX_TREE_MAP_SHIFT;
                if shift > maxshift {
                    break;
                }
            }
        }
        maxshift + RADIX_TREE_MAP_SHIFT
    }

    /// Stores `entry` in slot `offset` of `node`, or in `rnode` for `None`,
    /// adjusting `count` by `count_delta` and `exceptional` by `exc_delta`
    /// (`lib/radix-tree.c`: `replace_slot()`).
    fn replace_slot(
        &mut self,
        node: Option<NodeId>,
        offset: usize,
        entry: Slot<T>,
        count_delta: i8,
        exc_delta: i8,
    ) {
        match node {
            Some(id) => {
                let node = &mut self.nodes[id];
                node.set(offset, entry);
                node.count = node
                    .count
                    .checked_add_signed(count_delta)
                    .expect("radix tree invariant: node count stays within 0..=64");
                node.exceptional = node
                    .exceptional
                    .checked_add_signed(exc_delta)
                    .expect("radix tree invariant: node exceptional count stays within 0..=count");
            }
            None => self.rnode = entry,
        }
    }

    /// Mirrors `lib/radix-tree.c`: `__radix_tree_insert()` (`radix_tree_insert`):
    /// `__radix_tree_create` grows the tree (`radix_tree_extend`) and walks down,
    /// allocating missing nodes, then `insert_entries` fills the slot.
    /// [`Exists`] (`-EEXIST`) if the slot is occupied; the tree is then unchanged.
    pub fn insert(&mut self, index: u64, item: T) -> Result<(), Exists> {
        // __radix_tree_create()
        let (mut child, maxindex, mut shift) = self.load_root();
        if index > maxindex {
            shift = self.extend(index, shift);
            child = self.rnode;
        }
        let mut node: Option<NodeId> = None;
        let mut offset = 0usize;
        while shift > 0 {
            shift -= RADIX_TREE_MAP_SHIFT;
            let id = match child {
                Slot::Empty => {
                    let id = self.node_alloc(node, shift, offset, 0, 0);
                    let delta = i8::from(node.is_some());
                    self.replace_slot(node, offset, Slot::Node(id), delta, 0);
                    id
                }
                Slot::Node(id) => id,
                Slot::Item(_) => {
                    panic!("radix tree invariant: items live only in leaves (shift 0) or at rnode for index 0")
                }
            };
            node = Some(id);
            (offset, child) = self.descend(id, index);
        }
        // insert_entries()
        if !matches!(child, Slot::Empty) {
            return Err(Exists);
        }
        match node {
            Some(id) => {
                let tags = self.nodes[id].tags;
                assert!(
                    tags.iter().all(|t| t & bit(offset) == 0),
                    "radix tree invariant: an empty slot carries no tags (index {index})"
                );
            }
            None => assert_eq!(
                self.root_tags, 0,
                "radix tree invariant: an empty tree has no root tags"
            ),
        }
        self.replace_slot(
            node,
            offset,
            Slot::Item(item),
            1,
            i8::from(item.is_exceptional()),
        );
        self.nr_items += 1;
        Ok(())
    }

    /// Mirrors `lib/radix-tree.c`: `__radix_tree_lookup()`: the node holding
    /// `index`'s slot (`None` for `rnode`), the slot number, and what it holds;
    /// `None` when `index` is beyond the tree.
    fn lookup_slot(&self, index: u64) -> Option<(Option<NodeId>, usize, Slot<T>)> {
        let (mut child, maxindex, _) = self.load_root();
        if index > maxindex {
            return None;
        }
        let mut parent = None;
        let mut offset = 0;
        while let Slot::Node(id) = child {
            parent = Some(id);
            (offset, child) = self.descend(id, index);
        }
        Some((parent, offset, child))
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_lookup()`.
    pub fn lookup(&self, index: u64) -> Option<T> {
        match self.lookup_slot(index)? {
            (_, _, Slot::Item(item)) => Some(item),
            _ => None,
        }
    }

    /// Mirrors `lib/radix-tree.c`: `__radix_tree_replace()` (what
    /// `radix_tree_replace_slot` and shmem's `shmem_radix_tree_replace` do):
    /// swaps the item at `index` for `item`, keeping its tags, and moves the
    /// node's `exceptional` count when a page becomes a swap entry or back.
    /// Returns the old item; an empty slot is left empty and gives `None`.
    /// (The kernel then calls `delete_node`, which finds nothing to free or
    /// shrink: the count did not change.)
    pub fn replace(&mut self, index: u64, item: T) -> Option<T> {
        let (node, offset, Slot::Item(old)) = self.lookup_slot(index)? else {
            return None;
        };
        let exc_delta = i8::from(item.is_exceptional()) - i8::from(old.is_exceptional());
        self.replace_slot(node, offset, Slot::Item(item), 0, exc_delta);
        Some(old)
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_delete_item()` with no expected
    /// item (`radix_tree_delete`): `__radix_tree_delete` clears the slot's
    /// tags (`node_tag_clear`, upward as subtrees lose their last tagged
    /// entry) and empties it; `delete_node` frees nodes left empty, upward, and
    /// `radix_tree_shrink` lowers the tree as far as it can, down to the item
    /// at index 0 alone in `rnode`.
    pub fn delete(&mut self, index: u64) -> Option<T> {
        let (node, offset, Slot::Item(old)) = self.lookup_slot(index)? else {
            return None;
        };
        for tag in Tag::ALL {
            self.node_tag_clear(node, tag, offset);
        }
        self.replace_slot(
            node,
            offset,
            Slot::Empty,
            -1,
            -i8::from(old.is_exceptional()),
        );
        self.nr_items -= 1;
        if let Some(id) = node {
            self.delete_node(id);
        }
        Some(old)
    }

    /// Mirrors `lib/radix-tree.c`: `delete_node()`: frees `id` if it is empty and
    /// walks up; the first non-empty node, if it is the top one, gets a
    /// `radix_tree_shrink`. True if anything was freed.
    fn delete_node(&mut self, mut id: NodeId) -> bool {
        let mut deleted = false;
        loop {
            let node = &self.nodes[id];
            if node.count > 0 {
                if self.rnode == Slot::Node(id) {
                    deleted |= self.shrink();
                }
                return deleted;
            }
            let (parent, offset) = (node.parent, usize::from(node.offset));
            match parent {
                Some(p) => self.replace_slot(Some(p), offset, Slot::Empty, -1, 0),
                None => {
                    // root_tag_clear_all(): the tags were cleared with the last entry.
                    self.root_tags = 0;
                    self.rnode = Slot::Empty;
                }
            }
            self.nodes.remove(id);
            deleted = true;
            match parent {
                Some(p) => id = p,
                None => return deleted,
            }
        }
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_shrink()`: while the top node has
    /// exactly one child and it sits in slot 0, make that child the root. A
    /// leaf's lone item in slot 0 (index 0) moves into `rnode` itself; the root
    /// tags already describe it.
    fn shrink(&mut self) -> bool {
        let mut shrunk = false;
        while let Slot::Node(id) = self.rnode {
            let node = &self.nodes[id];
            if node.count != 1 {
                break;
            }
            let child = node.slot(0);
            match child {
                Slot::Empty => break,
                Slot::Item(_) if node.shift != 0 => break,
                Slot::Item(_) => {}
                Slot::Node(c) => self.nodes[c].parent = None,
            }
            self.rnode = child;
            self.nodes.remove(id);
            shrunk = true;
        }
        shrunk
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_tag_set()`: tags the item at
    /// `index` and every node on the way down, and the root. Returns the item.
    /// The kernel `BUG()`s on an absent index; the model returns `None` and
    /// changes nothing.
    pub fn tag_set(&mut self, index: u64, tag: Tag) -> Option<T> {
        let item = self.lookup(index)?;
        let mut child = self.rnode;
        while let Slot::Node(id) = child {
            let offset;
            (offset, child) = self.descend(id, index);
            self.nodes[id].tags[tag.index()] |= bit(offset);
        }
        self.root_tags |= 1 << tag.index();
        Some(item)
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_tag_clear()`: clears the tag of
    /// the item at `index`, and upward while a node has nothing else tagged
    /// (`node_tag_clear`). Returns the item, `None` if there is none.
    pub fn tag_clear(&mut self, index: u64, tag: Tag) -> Option<T> {
        let (node, offset, Slot::Item(item)) = self.lookup_slot(index)? else {
            return None;
        };
        self.node_tag_clear(node, tag, offset);
        Some(item)
    }

    /// Mirrors `lib/radix-tree.c`: `node_tag_clear()`; `None` is the root.
    fn node_tag_clear(&mut self, mut node: Option<NodeId>, tag: Tag, mut offset: usize) {
        let t = tag.index();
        while let Some(id) = node {
            let n = &mut self.nodes[id];
            if n.tags[t] & bit(offset) == 0 {
                return;
            }
            n.tags[t] &= !bit(offset);
            if n.tags[t] != 0 {
                return;
            }
            offset = usize::from(n.offset);
            node = n.parent;
        }
        self.root_tags &= !(1 << t);
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_tag_get()`: true if the item at
    /// `index` carries `tag` (the root bit, then each node's bit on the way).
    pub fn tag_get(&self, index: u64, tag: Tag) -> bool {
        if !self.root_tag_get(tag) {
            return false;
        }
        let (mut child, maxindex, _) = self.load_root();
        if index > maxindex {
            return false;
        }
        while let Slot::Node(id) = child {
            let offset;
            (offset, child) = self.descend(id, index);
            if self.nodes[id].tags[tag.index()] & bit(offset) == 0 {
                return false;
            }
        }
        matches!(child, Slot::Item(_))
    }

    /// Mirrors `lib/radix-tree.c`: `radix_tree_tagged()` / `root_tag_get()`:
    /// is anything in the tree tagged `tag`?
    pub fn root_tag_get(&self, tag: Tag) -> bool {
        self.root_tags & (1 << tag.index()) != 0
    }

    /// The first item at `index` or after (`radix_tree_gang_lookup(root, results,
    /// index, 1)`, via `radix_tree_next_chunk`).
    pub fn next_from(&self, index: u64) -> Option<(u64, T)> {
        self.find_next(index, None)
    }

    /// The first item at `index` or after that carries `tag`
    /// (`radix_tree_gang_lookup_tag(root, results, index, 1, tag)`).
    pub fn next_tagged_from(&self, index: u64, tag: Tag) -> Option<(u64, T)> {
        self.find_next(index, Some(tag))
    }

    /// The item with the highest index: the rightmost path down from the
    /// root, as `radix_tree_next_chunk` walks it backwards; O(height * 64)
    /// where iterating to the end would visit every item.
    pub fn last(&self) -> Option<(u64, T)> {
        match self.rnode {
            Slot::Empty => None,
            Slot::Item(item) => Some((0, item)),
            Slot::Node(id) => self.last_in(id, 0),
        }
    }

    fn last_in(&self, id: NodeId, base: u64) -> Option<(u64, T)> {
        let node = &self.nodes[id];
        let shift = u32::from(node.shift);
        for k in (0..RADIX_TREE_MAP_SIZE).rev() {
            let Some(kbase) = slot_base(base, shift, k) else {
                continue;
            };
            match node.slot(k) {
                Slot::Empty => {}
                Slot::Item(item) => return Some((kbase, item)),
                Slot::Node(child) => {
                    if let Some(found) = self.last_in(child, kbase) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// Up to `max_items` items from `first_index` on, in index order
    /// (`radix_tree_gang_lookup`).
    pub fn gang_lookup(&self, first_index: u64, max_items: usize) -> Vec<(u64, T)> {
        self.iter_from(first_index).take(max_items).collect()
    }

    /// Every item in index order (`radix_tree_for_each_slot`).
    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// Items at `first_index` or after, in index order.
    pub fn iter_from(&self, first_index: u64) -> Iter<'_, T> {
        Iter {
            tree: self,
            next: Some(first_index),
            tag: None,
            chunk: None,
        }
    }

    /// Items carrying `tag`, in index order (`radix_tree_for_each_tagged`).
    /// Untagged subtrees are skipped by their nodes' tag bits.
    pub fn iter_tagged(&self, tag: Tag) -> Iter<'_, T> {
        Iter {
            tree: self,
            next: Some(0),
            tag: Some(tag),
            chunk: None,
        }
    }

    fn find_next(&self, from: u64, tag: Option<Tag>) -> Option<(u64, T)> {
        self.find_next_chunk(from, tag)
            .map(|(index, item, _)| (index, item))
    }

    /// As [`RadixTree::find_next`], with the leaf the item was found in and
    /// the index its slot 0 covers (`radix_tree_next_chunk`), when the item
    /// sits in a leaf.
    fn find_next_chunk(&self, from: u64, tag: Option<Tag>) -> Option<Found<T>> {
        if let Some(tag) = tag {
            if !self.root_tag_get(tag) {
                return None;
            }
        }
        match self.rnode {
            Slot::Empty => None,
            Slot::Item(item) => (from == 0).then_some((0, item, None)),
            Slot::Node(id) => self.next_in(id, 0, from, tag),
        }
    }

    /// The first item at or after `from` under node `id`, which covers indexes
    /// from `base`; only through slots tagged `tag` if one is given.
    fn next_in(&self, id: NodeId, base: u64, from: u64, tag: Option<Tag>) -> Option<Found<T>> {
        let node = &self.nodes[id];
        let shift = u32::from(node.shift);
        let first = match from.checked_sub(base) {
            Some(d) if d > 0 => usize::try_from(d >> shift)
                .ok()
                .filter(|&k| k < RADIX_TREE_MAP_SIZE)?,
            _ => 0,
        };
        for k in first..RADIX_TREE_MAP_SIZE {
            if let Some(tag) = tag {
                if node.tags[tag.index()] & bit(k) == 0 {
                    continue;
                }
            }
            let kbase = slot_base(base, shift, k)?;
            match node.slot(k) {
                Slot::Empty => {}
                Slot::Item(item) => return Some((kbase, item, (shift == 0).then_some((id, base)))),
                Slot::Node(child) => {
                    if let Some(found) = self.next_in(child, kbase, from.max(kbase), tag) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// Every node, depth first (a node before its children, children in slot
    /// order), for rendering.
    pub fn nodes(&self) -> Vec<NodeView> {
        let mut out = Vec::with_capacity(self.nodes.len());
        if let Slot::Node(id) = self.rnode {
            self.collect_views(id, 0, None, &mut out);
        }
        out
    }

    fn collect_views(
        &self,
        id: NodeId,
        base: u64,
        parent_serial: Option<u64>,
        out: &mut Vec<NodeView>,
    ) {
        let node = &self.nodes[id];
        let shift = u32::from(node.shift);
        out.push(self.node_view(id, base, parent_serial));
        for (k, slot) in node.slots().enumerate() {
            if let (Slot::Node(child), Some(kbase)) = (slot, slot_base(base, shift, k)) {
                self.collect_views(child, kbase, Some(node.serial), out);
            }
        }
    }

    /// Every node with its slots, depth first (as [`RadixTree::nodes`]), in
    /// one walk: each slot as `Some(item)`-or-child ([`SlotEntry`]), `None`
    /// for `NULL`. Cost: one visit of each node's 64 slots.
    pub fn nodes_with_slots(&self) -> Vec<(NodeView, [SlotEntry<T>; RADIX_TREE_MAP_SIZE])> {
        self.nodes()
            .into_iter()
            .zip(self.dfs_ids())
            .map(|(view, id)| (view, self.slot_entries(id)))
            .collect()
    }

    /// Node `id` as a renderer sees it, covering indexes from `base`.
    fn node_view(&self, id: NodeId, base: u64, parent_serial: Option<u64>) -> NodeView {
        let node = &self.nodes[id];
        NodeView {
            serial: node.serial,
            addr: node_addr(node.serial),
            shift: node.shift,
            offset: node.offset,
            count: node.count,
            exceptional: node.exceptional,
            parent_serial,
            first_index: base,
            last_index: base.saturating_add(shift_maxindex(u32::from(node.shift))),
            tags: node.tags,
        }
    }

    /// Node `id`'s slots as a renderer sees them (a child by its serial).
    fn slot_entries(&self, id: NodeId) -> [SlotEntry<T>; RADIX_TREE_MAP_SIZE] {
        let node = &self.nodes[id];
        std::array::from_fn(|k| match node.slot(k) {
            Slot::Empty => SlotEntry::Empty,
            Slot::Item(item) => SlotEntry::Item(item),
            Slot::Node(child) => SlotEntry::Node(self.nodes[child].serial),
        })
    }

    /// The leaf (`shift` 0) whose slots cover `index`, with its slots as
    /// [`RadixTree::nodes_with_slots`] gives them: the walk
    /// `__radix_tree_lookup` makes, stopping at the node instead of the
    /// slot. `None` if no leaf covers `index`.
    pub fn leaf_with_slots(
        &self,
        index: u64,
    ) -> Option<(NodeView, [SlotEntry<T>; RADIX_TREE_MAP_SIZE])> {
        let Slot::Node(mut id) = self.rnode else {
            return None;
        };
        let (mut base, mut parent) = (0u64, None);
        loop {
            let node = &self.nodes[id];
            let shift = u32::from(node.shift);
            if index > base.saturating_add(shift_maxindex(shift)) || index < base {
                return None;
            }
            if shift == 0 {
                return Some((self.node_view(id, base, parent), self.slot_entries(id)));
            }
            let k = ((index - base) >> shift) as usize;
            let Slot::Node(child) = node.slot(k) else {
                return None;
            };
            parent = Some(node.serial);
            base = slot_base(base, shift, k)?;
            id = child;
        }
    }

    /// Nodes ever allocated in this tree (the next node's serial): with
    /// the node count, tells a reader whether the set of nodes changed.
    pub fn nodes_allocated(&self) -> u64 {
        self.next_serial
    }

    /// Nodes in the tree now.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Node ids in the order of [`RadixTree::nodes`].
    fn dfs_ids(&self) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<NodeId> = match self.rnode {
            Slot::Node(id) => vec![id],
            _ => Vec::new(),
        };
        while let Some(id) = stack.pop() {
            out.push(id);
            let node = &self.nodes[id];
            for slot in node.slots().rev() {
                if let Slot::Node(child) = slot {
                    stack.push(child);
                }
            }
        }
        out
    }

    /// The word the kernel would hold for `slot`: 0 (`NULL`), the item's
    /// [`RadixItem::raw_word`], or an internal entry pointing at the child's
    /// fake address ([`Encoding::node_word`] of [`node_addr`]).
    pub fn word_of(&self, slot: Slot<T>, enc: Encoding) -> u64 {
        match slot {
            Slot::Empty => 0,
            Slot::Item(item) => item.raw_word(enc),
            Slot::Node(id) => enc.node_word(node_addr(self.nodes[id].serial)),
        }
    }

    /// The raw word in `index`'s slot, `None` if it is empty.
    pub fn slot_word(&self, index: u64, enc: Encoding) -> Option<u64> {
        self.lookup(index).map(|item| item.raw_word(enc))
    }

    /// The raw word in `root->rnode`: 0 for an empty tree, the item at index 0
    /// when it is alone, else an internal entry pointing at the top node.
    pub fn root_word(&self, enc: Encoding) -> u64 {
        self.word_of(self.rnode, enc)
    }

    /// The non-empty slots of the node with allocation serial `serial`, as
    /// `(slot number, raw word)`; empty if there is no such node.
    pub fn node_slot_words(&self, serial: u64, enc: Encoding) -> Vec<(u8, u64)> {
        let Some(node) = self.nodes.values().find(|n| n.serial == serial) else {
            return Vec::new();
        };
        node.slots()
            .enumerate()
            .filter(|(_, s)| !matches!(s, Slot::Empty))
            .map(|(k, s)| (k as u8, self.word_of(s, enc)))
            .collect()
    }

    /// Checks every structural invariant, returning the first broken one, named.
    /// Cost: one visit of each node's 64 slots.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut walk = Walk {
            nodes_seen: 0,
            items: 0,
            max_index: None,
        };
        match self.rnode {
            Slot::Empty => {
                if self.root_tags != 0 {
                    return Err(format!(
                        "root tags {:#b} set on an empty tree",
                        self.root_tags
                    ));
                }
            }
            Slot::Item(_) => {
                walk.items = 1;
                walk.max_index = Some(0);
            }
            Slot::Node(id) => {
                let node = self.nodes.get(id).ok_or("rnode points at a freed node")?;
                if node.parent.is_some() || node.offset != 0 {
                    return Err(format!(
                        "top node #{} has a parent or a non-zero offset",
                        node.serial
                    ));
                }
                if u32::from(node.shift) > RADIX_TREE_MAX_SHIFT
                    || node.shift % RADIX_TREE_MAP_SHIFT as u8 != 0
                {
                    return Err(format!(
                        "top node #{} has shift {}",
                        node.serial, node.shift
                    ));
                }
                let tags = self.check_node(id, 0, &mut walk)?;
                for (t, any) in tags.iter().enumerate() {
                    if *any != (self.root_tags & (1 << t) != 0) {
                        return Err(format!(
                            "root tag {} is {} but the tree {} tagged with it",
                            Tag::ALL[t].name(),
                            !any,
                            if *any { "has entries" } else { "has no entry" }
                        ));
                    }
                }
            }
        }
        if self.root_tags >> RADIX_TREE_MAX_TAGS != 0 {
            return Err(format!(
                "root tags {:#b} beyond RADIX_TREE_MAX_TAGS",
                self.root_tags
            ));
        }
        if walk.nodes_seen != self.nodes.len() {
            return Err(format!(
                "{} nodes allocated but {} reachable from the root",
                self.nodes.len(),
                walk.nodes_seen
            ));
        }
        if walk.items != self.nr_items {
            return Err(format!(
                "len {} but {} items in the tree",
                self.nr_items, walk.items
            ));
        }
        let needed = height_for(walk.max_index.unwrap_or(0));
        if self.height() != needed {
            return Err(format!(
                "height {} but the largest index {:?} needs {} (radix_tree_shrink not done?)",
                self.height(),
                walk.max_index,
                needed
            ));
        }
        Ok(())
    }

    /// Panics, naming the invariant, if [`Self::check_invariants`] fails.
    #[track_caller]
    pub fn assert_invariants(&self) {
        if let Err(e) = self.check_invariants() {
            panic!("radix tree invariant violated: {e}");
        }
    }

    /// Checks node `id` (covering indexes from `base`) and its subtree; returns
    /// which tags occur in the subtree.
    fn check_node(
        &self,
        id: NodeId,
        base: u64,
        walk: &mut Walk,
    ) -> Result<[bool; RADIX_TREE_MAX_TAGS], String> {
        let node = self.nodes.get(id).ok_or("a slot points at a freed node")?;
        walk.nodes_seen += 1;
        if walk.nodes_seen > self.nodes.len() {
            return Err("a node is reachable twice (cycle or shared child)".into());
        }
        let serial = node.serial;
        if serial >= self.next_serial {
            return Err(format!(
                "node #{serial}: serial beyond the allocation counter"
            ));
        }
        let shift = u32::from(node.shift);
        let (mut count, mut exceptional) = (0u8, 0u8);
        for (k, slot) in node.slots().enumerate() {
            let kbase = slot_base(base, shift, k);
            let tagged = |t: usize| node.tags[t] & bit(k) != 0;
            match slot {
                Slot::Empty => {
                    if (0..RADIX_TREE_MAX_TAGS).any(tagged) {
                        return Err(format!("node #{serial}: empty slot {k} is tagged"));
                    }
                }
                Slot::Item(item) => {
                    if shift != 0 {
                        return Err(format!(
                            "node #{serial} (shift {shift}): item in slot {k} above the leaves"
                        ));
                    }
                    let index = kbase.ok_or_else(|| {
                        format!("node #{serial}: slot {k} beyond the index space")
                    })?;
                    count += 1;
                    exceptional += u8::from(item.is_exceptional());
                    walk.items += 1;
                    walk.max_index = walk.max_index.max(Some(index));
                }
                Slot::Node(child) => {
                    if shift == 0 {
                        return Err(format!(
                            "node #{serial}: leaf (shift 0) has a child in slot {k}"
                        ));
                    }
                    let kbase = kbase.ok_or_else(|| {
                        format!("node #{serial}: slot {k} beyond the index space")
                    })?;
                    count += 1;
                    let c = self
                        .nodes
                        .get(child)
                        .ok_or("a slot points at a freed node")?;
                    if c.parent != Some(id) {
                        return Err(format!(
                            "node #{}: parent link is not node #{serial}",
                            c.serial
                        ));
                    }
                    if usize::from(c.offset) != k {
                        return Err(format!(
                            "node #{}: offset {} but it sits in slot {k}",
                            c.serial, c.offset
                        ));
                    }
                    if u32::from(c.shift) + RADIX_TREE_MAP_SHIFT != shift {
                        return Err(format!(
                            "node #{}: shift {} under a parent of shift {shift} (must be parent - 6)",
                            c.serial, c.shift
                        ));
                    }
                    let below = self.check_node(child, kbase, walk)?;
                    for (t, any) in below.iter().enumerate() {
                        if *any != tagged(t) {
                            return Err(format!(
                                "node #{serial}: tag {} of slot {k} is {} but its subtree {} tagged",
                                Tag::ALL[t].name(),
                                tagged(t),
                                if *any { "is" } else { "is not" }
                            ));
                        }
                    }
                }
            }
        }
        if count != node.count {
            return Err(format!(
                "node #{serial}: count {} but {count} non-empty slots",
                node.count
            ));
        }
        if exceptional != node.exceptional {
            return Err(format!(
                "node #{serial}: exceptional {} but {exceptional} exceptional entries",
                node.exceptional
            ));
        }
        if count == 0 {
            return Err(format!(
                "node #{serial}: empty node not freed (delete_node)"
            ));
        }
        Ok(std::array::from_fn(|t| node.tags[t] != 0))
    }
}

struct Walk {
    nodes_seen: usize,
    items: usize,
    max_index: Option<u64>,
}

/// An iterator over `(index, item)` in index order; see [`RadixTree::iter`].
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    tree: &'a RadixTree<T>,
    next: Option<u64>,
    tag: Option<Tag>,
    /// The leaf the last item was found in and the index its slot 0
    /// covers: the kernel's `radix_tree_iter` chunk, whose slots
    /// `radix_tree_next_slot` steps through before `radix_tree_next_chunk`
    /// walks down from the root again.
    chunk: Option<(NodeId, u64)>,
}

impl<T: RadixItem> Iter<'_, T> {
    /// The next item in the current chunk at `from` or after, if any;
    /// `Err(next)` when the chunk is used up and the walk must go on from
    /// index `next` (`None` past the last index).
    fn next_slot(&self, from: u64) -> Result<(u64, T), Option<u64>> {
        let Some((id, base)) = self.chunk else {
            return Err(Some(from));
        };
        let node = &self.tree.nodes[id];
        let first = usize::try_from(from - base).unwrap_or(RADIX_TREE_MAP_SIZE);
        for k in first..RADIX_TREE_MAP_SIZE {
            if self.tag.is_some_and(|t| node.tags[t.index()] & bit(k) == 0) {
                continue;
            }
            if let Slot::Item(item) = node.slot(k) {
                return Ok((base + k as u64, item));
            }
        }
        Err(base.checked_add(RADIX_TREE_MAP_SIZE as u64))
    }
}

impl<T: RadixItem> Iterator for Iter<'_, T> {
    type Item = (u64, T);

    fn next(&mut self) -> Option<(u64, T)> {
        let from = self.next?;
        let found = match self.next_slot(from) {
            Ok(found) => Some(found),
            Err(from) => {
                let found = self.tree.find_next_chunk(from?, self.tag);
                self.chunk = found.and_then(|(_, _, chunk)| chunk);
                found.map(|(index, item, _)| (index, item))
            }
        };
        self.next = found.and_then(|(index, _)| index.checked_add(1));
        found
    }
}

/// The items in index order as runs: `(index, n, item)` is `n` items from
/// `index` on, the first `item`, all of its kind (pages, or all
/// exceptional). A leaf whose 64 slots are all used, and all pages or all
/// exceptional (its `count` and `exceptional` say so), is one run; any
/// other item is a run of 1. What [`RadixTree::iter`] gives, at the cost of
/// the leaves: the per-page observables of a 90 GiB file read 1.4 million
/// leaves, not 23 million slots.
pub struct Runs<'a, T> {
    it: Iter<'a, T>,
}

impl<T: RadixItem> Iterator for Runs<'_, T> {
    type Item = (u64, u64, T);

    fn next(&mut self) -> Option<(u64, u64, T)> {
        let (index, item) = self.it.next()?;
        if let Some((id, base)) = self.it.chunk {
            let node = &self.it.tree.nodes[id];
            let full = usize::from(node.count) == RADIX_TREE_MAP_SIZE;
            let one_kind =
                node.exceptional == 0 || usize::from(node.exceptional) == RADIX_TREE_MAP_SIZE;
            if index == base && node.shift == 0 && full && one_kind {
                self.it.next = base.checked_add(RADIX_TREE_MAP_SIZE as u64);
                return Some((index, RADIX_TREE_MAP_SIZE as u64, item));
            }
        }
        Some((index, 1, item))
    }
}

impl<T: RadixItem> RadixTree<T> {
    /// The items as runs of one kind (see [`Runs`]).
    pub fn runs(&self) -> Runs<'_, T> {
        Runs { it: self.iter() }
    }
}

impl<'a, T: RadixItem> IntoIterator for &'a RadixTree<T> {
    type Item = (u64, T);
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct P(u64);

    impl RadixItem for P {
        fn is_exceptional(&self) -> bool {
            self.0 & 1 == 1
        }
        fn raw_word(&self, _enc: Encoding) -> u64 {
            self.0
        }
        fn pack(self) -> u64 {
            (self.0 << 1) | 1
        }
        fn unpack(word: u64) -> Self {
            P(word >> 1)
        }
    }

    #[test]
    fn shift_maxindex_values() {
        assert_eq!(shift_maxindex(0), 63);
        assert_eq!(shift_maxindex(6), 4095);
        assert_eq!(shift_maxindex(12), 262_143);
        assert_eq!(shift_maxindex(18), 16_777_215);
        assert_eq!(shift_maxindex(54), u64::MAX >> 4);
        assert_eq!(shift_maxindex(60), u64::MAX);
        assert_eq!(RADIX_TREE_MAX_PATH, 11);
        assert_eq!(height_for(0), 0);
        assert_eq!(height_for(1), 1);
        assert_eq!(height_for(63), 1);
        assert_eq!(height_for(64), 2);
        assert_eq!(height_for(u64::MAX), 11);
    }

    #[test]
    fn whole_index_space() {
        // Items hold half their index: a packed P keeps 63 bits.
        let mut t = RadixTree::new();
        for (n, i) in [u64::MAX, 0, 1 << 63, (1 << 60) - 1, 1 << 60, 17]
            .into_iter()
            .enumerate()
        {
            t.insert(i, P(i >> 1)).unwrap();
            t.assert_invariants();
            assert_eq!(t.len(), n + 1);
        }
        assert_eq!(t.height(), 11);
        assert_eq!(t.maxindex(), u64::MAX);
        let all: Vec<u64> = t.iter().map(|(i, _)| i).collect();
        assert_eq!(all, [0, 17, (1 << 60) - 1, 1 << 60, 1 << 63, u64::MAX]);
        assert_eq!(t.next_from(u64::MAX), Some((u64::MAX, P(u64::MAX >> 1))));
        t.tag_set(u64::MAX, Tag::Towrite).unwrap();
        assert_eq!(
            t.iter_tagged(Tag::Towrite).collect::<Vec<_>>(),
            [(u64::MAX, P(u64::MAX >> 1))]
        );
        for i in [u64::MAX, 1 << 63, 1 << 60, (1 << 60) - 1, 17] {
            assert_eq!(t.delete(i), Some(P(i >> 1)));
            t.assert_invariants();
        }
        assert_eq!(t.nr_nodes(), 0);
        assert_eq!(t.root(), Slot::Item(P(0)));
    }

    /// A small tree (0, 5, 70, 5000), tagged, to corrupt one field at a time.
    fn sample() -> RadixTree<P> {
        let mut t = RadixTree::new();
        for i in [0, 5, 70, 5000] {
            t.insert(i, P(i * 2 + u64::from(i == 5))).unwrap();
        }
        t.tag_set(5000, Tag::Dirty).unwrap();
        t.assert_invariants();
        t
    }

    fn leaf_of(t: &RadixTree<P>, index: u64) -> NodeId {
        let (Some(node), _, _) = t.lookup_slot(index).unwrap() else {
            panic!("no leaf")
        };
        node
    }

    fn broken(t: &RadixTree<P>) -> String {
        t.check_invariants()
            .expect_err("corruption must be detected")
    }

    #[test]
    fn check_invariants_names_what_broke() {
        let mut t = sample();
        let leaf = leaf_of(&t, 5);
        t.nodes[leaf].count += 1;
        assert!(broken(&t).contains("count"), "{}", broken(&t));

        let mut t = sample();
        t.nodes[leaf].exceptional = 0;
        assert!(broken(&t).contains("exceptional"), "{}", broken(&t));

        let mut t = sample();
        t.nodes[leaf].tags[Tag::Towrite.index()] |= 1 << 9;
        assert!(
            broken(&t).contains("empty slot 9 is tagged"),
            "{}",
            broken(&t)
        );

        let mut t = sample();
        let leaf5000 = leaf_of(&t, 5000);
        t.nodes[leaf5000].tags[0] = 0;
        assert!(broken(&t).contains("PAGECACHE_TAG_DIRTY"), "{}", broken(&t));

        let mut t = sample();
        t.root_tags |= 1 << Tag::Writeback.index();
        assert!(
            broken(&t).contains("root tag PAGECACHE_TAG_WRITEBACK"),
            "{}",
            broken(&t)
        );

        let mut t = sample();
        t.nodes[leaf].offset += 1;
        assert!(broken(&t).contains("offset"), "{}", broken(&t));

        let mut t = sample();
        t.nodes[leaf].parent = None;
        assert!(broken(&t).contains("parent link"), "{}", broken(&t));

        let mut t = sample();
        t.nodes[leaf].shift = 6;
        assert!(broken(&t).contains("shift"), "{}", broken(&t));

        let mut t = sample();
        t.nr_items += 1;
        assert!(broken(&t).contains("len"), "{}", broken(&t));

        // A leaked node (allocated, unreachable).
        let mut t = sample();
        t.node_alloc(None, 0, 0, 1, 0);
        assert!(broken(&t).contains("reachable"), "{}", broken(&t));

        // An emptied node left behind (delete_node not run).
        let mut t = sample();
        let leaf70 = leaf_of(&t, 70);
        t.replace_slot(Some(leaf70), 6, Slot::Empty, -1, 0);
        t.nr_items -= 1;
        assert!(broken(&t).contains("empty node"), "{}", broken(&t));

        // A tree taller than its largest index needs (radix_tree_shrink not run).
        let mut t = sample();
        t.delete(5000).unwrap();
        t.assert_invariants();
        let Slot::Node(old) = t.rnode else {
            panic!("rnode is a node")
        };
        let top = t.node_alloc(None, u32::from(t.nodes[old].shift) + 6, 0, 1, 0);
        t.nodes[old].parent = Some(top);
        t.nodes[top].set(0, Slot::Node(old));
        t.rnode = Slot::Node(top);
        assert!(broken(&t).contains("height"), "{}", broken(&t));
    }

    #[test]
    #[should_panic(expected = "radix tree invariant violated: node")]
    fn assert_invariants_panics_naming_the_invariant() {
        let mut t = sample();
        let leaf = leaf_of(&t, 5);
        t.nodes[leaf].count = 9;
        t.assert_invariants();
    }
}
