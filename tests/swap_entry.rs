//! Filled by the swap-entry proptests.
