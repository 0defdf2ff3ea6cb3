//! filesystem: the directory skeleton, users, groups and os-release that final images
//! start from.

use cairn_package::{File, Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "filesystem",
    version: "1",
    license: "MIT",
    sources: &[],
    deps: &[&bootstrap::PACKAGE],
    runtime: &[],
    files: &[
        File { name: "passwd", contents: include_bytes!("../passwd") },
        File { name: "group", contents: include_bytes!("../group") },
        File { name: "os-release", contents: include_bytes!("../os-release") },
    ],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
