//! Swap entries (`include/linux/swapops.h`): the encoding shmem relies on when
//! it parks a swapped-out page's swap entry in the page-cache slot the page left.
//!
//! Checked over the whole valid domain (every type 0..=31, offsets from 0 to the
//! era's largest), for both eras (4.14 radix tree, 4.20+ XArray) and both word
//! sizes (64- and 32-bit kernels):
//!
//! - the round trip type, offset -> entry -> slot word -> entry -> type, offset is exact;
//! - a slot word made from a swap entry is never a page pointer (low bits `00`) or a
//!   child node (internal entry);
//! - type and offset never bleed into each other;
//! - the largest offset is exactly the era's, and types 32 and up are refused.

use proptest::prelude::*;
use sim::mm::swapops::{
    page_word, Encoding, Era, SwapOpsError, SwpEntry, WordSize, MAX_SWAPFILES, MAX_SWAPFILES_SHIFT,
};

const CASES: u32 = 512;

fn encoding() -> impl Strategy<Value = Encoding> {
    prop::sample::select(Encoding::ALL.to_vec())
}

/// An offset valid in `enc`: anywhere in the range, near either end, or exactly an end.
fn offset(enc: Encoding) -> BoxedStrategy<u64> {
    let max = enc.max_swp_offset();
    prop_oneof![
        2 => 0..=max,
        1 => 0..4096u64,
        1 => (max - 4096)..=max,
        1 => Just(max),
        1 => Just(0u64),
        // Single bits, to catch a bit lost at any position.
        1 => (0..enc.swp_type_shift()).prop_map(|b| 1u64 << b),
    ]
    .boxed()
}

fn swp_type() -> impl Strategy<Value = u32> {
    prop_oneof![0..32u32, Just(0u32), Just(31u32), Just(MAX_SWAPFILES - 1)]
}

/// An encoding with a valid (type, offset) for it.
fn entry_args() -> impl Strategy<Value = (Encoding, u32, u64)> {
    encoding().prop_flat_map(|enc| (Just(enc), swp_type(), offset(enc)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn round_trip_is_exact((enc, t, off) in entry_args()) {
        let e = enc.swp_entry(t, off).unwrap();
        prop_assert_eq!(enc.swp_type(e), t);
        prop_assert_eq!(enc.swp_offset(e), off);
        let word = enc.swp_to_radix_entry(e);
        prop_assert!(word <= enc.word.mask(), "slot word {word:#x} wider than the {:?} word", enc.word);
        let back = enc.radix_to_swp_entry(word).unwrap();
        prop_assert_eq!(back, e);
        prop_assert_eq!(enc.swp_type(back), t);
        prop_assert_eq!(enc.swp_offset(back), off);
    }

    #[test]
    fn entry_word_is_never_a_page_or_a_node((enc, t, off) in entry_args(), pfn in 0u64..(1 << 40)) {
        let word = enc.swp_to_radix_entry(enc.swp_entry(t, off).unwrap());
        let page = page_word(pfn);
        prop_assert_eq!(page & 3, 0, "a struct page pointer is aligned");
        prop_assert_ne!(word & 3, 0, "swap word {:#x} has a page pointer's low bits 00", word);
        prop_assert!(enc.is_exceptional(word));
        prop_assert!(!enc.is_internal(word), "swap word {:#x} reads as a child node", word);
        // ...and the other way round: pages and nodes are not swap entries.
        prop_assert!(!enc.is_exceptional(page));
        prop_assert!(!enc.is_internal(page));
        prop_assert!(enc.radix_to_swp_entry(page).is_err());
        let node = enc.node_word((pfn << 6) & enc.word.mask());
        prop_assert!(enc.is_internal(node));
        prop_assert!(!enc.is_exceptional(node));
        prop_assert_eq!(enc.radix_to_swp_entry(node), Err(SwapOpsError::NotASwapEntry { word: node }));
    }

    #[test]
    fn type_and_offset_never_bleed(
        (enc, t1, off1) in entry_args(),
        t2 in 0..32u32,
        bit in 0u32..64,
    ) {
        // Another offset, differing in one bit (when that bit is an offset bit) or anywhere.
        let off2 = if bit < enc.swp_type_shift() { off1 ^ (1 << bit) } else { off1 / 3 };
        let word = |t, o| enc.swp_to_radix_entry(enc.swp_entry(t, o).unwrap());
        let dec = |w| {
            let e = enc.radix_to_swp_entry(w).unwrap();
            (enc.swp_type(e), enc.swp_offset(e))
        };
        // Changing the type leaves the offset alone, and the other way round.
        prop_assert_eq!(dec(word(t2, off1)), (t2, off1));
        prop_assert_eq!(dec(word(t1, off2)), (t1, off2));
        // Distinct (type, offset) pairs make distinct words.
        if (t1, off1) != (t2, off2) {
            prop_assert_ne!(word(t1, off1), word(t2, off2));
        }
    }

    #[test]
    fn decoding_any_word_is_exact_or_refused(enc in encoding(), word in any::<u64>()) {
        match enc.radix_to_swp_entry(word) {
            Ok(e) => {
                prop_assert!(enc.swp_type(e) < 1 << MAX_SWAPFILES_SHIFT);
                prop_assert_eq!(enc.swp_to_radix_entry(e), word, "a decoded word must re-encode to itself");
                prop_assert!(enc.is_exceptional(word) && !enc.is_internal(word));
            }
            Err(err) => prop_assert_eq!(err, SwapOpsError::NotASwapEntry { word }),
        }
    }

    #[test]
    fn largest_offset_is_exactly_the_eras(enc in encoding(), t in 0..32u32) {
        let max = enc.max_swp_offset();
        prop_assert_eq!(max, (1u64 << enc.swp_type_shift()) - 1);
        prop_assert!(enc.swp_entry(t, max).is_ok());
        prop_assert_eq!(enc.swp_entry(t, max + 1), Err(SwapOpsError::OffsetTooLarge { offset: max + 1, max }));
        prop_assert_eq!(enc.swp_entry(t, u64::MAX), Err(SwapOpsError::OffsetTooLarge { offset: u64::MAX, max }));
    }

    #[test]
    fn types_32_and_up_are_refused(enc in encoding(), t in 32u32..=u32::MAX, off in 0u64..4096) {
        prop_assert_eq!(enc.swp_entry(t, off), Err(SwapOpsError::TypeTooLarge { type_: t, max: 31 }));
    }
}

#[test]
fn swp_type_shift_per_era_and_word() {
    let shift = |era, word| Encoding { era, word }.swp_type_shift();
    // 4.14: BITS_PER_LONG - (MAX_SWAPFILES_SHIFT + RADIX_TREE_EXCEPTIONAL_SHIFT).
    assert_eq!(shift(Era::Radix, WordSize::W64), 57);
    assert_eq!(shift(Era::Radix, WordSize::W32), 25);
    // XArray: BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT.
    assert_eq!(shift(Era::XArray, WordSize::W64), 58);
    assert_eq!(shift(Era::XArray, WordSize::W32), 26);
    assert_eq!(
        Encoding {
            era: Era::Radix,
            word: WordSize::W32
        }
        .max_swp_offset(),
        (1 << 25) - 1
    );
    assert_eq!(MAX_SWAPFILES, 27);
}

#[test]
fn notes_example_type_1_offset_0x1234() {
    // Type 1 sits at bit 57 of val (radix) or 58 (XArray); after the shift into the
    // slot word that is bit 59 either way: 0x08...
    let radix = Encoding::RADIX_64;
    let e = radix.swp_entry(1, 0x1234).unwrap();
    assert_eq!(
        e,
        SwpEntry {
            val: 0x0200_0000_0000_1234
        }
    );
    assert_eq!(radix.swp_to_radix_entry(e), 0x0800_0000_0000_48d2);

    let xa = Encoding::XARRAY_64;
    let e = xa.swp_entry(1, 0x1234).unwrap();
    assert_eq!(
        e,
        SwpEntry {
            val: 0x0400_0000_0000_1234
        }
    );
    assert_eq!(xa.swp_to_radix_entry(e), 0x0800_0000_0000_2469);
}

#[test]
fn notes_literal_words_decode_to_type_16() {
    // KERNEL-NOTES.md section 2 prints 0x80000000000048d2 / 0x8000000000002469 for
    // type 1; those words put the type nibble one place further left: they are type 16.
    let radix = Encoding::RADIX_64;
    let e = radix.radix_to_swp_entry(0x8000_0000_0000_48d2).unwrap();
    assert_eq!((radix.swp_type(e), radix.swp_offset(e)), (16, 0x1234));
    let xa = Encoding::XARRAY_64;
    let e = xa.radix_to_swp_entry(0x8000_0000_0000_2469).unwrap();
    assert_eq!((xa.swp_type(e), xa.swp_offset(e)), (16, 0x1234));
}

#[test]
fn thirty_two_bit_words_stay_thirty_two_bits() {
    for era in [Era::Radix, Era::XArray] {
        let enc = Encoding {
            era,
            word: WordSize::W32,
        };
        let e = enc.swp_entry(31, enc.max_swp_offset()).unwrap();
        let word = enc.swp_to_radix_entry(e);
        assert!(word <= u64::from(u32::MAX), "{era:?}: {word:#x}");
        assert_eq!(enc.radix_to_swp_entry(word), Ok(e));
        // A word a 32-bit kernel cannot hold is not a swap entry there.
        assert!(enc.radix_to_swp_entry(word | 1 << 32).is_err());
    }
    // The largest 4.14 32-bit entry fills the word but for the tag bits.
    let enc = Encoding {
        era: Era::Radix,
        word: WordSize::W32,
    };
    assert_eq!(
        enc.swp_to_radix_entry(enc.swp_entry(31, (1 << 25) - 1).unwrap()),
        0xffff_fffe
    );
}

#[test]
fn reserved_radix_tag_11_is_not_a_swap_entry() {
    let enc = Encoding::RADIX_64;
    // radix_tree_exceptional_entry() tests bit 1 only, so 4.14 calls it exceptional...
    assert!(enc.is_exceptional(0x48d3));
    // ...but decoding it would drop bit 0: refused.
    assert_eq!(
        enc.radix_to_swp_entry(0x48d3),
        Err(SwapOpsError::NotASwapEntry { word: 0x48d3 })
    );
}

#[test]
fn x86_64_swap_pte_formats() {
    let enc = Encoding::RADIX_64;
    let e = enc.swp_entry(3, 0x1234).unwrap();
    // 4.14.5: type in bits 9-13, offset from bit 14; present bit clear.
    let old = enc.x86_64_swap_pte(false, e).unwrap();
    assert_eq!(old, (0x1234 << 14) | (3 << 9));
    // L1TF: type in bits 59-63, the offset inverted in bits 9-58.
    let new = enc.x86_64_swap_pte(true, e).unwrap();
    assert_eq!(new >> 59, 3);
    assert_eq!((!new << 5) >> 14, 0x1234);
    assert_eq!(new & 0x1ff, 0, "bits 0-8 (present, protnone...) clear");
    assert_eq!(old & 1, 0);
    // 57 offset bits do not all fit the PTE's 50.
    let big = enc.swp_entry(0, 1 << 50).unwrap();
    assert!(matches!(
        enc.x86_64_swap_pte(true, big),
        Err(SwapOpsError::OffsetTooLarge { .. })
    ));
}

#[test]
fn errors_say_what_went_wrong() {
    let enc = Encoding::RADIX_64;
    let msg = enc.swp_entry(32, 0).unwrap_err().to_string();
    assert!(msg.contains("32"), "{msg}");
    let msg = enc.swp_entry(0, 1 << 57).unwrap_err().to_string();
    assert!(msg.contains("0x1ffffffffffffff"), "{msg}");
    let err: Box<dyn std::error::Error> = Box::new(enc.radix_to_swp_entry(0x1000).unwrap_err());
    assert!(err.to_string().contains("0x1000"));
}
