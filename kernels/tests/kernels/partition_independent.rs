//! The sums of `stats` and `project` do not depend on how the CPU files
//! are shared out: processes that each read a contiguous block of the
//! files ([`Selection::files`]) and hand their partial sums, in file
//! order, to one that folds them get the figures and maps of one process
//! reading every file, bit for bit. (This is what `mpirun -n N amrkit`
//! relies on; here the "processes" are calls in one test.)

use amrkit_io::Snapshot;
use amrkit_kernels::project::{
    fold_partials, project, project_partials, project_streaming, Weight,
};
use amrkit_kernels::request::{cells_for, proj_spec};
use amrkit_kernels::summary::{
    particle_sums, stats_from_parts, stats_json, stats_parts, stats_rt, StatsParts,
};
use amrkit_kernels::{Exec, Region, Selection, Units};
use amrkit_pool::Pool;

/// Contiguous blocks of `n` files for `k` processes (some may be empty).
fn shares(n: usize, k: usize) -> Vec<[usize; 2]> {
    (0..k).map(|r| [r * n / k, (r + 1) * n / k]).collect()
}

fn selections() -> Vec<Selection> {
    vec![
        Selection::default(),
        Selection {
            lmax: None,
            region: Some(Region::Sphere {
                centre: [0.4, 0.5, 0.55],
                radius: 0.3,
            }),
            files: None,
        },
    ]
}

fn snapshots() -> Vec<(String, Snapshot)> {
    let mut v: Vec<(String, Snapshot)> = testkit::runs()
        .into_iter()
        .map(|r| (r.name, Snapshot::open(&r.output).unwrap()))
        .collect();
    for name in ["cosmo", "blast2d"] {
        if let Some(r) = testkit::variant(name) {
            v.push((r.name, Snapshot::open(&r.output).unwrap()));
        }
    }
    v
}

#[test]
fn stats_from_shares_equal_stats_of_all_files() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    for (name, s) in snapshots() {
        for sel in selections() {
            let sel = if s.info.ndim < 3 {
                Selection::default()
            } else {
                sel
            };
            let whole = stats_json(&s, &sel, None, &exec).unwrap();
            let n = amrkit_kernels::load::cpus_for_region(&s, &sel)
                .unwrap()
                .len();
            for k in 1..=4 {
                let share = |f| Selection {
                    files: Some(f),
                    ..sel
                };
                let parts = shares(n, k)
                    .into_iter()
                    .map(|f| stats_parts(&s, &share(f), &exec).unwrap());
                let parts = StatsParts::concat(parts.collect::<Vec<_>>());
                // Each share's per-file particle sums, in share order.
                let particles = s.has_particles.then(|| {
                    Ok(shares(n, k)
                        .into_iter()
                        .flat_map(|f| particle_sums(&s, &share(f), &exec).unwrap())
                        .collect())
                });
                let rt = stats_rt(&s, &sel, None, &exec);
                let got = stats_from_parts(&s, &sel, None, &parts, particles, rt)
                    .unwrap()
                    .to_json();
                assert_eq!(
                    serde_json::to_string(&got).unwrap(),
                    serde_json::to_string(&whole).unwrap(),
                    "{name}, {k} shares"
                );
            }
        }
    }
}

#[test]
fn maps_from_shares_equal_maps_of_all_files() {
    let pool = Pool::builder().num_threads(3).build().unwrap();
    let exec = Exec::on(&pool);
    for (name, s) in snapshots() {
        let u = Units::from_info(&s.info);
        for sel in selections() {
            let sel = if s.info.ndim < 3 {
                Selection::default()
            } else {
                sel
            };
            for (vars, weight) in [
                (&["density"][..], Weight::None),
                (&["density", "pressure"][..], Weight::Mass),
            ] {
                let spec = proj_spec(&u, &sel, 2, 80, vars, weight);
                let t = cells_for(&s, &sel, vars, weight, &exec).unwrap();
                let whole = project(&t, &spec, &exec).unwrap();
                // Streaming from the files folds the same partials.
                assert!(
                    project_streaming(&s, &sel, &spec, &exec).unwrap() == whole,
                    "{name}: streaming"
                );
                let n = amrkit_kernels::load::cpus_for_region(&s, &sel)
                    .unwrap()
                    .len();
                for k in 1..=4 {
                    let mut parts = Vec::new();
                    for f in shares(n, k) {
                        let mine = Selection {
                            files: Some(f),
                            ..sel
                        };
                        let t = cells_for(&s, &mine, vars, weight, &exec).unwrap();
                        parts.extend(project_partials(&t, &spec, &exec).unwrap());
                    }
                    let got = fold_partials(&spec, u.boxlen, &parts, &exec).unwrap();
                    assert!(got == whole, "{name} {vars:?}: {k} shares");
                }
            }
        }
    }
}
