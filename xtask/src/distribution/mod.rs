//! Distribution: images carried to and from other machines.
//!
//! Owns the OCI distribution protocol as cairn speaks it to registries (`oci.rs`, every
//! body a registry sends read against a cap), `push` (`push.rs`), `export` and `import`
//! (`exchange.rs`) and substitutes from registries and directories (`substitute.rs`).
//! Nothing here builds, and nothing
//! here ever decides a digest: it moves bytes whose digests manifest/ already records, and
//! admits nothing that does not hash to them.

pub mod exchange;
pub mod oci;
pub mod push;
pub mod substitute;
