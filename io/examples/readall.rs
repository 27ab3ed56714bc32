//! Reads every hydro variable of every CPU of an output, N times
//! (`cargo run --release -p amrkit-io --example readall -- DIR N`).
fn main() {
    let mut a = std::env::args().skip(1);
    let dir = a.next().expect("output folder");
    let n: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let s = amrkit_io::Snapshot::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let req = amrkit_io::CellRequest {
        lmax: s.info.levelmax,
        region: None,
        hydro_vars: (0..s.hydro_fields.len()).collect(),
        grav_vars: vec![],
        rt_vars: vec![],
    };
    let t = std::time::Instant::now();
    let mut cells = 0;
    for _ in 0..n {
        for i in 1..=s.info.ncpu {
            cells += s.read_cpu(i, &req).unwrap().len();
        }
    }
    println!(
        "{} cells per read, {:?} per read",
        cells / n,
        t.elapsed() / n as u32
    );
}
