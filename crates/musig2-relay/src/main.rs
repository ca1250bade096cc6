//! The relay node binary.
fn main() {}
