//! `lib/idr.c`: a map from small integer ids to objects, found in O(1).
//!
//! The kernel finds IPC objects by id in an IDR (`ipc/util.c`), and from
//! 4.15 on its pids too (`kernel/pid.c`; 4.14 hashes them): ids are handed
//! out from a counter and found by indexing, not by searching. The model
//! keeps its processes (pids from 1000 up) and its inodes (numbered from a
//! counter, as `get_next_ino` numbers them; the kernel finds those through
//! the dentries and the inode hash) the same way: a fault looks its
//! process and its inode up a dozen times, and searching a `BTreeMap` each
//! time was a third of a shmem fault's cost.
//!
//! Ids are stored from the lowest one in use: slot `i` holds id
//! `base + i`. Iteration is in id order, as a `BTreeMap`'s is, so nothing
//! that lists inodes or processes changes order.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Objects by `u32` id, in id order.
#[derive(Clone, PartialEq, Eq)]
pub struct Idr<V> {
    /// The id of `slots[0]`.
    base: u32,
    slots: Vec<Option<V>>,
    len: usize,
}

impl<V> Default for Idr<V> {
    fn default() -> Self {
        Idr {
            base: 0,
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<V> Idr<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, id: u32) -> Option<usize> {
        let i = id.checked_sub(self.base)? as usize;
        (i < self.slots.len()).then_some(i)
    }

    /// The object of `id` (`idr_find`).
    #[inline]
    pub fn get(&self, id: &u32) -> Option<&V> {
        self.slots
            .get(id.checked_sub(self.base)? as usize)?
            .as_ref()
    }

    /// The object of `id`, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: &u32) -> Option<&mut V> {
        self.slots
            .get_mut(id.checked_sub(self.base)? as usize)?
            .as_mut()
    }

    /// Is `id` in use?
    pub fn contains_key(&self, id: &u32) -> bool {
        self.get(id).is_some()
    }

    /// Puts `v` at `id` (`idr_alloc` of that id, or `idr_replace`);
    /// returns what was there.
    pub fn insert(&mut self, id: u32, v: V) -> Option<V> {
        if self.len == 0 {
            self.slots.clear();
            self.base = id;
        } else if id < self.base {
            let more = (self.base - id) as usize;
            self.slots
                .splice(0..0, std::iter::repeat_with(|| None).take(more));
            self.base = id;
        }
        let i = (id - self.base) as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        let old = self.slots[i].replace(v);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Takes the object of `id` out (`idr_remove`).
    pub fn remove(&mut self, id: &u32) -> Option<V> {
        let i = self.slot(*id)?;
        let old = self.slots[i].take()?;
        self.len -= 1;
        // Ids no longer in use at either end take no room.
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        let unused = self.slots.iter().take_while(|s| s.is_none()).count();
        if unused > 0 {
            self.slots.drain(..unused);
            self.base += unused as u32;
        }
        Some(old)
    }

    /// How many ids are in use.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No id in use?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `(id, object)` in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, &V)> + '_ {
        let base = self.base;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_ref().map(|v| (base + i as u32, v)))
    }

    /// The ids in use, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// The objects, in id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.slots.iter().flatten()
    }

    /// The objects, in id order, mutably.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.slots.iter_mut().flatten()
    }
}

impl<V> std::ops::Index<&u32> for Idr<V> {
    type Output = V;

    #[inline]
    fn index(&self, id: &u32) -> &V {
        match self.get(id) {
            Some(v) => v,
            None => panic!("invariant: id {id} is in use"),
        }
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for Idr<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize> Serialize for Idr<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len))?;
        for (id, v) in self.iter() {
            m.serialize_entry(&id, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// An IDR is a map: after any inserts and removes it holds what a
        /// `BTreeMap` holds, in the same order.
        #[test]
        fn an_idr_is_a_btreemap(ops in prop::collection::vec((any::<bool>(), 0u32..64, any::<u8>()), 0..200)) {
            let (mut idr, mut map) = (Idr::new(), BTreeMap::new());
            for (put, id, v) in ops {
                let id = id + 990;
                if put {
                    prop_assert_eq!(idr.insert(id, v), map.insert(id, v));
                } else {
                    prop_assert_eq!(idr.remove(&id), map.remove(&id));
                }
                prop_assert_eq!(idr.len(), map.len());
                prop_assert_eq!(idr.get(&id), map.get(&id));
                let pairs: Vec<(u32, u8)> = idr.iter().map(|(k, v)| (k, *v)).collect();
                let want: Vec<(u32, u8)> = map.iter().map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(pairs, want);
            }
        }
    }
}
