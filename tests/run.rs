//! What a package needs to run: `build` refuses an image whose programs load a library
//! that neither it nor what it declares in `runtime` provides (and says which file needs
//! which library), and `cargo xtask run` stacks the declared images and runs a command
//! on them, network off, leaving nothing in the engine.

mod support;

use support::{engine_or_skip, text, Tree};

/// A glibc program compiled on the bootstrap (Debian's gcc), alone in its image.
const HELLO: &str = "FROM cairn/bootstrap AS build\n\
    RUN mkdir -p /rootfs/usr/bin \\\n \
     && printf '#include <stdio.h>\\n#include <stdlib.h>\\nint main(int c, char **v) { puts(\"hello from cairn\"); return c > 1 ? atoi(v[1]) : 0; }\\n' > /hello.c \\\n \
     && cc -O2 /hello.c -o /rootfs/usr/bin/hello\n\
    FROM scratch\nCOPY --from=build /rootfs/ /\n";

fn hello(runtime: &str) -> String {
    format!(
        "use cairn_package::{{Package, Recipe}};\npub static PACKAGE: Package = Package {{ name: \"hello\", version: \"1\", \
         license: \"MIT\", sources: &[], deps: &[&bootstrap::PACKAGE], runtime: &[{runtime}], files: &[], allow: &[], \
         recipe: Recipe::Containerfile(include_str!(\"../Containerfile\")) }};\n"
    )
}

fn left_in_docker() -> String {
    let run = |args: &[&str]| text(&std::process::Command::new("docker").args(args).output().unwrap().stdout);
    run(&["ps", "--all", "--quiet", "--filter", "name=cairn-run"]) + &run(&["images", "--quiet", "cairn/run"])
}

#[test]
fn a_program_runs_on_what_its_package_declares_and_one_that_needs_more_is_refused_at_build_time() {
    if !engine_or_skip() {
        return;
    }
    let tree = Tree::new(&["bootstrap/toolchain"]);
    tree.add_package("hello", &["bootstrap"], &hello(""), HELLO);

    // Declaring nothing: the build names the program and the libraries, and keeps nothing.
    let error = tree.fails(&["build", "hello"]);
    assert!(error.contains("cairn/hello holds programs that cannot run"), "{error}");
    assert!(error.contains("/usr/bin/hello needs libc.so.6"), "{error}");
    assert!(error.contains("/usr/bin/hello is loaded by /lib64/ld-linux-x86-64.so.2"), "{error}");
    assert!(error.contains("add the package that provides each to `runtime` in pkgs/hello/src/lib.rs"), "{error}");
    assert!(!tree.out("hello").exists(), "an image that cannot run is not written to out/");
    assert!(!tree.root.join("manifest/packages/hello.toml").exists(), "nor recorded");
    let error = tree.fails(&["run", "hello", "--", "hello"]);
    assert!(error.contains("no built image of hello"), "{error}");

    // Declaring the image with its C library: built, and it runs.
    std::fs::write(tree.root.join("pkgs/hello/src/lib.rs"), hello("&bootstrap::PACKAGE")).unwrap();
    tree.ok(&["build", "hello"]);
    let output = tree.xtask(&["run", "hello", "--", "hello", "3"]);
    assert_eq!(text(&output.stdout), "hello from cairn\n");
    assert_eq!(output.status.code(), Some(3), "the command's exit code is the run's");
    // The stacked image holds the bootstrap's shell too; the network is only `lo`.
    assert_eq!(tree.ok(&["run", "hello", "--", "sh", "-c", "ls /sys/class/net"]), "lo\n");
    assert_eq!(left_in_docker(), "", "run leaves no container or image behind");

    // Taking the declaration back is caught without a rebuild.
    std::fs::write(tree.root.join("pkgs/hello/src/lib.rs"), hello("")).unwrap();
    let error = tree.fails(&["build", "hello"]);
    assert!(error.contains("/usr/bin/hello needs libc.so.6"), "{error}");
}
