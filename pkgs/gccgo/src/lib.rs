//! gccgo: gcc 12.2.0 again, with Go (gccgo, go1, libgo, and gotools' `go` and `gofmt`),
//! built natively by our toolchain from the same sources as our gcc. It speaks Go 1.18
//! and is the root of the Go chain: it builds go 1.21. Installed under /usr like the
//! toolchain's gcc, so it is used stacked on the toolchain, replacing its compiler driver.
//!
//! gcc 12's Go support is written for glibc. The recipe renames four things musl 1.2.3
//! names otherwise (the sigevent union, loff_t and off64_t, the SYS_ constants), answers
//! one configure test that musl's missing setcontext would fail, has the driver stop
//! asking for split stacks (which gcc supports on glibc alone), has libgo call musl's
//! POSIX strerror_r as such (not as glibc's, which returns the message), and lets
//! libgcc's unwinder step through musl's signal frames, without which a panic raised by
//! a signal (a nil dereference) cannot be recovered. The recipe's own test program
//! checks those last two. One patch stops the Go frontend numbering the types of export
//! data in an order that followed their addresses in memory, and the walk of inline
//! bodies takes its functions in source order; with both, a build on a second machine
//! gave the recorded image, bit for bit.
//! It is a stage, not a Go for programs: Alpine's other libgo patches for musl (signal 34,
//! which musl uses for set*id calls, among them) are not applied, and nothing but the
//! chain runs what it compiles.

use cairn_package::{File, Package, Recipe};

pub static PACKAGE: Package = Package {
    name: "gccgo",
    version: "12.2.0",
    license: "GPL-3.0-or-later WITH GCC-exception-3.1 AND LGPL-3.0-or-later AND BSD-3-Clause",
    sources: &[cross::GCC, gcc::GMP, gcc::MPFR, gcc::MPC],
    deps: &[&toolchain::PACKAGE, &make::PACKAGE, &bash::PACKAGE],
    // libgo is installed in /usr/lib64, which musl's loader searches as the toolchain's
    // /etc/ld-musl-x86_64.path tells it.
    runtime: &[&toolchain::PACKAGE],
    files: &[File { name: "export-type-order.patch", contents: include_bytes!("../export-type-order.patch") }],
    allow: &[],
    recipe: Recipe::Containerfile(include_str!("../Containerfile")),
};
