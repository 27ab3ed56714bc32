//! Flags shared by several commands: the global ones (threads, progress,
//! quiet) and the selection (level cap, region, thread cap). Each command's
//! own arguments live with it in `commands/<name>.rs`.

use crate::error::AnyResult;
use amrkit_kernels::center::Center;
use amrkit_kernels::request::RegionArgs;
use amrkit_kernels::{Selection, Units};
use clap::Args;

/// Flags every command takes (before or after its name).
#[derive(Args, Clone, Debug, Default)]
pub struct GlobalArgs {
    /// Worker threads (default: AMRKIT_NUM_THREADS, else the CPU count).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Pin workers to cores.
    #[arg(long, global = true)]
    pub pin: bool,
    /// Print only results (no progress, no summaries).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Ignore the thread count `amrkit tune` stored for this machine.
    #[arg(long, global = true)]
    pub no_tune_cache: bool,
    /// Progress bars: auto (on a terminal), always, never.
    #[arg(long, global = true, default_value = "auto")]
    pub progress: String,
}

/// Shared selection options.
#[derive(Args, Clone, Debug, Default)]
pub struct SelArgs {
    /// Deepest level to read (cells there count as leaves).
    #[arg(long)]
    pub lmax: Option<u32>,
    /// Centre of the ranges and of views: box units "x,y,z", or a method
    /// found in the data (densest, com, ssc; `slice`, `project` and
    /// `center`); default the box centre.
    #[arg(long, allow_hyphen_values = true)]
    pub center: Option<String>,
    /// x range "a,b" relative to the centre, in --range-unit.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub xrange: Option<Vec<f64>>,
    /// y range.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub yrange: Option<Vec<f64>>,
    /// z range.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub zrange: Option<Vec<f64>>,
    /// Sphere radius around the centre, in --range-unit.
    #[arg(long)]
    pub radius: Option<f64>,
    /// Unit of the ranges: box, code, kpc, pc, Mpc, cm, …
    #[arg(long, default_value = "code")]
    pub range_unit: String,
    /// Thread cap for this call (nested work inherits it).
    #[arg(long)]
    pub max_threads: Option<usize>,
}

impl SelArgs {
    /// The selection these flags describe, in the output's `units`.
    pub fn selection(&self, units: &Units) -> AnyResult<Selection> {
        let center = match self.center.as_deref().map(Center::parse).transpose()? {
            None => None,
            Some(Center::At(c)) => Some(c.to_vec()),
            Some(Center::Method(m)) => {
                return Err(format!(
                    "--center {}: this command takes coordinates x,y,z (methods are for slice, project and center)",
                    m.name()
                )
                .into())
            }
        };
        let region = RegionArgs {
            center,
            xrange: self.xrange.clone(),
            yrange: self.yrange.clone(),
            zrange: self.zrange.clone(),
            radius: self.radius,
            range_unit: Some(self.range_unit.clone()),
        };
        Ok(region.selection(self.lmax, units)?)
    }
}
