//! `cargo xtask new NAME`: a package crate ready to fill in.
//!
//! It writes exactly what `cargo new --lib pkgs/NAME` plus a lib.rs and a Containerfile
//! would: the workspace picks the crate up by its `pkgs/*` glob, nothing else to edit.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::env::Env;
use crate::workspace::StagedDir;

#[derive(clap::Args)]
pub struct NewArgs {
    /// Package name: lowercase letters, digits and `-` (the image is cairn/NAME).
    pub name: String,
    #[command(flatten)]
    pub json: crate::cli::JsonArg,
}

/// `new --json`.
#[derive(serde::Serialize)]
struct Created {
    name: String,
    /// The crate's directory, relative to the root.
    dir: String,
    /// Its files, relative to the root.
    files: Vec<String>,
}

pub fn new(args: NewArgs, env: &Env) -> Result<ExitCode> {
    let name = &args.name;
    if !crate::registry::valid_name(name) {
        bail!("`{name}` is not a valid package name: use lowercase letters, digits and `-`");
    }
    let root = &env.root;
    let dir = root.join("pkgs").join(name);
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    // A second crate of the same name anywhere in the tree (bootstrap/, a crate named
    // unlike its folder) would leave a tree whose registry no longer loads.
    if let Some((_, existing)) = crate::registry::discover(root)?.into_iter().find(|(crate_name, _)| crate_name == name)
    {
        bail!("a package named `{name}` exists already, in {}: choose another name", existing.display());
    }
    let staged = StagedDir::new(&dir)?;
    std::fs::create_dir_all(staged.path().join("src"))?;
    std::fs::write(staged.path().join("Cargo.toml"), cargo_toml(name))?;
    std::fs::write(staged.path().join("src/lib.rs"), lib_rs(name))?;
    std::fs::write(staged.path().join("Containerfile"), CONTAINERFILE)?;
    staged.commit()?;
    let files = ["Cargo.toml", "src/lib.rs", "Containerfile"].map(|f| format!("pkgs/{name}/{f}")).to_vec();
    args.json.print(&Created { name: name.clone(), dir: format!("pkgs/{name}"), files }, || {
        println!(
            "created pkgs/{name}: add its sources to src/lib.rs and its build to Containerfile, then `cargo xtask build {name}`"
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

fn cargo_toml(name: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition.workspace = true\npublish.workspace = true\n\n\
         [dependencies]\ncairn-package = {{ path = \"../../xtask/package\" }}\ntoolchain = {{ path = \"../toolchain\" }}\nmake = {{ path = \"../make\" }}\nmusl = {{ path = \"../musl\" }}\n"
    )
}

fn lib_rs(name: &str) -> String {
    format!(
        r#"//! {name}: say in one line what the image holds.

use cairn_package::{{Package, Recipe}};

pub static PACKAGE: Package = Package {{
    name: "{name}",
    version: "0",
    license: "NOASSERTION",
    // Source {{ file, sha256: Sha256::hex("..."), locations: &[Location::Url("..."), ...], note: "" }}
    sources: &[],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE],
    // What its programs load when they run: musl's libc.so, and each library's package.
    runtime: &[&musl::PACKAGE],
    files: &[],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
}};
"#
    )
}

const CONTAINERFILE: &str = "# Built by our own toolchain (gcc, binutils, musl, busybox) with our make.
FROM cairn/toolchain AS build
ENV SOURCE_DATE_EPOCH=1
COPY --from=cairn/make / /
# COPY <source file> /src/, then configure, make and `make DESTDIR=/rootfs install`.
RUN mkdir -p /rootfs/usr/bin

FROM scratch
COPY --from=build /rootfs/ /
";
