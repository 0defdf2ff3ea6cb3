//! `cargo xtask diff`: compares two image layouts or layer tarballs, file by file, and
//! exits 1 when they differ (as diff(1) does).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::Value;

use crate::cli::{self, JsonArg};
use crate::image::diff::{compare, diffoscope_hint, extract, render, Difference, Side};

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The reference: an OCI image layout directory, or a layer (`.tgz`, `.tar.gz`, `.tar`).
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// What is compared with it, in the same forms.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    #[command(flatten)]
    pub json: JsonArg,
    /// Write both versions of each file whose content differs under DIR/a/ and DIR/b/, for
    /// tools such as diffoscope.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
}

pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let a = Side::open(&args.a)?;
    let b = Side::open(&args.b)?;
    let differences = compare(&a, &b);
    if let Some(dir) = &args.extract {
        extract(&differences, &a, &b, &dir.join("a"), &dir.join("b"))?;
    }
    if args.json.json {
        let items: Vec<Value> = differences.iter().map(Difference::to_json).collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else if differences.is_empty() {
        println!("{} and {} are the same image", args.a.display(), args.b.display());
    } else {
        println!("a: {}\nb: {}", args.a.display(), args.b.display());
        print!("{}", render(&differences, "a", "b"));
        if let Some(dir) = &args.extract {
            print!("{}", diffoscope_hint(&differences, &dir.join("a"), &dir.join("b")));
        }
    }
    Ok(cli::verdict(differences.is_empty()))
}
