//! The CA bundle is a function of certdata.txt alone: the converter that makes it
//! (`pkgs/ca-certificates/certdata2pem.pl`) reads no clock and no expiry date, so a
//! rebuild years later gives the same bundle, and the one in the recorded image.

mod support;

use std::process::Command;

use sha2::{Digest, Sha256};
use support::{here, Tree};

const SOURCE: &str = "33b44ef78653ecd3f0f2f13e5bba6be466be2e7da72182f737912b81798ba5d2";

#[test]
fn the_ca_bundle_does_not_change_when_the_build_date_moves_by_years() {
    if !support::have(&["faketime", "perl", "tar", "xz"]) {
        return;
    }
    let tree = Tree::new(&["ca-certificates"]);
    tree.ok(&["fetch", "ca-certificates"]);
    let cache = std::env::var_os("CAIRN_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/cairn"));
    let work = tempfile::tempdir().unwrap();
    let untar = Command::new("tar")
        .arg("-xJf")
        .arg(cache.join("sha256").join(SOURCE))
        .arg("-C")
        .arg(work.path())
        .status()
        .unwrap();
    assert!(untar.success());
    let mozilla = work.path().join("ca-certificates/mozilla");
    let script = here().join("pkgs/ca-certificates/certdata2pem.pl");
    // The day this source was packaged, twenty years on (most of its roots long expired),
    // and years before (many not yet valid).
    let bundles: Vec<(String, Vec<u8>)> = ["2025-04-19 12:00:00", "2046-06-01 00:00:00", "2012-01-01 00:00:00"]
        .iter()
        .map(|date| {
            let output = Command::new("faketime")
                .arg(date)
                .arg("perl")
                .arg(&script)
                .arg(mozilla.join("certdata.txt"))
                .arg(mozilla.join("blacklist.txt"))
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", support::text(&output.stderr));
            (date.to_string(), output.stdout)
        })
        .collect();
    for (date, bundle) in &bundles[1..] {
        assert!(bundle == &bundles[0].1, "the bundle made on {date} differs from the one made on {}", bundles[0].0);
    }
    let count = String::from_utf8_lossy(&bundles[0].1).matches("-----BEGIN CERTIFICATE-----").count();
    assert_eq!(count, 150, "server-auth trusted delegators of certdata.txt 20250419, none blocked");
    // And it is the bundle the recorded image holds (its listing names the file's sha256).
    let listing = std::fs::read_to_string(here().join("tests/snapshots/chain__files_of_ca-certificates.snap")).unwrap();
    let sha = hex::encode(Sha256::digest(&bundles[0].1));
    assert!(
        listing.lines().any(|l| l.ends_with(&format!("etc/ssl/certs/ca-certificates.crt {sha}"))),
        "the image's bundle is {sha}:\n{listing}"
    );
}
