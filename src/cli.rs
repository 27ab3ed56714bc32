//! The top-level command line: the global flags and the command.

use crate::args::GlobalArgs;
use crate::commands::Command;
use clap::Parser;

/// Fast analysis of RAMSES AMR outputs on a work-stealing thread pool.
///
/// With no command, runs the demo: writes a synthetic RAMSES output into
/// ./amrkit-demo, then inspects, loads, projects and exports it.
#[derive(Parser)]
#[command(name = "amrkit", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The command given, or the demo with its defaults.
    pub fn command_or_demo(&mut self) -> Command {
        self.command.take().unwrap_or_else(|| {
            Cli::parse_from(["amrkit", "demo"])
                .command
                .expect("demo parses")
        })
    }
}
