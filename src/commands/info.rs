//! `amrkit info`: what an output holds.

use crate::context::Ctx;
use crate::error::AnyResult;
use crate::render::info_text::print_info;
use amrkit_kernels::report::InfoReport;
use amrkit_kernels::request::open;
use clap::Args;
use std::path::PathBuf;

/// `amrkit info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// An output: its output_NNNNN folder (or a renamed folder holding one
    /// info_NNNNN.txt), its info_NNNNN.txt file, or a simulation folder
    /// (its last output).
    pub output: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Prints the output's description (text or `--json`); rank 0 only.
pub fn run(_ctx: &Ctx, a: &InfoArgs) -> AnyResult<()> {
    let s = open(&a.output)?;
    let r = InfoReport::of(&s)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r.to_json())?);
    } else {
        print_info(&r);
    }
    Ok(())
}
