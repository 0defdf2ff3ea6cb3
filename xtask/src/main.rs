//! `cargo xtask`: builds, reproduces, signs and verifies cairn's images.
//!
//! `main` parses flags and dispatches; each task lives in the module named for it, one
//! module per step of the flow in ARCHITECTURE.md.

mod attest;
mod bench;
mod build;
mod cli;
mod diff;
mod distribution;
mod engine;
mod env;
mod files;
mod gc;
mod graph;
mod image;
mod load;
mod machine;
mod manifest;
mod outdated;
mod plan;
mod progress;
mod prove;
mod reference;
mod registry;
mod reproduce;
mod run;
mod scaffold;
mod source;
mod times;
mod trust;
mod workspace;

use clap::{Parser, Subcommand};

/// Reproducible, hermetic, multi-signed OCI images built from source.
///
/// Every package is a crate under pkgs/ or bootstrap/ whose `PACKAGE` static names its
/// sources (pinned by sha256), its dependencies (other package crates) and its
/// Containerfile. `build` turns them into deterministic OCI image layouts under out/ and
/// records their digests in manifest/; `reproduce` rebuilds from scratch and compares;
/// `sign` and `verify` count maintainers' OpenPGP signatures over those digests.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every package with its version, dependencies and recorded digest.
    List(graph::ListArgs),
    /// Print the dependency graph (as text, or Graphviz with --dot).
    Graph(graph::GraphArgs),
    /// Scaffold a new package crate under pkgs/NAME.
    New(scaffold::NewArgs),
    /// Download sources into the content-addressed cache, verifying every hash.
    Fetch(source::FetchArgs),
    /// Build packages (and what they need) into out/ and record them in manifest/.
    ///
    /// Each package is built in the container engine with the network off and no cache,
    /// from its Containerfile, its verified sources and the images of its dependencies;
    /// the exported filesystem is normalized into a single-layer OCI image at out/NAME/
    /// (and out/NAME.tgz), and its digests are written to manifest/packages/NAME.toml.
    /// Independent packages build in parallel (-j). A package whose inputs (Containerfile,
    /// sources, files, dependency digests) are unchanged and whose out/ image matches
    /// manifest/ is skipped. A failure stops only what depends on it; logs are in
    /// out/logs/NAME.log.
    Build(build::BuildArgs),
    /// Say what a build would do and how long it would take, from recorded times.
    ///
    /// From manifest/times.toml (each package's last build from scratch, by the CPUs it
    /// saw): the critical path, the total work, and the wall time the build's schedule
    /// (longest remaining path first) gives on K engines of N CPUs each. Packages with no
    /// recorded time are named. Builds nothing, fetches nothing, asks no engine.
    ///
    /// The model: a build with c CPUs takes T1 * (s / min(c, 1) + (1 - s) / c), T1 its
    /// time on one CPU and s its serial part (fitted to its own times at two CPU counts,
    /// else 0.35); what is laid out without an engine takes its time on one CPU; builds on
    /// one engine share its CPUs equally. A time recorded while other builds shared the
    /// engine is recorded as the time alone this model gives.
    Plan(plan::PlanArgs),
    /// Say which packages pin an older release than their registry lists.
    ///
    /// For each source: the upstream version pinned, the newest release Debian's source
    /// indexes list across suites (a newer member of a versioned family too: gcc-15 ->
    /// gcc-16) or PyPI lists, and whether the mirror serves that file (it does not serve
    /// every file its indexes list), with the newest one it serves; and the patch files the
    /// package carries. Exit 0 when every compared source is current, 1 when one is behind.
    Outdated(outdated::OutdatedArgs),
    /// List the files of a built image: type, mode, owner, size, sha256.
    Files(files::FilesArgs),
    /// Load a built image into the local engine as cairn/PKG.
    Load(load::LoadArgs),
    /// Run a command on built images: the named packages' and what they need to run,
    /// stacked into one image in the engine, network off; removed when it ends.
    Run(run::RunArgs),
    /// Rebuild from scratch and compare with the digests manifest/ records.
    Reproduce(reproduce::ReproduceArgs),
    /// Compare two image layouts or layer tarballs, file by file.
    Diff(diff::DiffArgs),
    /// Write what an image is made of: an SPDX 2.3 (or CycloneDX 1.6) JSON document.
    ///
    /// For each package's recorded, built image: the package (name, version, license,
    /// supplier), each source (file, sha256, where it is fetched from, a package URL),
    /// each image it is built from or needs to run, by digest, and every file of the image
    /// with its SHA-1 and SHA-256. The same image gives the same bytes: no time, random id
    /// or fact of this machine goes in. Written into manifest/attestations/ unless --out.
    Sbom(attest::sbom::SbomArgs),
    /// Write how an image was made: an in-toto Statement v1 with the SLSA Provenance v1
    /// predicate.
    ///
    /// Its subject is the recorded image by digest; the build type a cairn URI, the
    /// package, version and input hash the external parameters, every source, added file
    /// and image it is built from, by digest, the resolved dependencies; the builder this
    /// tool at its commit, on the machine that rebuilt the image here (the receipt of
    /// `cargo xtask reproduce`, which it requires). Written into manifest/attestations/.
    Provenance(attest::provenance::ProvenanceArgs),
    /// Sign the recorded digest of images you reproduced, with an OpenPGP key.
    Sign(trust::sign::SignArgs),
    /// Check that every image carries valid signatures from at least M trusted keys.
    Verify(trust::verify::VerifyArgs),
    /// Check that every commit from a pinned introduction to HEAD is signed by a key in
    /// manifest/keys/ of its parent, of every parent for a merge (checked with Sequoia).
    Authenticate(trust::authenticate::AuthenticateArgs),
    /// Publish out/ images to an OCI registry by digest, tagged with their version.
    Push(distribution::push::PushArgs),
    /// Write out/ images as OCI layouts into a directory, to carry to another machine.
    Export(distribution::exchange::ExportArgs),
    /// Take images from a directory of layouts into out/, only as manifest/ records them.
    Import(distribution::exchange::ImportArgs),
    /// Remove from the engine what killed runs of this host left there (tags, build
    /// images, containers), and nothing else.
    Gc(gc::GcArgs),
    /// Measure normalize/hash/write throughput and the time of a no-op build.
    Bench(bench::BenchArgs),
    /// Manage the trusted maintainers' keyring in manifest/keys/.
    #[command(subcommand)]
    Keys(trust::keys::KeysCommand),
    /// The bootstrap stages: `prove` that two independent providers build the same compiler.
    #[command(subcommand)]
    Bootstrap(prove::BootstrapCommand),
}

fn main() -> std::process::ExitCode {
    // Output piped into `head` and the like ends quietly when the reader goes away, as
    // for any Unix tool, instead of panicking on the next print.
    // SAFETY: called before any thread starts; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAIRN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let env = match env::Env::resolve() {
        Ok(env) => env,
        Err(error) => {
            eprintln!("error: {error:#}");
            return std::process::ExitCode::from(cli::ERROR);
        }
    };
    engine::runs::claim(&env.cache.join("runs"));
    workspace::sweep_manifest(&env.root);
    let result = match args.command {
        Command::List(args) => graph::list(args, &env),
        Command::Graph(args) => graph::graph(args, &env),
        Command::New(args) => scaffold::new(args, &env),
        Command::Fetch(args) => source::run(args, &env),
        Command::Build(args) => build::run(args, &env),
        Command::Plan(args) => plan::run(args, &env),
        Command::Outdated(args) => outdated::run(args, &env),
        Command::Files(args) => files::run(args, &env),
        Command::Load(args) => load::run(args, &env),
        Command::Run(args) => run::run(args, &env),
        Command::Reproduce(args) => reproduce::run(args, &env),
        Command::Diff(args) => diff::run(args),
        Command::Provenance(args) => attest::provenance::run(args, &env),
        Command::Sbom(args) => attest::sbom::run(args, &env),
        Command::Sign(args) => trust::sign::run(args, &env),
        Command::Verify(args) => trust::verify::run(args, &env),
        Command::Authenticate(args) => trust::authenticate::run(args, &env),
        Command::Keys(command) => trust::keys::run(command, &env),
        Command::Bootstrap(command) => prove::run(command, &env),
        Command::Push(args) => distribution::push::run(args, &env),
        Command::Export(args) => distribution::exchange::export(args, &env),
        Command::Import(args) => distribution::exchange::import(args, &env),
        Command::Gc(args) => gc::run(args, &env),
        Command::Bench(args) => bench::run(args, &env),
    };
    engine::runs::release();
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(cli::ERROR)
        }
    }
}
