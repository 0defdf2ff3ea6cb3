//! Finding the package crates and reading their `PACKAGE` statics.
//!
//! Crates are found with `cargo metadata` (every workspace member under `pkgs/` or
//! `bootstrap/`), so adding one needs no edit elsewhere. A package crate is code that
//! runs when the tree is read (a `static`'s initializer, a global allocator): it is
//! reviewed as code. What can be refused before it compiles is: a build script, a
//! proc-macro, dependencies other than cairn-package and the tree's package crates by
//! path; and it is compiled and run with a cleared environment. Their constants are read by
//! compiling a small generated crate in `target/cairn-registry/` that depends on all of
//! them and runs a copy of `program.rs` (a module of this crate too, so the compiler,
//! rustfmt and clippy see it) to print them as JSON.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    manifest_path: PathBuf,
    dependencies: Vec<MetaDependency>,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaDependency {
    name: String,
    /// `None` for a normal dependency, else `dev` or `build`.
    kind: Option<String>,
    /// Where it comes from: `None` for a path dependency, else a registry or git URL.
    source: Option<String>,
    /// The directory of a path dependency.
    path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct MetaTarget {
    kind: Vec<String>,
}

/// A package crate is constants only: it is compiled and run to be read, so it may
/// have no build script, no proc-macro, and depend only on cairn-package and other
/// package crates. Checked before anything of it is compiled.
fn check_shape(package: &MetaPackage, dir: &Path, root: &Path, crates: &[(&str, &Path)]) -> Result<()> {
    let shown = dir.strip_prefix(root).unwrap_or(dir).display();
    if let Some(target) =
        package.targets.iter().find(|t| t.kind.iter().any(|k| k == "custom-build" || k == "proc-macro"))
    {
        bail!(
            "{shown}: a package crate has no {} target: its constants are all it is; remove it from {shown}/Cargo.toml",
            target.kind.join(", ")
        );
    }
    for dependency in &package.dependencies {
        if let Some(kind) = &dependency.kind {
            bail!("{shown}/Cargo.toml has a {kind}-dependency on {}: a package crate has none", dependency.name);
        }
        let types = root.join("xtask/package");
        let expected = match dependency.name.as_str() {
            "cairn-package" => Some(types.as_path()),
            name => crates.iter().find(|(crate_name, _)| *crate_name == name).map(|(_, dir)| *dir),
        };
        let Some(expected) = expected else {
            bail!(
                "{shown}/Cargo.toml depends on {}, which is not a package crate: a package depends only on \
                 cairn-package and other packages (pkgs/, bootstrap/)",
                dependency.name
            );
        };
        let same = |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().ok() == Some(a));
        if dependency.source.is_some() || !dependency.path.as_deref().is_some_and(|path| same(path, expected)) {
            bail!(
                "{shown}/Cargo.toml takes {} from {}: a package depends on the package crates of this tree by \
                 path (`{} = {{ path = \"...\" }}`), never a registry or a git repository",
                dependency.name,
                dependency.source.as_deref().unwrap_or("another path"),
                dependency.name
            );
        }
    }
    Ok(())
}

/// `(crate name, crate directory)` of every package crate, sorted by name.
pub fn discover(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)?;
    let packages: Vec<(MetaPackage, PathBuf)> = metadata
        .packages
        .into_iter()
        .filter_map(|p| {
            let dir = p.manifest_path.parent()?.to_owned();
            let relative = dir.strip_prefix(root).ok()?;
            let top = relative.components().next()?.as_os_str();
            (top == "pkgs" || top == "bootstrap").then_some((p, dir))
        })
        .collect();
    let names: Vec<(&str, &Path)> = packages.iter().map(|(p, dir)| (p.name.as_str(), dir.as_path())).collect();
    for (package, dir) in &packages {
        check_shape(package, dir, root, &names)?;
    }
    let mut crates: Vec<(String, PathBuf)> = packages.into_iter().map(|(p, dir)| (p.name, dir)).collect();
    crates.sort();
    Ok(crates)
}

/// Compiles and runs the generated program that prints every `PACKAGE` as JSON.
pub fn describe(root: &Path, crates: &[(String, PathBuf)]) -> Result<String> {
    let dir = root.join("target").join("cairn-registry");
    std::fs::create_dir_all(dir.join("src"))?;
    let mut cargo_toml = String::from(
        "# Generated by cargo xtask: reads every package crate's PACKAGE.\n[package]\nname = \"cairn-registry\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\nserde_json = \"1\"\n",
    );
    cargo_toml.push_str(&format!("cairn-package = {{ path = {:?} }}\n", root.join("xtask/package")));
    for (name, dir) in crates {
        cargo_toml.push_str(&format!("{name} = {{ path = {:?} }}\n", dir));
    }
    let list: Vec<String> = crates.iter().map(|(name, _)| format!("&{}::PACKAGE", name.replace('-', "_"))).collect();
    let main = format!(
        "// Generated by cargo xtask: prints every package crate's PACKAGE.\nmod program;\n\nfn main() {{\n    println!(\"{{}}\", program::describe_all(&[{}]));\n}}\n",
        list.join(", ")
    );
    write_if_changed(&dir.join("Cargo.toml"), &cargo_toml)?;
    write_if_changed(&dir.join("src/main.rs"), &main)?;
    write_if_changed(&dir.join("src/program.rs"), include_str!("program.rs"))?;
    if !dir.join("Cargo.lock").exists() {
        if let Ok(lock) = std::fs::read(root.join("Cargo.lock")) {
            std::fs::write(dir.join("Cargo.lock"), lock)?;
        }
    }
    let run = |offline: bool| {
        let mut command = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command.args(["run", "--quiet", "--manifest-path"]).arg(dir.join("Cargo.toml"));
        if offline {
            command.arg("--offline");
        }
        // Package crates are compiled and run to be read: they see no more of this
        // environment than cargo needs (no tokens for an `option_env!` to copy into a file).
        command.env_clear();
        for (key, value) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            let kept = ["PATH", "HOME", "SSL_CERT_FILE", "SSL_CERT_DIR"].contains(&key_text.as_ref())
                || key_text.starts_with("CARGO_")
                || key_text.starts_with("RUSTUP_")
                || key_text.to_ascii_lowercase().ends_with("_proxy");
            if kept && key_text != "CARGO_TARGET_DIR" {
                command.env(key, value);
            }
        }
        command.env("CARGO_TARGET_DIR", root.join("target").join("cairn-registry").join("target"));
        command.output().context("running cargo to read the package crates")
    };
    let mut output = run(true)?;
    if !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("offline") {
        output = run(false)?;
    }
    if !output.status.success() {
        bail!(
            "the package crates do not compile (fix the error below; `cargo check --workspace` shows the same):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
