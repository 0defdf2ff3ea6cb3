//! The registry: every package of the tree, typed and checked.
//!
//! Package crates are found with `cargo metadata` (every workspace member under `pkgs/`
//! or `bootstrap/`), so adding one needs no edit elsewhere. Their `PACKAGE` constants
//! are read by compiling a small generated program that depends on all of them and
//! prints them as JSON; the compiler has already refused cycles, undeclared crates and
//! bad hashes by then. This module then checks what the compiler cannot: names, file
//! names, and that each Containerfile uses exactly the `cairn/<dep>` images its crate
//! declares.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// A package as the xtask sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub license: String,
    pub sources: Vec<Source>,
    pub deps: Vec<String>,
    pub files: Vec<File>,
    pub recipe: Recipe,
    /// The crate's directory, relative to the root (`pkgs/musl`).
    #[serde(default)]
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub file: String,
    pub sha256: String,
    pub locations: Vec<Location>,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    Url(String),
    DebianPool(String),
    DebianBinary {
        package: String,
        version: String,
    },
    DebianSource {
        package: String,
        version: String,
    },
    #[serde(rename = "pypi")]
    PyPI {
        package: String,
        version: String,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Url(url) => write!(f, "{url}"),
            Location::DebianPool(path) => write!(f, "debian mirror {path}"),
            Location::DebianBinary { package, version } => write!(f, "apt-get download {package}={version}"),
            Location::DebianSource { package, version } => {
                write!(f, "apt-get source --download-only {package}={version}")
            }
            Location::PyPI { package, version } => write!(f, "pip download --no-deps {package}=={version}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct File {
    pub name: String,
    #[serde(with = "hex::serde")]
    pub contents: Vec<u8>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipe {
    Containerfile(String),
    DebianRootfs(Rootfs),
    Rebuild(Rebuild),
}

/// Another package's Containerfile, where `cairn/<from>` names the image of `to`.
#[derive(Debug, Clone, Deserialize)]
pub struct Rebuild {
    pub of: String,
    /// `of`'s Containerfile (none if `of` is not built by an engine: refused).
    pub containerfile: Option<String>,
    pub replace: Vec<(String, String)>,
}

impl Package {
    /// For a package an engine builds: its Containerfile, and for each `cairn/<name>`
    /// the Containerfile uses, the dependency whose image it names.
    pub fn engine_recipe(&self) -> Option<(&str, BTreeMap<String, String>)> {
        let (text, replace) = match &self.recipe {
            Recipe::Containerfile(text) => (text.as_str(), &[][..]),
            Recipe::Rebuild(Rebuild { containerfile: Some(text), replace, .. }) => (text.as_str(), &replace[..]),
            Recipe::Rebuild(Rebuild { containerfile: None, .. }) | Recipe::DebianRootfs(_) => return None,
        };
        let images = containerfile_images(text)
            .into_iter()
            .map(|name| {
                let dep = replace.iter().find(|(from, _)| *from == name).map_or(&name, |(_, to)| to).clone();
                (name, dep)
            })
            .collect();
        Some((text, images))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rootfs {
    pub dirs: Vec<String>,
    pub links: Vec<(String, String)>,
    pub files: Vec<(String, String)>,
}

/// Every package, by name, in a checked acyclic graph.
#[derive(Debug)]
pub struct Registry {
    pub packages: BTreeMap<String, Package>,
}

impl Registry {
    /// Discovers, compiles and checks every package crate of the tree at `root`.
    pub fn load(root: &Path) -> Result<Registry> {
        let crates = discover(root)?;
        if crates.is_empty() {
            bail!("no package crates under {}/pkgs or {}/bootstrap", root.display(), root.display());
        }
        let json = describe(root, &crates)?;
        let listed: Vec<Package> =
            serde_json::from_str(&json).context("reading the package descriptions the registry printed")?;
        let mut packages = BTreeMap::new();
        for (mut package, (crate_name, dir)) in listed.into_iter().zip(&crates) {
            package.dir = dir.strip_prefix(root).unwrap_or(dir).to_owned();
            if package.name != *crate_name {
                bail!(
                    "{}/src/lib.rs: PACKAGE.name is `{}` but the crate is `{crate_name}`; a package is named like its crate",
                    package.dir.display(),
                    package.name
                );
            }
            packages.insert(package.name.clone(), package);
        }
        let registry = Registry { packages };
        registry.check()?;
        Ok(registry)
    }

    pub fn get(&self, name: &str) -> Result<&Package> {
        self.packages.get(name).with_context(|| {
            let known: Vec<&str> = self.packages.keys().map(String::as_str).collect();
            format!("no package named `{name}` (known: {})", known.join(", "))
        })
    }

    /// Checks what the compiler does not: names, files, Containerfile references.
    pub fn check(&self) -> Result<()> {
        for package in self.packages.values() {
            check_package(package)?;
            if let Recipe::Rebuild(rebuild) = &package.recipe {
                check_rebuild(package, self.get(&rebuild.of)?)?;
            }
        }
        self.order(self.packages.keys().cloned())?;
        Ok(())
    }

    /// The packages of the toolchain-level proof: every rebuild (`Recipe::Rebuild`) and
    /// what only they need (the second root, `cross-zig`). A plain `build` or `reproduce`
    /// leaves them out; `bootstrap prove --toolchain` or naming them builds them.
    pub fn proof_only(&self) -> BTreeSet<String> {
        let mut proof: BTreeSet<String> =
            self.packages.values().filter(|p| matches!(p.recipe, Recipe::Rebuild(_))).map(|p| p.name.clone()).collect();
        loop {
            let more: Vec<String> = self
                .packages
                .keys()
                .filter(|name| !proof.contains(*name))
                .filter(|name| {
                    let mut users = self.packages.values().filter(|p| p.deps.contains(name)).peekable();
                    users.peek().is_some() && users.all(|p| proof.contains(&p.name))
                })
                .cloned()
                .collect();
            if more.is_empty() {
                return proof;
            }
            proof.extend(more);
        }
    }

    /// What `build` and `reproduce` take when no package is named: all but [`Self::proof_only`].
    pub fn default_set(&self) -> Vec<String> {
        let proof = self.proof_only();
        self.packages.keys().filter(|name| !proof.contains(*name)).cloned().collect()
    }

    /// The named packages and all they depend on, dependencies first (stable order).
    pub fn order(&self, wanted: impl IntoIterator<Item = String>) -> Result<Vec<String>> {
        fn visit(
            registry: &Registry,
            name: &str,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
            out: &mut Vec<String>,
        ) -> Result<()> {
            if done.contains(name) {
                return Ok(());
            }
            if let Some(at) = path.iter().position(|p| p == name) {
                bail!("dependency cycle: {} -> {name}", path[at..].join(" -> "));
            }
            let package = registry.get(name)?;
            path.push(name.to_owned());
            for dep in &package.deps {
                visit(registry, dep, path, done, out)?;
            }
            path.pop();
            done.insert(name.to_owned());
            out.push(name.to_owned());
            Ok(())
        }
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        for name in wanted {
            visit(self, &name, &mut Vec::new(), &mut done, &mut out)?;
        }
        Ok(out)
    }
}

/// A package name: lowercase letters, digits and `-`, not starting with `-` (the image is
/// cairn/NAME).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

fn check_package(package: &Package) -> Result<()> {
    let dir = package.dir.display();
    if !valid_name(&package.name) {
        bail!("{dir}: `{}` is not a valid package name (lowercase letters, digits and `-`)", package.name);
    }
    let mut names = BTreeSet::new();
    names.insert("Containerfile".to_owned());
    for file in package.sources.iter().map(|s| &s.file).chain(package.files.iter().map(|f| &f.name)) {
        if file.is_empty() || file.contains('/') || file == "." || file == ".." {
            bail!("{dir}/src/lib.rs: `{file}` is not a plain file name");
        }
        if !names.insert(file.clone()) {
            bail!("{dir}/src/lib.rs: two files of the build context are named `{file}`");
        }
    }
    for source in &package.sources {
        if source.locations.is_empty() {
            bail!("{dir}/src/lib.rs: source `{}` has no location to fetch it from", source.file);
        }
    }
    match &package.recipe {
        Recipe::Containerfile(_) | Recipe::Rebuild(_) => {
            let (containerfile, images) = match (&package.recipe, package.engine_recipe()) {
                (Recipe::Rebuild(rebuild), None) => {
                    bail!("{dir}/src/lib.rs: rebuilds {}, which is not built from a Containerfile", rebuild.of)
                }
                (Recipe::Rebuild(rebuild), Some((_, images))) => {
                    if let Some((from, _)) = rebuild.replace.iter().find(|(from, _)| !images.contains_key(from)) {
                        bail!(
                            "{dir}/src/lib.rs: replaces {from}, but the Containerfile of {} never uses cairn/{from}",
                            rebuild.of
                        );
                    }
                    (format!("the Containerfile of {} (with the replacements)", rebuild.of), images)
                }
                (_, recipe) => (format!("{dir}/Containerfile"), recipe.map(|(_, images)| images).unwrap_or_default()),
            };
            let used: BTreeSet<String> = images.into_values().collect();
            let declared: BTreeSet<String> = package.deps.iter().cloned().collect();
            if let Some(extra) = used.difference(&declared).next() {
                bail!(
                    "{containerfile} uses cairn/{extra}, which {dir}/src/lib.rs does not declare: add \
                     `{extra} = {{ path = \"...\" }}` to {dir}/Cargo.toml and `&{}::PACKAGE` to its deps",
                    extra.replace('-', "_")
                );
            }
            if let Some(unused) = declared.difference(&used).next() {
                bail!(
                    "{dir}/src/lib.rs declares {unused} as a dependency but {containerfile} never uses \
                     cairn/{unused}: remove it from deps, or use the image"
                );
            }
        }
        Recipe::DebianRootfs(_) => {
            if !package.deps.is_empty() {
                bail!("{dir}/src/lib.rs: a rootfs laid out from binary packages has no dependencies");
            }
            if let Some(source) =
                package.sources.iter().find(|s| !s.file.ends_with(".deb") && !s.file.ends_with(".whl"))
            {
                bail!(
                    "{dir}/src/lib.rs: `{}` is neither a .deb nor a .whl; a rootfs is laid out from binary packages",
                    source.file
                );
            }
        }
    }
    Ok(())
}

/// A rebuild builds from exactly the sources and files of the package it rebuilds.
fn check_rebuild(package: &Package, of: &Package) -> Result<()> {
    let dir = package.dir.display();
    let sources = |p: &Package| p.sources.iter().map(|s| (s.file.clone(), s.sha256.clone())).collect::<Vec<_>>();
    let files = |p: &Package| p.files.iter().map(|f| (f.name.clone(), f.contents.clone())).collect::<Vec<_>>();
    if sources(package) != sources(of) || files(package) != files(of) {
        bail!(
            "{dir}/src/lib.rs: a rebuild of {} builds from its sources and files: write \
             `sources: {}::PACKAGE.sources` and `files: {}::PACKAGE.files`",
            of.name,
            of.name.replace('-', "_"),
            of.name.replace('-', "_")
        );
    }
    Ok(())
}

/// The `cairn/<name>` images a Containerfile names in `FROM` and `--from=`.
pub fn containerfile_images(text: &str) -> BTreeSet<String> {
    let mut images = BTreeSet::new();
    for line in logical_lines(text) {
        let mut words = line.split_whitespace();
        let Some(instruction) = words.next() else { continue };
        let references: Vec<&str> = if instruction.eq_ignore_ascii_case("FROM") {
            words.filter(|w| !w.starts_with("--")).take(1).collect()
        } else {
            words.filter_map(|w| w.strip_prefix("--from=")).collect()
        };
        for reference in references {
            if let Some(name) = reference.strip_prefix("cairn/") {
                let name = name.split([':', '@']).next().unwrap_or(name);
                images.insert(name.to_owned());
            }
        }
    }
    images
}

/// Containerfile lines with comments dropped and `\` continuations joined.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Rewrites `cairn/<dep>` references to the pinned image of each dependency.
pub fn pin_containerfile(text: &str, pins: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut rewritten = String::new();
        for (i, word) in line.split(' ').enumerate() {
            if i > 0 {
                rewritten.push(' ');
            }
            let (prefix, reference) = match word.strip_prefix("--from=") {
                Some(rest) => ("--from=", rest),
                None => ("", word),
            };
            let bare = reference.trim_end();
            let tail = &reference[bare.len()..];
            match bare.strip_prefix("cairn/").and_then(|name| pins.get(name)) {
                Some(pinned) => {
                    rewritten.push_str(prefix);
                    rewritten.push_str(pinned);
                    rewritten.push_str(tail);
                }
                None => rewritten.push_str(word),
            }
        }
        out.push_str(&rewritten);
    }
    out
}

/// `(crate name, crate directory)` of every package crate, sorted by name.
fn discover(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    #[derive(Deserialize)]
    struct Metadata {
        packages: Vec<MetaPackage>,
    }
    #[derive(Deserialize)]
    struct MetaPackage {
        name: String,
        manifest_path: PathBuf,
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)?;
    let mut crates: Vec<(String, PathBuf)> = metadata
        .packages
        .into_iter()
        .filter_map(|p| {
            let dir = p.manifest_path.parent()?.to_owned();
            let relative = dir.strip_prefix(root).ok()?;
            let top = relative.components().next()?.as_os_str();
            (top == "pkgs" || top == "bootstrap").then_some((p.name, dir))
        })
        .collect();
    crates.sort();
    Ok(crates)
}

const DESCRIBE: &str = r#"
use cairn_package::{Location, Package, Recipe};
use serde_json::{json, Value};

fn location(l: &Location) -> Value {
    match l {
        Location::Url(u) => json!({ "url": u }),
        Location::DebianPool(p) => json!({ "debian_pool": p }),
        Location::DebianBinary { package, version } => json!({ "debian_binary": { "package": package, "version": version } }),
        Location::DebianSource { package, version } => json!({ "debian_source": { "package": package, "version": version } }),
        Location::PyPI { package, version } => json!({ "pypi": { "package": package, "version": version } }),
    }
}

fn describe(p: &Package) -> Value {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    json!({
        "name": p.name,
        "version": p.version,
        "license": p.license,
        "sources": p.sources.iter().map(|s| json!({
            "file": s.file,
            "sha256": s.sha256.to_string(),
            "locations": s.locations.iter().map(location).collect::<Vec<_>>(),
            "note": s.note,
        })).collect::<Vec<_>>(),
        "deps": p.deps.iter().map(|d| d.name).collect::<Vec<_>>(),
        "files": p.files.iter().map(|f| json!({ "name": f.name, "contents": hex(f.contents) })).collect::<Vec<_>>(),
        "recipe": match &p.recipe {
            Recipe::Containerfile(text) => json!({ "containerfile": text }),
            Recipe::DebianRootfs(r) => json!({ "debian_rootfs": { "dirs": r.dirs, "links": r.links, "files": r.files } }),
            Recipe::Rebuild(r) => json!({ "rebuild": {
                "of": r.of.name,
                "containerfile": r.of.containerfile(),
                "replace": r.replace.iter().map(|(from, to)| (from.name, to.name)).collect::<Vec<_>>(),
            } }),
        },
    })
}

fn main() {
    let packages: &[&Package] = &[PACKAGES];
    let all: Vec<Value> = packages.iter().map(|p| describe(p)).collect();
    println!("{}", serde_json::to_string(&all).unwrap());
}
"#;

/// Compiles and runs the generated program that prints every `PACKAGE` as JSON.
fn describe(root: &Path, crates: &[(String, PathBuf)]) -> Result<String> {
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
    let main = DESCRIBE.replace("PACKAGES", &list.join(", "));
    write_if_changed(&dir.join("Cargo.toml"), &cargo_toml)?;
    write_if_changed(&dir.join("src/main.rs"), &main)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_in_from_and_copy_from() {
        let text = "FROM cairn/musl AS musl\n# FROM cairn/commented\nFROM --platform=linux/amd64 cairn/bootstrap AS build\n\
                    COPY --from=musl / /musl/\nCOPY --from=cairn/linux-headers:1 /usr/include /usr/include\nRUN echo cairn/not-an-image\nFROM scratch\n";
        let images: Vec<String> = containerfile_images(text).into_iter().collect();
        assert_eq!(images, ["bootstrap", "linux-headers", "musl"]);
    }

    #[test]
    fn pins_only_cairn_references() {
        let pins: BTreeMap<String, String> = [("musl".to_owned(), "cairn/musl:pin-abc".to_owned())].into();
        let text = "FROM cairn/musl AS build\nCOPY --from=cairn/musl /lib /lib\nRUN echo cairn/musl2\n";
        assert_eq!(
            pin_containerfile(text, &pins),
            "FROM cairn/musl:pin-abc AS build\nCOPY --from=cairn/musl:pin-abc /lib /lib\nRUN echo cairn/musl2\n"
        );
    }

    fn package(name: &str, deps: &[&str], containerfile: &str) -> Package {
        Package {
            name: name.into(),
            version: "1".into(),
            license: "MIT".into(),
            sources: vec![],
            deps: deps.iter().map(|d| d.to_string()).collect(),
            files: vec![],
            recipe: Recipe::Containerfile(containerfile.into()),
            dir: PathBuf::from("pkgs").join(name),
        }
    }

    #[test]
    fn an_undeclared_image_is_refused_with_the_fix() {
        let error = check_package(&package("foo", &[], "FROM cairn/musl\n")).unwrap_err().to_string();
        assert!(
            error.contains("pkgs/foo/Containerfile uses cairn/musl, which pkgs/foo/src/lib.rs does not declare"),
            "{error}"
        );
    }

    #[test]
    fn a_declared_but_unused_dependency_is_refused() {
        let error = check_package(&package("foo", &["musl"], "FROM scratch\n")).unwrap_err().to_string();
        assert!(error.contains("declares musl as a dependency but pkgs/foo/Containerfile never uses"), "{error}");
    }

    #[test]
    fn order_puts_dependencies_first_and_reports_cycles() {
        let mut packages = BTreeMap::new();
        packages.insert("a".into(), package("a", &["b"], "FROM cairn/b\n"));
        packages.insert("b".into(), package("b", &["c"], "FROM cairn/c\n"));
        packages.insert("c".into(), package("c", &[], "FROM scratch\n"));
        let registry = Registry { packages };
        assert_eq!(registry.order(["a".to_owned()]).unwrap(), ["c", "b", "a"]);
        let mut cyclic = registry;
        cyclic.packages.insert("c".into(), package("c", &["a"], "FROM cairn/a\n"));
        let error = cyclic.order(["a".to_owned()]).unwrap_err().to_string();
        assert_eq!(error, "dependency cycle: a -> b -> c -> a");
    }

    fn rebuild(name: &str, of: &Package, deps: &[&str], replace: &[(&str, &str)]) -> Package {
        Package {
            recipe: Recipe::Rebuild(Rebuild {
                of: of.name.clone(),
                containerfile: match &of.recipe {
                    Recipe::Containerfile(text) => Some(text.clone()),
                    _ => None,
                },
                replace: replace.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            }),
            ..package(name, deps, "")
        }
    }

    fn tree(packages: Vec<Package>) -> Registry {
        Registry { packages: packages.into_iter().map(|p| (p.name.clone(), p)).collect() }
    }

    #[test]
    fn a_rebuild_names_the_replacement_where_the_original_names_the_replaced() {
        let gcc = package("gcc", &["base", "cross"], "FROM cairn/base\nCOPY --from=cairn/cross / /\n");
        let again = rebuild("gcc-zig", &gcc, &["base", "cross-zig"], &[("cross", "cross-zig")]);
        let (text, images) = again.engine_recipe().unwrap();
        assert!(text.contains("--from=cairn/cross /"), "the original's Containerfile is built");
        let images: Vec<(&str, &str)> = images.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(images, [("base", "base"), ("cross", "cross-zig")]);
        check_package(&again).unwrap();

        // deps must be the original's with the replacement: keeping `cross` is refused.
        let wrong = rebuild("gcc-zig", &gcc, &["base", "cross", "cross-zig"], &[("cross", "cross-zig")]);
        let error = check_package(&wrong).unwrap_err().to_string();
        assert!(error.contains("declares cross as a dependency but the Containerfile of gcc"), "{error}");
        let wrong = rebuild("gcc-zig", &gcc, &["base", "cross", "zig"], &[("musl", "zig")]);
        let error = check_package(&wrong).unwrap_err().to_string();
        assert!(error.contains("replaces musl, but the Containerfile of gcc never uses cairn/musl"), "{error}");
    }

    #[test]
    fn a_rebuild_must_build_the_originals_sources() {
        let mut gcc = package("gcc", &[], "FROM scratch\n");
        gcc.sources.push(Source {
            file: "gcc.tar.gz".into(),
            sha256: "ab".repeat(32),
            locations: vec![Location::Url("https://example.org/gcc.tar.gz".into())],
            note: "".into(),
        });
        let again = rebuild("gcc-zig", &gcc, &[], &[]);
        let error = tree(vec![gcc, again]).check().unwrap_err().to_string();
        assert!(
            error.contains("a rebuild of gcc builds from its sources and files: write `sources: gcc::PACKAGE.sources`"),
            "{error}"
        );
    }

    #[test]
    fn a_rebuild_of_a_rootfs_is_refused() {
        let rootfs = Package {
            recipe: Recipe::DebianRootfs(Rootfs { dirs: vec![], links: vec![], files: vec![] }),
            ..package("base", &[], "")
        };
        let error = check_package(&rebuild("base-again", &rootfs, &[], &[])).unwrap_err().to_string();
        assert!(error.contains("rebuilds base, which is not built from a Containerfile"), "{error}");
    }

    #[test]
    fn the_default_set_leaves_out_rebuilds_and_what_only_they_need() {
        let gcc = package("gcc", &["base", "cross"], "FROM cairn/base\nCOPY --from=cairn/cross / /\n");
        let packages = vec![
            package("base", &[], "FROM scratch\n"),
            package("zig", &[], "FROM scratch\n"),
            package("cross", &["base"], "FROM cairn/base\n"),
            package("cross-zig", &["base", "zig"], "FROM cairn/base\nCOPY --from=cairn/zig / /\n"),
            package("tcc-zig", &["zig"], "FROM cairn/zig\n"),
            rebuild("gcc-zig", &gcc, &["base", "cross-zig"], &[("cross", "cross-zig")]),
            gcc,
        ];
        let registry = tree(packages);
        registry.check().unwrap();
        let proof: Vec<String> = registry.proof_only().into_iter().collect();
        assert_eq!(proof, ["cross-zig", "gcc-zig"], "zig also serves tcc-zig, base everything");
        assert_eq!(registry.default_set(), ["base", "cross", "gcc", "tcc-zig", "zig"]);
    }
}
