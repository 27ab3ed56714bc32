//! Writing a synthetic RAMSES output on the pool (for the demo and for
//! `bench`/`tune` without an output).

use crate::error::AnyResult;
use amrkit_io::{SynthPlan, SynthSpec};
use amrkit_kernels::Exec;
use std::path::{Path, PathBuf};

/// Writes the synthetic snapshot of `spec` under `sim_dir`, one CPU file
/// set per task. Returns the output folder.
pub fn generate(spec: SynthSpec, sim_dir: &Path, exec: &Exec) -> AnyResult<PathBuf> {
    let ncpu = spec.ncpu;
    let plan = SynthPlan::new(spec)?;
    let out = plan.output_dir(sim_dir);
    plan.write_meta(&out)?;
    exec.par()
        .min_chunk(1)
        .map_range(1..ncpu + 1, |icpu| plan.write_cpu(&out, icpu))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}
