//! The sans-IO session state machine.

mod phase;

pub use phase::Phase;
