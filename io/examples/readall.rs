//! Reads every hydro variable of every CPU of an output, N times, on one
//! thread (`cargo run --release -p amrkit-io --example readall -- DIR N
//! [MODE]`), and prints the wall time per read and the throughput on the
//! bytes the read needs (`amrkit_io::pages::needed_ranges`: the amr
//! header, the own domain's `xg` and `son` records, the hydro header and
//! the own blocks' pairs and variable records).
//!
//! MODE `fresh` (the default): `Snapshot::read_cpu`, fresh columns per
//! read, so each read also pays the first touch (page faults, zeroing) of
//! its output memory. MODE `reuse`: `scan_cpu` + `read_cpu_into` into
//! columns allocated once per CPU and reused: the parser and the reads
//! alone.
/// One CPU's reused columns: level, (ix, iy, iz), the hydro variables.
type Columns = (Vec<u8>, [Vec<u32>; 3], Vec<Vec<f64>>);

fn main() {
    let mut a = std::env::args().skip(1);
    let dir = a.next().expect("output folder");
    let n: usize = a.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let reuse = match a.next().as_deref() {
        None | Some("fresh") => false,
        Some("reuse") => true,
        Some(m) => panic!("mode {m}: expected fresh or reuse"),
    };
    let s = amrkit_io::Snapshot::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let nh = s.hydro_fields.len();
    let req = amrkit_io::CellRequest {
        lmax: s.info.levelmax,
        region: None,
        slab: None,
        hydro_vars: (0..nh).collect(),
        grav_vars: vec![],
        rt_vars: vec![],
    };
    // Reuse: one set of columns per CPU, sized by a first scan.
    let mut cols: Vec<Columns> = Vec::new();
    if reuse {
        for i in 1..=s.info.ncpu {
            let m = s.scan_cpu(i, &req).unwrap().len();
            cols.push((
                vec![0; m],
                [vec![0; m], vec![0; m], vec![0; m]],
                vec![vec![0.0; m]; nh],
            ));
        }
    }
    let t = std::time::Instant::now();
    let mut cells = 0;
    for _ in 0..n {
        for i in 1..=s.info.ncpu {
            if !reuse {
                cells += s.read_cpu(i, &req).unwrap().len();
                continue;
            }
            let scan = s.scan_cpu(i, &req).unwrap();
            let (level, [ix, iy, iz], vars) = &mut cols[i - 1];
            s.read_cpu_into(
                &scan,
                &req,
                amrkit_io::CellSlices {
                    level,
                    ix,
                    iy,
                    iz,
                    hydro: vars.iter_mut().map(|v| v.as_mut_slice()).collect(),
                    grav: vec![],
                    rt: vec![],
                },
            )
            .unwrap();
            cells += scan.len();
        }
    }
    let per = t.elapsed() / n as u32;
    // After the timing: these whole-file reads would change how the
    // allocator keeps freed memory (and so the page faults of `fresh`).
    let needed: u64 = (1..=s.info.ncpu)
        .flat_map(|i| {
            amrkit_io::pages::needed_ranges(&s, i, s.info.levelmax, &req.hydro_vars, &[])
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .map(|f| f.bytes())
        .sum();
    println!(
        "{} cells per read, {:?} per read, {:.1} MB needed, {:.2} GB/s of needed bytes ({})",
        cells / n,
        per,
        needed as f64 / 1e6,
        needed as f64 / per.as_secs_f64() / 1e9,
        if reuse { "reuse" } else { "fresh" }
    );
}
