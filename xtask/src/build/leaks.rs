//! The leak scan: after an image is normalized, its files are searched for what only the
//! machine that built it would write there (its kernel's release and version string, its
//! CPU's model name, the host's name and the engine host's name). Another machine builds
//! other bytes from such an image, which no reproduce on this machine can show, so a hit
//! fails the package, naming the file and what was found.
//!
//! A fact is searched for only when it is distinctive enough not to occur by chance: a
//! host called `vm` or `localhost`, a kernel release of a few characters, would be found
//! in honest files. Such a fact is not searched for, and the build says so once per run.
//! A package may allow a finding only by naming the file and the reason in its crate
//! (`Package::allow`).

use anyhow::Result;

use crate::image::normalize;
pub use crate::machine::Fact;

/// What the build machine shows through, where: one file and one fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub what: &'static str,
    pub text: String,
}

/// Where recipes install before `COPY --from=build /rootfs/ /` (see `cargo xtask new`).
const STAGING_ROOT: &str = "/rootfs";

/// Names that many machines have: never searched for.
const COMMON_NAMES: &[&str] = &[
    "localhost",
    "ubuntu",
    "debian",
    "fedora",
    "alpine",
    "server",
    "builder",
    "docker",
    "podman",
    "container",
    "default",
    "runner",
    "worker",
    "machine",
    "desktop",
    "laptop",
    "sandbox",
    "buildkitsandbox",
];

/// The facts to search for, and those too common to be (with why).
pub fn facts(candidates: Vec<Fact>) -> (Vec<Fact>, Vec<(Fact, &'static str)>) {
    let mut searched: Vec<Fact> = Vec::new();
    let mut skipped = Vec::new();
    for fact in candidates {
        let text = fact.text.trim();
        let why = match fact.what {
            "the kernel release" if text.len() < 6 => Some("shorter than 6 characters"),
            "the kernel version" if text.len() < 16 => Some("shorter than 16 characters"),
            "the CPU model" if text.len() < 8 => Some("shorter than 8 characters"),
            "the host name" | "the engine's host name" if text.len() < 6 => Some("shorter than 6 characters"),
            "the host name" | "the engine's host name"
                if COMMON_NAMES.contains(&text.to_ascii_lowercase().as_str()) =>
            {
                Some("a name many machines have")
            }
            _ if text.is_empty() => Some("empty"),
            _ => None,
        };
        let fact = Fact { what: fact.what, text: text.to_owned() };
        match why {
            Some(why) => skipped.push((fact, why)),
            None if searched.iter().any(|known| known.text == fact.text) => {}
            None => searched.push(fact),
        }
    }
    (searched, skipped)
}

/// Every file of `layer` that holds one of `facts` (the layer read once).
pub fn scan(layer: &[u8], facts: &[Fact]) -> Result<Vec<Finding>> {
    let finders: Vec<memchr::memmem::Finder> =
        facts.iter().map(|fact| memchr::memmem::Finder::new(fact.text.as_bytes())).collect();
    let mut findings = Vec::new();
    for node in normalize::read(layer)? {
        // A link into the staging root recipes install into (`DESTDIR=/rootfs`) points at
        // nothing once the image is copied out of it.
        if let normalize::Kind::Symlink(target) = &node.kind {
            if target == STAGING_ROOT || target.starts_with(&format!("{STAGING_ROOT}/")) {
                let what = "a link into the build's staging root";
                findings.push(Finding { path: node.path.clone(), what, text: target.clone() });
            }
        }
        let normalize::Kind::File(data) = &node.kind else { continue };
        for (fact, finder) in facts.iter().zip(&finders) {
            if finder.find(data).is_some() {
                findings.push(Finding { path: node.path.clone(), what: fact.what, text: fact.text.clone() });
            }
        }
    }
    findings.sort_by(|a, b| (&a.path, a.what).cmp(&(&b.path, b.what)));
    Ok(findings)
}

/// The findings a package's crate does not allow, with the error that fails it.
pub fn judge(package: &str, findings: Vec<Finding>, allowed: &[(String, String)]) -> Result<()> {
    let refused: Vec<Finding> =
        findings.into_iter().filter(|f| !allowed.iter().any(|(file, _)| file == &f.path)).collect();
    if refused.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<String> = refused
        .iter()
        .take(10)
        .map(|f| match f.what {
            "a link into the build's staging root" => format!("  {} is {}: `{}`", f.path, f.what, f.text),
            _ => format!("  {} holds {} of the machine that built it: `{}`", f.path, f.what, f.text),
        })
        .collect();
    if refused.len() > 10 {
        lines.push(format!("  and {} more", refused.len() - 10));
    }
    anyhow::bail!(
        "the image of {package} shows the machine that built it, so another machine builds other bytes:\n{}\n\
         Make the recipe pin what records it (configure's and libtool's host probes, `uname` in a build \
         script, /proc/cpuinfo): give the value, or delete the file. If the file must hold it, allow it in \
         the package's crate: `allow: &[Allow {{ file: \"{}\", reason: \"...\" }}]`",
        lines.join("\n"),
        refused[0].path
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::normalize::{Kind, Node};

    fn fact(what: &'static str, text: &str) -> Fact {
        Fact { what, text: text.to_owned() }
    }

    #[test]
    fn only_distinctive_facts_are_searched_for() {
        let (searched, skipped) = facts(vec![
            fact("the kernel release", "6.1.0-28-amd64"),
            fact("the kernel version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"),
            fact("the CPU model", "AMD EPYC"),
            fact("the CPU model", "Intel(R) Xeon(R) CPU @ 2.20GHz"),
            fact("the host name", "vm"),
            fact("the host name", "localhost"),
            fact("the engine's host name", "build-host-17"),
            fact("the kernel release", "6.1"),
        ]);
        let texts: Vec<&str> = searched.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "6.1.0-28-amd64",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
                "AMD EPYC",
                "Intel(R) Xeon(R) CPU @ 2.20GHz",
                "build-host-17"
            ]
        );
        let skipped: Vec<(&str, &str)> = skipped.iter().map(|(f, why)| (f.text.as_str(), *why)).collect();
        assert_eq!(
            skipped,
            [
                ("vm", "shorter than 6 characters"),
                ("localhost", "a name many machines have"),
                ("6.1", "shorter than 6 characters")
            ]
        );
    }

    #[test]
    fn a_finding_fails_the_package_unless_its_crate_allows_that_file() {
        let node = |path: &str, data: &[u8]| Node {
            path: path.into(),
            kind: Kind::File(data.to_vec()),
            mode: 0o644,
            uid: 0,
            gid: 0,
        };
        let layer = normalize::write(&[
            node("etc/built-on", b"Linux 6.1.0-28-amd64 x86_64\n"),
            node("usr/lib/cpu", b"model: Intel(R) Xeon(R) CPU @ 2.20GHz\n"),
            node("usr/lib/clean", b"nothing of the machine\n"),
            node("usr/share/doc", b"6.1.0-28\n"),
            Node {
                path: "usr/lib/link".into(),
                kind: Kind::Symlink("6.1.0-28-amd64".into()),
                mode: 0o777,
                uid: 0,
                gid: 0,
            },
            Node {
                path: "usr/lib/libz.so".into(),
                kind: Kind::Symlink("/rootfs/usr/lib/libz.so.1".into()),
                mode: 0o777,
                uid: 0,
                gid: 0,
            },
        ])
        .unwrap();
        let facts =
            [fact("the kernel release", "6.1.0-28-amd64"), fact("the CPU model", "Intel(R) Xeon(R) CPU @ 2.20GHz")];
        let findings = scan(&layer, &facts).unwrap();
        assert_eq!(
            findings.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["etc/built-on", "usr/lib/cpu", "usr/lib/libz.so"]
        );
        let error = format!("{:#}", judge("probe", findings.clone(), &[]).unwrap_err());
        assert!(error.contains("etc/built-on holds the kernel release of the machine that built it: `6.1.0-28-amd64`"));
        assert!(error.contains("usr/lib/cpu holds the CPU model"), "{error}");
        let one = [("etc/built-on".to_owned(), "records the build machine on purpose".to_owned())];
        let error = format!("{:#}", judge("probe", findings.clone(), &one).unwrap_err());
        assert!(!error.contains("etc/built-on") && error.contains("usr/lib/cpu"), "{error}");
        assert!(error.contains("usr/lib/libz.so is a link into the build's staging root: `/rootfs/usr/lib/libz.so.1`"));
        let both = [
            one[0].clone(),
            ("usr/lib/cpu".to_owned(), "a test".to_owned()),
            ("usr/lib/libz.so".to_owned(), "a test".to_owned()),
        ];
        judge("probe", findings, &both).unwrap();
    }
}
