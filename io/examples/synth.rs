//! Writes a synthetic output: `synth DIR [ncpu levelmin levelmax [iout]]`
//! (`DIR/output_IOUT`; a series gets one per `iout`, at time `0.1 × iout`
//! with its own particle seed), and prints its size and the time taken.
//! `synth DIR --ndim N [--pad P] [ncpu levelmin levelmax]` writes a 1D, 2D
//! or 3D output on a coarse grid padded with P boundary cells on each side
//! of every axis (`amrkit_io::synth::nd`), with `--npart K` DM particles. `--rt G` adds RAMSES-RT files
//! with G photon groups (`rt_`, `rt_file_descriptor.txt`, `info_rt_`);
//! `--rt-per-level` writes `info_rt_` as ramses-2025.05 does (one
//! `rt_c_frac` per level). `--refine D` sets the 3D output's refinement
//! density (`SynthSpec::refine_density`, default 2: higher refines less),
//! `--ndm K` its DM particles (default 20,000).
use amrkit_io::synth::nd::{NdPlan, NdSpec};
use amrkit_io::{SynthPlan, SynthSpec};
use std::time::Instant;

fn main() {
    let mut a: Vec<String> = std::env::args().collect();
    let flag = |a: &mut Vec<String>, name: &str| -> Option<usize> {
        let i = a.iter().position(|x| x == name)?;
        let v = a.get(i + 1).and_then(|v| v.parse().ok());
        a.drain(i..(i + 2).min(a.len()));
        Some(v.unwrap_or_else(|| panic!("{name} needs a number")))
    };
    let ndim = flag(&mut a, "--ndim");
    let pad = flag(&mut a, "--pad").unwrap_or(0);
    let n_part = flag(&mut a, "--npart").unwrap_or(0);
    let rt_groups = flag(&mut a, "--rt");
    let n_dm = flag(&mut a, "--ndm");
    let refine = a.iter().position(|x| x == "--refine").map(|i| {
        let v: f64 = a
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("--refine needs a number"));
        a.drain(i..(i + 2).min(a.len()));
        v
    });
    let per_level = match a.iter().position(|x| x == "--rt-per-level") {
        Some(i) => {
            a.remove(i);
            true
        }
        None => false,
    };
    if let Some(ndim) = ndim {
        let dir = std::path::PathBuf::from(a.get(1).map(String::as_str).unwrap_or("synth-out"));
        let num = |i: usize, d: u32| a.get(i).map_or(d, |v| v.parse().unwrap());
        let spec = NdSpec {
            ndim,
            ncpu: num(2, 3) as usize,
            levelmin: num(3, 3),
            levelmax: num(4, 6),
            pad: std::array::from_fn(|d| if d < ndim { pad } else { 0 }),
            n_part,
            ..NdSpec::default()
        };
        let plan = NdPlan::new(spec).unwrap();
        let out = plan.output_dir(&dir);
        plan.write(&out).unwrap();
        println!("{}: {} leaf cells", out.display(), plan.leaves().len());
        return;
    }
    let dir = std::path::PathBuf::from(a.get(1).map(String::as_str).unwrap_or("synth-out"));
    let num = |i: usize, d: u32| a.get(i).map_or(d, |v| v.parse().unwrap());
    let spec = SynthSpec {
        ncpu: num(2, 8) as usize,
        levelmin: num(3, 6),
        levelmax: num(4, 9),
        refine_density: refine.unwrap_or(SynthSpec::default().refine_density),
        n_dm: n_dm.unwrap_or(SynthSpec::default().n_dm),
        rt: rt_groups.map(|groups| amrkit_io::synth::RtSpec {
            groups,
            per_level_light_speed: per_level,
            ..Default::default()
        }),
        ..SynthSpec::default()
    };
    let spec = match a.get(5) {
        Some(_) => {
            let iout = num(5, 1);
            SynthSpec {
                iout,
                time: 0.1 * iout as f64,
                seed: spec.seed + iout as u64,
                ..spec
            }
        }
        None => spec,
    };
    let t = Instant::now();
    let plan = SynthPlan::new(spec).unwrap();
    let built = t.elapsed();
    let out = plan.output_dir(&dir);
    plan.write(&out).unwrap();
    let bytes: u64 = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let leaves = plan.leaf_cells_per_level();
    println!(
        "{}: {} leaf cells {:?}, {} octs, {} particles, {:.1} MB, build {:.2?}, total {:.2?} ({:.0} MB/s)",
        out.display(),
        leaves.iter().sum::<usize>(),
        leaves,
        plan.total_octs(),
        plan.total_particles(),
        bytes as f64 / 1e6,
        built,
        t.elapsed(),
        bytes as f64 / 1e6 / t.elapsed().as_secs_f64()
    );
}
