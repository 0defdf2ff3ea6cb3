//! Where a source may be found besides its URLs and the Debian mirrors (`env.rs` reads
//! those from the apt configuration): the `pip download` line that fetches exactly one
//! pinned file.

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
}
