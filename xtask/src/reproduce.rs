//! `cargo xtask reproduce`: rebuild from scratch and compare with manifest/.

use std::process::ExitCode;

use anyhow::Result;

#[derive(clap::Args)]
pub struct ReproduceArgs {
    /// Packages to reproduce (default: every package recorded in manifest/).
    pub packages: Vec<String>,
}

pub fn run(_args: ReproduceArgs) -> Result<ExitCode> {
    anyhow::bail!("reproduce is not available in this build")
}
