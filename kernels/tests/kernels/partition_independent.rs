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

/// The block partials of every hydro and gravity variable over a loaded
/// table of all the selection's files (the sums `stats` took before it
/// summed each file as it was read), as [`StatsParts`].
fn table_parts(s: &Snapshot, sel: &Selection, exec: &Exec) -> StatsParts {
    use amrkit_kernels::load::{load_components, Components};
    use amrkit_kernels::sums::stats_partials_many;
    let hydro: Vec<&str> = s.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    let grav: Vec<&str> = s.grav_fields.iter().map(String::as_str).collect();
    let c = Components {
        hydro: hydro.clone(),
        grav: grav.clone(),
        rt: Vec::new(),
    };
    let t = load_components(s, None, sel, &c, exec).unwrap();
    let cols: Vec<&[f64]> = hydro
        .iter()
        .chain(&grav)
        .map(|n| t.column(n).unwrap())
        .collect();
    let vars = stats_partials_many(&t, &cols, exec).unwrap();
    StatsParts {
        cells_per_level: t.cells_per_level().iter().map(|&n| n as u64).collect(),
        mass: vars[0].iter().map(|p| p.m).collect(),
        vars,
    }
}

/// Bits of every figure, each NaN as one (the sign of a NaN from ∞ − ∞
/// depends on the operand order the machine code picks).
fn bits(p: &StatsParts) -> (Vec<u64>, Vec<Vec<[u64; 7]>>, Vec<u64>) {
    let b = |x: f64| if x.is_nan() { u64::MAX } else { x.to_bits() };
    (
        p.cells_per_level.clone(),
        p.vars
            .iter()
            .map(|v| v.iter().map(|q| q.to_array().map(b)).collect())
            .collect(),
        p.mass.iter().map(|&m| b(m)).collect(),
    )
}

#[test]
fn stats_summed_while_reading_are_the_table_s_bits() {
    // `stats_parts` sums each file group by group as the reader decodes it
    // (no column of the file is kept): the same blocks, lanes and order as
    // the sums over a loaded table, so the same bits — on every shared
    // output, a 20-file generated one, with a box, a sphere (cut after the
    // read: the table path) and a level cap, at 1 and 2 threads.
    let tmp = tempfile::tempdir().unwrap();
    let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
        ncpu: 20,
        levelmin: 4,
        levelmax: 7,
        n_dm: 0,
        n_star: 0,
        ..Default::default()
    })
    .unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    let mut outputs: Vec<(String, Snapshot)> = testkit::runs()
        .into_iter()
        .chain(
            [
                "cosmo",
                "mhd3d",
                "groups",
                "bisection",
                "blast2d",
                "sedov1d",
                "rt3d",
            ]
            .into_iter()
            .filter_map(testkit::variant),
        )
        .map(|r| (r.name, Snapshot::open(&r.output).unwrap()))
        .collect();
    outputs.push(("synthetic".into(), Snapshot::open(&out).unwrap()));
    for threads in [1, 2] {
        let pool = Pool::builder().num_threads(threads).build().unwrap();
        let exec = Exec::on(&pool);
        for (name, s) in &outputs {
            if s.hydro_fields.is_empty() {
                continue;
            }
            let mut sels = vec![
                Selection::default(),
                Selection {
                    lmax: Some(s.info.levelmin + 1),
                    ..Selection::default()
                },
            ];
            if s.info.ndim == 3 {
                sels.push(Selection {
                    region: Some(Region::Box {
                        lo: [0.1, 0.25, 0.3],
                        hi: [0.8, 0.7, 0.95],
                    }),
                    ..Selection::default()
                });
                sels.extend(selections().into_iter().skip(1));
            }
            for sel in sels {
                let got = stats_parts(s, &sel, &exec).unwrap();
                let want = table_parts(s, &sel, &exec);
                assert!(!want.mass.is_empty(), "{name}: no cells");
                assert!(
                    bits(&got) == bits(&want),
                    "{name}, {sel:?}, {threads} threads"
                );
            }
        }
    }
}
