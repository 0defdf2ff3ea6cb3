//! Where a source may be found besides its URLs: the Debian mirrors of this machine's apt
//! configuration, and the `pip download` line that fetches exactly one pinned file.

use std::path::{Path, PathBuf};

/// `pip download` arguments that fetch exactly `file`, a wheel of a PyPI release, and
/// the requirements file they read (`requirements.txt`, holding the pinned sha256, so
/// pip itself refuses other bytes with `--require-hashes`). The wheel's platform tags
/// (`name-version-python-abi-platform.whl`, the platform possibly several joined by `.`)
/// are passed as `--platform`, so the machine's own platform does not matter. An sdist
/// is refused: pip reads an sdist's metadata by running its build backend, code of the
/// source, on this machine.
pub fn pip_download_args(
    package: &str,
    version: &str,
    file: &str,
    sha256: &str,
) -> Result<(Vec<String>, String), String> {
    let Some(stem) = file.strip_suffix(".whl") else {
        return Err(format!(
            "{file} is not a wheel: pip would run the sdist's build backend here to read its metadata; pin an sdist by \
             its URL or a Debian orig instead"
        ));
    };
    let mut args: Vec<String> = [
        "download",
        "--no-deps",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--dest",
        ".",
        "--only-binary=:all:",
    ]
    .map(String::from)
    .into();
    if let Some(platforms) = stem.rsplit('-').next().filter(|p| *p != "any") {
        for platform in platforms.split('.') {
            args.push(format!("--platform={platform}"));
        }
    }
    args.extend(["--require-hashes".to_owned(), "-r".to_owned(), "requirements.txt".to_owned()]);
    Ok((args, format!("{package}=={version} --hash=sha256:{sha256}\n")))
}

/// Debian mirrors to try for pool paths: `first` (comma separated, from
/// `CAIRN_DEBIAN_MIRROR`), then every http(s) URI of the apt sources under `apt`
/// (`/etc/apt`).
pub fn debian_mirrors(first: Option<&str>, apt: &Path) -> Vec<String> {
    let mut mirrors: Vec<String> =
        first.unwrap_or_default().split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
    let mut texts = Vec::new();
    if let Ok(text) = std::fs::read_to_string(apt.join("sources.list")) {
        texts.push((false, text));
    }
    if let Ok(read) = std::fs::read_dir(apt.join("sources.list.d")) {
        let mut paths: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let deb822 = path.extension().is_some_and(|e| e == "sources");
            if deb822 || path.extension().is_some_and(|e| e == "list") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push((deb822, text));
                }
            }
        }
    }
    for (deb822, text) in texts {
        for uri in apt_uris(&text, deb822) {
            if !mirrors.contains(&uri) {
                mirrors.push(uri);
            }
        }
    }
    mirrors
}

/// The http(s) URIs of Debian archives in an apt sources file.
fn apt_uris(text: &str, deb822: bool) -> Vec<String> {
    let mut uris = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let candidates: Vec<&str> = if deb822 {
            line.strip_prefix("URIs:").map(|rest| rest.split_whitespace().collect()).unwrap_or_default()
        } else if line.starts_with("deb ") || line.starts_with("deb-src ") {
            line.split_whitespace().skip(1).filter(|w| !w.starts_with('[')).take(1).collect()
        } else {
            Vec::new()
        };
        uris.extend(
            candidates
                .into_iter()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(|u| u.trim_end_matches('/').to_owned()),
        );
    }
    uris
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_is_asked_for_the_platforms_a_wheel_names_and_its_hash() {
        let (args, requirements) = pip_download_args(
            "ziglang",
            "0.17.1",
            "ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl",
            "ab12",
        )
        .unwrap();
        let tail: Vec<&str> = args.iter().skip(6).map(String::as_str).collect();
        assert_eq!(
            tail,
            [
                "--only-binary=:all:",
                "--platform=manylinux_2_12_x86_64",
                "--platform=manylinux2010_x86_64",
                "--platform=musllinux_1_1_x86_64",
                "--require-hashes",
                "-r",
                "requirements.txt"
            ]
        );
        assert_eq!(requirements, "ziglang==0.17.1 --hash=sha256:ab12\n");
    }

    #[test]
    fn pip_never_fetches_an_sdist() {
        let error = pip_download_args("setuptools", "78.1.1", "setuptools-78.1.1.tar.gz", "ab").unwrap_err();
        assert!(error.contains("build backend"), "{error}");
    }

    #[test]
    fn reads_mirrors_from_both_apt_formats() {
        let deb822 =
            "Types: deb\n# URIs: http://commented.example\nURIs: http://mirror.example/debian\nSuites: bookworm\n";
        assert_eq!(apt_uris(deb822, true), ["http://mirror.example/debian"]);
        let list = "deb [arch=amd64] http://other.example/debian/ bookworm main\n# deb http://no.example x y\n";
        assert_eq!(apt_uris(list, false), ["http://other.example/debian"]);
    }

    #[test]
    fn mirrors_given_come_first_then_the_apt_sources_once_each() {
        let apt = tempfile::tempdir().unwrap();
        std::fs::write(apt.path().join("sources.list"), "deb http://a.example/debian bookworm main\n").unwrap();
        std::fs::create_dir(apt.path().join("sources.list.d")).unwrap();
        std::fs::write(apt.path().join("sources.list.d/b.sources"), "URIs: http://b.example/debian\n").unwrap();
        std::fs::write(apt.path().join("sources.list.d/c.list"), "deb http://a.example/debian bookworm main\n")
            .unwrap();
        let mirrors = debian_mirrors(Some(" http://first.example , "), apt.path());
        assert_eq!(mirrors, ["http://first.example", "http://a.example/debian", "http://b.example/debian"]);
    }
}
