//! Command-line front-end: argument parsing into validated settings, one module per verb.

pub mod crd;
pub mod sandbox;
pub mod schema;
pub mod validate;
