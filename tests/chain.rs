//! The gcc chain end to end: the cross toolchain, the native toolchain built with it and
//! the seed packages built on that build to the digests manifest/ records, and each image
//! holds the files listed in the snapshots beside this test.
//!
//! From nothing this takes about an hour on 2 cores (64 min measured), so the test is
//! ignored by default: `cargo test --test chain -- --ignored`. With `CAIRN_CHAIN_FROM=DIR`,
//! an `out/` holding some of these images already, those layouts are copied in and only
//! the rest is built; every image is still checked against manifest/ and its listing.

mod support;

use support::{engine_or_skip, here, statuses, Tree};

/// In build order; the bootstrap and linux-headers come with them as dependencies.
const CHAIN: &[&str] = &[
    "bootstrap",
    "musl-stage0",
    "busybox-stage0",
    "linux-headers",
    "cross",
    "binutils",
    "gcc",
    "toolchain",
    "make",
    "musl",
    "busybox",
    "m4",
    "sed",
    "zlib",
    "xz",
    "bzip2",
    "bash",
    "perl",
    "autoconf",
    "automake",
    "libtool",
    "pkgconf",
    "openssl",
    "ca-certificates",
    "curl",
    "libffi",
    "python",
    "py-setuptools",
    "libxml2",
    "ninja",
    "cmake",
];

fn recorded(name: &str) -> String {
    std::fs::read_to_string(here().join("manifest/packages").join(format!("{name}.toml")))
        .unwrap_or_else(|e| panic!("manifest/packages/{name}.toml: {e}"))
}

fn field(entry: &str, key: &str) -> String {
    let table: toml::Table = toml::from_str(entry).unwrap();
    table[key].as_str().unwrap().to_owned()
}

#[test]
#[ignore = "builds the gcc chain: about an hour on 2 cores"]
fn the_gcc_chain_builds_to_the_recorded_digests() {
    if !engine_or_skip() {
        return;
    }
    const STAGES: &[&str] = &["bootstrap", "musl-stage0", "busybox-stage0", "cross"];
    let mut packages: Vec<String> = CHAIN.iter().filter(|n| !STAGES.contains(n)).map(|n| n.to_string()).collect();
    packages.extend(STAGES[1..].iter().map(|n| format!("bootstrap/{n}")));
    let tree = Tree::new(&packages.iter().map(String::as_str).collect::<Vec<_>>());
    tree.take_built_from_env(CHAIN);

    let (ok, items) = tree.build(CHAIN);
    assert!(ok, "the chain builds: {items:#?}");
    let got = statuses(&items);
    for name in CHAIN {
        let entry = recorded(name);
        let digest = field(&entry, "digest");
        let (status, built) = &got[*name];
        assert!(status == "built" || status == "up to date", "{name}: {status}");
        assert_eq!(built.as_deref(), Some(digest.as_str()), "{name} has the digest manifest/ records");
        // The layout on disk is that image, whether built here or copied in.
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(tree.out(name).join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"][0]["digest"].as_str(), Some(digest.as_str()), "{name}: out/{name}/index.json");
        let written =
            std::fs::read_to_string(tree.root.join("manifest/packages").join(format!("{name}.toml"))).unwrap();
        assert_eq!(written, entry, "building {name} leaves its manifest entry as committed");
        // The listings of the bootstrap and stage 0 are tests/build.rs's.
        if !["bootstrap", "musl-stage0", "busybox-stage0"].contains(name) {
            insta::assert_snapshot!(format!("files_of_{name}"), tree.ok(&["files", name]));
        }
    }

    // The seeds work together on the toolchain, with its musl and busybox replaced by the
    // ones it built natively: each tool runs, and a program compiled there links against
    // our zlib through our pkgconf.
    const TOOLS: &[&str] = &[
        "toolchain",
        "musl",
        "busybox",
        "make",
        "m4",
        "sed",
        "zlib",
        "xz",
        "bzip2",
        "bash",
        "perl",
        "pkgconf",
        "libtool",
        "autoconf",
        "automake",
        "openssl",
        "ca-certificates",
        "curl",
        "libffi",
        "python",
        "py-setuptools",
        "libxml2",
        "ninja",
        "cmake",
    ];
    let script = "busybox | head -n1; make --version | head -n1; m4 --version | head -n1; sed --version | head -n1; \
                  xz --version | head -n1; bzip2 --help 2>&1 | head -n1; echo cairn | bzip2 | bzcat; \
                  bash --version | head -n1; perl -e 'print \"perl $^V\\n\"'; \
                  libtool --version | head -n1; autoconf --version | head -n1; automake --version | head -n1; \
                  printf '#include <zlib.h>\\n#include <stdio.h>\\nint main(void){puts(zlibVersion());return 0;}\\n' > /tmp/z.c \
                  && cc /tmp/z.c $(pkg-config --libs zlib) -o /tmp/z && /tmp/z; \
                  openssl version | cut -d' ' -f1-2; curl -V | head -n1; cd /tmp \
                  && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=localhost \
                     -addext subjectAltName=DNS:localhost -days 2 2>/dev/null \
                  && { openssl s_server -accept 127.0.0.1:8443 -cert c.pem -key k.pem -www -quiet >/dev/null 2>&1 & } \
                  && for i in 1 2 3 4 5 6 7 8 9 10; do code=$(curl -s --cacert c.pem -o /dev/null -w '%{http_code}' \
                     https://localhost:8443/) && echo \"$code\" && break; sleep 1; done; \
                  echo Q | openssl s_client -connect 127.0.0.1:8443 -CAfile c.pem 2>/dev/null | grep -o 'Verify return code: 0 (ok)'; \
                  curl -s -o /dev/null https://localhost:8443/ || echo 'not in the bundle: refused'; \
                  python3 -c 'import sys, ssl, ctypes, zlib, bz2, lzma, hashlib; print(sys.version.split()[0], \
                  ssl.OPENSSL_VERSION.split()[1], ctypes.CDLL(None).strlen(b\"cairn\"), \
                  hashlib.sha256(lzma.decompress(lzma.compress(bz2.decompress(bz2.compress(b\"cairn\"))))).hexdigest()[:8])'; \
                  cd /tmp && printf '<?xml version=\"1.0\"?>\\n<!DOCTYPE a [<!ELEMENT a (b)><!ELEMENT b (#PCDATA)>]>\\n<a><b>cairn</b></a>\\n' > ok.xml \
                  && xmllint --noout --valid ok.xml && echo valid; \
                  printf '<?xml version=\"1.0\"?>\\n<!DOCTYPE a [<!ELEMENT a (b)><!ELEMENT b (#PCDATA)>]>\\n<a><c/></a>\\n' > bad.xml; \
                  xmllint --noout --valid bad.xml 2>/dev/null || echo 'invalid: refused'; \
                  mkdir -p /tmp/p && cd /tmp/p && printf 'from setuptools import setup\\nsetup(name=\"hello\", version=\"1.2.3\")\\n' > setup.py \
                  && python3 setup.py --version 2>/dev/null; \
                  ninja --version; mkdir -p /tmp/n && cd /tmp/n && printf 'int main(void){return 0;}\\n' > m.c \
                  && printf 'rule cc\\n  command = cc $in -o $out\\nbuild m: cc m.c\\n' > build.ninja && ninja >/dev/null && ./m && echo 'ninja built'; \
                  cmake --version | head -n1; mkdir -p /tmp/c && cd /tmp/c \
                  && printf 'cmake_minimum_required(VERSION 3.20)\\nproject(hello C)\\nfind_package(ZLIB REQUIRED)\\nadd_executable(hello h.c)\\ntarget_link_libraries(hello ZLIB::ZLIB)\\n' > CMakeLists.txt \
                  && printf '#include <zlib.h>\\n#include <stdio.h>\\nint main(void){printf(\"cmake %%s\\\\n\", zlibVersion());return 0;}\\n' > h.c \
                  && cmake -S . -B b -G Ninja >/dev/null && ninja -C b >/dev/null && ./b/hello";
    // Composed by `run`: the tools on the toolchain, each after what it needs to run,
    // the toolchain's own musl and busybox replaced by the ones it built natively.
    let mut args: Vec<&str> = vec!["run"];
    args.extend_from_slice(TOOLS);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    let run = tree.xtask(&args);
    assert_eq!(
        support::text(&run.stdout),
        "BusyBox v1.35.0 (1970-01-01 00:00:01 UTC) multi-call binary.\nGNU Make 4.3\nm4 (GNU M4) 1.4.19\nsed (GNU sed) 4.9\nxz (XZ Utils) 5.4.1\n\
         bzip2, a block-sorting file compressor.  Version 1.0.8, 13-Jul-2019.\ncairn\n\
         GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-musl)\nperl v5.36.0\n\
         libtool (GNU libtool) 2.4.7\nautoconf (GNU Autoconf) 2.71\nautomake (GNU automake) 1.16.5\n1.2.13\nOpenSSL 3.5.7\n\
         curl 8.21.0 (x86_64-pc-linux-musl) libcurl/8.21.0 OpenSSL/3.5.7 zlib/1.2.13\n200\n\
         Verify return code: 0 (ok)\nnot in the bundle: refused\n3.13.15 3.5.7 5 4a9909a9\n\
         valid\ninvalid: refused\n1.2.3\n1.12.1\nninja built\ncmake version 4.3.4\ncmake 1.2.13\n",
        "{}",
        support::text(&run.stderr)
    );
}
