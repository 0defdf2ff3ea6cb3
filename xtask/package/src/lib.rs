//! The types a cairn package crate declares itself with.
//!
//! Every crate under `pkgs/` and `bootstrap/` exposes one `PACKAGE` constant of type
//! [`Package`]. Dependencies are references to other crates' `PACKAGE` constants, so the
//! dependency graph is checked by the compiler: a missing dependency does not resolve
//! and Cargo refuses a cycle. This crate has no dependencies of its own, so package
//! crates compile in a blink.

#![no_std]

/// One package: what it is, what it is built from, and how.
#[derive(Debug)]
pub struct Package {
    /// The image name: `cairn/<name>`. Lowercase letters, digits and `-`.
    pub name: &'static str,
    /// The upstream version being packaged.
    pub version: &'static str,
    /// SPDX license expression of what the image ships.
    pub license: &'static str,
    /// Files fetched from outside the tree, each pinned by sha256.
    pub sources: &'static [Source],
    /// Packages whose images this one is built from (`cairn/<dep>` in its Containerfile).
    pub deps: &'static [&'static Package],
    /// Packages whose images this one's programs need beside it when they run: those that
    /// hold the shared libraries its ELF files load (the C library too), or data they read
    /// (a CA bundle). Each is a Cargo dependency like `deps`, and may also be one of them.
    /// `cargo xtask run` composes an image with these (and theirs, transitively); a build
    /// fails when an ELF file of the image needs a library none of them provides.
    pub runtime: &'static [&'static Package],
    /// Files from the package's own directory added to the build (patches, configs).
    pub files: &'static [File],
    /// Files of the image allowed to hold a fact of the machine that built it (its
    /// kernel's release or version, its CPU's model, its host name), each with the reason.
    /// The build fails on any other such file; nearly every package allows none.
    pub allow: &'static [Allow],
    /// How the image is made.
    pub recipe: Recipe,
}

/// A file of the image that may hold a fact of the build machine, and why it must.
#[derive(Debug)]
pub struct Allow {
    /// Its path in the image, without a leading `/`: `usr/lib/perl5/Config.pm`.
    pub file: &'static str,
    /// Why the recipe cannot pin it, for review.
    pub reason: &'static str,
}

/// How an image is made from its sources.
#[derive(Debug)]
pub enum Recipe {
    /// Built in a container engine, network off, from this Containerfile. The build
    /// context holds the Containerfile, every source and every package file by name.
    Containerfile(&'static str),
    /// Laid out by the xtask itself, without an engine: every source is a Debian
    /// binary package whose data is unpacked in order (or a Python wheel, whose entries
    /// go under `opt/`, modes kept), then the listed directories and symbolic links are
    /// added. Used to start the tree from a third-party toolchain.
    DebianRootfs(Rootfs),
    /// Built from another package's Containerfile, sources and files, with some of the
    /// images it builds from replaced by others. Used to show that a recipe gives the
    /// same image on a toolchain that came from another root (diverse double-compiling).
    Rebuild(Rebuild),
}

/// Another package's recipe, run on other images.
#[derive(Debug)]
pub struct Rebuild {
    /// The package whose Containerfile is built. Its sources and files must be this
    /// package's too.
    pub of: &'static Package,
    /// `(from, to)`: where `of`'s Containerfile names `cairn/<from>`, the image of `to`
    /// is used. This package's deps are `of`'s with each `from` replaced by its `to`.
    pub replace: &'static [(&'static Package, &'static Package)],
    /// Whether its image must be `of`'s.
    pub expect: Expect,
}

/// What a rebuild's image is expected to be.
#[derive(Debug)]
pub enum Expect {
    /// `of`'s image, bit for bit: the rebuild ends a proof, which `cargo xtask bootstrap
    /// prove --<proof>` checks, and manifest/ records it with `of`'s digest.
    Same { proof: &'static str },
    /// Another image: a stage on the way to such a rebuild, compiled by other compilers
    /// than `of` was, so its bytes differ while what it does must not.
    Stage,
}

/// Extra entries of a rootfs laid out from Debian packages.
#[derive(Debug)]
pub struct Rootfs {
    /// Directories to create (mode 0755, or 01777 for `tmp`).
    pub dirs: &'static [&'static str],
    /// `(path, target)` symbolic links to create, replacing what is there.
    pub links: &'static [(&'static str, &'static str)],
    /// `(path, contents)` regular files to create (mode 0644), replacing what is there.
    pub files: &'static [(&'static str, &'static str)],
    /// Where the components of Rust installer tarballs among the sources go: `None` for
    /// `usr`, as `install.sh --prefix=/usr` puts them, or a directory of its own (its
    /// programs find their libraries at `$ORIGIN/../lib`, which is then theirs alone).
    pub installer_prefix: Option<&'static str>,
}

/// A file from the package crate's directory, embedded with `include_bytes!`.
#[derive(Debug)]
pub struct File {
    /// Name in the build context (a plain file name, no `/`).
    pub name: &'static str,
    pub contents: &'static [u8],
}

/// A file fetched from outside the tree. Only its sha256 decides what it is; the
/// locations are merely where to look for it.
#[derive(Debug)]
pub struct Source {
    /// Name in the build context and in the cache listing (a plain file name).
    pub file: &'static str,
    pub sha256: Sha256,
    /// Where to get it, tried in order.
    pub locations: &'static [Location],
    /// What the file really is when it differs from upstream's release (a distribution
    /// repack, a snapshot): shown to reviewers, never used to decide anything.
    pub note: &'static str,
}

/// Where a source can be fetched from.
#[derive(Debug)]
pub enum Location {
    /// An upstream URL.
    Url(&'static str),
    /// A path in a Debian archive mirror, such as `pool/main/m/musl/musl_1.2.3.orig.tar.gz`.
    /// The mirror comes from the machine's apt configuration or `CAIRN_DEBIAN_MIRROR`.
    DebianPool(&'static str),
    /// A Debian binary package, fetched with `apt-get download PACKAGE=VERSION`.
    DebianBinary { package: &'static str, version: &'static str },
    /// A file of a Debian source package, fetched with
    /// `apt-get source --download-only PACKAGE=VERSION` (needs deb-src lines).
    DebianSource { package: &'static str, version: &'static str },
    /// A file of a PyPI release, fetched with `pip download --no-deps PACKAGE==VERSION`
    /// (for a wheel, with the platform tags of its file name).
    PyPI { package: &'static str, version: &'static str },
    /// A crate of the Rust package registry, the `.crate` file cargo downloads for
    /// `NAME = "=VERSION"`: fetched with `cargo fetch` (so by cargo's own configuration of
    /// that registry), and taken from cargo's download cache. The source's file must be
    /// named `NAME-VERSION.crate`; its sha256 is the `checksum` a Cargo.lock records.
    Crate { name: &'static str, version: &'static str },
    /// A member of a tar archive (plain, gzip or xz) that is itself a source, pinned by
    /// its own sha256: the archive is fetched (and kept in the cache like any source),
    /// and the regular file at `path` inside it is taken. For a small part of a large
    /// bundle, so that only that part enters the build.
    Member { archive: &'static Source, path: &'static str },
}

/// A sha256 digest, parsed from hex at compile time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Parses 64 lowercase hex digits. In a `const` this fails the build on bad input.
    pub const fn hex(s: &str) -> Sha256 {
        let b = s.as_bytes();
        if b.len() != 64 {
            panic!("a sha256 is 64 hex digits");
        }
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
            i += 1;
        }
        Sha256(out)
    }
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("a sha256 is written in lowercase hex digits"),
    }
}

impl core::fmt::Display for Sha256 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl core::fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "sha256:{self}")
    }
}

impl Package {
    /// The Containerfile, if the package is built by an engine (for a rebuild, the
    /// other package's).
    pub const fn containerfile(&self) -> Option<&'static str> {
        match self.recipe {
            Recipe::Containerfile(text) => Some(text),
            Recipe::DebianRootfs(_) => None,
            Recipe::Rebuild(Rebuild { of, .. }) => of.containerfile(),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn hex_round_trips() {
        let h = "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4";
        assert_eq!(Sha256::hex(h).to_string(), h);
    }

    #[test]
    #[should_panic(expected = "64 hex digits")]
    fn short_hex_is_refused() {
        Sha256::hex("abcd");
    }

    #[test]
    #[should_panic(expected = "lowercase hex")]
    fn uppercase_hex_is_refused() {
        Sha256::hex("7D5B0B6062521E4627E099E4C9DC8248D32A30285E959B7EECAA780CF8CFD4A4");
    }
}
