//! Distribution: images carried to and from other machines.
//!
//! Owns the OCI distribution protocol as cairn speaks it to registries (`oci.rs`), every
//! body a registry sends read against a cap. Nothing here builds, and nothing here ever
//! decides a digest: it moves bytes whose digests manifest/ already records, and admits
//! nothing that does not hash to them.

pub mod oci;
