//! Timing load, project and export at 1, 2, … threads: what `bench` prints
//! and `tune` chooses from.

use crate::error::AnyResult;
use crate::synth::generate;
use crate::tune_cache::signature;
use amrkit_io::{Snapshot, SynthSpec};
use amrkit_kernels::export::{export_vtk, VtkOptions};
use amrkit_kernels::project::{project, ProjSpec, Weight};
use amrkit_kernels::request::open;
use amrkit_kernels::{load_hydro, Exec, Selection};
use amrkit_pool::Pool;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// `amrkit bench` / `amrkit tune`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The output folder (default: the demo's).
    pub output: Option<PathBuf>,
    /// Samples per point (median is reported).
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
}

/// Seconds at one thread count: threads, load, project, export, their sum
/// (medians over the samples).
pub type ScanRow = (usize, f64, f64, f64, f64);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times the three steps at every thread count up to the pool's, printing
/// a row per count, and returns the rows.
pub fn scan(a: &BenchArgs, pool: &Pool) -> AnyResult<Vec<ScanRow>> {
    let tmp = std::env::temp_dir().join(format!("amrkit-bench-{}", std::process::id()));
    let out = match &a.output {
        Some(o) => open(o)?.dir,
        None => generate(
            SynthSpec {
                levelmin: 6,
                levelmax: 8,
                ..SynthSpec::default()
            },
            &tmp,
            &Exec::on(pool),
        )?,
    };
    let s = Snapshot::open(&out)?;
    let n = pool.num_threads();
    println!("machine {}; output {}", signature(), out.display());
    match crate::tune_cache::stored() {
        (Some(t), Some(p)) => println!(
            "stored by amrkit tune: {t} threads, in {} (amrkit tune --show, --reset)",
            p.display()
        ),
        _ => println!("no thread count stored by amrkit tune for this machine"),
    }
    println!(
        "{:>7} {:>10} {:>10} {:>10} {:>8} {:>6}",
        "threads", "load s", "project s", "export s", "speedup", "CV"
    );
    let mut rows = Vec::new();
    let mut base = None;
    for k in 1..=n {
        let exec = Exec::on(pool).max_threads(k);
        let before = pool.stats();
        let (mut tl, mut tp, mut te) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..a.samples.max(1) {
            let t = Instant::now();
            let table = load_hydro(&s, &Selection::default(), &[], &exec)?;
            tl.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            project(
                &table,
                &ProjSpec::whole_box(2, 512, &["density"], Weight::None),
                &exec,
            )?;
            tp.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            export_vtk(
                &table,
                &VtkOptions {
                    scalars: vec!["density".into()],
                    ..Default::default()
                },
                &tmp.join("vtk/cells"),
                &exec,
            )?;
            te.push(t.elapsed().as_secs_f64());
        }
        let cv = pool.stats().since(&before).load_balance_cv().unwrap_or(0.0);
        let (l, p, e) = (median(tl), median(tp), median(te));
        let sum = l + p + e;
        let speed = base.get_or_insert(sum).to_owned() / sum;
        println!("{k:>7} {l:>10.4} {p:>10.4} {e:>10.4} {speed:>7.2}x {cv:>6.3}");
        rows.push((k, l, p, e, sum));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(rows)
}
