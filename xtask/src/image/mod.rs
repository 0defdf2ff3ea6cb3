//! image/: bytes in, bytes out: the only place digests are decided.
//!
//! Owns the normalizer (`normalize`: an engine's export to a canonical layer), the OCI
//! layout (`layout`: gzip, config, manifest, `out/<name>/`, reading a layout back with
//! every blob checked), the comparison of two images (`diff`) and what a layer's ELF files
//! load and provide (`elf`). Nothing here talks to
//! an engine, the network or the registry of packages; it reads and writes only the
//! paths it is given. Any change to the bytes it produces bumps `normalize::FORMAT`.

pub mod diff;
pub mod elf;
pub mod layout;
pub mod normalize;
