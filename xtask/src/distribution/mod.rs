//! Distribution: images carried to and from other machines. `oci.rs` speaks the OCI
//! distribution protocol to registries, every read bounded.
//!
//! Nothing here builds or decides a digest: it moves bytes whose digests manifest/
//! already records, and admits nothing that does not hash to them.

pub mod oci;
