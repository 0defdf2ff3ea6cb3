//! registry/: every package of the tree, typed and checked.
//!
//! Owns finding the package crates and reading their constants (`discover`, which runs
//! `program`), what a Containerfile may name (`containerfile`), and the graph (`graph`).
//! The compiler has refused cycles, undeclared crates and bad hashes before this code
//! runs; this module checks what it cannot: names, file names, and that each
//! Containerfile uses exactly the `cairn/<dep>` images its crate declares. It builds
//! nothing and fetches nothing: its output is a checked [`Registry`].

mod containerfile;
mod discover;
mod graph;
pub mod input;
// Run by the generated crate; compiled here so that it is checked, and tested below.
#[cfg_attr(not(test), allow(dead_code))]
mod program;

pub use containerfile::{containerfile_images, label_stages, pin_containerfile, Refusal};
pub use discover::discover;

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
    /// What its programs need beside it to run (see `cairn_package::Package::runtime`).
    #[serde(default)]
    pub runtime: Vec<String>,
    pub files: Vec<File>,
    /// Files allowed to hold a fact of the build machine: (path, reason).
    #[serde(default)]
    pub allow: Vec<(String, String)>,
    pub recipe: Recipe,
    /// The crate's directory, relative to the root (`pkgs/musl`).
    #[serde(default)]
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
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
    Crate {
        name: String,
        version: String,
    },
    Member {
        archive: Box<Source>,
        path: String,
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
            Location::Crate { name, version } => write!(f, "cargo fetch of crate {name} ={version}"),
            Location::Member { archive, path } => write!(f, "{path} in {}", archive.file),
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
    pub expect: Expect,
}

/// Whether a rebuild's image must be its original's (see `cairn_package::Expect`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The same image, checked by `bootstrap prove --<proof>`.
    Same { proof: String },
    /// A stage whose image differs.
    Stage,
}

impl Rebuild {
    /// The proof this rebuild ends, if its image must be its original's.
    pub fn proof(&self) -> Option<&str> {
        match &self.expect {
            Expect::Same { proof } => Some(proof),
            Expect::Stage => None,
        }
    }
}

/// A Containerfile, and for each `cairn/<name>` it uses, the package whose image that is.
pub type EngineRecipe<'a> = (&'a str, BTreeMap<String, String>);

impl Package {
    /// For a package an engine builds: its Containerfile, and for each `cairn/<name>`
    /// the Containerfile uses, the dependency whose image it names; a Containerfile that
    /// names what it may not is refused.
    pub fn engine_recipe(&self) -> Result<Option<EngineRecipe<'_>>, Refusal> {
        let (text, replace) = match &self.recipe {
            Recipe::Containerfile(text) => (text.as_str(), &[][..]),
            Recipe::Rebuild(Rebuild { containerfile: Some(text), replace, .. }) => (text.as_str(), &replace[..]),
            Recipe::Rebuild(Rebuild { containerfile: None, .. }) | Recipe::DebianRootfs(_) => return Ok(None),
        };
        let images = containerfile_images(text)?
            .into_iter()
            .map(|name| {
                let dep = replace.iter().find(|(from, _)| *from == name).map_or(&name, |(_, to)| to).clone();
                (name, dep)
            })
            .collect();
        Ok(Some((text, images)))
    }

    /// A refusal of this package's Containerfile, as `FILE:LINE: why`.
    pub fn refused(&self, refusal: Refusal) -> anyhow::Error {
        anyhow::anyhow!("{}:{}: {}", self.containerfile_path(), refusal.line, refusal.what)
    }

    /// Where the Containerfile of this package is, as a person finds it.
    pub fn containerfile_path(&self) -> String {
        match &self.recipe {
            Recipe::Rebuild(rebuild) => {
                format!("the Containerfile of {} (rebuilt by {})", rebuild.of, self.dir.display())
            }
            _ => format!("{}/Containerfile", self.dir.display()),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Rootfs {
    pub dirs: Vec<String>,
    pub links: Vec<(String, String)>,
    pub files: Vec<(String, String)>,
    #[serde(default)]
    pub installer_prefix: Option<String>,
}

/// Every package, by name, in a checked acyclic graph.
#[derive(Debug)]
pub struct Registry {
    pub packages: BTreeMap<String, Package>,
}

impl Registry {
    /// Discovers, compiles and checks every package crate of the tree at `root`.
    pub fn load(root: &Path) -> Result<Registry> {
        let crates = discover::discover(root)?;
        if crates.is_empty() {
            bail!("no package crates under {}/pkgs or {}/bootstrap", root.display(), root.display());
        }
        let json = discover::describe(root, &crates)?;
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
}

/// A package name: lowercase letters, digits and `-`, not starting with `-` (the image is
/// cairn/NAME).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

/// What out/ holds beside `out/<package>/`: logs, receipts, the runtime check's scans.
const RESERVED: &[&str] = &["logs", "receipts", "linkage"];

/// Whether a source of a rootfs recipe is laid out as a Rust installer tarball (by its
/// name), rather than a `.deb` or a wheel.
pub fn is_installer(name: &str) -> bool {
    name.ends_with(".tar.xz") || name.ends_with(".tar.gz")
}

fn check_package(package: &Package) -> Result<()> {
    let dir = package.dir.display();
    if !valid_name(&package.name) {
        bail!("{dir}: `{}` is not a valid package name (lowercase letters, digits and `-`)", package.name);
    }
    if RESERVED.contains(&package.name.as_str()) {
        bail!("{dir}: `{}` is the name of a directory of out/ beside the images: choose another name", package.name);
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
        check_source(&dir.to_string(), source)?;
    }
    for (file, reason) in &package.allow {
        if file.is_empty() || file.starts_with('/') || file.split('/').any(|part| part.is_empty() || part == "..") {
            bail!("{dir}/src/lib.rs: allow names `{file}`: give the file's path in the image, like `etc/config`");
        }
        if reason.trim().is_empty() {
            bail!("{dir}/src/lib.rs: allow names {file} without a reason: say why the recipe cannot pin it");
        }
    }
    check_tokens(package)?;
    match &package.recipe {
        Recipe::Containerfile(_) | Recipe::Rebuild(_) => {
            let recipe = package.engine_recipe().map_err(|refusal| package.refused(refusal))?;
            let (containerfile, images) = match (&package.recipe, recipe) {
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
            if let Some(source) = package
                .sources
                .iter()
                .find(|s| !s.file.ends_with(".deb") && !s.file.ends_with(".whl") && !is_installer(&s.file))
            {
                bail!(
                    "{dir}/src/lib.rs: `{}` is neither a .deb, a .whl nor a Rust installer tarball (.tar.xz, \
                     .tar.gz); a rootfs is laid out from binary packages",
                    source.file
                );
            }
        }
    }
    Ok(())
}

/// Every value that enters the input hash's text (`registry/input.rs`) as a field is one
/// token: printable ASCII without spaces, as a sha256 is 64 hex digits. With each line a
/// keyword and a fixed number of fields, the text then names one input only: no value
/// can end a field or a line early and pass for two.
fn check_tokens(package: &Package) -> Result<()> {
    let dir = package.dir.display();
    let token = |what: &str, value: &str| -> Result<()> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            bail!(
                "{dir}/src/lib.rs: {what} {value:?} must be printable ASCII without spaces (it is one field of the input hash)"
            );
        }
        Ok(())
    };
    token("the version", &package.version)?;
    for source in &package.sources {
        token("the source file name", &source.file)?;
        if source.sha256.len() != 64 || !source.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            bail!("{dir}/src/lib.rs: the sha256 of `{}` is not 64 lowercase hex digits", source.file);
        }
    }
    for file in &package.files {
        token("the file name", &file.name)?;
    }
    match &package.recipe {
        Recipe::Containerfile(_) => {}
        Recipe::Rebuild(rebuild) => {
            token("the rebuilt package", &rebuild.of)?;
            for (from, to) in &rebuild.replace {
                token("a replaced image", from)?;
                token("a replacing image", to)?;
            }
        }
        Recipe::DebianRootfs(rootfs) => {
            for path in rootfs.dirs.iter().chain(rootfs.files.iter().map(|(path, _)| path)) {
                token("the rootfs path", path)?;
            }
            for (path, target) in &rootfs.links {
                token("the rootfs link", path)?;
                token("the rootfs link target", target)?;
            }
            if let Some(prefix) = &rootfs.installer_prefix {
                token("the installer prefix", prefix)?;
                if prefix.starts_with('/')
                    || prefix.split('/').any(|part| part.is_empty() || part == "." || part == "..")
                {
                    bail!(
                        "{dir}/src/lib.rs: the installer prefix {prefix:?} must be a path inside the rootfs without \
                         `.`, `..` or empty parts, like `usr/lib/rust-1.84.0`"
                    );
                }
            }
        }
    }
    Ok(())
}

/// A source can be fetched from where it says: it has a location, a PyPI file is a wheel,
/// a crate is named as cargo downloads it, and the archive a member is taken from is a
/// source that passes these checks too.
fn check_source(dir: &str, source: &Source) -> Result<()> {
    if source.locations.is_empty() {
        bail!("{dir}/src/lib.rs: source `{}` has no location to fetch it from", source.file);
    }
    for location in &source.locations {
        match location {
            Location::PyPI { .. } if !source.file.ends_with(".whl") => bail!(
                "{dir}/src/lib.rs: `{}` is fetched from PyPI but is not a wheel: pip reads an sdist's metadata by \
                 running its build backend on this machine; give the sdist's URL or a Debian orig instead",
                source.file
            ),
            Location::Crate { name, version } => {
                let expected = format!("{name}-{version}.crate");
                if source.file != expected {
                    bail!(
                        "{dir}/src/lib.rs: `{}` is fetched as crate {name} {version}, which cargo downloads as \
                         `{expected}`: name the source `{expected}`",
                        source.file
                    );
                }
            }
            Location::Member { archive, path } => {
                if path.is_empty() || path.starts_with('/') || path.split('/').any(|part| part == "..") {
                    bail!(
                        "{dir}/src/lib.rs: `{}` is taken from `{path}` in {}: give the member's path relative to \
                         the archive's root, as `tar -t` lists it",
                        source.file,
                        archive.file
                    );
                }
                check_source(dir, archive)
                    .with_context(|| format!("the archive `{}` that `{}` is taken from", archive.file, source.file))?;
            }
            _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, deps: &[&str], containerfile: &str) -> Package {
        Package {
            name: name.into(),
            version: "1".into(),
            license: "MIT".into(),
            sources: vec![],
            deps: deps.iter().map(|d| d.to_string()).collect(),
            runtime: vec![],
            files: vec![],
            allow: vec![],
            recipe: Recipe::Containerfile(containerfile.into()),
            dir: PathBuf::from("pkgs").join(name),
        }
    }

    #[test]
    fn a_value_that_could_pass_for_two_fields_of_the_input_hash_is_refused() {
        // Without the check, this version and a package "1" with the source `x` would
        // write the same input text, so the same input hash.
        let mut spliced = package("foo", &[], "FROM scratch\n");
        spliced.version = format!("1\nsource x {}", "0".repeat(64));
        let error = check_package(&spliced).unwrap_err().to_string();
        assert!(error.contains("the version") && error.contains("without spaces"), "{error}");
        let mut spaced = package("foo", &[], "FROM scratch\n");
        spaced.recipe = Recipe::DebianRootfs(Rootfs {
            dirs: vec![],
            links: vec![("bin/sh".into(), "busybox put etc/x".into())],
            files: vec![],
            installer_prefix: None,
        });
        let error = check_tokens(&spaced).unwrap_err().to_string();
        assert!(error.contains("the rootfs link target"), "{error}");
        assert!(check_package(&package("foo", &[], "FROM scratch\n")).is_ok());
    }

    #[test]
    fn an_installer_prefix_that_leaves_the_rootfs_is_refused() {
        for prefix in ["/usr", "usr/../../etc", "usr//lib", "usr/./lib", "usr/"] {
            let mut escaping = package("foo", &[], "");
            escaping.recipe =
                Recipe::DebianRootfs(Rootfs { installer_prefix: Some(prefix.into()), ..Rootfs::default() });
            let error = check_tokens(&escaping).unwrap_err().to_string();
            assert!(error.contains("the installer prefix") && error.contains("inside the rootfs"), "{prefix}: {error}");
        }
        let mut inside = package("foo", &[], "");
        inside.recipe =
            Recipe::DebianRootfs(Rootfs { installer_prefix: Some("usr/lib/rust-1.84.0".into()), ..Rootfs::default() });
        assert!(check_tokens(&inside).is_ok());
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
    fn an_image_from_outside_the_tree_is_refused_with_its_file_and_line() {
        let error =
            check_package(&package("foo", &["musl"], "FROM cairn/musl AS build\nCOPY --from=alpine:3.19 / /\n"))
                .unwrap_err()
                .to_string();
        assert!(error.starts_with("pkgs/foo/Containerfile:2: `alpine:3.19` is not an image of this tree"), "{error}");
    }

    #[test]
    fn a_package_may_not_take_the_name_of_a_directory_of_out() {
        let error = check_package(&package("linkage", &[], "FROM scratch\n")).unwrap_err().to_string();
        assert!(error.contains("`linkage` is the name of a directory of out/"), "{error}");
    }

    #[test]
    fn a_crate_source_is_named_as_cargo_downloads_it() {
        let mut foo = package("foo", &[], "FROM scratch\n");
        foo.sources = vec![Source {
            file: "itoa.crate".into(),
            sha256: "0".repeat(64),
            locations: vec![Location::Crate { name: "itoa".into(), version: "1.0.11".into() }],
            note: String::new(),
        }];
        let error = check_package(&foo).unwrap_err().to_string();
        assert!(error.contains("which cargo downloads as `itoa-1.0.11.crate`"), "{error}");
        foo.sources[0].file = "itoa-1.0.11.crate".into();
        assert!(check_package(&foo).is_ok());
    }

    #[test]
    fn a_member_names_a_path_inside_an_archive_that_can_be_fetched() {
        let archive = |locations: Vec<Location>| Source {
            file: "bundle.tar.xz".into(),
            sha256: "1".repeat(64),
            locations,
            note: String::new(),
        };
        let with = |path: &str, archive: Source| {
            let mut foo = package("foo", &[], "FROM scratch\n");
            foo.sources = vec![Source {
                file: "inner.tar.xz".into(),
                sha256: "0".repeat(64),
                locations: vec![Location::Member { archive: Box::new(archive), path: path.into() }],
                note: String::new(),
            }];
            check_package(&foo).map_err(|e| format!("{e:#}"))
        };
        let served = || archive(vec![Location::DebianPool("pool/main/b/bundle/bundle.tar.xz".into())]);
        assert!(with("bundle/inner.tar.xz", served()).is_ok());
        let error = with("../inner.tar.xz", served()).unwrap_err();
        assert!(error.contains("relative to the archive's root"), "{error}");
        let error = with("bundle/inner.tar.xz", archive(vec![])).unwrap_err();
        assert!(error.contains("the archive `bundle.tar.xz` that `inner.tar.xz` is taken from"), "{error}");
        assert!(error.contains("has no location"), "{error}");
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

    #[test]
    fn what_a_package_needs_to_run_is_built_with_it_and_taken_transitively() {
        let with_runtime = |name: &str, deps: &[&str], runtime: &[&str]| Package {
            runtime: runtime.iter().map(|r| r.to_string()).collect(),
            ..package(name, deps, "")
        };
        let mut packages = BTreeMap::new();
        packages.insert("tool".into(), with_runtime("tool", &["compiler"], &["ssl"]));
        packages.insert("ssl".into(), with_runtime("ssl", &["compiler"], &["libc"]));
        packages.insert("libc".into(), with_runtime("libc", &["compiler"], &[]));
        packages.insert("compiler".into(), with_runtime("compiler", &[], &[]));
        let registry = Registry { packages };
        assert_eq!(registry.order(["tool".to_owned()]).unwrap(), ["compiler", "tool"]);
        assert_eq!(registry.order_to_run(["tool".to_owned()]).unwrap(), ["compiler", "libc", "ssl", "tool"]);
        assert_eq!(registry.runtime_closure("tool").unwrap(), ["libc", "ssl"]);
        assert_eq!(registry.runtime_closure("compiler").unwrap(), Vec::<String>::new());
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
                expect: Expect::Same { proof: "toolchain".into() },
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
        let (text, images) = again.engine_recipe().unwrap().unwrap();
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
        let rootfs = Package { recipe: Recipe::DebianRootfs(Rootfs::default()), ..package("base", &[], "") };
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

    #[test]
    fn what_the_program_prints_is_what_the_registry_reads() {
        use cairn_package as p;
        const BASE: p::Package = p::Package {
            name: "base",
            version: "1",
            license: "MIT",
            sources: &[],
            deps: &[],
            runtime: &[],
            files: &[],
            allow: &[],
            recipe: p::Recipe::Containerfile("FROM scratch\n"),
        };
        const TOOL: p::Package = p::Package {
            name: "tool",
            version: "2.0",
            license: "GPL-3.0-or-later",
            sources: &[p::Source {
                file: "tool-2.0.tar.gz",
                sha256: p::Sha256::hex("7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4"),
                locations: &[
                    p::Location::Url("https://example.org/tool-2.0.tar.gz"),
                    p::Location::DebianPool("pool/main/t/tool/tool_2.0.orig.tar.gz"),
                    p::Location::Crate { name: "tool", version: "2.0" },
                ],
                note: "upstream's",
            }],
            deps: &[&BASE],
            runtime: &[&BASE],
            files: &[p::File { name: "fix.patch", contents: b"\x00\xff" }],
            allow: &[p::Allow { file: "etc/built-on", reason: "a test" }],
            recipe: p::Recipe::Containerfile("FROM cairn/base\n"),
        };
        let listed: Vec<Package> = serde_json::from_str(&program::describe_all(&[&BASE, &TOOL])).unwrap();
        let tool = &listed[1];
        assert_eq!(
            (tool.name.as_str(), tool.version.as_str(), tool.license.as_str()),
            ("tool", "2.0", "GPL-3.0-or-later")
        );
        assert_eq!(tool.deps, ["base"]);
        assert_eq!(tool.runtime, ["base"]);
        assert_eq!(tool.sources[0].sha256, "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4");
        assert_eq!(tool.sources[0].locations[1], Location::DebianPool("pool/main/t/tool/tool_2.0.orig.tar.gz".into()));
        assert_eq!(tool.sources[0].locations[2], Location::Crate { name: "tool".into(), version: "2.0".into() });
        assert_eq!(tool.files[0].contents, [0x00, 0xff]);
        assert!(matches!(&tool.recipe, Recipe::Containerfile(text) if text == "FROM cairn/base\n"));
    }
}
