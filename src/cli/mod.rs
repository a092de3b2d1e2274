//! Command-line front-end: argument parsing into validated settings, one module per verb.

pub mod sandbox;
