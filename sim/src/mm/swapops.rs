//! Swap entries: where a swapped-out page went, in one word.
//!
//! Mirrors `include/linux/swapops.h` (`swp_entry`, `swp_type`, `swp_offset`,
//! `swp_to_radix_entry`, `radix_to_swp_entry`), `include/linux/swap.h`
//! (`swp_entry_t`, `MAX_SWAPFILES_SHIFT`, `MAX_SWAPFILES`) and, for the XArray
//! era, `include/linux/xarray.h` (`xa_mk_value`, `xa_to_value`, `xa_is_value`).
//!
//! A `swp_entry_t` keeps the swap *type* (which swap area) in its top bits
//! and the page *offset* inside that area below it. shmem stores the entry of
//! a swapped-out page in the page-cache slot the page left, so the entry must
//! survive being tagged as "not a page pointer". The two eras do that
//! differently:
//!
//! ```text
//!  4.14 radix tree, 64-bit (SWP_TYPE_SHIFT = 64 - (5 + 2) = 57)
//!
//!   swp_entry_t.val   63 62 61 ....... 57 56 ........................... 0
//!                    [ 0  0][  type (5) ][          offset (57)          ]
//!   slot word         val << 2 | 2:  [ type ][ offset ][1 0]
//!                                                        `-- RADIX_TREE_EXCEPTIONAL_ENTRY
//!
//!  XArray (4.20+), 64-bit (SWP_TYPE_SHIFT = BITS_PER_XA_VALUE - 5 = 63 - 5 = 58)
//!
//!   swp_entry_t.val   63 62 ......... 58 57 ........................... 0
//!                    [ 0][  type (5)   ][          offset (58)          ]
//!   slot word         xa_mk_value(val) = val << 1 | 1:  [ type ][ offset ][1]
//! ```
//!
//! The low bits of a slot word say what the slot holds. A `struct page *` is
//! aligned, so its low two bits are `00`; a child node is an *internal* entry
//! (`01` in the radix tree, `10` in the XArray); a swap entry is an
//! *exceptional* entry (`10`) in the radix tree, or a *value* entry (`x1`) in
//! the XArray. Because the encodings keep the free bits at the top of
//! `val`, nothing is lost by the shift.
//!
//! On a 32-bit kernel (`BITS_PER_LONG` = 32, [`WordSize::W32`]) every word is
//! 32 bits wide: 4.14 has `SWP_TYPE_SHIFT` = 32 - 7 = 25, the XArray
//! 31 - 5 = 26.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `MAX_SWAPFILES_SHIFT` (`include/linux/swap.h`): bits of swap type.
pub const MAX_SWAPFILES_SHIFT: u32 = 5;

/// `MAX_SWAPFILES` (`include/linux/swap.h`) in 4.14 with `CONFIG_DEVICE_PRIVATE`,
/// `CONFIG_MIGRATION` and `CONFIG_MEMORY_FAILURE`: 32 types minus the special
/// ones at the top of the range (`SWP_DEVICE_NUM` 2, `SWP_MIGRATION_NUM` 2,
/// `SWP_HWPOISON_NUM` 1) = 27 usable swap areas. Types 27..=31 are valid
/// encodings (hwpoison, migration and device entries), so [`Encoding::swp_entry`]
/// accepts them.
pub const MAX_SWAPFILES: u32 = (1 << MAX_SWAPFILES_SHIFT) - 2 - 2 - 1;

/// `RADIX_TREE_EXCEPTIONAL_ENTRY` (`include/linux/radix-tree.h`, 4.14).
pub const RADIX_TREE_EXCEPTIONAL_ENTRY: u64 = 2;
/// `RADIX_TREE_EXCEPTIONAL_SHIFT` (`include/linux/radix-tree.h`, 4.14).
pub const RADIX_TREE_EXCEPTIONAL_SHIFT: u32 = 2;
/// `RADIX_TREE_INTERNAL_NODE` (`include/linux/radix-tree.h`, 4.14): the tag
/// of a pointer to a child node. The value 1 alone is `RADIX_TREE_RETRY`.
pub const RADIX_TREE_INTERNAL_NODE: u64 = 1;
/// `RADIX_TREE_ENTRY_MASK` (`include/linux/radix-tree.h`, 4.14).
pub const RADIX_TREE_ENTRY_MASK: u64 = 3;

/// `VMEMMAP_START` on x86_64 with 4-level paging (`arch/x86/include/asm/pgtable_64_types.h`):
/// the virtual address of the `struct page` array.
pub const VMEMMAP_START: u64 = 0xffff_ea00_0000_0000;
/// `sizeof(struct page)` on x86_64.
pub const STRUCT_PAGE_SIZE: u64 = 64;

/// Which kernel's page-cache encoding the model uses.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Era {
    /// Linux 4.14: `lib/radix-tree.c`, exceptional entries `val << 2 | 2`.
    /// The simulator's home era.
    #[default]
    Radix,
    /// Linux 4.20+: `lib/xarray.c`, value entries `val << 1 | 1` (what the host runs).
    XArray,
}

/// `BITS_PER_LONG`: the width of a kernel word.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum WordSize {
    /// A 64-bit kernel (x86_64).
    #[default]
    W64,
    /// A 32-bit kernel (i386): every word is truncated to 32 bits.
    W32,
}

impl WordSize {
    /// `BITS_PER_LONG`.
    pub fn bits(self) -> u32 {
        match self {
            WordSize::W64 => 64,
            WordSize::W32 => 32,
        }
    }

    /// All ones in a word: `~0UL`.
    pub fn mask(self) -> u64 {
        match self {
            WordSize::W64 => u64::MAX,
            WordSize::W32 => u64::from(u32::MAX),
        }
    }
}

/// The page-cache index encoding: era and word size. The default is the
/// home era: 4.14 radix tree on a 64-bit kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Encoding {
    /// Radix tree (4.14) or XArray (4.20+).
    pub era: Era,
    /// 64-bit or 32-bit kernel.
    pub word: WordSize,
}

/// `swp_entry_t` (`include/linux/mm_types.h`): a swap entry in the
/// arch-independent format, type in the top bits, offset below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SwpEntry {
    /// `swp_entry_t.val`.
    pub val: u64,
}

/// Why a swap entry could not be made or read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapOpsError {
    /// The type does not fit the `MAX_SWAPFILES_SHIFT` bits.
    TypeTooLarge {
        /// The type asked for.
        type_: u32,
        /// The largest type the bits hold: 31.
        max: u32,
    },
    /// The offset does not fit below `SWP_TYPE_SHIFT` (the kernel would mask
    /// it silently with `SWP_OFFSET_MASK`; the model refuses instead).
    OffsetTooLarge {
        /// The offset asked for.
        offset: u64,
        /// The largest offset the era allows ([`Encoding::max_swp_offset`]).
        max: u64,
    },
    /// The word is not an exceptional (radix) or value (XArray) entry, or
    /// does not fit the word size.
    NotASwapEntry {
        /// The slot word.
        word: u64,
    },
}

impl fmt::Display for SwapOpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SwapOpsError::TypeTooLarge { type_, max } => {
                write!(
                    f,
                    "swap type {type_} does not fit MAX_SWAPFILES_SHIFT bits (max {max})"
                )
            }
            SwapOpsError::OffsetTooLarge { offset, max } => {
                write!(
                    f,
                    "swap offset {offset:#x} does not fit below SWP_TYPE_SHIFT (max {max:#x})"
                )
            }
            SwapOpsError::NotASwapEntry { word } => {
                write!(f, "slot word {word:#x} is not a swap entry")
            }
        }
    }
}

impl std::error::Error for SwapOpsError {}

/// The largest swap type the `MAX_SWAPFILES_SHIFT` bits hold.
const MAX_SWP_TYPE: u32 = (1 << MAX_SWAPFILES_SHIFT) - 1;

impl Encoding {
    /// The home era: 4.14 radix tree, 64-bit.
    pub const RADIX_64: Encoding = Encoding {
        era: Era::Radix,
        word: WordSize::W64,
    };
    /// 4.20+ XArray, 64-bit.
    pub const XARRAY_64: Encoding = Encoding {
        era: Era::XArray,
        word: WordSize::W64,
    };
    /// Every combination of era and word size, for tests and tables.
    pub const ALL: [Encoding; 4] = [
        Encoding {
            era: Era::Radix,
            word: WordSize::W64,
        },
        Encoding {
            era: Era::Radix,
            word: WordSize::W32,
        },
        Encoding {
            era: Era::XArray,
            word: WordSize::W64,
        },
        Encoding {
            era: Era::XArray,
            word: WordSize::W32,
        },
    ];

    /// `SWP_TYPE_SHIFT` (`include/linux/swapops.h`).
    ///
    /// 4.14: `BITS_PER_LONG - (MAX_SWAPFILES_SHIFT + RADIX_TREE_EXCEPTIONAL_SHIFT)`;
    /// XArray: `BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT` with
    /// `BITS_PER_XA_VALUE = BITS_PER_LONG - 1`.
    ///
    /// ```
    /// use sim::mm::swapops::{Encoding, Era, WordSize};
    /// assert_eq!(Encoding::RADIX_64.swp_type_shift(), 57);
    /// assert_eq!(Encoding { era: Era::Radix, word: WordSize::W32 }.swp_type_shift(), 25);
    /// assert_eq!(Encoding::XARRAY_64.swp_type_shift(), 58);
    /// assert_eq!(Encoding { era: Era::XArray, word: WordSize::W32 }.swp_type_shift(), 26);
    /// ```
    pub fn swp_type_shift(&self) -> u32 {
        let bits = self.word.bits();
        match self.era {
            Era::Radix => bits - (MAX_SWAPFILES_SHIFT + RADIX_TREE_EXCEPTIONAL_SHIFT),
            Era::XArray => (bits - 1) - MAX_SWAPFILES_SHIFT,
        }
    }

    /// `SWP_OFFSET_MASK` (`include/linux/swapops.h`): the largest offset the
    /// era allows, `2^SWP_TYPE_SHIFT - 1`.
    ///
    /// ```
    /// use sim::mm::swapops::Encoding;
    /// assert_eq!(Encoding::RADIX_64.max_swp_offset(), (1 << 57) - 1);
    /// ```
    pub fn max_swp_offset(&self) -> u64 {
        (1u64 << self.swp_type_shift()) - 1
    }

    /// Mirrors `include/linux/swapops.h`: `swp_entry()`. Unlike the kernel,
    /// which masks the offset with `SWP_OFFSET_MASK` and lets a large type
    /// fall off the top of the word, this never truncates: a type above 31 is
    /// [`SwapOpsError::TypeTooLarge`], an offset above [`Self::max_swp_offset`]
    /// is [`SwapOpsError::OffsetTooLarge`].
    ///
    /// The notes' example, type 1 offset `0x1234` in the home era:
    ///
    /// ```
    /// use sim::mm::swapops::Encoding;
    /// let enc = Encoding::RADIX_64;
    /// let e = enc.swp_entry(1, 0x1234).unwrap();
    /// assert_eq!(e.val, 0x0200_0000_0000_1234); // type 1 << 57
    /// assert_eq!(enc.swp_type(e), 1);
    /// assert_eq!(enc.swp_offset(e), 0x1234);
    /// ```
    pub fn swp_entry(&self, type_: u32, offset: u64) -> Result<SwpEntry, SwapOpsError> {
        if type_ > MAX_SWP_TYPE {
            return Err(SwapOpsError::TypeTooLarge {
                type_,
                max: MAX_SWP_TYPE,
            });
        }
        let max = self.max_swp_offset();
        if offset > max {
            return Err(SwapOpsError::OffsetTooLarge { offset, max });
        }
        Ok(SwpEntry {
            val: (u64::from(type_) << self.swp_type_shift()) | offset,
        })
    }

    /// Mirrors `include/linux/swapops.h`: `swp_type()` (`val >> SWP_TYPE_SHIFT`,
    /// on a word of this size).
    pub fn swp_type(&self, e: SwpEntry) -> u32 {
        // At most BITS_PER_LONG - SWP_TYPE_SHIFT <= 7 bits: always fits a u32.
        ((e.val & self.word.mask()) >> self.swp_type_shift()) as u32
    }

    /// Mirrors `include/linux/swapops.h`: `swp_offset()` (`val & SWP_OFFSET_MASK`).
    pub fn swp_offset(&self, e: SwpEntry) -> u64 {
        e.val & self.max_swp_offset()
    }

    /// Mirrors `include/linux/swapops.h`: `swp_to_radix_entry()`, the word
    /// shmem stores in a page-cache slot. 4.14: `val << RADIX_TREE_EXCEPTIONAL_SHIFT
    /// | RADIX_TREE_EXCEPTIONAL_ENTRY`; XArray: `xa_mk_value(val)` = `val << 1 | 1`.
    ///
    /// Type 1, offset `0x1234`:
    ///
    /// ```
    /// use sim::mm::swapops::Encoding;
    /// let radix = Encoding::RADIX_64;
    /// let e = radix.swp_entry(1, 0x1234).unwrap();
    /// assert_eq!(radix.swp_to_radix_entry(e), 0x0800_0000_0000_48d2);
    ///
    /// let xa = Encoding::XARRAY_64;
    /// let e = xa.swp_entry(1, 0x1234).unwrap();
    /// assert_eq!(xa.swp_to_radix_entry(e), 0x0800_0000_0000_2469);
    /// ```
    ///
    /// (`0x8000_0000_0000_48d2` and `0x8000_0000_0000_2469`, with the type
    /// nibble one place further left, are the words of swap type 16.)
    pub fn swp_to_radix_entry(&self, e: SwpEntry) -> u64 {
        let word = match self.era {
            Era::Radix => (e.val << RADIX_TREE_EXCEPTIONAL_SHIFT) | RADIX_TREE_EXCEPTIONAL_ENTRY,
            Era::XArray => (e.val << 1) | 1,
        };
        word & self.word.mask()
    }

    /// Mirrors `include/linux/swapops.h`: `radix_to_swp_entry()` (`word >> 2`;
    /// XArray: `xa_to_value(word)` = `word >> 1`). Rejects a word whose low
    /// bits are not exactly an exceptional entry's `10` (radix; `11` is
    /// reserved and would lose a bit) or a value entry's `1` (XArray), and a
    /// word wider than a 32-bit kernel's.
    ///
    /// ```
    /// use sim::mm::swapops::{Encoding, SwapOpsError};
    /// let enc = Encoding::RADIX_64;
    /// let e = enc.radix_to_swp_entry(0x0800_0000_0000_48d2).unwrap();
    /// assert_eq!((enc.swp_type(e), enc.swp_offset(e)), (1, 0x1234));
    /// let page = sim::mm::swapops::page_word(0x31);
    /// assert_eq!(enc.radix_to_swp_entry(page), Err(SwapOpsError::NotASwapEntry { word: page }));
    /// ```
    pub fn radix_to_swp_entry(&self, word: u64) -> Result<SwpEntry, SwapOpsError> {
        if word & !self.word.mask() != 0 {
            return Err(SwapOpsError::NotASwapEntry { word });
        }
        match self.era {
            Era::Radix if word & RADIX_TREE_ENTRY_MASK == RADIX_TREE_EXCEPTIONAL_ENTRY => {
                Ok(SwpEntry {
                    val: word >> RADIX_TREE_EXCEPTIONAL_SHIFT,
                })
            }
            Era::XArray if word & 1 == 1 => Ok(SwpEntry { val: word >> 1 }),
            _ => Err(SwapOpsError::NotASwapEntry { word }),
        }
    }

    /// Mirrors `include/linux/radix-tree.h`: `radix_tree_exceptional_entry()`
    /// (bit 1 set; 4.14 tests only that bit), or `include/linux/xarray.h`:
    /// `xa_is_value()` (bit 0 set).
    pub fn is_exceptional(&self, word: u64) -> bool {
        match self.era {
            Era::Radix => word & RADIX_TREE_EXCEPTIONAL_ENTRY != 0,
            Era::XArray => word & 1 != 0,
        }
    }

    /// Mirrors `include/linux/radix-tree.h`: `radix_tree_is_internal_node()`
    /// (low bits `01`), or `include/linux/xarray.h`: `xa_is_internal()` (low bits `10`).
    pub fn is_internal(&self, word: u64) -> bool {
        match self.era {
            Era::Radix => word & RADIX_TREE_ENTRY_MASK == RADIX_TREE_INTERNAL_NODE,
            Era::XArray => word & 3 == 2,
        }
    }

    /// The slot word of a pointer to a child node: `node_to_entry()`
    /// (`lib/radix-tree.c`: `node | RADIX_TREE_INTERNAL_NODE`), or
    /// `xa_mk_node()` (`include/linux/xarray.h`: `node | 2`).
    pub fn node_word(&self, node_addr: u64) -> u64 {
        let word = match self.era {
            Era::Radix => node_addr | RADIX_TREE_INTERNAL_NODE,
            Era::XArray => node_addr | 2,
        };
        word & self.word.mask()
    }

    /// The x86_64 swap PTE of an entry: `swp_entry_to_pte()`
    /// (`include/linux/swapops.h`) with `__swp_entry()` from
    /// `arch/x86/include/asm/pgtable_64.h`.
    ///
    /// - `l1tf == false`, 4.14.5: type in bits 9-13, offset from bit 14.
    /// - `l1tf == true`, since the L1TF fix (4.19, backported to 4.14.y):
    ///   type in bits 59-63, the offset *inverted* in bits 9-58, so that a
    ///   swap PTE never points at cacheable memory.
    ///
    /// Bit 0 (`_PAGE_PRESENT`) is always clear. An offset wider than the
    /// PTE's 50 offset bits is [`SwapOpsError::OffsetTooLarge`] (the kernel
    /// caps the swap area size at swapon so that cannot happen).
    ///
    /// ```
    /// use sim::mm::swapops::Encoding;
    /// let enc = Encoding::RADIX_64;
    /// let e = enc.swp_entry(1, 0x1234).unwrap();
    /// assert_eq!(enc.x86_64_swap_pte(false, e).unwrap(), 0x1234 << 14 | 1 << 9);
    /// assert_eq!(enc.x86_64_swap_pte(true, e).unwrap(), 1 << 59 | (!0x1234u64 << 14 >> 5));
    /// ```
    pub fn x86_64_swap_pte(&self, l1tf: bool, e: SwpEntry) -> Result<u64, SwapOpsError> {
        const SWP_TYPE_FIRST_BIT: u32 = 9; // _PAGE_BIT_PROTNONE + 1
        const SWP_TYPE_BITS: u32 = 5;
        const SWP_OFFSET_FIRST_BIT: u32 = SWP_TYPE_FIRST_BIT + SWP_TYPE_BITS;
        const MAX_PTE_OFFSET: u64 = (1 << (64 - SWP_OFFSET_FIRST_BIT)) - 1;
        let (type_, offset) = (u64::from(self.swp_type(e)), self.swp_offset(e));
        if type_ > u64::from(MAX_SWP_TYPE) {
            return Err(SwapOpsError::TypeTooLarge {
                type_: type_ as u32,
                max: MAX_SWP_TYPE,
            });
        }
        if offset > MAX_PTE_OFFSET {
            return Err(SwapOpsError::OffsetTooLarge {
                offset,
                max: MAX_PTE_OFFSET,
            });
        }
        Ok(if l1tf {
            (!offset << SWP_OFFSET_FIRST_BIT >> SWP_TYPE_BITS) | (type_ << (64 - SWP_TYPE_BITS))
        } else {
            (type_ << SWP_TYPE_FIRST_BIT) | (offset << SWP_OFFSET_FIRST_BIT)
        })
    }
}

/// The slot word of a page-cache page: the x86_64 virtual address of its
/// `struct page` in the vmemmap (`pfn_to_page()`, `CONFIG_SPARSEMEM_VMEMMAP`):
/// `VMEMMAP_START + pfn * sizeof(struct page)`. Aligned, so the low two bits
/// are `00`.
///
/// ```
/// assert_eq!(sim::mm::swapops::page_word(0x31), 0xffff_ea00_0000_0c40);
/// ```
pub fn page_word(pfn: u64) -> u64 {
    VMEMMAP_START.wrapping_add(pfn.wrapping_mul(STRUCT_PAGE_SIZE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_4_14() {
        assert_eq!(MAX_SWAPFILES, 27);
        assert_eq!(Encoding::default(), Encoding::RADIX_64);
    }

    #[test]
    fn serde_names_are_lowercase() {
        // No serde_json here; toml is a dependency of the crate.
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct W {
            enc: Encoding,
        }
        let w = W {
            enc: Encoding {
                era: Era::XArray,
                word: WordSize::W32,
            },
        };
        let text = toml::to_string(&w).unwrap();
        assert!(text.contains("era = \"xarray\""), "{text}");
        assert!(text.contains("word = \"w32\""), "{text}");
        assert_eq!(toml::from_str::<W>(&text).unwrap(), w);
    }
}
