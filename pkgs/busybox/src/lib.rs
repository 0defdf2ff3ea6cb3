//! busybox 1.35.0: a static shell and core utilities in one binary, with a link per
//! applet, built natively by our toolchain against its musl.

use cairn_package::{Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "busybox",
    version: "1.35.0",
    license: "GPL-2.0-only",
    sources: &[busybox_stage0::BUSYBOX],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
