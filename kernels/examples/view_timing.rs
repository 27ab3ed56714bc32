//! Times a slice and an off-axis projection of one output (the whole
//! box, `RES²` pixels, normal (1, 2, 3)), reading the files each time.
//!
//! `cargo run --release -p amrkit-kernels --example view_timing -- OUTPUT [RES] [REPS]`

use amrkit_io::Snapshot;
use amrkit_kernels::offaxis::{project_view_streaming, ViewSpec};
use amrkit_kernels::project::Weight;
use amrkit_kernels::slice::slice;
use amrkit_kernels::view::{Basis, View};
use amrkit_kernels::{Exec, Selection, Units};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).expect("usage: view_timing OUTPUT [RES] [REPS]");
    let res: usize = args.get(2).map_or(512, |s| s.parse().unwrap());
    let reps: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let exec = Exec::default();
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..reps {
        let t = Instant::now();
        let s = Snapshot::open(out).unwrap();
        let u = Units::from_info(&s.info);
        let view = View::whole_box(&u, Basis::from_normal([1.0, 2.0, 3.0], None).unwrap(), res);
        let m = slice(&s, &Selection::default(), &view, &["density"], &exec).unwrap();
        times[0].push(t.elapsed().as_secs_f64());
        assert_eq!(m.nx, res);
        let t = Instant::now();
        let s = Snapshot::open(out).unwrap();
        let spec = ViewSpec {
            view,
            vars: vec!["density".into()],
            weight: Weight::None,
        };
        let m = project_view_streaming(&s, &Selection::default(), &spec, &exec).unwrap();
        times[1].push(t.elapsed().as_secs_f64());
        assert_eq!(m.nx, res);
    }
    for (name, mut v) in ["slice", "off-axis projection"].into_iter().zip(times) {
        v.sort_by(f64::total_cmp);
        println!(
            "{name} {res}²: median {:.4} s (min {:.4}, {} runs)",
            v[v.len() / 2],
            v[0],
            v.len()
        );
    }
}
