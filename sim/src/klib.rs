//! `lib/`: the kernel library code the model needs (named `klib` because
//! `lib` is the crate root's own name in Rust).
pub mod idr;
pub mod radix_tree;
