//! Parser throughput: reading every hydro variable of the shared real
//! outputs from the page cache, against a plain read of the same files
//! (the `cat file > /dev/null` baseline), single-threaded.
//!
//! `cargo bench --bench io_read`

use amrkit_io::{CellRequest, CellSlices, Snapshot};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;
use std::time::Duration;

fn outputs() -> Vec<(String, PathBuf)> {
    let root = std::env::var_os("AMRKIT_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ramses"));
    let mut v: Vec<_> = std::fs::read_dir(&root)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v.into_iter()
        .filter_map(|p| {
            let out = p.join("output_00002");
            out.is_dir()
                .then(|| (p.file_name().unwrap().to_string_lossy().into_owned(), out))
        })
        .collect()
}

/// One CPU's reused columns: level, (ix, iy, iz), the hydro variables.
type Columns = (Vec<u8>, [Vec<u32>; 3], Vec<Vec<f64>>);

fn read(c: &mut Criterion) {
    let mut g = c.benchmark_group("read_hydro");
    for (name, dir) in outputs() {
        let s = Snapshot::open(&dir).unwrap();
        let files: Vec<PathBuf> = (1..=s.info.ncpu)
            .flat_map(|i| [s.file("amr", i), s.file("hydro", i)])
            .collect();
        let bytes: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();
        g.throughput(Throughput::Bytes(bytes));
        let req = CellRequest {
            lmax: s.info.levelmax,
            region: None,
            slab: None,
            hydro_vars: (0..s.hydro_fields.len()).collect(),
            grav_vars: vec![],
            rt_vars: vec![],
        };
        g.bench_function(format!("{name}/amrkit"), |b| {
            b.iter(|| {
                let n: usize = (1..=s.info.ncpu)
                    .map(|i| s.read_cpu(i, &req).unwrap().len())
                    .sum();
                black_box(n)
            })
        });
        // The same into columns allocated once and reused: the parser and
        // the reads without the first touch of fresh output memory (page
        // faults and zeroing, which `amrkit` above pays on every CPU).
        let mut cols: Vec<Columns> = (1..=s.info.ncpu)
            .map(|i| {
                let m = s.scan_cpu(i, &req).unwrap().len();
                let nh = req.hydro_vars.len();
                let v = (0..nh).map(|_| vec![0.0; m]).collect();
                (vec![0; m], [vec![0; m], vec![0; m], vec![0; m]], v)
            })
            .collect();
        g.bench_function(format!("{name}/amrkit_reused_columns"), |b| {
            b.iter(|| {
                let mut n = 0;
                for (i, (level, [ix, iy, iz], vars)) in (1..=s.info.ncpu).zip(cols.iter_mut()) {
                    let scan = s.scan_cpu(i, &req).unwrap();
                    let out = CellSlices {
                        level,
                        ix,
                        iy,
                        iz,
                        hydro: vars.iter_mut().map(|v| v.as_mut_slice()).collect(),
                        grav: vec![],
                        rt: vec![],
                    };
                    s.read_cpu_into(&scan, &req, out).unwrap();
                    n += scan.len();
                }
                black_box(n)
            })
        });
        g.bench_function(format!("{name}/plain_read"), |b| {
            b.iter(|| {
                let n: usize = files.iter().map(|f| std::fs::read(f).unwrap().len()).sum();
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = read
}
criterion_main!(benches);
