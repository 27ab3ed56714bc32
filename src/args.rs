//! Flags shared by several commands: the global ones (threads, progress,
//! quiet) and the selection (level cap, region, thread cap). Each command's
//! own arguments live with it in `commands/<name>.rs`.

use crate::error::AnyResult;
use amrkit_kernels::center::Method;
use amrkit_kernels::request::{Lengths, RegionArgs};
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
    /// Centre of the ranges and views "x,y,z" (default the box centre), or
    /// a method found in the data (densest, com, ssc: `slice`, `project`,
    /// `center`, `profile`, `phase`). Every length option: a bare number is
    /// in --range-unit; a unit may follow the (last) value: 0.5,0.5,0.5box,
    /// 10kpc, -5,5pc.
    #[arg(long, allow_hyphen_values = true)]
    pub center: Option<String>,
    /// x range "a,b" relative to the centre.
    #[arg(long, allow_hyphen_values = true)]
    pub xrange: Option<Lengths>,
    /// y range "a,b" relative to the centre.
    #[arg(long, allow_hyphen_values = true)]
    pub yrange: Option<Lengths>,
    /// z range "a,b" relative to the centre (for `project --axis z`, the
    /// depth slab).
    #[arg(long, allow_hyphen_values = true)]
    pub zrange: Option<Lengths>,
    /// Sphere radius around the centre (a positive length).
    #[arg(long, allow_hyphen_values = true)]
    pub radius: Option<Lengths>,
    /// Unit of bare lengths: code (the box spans [0, boxlen]), box, kpc,
    /// pc, Mpc, cm, … Regions select cells by their centre (as yt's);
    /// `project` integrates over the window and slab, clipping the cells
    /// that straddle their faces.
    #[arg(long, default_value = "code")]
    pub range_unit: String,
    /// Thread cap for this call (nested work inherits it).
    #[arg(long)]
    pub max_threads: Option<usize>,
}

impl SelArgs {
    /// The selection these flags describe, in the output's `units`.
    pub fn selection(&self, units: &Units) -> AnyResult<Selection> {
        let center = match self.center.as_deref().map(str::trim) {
            None => None,
            Some(text) => {
                if let Ok(m) = Method::parse(text) {
                    return Err(format!(
                        "--center {}: this command takes coordinates x,y,z (methods are for slice, project, center, profile and phase)",
                        m.name()
                    )
                    .into());
                }
                Some(Lengths::parse(text)?)
            }
        };
        if let Some(r) = &self.radius {
            if !r.values.iter().all(|v| *v > 0.0) {
                let v: Vec<String> = r.values.iter().map(|v| v.to_string()).collect();
                return Err(format!(
                    "--radius must be positive, got {}{}",
                    v.join(","),
                    r.unit.as_deref().unwrap_or("")
                )
                .into());
            }
        }
        let region = RegionArgs {
            center,
            xrange: self.xrange.clone(),
            yrange: self.yrange.clone(),
            zrange: self.zrange.clone(),
            radius: self.radius.clone(),
            range_unit: Some(self.range_unit.clone()),
        };
        Ok(region.selection(self.lmax, units)?)
    }
}

/// How a map's PNG is coloured (`project`, `slice`).
#[derive(Args, Clone, Debug, Default)]
pub struct MapColourArgs {
    /// Colour the PNG by log10 of the values (the default for density,
    /// pressure, temperature and mass).
    #[arg(long)]
    pub log: bool,
    /// Colour the PNG linearly, also for density, pressure, temperature.
    #[arg(long, conflicts_with = "log")]
    pub lin: bool,
    /// Lower end of the PNG's colour bar, in the unit it shows (--unit);
    /// values below take its lowest colour.
    #[arg(long, allow_hyphen_values = true)]
    pub vmin: Option<f64>,
    /// Upper end of the PNG's colour bar; values above take its highest
    /// colour.
    #[arg(long, allow_hyphen_values = true)]
    pub vmax: Option<f64>,
}

impl MapColourArgs {
    /// Whether the PNG of `var` is coloured by log10.
    pub fn log(&self, var: &str) -> bool {
        self.log || (!self.lin && crate::render::labels::log_by_default(var))
    }

    /// The colour bar's ends asked for.
    pub fn limits(&self) -> [Option<f64>; 2] {
        [self.vmin, self.vmax]
    }

    /// Refuses ends a PNG of one of `vars` cannot use (before any work;
    /// every MPI rank checks the same arguments).
    pub fn check(&self, vars: &[String]) -> AnyResult<()> {
        for v in vars {
            let scale = crate::render::map_png::Scale {
                log: self.log(v),
                limits: self.limits(),
            };
            scale.check().map_err(|e| format!("{v}: {e}"))?;
        }
        Ok(())
    }
}
