//! The page-cache radix tree (`lib/radix-tree.c`, 4.14) against a `BTreeMap`.
//!
//! A state machine: random sequences of insert / replace / delete / tag_set /
//! tag_clear over indexes both small (0..200, shared leaves) and wide (up to
//! 2^40, tall sparse trees), with pages and exceptional (swap) entries. After
//! every operation the tree must hold exactly what the map holds, in order;
//! its tags must equal a reference set per tag; it must be exactly as tall as
//! its largest index needs; and `check_invariants` (counts, links, shifts,
//! tags up to the root, no empty node) must pass.
//!
//! Then the shapes a student would draw by hand: 0 then 64, the 4095/4096
//! boundary, tags moving up, and the words the slots hold.

use proptest::prelude::*;
use sim::klib::radix_tree::{node_addr, Exists, NodeView, RadixItem, RadixTree, Slot, Tag};
use sim::mm::swapops::{page_word, Encoding, SwpEntry};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

/// A test-local cache entry: a page (by pfn) or a swap entry (by `swp_entry_t.val`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Page(u64),
    Swap(u64),
}

impl RadixItem for Item {
    fn is_exceptional(&self) -> bool {
        matches!(self, Item::Swap(_))
    }

    fn raw_word(&self, enc: Encoding) -> u64 {
        match *self {
            Item::Page(pfn) => page_word(pfn),
            Item::Swap(val) => enc.swp_to_radix_entry(SwpEntry { val }),
        }
    }

    fn pack(self) -> u64 {
        match self {
            Item::Page(pfn) => (pfn + 1) << 2,
            Item::Swap(val) => (val << 1) | 1,
        }
    }

    fn unpack(word: u64) -> Self {
        if word & 1 == 1 {
            Item::Swap(word >> 1)
        } else {
            Item::Page((word >> 2) - 1)
        }
    }
}

fn swap(type_: u32, offset: u64) -> Item {
    Item::Swap(Encoding::RADIX_64.swp_entry(type_, offset).unwrap().val)
}

/// The height (node levels) a tree must have for largest index `max`, worked
/// out independently of the tree: index 0 alone needs no node; a top node
/// of shift s covers 0 ..= (64 << s) - 1.
fn needed_height(max: Option<u64>) -> u32 {
    let Some(max) = max.filter(|&m| m > 0) else {
        return 0;
    };
    let (mut height, mut covered) = (1, 64u128);
    while u128::from(max) >= covered {
        height += 1;
        covered <<= 6;
    }
    height
}

// ---------------------------------------------------------------------------
// The state machine.

/// Which index an operation names: a fresh one, or one already in the map
/// (the k-th, modulo its size), so that deletes and tags hit something.
#[derive(Clone, Copy, Debug)]
enum At {
    Raw(u64),
    Existing(usize),
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Insert(At, Item),
    Replace(At, Item),
    Delete(At),
    TagSet(At, Tag),
    TagClear(At, Tag),
}

fn raw_index() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..200u64,
        3 => 0..(1u64 << 40),
        1 => prop::sample::select(vec![0u64, 1, 63, 64, 4095, 4096, 262_143, 262_144, (1 << 40) - 1]),
    ]
}

fn at() -> impl Strategy<Value = At> {
    prop_oneof![
        1 => raw_index().prop_map(At::Raw),
        1 => any::<usize>().prop_map(At::Existing),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        3 => (0..(1u64 << 30)).prop_map(Item::Page),
        2 => (0..27u32, 0..(1u64 << 30)).prop_map(|(t, o)| swap(t, o)),
    ]
}

fn tag() -> impl Strategy<Value = Tag> {
    prop::sample::select(Tag::ALL.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (raw_index().prop_map(At::Raw), item()).prop_map(|(a, i)| Op::Insert(a, i)),
        1 => (at(), item()).prop_map(|(a, i)| Op::Insert(a, i)),
        2 => (at(), item()).prop_map(|(a, i)| Op::Replace(a, i)),
        3 => at().prop_map(Op::Delete),
        2 => (at(), tag()).prop_map(|(a, t)| Op::TagSet(a, t)),
        2 => (at(), tag()).prop_map(|(a, t)| Op::TagClear(a, t)),
    ]
}

/// The reference: contents, and the indexes carrying each tag.
#[derive(Default)]
struct Model {
    map: BTreeMap<u64, Item>,
    tags: [BTreeSet<u64>; 3],
}

impl Model {
    fn resolve(&self, at: At) -> u64 {
        match at {
            At::Raw(i) => i,
            At::Existing(k) if !self.map.is_empty() => {
                *self.map.keys().nth(k % self.map.len()).unwrap()
            }
            At::Existing(k) => k as u64 % 200,
        }
    }
}

/// Everything the tree must agree with the model on, after any operation.
fn check(tree: &RadixTree<Item>, model: &Model, touched: u64) -> Result<(), TestCaseError> {
    if let Err(e) = tree.check_invariants() {
        return Err(TestCaseError::fail(format!("check_invariants: {e}")));
    }
    prop_assert_eq!(tree.len(), model.map.len());
    prop_assert_eq!(tree.is_empty(), model.map.is_empty());
    let contents: Vec<(u64, Item)> = tree.iter().collect();
    let expected: Vec<(u64, Item)> = model.map.iter().map(|(&i, &e)| (i, e)).collect();
    prop_assert_eq!(contents, expected, "ordered iteration");
    prop_assert_eq!(
        tree.last(),
        model.map.iter().next_back().map(|(&i, &e)| (i, e)),
        "last()"
    );
    for (&index, &item) in &model.map {
        prop_assert_eq!(tree.lookup(index), Some(item), "lookup({})", index);
    }
    for probe in [
        touched,
        touched.wrapping_add(1),
        touched.wrapping_sub(1),
        touched ^ 64,
    ] {
        prop_assert_eq!(
            tree.lookup(probe),
            model.map.get(&probe).copied(),
            "lookup({})",
            probe
        );
        let next = model.map.range(probe..).next().map(|(&i, &e)| (i, e));
        prop_assert_eq!(tree.next_from(probe), next, "next_from({})", probe);
    }
    for tag in Tag::ALL {
        let want = &model.tags[tag.index()];
        let got: BTreeSet<u64> = tree.iter_tagged(tag).map(|(i, _)| i).collect();
        prop_assert_eq!(&got, want, "iter_tagged({:?})", tag);
        prop_assert_eq!(
            tree.root_tag_get(tag),
            !want.is_empty(),
            "root tag {:?}",
            tag
        );
        for &index in model.map.keys() {
            prop_assert_eq!(
                tree.tag_get(index, tag),
                want.contains(&index),
                "tag_get({}, {:?})",
                index,
                tag
            );
        }
    }
    let max = model.map.keys().next_back().copied();
    prop_assert_eq!(
        tree.height(),
        needed_height(max),
        "height for largest index {:?}",
        max
    );
    // Views: depth first, parents before children, each item inside its leaf's range.
    let views = tree.nodes();
    prop_assert_eq!(views.len(), tree.nr_nodes());
    let mut seen = BTreeSet::new();
    for v in &views {
        if let Some(p) = v.parent_serial {
            prop_assert!(
                seen.contains(&p),
                "node #{} listed before its parent #{}",
                v.serial,
                p
            );
        }
        seen.insert(v.serial);
        let inside = model.map.range(v.first_index..=v.last_index).count();
        if v.shift == 0 {
            prop_assert_eq!(usize::from(v.count), inside, "leaf #{} count", v.serial);
            let exc = model
                .map
                .range(v.first_index..=v.last_index)
                .filter(|(_, e)| e.is_exceptional())
                .count();
            prop_assert_eq!(
                usize::from(v.exceptional),
                exc,
                "leaf #{} exceptional",
                v.serial
            );
        }
        prop_assert!(inside > 0, "node #{} covers no item", v.serial);
    }
    Ok(())
}

fn apply(tree: &mut RadixTree<Item>, model: &mut Model, op: Op) -> Result<u64, TestCaseError> {
    Ok(match op {
        Op::Insert(at, item) => {
            let index = model.resolve(at);
            let got = tree.insert(index, item);
            match model.map.entry(index) {
                Entry::Occupied(_) => {
                    prop_assert_eq!(got, Err(Exists), "insert over an occupied slot")
                }
                Entry::Vacant(slot) => {
                    prop_assert_eq!(got, Ok(()));
                    slot.insert(item);
                }
            }
            index
        }
        Op::Replace(at, item) => {
            let index = model.resolve(at);
            let got = tree.replace(index, item);
            let want = model
                .map
                .get_mut(&index)
                .map(|old| std::mem::replace(old, item));
            prop_assert_eq!(got, want, "replace({})", index);
            index
        }
        Op::Delete(at) => {
            let index = model.resolve(at);
            prop_assert_eq!(
                tree.delete(index),
                model.map.remove(&index),
                "delete({})",
                index
            );
            for set in &mut model.tags {
                set.remove(&index);
            }
            index
        }
        Op::TagSet(at, tag) => {
            let index = model.resolve(at);
            prop_assert_eq!(tree.tag_set(index, tag), model.map.get(&index).copied());
            if model.map.contains_key(&index) {
                model.tags[tag.index()].insert(index);
            }
            index
        }
        Op::TagClear(at, tag) => {
            let index = model.resolve(at);
            prop_assert_eq!(tree.tag_clear(index, tag), model.map.get(&index).copied());
            model.tags[tag.index()].remove(&index);
            index
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tree_matches_btreemap(ops in prop::collection::vec(op(), 1..64)) {
        let mut tree = RadixTree::new();
        let mut model = Model::default();
        for (step, op) in ops.into_iter().enumerate() {
            let touched = apply(&mut tree, &mut model, op)?;
            check(&tree, &model, touched).map_err(|e| TestCaseError::fail(format!("after step {step} {op:?}: {e}")))?;
        }
        // Emptying the tree frees every node, whatever the order.
        let keys: Vec<u64> = model.map.keys().copied().collect();
        for index in keys.into_iter().rev() {
            prop_assert!(tree.delete(index).is_some());
        }
        prop_assert_eq!(tree.nr_nodes(), 0);
        prop_assert!(tree.is_empty());
        prop_assert!(Tag::ALL.iter().all(|&t| !tree.root_tag_get(t)));
        prop_assert!(tree.check_invariants().is_ok());
    }
}

// ---------------------------------------------------------------------------
// Shapes a student would draw.

fn view(tree: &RadixTree<Item>, serial: u64) -> NodeView {
    tree.nodes()
        .into_iter()
        .find(|v| v.serial == serial)
        .expect("node exists")
}

#[test]
fn index_0_alone_lives_in_rnode() {
    let mut tree = RadixTree::new();
    assert_eq!(
        tree.root_word(Encoding::RADIX_64),
        0,
        "an empty root is NULL"
    );
    tree.insert(0, Item::Page(0x31)).unwrap();
    assert_eq!(tree.nr_nodes(), 0);
    assert_eq!(tree.height(), 0);
    assert_eq!(tree.maxindex(), 0);
    assert_eq!(tree.root(), Slot::Item(Item::Page(0x31)));
    assert_eq!(tree.root_word(Encoding::RADIX_64), 0xffff_ea00_0000_0c40);
    tree.assert_invariants();
}

#[test]
fn zero_then_64_grows_a_shift_6_node_over_leaves_and_shrinks_back() {
    let mut tree = RadixTree::new();
    tree.insert(0, Item::Page(1)).unwrap();
    tree.insert(64, Item::Page(2)).unwrap();
    tree.assert_invariants();
    assert_eq!(tree.height(), 2);
    assert_eq!(tree.maxindex(), 4095);
    // radix_tree_extend() first wraps the rnode item in a leaf (node #0), then
    // puts a shift-6 node (#1) on top; the insert walk allocates the leaf for 64 (#2).
    let shape: Vec<_> = tree
        .nodes()
        .iter()
        .map(|v| {
            (
                v.serial,
                v.shift,
                v.offset,
                v.count,
                v.parent_serial,
                v.first_index,
                v.last_index,
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (1, 6, 0, 2, None, 0, 4095),
            (0, 0, 0, 1, Some(1), 0, 63),
            (2, 0, 1, 1, Some(1), 64, 127)
        ]
    );
    let top = view(&tree, 1);
    assert_eq!(top.addr, node_addr(1));
    assert_eq!(
        tree.root_word(Encoding::RADIX_64),
        node_addr(1) | 1,
        "rnode is an internal entry"
    );
    assert_eq!(
        tree.root_word(Encoding::XARRAY_64),
        node_addr(1) | 2,
        "xa_mk_node"
    );
    assert_eq!(
        tree.node_slot_words(1, Encoding::RADIX_64),
        [(0, node_addr(0) | 1), (1, node_addr(2) | 1)]
    );

    // Deleting 64 frees its leaf (delete_node), and radix_tree_shrink lifts slot 0
    // twice: the leaf becomes the root, then its lone item at index 0 becomes rnode.
    assert_eq!(tree.delete(64), Some(Item::Page(2)));
    tree.assert_invariants();
    assert_eq!(tree.nr_nodes(), 0);
    assert_eq!(tree.height(), 0);
    assert_eq!(tree.root(), Slot::Item(Item::Page(1)));
}

#[test]
fn boundary_4095_4096() {
    let mut tree = RadixTree::new();
    tree.insert(4095, Item::Page(7)).unwrap();
    tree.assert_invariants();
    // 4095 = 63 << 6 | 63: a top node of shift 6 covers it, exactly.
    assert_eq!(
        (tree.height(), tree.maxindex(), tree.nr_nodes()),
        (2, 4095, 2)
    );
    let leaf = tree.nodes()[1].clone();
    assert_eq!(
        (leaf.shift, leaf.offset, leaf.first_index, leaf.last_index),
        (0, 63, 4032, 4095)
    );

    // 4096 does not fit: the tree grows a level (shift 12, up to 262143).
    tree.insert(4096, Item::Page(8)).unwrap();
    tree.assert_invariants();
    assert_eq!((tree.height(), tree.maxindex()), (3, 262_143));
    let top = tree.nodes()[0].clone();
    assert_eq!((top.shift, top.count), (12, 2));

    // Deleting 4096 frees its leaf and its shift-6 parent; the top node is left with
    // one child in slot 0, which radix_tree_shrink lifts: back to height 2.
    tree.delete(4096).unwrap();
    tree.assert_invariants();
    assert_eq!(
        (tree.height(), tree.maxindex(), tree.nr_nodes()),
        (2, 4095, 2)
    );
    // That top node's only child is in slot 63, not 0: no further shrink.
    assert_eq!(tree.nodes()[0].count, 1);
    assert_eq!(tree.lookup(4095), Some(Item::Page(7)));
    tree.delete(4095).unwrap();
    assert!(tree.is_empty());
    assert_eq!(tree.nr_nodes(), 0);
}

#[test]
fn insert_over_an_occupied_slot_is_eexist_and_changes_nothing() {
    let mut tree = RadixTree::new();
    tree.insert(5, Item::Page(1)).unwrap();
    let before = tree.nodes();
    assert_eq!(tree.insert(5, swap(1, 2)), Err(Exists));
    assert_eq!(tree.lookup(5), Some(Item::Page(1)));
    assert_eq!(tree.nodes(), before);
    assert_eq!(tree.len(), 1);
}

#[test]
fn tags_climb_to_the_root_and_come_down_again() {
    let mut tree = RadixTree::new();
    for i in [5000u64, 5001, 70] {
        tree.insert(i, Item::Page(i)).unwrap();
    }
    assert_eq!(tree.tag_set(5000, Tag::Dirty), Some(Item::Page(5000)));
    assert!(tree.root_tag_get(Tag::Dirty));
    assert!(!tree.root_tag_get(Tag::Writeback));
    // 5000 = 1 << 12 | 14 << 6 | 8: the bit is set for slot 1 at the top, 14, then 8;
    // the path to 70 (slot 0, then 1, then 6) stays clear.
    let tags: Vec<(u8, u64)> = tree.nodes().iter().map(|v| (v.shift, v.tags[0])).collect();
    assert_eq!(
        tags,
        [(12, 1 << 1), (6, 0), (0, 0), (6, 1 << 14), (0, 1 << 8)]
    );
    assert!(tree.tag_get(5000, Tag::Dirty));
    assert!(
        !tree.tag_get(5001, Tag::Dirty),
        "a sibling is not tagged by the shared path"
    );
    tree.tag_set(5001, Tag::Dirty).unwrap();
    // Clearing one of two tagged siblings leaves the path tagged...
    tree.tag_clear(5000, Tag::Dirty).unwrap();
    assert!(tree.root_tag_get(Tag::Dirty));
    tree.assert_invariants();
    // ...deleting the other clears it all the way up.
    tree.delete(5001).unwrap();
    assert!(!tree.root_tag_get(Tag::Dirty));
    assert!(tree.nodes().iter().all(|v| v.tags == [0; 3]));
    tree.assert_invariants();
    // Tagging an absent index is refused (the kernel would BUG) and changes nothing.
    assert_eq!(tree.tag_set(5001, Tag::Towrite), None);
    assert_eq!(tree.tag_set(1 << 50, Tag::Towrite), None);
    assert!(!tree.root_tag_get(Tag::Towrite));
}

#[test]
fn root_tags_follow_index_0_into_a_node() {
    let mut tree = RadixTree::new();
    tree.insert(0, Item::Page(1)).unwrap();
    tree.tag_set(0, Tag::Writeback).unwrap();
    assert!(tree.root_tag_get(Tag::Writeback));
    // radix_tree_extend copies the root tags into slot 0 of the new node.
    tree.insert(9, Item::Page(2)).unwrap();
    tree.assert_invariants();
    assert_eq!(tree.nodes()[0].tags, [0, 1, 0]);
    assert!(tree.tag_get(0, Tag::Writeback));
    assert!(!tree.tag_get(9, Tag::Writeback));
    // And back into rnode when 9 goes.
    tree.delete(9).unwrap();
    assert_eq!(tree.nr_nodes(), 0);
    assert!(tree.tag_get(0, Tag::Writeback));
    assert_eq!(
        tree.iter_tagged(Tag::Writeback).collect::<Vec<_>>(),
        [(0, Item::Page(1))]
    );
    tree.delete(0).unwrap();
    assert!(!tree.root_tag_get(Tag::Writeback));
}

#[test]
fn replace_moves_the_exceptional_count() {
    let mut tree = RadixTree::new();
    tree.insert(3, Item::Page(9)).unwrap();
    tree.insert(4, Item::Page(10)).unwrap();
    tree.tag_set(3, Tag::Dirty).unwrap();
    let entry = swap(1, 0x1234);
    // shmem_writepage: the page's slot now holds its swap entry.
    assert_eq!(tree.replace(3, entry), Some(Item::Page(9)));
    assert_eq!(tree.nodes()[0].exceptional, 1);
    assert!(tree.tag_get(3, Tag::Dirty), "replace keeps tags");
    assert_eq!(
        tree.slot_word(3, Encoding::RADIX_64),
        Some(0x0800_0000_0000_48d2)
    );
    assert_eq!(
        tree.slot_word(3, Encoding::XARRAY_64).map(|w| w & 1),
        Some(1),
        "xa_mk_value"
    );
    assert_eq!(tree.slot_word(4, Encoding::RADIX_64), Some(page_word(10)));
    assert_eq!(tree.slot_word(5, Encoding::RADIX_64), None);
    tree.assert_invariants();
    // shmem_getpage_gfp swap-in: back to a page.
    assert_eq!(tree.replace(3, Item::Page(11)), Some(entry));
    assert_eq!(tree.nodes()[0].exceptional, 0);
    // Replacing a hole inserts nothing.
    assert_eq!(tree.replace(5, Item::Page(12)), None);
    assert_eq!(tree.lookup(5), None);
    tree.assert_invariants();
}

#[test]
fn exceptional_rnode_entry_counts_when_wrapped() {
    let mut tree = RadixTree::new();
    tree.insert(0, swap(2, 7)).unwrap();
    tree.insert(1, Item::Page(1)).unwrap();
    let leaf = &tree.nodes()[0];
    assert_eq!((leaf.count, leaf.exceptional), (2, 1));
    tree.assert_invariants();
}

#[test]
fn gang_lookup_and_iteration_skip_holes() {
    let mut tree = RadixTree::new();
    for i in [3u64, 64, 65, 1 << 20, 1 << 33] {
        tree.insert(i, Item::Page(i)).unwrap();
    }
    assert_eq!(tree.next_from(4), Some((64, Item::Page(64))));
    assert_eq!(tree.next_from(66), Some((1 << 20, Item::Page(1 << 20))));
    assert_eq!(tree.next_from((1 << 33) + 1), None);
    let got: Vec<u64> = tree
        .gang_lookup(65, 2)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(got, [65, 1 << 20]);
    let from: Vec<u64> = tree.iter_from(100).map(|(i, _)| i).collect();
    assert_eq!(from, [1 << 20, 1 << 33]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `runs()` spelled out is `iter()` by kind: leaves filled whole with
    /// pages or with swap entries fold into one run, any other leaf (a
    /// hole, one entry of the other kind) is read item by item, near index
    /// 0 and in a tall tree.
    #[test]
    fn runs_are_the_items_by_kind(
        leaves in prop::collection::vec((0u64..6, 0u64..=64, 0u8..4, 0u64..64), 1..6),
        far in any::<bool>(),
    ) {
        let mut tree = RadixTree::<Item>::default();
        let base = if far { 1 << 30 } else { 0 };
        for (leaf, filled, kind, odd) in leaves {
            for k in 0..filled {
                let index = base + leaf * 64 + k;
                // 0: pages, 1: swap entries, 2: pages but one, 3: a hole at `odd`.
                let swap = kind == 1 || (kind == 2 && k == odd);
                if kind == 3 && k == odd {
                    continue;
                }
                let item = if swap { swap_item(index) } else { Item::Page(index + 1) };
                let _ = tree.insert(index, item);
            }
        }
        let spelled: Vec<(u64, bool)> = tree
            .runs()
            .flat_map(|(index, n, item)| (index..index + n).map(move |i| (i, item.is_exceptional())))
            .collect();
        let items: Vec<(u64, bool)> = tree.iter().map(|(i, e)| (i, e.is_exceptional())).collect();
        prop_assert_eq!(spelled, items);
    }
}

fn swap_item(index: u64) -> Item {
    swap(0, index + 1)
}

#[test]
fn a_full_leaf_of_pages_is_one_run() {
    let mut tree = RadixTree::<Item>::default();
    for i in 64..192 {
        tree.insert(i, Item::Page(i)).unwrap();
    }
    tree.insert(200, Item::Page(1)).unwrap();
    let runs: Vec<(u64, u64)> = tree.runs().map(|(i, n, _)| (i, n)).collect();
    assert_eq!(runs, vec![(64, 64), (128, 64), (200, 1)]);
}
