//! A profiling driver: `profile OP OUTPUT THREADS REPS` runs one kernel
//! `REPS` times on `THREADS` workers and prints each time, for `perf record`.
//! OP is `load` (all hydro variables), `project` (density, z, 1024²) or
//! `export` (density, pressure and velocity to VTK under a temp folder).
use amrkit_io::Snapshot;
use amrkit_kernels::export::{export_vtk, VtkOptions};
use amrkit_kernels::project::{project, ProjSpec, Weight};
use amrkit_kernels::{load_hydro, Exec, Selection};
use amrkit_pool::Pool;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        eprintln!("usage: profile load|project|export OUTPUT THREADS REPS");
        std::process::exit(2);
    }
    let s = Snapshot::open(&a[2]).unwrap();
    let threads: usize = a[3].parse().unwrap();
    let reps: usize = a[4].parse().unwrap();
    let pool = Pool::builder().num_threads(threads).build().unwrap();
    let exec = Exec::on(&pool);
    let vars: &[&str] = if a[1] == "project" { &["density"] } else { &[] };
    let t = (a[1] != "load").then(|| load_hydro(&s, &Selection::default(), vars, &exec).unwrap());
    let dir = std::env::temp_dir().join(format!("amrkit-profile-{}", std::process::id()));
    for _ in 0..reps {
        let t0 = Instant::now();
        match a[1].as_str() {
            "load" => drop(load_hydro(&s, &Selection::default(), &[], &exec).unwrap()),
            "project" => {
                let spec = ProjSpec::whole_box(2, 1024, &["density"], Weight::None);
                drop(project(t.as_ref().unwrap(), &spec, &exec).unwrap());
            }
            "export" => {
                let opts = VtkOptions {
                    scalars: vec!["density".into(), "pressure".into()],
                    vector: VtkOptions::vector_of("velocity"),
                    ..Default::default()
                };
                export_vtk(t.as_ref().unwrap(), &opts, &dir.join("cells"), &exec).unwrap();
            }
            op => panic!("unknown op {op}"),
        }
        println!(
            "{} {threads} threads: {:.3} s",
            a[1],
            t0.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
